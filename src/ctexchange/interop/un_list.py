"""The UN Security Council Consolidated List (XML) as entity records.

The list is the exchange's reference for designated persons and entities (`INDIVIDUAL` → Person,
`ENTITY` → Organization). A copy ships with the package (`bundled_un_list`); `parse_un_list` reads it or
a newer download.

Decisions, each checked against the 2025-08-02 list (684 individuals, 195 entities):
- XML is parsed by defusedxml with DTDs refused outright: the UN list has none, and a DTD is what entity
  expansion ("billion laughs") and external entities (XXE) need. The document must be UTF-8.
- Names: the primary name is FIRST..FOURTH_NAME joined (primary/strong); one FIRST_NAME holds two names
  ("COMPAGNIE AERIENNE DES GRANDS LACS (CAGL) ; GREAT LAKES ...") and gives two primary names.
  NAME_ORIGINAL_SCRIPT is one name per element in the real list (380 of them, no separators), kept as
  original_script/strong; one written in Latin letters is not a script form and is kept as an
  alias/strong (in the real list, QDe.164, it repeats the primary name and so adds nothing).
- Hidden characters: the real list has none (no bidi controls, no ZWNJ/ZWJ); names follow the rule in
  `ctexchange.interop.lists` (refused, except ZWNJ/ZWJ inside Arabic-script or Indic words, kept).
- Alias QUALITY: "Good" and "a.k.a." → alias/good, "Low" and "Low quality a.k.a." → alias/low,
  "f.k.a." and "Formerly known as" → former/good. An alias with a name but no quality is alias/low (weak
  evidence, never ignored); an unknown quality is refused: the format changed and someone must look.
  Empty placeholders (<QUALITY/><ALIAS_NAME/>) are skipped. "Previously listed as" notes describe the
  list's own spelling history, not a name the person gave up, so such aliases stay aliases.
- Alias texts carry more than one name: "Fazel Rahim; Fazil Rahim", a script form in brackets
  ("Jin Tiesan (金铁三)", "Amir Khazmat (original script: Амир Хазмат)"), or a Latin list after an Arabic
  name. Each becomes its own name with the alias's type and quality. Bracketed annotations ("(previously
  listed as)", "(COMBAT NAME)", anything with digits) are dropped; other brackets ("(GDAE)", "(Hong Kong)")
  are part of the name. Alias NOTEs add names written "In Arabic: …", "original script: …" or as a list
  of spellings ("Yunis al-Mauritani; Younis al-Mauritani; …"); other notes (passports, places) are not
  names and are left alone.
- Dates of birth: EXACT/APPROXIMATELY with DATE or YEAR; BETWEEN with FROM_YEAR/TO_YEAR; a month in the
  NOTE ("Nov. 1973", YEAR 1958 + "Sep.", "Between Aug. and Sep. 1977") refines the date. Notes that are
  not Gregorian dates ("24/06/1402 (Hijri Calendar)", "30-35 years old") give no date. Alias DATE_OF_BIRTH
  values are dates of birth too, and their CITY/COUNTRY_OF_BIRTH places of birth. An impossible date is
  refused, naming the entry.
- Places of birth and addresses are their parts joined with ", " (repeated parts once), NOTE in brackets.
- "na" is the schema's default for absent name parts and appears once as a nationality: a placeholder.
- Documents without a NUMBER (14 in the real list, their number buried in prose notes) are not kept:
  a document record without a number cannot be matched.
- LISTED_ON sometimes carries a time-zone suffix ("2015-04-07-04:00"); the date part is kept.
"""

from __future__ import annotations

import re
import unicodedata
from importlib import resources
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring as defused_fromstring

from ctexchange.domain.entities import (
    BirthDate,
    DateKind,
    EntityRecord,
    EntitySchema,
    IdentityDocument,
    Listing,
    NameQuality,
    NameType,
    check_partial_date,
)
from ctexchange.errors import InvalidInput
from ctexchange.interop.countries import country_code, sort_countries
from ctexchange.interop.dates import month_number, partial_date
from ctexchange.interop.lists import NameBook, ParsedList, checked, clean_free_text, clean_name, unique

