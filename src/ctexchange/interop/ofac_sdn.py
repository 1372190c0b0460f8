"""The US OFAC SDN list, primary-names CSV (`sdn.csv`), as entity records.

Twelve columns and no header: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage,
GRT, Vess_flag, Vess_owner, Remarks. "-0-" (with a trailing space in the real file) means empty.

Decisions, each checked against the 2024-05-03 file (14,965 rows: 6,854 individuals, 6,884 untyped
entities, 851 vessels, 376 aircraft):
- Encoding: the real file is ASCII, CRLF line ends, with a DOS end-of-file byte (0x1A) on the last line.
  OFAC has published the file in Windows-1252 in the past, so bytes are read as UTF-8 when they are
  valid UTF-8 and as Windows-1252 otherwise; bytes that are neither are refused. The 0x1A line is
  ignored.
- SDN_Type "individual" → Person, empty → Organization; vessels and aircraft are not parties and are
  skipped.
- Names: an individual's "LAST, First Middle" is stored as people write it, "First Middle LAST" (the
  surname's capitals kept); "DELOS REYES, Feliciano Semborio, Jr." → "Feliciano Semborio DELOS REYES Jr.".
  Entity names are kept as written (their commas belong to them: "ANGLO-CARIBBEAN CO., LTD.").
- Title → designations (it holds positions: "Member of the State Duma ...").
- Remarks are "; "-separated facts, the whole ending with ".". Parsed: DOB (all the forms in the file:
  "1970", "Jan 1970", "01 Jan 1970", "circa 1970", "circa 01 Jul 1970", "1970 to 1972",
  "01 Jan 1970 to 31 Dec 1970", "circa 1979-1982"), POB, nationality/citizen, Gender, a.k.a./n.k.a. →
  alias/good, f.k.a. → former/good, and identity documents (`DOCUMENT_LABELS`: "Passport A123 (Syria)
  issued 01 Jan 2000 expires ..."). "Linked To:", registration details and the rest are not identity
  evidence and are left in the narrative. An unreadable DOB is refused, naming the line.
- The CSV cuts Remarks at 1,000 characters (18 rows in the real file end mid-word): for such a row the
  last fact is ignored, since it may be cut short.
- Listing: source "OFAC SDN", reference = ent_num, program = Program ("SDGT] [IFSR" → "SDGT; IFSR"),
  list_type "SDN List", legal_basis "US OFAC sanctions program <program>", narrative = the Remarks.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ctexchange.domain.entities import (
    BirthDate,
    DateKind,
    EntityRecord,
    EntitySchema,
    IdentityDocument,
    Listing,
    NameQuality,
    NameType,
)
from ctexchange.errors import InvalidInput
from ctexchange.interop.countries import country_code, sort_countries
from ctexchange.interop.dates import month_number, partial_date
from ctexchange.interop.lists import NameBook, ParsedList, checked, clean_free_text, clean_name, unique

SOURCE = "OFAC SDN"
LIST_TYPE = "SDN List"
COLUMNS = 12
EMPTY = "-0-"
DOS_EOF = "\x1a"
REMARKS_CAP = 1000
SCHEMAS = {"individual": EntitySchema.PERSON, "": EntitySchema.ORGANIZATION}
NOT_PARTIES = frozenset({"vessel", "aircraft"})
ALIAS_KINDS = {
    "a": (NameType.ALIAS, NameQuality.GOOD),  # also known as
    "n": (NameType.ALIAS, NameQuality.GOOD),  # now known as
    "f": (NameType.FORMER, NameQuality.GOOD),  # formerly known as
}
GENDERS = {"Male": "male", "Female": "female"}
DOCUMENT_LABELS = (
    "Passport",
    "Diplomatic Passport",
    "National ID No.",
    "Cedula No.",
    "D.N.I.",
    "Identification Number",
    "Personal ID Card",
    "SSN",
    "Birth Certificate Number",
    "Driver's License No.",
    "National Foreign ID Number",
    "Residency Number",
    "C.U.R.P.",
    "Tax ID No.",
)

_ALT = r"(?:alt\.\s+)?"
_DOB = re.compile(rf"^{_ALT}DOB\s+(?P<value>.+)$")
_POB = re.compile(rf"^{_ALT}POB\s+(?P<value>.+)$")
_COUNTRY = re.compile(rf"^{_ALT}(?:nationality|citizen)\s+(?P<value>.+)$")
_GENDER = re.compile(r"^Gender\s+(?P<value>Male|Female)$")
_ALIAS = re.compile(r"^(?P<kind>[afn])\.k\.a\.\s+'(?P<name>.+)'$")
_DOCUMENT = re.compile(
    rf"^{_ALT}(?P<label>{'|'.join(re.escape(label) for label in DOCUMENT_LABELS)})\s+"
    r"(?P<number>.+?)(?:\s+\((?P<country>[^()]+)\))?(?:\s+(?P<note>(?:issued|expires)\b.*))?$"
)
_ONE_DATE = r"(?:(?:(?P<{0}day>\d{{1,2}})\s+)?(?P<{0}month>[A-Za-z]{{3,9}})\s+)?(?P<{0}year>\d{{4}})"
_DOB_VALUE = re.compile(
    rf"^(?P<circa>circa\s+)?{_ONE_DATE.format('a')}(?:\s*(?:to|-)\s*{_ONE_DATE.format('b')})?$"
)


@dataclass
class _Facts:
    """What the Remarks of one row say about the party."""

    names: list[tuple[str, NameType, NameQuality]] = field(default_factory=list)
    birth_dates: list[BirthDate] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    documents: list[IdentityDocument] = field(default_factory=list)
    unmapped_document_countries: list[str] = field(default_factory=list)
    gender: str | None = None


def parse_ofac_sdn(data: bytes) -> ParsedList:
    """Parse OFAC's sdn.csv into individuals and entities; raise InvalidInput naming the line at fault."""
    records: list[EntityRecord] = []
    seen: dict[str, int] = {}
    for line, row in _rows(_decoded(data)):
        record = _record(row, line)
        if record is None:
            continue
        reference = record.listing.reference
        if reference in seen:
            raise InvalidInput(
                f"'line {line}: ent_num' must be unique "
                f"(got {reference} again, first on line {seen[reference]})",
                field=f"line {line}: ent_num",
            )
        seen[reference] = line
        records.append(record)
    return ParsedList(SOURCE, None, tuple(records))


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"'file' must be UTF-8 or Windows-1252 text (byte 0x{data[exc.start]:02X} at offset {exc.start})",
            field="file",
        ) from None


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput(
                f"'line {reader.line_num}' must be a CSV row ({exc})", field=f"line {reader.line_num}"
            ) from None
        if not row or (len(row) == 1 and row[0].strip(f" {DOS_EOF}") == ""):
            continue
        if len(row) != COLUMNS:
            raise InvalidInput.expected(f"line {reader.line_num}", f"{COLUMNS} columns", len(row))
        yield reader.line_num, [_cell(value) for value in row]


