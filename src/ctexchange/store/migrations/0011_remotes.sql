-- ctexchange schema, version 11: federation with other instances over TAXII 2.1.
-- A remote is another instance's TAXII API root, pulled from and pushed to on behalf of one local
-- organization (the operator's). Its key is never stored: only the name of the environment variable
-- that holds it. `group_id` is the sharing group through which AMBER signals pulled from it are seen.
-- A checkpoint says how far a pull of one remote collection, or a push of one local collection to one
-- remote collection, has gone; it is written in the same transaction as the objects it covers, so a
-- run killed at any point resumes with neither duplicates nor gaps. `next_page`, `run_after` and
-- `run_last` describe a pull in progress; `position_at` and `position_id` are a push's last accepted
-- signal.
-- Pulled signals are owned by local records of the organizations that made them (`remote_orgs`: the
-- STIX identity of `created_by_ref` and the remote it came through; the local id is derived from both),
-- in one local collection per remote collection and owner (`remote_collections`); `remote_objects` maps
-- each pulled STIX id to the signal it became.
CREATE TABLE remotes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    key_env TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    group_id TEXT NOT NULL REFERENCES sharing_groups(id),
    created_at TEXT NOT NULL
);
CREATE TABLE remote_checkpoints (
    remote_id TEXT NOT NULL REFERENCES remotes(id),
    direction TEXT NOT NULL,
    scope TEXT NOT NULL,
    added_after TEXT,
    run_after TEXT,
    next_page TEXT,
    run_last TEXT,
    position_at TEXT,
    position_id TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (remote_id, direction, scope)
);
CREATE TABLE remote_orgs (
    org_id TEXT PRIMARY KEY REFERENCES organizations(id),
    remote_id TEXT NOT NULL REFERENCES remotes(id),
    stix_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE remote_collections (
    remote_id TEXT NOT NULL REFERENCES remotes(id),
    remote_collection TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    collection_id TEXT NOT NULL REFERENCES collections(id),
    PRIMARY KEY (remote_id, remote_collection, org_id)
);
CREATE TABLE remote_objects (
    remote_id TEXT NOT NULL REFERENCES remotes(id),
    stix_id TEXT NOT NULL,
    signal_id TEXT NOT NULL REFERENCES signals(id),
    PRIMARY KEY (remote_id, stix_id)
);
