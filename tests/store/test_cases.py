"""The case repository behaves the same on SQLite and PostgreSQL (each test runs on both backends)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from ctexchange.domain.cases import (
    Case,
    CaseAction,
    CaseAudience,
    CaseDecision,
    CaseHit,
    CaseMove,
    CaseQuery,
    CaseStatus,
    Evidence,
    may_see_case,
)
from ctexchange.domain.queries import PageRequest
from ctexchange.domain.sightings import Sighting
from ctexchange.domain.signals import Signal
from ctexchange.store.base import SqlStore
from tests.store import factories as f

S = CaseStatus


def make_case(org_id: UUID, n: int = 0, **changes: Any) -> Case:
    """The n-th open case of an organization, opened n seconds after T0."""
    at = f.T0 + timedelta(seconds=n)
    return replace(Case(uuid4(), org_id, f"item-{n}", S.OPEN, "key:abc", at, at), **changes)


@pytest.fixture
def world(store: SqlStore) -> tuple[UUID, UUID, Signal, Signal]:
    """Two organizations (a platform and another) and two signals of the other's bank."""
    platform, other = f.org("platform"), f.org("other")
    coll = f.collection(other.id, "bank")
    first, second = f.signal(coll, 1), f.signal(coll, 2)
    with store.transaction() as uow:
        uow.members.add_org(platform)
        uow.members.add_org(other)
        uow.collections.add(coll)
        uow.signals.add(first)
        uow.signals.add(second)
    return platform.id, other.id, first, second


def hit(case: Case, signal: Signal, item: str | None = "item-0") -> CaseHit:
    """A hit of `signal` on `item` held by `case`."""
    return CaseHit(
        case.id,
        0,
        item,
        signal.id,
        signal.collection_id,
        "md5",
        "exact",
        0.0,
        {"score": 1.0},
        {"md5": signal.value_key},
        f.T0,
    )


def test_round_trip_hits_lock_and_save(store: SqlStore, world: tuple[UUID, UUID, Signal, Signal]) -> None:
    """A case, its hits (numbered in order) and its saved state read back equal."""
    platform, _, first, second = world
    case = make_case(platform, is_quarantined=True, quarantine_signal_id=first.id, item_id=None)
    with store.transaction() as uow:
        uow.cases.add(case)
        stored = uow.cases.add_hits([hit(case, first), hit(case, second, None)])
    assert [h.seq for h in stored] == [1, 2]
    changed = replace(
        case,
        status=S.CONFIRMED,
        action=CaseAction.REMOVE,
        removal_order_received_at=f.T0,
        removed_at=f.T0 + timedelta(minutes=5),
        complaint_deadline=f.T0 + timedelta(days=14),
        updated_at=f.T0 + timedelta(minutes=5),
    )
    with store.transaction() as uow:
        assert uow.cases.lock(case.id) == case
        uow.cases.save(changed)
    with store.snapshot() as uow:
        assert uow.cases.get(case.id) == changed
        assert uow.cases.get(uuid4()) is None
        assert uow.cases.hits(case.id) == stored


def test_undecided_lookups(store: SqlStore, world: tuple[UUID, UUID, Signal, Signal]) -> None:
    """Only open or escalated cases are found for an item or a quarantined signal, per organization."""
    platform, other, first, _ = world
    open_case = make_case(platform, 0)
    decided = make_case(platform, 1, item_id="item-1", status=S.REJECTED)
    quarantine = make_case(platform, 2, item_id=None, is_quarantined=True, quarantine_signal_id=first.id)
    with store.transaction() as uow:
        for c in (open_case, decided, quarantine):
            uow.cases.add(c)
    with store.snapshot() as uow:
        assert uow.cases.undecided_for_item(platform, "item-0") == open_case
        assert uow.cases.undecided_for_item(platform, "item-1") is None
        assert uow.cases.undecided_for_item(other, "item-0") is None
        assert uow.cases.undecided_quarantine(platform, first.id) == quarantine
        assert uow.cases.undecided_quarantine(other, first.id) is None
    with store.transaction() as uow:
        uow.cases.save(replace(quarantine, status=S.ESCALATED))
    with store.snapshot() as uow:
        assert uow.cases.undecided_quarantine(platform, first.id) is not None


