"""The UN Consolidated List parser: the bundled full list, quirks of real entries, hostile documents."""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.domain.entities import (
    BirthDate,
    DateKind,
    EntityName,
    EntityRecord,
    EntitySchema,
    NameQuality,
    NameType,
)
from ctexchange.errors import InvalidInput
from ctexchange.interop.lists import ParsedList
from ctexchange.interop.un_list import SOURCE, alias_names, bundled_un_list, has_latin, parse_un_list
from tests.interop.data_files import read_data

SOURCES_MD = Path(__file__).resolve().parents[2] / "src" / "ctexchange" / "data" / "SOURCES.md"
ALIAS, FORMER, ORIGINAL = NameType.ALIAS, NameType.FORMER, NameType.ORIGINAL_SCRIPT
GOOD, LOW, STRONG = NameQuality.GOOD, NameQuality.LOW, NameQuality.STRONG


def _individual(reference: str = "QDi.900", first: str = "JOHN", inner: str = "", comments: str = "") -> str:
    return (
        f"<INDIVIDUAL><FIRST_NAME>{first}</FIRST_NAME><UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>"
        f"<REFERENCE_NUMBER>{reference}</REFERENCE_NUMBER><LISTED_ON>2001-01-25</LISTED_ON>"
        f"<COMMENTS1>{comments}</COMMENTS1><LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>{inner}</INDIVIDUAL>"
    )


def _document(*individuals: str) -> bytes:
    body = "".join(individuals)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<CONSOLIDATED_LIST><INDIVIDUALS>{body}</INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>"
    ).encode()


def _dob(kind: str, *parts: tuple[str, str]) -> str:
    inner = "".join(f"<{tag}>{value}</{tag}>" for tag, value in parts)
    return f"<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>{kind}</TYPE_OF_DATE>{inner}</INDIVIDUAL_DATE_OF_BIRTH>"


def _alias(quality: str, name: str, note: str = "") -> str:
    note_xml = f"<NOTE>{escape(note)}</NOTE>" if note else ""
    return (
        f"<INDIVIDUAL_ALIAS><QUALITY>{quality}</QUALITY><ALIAS_NAME>{escape(name)}</ALIAS_NAME>"
        f"{note_xml}</INDIVIDUAL_ALIAS>"
    )


@pytest.fixture(scope="module")
def excerpt() -> dict[str, EntityRecord]:
    """The excerpt of real entries, by reference."""
    parsed = parse_un_list(read_data("un-consolidated-list-excerpt.xml"))
    return {record.listing.reference: record for record in parsed.records}


def _refused(data: bytes) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_un_list(data)
    return caught.value


# The bundled full list ---------------------------------------------------------------------------------


def test_bundled_list_counts(bundled_un: ParsedList) -> None:
    """The bundled list holds 684 individuals and 195 entities, generated on 2025-08-02."""
    schemas = [r.schema for r in bundled_un.records]
    assert schemas.count(EntitySchema.PERSON) == 684
    assert schemas.count(EntitySchema.ORGANIZATION) == 195
    assert len(bundled_un.records) == 879
    assert bundled_un.source == SOURCE
    assert bundled_un.generated_at == "2025-08-02T23:00:00.935Z"


def test_bundled_records_round_trip(bundled_un: ParsedList) -> None:
    """Every record comes back unchanged from its stored JSON form."""
    for record in bundled_un.records:
        assert EntityRecord.from_json(record.to_json()) == record


def test_bundled_records_have_names_and_clean_references(bundled_un: ParsedList) -> None:
    """Every record has a name and a unique reference without surrounding spaces."""
    references = [r.listing.reference for r in bundled_un.records]
    assert len(set(references)) == len(references)
    for record in bundled_un.records:
        assert record.names
        assert record.listing.reference == record.listing.reference.strip()
        assert re.fullmatch(r"[A-Z]{2}[ie]\.\d{3}", record.listing.reference)


def test_bundled_names_are_clean(bundled_un: ParsedList) -> None:
    """Names are NFC, on one line, without edge spaces, brackets-only leftovers or separators."""
    for record in bundled_un.records:
        for name in record.names:
            assert name.text == " ".join(name.text.split())
            assert name.text == unicodedata.normalize("NFC", name.text)
            assert ";" not in name.text
            assert not name.text.startswith(")")


