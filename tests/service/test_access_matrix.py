"""The access matrix: role x marking x same/other organization x sharing-group membership x named RED
recipient, for every read path of the service (get, list, count, search, export, opinions, content
match, and collections by list, id and ORG/NAME).

The expectation is written here from DESIGN.md's table, independently of `ctexchange.domain.access`.
Signals are written straight to the store so that every cell exists, including ones the service would
refuse to create (recipients on a non-RED signal).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest

from ctexchange.domain.markings import Marking
from ctexchange.domain.members import Principal
from ctexchange.domain.queries import AuditQuery, PageRequest, SignalQuery
from ctexchange.domain.roles import Role
from ctexchange.domain.signals import Collection, Signal
from ctexchange.errors import Forbidden, NotFound
from ctexchange.service.content import ContentQuery
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from tests.store import factories as f

READERS = {Role.ADMIN, Role.ANALYST, Role.REVIEWER, Role.AUDITOR}
EXPORTERS = {Role.ADMIN, Role.ANALYST}


def expected_visible(marking: Marking, same_org: bool, in_group: bool, recipient: bool) -> bool:
    """DESIGN.md: who may see a signal."""
    if same_org or marking in (Marking.CLEAR, Marking.GREEN):
        return True
    if marking in (Marking.AMBER, Marking.AMBER_STRICT):
        return in_group
    return recipient


def expected_exported(marking: Marking, same_org: bool, in_group: bool, recipient: bool) -> bool:
    """DESIGN.md: AMBER+STRICT is never forwarded beyond its audience; RED never leaves its recipients."""
    if not expected_visible(marking, same_org, in_group, recipient):
        return False
    return same_org or marking not in (Marking.AMBER_STRICT, Marking.RED)


@dataclass
class World:
    """An exchange with an owner, a group member, an outsider, a user per role in each, and signals."""

    exchange: Exchange
    owner: UUID
    group_id: UUID
    group_members: set[UUID]
    callers: list[Caller]
    signals: list[Signal]
    collections: list[Collection]

    def cell(self, caller: Caller, signal: Signal) -> tuple[Marking, bool, bool, bool]:
        """The matrix coordinates of a (caller, signal) pair."""
        p = caller.principal
        in_group = signal.sharing_group_id is not None and p.org_id in self.group_members
        return signal.marking, p.org_id == signal.org_id, in_group, p.user_id in signal.recipient_ids

    def collection_cell(self, caller: Caller, coll: Collection) -> tuple[Marking, bool, bool, bool]:
        """The matrix coordinates of a (caller, collection) pair: collections have no recipients."""
        p = caller.principal
        in_group = coll.sharing_group_id is not None and p.org_id in self.group_members
        return coll.default_marking, p.org_id == coll.org_id, in_group, False


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """One world for the whole module (building it is the slow part)."""
    from ctexchange.settings import Settings
    from ctexchange.store import open_store
    from tests.conftest import TEST_KEY_COST, initialised

    home = tmp_path_factory.mktemp("matrix")
    settings = Settings(home=str(home), key_hash_cost=TEST_KEY_COST)
    store = open_store(settings.store_url)
    store.migrate()
    exchange = initialised(settings, store)
    owner, member, outsider = f.org("owner"), f.org("member"), f.org("outsider")
    g = f.group("g", owner.id, {member.id})
    users = {
        (o.id, r): f.user(o.id, f"{o.name}-{r.value}", r) for o in (owner, member, outsider) for r in Role
    }
    grouped = f.collection(owner.id, "grouped", Marking.GREEN, g.id)
    ungrouped = f.collection(owner.id, "ungrouped", Marking.GREEN)
    banks = [
        f.collection(owner.id, f"bank-{m.value}-{'g' if grp else 'n'}", m, grp)
        for m, grp in itertools.product(Marking, (g.id, None))
    ]
    recipient_sets = [frozenset()] + [frozenset({u.id}) for u in users.values()]
    combos = itertools.product(list(Marking), (grouped, ungrouped), recipient_sets)
    signals = [f.signal(c, n, marking=m, recipients=r) for n, (m, c, r) in enumerate(combos, start=1)]
    with store.transaction() as uow:
        for o in (owner, member, outsider):
            uow.members.add_org(o)
        for u in users.values():
            uow.members.add_user(u)
        uow.groups.add_group(g)
        for c in [grouped, ungrouped, *banks]:
            uow.collections.add(c)
        for s in signals:
            uow.signals.add(s)
    callers = []
    for (org_id, role), u in users.items():
        groups = frozenset({g.id}) if org_id in g.member_org_ids else frozenset()
        callers.append(Caller(Principal(org_id, role, u.id, u.name, False, groups), f"req-{u.name}"))
    return World(
        exchange, owner.id, g.id, set(g.member_org_ids), callers, signals, [grouped, ungrouped, *banks]
    )


def _callers(role: Role) -> list[str]:
    return [f"{org}-{role.value}" for org in ("owner", "member", "outsider")]


ALL_CALLERS = [name for role in Role for name in _callers(role)]


def _caller(world: World, name: str) -> Caller:
    return next(c for c in world.callers if c.principal.name == name)


def _absent_message(world: World, caller: Caller, signal_id: UUID) -> str:
    """The NotFound message for an id that does not exist, with the id replaced."""
    ghost = uuid4()
    with pytest.raises(NotFound) as info:
        world.exchange.signals.get(caller, ghost)
    return info.value.message.replace(str(ghost), str(signal_id))


@pytest.mark.parametrize("name", ALL_CALLERS)
def test_get(world: World, name: str) -> None:
    """get returns exactly the visible signals; every other one is indistinguishable from an absent id."""
    caller = _caller(world, name)
    for signal in world.signals:
        if caller.principal.role not in READERS:
            with pytest.raises(Forbidden):
                world.exchange.signals.get(caller, signal.id)
        elif expected_visible(*world.cell(caller, signal)):
            assert world.exchange.signals.get(caller, signal.id) == signal
        else:
            with pytest.raises(NotFound) as info:
                world.exchange.signals.get(caller, signal.id)
            assert info.value.message == _absent_message(world, caller, signal.id)
            assert info.value.field == "signal_id"


@pytest.mark.parametrize("name", ALL_CALLERS)
def test_list_and_count(world: World, name: str) -> None:
    """list and count cover exactly the visible signals."""
    caller = _caller(world, name)
    service = world.exchange.signals
    if caller.principal.role not in READERS:
        with pytest.raises(Forbidden):
            service.find(caller, SignalQuery(), PageRequest(500))
        with pytest.raises(Forbidden):
            service.count(caller, SignalQuery())
        return
    expected = {s.id for s in world.signals if expected_visible(*world.cell(caller, s))}
    listed = service.find(caller, SignalQuery(), PageRequest(500))
    assert listed.next_after is None
    assert {s.id for s in listed.items} == expected
    assert service.count(caller, SignalQuery()) == len(expected)


@pytest.mark.parametrize("name", ALL_CALLERS)
def test_search_and_filtered_count(world: World, name: str) -> None:
    """A search for a signal's exact value finds it, and counts it, only when it is visible."""
    caller = _caller(world, name)
    if caller.principal.role not in READERS:
        return
    for signal in world.signals:
        query = SignalQuery(text=signal.value_key)
        found = world.exchange.signals.find(caller, query, PageRequest(10))
        visible = expected_visible(*world.cell(caller, signal))
        assert [s.id for s in found.items] == ([signal.id] if visible else [])
        assert world.exchange.signals.count(caller, query) == int(visible)


