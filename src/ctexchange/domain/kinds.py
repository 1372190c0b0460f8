"""The registry of signal kinds.

Engines register kinds (`md5`, `pdq`, `text`, `person`...). A kind brings its own validation: it turns
what a caller sent into the canonical value that is stored and the short exact key used for
de-duplication, and it checks the per-kind settings a collection may carry (a PDQ distance threshold, a
text similarity). The service refuses any kind that is not registered, so a new engine needs no change to
the store or the API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from ctexchange.domain.signals import Family, JsonValue
from ctexchange.errors import InvalidInput


@dataclass(frozen=True)
class KindValue:
    """A validated signal value: the canonical `value` and its exact `key` (at most 512 characters)."""

    value: JsonValue
    key: str


class Kind(Protocol):
    """What an engine registers for each kind of signal it handles."""

    @property
    def name(self) -> str:
        """The kind's name as used in the API (`md5`, `pdq`, `person`...)."""
        ...

    @property
    def family(self) -> Family:
        """The family the kind belongs to."""
        ...

    def validate(self, raw: JsonValue, field: str) -> KindValue:
        """Return the canonical value and key for `raw`; raise InvalidInput naming `field`."""
        ...

    def validate_settings(self, raw: Mapping[str, JsonValue], field: str) -> dict[str, JsonValue]:
        """Return the collection settings for this kind with defaults filled in; raise InvalidInput."""
        ...


class KindRegistry:
    """The kinds this instance understands, by name."""

    def __init__(self) -> None:
        self._kinds: dict[str, Kind] = {}

    def register(self, kind: Kind) -> None:
        """Add `kind`; registering a second kind under the same name is a programming error."""
        if kind.name in self._kinds:
            raise ValueError(f"kind {kind.name!r} is registered twice")
        self._kinds[kind.name] = kind

    def get(self, name: object, field: str = "kind") -> Kind:
        """Return the kind called `name`; raise InvalidInput listing the known kinds."""
        if isinstance(name, str) and name in self._kinds:
            return self._kinds[name]
        raise InvalidInput.expected(field, f"one of {', '.join(sorted(self._kinds))}", name)

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._kinds.values())

    def __contains__(self, name: object) -> bool:
        return name in self._kinds
