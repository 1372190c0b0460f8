"""Requests for assistance: inbox, outbox and overdue list; the request page; a new request (draft → send).

- `/requests?box=inbox|outbox|overdue`: the requests the organization received (sent to it) or made
  (drafts included), or those past their deadline and still waiting; filtered by status and urgency.
- `/requests/{id}`: everything the request says, its history, messages and attachments, and one button
  per move the state machine allows the user's side from the current status (send, acknowledge, start,
  answer, decline, withdraw, close). A move posted anyway that the service refuses (the other side's
  move, an illegal transition) comes back on the page with the service's message (403, 409).
- `/requests/new`: the draft form; saving creates the draft (`RequestService.create`), which is sent from
  its page.

Only the two organizations (and the operator's auditors) see a request: for anyone else the service
answers NotFound and the console shows its 404 page, the same as for an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.pages.workflow import (
    MAX_LONG,
    MAX_REASON,
    MAX_SHORT,
    Refusal,
    may,
    org_names,
    query_string,
    split_list,
)
from ctexchange.api.console.web import ConsoleRouter, CsrfDep, ExchangeDep, SignedInDep, redirect, render
from ctexchange.domain.markings import Marking
from ctexchange.domain.requests import (
    MOVE_RULES,
    STATUS_MOVES,
    AssistanceKind,
    AssistanceRequest,
    Move,
    Outcome,
    RequestQuery,
    RequestStatus,
    Side,
    SubjectKind,
    Urgency,
)
from ctexchange.domain.roles import Action
from ctexchange.errors import Conflict, Forbidden, InvalidInput
from ctexchange.service.access import require
from ctexchange.service.auth import SignedIn
from ctexchange.service.exchange import Exchange
from ctexchange.service.pages import encode_cursor
from ctexchange.service.requests import RequestDraft, SubjectIn

router = ConsoleRouter()
PAGE_SIZE = 50
BOXES = ("inbox", "outbox", "overdue")
LANGUAGES = ("en", "ar", "ru", "zh", "fr", "es")
MAX_UPLOAD = 10 * 1024 * 1024 + 1


def _box_context(
    exchange: Exchange, session: SignedIn, box: str, status: str, urgency: str, cursor: str | None
) -> dict[str, Any]:
    caller = session.caller
    next_cursor = None
    if box == "overdue":
        items = exchange.requests.overdue(caller, PAGE_SIZE)
    else:
        query = RequestQuery(
            status=RequestStatus.parse(status, "status") if status else None,
            side=Side.REQUESTED if box == "inbox" else Side.REQUESTING,
            urgency=Urgency.parse(urgency, "urgency") if urgency else None,
        )
        page = exchange.requests.find(caller, query, exchange.requests.page_request(PAGE_SIZE, cursor))
        items, next_cursor = list(page.items), encode_cursor(page.next_after)
    return {"items": items, "next_cursor": next_cursor, "org_names": org_names(exchange, session)}


@router.get("/requests")
async def request_boxes(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    box: Annotated[str, Query(max_length=10)] = "inbox",
    status: Annotated[str, Query(max_length=20)] = "",
    urgency: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The inbox, the outbox or the overdue list."""
    require(session.caller, Action.READ_REQUESTS)
    if box not in BOXES:
        raise InvalidInput.expected("box", "inbox, outbox or overdue", box)
    context = await run_in_threadpool(_box_context, exchange, session, box, status, urgency, cursor)
    filters = {"box": box, "status": status, "urgency": urgency}
    context.update(
        box=box,
        boxes=BOXES,
        filters=filters,
        statuses=[s.value for s in RequestStatus],
        urgencies=[u.value for u in Urgency],
        now=exchange.clock(),
        may_write=may(session, Action.WRITE_REQUESTS),
        next_query=query_string({**filters, "cursor": context["next_cursor"]}),
    )
    return render(request, "requests.html", context, session=session, page_path=f"/requests?box={box}")


# The request page -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveOffer:
    """A move the request page offers: which, and what it asks for (a reason, an outcome)."""

    move: str
    needs_reason: bool
    needs_outcome: bool


