-- Resources provisioned by self-service requests (kind: Module): one row per
-- resource, from the request to its removal. A request is a job: it holds a
-- lease while its driver runs, so a replica that dies mid-request leaves it
-- to another (drivers are idempotent: running one again finishes it).
-- Generated secrets are kept only sealed by the application.
CREATE TABLE resources (
    id            bigserial PRIMARY KEY,
    -- The Resource entity (`resource:default/checkout-api-db`), a key.
    entity_ref    text NOT NULL,
    module        text NOT NULL,
    service       text NOT NULL,
    team          text NOT NULL,
    name          text NOT NULL,
    -- The parameters asked for, as JSON.
    parameters    text NOT NULL,
    -- provisioning, ready, failed, deprovisioning, deleted.
    state         text NOT NULL,
    -- What may be shown (host, port, user, ...), as JSON.
    outputs       text,
    -- The secret outputs (a password), sealed.
    sealed        text,
    error         text,
    requested_by  text NOT NULL,
    lease_owner   text,
    lease_until   timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- One live resource per entity: the same request twice finds the first.
CREATE UNIQUE INDEX resources_live ON resources (entity_ref) WHERE state <> 'deleted';
CREATE INDEX resources_by_team ON resources (team, module);
CREATE INDEX resources_by_service ON resources (service);
