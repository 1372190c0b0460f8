"""Sighting counts and transparency aggregates behave the same on SQLite and PostgreSQL (each test runs on
both backends): buckets cut from the stored time text, labels through the hit signals, periods half-open."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from ctexchange.domain.cases import Case, CaseAction, CaseDecision, CaseHit, CaseMove, CaseStatus
from ctexchange.domain.requests import Move, RequestMove, RequestStatus
from ctexchange.domain.sightings import Sighting
from ctexchange.domain.signals import SightingPolicy, Signal
from ctexchange.store.base import SqlStore
from ctexchange.store.reports import OwnerSightings, Timing
from ctexchange.store.sightings import SightingCount
from tests.store import factories as f
from tests.store.test_requests import make_request

T0 = f.T0
END = T0 + timedelta(days=2)
H = timedelta(hours=1)


@dataclass
class World:
    """A platform, a signal owner with a named and an anonymised bank, and an agency."""

    platform: UUID
    owner: UUID
    agency: UUID
    named: Signal
    hidden: Signal


def sighting(signal: Signal, org: UUID, at_h: float, request: str) -> Sighting:
    """A sighting of `signal` by `org`, `at_h` hours after T0."""
    return Sighting(
        uuid4(), signal.id, signal.org_id, org, "key:k", "md5", "exact", 0.0, True, request, T0 + at_h * H
    )


@pytest.fixture
def world(store: SqlStore) -> World:
    """See `World`; the named bank's signal is labelled `propaganda` and `un:QDe.115`."""
    platform, owner, agency = f.org("platform"), f.org("owner"), f.org("agency")
    named = f.collection(owner.id, "named")
    hidden = replace(f.collection(owner.id, "hidden"), sighting_policy=SightingPolicy.ANONYMISED)
    first = f.signal(named, 1, labels=frozenset({"propaganda", "un:QDe.115"}))
    second = f.signal(hidden, 2, labels=frozenset({"recruitment"}))
    with store.transaction() as uow:
        for o in (platform, owner, agency):
            uow.members.add_org(o)
        for c in (named, hidden):
            uow.collections.add(c)
        uow.signals.add(first)
        uow.signals.add(second)
    return World(platform.id, owner.id, agency.id, first, second)


def test_a_collection_keeps_its_sighting_policy(store: SqlStore, world: World) -> None:
    """The policy is written and read back; a collection made without one is named."""
    with store.snapshot() as uow:
        hidden = uow.collections.get(world.hidden.collection_id)
        named = uow.collections.get(world.named.collection_id)
    assert hidden is not None and hidden.sighting_policy is SightingPolicy.ANONYMISED
    assert named is not None and named.sighting_policy is SightingPolicy.NAMED


def test_counts_per_hour_and_day_with_the_bank_policy(store: SqlStore, world: World) -> None:
    """Counts group by the hour or day prefix of the time, per signal and organization; the period is
    half-open and one signal may be chosen."""
    p, a = world.platform, world.agency
    with store.transaction() as uow:
        uow.sightings.add_many(
            [
                sighting(world.named, p, 1.0, "r1"),
                sighting(world.named, p, 1.5, "r2"),
                sighting(world.named, p, 26, "r3"),
                sighting(world.hidden, a, 2, "r4"),
                sighting(world.named, p, -1, "r0"),
                sighting(world.named, p, 48, "r5"),
            ]
        )
    with store.snapshot() as uow:
        days = uow.sightings.counts(world.owner, None, T0, END, "day")
        hours = uow.sightings.counts(world.owner, world.named.id, T0, END, "hour")
        empty = uow.sightings.counts(world.platform, None, T0, END, "day")
    named, hidden = world.named.id, world.hidden.id
    anon, shown = SightingPolicy.ANONYMISED, SightingPolicy.NAMED
    assert sorted(days[:2], key=lambda c: c.policy.value) == [
        SightingCount("2026-01-01", hidden, a, anon, 1),
        SightingCount("2026-01-01", named, p, shown, 2),
    ]
    assert days[2:] == [SightingCount("2026-01-02", named, p, SightingPolicy.NAMED, 1)]
    assert [(c.bucket, c.count) for c in hours] == [("2026-01-01T01", 2), ("2026-01-02T02", 1)]
    assert empty == []


def test_first_seen_orders_organizations_by_their_first_sighting(store: SqlStore, world: World) -> None:
    """Each signal lists its matching organizations in the order they first matched it."""
    with store.transaction() as uow:
        uow.sightings.add_many(
            [
                sighting(world.hidden, world.agency, 5, "r1"),
                sighting(world.hidden, world.platform, 1, "r2"),
                sighting(world.hidden, world.agency, 0.5, "r3"),
            ]
        )
    with store.snapshot() as uow:
        order = uow.sightings.first_seen([world.hidden.id, world.named.id])
    assert order == {world.hidden.id: [world.agency, world.platform]}


def _case(org: UUID, opened_h: float, *signals: Signal, **changes: Any) -> tuple[Case, list[CaseHit]]:
    at = T0 + opened_h * H
    case = replace(Case(uuid4(), org, f"item-{opened_h}", CaseStatus.OPEN, "key:k", at, at), **changes)
    hits = [
        CaseHit(case.id, 0, case.item_id, s.id, s.collection_id, "md5", "exact", 0.0, {}, {}, at)
        for s in signals
    ]
    return case, hits


