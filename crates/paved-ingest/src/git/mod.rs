//! Git history: every commit of a local repository (work tree or bare) with
//! its parents, author, committer, message and per-file lines added and
//! removed, equal to what `git log --all --numstat --no-renames` prints.
//!
//! ```no_run
//! use paved_ingest::git::{self, GitCommit, WalkOptions};
//!
//! let repo = git::open("/src/checkout".as_ref())?;
//! let identity = repo.identity(None)?; // from `origin`, e.g. github.com/acme/checkout
//! let mut commits: Vec<GitCommit> = Vec::new();
//! let outcome = repo.walk(&WalkOptions::default(), &mut commits, &mut |_progress| {})?;
//! // Store `outcome.tips`; pass them as `WalkOptions::hide` next time to read only new commits.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Pure Rust (gitoxide): no `git` process is started. Tree diffs without
//! rename detection, line counts with Myers' algorithm (git's default; a
//! configured `diff.algorithm` is ignored so that every machine counts the
//! same) over the blobs that changed, binary files detected as git does
//! (a NUL in the first 8,000 bytes, or the `binary`/`-diff` attributes of the
//! `.gitattributes` of the index, or of HEAD in a bare repository; git
//! itself reads no attributes in a bare one). The diffs run on a pool of threads
//! while one thread walks the history.

mod diff;
mod files;
mod record;
mod refs;
mod tree_diff;
mod walk;

use std::path::{Path, PathBuf};

use paved_domain::{RepoId, RepoIdError};

pub use files::TreeFile;
pub use record::{FileChange, GitCommit, GitTime, Signature};
pub use refs::{NOT_HISTORY, Tip};
pub use walk::{CommitSink, Progress, WalkError, WalkOptions, WalkOutcome};

/// Why a repository could not be opened, named or read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The path does not exist.
    #[error("{} does not exist", path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The path is a sub-directory of a work tree, not its top level.
    #[error("{} is inside the git work tree {}; pass {} instead", path.display(), top.display(), top.display())]
    InsideWorkTree {
        /// The path as given.
        path: PathBuf,
        /// The top-level directory of the work tree that contains it.
        top: PathBuf,
    },
    /// The path exists but holds no repository.
    #[error(
        "{} is not a git repository (no .git directory or bare repository found); pass the top-level directory of a work tree, its .git directory or a bare repository",
        path.display()
    )]
    NotARepository {
        /// The path as given.
        path: PathBuf,
    },
    /// The path looks like a repository but gitoxide could not open it.
    #[error("could not open the git repository at {}: {source}", path.display())]
    Open {
        /// The path as given.
        path: PathBuf,
        /// What gitoxide reported.
        #[source]
        source: gix::Error,
    },
    /// No `--repo` was given and the repository has no `origin` remote.
    #[error(
        "{} has no `origin` remote to name the repository by; pass --repo host/owner/name (e.g. --repo github.com/acme/checkout)",
        path.display()
    )]
    NoOrigin {
        /// The repository.
        path: PathBuf,
    },
    /// The `origin` remote does not name a hosted repository (e.g. a local
    /// path).
    #[error(
        "the `origin` remote of {} does not name a hosted repository ({source}); pass --repo host/owner/name (e.g. --repo github.com/acme/checkout)",
        path.display()
    )]
    OriginNotHosted {
        /// The repository.
        path: PathBuf,
        /// Why the remote's URL is not an identity; its message never
        /// contains credentials.
        #[source]
        source: RepoIdError,
    },
    /// The `--repo` value is not `host/owner/name`.
    #[error("--repo: {source}; {}", source.hint())]
    BadRepoOverride {
        /// Why.
        #[source]
        source: RepoIdError,
    },
    /// A commit id given to hide is not 40 hex digits.
    #[error("`{0}` is not a commit id (40 hex digits)")]
    BadSha(String),
    /// Reading an object or reference failed (a corrupt or incomplete
    /// repository, or an IO error).
    #[error("reading {what} in {}: {source}", path.display())]
    Read {
        /// The repository.
        path: PathBuf,
        /// What was being read, e.g. `commit 1a2b…`.
        what: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The walk was stopped through [`WalkOptions::interrupt`].
    #[error("the import of {} was interrupted", path.display())]
    Interrupted {
        /// The repository.
        path: PathBuf,
    },
}

impl GitError {
    fn read(path: &Path, what: impl Into<String>, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Read { path: path.to_owned(), what: what.into(), source: source.into() }
    }
}

/// An open repository. Cheap to share between threads: each walk opens its
/// own per-thread handles.
pub struct GitRepo {
    repo: gix::ThreadSafeRepository,
    path: PathBuf,
}

