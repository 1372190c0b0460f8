-- ctexchange schema, version 8: human review cases, their hits, decisions and evidence.
-- A case belongs to the organization whose upload pipeline matched. Its hits are rows of their own (one
-- per item and signal; a quarantined case collects many items of one signal). Decisions are the case's
-- history. Evidence bytes are a BYTEA column (see version 4) set to NULL by the purge, which keeps the
-- row, its SHA-256 and size as the record of what was destroyed.
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    item_id TEXT,
    status TEXT NOT NULL,
    is_quarantined {BOOL} NOT NULL,
    quarantine_signal_id TEXT REFERENCES signals(id),
    action TEXT,
    removal_order_received_at TEXT,
    removed_at TEXT,
    complaint_deadline TEXT,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX cases_page ON cases(opened_at, id);
CREATE INDEX cases_org ON cases(org_id, opened_at, id);
CREATE INDEX cases_item ON cases(org_id, item_id, status);
CREATE INDEX cases_quarantine ON cases(org_id, quarantine_signal_id, status);
CREATE TABLE case_hits (
    case_id TEXT NOT NULL REFERENCES cases(id),
    seq INTEGER NOT NULL,
    item_id TEXT,
    signal_id TEXT NOT NULL REFERENCES signals(id),
    collection_id TEXT NOT NULL REFERENCES collections(id),
    kind TEXT NOT NULL,
    match_type TEXT NOT NULL,
    distance REAL NOT NULL,
    measure TEXT NOT NULL,
    hashes TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE TABLE case_decisions (
    case_id TEXT NOT NULL REFERENCES cases(id),
    seq INTEGER NOT NULL,
    move TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    action TEXT,
    reason TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE TABLE case_evidence (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    actor TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes {BIGINT} NOT NULL,
    sha256 TEXT NOT NULL,
    reference TEXT,
    content BYTEA,
    created_at TEXT NOT NULL,
    keep_until TEXT NOT NULL,
    purged_at TEXT
);
CREATE INDEX case_evidence_case ON case_evidence(case_id, created_at, id);
CREATE INDEX case_evidence_keep ON case_evidence(keep_until);
CREATE INDEX sightings_org_signal ON sightings(org_id, signal_id, at);
