-- ctexchange schema, version 10: what a signal's owner learns of who matched it.
-- sighting_policy: 'named' (which organization matched) or 'anonymised' (a per-signal pseudonym).
ALTER TABLE collections ADD COLUMN sighting_policy TEXT NOT NULL DEFAULT 'named';
