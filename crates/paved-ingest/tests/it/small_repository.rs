//! Exact records on a small repository with every kind of change.

use std::path::{Path, PathBuf};

use paved_ingest::git::{self, FileChange, GitCommit, GitTime, WalkOptions};

use crate::support::{Who, commit, git, git_numstat, new_repo, our_numstat, walk_all, write};

const ASHA: Who<'static> = Who { name: "Asha Rao", email: "asha@example.com", date: "2024-03-01T09:15:00+05:30" };
const BOB: Who<'static> = Who { name: "Bob Lee", email: "Bob.Lee@Example.com", date: "2024-03-01T18:40:00-08:00" };

/// The shas of the commits [`build`] made, by role.
pub struct Shas {
    pub root: String,
    pub modify: String,
    pub feature: String,
    pub tagged_only: String,
    pub rename: String,
    pub merge: String,
    pub delete_binary: String,
    pub empty: String,
}

fn at(who: &Who<'static>, date: &'static str) -> Who<'static> {
    Who { date, ..*who }
}

/// Builds the repository: a root commit with a binary file, a modification
/// by someone in another time zone, a side branch merged with a merge
/// commit, a commit reachable only from a tag, a rename, a deletion of the
/// binary file, and an empty commit.
pub fn build() -> (tempfile::TempDir, PathBuf, Shas) {
    let (tmp, dir) = new_repo();
    write(&dir, "README.md", "# Checkout\n\nTakes payments.\n");
    write(&dir, "src/lib.rs", "fn main() {\n    pay();\n}\n\nfn pay() {}\n");
    write(&dir, "logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    git(&dir, &["add", "-A"]);
    let root = commit(&dir, "Initial commit", &ASHA, &ASHA, &[]);

    write(&dir, "src/lib.rs", "fn main() {\n    pay(100);\n}\n\nfn pay(amount: u32) {}\n\nfn refund() {}\n");
    write(&dir, "logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\x01");
    git(&dir, &["add", "-A"]);
    let modify = commit(
        &dir,
        "Take amounts\n\nPayments carry an amount in cents.\nRefunds come next.\n",
        &at(&BOB, "2024-03-02T08:00:00-08:00"),
        &at(&ASHA, "2024-03-02T22:00:00+05:30"),
        &[],
    );

    git(&dir, &["checkout", "-q", "-b", "feature"]);
    write(&dir, "docs/guide.md", "# Guide\n\n1. Pay\n2. Refund\n");
    git(&dir, &["add", "-A"]);
    let feature = commit(
        &dir,
        "Write a guide",
        &at(&ASHA, "2024-03-03T10:00:00+05:30"),
        &at(&ASHA, "2024-03-03T10:00:00+05:30"),
        &[],
    );

    // A commit only a tag reaches: its branch is deleted after tagging.
    git(&dir, &["checkout", "-q", "-b", "spike"]);
    write(&dir, "spike.txt", "try\nthings\n");
    git(&dir, &["add", "-A"]);
    let tagged_only =
        commit(&dir, "Spike", &at(&BOB, "2024-03-03T12:00:00-08:00"), &at(&BOB, "2024-03-03T12:00:00-08:00"), &[]);
    git(&dir, &["tag", "-a", "-m", "spike release", "v0.1-spike"]);
    git(&dir, &["checkout", "-q", "main"]);
    git(&dir, &["branch", "-q", "-D", "spike"]);

    git(&dir, &["mv", "src/lib.rs", "src/core.rs"]);
    let rename = commit(
        &dir,
        "Rename lib to core",
        &at(&BOB, "2024-03-04T09:00:00-08:00"),
        &at(&BOB, "2024-03-04T09:00:00-08:00"),
        &[],
    );

    git_merge(&dir, "feature", "2024-03-05T09:00:00+05:30");
    let merge = crate::support::head(&dir);

    git(&dir, &["rm", "-q", "logo.png"]);
    let delete_binary = commit(
        &dir,
        "Drop the logo",
        &at(&ASHA, "2024-03-06T09:00:00+05:30"),
        &at(&ASHA, "2024-03-06T09:00:00+05:30"),
        &[],
    );

    let empty = commit(
        &dir,
        "Trigger a deploy",
        &at(&ASHA, "2024-03-07T09:00:00+05:30"),
        &at(&ASHA, "2024-03-07T09:00:00+05:30"),
        &["--allow-empty"],
    );
    (tmp, dir, Shas { root, modify, feature, tagged_only, rename, merge, delete_binary, empty })
}

fn git_merge(dir: &Path, branch: &str, date: &str) {
    crate::support::git_with_env(
        dir,
        &["merge", "-q", "--no-ff", "-m", &format!("Merge branch '{branch}'"), branch],
        &[("GIT_AUTHOR_DATE", date), ("GIT_COMMITTER_DATE", date)],
    );
}

fn file(path: &str, added: u32, removed: u32) -> FileChange {
    FileChange { path: path.to_owned(), added, removed, binary: false }
}

fn binary(path: &str) -> FileChange {
    FileChange { path: path.to_owned(), added: 0, removed: 0, binary: true }
}

fn find<'a>(commits: &'a [GitCommit], sha: &str) -> &'a GitCommit {
    commits.iter().find(|c| c.sha == sha).unwrap_or_else(|| panic!("commit {sha} was read"))
}

