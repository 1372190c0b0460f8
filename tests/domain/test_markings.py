"""TLP markings parse from the forms people type and refuse anything else with a precise message."""

from __future__ import annotations

import pytest

from ctexchange.domain.markings import Marking
from ctexchange.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CLEAR", Marking.CLEAR),
        ("green", Marking.GREEN),
        ("TLP:AMBER", Marking.AMBER),
        ("amber+strict", Marking.AMBER_STRICT),
        (" tlp:red ", Marking.RED),
    ],
)
def test_parse_accepts_common_spellings(raw: str, expected: Marking) -> None:
    """Case, a TLP: prefix and surrounding spaces do not matter."""
    assert Marking.parse(raw, "marking") is expected


@pytest.mark.parametrize("raw", ["WHITE", "amber-strict", "", 3, None])
def test_parse_rejects_others_naming_the_choices(raw: object) -> None:
    """TLP 1.0's WHITE and anything else are refused, naming the field and every valid marking."""
    with pytest.raises(InvalidInput) as info:
        Marking.parse(raw, "marking")
    assert info.value.field == "marking"
    assert "CLEAR, GREEN, AMBER, AMBER+STRICT, RED" in info.value.message
    assert "got" in info.value.message


def test_sensitive_markings() -> None:
    """AMBER, AMBER+STRICT and RED are the markings whose reads are audited."""
    assert {m for m in Marking if m.is_sensitive} == {Marking.AMBER, Marking.AMBER_STRICT, Marking.RED}
