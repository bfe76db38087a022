//! The acceptance check: on pavedroad's own repository, the same commits as
//! `git rev-list --all` (less stashes, notes, backups and replacements, which
//! the default walk leaves out) and the same per-commit line totals as
//! `git log --all --numstat --no-renames`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::support::{Numstat, default_rev_list_count, git_numstat, our_numstat, walk_all};

fn this_repository() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().ok()?;
    root.join(".git").exists().then_some(root)
}

fn totals(numstat: &Numstat) -> HashMap<String, (u64, u64, usize)> {
    numstat
        .iter()
        .map(|(sha, files)| {
            let added = files.iter().map(|f| u64::from(f.0.unwrap_or(0))).sum();
            let removed = files.iter().map(|f| u64::from(f.1.unwrap_or(0))).sum();
            (sha.clone(), (added, removed, files.len()))
        })
        .collect()
}

#[test]
fn this_repository_matches_git_rev_list_and_git_log_numstat() {
    let Some(root) = this_repository() else {
        eprintln!("SKIPPED this_repository_matches_git: {} is not a git work tree", env!("CARGO_MANIFEST_DIR"));
        return;
    };
    // People commit to this repository while tests run: compare against
    // git's answers from just before and just after our walk, and retry if
    // the history moved in between.
    for attempt in 1..=3 {
        let count_before = default_rev_list_count(&root);
        let numstat_before = git_numstat(&root);
        let ours = walk_all(&root);
        let count_after = default_rev_list_count(&root);
        if count_before != count_after || numstat_before != git_numstat(&root) {
            eprintln!("the history of {} moved during attempt {attempt}; retrying", root.display());
            continue;
        }
        let count: usize = count_before.trim().parse().unwrap();
        assert_eq!(ours.len(), count, "commits read vs git rev-list --exclude=… --all --count");
        assert_eq!(totals(&our_numstat(&ours)), totals(&numstat_before));
        assert_eq!(our_numstat(&ours), numstat_before, "file by file");
        return;
    }
    panic!("the history of {} kept moving", root.display());
}
