"""Transparency reports: `GET /v1/reports/transparency?org=&from=&to=&format=json|csv|html`.

JSON is the canonical shape (`TransparencyOut`); `csv` and `html` return the same figures as a download
(`Content-Disposition: attachment`). The HTML page has no script and loads nothing: it is served with a
Content-Security-Policy that forbids everything but its inline style.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ctexchange.api.auth import CallerDep
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.report_schemas import TransparencyOut
from ctexchange.service.reports import FORMATS, MEDIA_TYPES, render

router = APIRouter(prefix="/v1", tags=["reports"])

HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as JSON, or as CSV (section, metric, dimension, value, name) or an"
        " HTML page.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        },
    },
    **error_responses(401, 403, 404, 422, 503),
}


@router.get(
    "/reports/transparency",
    summary="Transparency report of an organization",
    response_model=TransparencyOut,
    responses=RESPONSES,
)
def transparency(
    caller: CallerDep,
    exchange: ExchangeDep,
    org: Annotated[str, Query(description="The organization (id or name).")],
    first: Annotated[date, Query(alias="from", description="The first day (YYYY-MM-DD, UTC).")],
    last: Annotated[date, Query(alias="to", description="The last day, included (YYYY-MM-DD, UTC).")],
    fmt: Annotated[str, Query(alias="format", description="One of " + ", ".join(FORMATS) + ".")] = "json",
) -> Any:
    """Return what an organization did in a period: matches and actions by label and designated entity
    (named), removal orders and time to act, complaints, reinstatements, requests for assistance and
    sightings of its signals, with one row per month. Its own admins and auditors may run it, and the
    operator organization's for any."""
    report = exchange.reports.transparency(caller, org, first, last, fmt)
    if fmt == "json":
        return TransparencyOut.of(report)
    name = f"transparency-{report.first.isoformat()}-{report.last.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff"}
    if fmt == "html":
        headers["Content-Security-Policy"] = HTML_POLICY
    return Response(render(report, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)
