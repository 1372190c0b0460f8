"""The transparency report page: an organization's figures over a period, as tables and inline SVG charts.

The figures are `ReportService.transparency` as the signed-in user (admins and auditors of the
organization, the operator's for any; anyone else is refused by the service): matches and actions by
label and by designated entity, removal orders and the time taken to act on them, complaints and
reinstatements, requests for assistance, sightings of the organization's signals, and one row per month.
Charts are SVG drawn on the server (no script, nothing loaded); every bar also carries its number as text,
so nothing is told by length or colour alone. The same report downloads as JSON, CSV or the standalone
HTML page (`ReportService` renders them, as `GET /v1/reports/transparency` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.web import ConsoleRouter, ExchangeDep, SignedInDep, render
from ctexchange.domain.roles import Role
from ctexchange.errors import Forbidden, InvalidInput
from ctexchange.service.auth import SignedIn
from ctexchange.service.exchange import Exchange
from ctexchange.service.reports import FORMATS, MEDIA_TYPES, MONTHS, Metric, TransparencyReport
from ctexchange.service.reports import render as render_report

router = ConsoleRouter()
DEFAULT_DAYS = 30
BAR_WIDTH = 240
COLUMN_HEIGHT = 120
COLUMN_WIDTH = 28
COLUMN_GAP = 12


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label (a label, an entity, an organization, a month), value and size."""

    label: str
    name: str | None
    value: float | int | None
    size: float


@dataclass(frozen=True)
class Chart:
    """A broken-down figure drawn as bars (horizontal by dimension; columns by month)."""

    section: str
    metric: str
    bars: list[Bar]
    is_months: bool

    @property
    def width(self) -> int:
        """The SVG width of a column chart."""
        return max(len(self.bars), 1) * (COLUMN_WIDTH + COLUMN_GAP) + COLUMN_GAP


def _bars(metrics: list[Metric], full: float, names: dict[str, str]) -> list[Bar]:
    top = max((float(m.value or 0) for m in metrics), default=0.0) or 1.0
    return [
        Bar(m.dimension, names.get(m.dimension), m.value, round(full * float(m.value or 0) / top, 1))
        for m in metrics
    ]


def charts_of(report: TransparencyReport) -> tuple[dict[str, list[Metric]], list[Chart]]:
    """Return the plain figures by section and the charts of the broken-down ones (months last)."""
    plain: dict[str, list[Metric]] = {}
    broken: dict[tuple[str, str], list[Metric]] = {}
    for m in report.metrics:
        if m.dimension:
            broken.setdefault((m.section, m.metric), []).append(m)
        else:
            plain.setdefault(m.section, []).append(m)
    names = {
        m.dimension: name
        for m in report.metrics
        if m.metric.endswith("_by_entity") and (name := report.entity_name(m.dimension))
    }
    charts = [
        Chart(
            section,
            metric,
            _bars(rows, COLUMN_HEIGHT if section == MONTHS else BAR_WIDTH, names),
            section == MONTHS,
        )
        for (section, metric), rows in broken.items()
    ]
    charts.sort(key=lambda c: c.is_months)
    return plain, charts


def _orgs(exchange: Exchange, session: SignedIn) -> list[Any]:
    """The organizations the user may report on: every one for the operator's, else its own."""
    if session.caller.principal.is_operator_org:
        return list(exchange.members.orgs(session.caller))
    return [session.org]


def _report(
    exchange: Exchange, session: SignedIn, org: str, first: str, last: str, fmt: str
) -> TransparencyReport:
    return exchange.reports.transparency(session.caller, org, first, last, fmt)


def _check_role(session: SignedIn) -> None:
    role = session.caller.principal.role
    if role not in (Role.ADMIN, Role.AUDITOR):
        raise Forbidden(f"role '{role.value}' may not run transparency reports (admins and auditors may)")


@router.get("/reports")
async def report_page(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    org: Annotated[str, Query(max_length=200)] = "",
    first: Annotated[str, Query(alias="from", max_length=10)] = "",
    last: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    """The report form and, for the chosen organization and period (by default: ours, the last 30 days),
    the report."""
    _check_role(session)
    today = exchange.clock().date()
    first = first or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    last = last or today.isoformat()
    org = org or str(session.org.id)
    orgs = await run_in_threadpool(_orgs, exchange, session)
    context: dict[str, Any] = {
        "orgs": orgs,
        "form": {"org": org, "from": first, "to": last},
        "report": None,
        "error": None,
        "formats": FORMATS,
    }
    status = 200
    try:
        report = await run_in_threadpool(_report, exchange, session, org, first, last, "html")
    except InvalidInput as exc:
        context["error"], status = exc, 422
    else:
        plain, charts = charts_of(report)
        context.update(report=report, plain=plain, charts=[c for c in charts if not c.is_months])
        context.update(month_charts=[c for c in charts if c.is_months])
        context.update(bar_width=BAR_WIDTH, column_height=COLUMN_HEIGHT, column_width=COLUMN_WIDTH)
        context.update(column_gap=COLUMN_GAP)
    return render(request, "report.html", context, status, session)


@router.get("/reports/download")
async def download(
    session: SignedInDep,
    exchange: ExchangeDep,
    org: Annotated[str, Query(max_length=200)],
    first: Annotated[str, Query(alias="from", max_length=10)],
    last: Annotated[str, Query(alias="to", max_length=10)],
    fmt: Annotated[str, Query(alias="format", max_length=10)] = "csv",
) -> Response:
    """The same report as a JSON, CSV or standalone HTML download."""
    _check_role(session)
    report = await run_in_threadpool(_report, exchange, session, org, first, last, fmt)
    name = f"transparency-{report.first.isoformat()}-{report.last.isoformat()}.{fmt}"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'",
    }
    return Response(render_report(report, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)
