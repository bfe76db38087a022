//! What the reader produces for each commit.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use paved_domain::{Commit, CommitSignature, FileStat, RepoId};

/// One commit as read from the repository, with its file statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCommit {
    /// The commit id, 40 lower-case hex digits.
    pub sha: String,
    /// The parent ids in order (first parent first); empty for a root
    /// commit and for the boundary commits of a shallow clone (as `git log`
    /// shows them).
    pub parents: Vec<String>,
    /// Who wrote the change, and when.
    pub author: Signature,
    /// Who made the commit, and when (the time DORA's lead time starts from).
    pub committer: Signature,
    /// The full message as stored (subject, blank line, body), normally with
    /// its trailing newline. Bytes that are not UTF-8 are replaced with
    /// U+FFFD; an `encoding` header is not honoured.
    pub message: String,
    /// The files this commit changed against its first parent (the root
    /// commit against the empty tree), in path order — what
    /// `git log --numstat --no-renames` prints for it:
    ///
    /// - **Merge commits have no files**, like `git log`, which prints no
    ///   diff for merges by default: their changes are counted on the commits
    ///   that were merged.
    /// - **No rename detection**: a rename is a deletion of the old path and
    ///   an addition of the new one (`--no-renames`).
    /// - A mode change alone is a file with 0 added and 0 removed.
    /// - A submodule (gitlink) counts as one line `Subproject commit <sha>`.
    /// - Lines are counted with Myers' algorithm, git's default, even where
    ///   `diff.algorithm` says otherwise.
    pub files: Vec<FileChange>,
}

impl GitCommit {
    /// The commit as pavedroad stores it, attributed to `repo` (usually
    /// [`GitRepo::identity`](super::GitRepo::identity)).
    ///
    /// Times become `DateTime<FixedOffset>` (see [`GitTime::to_datetime`]);
    /// a timestamp outside chrono's range, which no real commit has, becomes
    /// the Unix epoch.
    pub fn into_commit(self, repo: &RepoId) -> Commit {
        Commit {
            repo: repo.clone(),
            sha: self.sha,
            parents: self.parents,
            author: self.author.into_domain(),
            committer: self.committer.into_domain(),
            message: self.message,
            files: self
                .files
                .into_iter()
                .map(|f| FileStat { path: f.path, added: f.added, removed: f.removed, binary: f.binary })
                .collect(),
        }
    }
}

impl Signature {
    fn into_domain(self) -> CommitSignature {
        let time = self.time.to_datetime().unwrap_or_else(|| DateTime::UNIX_EPOCH.fixed_offset());
        CommitSignature { name: self.name, email: self.email, time }
    }
}

/// A person and a moment, from a commit's `author` or `committer` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The name as written, trimmed.
    pub name: String,
    /// The e-mail address as written, trimmed, without `<>`; not lower-cased
    /// (identity resolution decides how to compare addresses).
    pub email: String,
    /// When, with the UTC offset the committer's clock had.
    pub time: GitTime,
}

/// A git timestamp: seconds since the Unix epoch plus the UTC offset it was
/// written with (`+0530` is 19,800 seconds, `-0800` is -28,800).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GitTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub seconds: i64,
    /// The offset from UTC in seconds, east positive.
    pub offset_seconds: i32,
}

impl GitTime {
    /// The time as a `chrono` date-time in its own offset. An offset outside
    /// ±24 h (possible in hand-made commits) is replaced by UTC; `None` only
    /// for timestamps outside chrono's range.
    pub fn to_datetime(self) -> Option<DateTime<FixedOffset>> {
        let utc = Utc.timestamp_opt(self.seconds, 0).single()?;
        let offset =
            FixedOffset::east_opt(self.offset_seconds).unwrap_or_else(|| FixedOffset::east_opt(0).expect("0 is valid"));
        Some(utc.with_timezone(&offset))
    }
}

/// One file's line statistics in a commit, one line of `git log --numstat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The path from the repository root, `/`-separated. Bytes that are not
    /// UTF-8 are replaced with U+FFFD (git would print them quoted).
    pub path: String,
    /// Lines added; 0 when `binary`.
    pub added: u32,
    /// Lines removed; 0 when `binary`.
    pub removed: u32,
    /// Git considers the file binary on either side (a NUL byte in its first
    /// 8,000 bytes, or the `binary` / `-diff` attribute): git prints `-\t-`
    /// instead of counts, and so there are none here.
    pub binary: bool,
}
