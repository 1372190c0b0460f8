"""The audit log: read events (auditors) and verify the hash chain (auditors of the operator organization).

Auditors of the operator organization read every event; auditors of another organization read the events
their organization did or that concern its objects. The scope is the service's decision.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query

from ctexchange.api.auth import CallerDep
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.schemas import AuditEventOut, AuditPage, ChainReportOut
from ctexchange.domain.queries import AuditQuery
from ctexchange.errors import InvalidInput

router = APIRouter(prefix="/v1", tags=["audit"])

_ANCHOR = re.compile(r"(\d{1,18}):([0-9a-f]{64})")


def parse_anchor(raw: str | None) -> tuple[int, str] | None:
    """Return (seq, hash) of an anchor written `SEQ:HASH`; raise InvalidInput naming `anchor`."""
    if raw is None:
        return None
    found = _ANCHOR.fullmatch(raw.strip())
    if found is None:
        raise InvalidInput.expected("anchor", "SEQ:HASH (a sequence number and a 64-hex-digit hash)", raw)
    return int(found.group(1)), found.group(2)


@router.get("/audit", summary="Read audit events", responses=error_responses(401, 403, 422, 503))
def audit_events(
    caller: CallerDep,
    exchange: ExchangeDep,
    after_seq: Annotated[int, Query(ge=0, description="Events after this sequence number.")] = 0,
    limit: Annotated[int | None, Query(description="Events per page (default, maximum: settings).")] = None,
    action: Annotated[str | None, Query(description="Only this action (`signal.create`...).")] = None,
    object_id: Annotated[str | None, Query(description="Only events about this object id.")] = None,
) -> AuditPage:
    """Return audit events in sequence order. Pass `next_after_seq` back as `after_seq` for the next page;
    it is null when no more events follow."""
    settings = exchange.settings
    size = settings.page_size_default if limit is None else limit
    if not 1 <= size <= settings.page_size_max:
        raise InvalidInput.expected("limit", f"an integer from 1 to {settings.page_size_max}", limit)
    events = exchange.audit.events(caller, AuditQuery(None, action, object_id, after_seq, size))
    next_after = events[-1].seq if len(events) == size else None
    return AuditPage(items=[AuditEventOut.of(e) for e in events], next_after_seq=next_after)


@router.get("/audit/verify", summary="Verify the audit chain", responses=error_responses(401, 403, 422, 503))
def verify_audit(
    caller: CallerDep,
    exchange: ExchangeDep,
    anchor: Annotated[
        str | None, Query(description="`SEQ:HASH` recorded earlier: that event must still have that hash.")
    ] = None,
) -> ChainReportOut:
    """Walk the whole hash chain from the genesis and report the first event that fails, if any.
    Auditors of the operator organization only."""
    return ChainReportOut.of(exchange.audit.verify(caller, parse_anchor(anchor)))