SOURCE = "UN Security Council Consolidated List"
BUNDLED_FILE = "un-consolidated-list.xml"
ROOT_TAG = "CONSOLIDATED_LIST"
SECTIONS = (
    ("INDIVIDUALS", "INDIVIDUAL", EntitySchema.PERSON),
    ("ENTITIES", "ENTITY", EntitySchema.ORGANIZATION),
)
NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
PLACEHOLDERS = frozenset({"na", "n/a"})

ALIAS_KINDS: dict[str, tuple[NameType, NameQuality]] = {
    "good": (NameType.ALIAS, NameQuality.GOOD),
    "a.k.a.": (NameType.ALIAS, NameQuality.GOOD),
    "low": (NameType.ALIAS, NameQuality.LOW),
    "low quality a.k.a.": (NameType.ALIAS, NameQuality.LOW),
    "f.k.a.": (NameType.FORMER, NameQuality.GOOD),
    "formerly known as": (NameType.FORMER, NameQuality.GOOD),
    "": (NameType.ALIAS, NameQuality.LOW),
}
GENDERS = {"male": "male", "female": "female"}

# The resolutions that established each sanctions regime (and, for ISIL/Al-Qaida and Al-Shabaab, the
# ones that re-founded it), as the UN's committee pages cite them. UN_LIST_TYPE "GB" is Guinea-Bissau:
# its ten entries are its military officers. A program not in this table is named as it is written.
LEGAL_BASES = {
    "Al-Qaida": "UNSCR 1267 (1999), 1989 (2011), 2253 (2015)",
    "Taliban": "UNSCR 1988 (2011)",
    "DPRK": "UNSCR 1718 (2006)",
    "Iraq": "UNSCR 1518 (2003)",
    "DRC": "UNSCR 1533 (2004)",
    "Libya": "UNSCR 1970 (2011)",
    "Somalia": "UNSCR 751 (1992), 2713 (2023)",
    "CAR": "UNSCR 2127 (2013)",
    "Yemen": "UNSCR 2140 (2014)",
    "GB": "UNSCR 2048 (2012)",
    "Haiti": "UNSCR 2653 (2022)",
    "SouthSudan": "UNSCR 2206 (2015)",
    "Sudan": "UNSCR 1591 (2005)",
}

_LISTED_ON = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?$")
_SCRIPT_LABEL = re.compile(r"^(?:original script|in arabic(?: script)?)\s*:\s*", re.IGNORECASE)
_SCRIPT_IN_NOTE = re.compile(r"(?:original script|in\s+arabic(?:\s+script)?)\s*:\s*([^.;()]+)", re.IGNORECASE)
# ", born 1 Jan. 1953" and " - sub-unit name" trail some alias texts: notes, not parts of the name.
_NOTE_SUFFIX = re.compile(r"(?:,\s*born\b.*|\s+[-–]\s+sub-unit name)$", re.IGNORECASE)
_NAME_SEPARATORS = re.compile(r"\s*[;،]\s*")
_NAME_LIKE = re.compile(r"^[‘’'`(]?[^\W\d_][^\d:;]*$")
_MAX_NAME_WORDS = 8
_SPELLINGS_NOTE = "transliterations of original script name"
_ANNOTATIONS = frozenset(
    {
        "previously listed as",
        "formerly listed as",
        "birth name",
        "combat name",
        "nom de guerre",
        "third",
        "original script",
    }
)
_MONTH_YEAR = re.compile(r"^(?P<month>[A-Za-z]+\.?)\s+(?P<year>\d{4})$")
_MONTH_RANGE = re.compile(
    r"^between\s+(?P<first>[A-Za-z]+\.?)\s+and\s+(?P<last>[A-Za-z]+\.?)\s+(?P<year>\d{4})$", re.I
)


def bundled_un_list() -> bytes:
    """Return the UN Consolidated List XML that ships with the package (see ctexchange/data/SOURCES.md)."""
    return resources.files("ctexchange.data").joinpath(BUNDLED_FILE).read_bytes()


