"""The alert repository on SQLite and PostgreSQL: round trips, versions, cancellation, acknowledgements,
and the SQL rendering of the access rule checked against `can_see_alert` for every audience and alert."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from ctexchange.domain.alerts import (
    Acknowledgement,
    Alert,
    AlertAudience,
    AlertBox,
    AlertChange,
    AlertContent,
    AlertKind,
    AlertPageRequest,
    AlertQuery,
    AlertState,
    AlertSubject,
    AlertVersion,
    Cancellation,
    Location,
    RouteStop,
    can_see_alert,
)
from ctexchange.domain.entities import EntitySchema, ScreeningQuery
from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Organization, User
from ctexchange.errors import Conflict
from ctexchange.store.base import SqlStore
from tests.store import factories as f

NOW = f.T0 + timedelta(days=10)
CONTENT = AlertContent(
    "Fighter travelling",
    "Two companions.\nBy bus.",
    AlertSubject(
        None,
        ScreeningQuery(EntitySchema.PERSON, ("أبو محمد", "Abu Mohammed"), ("1994-03",), ("SY",), ("N1",)),
    ),
    Location("Gaziantep bus station", "TR"),
    (RouteStop("Idlib", "SY", "2026-01-01"), RouteStop("", "TR", None)),
)


def alert(
    issuer: UUID,
    recipients: set[UUID],
    n: int = 0,
    *,
    marking: Marking = Marking.AMBER,
    users: frozenset[UUID] = frozenset(),
    until: timedelta = timedelta(days=30),
) -> Alert:
    """The n-th alert, issued n minutes after T0, valid from T0 for `until`."""
    at = f.T0 + timedelta(minutes=n)
    return Alert(
        id=uuid4(),
        org_id=issuer,
        kind=AlertKind.FIGHTER_TRAVEL,
        marking=marking,
        content=replace(CONTENT, title=f"alert {n}"),
        valid_from=f.T0,
        valid_until=f.T0 + until,
        version=1,
        issued_by="user:test",
        issued_at=at,
        updated_at=at,
        recipient_org_ids=frozenset(recipients),
        recipient_user_ids=users,
        group_ids=frozenset(),
    )


def _members(store: SqlStore, orgs: list[Organization], users: list[User]) -> None:
    with store.transaction() as uow:
        for o in orgs:
            uow.members.add_org(o)
        for u in users:
            uow.members.add_user(u)


def _all(store: SqlStore, query: AlertQuery, audience: AlertAudience | None, size: int = 1000) -> list[Alert]:
    """Every alert of a query, following pages of `size`."""
    items: list[Alert] = []
    page = AlertPageRequest(size)
    while True:
        with store.snapshot() as uow:
            got = uow.alerts.find(query, audience, page, NOW)
        items.extend(got.items)
        if got.next_after is None:
            return items
        page = AlertPageRequest(size, got.next_after)


def test_alert_round_trip(store: SqlStore) -> None:
    """An alert reads back equal: content in every script, route, audience and groups."""
    a, b, c = f.org("a"), f.org("b"), f.org("c")
    bob = f.user(b.id, "bob")
    g = f.group("g", a.id, {b.id})
    _members(store, [a, b, c], [bob])
    with store.transaction() as uow:
        uow.groups.add_group(g)
    made = replace(
        alert(a.id, {b.id, c.id}, marking=Marking.RED, users=frozenset({bob.id})), group_ids=frozenset({g.id})
    )
    with store.transaction() as uow:
        uow.alerts.add(made)
    with store.snapshot() as uow:
        assert uow.alerts.get(made.id) == made
        assert uow.alerts.get(uuid4()) is None
        [first] = uow.alerts.versions(made.id)
    assert (first.version, first.change, first.content, first.actor) == (
        1,
        AlertChange.ISSUE,
        made.content,
        "user:test",
    )


def test_versions_cancel_and_acknowledgements(store: SqlStore) -> None:
    """A version becomes current and history keeps both; a cancellation is kept; acknowledging one
    version twice conflicts, another version does not."""
    a, b = f.org("a"), f.org("b")
    _members(store, [a, b], [])
    made = alert(a.id, {b.id})
    later = f.T0 + timedelta(hours=1)
    second = AlertVersion(
        made.id,
        2,
        AlertChange.EXTEND,
        made.content,
        made.valid_from,
        made.valid_until + timedelta(days=5),
        "still travelling",
        "user:test",
        later,
    )
    ack1 = Acknowledgement(made.id, b.id, 1, None, "cli:x", "seen", later)
    with store.transaction() as uow:
        uow.alerts.add(made)
        uow.alerts.acknowledge(ack1)
        uow.alerts.add_version(second)
    with pytest.raises(Conflict, match="acknowledged version 1"), store.transaction() as uow:
        uow.alerts.acknowledge(replace(ack1, at=later + timedelta(minutes=1)))
    ack2 = replace(ack1, version=2, at=later + timedelta(minutes=2))
    cancel = Cancellation("user:test", "arrested", later + timedelta(hours=1))
    with store.transaction() as uow:
        uow.alerts.acknowledge(ack2)
        uow.alerts.cancel(made.id, cancel)
    with store.snapshot() as uow:
        got = uow.alerts.get(made.id)
        history = uow.alerts.versions(made.id)
    assert got is not None
    assert (got.version, got.valid_until, got.updated_at) == (2, second.valid_until, cancel.at)
    assert got.acknowledgements == (ack1, ack2)
    assert got.cancellation == cancel
    assert got.state(NOW) is AlertState.CANCELLED
    assert [(v.version, v.change, v.note) for v in history] == [
        (1, AlertChange.ISSUE, ""),
        (2, AlertChange.EXTEND, "still travelling"),
    ]


def test_the_sql_rule_agrees_with_can_see_alert(store: SqlStore) -> None:
    """For every audience (org x named or not x auditor x operator auditor) and every alert (marking x
    recipients), the store lists exactly the alerts `can_see_alert` allows."""
    issuer, rcpt, other = f.org("issuer"), f.org("rcpt"), f.org("other")
    named, colleague = f.user(rcpt.id, "named"), f.user(rcpt.id, "colleague")
    _members(store, [issuer, rcpt, other], [named, colleague])
    alerts = []
    for n, (marking, to) in enumerate(itertools.product(Marking, ({rcpt.id}, {rcpt.id, other.id}))):
        users = frozenset({named.id}) if marking is Marking.RED else frozenset()
        alerts.append(alert(issuer.id, to, n, marking=marking, users=users))
    with store.transaction() as uow:
        for a in alerts:
            uow.alerts.add(a)
    audiences = [
        AlertAudience(org.id, user, is_auditor, sees_all)
        for org in (issuer, rcpt, other)
        for user in (named.id, colleague.id, None)
        for is_auditor, sees_all in ((False, False), (True, False), (True, True))
    ]
    for audience in audiences:
        listed = {a.id for a in _all(store, AlertQuery(), audience)}
        assert listed == {a.id for a in alerts if can_see_alert(audience, a)}, audience
    assert len(_all(store, AlertQuery(), None)) == len(alerts)


def test_boxes_states_and_kinds(store: SqlStore) -> None:
    """`received`/`sent` split by organization; `issued`/`expired`/`cancelled` follow the time given."""
    a, b = f.org("a"), f.org("b")
    _members(store, [a, b], [])
    in_force = alert(a.id, {b.id}, 1)
    expired = alert(a.id, {b.id}, 2, until=timedelta(days=1))
    cancelled = alert(b.id, {a.id}, 3)
    campaign = replace(alert(b.id, {a.id}, 4), kind=AlertKind.CONTENT_CAMPAIGN)
    with store.transaction() as uow:
        for made in (in_force, expired, cancelled, campaign):
            uow.alerts.add(made)
        uow.alerts.cancel(cancelled.id, Cancellation("user:b", "wrong person", f.T0 + timedelta(days=2)))
    as_a = AlertAudience(a.id, None, False, False)

    def ids(query: AlertQuery) -> set[UUID]:
        return {x.id for x in _all(store, query, as_a)}

    assert ids(AlertQuery(box=AlertBox.SENT)) == {in_force.id, expired.id}
    assert ids(AlertQuery(box=AlertBox.RECEIVED)) == {cancelled.id, campaign.id}
    assert ids(AlertQuery(state=AlertState.ISSUED)) == {in_force.id, campaign.id}
    assert ids(AlertQuery(state=AlertState.EXPIRED)) == {expired.id}
    assert ids(AlertQuery(state=AlertState.CANCELLED)) == {cancelled.id}
    assert ids(AlertQuery(kind=AlertKind.CONTENT_CAMPAIGN)) == {campaign.id}
    with pytest.raises(ValueError, match="audience"), store.snapshot() as uow:
        uow.alerts.find(AlertQuery(box=AlertBox.SENT), None, AlertPageRequest(10), NOW)


def test_pending_first_then_newest_across_pages(store: SqlStore) -> None:
    """Alerts the audience must acknowledge come first, then the newest; pages of 2 give the same list
    as one page, without repeats."""
    a, b = f.org("a"), f.org("b")
    _members(store, [a, b], [])
    made = [alert(a.id, {b.id}, n) for n in range(7)]
    sent_by_b = alert(b.id, {a.id}, 9)
    with store.transaction() as uow:
        for m in [*made, sent_by_b]:
            uow.alerts.add(m)
        for m in made[4:]:
            uow.alerts.acknowledge(
                Acknowledgement(m.id, b.id, 1, None, "cli:b", "", f.T0 + timedelta(days=1))
            )
    as_b = AlertAudience(b.id, None, False, False)
    whole = _all(store, AlertQuery(), as_b)
    paged = _all(store, AlertQuery(), as_b, size=2)
    pending = [m.id for m in reversed(made[:4])]
    rest = [sent_by_b.id, *(m.id for m in reversed(made[4:]))]
    assert [x.id for x in whole] == pending + rest
    assert [x.id for x in paged] == pending + rest
