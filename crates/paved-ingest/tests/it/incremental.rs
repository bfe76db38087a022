//! A second walk reads only what is new.

use std::time::{Duration, Instant};

use paved_ingest::git::{self, WalkOptions};

use crate::small_repository::build;
use crate::support::{Who, commit, git, write};

fn shas(tips: &[git::Tip]) -> Vec<String> {
    tips.iter().map(|t| t.sha.clone()).collect()
}

#[test]
fn a_second_walk_reads_exactly_the_new_commits() {
    let (_tmp, dir, _) = build();
    let repo = git::open(&dir).unwrap();
    let mut first = Vec::new();
    let outcome = repo.walk(&WalkOptions::default(), &mut first, &mut |_| {}).unwrap();
    assert_eq!((first.len(), outcome.commits, outcome.up_to_date), (8, 8, false));

    let who = Who { name: "Chen Wu", email: "chen@example.com", date: "2024-04-01T10:00:00+08:00" };
    write(&dir, "NEWS.md", "v2\n");
    git(&dir, &["add", "-A"]);
    let one = commit(&dir, "News", &who, &who, &[]);
    write(&dir, "NEWS.md", "v2\nv3\n");
    git(&dir, &["add", "-A"]);
    let two = commit(&dir, "More news", &who, &who, &[]);

    let options = WalkOptions { hide: shas(&outcome.tips), ..WalkOptions::default() };
    let mut second = Vec::new();
    let outcome = repo.walk(&options, &mut second, &mut |_| {}).unwrap();
    let new: Vec<&str> = second.iter().map(|c| c.sha.as_str()).collect();
    assert_eq!(new, [two.as_str(), one.as_str()]);
    assert_eq!(second[1].files.len(), 1);
    assert_eq!((second[1].files[0].added, second[0].files[0].added), (1, 1));

    // Unchanged: nothing is read, at once.
    let options = WalkOptions { hide: shas(&outcome.tips), ..WalkOptions::default() };
    let started = Instant::now();
    let mut third = Vec::new();
    let outcome = repo.walk(&options, &mut third, &mut |_| {}).unwrap();
    assert!(outcome.up_to_date && third.is_empty() && outcome.commits == 0);
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
}

#[test]
fn hidden_commits_the_repository_lost_are_ignored() {
    let (_tmp, dir, _) = build();
    let repo = git::open(&dir).unwrap();
    let options =
        WalkOptions { hide: vec!["0123456789abcdef0123456789abcdef01234567".to_owned()], ..WalkOptions::default() };
    let mut commits = Vec::new();
    let outcome = repo.walk(&options, &mut commits, &mut |_| {}).unwrap();
    assert_eq!(outcome.commits, 8);
}

#[test]
fn a_new_branch_at_an_imported_commit_brings_no_commits() {
    let (_tmp, dir, shas) = build();
    let repo = git::open(&dir).unwrap();
    let outcome = repo.walk(&WalkOptions::default(), &mut Vec::new(), &mut |_| {}).unwrap();
    git(&dir, &["branch", "hotfix", &shas.modify]);
    let options = WalkOptions { hide: outcome.tips.iter().map(|t| t.sha.clone()).collect(), ..WalkOptions::default() };
    let mut commits = Vec::new();
    let outcome = repo.walk(&options, &mut commits, &mut |_| {}).unwrap();
    assert!(commits.is_empty(), "{commits:?}");
    assert!(outcome.tips.iter().any(|t| t.reference == "refs/heads/hotfix"));
}