def test_bundled_original_script_names_are_not_latin(bundled_un: ParsedList) -> None:
    """Every original_script name is written in a non-Latin script."""
    originals = [n.text for r in bundled_un.records for n in r.names if n.type is ORIGINAL]
    assert len(originals) > 350
    assert not [text for text in originals if has_latin(text)]


def test_bundled_legal_bases_come_from_the_table(bundled_un: ParsedList) -> None:
    """Every program of the bundled list has a resolution in the legal-basis table."""
    for record in bundled_un.records:
        assert record.listing.legal_basis.startswith("UNSCR "), record.listing.program


def test_bundled_file_matches_its_sources_entry() -> None:
    """The bundled XML's sha256 is the one data/SOURCES.md records."""
    digest = hashlib.sha256(bundled_un_list()).hexdigest()
    assert digest in SOURCES_MD.read_text("utf-8")


# Quirks of real entries ---------------------------------------------------------------------------------


def test_trailing_space_reference_is_stripped(excerpt: dict[str, EntityRecord]) -> None:
    """KPe.023's REFERENCE_NUMBER has a trailing space in the file; the reference has none."""
    assert "KPe.023" in excerpt
    assert excerpt["KPe.023"].listing.source == SOURCE


def test_empty_placeholders_are_skipped(excerpt: dict[str, EntityRecord]) -> None:
    """Empty alias, place of birth and document elements add nothing."""
    record = excerpt["CDi.001"]
    assert [n.text for n in record.names] == ["ERIC BADEGE"]
    assert record.birth_places == ()
    assert record.documents == ()
    assert record.birth_dates == (BirthDate(DateKind.EXACT, "1971"),)


def test_embedded_newlines_become_spaces(excerpt: dict[str, EntityRecord]) -> None:
    """COMMENTS1 written over several lines is one line in the narrative."""
    narrative = excerpt["CDi.002"].listing.narrative
    assert "\n" not in narrative
    assert "on behalf of the DRC government’s Programme de Stabilisation" in narrative


@pytest.mark.parametrize(
    ("reference", "name"),
    [
        ("CDi.004", EntityName("India Queen", ALIAS, LOW)),  # QUALITY Low
        ("CDi.002", EntityName("AIGLE BLANC", ALIAS, GOOD)),  # QUALITY Good
        ("KPe.023", EntityName("Taedong Credit Bank", ALIAS, GOOD)),  # QUALITY a.k.a.
        ("CDe.001", EntityName("ADF/NALU", FORMER, GOOD)),  # QUALITY f.k.a.
        ("QDi.306", EntityName("مصطفى حجي محمد خان", ORIGINAL, STRONG)),  # NAME_ORIGINAL_SCRIPT, Arabic
        ("QDi.363", EntityName("Абдурахманов Магомед Магомедзакирович", ORIGINAL, STRONG)),  # Cyrillic
        ("QDi.029", EntityName("رياض محمد حسن محمد الحجازي", ALIAS, GOOD)),  # NOTE "In Arabic: ..."
        ("QDi.363", EntityName("Абу Банат", ALIAS, LOW)),  # NOTE "original script: ..."
        ("QDi.298", EntityName("Shaykh Yunis the Mauritanian", ALIAS, GOOD)),  # NOTE listing spellings
        ("QDi.396", EntityName("Амир Хазмат", ALIAS, LOW)),  # "Amir Khazmat (original script: ...)"
        ("QDi.396", EntityName("Amir Khazmat", ALIAS, LOW)),
        ("QDi.306", EntityName("Hassan Ghul", ALIAS, GOOD)),  # "حسن غول (Hassan Ghul; Hassan Gul; ...)"
        ("QDe.137", EntityName("هيئة تحرير الشام", ALIAS, GOOD)),  # nested brackets
        ("QDe.137", EntityName("Ansar al-Mujahideen Network", ALIAS, GOOD)),  # "... - sub-unit name"
        ("CDe.003", EntityName("GREAT LAKES BUSINESS COMPANY (GLBC)", NameType.PRIMARY, STRONG)),  # "A ; B"
    ],
)
def test_names_by_kind(excerpt: dict[str, EntityRecord], reference: str, name: EntityName) -> None:
    """Each alias quality, script form and embedded name becomes a name of the right type and quality."""
    assert name in excerpt[reference].names


def test_annotations_are_not_names(excerpt: dict[str, EntityRecord]) -> None:
    """Notes such as "previously listed as", "The Moroccan" or "(original script)" never become names."""
    texts = {n.text for record in excerpt.values() for n in record.names}
    assert not {t for t in texts if re.search(r"listed as|original script|sub-unit|\d", t, re.IGNORECASE)}
    assert "The Moroccan" not in texts


