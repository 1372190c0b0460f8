"""The store contract: every repository behaves the same on SQLite and PostgreSQL.

Each test runs once per backend (the `store` fixture is parametrized); on CI the PostgreSQL half cannot
be skipped.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from uuid import uuid4

import pytest

from ctexchange.domain.access import Audience, may_see
from ctexchange.domain.audit import AuditEntry, verify_chain
from ctexchange.domain.markings import Marking
from ctexchange.domain.queries import AuditQuery, PageRequest, SignalQuery
from ctexchange.domain.signals import Opinion, SignalStatus, Verdict
from ctexchange.errors import Conflict
from ctexchange.store.base import SqlStore
from tests.store import factories as f


def test_migrations_are_applied_once(store: SqlStore) -> None:
    """A migrated store has nothing pending and migrating again applies nothing."""
    assert store.pending_migrations() == []
    assert store.migrate() == []


def test_org_round_trip_and_unique_name(store: SqlStore) -> None:
    """An organization reads back equal, by id and by name, and a second one with its name conflicts."""
    org = f.org("agency-a", operator=True)
    with store.transaction() as uow:
        uow.members.add_org(org)
    with store.snapshot() as uow:
        assert uow.members.org(org.id) == org
        assert uow.members.org_by_name("agency-a") == org
        assert uow.members.orgs() == [org]
    with pytest.raises(Conflict, match="agency-a"), store.transaction() as uow:
        uow.members.add_org(f.org("agency-a"))


def test_user_and_key_round_trip(store: SqlStore) -> None:
    """Users and keys read back equal; revoking and touching a key are recorded."""
    org = f.org("a")
    alice = f.user(org.id, "alice")
    k = f.key(alice, "0123456789ab")
    with store.transaction() as uow:
        uow.members.add_org(org)
        uow.members.add_user(alice)
        uow.members.add_key(k)
    with store.transaction() as uow:
        uow.members.touch_key(k.key_id, f.T0 + timedelta(hours=1))
        uow.members.revoke_key(k.key_id, f.T0 + timedelta(hours=2))
        uow.members.revoke_key(k.key_id, f.T0 + timedelta(hours=3))
    with store.snapshot() as uow:
        assert uow.members.user(alice.id) == alice
        assert uow.members.user_by_name("alice") == alice
        assert uow.members.users(org.id) == [alice]
        got = uow.members.key(k.key_id)
        assert got is not None
        assert got.last_used_at == f.T0 + timedelta(hours=1)
        assert got.revoked_at == f.T0 + timedelta(hours=2)
        assert [x.key_id for x in uow.members.keys(org.id)] == [k.key_id]
        assert uow.members.key("ffffffffffff") is None
    with store.transaction() as uow:
        uow.members.set_user_active(alice.id, False)
        uow.members.set_org_active(org.id, False)
    with store.snapshot() as uow:
        assert not uow.members.user(alice.id).is_active  # type: ignore[union-attr]
        assert not uow.members.org(org.id).is_active  # type: ignore[union-attr]


def test_groups_and_membership(store: SqlStore) -> None:
    """A group keeps its members; adding one twice conflicts; groups_of lists an org's groups."""
    a, b, c = f.org("a"), f.org("b"), f.org("c")
    g = f.group("g", a.id, {b.id})
    with store.transaction() as uow:
        for o in (a, b, c):
            uow.members.add_org(o)
        uow.groups.add_group(g)
        uow.groups.add_member(g.id, c.id, f.T0)
    with store.snapshot() as uow:
        loaded = uow.groups.group(g.id)
        assert loaded is not None
        assert loaded.member_org_ids == {a.id, b.id, c.id}
        assert uow.groups.group_by_name("g") == loaded
        assert uow.groups.groups_of(c.id) == {g.id}
        assert uow.groups.groups_of(uuid4()) == frozenset()
    with pytest.raises(Conflict), store.transaction() as uow:
        uow.groups.add_member(g.id, c.id, f.T0)
    with store.transaction() as uow:
        assert uow.groups.remove_member(g.id, c.id)
        assert not uow.groups.remove_member(g.id, c.id)
    with store.snapshot() as uow:
        assert uow.groups.groups_of(c.id) == frozenset()


def test_failed_transaction_leaves_nothing(store: SqlStore) -> None:
    """An error inside a transaction rolls back every write made in it."""
    org = f.org("a")
    with pytest.raises(RuntimeError), store.transaction() as uow:
        uow.members.add_org(org)
        uow.audit.append(AuditEntry("t", org.id, "org.create", "organization", str(org.id), "r"), f.T0)
        raise RuntimeError("crash in the middle")
    with store.snapshot() as uow:
        assert uow.members.orgs() == []
        assert list(uow.audit.walk()) == []


def _seed_collection(store: SqlStore, n: int) -> tuple[f.Collection, list[f.Signal]]:
    org = f.org("owner")
    coll = f.collection(org.id, "bank", Marking.GREEN)
    signals = [f.signal(coll, i, labels=frozenset({"propaganda", f"batch:{i % 3}"})) for i in range(n)]
    with store.transaction() as uow:
        uow.members.add_org(org)
        uow.collections.add(coll)
        for s in signals:
            uow.signals.add(s)
    return coll, signals


