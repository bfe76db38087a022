-- What ingestion derives from raw events (DESIGN §3 "Records"), the people
-- they name, API tokens and the audit log. The same tables as SQLite's
-- 0003, in PostgreSQL's types; see that file for what each column holds.

ALTER TABLE raw_events ADD COLUMN context text NOT NULL DEFAULT '{}';

CREATE TABLE raw_event_outcomes (
    event_id bigint  NOT NULL PRIMARY KEY,
    status   text    NOT NULL CHECK (status IN ('normalized', 'ignored', 'failed')),
    reason   text,
    records  integer NOT NULL
);

CREATE INDEX raw_event_outcomes_by_status ON raw_event_outcomes (status, event_id);

CREATE TABLE records (
    kind        text    COLLATE "C" NOT NULL,
    key         text    COLLATE "C" NOT NULL,
    service     text    COLLATE "C",
    repo        text    COLLATE "C",
    sha         text    COLLATE "C",
    environment text,
    production  boolean NOT NULL DEFAULT false,
    status      text    NOT NULL,
    at_us       bigint,
    -- text, not jsonb: kept exactly as serialised (jsonb refuses \u0000).
    body        text    NOT NULL,
    PRIMARY KEY (kind, key)
);

CREATE INDEX records_by_service ON records (kind, service, at_us);
CREATE INDEX records_by_time ON records (kind, at_us);
CREATE INDEX records_by_sha ON records (kind, repo, sha);

CREATE TABLE identities (
    identity      text    COLLATE "C" NOT NULL PRIMARY KEY,
    display_name  text,
    person        text,
    automation    boolean NOT NULL,
    sightings     bigint  NOT NULL,
    first_seen_us bigint  NOT NULL,
    last_seen_us  bigint  NOT NULL
);

CREATE TABLE api_tokens (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL,
    scope      text        NOT NULL CHECK (scope IN ('admin', 'team')),
    team       text,
    hash       text        COLLATE "C" NOT NULL UNIQUE,
    prefix     text        NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE audit_log (
    id           bigserial   PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor        text        NOT NULL,
    action       text        NOT NULL,
    target       text        NOT NULL,
    raw_event_id bigint,
    detail       text
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE counters (
    name  text   NOT NULL PRIMARY KEY,
    value bigint NOT NULL
);

INSERT INTO counters (name, value) VALUES ('catalog_generation', 0);
