"""Federation end to end: two instances, each with its own SQLite home, served by uvicorn on loopback.

`alpha` and `bravo` each run the app over their own exchange in a thread on a free port. Each has a
member organization standing for the other (with an analyst and a key), so each pulls from and pushes to
the other with a key of its own. One pull runs as a real `ctx remote pull` process that is killed with
SIGKILL while it waits for a page; the next run completes with no duplicate and no gap.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest
import structlog
import uvicorn

from ctexchange.api.app import create_app
from ctexchange.cli.setup import initialise
from ctexchange.domain.entities import EntityName, EntityRecord, EntitySchema, Listing, NameType
from ctexchange.domain.queries import AuditQuery
from ctexchange.domain.signals import SignalStatus
from ctexchange.errors import InvalidInput, NotFound
from ctexchange.interop.federation_client import Envelope
from ctexchange.interop.stix import signal_stix_id
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange, open_exchange
from ctexchange.service.federation import FederationService, remote_org_id
from ctexchange.service.signals import NewSignal
from ctexchange.settings import Settings
from tests.api.factories import md5_of

KEY_COST = 4
Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Gate:
    """Wraps an app: once armed, requests for collection objects after the first `open_pages` wait for
    `release`; `held` is set when one is waiting (so a test knows a client is blocked mid-pull)."""

    def __init__(self, app: Asgi) -> None:
        self.app = app
        self.open_pages: int | None = None
        self.served = 0
        self.held = threading.Event()
        self.released = threading.Event()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if self.open_pages is not None and path.endswith("/objects/") and scope.get("method") == "GET":
            self.served += 1
            if self.served > self.open_pages:
                self.held.set()
                while not self.released.is_set():
                    await _pause()
        await self.app(scope, receive, send)


async def _pause() -> None:
    await asyncio.sleep(0.01)


@dataclass
class Instance:
    """One running instance: its home, exchange, operator, server URL and the key of its partner org."""

    name: str
    home: Path
    exchange: Exchange
    operator: Caller
    url: str
    gate: Gate
    partner_key: str = ""  # the key this instance issued to the other instance's organization
    partner: Caller | None = None

    @property
    def root(self) -> str:
        return f"{self.url}/taxii2/api/"

    def federation(self) -> FederationService:
        return FederationService(self.exchange.store, self.exchange.clock, self.exchange.stix)


def _start(name: str, home: Path, org_name: str) -> Iterator[Instance]:
    settings = Settings(home=str(home), key_hash_cost=KEY_COST)
    # The server runs in this process: its request lines would land on the stdout tests read.
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    initialise(settings, org_name, f"{name}-admin", with_un_list=False)
    exchange = open_exchange(settings)
    gate = Gate(create_app(settings, exchange))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(gate, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield Instance(name, home, exchange, exchange.operator("test"), f"http://127.0.0.1:{port}", gate)
    finally:
        gate.released.set()
        server.should_exit = True
        thread.join(timeout=30)
        exchange.close()
        structlog.configure(**saved)


@pytest.fixture
def alpha(tmp_path: Path) -> Iterator[Instance]:
    """The instance of Alpha Agency."""
    yield from _start("alpha", tmp_path / "alpha", "Alpha Agency")


@pytest.fixture
def bravo(tmp_path: Path) -> Iterator[Instance]:
    """The instance of Bravo Agency."""
    yield from _start("bravo", tmp_path / "bravo", "Bravo Agency")


def _partner(host: Instance, guest_name: str) -> None:
    """Give `host` an organization for the other instance, an analyst in it and a key for it."""
    ex, op = host.exchange, host.operator
    ex.members.create_org(op, guest_name, "national-agency")
    ex.members.create_user(op, guest_name, f"{guest_name}-analyst", "analyst")
    issued = ex.members.create_key(op, f"{guest_name}-analyst", "federation")
    host.partner_key = issued.text
    host.partner = ex.auth.authenticate(issued.text, "test")


@pytest.fixture
def pair(alpha: Instance, bravo: Instance, monkeypatch: pytest.MonkeyPatch) -> tuple[Instance, Instance]:
    """Alpha and Bravo, each a member of the other, each with the other registered as a remote."""
    _partner(alpha, "Bravo at Alpha")
    _partner(bravo, "Alpha at Bravo")
    monkeypatch.setenv("CTX_TEST_KEY_FOR_BRAVO", bravo.partner_key)
    monkeypatch.setenv("CTX_TEST_KEY_FOR_ALPHA", alpha.partner_key)
    alpha.federation().add(alpha.operator, "bravo", bravo.root, "CTX_TEST_KEY_FOR_BRAVO")
    bravo.federation().add(bravo.operator, "alpha", alpha.root, "CTX_TEST_KEY_FOR_ALPHA")
    return alpha, bravo


def _person(reference: str, name: str) -> dict[str, Any]:
    names = (EntityName(name), EntityName(name.upper(), NameType.ALIAS))
    return EntityRecord(EntitySchema.PERSON, names, Listing("UN", reference, "Al-Qaida")).to_json()


def _bravo_banks(bravo: Instance) -> dict[str, Any]:
    """Bravo's banks: GREEN content, an AMBER bank shared with Alpha's organization, STRICT and RED."""
    ex, op = bravo.exchange, bravo.operator
    ex.members.create_group(op, "partners", ["Alpha at Bravo"])
    ex.collections.create(op, "open-bank", "GREEN")
    ex.collections.create(op, "shared-bank", "AMBER", group_ref="partners")
    green = ex.signals.add_many(
        op, "open-bank", [NewSignal("md5", md5_of(n), ["propaganda"]) for n in range(3)]
    )
    amber = ex.signals.add_many(
        op,
        "shared-bank",
        [
            NewSignal("md5", md5_of(10), ["recruitment"]),
            NewSignal("person", _person("QDi.900", "Abu Example")),
            NewSignal("md5", md5_of(11), marking="AMBER+STRICT"),
            NewSignal("md5", md5_of(12), marking="RED"),
        ],
    )
    return {"green": green, "amber": amber[:2], "strict": amber[2], "red": amber[3]}


def _pulled(instance: Instance | Exchange, remote: str) -> dict[str, Any]:
    """The signals an instance holds from a remote, by the STIX id they came from."""
    ex = instance.exchange if isinstance(instance, Instance) else instance
    with ex.store.snapshot() as uow:
        found = uow.remotes.by_name(remote)
        assert found is not None
        rows = uow.remotes.db.rows(  # type: ignore[attr-defined]
            "SELECT stix_id, signal_id FROM remote_objects WHERE remote_id = :r", {"r": str(found.id)}
        )
        signals = uow.signals.get_many([UUID(r["signal_id"]) for r in rows])
    return {r["stix_id"]: signals[UUID(r["signal_id"])] for r in rows}


def test_pull_carries_markings_and_ownership_and_never_strict_or_red(pair: tuple[Instance, Instance]) -> None:
    """Alpha pulls Bravo's GREEN and shared AMBER signals: AMBER stays AMBER, each is owned by Alpha's
    record of Bravo's organization (same id as its STIX identity), AMBER+STRICT and RED never arrive,
    and a second pull changes nothing."""
    alpha, bravo = pair
    banks = _bravo_banks(bravo)
    key = os.environ["CTX_TEST_KEY_FOR_BRAVO"]
    pulls = alpha.federation().pull(alpha.operator, "bravo", key, limit=2)
    assert sorted(p.title for p in pulls) == ["open-bank", "shared-bank"]
    held = _pulled(alpha, "bravo")
    expected = {signal_stix_id(s): s for s in [*banks["green"], *banks["amber"]]}
    assert set(held) == set(expected)
    bravo_identity = f"identity--{bravo.operator.principal.org_id}"
    with alpha.exchange.store.snapshot() as uow:
        remote = uow.remotes.by_name("bravo")
        assert remote is not None
        bravo_here = remote_org_id(remote, bravo_identity)
        record = uow.members.org(bravo_here)
        assert record is not None and record.name == "Bravo Agency" and not record.is_active
        assert uow.remotes.org_remote(bravo_here) == remote.id
    for stix_id, local in held.items():
        source = expected[stix_id]
        assert local.marking is source.marking
        assert local.org_id == bravo_here != alpha.operator.principal.org_id
        assert local.provenance.source_ref == stix_id
        assert local.value == source.value
    values = {s.value_key for s in held.values()}
    assert banks["strict"].value_key not in values and banks["red"].value_key not in values
    # Alpha's operator sees the AMBER signals through the remote's sharing group; another member does not.
    amber_local = next(s for i, s in held.items() if expected[i].marking.value == "AMBER")
    operator = alpha.exchange.operator("fresh")  # group membership is read when a caller is made
    assert alpha.exchange.signals.get(operator, str(amber_local.id)).id == amber_local.id
    other = alpha.partner
    assert other is not None
    with pytest.raises(NotFound):
        alpha.exchange.signals.get(other, str(amber_local.id))
    again = alpha.federation().pull(alpha.operator, "bravo", key, limit=2)
    assert all(p.counts.get("added", 0) == 0 for p in again)
    assert _pulled(alpha, "bravo").keys() == held.keys()
    with alpha.exchange.store.snapshot() as uow:
        audited = uow.audit.events(AuditQuery(action="remote.pull"))
    assert len(audited) == 4  # two collections, two pulls
    assert {e.entry.details["collection"] for e in audited} == {p.remote_collection for p in pulls}


def test_withdrawals_and_delistings_propagate(pair: tuple[Instance, Instance]) -> None:
    """What Bravo expires or delists is expired or delisted at Alpha by the next pull."""
    alpha, bravo = pair
    banks = _bravo_banks(bravo)
    key = os.environ["CTX_TEST_KEY_FOR_BRAVO"]
    alpha.federation().pull(alpha.operator, "bravo", key)
    content, entity = banks["green"][0], banks["amber"][1]
    bravo.exchange.signals.set_status(bravo.operator, str(content.id), "expired", "taken down everywhere")
    bravo.exchange.signals.set_status(bravo.operator, str(entity.id), "delisted", "delisted by the committee")
    pulls = alpha.federation().pull(alpha.operator, "bravo", key)
    assert sum(p.counts.get("updated", 0) for p in pulls) == 2
    held = _pulled(alpha, "bravo")
    assert held[signal_stix_id(content)].status is SignalStatus.EXPIRED
    assert held[signal_stix_id(entity)].status is SignalStatus.DELISTED
    assert held[signal_stix_id(banks["green"][1])].status is SignalStatus.ACTIVE


def test_push_both_ways_and_echo_is_not_taken_back(pair: tuple[Instance, Instance]) -> None:
    """Alpha pushes its own signals into its inbox at Bravo (never STRICT or RED, never what it pulled),
    the status is polled and the checkpoint advances; Bravo pulls Alpha and does not take back its own
    signals that Alpha holds."""
    alpha, bravo = pair
    banks = _bravo_banks(bravo)
    key_bravo = os.environ["CTX_TEST_KEY_FOR_BRAVO"]
    alpha.federation().pull(alpha.operator, "bravo", key_bravo)
    assert bravo.partner is not None
    inbox = bravo.exchange.collections.create(bravo.partner, "alpha-inbox", "AMBER")
    ex, op = alpha.exchange, alpha.operator
    ex.collections.create(op, "alpha-bank", "GREEN")
    ex.signals.add_many(
        op,
        "alpha-bank",
        [NewSignal("md5", md5_of(100 + n)) for n in range(5)]
        + [
            NewSignal("md5", md5_of(200), marking="AMBER+STRICT"),
            NewSignal("md5", md5_of(201), marking="RED"),
        ],
    )
    pushes = alpha.federation().push(op, "bravo", key_bravo, collections=["alpha-bank"])
    assert [(p.sent, p.accepted, p.failures) for p in pushes] == [(5, 5, [])]
    with bravo.exchange.store.snapshot() as uow:
        rows = uow.signals.db.rows(  # type: ignore[attr-defined]
            "SELECT value_key, org_id, marking FROM signals WHERE collection_id = :c", {"c": str(inbox.id)}
        )
    assert sorted(r["value_key"] for r in rows) == sorted(md5_of(100 + n) for n in range(5))
    assert {r["org_id"] for r in rows} == {str(bravo.partner.principal.org_id)}
    assert {r["marking"] for r in rows} == {"GREEN"}
    assert alpha.federation().push(op, "bravo", key_bravo, collections=["alpha-bank"])[0].sent == 0
    ex.signals.add_many(op, "alpha-bank", [NewSignal("md5", md5_of(150))])
    assert alpha.federation().push(op, "bravo", key_bravo, collections=["alpha-bank"])[0].sent == 1
    # Bravo pulls Alpha: Alpha's own bank arrives, Bravo's own GREEN signals held by Alpha do not.
    pulls = bravo.federation().pull(bravo.operator, "alpha", os.environ["CTX_TEST_KEY_FOR_ALPHA"])
    held = _pulled(bravo, "alpha")
    assert sorted(s.value_key for s in held.values()) == sorted(
        [*(md5_of(100 + n) for n in range(5)), md5_of(150)]
    )
    with bravo.exchange.store.snapshot() as uow:
        remote = uow.remotes.by_name("alpha")
        assert remote is not None
    alpha_identity = f"identity--{alpha.operator.principal.org_id}"
    assert {s.org_id for s in held.values()} == {remote_org_id(remote, alpha_identity)}
    assert sum(p.counts.get("skipped", 0) for p in pulls) == 0
    assert not {s.value_key for s in banks["green"]} & {s.value_key for s in held.values()}


def _count_objects(home: Path) -> tuple[int, bool]:
    """How many pulled objects Alpha's store holds, and whether a pull is in progress (read directly)."""
    with sqlite3.connect(f"file:{home / 'ctx.sqlite3'}?mode=ro", uri=True) as db:
        held = db.execute("SELECT COUNT(*) FROM remote_objects").fetchone()[0]
        running = db.execute(
            "SELECT COUNT(*) FROM remote_checkpoints WHERE direction = 'pull'"
            " AND (run_after IS NOT NULL OR next_page IS NOT NULL)"
        ).fetchone()[0]
    return int(held), bool(running)


