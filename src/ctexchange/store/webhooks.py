"""Webhook subscriptions and their outbox of deliveries, in SQL.

Decisions:
- Subscriptions are never deleted: removing one clears `is_active` and sets `removed_at`, so the
  deliveries that name it keep a valid reference and the owner can still read what was sent.
- `claim` leases due deliveries to one worker by moving their `next_attempt_at` forward by the lease
  before anything is posted: a worker that dies mid-post leaves them due again after the lease, never
  lost. Delivery is therefore at least once; receivers deduplicate by the delivery id.
- The lease is a compare-and-set (`next_attempt_at` still what was read, the status still due): of two
  workers reading the same row at once (the one `ctx serve` runs and a `ctx webhook deliver` from cron,
  or two servers on one PostgreSQL), only one takes it; the other's update finds nothing to change.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ctexchange.domain.webhooks import DUE, Delivery, DeliveryStatus, Subscription, WebhookEvent
from ctexchange.store.codec import from_json, parse_ts, parse_ts_or_none, to_json, ts, ts_or_none, uid
from ctexchange.store.db import Db, Row

_DUE = {f"d{n}": status.value for n, status in enumerate(sorted(DUE))}
_SUB_COLUMNS = "id, org_id, url, events, is_active, created_by, created_at, removed_at"
_DUE_IN = ", ".join(f":{name}" for name in _DUE)


def _subscription(row: Row) -> Subscription:
    return Subscription(
        id=uid(row["id"]),
        org_id=uid(row["org_id"]),
        url=row["url"],
        events=frozenset(WebhookEvent(e) for e in from_json(row["events"])),
        is_active=bool(row["is_active"]),
        created_by=row["created_by"],
        created_at=parse_ts(row["created_at"]),
        removed_at=parse_ts_or_none(row["removed_at"]),
    )


def _delivery(row: Row) -> Delivery:
    return Delivery(
        id=uid(row["id"]),
        event_id=uid(row["event_id"]),
        subscription_id=uid(row["subscription_id"]),
        org_id=uid(row["org_id"]),
        event=WebhookEvent(row["event"]),
        body=row["body"],
        status=DeliveryStatus(row["status"]),
        attempts=int(row["attempts"]),
        next_attempt_at=parse_ts_or_none(row["next_attempt_at"]),
        created_at=parse_ts(row["created_at"]),
        last_attempt_at=parse_ts_or_none(row["last_attempt_at"]),
        last_status_code=None if row["last_status_code"] is None else int(row["last_status_code"]),
        last_error=row["last_error"],
        delivered_at=parse_ts_or_none(row["delivered_at"]),
    )


class SqlWebhooks:
    """Subscriptions and deliveries."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def add_subscription(self, sub: Subscription, secret: str) -> None:
        """Insert a subscription with its signing secret."""
        self.db.run(
            "INSERT INTO webhook_subscriptions (id, org_id, url, events, secret, is_active, created_by,"
            " created_at, removed_at)"
            " VALUES (:id, :org, :url, :events, :secret, :active, :by, :at, :removed)",
            {
                "id": str(sub.id),
                "org": str(sub.org_id),
                "url": sub.url,
                "events": to_json(sorted(e.value for e in sub.events)),
                "secret": secret,
                "active": sub.is_active,
                "by": sub.created_by,
                "at": ts(sub.created_at),
                "removed": ts_or_none(sub.removed_at),
            },
        )

    def subscription(self, sub_id: UUID) -> Subscription | None:
        """Return the subscription with this id, or None (access is the service's to decide)."""
        row = self.db.row(
            f"SELECT {_SUB_COLUMNS} FROM webhook_subscriptions WHERE id = :id", {"id": str(sub_id)}
        )
        return None if row is None else _subscription(row)

    def secret_of(self, sub_id: UUID) -> str | None:
        """Return a subscription's signing secret (for the delivery worker only), or None."""
        found = self.db.scalar("SELECT secret FROM webhook_subscriptions WHERE id = :id", {"id": str(sub_id)})
        return None if found is None else str(found)

    def subscriptions(self, org_id: UUID, *, active_only: bool) -> list[Subscription]:
        """Return an organization's subscriptions, oldest first (only the active ones when asked)."""
        extra = " AND is_active = :yes" if active_only else ""
        params: dict[str, object] = {"org": str(org_id)}
        if active_only:
            params["yes"] = True
        rows = self.db.rows(
            f"SELECT {_SUB_COLUMNS} FROM webhook_subscriptions WHERE org_id = :org{extra}"
            " ORDER BY created_at, id",
            params,
        )
        return [_subscription(r) for r in rows]

    def remove_subscription(self, sub_id: UUID, at: datetime) -> None:
        """Deactivate a subscription for good."""
        self.db.run(
            "UPDATE webhook_subscriptions SET is_active = :no, removed_at = :at WHERE id = :id",
            {"id": str(sub_id), "no": False, "at": ts(at)},
        )

    def add_delivery(self, delivery: Delivery) -> None:
        """Write one delivery to the outbox."""
        self.db.run(
            "INSERT INTO webhook_deliveries (id, event_id, subscription_id, org_id, event, body, status,"
            " attempts, next_attempt_at, created_at) VALUES (:id, :event_id, :sub, :org, :event, :body,"
            " :status, :attempts, :next, :at)",
            {
                "id": str(delivery.id),
                "event_id": str(delivery.event_id),
                "sub": str(delivery.subscription_id),
                "org": str(delivery.org_id),
                "event": delivery.event.value,
                "body": delivery.body,
                "status": delivery.status.value,
                "attempts": delivery.attempts,
                "next": ts_or_none(delivery.next_attempt_at),
                "at": ts(delivery.created_at),
            },
        )

    def delivery(self, delivery_id: UUID) -> Delivery | None:
        """Return one delivery, or None."""
        row = self.db.row("SELECT * FROM webhook_deliveries WHERE id = :id", {"id": str(delivery_id)})
        return None if row is None else _delivery(row)

    def deliveries(self, org_id: UUID, limit: int) -> list[Delivery]:
        """Return an organization's newest deliveries first."""
        rows = self.db.rows(
            "SELECT * FROM webhook_deliveries WHERE org_id = :org ORDER BY created_at DESC, id DESC"
            " LIMIT :limit",
            {"org": str(org_id), "limit": limit},
        )
        return [_delivery(r) for r in rows]

    def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        """Return up to `limit` deliveries due at `now`, oldest first, leased until `lease_until`."""
        rows = self.db.rows(
            f"SELECT * FROM webhook_deliveries WHERE status IN ({_DUE_IN}) AND next_attempt_at <= :now"
            " ORDER BY next_attempt_at, id LIMIT :limit",
            {"now": ts(now), "limit": limit, **_DUE},
        )
        claimed = []
        for delivery in (_delivery(r) for r in rows):
            taken = self.db.rows(
                "UPDATE webhook_deliveries SET next_attempt_at = :lease"
                f" WHERE id = :id AND next_attempt_at = :was AND status IN ({_DUE_IN}) RETURNING id",
                {
                    "id": str(delivery.id),
                    "lease": ts(lease_until),
                    "was": ts_or_none(delivery.next_attempt_at),
                    **_DUE,
                },
            )
            if taken:
                claimed.append(delivery)
        return claimed

    def record_attempt(self, delivery: Delivery) -> None:
        """Write a delivery's state after an attempt (status, count, times, outcome)."""
        self.db.run(
            "UPDATE webhook_deliveries SET status = :status, attempts = :attempts, next_attempt_at = :next,"
            " last_attempt_at = :last, last_status_code = :code, last_error = :error,"
            " delivered_at = :delivered WHERE id = :id",
            {
                "id": str(delivery.id),
                "status": delivery.status.value,
                "attempts": delivery.attempts,
                "next": ts_or_none(delivery.next_attempt_at),
                "last": ts_or_none(delivery.last_attempt_at),
                "code": delivery.last_status_code,
                "error": delivery.last_error,
                "delivered": ts_or_none(delivery.delivered_at),
            },
        )
