"""Review cases through the service: opening from matches, flood control, decisions with reasons,
removal orders, complaints, evidence and its purge, who sees and who decides, and the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ctexchange.domain.cases import Case, CaseQuery, CaseStatus
from ctexchange.domain.queries import AuditQuery, PageRequest
from ctexchange.errors import Forbidden, InvalidInput, InvalidTransition, NotFound, PayloadTooLarge
from ctexchange.service.content import ContentItem, ContentQuery
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange, build_exchange
from ctexchange.settings import Settings
from ctexchange.store import open_store
from tests.conftest import TEST_KEY_COST, exchange_boot_caller

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
BAD = "a" * 64
OTHER = "b" * 64
PAGE = PageRequest(100, None)


class FakeClock:
    """A clock the test moves by hand (microseconds advance on every read, keeping times distinct)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


@dataclass
class World:
    """An exchange with a review bank of the operator, and a platform with a pipeline and people."""

    exchange: Exchange
    clock: FakeClock
    operator: Caller
    pipeline: Caller
    reviewer: Caller
    auditor: Caller
    outsider: Caller
    operator_auditor: Caller

    def match(self, sha256: str = BAD, item: str | None = "item-1") -> None:
        """Look an item up with the platform's pipeline key."""
        self.exchange.content.match(self.pipeline, ContentQuery(sha256=sha256, id=item))

    def cases(self, caller: Caller | None = None, **query: Any) -> list[Case]:
        """The cases `caller` (the reviewer by default) may list."""
        return list(self.exchange.cases.find(caller or self.reviewer, CaseQuery(**query), PAGE).items)

    def actions(self) -> list[str]:
        """The audit actions recorded on cases, oldest first."""
        events = self.exchange.audit.events(self.operator_auditor, AuditQuery(limit=1000))
        return [e.entry.action for e in events if e.entry.action.startswith("case.")]


def _caller(exchange: Exchange, operator: Caller, org: str, name: str, role: str) -> Caller:
    exchange.members.create_user(operator, org, name, role)
    return exchange.auth.authenticate(exchange.members.create_key(operator, name, "k").text, "t")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """See `World`; the flood threshold is 3 sightings an hour."""
    settings = Settings(home=str(tmp_path), key_hash_cost=TEST_KEY_COST, flood_hits_per_hour=3)
    store = open_store(settings.store_url)
    store.migrate()
    clock = FakeClock()
    exchange = build_exchange(settings, store, clock)
    exchange.members.bootstrap(exchange_boot_caller(), "coalition", "admin")
    operator = exchange.operator("test")
    exchange.collections.create(operator, "tco", "GREEN", requires_review=True)
    exchange.collections.create(operator, "plain", "GREEN")
    exchange.content.add(operator, "tco", [ContentItem(None, {"sha256": BAD}, ["propaganda"])])
    exchange.content.add(operator, "plain", [ContentItem(None, {"sha256": OTHER}, ["propaganda"])])
    exchange.members.create_org(operator, "platform", "online-service")
    exchange.members.create_org(operator, "agency", "national-agency")
    w = World(
        exchange,
        clock,
        operator,
        _caller(exchange, operator, "platform", "pipeline", "service"),
        _caller(exchange, operator, "platform", "rev", "reviewer"),
        _caller(exchange, operator, "platform", "aud", "auditor"),
        _caller(exchange, operator, "agency", "stranger", "reviewer"),
        _caller(exchange, operator, "coalition", "overseer", "auditor"),
    )
    yield w
    exchange.close()


def test_a_service_match_on_a_review_bank_opens_one_case_per_item(world: World) -> None:
    """Service-key hits in a review bank open a case holding the hits and hashes; the same item joins
    its undecided case without duplicating hits; a bank without review, or a person's match, opens none."""
    world.match()
    world.match()
    world.match(OTHER, "item-2")
    world.exchange.content.match(world.reviewer, ContentQuery(sha256=BAD, id="item-3"))
    [case] = world.cases()
    assert (case.item_id, case.status, case.is_quarantined) == ("item-1", CaseStatus.OPEN, False)
    assert case.opened_by == world.pipeline.principal.actor
    detail = world.exchange.cases.get(world.reviewer, case.id)
    [hit] = detail.hits
    assert hit.kind == "sha256" and hit.hashes == {"sha256": BAD} and hit.measure == {"score": 1.0}
    assert hit.signal_id is not None
    assert world.actions() == ["case.open", "case.list", "case.read"]


