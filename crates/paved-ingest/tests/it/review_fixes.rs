//! Shallow clones, paths that are not UTF-8, NULs in messages, the default
//! references, short reference names and sub-directories of work trees.

use std::process::Command;

use paved_ingest::git::{self, GitError, WalkOptions};

use crate::support::{default_rev_list_count, git, head, new_repo, walk_all, write};

fn commit_all(dir: &std::path::Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    head(dir)
}

#[test]
fn a_shallow_clone_says_so() {
    let (tmp, dir) = new_repo();
    for n in 0..3 {
        write(&dir, "file.txt", format!("{n}\n"));
        commit_all(&dir, &format!("commit {n}"));
    }
    assert!(!git::open(&dir).unwrap().is_shallow());
    let url = format!("file://{}", dir.display());
    let clone = tmp.path().join("shallow");
    git(tmp.path(), &["clone", "-q", "--depth", "2", &url, clone.to_str().unwrap()]);
    let repo = git::open(&clone).unwrap();
    assert!(repo.is_shallow());
    assert_eq!(walk_all(&clone).len(), 2);
}

#[cfg(unix)]
#[test]
fn paths_that_are_not_utf8_stay_distinct() {
    use std::os::unix::ffi::OsStrExt;
    let (_tmp, dir) = new_repo();
    for name in [&b"\xff.txt"[..], &b"\xfe.txt"[..]] {
        std::fs::write(dir.join(std::ffi::OsStr::from_bytes(name)), "one line\n").unwrap();
    }
    let sha = commit_all(&dir, "Add two files with Latin-1 names");
    let commits = walk_all(&dir);
    let commit = commits.iter().find(|c| c.sha == sha).unwrap();
    let paths: Vec<&str> = commit.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["\\xfe.txt", "\\xff.txt"]);
    assert!(commit.files.iter().all(|f| f.added == 1 && f.removed == 0 && !f.binary));
}

#[test]
fn a_message_with_a_nul_is_read_without_it() {
    let (tmp, dir) = new_repo();
    write(&dir, "a.txt", "a\n");
    commit_all(&dir, "first");
    let tree = git(&dir, &["rev-parse", "HEAD^{tree}"]).trim().to_owned();
    let object = format!(
        "tree {tree}\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nbefore\0after\n"
    );
    let file = tmp.path().join("commit-object");
    std::fs::write(&file, object).unwrap();
    let output = Command::new("git")
        .current_dir(&dir)
        .args(["hash-object", "-t", "commit", "-w", "--literally"])
        .arg(&file)
        .output()
        .unwrap();
    if !output.status.success() {
        eprintln!(
            "SKIPPED a_message_with_a_nul_is_read_without_it: git refused the commit object: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let sha = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    git(&dir, &["update-ref", "refs/heads/with-nul", &sha]);
    let commits = walk_all(&dir);
    let commit = commits.iter().find(|c| c.sha == sha).expect("the commit with a NUL is read");
    assert!(!commit.message.contains('\0'), "{:?}", commit.message);
    assert!(commit.message.starts_with("before\u{FFFD}after"), "{:?}", commit.message);
}

#[test]
fn the_default_walk_leaves_out_stashes_and_notes() {
    let (_tmp, dir) = new_repo();
    write(&dir, "a.txt", "a\n");
    let first = commit_all(&dir, "first");
    write(&dir, "a.txt", "a\nb\n");
    let second = commit_all(&dir, "second");
    git(&dir, &["notes", "add", "-m", "a note", &first]);
    write(&dir, "a.txt", "work in progress\n");
    git(&dir, &["stash", "-q"]);
    let not_history: Vec<String> = ["refs/stash", "refs/stash^2", "refs/notes/commits"]
        .iter()
        .map(|name| git(&dir, &["rev-parse", name]).trim().to_owned())
        .collect();

    let mut ours: Vec<String> = walk_all(&dir).into_iter().map(|c| c.sha).collect();
    ours.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(ours, expected);
    let excluded = default_rev_list_count(&dir);
    assert_eq!(excluded.trim(), "2");
    for sha in &not_history {
        assert!(!ours.contains(sha), "{sha}");
    }

    // Named explicitly, they are walked.
    let repo = git::open(&dir).unwrap();
    let options = WalkOptions { refs: vec!["refs/stash".to_owned(), "refs/notes/*".to_owned()], ..Default::default() };
    let mut commits = Vec::new();
    repo.walk(&options, &mut commits, &mut |_| {}).unwrap();
    let shas: Vec<String> = commits.into_iter().map(|c| c.sha).collect();
    for sha in &not_history {
        assert!(shas.contains(sha), "{sha}");
    }
}

#[test]
fn short_reference_names_match_like_git() {
    let (_tmp, dir) = new_repo();
    write(&dir, "a.txt", "a\n");
    let sha = commit_all(&dir, "first");
    git(&dir, &["tag", "v1.0"]);
    git(&dir, &["branch", "main2"]);
    git(&dir, &["update-ref", "refs/remotes/origin/main", &sha]);
    let repo = git::open(&dir).unwrap();
    let names = |patterns: &[&str]| -> Vec<String> {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        repo.tips(&patterns).unwrap().into_iter().map(|t| t.reference).collect()
    };
    assert_eq!(names(&["main"]), ["refs/heads/main"]);
    assert_eq!(names(&["v1.0"]), ["refs/tags/v1.0"]);
    assert_eq!(names(&["origin/main"]), ["refs/remotes/origin/main"]);
    assert_eq!(names(&["HEAD"]), ["HEAD"]);
    assert_eq!(names(&["main", "v1.0"]), ["refs/heads/main", "refs/tags/v1.0"]);
    assert!(names(&["v2.0"]).is_empty());
}

#[test]
fn a_sub_directory_of_a_work_tree_names_its_top() {
    let (_tmp, dir) = new_repo();
    let sub = dir.join("src").join("deep");
    std::fs::create_dir_all(&sub).unwrap();
    let err = git::open(&sub).unwrap_err();
    match &err {
        GitError::InsideWorkTree { top, .. } => assert_eq!(top, &dir),
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    let expected =
        format!("{} is inside the git work tree {}; pass {} instead", sub.display(), dir.display(), dir.display());
    assert_eq!(message, expected);
}
