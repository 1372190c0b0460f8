"""The JSON of webhooks: a subscription as asked for and as shown, and a delivery's state.

Decisions:
- The secret appears in exactly one response, the `201` of `POST /v1/webhooks` (`SubscriptionCreatedOut`);
  no other schema has the field, so no list or read can show it again.
- A delivery is shown with its payload (ids and states only, see docs/webhooks.md) so that an owner can
  tell what a failing receiver missed and replay it by hand.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ctexchange.domain.webhooks import Delivery, Subscription, WebhookEvent
from ctexchange.service.webhooks import CreatedSubscription

EVENTS = ", ".join(e.value for e in WebhookEvent)


class SubscriptionIn(BaseModel):
    """A receiver URL and the events to post to it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.agency-b.example/ctx",
                    "events": ["case.opened", "request.received", "alert.received"],
                    "org": None,
                }
            ]
        },
    )

    url: str = Field(description="https:// (http:// only to a loopback host), no user info or fragment.")
    events: list[str] = Field(description=f"One or more of: {EVENTS}.")
    org: str | None = Field(
        None, description="Operator admins only: the organization (id or name) subscribed; default: own."
    )


class SubscriptionOut(BaseModel):
    """A subscription, without its secret."""

    id: str
    org_id: str
    url: str
    events: list[str]
    is_active: bool
    created_by: str
    created_at: datetime
    removed_at: datetime | None

    @classmethod
    def of(cls, sub: Subscription) -> SubscriptionOut:
        """Build the response from the domain object."""
        return cls(**_subscription_fields(sub))


def _subscription_fields(sub: Subscription) -> dict[str, Any]:
    return {
        "id": str(sub.id),
        "org_id": str(sub.org_id),
        "url": sub.url,
        "events": sorted(e.value for e in sub.events),
        "is_active": sub.is_active,
        "created_by": sub.created_by,
        "created_at": sub.created_at,
        "removed_at": sub.removed_at,
    }


class SubscriptionCreatedOut(SubscriptionOut):
    """A new subscription with its signing secret: shown this once, keep it."""

    secret: str = Field(description="The HMAC-SHA256 key of X-Ctx-Signature; never shown again.")

    @classmethod
    def created(cls, created: CreatedSubscription) -> SubscriptionCreatedOut:
        """Build the response from a new subscription and its secret."""
        return cls(**_subscription_fields(created.subscription), secret=created.secret)


class DeliveryOut(BaseModel):
    """One event for one subscription and how its attempts went."""

    id: str
    event_id: str
    subscription_id: str
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    payload: dict[str, Any]

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        """Build the response from the domain object."""
        return cls(
            id=str(delivery.id),
            event_id=str(delivery.event_id),
            subscription_id=str(delivery.subscription_id),
            event=delivery.event.value,
            status=delivery.status.value,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            last_attempt_at=delivery.last_attempt_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            payload=json.loads(delivery.body),
        )
