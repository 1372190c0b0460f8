"""Transparency reports and sighting summaries through the service: a scripted scenario whose every figure
is asserted, who may run a report, input refused before anything is read, the renderings (CSV round-trips,
HTML parses with its SVG bars and escapes every value), and sightings masked by the bank's policy."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from uuid import UUID

import pytest

from ctexchange.domain.cases import CaseQuery
from ctexchange.domain.queries import AuditQuery
from ctexchange.errors import Forbidden, InvalidInput, NotFound
from ctexchange.service.content import ContentItem, ContentQuery
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange, build_exchange
from ctexchange.service.reports import (
    CSV_COLUMNS,
    Metric,
    TransparencyReport,
    is_anonymised,
    months,
    nearest_rank,
    pseudonym_id,
    render,
    report_csv,
    report_html,
    report_json,
)
from ctexchange.service.requests import RequestDraft
from ctexchange.service.signals import NewSignal
from ctexchange.settings import Settings
from ctexchange.store import open_store
from tests.conftest import TEST_KEY_COST, exchange_boot_caller
from tests.service.test_cases import BAD, OTHER, T0, FakeClock

DAY = T0.date().isoformat()


@dataclass
class World:
    """The operator owns a named bank (BAD) and an anonymised one (OTHER), both reviewed; a platform
    (pipeline, reviewer, auditor) and an agency (analyst, admin) use them."""

    exchange: Exchange
    clock: FakeClock
    operator: Caller
    pipeline: Caller
    reviewer: Caller
    auditor: Caller
    agent: Caller
    agency_admin: Caller
    overseer: Caller
    platform_admin: Caller
    lookups: int = 0

    def match(self, caller: Caller, sha256: str, item: str) -> None:
        """Look an item up, each lookup its own request."""
        self.lookups += 1
        asked = replace(caller, request_id=f"req-{self.lookups}")
        self.exchange.content.match(asked, ContentQuery(sha256=sha256, id=item))

    def report(self, caller: Caller | None = None, org: str = "platform") -> dict[str, dict[str, object]]:
        """The sections of a report of the day of T0."""
        found = self.exchange.reports.transparency(caller or self.auditor, org, DAY, DAY)
        sections: dict[str, dict[str, object]] = report_json(found)["sections"]
        return sections


def _caller(exchange: Exchange, operator: Caller, org: str, name: str, role: str) -> Caller:
    exchange.members.create_user(operator, org, name, role)
    return exchange.auth.authenticate(exchange.members.create_key(operator, name, "k").text, "t")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """See `World`."""
    settings = Settings(home=str(tmp_path), key_hash_cost=TEST_KEY_COST)
    store = open_store(settings.store_url)
    store.migrate()
    clock = FakeClock()
    exchange = build_exchange(settings, store, clock)
    exchange.members.bootstrap(exchange_boot_caller(), "coalition", "admin")
    operator = exchange.operator("test")
    exchange.collections.create(operator, "tco", "GREEN", requires_review=True)
    exchange.collections.create(
        operator, "hidden", "GREEN", requires_review=True, sighting_policy="anonymised"
    )
    labels = ["propaganda", "un:QDe.115"]
    exchange.content.add(operator, "tco", [ContentItem(None, {"sha256": BAD}, labels)])
    exchange.content.add(operator, "hidden", [ContentItem(None, {"sha256": OTHER}, ["recruitment"])])
    exchange.members.create_org(operator, "platform", "online-service")
    exchange.members.create_org(operator, "agency", "national-agency")
    w = World(
        exchange,
        clock,
        operator,
        _caller(exchange, operator, "platform", "pipeline", "service"),
        _caller(exchange, operator, "platform", "rev", "reviewer"),
        _caller(exchange, operator, "platform", "aud", "auditor"),
        _caller(exchange, operator, "agency", "agent", "analyst"),
        _caller(exchange, operator, "agency", "chief", "admin"),
        _caller(exchange, operator, "coalition", "overseer", "auditor"),
        _caller(exchange, operator, "platform", "padmin", "admin"),
    )
    yield w
    exchange.close()


def _draft(deadline_h: float) -> RequestDraft:
    return RequestDraft(
        requested_org="platform",
        title="Preserve subscriber data",
        legal_basis="UNSCR 2396 (2017), para. 13",
        facts="The channel posts recruitment videos.",
        offence="Recruitment",
        assistance=("preserve_data",),
        deadline=T0 + timedelta(hours=deadline_h),
    )


def _answer(w: World, request_id: UUID) -> None:
    w.exchange.requests.acknowledge(w.platform_admin, request_id)
    w.exchange.requests.start(w.platform_admin, request_id)
    w.exchange.requests.answer(w.platform_admin, request_id, "full")


@pytest.fixture
def scripted(world: World) -> World:
    """Three cases (two removals ordered, acted on after 30 and 90 minutes; a restriction), a complaint
    reinstated, requests answered in time and late, one declined, one sent; and sightings."""
    w, cases = world, world.exchange.cases
    w.match(w.pipeline, BAD, "item-1")
    w.match(w.pipeline, BAD, "item-2")
    w.match(w.pipeline, OTHER, "item-3")
    w.match(w.agent, BAD, "probe-1")
    w.match(w.agent, OTHER, "probe-2")
    page = cases.page_request(100, None)
    by_item = {c.item_id: c.id for c in cases.find(w.reviewer, CaseQuery(), page).items}
    for item, minutes in (("item-1", 30), ("item-2", 90)):
        cases.record_removal_order(w.pipeline, by_item[item], w.clock.now)
        w.clock.advance(minutes=minutes)
        cases.confirm(w.reviewer, by_item[item], "remove", "terrorist content")
    cases.confirm(w.reviewer, by_item["item-3"], "restrict", "recruitment")
    cases.complain(w.pipeline, by_item["item-1"], "the uploader says it is news")
    cases.reinstate(w.reviewer, by_item["item-1"], "it is news reporting")
    requests = w.exchange.requests
    in_time = requests.create(w.agent, _draft(8))
    late = requests.create(w.agent, _draft(4))
    refused = requests.create(w.agent, _draft(9))
    for r in (in_time, late, refused):
        requests.send(w.agent, r.id)
    _answer(w, in_time.id)
    w.clock.advance(hours=3)
    _answer(w, late.id)
    requests.decline(w.platform_admin, refused.id, "outside our remit")
    mine = requests.create(w.platform_admin, replace(_draft(10), requested_org="agency"))
    requests.send(w.platform_admin, mine.id)
    return w


def test_the_scripted_report_gives_every_figure(scripted: World) -> None:
    """Each figure of the platform's report is what the scenario did."""
    s = scripted.report()
    assert s["matches"] == {
        "lookups_with_hits": 3,
        "items_matched": 3,
        "matched_by_label": {"propaganda": 2, "recruitment": 1},
        "matched_by_entity": {"un:QDe.115": 2},
    }
    assert s["actions"] == {
        "items_actioned": 3,
        "remove": 2,
        "restrict": 1,
        "report": 0,
        "rejected": 0,
        "escalated": 0,
        "actioned_by_label": {"remove/propaganda": 2, "restrict/recruitment": 1},
        "actioned_by_entity": {"remove/un:QDe.115": 2},
    }
    assert s["removal_orders"] == {
        "received": 2,
        "acted_on": 2,
        "pending": 0,
        "within_60_minutes": 1,
        "share_within_60_minutes": 0.5,
        "median_minutes": 60.0,
        "p90_minutes": 90.0,
    }
    assert s["complaints"] == {"filed": 1, "upheld": 0, "reinstated": 1, "reinstatements": 1}
    assert s["requests"] == {
        "sent": 1,
        "received": 3,
        "answered": 2,
        "answered_within_deadline": 1,
        "answered_late": 1,
        "answered_without_deadline": 0,
        "declined": 1,
    }
    assert s["sightings"] == {"of_own_signals": 0}


