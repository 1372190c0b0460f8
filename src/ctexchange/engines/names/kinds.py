"""The `person` and `organization` kinds: designated entities as signals.

The stored value is the entity's JSON form (`EntityRecord.to_json`), validated field by field; the
exact key is the listing reference (UN `QDi.001`, an OFAC id), unique within a collection, so a list
imported twice updates its entries instead of doubling them. A collection of entities may set the
score at which a screening result counts as a match (`threshold`, default 0.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ctexchange.domain.entities import EntityRecord, EntitySchema
from ctexchange.domain.kinds import KindValue
from ctexchange.domain.signals import Family, JsonValue
from ctexchange.engines.names.score import DEFAULT_THRESHOLD
from ctexchange.errors import InvalidInput

MAX_KEY_CHARS = 512


@dataclass(frozen=True)
class EntityKind:
    """A kind whose value is a designated entity of one schema."""

    name: str
    schema: EntitySchema
    family: Family = Family.ENTITY

    def validate(self, raw: JsonValue, field: str) -> KindValue:
        """Return the entity's canonical JSON and listing reference; raise InvalidInput naming the field."""
        record = EntityRecord.from_json(raw, field)
        if record.schema is not self.schema:
            raise InvalidInput.expected(
                f"{field}.schema", f"{self.schema.value} for kind {self.name}", record.schema.value
            )
        key = record.listing.reference
        if len(key) > MAX_KEY_CHARS:
            raise InvalidInput.expected(
                f"{field}.listing.reference", f"at most {MAX_KEY_CHARS} characters", record.listing.reference
            )
        return KindValue(record.to_json(), key=key)

    def validate_settings(self, raw: Mapping[str, JsonValue], field: str) -> dict[str, JsonValue]:
        """Accept `{"threshold": number in (0, 1]}`; the threshold defaults to 0.7."""
        unknown = sorted(set(raw) - {"threshold"})
        if unknown:
            raise InvalidInput.expected(field, f"only 'threshold' for kind {self.name}", unknown)
        threshold = raw.get("threshold", DEFAULT_THRESHOLD)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
            raise InvalidInput.expected(f"{field}.threshold", "a number in (0, 1]", threshold)
        return {"threshold": float(threshold)}


ENTITY_KINDS = (
    EntityKind("person", EntitySchema.PERSON),
    EntityKind("organization", EntitySchema.ORGANIZATION),
)
