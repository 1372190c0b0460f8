"""Transparency reports per organization and period, and sightings as their owners may see them.

A transparency report answers, for one organization and one period of whole UTC days, what the
organization did as a platform (items matched, actioned by label and by designated entity, removal orders
and the time to act on them, complaints and their outcomes, reinstatements), as a member agency (requests
for assistance sent, received, answered, answered within their deadline, declined) and as a signal owner
(how often others matched its signals). The JSON document is the canonical shape; CSV (one metric per row:
section, metric, dimension, value) and a self-contained HTML page are renderings of the same metrics.

Decisions:
- **Who runs it.** Admins and auditors of the organization itself; for oversight, admins and auditors of
  the operator organization for any organization (the operator's admins administer every member
  already, and the CLI acts as one). Anyone else gets Forbidden: organizations are not secret, the
  report is. Every run is audited (`report.transparency`, with the period and the format).
- **The period** is given as dates `from` and `to`, both included, read as whole UTC days, at most
  `MAX_PERIOD_DAYS` long. Figures count events in the period (see `ctexchange.store.reports`).
- **Time to act** on a removal order is minutes from receipt to removal; the report gives the median,
  the 90th percentile (nearest rank: the smallest time that at least 90% of removals did not exceed) and
  the share of removals within `REMOVAL_ORDER_MINUTES`. Orders not yet acted on count as pending.
- **Answered within deadline**: an answer at or before the request's deadline; answers to requests
  without a deadline are counted apart, neither in time nor late.
- **Labels and entities.** Taxonomy labels (`propaganda`) are the "by label" dimension; namespaced labels
  (`un:QDe.115`) name the designated entity a content signal belongs to and are the "by entity" one.
  Each entity label is shown with the name of the entity signal whose listing reference it names
  (`QDe.115`), looked up among the entity signals that both the reported organization and the caller
  may see; when there is none the name is null, so a report never discloses an entity its reader or
  its subject may not see (nor whether one exists).
- **Months.** Within the period, one row per calendar month (clipped to the period) gives the items
  matched and actioned, the removal orders received, acted on and the median and longest time to act on
  them, the complaints and reinstatements, and the requests sent, received and answered; events are
  counted as in the whole-period figures.
- **Sighting policy.** A bank's owner chooses whether the owner of its signals learns which organization
  matched (`named`) or only that one did (`anonymised`). Anonymised organizations are shown as
  `member-N`, numbered per signal in the order of their first sighting of it, so that the owner can
  tell "the same member matched again" from "another member matched" without learning who. In a list of
  sightings the organization id becomes a name-based UUID of the signal and that pseudonym (never the
  organization's), the actor becomes the pseudonym and the request id is dropped. In a report, anonymised
  sightings are summed under `anonymised`.
- **HTML** is one page with inline CSS and inline SVG bars; no script, no external resource; every
  value is escaped and every text element carries `dir="auto"` (names may be Arabic or Hebrew).
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from typing import Any
from uuid import UUID, uuid5

from ctexchange.domain.access import Audience, can_see_signal
from ctexchange.domain.cases import REMOVAL_ORDER_MINUTES
from ctexchange.domain.entities import EntityRecord
from ctexchange.domain.moments import parse_moment
from ctexchange.domain.queries import PageRequest, SignalQuery
from ctexchange.domain.roles import Action, Role
from ctexchange.domain.sightings import Sighting
from ctexchange.domain.signals import Family, SightingPolicy
from ctexchange.errors import Forbidden, InvalidInput
from ctexchange.service.access import owned_signal, require
from ctexchange.service.audit import record
from ctexchange.service.context import Caller, Clock
from ctexchange.service.members import find_org
from ctexchange.store.protocol import Store, UnitOfWork
from ctexchange.store.reports import Timing

MAX_PERIOD_DAYS = 731
MAX_SUMMARY_BUCKETS = 2_000
DEFAULT_SUMMARY_BUCKETS = 30
FORMATS = ("json", "csv", "html")
BUCKETS = ("hour", "day")
_ISO_MOMENT = "an ISO 8601 time with its UTC offset"  # the sightings summary's wording
PSEUDONYM_NAMESPACE = UUID("6f1f0c55-3c1e-5a3f-9d55-2b9a8f1e7c10")
"""The namespace of the name-based UUIDs that stand for anonymised organizations."""
ANONYMISED = "anonymised"


# Sightings as their owner sees them ----------------------------------------------------------------------


def pseudonym(ordinal: int) -> str:
    """Return the pseudonym of the `ordinal`-th organization (from 1) to have matched a signal."""
    return f"member-{ordinal}"


def pseudonym_id(signal_id: UUID, ordinal: int) -> UUID:
    """Return the UUID standing for the `ordinal`-th matching organization of a signal."""
    return uuid5(PSEUDONYM_NAMESPACE, f"{signal_id}/{pseudonym(ordinal)}")


def is_anonymised(sighting: Sighting) -> bool:
    """Return True when a sighting was masked: its organization id is the pseudonym's UUID."""
    prefix = pseudonym(0)[:-1]
    if not sighting.actor.startswith(prefix) or not sighting.actor[len(prefix) :].isdigit():
        return False
    return sighting.org_id == pseudonym_id(sighting.signal_id, int(sighting.actor[len(prefix) :]))