@pytest.mark.slow
def test_a_pull_killed_mid_way_resumes_without_duplicates_or_gaps(pair: tuple[Instance, Instance]) -> None:
    """`ctx remote pull --limit 2` is killed with SIGKILL while waiting for its sixth page of a 60-signal
    bank; meanwhile Bravo adds signals and expires one already pulled. The next pull completes: Alpha
    holds every signal exactly once, with the expired one expired."""
    alpha, bravo = pair
    ex, op = bravo.exchange, bravo.operator
    ex.collections.create(op, "big-bank", "GREEN")
    first = ex.signals.add_many(op, "big-bank", [NewSignal("md5", md5_of(1000 + n)) for n in range(60)])
    alpha.exchange.close()  # the process below writes the store; this test reads it directly
    bravo.gate.open_pages = 5
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTX_")}
    env.update(
        {
            "CTX_HOME": str(alpha.home),
            "CTX_KEY_HASH_COST": str(KEY_COST),
            "CTX_TEST_KEY_FOR_BRAVO": bravo.partner_key,
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "ctexchange", "remote", "pull", "bravo", "--limit", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert bravo.gate.held.wait(timeout=120), "the pull never reached its sixth page"
        held_before, running = _count_objects(alpha.home)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert running and 0 < held_before < 60, (held_before, running)
    later = ex.signals.add_many(op, "big-bank", [NewSignal("md5", md5_of(2000 + n)) for n in range(4)])
    ex.signals.set_status(op, str(first[0].id), "expired", "withdrawn while the pull was down")
    bravo.gate.open_pages = None
    bravo.gate.released.set()
    reopened = open_exchange(Settings(home=str(alpha.home), key_hash_cost=KEY_COST))
    try:
        alpha.exchange = reopened
        FederationService(reopened.store, reopened.clock, reopened.stix).pull(
            reopened.operator("test"), "bravo", bravo.partner_key, limit=2
        )
        held = _pulled(alpha, "bravo")
    finally:
        reopened.close()
    expected = {signal_stix_id(s) for s in [*first, *later]}
    assert set(held) == expected  # no gap
    values = [s.value_key for s in held.values()]
    assert len(values) == len(set(values)) == 64  # no duplicate
    assert held[signal_stix_id(first[0])].status is SignalStatus.EXPIRED
    assert _count_objects(alpha.home) == (64, False)


class _Remote:
    """A TAXII server of another kind, answering from fixed pages: for revocations and odd objects."""

    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self.pages = pages
        self.asked: list[tuple[str | None, str | None]] = []

    def collections(self) -> list[dict[str, Any]]:
        return [{"id": "feed-1", "title": "vendor feed", "can_read": True, "can_write": False}]

    def objects(
        self, collection_id: str, added_after: str | None, next_page: str | None, limit: int
    ) -> Envelope:
        self.asked.append((added_after, next_page))
        index = int(next_page or 0)
        more = index + 1 < len(self.pages)
        return Envelope(
            tuple(self.pages[index]),
            more,
            str(index + 1) if more else None,
            f"2026-11-0{index + 1}T00:00:00Z",
        )

    def object(self, collection_id: str, object_id: str) -> dict[str, Any] | None:
        return None

    def add_objects(self, collection_id: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
        raise AssertionError("not pushed to")

    def status(self, status_id: str) -> dict[str, Any]:
        raise AssertionError("not polled")


def _vendor_indicator(digest: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid5(NAMESPACE_URL, digest)}",
        "created": "2026-11-01T00:00:00.000Z",
        "modified": extra.pop("modified", "2026-11-01T00:00:00.000Z"),
        "pattern": f"[file:hashes.MD5 = '{digest}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
        **extra,
    }


def test_revoked_objects_withdraw_and_objects_without_creator_belong_to_the_remote(
    any_exchange: Exchange,
) -> None:
    """From a server of another kind: an indicator with no `created_by_ref` is owned by a record of the
    remote itself; a later `revoked` version expires it; a RED object, and one made by this exchange's
    own organization, are skipped with their reason; the checkpoint is the last page's date added."""
    operator = any_exchange.operator("test")
    red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    pages = [
        [_vendor_indicator(md5_of(1)), _vendor_indicator(md5_of(2))],
        [_vendor_indicator(md5_of(3), object_marking_refs=[red])],
        [
            _vendor_indicator(md5_of(1), modified="2026-11-02T00:00:00.000Z", revoked=True),
            _vendor_indicator(md5_of(4), created_by_ref=f"identity--{operator.principal.org_id}"),
        ],
    ]
    fake = _Remote(pages)
    service = FederationService(
        any_exchange.store, any_exchange.clock, any_exchange.stix, client_factory=lambda *_: fake
    )
    service.add(operator, "vendor", "https://taxii.vendor.example/api/", "VENDOR_KEY")
    [pull] = service.pull(operator, "vendor", "secret-key")
    assert (pull.pages, pull.counts.get("added"), pull.counts.get("withdrawn")) == (3, 2, 1)
    assert any("TLP:RED" in line for line in pull.skipped)
    assert any("our own, coming back" in line for line in pull.skipped)
    held = _pulled(any_exchange, "vendor")
    assert len(held) == 2
    owners = {s.org_id for s in held.values()}
    assert operator.principal.org_id not in owners and len(owners) == 1
    statuses = {s.value_key: s.status for s in held.values()}
    assert statuses == {md5_of(1): SignalStatus.EXPIRED, md5_of(2): SignalStatus.ACTIVE}
    [view] = [v for v in service.remotes(operator) if v.remote.name == "vendor"]
    assert view.checkpoints[0].added_after == "2026-11-03T00:00:00Z"
    assert not view.checkpoints[0].is_running
    service.pull(operator, "vendor", "secret-key")
    assert fake.asked[-3][0] == "2026-11-02T23:59:00.000000Z"  # the checkpoint less the overlap


def test_one_remote_cannot_write_in_the_name_of_another_remotes_organization(any_exchange: Exchange) -> None:
    """Two remotes naming the same `created_by_ref` get two local records, each tied to its remote: a
    remote cannot add signals owned by an organization known through another."""
    operator = any_exchange.operator("test")
    creator = "identity--6b0d3f4e-8a61-4c2e-9f5d-2e7a1c9b3d40"
    owners = {}
    for name, n in (("first", 1), ("second", 2)):
        fake = _Remote([[_vendor_indicator(md5_of(n), created_by_ref=creator)]])
        service = FederationService(
            any_exchange.store, any_exchange.clock, any_exchange.stix, client_factory=lambda *_, f=fake: f
        )
        service.add(operator, name, f"https://{name}.example/taxii2/api/", "KEY")
        service.pull(operator, name, "k")
        [signal] = _pulled(any_exchange, name).values()
        owners[name] = signal.org_id
        with any_exchange.store.snapshot() as uow:
            remote = uow.remotes.by_name(name)
            assert remote is not None and uow.remotes.org_remote(signal.org_id) == remote.id
            assert signal.org_id == remote_org_id(remote, creator)
    assert owners["first"] != owners["second"]


def test_a_bad_page_stops_the_pull_where_it_is(any_exchange: Exchange) -> None:
    """An invalid object on page 2 stops the pull with an error naming the remote, collection and page;
    page 1 stays in and the checkpoint says where to resume; once the remote fixes it, the pull ends."""
    operator = any_exchange.operator("test")
    broken = _vendor_indicator(md5_of(2), pattern="[file:hashes.MD5 = ")
    fake = _Remote([[_vendor_indicator(md5_of(1))], [broken], [_vendor_indicator(md5_of(3))]])
    service = FederationService(
        any_exchange.store, any_exchange.clock, any_exchange.stix, client_factory=lambda *_: fake
    )
    service.add(operator, "vendor", "https://taxii.vendor.example/api/", "VENDOR_KEY")
    with pytest.raises(InvalidInput, match=r"remote 'vendor', collection feed-1, page 2: 'objects\[0\]'"):
        service.pull(operator, "vendor", "k")
    assert [s.value_key for s in _pulled(any_exchange, "vendor").values()] == [md5_of(1)]
    [view] = service.remotes(operator)
    assert view.checkpoints[0].is_running and view.checkpoints[0].next_page == "1"
    fake.pages[1] = [_vendor_indicator(md5_of(2))]
    [pull] = service.pull(operator, "vendor", "k")
    assert (pull.pages, pull.counts.get("added")) == (2, 2)
    assert fake.asked[-2:] == [(None, "1"), (None, "2")]  # resumed at page 2, not from the start
    assert len(_pulled(any_exchange, "vendor")) == 3