#[test]
fn every_commit_is_read_with_exact_records() {
    let (_tmp, dir, shas) = build();
    let commits = walk_all(&dir);
    assert_eq!(commits.len(), 8, "{commits:#?}");

    let root = find(&commits, &shas.root);
    assert!(root.parents.is_empty());
    assert_eq!(root.author.name, "Asha Rao");
    assert_eq!(root.author.email, "asha@example.com");
    assert_eq!(root.author.time, GitTime { seconds: 1_709_264_700, offset_seconds: 19_800 });
    assert_eq!(root.message, "Initial commit\n");
    assert_eq!(root.files, vec![file("README.md", 3, 0), binary("logo.png"), file("src/lib.rs", 5, 0)]);

    let modify = find(&commits, &shas.modify);
    assert_eq!(modify.parents, vec![shas.root.clone()]);
    assert_eq!((modify.author.name.as_str(), modify.author.email.as_str()), ("Bob Lee", "Bob.Lee@Example.com"));
    assert_eq!(modify.author.time, GitTime { seconds: 1_709_395_200, offset_seconds: -28_800 });
    assert_eq!(modify.committer.name, "Asha Rao");
    assert_eq!(modify.committer.time, GitTime { seconds: 1_709_397_000, offset_seconds: 19_800 });
    let local = modify.author.time.to_datetime().expect("in range");
    assert_eq!(local.to_rfc3339(), "2024-03-02T08:00:00-08:00");
    assert_eq!(modify.message, "Take amounts\n\nPayments carry an amount in cents.\nRefunds come next.\n");
    assert_eq!(modify.files, vec![binary("logo.png"), file("src/lib.rs", 4, 2)]);
    let stored = modify.clone().into_commit(&paved_domain::RepoId::parse_url("github.com/acme/checkout").unwrap());
    assert_eq!(stored.repo.as_str(), "github.com/acme/checkout");
    assert_eq!(stored.author.time.to_rfc3339(), "2024-03-02T08:00:00-08:00");
    assert_eq!(stored.committer.time.to_rfc3339(), "2024-03-02T22:00:00+05:30");
    assert_eq!((stored.lines_added(), stored.lines_removed(), stored.files.len()), (4, 2, 2));

    let tagged_only = find(&commits, &shas.tagged_only);
    assert_eq!(tagged_only.parents, vec![shas.feature.clone()]);
    assert_eq!(tagged_only.files, vec![file("spike.txt", 2, 0)]);

    // No rename detection: a deletion and an addition, as `--no-renames`.
    let rename = find(&commits, &shas.rename);
    assert_eq!(rename.files, vec![file("src/core.rs", 7, 0), file("src/lib.rs", 0, 7)]);

    // Merges have no files, as `git log` prints none for them.
    let merge = find(&commits, &shas.merge);
    assert_eq!(merge.parents, vec![shas.rename.clone(), shas.feature.clone()]);
    assert!(merge.files.is_empty());
    assert_eq!(merge.message, "Merge branch 'feature'\n");

    assert_eq!(find(&commits, &shas.delete_binary).files, vec![binary("logo.png")]);
    let empty = find(&commits, &shas.empty);
    assert!(empty.files.is_empty());
    assert_eq!(empty.parents, vec![shas.delete_binary.clone()]);
}

