-- Sign-in sessions of the web UI. The same table as SQLite's 0007, in
-- PostgreSQL's types; see that file for what each column holds.
CREATE TABLE web_sessions (
    id          bigserial   PRIMARY KEY,
    hash        text        COLLATE "C" NOT NULL UNIQUE,
    person      text        NOT NULL,
    token_id    bigint      NOT NULL REFERENCES api_tokens (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);

CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
