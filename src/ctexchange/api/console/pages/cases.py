"""The review queue and the case page: decide a platform's matches with a reason; removal orders; appeals.

- `/cases`: the cases of the organization (the operator's auditors: every organization's), filtered by
  status, quarantine and removal order, oldest first; undecided ones show the 1-hour removal clock
  (EU TCO Regulation Art. 3) and complaints their two-week deadline (Art. 10).
- `/cases/{id}`: the item's hits with their signal (kind, labels, marking: only signals the user may
  still see are named), the decision history, the evidence kept, and the moves the state machine allows
  from here, each with its mandatory reason: confirm (remove, restrict, report; a removal may carry the
  order's receipt time), reject as a false positive, escalate; then the complaint and its outcome
  (upheld or reinstated).

Every read and move is `CaseService` as the signed-in caller: another organization's case is the
console's 404, with the text of an id that does not exist; a refused reason or an illegal move is shown
on the case page with the service's message (422, 409).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.pages.workflow import (
    MAX_REASON,
    MAX_SHORT,
    Refusal,
    may,
    minutes_between,
    query_string,
    utc_moment,
)
from ctexchange.api.console.web import ConsoleRouter, CsrfDep, ExchangeDep, SignedInDep, redirect, render
from ctexchange.domain.cases import (
    MOVE_TARGETS,
    REMOVAL_ORDER_MINUTES,
    UNDECIDED,
    Case,
    CaseAction,
    CaseDetail,
    CaseMove,
    CaseQuery,
    CaseStatus,
    case_audience,
    check_status_move,
)
from ctexchange.domain.roles import Action
from ctexchange.domain.signals import Signal
from ctexchange.errors import Conflict, Forbidden, InvalidInput, NotFound
from ctexchange.service.access import require
from ctexchange.service.auth import SignedIn
from ctexchange.service.exchange import Exchange
from ctexchange.service.pages import encode_cursor

router = ConsoleRouter()
PAGE_SIZE = 50
MAX_SIGNALS_SHOWN = 50  # distinct signals of one case read for their labels (a quarantined case has one)


@dataclass(frozen=True)
class Clock:
    """Where a case stands against its deadlines, in whole minutes from now."""

    removal_due: datetime | None
    removal_minutes_left: int | None  # negative: overdue
    removal_is_overdue: bool
    complaint_deadline: datetime | None
    complaint_is_overdue: bool

    @classmethod
    def of(cls, case: Case, now: datetime) -> Clock:
        """Return the clock of `case` at `now`."""
        due = case.removal_due_at
        left = None if due is None or case.removed_at is not None else minutes_between(now, due)
        return cls(
            due, left, case.is_removal_overdue(now), case.complaint_deadline, case.is_complaint_overdue(now)
        )


def _filters(status: str, quarantined: str, removal_order: str) -> CaseQuery:
    def flag(raw: str, field: str) -> bool | None:
        if raw in ("", "any"):
            return None
        if raw in ("yes", "no"):
            return raw == "yes"
        raise InvalidInput.expected(field, "yes, no or any", raw)

    return CaseQuery(
        status=CaseStatus.parse(status, "status") if status else None,
        is_quarantined=flag(quarantined, "quarantined"),
        has_removal_order=flag(removal_order, "removal_order"),
    )


def _queue(exchange: Exchange, session: SignedIn, query: CaseQuery, cursor: str | None) -> dict[str, Any]:
    page = exchange.cases.find(session.caller, query, exchange.cases.page_request(PAGE_SIZE, cursor))
    now = exchange.clock()
    names = {o.id: o.name for o in exchange.members.orgs(session.caller)}
    return {
        "cases": [(c, Clock.of(c, now)) for c in page.items],
        "next_cursor": encode_cursor(page.next_after),
        "org_names": names,
        "now": now,
    }


@router.get("/cases")
async def case_queue(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    status: Annotated[str, Query(max_length=20)] = "",
    quarantined: Annotated[str, Query(max_length=5)] = "",
    removal_order: Annotated[str, Query(max_length=5)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The review queue: the cases the user may see, with the filters chosen."""
    require(session.caller, Action.READ_CASES)
    query = _filters(status, quarantined, removal_order)
    context = await run_in_threadpool(_queue, exchange, session, query, cursor)
    filters = {"status": status, "quarantined": quarantined, "removal_order": removal_order}
    context.update(
        filters=filters,
        statuses=[s.value for s in CaseStatus],
        next_query=query_string({**filters, "cursor": context["next_cursor"]}),
        is_oversight=case_audience(session.caller.principal).is_oversight,
    )
    return render(request, "cases.html", context, session=session)


@dataclass(frozen=True)
class Offer:
    """A move the case page offers: what it is and whether it takes an action (confirm)."""

    move: str
    needs_action: bool
    takes_order: bool