def _cell(value: str) -> str:
    stripped = value.strip()
    return "" if stripped == EMPTY else stripped


def _record(row: list[str], line: int) -> EntityRecord | None:
    ent_num, name, sdn_type, program, title = row[0], row[1], row[2].casefold(), row[3], row[4]
    remarks = row[11]
    label = f"line {line}"
    if sdn_type in NOT_PARTIES:
        return None
    if sdn_type not in SCHEMAS:
        raise InvalidInput.expected(f"{label}: SDN_Type", "individual, vessel, aircraft or -0-", row[2])
    if not ent_num.isdigit():
        raise InvalidInput.expected(f"{label}: ent_num", "a number", ent_num)
    schema = SCHEMAS[sdn_type]
    facts = _remarks(remarks, schema, label)
    book = NameBook()
    book.add(
        _person_order(clean_name(name, f"{label}: SDN_Name"), schema), NameType.PRIMARY, NameQuality.STRONG
    )
    for text, type_, quality in facts.names:
        book.add(text, type_, quality)
    if not book.names:
        raise InvalidInput.expected(f"{label}: SDN_Name", "a name", name)
    nationalities, unmapped = sort_countries(facts.countries)
    programs = "; ".join(p.strip() for p in program.split("] [") if p.strip())
    record = EntityRecord(
        schema=schema,
        names=tuple(book.names),
        listing=Listing(
            source=SOURCE,
            reference=ent_num,
            program=programs,
            list_type=LIST_TYPE,
            legal_basis=f"US OFAC sanctions program {programs}" if programs else "",
            narrative=clean_free_text(remarks),
        ),
        birth_dates=tuple(dict.fromkeys(facts.birth_dates)),
        birth_places=unique(facts.birth_places),
        nationalities=nationalities,
        unmapped_countries=unique([*unmapped, *facts.unmapped_document_countries]),
        documents=tuple(dict.fromkeys(facts.documents)),
        gender=facts.gender,
        designations=unique([clean_free_text(title)]),
    )
    return checked(record, label)