@pytest.mark.parametrize("name", ALL_CALLERS)
def test_export(world: World, name: str) -> None:
    """export carries exactly the exportable signals: never another's AMBER+STRICT or RED."""
    caller = _caller(world, name)
    if caller.principal.role not in EXPORTERS:
        with pytest.raises(Forbidden):
            list(world.exchange.signals.export(caller, SignalQuery()))
        return
    expected = {s.id for s in world.signals if expected_exported(*world.cell(caller, s))}
    assert {s.id for s in world.exchange.signals.export(caller, SignalQuery())} == expected


@pytest.mark.parametrize("name", ALL_CALLERS)
def test_opinions(world: World, name: str) -> None:
    """Opinions of a signal are readable exactly when the signal is."""
    caller = _caller(world, name)
    if caller.principal.role not in READERS:
        return
    for signal in world.signals:
        if expected_visible(*world.cell(caller, signal)):
            assert world.exchange.signals.opinions(caller, signal.id) == []
        else:
            with pytest.raises(NotFound):
                world.exchange.signals.opinions(caller, signal.id)


@pytest.mark.parametrize("name", ALL_CALLERS)
def test_collections(world: World, name: str) -> None:
    """Collections are listed and read (by id and by ORG/NAME) exactly when their marking allows."""
    caller = _caller(world, name)
    service = world.exchange.collections
    expected = {c.id for c in world.collections if expected_visible(*world.collection_cell(caller, c))}
    assert {c.id for c in service.list(caller)} == expected
    for coll in world.collections:
        for ref in (str(coll.id), f"owner/{coll.name}"):
            if coll.id in expected:
                assert service.get(caller, ref) == coll
            else:
                with pytest.raises(NotFound) as info:
                    service.get(caller, ref)
                assert info.value.message == f"collection {ref} not found"


MATCHERS = {Role.ADMIN, Role.ANALYST, Role.REVIEWER, Role.SERVICE}


@pytest.mark.parametrize("name", ALL_CALLERS)
def test_content_match(world: World, name: str) -> None:
    """A lookup of every signal's value returns exactly the visible ones; hidden hits leave no trace."""
    caller = _caller(world, name)
    queries = [ContentQuery(md5=str(s.value), id=str(s.id)) for s in world.signals]
    if caller.principal.role not in MATCHERS:
        with pytest.raises(Forbidden):
            world.exchange.content.match_many(caller, queries)
        return
    outcomes = world.exchange.content.match_many(caller, queries)
    for signal, outcome in zip(world.signals, outcomes, strict=True):
        expected = [signal.id] if expected_visible(*world.cell(caller, signal)) else []
        assert [h.signal.id for h in outcome.hits] == expected
        assert outcome.restricted == []


def test_sensitive_reads_are_audited(world: World) -> None:
    """Every get of an AMBER, AMBER+STRICT or RED signal left an audit event naming it and the reader."""
    caller = _caller(world, "member-analyst")
    sensitive = [
        s for s in world.signals if s.marking.is_sensitive and expected_visible(*world.cell(caller, s))
    ]
    assert sensitive
    for signal in sensitive:
        world.exchange.signals.get(caller, signal.id)
    auditor = Caller(Principal(world.owner, Role.AUDITOR, None, "owner-auditor"), "r")
    events = world.exchange.audit.events(auditor, AuditQuery(action="signal.read", limit=100_000))
    mine = {e.entry.object_id for e in events if e.entry.request_id == caller.request_id}
    assert {str(s.id) for s in sensitive} <= mine


def test_matrix_is_complete(world: World) -> None:
    """The world holds every cell of role x marking x same/other org x group x recipient."""
    cells = {(c.principal.role, *world.cell(c, s)) for c in world.callers for s in world.signals}
    expected = {
        (role, marking, same, group, rec)
        for role, marking, same, group, rec in itertools.product(
            Role, Marking, [True, False], [True, False], [True, False]
        )
    }
    assert cells == expected
