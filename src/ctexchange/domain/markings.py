"""TLP 2.0 markings.

The five markings of FIRST's Traffic Light Protocol 2.0. Who may see what is decided in
`ctexchange.domain.access`; this module only names and parses them. Parsing accepts the forms people
type ("amber+strict", "TLP:RED") so that the CLI and the API agree on one canonical value.
"""

from __future__ import annotations

from ctexchange.domain.choices import Choice


class Marking(Choice):
    """A TLP 2.0 marking, from the most to the least shareable."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @classmethod
    def canonical(cls, text: str) -> str:
        """Markings are uppercase and may come with the `TLP:` prefix."""
        return text.strip().upper().removeprefix("TLP:")

    @property
    def is_group_limited(self) -> bool:
        """True for AMBER and AMBER+STRICT, whose audience is the owner and the sharing group."""
        return self in (Marking.AMBER, Marking.AMBER_STRICT)

    @property
    def is_sensitive(self) -> bool:
        """True for markings whose every read is written to the audit log (AMBER, AMBER+STRICT, RED)."""
        return self in (Marking.AMBER, Marking.AMBER_STRICT, Marking.RED)
