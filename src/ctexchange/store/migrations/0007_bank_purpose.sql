-- ctexchange schema, version 7: what a bank is for.
-- purpose: 'positive' (content to act on) or 'negative' (known benign content: news footage,
-- counter-speech; it never produces a hit and silences hits on what it holds).
-- requires_review: matches made by service keys (upload pipelines) open a review case.
ALTER TABLE collections ADD COLUMN purpose TEXT NOT NULL DEFAULT 'positive';
ALTER TABLE collections ADD COLUMN requires_review {BOOL} NOT NULL DEFAULT FALSE;