def _policies(uow: UnitOfWork, signal_ids: Iterable[UUID]) -> dict[UUID, SightingPolicy]:
    """Return the sighting policy of each signal's bank."""
    signals = uow.signals.get_many(sorted(set(signal_ids), key=str))
    banks = {s.collection_id for s in signals.values()}
    found = {c: uow.collections.get(c) for c in sorted(banks, key=str)}
    return {
        sid: (bank.sighting_policy if (bank := found[s.collection_id]) is not None else SightingPolicy.NAMED)
        for sid, s in signals.items()
    }


class Masker:
    """Replaces the organizations of anonymised signals' sightings by their per-signal pseudonyms."""

    def __init__(self, uow: UnitOfWork, signal_ids: Iterable[UUID]) -> None:
        policies = _policies(uow, signal_ids)
        hidden = [sid for sid, policy in policies.items() if policy is SightingPolicy.ANONYMISED]
        self.order = uow.sightings.first_seen(hidden) if hidden else {}
        self.hidden = set(hidden)

    def ordinal(self, signal_id: UUID, org_id: UUID) -> int | None:
        """Return the pseudonym number of an organization for an anonymised signal, None if named."""
        if signal_id not in self.hidden:
            return None
        seen = self.order.get(signal_id, [])
        return seen.index(org_id) + 1 if org_id in seen else len(seen) + 1

    def sighting(self, sighting: Sighting) -> Sighting:
        """Return the sighting as the signal's owner may see it."""
        n = self.ordinal(sighting.signal_id, sighting.org_id)
        if n is None:
            return sighting
        return replace(
            sighting, org_id=pseudonym_id(sighting.signal_id, n), actor=pseudonym(n), request_id=""
        )


def mask_sightings(uow: UnitOfWork, sightings: Sequence[Sighting]) -> list[Sighting]:
    """Return sightings with the organizations of anonymised banks' signals masked."""
    masker = Masker(uow, (s.signal_id for s in sightings))
    return [masker.sighting(s) for s in sightings]


@dataclass(frozen=True)
class SightingBucket:
    """How many sightings one organization (or pseudonym) made in one bucket of time."""

    bucket: str
    org: str
    is_anonymised: bool
    count: int


@dataclass(frozen=True)
class SightingSummary:
    """Sighting counts of an owner's signals (or one signal) over `[start, end)` per bucket."""

    signal_id: UUID | None
    start: datetime
    end: datetime
    bucket: str
    total: int
    per_bucket: tuple[tuple[str, int], ...]
    per_org: tuple[SightingBucket, ...]


# The report ------------------------------------------------------------------------------------------------


Value = int | float | None


@dataclass(frozen=True)
class Metric:
    """One figure of a report: `dimension` is '' for a plain figure, else what it is broken down by."""

    section: str
    metric: str
    dimension: str
    value: Value


@dataclass(frozen=True)
class EntityName:
    """The designated entity an entity label (`un:QDe.115`) names: its listing reference, and its name
    and signal when an entity signal with that reference is visible (else None)."""

    label: str
    reference: str
    name: str | None
    signal_id: UUID | None


MONTHS = "by_month"
"""The section of the per-month rows; its metrics' dimension is the month (`2026-05`)."""


