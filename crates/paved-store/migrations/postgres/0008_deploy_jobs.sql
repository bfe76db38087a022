-- Deploys on the paved road: each deploy is a job that a runner claims,
-- runs and finishes, with its log. At most one job per DeployTarget is
-- queued or running at a time (the partial unique index is the lock), so
-- two deploys of one target never overlap, on one server or several.
CREATE TABLE deploy_jobs (
    id              bigserial   PRIMARY KEY,
    -- The Component deployed, its DeployTarget and the environment.
    service         text        NOT NULL,
    target          text        NOT NULL,
    environment     text        NOT NULL,
    -- What was asked for, and the commit it names when known.
    version         text        NOT NULL,
    sha             text,
    -- manual, automatic or rollback; a rollback names the job it undoes.
    trigger         text        NOT NULL CHECK (trigger IN ('manual', 'automatic', 'rollback')),
    rollback_of     bigint      REFERENCES deploy_jobs (id),
    -- The person the deploy is for (a User's reference), and who asked as
    -- the audit log names them (a token, a session).
    actor           text,
    requested_by    text        NOT NULL,
    actor_claimed_by text,
    fixes           text,
    -- Set when the on-call person deployed past a check (--break-glass).
    break_glass     text,
    -- The checks that allowed it (JSON), and what the runner runs (JSON:
    -- steps, health, rollback), read from the DeployTarget when queued.
    checks          text        NOT NULL,
    plan            text        NOT NULL,
    -- A runner label the job needs (NULL: any runner).
    label           text,
    state           text        NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'interrupted')),
    runner          text,
    error           text,
    created_at      timestamptz NOT NULL,
    started_at      timestamptz,
    heartbeat_at    timestamptz,
    finished_at     timestamptz
);

CREATE UNIQUE INDEX deploy_jobs_one_active ON deploy_jobs (target) WHERE state IN ('queued', 'running');
CREATE INDEX deploy_jobs_by_service ON deploy_jobs (service, id);
CREATE INDEX deploy_jobs_queued ON deploy_jobs (state, id);

-- What a deploy printed, line by line, kept with it.
CREATE TABLE deploy_logs (
    job_id  bigint      NOT NULL REFERENCES deploy_jobs (id),
    seq     bigint      NOT NULL,
    at      timestamptz NOT NULL,
    stream  text        NOT NULL CHECK (stream IN ('stdout', 'stderr', 'system')),
    line    text        NOT NULL,
    PRIMARY KEY (job_id, seq)
);
