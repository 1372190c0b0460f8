-- ctexchange schema, version 5: alerts from one organization to chosen others, and acknowledgements.
-- Depends only on the tables of version 1 (organizations, users, sharing groups). The audience is stored
-- at issue (alert_recipients, alert_recipient_users) and never changes; every version is kept in
-- alert_versions and `alerts.version` names the current one. `expired` is derived from valid_until at
-- read time and never stored: status is 'issued' or 'cancelled'.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    kind TEXT NOT NULL,
    marking TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    group_ids TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    cancelled_by TEXT,
    cancel_reason TEXT,
    cancelled_at TEXT
);
CREATE INDEX alerts_org ON alerts(org_id, issued_at);
CREATE INDEX alerts_page ON alerts(issued_at, id);
CREATE TABLE alert_versions (
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    version INTEGER NOT NULL,
    change TEXT NOT NULL,
    content TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    note TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (alert_id, version)
);
CREATE TABLE alert_recipients (
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    PRIMARY KEY (alert_id, org_id)
);
CREATE INDEX alert_recipients_org ON alert_recipients(org_id, alert_id);
CREATE TABLE alert_recipient_users (
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (alert_id, user_id)
);
CREATE INDEX alert_recipient_users_user ON alert_recipient_users(user_id, alert_id);
CREATE TABLE alert_acks (
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    version INTEGER NOT NULL,
    user_id TEXT,
    actor TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (alert_id, org_id, version)
);
