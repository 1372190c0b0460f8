"""Checks for the short texts people give names to: organizations, users, collections, labels, notes.

Hostile text is refused before it reaches the store: invalid code points, control characters, and the
invisible bidi and zero-width characters that make one name look like another (the "Trojan Source"
family). Letters of every script are welcome. Values are NFC-normalised so that the same name typed on two
keyboards is the same name.
"""

from __future__ import annotations

import re
import unicodedata

from ctexchange.errors import InvalidInput, PayloadTooLarge

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
NAME_PATTERN = re.compile(r"^[^\s/][^/]*$")


def find_hidden_char(text: str, *, allow_newlines: bool = False) -> str | None:
    """Return a description of the first control, bidi, zero-width or surrogate character, or None."""
    for index, char in enumerate(text):
        if allow_newlines and char in "\n\t":
            continue
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS:
            return f"bidi control U+{ord(char):04X} at position {index}"
        if char in ZERO_WIDTH:
            return f"zero-width character U+{ord(char):04X} at position {index}"
        if category in ("Cc", "Cs", "Co", "Cn"):
            return f"control or unassigned character U+{ord(char):04X} at position {index}"
    return None


def clean_text(
    raw: object, field: str, *, max_chars: int, allow_empty: bool = False, multiline: bool = False
) -> str:
    """Return `raw` NFC-normalised and stripped; raise InvalidInput for hidden characters or bad size."""
    if not isinstance(raw, str):
        raise InvalidInput.expected(field, "a string", raw)
    text = unicodedata.normalize("NFC", raw).strip()
    if len(text) > max_chars:
        raise PayloadTooLarge(
            f"'{field}' must be at most {max_chars} characters (got {len(text)})", field=field
        )
    if not text and not allow_empty:
        raise InvalidInput.expected(field, "a non-empty string", raw)
    problem = find_hidden_char(text, allow_newlines=multiline)
    if problem is not None:
        raise InvalidInput(f"'{field}' must not contain hidden characters (found {problem})", field=field)
    return text


def clean_name(raw: object, field: str = "name", *, max_chars: int = 120) -> str:
    """Return a valid object name: one line, no '/', not starting with a space (used in ORG/NAME refs)."""
    text = clean_text(raw, field, max_chars=max_chars)
    if not NAME_PATTERN.match(text) or "\n" in text:
        raise InvalidInput.expected(field, "a one-line name without '/'", raw)
    return text
