"""The FollowTheMoney JSON-lines parser: a sample cluster, name kinds, sanctions, errors by line."""

from __future__ import annotations

import contextlib
import json
from typing import Any

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
from ctexchange.interop.ftm import parse_ftm
from tests.interop.ftm_sample import COMPANY, PERSON, SOURCE, sample_ftm


def _line(entity_id: str = "p1", schema: str = "Person", **properties: list[str]) -> dict[str, Any]:
    return {"id": entity_id, "schema": schema, "properties": {"name": ["John Doe"], **properties}}


def _jsonl(*entities: object) -> bytes:
    return b"\n".join(json.dumps(e, ensure_ascii=False).encode() for e in entities) + b"\n"


@pytest.fixture(scope="module")
def cluster() -> dict[str, EntityRecord]:
    """The sample cluster, by entity id."""
    parsed = parse_ftm(sample_ftm(), SOURCE)
    return {record.listing.reference: record for record in parsed.records}


def _refused(data: bytes) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_ftm(data, SOURCE)
    return caught.value


def test_parties(cluster: dict[str, EntityRecord]) -> None:
    """The 7 entities hold 1 person and 1 company; addresses, sanctions and links are not parties."""
    schemas = [r.schema for r in cluster.values()]
    assert schemas.count(EntitySchema.PERSON) == 1
    assert schemas.count(EntitySchema.ORGANIZATION) == 1


def test_records_round_trip(cluster: dict[str, EntityRecord]) -> None:
    """Every record comes back unchanged from its stored JSON form."""
    for record in cluster.values():
        assert EntityRecord.from_json(record.to_json()) == record


def test_caption_is_the_primary_name(cluster: dict[str, EntityRecord]) -> None:
    """The caption, when it is one of the names, is the record's primary name."""
    assert cluster[PERSON].primary_name == "Irina Petrovna VOLKOVA"
    assert cluster[COMPANY].primary_name == "LLC Northwind Aero"


def test_name_kinds(cluster: dict[str, EntityRecord]) -> None:
    """name is primary/strong (in any script), alias alias/good, weakAlias alias/low."""
    names = cluster[COMPANY].names
    assert EntityName("Northwind Aero Group", NameType.PRIMARY, NameQuality.STRONG) in names
    assert EntityName("Northwind Aviation", NameType.ALIAS, NameQuality.GOOD) in names
    assert EntityName("NWA", NameType.ALIAS, NameQuality.LOW) in names
    assert EntityName("Ирина Петровна Волкова", NameType.PRIMARY, NameQuality.STRONG) in cluster[PERSON].names


def test_previous_name_is_former() -> None:
    """previousName is former/good."""
    (record,) = parse_ftm(_jsonl(_line(previousName=["Jon Smith"])), SOURCE).records
    assert EntityName("Jon Smith", NameType.FORMER, NameQuality.GOOD) in record.names


def test_person_details(cluster: dict[str, EntityRecord]) -> None:
    """Birth date, countries (uppercased), gender, documents and birth places are kept."""
    record = cluster[PERSON]
    assert record.birth_dates == (BirthDate(DateKind.EXACT, "1988-01-07"),)
    assert record.nationalities == ("RU",)
    assert record.gender == "female"
    assert [d.number for d in record.documents] == ["183116181362"]  # idNumber, innCode, taxNumber: once
    assert "Izhevsk" in record.birth_places


def test_sanctions_fold_into_the_listing(cluster: dict[str, EntityRecord]) -> None:
    """Sanction entities add their programs, instruments, reasons and the earliest listing date."""
    listing = cluster[PERSON].listing
    assert listing.source == SOURCE
    assert listing.reference == PERSON
    assert "EU-UKR" in listing.program
    assert "GB-RUS" in listing.program
    assert "The Russia (Sanctions) (EU Exit) Regulations 2019" in listing.legal_basis
    assert "Involved in the supply and manufacturing of military weapons" in listing.narrative
    assert listing.listed_on == "2025-02-13"
    assert cluster[COMPANY].listing.listed_on == "2022-03-01"


