"""`ctx audit verify`: check the hash chain of the audit log and print the anchor to keep elsewhere.

A broken chain is a finding, not a usage error: the report goes to stdout and the exit code is 1, apart
from the codes of errors (2 and up), so a cron job can tell "tampered" from "called wrongly".
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from ctexchange.cli import output
from ctexchange.cli.output import JsonFlag
from ctexchange.cli.state import operator_session
from ctexchange.domain.audit import ChainReport
from ctexchange.errors import InvalidInput

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

BROKEN_EXIT = 1
ANCHOR_PATTERN = re.compile(r"^(\d+):([0-9a-f]{64})$")


def parse_anchor(raw: str) -> tuple[int, str]:
    """Return (seq, hash) of an anchor written `SEQ:HASH`; raise InvalidInput naming the form."""
    match = ANCHOR_PATTERN.match(raw.strip().lower())
    if match is None or int(match.group(1)) < 1:
        raise InvalidInput.expected(
            "anchor", "SEQ:HASH as printed by 'ctx audit verify' (a seq from 1, ':', 64 hex digits)", raw
        )
    return int(match.group(1)), match.group(2)


def report_doc(report: ChainReport) -> dict[str, Any]:
    """Return a verification report as JSON."""
    return {
        "intact": report.is_intact,
        "checked": report.checked,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "bad_seq": report.bad_seq,
        "bad_id": None if report.bad_id is None else str(report.bad_id),
        "problem": report.problem,
    }


def _say_report(report: ChainReport) -> None:
    if report.is_intact:
        output.say(f"audit log intact: {report.checked} events checked")
        output.say(f"head: seq {report.head_seq}, hash {report.head_hash}")
        output.say(f"record this anchor elsewhere: {report.head_seq}:{report.head_hash}")
        return
    event = f"event seq {report.bad_seq}" + ("" if report.bad_id is None else f" (id {report.bad_id})")
    output.say(f"audit log BROKEN at {event}: {report.problem}")
    plural = "" if report.checked == 1 else "s"
    output.say(f"intact before it: {report.checked} event{plural}, up to seq {report.head_seq}")


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    anchor: Annotated[
        str | None, typer.Option("--anchor", help="SEQ:HASH recorded earlier; that event must still match.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Verify the whole audit chain; exit 0 when intact, 1 when an event was edited, deleted or moved."""
    expected = None if anchor is None else parse_anchor(anchor)
    with operator_session(ctx) as (exchange, caller):
        report = exchange.audit.verify(caller, expected)
    if as_json:
        output.emit_json(report_doc(report))
    else:
        _say_report(report)
    if not report.is_intact:
        raise typer.Exit(BROKEN_EXIT)
