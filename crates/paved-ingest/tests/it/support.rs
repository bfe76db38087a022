//! Building repositories with the git CLI, and reading git's own answers to
//! compare with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use paved_ingest::git::{self, GitCommit, WalkOptions};

/// Runs git in `dir` with a configuration that ignores the machine's, and
/// returns its standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_with_env(dir, args, &[])
}

pub fn git_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(["-c", "init.defaultBranch=main", "-c", "core.quotePath=false", "-c", "commit.gpgSign=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .envs(env.iter().copied())
        .output()
        .expect("git runs (the tests need the git CLI)");
    assert!(
        output.status.success(),
        "git {args:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("git prints UTF-8 here")
}

/// Who and when, for [`commit`].
pub struct Who<'a> {
    pub name: &'a str,
    pub email: &'a str,
    /// ISO 8601 with offset, e.g. `2024-03-01T09:00:00+05:30`.
    pub date: &'a str,
}

/// Commits what is staged (`extra` are more `git commit` arguments) and
/// returns the new commit's sha.
pub fn commit(dir: &Path, message: &str, author: &Who<'_>, committer: &Who<'_>, extra: &[&str]) -> String {
    let mut args = vec!["commit", "-q", "-m", message];
    args.extend_from_slice(extra);
    git_with_env(
        dir,
        &args,
        &[
            ("GIT_AUTHOR_NAME", author.name),
            ("GIT_AUTHOR_EMAIL", author.email),
            ("GIT_AUTHOR_DATE", author.date),
            ("GIT_COMMITTER_NAME", committer.name),
            ("GIT_COMMITTER_EMAIL", committer.email),
            ("GIT_COMMITTER_DATE", committer.date),
        ],
    );
    head(dir)
}

pub fn head(dir: &Path) -> String {
    git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

pub fn write(dir: &Path, path: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, contents).expect("write");
}

/// `git log --all --numstat --no-renames --format=%H` (less the references
/// the default walk leaves out: stash, notes, backups, replacements), parsed: per commit,
/// `(added, removed, path)` with `None` counts for binary files.
pub type Numstat = HashMap<String, Vec<(Option<u32>, Option<u32>, String)>>;

/// Runs git `command` over what the default walk reads: `--all` less the
/// references that are not history ([`git::NOT_HISTORY`]).
fn git_over_default_refs(dir: &Path, command: &str, options: &[&str]) -> String {
    let excludes: Vec<String> = git::NOT_HISTORY.iter().map(|r| format!("--exclude={r}")).collect();
    let mut args = vec![command];
    args.extend(excludes.iter().map(String::as_str));
    args.push("--all");
    args.extend(options);
    git(dir, &args)
}

/// `git rev-list --count` over what the default walk reads.
pub fn default_rev_list_count(dir: &Path) -> String {
    git_over_default_refs(dir, "rev-list", &["--count"])
}

pub fn git_numstat(dir: &Path) -> Numstat {
    let text = git_over_default_refs(dir, "log", &["--numstat", "--no-renames", "--format=%H"]);
    let mut out: Numstat = HashMap::new();
    let mut current = None;
    for line in text.lines().filter(|line| !line.is_empty()) {
        let parts: Vec<&str> = line.splitn(3, '\t').collect();
        match parts.as_slice() {
            [sha] => {
                out.entry((*sha).to_owned()).or_default();
                current = Some((*sha).to_owned());
            }
            [added, removed, path] => {
                let sha = current.clone().expect("a commit line first");
                out.get_mut(&sha).expect("seen").push((added.parse().ok(), removed.parse().ok(), (*path).to_owned()));
            }
            _ => panic!("unexpected git log line {line:?}"),
        }
    }
    out
}

/// Our records in the same shape as [`git_numstat`].
pub fn our_numstat(commits: &[GitCommit]) -> Numstat {
    commits
        .iter()
        .map(|commit| {
            let files = commit
                .files
                .iter()
                .map(|f| {
                    if f.binary {
                        (None, None, f.path.clone())
                    } else {
                        (Some(f.added), Some(f.removed), f.path.clone())
                    }
                })
                .collect();
            (commit.sha.clone(), files)
        })
        .collect()
}

/// Every commit of the repository at `dir`, with default options.
pub fn walk_all(dir: &Path) -> Vec<GitCommit> {
    let repo = git::open(dir).expect("the repository opens");
    let mut commits = Vec::new();
    repo.walk(&WalkOptions::default(), &mut commits, &mut |_| {}).expect("the walk succeeds");
    commits
}

/// A fresh empty repository in a temporary directory.
pub fn new_repo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let dir = tmp.path().join("work");
    std::fs::create_dir(&dir).expect("mkdir");
    git(&dir, &["init", "-q"]);
    (tmp, dir)
}
