"""`ctx report transparency`: an organization's transparency report for a period, as JSON, CSV or HTML;
`ctx report sightings` and `ctx report sighting-summary`: who matched the operator organization's
signals, and how often over time.

The CLI acts as the local operator, an admin of the operator organization, who may report on any
organization. The report goes to standard output, or to `--out FILE` (written whole, then said where).
Sightings are the operator organization's own (the owner of the coalition's banks): organizations that
matched a signal of an `anonymised` bank are shown by their pseudonym (`member-N`), as over the API.

Decisions:
- `--format` picks the rendering (`json`, the default and canonical shape; `csv`; `html`); `--json` is
  the same as `--format json`, for the one flag every printing command takes.
- The dates are days, both included, in UTC: `--from 2026-01-01 --to 2026-03-31` is the first quarter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ctexchange.cli import output
from ctexchange.cli.output import JsonFlag
from ctexchange.cli.state import operator_session
from ctexchange.domain.sightings import Sighting
from ctexchange.service.reports import BUCKETS, FORMATS, is_anonymised, render

report_app = typer.Typer(help="Transparency reports per organization and period.", no_args_is_help=True)


@report_app.command("transparency")
def report_transparency(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="The organization (name or id).")],
    first: Annotated[str, typer.Option("--from", help="The first day, YYYY-MM-DD (UTC).")],
    last: Annotated[str, typer.Option("--to", help="The last day, included, YYYY-MM-DD (UTC).")],
    fmt: Annotated[str, typer.Option("--format", help=f"One of {'|'.join(FORMATS)}.")] = "json",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to this file.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print (or write) what an organization did in a period: matches, actions, removal orders,
    complaints, requests for assistance and sightings of its signals."""
    chosen = "json" if as_json else fmt
    with operator_session(ctx) as (exchange, caller):
        report = exchange.reports.transparency(caller, org, first, last, chosen)
    text = render(report, chosen)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    output.note(f"wrote the {chosen} report of '{report.org_name}' to {out}")


SignalFlag = Annotated[str | None, typer.Option("--signal", help="Only this signal (id) of yours.")]


def _sighting_doc(sighting: Sighting, names: dict[str, str]) -> dict[str, Any]:
    masked = is_anonymised(sighting)
    return {
        "id": str(sighting.id),
        "signal_id": str(sighting.signal_id),
        "org": sighting.actor if masked else names.get(str(sighting.org_id), str(sighting.org_id)),
        "org_id": str(sighting.org_id),
        "is_anonymised": masked,
        "kind": sighting.kind,
        "match_type": sighting.match_type,
        "distance": sighting.distance,
        "is_visible": sighting.is_visible,
        "at": sighting.at.isoformat(),
    }


@report_app.command("sightings")
def report_sightings(
    ctx: typer.Context,
    signal: SignalFlag = None,
    limit: Annotated[
        int, typer.Option("--limit", help="At most this many, newest first (1 to 1,000).")
    ] = 100,
    as_json: JsonFlag = False,
) -> None:
    """List who matched your organization's signals, newest first (pseudonyms for anonymised banks)."""
    with operator_session(ctx) as (exchange, caller):
        found = exchange.content.sightings(caller, signal, limit)
        names = {str(o.id): o.name for o in exchange.members.orgs(caller)}
    docs = [_sighting_doc(s, names) for s in found]
    if as_json:
        output.emit_json(docs)
        return
    columns = ["at", "signal", "organization", "kind", "match", "distance", "could see it"]
    rows = (
        [d["at"][:19], d["signal_id"], d["org"], d["kind"], d["match_type"], d["distance"], d["is_visible"]]
        for d in docs
    )
    output.print_table(columns, rows)


@report_app.command("sighting-summary")
def report_sighting_summary(
    ctx: typer.Context,
    signal: SignalFlag = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="From this time, with its UTC offset (default: 30 buckets ago)."),
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Until this time, excluded (default: now).")] = None,
    bucket: Annotated[str, typer.Option("--bucket", help=f"One of {'|'.join(BUCKETS)}.")] = "day",
    as_json: JsonFlag = False,
) -> None:
    """Count the sightings of your organization's signals per hour or day and per matching organization."""
    with operator_session(ctx) as (exchange, caller):
        summary = exchange.reports.sighting_summary(caller, signal, start, end, bucket)
        names = {str(o.id): o.name for o in exchange.members.orgs(caller)}
    per_org = [
        {"bucket": b.bucket, "org": b.org if b.is_anonymised else names.get(b.org, b.org), "count": b.count}
        for b in summary.per_org
    ]
    if as_json:
        output.emit_json(
            {
                "signal_id": None if summary.signal_id is None else str(summary.signal_id),
                "from": summary.start.isoformat(),
                "to": summary.end.isoformat(),
                "bucket": summary.bucket,
                "total": summary.total,
                "buckets": [{"bucket": b, "count": n} for b, n in summary.per_bucket],
                "organizations": per_org,
            }
        )
        return
    output.print_table(
        [summary.bucket, "organization", "sightings"], ([r["bucket"], r["org"], r["count"]] for r in per_org)
    )
    output.say(f"{summary.total} sightings from {summary.start.isoformat()} to {summary.end.isoformat()}")
