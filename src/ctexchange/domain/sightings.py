"""Sightings: the fact that organization X matched signal S at time T.

The owner of a signal always learns of its sightings, whether or not the organization that matched may
see the signal (DESIGN.md: a hidden hit reveals nothing to the caller, the owner gets a sighting).
`is_visible` records which of the two it was, so that an owner can tell "a partner that shares this bank
matched" from "a platform that cannot see this signal uploaded something that matches it".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class Sighting:
    """One hit of one lookup on one signal."""

    id: UUID
    signal_id: UUID
    signal_org_id: UUID
    org_id: UUID
    actor: str
    kind: str
    match_type: str
    distance: float
    is_visible: bool
    request_id: str
    at: datetime