@dataclass(frozen=True)
class TransparencyReport:
    """The figures of one organization over the days `first` to `last`, both included; `entities` names
    the designated entities of its "by entity" dimensions."""

    org_id: UUID
    org_name: str
    first: date
    last: date
    generated_at: datetime
    metrics: tuple[Metric, ...]
    entities: tuple[EntityName, ...] = ()

    def entity_name(self, dimension: str) -> str | None:
        """Return the entity name of a dimension (`un:QDe.115` or `remove/un:QDe.115`), if any."""
        label = dimension.rpartition("/")[2]
        return next((e.name for e in self.entities if e.label == label), None)


def parse_day(raw: date | str, field: str) -> date:
    """Return the date in `raw` (`YYYY-MM-DD`); InvalidInput for anything else, impossible dates included."""
    if isinstance(raw, datetime):
        raise InvalidInput.expected(field, "a date YYYY-MM-DD", raw)
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str) or len(raw) != 10:
        raise InvalidInput.expected(field, "a date YYYY-MM-DD", raw)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput.expected(field, "a date YYYY-MM-DD that exists", raw) from None


def period(first_raw: date | str, last_raw: date | str) -> tuple[date, date, datetime, datetime]:
    """Return the days and the UTC bounds `[start, end)` of a period given by its first and last day."""
    first, last = parse_day(first_raw, "from"), parse_day(last_raw, "to")
    if last < first:
        raise InvalidInput.expected(
            "to", f"a date on or after 'from' ({first.isoformat()})", last.isoformat()
        )
    days = (last - first).days + 1
    if days > MAX_PERIOD_DAYS:
        raise InvalidInput.expected("to", f"at most {MAX_PERIOD_DAYS} days after 'from'", f"{days} days")
    start = datetime.combine(first, time(0), UTC)
    return first, last, start, start + timedelta(days=days)


def nearest_rank(values: Sequence[float], share: float) -> float | None:
    """Return the nearest-rank percentile (`share` from 0 to 1) of values, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def _minutes(timing: Timing) -> float | None:
    if timing.start is None or timing.end is None:
        return None
    return round((timing.end - timing.start).total_seconds() / 60, 2)


class ReportService:
    """Transparency reports and sighting summaries."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def transparency(
        self, caller: Caller, org_ref: str, first: date | str, last: date | str, fmt: str = "json"
    ) -> TransparencyReport:
        """Return the transparency report of an organization for the days `first` to `last` (included).

        Raises Forbidden unless the caller is an admin or auditor of that organization or of the
        operator organization; NotFound for an unknown organization; InvalidInput for a bad period or
        format (`fmt` is only recorded in the audit event: rendering is `render`'s job).
        """
        principal = caller.principal
        if principal.role not in (Role.ADMIN, Role.AUDITOR):
            raise Forbidden(
                f"role '{principal.role.value}' may not run transparency reports (admins and auditors may)"
            )
        if fmt not in FORMATS:
            raise InvalidInput.expected("format", f"one of {', '.join(FORMATS)}", fmt)
        first_day, last_day, start, end = period(first, last)
        with self.store.snapshot() as uow:
            org = find_org(uow, org_ref)
            if org.id != principal.org_id and not principal.is_operator_org:
                raise Forbidden("admins and auditors report on their own organization only")
            metrics = _platform(uow, org.id, start, end) + _requests(uow, org.id, start, end)
            metrics += _sightings(uow, org.id, start, end)
            metrics += [m for month in months(first_day, last_day) for m in _month(uow, org.id, *month)]
            entities = _entities(uow, caller, org.id, metrics)
        with self.store.transaction() as uow:
            record(
                uow,
                caller,
                self.clock,
                "report.transparency",
                ("organization", org.id, org.id),
                {"from": first_day.isoformat(), "to": last_day.isoformat(), "format": fmt},
            )
        return TransparencyReport(
            org.id, org.name, first_day, last_day, self.clock(), tuple(metrics), entities
        )

    def sighting_summary(
        self,
        caller: Caller,
        signal_ref: str | None,
        start_raw: datetime | str | None = None,
        end_raw: datetime | str | None = None,
        bucket: str = "day",
    ) -> SightingSummary:
        """Return the sightings of the caller's organization's signals (or one of them) in `[start, end)`
        counted per bucket (`hour` or `day`) and per matching organization, anonymised where the bank
        says so. `end` defaults to now, `start` to `DEFAULT_SUMMARY_BUCKETS` buckets before `end`.
        Raises InvalidInput for a bad span or bucket, NotFound for a signal the caller cannot see.
        """
        require(caller, Action.READ_SIGNALS)
        if bucket not in BUCKETS:
            raise InvalidInput.expected("bucket", "hour or day", bucket)
        step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
        end = parse_moment(end_raw, "to", _ISO_MOMENT) or self.clock()
        start = parse_moment(start_raw, "from", _ISO_MOMENT) or end - DEFAULT_SUMMARY_BUCKETS * step
        if end <= start:
            raise InvalidInput.expected("to", f"a time after 'from' ({start.isoformat()})", end.isoformat())
        if (end - start) / step > MAX_SUMMARY_BUCKETS:
            raise InvalidInput.expected(
                "to", f"at most {MAX_SUMMARY_BUCKETS} {bucket}s after 'from'", end.isoformat()
            )
        with self.store.snapshot() as uow:
            signal_id = None if signal_ref is None else owned_signal(uow, caller, signal_ref).id
            counts = uow.sightings.counts(caller.principal.org_id, signal_id, start, end, bucket)
            masker = Masker(uow, (c.signal_id for c in counts))
            per_bucket: dict[str, int] = {}
            per_org: dict[tuple[str, str, bool], int] = {}
            for c in counts:
                per_bucket[c.bucket] = per_bucket.get(c.bucket, 0) + c.count
                n = masker.ordinal(c.signal_id, c.org_id)
                org = str(c.org_id) if n is None else f"{c.signal_id}/{pseudonym(n)}"
                key = (c.bucket, org, n is not None)
                per_org[key] = per_org.get(key, 0) + c.count
        return SightingSummary(
            signal_id,
            start,
            end,
            bucket,
            sum(per_bucket.values()),
            tuple(sorted(per_bucket.items())),
            tuple(SightingBucket(b, o, anon, n) for (b, o, anon), n in sorted(per_org.items())),
        )