def test_signal_round_trip_and_duplicate(store: SqlStore) -> None:
    """A signal reads back equal; the same value twice in one collection conflicts."""
    coll, signals = _seed_collection(store, 1)
    with store.snapshot() as uow:
        assert uow.signals.get(signals[0].id) == signals[0]
        assert uow.collections.get(coll.id) == coll
        assert uow.collections.by_name(coll.org_id, "bank") == coll
    clone = f.signal(coll, 0)
    with pytest.raises(Conflict), store.transaction() as uow:
        uow.signals.add(clone)


def test_pages_cover_every_signal_once(store: SqlStore) -> None:
    """Keyset pages return every signal exactly once, in creation order, and the count agrees."""
    _, signals = _seed_collection(store, 23)
    seen, page = [], PageRequest(5)
    with store.snapshot() as uow:
        while True:
            got = uow.signals.find(SignalQuery(), None, page)
            seen.extend(s.id for s in got.items)
            if got.next_after is None:
                break
            page = PageRequest(5, got.next_after)
        assert uow.signals.count(SignalQuery(), None) == 23
    assert seen == [s.id for s in signals]


def test_filters(store: SqlStore) -> None:
    """Label, text, external id, status and time filters select the right signals in list and count."""
    coll, signals = _seed_collection(store, 9)
    with store.transaction() as uow:
        uow.signals.set_status(signals[0].id, SignalStatus.DISPUTED, f.T0 + timedelta(days=1))
    cases = [
        (SignalQuery(label="batch:1"), {1, 4, 7}),
        (SignalQuery(text=f"{7:032x}"[-4:]), {7}),
        (SignalQuery(text="%"), set()),
        (SignalQuery(status=SignalStatus.DISPUTED), {0}),
        (SignalQuery(created_after=f.T0 + timedelta(seconds=6)), {7, 8}),
        (SignalQuery(created_before=f.T0 + timedelta(seconds=2)), {0, 1}),
        (SignalQuery(collection_id=coll.id, kind="md5"), set(range(9))),
        (SignalQuery(kind="sha256"), set()),
    ]
    with store.snapshot() as uow:
        for query, expected in cases:
            got = uow.signals.find(query, None, PageRequest(100))
            assert {signals.index(next(s for s in signals if s.id == g.id)) for g in got.items} == expected
            assert uow.signals.count(query, None) == len(expected)


def test_status_change_and_change_log(store: SqlStore) -> None:
    """A status change is stored and appears in the change log after the additions."""
    _, signals = _seed_collection(store, 2)
    with store.transaction() as uow:
        uow.signals.set_status(signals[1].id, SignalStatus.EXPIRED, f.T0 + timedelta(days=1))
    with store.snapshot() as uow:
        got = uow.signals.get(signals[1].id)
        assert got is not None
        assert got.status is SignalStatus.EXPIRED
        changes = uow.signals.changes_since(0, 10)
        assert [c[2] for c in changes] == ["add", "add", "status:expired"]
        assert uow.signals.changes_since(changes[1][0], 10) == changes[2:]


def test_opinions_replace_per_org(store: SqlStore) -> None:
    """An organization's second opinion on a signal replaces its first."""
    _, signals = _seed_collection(store, 1)
    other = f.org("other")
    with store.transaction() as uow:
        uow.members.add_org(other)
        uow.signals.put_opinion(Opinion(signals[0].id, other.id, None, Verdict.AGREE, "", f.T0))
        uow.signals.put_opinion(Opinion(signals[0].id, other.id, None, Verdict.FALSE_POSITIVE, "news", f.T0))
    with store.snapshot() as uow:
        got = uow.signals.opinions(signals[0].id)
    assert [(o.verdict, o.note) for o in got] == [(Verdict.FALSE_POSITIVE, "news")]


def test_audit_chain_appends_and_verifies(store: SqlStore) -> None:
    """Appended events form an intact chain, read back in order, filtered by organization."""
    a, b = uuid4(), uuid4()
    with store.transaction() as uow:
        for i in range(5):
            org = a if i % 2 == 0 else b
            uow.audit.append(AuditEntry("t", org, f"act.{i}", "thing", str(i), "r", details={"i": i}), f.T0)
    with store.snapshot() as uow:
        events = list(uow.audit.walk())
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert verify_chain(events).is_intact
        assert [e.seq for e in uow.audit.events(AuditQuery(org_id=b))] == [2, 4]
        assert [e.seq for e in uow.audit.events(AuditQuery(after_seq=3))] == [4, 5]


MARKINGS = list(Marking)


