"""Requests for assistance: drafts, the moves of both parties, the overdue list, messages, attachments.

One route per move (`/send`, `/acknowledge`, ...) rather than one generic status route, so that each
documents who makes it and what body it takes. The body of `send`, `acknowledge`, `start` and `close`
(an optional note) may be left out. Attachments are multipart uploads (`file`, optional `media_type`)
and come back as `Content-Disposition: attachment` with `X-Content-Type-Options: nosniff` and a sandbox
policy, so that a file one party uploads never runs as a page in the other party's browser; the
`Repr-Digest` header (RFC 9530) carries its SHA-256.
"""

from __future__ import annotations

import base64
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.auth import CallerDep
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.request_schemas import (
    AnswerIn,
    AttachmentOut,
    MessageIn,
    MessageOut,
    NoteIn,
    ReasonIn,
    RequestDetailOut,
    RequestIn,
    RequestOut,
)
from ctexchange.api.schemas import ItemList
from ctexchange.domain.requests import AssistanceRequest, RequestQuery, RequestStatus, Side, Urgency
from ctexchange.service.context import Caller
from ctexchange.service.exchange import Exchange
from ctexchange.service.pages import encode_cursor

router = APIRouter(prefix="/v1", tags=["requests"])

READ = error_responses(401, 403, 404, 422, 503)
WRITE = error_responses(401, 403, 404, 409, 413, 422, 503)
NO_NOTE = NoteIn(note="")  # the body of a move without a note
DOWNLOAD = {
    200: {
        "description": "The file's bytes, with its media type and `Repr-Digest: sha-256=:<base64>:`.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    **READ,
}


def _out(request: AssistanceRequest, caller: Caller, exchange: Exchange) -> RequestOut:
    return RequestOut.of(request, caller, exchange.clock())


@router.post("/requests", status_code=201, summary="Draft a request for assistance", responses=WRITE)
def create_request(body: RequestIn, caller: CallerDep, exchange: ExchangeDep) -> RequestOut:
    """Create a draft from your organization to another. Only your organization sees a draft; a subject
    linked to a signal copies its name and listing reference, and a signal you do not own may be linked
    only if the requested organization may see it."""
    return _out(exchange.requests.create(caller, body.to_draft()), caller, exchange)


@router.get("/requests", summary="List requests for assistance", responses=READ)
def list_requests(
    caller: CallerDep,
    exchange: ExchangeDep,
    status: Annotated[RequestStatus | None, Query(description="Only requests in this status.")] = None,
    side: Annotated[Side | None, Query(description="Only those your organization sent or received.")] = None,
    urgency: Urgency | None = None,
    limit: Annotated[int | None, Query(description="Items per page (default and maximum: settings).")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> ItemList[RequestOut]:
    """Return one page of the requests your organization is party to (the received ones once sent),
    oldest first; the operator's auditors see every request."""
    query = RequestQuery(status=status, side=side, urgency=urgency)
    page = exchange.requests.find(caller, query, exchange.requests.page_request(limit, cursor))
    now = exchange.clock()
    return ItemList(
        items=[RequestOut.of(r, caller, now) for r in page.items], next_cursor=encode_cursor(page.next_after)
    )


@router.get("/requests/overdue", summary="List overdue requests", responses=READ)
def overdue_requests(
    caller: CallerDep,
    exchange: ExchangeDep,
    limit: Annotated[int | None, Query(description="At most this many (default: page_size_max).")] = None,
) -> ItemList[RequestOut]:
    """Return the requests you may see whose deadline has passed and that are not answered, declined,
    withdrawn or closed, the longest overdue first."""
    now = exchange.clock()
    return ItemList(items=[RequestOut.of(r, caller, now) for r in exchange.requests.overdue(caller, limit)])


@router.get("/requests/{request_id}", summary="Read a request for assistance", responses=READ)
def get_request(request_id: str, caller: CallerDep, exchange: ExchangeDep) -> RequestDetailOut:
    """Return a request with its history, attachments and message count. A request your organization
    is not party to is 404, exactly as one that does not exist."""
    detail = exchange.requests.get(caller, request_id)
    return RequestDetailOut.of_detail(detail, caller, exchange.clock())


@router.put("/requests/{request_id}", summary="Edit a draft", responses=WRITE)
def update_request(request_id: str, body: RequestIn, caller: CallerDep, exchange: ExchangeDep) -> RequestOut:
    """Replace every field of a draft of your organization; a request already sent is 409."""
    return _out(exchange.requests.update(caller, request_id, body.to_draft()), caller, exchange)


@router.post("/requests/{request_id}/send", summary="Send a draft", responses=WRITE)
def send_request(
    request_id: str, caller: CallerDep, exchange: ExchangeDep, body: NoteIn = NO_NOTE
) -> RequestOut:
    """Send a draft (requesting side): the requested organization sees it from now on. Refused when
    its deadline has passed."""
    return _out(exchange.requests.send(caller, request_id, body.note), caller, exchange)


@router.post("/requests/{request_id}/acknowledge", summary="Acknowledge a request", responses=WRITE)
def acknowledge_request(
    request_id: str, caller: CallerDep, exchange: ExchangeDep, body: NoteIn = NO_NOTE
) -> RequestOut:
    """Acknowledge receipt of a sent request (requested side)."""
    return _out(exchange.requests.acknowledge(caller, request_id, body.note), caller, exchange)


@router.post("/requests/{request_id}/start", summary="Start work on a request", responses=WRITE)
def start_request(
    request_id: str, caller: CallerDep, exchange: ExchangeDep, body: NoteIn = NO_NOTE
) -> RequestOut:
    """Mark an acknowledged request as in progress (requested side)."""
    return _out(exchange.requests.start(caller, request_id, body.note), caller, exchange)


@router.post("/requests/{request_id}/answer", summary="Answer a request", responses=WRITE)
def answer_request(request_id: str, body: AnswerIn, caller: CallerDep, exchange: ExchangeDep) -> RequestOut:
    """Answer a request in progress, `full` or `partial` (requested side); send the material as
    attachments and messages."""
    return _out(exchange.requests.answer(caller, request_id, body.outcome, body.note), caller, exchange)


@router.post("/requests/{request_id}/decline", summary="Decline a request", responses=WRITE)
def decline_request(request_id: str, body: ReasonIn, caller: CallerDep, exchange: ExchangeDep) -> RequestOut:
    """Decline a sent, acknowledged or in-progress request, with the reason (requested side)."""
    return _out(exchange.requests.decline(caller, request_id, body.reason), caller, exchange)


@router.post("/requests/{request_id}/withdraw", summary="Withdraw a request", responses=WRITE)
def withdraw_request(request_id: str, body: ReasonIn, caller: CallerDep, exchange: ExchangeDep) -> RequestOut:
    """Withdraw a request that is not answered or declined yet, with the reason (requesting side)."""
    return _out(exchange.requests.withdraw(caller, request_id, body.reason), caller, exchange)


@router.post("/requests/{request_id}/close", summary="Close a request", responses=WRITE)
def close_request(
    request_id: str, caller: CallerDep, exchange: ExchangeDep, body: NoteIn = NO_NOTE
) -> RequestOut:
    """Close an answered, declined or withdrawn request (requesting side); a closed request is final."""
    return _out(exchange.requests.close(caller, request_id, body.note), caller, exchange)


@router.post("/requests/{request_id}/messages", status_code=201, summary="Write a message", responses=WRITE)
def post_message(request_id: str, body: MessageIn, caller: CallerDep, exchange: ExchangeDep) -> MessageOut:
    """Write to the other party of a request that is sent and not closed."""
    return MessageOut.of(exchange.requests.post_message(caller, request_id, body.body))


@router.get("/requests/{request_id}/messages", summary="Read a request's messages", responses=READ)
def list_messages(request_id: str, caller: CallerDep, exchange: ExchangeDep) -> ItemList[MessageOut]:
    """Return the messages of a request, oldest first."""
    return ItemList(items=[MessageOut.of(m) for m in exchange.requests.messages(caller, request_id)])


@router.post("/requests/{request_id}/attachments", status_code=201, summary="Attach a file", responses=WRITE)
async def add_attachment(
    request_id: str,
    file: Annotated[UploadFile, File(description="The file: not empty, at most 10 MiB.")],
    caller: CallerDep,
    exchange: ExchangeDep,
    media_type: Annotated[
        str | None, Form(description="Its media type; the upload's Content-Type when left out.")
    ] = None,
) -> AttachmentOut:
    """Attach a file to a draft of your organization, or to a sent request that is not closed. It is
    stored with its SHA-256; a request holds at most 50 MiB of attachments. Over HTTP the upload is
    also bounded by the server's `max_body_bytes`."""
    data = await file.read()
    attachment = await run_in_threadpool(
        exchange.requests.attach,
        caller,
        request_id,
        file.filename or "",
        data,
        media_type or file.content_type,
    )
    return AttachmentOut.of(attachment)


@router.get("/requests/{request_id}/attachments", summary="List a request's attachments", responses=READ)
def list_attachments(request_id: str, caller: CallerDep, exchange: ExchangeDep) -> ItemList[AttachmentOut]:
    """Return the attachments of a request (names, media types, sizes, SHA-256), oldest first."""
    return ItemList(items=[AttachmentOut.of(a) for a in exchange.requests.attachments(caller, request_id)])


@router.get(
    "/requests/{request_id}/attachments/{attachment_id}",
    summary="Download an attachment",
    response_class=Response,
    responses=DOWNLOAD,
)
def download_attachment(
    request_id: str, attachment_id: str, caller: CallerDep, exchange: ExchangeDep
) -> Response:
    """Return the bytes of one attachment, as a download."""
    attachment, data = exchange.requests.attachment(caller, request_id, attachment_id)
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in attachment.filename
    )
    digest = base64.b64encode(bytes.fromhex(attachment.sha256)).decode("ascii")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(attachment.filename)}"
    headers = {
        "Content-Type": attachment.media_type,
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Repr-Digest": f"sha-256=:{digest}:",
        "Cache-Control": "no-store",
    }
    return Response(content=data, headers=headers)
