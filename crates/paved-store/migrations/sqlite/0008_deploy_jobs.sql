-- Deploys on the paved road: each deploy is a job that a runner claims,
-- runs and finishes, with its log. At most one job per DeployTarget is
-- queued or running at a time (the partial unique index is the lock), so
-- two deploys of one target never overlap, on one server or several.
CREATE TABLE deploy_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The Component deployed, its DeployTarget and the environment.
    service         TEXT    NOT NULL,
    target          TEXT    NOT NULL,
    environment     TEXT    NOT NULL,
    -- What was asked for, and the commit it names when known.
    version         TEXT    NOT NULL,
    sha             TEXT,
    -- manual, automatic or rollback; a rollback names the job it undoes.
    trigger         TEXT    NOT NULL CHECK (trigger IN ('manual', 'automatic', 'rollback')),
    rollback_of     INTEGER REFERENCES deploy_jobs (id),
    -- The person the deploy is for (a User's reference), and who asked as
    -- the audit log names them (a token, a session).
    actor           TEXT,
    requested_by    TEXT    NOT NULL,
    actor_claimed_by TEXT,
    fixes           TEXT,
    -- Set when the on-call person deployed past a check (--break-glass).
    break_glass     TEXT,
    -- The checks that allowed it (JSON), and what the runner runs (JSON:
    -- steps, health, rollback), read from the DeployTarget when queued.
    checks          TEXT    NOT NULL,
    plan            TEXT    NOT NULL,
    -- A runner label the job needs (NULL: any runner).
    label           TEXT,
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'interrupted')),
    runner          TEXT,
    error           TEXT,
    created_at      TEXT    NOT NULL,
    started_at      TEXT,
    heartbeat_at    TEXT,
    finished_at     TEXT
);

CREATE UNIQUE INDEX deploy_jobs_one_active ON deploy_jobs (target) WHERE state IN ('queued', 'running');
CREATE INDEX deploy_jobs_by_service ON deploy_jobs (service, id);
CREATE INDEX deploy_jobs_queued ON deploy_jobs (state, id);

-- What a deploy printed, line by line, kept with it.
CREATE TABLE deploy_logs (
    job_id  INTEGER NOT NULL REFERENCES deploy_jobs (id),
    seq     INTEGER NOT NULL,
    at      TEXT    NOT NULL,
    stream  TEXT    NOT NULL CHECK (stream IN ('stdout', 'stderr', 'system')),
    line    TEXT    NOT NULL,
    PRIMARY KEY (job_id, seq)
);
