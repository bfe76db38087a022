-- Golden paths (kind: Template): each run of a template, creating a service
-- (`paved new`) or offering it the template's newer files (`paved drift
-- --update`), is a job with its log. A run keeps the values it rendered
-- with and the files it rendered: they are the common ancestor that drift
-- and the day-2 update compare the service's repository with.
CREATE TABLE template_runs (
    id            bigserial PRIMARY KEY,
    -- create (paved new) or update (paved drift --update).
    kind          text NOT NULL CHECK (kind IN ('create', 'update')),
    template      text NOT NULL,
    version       text,
    -- The Component made (or updated) and its team.
    service       text NOT NULL,
    team          text NOT NULL,
    -- The form's values, as JSON.
    parameters    text NOT NULL,
    requested_by  text NOT NULL,
    -- The person it was for (their User), read as `user.ref` again.
    person        text,
    state         text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
    -- What each step did, a JSON array of lines, written as it goes.
    log           text NOT NULL,
    -- Where it published, the commit and (an update) the branch.
    repository    text,
    commit_sha    text,
    branch        text,
    -- The rendered files (JSON: path -> text or base64, executable).
    files         text,
    -- The output links, rendered (JSON).
    links         text,
    error         text,
    created_at    timestamptz NOT NULL,
    finished_at   timestamptz
);

CREATE INDEX template_runs_by_service ON template_runs (service, id);

-- The last drift found of each service made from a golden path: how many of
-- the template's files are in line, and each file's state (JSON).
CREATE TABLE template_drift (
    service          text PRIMARY KEY,
    team             text NOT NULL,
    template         text NOT NULL,
    version          text,
    current_version  text,
    in_line          bigint NOT NULL,
    managed          bigint NOT NULL,
    files            text NOT NULL,
    checked_at       timestamptz NOT NULL
);
