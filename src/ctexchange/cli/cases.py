"""`ctx case`: the review cases of the operator organization, and the evidence purge job.

The CLI acts as the local operator, an admin of the operator organization: it lists, reads and decides
that organization's cases (opened when its own `service` keys matched), records removal orders, files
complaints and keeps evidence. `ctx case purge-evidence` is the scheduled job of the whole coalition:
run it from cron (daily is enough; it purges at most 1,000 pieces per run and says how many it did).

Decisions:
- Every decision takes `--reason` as a required option: a decision without one cannot be typed.
- `--json` documents carry the fields of the API's JSON; `removal-report` adds the counts within and over
  the hour.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ctexchange.cli import output
from ctexchange.cli.output import JsonFlag, iso, when
from ctexchange.cli.state import operator_session
from ctexchange.domain.cases import (
    MAX_EVIDENCE_BYTES,
    Case,
    CaseAction,
    CaseDecision,
    CaseDetail,
    CaseHit,
    CaseQuery,
    CaseStatus,
    Evidence,
)
from ctexchange.errors import InvalidInput
from ctexchange.service.cases import PURGE_BATCH

case_app = typer.Typer(
    help="Human review cases opened from matches, and evidence retention.", no_args_is_help=True
)

CaseId = Annotated[str, typer.Argument(help="The case's id.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (required, up to 2,000 characters).")]
STATUSES = "|".join(s.value for s in CaseStatus)
ACTIONS = "|".join(a.value for a in CaseAction)


# Documents -----------------------------------------------------------------------------------------------


def case_doc(case: Case, now: datetime) -> dict[str, Any]:
    """Return a case as JSON, as the API renders it."""
    return {
        "id": str(case.id),
        "org_id": str(case.org_id),
        "item_id": case.item_id,
        "status": case.status.value,
        "action": None if case.action is None else case.action.value,
        "is_quarantined": case.is_quarantined,
        "quarantine_signal_id": None if case.quarantine_signal_id is None else str(case.quarantine_signal_id),
        "opened_by": case.opened_by,
        "opened_at": iso(case.opened_at),
        "updated_at": iso(case.updated_at),
        "removal_order_received_at": iso(case.removal_order_received_at),
        "removal_due_at": iso(case.removal_due_at),
        "removed_at": iso(case.removed_at),
        "minutes_to_removal": case.minutes_to_removal,
        "is_removed_in_time": case.is_removed_in_time,
        "is_removal_overdue": case.is_removal_overdue(now),
        "complaint_deadline": iso(case.complaint_deadline),
        "is_complaint_overdue": case.is_complaint_overdue(now),
        "evidence_keep_until": iso(case.evidence_keep_until),
    }


def hit_doc(hit: CaseHit) -> dict[str, Any]:
    """Return a hit of a case as JSON."""
    return {
        "seq": hit.seq,
        "item_id": hit.item_id,
        "signal_id": None if hit.signal_id is None else str(hit.signal_id),
        "collection_id": str(hit.collection_id),
        "kind": hit.kind,
        "match_type": hit.match_type,
        "distance": hit.distance,
        "measure": hit.measure,
        "hashes": hit.hashes,
        "at": iso(hit.at),
    }


def decision_doc(entry: CaseDecision) -> dict[str, Any]:
    """Return one decision of a case's history as JSON."""
    return {
        "seq": entry.seq,
        "move": entry.move.value,
        "from_status": entry.from_status.value,
        "to_status": entry.to_status.value,
        "action": None if entry.action is None else entry.action.value,
        "reason": entry.reason,
        "org_id": str(entry.org_id),
        "actor": entry.actor,
        "at": iso(entry.at),
    }


def evidence_doc(evidence: Evidence) -> dict[str, Any]:
    """Return evidence metadata as JSON."""
    return {
        "id": str(evidence.id),
        "case_id": str(evidence.case_id),
        "actor": evidence.actor,
        "media_type": evidence.media_type,
        "size_bytes": evidence.size_bytes,
        "sha256": evidence.sha256,
        "reference": evidence.reference,
        "has_content": evidence.has_content,
        "created_at": iso(evidence.created_at),
        "keep_until": iso(evidence.keep_until),
        "purged_at": iso(evidence.purged_at),
    }


def detail_doc(detail: CaseDetail, now: datetime) -> dict[str, Any]:
    """Return a case with its hits, history and evidence as JSON."""
    return {
        **case_doc(detail.case, now),
        "hits": [hit_doc(h) for h in detail.hits],
        "history": [decision_doc(d) for d in detail.history],
        "evidence": [evidence_doc(e) for e in detail.evidence],
    }


