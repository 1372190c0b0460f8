"""Webhooks through the service, delivered to a real HTTP receiver on a loopback port: signed payloads
with ids only, events from alerts, requests, cases and matches going only to organizations that may see
them, back-off retries driven by a fake clock, timeouts, cancellation on removal, and who manages what."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ctexchange.domain.cases import CaseAudience, CaseQuery, CaseStatus
from ctexchange.domain.queries import AuditQuery, PageRequest
from ctexchange.domain.webhooks import BACKOFF, MAX_ATTEMPTS, Delivery, DeliveryStatus, WebhookEvent
from ctexchange.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from ctexchange.service.alerts import NewAlert, SubjectInput
from ctexchange.service.content import ContentItem, ContentQuery
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange, build_exchange
from ctexchange.service.requests import RequestDraft, SubjectIn
from ctexchange.service.webhooks import Notifier, WebhookService
from ctexchange.settings import Settings
from ctexchange.store import open_store
from ctexchange.store.cases import SqlCases
from ctexchange.store.webhooks import SqlWebhooks
from tests.conftest import TEST_KEY_COST, exchange_boot_caller
from tests.receiver import Received, Receiver, running_receiver

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
BAD = "a" * 64
ALL = ["match.hit", "case.opened", "case.decided", "request.received", "request.moved", "alert.received"]


class FakeClock:
    """A clock the test moves by hand (microseconds advance on every read, keeping times distinct)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver, shut down after the test."""
    with running_receiver() as state:
        yield state


@dataclass
class World:
    """The operator's review bank; `platform` (pipeline, admin, reviewer), `agency` (admin, analyst) and
    `third` (admin), each admin subscribed to every event at its own path of the receiver."""

    exchange: Exchange
    clock: FakeClock
    receiver: Receiver
    operator: Caller
    callers: dict[str, Caller]
    secrets: dict[str, str]

    def deliver(self, at: datetime | None = None) -> list[Delivery]:
        """Run the delivery worker as the operator at `at` (default: the clock)."""
        return self.exchange.webhooks.deliver_due(self.operator, at)

    def payloads(self, org: str) -> list[Any]:
        """The payloads the receiver got for `org`."""
        return [r.payload for r in self.receiver.on(f"/{org}")]

    def alert(self, marking: str = "AMBER", **recipients: Any) -> Any:
        """Issue an alert from agency to platform (RED: to platform's reviewer by name)."""
        new = NewAlert(
            title="Fighter reported travelling",
            kind="fighter-travel",
            valid_until=self.clock.now + timedelta(days=7),
            marking=marking,
            subject=SubjectInput(names=["Abu Example"]),
            **(recipients or {"orgs": ["platform"]}),
        )
        return self.exchange.alerts.issue(self.callers["agency-analyst"], new)


def _caller(exchange: Exchange, operator: Caller, org: str, name: str, role: str) -> Caller:
    exchange.members.create_user(operator, org, name, role)
    return exchange.auth.authenticate(exchange.members.create_key(operator, name, "k").text, "t")


@pytest.fixture
def world(tmp_path: Path, store_url: str, receiver: Receiver) -> Iterator[World]:
    """See `World`; on each backend (the outbox is written in the transactions of the changes)."""
    settings = Settings(home=str(tmp_path), key_hash_cost=TEST_KEY_COST, database_url=store_url)
    store = open_store(settings.store_url)
    store.migrate()
    clock = FakeClock()
    exchange = build_exchange(settings, store, clock)
    exchange.members.bootstrap(exchange_boot_caller(), "coalition", "admin")
    operator = exchange.operator("test")
    exchange.collections.create(operator, "tco", "GREEN", requires_review=True)
    exchange.content.add(operator, "tco", [ContentItem(None, {"sha256": BAD}, ["propaganda"])])
    exchange.members.create_org(operator, "platform", "online-service")
    exchange.members.create_org(operator, "agency", "national-agency")
    exchange.members.create_org(operator, "third", "national-agency")
    callers = {
        "pipeline": _caller(exchange, operator, "platform", "pipeline", "service"),
        "platform-reviewer": _caller(exchange, operator, "platform", "rev", "reviewer"),
        "platform-admin": _caller(exchange, operator, "platform", "padmin", "admin"),
        "agency-admin": _caller(exchange, operator, "agency", "aadmin", "admin"),
        "agency-analyst": _caller(exchange, operator, "agency", "analyst", "analyst"),
        "third-admin": _caller(exchange, operator, "third", "tadmin", "admin"),
    }
    secrets = {
        org: exchange.webhooks.add(callers[f"{org}-admin"], receiver.url(f"/{org}"), ALL).secret
        for org in ("platform", "agency", "third")
    }
    yield World(exchange, clock, receiver, operator, callers, secrets)
    exchange.close()


def _verify(secret: str, got: Received) -> None:
    """Check the signature header as a receiver would, with hmac and the header's own timestamp."""
    assert got.is_signed_with(secret)


# Delivery ------------------------------------------------------------------------------------------------


def test_an_alert_reaches_its_recipient_signed_with_ids_only(world: World) -> None:
    """The recipient's receiver gets one signed POST with event and delivery ids; the payload names the
    alert by id, kind and marking and carries none of its text; the third party gets nothing."""
    view = world.alert()
    done = world.deliver()
    assert [d.status for d in done] == [DeliveryStatus.DELIVERED]
    [got] = world.receiver.on("/platform")
    _verify(world.secrets["platform"], got)
    payload = got.payload
    assert payload["type"] == "alert.received"
    assert payload["data"] == {"alert_id": str(view.alert.id), "kind": "fighter-travel", "marking": "AMBER"}
    [platform_id] = view.alert.recipient_org_ids
    assert payload["organization"] == str(platform_id)
    assert got.headers["X-Ctx-Event"] == payload["id"]
    assert got.headers["X-Ctx-Delivery"] == str(done[0].id)
    assert b"Fighter" not in got.body and b"Abu" not in got.body
    assert world.payloads("third") == []
    assert world.payloads("agency") == []
    with pytest.raises(AssertionError):
        _verify(world.secrets["third"], got)


def test_a_red_alert_is_not_sent(world: World) -> None:
    """A RED alert's audience is named users, so no organization's receiver is told."""
    world.alert("RED", users=["rev"])
    assert world.deliver() == []


def test_requests_tell_the_other_party_only(world: World) -> None:
    """Sending tells the requested organization (`request.received`); each later move tells the other
    party (`request.moved`); a draft tells nobody, nor does a third party hear anything."""
    analyst, reviewer = world.callers["agency-analyst"], world.callers["platform-admin"]
    draft = RequestDraft(
        requested_org="platform",
        title="Preserve subscriber data",
        legal_basis="UNSCR 2396 (2017), para. 13",
        facts="A channel posts recruitment videos.",
        offence="Recruitment",
        assistance=("preserve_data",),
        subjects=(SubjectIn(name="Abu Example", birth_date="1994", nationalities=("TJ",)),),
        deadline="2027-06-30",
    )
    request = world.exchange.requests.create(analyst, draft)
    assert world.deliver() == []
    world.exchange.requests.send(analyst, request.id)
    world.exchange.requests.acknowledge(reviewer, request.id)
    world.deliver()
    [received] = world.payloads("platform")
    assert (received["type"], received["data"]["request_id"], received["data"]["to"]) == (
        "request.received",
        str(request.id),
        "sent",
    )
    [moved] = world.payloads("agency")
    assert (moved["type"], moved["data"]["move"], moved["data"]["from"]) == (
        "request.moved",
        "acknowledge",
        "sent",
    )
    assert "Abu" not in json.dumps([received, moved])
    assert world.payloads("third") == []


def test_matches_and_cases_tell_the_matching_organization(world: World) -> None:
    """A pipeline's hit in a review bank tells its organization `match.hit` and `case.opened`; the
    decision tells it `case.decided`; the bank's owner and others hear nothing of it."""
    world.exchange.content.match(world.callers["pipeline"], ContentQuery(sha256=BAD, id="item-1"))
    world.deliver()
    by_type = {p["type"]: p for p in world.payloads("platform")}
    assert set(by_type) == {"match.hit", "case.opened"}
    hit = by_type["match.hit"]["data"]
    assert hit["lookup_id"] == "item-1"
    assert [h["kind"] for h in hit["hits"]] == ["sha256"]
    assert BAD not in json.dumps(hit)
    case_id = by_type["case.opened"]["data"]["case_id"]
    world.exchange.cases.confirm(world.callers["platform-reviewer"], case_id, "remove", "Propaganda.")
    world.deliver()
    decided = world.payloads("platform")[-1]
    assert decided["type"] == "case.decided"
    assert decided["data"] == {
        "case_id": case_id,
        "move": "confirm",
        "from": CaseStatus.OPEN.value,
        "to": CaseStatus.CONFIRMED.value,
    }
    assert world.payloads("agency") == world.payloads("third") == []


def test_failures_retry_on_the_backoff_schedule_then_fail(world: World) -> None:
    """A receiver answering 500 is tried at 0, +30 s, +2 min, +10 min, +1 h, +6 h (cumulative), never
    before its time, then the delivery is failed with every attempt counted."""
    world.receiver.statuses = [500] * MAX_ATTEMPTS
    world.alert()
    at = world.clock.now
    times = [at]
    for wait in BACKOFF:
        times.append(times[-1] + wait)
    for n, moment in enumerate(times, start=1):
        if n > 1:
            assert world.deliver(moment - timedelta(seconds=1)) == []
        [done] = world.deliver(moment)
        assert (done.attempts, done.last_status_code, done.last_error) == (n, 500, "HTTP 500")
        if n < MAX_ATTEMPTS:
            assert (done.status, done.next_attempt_at) == (DeliveryStatus.RETRYING, moment + BACKOFF[n - 1])
    assert (done.status, done.next_attempt_at) == (DeliveryStatus.FAILED, None)
    assert world.deliver(times[-1] + timedelta(days=30)) == []
    assert len(world.receiver.on("/platform")) == MAX_ATTEMPTS
    assert len({r.headers["X-Ctx-Delivery"] for r in world.receiver.on("/platform")}) == 1


def test_a_retry_that_succeeds_is_delivered(world: World) -> None:
    """One 503 then 204: delivered on the second attempt, the same body both times."""
    world.receiver.statuses = [503, 204]
    world.alert()
    [first] = world.deliver()
    [second] = world.deliver(first.next_attempt_at)
    assert (second.status, second.attempts, second.last_error) == (DeliveryStatus.DELIVERED, 2, None)
    assert second.delivered_at == first.next_attempt_at
    bodies = [r.body for r in world.receiver.on("/platform")]
    assert len(bodies) == 2 and bodies[0] == bodies[1]


def test_a_slow_receiver_times_out_and_is_retried(world: World) -> None:
    """A receiver slower than the timeout counts as a failed attempt with the error recorded."""
    world.receiver.delay_s = 1.0
    world.alert()
    quick = WebhookService(world.exchange.store, world.clock, timeout_s=0.2)
    [done] = quick.deliver_due(world.operator)
    assert (done.status, done.attempts, done.last_status_code) == (DeliveryStatus.RETRYING, 1, None)
    assert "timed out" in (done.last_error or "")


def test_an_unreachable_receiver_is_retried(world: World) -> None:
    """A refused connection is a failed attempt, not an error of the worker."""
    platform_admin = world.callers["platform-admin"]
    [sub] = world.exchange.webhooks.subscriptions(platform_admin)
    world.exchange.webhooks.remove(platform_admin, sub.id)
    world.exchange.webhooks.add(platform_admin, "http://127.0.0.1:9/closed", ["alert.received"])
    world.alert()
    [done] = world.deliver()
    assert (done.status, done.last_status_code) == (DeliveryStatus.RETRYING, None)
    assert done.last_error


def test_removing_a_subscription_cancels_what_it_had_not_received(world: World) -> None:
    """Deliveries of a removed subscription are cancelled, not sent; removing twice is refused."""
    world.alert()
    platform_admin = world.callers["platform-admin"]
    [sub] = world.exchange.webhooks.subscriptions(platform_admin)
    removed = world.exchange.webhooks.remove(platform_admin, sub.id)
    assert (removed.is_active, removed.removed_at is not None) == (False, True)
    [done] = world.deliver()
    assert done.status is DeliveryStatus.CANCELLED
    assert world.receiver.got == []
    with pytest.raises(InvalidTransition, match="was removed already"):
        world.exchange.webhooks.remove(platform_admin, sub.id)
    world.alert()
    assert world.deliver() == []


# Managing subscriptions -----------------------------------------------------------------------------------


def test_only_admins_manage_and_only_their_own(world: World) -> None:
    """Non-admins are Forbidden; another organization's subscription is NotFound exactly as an absent
    one; an admin may not act for another organization; the operator's admins may."""
    with pytest.raises(Forbidden, match=r"webhooks\.manage"):
        world.exchange.webhooks.subscriptions(world.callers["agency-analyst"])
    [platform_sub] = world.exchange.webhooks.subscriptions(world.callers["platform-admin"])
    absent = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFound) as hidden:
        world.exchange.webhooks.remove(world.callers["agency-admin"], platform_sub.id)
    with pytest.raises(NotFound) as missing:
        world.exchange.webhooks.remove(world.callers["agency-admin"], absent)
    assert str(hidden.value) == str(missing.value).replace(absent, str(platform_sub.id))
    with pytest.raises(Forbidden, match="their own organization"):
        world.exchange.webhooks.deliveries(world.callers["agency-admin"], "platform")
    assert world.exchange.webhooks.subscriptions(world.operator, "platform") == [platform_sub]
    with pytest.raises(Forbidden, match="operator organization"):
        world.exchange.webhooks.deliver_due(world.callers["agency-admin"])