def test_a_decided_item_and_an_item_without_id_open_new_cases(world: World) -> None:
    """Once its case is decided, a new lookup of the item opens a new case; lookups without an id
    each open their own."""
    world.match()
    [first] = world.cases()
    world.exchange.cases.escalate(world.reviewer, first.id, "needs a senior look")
    world.match()
    assert len(world.cases()) == 1
    world.exchange.cases.confirm(world.reviewer, first.id, "restrict", "age-gated")
    world.match()
    world.clock.advance(hours=2)  # out of the flood window of the three lookups above
    world.match(item=None)
    world.match(item=None)
    assert [c.item_id for c in world.cases()] == ["item-1", "item-1", None, None]


def test_flood_control_quarantines_further_hits_in_one_case(world: World) -> None:
    """Above 3 sightings in the hour, further items go to one quarantined case of the signal; an hour
    later, cases are one per item again."""
    for n in range(6):
        world.match(item=f"item-{n}")
    regular = world.cases(is_quarantined=False)
    [quarantined] = world.cases(is_quarantined=True)
    assert [c.item_id for c in regular] == ["item-0", "item-1", "item-2"]
    assert quarantined.item_id is None and quarantined.quarantine_signal_id is not None
    hits = world.exchange.cases.get(world.reviewer, quarantined.id).hits
    assert [h.item_id for h in hits] == ["item-3", "item-4", "item-5"]
    world.clock.advance(hours=1, seconds=1)
    world.match(item="item-9")
    assert world.cases(item_id="item-9")[0].is_quarantined is False


def test_a_match_names_the_case_each_hit_opened_or_joined(world: World) -> None:
    """The pipeline's hit carries the id of the case it opened, and of the same case when the item joins
    it again; a person's match, and a hit in a bank without review, name none; once the signal floods
    (3 sightings an hour), each item's hit names the one quarantined case; every id named is readable by
    the pipeline that matched."""
    pipeline = world.pipeline
    opened = world.exchange.content.match(pipeline, ContentQuery(sha256=BAD, id="item-1"))
    [case] = world.cases()
    assert [h.case_id for h in opened.hits] == [case.id] and opened.case_ids == [case.id]
    joined = world.exchange.content.match(pipeline, ContentQuery(sha256=BAD, id="item-1"))
    assert joined.case_ids == [case.id]
    assert world.exchange.content.match(pipeline, ContentQuery(sha256=OTHER, id="x")).hits[0].case_id is None
    person = world.exchange.content.match(world.reviewer, ContentQuery(sha256=BAD, id="item-2"))
    assert [h.case_id for h in person.hits] == [None] and person.case_ids == []
    batch = world.exchange.content.match_many(
        pipeline, [ContentQuery(sha256=BAD, id=f"item-{n}") for n in range(3, 6)]
    )
    [quarantined] = world.cases(is_quarantined=True)
    assert [o.case_ids for o in batch] == [[quarantined.id]] * 3
    for named in (case.id, quarantined.id):
        assert world.exchange.cases.get(pipeline, named).case.id == named


def test_confirm_with_removal_order_reports_the_hour(world: World) -> None:
    """A removal with an order received 42 minutes earlier is within the hour; the decision is in the
    history with its reason and audited without it."""
    world.match()
    [case] = world.cases()
    received = (world.clock.now - timedelta(minutes=42)).isoformat()
    done = world.exchange.cases.confirm(world.reviewer, case.id, "remove", "official propaganda", received)
    assert done.status is CaseStatus.CONFIRMED and done.removed_at is not None
    assert done.minutes_to_removal is not None and 41.9 < done.minutes_to_removal < 42.1
    assert done.is_removed_in_time is True
    [entry] = world.exchange.cases.get(world.reviewer, case.id).history
    assert (entry.reason, entry.actor, entry.action) == (
        "official propaganda",
        world.reviewer.principal.actor,
        done.action,
    )
    event = world.exchange.audit.events(world.operator_auditor, AuditQuery(action="case.confirm"))[0]
    assert event.entry.details["reason_chars"] == len("official propaganda")
    assert "official propaganda" not in str(event.entry.details)
    assert world.cases(has_removal_order=True) == [done]


def test_a_recorded_order_starts_the_clock_and_a_late_removal_is_reported(world: World) -> None:
    """An order recorded on an open case is due in 60 minutes; removed 90 minutes later it is late;
    a second order, or an order with another action, is refused."""
    world.match()
    [case] = world.cases()
    ordered = world.exchange.cases.record_removal_order(world.pipeline, case.id, world.clock.now.isoformat())
    assert ordered.removal_due_at is not None
    with pytest.raises(InvalidTransition, match="already has a removal order"):
        world.exchange.cases.record_removal_order(world.pipeline, case.id, world.clock.now.isoformat())
    world.clock.advance(minutes=90)
    assert ordered.is_removal_overdue(world.clock.now)
    done = world.exchange.cases.confirm(world.reviewer, case.id, "remove", "removed late")
    assert done.is_removed_in_time is False and done.minutes_to_removal is not None
    world.match(item="item-2")
    second = world.cases(item_id="item-2")[0]
    with pytest.raises(InvalidInput, match="'removal_order_received_at' must be given only with the action"):
        world.exchange.cases.confirm(world.reviewer, second.id, "report", "x", world.clock.now.isoformat())


