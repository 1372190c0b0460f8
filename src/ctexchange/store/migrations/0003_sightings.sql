-- ctexchange schema, version 3: sightings, and each collection's rule for hits a caller may not see.
-- A sighting is written for every hit of a lookup, visible to the caller or not; its owner reads them.
ALTER TABLE collections ADD COLUMN hit_policy TEXT NOT NULL DEFAULT 'hide';
CREATE TABLE sightings (
    id TEXT PRIMARY KEY,
    signal_id TEXT NOT NULL REFERENCES signals(id),
    signal_org_id TEXT NOT NULL REFERENCES organizations(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    match_type TEXT NOT NULL,
    distance REAL NOT NULL,
    is_visible {BOOL} NOT NULL,
    request_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX sightings_owner ON sightings(signal_org_id, at, id);
CREATE INDEX sightings_signal ON sightings(signal_id, at);