def test_bad_input_is_refused_before_storage(world: World) -> None:
    """A bad URL or event type names the field; nothing is stored."""
    admin = world.callers["third-admin"]
    with pytest.raises(InvalidInput, match="'url' must be https://"):
        world.exchange.webhooks.add(admin, "http://hooks.example.org/", ["case.opened"])
    with pytest.raises(InvalidInput, match=r"'events\[0\]' must be one of"):
        world.exchange.webhooks.add(admin, "https://hooks.example.org/", ["case.closed"])
    with pytest.raises(InvalidInput, match="'limit' must be from 1 to 500"):
        world.exchange.webhooks.deliveries(admin, limit=0)
    assert len(world.exchange.webhooks.subscriptions(admin)) == 1


def test_audit_names_the_origin_never_the_secret(world: World) -> None:
    """webhook.add/remove/deliver are audited with events and origin; the secret and path are absent."""
    admin = world.callers["third-admin"]
    created = world.exchange.webhooks.add(admin, "https://hooks.example.org/p?token=t0k", ["alert.received"])
    world.exchange.webhooks.remove(admin, created.subscription.id)
    world.alert()
    world.deliver()
    with world.exchange.store.snapshot() as uow:
        events = uow.audit.events(AuditQuery(limit=1000))
    actions = [e.entry.action for e in events if e.entry.action.startswith("webhook.")]
    assert actions.count("webhook.add") == 4
    assert "webhook.remove" in actions and "webhook.deliver" in actions
    dumped = json.dumps([e.entry.details for e in events])
    assert created.secret not in dumped and "t0k" not in dumped
    assert "https://hooks.example.org" in dumped
    for secret in world.secrets.values():
        assert secret not in dumped