def test_the_owner_sees_anonymised_sightings_summed(scripted: World) -> None:
    """The banks' owner counts who matched: named organizations by name, anonymised ones together."""
    s = scripted.report(scripted.operator, "coalition")
    assert s["sightings"] == {
        "of_own_signals": 5,
        "by_organization": {"agency": 1, "anonymised": 2, "platform": 2},
    }
    assert s["requests"]["sent"] == 0


def test_the_agency_side_of_the_same_requests(scripted: World) -> None:
    """The agency's report counts the requests it sent and the one it received."""
    s = scripted.report(scripted.agency_admin, "agency")
    assert (s["requests"]["sent"], s["requests"]["received"]) == (3, 1)


def test_a_day_outside_the_scenario_is_all_zero(scripted: World) -> None:
    """Figures count events in the period only: the day before has none, and no median."""
    report = scripted.exchange.reports.transparency(scripted.auditor, "platform", "2026-04-01", "2026-04-30")
    values = {(m.section, m.metric): m.value for m in report.metrics}
    assert values[("matches", "items_matched")] == 0
    assert values[("removal_orders", "median_minutes")] is None
    assert all(not m.dimension for m in report.metrics if m.section not in ("sightings", "by_month"))
    assert report_json(report)["months"] == [
        {
            "month": "2026-04",
            "items_matched": 0,
            "items_actioned": 0,
            "removal_orders_received": 0,
            "removal_orders_acted_on": 0,
            "median_minutes_to_act": None,
            "max_minutes_to_act": None,
            "complaints_filed": 0,
            "reinstatements": 0,
            "requests_sent": 0,
            "requests_received": 0,
            "requests_answered": 0,
        }
    ]


