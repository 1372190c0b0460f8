"""The OFAC SDN CSV parser: real rows, name order, the facts in Remarks, encodings and errors."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctexchange.domain.entities import (
    BirthDate,
    DateKind,
    EntityName,
    EntityRecord,
    EntitySchema,
    IdentityDocument,
    NameQuality,
    NameType,
)
from ctexchange.errors import InvalidInput
from ctexchange.interop.ofac_sdn import REMARKS_CAP, SOURCE, parse_ofac_sdn
from tests.interop.data_files import read_data


def _row(
    remarks: str = "-0- ", name: str = "DOE, John", sdn_type: str = '"individual"', ent_num: str = "1"
) -> str:
    remarks_cell = remarks if remarks == "-0- " else '"' + remarks.replace('"', '""') + '"'
    return f'{ent_num},"{name}",{sdn_type},"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,{remarks_cell}\r\n'


def _one(remarks: str, **kwargs: str) -> EntityRecord:
    (record,) = parse_ofac_sdn(_row(remarks, **kwargs).encode()).records
    return record


@pytest.fixture(scope="module")
def excerpt() -> dict[str, EntityRecord]:
    """The excerpt of real rows, by ent_num."""
    parsed = parse_ofac_sdn(read_data("ofac-sdn-excerpt.csv"))
    return {record.listing.reference: record for record in parsed.records}


def test_excerpt_counts(excerpt: dict[str, EntityRecord]) -> None:
    """20 rows: 12 individuals and 6 entities; the vessel and the aircraft are skipped."""
    schemas = [r.schema for r in excerpt.values()]
    assert schemas.count(EntitySchema.PERSON) == 12
    assert schemas.count(EntitySchema.ORGANIZATION) == 6
    assert "4238" not in excerpt  # vessel MAR AZUL
    assert "15431" not in excerpt  # aircraft EP-GOM


def test_excerpt_records_round_trip(excerpt: dict[str, EntityRecord]) -> None:
    """Every record comes back unchanged from its stored JSON form."""
    for record in excerpt.values():
        assert EntityRecord.from_json(record.to_json()) == record


@pytest.mark.parametrize(
    ("ent_num", "primary"),
    [
        ("306", "BANCO NACIONAL DE CUBA"),
        ("7522", "Oppah Charm Zvipange MUCHINGURI"),
        ("10851", "Feliciano Semborio DELOS REYES Jr."),
        ("36", "AEROCARIBBEAN AIRLINES"),
    ],
)
def test_primary_names_are_written_as_people_write_them(
    excerpt: dict[str, EntityRecord], ent_num: str, primary: str
) -> None:
    """An individual's "LAST, First" becomes "First LAST"; entity names are kept as written."""
    assert excerpt[ent_num].primary_name == primary


def test_real_row_with_passport_and_aliases(excerpt: dict[str, EntityRecord]) -> None:
    """Row 6905: DOB, nationality, passport with country and issue date, Gender and a.k.a. names."""
    record = excerpt["6905"]
    assert record.birth_dates == (BirthDate(DateKind.EXACT, "1971-03-12"),)
    assert record.documents == (IdentityDocument("Passport", "484824", "EG", "issued 18 Jan 1984"),)
    assert record.nationalities == ("PS",)
    assert record.gender == "male"
    assert EntityName("ABU ZUBAYDAH", NameType.ALIAS, NameQuality.GOOD) in record.names


def test_real_rows_with_former_and_now_known_names(excerpt: dict[str, EntityRecord]) -> None:
    """f.k.a. names are former names; n.k.a. names are aliases."""
    assert EntityName("GUADALAJARA CARTEL", NameType.FORMER, NameQuality.GOOD) in excerpt["11440"].names
    assert EntityName("LGOK", NameType.ALIAS, NameQuality.GOOD) in excerpt["41920"].names


