"""Name comparison across scripts: tables of real pairs that must match, different people that must not."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.engines.names.compare import compare_names, name_parts, text_similarity, token_similarity
from ctexchange.engines.names.tokens import make_token
from tests.engines.names.strategies import any_text, names

DATA = Path(__file__).resolve().parents[2] / "data" / "names"
THRESHOLD = 0.7


def _table(name: str) -> list[tuple[str, ...]]:
    lines = (DATA / name).read_text("utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]


UN_PAIRS = _table("un_cross_script_pairs.tsv")
TOKEN_PAIRS = _table("transliteration_tokens.tsv")
UN_DIFFERENT = _table("un_different_people.tsv")

VARIANTS = [
    # Muhammad in every spelling, and its abbreviation
    ("Mohammed Abdullah", "Muhammad Abdullah"),
    ("Mohamed Abdallah", "Muhammad Abdullah"),
    ("Mohd Abdullah", "Mohammed Abdullah"),
    # Abd al-, Abdul, Abdel, assimilated articles
    ("Abdul Rahman", "Abd al-Rahman"),
    ("Abdel Rahman", "Abdurrahman"),
    ("Abdulmalik", "Abd al Malik"),
    ("Abdelkader Mokhtari", "Abd al-Qadir Mukhtari"),
    ("Nooruddin Turabi", "Nur al-Din Turabi"),
    # the article: al-, el-, or none
    ("Hamza el-Masri", "Hamza al-Masri"),
    ("Ali Hassan al-Majid", "Ali Hasan Majid"),
    # particles and kunyas
    ("Khalid bin Walid", "Khalid ibn al-Walid"),
    ("Abou Bakr", "Abu Bakr"),
    ("Abu Bakr al-Baghdadi", "Abubakr Baghdadi"),
    # French and English spellings of vowels and consonants
    ("Youssef Djamel", "Yusuf Jamal"),
    ("Hussein Qasim", "Husayn Kasim"),
    ("Osama bin Laden", "Usama bin Ladin"),
    ("Noor Mohammad Saqib", "Nur Muhammad Thaqib"),
    # order, missing middle names, initials
    ("Omar Mahmoud", "Mahmoud Omar"),
    ("Ayman al-Zawahiri", "Ayman Muhammad Rabi al-Zawahiri"),
    ("M. Abdullah", "Mohammed Abdullah"),
    ("A. R. Haqqani", "Abdul Rahman Haqqani"),
    # Arabic script against Latin
    ("Mohammed Abdullah", "محمد عبد الله"),
    ("Hassan Nasrallah", "حسن نصر الله"),
    ("Ahmad Zia", "احمد ضیا"),
    ("Abdul Ghani Baradar", "عبدالغنی برادر"),
    ("Mullah Mohammad Omar", "ملا محمد عمر"),
    ("Saif al-Islam Qadhafi", "سيف الإسلام القذافي"),
    ("Taha Yassin Ramadan", "طه ياسين رمضان"),
    # Cyrillic against Latin, BGN and scientific romanisations
    ("Vladimir Putin", "Владимир Путин"),
    ("Aleksandr Shchukin", "Александр Щукин"),
    ("Yury Gagarin", "Юрий Гагарин"),
    ("Tarhan Gaziev", "Тархан Газиев"),
    # Chinese against pinyin (surname first or last) and Wade-Giles
    ("Mao Zedong", "毛泽东"),
    ("Jinping Xi", "习近平"),
    ("Jin Tiesan", "金铁三"),
    ("Chang Hsueh-liang", "張學良"),
    # diacritics and invisible characters
    ("Müller Jürgen", "Juergen Muller"),
    ("José Martínez", "Jose Martinez"),
    ("Abd\u200cul\u200f Rahman", "Abdul Rahman"),
]

DIFFERENT = [
    # two different Mohammeds (and other shared common names)
    ("Mohammed Abdullah", "Mohammed Karimi"),
    ("Mohammed Hassan", "Mohammed Rahimi"),
    ("Muhammad Yusuf", "Muhammad Zubair"),
    ("محمد عبد الله", "Mohammed Karim"),
    ("Mohammed Ali", "Ali Mohammed Hassan Karim"),
    ("Ahmad Shah Massoud", "Ahmad Zia Massoud"),
    ("Abdul Rahman", "Abdul Manan"),
    ("Abu Bakr", "Abu Hamza"),
    ("Omar Abdel Rahman", "Omar Bakri"),
    ("Hassan", "Hussein Ali"),
    ("Saddam Hussein", "Qusay Saddam Hussein Tikriti Majid"),
    # other scripts
    ("Ivan Petrov", "Иван Сидоров"),
    ("Xi Jinping", "Li Keqiang"),
    ("习近平", "Hu Jintao"),
    ("Sergei Lavrov", "Сергей Шойгу"),
    # unrelated names
    ("John Smith", "Ahmad Shah"),
    ("Maria Garcia", "Mariam Karim"),
]


@pytest.mark.parametrize(("original", "latin", "reference"), UN_PAIRS, ids=[p[2] for p in UN_PAIRS])
def test_un_original_script_matches_latin(original: str, latin: str, reference: str) -> None:
    """A UN entry's name in original script matches its Latin name, either way round."""
    assert compare_names(original, latin).score >= THRESHOLD
    assert compare_names(latin, original).score >= THRESHOLD