def test_who_may_run_a_report(world: World) -> None:
    """The organization's admins and auditors, the operator's admins and auditors; nobody else."""
    w = world
    for caller in (w.auditor, w.overseer, w.operator):
        assert w.exchange.reports.transparency(caller, "platform", DAY, DAY).org_name == "platform"
    with pytest.raises(Forbidden, match="role 'reviewer' may not run transparency reports"):
        w.exchange.reports.transparency(w.reviewer, "platform", DAY, DAY)
    with pytest.raises(Forbidden, match="role 'service'"):
        w.exchange.reports.transparency(w.pipeline, "platform", DAY, DAY)
    with pytest.raises(Forbidden, match="their own organization only"):
        w.exchange.reports.transparency(w.agency_admin, "platform", DAY, DAY)
    with pytest.raises(NotFound, match="nowhere"):
        w.exchange.reports.transparency(w.overseer, "nowhere", DAY, DAY)


def test_every_report_is_audited(world: World) -> None:
    """A report run records who ran it, on which organization, for which days, in which format."""
    world.exchange.reports.transparency(world.auditor, "platform", "2026-05-01", "2026-05-31", "html")
    events = world.exchange.audit.events(world.overseer, AuditQuery(limit=1000))
    [event] = [e for e in events if e.entry.action == "report.transparency"]
    assert event.entry.actor == world.auditor.principal.actor
    assert event.entry.details == {"from": "2026-05-01", "to": "2026-05-31", "format": "html"}


@pytest.mark.parametrize(
    ("first", "last", "fmt", "message"),
    [
        ("2026-02-30", "2026-03-01", "json", "'from' must be a date YYYY-MM-DD that exists"),
        ("2026-05-01", "01/06/2026", "json", "'to' must be a date YYYY-MM-DD"),
        ("2026-05-02", "2026-05-01", "json", "on or after 'from'"),
        ("2020-01-01", "2026-01-01", "json", "at most 731 days"),
        ("2026-05-01", "2026-05-01", "pdf", "'format' must be one of json, csv, html"),
    ],
)
def test_bad_input_is_refused_and_nothing_audited(
    world: World, first: str, last: str, fmt: str, message: str
) -> None:
    """Impossible dates, reversed or overlong periods and unknown formats are refused, naming the field."""
    with pytest.raises(InvalidInput, match=message):
        world.exchange.reports.transparency(world.auditor, "platform", first, last, fmt)
    events = world.exchange.audit.events(world.overseer, AuditQuery(limit=1000))
    assert not [e for e in events if e.entry.action == "report.transparency"]


def test_sightings_of_an_anonymised_bank_are_masked(scripted: World) -> None:
    """The owner sees named banks' matching organizations and per-signal pseudonyms for the others,
    numbered by first sighting, with no actor or request of theirs."""
    w = scripted
    platform = w.pipeline.principal.org_id
    found = w.exchange.content.sightings(w.operator)
    hidden = sorted((s for s in found if is_anonymised(s)), key=lambda s: s.at)
    named = [s for s in found if not is_anonymised(s)]
    assert {s.org_id for s in named} == {platform, w.agent.principal.org_id}
    assert [s.actor for s in hidden] == ["member-1", "member-2"]
    assert [s.org_id for s in hidden] == [pseudonym_id(s.signal_id, n) for n, s in enumerate(hidden, 1)]
    assert all(s.request_id == "" for s in hidden)
    assert not {s.org_id for s in hidden} & {platform, w.agent.principal.org_id}