def parse_un_list(data: bytes) -> ParsedList:
    """Parse a UN Consolidated List XML document; raise InvalidInput naming the entry and field at fault."""
    root = _document(data)
    records: list[EntityRecord] = []
    seen: set[str] = set()
    for container, tag, schema in SECTIONS:
        for position, element in enumerate(root.iterfind(f"{container}/{tag}"), start=1):
            record = _entry(element, tag, schema, position)
            reference = record.listing.reference
            if reference in seen:
                field = f"{tag}[{reference}].REFERENCE_NUMBER"
                raise InvalidInput(
                    f"'{field}' must be unique in the list (got {reference!r} twice)", field=field
                )
            seen.add(reference)
            records.append(record)
    generated_at = clean_name(root.get("dateGenerated"), f"{ROOT_TAG}.dateGenerated") or None
    return ParsedList(SOURCE, generated_at, tuple(records))


def _document(data: bytes) -> Element:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"'document' must be UTF-8 (invalid byte at offset {exc.start})", field="document"
        ) from None
    try:
        root: Element = defused_fromstring(data, forbid_dtd=True)
    except DTDForbidden as exc:
        raise InvalidInput(
            f"'document' must not contain a DTD (<!DOCTYPE>): {_dtd_risk(data, exc)}", field="document"
        ) from None
    except EntitiesForbidden:
        raise InvalidInput(
            "'document' must not declare entities (entity expansion)", field="document"
        ) from None
    except ExternalReferenceForbidden:
        raise InvalidInput("'document' must not reference external resources", field="document") from None
    except ParseError as exc:
        raise InvalidInput(f"'document' must be well-formed XML ({exc})", field="document") from None
    if root.tag != ROOT_TAG:
        raise InvalidInput.expected("document", f"a {ROOT_TAG} root element", root.tag)
    return root


def _dtd_risk(data: bytes, exc: DTDForbidden) -> str:
    """Say what the refused DTD would have enabled, for the operator reading the error."""
    if re.search(rb"<!ENTITY[^>]*\b(SYSTEM|PUBLIC)\b", data):
        return "it declares external entities (XXE), which are refused"
    if b"<!ENTITY" in data:
        return "it declares entities (entity expansion, 'billion laughs'), which are refused"
    if exc.sysid or exc.pubid:
        return "it loads an external DTD, which is refused"
    return "document type declarations are refused; the UN list has none"


def _text(element: Element, path: str, field: str) -> str:
    return clean_name(element.findtext(path), field)


def _values(element: Element, path: str, field: str) -> list[str]:
    texts = (clean_name(e.text, field) for e in element.iterfind(path))
    return [t for t in texts if not _is_placeholder(t)]


def _is_placeholder(text: str) -> bool:
    return not text or text.casefold() in PLACEHOLDERS


def _entry(element: Element, tag: str, schema: EntitySchema, position: int) -> EntityRecord:
    reference = _text(element, "REFERENCE_NUMBER", f"{tag}[#{position}].REFERENCE_NUMBER")
    if not reference:
        raise InvalidInput.expected(f"{tag}[#{position}].REFERENCE_NUMBER", "a reference number", "")
    label = f"{tag}[{reference}]"
    book = _names(element, tag, label)
    birth_dates, birth_places = _births(element, label)
    nationalities, unmapped = sort_countries(_values(element, "NATIONALITY/VALUE", f"{label}.NATIONALITY"))
    documents, document_unmapped = _documents(element, label)
    record = EntityRecord(
        schema=schema,
        names=tuple(book.names),
        listing=_listing(element, reference, label),
        birth_dates=tuple(dict.fromkeys(birth_dates)),
        birth_places=unique(birth_places),
        nationalities=nationalities,
        unmapped_countries=unique([*unmapped, *document_unmapped]),
        documents=documents,
        addresses=unique(_place(a, _ADDRESS_PARTS) for a in element.iterfind(f"{tag}_ADDRESS")),
        gender=_gender(element, label),
        titles=unique(_values(element, "TITLE/VALUE", f"{label}.TITLE")),
        designations=unique(clean_free_text(e.text) for e in element.iterfind("DESIGNATION/VALUE")),
    )
    return checked(record, label)