@pytest.mark.parametrize(
    ("value", "expected"), [("1971", "1971"), ("1971-05", "1971-05"), ("1971-05-01", "1971-05-01")]
)
def test_partial_birth_dates_are_exact(value: str, expected: str) -> None:
    """YYYY, YYYY-MM and YYYY-MM-DD are exact dates of their precision."""
    (record,) = parse_ftm(_jsonl(_line(birthDate=[value])), SOURCE).records
    assert record.birth_dates == (BirthDate(DateKind.EXACT, expected),)


def test_unknown_country_codes_are_kept_as_text() -> None:
    """A code ISO 3166-1 does not know ("suhh") goes to unmapped_countries; "xk" is Kosovo."""
    (record,) = parse_ftm(_jsonl(_line(nationality=["suhh", "xk"], country=["ru"])), SOURCE).records
    assert record.nationalities == ("XK", "RU")
    assert record.unmapped_countries == ("suhh",)


def test_other_schemas_are_skipped() -> None:
    """Address, Ownership and a Sanction of an absent party add no record."""
    data = _jsonl(
        _line(),
        {"id": "a1", "schema": "Address", "properties": {"full": ["1 Main St"]}},
        {"id": "s1", "schema": "Sanction", "properties": {"entity": ["elsewhere"], "program": ["X"]}},
    )
    (record,) = parse_ftm(data, SOURCE).records
    assert record.listing.reference == "p1"
    assert record.listing.legal_basis == ""


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (b'{"id": "p1", "schema": "Person", "properties": {"name": ["J\xff"]}}\n', "line 1", "UTF-8"),
        (_jsonl(_line()) + b"{not json\n", "line 2", "JSON object"),
        (_jsonl(_line()) + b"[1, 2]\n", "line 2", "JSON object"),
        (_jsonl({"schema": "Person", "properties": {}}), "line 1: id", "non-empty string"),
        (_jsonl({"id": "p1", "properties": {}}), "line 1: schema", "non-empty string"),
        (_jsonl(_line(birthDate=["12/05/1970"])), "line 1: birthDate", "YYYY"),
        (_jsonl(_line(birthDate=["1970-02-30"])), "line 1: birthDate", "a day that exists"),
        (
            _jsonl({"id": "p1", "schema": "Person", "properties": {"name": "John"}}),
            "line 1: name",
            "list of strings",
        ),
        (_jsonl({"id": "p1", "schema": "Person", "properties": {}}), "line 1: name", "at least one name"),
        (_jsonl(_line(), _line()), "line 2: id", "unique"),
        (_jsonl(_line(name=["John\u202eDoe"])), "line 1: name", "U+202E"),
        (_jsonl(_line(gender=["unknown"])), "line 1: gender", "male, female or other"),
        (b"[" * 100_000 + b"\n", "line 1", "nested too deeply"),
    ],
)
def test_errors_name_the_line(data: bytes, field: str, reason: str) -> None:
    """Invalid UTF-8, non-JSON lines, missing id/schema and bad values are refused naming the line."""
    error = _refused(data)
    assert error.field == field
    assert reason in error.message


def test_blank_lines_and_bom_are_ignored() -> None:
    """A UTF-8 byte-order mark and empty lines are not entities."""
    (record,) = parse_ftm(b"\xef\xbb\xbf\n" + _jsonl(_line()) + b"\n\n", SOURCE).records
    assert record.primary_name == "John Doe"


@settings(max_examples=200)
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_raise_invalid_input(data: bytes) -> None:
    """Arbitrary bytes either parse or raise InvalidInput, never another exception."""
    with contextlib.suppress(InvalidInput):
        parse_ftm(data, SOURCE)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["id", "schema", "properties", "caption"]), _JSON, max_size=4))
def test_any_json_object_parses_or_raises_invalid_input(entity: dict[str, object]) -> None:
    """Any JSON object on a line either parses or raises InvalidInput, never another exception."""
    with contextlib.suppress(InvalidInput):
        parse_ftm(_jsonl(entity), SOURCE)
