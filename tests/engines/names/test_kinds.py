"""The person and organization kinds: validation, key and settings."""

from __future__ import annotations

from typing import Any

import pytest

from ctexchange.domain.entities import EntitySchema
from ctexchange.domain.kinds import KindRegistry
from ctexchange.domain.signals import Family
from ctexchange.engines.names.kinds import ENTITY_KINDS, EntityKind
from ctexchange.errors import InvalidInput

PERSON_KIND, ORGANIZATION_KIND = ENTITY_KINDS


def _raw(schema: str = "Person") -> dict[str, Any]:
    return {
        "schema": schema,
        "names": [{"text": "AYMAN AL-ZAWAHIRI"}, {"text": "أيمن الظواهري", "type": "original_script"}],
        "listing": {"source": "UN", "reference": "QDi.006"},
        "birth_dates": [{"kind": "exact", "start": "1951-06-19"}],
    }


def test_kinds() -> None:
    """Two kinds of the entity family, person and organization, registrable side by side."""
    assert [(k.name, k.schema, k.family) for k in ENTITY_KINDS] == [
        ("person", EntitySchema.PERSON, Family.ENTITY),
        ("organization", EntitySchema.ORGANIZATION, Family.ENTITY),
    ]
    registry = KindRegistry()
    for kind in ENTITY_KINDS:
        registry.register(kind)
    assert "person" in registry


def test_validate_returns_the_canonical_record_and_its_reference() -> None:
    """The value is the record's JSON form (defaults filled in); the key is the listing reference."""
    value = PERSON_KIND.validate(_raw(), "value")
    assert value.key == "QDi.006"
    assert value.value["names"][1] == {
        "text": "أيمن الظواهري",
        "type": "original_script",
        "quality": "strong",
    }
    assert PERSON_KIND.validate(value.value, "value") == value


def test_validate_refuses_the_other_schema() -> None:
    """A person kind refuses an organization record, naming the schema field."""
    with pytest.raises(InvalidInput) as info:
        PERSON_KIND.validate(_raw("Organization"), "value")
    assert info.value.field == "value.schema"
    assert ORGANIZATION_KIND.validate(_raw("Company"), "value").key == "QDi.006"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("AYMAN", "value"),
        ({**_raw(), "names": []}, "value.names"),
        ({**_raw(), "birth_dates": [{"kind": "exact", "start": "1951-13-01"}]}, "value.birth_dates[0].start"),
    ],
)
def test_validate_refuses_invalid_records(raw: object, field: str) -> None:
    """Invalid records are refused with the field that broke a rule."""
    with pytest.raises(InvalidInput) as info:
        PERSON_KIND.validate(raw, "value")
    assert info.value.field == field


def test_settings() -> None:
    """The threshold defaults to 0.7 and must be a number in (0, 1]; no other setting exists."""
    kind = EntityKind("person", EntitySchema.PERSON)
    assert kind.validate_settings({}, "settings") == {"threshold": 0.7}
    assert kind.validate_settings({"threshold": 1}, "settings") == {"threshold": 1.0}
    for bad in (0, 1.5, -0.1, "0.8", True, None):
        with pytest.raises(InvalidInput) as info:
            kind.validate_settings({"threshold": bad}, "settings")
        assert info.value.field == "settings.threshold"
    with pytest.raises(InvalidInput, match="only 'threshold'"):
        kind.validate_settings({"distance": 3}, "settings")
