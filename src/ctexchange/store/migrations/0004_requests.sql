-- ctexchange schema, version 4: requests for assistance between member organizations.
-- A request, its subjects (one row each, so that a linked signal is a real reference), the history of its
-- moves, the messages of its two parties and its attachments.
-- Attachment bytes are a BYTEA column on both backends: PostgreSQL's binary type, and in SQLite a declared
-- type with NUMERIC affinity, which stores a bound Python `bytes` value unchanged as a BLOB.
CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    requesting_org_id TEXT NOT NULL REFERENCES organizations(id),
    requested_org_id TEXT NOT NULL REFERENCES organizations(id),
    title TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    facts TEXT NOT NULL,
    offence TEXT NOT NULL,
    assistance TEXT NOT NULL,
    assistance_detail TEXT NOT NULL,
    urgency TEXT NOT NULL,
    urgency_justification TEXT NOT NULL,
    deadline TEXT,
    confidentiality TEXT NOT NULL,
    language TEXT NOT NULL,
    reference TEXT,
    status TEXT NOT NULL,
    outcome TEXT,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX requests_page ON requests(created_at, id);
CREATE INDEX requests_requesting ON requests(requesting_org_id, created_at, id);
CREATE INDEX requests_requested ON requests(requested_org_id, created_at, id);
CREATE INDEX requests_deadline ON requests(deadline);
CREATE TABLE request_subjects (
    request_id TEXT NOT NULL REFERENCES requests(id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    reference TEXT,
    description TEXT NOT NULL,
    birth_date TEXT,
    nationalities TEXT NOT NULL,
    signal_id TEXT REFERENCES signals(id),
    PRIMARY KEY (request_id, position)
);
CREATE INDEX request_subjects_signal ON request_subjects(signal_id);
CREATE TABLE request_moves (
    request_id TEXT NOT NULL REFERENCES requests(id),
    seq INTEGER NOT NULL,
    move TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    actor TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
);
CREATE TABLE request_messages (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    actor TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX request_messages_request ON request_messages(request_id, created_at, id);
CREATE TABLE request_attachments (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    actor TEXT NOT NULL,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes {BIGINT} NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX request_attachments_request ON request_attachments(request_id, created_at, id);