def _platform(uow: UnitOfWork, org_id: UUID, start: datetime, end: datetime) -> list[Metric]:
    """The organization as a platform: matches, actions, removal orders, complaints."""
    reports = uow.reports
    found = [
        Metric("matches", "lookups_with_hits", "", reports.lookups_with_hits(org_id, start, end)),
        Metric("matches", "items_matched", "", reports.cases_opened(org_id, start, end)),
    ]
    for label, n in reports.matched_by_label(org_id, start, end).items():
        found.append(Metric("matches", "matched_by_" + _dimension(label), label, n))
    decisions = reports.decisions(org_id, start, end)

    def moves(move: str) -> int:
        return sum(n for (m, _), n in decisions.items() if m == move)

    found.append(Metric("actions", "items_actioned", "", moves("confirm")))
    for action in ("remove", "restrict", "report"):
        found.append(Metric("actions", action, "", decisions.get(("confirm", action), 0)))
    found += [
        Metric("actions", "rejected", "", moves("reject")),
        Metric("actions", "escalated", "", moves("escalate")),
    ]
    for (action, label), n in reports.actioned_by_label(org_id, start, end).items():
        found.append(Metric("actions", "actioned_by_" + _dimension(label), f"{action}/{label}", n))
    found += _removal_orders(reports.removal_orders(org_id, start, end))
    found += [
        Metric("complaints", "filed", "", moves("complain")),
        Metric("complaints", "upheld", "", moves("uphold")),
        Metric("complaints", "reinstated", "", moves("reinstate")),
        Metric("complaints", "reinstatements", "", moves("reinstate")),
    ]
    return found


def months(first: date, last: date) -> list[tuple[str, datetime, datetime]]:
    """Return each calendar month the days `first` to `last` touch: (`YYYY-MM`, start, end), clipped to
    the period, as UTC bounds `[start, end)`."""
    found = []
    day = first
    while day <= last:
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        end = min(following, last + timedelta(days=1))
        found.append(
            (
                f"{day.year:04d}-{day.month:02d}",
                datetime.combine(day, time(0), UTC),
                datetime.combine(end, time(0), UTC),
            )
        )
        day = following
    return found


