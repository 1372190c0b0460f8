"""Alerts: issue one, list "my alerts" (unacknowledged first), read one, update, extend, cancel,
acknowledge, read versions and acknowledgements.

An alert the caller may not see is 404 with the message of an id that does not exist, on every route;
a visible alert the caller's organization may not change is 403; a move the state machine refuses (an
expired or cancelled alert, a second acknowledgement) is 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ctexchange.api.alert_schemas import (
    AckIn,
    AckOut,
    AlertIn,
    AlertOut,
    AlertUpdateIn,
    AlertVersionOut,
    CancelIn,
    ExtendIn,
    RecipientOut,
)
from ctexchange.api.auth import CallerDep
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.schemas import ItemList

router = APIRouter(prefix="/v1", tags=["alerts"])

READ = error_responses(401, 403, 404, 422, 503)
WRITE = error_responses(401, 403, 404, 409, 413, 422, 503)


@router.post("/alerts", status_code=201, summary="Issue an alert", responses=WRITE)
def issue_alert(body: AlertIn, caller: CallerDep, exchange: ExchangeDep) -> AlertOut:
    """Issue an alert from the caller's organization to the organizations and sharing groups it names
    (resolved now: later group changes do not change who was told), or to named users of other
    organizations for RED."""
    return AlertOut.of(exchange.alerts.issue(caller, body.to_new()))


@router.get("/alerts", summary="List alerts", responses=error_responses(401, 403, 422, 503))
def list_alerts(
    caller: CallerDep,
    exchange: ExchangeDep,
    box: Annotated[str, Query(description="`received`, `sent` or `all`.")] = "all",
    state: Annotated[str | None, Query(description="`issued`, `expired` or `cancelled`.")] = None,
    kind: Annotated[str | None, Query(description="An alert kind (`fighter-travel`...).")] = None,
    limit: Annotated[int | None, Query(description="Items per page (default and maximum: settings).")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> ItemList[AlertOut]:
    """Return one page of the alerts the caller may see: those its organization still has to
    acknowledge first, then the newest."""
    found = exchange.alerts.find(caller, box, state, kind, limit, cursor)
    return ItemList(items=[AlertOut.of(v) for v in found.items], next_cursor=found.next_cursor)


@router.get("/alerts/{alert_id}", summary="Read an alert", responses=READ)
def get_alert(alert_id: str, caller: CallerDep, exchange: ExchangeDep) -> AlertOut:
    """Return one alert with its state now. An alert the caller may not see is 404, exactly as one that
    does not exist."""
    return AlertOut.of(exchange.alerts.get(caller, alert_id))


@router.post(
    "/alerts/{alert_id}/versions", status_code=201, summary="Update an alert (new version)", responses=WRITE
)
def update_alert(alert_id: str, body: AlertUpdateIn, caller: CallerDep, exchange: ExchangeDep) -> AlertOut:
    """Make a new version of an alert in force that the caller's organization issued; the fields left
    out are kept. Every recipient has to acknowledge the new version."""
    return AlertOut.of(exchange.alerts.update(caller, alert_id, body.to_changes(), body.note))


@router.get("/alerts/{alert_id}/versions", summary="List an alert's versions", responses=READ)
def list_versions(alert_id: str, caller: CallerDep, exchange: ExchangeDep) -> ItemList[AlertVersionOut]:
    """Return every version of an alert, oldest first: what it said, its validity, who made it and why."""
    return ItemList(items=[AlertVersionOut.of(v) for v in exchange.alerts.history(caller, alert_id)])


@router.post("/alerts/{alert_id}/extend", summary="Extend an alert", responses=WRITE)
def extend_alert(alert_id: str, body: ExtendIn, caller: CallerDep, exchange: ExchangeDep) -> AlertOut:
    """Move the end of an alert in force to a later time (a new version). An expired alert is closed:
    issue a new one."""
    return AlertOut.of(exchange.alerts.extend(caller, alert_id, body.valid_until, body.note))


@router.post("/alerts/{alert_id}/cancel", summary="Cancel an alert", responses=WRITE)
def cancel_alert(alert_id: str, body: CancelIn, caller: CallerDep, exchange: ExchangeDep) -> AlertOut:
    """Cancel an alert in force that the caller's organization issued, with the reason."""
    return AlertOut.of(exchange.alerts.cancel(caller, alert_id, body.reason))


@router.post(
    "/alerts/{alert_id}/acknowledgements", status_code=201, summary="Acknowledge an alert", responses=WRITE
)
def acknowledge_alert(alert_id: str, body: AckIn, caller: CallerDep, exchange: ExchangeDep) -> AckOut:
    """Record that the caller's organization received the current version of an alert sent to it."""
    return AckOut.of(exchange.alerts.acknowledge(caller, alert_id, body.note))


@router.get("/alerts/{alert_id}/acknowledgements", summary="List acknowledgements", responses=READ)
def list_acknowledgements(alert_id: str, caller: CallerDep, exchange: ExchangeDep) -> ItemList[RecipientOut]:
    """Return who acknowledged the current version and when: every recipient organization for the
    issuer, the caller's own organization for a recipient."""
    return ItemList(items=[RecipientOut.of(r) for r in exchange.alerts.acknowledgements(caller, alert_id)])
