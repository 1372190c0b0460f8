"""Collections (banks), signals and opinions.

A signal is one thing to match against: a content fingerprint or a designated entity. Its `value` is the
canonical form produced by its kind (see `ctexchange.domain.kinds`); its `value_key` is the short exact key
the kind derives from it, unique within a collection, used for de-duplication and exact lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from ctexchange.domain.choices import Choice
from ctexchange.domain.markings import Marking
from ctexchange.errors import InvalidTransition

JsonValue = Any


class Family(StrEnum):
    """The two families of signals."""

    CONTENT = "content"
    ENTITY = "entity"


class SignalStatus(Choice):
    """The life of a signal. Only `active` and `disputed` signals produce matches."""

    ACTIVE = "active"
    DISPUTED = "disputed"
    EXPIRED = "expired"
    DELISTED = "delisted"


STATUS_MOVES: dict[SignalStatus, frozenset[SignalStatus]] = {
    SignalStatus.ACTIVE: frozenset({SignalStatus.DISPUTED, SignalStatus.EXPIRED, SignalStatus.DELISTED}),
    SignalStatus.DISPUTED: frozenset({SignalStatus.ACTIVE, SignalStatus.EXPIRED, SignalStatus.DELISTED}),
    SignalStatus.EXPIRED: frozenset({SignalStatus.ACTIVE}),
    SignalStatus.DELISTED: frozenset({SignalStatus.ACTIVE}),
}


def check_status_move(current: SignalStatus, target: SignalStatus) -> None:
    """Raise InvalidTransition unless a signal may move from `current` to `target`."""
    if target not in STATUS_MOVES[current]:
        allowed = ", ".join(sorted(s.value for s in STATUS_MOVES[current]))
        raise InvalidTransition(
            f"a signal cannot move from '{current.value}' to '{target.value}'"
            f" (from '{current.value}' it may move to: {allowed})",
            field="status",
        )


class Verdict(Choice):
    """What an organization thinks of a signal it can see."""

    AGREE = "agree"
    DISAGREE = "disagree"
    FALSE_POSITIVE = "false_positive"

    @classmethod
    def canonical(cls, text: str) -> str:
        """ "false-positive" and "false positive" are typed as often as the value itself."""
        return text.strip().lower().replace("-", "_").replace(" ", "_")


LABELS = (
    "propaganda",
    "recruitment",
    "incitement",
    "instruction",
    "financing",
    "attacker-manifesto",
    "attack-footage",
    "threat",
)
"""The content-behaviour taxonomy (after GIFCT's practice). Other labels must be namespaced `ns:value`."""


class HitPolicy(Choice):
    """What a caller learns when its lookup hits a signal of this collection that it may not see.

    `hide`: nothing at all (the default; the owner still gets a sighting). `notify`: that a restricted
    signal matched and which organization to contact, never the signal, its id or its labels.
    """

    HIDE = "hide"
    NOTIFY = "notify"


class SightingPolicy(Choice):
    """What the owner of a signal learns of the organizations whose lookups matched it.

    `named`: which organization matched (the default). `anonymised`: that an organization matched, shown
    as a pseudonym stable for one signal (`member-1`, `member-2`, ... in order of first sighting), never
    its id, its user or key, nor its request.
    """

    NAMED = "named"
    ANONYMISED = "anonymised"


class BankPurpose(Choice):
    """What a bank holds: content to act on, or known benign content that must never produce a hit.

    A lookup that hits a `negative` bank (news footage, counter-speech) returns no hit at all for that
    item, whatever positive banks it also hits: the item is known to be benign.
    """

    POSITIVE = "positive"
    NEGATIVE = "negative"


@dataclass(frozen=True)
class Collection:
    """A bank of signals owned by one organization.

    `requires_review`: matches that service keys (upload pipelines) make against it open a review case.
    """

    id: UUID
    name: str
    org_id: UUID
    default_marking: Marking
    sharing_group_id: UUID | None
    description: str
    kind_settings: Mapping[str, Mapping[str, JsonValue]]
    created_at: datetime
    hit_policy: HitPolicy = HitPolicy.HIDE
    purpose: BankPurpose = BankPurpose.POSITIVE
    requires_review: bool = False
    sighting_policy: SightingPolicy = SightingPolicy.NAMED


@dataclass(frozen=True)
class Provenance:
    """Where a signal came from: who added it, through what, from which import or document."""

    added_by: str
    source: str
    source_ref: str | None = None


@dataclass(frozen=True)
class Signal:
    """One thing to match against, with its marking, owner, provenance and status."""

    id: UUID
    collection_id: UUID
    org_id: UUID
    family: Family
    kind: str
    value: JsonValue
    value_key: str
    labels: frozenset[str]
    marking: Marking
    sharing_group_id: UUID | None
    status: SignalStatus
    provenance: Provenance
    created_at: datetime
    updated_at: datetime
    external_id: str | None = None
    recipient_ids: frozenset[UUID] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SignalVersion:
    """An earlier value of a signal and the time it held (a list entry before an update)."""

    signal_id: UUID
    version: int
    value: JsonValue
    status: SignalStatus
    valid_from: datetime
    valid_to: datetime


@dataclass(frozen=True)
class Opinion:
    """One organization's view of a signal; an organization holds one opinion per signal."""

    signal_id: UUID
    org_id: UUID
    user_id: UUID | None
    verdict: Verdict
    note: str
    created_at: datetime
