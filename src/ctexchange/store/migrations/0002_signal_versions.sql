-- ctexchange schema, version 2: the history of signal values.
-- Re-importing a list changes entries in place; the value each had before, and when it was replaced, is
-- kept here so that a listing's history can be shown and audited.
CREATE TABLE signal_versions (
    signal_id TEXT NOT NULL REFERENCES signals(id),
    version INTEGER NOT NULL,
    value TEXT NOT NULL,
    status TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    PRIMARY KEY (signal_id, version)
);