# The outbox of a lookup ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """What the store holds of the platform's lookups: sightings, cases and outbox rows by event type."""

    sightings: int
    cases: int
    events: list[str]


def _stored(world: World) -> Stored:
    platform = world.callers["pipeline"].principal.org_id
    with world.exchange.store.snapshot() as uow:
        coalition = world.operator.principal.org_id
        sightings = [s for s in uow.sightings.of_owner(coalition, None, None, 1000) if s.org_id == platform]
        cases = uow.cases.find(CaseQuery(), CaseAudience(platform, False), PageRequest(100, None)).items
        events = sorted(d.event.value for d in uow.webhooks.deliveries(platform, 100))
    return Stored(len(sightings), len(cases), events)


def test_a_lookup_writes_its_sightings_case_and_events_together(world: World) -> None:
    """One lookup stores its sighting, its case and both events (`case.opened`, and `match.hit` naming
    the case the hit opened) before any delivery runs."""
    outcome = world.exchange.content.match(world.callers["pipeline"], ContentQuery(sha256=BAD, id="item-1"))
    assert _stored(world) == Stored(1, 1, ["case.opened", "match.hit"])
    world.deliver()
    hit = next(p for p in world.payloads("platform") if p["type"] == "match.hit")
    assert [h["case_id"] for h in hit["data"]["hits"]] == [str(c) for c in outcome.case_ids]


