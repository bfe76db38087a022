//! The store contract for git history: commits with their files, and what
//! an import of a repository reached. Run on both backends.

use chrono::{TimeZone, Utc};
use paved_domain::Commit;
use paved_store::{RefTip, RepositoryState, Store, StoreError};

use crate::harness::{commit, contract_tests, repo, sha};

const CHECKOUT: &str = "github.com/acme/checkout";
const FORK: &str = "github.com/someone/checkout";

/// Every commit of `repo_text`, read page by page.
async fn all_commits(store: &dyn Store, repo_text: &str) -> Vec<Commit> {
    let mut all = Vec::new();
    loop {
        let page = store.inspect().commits(&repo(repo_text), 10_000, all.len() as u64).await.expect("commits are read");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// A time as RFC 3339 with its offset: equal text means equal instant *and*
/// offset (`DateTime`'s `==` compares instants only).
fn shown(commit: &Commit) -> (String, String) {
    (commit.author.time.to_rfc3339(), commit.committer.time.to_rfc3339())
}

fn sorted_files(mut commit: Commit) -> Commit {
    commit.files.sort_by(|a, b| a.path.cmp(&b.path));
    commit
}

/// `count` commits of `repo_text` numbered from `first`, each with three
/// files; file `k` of commit `n` adds `n % 7 + k` lines.
fn commits_with_three_files(repo_text: &str, first: u64, count: u64) -> Vec<Commit> {
    (first..first + count)
        .map(|n| {
            let lines = u32::try_from(n % 7).unwrap();
            commit(repo_text, n)
                .file(&format!("src/module_{}.rs", n % 50), lines, 1)
                .file("Cargo.toml", lines + 1, 0)
                .file(&format!("docs/{n}.md"), lines + 2, 2)
                .build()
        })
        .collect()
}

fn expected_lines_added(commits: &[Commit]) -> u64 {
    commits.iter().map(Commit::lines_added).sum()
}

contract_tests! {
    async fn commits_come_back_exactly_as_stored(db) {
        let store = db.migrated().await;
        let root = commit(CHECKOUT, 0).message("Initial commit").build();
        let feature = commit(CHECKOUT, 1)
            .author("Zoë Ünal-Dupré 山田", "Zoe.Unal@Example.COM", "2025-03-14T09:26:53+05:30")
            .committer("Çağrı Bot", "cagri@example.com", "2025-03-14T12:00:00-08:00")
            .message("Payer en roupies 💸\n\nLes chemins non ASCII: docs/café/naïve.md\n")
            .file("src/pay.rs", 120, 4)
            .binary_file("assets/logo.png")
            .file("docs/café/naïve.md", 3, 0)
            .build();
        let side = commit(CHECKOUT, 2).parents(&[sha(0)]).file("README.md", 1, 1).build();
        let merge = commit(CHECKOUT, 3)
            .parents(&[sha(1), sha(2)])
            .committer("Ada Lovelace", "ada@example.com", "2025-03-15T00:00:00+00:00")
            .message("Merge branch 'side'")
            .build();
        let batch = vec![merge.clone(), feature.clone(), root.clone(), side.clone()];
        assert_eq!(store.insert_commits(&batch).await.unwrap(), 4);
        assert_eq!(store.commit_count(&repo(CHECKOUT)).await.unwrap(), 4);

        let read = store.inspect().commits(&repo(CHECKOUT), 100, 0).await.unwrap();
        // Committer time order: root (00:00Z), side (00:02Z), feature (20:00Z on the 14th), merge (the 15th).
        let expected = vec![root, side, sorted_files(feature), merge];
        assert_eq!(read, expected, "every field comes back, files in path order");
        for (got, want) in read.iter().zip(&expected) {
            assert_eq!(shown(got), shown(want), "the offsets survive for {}", want.sha);
        }
        let feature = &read[2];
        assert_eq!(feature.author.time.to_rfc3339(), "2025-03-14T09:26:53+05:30");
        assert_eq!(feature.committer.time.to_rfc3339(), "2025-03-14T12:00:00-08:00");
        assert_eq!(feature.files[0].path, "assets/logo.png");
        assert!(feature.files[0].binary && feature.files[0].added == 0 && feature.files[0].removed == 0);
        assert_eq!((feature.lines_added(), feature.lines_removed()), (123, 4));
        assert_eq!((read[3].parents.len(), read[3].files.len()), (2, 0), "a merge with two parents and no files");
        assert!(read[0].parents.is_empty(), "a root commit has no parents");

        // Pages follow the same order.
        let page = store.inspect().commits(&repo(CHECKOUT), 2, 1).await.unwrap();
        assert_eq!(page, expected[1..3].to_vec());
        assert!(store.inspect().commits(&repo(CHECKOUT), 10, 4).await.unwrap().is_empty());
        assert!(store.inspect().commits(&repo(CHECKOUT), 0, 0).await.unwrap().is_empty());
        assert!(store.inspect().commits(&repo("github.com/acme/unknown"), 10, 0).await.unwrap().is_empty());
        assert_eq!(store.commit_count(&repo("github.com/acme/unknown")).await.unwrap(), 0);
    }

    async fn commits_with_the_same_committer_time_are_ordered_by_sha(db) {
        let store = db.migrated().await;
        let same_time = "2025-06-01T10:00:00+02:00";
        let commits: Vec<Commit> =
            (10..20).map(|n| commit(CHECKOUT, n).committer("Ada", "ada@example.com", same_time).build()).collect();
        store.insert_commits(&commits).await.unwrap();
        let mut shas: Vec<String> = commits.iter().map(|c| c.sha.clone()).collect();
        shas.sort();
        let read: Vec<String> = store.inspect().commits(&repo(CHECKOUT), 100, 0).await.unwrap().into_iter().map(|c| c.sha).collect();
        assert_eq!(read, shas);
    }

    async fn inserting_the_same_commits_again_changes_nothing(db) {
        let store = db.migrated().await;
        let batch = commits_with_three_files(CHECKOUT, 0, 50);
        assert_eq!(store.insert_commits(&batch).await.unwrap(), 50);
        assert_eq!(store.insert_commits(&batch).await.unwrap(), 0, "every commit is already stored");
        assert_eq!(store.commit_count(&repo(CHECKOUT)).await.unwrap(), 50);

        // Half old, half new: only the new ones count.
        let overlapping = commits_with_three_files(CHECKOUT, 25, 50);
        assert_eq!(store.insert_commits(&overlapping).await.unwrap(), 25);
        assert_eq!(store.commit_count(&repo(CHECKOUT)).await.unwrap(), 75);

        // A stored commit given again with other content is left alone, files included.
        let mut changed = batch[0].clone();
        changed.message = "rewritten".to_owned();
        changed.files.push(paved_domain::FileStat { path: "new.rs".into(), added: 9, removed: 0, binary: false });
        assert_eq!(store.insert_commits(&[changed]).await.unwrap(), 0);
        let stored = all_commits(store, CHECKOUT).await;
        let first = stored.iter().find(|c| c.sha == batch[0].sha).expect("the commit is stored");
        assert_eq!(first, &sorted_files(batch[0].clone()));

        // One commit twice in a batch counts once; its first copy is kept.
        let mut copy = commit(CHECKOUT, 500).message("first").build();
        let mut again = copy.clone();
        again.message = "second".to_owned();
        assert_eq!(store.insert_commits(&[copy.clone(), again]).await.unwrap(), 1);
        let stored = all_commits(store, CHECKOUT).await;
        copy.message = "first".to_owned();
        assert!(stored.contains(&copy));
        assert_eq!(store.insert_commits(&[]).await.unwrap(), 0);
    }

    async fn a_batch_with_a_nul_character_is_refused_whole(db) {
        let store = db.migrated().await;
        let mut batch = commits_with_three_files(CHECKOUT, 0, 10);
        batch[7].message = "fix\0the bug".to_owned();
        let err = store.insert_commits(&batch).await.expect_err("a NUL in a message is refused");
        assert!(matches!(&err, StoreError::InvalidRecord { field, .. } if field == "message"), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(&batch[7].sha) && message.contains("NUL") && message.contains("nothing was written"), "{message}");
        assert!(!message.contains('\0'), "the message prints no NUL itself: {message:?}");
        assert_eq!(store.commit_count(&repo(CHECKOUT)).await.unwrap(), 0, "nothing of the batch was written");

        let mut batch = commits_with_three_files(CHECKOUT, 0, 10);
        batch[3].files[1].path = "src/\0.rs".to_owned();
        let err = store.insert_commits(&batch).await.expect_err("a NUL in a path is refused");
        assert!(matches!(&err, StoreError::InvalidRecord { field, .. } if field == "files[1].path"), "{err:?}");

        let mut batch = commits_with_three_files(CHECKOUT, 0, 10);
        batch[5].parents = vec!["HEAD~1".to_owned()];
        let err = store.insert_commits(&batch).await.expect_err("a parent that is not an object id is refused");
        assert!(matches!(&err, StoreError::InvalidRecord { field, .. } if field == "parents[0]"), "{err:?}");
        assert!(store.inspect().commits(&repo(CHECKOUT), 100, 0).await.unwrap().is_empty());
    }

    async fn twenty_five_thousand_commits_land_in_batches_of_a_thousand(db) {
        let store = db.migrated().await;
        let commits = commits_with_three_files(CHECKOUT, 0, 25_000);
        let mut new = 0;
        for batch in commits.chunks(1_000) {
            new += store.insert_commits(batch).await.unwrap();
        }
        assert_eq!(new, 25_000);
        assert_eq!(store.commit_count(&repo(CHECKOUT)).await.unwrap(), 25_000);
        let stored = all_commits(store, CHECKOUT).await;
        assert_eq!(stored.len(), 25_000);
        assert_eq!(stored.iter().map(|c| c.files.len()).sum::<usize>(), 75_000);
        let lines: u64 = stored.iter().map(Commit::lines_added).sum();
        assert_eq!(lines, expected_lines_added(&commits));
        assert_eq!(lines, 25_000 * 3 + 3 * (0..25_000u64).map(|n| n % 7).sum::<u64>());
    }

    async fn a_batch_larger_than_one_statement_lands_whole(db) {
        let store = db.migrated().await;
        // More commits and files than one multi-row statement binds on
        // either backend, so the batch is split, in one transaction.
        let commits = commits_with_three_files(CHECKOUT, 0, 7_000);
        assert_eq!(store.insert_commits(&commits).await.unwrap(), 7_000);
        assert_eq!(store.insert_commits(&commits).await.unwrap(), 0);
        let stored = all_commits(store, CHECKOUT).await;
        assert_eq!(stored.len(), 7_000);
        assert_eq!(stored.iter().map(Commit::lines_added).sum::<u64>(), expected_lines_added(&commits));

        // A NUL in the last commit refuses the first 6,999 too.
        let mut more = commits_with_three_files(CHECKOUT, 7_000, 7_000);
        more[6_999].author.name = "\0".to_owned();
        assert!(store.insert_commits(&more).await.is_err());
        assert_eq!(store.commit_count(&repo(CHECKOUT)).await.unwrap(), 7_000);
    }

    async fn the_same_sha_in_two_repositories_is_two_commits(db) {
        let store = db.migrated().await;
        let original = commit(CHECKOUT, 1).file("src/lib.rs", 10, 0).build();
        let fork = commit(FORK, 1).file("src/fork.rs", 3, 0).message("Commit 1 (fork)").build();
        assert_eq!(original.sha, fork.sha);
        assert_eq!(store.insert_commits(&[original.clone(), fork.clone()]).await.unwrap(), 2);
        assert_eq!(store.commit_count(&repo(CHECKOUT)).await.unwrap(), 1);
        assert_eq!(store.commit_count(&repo(FORK)).await.unwrap(), 1);
        assert_eq!(store.inspect().commits(&repo(CHECKOUT), 10, 0).await.unwrap(), vec![original]);
        assert_eq!(store.inspect().commits(&repo(FORK), 10, 0).await.unwrap(), vec![fork]);
    }

    async fn a_repository_state_is_saved_updated_and_read(db) {
        let store = db.migrated().await;
        assert_eq!(store.repository(&repo(CHECKOUT)).await.unwrap(), None, "never imported");
        let imported_at = Utc.with_ymd_and_hms(2025, 3, 14, 9, 26, 53).unwrap() + chrono::Duration::nanoseconds(589_793_238);
        let mut state = RepositoryState {
            repo: repo(CHECKOUT),
            source_path: "/srv/git/checkout.git".to_owned(),
            tips: vec![
                RefTip { reference: "refs/heads/main".to_owned(), sha: sha(9) },
                RefTip { reference: "refs/tags/v1.0-é".to_owned(), sha: sha(3) },
            ],
            imported_at,
            commits: 10,
        };
        store.save_repository(&state).await.unwrap();
        let read = store.repository(&repo(CHECKOUT)).await.unwrap().expect("the state is stored");
        assert_eq!(read.imported_at, imported_at - chrono::Duration::nanoseconds(238), "kept to the microsecond");
        assert_eq!(read, RepositoryState { imported_at: read.imported_at, ..state.clone() });

        state.tips = vec![RefTip { reference: "refs/heads/main".to_owned(), sha: sha(19) }];
        state.commits = 20;
        state.source_path = "/srv/git/moved/checkout.git".to_owned();
        state.imported_at = Utc.with_ymd_and_hms(2025, 3, 15, 0, 0, 0).unwrap();
        store.save_repository(&state).await.unwrap();
        assert_eq!(store.repository(&repo(CHECKOUT)).await.unwrap(), Some(state.clone()), "saving again replaces");
        assert_eq!(store.repository(&repo(FORK)).await.unwrap(), None, "other repositories are not touched");

        let mut bad = state.clone();
        bad.source_path = "/srv/\0".to_owned();
        let err = store.save_repository(&bad).await.expect_err("a NUL is refused");
        assert!(matches!(&err, StoreError::InvalidRecord { field, .. } if field == "source_path"), "{err:?}");
        bad.source_path = state.source_path.clone();
        bad.tips[0].sha = "main".to_owned();
        let err = store.save_repository(&bad).await.expect_err("a tip that is not an object id is refused");
        assert!(matches!(&err, StoreError::InvalidRecord { field, .. } if field == "tips[0].sha"), "{err:?}");
        assert_eq!(store.repository(&repo(CHECKOUT)).await.unwrap(), Some(state), "nothing was written");
    }
}
