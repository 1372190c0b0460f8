"""The audit log's events and its hash chain.

Each event stores the hash of the one before it, and its own hash covers every field, its sequence number
and that link. Editing an event changes its hash; deleting one leaves a gap in the sequence or a broken
link; moving one breaks the links around it. `verify_chain` walks the events in sequence order and names
the first that fails.

Limit, stated plainly: someone who can write the database and recompute every hash after the event they
edit can forge a consistent chain. The head hash printed by `ctx audit verify` is the anchor to record
elsewhere (a ticket, a signed e-mail, a peer's log): a later verify with `--anchor SEQ:HASH` proves the
chain up to there is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """An event to append: who did what to which object, in which request."""

    actor: str
    org_id: UUID | None
    action: str
    object_type: str
    object_id: str | None
    request_id: str
    object_org_id: UUID | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEvent:
    """A recorded event with its place in the chain."""

    seq: int
    id: UUID
    at: datetime
    entry: AuditEntry
    prev_hash: str
    hash: str


def event_digest(seq: int, event_id: UUID, at: datetime, entry: AuditEntry, prev_hash: str) -> str:
    """Return the SHA-256 of the canonical JSON of an event's fields and its link to the previous one."""
    body = {
        "seq": seq,
        "id": str(event_id),
        "at": at.isoformat(),
        "actor": entry.actor,
        "org_id": None if entry.org_id is None else str(entry.org_id),
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_org_id": None if entry.object_org_id is None else str(entry.object_org_id),
        "request_id": entry.request_id,
        "details": entry.details,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a verification: how many events were checked and the first problem, if any."""

    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    bad_id: UUID | None = None
    problem: str | None = None

    @property
    def is_intact(self) -> bool:
        """True when no event failed."""
        return self.problem is None


def _fault(event: AuditEvent, expected_seq: int, prev_hash: str, hashes: set[str]) -> tuple[int, str] | None:
    """Return (seq of the first bad event, what is wrong) at this place in the chain, or None."""
    if event.seq > expected_seq:
        gap = str(expected_seq) if event.seq == expected_seq + 1 else f"{expected_seq}-{event.seq - 1}"
        return expected_seq, f"deleted: event {gap} is missing (the next event found is {event.seq})"
    if event.seq < expected_seq:
        return event.seq, f"reordered: event {event.seq} appears after event {expected_seq - 1}"
    if event.prev_hash != prev_hash:
        if event.prev_hash in hashes:
            return event.seq, f"reordered: event {event.seq} links to an earlier event, not to the one before"
        return event.seq, f"deleted or reordered: event {event.seq} does not link to event {event.seq - 1}"
    if event_digest(event.seq, event.id, event.at, event.entry, event.prev_hash) != event.hash:
        return event.seq, f"edited: event {event.seq} does not match its hash"
    return None


def verify_chain(events: Iterable[AuditEvent], anchor: tuple[int, str] | None = None) -> ChainReport:
    """Check `events` (in sequence order) from the genesis; return the first fault found, if any.

    `anchor` is an optional (seq, hash) recorded earlier: the event with that seq must still have it.
    """
    expected_seq, prev_hash, seen = 1, GENESIS_HASH, set[str]()
    for event in events:
        fault = _fault(event, expected_seq, prev_hash, seen)
        if fault is None and anchor is not None and anchor[0] == event.seq and anchor[1] != event.hash:
            fault = event.seq, f"anchor: event {event.seq} no longer has the recorded hash"
        if fault is not None:
            bad_id = event.id if fault[0] == event.seq else None
            return ChainReport(expected_seq - 1, expected_seq - 1, prev_hash, fault[0], bad_id, fault[1])
        seen.add(event.hash)
        expected_seq, prev_hash = event.seq + 1, event.hash
    if anchor is not None and anchor[0] >= expected_seq:
        problem = f"deleted: anchor event {anchor[0]} is missing (the log ends at {expected_seq - 1})"
        return ChainReport(expected_seq - 1, expected_seq - 1, prev_hash, anchor[0], None, problem)
    return ChainReport(expected_seq - 1, expected_seq - 1, prev_hash)