@pytest.mark.parametrize(
    ("target", "name"),
    [(Notifier, "emit"), (SqlCases, "add_hits"), (SqlWebhooks, "add_delivery")],
    ids=["before-match.hit", "between-case-and-hits", "writing-the-outbox"],
)
def test_a_crash_inside_a_lookup_stores_none_of_it(
    world: World, monkeypatch: pytest.MonkeyPatch, target: type, name: str
) -> None:
    """A failure after the sighting is written (while filing the case, or writing an event) leaves no
    sighting, no case and no event behind; the same lookup afterwards stores each once."""
    real = getattr(target, name)
    calls: list[object] = []

    def crash(self: object, *args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if name != "emit" or args[2] is WebhookEvent.MATCH_HIT:
            raise RuntimeError("power cut")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(target, name, crash)
    with pytest.raises(RuntimeError, match="power cut"):
        world.exchange.content.match(world.callers["pipeline"], ContentQuery(sha256=BAD, id="item-1"))
    assert calls
    assert _stored(world) == Stored(0, 0, [])
    monkeypatch.setattr(target, name, real)
    world.exchange.content.match(world.callers["pipeline"], ContentQuery(sha256=BAD, id="item-1"))
    assert _stored(world) == Stored(1, 1, ["case.opened", "match.hit"])