def test_latin_original_script_is_not_an_original_script_name(excerpt: dict[str, EntityRecord]) -> None:
    """QDe.164's NAME_ORIGINAL_SCRIPT is in Latin letters: it is no original_script name."""
    assert all(n.type is not ORIGINAL for n in excerpt["QDe.164"].names)


@pytest.mark.parametrize(
    ("reference", "dates"),
    [
        ("CDi.014", (BirthDate(DateKind.EXACT, "1962-03-17"), BirthDate(DateKind.APPROXIMATE, "1966"))),
        ("CDi.004", (BirthDate(DateKind.EXACT, "1973-11"),)),  # NOTE "Nov. 1973"
        ("QDi.395", (BirthDate(DateKind.EXACT, "1958-09"),)),  # YEAR 1958, NOTE "Sep."
        ("QDi.306", (BirthDate(DateKind.BETWEEN, "1977-08", "1977-09"), BirthDate(DateKind.EXACT, "1976"))),
        (
            "TAi.002",
            (BirthDate(DateKind.BETWEEN, "1955", "1958"), BirthDate(DateKind.BETWEEN, "1945", "1950")),
        ),
        ("CDi.002", ()),  # an empty TYPE_OF_DATE
        (
            "QDi.062",
            (BirthDate(DateKind.EXACT, "1970-02-05"), BirthDate(DateKind.EXACT, "1969-02-05")),
        ),  # alias
    ],
)
def test_dates_of_birth(
    excerpt: dict[str, EntityRecord], reference: str, dates: tuple[BirthDate, ...]
) -> None:
    """EXACT, APPROXIMATELY, BETWEEN, months in notes and alias dates keep their precision."""
    assert excerpt[reference].birth_dates == dates


def test_hijri_date_gives_no_date(excerpt: dict[str, EntityRecord]) -> None:
    """A Hijri-calendar note ("24/06/1402 (Hijri Calendar)") is not read as a Gregorian date."""
    assert all(not d.start.startswith("1402") for d in excerpt["QDi.291"].birth_dates)


@pytest.mark.parametrize(
    ("reference", "nationalities", "unmapped"),
    [
        ("CDi.001", ("CD",), ()),  # "Democratic Republic of the Congo"
        ("QDi.290", ("RU",), ("former Soviet Union",)),
        ("SDi.001", (), ()),  # "na" is a placeholder
        ("QDi.306", ("PK", "SA"), ()),
    ],
)
def test_nationalities(
    excerpt: dict[str, EntityRecord],
    reference: str,
    nationalities: tuple[str, ...],
    unmapped: tuple[str, ...],
) -> None:
    """Nationalities are ISO codes; what cannot be mapped is kept as text."""
    assert excerpt[reference].nationalities == nationalities
    assert excerpt[reference].unmapped_countries == unmapped


def test_documents(excerpt: dict[str, EntityRecord]) -> None:
    """Documents keep type, number, issuing country (ISSUING_COUNTRY or COUNTRY_OF_ISSUE) and notes."""
    (passport,) = excerpt["GBi.001"].documents
    assert (passport.type, passport.number, passport.country) == ("Passport", "AAID00437", "GW")
    assert "issued on 2010-02-18" in passport.note
    (card,) = excerpt["CDi.019"].documents
    assert card.note == "FARDC ID"  # TYPE_OF_DOCUMENT2


def test_listing(excerpt: dict[str, EntityRecord]) -> None:
    """The listing carries program, list type, date (time zone dropped) and legal basis."""
    listing = excerpt["QDi.352"].listing
    assert listing.program == "Al-Qaida"
    assert listing.list_type == "UN List"
    assert listing.listed_on == "2015-04-07"  # "2015-04-07-04:00" in the file
    assert listing.legal_basis == "UNSCR 1267 (1999), 1989 (2011), 2253 (2015)"
    assert excerpt["TAi.002"].listing.legal_basis == "UNSCR 1988 (2011)"


def test_unknown_program_is_named() -> None:
    """A program outside the table gets a legal basis naming it."""
    data = _document(_individual().replace("Al-Qaida", "Atlantis"))
    (record,) = parse_un_list(data).records
    assert record.listing.legal_basis == "UN Security Council sanctions regime: Atlantis"