impl std::fmt::Debug for GitRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitRepo").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Opens the repository at `path`: the top-level directory of a work tree,
/// its `.git` directory, or a bare repository. A sub-directory of a work tree
/// is not searched upwards, so the path imported is the path named; the
/// error then names the work tree's top-level directory.
///
/// # Errors
/// [`GitError::NotFound`] if the path does not exist,
/// [`GitError::InsideWorkTree`] if it is a sub-directory (or a file) of a
/// work tree, [`GitError::NotARepository`] if it holds no repository, and
/// [`GitError::Open`] if it does but cannot be opened.
pub fn open(path: &Path) -> Result<GitRepo, GitError> {
    if !path.exists() {
        return Err(GitError::NotFound { path: path.to_owned() });
    }
    if !looks_like_repository(path) {
        if let Some(top) = enclosing_work_tree(path) {
            return Err(GitError::InsideWorkTree { path: path.to_owned(), top });
        }
        return Err(GitError::NotARepository { path: path.to_owned() });
    }
    let repo =
        gix::ThreadSafeRepository::open(path).map_err(|source| GitError::Open { path: path.to_owned(), source })?;
    Ok(GitRepo { repo, path: path.to_owned() })
}

/// The nearest parent directory of `path` that is the top of a work tree
/// (has a `.git`), if any.
fn enclosing_work_tree(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    absolute.parent()?.ancestors().find(|dir| dir.join(".git").exists()).map(Path::to_path_buf)
}

/// A work tree (`.git` directory or file, for linked work trees and
/// submodules), or a git directory itself (`HEAD` plus `objects/`).
fn looks_like_repository(path: &Path) -> bool {
    let is_git_dir = |dir: &Path| dir.join("HEAD").is_file() && dir.join("objects").is_dir();
    path.join(".git").exists() || is_git_dir(path)
}

impl GitRepo {
    /// The path the repository was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `true` for a bare repository (no work tree).
    pub fn is_bare(&self) -> bool {
        self.repo.to_thread_local().is_bare()
    }

    /// `true` for a shallow clone (`git clone --depth`, a `shallow` file in
    /// the git directory). Its boundary commits are read without their
    /// parents, so their diffs are against the empty tree (every file added),
    /// and a later `git fetch --unshallow` does not repair what was stored
    /// from them: callers that store history should refuse shallow clones.
    pub fn is_shallow(&self) -> bool {
        let repo = self.repo.to_thread_local();
        // gitoxide fails only when a configured shallow-file path is not a
        // native path; then git's default place decides.
        repo.is_shallow()
            .unwrap_or_else(|_| repo.git_dir().join("shallow").metadata().is_ok_and(|m| m.is_file() && m.len() > 0))
    }

    /// The repository's identity (DESIGN §5): `repo_override` (the CLI's
    /// `--repo`) when given, else the `origin` remote normalised with
    /// [`RepoId::parse_url`].
    ///
    /// # Errors
    /// [`GitError::BadRepoOverride`] when the override is not
    /// `host/owner/name`; [`GitError::NoOrigin`] or
    /// [`GitError::OriginNotHosted`] when there is no override and `origin`
    /// is missing or is not a hosted repository (both tell the user to pass
    /// `--repo host/owner/name`).
    pub fn identity(&self, repo_override: Option<&str>) -> Result<RepoId, GitError> {
        if let Some(value) = repo_override {
            return RepoId::parse_url(value).map_err(|source| GitError::BadRepoOverride { source });
        }
        let repo = self.repo.to_thread_local();
        let config = repo.config_snapshot();
        let Some(url) = config.string("remote.origin.url") else {
            return Err(GitError::NoOrigin { path: self.path.clone() });
        };
        RepoId::parse_url(&String::from_utf8_lossy(url.as_ref()))
            .map_err(|source| GitError::OriginNotHosted { path: self.path.clone(), source })
    }

    /// The commits the refs matching `patterns` point to (tags peeled),
    /// sorted by reference name. With no patterns, every reference and `HEAD`
    /// (what `git rev-list --all` starts from) except `refs/stash`,
    /// `refs/notes/*`, `refs/original/*` and `refs/replace/*`: stash, notes,
    /// `filter-branch` backup and replacement commits are not the project's
    /// history (what `git rev-list --exclude=refs/stash
    /// --exclude='refs/notes/*' --exclude='refs/original/*'
    /// --exclude='refs/replace/*' --all` starts from). Patterns naming them
    /// still select them. References to objects that are not commits, and
    /// broken ones, are skipped, as git does.
    ///
    /// A pattern starting with `refs/` is matched against the full reference
    /// name: with `*`, `?` or `[` as a glob (`refs/heads/*`, `*` also
    /// matching `/`, like `git log --glob`), without as a reference name or a
    /// prefix of names (`refs/heads` and `refs/heads/` select every branch).
    /// Any other pattern is a short name, as git resolves them: `main` or
    /// `v1.0` selects `refs/heads/<p>`, `refs/tags/<p>`, `refs/remotes/<p>`
    /// or a reference named exactly `<p>` (`HEAD` selects `HEAD`); a short
    /// glob such as `release/*` is matched the same ways.
    ///
    /// # Errors
    /// [`GitError::Read`] when the references cannot be listed.
    pub fn tips(&self, patterns: &[String]) -> Result<Vec<Tip>, GitError> {
        refs::tips(&self.repo.to_thread_local(), &self.path, patterns)
    }
}
