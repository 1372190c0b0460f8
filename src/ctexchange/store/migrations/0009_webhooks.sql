-- ctexchange schema, version 9: webhook subscriptions and their outbox of deliveries.
-- A delivery row is written in the same transaction as the change it tells of, with the exact body
-- that will be signed and posted; the worker only updates its state. `events` is a JSON list of
-- event types; the secret is kept as is because signing needs it (docs/webhooks.md).
CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    is_active {BOOL} NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX webhook_subscriptions_org ON webhook_subscriptions(org_id, created_at);
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT,
    created_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status_code INTEGER,
    last_error TEXT,
    delivered_at TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_org ON webhook_deliveries(org_id, created_at);
