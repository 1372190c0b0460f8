"""FollowTheMoney entity JSON lines (OpenSanctions, yente, national lists converted to FtM) as entity records.

One JSON object per line: `{"id", "schema", "properties": {property: [values]}, "caption", ...}`.

Decisions:
- Parties become records: Person → Person; Organization, Company, LegalEntity and PublicBody (an
  Organization in FtM's model) → Organization. Every other schema (Address, Ownership, Family,
  Passport, ...) is skipped, except Sanction: a Sanction whose `entity` is a party of the file is folded
  into that party's listing.
- Names: every `name` is primary/strong (FtM keeps all official spellings there; the `caption`, when it
  is one of them, comes first so it is the record's primary name), `alias` → alias/good, `weakAlias` →
  alias/low, `previousName` → former/good. A party without a name is refused.
- Dates of birth are `YYYY`, `YYYY-MM` or `YYYY-MM-DD` → exact; anything else is refused, naming the line.
- Countries (`nationality`, `citizenship`, `country`, and `jurisdiction` for organizations) are
  lowercase ISO codes: uppercased when ISO 3166-1 (or `xk`) knows them, otherwise kept as written in
  `unmapped_countries` (FtM also has `suhh`, `ge-ab`, `zz`).
- Documents come from the identifier properties in `DOCUMENT_PROPERTIES`, typed by property name; the
  same number under two properties (FtM repeats an INN as `innCode` and `taxNumber`) is kept once.
- Listing: source = the caller's, reference = the entity id. program = the FtM program ids (`programId`
  of the party and its sanctions; else `program` texts); listed_on = the earliest sanction
  `listingDate`, else `startDate`, else the party's `createdAt`; legal_basis = the sanctions' `program`
  texts (the instruments); narrative = the party's `notes` and the sanctions' `reason`s; list_type = the
  party's `topics`.
- Ids are unique per file (a second party with the same id is refused): an id is the listing reference.
- Errors name the line: "line 12: birthDate". Invalid UTF-8, a line that is not a JSON object, or one
  without `id` and `schema` is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ctexchange.domain.entities import (
    BirthDate,
    DateKind,
    EntityName,
    EntityRecord,
    EntitySchema,
    IdentityDocument,
    Listing,
    NameQuality,
    NameType,
    check_partial_date,
)
from ctexchange.errors import InvalidInput
from ctexchange.interop.countries import code_country
from ctexchange.interop.lists import NameBook, ParsedList, checked, clean_free_text, clean_name, unique

PARTY_SCHEMAS = {
    "Person": EntitySchema.PERSON,
    "Organization": EntitySchema.ORGANIZATION,
    "Company": EntitySchema.ORGANIZATION,
    "LegalEntity": EntitySchema.ORGANIZATION,
    "PublicBody": EntitySchema.ORGANIZATION,
}
SANCTION_SCHEMA = "Sanction"
NAME_PROPERTIES = (
    ("name", NameType.PRIMARY, NameQuality.STRONG),
    ("alias", NameType.ALIAS, NameQuality.GOOD),
    ("weakAlias", NameType.ALIAS, NameQuality.LOW),
    ("previousName", NameType.FORMER, NameQuality.GOOD),
)
DOCUMENT_PROPERTIES = (
    "passportNumber",
    "idNumber",
    "socialSecurityNumber",
    "innCode",
    "taxNumber",
    "vatCode",
    "ogrnCode",
    "registrationNumber",
    "leiCode",
    "swiftBic",
)
COUNTRY_PROPERTIES = ("nationality", "citizenship", "country")
ORGANIZATION_COUNTRY_PROPERTIES = ("jurisdiction",)
GENDERS = frozenset({"male", "female", "other"})
_DATE_PREFIX = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?")


@dataclass
class _Party:
    line: int
    id: str
    schema: EntitySchema
    caption: str
    properties: dict[str, list[str]]
    sanctions: list[dict[str, list[str]]] = field(default_factory=list)


def parse_ftm(data: bytes, source: str) -> ParsedList:
    """Parse FtM entity JSON lines into the parties' records; raise InvalidInput naming the line."""
    source = clean_name(source, "source")
    if not source:
        raise InvalidInput.expected("source", "the name of the list", source)
    parties: dict[str, _Party] = {}
    sanctions: list[tuple[int, dict[str, list[str]]]] = []
    for number, entity in _entities(data):
        schema, entity_id, properties = entity["schema"], entity["id"], entity["properties"]
        if schema == SANCTION_SCHEMA:
            sanctions.append((number, properties))
        elif schema in PARTY_SCHEMAS:
            if entity_id in parties:
                raise InvalidInput(
                    f"'line {number}: id' must be unique in the file (got {entity_id!r} again, "
                    f"first on line {parties[entity_id].line})",
                    field=f"line {number}: id",
                )
            caption = entity.get("caption")
            parties[entity_id] = _Party(
                number,
                entity_id,
                PARTY_SCHEMAS[schema],
                caption if isinstance(caption, str) else "",
                properties,
            )
    for _number, properties in sanctions:
        for target in properties.get("entity", []):
            if target in parties:
                parties[target].sanctions.append(properties)
    records = tuple(_record(party, source) for party in parties.values())
    return ParsedList(source, None, records)