def move_offers(found: AssistanceRequest, session: SignedIn) -> list[MoveOffer]:
    """Return the moves the user's side may make from the request's status (none without the role or
    for a request the organization is not party to)."""
    side = found.side_of(session.caller.principal.org_id)
    if side is None or not may(session, Action.WRITE_REQUESTS):
        return []
    return [
        MoveOffer(move.value, move in (Move.DECLINE, Move.WITHDRAW), move is Move.ANSWER)
        for move, rule in MOVE_RULES.items()
        if rule.side is side and rule.target in STATUS_MOVES[found.status]
    ]


def _request_context(exchange: Exchange, session: SignedIn, request_id: str) -> dict[str, Any]:
    caller = session.caller
    detail = exchange.requests.get(caller, request_id)
    found = detail.request
    messages = exchange.requests.messages(caller, found.id) if found.sent_at is not None else []
    side = found.side_of(caller.principal.org_id)
    is_open = found.status is not RequestStatus.CLOSED and found.sent_at is not None
    return {
        "detail": detail,
        "r": found,
        "side": None if side is None else side.value,
        "messages": messages,
        "offers": move_offers(found, session),
        "outcomes": [o.value for o in Outcome],
        "org_names": org_names(exchange, session),
        "may_message": side is not None and is_open and may(session, Action.WRITE_REQUESTS),
        "may_attach": side is not None
        and found.status is not RequestStatus.CLOSED
        and (found.sent_at is not None or side is Side.REQUESTING)
        and may(session, Action.WRITE_REQUESTS),
        "is_overdue": found.is_overdue(exchange.clock()),
        "may_edit": side is Side.REQUESTING
        and found.status is RequestStatus.DRAFT
        and len(found.subjects) <= 1
        and may(session, Action.WRITE_REQUESTS),
    }