def offers(case: Case, session: SignedIn) -> list[Offer]:
    """Return the moves the state machine allows from the case's status that the user's role may make
    (only on the user's own organization's cases)."""
    if case.org_id != session.caller.principal.org_id:
        return []
    found = []
    for move, target in MOVE_TARGETS.items():
        needed = Action.FILE_CASES if move is CaseMove.COMPLAIN else Action.DECIDE_CASES
        if not may(session, needed):
            continue
        try:
            check_status_move(case.status, target, case.action)
        except Conflict:
            continue
        is_confirm = move is CaseMove.CONFIRM
        found.append(Offer(move.value, is_confirm, is_confirm and case.removal_order_received_at is None))
    return found


def _signals(exchange: Exchange, session: SignedIn, detail: CaseDetail) -> dict[UUID, Signal]:
    """Read the signals of the case's hits that the user may see (labels, marking), at most 50."""
    ids = sorted({h.signal_id for h in detail.hits if h.signal_id is not None}, key=str)
    found: dict[UUID, Signal] = {}
    for signal_id in ids[:MAX_SIGNALS_SHOWN]:
        try:
            found[signal_id] = exchange.signals.get(session.caller, signal_id)
        except (NotFound, Forbidden):
            continue
    return found


def _case_context(exchange: Exchange, session: SignedIn, case_id: str) -> dict[str, Any]:
    detail = exchange.cases.get(session.caller, case_id)
    now = exchange.clock()
    collections = {c.id: c for c in exchange.collections.list(session.caller)}
    return {
        "detail": detail,
        "case": detail.case,
        "clock": Clock.of(detail.case, now),
        "signals": _signals(exchange, session, detail),
        "collections": collections,
        "org_names": {o.id: o.name for o in exchange.members.orgs(session.caller)},
        "offers": offers(detail.case, session),
        "actions": [a.value for a in CaseAction],
        "may_record_order": detail.case.status in UNDECIDED
        and detail.case.removal_order_received_at is None
        and detail.case.org_id == session.caller.principal.org_id
        and may(session, Action.FILE_CASES),
        "removal_minutes": REMOVAL_ORDER_MINUTES,
        "now": now,
    }


async def _case_page(
    request: Request,
    exchange: Exchange,
    session: SignedIn,
    case_id: str,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = await run_in_threadpool(_case_context, exchange, session, case_id)
    context.update({"error": None, "done": None, "form": {}, **(extra or {})})
    page = f"/cases/{context['case'].id}"
    return render(request, "case.html", context, status_code, session, page_path=page)


@router.get("/cases/{case_id}")
async def case_page(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    case_id: str,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """One case: hits, signals, history, evidence and the moves allowed now."""
    shown = done if done in {m.value for m in CaseMove} | {"removal_order"} else None
    return await _case_page(request, exchange, session, case_id, {"done": shown})


Reason = Annotated[str, Form(max_length=MAX_REASON + 100)]
Short = Annotated[str, Form(max_length=MAX_SHORT)]


@router.post("/cases/{case_id}/decide")
async def decide(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    case_id: str,
    move: Short,
    reason: Reason = "",
    action: Short = "",
    removal_order_received_at: Short = "",
) -> Response:
    """Make a move on the case with its reason; the case page shows the outcome or the refusal."""

    def act() -> Case:
        order = utc_moment(removal_order_received_at, "removal_order_received_at")
        return exchange.cases.decide(
            session.caller, case_id, move, reason, action or None if move == "confirm" else None, order
        )

    try:
        case = await run_in_threadpool(act)
    except (InvalidInput, Conflict, Forbidden) as exc:
        refusal = Refusal.of(exc)
        form = {"move": move, "reason": reason, "action": action, "order": removal_order_received_at}
        extra = {"error": refusal, "form": form}
        return await _case_page(request, exchange, session, case_id, extra, refusal.status)
    return redirect(request, f"/cases/{case.id}?done={move}")


@router.post("/cases/{case_id}/removal-order")
async def removal_order(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    case_id: str,
    received_at: Short = "",
) -> Response:
    """Record when the removal order of the case's item was received: the 1-hour clock starts then."""

    def act() -> Case:
        moment = utc_moment(received_at, "received_at")
        if moment is None:
            raise InvalidInput.expected("received_at", "the date and time the order was received", "")
        return exchange.cases.record_removal_order(session.caller, case_id, moment)

    try:
        case = await run_in_threadpool(act)
    except (InvalidInput, Conflict, Forbidden) as exc:
        refusal = Refusal.of(exc)
        extra = {"error": refusal, "form": {"received_at": received_at}}
        return await _case_page(request, exchange, session, case_id, extra, refusal.status)
    return redirect(request, f"/cases/{case.id}?done=removal_order")


@router.get("/cases/{case_id}/evidence/{evidence_id}")
async def evidence(session: SignedInDep, exchange: ExchangeDep, case_id: str, evidence_id: str) -> Response:
    """Download a piece of evidence (the removed item itself): always as a file, never shown inline."""
    found, data = await run_in_threadpool(exchange.cases.evidence_item, session.caller, case_id, evidence_id)
    if data is None:
        raise NotFound.of("evidence", found.id, "evidence_id")
    headers = {
        "Content-Disposition": f'attachment; filename="evidence-{found.id}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    return Response(data, media_type="application/octet-stream", headers=headers)