def test_the_summary_counts_per_bucket_and_organization(scripted: World) -> None:
    """Counts per hour and per organization (or pseudonym) of the owner's signals; one signal alone."""
    w = scripted
    summary = w.exchange.reports.sighting_summary(
        w.operator, None, (T0 - timedelta(hours=1)).isoformat(), (T0 + timedelta(days=1)).isoformat(), "hour"
    )
    assert summary.total == 5
    assert summary.per_bucket == ((T0.isoformat()[:13], 5),)
    orgs = {(c.org.split("/")[-1] if c.is_anonymised else c.org, c.count) for c in summary.per_org}
    platform, agency = str(w.pipeline.principal.org_id), str(w.agent.principal.org_id)
    assert orgs == {(platform, 2), (agency, 1), ("member-1", 1), ("member-2", 1)}
    one = next(s for s in w.exchange.content.sightings(w.operator) if not is_anonymised(s))
    alone = w.exchange.reports.sighting_summary(w.operator, str(one.signal_id), bucket="day")
    assert alone.total == 3 and alone.bucket == "day"
    assert alone.per_bucket == ((T0.isoformat()[:10], 3),)


@pytest.mark.parametrize(
    ("start", "end", "bucket", "message"),
    [
        (None, None, "week", "'bucket' must be hour or day"),
        ("2026-05-01T00:00:00", None, "day", "'from' must be an ISO 8601 time with its UTC offset"),
        ("2026-05-02T00:00:00+00:00", "2026-05-01T00:00:00+00:00", "day", "'to' must be a time after"),
        ("2026-01-01T00:00:00+00:00", "2026-05-01T00:00:00+00:00", "hour", "at most 2000 hours"),
    ],
)
def test_the_summary_refuses_bad_spans(
    world: World, start: str | None, end: str | None, bucket: str, message: str
) -> None:
    """A bad bucket, a time without offset, a reversed or too long span are refused."""
    with pytest.raises(InvalidInput, match=message):
        world.exchange.reports.sighting_summary(world.operator, None, start, end, bucket)


def test_the_summary_of_a_signal_not_ours_is_refused(scripted: World) -> None:
    """Another organization's signal is Forbidden when visible (as for every owner-only read)."""
    signal = next(s for s in scripted.exchange.content.sightings(scripted.operator))
    with pytest.raises(Forbidden):
        scripted.exchange.reports.sighting_summary(scripted.agent, str(signal.signal_id))


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.dir_auto = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.dir_auto += ("dir", "auto") in attrs

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _hostile() -> TransparencyReport:
    hostile = '<script>alert("x")</script> & شبكة'
    metrics = (
        Metric("matches", "items_matched", "", 4),
        Metric("matches", "matched_by_label", hostile, 3),
        Metric("matches", "matched_by_label", "propaganda", 1),
        Metric("removal_orders", "median_minutes", "", None),
    )
    return TransparencyReport(UUID(int=7), "Org <b>&", T0.date(), T0.date(), T0, metrics)


def test_html_is_self_contained_with_svg_bars_and_escaped_values() -> None:
    """The page parses, draws one SVG bar per dimension, has no script or external resource, and shows
    hostile names as text."""
    page = report_html(_hostile())
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser.tags.count("svg") == 2 and parser.tags.count("rect") == 2
    assert "script" not in parser.tags and "b" not in parser.tags
    assert "<script>" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")
    text = "".join(parser.text)
    assert '<script>alert("x")</script> & شبكة' in text and "Org <b>&" in text
    assert parser.dir_auto > 5
    assert 'width="300.0"' in page and 'width="100.0"' in page


def test_csv_round_trips_one_metric_per_row() -> None:
    """Reading the CSV back gives the metrics, a missing figure as an empty value."""
    report = _hostile()
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert tuple(rows[0]) == CSV_COLUMNS
    back = [
        Metric(r["section"], r["metric"], r["dimension"], int(r["value"]) if r["value"] else None)
        for r in rows
    ]
    assert tuple(back) == report.metrics
    assert render(report, "csv") == report_csv(report)
    assert render(report, "json").startswith("{")
    with pytest.raises(InvalidInput, match="'format'"):
        render(report, "xml")