def test_truncated_remarks_drop_their_last_fact(excerpt: dict[str, EntityRecord]) -> None:
    """Row 27307's Remarks are cut at 1,000 characters mid-alias: the cut alias is not a name."""
    texts = [n.text for n in excerpt["27307"].names]
    assert "HIDDEN COBRA" in texts
    assert not [t for t in texts if t.startswith("WHOIS")]
    assert len(_row("a.k.a. 'X'; " + "x" * REMARKS_CAP)) > REMARKS_CAP


def test_listing(excerpt: dict[str, EntityRecord]) -> None:
    """The listing names source, reference, programs (split), list type and legal basis."""
    listing = excerpt["10410"].listing
    assert (listing.source, listing.reference, listing.list_type) == (SOURCE, "10410", "SDN List")
    assert listing.program == "SDGT; IFSR"
    assert listing.legal_basis == "US OFAC sanctions program SDGT; IFSR"


def test_unmapped_nationality_is_kept(excerpt: dict[str, EntityRecord]) -> None:
    """ "nationality possibly Palestinian" is kept as text, its doubt included."""
    assert excerpt["7940"].unmapped_countries == ("possibly Palestinian",)
    assert excerpt["7940"].nationalities == ()


@pytest.mark.parametrize(
    ("remarks", "dates"),
    [
        ("DOB 1970.", (BirthDate(DateKind.EXACT, "1970"),)),
        ("DOB Aug 1946.", (BirthDate(DateKind.EXACT, "1946-08"),)),
        ("DOB 01 Feb 1966.", (BirthDate(DateKind.EXACT, "1966-02-01"),)),
        ("DOB circa 1951.", (BirthDate(DateKind.APPROXIMATE, "1951"),)),
        ("DOB circa 07 Jul 1966.", (BirthDate(DateKind.APPROXIMATE, "1966-07-07"),)),
        ("DOB 1951 to 1953.", (BirthDate(DateKind.BETWEEN, "1951", "1953"),)),
        ("DOB 01 Jan 1961 to 31 Dec 1962.", (BirthDate(DateKind.BETWEEN, "1961-01-01", "1962-12-31"),)),
        ("DOB Mar 1970 to Feb 1971.", (BirthDate(DateKind.BETWEEN, "1970-03", "1971-02"),)),
        ("DOB circa 1979-1982.", (BirthDate(DateKind.BETWEEN, "1979", "1982"),)),
        (
            "DOB 19 Apr 1982; alt. DOB 18 Apr 1982.",
            (BirthDate(DateKind.EXACT, "1982-04-19"), BirthDate(DateKind.EXACT, "1982-04-18")),
        ),
    ],
)
def test_dates_of_birth_in_remarks(remarks: str, dates: tuple[BirthDate, ...]) -> None:
    """Every DOB form in the real file keeps its precision."""
    assert _one(remarks).birth_dates == dates


@pytest.mark.parametrize(
    ("remarks", "document"),
    [
        ("Passport 1084010 (Egypt).", IdentityDocument("Passport", "1084010", "EG")),
        ("alt. Passport 19820215.", IdentityDocument("Passport", "19820215")),
        (
            "Passport L 191609 issued 28 Feb 1996 expires 27 Feb 2001.",
            IdentityDocument("Passport", "L 191609", None, "issued 28 Feb 1996 expires 27 Feb 2001"),
        ),
        (
            "National ID No. 1028745097 (Saudi Arabia).",
            IdentityDocument("National ID No.", "1028745097", "SA"),
        ),
        ("Cedula No. 10545599 (Venezuela).", IdentityDocument("Cedula No.", "10545599", "VE")),
        ("Diplomatic Passport D123 (Korea, North).", IdentityDocument("Diplomatic Passport", "D123", "KP")),
    ],
)
def test_documents_in_remarks(remarks: str, document: IdentityDocument) -> None:
    """Passports and identity numbers keep number, issuing country and issue/expiry note."""
    assert _one(remarks).documents == (document,)