def test_find_filters_pages_and_agrees_with_the_rule(
    store: SqlStore, world: tuple[UUID, UUID, Signal, Signal]
) -> None:
    """Lists filter by status, quarantine, item and removal order, page stably, and show exactly the
    cases `may_see_case` allows."""
    platform, other, _, _ = world
    cases = [make_case(platform, n) for n in range(5)] + [make_case(other, 10)]
    cases[1] = replace(cases[1], status=S.ESCALATED, removal_order_received_at=f.T0)
    cases[2] = replace(cases[2], is_quarantined=True)
    with store.transaction() as uow:
        for c in cases:
            uow.cases.add(c)
    for audience in (CaseAudience(platform), CaseAudience(other), CaseAudience(uuid4(), True)):
        with store.snapshot() as uow:
            found = uow.cases.find(CaseQuery(), audience, PageRequest(100, None)).items
        assert found == [c for c in cases if may_see_case(audience, c)]
    mine = CaseAudience(platform)
    with store.snapshot() as uow:
        assert uow.cases.find(CaseQuery(status=S.ESCALATED), mine, PageRequest(9, None)).items == [cases[1]]
        assert uow.cases.find(CaseQuery(is_quarantined=True), mine, PageRequest(9, None)).items == [cases[2]]
        assert uow.cases.find(CaseQuery(item_id="item-3"), mine, PageRequest(9, None)).items == [cases[3]]
        ordered = uow.cases.find(CaseQuery(has_removal_order=True), mine, PageRequest(9, None)).items
        assert ordered == [cases[1]]
        first = uow.cases.find(CaseQuery(), mine, PageRequest(2, None))
        assert first.items == cases[:2] and first.next_after is not None
        rest = uow.cases.find(CaseQuery(), mine, PageRequest(9, first.next_after))
        assert rest.items == cases[2:5] and rest.next_after is None


def test_history_is_numbered(store: SqlStore, world: tuple[UUID, UUID, Signal, Signal]) -> None:
    """Decisions are appended in order with their reason and action."""
    platform, _, _, _ = world
    case = make_case(platform)
    entries = [
        CaseDecision(
            case.id, 0, CaseMove.ESCALATE, S.OPEN, S.ESCALATED, None, "unsure", platform, "user:a", f.T0
        ),
        CaseDecision(
            case.id,
            0,
            CaseMove.CONFIRM,
            S.ESCALATED,
            S.CONFIRMED,
            CaseAction.REMOVE,
            "رسالة",
            platform,
            "user:b",
            f.T0 + timedelta(minutes=1),
        ),
    ]
    with store.transaction() as uow:
        uow.cases.add(case)
        stored = [uow.cases.decide(e) for e in entries]
    assert [e.seq for e in stored] == [1, 2]
    with store.snapshot() as uow:
        assert uow.cases.history(case.id) == stored


def test_evidence_bytes_purge_and_pending_complaints(
    store: SqlStore, world: tuple[UUID, UUID, Signal, Signal]
) -> None:
    """Evidence keeps its bytes until purged; `purgeable` lists expired pieces except under a pending
    complaint; after the purge the row stays without bytes."""
    platform, _, _, _ = world
    removed = make_case(platform, 0, status=S.CONFIRMED, action=CaseAction.REMOVE)
    complained = make_case(platform, 1, status=S.COMPLAINED, action=CaseAction.REMOVE)
    pieces = [
        Evidence(uuid4(), c.id, platform, "key:abc", "image/png", 3, "ab" * 32, None, True, f.T0, until)
        for c, until in (
            (removed, f.T0 + timedelta(days=1)),
            (removed, f.T0 + timedelta(days=300)),
            (complained, f.T0 + timedelta(days=1)),
        )
    ]
    with store.transaction() as uow:
        uow.cases.add(removed)
        uow.cases.add(complained)
        for piece in pieces:
            uow.cases.add_evidence(piece, b"\x00\x01\x02")
    now = f.T0 + timedelta(days=2)
    with store.snapshot() as uow:
        assert uow.cases.evidence(removed.id) == sorted(pieces[:2], key=lambda e: str(e.id))  # same time
        assert uow.cases.evidence_item(removed.id, pieces[0].id) == (pieces[0], b"\x00\x01\x02")
        assert uow.cases.evidence_item(complained.id, pieces[0].id) is None
        assert uow.cases.purgeable(now, 10) == [pieces[0]]
    with store.transaction() as uow:
        uow.cases.purge(pieces[0].id, now)
    gone = replace(pieces[0], has_content=False, purged_at=now)
    with store.snapshot() as uow:
        assert uow.cases.evidence_item(removed.id, pieces[0].id) == (gone, None)
        assert uow.cases.purgeable(now, 10) == []


def test_sighting_count_per_organization_and_window(
    store: SqlStore, world: tuple[UUID, UUID, Signal, Signal]
) -> None:
    """count_for counts one organization's sightings of one signal at or after a time."""
    platform, other, first, second = world

    def sighting(org: UUID, signal: Signal, minutes: int) -> Sighting:
        return Sighting(
            uuid4(),
            signal.id,
            signal.org_id,
            org,
            "key:abc",
            "md5",
            "exact",
            0.0,
            True,
            "r",
            f.T0 + timedelta(minutes=minutes),
        )

    with store.transaction() as uow:
        uow.sightings.add_many(
            [sighting(platform, first, m) for m in (0, 30, 59, 61)]
            + [sighting(other, first, 60), sighting(platform, second, 60)]
        )
    with store.snapshot() as uow:
        assert uow.sightings.count_for(platform, first.id, f.T0 + timedelta(minutes=30)) == 3
        assert uow.sightings.count_for(platform, first.id, f.T0) == 4
        assert uow.sightings.count_for(other, first.id, f.T0) == 1
        assert uow.sightings.count_for(platform, second.id, f.T0 + timedelta(minutes=61)) == 0