@pytest.mark.parametrize(
    ("received", "message"),
    [
        ("2026-02-30T10:00:00+00:00", "'received_at' must be a date and time with a UTC offset"),
        ("2026-05-01T10:00:00", "'received_at' must be a date and time with a UTC offset"),
        ("yesterday", "'received_at' must be a date and time with a UTC offset"),
        ("2026-05-02T10:00:00+00:00", "'received_at' must be not in the future"),
        ("2024-05-01T10:00:00+00:00", "at most 366 days ago"),
    ],
)
def test_impossible_or_future_order_times_are_refused(world: World, received: str, message: str) -> None:
    """Order times must exist, carry an offset, and lie in the past year; nothing is stored otherwise."""
    world.match()
    [case] = world.cases()
    with pytest.raises(InvalidInput, match=message):
        world.exchange.cases.record_removal_order(world.pipeline, case.id, received)
    assert world.cases()[0].removal_order_received_at is None


@pytest.mark.parametrize(
    ("reason", "error", "message"),
    [
        ("", InvalidInput, "'reason' must be a non-empty string"),
        ("   ", InvalidInput, "'reason' must be a non-empty string"),
        ("x" * 2001, PayloadTooLarge, "'reason' must be at most 2000 characters"),
        ("bad\u202etext", InvalidInput, "'reason' must not contain hidden characters"),
    ],
)
def test_a_reason_is_always_required(world: World, reason: str, error: type[Exception], message: str) -> None:
    """Every decision refuses an empty, oversized or hidden-character reason before storing anything."""
    world.match()
    [case] = world.cases()
    deciders: list[Callable[[], Case]] = [
        lambda: world.exchange.cases.confirm(world.reviewer, case.id, "remove", reason),
        lambda: world.exchange.cases.reject(world.reviewer, case.id, reason),
        lambda: world.exchange.cases.escalate(world.reviewer, case.id, reason),
    ]
    for decide in deciders:
        with pytest.raises(error, match=message):
            decide()
    assert world.cases()[0].status is CaseStatus.OPEN
    with pytest.raises(InvalidInput, match="'action' must be one of remove, restrict, report"):
        world.exchange.cases.confirm(world.reviewer, case.id, "delete", "x")


def test_rejecting_records_a_false_positive_and_the_signal_stops_matching(world: World) -> None:
    """A rejection gives the organization's false_positive opinion; the signal no longer hits for it."""
    world.match()
    [case] = world.cases()
    world.exchange.cases.reject(world.reviewer, case.id, "a news report quoting it")
    outcome = world.exchange.content.match(world.pipeline, ContentQuery(sha256=BAD, id="item-1"))
    assert outcome.hits == []
    assert len(world.cases()) == 1
    assert "signal.opinion" in [
        e.entry.action for e in world.exchange.audit.events(world.operator_auditor, AuditQuery(limit=500))
    ]


def test_complaint_reopens_a_removal_with_a_two_week_deadline(world: World) -> None:
    """The pipeline files a complaint on a removal, due in 14 days; a reviewer reinstates or upholds;
    every transition is audited."""
    for item in ("item-1", "item-2"):
        world.match(item=item)
    first, second = world.cases()
    for case in (first, second):
        world.exchange.cases.confirm(world.reviewer, case.id, "remove", "propaganda")
    complained = world.exchange.cases.complain(world.pipeline, first.id, "the uploader says it is satire")
    assert complained.status is CaseStatus.COMPLAINED
    assert complained.complaint_deadline == complained.updated_at + timedelta(days=14)
    world.clock.advance(days=15)
    assert complained.is_complaint_overdue(world.clock.now)
    assert (
        world.exchange.cases.reinstate(world.reviewer, first.id, "satire, clearly").status
        is CaseStatus.REINSTATED
    )
    world.exchange.cases.complain(world.pipeline, second.id, "uploader objects")
    assert (
        world.exchange.cases.uphold(world.reviewer, second.id, "it is propaganda").status is CaseStatus.UPHELD
    )
    decisions = [a for a in world.actions() if a not in ("case.list", "case.read")]
    assert decisions == [
        "case.open",
        "case.open",
        "case.confirm",
        "case.confirm",
        "case.complain",
        "case.reinstate",
        "case.complain",
        "case.uphold",
    ]


