-- ctexchange schema, version 12: the analyst console's logins and sessions.
-- users.password_hash: scrypt hash (as for API keys) or NULL (no console login yet);
-- users.failed_logins / locked_until: the lockout counter and the end of a lockout;
-- users.language: the interface language the user chose (en, ar, ru, zh) or NULL (the browser's).
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT;
ALTER TABLE users ADD COLUMN language TEXT;
-- A console session: only the SHA-256 of its random token is stored (token_hash).
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX console_sessions_user ON console_sessions(user_id);