def _month(uow: UnitOfWork, org_id: UUID, month: str, start: datetime, end: datetime) -> list[Metric]:
    """One month's row: matches, actions, removal orders and time to act, complaints, requests."""
    reports = uow.reports
    decisions = reports.decisions(org_id, start, end)

    def moves(move: str) -> int:
        return sum(n for (m, _), n in decisions.items() if m == move)

    orders = reports.removal_orders(org_id, start, end)
    minutes = [m for m in (_minutes(t) for t in orders) if m is not None]
    figures: list[tuple[str, Value]] = [
        ("items_matched", reports.cases_opened(org_id, start, end)),
        ("items_actioned", moves("confirm")),
        ("removal_orders_received", len(orders)),
        ("removal_orders_acted_on", len(minutes)),
        ("median_minutes_to_act", None if not minutes else round(statistics.median(minutes), 2)),
        ("max_minutes_to_act", max(minutes, default=None)),
        ("complaints_filed", moves("complain")),
        ("reinstatements", moves("reinstate")),
        ("requests_sent", reports.requests_sent(org_id, start, end)),
        ("requests_received", reports.requests_received(org_id, start, end)),
        ("requests_answered", len(reports.replies(org_id, "answer", start, end))),
    ]
    return [Metric(MONTHS, name, month, value) for name, value in figures]


ENTITY_PAGE = 100
ENTITY_PAGES = 20
"""Entity signals read per listing reference, by pages, when naming an entity label: the reference is
searched as text (value key or external id containing it), then held to an exact match of the key."""


def _entities(
    uow: UnitOfWork, caller: Caller, org_id: UUID, metrics: Sequence[Metric]
) -> tuple[EntityName, ...]:
    """Name the entity labels of the metrics with entity signals both the organization (in SQL) and the
    caller (`can_see_signal`, RED recipients included) may see: the oldest such signal of the label's
    listing reference."""
    labels = sorted(
        {m.dimension.rpartition("/")[2] for m in metrics if m.metric.endswith("_by_entity") and m.dimension}
    )
    subject = Audience(org_id, None, uow.groups.groups_of(org_id))
    return tuple(_entity(uow, caller, subject, label) for label in labels)


def _entity(uow: UnitOfWork, caller: Caller, subject: Audience, label: str) -> EntityName:
    reference = label.partition(":")[2]
    query = SignalQuery(family=Family.ENTITY, text=reference)
    page = PageRequest(ENTITY_PAGE)
    for _ in range(ENTITY_PAGES):
        found = uow.signals.find(query, subject, page)
        for signal in found.items:
            if signal.value_key == reference and can_see_signal(caller.principal, signal):
                name = EntityRecord.from_json(signal.value).primary_name
                return EntityName(label, reference, name, signal.id)
        if found.next_after is None:
            break
        page = PageRequest(ENTITY_PAGE, found.next_after)
    return EntityName(label, reference, None, None)


def _dimension(label: str) -> str:
    return "entity" if ":" in label else "label"


def _removal_orders(orders: list[Timing]) -> list[Metric]:
    """Removal orders received and the time taken to act on them."""
    minutes = [m for m in (_minutes(t) for t in orders) if m is not None]
    within = sum(1 for m in minutes if m <= REMOVAL_ORDER_MINUTES)
    median = None if not minutes else round(statistics.median(minutes), 2)
    share = None if not minutes else round(within / len(minutes), 4)
    return [
        Metric("removal_orders", "received", "", len(orders)),
        Metric("removal_orders", "acted_on", "", len(minutes)),
        Metric("removal_orders", "pending", "", len(orders) - len(minutes)),
        Metric("removal_orders", f"within_{REMOVAL_ORDER_MINUTES}_minutes", "", within),
        Metric("removal_orders", f"share_within_{REMOVAL_ORDER_MINUTES}_minutes", "", share),
        Metric("removal_orders", "median_minutes", "", median),
        Metric("removal_orders", "p90_minutes", "", nearest_rank(minutes, 0.9)),
    ]