def _listing(element: Element, reference: str, label: str) -> Listing:
    program = _text(element, "UN_LIST_TYPE", f"{label}.UN_LIST_TYPE")
    return Listing(
        source=SOURCE,
        reference=reference,
        program=program,
        list_type="; ".join(unique(_values(element, "LIST_TYPE/VALUE", f"{label}.LIST_TYPE"))),
        listed_on=_listed_on(_text(element, "LISTED_ON", f"{label}.LISTED_ON"), f"{label}.LISTED_ON"),
        legal_basis=_legal_basis(program),
        narrative=clean_free_text(element.findtext("COMMENTS1")),
    )


def _legal_basis(program: str) -> str:
    if not program:
        return ""
    return LEGAL_BASES.get(program, f"UN Security Council sanctions regime: {program}")


def _listed_on(text: str, field: str) -> str | None:
    if not text:
        return None
    match = _LISTED_ON.match(text)
    if match is None:
        raise InvalidInput.expected(field, "a date as YYYY-MM-DD", text)
    return check_partial_date(match.group(1), field)


def _gender(element: Element, label: str) -> str | None:
    text = _text(element, "GENDER", f"{label}.GENDER")
    if not text:
        return None
    if text.casefold() not in GENDERS:
        raise InvalidInput.expected(f"{label}.GENDER", "Male or Female", text)
    return GENDERS[text.casefold()]


# Names ---------------------------------------------------------------------------------------------------


def _names(element: Element, tag: str, label: str) -> NameBook:
    book = NameBook()
    parts = [_text(element, part, f"{label}.{part}") for part in NAME_PARTS]
    primary = " ".join(p for p in parts if not _is_placeholder(p))
    for text in _name_parts(
        primary
    ):  # "COMPAGNIE AERIENNE DES GRANDS LACS (CAGL) ; GREAT LAKES BUSINESS ..."
        book.add(text, NameType.PRIMARY, NameQuality.STRONG)
    for original in element.iterfind("NAME_ORIGINAL_SCRIPT"):
        text = clean_name(original.text, f"{label}.NAME_ORIGINAL_SCRIPT")
        type_ = NameType.ALIAS if has_latin(text) else NameType.ORIGINAL_SCRIPT
        book.add(text, type_, NameQuality.STRONG)
    for index, alias in enumerate(element.iterfind(f"{tag}_ALIAS"), start=1):
        _add_alias(alias, book, f"{label}.{tag}_ALIAS[{index}]")
    if not book.names:
        raise InvalidInput.expected(f"{label}.FIRST_NAME", "a name (or an alias)", "")
    return book


def _add_alias(alias: Element, book: NameBook, field: str) -> None:
    name = _text(alias, "ALIAS_NAME", f"{field}.ALIAS_NAME")
    if not name:
        return
    quality = _text(alias, "QUALITY", f"{field}.QUALITY")
    kind = ALIAS_KINDS.get(quality.casefold())
    if kind is None:
        raise InvalidInput.expected(f"{field}.QUALITY", "Good, Low, a.k.a., f.k.a. or empty", quality)
    note = _text(alias, "NOTE", f"{field}.NOTE")
    for text in [*alias_names(name), *note_names(note)]:
        book.add(text, *kind)


def has_latin(text: str) -> bool:
    """Return True if `text` has a letter of the Latin script."""
    return any(char.isalpha() and "LATIN" in unicodedata.name(char, "") for char in text)


def _is_name(text: str) -> bool:
    """A Latin text is a name if it reads like one; another script's if it has letters and no digits."""
    if has_latin(text):
        return (
            bool(_NAME_LIKE.match(text))
            and len(text.split()) <= _MAX_NAME_WORDS
            and text.casefold() not in _ANNOTATIONS
        )
    return any(c.isalpha() for c in text) and not any(c.isdigit() for c in text)


def _split_names(text: str) -> list[str]:
    return [p for p in _NAME_SEPARATORS.split(text) if p]