def _entities(data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"'line {number}' must be UTF-8 (invalid byte at column {exc.start + 1})",
                field=f"line {number}",
            ) from None
        try:
            entity = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise InvalidInput(
                f"'line {number}' must be a JSON object ({_reason(exc)})", field=f"line {number}"
            ) from None
        yield number, _checked_entity(entity, number)


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return type(exc).__name__


def _checked_entity(entity: object, number: int) -> dict[str, Any]:
    if not isinstance(entity, dict):
        raise InvalidInput.expected(f"line {number}", "a JSON object", entity)
    for key in ("id", "schema"):
        value = entity.get(key)
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput.expected(f"line {number}: {key}", "a non-empty string", value)
    properties = entity.get("properties", {})
    if not isinstance(properties, dict):
        raise InvalidInput.expected(f"line {number}: properties", "an object of lists", properties)
    for name, values in properties.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidInput.expected(f"line {number}: {name}", "a list of strings", values)
    return {**entity, "id": entity["id"].strip(), "properties": properties}


def _record(party: _Party, source: str) -> EntityRecord:
    label = f"line {party.line}"
    props = party.properties
    codes, unmapped = _countries(party, label)
    record = EntityRecord(
        schema=party.schema,
        names=_names(party, label),
        listing=_listing(party, source, label),
        birth_dates=tuple(_birth_dates(props.get("birthDate", []), f"{label}: birthDate")),
        birth_places=unique(clean_free_text(v) for v in props.get("birthPlace", [])),
        nationalities=codes,
        unmapped_countries=unmapped,
        documents=_documents(props, label),
        addresses=unique(clean_free_text(v) for v in props.get("address", [])),
        gender=_gender(props.get("gender", []), f"{label}: gender"),
        titles=unique(clean_free_text(v) for v in props.get("title", [])),
        designations=unique(clean_free_text(v) for v in props.get("position", [])),
    )
    return checked(record, label)


def _names(party: _Party, label: str) -> tuple[EntityName, ...]:
    book = NameBook()
    official = [clean_name(v, f"{label}: name") for v in party.properties.get("name", [])]
    caption = clean_name(party.caption, f"{label}: caption")
    if caption in official:
        book.add(caption, NameType.PRIMARY, NameQuality.STRONG)
    for prop, type_, quality in NAME_PROPERTIES:
        for value in party.properties.get(prop, []):
            book.add(clean_name(value, f"{label}: {prop}"), type_, quality)
    if not book.names:
        raise InvalidInput.expected(f"{label}: name", "at least one name", party.properties.get("name", []))
    return tuple(book.names)