def _person_order(name: str, schema: EntitySchema) -> str:
    """Turn "LAST, First Middle[, Jr.]" into "First Middle LAST[ Jr.]" for individuals."""
    parts = [p.strip() for p in name.split(",")]
    if schema is not EntitySchema.PERSON or len(parts) < 2 or not all(parts):
        return name
    last, given, *suffixes = parts
    return " ".join([given, last, *suffixes])


def _remarks(remarks: str, schema: EntitySchema, label: str) -> _Facts:
    facts = _Facts()
    segments = [s.strip() for s in remarks.split(";")]
    if segments:
        segments[-1] = segments[-1].removesuffix(".")
    if len(remarks) >= REMARKS_CAP:
        segments = segments[:-1]
    for segment in segments:
        _fact(segment, facts, schema, label)
    return facts


def _fact(segment: str, facts: _Facts, schema: EntitySchema, label: str) -> None:
    if match := _DOB.match(segment):
        facts.birth_dates.append(_birth_date(match["value"], f"{label}: Remarks DOB"))
    elif match := _POB.match(segment):
        facts.birth_places.append(clean_free_text(match["value"]))
    elif match := _COUNTRY.match(segment):
        facts.countries.append(clean_free_text(match["value"]))
    elif match := _GENDER.match(segment):
        facts.gender = GENDERS[match["value"]]
    elif match := _ALIAS.match(segment):
        text = _person_order(clean_name(match["name"], f"{label}: Remarks a.k.a."), schema)
        facts.names.append((text, *ALIAS_KINDS[match["kind"]]))
    elif match := _DOCUMENT.match(segment):
        _add_document(match, facts, label)


def _add_document(match: re.Match[str], facts: _Facts, label: str) -> None:
    number = clean_name(match["number"], f"{label}: Remarks {match['label']}")
    country_text = clean_free_text(match["country"])
    country = country_code(country_text) if country_text else None
    if country_text and country is None:
        facts.unmapped_document_countries.append(country_text)
    facts.documents.append(IdentityDocument(match["label"], number, country, clean_free_text(match["note"])))


def _birth_date(value: str, field_name: str) -> BirthDate:
    match = _DOB_VALUE.match(value.strip())
    if match is None:
        raise InvalidInput.expected(
            field_name, "a date such as 01 Jan 1970, Jan 1970, 1970 or circa 1970", value
        )
    start = _date(match, "a", field_name)
    if match["byear"]:
        return BirthDate(DateKind.BETWEEN, start, _date(match, "b", field_name))
    return BirthDate(DateKind.APPROXIMATE if match["circa"] else DateKind.EXACT, start)


def _date(match: re.Match[str], prefix: str, field_name: str) -> str:
    month_text, day = match[f"{prefix}month"], match[f"{prefix}day"]
    month = month_number(month_text) if month_text else None
    if month_text and month is None:
        raise InvalidInput.expected(field_name, "an English month such as Jan", month_text)
    return partial_date(match[f"{prefix}year"], month, day, field_name=field_name)