def test_gender_titles_designations(excerpt: dict[str, EntityRecord]) -> None:
    """Gender is lowercase; titles and designations are kept."""
    assert excerpt["QDi.356"].gender == "female"
    assert excerpt["TAi.002"].titles == ("Mullah", "Haji")
    assert "Foreign Minister under the Taliban regime" in excerpt["TAi.002"].designations


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Fazel Rahim; Fazil Rahim", ["Fazel Rahim", "Fazil Rahim"]),
        ("Jin Tiesan (金铁三)", ["Jin Tiesan", "金铁三"]),
        ("EL PARA (COMBAT NAME)", ["EL PARA"]),
        (
            "Leader (Hong Kong) International Trading Limited",
            ["Leader (Hong Kong) International Trading Limited"],
        ),
        ("General Department of Atomic Energy (GDAE)", ["General Department of Atomic Energy (GDAE)"]),
        ("SECOND ACADEMY OF NATURAL SCIENCES (KPE.018)", ["SECOND ACADEMY OF NATURAL SCIENCES"]),
        (") Abdelrahman Mouhamad Zafir al Dabissi Juhan", ["Abdelrahman Mouhamad Zafir al Dabissi Juhan"]),
        ("Khirullah Said Wali Khairkhwa, born in Kandahar on 01 Jan.1967", ["Khirullah Said Wali Khairkhwa"]),
        ("شيخ الفاتح ، الفاتح", ["شيخ الفاتح", "الفاتح"]),
    ],
)
def test_alias_names(text: str, names: list[str]) -> None:
    """An ALIAS_NAME is split into its names and stripped of annotations, as the real list writes them."""
    assert alias_names(text) == names


# Refusals -----------------------------------------------------------------------------------------------

HOSTILE = [
    (
        "billion laughs",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<CONSOLIDATED_LIST>&lol3;</CONSOLIDATED_LIST>",
        "entity expansion",
    ),
    (
        "external entity",
        b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<CONSOLIDATED_LIST>&xxe;</CONSOLIDATED_LIST>",
        "external entities (XXE)",
    ),
    (
        "external DTD",
        b'<?xml version="1.0"?><!DOCTYPE CONSOLIDATED_LIST SYSTEM "http://example.org/list.dtd">'
        b"<CONSOLIDATED_LIST/>",
        "external DTD",
    ),
    (
        "internal DTD",
        b"<!DOCTYPE CONSOLIDATED_LIST [<!ELEMENT CONSOLIDATED_LIST ANY>]><CONSOLIDATED_LIST/>",
        "document type declarations are refused",
    ),
]


@pytest.mark.parametrize(("case", "data", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_xml_is_refused(case: str, data: bytes, reason: str) -> None:
    """Entity expansion, external entities and any DTD are refused with a message naming the risk."""
    error = _refused(data)
    assert error.field == "document"
    assert "must not contain a DTD" in error.message
    assert reason in error.message


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (read_data("un-consolidated-list-excerpt.xml")[:5000], "well-formed XML"),
        (b"<CONSOLIDATED_LIST>\xff\xfe</CONSOLIDATED_LIST>", "must be UTF-8 (invalid byte at offset 19)"),
        (b"", "well-formed XML"),
        (b"<INDIVIDUALS/>", "CONSOLIDATED_LIST root element"),
    ],
    ids=["truncated", "invalid UTF-8", "empty", "wrong root"],
)
def test_malformed_documents_are_refused(data: bytes, reason: str) -> None:
    """Truncated XML, invalid UTF-8, an empty file and a foreign root are refused."""
    assert reason in _refused(data).message


def test_bidi_override_in_a_name_is_refused() -> None:
    """A U+202E in a name is refused, naming the entry's reference and the field."""
    error = _refused(_document(_individual("QDi.901", "JOHN\u202eNHOJ")))
    assert error.field == "INDIVIDUAL[QDi.901].FIRST_NAME"
    assert "U+202E" in error.message


def test_hidden_character_in_an_alias_is_refused() -> None:
    """A zero-width space in an alias is refused, naming the alias."""
    error = _refused(_document(_individual("QDi.902", inner=_alias("Good", "ABU\u200bX"))))
    assert error.field == "INDIVIDUAL[QDi.902].INDIVIDUAL_ALIAS[1].ALIAS_NAME"