def test_sql_visibility_equals_the_access_rule(store: SqlStore) -> None:
    """For every marking, owner, group and recipient case the SQL filter returns what may_see allows."""
    owner, member, outsider = f.org("owner"), f.org("member"), f.org("outsider")
    reader = f.user(outsider.id, "reader")
    g = f.group("g", owner.id, {member.id})
    colls = {m: f.collection(owner.id, f"c-{m.value}", m, g.id) for m in MARKINGS}
    ungrouped = f.collection(owner.id, "ungrouped", Marking.AMBER)
    signals = []
    with store.transaction() as uow:
        for o in (owner, member, outsider):
            uow.members.add_org(o)
        uow.members.add_user(reader)
        uow.groups.add_group(g)
        for c in [*colls.values(), ungrouped]:
            uow.collections.add(c)
        n = 0
        for marking, recipients in itertools.product(MARKINGS, [frozenset(), frozenset({reader.id})]):
            for c in (colls[marking], ungrouped):
                n += 1
                s = f.signal(
                    c, n, marking=marking, recipients=recipients if marking is Marking.RED else frozenset()
                )
                uow.signals.add(s)
                signals.append(s)
    audiences = [
        Audience(owner.id, None, frozenset({g.id})),
        Audience(member.id, None, frozenset({g.id})),
        Audience(outsider.id, reader.id, frozenset()),
        Audience(outsider.id, None, frozenset()),
    ]
    with store.snapshot() as uow:
        for audience in audiences:
            expected = {
                s.id
                for s in signals
                if may_see(
                    audience,
                    marking=s.marking,
                    owner_org_id=s.org_id,
                    sharing_group_id=s.sharing_group_id,
                    recipient_ids=s.recipient_ids,
                )
            }
            got = uow.signals.find(SignalQuery(), audience, PageRequest(1000))
            assert {s.id for s in got.items} == expected
            assert uow.signals.count(SignalQuery(), audience) == len(expected)
            colls_seen = {c.id for c in uow.collections.visible(audience)}
            colls_expected = {
                c.id
                for c in [*colls.values(), ungrouped]
                if may_see(
                    audience,
                    marking=c.default_marking,
                    owner_org_id=c.org_id,
                    sharing_group_id=c.sharing_group_id,
                )
            }
            assert colls_seen == colls_expected


def test_replacing_a_value_keeps_its_history(store: SqlStore) -> None:
    """A replaced value is kept as a version with the time it held; the change log records it."""
    _, signals = _seed_collection(store, 1)
    first, second = f.T0 + timedelta(days=1), f.T0 + timedelta(days=2)
    with store.transaction() as uow:
        uow.signals.replace_value(signals[0].id, "a" * 32, first)
        uow.signals.replace_value(signals[0].id, "b" * 32, second)
    with store.snapshot() as uow:
        got = uow.signals.get(signals[0].id)
        history = uow.signals.history(signals[0].id)
        changes = [c[2] for c in uow.signals.changes_since(0, 10)]
    assert got is not None
    assert (got.value, got.updated_at) == ("b" * 32, second)
    assert [(v.version, v.value, v.valid_from, v.valid_to) for v in history] == [
        (1, signals[0].value, signals[0].created_at, first),
        (2, "a" * 32, first, second),
    ]
    assert changes == ["add", "value", "value"]


def test_signals_by_ids_and_by_key(store: SqlStore) -> None:
    """get_many returns the existing signals by id (over several IN batches); by_key finds one value."""
    coll, signals = _seed_collection(store, 1203)
    wanted = [s.id for s in signals[::2]] + [uuid4()]
    with store.snapshot() as uow:
        found = uow.signals.get_many(wanted)
        assert found == {s.id: s for s in signals[::2]}
        assert uow.signals.by_key(coll.id, "md5", signals[5].value_key) == signals[5]
        assert uow.signals.by_key(coll.id, "sha256", signals[5].value_key) is None


def test_sightings_are_read_by_the_owner_newest_first(store: SqlStore) -> None:
    """Sightings append in bulk and read back for the signal's owner only, newest first."""
    from ctexchange.domain.sightings import Sighting

    coll, signals = _seed_collection(store, 2)
    platform = f.org("platform")
    with store.transaction() as uow:
        uow.members.add_org(platform)
    made = [
        Sighting(
            uuid4(),
            s.id,
            coll.org_id,
            platform.id,
            "key:x",
            "md5",
            "exact",
            0.0,
            n == 0,
            "r",
            f.T0 + timedelta(seconds=n),
        )
        for n, s in enumerate(signals)
    ]
    with store.transaction() as uow:
        uow.sightings.add_many(made)
    with store.snapshot() as uow:
        assert uow.sightings.of_owner(coll.org_id, None, None, 10) == made[::-1]
        assert uow.sightings.of_owner(coll.org_id, signals[0].id, None, 10) == [made[0]]
        assert uow.sightings.of_owner(coll.org_id, None, f.T0 + timedelta(seconds=1), 10) == [made[1]]
        assert uow.sightings.of_owner(platform.id, None, None, 10) == []


def test_collections_keep_their_hit_policy(store: SqlStore) -> None:
    """A collection's hit policy reads back as written."""
    from dataclasses import replace

    from ctexchange.domain.signals import HitPolicy

    org = f.org("owner")
    coll = replace(f.collection(org.id, "notifying", Marking.AMBER), hit_policy=HitPolicy.NOTIFY)
    with store.transaction() as uow:
        uow.members.add_org(org)
        uow.collections.add(coll)
    with store.snapshot() as uow:
        assert uow.collections.get(coll.id) == coll
