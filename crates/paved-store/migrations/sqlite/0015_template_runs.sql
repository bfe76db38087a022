-- Golden paths (kind: Template): each run of a template, creating a service
-- (`paved new`) or offering it the template's newer files (`paved drift
-- --update`), is a job with its log. A run keeps the values it rendered
-- with and the files it rendered: they are the common ancestor that drift
-- and the day-2 update compare the service's repository with.
CREATE TABLE template_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- create (paved new) or update (paved drift --update).
    kind          TEXT NOT NULL CHECK (kind IN ('create', 'update')),
    template      TEXT NOT NULL,
    version       TEXT,
    -- The Component made (or updated) and its team.
    service       TEXT NOT NULL,
    team          TEXT NOT NULL,
    -- The form's values, as JSON.
    parameters    TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    -- The person it was for (their User), read as `user.ref` again.
    person        TEXT,
    state         TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
    -- What each step did, a JSON array of lines, written as it goes.
    log           TEXT NOT NULL,
    -- Where it published, the commit and (an update) the branch.
    repository    TEXT,
    commit_sha    TEXT,
    branch        TEXT,
    -- The rendered files (JSON: path -> text or base64, executable).
    files         TEXT,
    -- The output links, rendered (JSON).
    links         TEXT,
    error         TEXT,
    created_at    TEXT NOT NULL,
    finished_at   TEXT
);

CREATE INDEX template_runs_by_service ON template_runs (service, id);

-- The last drift found of each service made from a golden path: how many of
-- the template's files are in line, and each file's state (JSON).
CREATE TABLE template_drift (
    service          TEXT PRIMARY KEY,
    team             TEXT NOT NULL,
    template         TEXT NOT NULL,
    version          TEXT,
    current_version  TEXT,
    in_line          INTEGER NOT NULL,
    managed          INTEGER NOT NULL,
    files            TEXT NOT NULL,
    checked_at       TEXT NOT NULL
);