def _decision(case: Case, move: CaseMove, at_h: float, action: CaseAction | None = None) -> CaseDecision:
    return CaseDecision(
        case.id,
        0,
        move,
        CaseStatus.OPEN,
        CaseStatus.CONFIRMED,
        action,
        "why",
        case.org_id,
        "u",
        T0 + at_h * H,
    )


def test_case_aggregates_count_events_in_the_period(store: SqlStore, world: World) -> None:
    """Cases opened, matches and actions per label (a case counted once per label), decisions per move and
    action, and removal orders with their times: all within [start, end) only."""
    p = world.platform
    first, first_hits = _case(p, 1, world.named, removal_order_received_at=T0 + 2 * H, removed_at=T0 + 3 * H)
    second, second_hits = _case(p, 2, world.named, world.hidden, removal_order_received_at=T0 + 4 * H)
    old, old_hits = _case(p, -5, world.named, removal_order_received_at=T0 - 4 * H)
    mine_not, other_hits = _case(world.agency, 1, world.named)
    with store.transaction() as uow:
        for case, hits in (
            (first, first_hits),
            (second, second_hits),
            (old, old_hits),
            (mine_not, other_hits),
        ):
            uow.cases.add(case)
            uow.cases.add_hits(hits)
        uow.cases.decide(_decision(first, CaseMove.CONFIRM, 3, CaseAction.REMOVE))
        uow.cases.decide(_decision(first, CaseMove.COMPLAIN, 4))
        uow.cases.decide(_decision(first, CaseMove.REINSTATE, 5))
        uow.cases.decide(_decision(second, CaseMove.CONFIRM, 6, CaseAction.RESTRICT))
        uow.cases.decide(_decision(old, CaseMove.CONFIRM, -1, CaseAction.REMOVE))
        uow.cases.decide(_decision(mine_not, CaseMove.REJECT, 2))
        uow.sightings.add_many([sighting(world.named, p, 1, "r1"), sighting(world.named, p, 1, "r1")])
    with store.snapshot() as uow:
        r = uow.reports
        assert r.cases_opened(p, T0, END) == 2
        assert r.lookups_with_hits(p, T0, END) == 1
        assert r.matched_by_label(p, T0, END) == {"propaganda": 2, "recruitment": 1, "un:QDe.115": 2}
        assert r.actioned_by_label(p, T0, END) == {
            ("remove", "propaganda"): 1,
            ("remove", "un:QDe.115"): 1,
            ("restrict", "propaganda"): 1,
            ("restrict", "recruitment"): 1,
            ("restrict", "un:QDe.115"): 1,
        }
        assert r.decisions(p, T0, END) == {
            ("confirm", "remove"): 1,
            ("confirm", "restrict"): 1,
            ("complain", ""): 1,
            ("reinstate", ""): 1,
        }
        assert r.removal_orders(p, T0, END) == [Timing(T0 + 2 * H, T0 + 3 * H), Timing(T0 + 4 * H, None)]
        assert r.cases_opened(p, T0 + 2 * H, END) == 1


def test_request_aggregates_and_owner_sightings(store: SqlStore, world: World) -> None:
    """Requests sent and received by sending time; answers and refusals by their own time with the
    deadline; sightings of an owner's signals per organization and bank policy."""
    p, a = world.platform, world.agency
    out = make_request(p, a, 1, status=RequestStatus.SENT)
    answered = make_request(a, p, 2, status=RequestStatus.SENT, deadline_h=5)
    declined = make_request(a, p, 3, status=RequestStatus.SENT)
    draft = make_request(p, a, 4)
    with store.transaction() as uow:
        for req in (out, answered, declined, draft):
            uow.requests.add(req)
        move = RequestMove(
            answered.id,
            0,
            Move.ANSWER,
            RequestStatus.IN_PROGRESS,
            RequestStatus.ANSWERED,
            p,
            "u",
            "",
            T0 + 6 * H,
        )
        uow.requests.move(move, None, None)
        uow.requests.move(
            RequestMove(
                declined.id, 0, Move.DECLINE, RequestStatus.SENT, RequestStatus.DECLINED, p, "u", "", T0 + H
            ),
            None,
            "no",
        )
        uow.sightings.add_many(
            [
                sighting(world.named, p, 1, "r1"),
                sighting(world.hidden, p, 2, "r2"),
                sighting(world.hidden, a, 3, "r3"),
            ]
        )
    with store.snapshot() as uow:
        r = uow.reports
        assert (r.requests_sent(p, T0, END), r.requests_received(p, T0, END)) == (1, 2)
        assert (r.requests_sent(a, T0, END), r.requests_received(a, T0, END)) == (2, 1)
        assert r.replies(p, "answer", T0, END) == [Timing(T0 + 5 * H, T0 + 6 * H)]
        assert r.replies(p, "decline", T0, END) == [Timing(None, T0 + H)]
        assert r.replies(a, "answer", T0, END) == []
        found = r.sightings_of_owner(world.owner, T0, END)
    anon, named = SightingPolicy.ANONYMISED, SightingPolicy.NAMED
    assert sorted(found, key=lambda o: (str(o.org_id), o.policy.value)) == sorted(
        [OwnerSightings(p, anon, 1), OwnerSightings(p, named, 1), OwnerSightings(a, anon, 1)],
        key=lambda o: (str(o.org_id), o.policy.value),
    )