def _requests(uow: UnitOfWork, org_id: UUID, start: datetime, end: datetime) -> list[Metric]:
    """The organization as a member agency: requests for assistance."""
    reports = uow.reports
    answers = reports.replies(org_id, "answer", start, end)
    dated = [(t.start, t.end) for t in answers if t.start is not None and t.end is not None]
    in_time = sum(1 for deadline, at in dated if at <= deadline)
    return [
        Metric("requests", "sent", "", reports.requests_sent(org_id, start, end)),
        Metric("requests", "received", "", reports.requests_received(org_id, start, end)),
        Metric("requests", "answered", "", len(answers)),
        Metric("requests", "answered_within_deadline", "", in_time),
        Metric("requests", "answered_late", "", len(dated) - in_time),
        Metric("requests", "answered_without_deadline", "", len(answers) - len(dated)),
        Metric("requests", "declined", "", len(reports.replies(org_id, "decline", start, end))),
    ]


def _sightings(uow: UnitOfWork, org_id: UUID, start: datetime, end: datetime) -> list[Metric]:
    """The organization as a signal owner: who matched its signals (anonymised banks summed)."""
    rows = uow.reports.sightings_of_owner(org_id, start, end)
    names = {o.id: o.name for o in uow.members.orgs()}
    by_org: dict[str, int] = {}
    for row in rows:
        key = (
            ANONYMISED if row.policy is SightingPolicy.ANONYMISED else names.get(row.org_id, str(row.org_id))
        )
        by_org[key] = by_org.get(key, 0) + row.count
    found = [Metric("sightings", "of_own_signals", "", sum(by_org.values()))]
    return found + [Metric("sightings", "by_organization", k, n) for k, n in sorted(by_org.items())]


# Renderings ------------------------------------------------------------------------------------------------


def report_json(report: TransparencyReport) -> dict[str, Any]:
    """Return the canonical JSON document: sections of metrics, each a figure or {dimension: figure};
    `months`, one row per month of the period; `entities`, the name of each entity label (or null)."""
    sections: dict[str, dict[str, Any]] = {}
    for m in report.metrics:
        if m.section == MONTHS:
            continue
        section = sections.setdefault(m.section, {})
        if m.dimension:
            section.setdefault(m.metric, {})[m.dimension] = m.value
        else:
            section[m.metric] = m.value
    return {
        "organization": {"id": str(report.org_id), "name": report.org_name},
        "period": {"from": report.first.isoformat(), "to": report.last.isoformat()},
        "generated_at": report.generated_at.isoformat(),
        "sections": sections,
        "months": month_rows(report),
        "entities": {
            e.label: {
                "reference": e.reference,
                "name": e.name,
                "signal_id": None if e.signal_id is None else str(e.signal_id),
            }
            for e in report.entities
        },
    }


def month_rows(report: TransparencyReport) -> list[dict[str, Any]]:
    """Return one row per month of the period, oldest first: `{"month": "2026-05", figure: value, ...}`."""
    rows: dict[str, dict[str, Any]] = {}
    for m in report.metrics:
        if m.section == MONTHS:
            rows.setdefault(m.dimension, {"month": m.dimension})[m.metric] = m.value
    return list(rows.values())


CSV_COLUMNS = ("section", "metric", "dimension", "value", "name")