#[test]
fn files_equal_git_log_numstat_for_every_commit() {
    let (_tmp, dir, _) = build();
    assert_eq!(our_numstat(&walk_all(&dir)), git_numstat(&dir));
}

#[test]
fn the_order_is_stable_and_newest_first() {
    let (_tmp, dir, shas) = build();
    let first = walk_all(&dir);
    let second = walk_all(&dir);
    assert_eq!(first, second);
    assert_eq!(first.first().map(|c| c.sha.as_str()), Some(shas.empty.as_str()));
    assert_eq!(first.last().map(|c| c.sha.as_str()), Some(shas.root.as_str()));
    // One thread or many: the same order.
    let repo = git::open(&dir).unwrap();
    let mut single = Vec::new();
    let options = WalkOptions { threads: std::num::NonZeroUsize::new(1), batch_size: 3, ..WalkOptions::default() };
    repo.walk(&options, &mut single, &mut |_| {}).unwrap();
    assert_eq!(single, first);
}

#[test]
fn ref_patterns_select_where_the_walk_starts() {
    let (_tmp, dir, shas) = build();
    let repo = git::open(&dir).unwrap();
    let tips = repo.tips(&[]).unwrap();
    let names: Vec<&str> = tips.iter().map(|t| t.reference.as_str()).collect();
    assert_eq!(names, ["HEAD", "refs/heads/feature", "refs/heads/main", "refs/tags/v0.1-spike"]);
    // The annotated tag is peeled to its commit.
    assert_eq!(tips[3].sha, shas.tagged_only);

    let mut branches_only = Vec::new();
    let options = WalkOptions { refs: vec!["refs/heads/*".to_owned()], ..WalkOptions::default() };
    let outcome = repo.walk(&options, &mut branches_only, &mut |_| {}).unwrap();
    assert_eq!(outcome.commits, 7);
    assert!(branches_only.iter().all(|c| c.sha != shas.tagged_only));
    assert_eq!(outcome.tips.len(), 2);
}

#[test]
fn batches_and_progress_reach_the_caller() {
    struct Batches(Vec<usize>);
    impl git::CommitSink for Batches {
        type Error = std::convert::Infallible;
        fn push(&mut self, batch: Vec<GitCommit>) -> Result<(), Self::Error> {
            self.0.push(batch.len());
            Ok(())
        }
    }
    let (_tmp, dir, _) = build();
    let repo = git::open(&dir).unwrap();
    let mut batches = Batches(Vec::new());
    let mut reports = Vec::new();
    let options = WalkOptions { batch_size: 3, ..WalkOptions::default() };
    let outcome = repo.walk(&options, &mut batches, &mut |p| reports.push(p)).unwrap();
    assert_eq!(batches.0, vec![3, 3, 2]);
    assert_eq!(outcome.commits, 8);
    let last = reports.last().expect("progress was reported");
    assert_eq!((last.commits_done, last.commits_total), (8, Some(8)));
    assert!(reports.windows(2).all(|w| w[0].commits_done <= w[1].commits_done));
}

#[test]
fn a_failing_sink_stops_the_walk_with_its_error() {
    struct Refuse(usize);
    impl git::CommitSink for Refuse {
        type Error = std::io::Error;
        fn push(&mut self, _batch: Vec<GitCommit>) -> Result<(), Self::Error> {
            self.0 += 1;
            Err(std::io::Error::other("disk full"))
        }
    }
    let (_tmp, dir, _) = build();
    let repo = git::open(&dir).unwrap();
    let mut sink = Refuse(0);
    let options = WalkOptions { batch_size: 2, ..WalkOptions::default() };
    let err = repo.walk(&options, &mut sink, &mut |_| {}).unwrap_err();
    assert!(matches!(&err, git::WalkError::Sink(e) if e.to_string() == "disk full"), "{err:?}");
    assert_eq!(sink.0, 1, "no batch is pushed after a refusal");
}

