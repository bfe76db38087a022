-- Repositories imported from git, their commits, and the files each commit
-- changed (DESIGN §3 "Commit"). Commit times are integer Unix seconds with
-- the offset from UTC in seconds beside them: git records whole seconds, the
-- integers are compact, and they are the same on both backends.
--
-- These tables grow to millions of rows, so rows are lean and inserts touch
-- few pages: no foreign keys (the store writes a commit and its files in one
-- transaction, and never files without their commit). `commits` is a rowid
-- table: its rows are appended in import order and only the small primary
-- key index is keyed by the (random) sha. `commit_files` is WITHOUT ROWID:
-- its primary key is nearly the whole row, so the key is the table instead
-- of a second copy of it. (Measured with examples/bench_commits.rs, 200,000
-- commits in batches of 1,000: commits WITHOUT ROWID was 30% slower to
-- insert and half as fast to read in time order; commit_files with a rowid
-- was 25% slower and half again as big.)

CREATE TABLE repositories (
    -- RepoId: host/owner/name, e.g. github.com/acme/checkout.
    repo        TEXT    NOT NULL PRIMARY KEY,
    -- Where the last import read the repository from (a local path).
    source_path TEXT    NOT NULL,
    -- The ref tips the last complete import reached, as JSON:
    -- [{"reference": "refs/heads/main", "sha": "..."}]. Saved only after
    -- every batch of the import committed.
    tips        TEXT    NOT NULL,
    imported_at TEXT    NOT NULL,
    -- How many commits the last import counted.
    commits     INTEGER NOT NULL
);

CREATE TABLE commits (
    repo                     TEXT    NOT NULL,
    -- Lower-case hex object id.
    sha                      TEXT    NOT NULL,
    -- The parents' ids in git's order, separated by single spaces ('' for a
    -- root commit).
    parents                  TEXT    NOT NULL,
    author_name              TEXT    NOT NULL,
    author_email             TEXT    NOT NULL,
    author_time              INTEGER NOT NULL,
    author_offset_seconds    INTEGER NOT NULL,
    committer_name           TEXT    NOT NULL,
    committer_email          TEXT    NOT NULL,
    committer_time           INTEGER NOT NULL,
    committer_offset_seconds INTEGER NOT NULL,
    message                  TEXT    NOT NULL,
    -- Totals over the commit's rows in commit_files, kept here so that
    -- metrics need not read the files.
    files_changed            INTEGER NOT NULL,
    lines_added              INTEGER NOT NULL,
    lines_removed            INTEGER NOT NULL,
    PRIMARY KEY (repo, sha)
);

-- A repository's history in time order.
CREATE INDEX commits_by_committer_time ON commits (repo, committer_time);
-- Identity resolution: emails compare case-insensitively. lower() folds
-- ASCII only, as PostgreSQL's does on its "C" collated column.
CREATE INDEX commits_by_author_email ON commits (lower(author_email));

CREATE TABLE commit_files (
    repo      TEXT    NOT NULL,
    sha       TEXT    NOT NULL,
    -- The path as git prints it.
    path      TEXT    NOT NULL,
    added     INTEGER NOT NULL,
    removed   INTEGER NOT NULL,
    -- 1 when git counted no lines (it printed -<TAB>-); added and removed
    -- are 0 then.
    is_binary INTEGER NOT NULL CHECK (is_binary IN (0, 1)),
    PRIMARY KEY (repo, sha, path)
) WITHOUT ROWID;