def test_hidden_characters_in_free_text_are_dropped() -> None:
    """A bidi override or zero-width space in a narrative is removed; the entry is kept."""
    (record,) = parse_un_list(_document(_individual(comments="Listed\u202e for\u200b\n  financing."))).records
    assert record.listing.narrative == "Listed for financing."


def test_zwnj_inside_persian_name_is_kept() -> None:
    """ZWNJ between Arabic-script letters is spelling: the name is accepted and kept as written."""
    persian = "عبدالرحمان\u200cزاده"
    (record,) = parse_un_list(
        _document(_individual(inner=f"<NAME_ORIGINAL_SCRIPT>{persian}</NAME_ORIGINAL_SCRIPT>"))
    ).records
    assert EntityName(persian, ORIGINAL, STRONG) in record.names


@pytest.mark.parametrize("name", ["JO\u200cHN", "\u200cعلی", "JOHN\u200d"])
def test_zwnj_outside_joining_script_is_refused(name: str) -> None:
    """ZWNJ/ZWJ inside Latin letters or at an edge are hidden characters."""
    error = _refused(_document(_individual("QDi.903", name)))
    assert error.field == "INDIVIDUAL[QDi.903].FIRST_NAME"
    assert "zero-width" in error.message


def test_impossible_date_is_refused() -> None:
    """2021-02-30 is refused, naming the entry's reference."""
    error = _refused(_document(_individual("QDi.904", inner=_dob("EXACT", ("DATE", "2021-02-30")))))
    assert error.field is not None
    assert error.field.startswith("INDIVIDUAL[QDi.904].INDIVIDUAL_DATE_OF_BIRTH")
    assert "a day that exists" in error.message


@pytest.mark.parametrize(
    ("inner", "field"),
    [
        (_dob("SOMETIME", ("YEAR", "1970")), "TYPE_OF_DATE"),
        (_dob("BETWEEN", ("FROM_YEAR", "1970")), "TO_YEAR"),
        (_dob("BETWEEN", ("FROM_YEAR", "1972"), ("TO_YEAR", "1970")), "TO_YEAR"),
        (_alias("Very good", "ABU X"), "QUALITY"),
        ("<GENDER>Unknown</GENDER>", "GENDER"),
    ],
)
def test_unknown_or_inconsistent_values_are_refused(inner: str, field: str) -> None:
    """An unknown date type, alias quality or gender, or a reversed range, is refused naming the field."""
    error = _refused(_document(_individual("QDi.905", inner=inner)))
    assert error.field is not None
    assert error.field.startswith("INDIVIDUAL[QDi.905]")
    assert error.field.endswith(field)


def test_duplicate_references_are_refused() -> None:
    """Two entries with one reference (spaces aside) are refused."""
    error = _refused(_document(_individual("QDi.906"), _individual("QDi.906 ")))
    assert error.field == "INDIVIDUAL[QDi.906].REFERENCE_NUMBER"


def test_alias_quality_is_read_whatever_its_case() -> None:
    """ "Low quality a.k.a." and "Formerly known as" are read like "Low" and "f.k.a."."""
    inner = (
        _alias("Low quality a.k.a.", "ABU X")
        + _alias("Formerly known as", "OLD NAME")
        + _alias("", "NO QUALITY")
    )
    (record,) = parse_un_list(_document(_individual(inner=inner))).records
    assert record.names[1:] == (
        EntityName("ABU X", ALIAS, LOW),
        EntityName("OLD NAME", FORMER, GOOD),
        EntityName("NO QUALITY", ALIAS, LOW),
    )


# Properties ---------------------------------------------------------------------------------------------

_NAME_CHARS = st.characters(
    codec="utf-8", categories=("Lu", "Ll", "Lo", "Zs"), exclude_characters="\u061c\u2028\u2029"
)


@settings(max_examples=200)
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_raise_invalid_input(data: bytes) -> None:
    """Arbitrary bytes either parse or raise InvalidInput, never another exception."""
    with contextlib.suppress(InvalidInput):
        parse_un_list(data)


@settings(max_examples=100)
@given(st.text(_NAME_CHARS, min_size=1, max_size=40).filter(lambda s: s.strip()))
def test_primary_name_is_the_first_name_normalised(first: str) -> None:
    """Any name of letters and spaces comes back NFC-normalised with single spaces."""
    (record,) = parse_un_list(_document(_individual(first=escape(first)))).records
    expected = " ".join(unicodedata.normalize("NFC", first).split())
    if expected.casefold() in ("na", "n/a"):
        return
    assert record.primary_name == expected