#[test]
fn an_interrupted_walk_says_so() {
    let (_tmp, dir, _) = build();
    let repo = git::open(&dir).unwrap();
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let options = WalkOptions { interrupt: Some(flag), ..WalkOptions::default() };
    let err = repo.walk(&options, &mut Vec::new(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("interrupted"), "{err}");
}

#[test]
fn a_bare_clone_gives_the_same_commits_as_its_work_tree() {
    let (tmp, dir, _) = build();
    let bare = tmp.path().join("bare.git");
    git(tmp.path(), &["clone", "-q", "--bare", dir.to_str().unwrap(), bare.to_str().unwrap()]);
    let repo = git::open(&bare).unwrap();
    assert!(repo.is_bare());
    assert_eq!(walk_all(&bare), walk_all(&dir));
    // The work tree's .git directory opens too.
    assert_eq!(walk_all(&dir.join(".git")), walk_all(&dir));
}

#[test]
fn modes_symlinks_submodules_and_newlines_count_like_git() {
    let (tmp, dir) = new_repo();
    write(&dir, "run.sh", "echo hi\n");
    write(&dir, "no-newline.txt", "last line");
    write(&dir, "crlf.txt", "a\r\nb\r\n");
    write(&dir, "empty.txt", "");
    git(&dir, &["add", "-A"]);
    commit(&dir, "one", &ASHA, &ASHA, &[]);

    git(&dir, &["update-index", "--chmod=+x", "run.sh"]);
    write(&dir, "no-newline.txt", "last line\n");
    write(&dir, "crlf.txt", "a\nb\r\n");
    std::os::unix::fs::symlink("run.sh", dir.join("link")).unwrap();
    std::fs::remove_file(dir.join("empty.txt")).unwrap();
    git(&dir, &["add", "-A"]);
    commit(&dir, "two", &ASHA, &ASHA, &[]);

    // A file that becomes a symbolic link, a directory that becomes a file,
    // and a submodule (gitlink) added by its commit id.
    std::fs::remove_file(dir.join("no-newline.txt")).unwrap();
    std::os::unix::fs::symlink("crlf.txt", dir.join("no-newline.txt")).unwrap();
    write(&dir, "dir/inner.txt", "x\n");
    git(&dir, &["add", "-A"]);
    let sub = tmp.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    git(&sub, &["init", "-q"]);
    write(&sub, "s.txt", "s\n");
    git(&sub, &["add", "-A"]);
    let sub_head = commit(&sub, "sub", &ASHA, &ASHA, &[]);
    git(&dir, &["update-index", "--add", "--cacheinfo", &format!("160000,{sub_head},vendor/sub")]);
    commit(&dir, "three", &ASHA, &ASHA, &[]);

    git(&dir, &["rm", "-q", "-r", "dir"]);
    write(&dir, "dir", "now a file\n");
    git(&dir, &["add", "-A"]);
    git(&dir, &["update-index", "--add", "--cacheinfo", &format!("160000,{},vendor/sub", "1".repeat(40))]);
    commit(&dir, "four", &ASHA, &ASHA, &[]);

    git(&dir, &["rm", "-q", "--cached", "vendor/sub"]);
    commit(&dir, "five", &ASHA, &ASHA, &[]);

    assert_eq!(our_numstat(&walk_all(&dir)), git_numstat(&dir));
}

#[test]
fn a_commit_with_a_malformed_signature_is_still_read() {
    let (_tmp, dir, shas) = build();
    let tree = git(&dir, &["rev-parse", &format!("{}^{{tree}}", shas.empty)]).trim().to_owned();
    let object = format!(
        "tree {tree}\nparent {}\nauthor Broken Name <<broken@example.com>> 1700000000 +5\ncommitter Fine <fine@example.com> 1700000000 +0000\n\nHand-made\n",
        shas.empty
    );
    let path = dir.join("object.txt");
    std::fs::write(&path, object).unwrap();
    let sha =
        git(&dir, &["hash-object", "-t", "commit", "-w", "--literally", path.to_str().unwrap()]).trim().to_owned();
    std::fs::remove_file(&path).unwrap();
    git(&dir, &["update-ref", "refs/heads/broken", &sha]);

    let commits = walk_all(&dir);
    let broken = find(&commits, &sha);
    assert_eq!((broken.author.name.as_str(), broken.author.email.as_str()), ("Broken Name", "broken@example.com"));
    assert_eq!((broken.author.time.seconds, broken.committer.time.seconds), (1_700_000_000, 1_700_000_000));
    assert!(broken.files.is_empty());
    assert_eq!(our_numstat(&commits), git_numstat(&dir));
}