def _birth_dates(values: Iterable[str], field_name: str) -> Iterator[BirthDate]:
    for value in unique(v.strip() for v in values):
        yield BirthDate(DateKind.EXACT, check_partial_date(value, field_name))


def _gender(values: list[str], field_name: str) -> str | None:
    genders = unique(v.strip().casefold() for v in values)
    for gender in genders:
        if gender not in GENDERS:
            raise InvalidInput.expected(field_name, "male, female or other", gender)
    return genders[0] if genders else None


def _countries(party: _Party, label: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    props: tuple[str, ...] = COUNTRY_PROPERTIES
    if party.schema is EntitySchema.ORGANIZATION:
        props += ORGANIZATION_COUNTRY_PROPERTIES
    codes: list[str] = []
    unmapped: list[str] = []
    for prop in props:
        for value in party.properties.get(prop, []):
            text = clean_name(value, f"{label}: {prop}")
            code = code_country(text)
            if code is not None:
                codes.append(code)
            elif text:
                unmapped.append(text)
    return unique(codes), unique(unmapped)


def _documents(props: Mapping[str, list[str]], label: str) -> tuple[IdentityDocument, ...]:
    documents: dict[str, IdentityDocument] = {}
    for prop in DOCUMENT_PROPERTIES:
        for value in props.get(prop, []):
            number = clean_name(value, f"{label}: {prop}")
            if number and number not in documents:
                documents[number] = IdentityDocument(prop, number)
    return tuple(documents.values())


def _listing(party: _Party, source: str, label: str) -> Listing:
    props, sanctions = party.properties, party.sanctions
    program_ids = unique(
        [*props.get("programId", []), *(v for s in sanctions for v in s.get("programId", []))]
    )
    programs = unique([*props.get("program", []), *(v for s in sanctions for v in s.get("program", []))])
    narrative = unique(
        clean_free_text(v)
        for v in [*props.get("notes", []), *(r for s in sanctions for r in s.get("reason", []))]
    )
    return Listing(
        source=source,
        reference=clean_name(party.id, f"{label}: id"),
        program="; ".join(clean_free_text(p) for p in program_ids or programs),
        list_type=", ".join(clean_free_text(t) for t in props.get("topics", [])),
        listed_on=_listed_on(party, label),
        legal_basis="; ".join(unique(clean_free_text(v) for s in sanctions for v in s.get("program", []))),
        narrative=" | ".join(narrative),
    )


def _listed_on(party: _Party, label: str) -> str | None:
    """The earliest listing date of the party's sanctions, else their start date, else `createdAt`."""
    for prop, holders in (
        ("listingDate", party.sanctions),
        ("startDate", party.sanctions),
        ("createdAt", [party.properties]),
    ):
        dates = [_date_part(v, f"{label}: {prop}") for holder in holders for v in holder.get(prop, [])]
        if dates:
            return min(dates)
    return None


def _date_part(value: str, field_name: str) -> str:
    """Return the date of an FtM date or timestamp ("2022-02-24", "2022-02-24T10:00:00")."""
    match = _DATE_PREFIX.match(value.strip())
    return check_partial_date(match.group(0) if match else value, field_name)


# Out ------------------------------------------------------------------------------------------------------
#
# Decisions for the export (docs/interop.md, "FollowTheMoney export"):
# - One party per designated entity (Person, or Organization), then one Sanction per party holding its
#   listing, so that yente indexes the party with its program and the importer above reads it back.
# - The party's id is its listing reference (what the importer takes as the reference); a reference
#   already used in the same file gets the signal id appended, so ids stay unique and stable.
# - Names: primary and original-script names are `name`, good aliases `alias`, low-quality ones
#   `weakAlias`, former names `previousName`. Dates of birth: exact as they are, approximate as the year,
#   a range as its two ends (FtM has no range). Countries are lowercase ISO codes; unmapped country
#   texts do not fit FtM's country type and are left out. Documents: a type naming an FtM identifier
#   property keeps it, a passport is `passportNumber`, anything else `idNumber`.
# - `topics` is ["sanction"] so that yente's default algorithms treat the party as a sanctioned target;
#   `target` is true, `datasets` the dataset name given, `first_seen`/`last_change` the signal's times.

FTM_DOCUMENT_PROPERTIES = frozenset(DOCUMENT_PROPERTIES)
_FTM_NAME_PROPERTY = {
    (NameType.PRIMARY, None): "name",
    (NameType.ORIGINAL_SCRIPT, None): "name",
    (NameType.FORMER, None): "previousName",
    (NameType.ALIAS, NameQuality.LOW): "weakAlias",
    (NameType.ALIAS, None): "alias",
}


def ftm_party_id(reference: str, signal_id: str, used: set[str]) -> str:
    """Return the FtM id of a party: its listing reference, made unique within the file."""
    candidate = reference if reference not in used else f"{reference}-{signal_id}"
    used.add(candidate)
    return candidate


def ftm_entities(
    record: EntityRecord, party_id: str, dataset: str, first_seen: str, last_change: str
) -> list[dict[str, Any]]:
    """Return the FtM party of an entity record and its Sanction, as yente indexes them."""
    props: dict[str, list[str]] = {}

    def put(name: str, values: Iterable[str | None]) -> None:
        for value in values:
            if value and value not in props.get(name, []):
                props.setdefault(name, []).append(value)

    for entry in record.names:
        key = _FTM_NAME_PROPERTY.get((entry.type, entry.quality)) or _FTM_NAME_PROPERTY[(entry.type, None)]
        put(key, [entry.text])
    listing = record.listing
    put("notes", [listing.narrative])
    put("topics", ["sanction"])
    put("programId", [p.strip() for p in listing.program.split(";")])
    put(
        "country" if record.schema is EntitySchema.ORGANIZATION else "nationality",
        [c.lower() for c in record.nationalities],
    )
    put("address", record.addresses)
    if record.schema is EntitySchema.PERSON:
        put("birthDate", [d for b in record.birth_dates for d in _ftm_dates(b)])
        put("birthPlace", record.birth_places)
        put("gender", [record.gender])
        put("title", record.titles)
        put("position", record.designations)
    for document in record.documents:
        put(_ftm_document_property(document.type), [document.number])
    party = _ftm_entity(party_id, record.schema.value, props, dataset, first_seen, last_change)
    party["caption"] = record.primary_name
    sanction: dict[str, list[str]] = {"entity": [party_id], "authority": [listing.source]}
    for key, value in (
        ("program", listing.legal_basis),
        ("programId", listing.program),
        ("listingDate", listing.listed_on),
        ("reason", listing.narrative),
    ):
        if value:
            sanction[key] = [value]
    return [
        party,
        _ftm_entity(f"{party_id}-sanction", SANCTION_SCHEMA, sanction, dataset, first_seen, last_change),
    ]


def _ftm_entity(
    entity_id: str, schema: str, props: dict[str, list[str]], dataset: str, first_seen: str, last_change: str
) -> dict[str, Any]:
    return {
        "id": entity_id,
        "schema": schema,
        "properties": props,
        "target": schema != SANCTION_SCHEMA,
        "datasets": [dataset],
        "first_seen": first_seen,
        "last_seen": last_change,
        "last_change": last_change,
    }


def _ftm_dates(birth: BirthDate) -> list[str]:
    if birth.kind is DateKind.EXACT:
        return [birth.start]
    if birth.kind is DateKind.APPROXIMATE:
        return [birth.start[:4]]
    return [birth.start, *([birth.end] if birth.end else [])]


def _ftm_document_property(kind: str) -> str:
    if kind in FTM_DOCUMENT_PROPERTIES:
        return kind
    return "passportNumber" if "passport" in kind.casefold() else "idNumber"