def _print_case(case: Case, now: datetime) -> None:
    doc = case_doc(case, now)
    for key, value in doc.items():
        if value is not None:
            output.say(f"{key}: {value}")


# Reading -------------------------------------------------------------------------------------------------


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help=f"Only this status: {STATUSES}.")] = None,
    quarantined: Annotated[
        bool | None,
        typer.Option("--quarantined/--not-quarantined", help="Only quarantined (or other) cases."),
    ] = None,
    item: Annotated[str | None, typer.Option("--item", help="Only the cases of this item id.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (default 50).")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List the operator organization's review cases, oldest first."""
    query = CaseQuery(
        status=None if status is None else CaseStatus.parse(status, "status"),
        is_quarantined=quarantined,
        item_id=item,
    )
    with operator_session(ctx) as (exchange, caller):
        page = exchange.cases.find(caller, query, exchange.cases.page_request(limit, None))
        now = exchange.clock()
    if as_json:
        output.emit_json([case_doc(c, now) for c in page.items])
        return
    output.print_table(
        ["id", "status", "action", "item", "quarantined", "opened", "removal due"],
        (
            (
                c.id,
                c.status.value,
                c.action,
                c.item_id,
                "yes" if c.is_quarantined else "",
                when(c.opened_at),
                when(c.removal_due_at),
            )
            for c in page.items
        ),
    )


@case_app.command("show")
def case_show(ctx: typer.Context, case_id: CaseId, as_json: JsonFlag = False) -> None:
    """Show a case with its hits, decision history and evidence."""
    with operator_session(ctx) as (exchange, caller):
        detail = exchange.cases.get(caller, case_id)
        now = exchange.clock()
    if as_json:
        output.emit_json(detail_doc(detail, now))
        return
    _print_case(detail.case, now)
    output.print_table(
        ["seq", "item", "signal id", "kind", "match", "distance"],
        ((h.seq, h.item_id, h.signal_id, h.kind, h.match_type, h.distance) for h in detail.hits),
        title="hits",
    )
    output.print_table(
        ["seq", "move", "from", "to", "action", "actor", "at", "reason"],
        (
            (
                d.seq,
                d.move.value,
                d.from_status.value,
                d.to_status.value,
                d.action,
                d.actor,
                when(d.at),
                d.reason,
            )
            for d in detail.history
        ),
        title="history",
    )
    if detail.evidence:
        output.print_table(
            ["id", "sha256", "bytes", "keep until", "purged"],
            ((e.id, e.sha256, e.size_bytes, when(e.keep_until), when(e.purged_at)) for e in detail.evidence),
            title="evidence",
        )


@case_app.command("removal-report")
def case_removal_report(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", help="At most this many cases (default 500).")] = 500,
    as_json: JsonFlag = False,
) -> None:
    """Report the cases with a removal order: minutes from receipt to removal, within the hour or not."""
    with operator_session(ctx) as (exchange, caller):
        page = exchange.cases.find(
            caller, CaseQuery(has_removal_order=True), exchange.cases.page_request(limit, None)
        )
        now = exchange.clock()
    within = sum(1 for c in page.items if c.is_removed_in_time is True)
    late = sum(1 for c in page.items if c.is_removed_in_time is False)
    waiting = len(page.items) - within - late
    if as_json:
        output.emit_json(
            {
                "cases": [case_doc(c, now) for c in page.items],
                "within_hour": within,
                "over_hour": late,
                "not_removed": waiting,
            }
        )
        return
    output.print_table(
        ["id", "order received", "removed", "minutes", "within 1 h"],
        (
            (
                c.id,
                when(c.removal_order_received_at),
                when(c.removed_at),
                c.minutes_to_removal,
                {True: "yes", False: "NO", None: "overdue" if c.is_removal_overdue(now) else "pending"}[
                    c.is_removed_in_time
                ],
            )
            for c in page.items
        ),
    )
    output.say(f"{within} removed within the hour, {late} later, {waiting} not removed")


# Deciding ------------------------------------------------------------------------------------------------


def _decided(ctx: typer.Context, as_json: bool, decide: Any) -> None:
    with operator_session(ctx) as (exchange, caller):
        case = decide(exchange, caller)
        now = exchange.clock()
    if as_json:
        output.emit_json(case_doc(case, now))
    else:
        output.say(f"case {case.id} is {case.status.value}")


@case_app.command("confirm")
def case_confirm(
    ctx: typer.Context,
    case_id: CaseId,
    action: Annotated[str, typer.Option("--action", help=f"What was done: {ACTIONS}.")],
    reason: Reason,
    order_received: Annotated[
        str | None,
        typer.Option("--order-received", help="Receipt time of a removal order (ISO 8601 with offset)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Confirm a match, with the action taken and the reason."""
    _decided(ctx, as_json, lambda ex, c: ex.cases.confirm(c, case_id, action, reason, order_received))


@case_app.command("reject")
def case_reject(ctx: typer.Context, case_id: CaseId, reason: Reason, as_json: JsonFlag = False) -> None:
    """Reject a match as a false positive (its signals stop matching for the organization)."""
    _decided(ctx, as_json, lambda ex, c: ex.cases.reject(c, case_id, reason))


@case_app.command("escalate")
def case_escalate(ctx: typer.Context, case_id: CaseId, reason: Reason, as_json: JsonFlag = False) -> None:
    """Escalate an open case to a senior reviewer."""
    _decided(ctx, as_json, lambda ex, c: ex.cases.escalate(c, case_id, reason))


@case_app.command("complain")
def case_complain(ctx: typer.Context, case_id: CaseId, reason: Reason, as_json: JsonFlag = False) -> None:
    """File the content provider's complaint against a removal (due in 14 days)."""
    _decided(ctx, as_json, lambda ex, c: ex.cases.complain(c, case_id, reason))


@case_app.command("uphold")
def case_uphold(ctx: typer.Context, case_id: CaseId, reason: Reason, as_json: JsonFlag = False) -> None:
    """Decide a complaint: the removal stands."""
    _decided(ctx, as_json, lambda ex, c: ex.cases.uphold(c, case_id, reason))


@case_app.command("reinstate")
def case_reinstate(ctx: typer.Context, case_id: CaseId, reason: Reason, as_json: JsonFlag = False) -> None:
    """Decide a complaint: the item is put back."""
    _decided(ctx, as_json, lambda ex, c: ex.cases.reinstate(c, case_id, reason))


@case_app.command("removal-order")
def case_removal_order(
    ctx: typer.Context,
    case_id: CaseId,
    received: Annotated[
        str, typer.Option("--received", help="When the order was received (ISO 8601 with offset).")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Record a removal order for the item of an open or escalated case (starts the 1-hour clock)."""
    _decided(ctx, as_json, lambda ex, c: ex.cases.record_removal_order(c, case_id, received))


# Evidence ------------------------------------------------------------------------------------------------


@case_app.command("add-evidence")
def case_add_evidence(
    ctx: typer.Context,
    case_id: CaseId,
    file: Annotated[Path, typer.Argument(help="The removed item's file.")],
    media_type: Annotated[str | None, typer.Option("--media-type", help="Its media type.")] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="Where the platform keeps the original.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Keep a removed item's bytes as evidence for six months after the removal."""
    if not file.is_file():
        raise InvalidInput(f"'{file}' is not a readable file", field="file")
    if file.stat().st_size > MAX_EVIDENCE_BYTES:
        raise InvalidInput(f"'{file}' is over {MAX_EVIDENCE_BYTES:,} bytes", field="file")
    data = file.read_bytes()
    with operator_session(ctx) as (exchange, caller):
        evidence = exchange.cases.attach_evidence(caller, case_id, data, media_type, reference)
    if as_json:
        output.emit_json(evidence_doc(evidence))
    else:
        output.say(
            f"evidence {evidence.id} kept until {when(evidence.keep_until)} (sha256 {evidence.sha256})"
        )


@case_app.command("purge-evidence")
def case_purge_evidence(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", help=f"At most this many pieces (1..{PURGE_BATCH}).")] = (
        PURGE_BATCH
    ),
    as_json: JsonFlag = False,
) -> None:
    """Purge evidence kept past its six months (none with a complaint pending); each purge is audited."""
    with operator_session(ctx) as (exchange, caller):
        purged = exchange.cases.purge_evidence(caller, limit)
    if as_json:
        output.emit_json([evidence_doc(e) for e in purged])
        return
    for evidence in purged:
        output.say(f"purged evidence {evidence.id} of case {evidence.case_id} (sha256 {evidence.sha256})")
    output.say(f"{len(purged)} piece{'s' if len(purged) != 1 else ''} of evidence purged")
