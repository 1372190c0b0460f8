"""Webhooks: subscribe the caller's organization, list and remove its subscriptions, list deliveries.

Admins only (`webhooks.manage`, else 403); another organization's subscription is 404 with the message
of an absent id. Delivery itself is not an HTTP route: the operator runs `ctx webhook deliver`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ctexchange.api.auth import CallerDep
from ctexchange.api.dependencies import ExchangeDep
from ctexchange.api.errors import error_responses
from ctexchange.api.schemas import ItemList
from ctexchange.api.webhook_schemas import (
    DeliveryOut,
    SubscriptionCreatedOut,
    SubscriptionIn,
    SubscriptionOut,
)

router = APIRouter(prefix="/v1", tags=["webhooks"])

Org = Annotated[str | None, Query(description="Operator admins only: the organization (id or name).")]


@router.post(
    "/webhooks",
    status_code=201,
    summary="Subscribe to events",
    responses=error_responses(401, 403, 404, 422, 503),
)
def add_webhook(body: SubscriptionIn, caller: CallerDep, exchange: ExchangeDep) -> SubscriptionCreatedOut:
    """Subscribe the caller's organization to events at a URL; the response holds the signing secret,
    which is never shown again."""
    return SubscriptionCreatedOut.created(exchange.webhooks.add(caller, body.url, body.events, body.org))


@router.get("/webhooks", summary="List subscriptions", responses=error_responses(401, 403, 404, 422, 503))
def list_webhooks(caller: CallerDep, exchange: ExchangeDep, org: Org = None) -> ItemList[SubscriptionOut]:
    """Return the organization's subscriptions (removed ones included), oldest first, without secrets."""
    return ItemList(items=[SubscriptionOut.of(s) for s in exchange.webhooks.subscriptions(caller, org)])


@router.get(
    "/webhooks/deliveries",
    summary="List recent deliveries",
    responses=error_responses(401, 403, 404, 422, 503),
)
def list_deliveries(
    caller: CallerDep,
    exchange: ExchangeDep,
    org: Org = None,
    limit: Annotated[int, Query(description="At most this many, newest first (1 to 500).")] = 50,
) -> ItemList[DeliveryOut]:
    """Return the organization's newest deliveries with their attempts, last outcome and payload."""
    return ItemList(items=[DeliveryOut.of(d) for d in exchange.webhooks.deliveries(caller, org, limit)])


@router.delete(
    "/webhooks/{subscription_id}",
    summary="Remove a subscription",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
def remove_webhook(subscription_id: str, caller: CallerDep, exchange: ExchangeDep) -> SubscriptionOut:
    """Deactivate a subscription for good; events not yet delivered to it are cancelled."""
    return SubscriptionOut.of(exchange.webhooks.remove(caller, subscription_id))
