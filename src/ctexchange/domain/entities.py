"""Designated entities: persons and organizations on sanctions lists, and the screening query.

An entity is what an importer (UN Consolidated List XML, FollowTheMoney JSON lines, OFAC SDN CSV) makes
of one list entry, whatever the source. It is stored as the JSON value of a signal of kind `person` or
`organization` (see `ctexchange.engines.names.kinds`), so the store needs no table of its own.

Decisions:
- Every name is kept in its own script, with its type (the primary name, an alias, the name in original
  script, a former name) and its quality: `strong` for the primary name and the original-script name,
  `good` for good-quality aliases, `low` for low-quality ones (weak evidence, never ignored).
- Dates of birth keep their precision: `exact` (a full or partial ISO date: `1971`, `1971-05`,
  `1971-05-01`), `approximate` (about a year), `between` (a range of years or dates).
- Countries are ISO 3166-1 alpha-2 codes in uppercase; what could not be mapped is kept as text in
  `unmapped_countries` rather than lost.
- Every entity carries its listing: the source, the reference, the program, the listed-on date, the legal
  basis and the narrative, as the responsible-use rule requires.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ctexchange.domain.choices import Choice
from ctexchange.errors import InvalidInput

_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class EntitySchema(Choice):
    """What an entity is (FollowTheMoney's schema names)."""

    PERSON = "Person"
    ORGANIZATION = "Organization"

    @classmethod
    def canonical(cls, text: str) -> str:
        """`person`, `PERSON`, `LegalEntity` and `Company` are read as the two schemas."""
        folded = text.strip().lower()
        if folded in ("legalentity", "company", "organisation", "entity"):
            return "Organization"
        return folded.capitalize()


class NameType(Choice):
    """The role of a name in an entry."""

    PRIMARY = "primary"
    ALIAS = "alias"
    ORIGINAL_SCRIPT = "original_script"
    FORMER = "former"


class NameQuality(Choice):
    """How much a name is worth as evidence."""

    STRONG = "strong"
    GOOD = "good"
    LOW = "low"


class DateKind(Choice):
    """The precision of a date of birth."""

    EXACT = "exact"
    APPROXIMATE = "approximate"
    BETWEEN = "between"


@dataclass(frozen=True)
class EntityName:
    """One name, as written, in its own script."""

    text: str
    type: NameType = NameType.PRIMARY
    quality: NameQuality = NameQuality.STRONG


@dataclass(frozen=True)
class BirthDate:
    """A date of birth: `start` is a partial ISO date; `end` is set for `between` only."""

    kind: DateKind
    start: str
    end: str | None = None


@dataclass(frozen=True)
class IdentityDocument:
    """A passport, national identity card or other document."""

    type: str
    number: str
    country: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Listing:
    """Where a designation comes from and on what legal basis."""

    source: str
    reference: str
    program: str = ""
    list_type: str = ""
    listed_on: str | None = None
    legal_basis: str = ""
    narrative: str = ""


@dataclass(frozen=True)
class EntityRecord:
    """A designated person or organization as the exchange stores it."""

    schema: EntitySchema
    names: tuple[EntityName, ...]
    listing: Listing
    birth_dates: tuple[BirthDate, ...] = ()
    birth_places: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    unmapped_countries: tuple[str, ...] = ()
    documents: tuple[IdentityDocument, ...] = ()
    addresses: tuple[str, ...] = ()
    gender: str | None = None
    titles: tuple[str, ...] = ()
    designations: tuple[str, ...] = ()

    @property
    def primary_name(self) -> str:
        """The first primary name (or the first name of any type)."""
        primary = [n for n in self.names if n.type is NameType.PRIMARY]
        return (primary or list(self.names))[0].text

    def to_json(self) -> dict[str, Any]:
        """Return the stored JSON form (plain dicts, lists and strings)."""
        plain: dict[str, Any] = _plain(asdict(self))
        return plain

    @classmethod
    def from_json(cls, raw: object, field_name: str = "value") -> EntityRecord:
        """Build and validate a record from its JSON form; raise InvalidInput naming the field."""
        data = _mapping(raw, field_name)
        names = tuple(
            _name(n, f"{field_name}.names[{i}]") for i, n in enumerate(_list(data, "names", field_name))
        )
        if not names:
            raise InvalidInput.expected(f"{field_name}.names", "at least one name", [])
        return cls(
            schema=EntitySchema.parse(data.get("schema"), f"{field_name}.schema"),
            names=names,
            listing=_listing(data.get("listing"), f"{field_name}.listing"),
            birth_dates=tuple(
                _birth_date(d, f"{field_name}.birth_dates[{i}]")
                for i, d in enumerate(_list(data, "birth_dates", field_name))
            ),
            birth_places=_strings(data, "birth_places", field_name),
            nationalities=tuple(
                check_country(c, f"{field_name}.nationalities[{i}]")
                for i, c in enumerate(_strings(data, "nationalities", field_name))
            ),
            unmapped_countries=_strings(data, "unmapped_countries", field_name),
            documents=tuple(
                _document(d, f"{field_name}.documents[{i}]")
                for i, d in enumerate(_list(data, "documents", field_name))
            ),
            addresses=_strings(data, "addresses", field_name),
            gender=_optional_str(data.get("gender"), f"{field_name}.gender"),
            titles=_strings(data, "titles", field_name),
            designations=_strings(data, "designations", field_name),
        )


@dataclass(frozen=True)
class ScreeningQuery:
    """What a caller screens: names in any script and optional qualifiers."""

    schema: EntitySchema
    names: tuple[str, ...]
    birth_dates: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    gender: str | None = None
    external_id: str | None = field(default=None, compare=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Choice):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _mapping(raw: object, field_name: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidInput.expected(field_name, "an object", raw)
    return raw


def _list(data: Mapping[str, Any], key: str, field_name: str) -> Sequence[Any]:
    value = data.get(key, [])
    if not isinstance(value, list | tuple):
        raise InvalidInput.expected(f"{field_name}.{key}", "a list", value)
    return value


def _strings(data: Mapping[str, Any], key: str, field_name: str) -> tuple[str, ...]:
    values = _list(data, key, field_name)
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise InvalidInput.expected(f"{field_name}.{key}[{i}]", "a string", value)
    return tuple(values)


def _optional_str(raw: object, field_name: str) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise InvalidInput.expected(field_name, "a string or null", raw)


def _text(raw: object, field_name: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput.expected(field_name, "a non-empty string", raw)
    return raw


def _name(raw: object, field_name: str) -> EntityName:
    data = _mapping(raw, field_name)
    return EntityName(
        _text(data.get("text"), f"{field_name}.text"),
        NameType.parse(data.get("type", "primary"), f"{field_name}.type"),
        NameQuality.parse(data.get("quality", "strong"), f"{field_name}.quality"),
    )


def check_partial_date(raw: object, field_name: str) -> str:
    """Return `raw` if it is `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; raise InvalidInput otherwise."""
    if not isinstance(raw, str) or not _PARTIAL_DATE.match(raw):
        raise InvalidInput.expected(field_name, "a date as YYYY, YYYY-MM or YYYY-MM-DD", raw)
    parts = [int(p) for p in raw.split("-")]
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        raise InvalidInput.expected(field_name, "a month from 01 to 12", raw)
    if len(parts) > 2 and not 1 <= parts[2] <= _days_in(parts[0], parts[1]):
        raise InvalidInput.expected(field_name, "a day that exists in that month", raw)
    return raw


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _birth_date(raw: object, field_name: str) -> BirthDate:
    data = _mapping(raw, field_name)
    kind = DateKind.parse(data.get("kind", "exact"), f"{field_name}.kind")
    start = check_partial_date(data.get("start"), f"{field_name}.start")
    end = data.get("end")
    if kind is DateKind.BETWEEN:
        end = check_partial_date(end, f"{field_name}.end")
        if end < start:
            raise InvalidInput.expected(f"{field_name}.end", f"not before start {start}", end)
    elif end is not None:
        raise InvalidInput.expected(f"{field_name}.end", "null unless kind is between", end)
    return BirthDate(kind, start, end)


def check_country(raw: object, field_name: str) -> str:
    """Return `raw` if it is an ISO 3166-1 alpha-2 code in uppercase; raise InvalidInput otherwise."""
    if not isinstance(raw, str) or not _COUNTRY.match(raw):
        raise InvalidInput.expected(field_name, "an ISO 3166-1 alpha-2 code such as SY", raw)
    return raw


def _document(raw: object, field_name: str) -> IdentityDocument:
    data = _mapping(raw, field_name)
    country = data.get("country")
    return IdentityDocument(
        type=_text(data.get("type", "other"), f"{field_name}.type"),
        number=_text(data.get("number"), f"{field_name}.number"),
        country=None if country is None else check_country(country, f"{field_name}.country"),
        note=_optional_str(data.get("note", ""), f"{field_name}.note") or "",
    )


def _listing(raw: object, field_name: str) -> Listing:
    data = _mapping(raw, field_name)
    listed_on = data.get("listed_on")
    return Listing(
        source=_text(data.get("source"), f"{field_name}.source"),
        reference=_text(data.get("reference"), f"{field_name}.reference"),
        program=_optional_str(data.get("program", ""), f"{field_name}.program") or "",
        list_type=_optional_str(data.get("list_type", ""), f"{field_name}.list_type") or "",
        listed_on=None if listed_on is None else check_partial_date(listed_on, f"{field_name}.listed_on"),
        legal_basis=_optional_str(data.get("legal_basis", ""), f"{field_name}.legal_basis") or "",
        narrative=_optional_str(data.get("narrative", ""), f"{field_name}.narrative") or "",
    )
