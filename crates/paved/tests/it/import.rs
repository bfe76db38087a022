//! `paved import git`, on a repository made here and on this project's own.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{paved, repo_root, run, stderr, stdout};

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=Ana Souza", "-c", "user.email=ana@acme.example", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn import_json(dir: &Path, args: &[&str]) -> Vec<Value> {
    let output = run(paved(dir).args(["import", "git", "--format", "json"]).args(args));
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).lines().map(|line| serde_json::from_str(line).expect("one JSON object per line")).collect()
}

#[test]
fn a_second_run_imports_only_new_commits() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("checkout");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["remote", "add", "origin", "git@github.com:Acme/Checkout.git"]);
    for i in 0..3 {
        std::fs::write(repo.join("cart.rs"), "fn cart() {}\n".repeat(i + 1)).unwrap();
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-q", "-m", &format!("change {i}")]);
    }

    let first = import_json(dir.path(), &["checkout"]);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["repository"], "github.com/acme/checkout", "origin normalised");
    assert_eq!((first[0]["commits_total"].as_u64(), first[0]["commits_imported"].as_u64()), (Some(3), Some(3)));
    assert!(first[0]["seconds"].as_f64().unwrap() >= 0.0);

    let unchanged = import_json(dir.path(), &["checkout"]);
    assert_eq!((unchanged[0]["commits_total"].as_u64(), unchanged[0]["commits_imported"].as_u64()), (Some(3), Some(0)));

    std::fs::write(repo.join("cart.rs"), "fn cart() { todo() }\n").unwrap();
    git(&repo, &["commit", "-q", "-am", "one more"]);
    let again = import_json(dir.path(), &["checkout"]);
    assert_eq!((again[0]["commits_total"].as_u64(), again[0]["commits_imported"].as_u64()), (Some(4), Some(1)));

    let text = run(paved(dir.path()).args(["import", "git", "checkout"]));
    assert!(stdout(&text).contains("github.com/acme/checkout: 0 commits imported, 4 in all"), "{}", stdout(&text));
}

#[test]
fn this_projects_history_is_imported_whole() {
    let root = repo_root();
    if !root.join(".git").exists() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED this_projects_history_is_imported_whole: {} is not a git checkout",
            root.display()
        );
        return;
    }
    // What `paved import git` walks by default: every reference but stashes,
    // notes and replaced history.
    let excludes: Vec<String> = paved_ingest::git::NOT_HISTORY.iter().map(|r| format!("--exclude={r}")).collect();
    let mut args = vec!["rev-list"];
    args.extend(excludes.iter().map(String::as_str));
    args.extend(["--all", "--count"]);
    let expected: u64 = git(&root, &args).parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("paved.db");
    let output = run(paved(dir.path())
        .args([
            "--database-url",
            database.to_str().unwrap(),
            "import",
            "git",
            "--repo",
            "github.com/pavedroad/paved",
            "--format",
            "json",
        ])
        .arg(&root));
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(summary["repository"], "github.com/pavedroad/paved");
    assert_eq!(summary["commits_total"].as_u64(), Some(expected), "the same count as git rev-list --all --count");
}

#[test]
fn a_path_that_is_not_a_repository_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("plain")).unwrap();
    for path in ["plain", "missing"] {
        let output = run(paved(dir.path()).args(["import", "git", path]));
        assert_eq!(output.status.code(), Some(2), "{path}: {}", stderr(&output));
        assert!(stderr(&output).contains(path), "{}", stderr(&output));
    }
    assert!(!dir.path().join("paved.db").exists(), "nothing is opened before the paths are checked");

    let repo = dir.path().join("no-origin");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    let output = run(paved(dir.path()).args(["import", "git", "no-origin"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--repo"), "tells how to name it: {}", stderr(&output));
}

fn repo_with_commits(dir: &Path, name: &str, commits: usize) -> std::path::PathBuf {
    let repo = dir.join(name);
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    for i in 0..commits {
        std::fs::write(repo.join("notes.txt"), format!("line {i}\n").repeat(i + 1)).unwrap();
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-q", "-m", &format!("change {i}")]);
    }
    repo
}

#[test]
fn a_ref_that_matches_nothing_is_bad_input_and_other_refs_stay_imported() {
    let dir = tempfile::tempdir().unwrap();
    repo_with_commits(dir.path(), "app", 2);
    let output =
        run(paved(dir.path()).args(["import", "git", "app", "--repo", "github.com/acme/app", "--ref", "mian"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("no reference") && stderr(&output).contains("mian"), "{}", stderr(&output));

    let all = import_json(dir.path(), &["app", "--repo", "github.com/acme/app"]);
    assert_eq!(all[0]["commits_imported"], 2);
    // Importing one branch keeps the other tips: the next full run reads nothing again.
    let main_only = import_json(dir.path(), &["app", "--repo", "github.com/acme/app", "--ref", "refs/heads/main"]);
    assert_eq!(main_only[0]["commits_imported"], 0);
    let again = import_json(dir.path(), &["app", "--repo", "github.com/acme/app"]);
    assert_eq!((again[0]["commits_imported"].as_u64(), again[0]["commits_total"].as_u64()), (Some(0), Some(2)));
}

#[test]
fn a_shallow_clone_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let origin = repo_with_commits(dir.path(), "origin", 3);
    git(dir.path(), &["clone", "-q", "--depth", "1", &format!("file://{}", origin.display()), "shallow"]);
    let output = run(paved(dir.path()).args(["import", "git", "shallow", "--repo", "github.com/acme/app"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("fetch --unshallow"), "{}", stderr(&output));
    assert!(!dir.path().join("paved.db").exists());
}

#[test]
fn the_summary_names_the_components_the_commits_count_for() {
    let dir = tempfile::tempdir().unwrap();
    let acme = crate::support::acme().display().to_string();
    assert!(run(paved(dir.path()).args(["catalog", "import", &acme])).status.success());
    let repo = dir.path().join("mono");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("README.md"), "mono\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "start"]);

    let claimed = run(paved(dir.path()).args(["import", "git", "mono", "--repo", "github.com/acme/monorepo"]));
    let line = stdout(&claimed);
    assert!(
        line.contains("commits count for") && line.contains("services/"),
        "monorepo parts with their paths: {line}"
    );
    let unclaimed = run(paved(dir.path()).args(["import", "git", "mono", "--repo", "github.com/acme/unknown"]));
    assert!(unclaimed.status.success());
    assert!(stderr(&unclaimed).contains("no component claims github.com/acme/unknown"), "{}", stderr(&unclaimed));
}
