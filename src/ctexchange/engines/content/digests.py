"""Cryptographic digests of whole files (`md5`, `sha256`): exact matching of byte-identical content.

The canonical value is lowercase hex; uppercase and surrounding whitespace are accepted on input because
that is how other tools print them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ctexchange.domain.kinds import KindValue
from ctexchange.domain.signals import Family, JsonValue
from ctexchange.errors import InvalidInput

_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class DigestKind:
    """A kind whose value is a hex digest of `hex_chars` characters."""

    name: str
    hex_chars: int
    family: Family = Family.CONTENT

    def validate(self, raw: JsonValue, field: str) -> KindValue:
        """Return the lowercase hex digest; raise InvalidInput for anything else."""
        text = raw.strip().lower() if isinstance(raw, str) else None
        if text is None or len(text) != self.hex_chars or not _HEX.match(text):
            raise InvalidInput.expected(field, f"a {self.name} digest of {self.hex_chars} hex digits", raw)
        return KindValue(text, text)

    def validate_settings(self, raw: Mapping[str, JsonValue], field: str) -> dict[str, JsonValue]:
        """Digests have no settings; any key given is an error."""
        if raw:
            raise InvalidInput.expected(field, f"no settings for kind {self.name}", dict(raw))
        return {}

    def digest(self, data: bytes) -> str:
        """Return the digest of `data` as lowercase hex."""
        return hashlib.new(self.name, data, usedforsecurity=False).hexdigest()
