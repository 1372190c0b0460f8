-- ctexchange schema, version 1. One file for both backends: the store replaces {BOOL}, {BIGINT} and {SERIAL_PK} per dialect.
-- Identifiers are UUID text; times are fixed-width ISO 8601 UTC text so that they sort and hash the
-- same on both backends.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    is_operator {BOOL} NOT NULL,
    is_active {BOOL} NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    is_active {BOOL} NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX users_org ON users(org_id);
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE INDEX api_keys_org ON api_keys(org_id);
CREATE TABLE sharing_groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    owner_org_id TEXT NOT NULL REFERENCES organizations(id),
    created_at TEXT NOT NULL
);
CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES sharing_groups(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (group_id, org_id)
);
CREATE INDEX group_members_org ON group_members(org_id);
CREATE TABLE collections (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    default_marking TEXT NOT NULL,
    sharing_group_id TEXT REFERENCES sharing_groups(id),
    description TEXT NOT NULL,
    kind_settings TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, name)
);
CREATE TABLE signals (
    id TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL REFERENCES collections(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    family TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    value_key TEXT NOT NULL,
    external_id TEXT,
    marking TEXT NOT NULL,
    sharing_group_id TEXT REFERENCES sharing_groups(id),
    status TEXT NOT NULL,
    added_by TEXT NOT NULL,
    source TEXT NOT NULL,
    source_ref TEXT,
    label_count INTEGER NOT NULL,
    recipient_count INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (collection_id, kind, value_key)
);
CREATE INDEX signals_page ON signals(created_at, id);
CREATE INDEX signals_collection ON signals(collection_id, created_at);
CREATE INDEX signals_kind_key ON signals(kind, value_key);
CREATE INDEX signals_external ON signals(external_id);
CREATE TABLE signal_labels (
    signal_id TEXT NOT NULL REFERENCES signals(id),
    label TEXT NOT NULL,
    PRIMARY KEY (signal_id, label)
);
CREATE INDEX signal_labels_label ON signal_labels(label);
CREATE TABLE signal_recipients (
    signal_id TEXT NOT NULL REFERENCES signals(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (signal_id, user_id)
);
CREATE INDEX signal_recipients_user ON signal_recipients(user_id);
CREATE TABLE opinions (
    signal_id TEXT NOT NULL REFERENCES signals(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    user_id TEXT,
    verdict TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (signal_id, org_id)
);
CREATE TABLE signal_changes (
    seq {SERIAL_PK},
    signal_id TEXT NOT NULL,
    change TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE audit_events (
    seq {BIGINT} PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    org_id TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    object_org_id TEXT,
    request_id TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_org ON audit_events(org_id, seq);
CREATE INDEX audit_events_object_org ON audit_events(object_org_id, seq);
