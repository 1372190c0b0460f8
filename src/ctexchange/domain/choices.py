"""Enumerations that people type: one parser for all of them.

Every enum a caller can name (roles, markings, statuses, verdicts, organization kinds) parses the same
way: the canonical spelling after a per-enum normalisation, or InvalidInput naming the field and every
valid choice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from ctexchange.errors import InvalidInput


class Choice(StrEnum):
    """A StrEnum that parses what people type; subclasses may override `canonical`."""

    @classmethod
    def canonical(cls, text: str) -> str:
        """Return `text` in the spelling the values use (by default: trimmed, lowercase)."""
        return text.strip().lower()

    @classmethod
    def parse(cls, raw: object, field: str) -> Self:
        """Return the member named by `raw`; raise InvalidInput naming `field` and the choices."""
        if isinstance(raw, cls):
            return raw
        if isinstance(raw, str):
            text = cls.canonical(raw)
            for member in cls:
                if member.value == text:
                    return member
        raise InvalidInput.expected(field, f"one of {', '.join(m.value for m in cls)}", raw)
