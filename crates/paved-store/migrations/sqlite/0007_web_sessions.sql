-- Sign-in sessions of the web UI. A person signs in with their personal
-- token; the browser keeps a random session secret in a cookie, and only
-- its hash is stored here. A session ends when it is signed out
-- (`ended_at`), when it expires, or when the token it was started with is
-- revoked or expires (checked when the session is used).
CREATE TABLE web_sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Hex SHA-256 of the session secret; the secret itself is never stored.
    hash        TEXT    NOT NULL UNIQUE,
    -- The catalog User signed in (reference as displayed).
    person      TEXT    NOT NULL,
    -- The personal token the session was started with.
    token_id    INTEGER NOT NULL REFERENCES api_tokens (id),
    created_at  TEXT    NOT NULL,
    -- After this the session identifies nobody: never later than the
    -- token's own expiry.
    expires_at  TEXT    NOT NULL,
    -- When it was signed out; NULL while it lasts.
    ended_at    TEXT
);

CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
