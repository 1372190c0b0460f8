-- ctexchange schema, version 6: TAXII 2.1 status resources, and the order TAXII reads signals in.
-- A TAXII POST imports its envelope in one transaction and keeps what happened to each object here, so
-- that the client can poll GET .../status/{id}/; only the organization that posted reads it. The
-- successes, failures and pendings are JSON lists of {id, version, message}.
-- TAXII pages a collection by date added (a signal's last change) and id: the index serves that order.
CREATE TABLE taxii_statuses (
    id TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL REFERENCES collections(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    actor TEXT NOT NULL,
    status TEXT NOT NULL,
    request_timestamp TEXT NOT NULL,
    successes TEXT NOT NULL,
    failures TEXT NOT NULL,
    pendings TEXT NOT NULL
);
CREATE INDEX taxii_statuses_org ON taxii_statuses(org_id, request_timestamp);
CREATE INDEX signals_collection_updated ON signals(collection_id, updated_at, id);
