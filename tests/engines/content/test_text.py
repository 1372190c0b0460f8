"""Text normalisation per script, tokens, script detection and the `text` kind's validation."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.domain.text import BIDI_CONTROLS, ZERO_WIDTH
from ctexchange.engines.content.text import (
    DEFAULT_MIN_CONTAINMENT,
    DEFAULT_MIN_QUOTE_WORDS,
    DEFAULT_MIN_SIMILARITY,
    MAX_TEXT_CHARS,
    TEXT_KIND,
    detect_script,
    normalize_text,
    tokens,
)
from ctexchange.errors import InvalidInput, PayloadTooLarge

# Sentences written for these tests, one per script, with the letters each table folds.
ARABIC = "أعلنت الهيئة إطلاق مبادرة جديدة للقراءة في المدارس"
RUSSIAN = "Ёлки зелёные растут у нашего дома уже много лет"
CHINESE = "这个图书馆每天早上八点开门欢迎所有读者"
ENGLISH = "The library opens every morning at eight for all readers"


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("مُحَمَّدٌ ذَهَبَ إِلَى المَدْرَسَةِ", "محمد ذهب الي المدرسه"),  # tashkeel, alef maqsura, ta marbuta
        ("الســـــلام عليكـــم", "السلام عليكم"),  # tatweel
        ("أحمد وإبراهيم وآدم ٱلكريم", "احمد وابراهيم وادم الكريم"),  # alef with hamza, madda, wasla
        ("مسؤول رئيس سماء", "مسوول رييس سما"),  # hamza on its seat, lone hamza
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("مدرسة", "مدرسه"),  # ta marbuta
        ("کتاب یک", "كتاب يك"),  # Persian kaf and ya
        ("زادہ بے", "زاده بي"),  # Urdu gol he and bari ye
        ("٢٠١٥ ۲۰۱۵", "2015 2015"),  # Arabic-Indic and Persian digits
        ("ﻻ ﷲ", "لا الله"),  # presentation forms (NFKC)
    ],
)
def test_arabic_forms_fold_to_one_spelling(variant: str, plain: str) -> None:
    """Tashkeel, tatweel, alef and hamza forms, ى/ي, ة/ه, Persian and Urdu letters and digits fold alike."""
    assert normalize_text(variant) == normalize_text(plain) == plain


@pytest.mark.parametrize(
    ("persian", "arabic"),
    [("کتابی", "كتابي"), ("یکی", "يكي"), ("پاکستانی", "پاكستاني")],
)
def test_persian_and_arabic_keyboards_agree(persian: str, arabic: str) -> None:
    """A word typed on a Persian keyboard (ک ی) normalises like the same word typed with Arabic ك ي."""
    assert normalize_text(persian) == normalize_text(arabic)


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("ЁЛКА", "елка"),
        ("Зелёные", "зеленые"),
        ("ПУТЬ Й", "путь й"),  # й is a letter of its own
    ],
)
def test_cyrillic_case_and_yo(variant: str, plain: str) -> None:
    """Cyrillic folds case and ё to е, and keeps й."""
    assert normalize_text(variant) == plain


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("頭髮", "头发"),
        ("發展經濟", "发展经济"),
        ("圖書館開門", "图书馆开门"),
        ("著作", "著作"),
        ("苧", "苎"),  # ICU maps these two to each other: both fold to one
    ],
)
def test_traditional_and_simplified_chinese_agree(traditional: str, simplified: str) -> None:
    """Traditional characters fold to simplified ones, so both copies of a text normalise alike."""
    assert normalize_text(traditional) == normalize_text(simplified)


def test_chinese_folding_is_a_fixed_point() -> None:
    """Folding simplified text again changes nothing."""
    once = normalize_text("頭髮著作乾隆苧薴" + CHINESE)
    assert normalize_text(once) == once


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("Café CRÈME", "cafe creme"),
        ("Straße", "strasse"),
        ("Øresund Łódź", "oresund lodz"),
        ("ＦＵＬＬ　ｗｉｄｔｈ", "full width"),
        ("ﬁnal", "final"),
        ("  many\t\nspaces  ", "many spaces"),
    ],
)
def test_latin_case_accents_width(variant: str, plain: str) -> None:
    """Latin folds case, accents, letters without decomposition, width, ligatures and spacing."""
    assert normalize_text(variant) == plain


@pytest.mark.parametrize("sample", [ARABIC, RUSSIAN, CHINESE, ENGLISH])
def test_invisible_characters_are_seen_through(sample: str) -> None:
    """Bidi controls, zero-width characters and soft hyphens inserted to evade matching are removed."""
    hidden = [*sorted(BIDI_CONTROLS | ZERO_WIDTH), "\u00ad"]
    evasive = "".join(char + hidden[i % len(hidden)] for i, char in enumerate(sample))
    assert normalize_text(evasive) == normalize_text(sample)


@given(
    st.text(max_size=80), st.lists(st.sampled_from(sorted(BIDI_CONTROLS | ZERO_WIDTH)), max_size=8), st.data()
)
@settings(max_examples=60)
def test_invisible_characters_never_change_normalisation(
    text: str, hidden: list[str], data: st.DataObject
) -> None:
    """Inserting invisible characters anywhere leaves the normalised text unchanged."""
    evasive = text
    for char in hidden:
        at = data.draw(st.integers(0, len(evasive)))
        evasive = evasive[:at] + char + evasive[at:]
    assert normalize_text(evasive) == normalize_text(text)


@given(st.text(max_size=120))
@settings(max_examples=80)
def test_normalisation_is_idempotent(text: str) -> None:
    """Normalising normalised text changes nothing."""
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_links_and_mentions_are_stripped_on_request() -> None:
    """URLs and @handles go only when asked; an e-mail address is not a mention."""
    post = "Join https://t.me/channel_x now www.example.org/page justpaste.it/abc1 @user1 write to a@b.org"
    assert normalize_text(post) == post.casefold()
    assert normalize_text(post, strip_links=True) == "join now @user1 write to a@b.org"
    assert normalize_text(post, strip_mentions=True).split() == [
        "join",
        "https://t.me/channel_x",
        "now",
        "www.example.org/page",
        "justpaste.it/abc1",
        "write",
        "to",
        "a@b.org",
    ]


@pytest.mark.parametrize(
    ("normalized", "expected"),
    [
        ("the library, opens!", ["the", "library", "opens"]),
        ("isis发布视频2015", ["isis", "发", "布", "视", "频", "2015"]),
        ("ابن-سينا قال", ["ابن", "سينا", "قال"]),
        ("снег_и дождь", ["снег", "и", "дождь"]),
        ("ニュース速報", ["ニ", "ュ", "ー", "ス", "速", "报"]),
    ],
)
def test_tokens(normalized: str, expected: list[str]) -> None:
    """Tokens are runs of letters and digits; Han characters and kana are one token each."""
    assert tokens(normalize_text(normalized)) == expected


@pytest.mark.parametrize(
    ("text", "script"),
    [
        (ARABIC, "arabic"),
        ("کتاب فارسی", "arabic"),
        (RUSSIAN, "cyrillic"),
        (CHINESE, "han"),
        ("深圳地铁今后将设立头等车厢VIP", "han"),
        (ENGLISH, "latin"),
        ("Ελληνικά", "other"),
        ("12345 !!", "other"),
        ("Moscow Москва", "mixed"),
    ],
)
def test_detect_script(text: str, script: str) -> None:
    """The script of at least 80 % of the letters; mixed below that; other without letters."""
    assert detect_script(text) == script


def test_kind_keeps_the_text_and_keys_the_normalised_form() -> None:
    """The value is the text as sent (NFC, invisible characters kept); the key hashes the normalised text."""
    evasive = "Cafe\u0301 \u200bTHE\u202e library"
    validated = TEXT_KIND.validate(evasive, "value")
    assert validated.value == "Café \u200bTHE\u202e library"
    expected = "sha256:" + hashlib.sha256(b"cafe the library").hexdigest()
    assert validated.key == expected
    assert TEXT_KIND.validate("café the LIBRARY", "value").key == expected
    assert TEXT_KIND.name == "text"
    assert TEXT_KIND.family.value == "content"


def test_kind_accepts_utf8_bytes() -> None:
    """Bytes in valid UTF-8 are text."""
    assert TEXT_KIND.validate(ARABIC.encode("utf-8"), "value").value == ARABIC


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe bad", "valid UTF-8"),
        ("", "at least one word"),
        ("  !!! ...", "at least one word"),
        ("\u200b\u202e", "at least one word"),
        ("nul\x00byte", "control characters"),
        ("lone \ud800 surrogate", "surrogates"),
        (42, "a string of text"),
        (None, "a string of text"),
    ],
)
def test_kind_refuses_bad_text(raw: object, message: str) -> None:
    """Invalid UTF-8, no word after normalisation, control characters, surrogates, non-text: refused."""
    with pytest.raises(InvalidInput) as info:
        TEXT_KIND.validate(raw, "value")
    assert info.value.field == "value"
    assert message in info.value.message


@pytest.mark.parametrize("raw", ["x" * (MAX_TEXT_CHARS + 1), b"x" * (4 * MAX_TEXT_CHARS + 1)])
def test_kind_refuses_text_over_the_cap(raw: str | bytes) -> None:
    """Text over MAX_TEXT_CHARS is refused as too large, naming the field."""
    with pytest.raises(PayloadTooLarge) as info:
        TEXT_KIND.validate(raw, "value")
    assert info.value.field == "value"


def test_settings_defaults_and_values() -> None:
    """Settings default sensibly and keep valid values."""
    assert TEXT_KIND.validate_settings({}, "settings") == {
        "min_similarity": DEFAULT_MIN_SIMILARITY,
        "min_containment": DEFAULT_MIN_CONTAINMENT,
        "min_quote_words": DEFAULT_MIN_QUOTE_WORDS,
        "strip_links": False,
        "strip_mentions": False,
    }
    chosen = {"min_similarity": 1, "min_containment": 0.5, "min_quote_words": 25, "strip_links": True}
    assert TEXT_KIND.validate_settings(chosen, "settings")["min_similarity"] == 1.0
    assert TEXT_KIND.validate_settings(chosen, "settings")["min_quote_words"] == 25


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"min_similarity": 0}, "settings.min_similarity"),
        ({"min_similarity": 1.5}, "settings.min_similarity"),
        ({"min_containment": True}, "settings.min_containment"),
        ({"min_quote_words": 5}, "settings.min_quote_words"),
        ({"min_quote_words": 40.0}, "settings.min_quote_words"),
        ({"strip_links": "yes"}, "settings.strip_links"),
        ({"threshold": 0.5}, "settings"),
    ],
)
def test_settings_refuse_bad_values(raw: dict[str, object], field: str) -> None:
    """Out-of-range numbers, wrong types and unknown keys are refused naming the setting."""
    with pytest.raises(InvalidInput) as info:
        TEXT_KIND.validate_settings(raw, "settings")
    assert info.value.field == field