def report_csv(report: TransparencyReport) -> str:
    """Return the report as CSV, one metric per row (an empty value is a figure that has none); `name`
    is the designated entity's name on the rows of an entity dimension, when known."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for m in report.metrics:
        name = report.entity_name(m.dimension) if m.metric.endswith("_by_entity") else None
        writer.writerow([m.section, m.metric, m.dimension, "" if m.value is None else m.value, name or ""])
    return buffer.getvalue()


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:60rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{padding:.2rem .6rem;text-align:start;"
    "border-bottom:1px solid #ddd}td.n{text-align:end;font-variant-numeric:tabular-nums}"
    "rect.bar{fill:#2b6cb0}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}"
    "caption{text-align:start;font-weight:600}.name{color:#555}.scroll{overflow-x:auto}"
    "table.months td,table.months th{font-size:.85rem}table.months th[scope=row]{white-space:nowrap}"
)
BAR_WIDTH = 300


def _value_text(value: Value) -> str:
    return "–" if value is None else str(value)


def _bars(title: str, rows: Sequence[Metric], names: dict[str, str] | None = None) -> str:
    """Return a table of one broken-down metric with an inline SVG bar per dimension (and the entity's
    name beside a dimension that has one)."""
    top = max((float(m.value or 0) for m in rows), default=0.0) or 1.0
    lines = [f'<table class="chart"><caption dir="auto">{escape(title)}</caption>']
    for m in rows:
        width = round(BAR_WIDTH * float(m.value or 0) / top, 1)
        name = (names or {}).get(m.dimension)
        label = escape(f"{m.dimension}{f' ({name})' if name else ''}: {_value_text(m.value)}")
        shown = escape(m.dimension) + (
            f' <span class="name" dir="auto">{escape(name)}</span>' if name else ""
        )
        lines.append(
            f'<tr><th dir="auto" scope="row">{shown}</th><td>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{BAR_WIDTH}" height="14" role="img"'
            f' aria-label="{label}"><rect class="bar" x="0" y="1" width="{width}" height="12"/></svg>'
            f'</td><td class="n" dir="auto">{escape(_value_text(m.value))}</td></tr>'
        )
    lines.append("</table>")
    return "\n".join(lines)


def _section_html(name: str, metrics: Sequence[Metric], names: dict[str, str]) -> str:
    plain = [m for m in metrics if not m.dimension]
    parts = [f'<h2 dir="auto">{escape(name.replace("_", " "))}</h2>', "<table>"]
    parts += [
        f'<tr><th dir="auto" scope="row">{escape(m.metric.replace("_", " "))}</th>'
        f'<td class="n" dir="auto">{escape(_value_text(m.value))}</td></tr>'
        for m in plain
    ]
    parts.append("</table>")
    broken: dict[str, list[Metric]] = {}
    for m in metrics:
        if m.dimension:
            broken.setdefault(m.metric, []).append(m)
    parts += [
        _bars(metric.replace("_", " "), rows, names if metric.endswith("_by_entity") else None)
        for metric, rows in broken.items()
    ]
    return "\n".join(parts)


def _months_html(metrics: Sequence[Metric]) -> str:
    """The months of the period: one table row per month, then a bar chart by month of each figure."""
    rows: dict[str, dict[str, Value]] = {}
    columns: list[str] = []
    for m in metrics:
        rows.setdefault(m.dimension, {})[m.metric] = m.value
        if m.metric not in columns:
            columns.append(m.metric)
    head = "".join(f'<th scope="col" dir="auto">{escape(c.replace("_", " "))}</th>' for c in columns)
    body = [
        f'<tr><th scope="row" dir="auto">{escape(month)}</th>'
        + "".join(f'<td class="n" dir="auto">{escape(_value_text(values.get(c)))}</td>' for c in columns)
        + "</tr>"
        for month, values in rows.items()
    ]
    parts = [
        '<h2 dir="auto">by month</h2>',
        '<div class="scroll">',
        f'<table class="months"><tr><th scope="col">month</th>{head}</tr>',
    ]
    parts += [*body, "</table></div>"]
    parts += [
        _bars(f"{c.replace('_', ' ')} by month", [m for m in metrics if m.metric == c]) for c in columns
    ]
    return "\n".join(parts)


def report_html(report: TransparencyReport) -> str:
    """Return a self-contained HTML page of the report: inline CSS and SVG, no script, values escaped."""
    sections: dict[str, list[Metric]] = {}
    for m in report.metrics:
        sections.setdefault(m.section, []).append(m)
    names = {
        m.dimension: name
        for m in report.metrics
        if m.metric.endswith("_by_entity") and (name := report.entity_name(m.dimension))
    }
    title = f"Transparency report: {report.org_name}, {report.first.isoformat()} to {report.last.isoformat()}"
    body = "\n".join(
        _months_html(metrics) if name == MONTHS else _section_html(name, metrics, names)
        for name, metrics in sections.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<h1 dir="auto">{escape(title)}</h1>\n'
        f'<p dir="auto">Generated {escape(report.generated_at.isoformat())}; organization id'
        f" {escape(str(report.org_id))}. Days are UTC, both ends included.</p>\n{body}\n</body>\n</html>\n"
    )


MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def render(report: TransparencyReport, fmt: str) -> str:
    """Return the report as text in a format of `FORMATS`."""
    if fmt == "csv":
        return report_csv(report)
    if fmt == "html":
        return report_html(report)
    if fmt == "json":
        return json.dumps(report_json(report), ensure_ascii=False, indent=2) + "\n"
    raise InvalidInput.expected("format", f"one of {', '.join(FORMATS)}", fmt)