def test_illegal_moves_are_refused_by_the_service(world: World) -> None:
    """A complaint against a restriction, a decision on a final case, and an escalation of an escalated
    case are InvalidTransition naming the state."""
    world.match()
    [case] = world.cases()
    world.exchange.cases.escalate(world.reviewer, case.id, "unsure")
    with pytest.raises(InvalidTransition, match=r"from 'escalated' to 'escalated'.*confirmed, rejected"):
        world.exchange.cases.escalate(world.reviewer, case.id, "again")
    world.exchange.cases.confirm(world.reviewer, case.id, "restrict", "borderline")
    with pytest.raises(
        InvalidTransition, match="only a removal takes a complaint, and the action was 'restrict'"
    ):
        world.exchange.cases.complain(world.pipeline, case.id, "objection")
    with pytest.raises(InvalidTransition, match="from 'confirmed' to 'upheld'"):
        world.exchange.cases.uphold(world.reviewer, case.id, "x")


def test_who_may_see_and_decide(world: World) -> None:
    """The platform's reviewer decides; its pipeline and auditor may not decide; another organization,
    and the operator's admins, get the message of an absent id; the operator's auditors read."""
    world.match()
    [case] = world.cases()
    with pytest.raises(Forbidden, match=r"role 'service' may not do 'cases\.decide'"):
        world.exchange.cases.confirm(world.pipeline, case.id, "remove", "x")
    with pytest.raises(Forbidden, match=r"role 'auditor' may not do 'cases\.decide'"):
        world.exchange.cases.reject(world.auditor, case.id, "x")
    with pytest.raises(Forbidden, match=r"role 'auditor' may not do 'cases\.file'"):
        world.exchange.cases.complain(world.auditor, case.id, "x")
    absent = "00000000-0000-4000-8000-000000000000"
    for stranger in (world.outsider, world.operator):
        with pytest.raises(NotFound) as denied:
            world.exchange.cases.get(stranger, str(case.id))
        with pytest.raises(NotFound) as missing:
            world.exchange.cases.get(stranger, absent)
        assert denied.value.message == missing.value.message.replace(absent, str(case.id))
        with pytest.raises(NotFound):
            world.exchange.cases.escalate(stranger, case.id, "x")
        assert world.cases(stranger) == []
    assert world.exchange.cases.get(world.auditor, case.id).case == case
    assert world.cases(world.operator_auditor) == [case]


def test_evidence_is_kept_six_months_then_purged_and_audited(world: World) -> None:
    """Evidence is taken only from a removal, capped, kept six months; the purge job drops the bytes,
    skips a pending complaint, and audits each purge."""
    world.match()
    world.match(item="item-2")
    first, second = world.cases()
    with pytest.raises(InvalidTransition, match="evidence is kept of a removed item"):
        world.exchange.cases.attach_evidence(world.pipeline, first.id, b"png")
    for case in (first, second):
        world.exchange.cases.confirm(world.reviewer, case.id, "remove", "propaganda")
    with pytest.raises(InvalidInput, match="'file' must be a file of at least 1 byte"):
        world.exchange.cases.attach_evidence(world.pipeline, first.id, b"")
    world.exchange.cases.max_evidence_bytes = 4
    with pytest.raises(PayloadTooLarge, match="'file' must be at most 4 bytes"):
        world.exchange.cases.attach_evidence(world.pipeline, first.id, b"12345")
    kept = world.exchange.cases.attach_evidence(
        world.pipeline, first.id, b"png", "image/png", "s3://bucket/x"
    )
    other = world.exchange.cases.attach_evidence(world.pipeline, second.id, b"jpg", "image/jpeg")
    assert kept.keep_until == datetime(2026, 11, 1, 12, 0, tzinfo=UTC).replace(
        microsecond=kept.keep_until.microsecond
    )
    world.exchange.cases.complain(world.pipeline, second.id, "objection")
    with pytest.raises(Forbidden):
        world.exchange.cases.purge_evidence(world.reviewer)
    assert world.exchange.cases.purge_evidence(world.operator) == []
    world.clock.advance(days=200)
    [purged] = world.exchange.cases.purge_evidence(world.operator)
    assert purged.id == kept.id and purged.purged_at is not None and not purged.has_content
    assert world.exchange.cases.evidence_item(world.reviewer, first.id, kept.id) == (purged, None)
    assert world.exchange.cases.evidence_item(world.reviewer, second.id, other.id)[1] == b"jpg"
    event = world.exchange.audit.events(world.operator_auditor, AuditQuery(action="case.evidence.purge"))
    assert [e.entry.details["sha256"] for e in event] == [kept.sha256]
    assert world.exchange.cases.purge_evidence(world.operator) == []
