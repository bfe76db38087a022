-- Personal tokens: a token may stand for one catalog User, and any token
-- may expire. SQLite cannot change a CHECK constraint in place, so the
-- table is rebuilt with its rows and ids.
CREATE TABLE api_tokens_v6 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    -- admin; team (then `team` is the Group's reference); user (then
    -- `person` is the User's reference).
    scope        TEXT    NOT NULL CHECK (scope IN ('admin', 'team', 'user')),
    team         TEXT,
    person       TEXT,
    -- Hex SHA-256 of the token; the token itself is never stored.
    hash         TEXT    NOT NULL UNIQUE,
    -- The token's first characters, to recognise it in a list.
    prefix       TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    revoked_at   TEXT,
    -- After this the token authenticates nothing; NULL: it does not expire.
    expires_at   TEXT
);

INSERT INTO api_tokens_v6 (id, name, scope, team, hash, prefix, created_at, revoked_at)
SELECT id, name, scope, team, hash, prefix, created_at, revoked_at FROM api_tokens;

DROP TABLE api_tokens;
ALTER TABLE api_tokens_v6 RENAME TO api_tokens;
