"""`ctx report transparency`: an organization's transparency report for a period, as JSON, CSV or HTML.

The CLI acts as the local operator, an admin of the operator organization, who may report on any
organization. The report goes to standard output, or to `--out FILE` (written whole, then said where).

Decisions:
- `--format` picks the rendering (`json`, the default and canonical shape; `csv`; `html`); `--json` is
  the same as `--format json`, for the one flag every printing command takes.
- The dates are days, both included, in UTC: `--from 2026-01-01 --to 2026-03-31` is the first quarter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ctexchange.cli import output
from ctexchange.cli.output import JsonFlag
from ctexchange.cli.state import operator_session
from ctexchange.service.reports import FORMATS, render

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
