-- Repositories imported from git, their commits, and the files each commit
-- changed (DESIGN §3 "Commit"). Commit times are integer Unix seconds with
-- the offset from UTC in seconds beside them: git records whole seconds, the
-- integers are compact, and they are the same on both backends.
--
-- These tables grow to millions of rows, so rows are lean: no foreign keys
-- (the store writes a commit and its files in one transaction, and never
-- files without their commit; a foreign key would cost a lookup per row),
-- fixed-width columns first so that no padding sits between them, and text
-- that is sorted or compared in the "C" collation, so that PostgreSQL orders
-- (and lower-cases) exactly as SQLite does.

CREATE TABLE repositories (
    -- RepoId: host/owner/name, e.g. github.com/acme/checkout.
    repo        text COLLATE "C" NOT NULL PRIMARY KEY,
    -- Where the last import read the repository from (a local path).
    source_path text        NOT NULL,
    -- The ref tips the last complete import reached:
    -- [{"reference": "refs/heads/main", "sha": "..."}]. Saved only after
    -- every batch of the import committed.
    tips        json        NOT NULL,
    imported_at timestamptz NOT NULL,
    -- How many commits the last import counted.
    commits     bigint      NOT NULL
);

CREATE TABLE commits (
    author_time              bigint  NOT NULL,
    committer_time           bigint  NOT NULL,
    author_offset_seconds    integer NOT NULL,
    committer_offset_seconds integer NOT NULL,
    -- Totals over the commit's rows in commit_files, kept here so that
    -- metrics need not read the files.
    files_changed            integer NOT NULL,
    lines_added              integer NOT NULL,
    lines_removed            integer NOT NULL,
    repo                     text COLLATE "C" NOT NULL,
    -- Lower-case hex object id.
    sha                      text COLLATE "C" NOT NULL,
    -- The parents' ids in git's order, separated by single spaces ('' for a
    -- root commit).
    parents                  text    NOT NULL,
    author_name              text    NOT NULL,
    author_email             text COLLATE "C" NOT NULL,
    committer_name           text    NOT NULL,
    committer_email          text COLLATE "C" NOT NULL,
    message                  text    NOT NULL,
    PRIMARY KEY (repo, sha)
);

-- A repository's history in time order.
CREATE INDEX commits_by_committer_time ON commits (repo, committer_time);
-- Identity resolution: emails compare case-insensitively. On a "C" collated
-- column lower() folds ASCII only, as SQLite's does.
CREATE INDEX commits_by_author_email ON commits (lower(author_email));

CREATE TABLE commit_files (
    added     integer NOT NULL,
    removed   integer NOT NULL,
    -- True when git counted no lines (it printed -<TAB>-); added and removed
    -- are 0 then.
    is_binary boolean NOT NULL,
    repo      text COLLATE "C" NOT NULL,
    sha       text COLLATE "C" NOT NULL,
    -- The path as git prints it.
    path      text COLLATE "C" NOT NULL,
    PRIMARY KEY (repo, sha, path)
);
