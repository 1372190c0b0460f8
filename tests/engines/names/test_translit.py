"""Latin renderings of names in Arabic, Cyrillic, Chinese, Korean and Latin script."""

from __future__ import annotations

import threading

import pytest

from ctexchange.engines.names.translit import latin_forms, mccune_reischauer, renderings, word_renderings


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("محمد عبد الله", ("mhmd 'bd allh",)),
        ("صحراوي", ("s'hrawy",)),  # ص then ح: not the digraph sh
        ("رمضان ضیا", ("rmdan dya", "rmzan zya")),  # ض read d, and z as in Persian
        ("جمال", ("jmal", "gmal")),  # ج read j, and g as in Egypt
        ("Тархан Газиев", ("tarkhan gaziyev", "tarhan gaziev")),  # BGN, then plain Cyrillic-Latin
        ("Щукин", ("shchukin",)),
        ("金铁三", ("jin tiesan", "jin tie san", "jintiesan", "chin toeh san")),
        ("Müller Łódź", ("muller lodz",)),
        ("Raičević", ("raichevich",)),
        (
            "김철삼",
            ("gim cheolsam", "gim cheol sam", "gimcheolsam", "kim chol sam"),
        ),  # RR, then McCune-Reischauer
        ("...", ()),
    ],
)
def test_latin_forms(name: str, expected: tuple[str, ...]) -> None:
    """Each script gets the renderings its decisions promise, the most conventional first."""
    assert latin_forms(name) == expected


def test_mixed_scripts_are_rendered_word_by_word() -> None:
    """A name mixing scripts is romanised word by word, each word by its own script."""
    (first, *_) = renderings("Jin 铁三")
    assert [(w.text, w.script) for w in first] == [("jin", "latin"), ("tie", "han"), ("san", "han")]
    assert latin_forms("Ахмед Ahmed") == ("akhmed ahmed", "ahmed ahmed")


def test_vowelled_scripts() -> None:
    """Arabic-script words are the only ones that do not write their vowels."""
    words = renderings("محمد Mohammed Мухаммед 穆罕默德")[0]
    assert {w.script: w.is_vowelled for w in words} == {
        "arabic": False,
        "latin": True,
        "cyrillic": True,
        "han": True,
    }


def test_transliteration_is_safe_across_threads() -> None:
    """Romanising in many threads at once gives the same results as in one (ICU is guarded by a lock)."""
    names = [f"محمد {i} Путин {i} 金{i}" for i in range(300)]
    expected = {name: latin_forms(name) for name in names}
    word_renderings.cache_clear()
    results: dict[str, tuple[str, ...]] = {}

    def work(part: list[str]) -> None:
        for name in part:
            results[name] = latin_forms(name)

    threads = [threading.Thread(target=work, args=(names[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected


def test_han_characters_get_their_surname_reading_only() -> None:
    """单 is read shan as a surname; 英 keeps its common reading (its rare yang made other names)."""
    assert "shan tian fang" in latin_forms("单田芳")
    assert latin_forms("英") == ("ying",)


def test_korean_is_also_rendered_in_mccune_reischauer() -> None:
    """North Korean names on the lists follow McCune-Reischauer: 최춘영 is Choe Chun Yong."""
    assert mccune_reischauer("최춘영") == ["choe", "chun", "yong"]
    assert "ri myong su" in latin_forms("리명수")