async def _request_page(
    request: Request,
    exchange: Exchange,
    session: SignedIn,
    request_id: str,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = await run_in_threadpool(_request_context, exchange, session, request_id)
    context.update({"error": None, "done": None, "form": {}, **(extra or {})})
    page = f"/requests/{context['r'].id}"
    return render(request, "request.html", context, status_code, session, page_path=page)


DONE = {m.value for m in Move} | {"message", "attach", "create", "update"}


@router.get("/requests/new")
async def new_request_page(request: Request, session: SignedInDep, exchange: ExchangeDep) -> Response:
    """The form of a new request (saved as a draft)."""
    require(session.caller, Action.WRITE_REQUESTS)
    return await _form_page(request, exchange, session, {}, "/requests")


@router.get("/requests/{request_id}")
async def request_page(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    request_id: str,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """One request: its fields, history, messages, attachments and the moves allowed now."""
    return await _request_page(
        request, exchange, session, request_id, {"done": done if done in DONE else None}
    )


Short = Annotated[str, Form(max_length=MAX_SHORT)]
Reason = Annotated[str, Form(max_length=MAX_REASON + 100)]
Long = Annotated[str, Form(max_length=MAX_LONG + 100)]


async def _act_on(
    request: Request,
    exchange: Exchange,
    session: SignedIn,
    request_id: str,
    action: Any,
    done: str,
    form: dict[str, str],
) -> Response:
    """Run a write on the request; back to its page with the outcome, or the refusal shown on it."""
    try:
        found = await run_in_threadpool(action)
    except (InvalidInput, Conflict, Forbidden) as exc:
        refusal = Refusal.of(exc)
        extra = {"error": refusal, "form": form}
        return await _request_page(request, exchange, session, request_id, extra, refusal.status)
    return redirect(request, f"/requests/{found}?done={done}")


@router.post("/requests/{request_id}/move")
async def move_request(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    request_id: str,
    move: Short,
    note: Reason = "",
    outcome: Short = "",
) -> Response:
    """Make a move of the state machine (the service decides whether this side may, from this status)."""

    def act() -> str:
        moved = exchange.requests.move(session.caller, request_id, move, note, outcome or None)
        return str(moved.id)

    form = {"move": move, "note": note, "outcome": outcome}
    return await _act_on(request, exchange, session, request_id, act, move, form)


@router.post("/requests/{request_id}/messages")
async def post_message(
    request: Request, session: SignedInDep, exchange: ExchangeDep, _: CsrfDep, request_id: str, body: Long
) -> Response:
    """Write a message to the other party."""

    def act() -> str:
        return str(exchange.requests.post_message(session.caller, request_id, body).request_id)

    return await _act_on(request, exchange, session, request_id, act, "message", {"body": body})


@router.post("/requests/{request_id}/attachments")
async def attach(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    request_id: str,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Add a file to the request (kept with its SHA-256; size-capped by the service)."""
    data = await file.read(MAX_UPLOAD)

    def act() -> str:
        found = exchange.requests.attach(
            session.caller, request_id, file.filename or "", data, file.content_type
        )
        return str(found.request_id)

    return await _act_on(request, exchange, session, request_id, act, "attach", {})


@router.get("/requests/{request_id}/attachments/{attachment_id}")
async def download(
    session: SignedInDep, exchange: ExchangeDep, request_id: str, attachment_id: str
) -> Response:
    """Download an attachment: as a file, never shown inline."""
    found, data = await run_in_threadpool(
        exchange.requests.attachment, session.caller, request_id, attachment_id
    )
    headers = {
        "Content-Disposition": f'attachment; filename="attachment-{found.id}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    return Response(data, media_type="application/octet-stream", headers=headers)


# A new request ----------------------------------------------------------------------------------------


def _form_context(exchange: Exchange, session: SignedIn) -> dict[str, Any]:
    others = [o for o in exchange.members.orgs(session.caller) if o.is_active and o.id != session.org.id]
    return {
        "orgs": others,
        "assistance_kinds": [k.value for k in AssistanceKind],
        "urgencies": [u.value for u in Urgency],
        "markings": [m.value for m in Marking],
        "subject_kinds": [k.value for k in SubjectKind],
        "languages": LANGUAGES,
        "form": {},
        "error": None,
    }


def _subject(form: dict[str, str]) -> list[SubjectIn]:
    """The form's one subject: linked to a signal, described by name, or none."""
    signal_id = form["subject_signal"].strip()
    name = form["subject_name"].strip()
    if not signal_id and not name:
        return []
    birth = form["subject_birth"].strip() or None
    nationalities = [c.upper() for c in split_list(form["subject_nationalities"])]
    if signal_id:
        return [
            SubjectIn(
                signal_id=signal_id, kind=form["subject_kind"], birth_date=birth, nationalities=nationalities
            )
        ]
    return [SubjectIn(name=name, kind=form["subject_kind"], birth_date=birth, nationalities=nationalities)]


def draft_form(
    requested_org: Short = "",
    title: Short = "",
    legal_basis: Reason = "",
    facts: Long = "",
    offence: Reason = "",
    assistance: Annotated[list[str] | None, Form()] = None,
    assistance_detail: Reason = "",
    urgency: Short = "routine",
    urgency_justification: Reason = "",
    deadline: Short = "",
    confidentiality: Short = "AMBER+STRICT",
    language: Short = "en",
    reference: Short = "",
    subject_name: Short = "",
    subject_kind: Short = "person",
    subject_signal: Short = "",
    subject_birth: Short = "",
    subject_nationalities: Short = "",
) -> dict[str, Any]:
    """The fields of the draft form, as typed (kept to show the form again after a refusal)."""
    return {
        "requested_org": requested_org,
        "title": title,
        "legal_basis": legal_basis,
        "facts": facts,
        "offence": offence,
        "assistance": assistance or [],
        "assistance_detail": assistance_detail,
        "urgency": urgency,
        "urgency_justification": urgency_justification,
        "deadline": deadline,
        "confidentiality": confidentiality,
        "language": language,
        "reference": reference,
        "subject_name": subject_name,
        "subject_kind": subject_kind,
        "subject_signal": subject_signal,
        "subject_birth": subject_birth,
        "subject_nationalities": subject_nationalities,
    }


DraftForm = Annotated[dict[str, Any], Depends(draft_form)]


def draft_of(form: dict[str, Any]) -> RequestDraft:
    """Return the service's draft from the form's fields."""
    return RequestDraft(
        requested_org=form["requested_org"],
        title=form["title"],
        legal_basis=form["legal_basis"],
        facts=form["facts"],
        offence=form["offence"],
        assistance=form["assistance"],
        subjects=_subject(form),
        assistance_detail=form["assistance_detail"],
        urgency=form["urgency"],
        urgency_justification=form["urgency_justification"],
        deadline=form["deadline"].strip() or None,
        confidentiality=form["confidentiality"],
        language=form["language"],
        reference=form["reference"] or None,
    )


def form_of(found: AssistanceRequest) -> dict[str, Any]:
    """Return the draft form filled with a request's fields (its one subject, its deadline's day)."""
    subject = found.subjects[0] if found.subjects else None
    return {
        "requested_org": str(found.requested_org_id),
        "title": found.title,
        "legal_basis": found.legal_basis,
        "facts": found.facts,
        "offence": found.offence,
        "assistance": [k.value for k in found.assistance],
        "assistance_detail": found.assistance_detail,
        "urgency": found.urgency.value,
        "urgency_justification": found.urgency_justification,
        "deadline": "" if found.deadline is None else found.deadline.date().isoformat(),
        "confidentiality": found.confidentiality.value,
        "language": found.language,
        "reference": found.reference or "",
        "subject_name": "" if subject is None or subject.signal_id else subject.name,
        "subject_kind": "person" if subject is None else subject.kind.value,
        "subject_signal": "" if subject is None or subject.signal_id is None else str(subject.signal_id),
        "subject_birth": "" if subject is None else subject.birth_date or "",
        "subject_nationalities": "" if subject is None else ", ".join(subject.nationalities),
    }


async def _form_page(
    request: Request,
    exchange: Exchange,
    session: SignedIn,
    form: dict[str, Any],
    action: str,
    error: Refusal | None = None,
    status_code: int = 200,
) -> Response:
    context = await run_in_threadpool(_form_context, exchange, session)
    context.update(error=error, form=form, form_action=action, is_edit=action != "/requests")
    page = "/requests/new" if action == "/requests" else action
    return render(request, "request_new.html", context, status_code, session, page)


@router.post("/requests")
async def create_request(
    request: Request, session: SignedInDep, exchange: ExchangeDep, _: CsrfDep, form: DraftForm
) -> Response:
    """Save the form as a draft of the user's organization; its page then offers to send it."""
    require(session.caller, Action.WRITE_REQUESTS)
    try:
        created = await run_in_threadpool(
            lambda: str(exchange.requests.create(session.caller, draft_of(form)).id)
        )
    except (InvalidInput, Conflict, Forbidden) as exc:
        refusal = Refusal.of(exc)
        return await _form_page(request, exchange, session, form, "/requests", refusal, refusal.status)
    return redirect(request, f"/requests/{created}?done=create")


def _editable(exchange: Exchange, session: SignedIn, request_id: str) -> AssistanceRequest:
    """Return a draft the user's organization may edit in this form (one subject at most)."""
    found = exchange.requests.get(session.caller, request_id).request
    if len(found.subjects) > 1:
        raise InvalidInput.expected(
            "subjects", "at most one subject to edit the draft here (use the API or ctx)", len(found.subjects)
        )
    return found


@router.get("/requests/{request_id}/edit")
async def edit_page(
    request: Request, session: SignedInDep, exchange: ExchangeDep, request_id: str
) -> Response:
    """The draft form filled with the draft's fields."""
    require(session.caller, Action.WRITE_REQUESTS)
    found = await run_in_threadpool(_editable, exchange, session, request_id)
    return await _form_page(request, exchange, session, form_of(found), f"/requests/{found.id}/edit")


@router.post("/requests/{request_id}/edit")
async def edit_draft(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    _: CsrfDep,
    request_id: str,
    form: DraftForm,
) -> Response:
    """Replace the draft's fields (`RequestService.update`: drafts of the requesting side only)."""
    require(session.caller, Action.WRITE_REQUESTS)

    def act() -> str:
        found = _editable(exchange, session, request_id)
        return str(exchange.requests.update(session.caller, found.id, draft_of(form)).id)

    try:
        updated = await run_in_threadpool(act)
    except (InvalidInput, Conflict, Forbidden) as exc:
        refusal = Refusal.of(exc)
        action = f"/requests/{request_id}/edit"
        return await _form_page(request, exchange, session, form, action, refusal, refusal.status)
    return redirect(request, f"/requests/{updated}?done=update")
