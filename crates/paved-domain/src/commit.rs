//! A commit as pavedroad keeps it (DESIGN §3 "Commit"): repository, sha,
//! parents, author and committer with their times and offsets, message, and
//! the files it changed with lines added and removed.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::RepoId;

/// One commit of one repository. The same sha in two repositories (a fork, a
/// mirror) is two commits: the identity is `(repo, sha)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// The repository it was imported from.
    pub repo: RepoId,
    /// The full object id in lower-case hex (40 digits for SHA-1, 64 for
    /// SHA-256 repositories).
    pub sha: String,
    /// The parents' object ids, in git's order: none for a root commit, two
    /// or more for a merge (the first is the branch that was merged into).
    pub parents: Vec<String>,
    /// Who wrote the change, and when.
    pub author: CommitSignature,
    /// Who recorded the commit (rebased, cherry-picked, merged it), and when.
    pub committer: CommitSignature,
    /// The whole message, subject and body.
    pub message: String,
    /// The files the commit changed against its first parent (none for a
    /// merge that changed nothing of its own), as `git log --numstat` lists
    /// them.
    pub files: Vec<FileStat>,
}

/// A name, an email and a time, as git records them for the author and the
/// committer of a commit.
///
/// The time keeps the offset from UTC the person's clock had (`+05:30`,
/// `-08:00`): a local hour of the day means something to culture
/// diagnostics that the UTC instant alone does not. Note that `PartialEq`
/// of [`DateTime`] compares instants only; compare `time.offset()` too when
/// the offset matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSignature {
    /// The name as written in the commit.
    pub name: String,
    /// The email as written in the commit (not lower-cased: identity
    /// resolution compares emails case-insensitively itself).
    pub email: String,
    /// The time with the offset recorded in the commit. Git records whole
    /// seconds.
    pub time: DateTime<FixedOffset>,
}

/// What a commit changed in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStat {
    /// The path as git prints it, relative to the repository root.
    pub path: String,
    /// Lines added (0 for a binary file).
    pub added: u32,
    /// Lines removed (0 for a binary file).
    pub removed: u32,
    /// True when git counts no lines for the file (it printed `-\t-`); both
    /// counts are then 0.
    pub binary: bool,
}

impl Commit {
    /// Lines added over every file of the commit (binary files count 0).
    pub fn lines_added(&self) -> u64 {
        self.files.iter().map(|file| u64::from(file.added)).sum()
    }

    /// Lines removed over every file of the commit (binary files count 0).
    pub fn lines_removed(&self) -> u64 {
        self.files.iter().map(|file| u64::from(file.removed)).sum()
    }

    /// True when the commit has two or more parents.
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(time: &str) -> CommitSignature {
        CommitSignature {
            name: "Zoë Dupré".to_owned(),
            email: "zoe@example.com".to_owned(),
            time: DateTime::parse_from_rfc3339(time).expect("an RFC 3339 time"),
        }
    }

    fn commit(files: Vec<FileStat>) -> Commit {
        Commit {
            repo: RepoId::parse_url("github.com/acme/checkout").expect("a repository"),
            sha: "0123456789abcdef0123456789abcdef01234567".to_owned(),
            parents: vec!["89abcdef0123456789abcdef0123456789abcdef".to_owned()],
            author: signature("2025-03-14T09:26:53+05:30"),
            committer: signature("2025-03-14T12:00:00-08:00"),
            message: "Take payments in rupees\n\nBody.".to_owned(),
            files,
        }
    }

    fn file(path: &str, added: u32, removed: u32) -> FileStat {
        FileStat { path: path.to_owned(), added, removed, binary: false }
    }

    #[test]
    fn lines_are_summed_over_files_without_overflowing() {
        let logo = FileStat { path: "logo.png".to_owned(), added: 0, removed: 0, binary: true };
        let c = commit(vec![file("src/pay.rs", 10, 2), logo, file("README.md", 1, 0)]);
        assert_eq!((c.lines_added(), c.lines_removed()), (11, 2));
        assert!(!c.is_merge());

        let huge = commit(vec![file("a", u32::MAX, u32::MAX), file("b", u32::MAX, 1)]);
        assert_eq!(huge.lines_added(), 2 * u64::from(u32::MAX));
        assert_eq!(huge.lines_removed(), u64::from(u32::MAX) + 1);
        assert_eq!(commit(Vec::new()).lines_added(), 0);
    }

    #[test]
    fn serde_keeps_the_offsets_and_the_repository_as_text() {
        let c = commit(vec![file("src/pay.rs", 10, 2)]);
        let json = serde_json::to_value(&c).expect("a commit serialises");
        assert_eq!(json["repo"], "github.com/acme/checkout");
        assert_eq!(json["author"]["time"], "2025-03-14T09:26:53+05:30");
        assert_eq!(json["committer"]["time"], "2025-03-14T12:00:00-08:00");
        let back: Commit = serde_json::from_value(json).expect("it deserialises");
        assert_eq!(back, c);
        assert_eq!(back.author.time.offset().local_minus_utc(), 5 * 3600 + 30 * 60);
        assert_eq!(back.committer.time.offset().local_minus_utc(), -8 * 3600);
    }
}
