-- What ingestion derives from raw events (DESIGN §3 "Records"), the people
-- they name, API tokens and the audit log.
--
-- Normalised records are derived data: `paved events rebuild` deletes them
-- and derives them again from raw_events, which stay append-only. Each
-- record is kept whole as JSON (the domain's `Record`), with the columns
-- queries filter and sort on beside it. Instants that queries compare are
-- integer microseconds since the Unix epoch, the same on both backends.

-- What a raw event needs outside its body to be derived again (e.g. the
-- incident a `POST /api/v1/incidents/{id}/acknowledge` names), as JSON.
ALTER TABLE raw_events ADD COLUMN context TEXT NOT NULL DEFAULT '{}';

-- Whether each raw event could be normalised, and why not.
CREATE TABLE raw_event_outcomes (
    event_id INTEGER NOT NULL PRIMARY KEY,
    status   TEXT    NOT NULL CHECK (status IN ('normalized', 'ignored', 'failed')),
    reason   TEXT,
    -- How many records the event added to.
    records  INTEGER NOT NULL
);

CREATE INDEX raw_event_outcomes_by_status ON raw_event_outcomes (status, event_id);

CREATE TABLE records (
    -- deployment, incident, pull_request, ci_run, push.
    kind        TEXT    NOT NULL,
    -- Unique within the kind, e.g. github:github.com/acme/checkout/145988746.
    key         TEXT    NOT NULL,
    -- The service's entity key (lower-cased reference), when known.
    service     TEXT,
    repo        TEXT,
    sha         TEXT,
    -- Deployments only: the environment as named, and 1 when production.
    environment TEXT,
    production  INTEGER NOT NULL DEFAULT 0 CHECK (production IN (0, 1)),
    status      TEXT    NOT NULL,
    -- The record's main instant (Record::index), microseconds since the epoch.
    at_us       INTEGER,
    -- The Record as JSON.
    body        TEXT    NOT NULL,
    PRIMARY KEY (kind, key)
);

CREATE INDEX records_by_service ON records (kind, service, at_us);
CREATE INDEX records_by_time ON records (kind, at_us);
CREATE INDEX records_by_sha ON records (kind, repo, sha);

-- Every identity an event named, with who it resolved to when last derived.
CREATE TABLE identities (
    -- kind:value, e.g. github:octocat.
    identity      TEXT    NOT NULL PRIMARY KEY,
    display_name  TEXT,
    -- The catalog User (reference as displayed), or NULL when unresolved.
    person        TEXT,
    automation    INTEGER NOT NULL CHECK (automation IN (0, 1)),
    -- How many events named it.
    sightings     INTEGER NOT NULL,
    first_seen_us INTEGER NOT NULL,
    last_seen_us  INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    -- admin, or team (then `team` is the Group's reference).
    scope        TEXT    NOT NULL CHECK (scope IN ('admin', 'team')),
    team         TEXT,
    -- Hex SHA-256 of the token; the token itself is never stored.
    hash         TEXT    NOT NULL UNIQUE,
    -- The token's first characters, to recognise it in a list.
    prefix       TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    revoked_at   TEXT
);

-- Every action taken through a token or the CLI. Append-only.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT    NOT NULL,
    -- Who: `token 3 (ci-checkout, team group:default/checkout)`, `cli`.
    actor        TEXT    NOT NULL,
    -- What: deployment.record, incident.open, token.create, ...
    action       TEXT    NOT NULL,
    -- On what: a record key, a token id.
    target       TEXT    NOT NULL,
    -- The raw event it stored, if any.
    raw_event_id INTEGER,
    detail       TEXT
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Counters: `catalog_generation` grows whenever an import changes the
-- catalog, so servers know when to re-read it.
CREATE TABLE counters (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
);

INSERT INTO counters (name, value) VALUES ('catalog_generation', 0);