def test_nearest_rank_percentile() -> None:
    """The p90 is the smallest value that at least 90% of values do not exceed; none of nothing."""
    assert nearest_rank([], 0.9) is None
    assert nearest_rank([5.0], 0.9) == 5.0
    assert nearest_rank([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert nearest_rank([30.0, 90.0], 0.9) == 90.0


def test_months_of_the_period_each_get_their_row(scripted: World) -> None:
    """A period from mid-April to mid-June has three rows, clipped to the period; May holds the
    scenario (removals after 30 and 90 minutes: median 60, longest 90) and a June match its own row."""
    scripted.clock.advance(days=31)
    scripted.match(scripted.pipeline, BAD, "item-june")
    report = scripted.exchange.reports.transparency(scripted.auditor, "platform", "2026-04-15", "2026-06-10")
    rows = {r["month"]: r for r in report_json(report)["months"]}
    assert list(rows) == ["2026-04", "2026-05", "2026-06"]
    assert rows["2026-05"] == {
        "month": "2026-05",
        "items_matched": 3,
        "items_actioned": 3,
        "removal_orders_received": 2,
        "removal_orders_acted_on": 2,
        "median_minutes_to_act": 60.0,
        "max_minutes_to_act": 90.0,
        "complaints_filed": 1,
        "reinstatements": 1,
        "requests_sent": 1,
        "requests_received": 3,
        "requests_answered": 2,
    }
    assert rows["2026-04"]["items_matched"] == 0 and rows["2026-06"]["items_matched"] == 1
    assert (
        sum(r["items_matched"] for r in rows.values())
        == report_json(report)["sections"]["matches"]["items_matched"]
    )
    as_csv = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert {
        "section": "by_month",
        "metric": "max_minutes_to_act",
        "dimension": "2026-05",
        "value": "90.0",
    }.items() <= next(
        r for r in as_csv if r["metric"] == "max_minutes_to_act" and r["dimension"] == "2026-05"
    ).items()
    page = report_html(report)
    assert "max minutes to act by month" in page and page.count("<svg") > 11


def test_months_are_clipped_to_the_period_and_cross_years() -> None:
    """Calendar months touched by the days, with UTC bounds clipped to the period, December to January."""
    found = months(date(2025, 12, 20), date(2026, 2, 3))
    assert [(m, s.date().isoformat(), e.date().isoformat()) for m, s, e in found] == [
        ("2025-12", "2025-12-20", "2026-01-01"),
        ("2026-01", "2026-01-01", "2026-02-01"),
        ("2026-02", "2026-02-01", "2026-02-04"),
    ]
    assert months(date(2026, 5, 1), date(2026, 5, 1))[0][0] == "2026-05"


def _listed(name: str, reference: str) -> NewSignal:
    value = {
        "schema": "Organization",
        "names": [{"text": name}],
        "listing": {"source": "UN", "reference": reference},
    }
    return NewSignal("organization", value)


def test_entities_are_named_when_the_organization_and_reader_may_see_them(scripted: World) -> None:
    """The "by entity" dimension `un:QDe.115` is named after the GREEN entity signal of reference QDe.115
    in JSON, CSV and HTML; an entity only its owner may see (AMBER, no group) stays unnamed in another
    organization's report, even when the owner's auditor runs it."""
    ex, operator = scripted.exchange, scripted.operator
    ex.collections.create(operator, "listed", "GREEN")
    listed = ex.signals.add(operator, "listed", _listed("Al-Qaida in Iraq", "QDe.115"))
    report = ex.reports.transparency(scripted.auditor, "platform", DAY, DAY)
    named = report_json(report)["entities"]
    assert named == {
        "un:QDe.115": {"reference": "QDe.115", "name": "Al-Qaida in Iraq", "signal_id": str(listed.id)}
    }
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert {(r["metric"], r["dimension"], r["name"]) for r in rows if r["name"]} == {
        ("matched_by_entity", "un:QDe.115", "Al-Qaida in Iraq"),
        ("actioned_by_entity", "remove/un:QDe.115", "Al-Qaida in Iraq"),
    }
    assert "Al-Qaida in Iraq" in report_html(report)
    ex.collections.create(operator, "private", "AMBER")
    ex.signals.add(operator, "private", _listed("Secret Name", "QDe.116"))
    ex.content.add(operator, "tco", [ContentItem(None, {"sha256": "c" * 64}, ["un:QDe.116"])])
    scripted.match(scripted.pipeline, "c" * 64, "item-private")
    for reader in (scripted.auditor, scripted.overseer):
        hidden = report_json(ex.reports.transparency(reader, "platform", DAY, DAY))["entities"]["un:QDe.116"]
        assert hidden == {"reference": "QDe.116", "name": None, "signal_id": None}
    assert "Secret Name" not in report_html(ex.reports.transparency(scripted.overseer, "platform", DAY, DAY))
