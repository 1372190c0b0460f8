"""What every list parser returns, and the text rules they share.

A parser turns one whole list file (bytes; the caller caps the size) into a `ParsedList` of
`EntityRecord`s, or raises `InvalidInput` naming the entry and the field ("INDIVIDUAL[QDi.123].GENDER",
"line 12: birthDate"). Nothing here touches a store.

Decisions:
- Names and identifiers are evidence: they are NFC-normalised, whitespace runs become one space, and a
  control, bidi or zero-width character inside one is refused, naming the entry and the field. ZWNJ and
  ZWJ (U+200C, U+200D) are the exception when they sit between two letters of a script that uses them
  (Arabic-script Persian, Kurdish and Urdu; the Indic scripts): there they are spelling, and they are kept
  as written; folding them for matching is the name engine's business. Anywhere else (inside Latin or
  Cyrillic, at an edge) they are refused like any hidden character.
- Free text (narratives, addresses, notes) is display text: whitespace controls become spaces and other
  hidden characters are dropped, so one stray zero-width space in a 3,000-character narrative does not
  reject a whole list, and a bidi override cannot reorder what an analyst reads.
- Names are de-duplicated case-insensitively, keeping the first: parsers add the strongest first.
- Every record is rebuilt through `EntityRecord.from_json(record.to_json())`, so what a parser returns
  is exactly what the store will read back.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from ctexchange.domain.entities import EntityName, EntityRecord, NameQuality, NameType
from ctexchange.domain.text import find_hidden_char
from ctexchange.errors import InvalidInput

JOINERS = frozenset("\u200c\u200d")
# Scripts whose orthography uses ZWNJ/ZWJ, by the first word of the Unicode character name.
JOINING_SCRIPTS = (
    "ARABIC",
    "SYRIAC",
    "DEVANAGARI",
    "BENGALI",
    "GURMUKHI",
    "GUJARATI",
    "ORIYA",
    "TAMIL",
    "TELUGU",
    "KANNADA",
    "MALAYALAM",
    "SINHALA",
)
_ASCII_HIDDEN = dict.fromkeys([*range(0x09), *range(0x0E, 0x1C), 0x7F])  # controls that are not spaces
_STAND_IN = "a"  # a plain letter put in place of a legitimate joiner while looking for hidden characters


@dataclass(frozen=True)
class ParsedList:
    """The records of one list file, with the source's name and its generation time if it gives one."""

    source: str
    generated_at: str | None
    records: tuple[EntityRecord, ...]


def _is_script_letter(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM" and unicodedata.name(char, "").startswith(JOINING_SCRIPTS)


def _joiner_in_context(text: str, index: int) -> bool:
    return (
        0 < index < len(text) - 1
        and _is_script_letter(text[index - 1])
        and _is_script_letter(text[index + 1])
    )


def hidden_char_in_name(text: str) -> str | None:
    """Describe the first hidden character in a name (tabs and newlines allowed), or return None.

    ZWNJ/ZWJ between two letters of a script that uses them are spelling, not hidden characters.
    """
    masked = "".join(
        _STAND_IN if char in JOINERS and _joiner_in_context(text, i) else char for i, char in enumerate(text)
    )
    return find_hidden_char(masked, allow_newlines=True)


def clean_name(raw: str | None, field_name: str) -> str:
    """Return a name or identifier NFC-normalised on one line ("" if empty); refuse hidden characters."""
    text = unicodedata.normalize("NFC", raw or "")
    problem = hidden_char_in_name(text)
    if problem is not None:
        raise InvalidInput(
            f"'{field_name}' must not contain hidden characters (found {problem})", field=field_name
        )
    return " ".join(text.split())


def clean_free_text(raw: str | None) -> str:
    """Return display text NFC-normalised on one line, with hidden characters dropped."""
    text = unicodedata.normalize("NFC", raw or "")
    if text.isascii():  # the common case (all of OFAC's file), without a lookup per character
        text = text.translate(_ASCII_HIDDEN)
    else:
        text = "".join(char for char in text if char.isspace() or find_hidden_char(char) is None)
    return " ".join(text.split())


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Return the non-empty values once each, in first-seen order."""
    return tuple(dict.fromkeys(v for v in values if v))


@dataclass
class NameBook:
    """The names of one entry, collected strongest first and kept once each (case-insensitively)."""

    names: list[EntityName] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, init=False, repr=False)

    def add(self, text: str, type_: NameType, quality: NameQuality) -> None:
        """Add a cleaned name unless it is empty or already present."""
        key = text.casefold()
        if text and key not in self._seen:
            self._seen.add(key)
            self.names.append(EntityName(text, type_, quality))


def checked(record: EntityRecord, label: str) -> EntityRecord:
    """Return `record` as the store reads it back; raise InvalidInput naming the entry if it is invalid."""
    return EntityRecord.from_json(record.to_json(), label)
