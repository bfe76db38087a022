-- Resources provisioned by self-service requests (kind: Module): one row per
-- resource, from the request to its removal. A request is a job: it holds a
-- lease while its driver runs, so a replica that dies mid-request leaves it
-- to another (drivers are idempotent: running one again finishes it).
-- Generated secrets are kept only sealed by the application.
CREATE TABLE resources (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The Resource entity (`resource:default/checkout-api-db`), a key.
    entity_ref    TEXT NOT NULL,
    module        TEXT NOT NULL,
    service       TEXT NOT NULL,
    team          TEXT NOT NULL,
    name          TEXT NOT NULL,
    -- The parameters asked for, as JSON.
    parameters    TEXT NOT NULL,
    -- provisioning, ready, failed, deprovisioning, deleted.
    state         TEXT NOT NULL,
    -- What may be shown (host, port, user, ...), as JSON.
    outputs       TEXT,
    -- The secret outputs (a password), sealed.
    sealed        TEXT,
    error         TEXT,
    requested_by  TEXT NOT NULL,
    lease_owner   TEXT,
    lease_until   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- One live resource per entity: the same request twice finds the first.
CREATE UNIQUE INDEX resources_live ON resources (entity_ref) WHERE state <> 'deleted';
CREATE INDEX resources_by_team ON resources (team, module);
CREATE INDEX resources_by_service ON resources (service);
