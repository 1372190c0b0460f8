"""Who may see what: the TLP 2.0 rules of DESIGN.md, in one place.

| marking      | visible to                                                          |
|--------------|---------------------------------------------------------------------|
| CLEAR        | everyone, exports included                                          |
| GREEN        | every member organization of this exchange                          |
| AMBER        | the owner and the organizations of the signal's sharing group       |
| AMBER+STRICT | as AMBER, and never exported or forwarded beyond those organizations |
| RED          | the owner and the named recipient users only                        |

Decisions written down here because every read path depends on them:
- "The owner" is the owning organization: all its users may see its signals, whatever the marking.
- RED recipients are users, so a RED signal is visible to a named user and not to that user's colleagues.
- An export (a file or feed that leaves the exchange) carries CLEAR, GREEN and AMBER signals to those who
  may see them; AMBER+STRICT and RED signals are exported only to their owner, since an export is exactly
  the forwarding those markings forbid.
- Collections follow the same rule through their default marking (RED collection: owner only).

These predicates are the reference. The store filters lists, counts and searches in SQL with the same
rule (`ctexchange.store.sql.visibility`); the contract suite checks the two agree on every combination.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from uuid import UUID

from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Principal
from ctexchange.domain.signals import Collection, Signal


@dataclass(frozen=True)
class Audience:
    """What the store needs to filter rows for one caller: organization, user and groups."""

    org_id: UUID
    user_id: UUID | None
    group_ids: frozenset[UUID]


def audience_of(principal: Principal) -> Audience:
    """Return the audience a principal belongs to."""
    return Audience(principal.org_id, principal.user_id, principal.group_ids)


def may_see(
    audience: Audience,
    *,
    marking: Marking,
    owner_org_id: UUID,
    sharing_group_id: UUID | None,
    recipient_ids: Set[UUID] = frozenset(),
) -> bool:
    """Return True when `audience` may see an object with this marking, owner, group and recipients."""
    if audience.org_id == owner_org_id or marking in (Marking.CLEAR, Marking.GREEN):
        return True
    if marking.is_group_limited:
        return sharing_group_id is not None and sharing_group_id in audience.group_ids
    return audience.user_id is not None and audience.user_id in recipient_ids


def can_see_signal(principal: Principal, signal: Signal) -> bool:
    """Return True when `principal` may see `signal`."""
    return may_see(
        audience_of(principal),
        marking=signal.marking,
        owner_org_id=signal.org_id,
        sharing_group_id=signal.sharing_group_id,
        recipient_ids=signal.recipient_ids,
    )


def can_export_signal(principal: Principal, signal: Signal) -> bool:
    """Return True when `signal` may leave the exchange in an export made for `principal`."""
    if not can_see_signal(principal, signal):
        return False
    forwardable = signal.marking not in (Marking.AMBER_STRICT, Marking.RED)
    return forwardable or principal.org_id == signal.org_id


def can_see_collection(principal: Principal, collection: Collection) -> bool:
    """Return True when `principal` may see `collection` (its name, settings and existence)."""
    return may_see(
        audience_of(principal),
        marking=collection.default_marking,
        owner_org_id=collection.org_id,
        sharing_group_id=collection.sharing_group_id,
    )