def alias_names(text: str) -> list[str]:
    """Return the names one ALIAS_NAME holds: itself, or its parts and its bracketed other-script form."""
    text = text.strip(" ,;")
    if text.startswith(")"):  # a stray bracket in the real list: ") Abdelrahman Mouhamad Zafir ..."
        text = text[1:].lstrip()
    extra: list[str] = []
    bracketed = _trailing_bracket(text)
    if bracketed is not None:
        base, inner = bracketed
        inner = _SCRIPT_LABEL.sub("", inner.strip(" ,;"))
        inner_names = [_NOTE_SUFFIX.sub("", _without_annotation(n)) for n in _split_names(inner)]
        is_names = bool(inner_names) and all(_is_name(n) for n in inner_names)
        is_other_script = has_latin(base) != has_latin(inner)
        if is_names and (is_other_script or len(inner_names) > 1):
            extra, text = inner_names, base
        elif is_other_script or _is_annotation(inner):  # a translation, a note, a cross-reference
            text = base
    return [*_name_parts(_NOTE_SUFFIX.sub("", text)), *extra]


def _name_parts(text: str) -> list[str]:
    """Split "A; B" into its names when every part reads as a name; otherwise keep the text whole."""
    parts = _split_names(text)
    return parts if len(parts) > 1 and all(_is_name(p) for p in parts) else [text]


def _trailing_bracket(text: str) -> tuple[str, str] | None:
    """Split "base (inner)" at the bracket that closes the text, nested brackets included."""
    if not text.endswith(")"):
        return None
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[index], 0)
        if depth == 0:
            base = text[:index].strip(" ,;")
            return (base, text[index + 1 : -1]) if base else None
    return None


def _is_annotation(text: str) -> bool:
    return text.strip().casefold() in _ANNOTATIONS or any(c.isdigit() for c in text)


def _without_annotation(text: str) -> str:
    bracketed = _trailing_bracket(text)
    return bracketed[0] if bracketed is not None and _is_annotation(bracketed[1]) else text


def note_names(note: str) -> list[str]:
    """Return the names an alias NOTE adds: its "In Arabic:"/"original script:" forms and spelling lists."""
    if not note:
        return []
    names = [
        n
        for match in _SCRIPT_IN_NOTE.finditer(note)
        for n in _split_names(match.group(1).strip())
        if not has_latin(n)
    ]
    return names + _spelling_list(note)


def _spelling_list(note: str) -> list[str]:
    if _SPELLINGS_NOTE in note.casefold():
        pieces = note.split("(")[0].split(",")
    else:
        pieces = note.split(";")
        if len(pieces) < 2:  # a list has at least two spellings
            return []
        pieces[0] = re.split(r"[(:]", pieces[0])[-1]
        pieces[-1] = pieces[-1].split(")")[0]
    names = [p.strip() for p in pieces]
    return names if all(_is_name(n) for n in names) else []


# Births, places and documents ------------------------------------------------------------------------------

_BIRTH_PLACE_PARTS = ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")
_ADDRESS_PARTS = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
_ALIAS_BIRTH_PLACE_PARTS = ("CITY_OF_BIRTH", "COUNTRY_OF_BIRTH")


def _place(element: Element, parts: tuple[str, ...], *, has_note: bool = True) -> str:
    texts = unique(clean_free_text(element.findtext(part)) for part in parts)
    note = clean_free_text(element.findtext("NOTE")) if has_note else ""
    place = ", ".join(texts)
    if note and place:
        return f"{place} {note if note.startswith('(') else f'({note})'}"
    return place or note


def _births(element: Element, label: str) -> tuple[list[BirthDate], list[str]]:
    dates: list[BirthDate] = []
    for index, dob in enumerate(element.iterfind("INDIVIDUAL_DATE_OF_BIRTH"), start=1):
        date = _birth_date(dob, f"{label}.INDIVIDUAL_DATE_OF_BIRTH[{index}]")
        if date is not None:
            dates.append(date)
    places = [_place(p, _BIRTH_PLACE_PARTS) for p in element.iterfind("INDIVIDUAL_PLACE_OF_BIRTH")]
    # Aliases carry the date and place of birth given with that identity: evidence like the others.
    for index, alias in enumerate(element.iterfind("INDIVIDUAL_ALIAS"), start=1):
        field = f"{label}.INDIVIDUAL_ALIAS[{index}].DATE_OF_BIRTH"
        alias_date = _text(alias, "DATE_OF_BIRTH", field)
        if alias_date:
            dates.append(BirthDate(DateKind.EXACT, check_partial_date(alias_date, field)))
        places.append(
            _place(alias, _ALIAS_BIRTH_PLACE_PARTS, has_note=False)
        )  # an alias NOTE is about the name
    return dates, places


