//! Opening and naming repositories: clear errors for the user.

use paved_ingest::git::{self, GitError};

use crate::support::{git, new_repo};

#[test]
fn a_directory_without_a_repository_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = git::open(tmp.path()).unwrap_err();
    assert!(matches!(err, GitError::NotARepository { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.starts_with(&tmp.path().display().to_string()), "{message}");
    assert!(message.contains("is not a git repository (no .git directory or bare repository found)"), "{message}");

    let missing = tmp.path().join("nowhere");
    let err = git::open(&missing).unwrap_err();
    assert!(matches!(err, GitError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("nowhere"), "{err}");

    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "not a repository").unwrap();
    assert!(matches!(git::open(&file), Err(GitError::NotARepository { .. })));
}

#[test]
fn the_identity_comes_from_origin_or_the_override() {
    let (_tmp, dir) = new_repo();
    let repo = git::open(&dir).unwrap();
    let err = repo.identity(None).unwrap_err();
    assert!(matches!(err, GitError::NoOrigin { .. }), "{err:?}");
    assert!(err.to_string().contains("pass --repo host/owner/name"), "{err}");

    assert_eq!(
        repo.identity(Some("https://github.com/Acme/Checkout.git")).unwrap().as_str(),
        "github.com/acme/checkout"
    );
    let err = repo.identity(Some("checkout")).unwrap_err();
    assert!(matches!(err, GitError::BadRepoOverride { .. }), "{err:?}");
    assert!(err.to_string().starts_with("--repo: "), "{err}");

    git(&dir, &["remote", "add", "origin", "https://jane:ghp_t0ken@github.com/Acme/Checkout.git"]);
    let repo = git::open(&dir).unwrap();
    assert_eq!(repo.identity(None).unwrap().as_str(), "github.com/acme/checkout");
    // The override wins over origin.
    assert_eq!(
        repo.identity(Some("gitlab.com/acme/platform/checkout")).unwrap().as_str(),
        "gitlab.com/acme/platform/checkout"
    );

    git(&dir, &["remote", "set-url", "origin", "/srv/git/checkout.git"]);
    let repo = git::open(&dir).unwrap();
    let err = repo.identity(None).unwrap_err();
    assert!(matches!(err, GitError::OriginNotHosted { .. }), "{err:?}");
    assert!(err.to_string().contains("pass --repo host/owner/name"), "{err}");
}

#[test]
fn an_empty_repository_has_nothing_to_walk() {
    let (_tmp, dir) = new_repo();
    let repo = git::open(&dir).unwrap();
    let mut commits = Vec::new();
    let outcome = repo.walk(&git::WalkOptions::default(), &mut commits, &mut |_| {}).unwrap();
    assert!(commits.is_empty() && outcome.tips.is_empty() && outcome.up_to_date);
}

#[test]
fn a_hidden_commit_that_is_not_a_sha_is_refused() {
    let (_tmp, dir) = new_repo();
    let repo = git::open(&dir).unwrap();
    let options = git::WalkOptions { hide: vec!["main".to_owned()], ..git::WalkOptions::default() };
    let err = repo.walk(&options, &mut Vec::new(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("`main` is not a commit id"), "{err}");
}

#[test]
fn a_repository_can_move_to_a_blocking_thread() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<git::GitRepo>();
    send_sync::<GitError>();
    send_sync::<git::WalkOptions>();
}