@pytest.mark.parametrize(
    ("remarks", "name"),
    [
        ("a.k.a. 'ABU X'.", EntityName("ABU X", NameType.ALIAS, NameQuality.GOOD)),
        ("a.k.a. 'ABU-'UMAR'.", EntityName("ABU-'UMAR", NameType.ALIAS, NameQuality.GOOD)),
        ("a.k.a. 'AL-WARD, 'Abd'.", EntityName("'Abd AL-WARD", NameType.ALIAS, NameQuality.GOOD)),
        ("f.k.a. 'OLD NAME'.", EntityName("OLD NAME", NameType.FORMER, NameQuality.GOOD)),
        ("n.k.a. 'NEW NAME'.", EntityName("NEW NAME", NameType.ALIAS, NameQuality.GOOD)),
    ],
)
def test_names_in_remarks(remarks: str, name: EntityName) -> None:
    """a.k.a., f.k.a. and n.k.a. names become aliases and former names, in the person's order."""
    assert _one(remarks).names[1:] == (name,)


def test_other_facts_in_remarks() -> None:
    """POB, nationality, citizen and Gender are read; Linked To and the rest are left in the narrative."""
    record = _one(
        "POB Damascus, Syria; nationality Syria; citizen Korea, North; Gender Female; "
        "Linked To: HIZBALLAH; Tax ID No. 123 (Russia)."
    )
    assert record.birth_places == ("Damascus, Syria",)
    assert record.nationalities == ("SY", "KP")
    assert record.gender == "female"
    assert record.documents == (IdentityDocument("Tax ID No.", "123", "RU"),)
    assert "Linked To: HIZBALLAH" in record.listing.narrative
    assert [n.text for n in record.names] == ["John DOE"]


def test_windows_1252_is_decoded() -> None:
    """A file that is not UTF-8 is read as Windows-1252 (OFAC's older encoding)."""
    data = _row("a.k.a. 'JOS\xc9'.", name="PE\xd1A, Jos\xe9").encode("cp1252")
    (record,) = parse_ofac_sdn(data).records
    assert [n.text for n in record.names] == ["José PEÑA", "JOSÉ"]


def test_utf8_is_decoded() -> None:
    """A UTF-8 file (with or without BOM) is read as UTF-8."""
    (record,) = parse_ofac_sdn(b"\xef\xbb\xbf" + _row(name="PEÑA, José").encode()).records
    assert record.primary_name == "José PEÑA"


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (b'1,"DOE, John","individual","SDGT"\r\n', "line 1", "12 columns"),
        (_row().encode() + _row(ent_num="X1").encode(), "line 2: ent_num", "a number"),
        (_row().encode() + _row().encode(), "line 2: ent_num", "unique"),
        (_row(sdn_type='"spaceship"').encode(), "line 1: SDN_Type", "individual, vessel"),
        (_row("DOB sometime in spring.").encode(), "line 1: Remarks DOB", "01 Jan 1970"),
        (_row("DOB 30 Feb 1970.").encode(), "line 1: Remarks DOB", "a day that exists"),
        (_row(name="DOE\u202e, John").encode(), "line 1: SDN_Name", "U+202E"),
        (b'1,"DOE\x81\x8d",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n', "file", "Windows-1252"),
        (b'1,"DOE\x00",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n', "line 1: SDN_Name", "U+0000"),
        (b'1,"' + b"x" * 140_000 + b'"\r\n', "line 1", "CSV row"),
    ],
)
def test_errors_name_the_line(data: bytes, field: str, reason: str) -> None:
    """Malformed rows and values are refused, naming the line and the column."""
    with pytest.raises(InvalidInput) as caught:
        parse_ofac_sdn(data)
    assert caught.value.field == field
    assert reason in caught.value.message


@settings(max_examples=200)
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_raise_invalid_input(data: bytes) -> None:
    """Arbitrary bytes either parse or raise InvalidInput, never another exception."""
    with contextlib.suppress(InvalidInput):
        parse_ofac_sdn(data)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_any_remarks_parse_or_raise_invalid_input(remarks: str) -> None:
    """Any Remarks text either parses or raises InvalidInput, never another exception."""
    with contextlib.suppress(InvalidInput):
        parse_ofac_sdn(_row(remarks or "-0- ").encode())