def _birth_date(dob: Element, field: str) -> BirthDate | None:
    kind_text = _text(dob, "TYPE_OF_DATE", f"{field}.TYPE_OF_DATE").upper()
    values = {
        part: _text(dob, part, f"{field}.{part}") for part in ("DATE", "YEAR", "FROM_YEAR", "TO_YEAR", "NOTE")
    }
    if kind_text == "BETWEEN":
        start = check_partial_date(values["FROM_YEAR"], f"{field}.FROM_YEAR")
        end = check_partial_date(values["TO_YEAR"], f"{field}.TO_YEAR")
        if end < start:
            raise InvalidInput.expected(f"{field}.TO_YEAR", f"not before FROM_YEAR {start}", end)
        return BirthDate(DateKind.BETWEEN, start, end)
    if kind_text not in ("EXACT", "APPROXIMATELY", ""):
        raise InvalidInput.expected(f"{field}.TYPE_OF_DATE", "EXACT, APPROXIMATELY or BETWEEN", kind_text)
    kind = DateKind.APPROXIMATE if kind_text == "APPROXIMATELY" else DateKind.EXACT
    note = values["NOTE"]
    if values["DATE"]:
        return BirthDate(kind, check_partial_date(values["DATE"], f"{field}.DATE"))
    if values["YEAR"]:
        month = month_number(note) if note else None
        return BirthDate(kind, partial_date(values["YEAR"], month, field_name=f"{field}.YEAR"))
    return _date_in_note(note, kind, f"{field}.NOTE")


def _date_in_note(note: str, kind: DateKind, field: str) -> BirthDate | None:
    """Read "Nov. 1973" or "Between Aug. and Sep. 1977"; other notes (Hijri dates, ages) give no date."""
    single = _MONTH_YEAR.match(note)
    if single and (month := month_number(single["month"])):
        return BirthDate(kind, partial_date(single["year"], month, field_name=field))
    span = _MONTH_RANGE.match(note)
    if span and (first := month_number(span["first"])) and (last := month_number(span["last"])):
        start = partial_date(span["year"], first, field_name=field)
        return BirthDate(DateKind.BETWEEN, start, partial_date(span["year"], last, field_name=field))
    return None


def _documents(element: Element, label: str) -> tuple[tuple[IdentityDocument, ...], list[str]]:
    documents: dict[tuple[str, str], IdentityDocument] = {}
    unmapped: list[str] = []
    for index, doc in enumerate(element.iterfind("INDIVIDUAL_DOCUMENT"), start=1):
        field = f"{label}.INDIVIDUAL_DOCUMENT[{index}]"
        number = _text(doc, "NUMBER", f"{field}.NUMBER")
        if not number:
            continue
        country_text = clean_free_text(doc.findtext("ISSUING_COUNTRY") or doc.findtext("COUNTRY_OF_ISSUE"))
        country = country_code(country_text) if country_text else None
        if country_text and country is None:
            unmapped.append(country_text)
        type_ = clean_free_text(doc.findtext("TYPE_OF_DOCUMENT")) or "other"
        documents.setdefault((type_, number), IdentityDocument(type_, number, country, _document_note(doc)))
    return tuple(documents.values()), unmapped


def _document_note(doc: Element) -> str:
    issued_on = clean_free_text(doc.findtext("DATE_OF_ISSUE"))
    issued_in = clean_free_text(doc.findtext("CITY_OF_ISSUE"))
    parts = [
        clean_free_text(doc.findtext("TYPE_OF_DOCUMENT2")),
        clean_free_text(doc.findtext("NOTE")),
        f"issued on {issued_on}" if issued_on else "",
        f"issued in {issued_in}" if issued_in else "",
    ]
    return "; ".join(p for p in parts if p)