@pytest.mark.parametrize(("source", "latin", "other"), TOKEN_PAIRS, ids=[p[1] for p in TOKEN_PAIRS])
def test_transliteration_table_pairs_match(source: str, latin: str, other: str) -> None:
    """Name tokens of the Arabic, Russian and Chinese transliteration tables match their Latin form."""
    assert compare_names(latin, other).score >= THRESHOLD, source


@pytest.mark.parametrize(("a", "b"), VARIANTS)
def test_spelling_variants_match(a: str, b: str) -> None:
    """Romanisation variants, reordered names, missing middle names and initials match."""
    assert compare_names(a, b).score >= THRESHOLD


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_people_do_not_match(a: str, b: str) -> None:
    """Different people stay under the threshold, also when they share a common first name."""
    assert compare_names(a, b).score < THRESHOLD


@pytest.mark.parametrize(
    ("a", "b", "ref_a", "ref_b"), UN_DIFFERENT, ids=[f"{p[2]}-{p[3]}" for p in UN_DIFFERENT]
)
def test_different_un_entries_do_not_match(a: str, b: str, ref_a: str, ref_b: str) -> None:
    """Two different UN entries whose names both start with Muhammad do not match."""
    assert compare_names(a, b).score < THRESHOLD


def test_pairs_explain_the_alignment() -> None:
    """The aligned token pairs say which part matched which, joined parts included."""
    found = compare_names("Abd al Malik Hassan", "Abdulmalik Hasan")
    assert ("abd malik", "abdulmalik") in [(a, b) for a, b, _ in found.pairs]
    assert found.method.startswith("tokens")
    assert compare_names("Mohammed", "Mohammed").method == "exact"


def test_vowels_written_in_arabic_tell_hasan_from_husayn() -> None:
    """حسين writes a long i: it is closer to Hussein than to Hassan."""
    assert compare_names("حسين", "Hussein").score > compare_names("حسين", "Hassan").score


def test_organizations_drop_legal_forms_and_know_acronyms() -> None:
    """Legal forms are ignored and an acronym matches the spelled-out name of an organization."""
    ltd = compare_names(
        "Huaxin Shipping Hongkong Ltd", "HUAXIN SHIPPING HONGKONG LIMITED", is_organization=True
    )
    assert ltd.score == 1.0
    isil = compare_names("ISIL", "Islamic State in Iraq and the Levant", is_organization=True)
    assert isil.score >= THRESHOLD
    assert isil.method == "acronym"
    assert (
        compare_names("AQAP", "Al-Qaida in the Arabian Peninsula (AQAP)", is_organization=True).score == 1.0
    )
    assert compare_names("ООО Ромашка", "Romashka LLC", is_organization=True).score >= THRESHOLD
    assert compare_names("ISIL", "Islamic Jihad Union", is_organization=True).score < THRESHOLD


def test_bracketed_parts_are_names_of_their_own() -> None:
    """'Jin Tiesan (金铁三)' is compared as itself, as 'Jin Tiesan' and as '金铁三'."""
    assert name_parts("Jin Tiesan (金铁三)") == ("Jin Tiesan (金铁三)", "Jin Tiesan", "金铁三")
    assert compare_names("金铁三", "Jin Tiesan (金铁三)").score == 1.0


def test_abd_compounds_are_compared_on_what_follows_abd() -> None:
    """Abdulrahman and Abdulmanan share only their Abd: they are not alike."""
    assert text_similarity("abdulrahman", "abdulmanan") < text_similarity("rahman", "rahmen")


