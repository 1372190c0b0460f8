"""The audit log: events in sequence order with filters, and the hash chain's verification status.

Auditors read the events of their scope (`AuditService.events`: every event for the operator
organization's auditors, else those their organization did or that concern its objects). The chain is
verified on every visit for the operator's auditors (`AuditService.verify`, which walks the whole chain
from the genesis), optionally against an anchor `SEQ:HASH` recorded elsewhere; the page shows whether it
is intact, how many events were checked, the head to record as the next anchor, or the first event that
fails and why. Other auditors see that the verification is the operator's: the service refuses it.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ctexchange.api.console.pages.workflow import org_names, query_string
from ctexchange.api.console.web import ConsoleRouter, ExchangeDep, SignedInDep, render
from ctexchange.domain.audit import ChainReport
from ctexchange.domain.queries import AuditQuery
from ctexchange.domain.roles import Action
from ctexchange.errors import InvalidInput
from ctexchange.service.access import require
from ctexchange.service.auth import SignedIn
from ctexchange.service.exchange import Exchange

router = ConsoleRouter()
PAGE_SIZE = 100
MAX_DETAILS_CHARS = 300
_ANCHOR = re.compile(r"(\d{1,18}):([0-9a-f]{64})")


def parse_anchor(raw: str) -> tuple[int, str] | None:
    """Return (seq, hash) of an anchor written `SEQ:HASH`, None when empty; InvalidInput naming `anchor`."""
    if not raw.strip():
        return None
    found = _ANCHOR.fullmatch(raw.strip())
    if found is None:
        raise InvalidInput.expected("anchor", "SEQ:HASH (a sequence number and a 64-hex-digit hash)", raw)
    return int(found.group(1)), found.group(2)


def details_text(details: Any) -> str:
    """Return an event's details as compact JSON, cut to a readable length."""
    text = json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    return text if len(text) <= MAX_DETAILS_CHARS else text[: MAX_DETAILS_CHARS - 1] + "…"


def _audit(
    exchange: Exchange, session: SignedIn, action: str, object_id: str, after_seq: int, anchor: str
) -> dict[str, Any]:
    caller = session.caller
    events = exchange.audit.events(
        caller, AuditQuery(None, action or None, object_id or None, after_seq, PAGE_SIZE)
    )
    report: ChainReport | None = None
    if caller.principal.is_operator_org:
        report = exchange.audit.verify(caller, parse_anchor(anchor))
    return {
        "events": [(e, details_text(e.entry.details)) for e in events],
        "next_after": events[-1].seq if len(events) == PAGE_SIZE else None,
        "report": report,
        "org_names": org_names(exchange, session),
    }


@router.get("/audit")
async def audit_page(
    request: Request,
    session: SignedInDep,
    exchange: ExchangeDep,
    action: Annotated[str, Query(max_length=100)] = "",
    object_id: Annotated[str, Query(max_length=100)] = "",
    after_seq: Annotated[int, Query(ge=0)] = 0,
    anchor: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The audit events after `after_seq` and the chain's status."""
    require(session.caller, Action.READ_AUDIT)
    context = await run_in_threadpool(
        _audit, exchange, session, action.strip(), object_id.strip(), after_seq, anchor
    )
    filters = {"action": action.strip(), "object_id": object_id.strip(), "anchor": anchor.strip()}
    context.update(
        filters=filters,
        next_query=query_string({**filters, "after_seq": context["next_after"]}),
    )
    return render(request, "audit.html", context, session=session)
