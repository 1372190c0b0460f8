"""Review cases: the list, one case, the decisions, removal orders, complaints and evidence.

One route per decision (`/confirm`, `/reject`, ...), each with a required reason, so that each documents
who makes it and what body it takes. Cases are opened by matching (`POST /v1/match` with a `service`
key), never by a route. Evidence is a multipart upload (`file`, optional `media_type` and `reference`)
and comes back as `Content-Disposition: attachment` with `X-Content-Type-Options: nosniff` and a sandbox
policy, since it is the removed item itself. A purged piece's bytes are gone: its download is 404 while
its record (digest, size, dates) stays in the case. The evidence purge job has no route: it runs as
`ctx case purge-evidence` on the operator's machine.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.auth import CallerDep
from ctexchange.api.case_schemas import (
    CaseDetailOut,
    CaseOut,
    ConfirmIn,
    EvidenceOut,
    ReasonIn,
    RemovalOrderIn,
)
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.schemas import ItemList
from ctexchange.domain.cases import Case, CaseQuery, CaseStatus
from ctexchange.errors import NotFound
from ctexchange.service.exchange import Exchange
from ctexchange.service.pages import encode_cursor

router = APIRouter(prefix="/v1", tags=["cases"])

READ = error_responses(401, 403, 404, 422, 503)
WRITE = error_responses(401, 403, 404, 409, 413, 422, 503)
DOWNLOAD = {
    200: {
        "description": "The evidence's bytes, with its media type and `Repr-Digest: sha-256=:<base64>:`.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    **READ,
}


def _out(case: Case, exchange: Exchange) -> CaseOut:
    return CaseOut.of(case, exchange.clock())


@router.get("/cases", summary="List review cases", responses=READ)
def list_cases(
    caller: CallerDep,
    exchange: ExchangeDep,
    status: Annotated[CaseStatus | None, Query(description="Only cases in this status.")] = None,
    quarantined: Annotated[bool | None, Query(description="Only quarantined (or other) cases.")] = None,
    item_id: Annotated[
        str | None, Query(description="Only the cases of this item id.", max_length=200)
    ] = None,
    removal_order: Annotated[
        bool | None, Query(description="Only cases with (or without) a removal order: the 1-hour report.")
    ] = None,
    limit: Annotated[int | None, Query(description="Items per page (default and maximum: settings).")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> ItemList[CaseOut]:
    """Return one page of your organization's review cases, oldest first (the operator's auditors see
    every organization's). With `removal_order=true` this is the removal-order report: each case shows
    the minutes from receipt to removal and whether it was within 60 minutes."""
    query = CaseQuery(
        status=status, is_quarantined=quarantined, item_id=item_id, has_removal_order=removal_order
    )
    page = exchange.cases.find(caller, query, exchange.cases.page_request(limit, cursor))
    now = exchange.clock()
    return ItemList(
        items=[CaseOut.of(c, now) for c in page.items], next_cursor=encode_cursor(page.next_after)
    )


@router.get("/cases/{case_id}", summary="Read a review case", responses=READ)
def get_case(case_id: str, caller: CallerDep, exchange: ExchangeDep) -> CaseDetailOut:
    """Return a case with its hits, decision history and evidence. Another organization's case is 404,
    exactly as one that does not exist."""
    return CaseDetailOut.of_detail(exchange.cases.get(caller, case_id), exchange.clock())


@router.post("/cases/{case_id}/confirm", summary="Confirm a match", responses=WRITE)
def confirm_case(case_id: str, body: ConfirmIn, caller: CallerDep, exchange: ExchangeDep) -> CaseOut:
    """Confirm an open or escalated case with the action taken (`remove`, `restrict`, `report`) and the
    reason (reviewers, analysts, admins). A removal may give the receipt time of its removal order."""
    case = exchange.cases.confirm(caller, case_id, body.action, body.reason, body.removal_order_received_at)
    return _out(case, exchange)


@router.post("/cases/{case_id}/reject", summary="Reject a match as a false positive", responses=WRITE)
def reject_case(case_id: str, body: ReasonIn, caller: CallerDep, exchange: ExchangeDep) -> CaseOut:
    """Reject an open or escalated case as a false positive, with the reason. Your organization's
    `false_positive` opinion is recorded on each of its signals, which stop matching for you."""
    return _out(exchange.cases.reject(caller, case_id, body.reason), exchange)


@router.post("/cases/{case_id}/escalate", summary="Escalate a case", responses=WRITE)
def escalate_case(case_id: str, body: ReasonIn, caller: CallerDep, exchange: ExchangeDep) -> CaseOut:
    """Escalate an open case to a senior reviewer, with the reason."""
    return _out(exchange.cases.escalate(caller, case_id, body.reason), exchange)


@router.post("/cases/{case_id}/removal-order", summary="Record a removal order", responses=WRITE)
def record_removal_order(
    case_id: str, body: RemovalOrderIn, caller: CallerDep, exchange: ExchangeDep
) -> CaseOut:
    """Record when a removal order for the item of an open or escalated case was received: the 1-hour
    clock runs from then (service keys, reviewers, analysts, admins)."""
    return _out(exchange.cases.record_removal_order(caller, case_id, body.received_at), exchange)


@router.post("/cases/{case_id}/complaint", summary="File a complaint against a removal", responses=WRITE)
def complain_case(case_id: str, body: ReasonIn, caller: CallerDep, exchange: ExchangeDep) -> CaseOut:
    """File the content provider's complaint against a removal (a case confirmed with `remove`); it must
    be decided within 14 days."""
    return _out(exchange.cases.complain(caller, case_id, body.reason), exchange)


@router.post("/cases/{case_id}/uphold", summary="Uphold a removal after a complaint", responses=WRITE)
def uphold_case(case_id: str, body: ReasonIn, caller: CallerDep, exchange: ExchangeDep) -> CaseOut:
    """Decide a complaint: the removal stands, with the reason."""
    return _out(exchange.cases.uphold(caller, case_id, body.reason), exchange)


@router.post("/cases/{case_id}/reinstate", summary="Reinstate an item after a complaint", responses=WRITE)
def reinstate_case(case_id: str, body: ReasonIn, caller: CallerDep, exchange: ExchangeDep) -> CaseOut:
    """Decide a complaint: the item is put back, with the reason."""
    return _out(exchange.cases.reinstate(caller, case_id, body.reason), exchange)


@router.post("/cases/{case_id}/evidence", status_code=201, summary="Keep a removed item", responses=WRITE)
async def add_evidence(
    case_id: str,
    file: Annotated[UploadFile, File(description="The removed item's bytes: not empty, at most 50 MiB.")],
    caller: CallerDep,
    exchange: ExchangeDep,
    media_type: Annotated[
        str | None, Form(description="Its media type; the upload's Content-Type when left out.")
    ] = None,
    reference: Annotated[
        str | None, Form(description="Where the platform keeps the original (up to 1,000 characters).")
    ] = None,
) -> EvidenceOut:
    """Keep the bytes of an item removed under a case (confirmed with `remove`, not reinstated) as
    evidence, with its SHA-256 and size, for six months after the removal. Over HTTP the upload is
    also bounded by the server's `max_body_bytes`."""
    data = await file.read()
    evidence = await run_in_threadpool(
        exchange.cases.attach_evidence, caller, case_id, data, media_type or file.content_type, reference
    )
    return EvidenceOut.of(evidence)


@router.get(
    "/cases/{case_id}/evidence/{evidence_id}",
    summary="Download evidence",
    response_class=Response,
    responses=DOWNLOAD,
)
def download_evidence(case_id: str, evidence_id: str, caller: CallerDep, exchange: ExchangeDep) -> Response:
    """Return the bytes of one piece of evidence, as a download; 404 once purged."""
    evidence, data = exchange.cases.evidence_item(caller, case_id, evidence_id)
    if data is None:
        raise NotFound(f"evidence {evidence.id} was purged on {evidence.purged_at}", field="evidence_id")
    digest = base64.b64encode(bytes.fromhex(evidence.sha256)).decode("ascii")
    headers = {
        "Content-Type": evidence.media_type,
        "Content-Disposition": f'attachment; filename="evidence-{evidence.id}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Repr-Digest": f"sha-256=:{digest}:",
        "Cache-Control": "no-store",
    }
    return Response(content=data, headers=headers)