@settings(max_examples=150, deadline=None)
@given(names(), names())
def test_symmetric_and_bounded(a: str, b: str) -> None:
    """compare_names(a, b) equals compare_names(b, a) and lies in [0, 1]."""
    forward, backward = compare_names(a, b), compare_names(b, a)
    assert forward.score == backward.score
    assert 0.0 <= forward.score <= 1.0
    assert [(y, x, s) for x, y, s in backward.pairs] == list(forward.pairs)


@settings(max_examples=150, deadline=None)
@given(st.one_of(names(), any_text()))
def test_identical_names_score_one(name: str) -> None:
    """A name compared with itself scores exactly 1.0, whatever it is made of."""
    assert compare_names(name, name).score == 1.0


@settings(max_examples=100, deadline=None)
@given(any_text(), any_text())
def test_any_text_is_compared_without_error(a: str, b: str) -> None:
    """Arbitrary text (emoji, controls, digits, empty) gives a score in [0, 1], for organizations too."""
    assert 0.0 <= compare_names(a, b).score <= 1.0
    assert 0.0 <= compare_names(a, b, is_organization=True).score <= 1.0


KIN_AND_LOOKALIKES = [
    ("周成", "Hsien Cheng CHOU"),  # a syllable of a Chinese name missing: another given name
    ("Martin", "Martin Shapoval"),  # one word in common is not a name in common
    ("Abdul Rahman", "Abdur Rehman Makki"),  # a compound given name is one word
    ("صدام حسين التكريتي", "QUSAY SADDAM HUSSEIN AL-TIKRITI"),  # the father, against his son
    ("عدي صدام حسين التكريتي", "ALI SADDAM HUSSEIN AL-TIKRITI"),  # two brothers
    ("Erin Lee", "U Li"),  # an initial U stands for no Erin
    ("Ayyub Bashir", "Abu Bashir"),  # a y between vowels is a consonant: Ayyub is not Abu
]

SAME_PEOPLE = [
    ("周成", "Cheng CHOU"),  # Wade-Giles
    ("김철삼", "Kim Chol Sam"),  # McCune-Reischauer, as the lists write North Korean names
    ("صدام حسين التكريتي", "SADDAM HUSSEIN AL-TIKRITI"),
    ("عدي صدام حسين التكريتي", "UDAY SADDAM HUSSEIN AL-TIKRITI"),
]


@pytest.mark.parametrize(("a", "b"), KIN_AND_LOOKALIKES)
def test_relatives_and_lookalikes_stay_under_the_threshold(a: str, b: str) -> None:
    """Fathers, sons, brothers and names sharing one word or a near syllable do not match."""
    assert compare_names(a, b).score < THRESHOLD


@pytest.mark.parametrize(("a", "b"), SAME_PEOPLE)
def test_the_same_people_still_match(a: str, b: str) -> None:
    """The rules that part relatives leave the person's own names matching."""
    assert compare_names(a, b).score >= THRESHOLD


@pytest.mark.parametrize(
    ("query", "closer", "further"),
    [
        ("张伟", "Zhang Wei", "Zheng Wei"),  # a Chinese syllable spelt otherwise is another character
        ("حسین محمدی", "Hussein Mohammadi", "Hussein Muhammad"),  # the final ی of a family name
        ("Sayyid Ahmad", "Sayid Ahmad", "Said Ahmad"),  # Sayyid and Said differ in a consonant
        ("Ayman Zawahiri", "Ayman Muhammad Rabi Zawahiri", "Muhammad Rabi Zawahiri"),  # a son's chain
    ],
)
def test_closer_spellings_score_higher(query: str, closer: str, further: str) -> None:
    """A name scores higher against its own spelling than against a lookalike."""
    assert compare_names(query, closer).score > compare_names(query, further).score


def test_generic_words_of_organizations_match_across_languages() -> None:
    """An organization's generic word matches its translation (network, شبکه) and weighs little."""
    network = make_token("network", True, is_organization=True)
    shabaka = make_token("shbk'h", False, is_organization=True)
    assert token_similarity(network, shabaka) == 1.0
    assert network.weight < 1.0
    assert compare_names("Haqqani Network", "شبکه حقانی", is_organization=True).score >= THRESHOLD
    assert token_similarity(network, make_token("front", True, is_organization=True)) < 1.0
