//! Command-line behaviour: help, configuration, exit codes.

use crate::support::{paved, run, stderr, stdout};

#[test]
fn help_teaches_the_first_commands() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(paved(dir.path()).arg("--help"));
    assert!(output.status.success());
    let help = stdout(&output);
    for expected in ["catalog validate examples/acme", "serve --catalog", "Exit codes", "PAVED_DATABASE_URL"] {
        assert!(help.contains(expected), "--help lacks `{expected}`:\n{help}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(paved(dir.path()).args(["catalog", "validate"]));
    assert_eq!(output.status.code(), Some(2));
    let output = run(paved(dir.path()).arg("no-such-command"));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn config_default_prints_a_sample_that_paved_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(paved(dir.path()).args(["config", "default"]));
    assert!(output.status.success());
    let sample = stdout(&output);
    assert!(sample.contains("database_url = \"paved.db\""), "{sample}");
    std::fs::write(dir.path().join("paved.toml"), &sample).unwrap();
    let output = run(paved(dir.path()).args(["--config", "paved.toml", "migrate", "--format", "json"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join("paved.db").exists(), "the default database file is created in the working directory");
}

#[test]
fn a_bad_config_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("paved.toml"), "listen = [1, 2").unwrap();
    let output = run(paved(dir.path()).args(["--config", "paved.toml", "migrate"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("paved.toml"), "{}", stderr(&output));
    let output = run(paved(dir.path()).args(["--config", "missing.toml", "migrate"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("paved config default"), "{}", stderr(&output));
}

#[test]
fn a_database_url_of_another_kind_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(paved(dir.path()).args(["--database-url", "mysql://root:hunter2@db/paved", "migrate"]));
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("postgres://"), "{err}");
    assert!(!err.contains("hunter2"), "the password must not be printed: {err}");
}

#[test]
fn migrate_applies_once_then_reports_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let first = run(paved(dir.path()).args(["--database-url", "data/paved.db", "migrate", "--format", "json"]));
    assert!(first.status.success(), "{}", stderr(&first));
    let applied = crate::support::json(&first)["applied"].as_array().unwrap().len();
    assert!(applied >= 1);
    assert!(dir.path().join("data/paved.db").exists());
    let second = run(paved(dir.path()).args(["--database-url", "data/paved.db", "migrate"]));
    assert!(stdout(&second).contains("up to date"), "{}", stdout(&second));
}

#[test]
fn a_database_in_a_missing_directory_is_bad_input_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(paved(dir.path()).args(["--database-url", "no-such-dir/x.db", "migrate"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("no-such-dir") && err.contains("does not exist"), "{err}");
    assert!(!dir.path().join("no-such-dir").exists());
}

/// Starts `paved migrate` `n` times at once on `database_url` and returns
/// each outcome.
fn migrate_at_once(dir: &std::path::Path, database_url: &str, n: usize) -> Vec<std::process::Output> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            paved(dir)
                .args(["--database-url", database_url, "migrate", "--format", "json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children.into_iter().map(|child| child.wait_with_output().unwrap()).collect()
}

/// Every start succeeded, and exactly one applied the migrations.
fn assert_one_migrated(outputs: &[std::process::Output]) {
    let mut applied = Vec::new();
    for output in outputs {
        assert!(output.status.success(), "every concurrent start succeeds: {}", stderr(output));
        applied.push(crate::support::json(output)["applied"].as_array().unwrap().len());
    }
    applied.sort_unstable();
    assert_eq!(
        applied.iter().filter(|&&n| n > 0).count(),
        1,
        "one process migrated, the others found it done: {applied:?}"
    );
}

#[test]
fn concurrent_starts_on_a_fresh_sqlite_database_all_succeed() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        assert_one_migrated(&migrate_at_once(dir.path(), "paved.db", 5));
    }
}

#[tokio::test]
async fn concurrent_starts_on_a_fresh_postgres_database_all_succeed() {
    for _ in 0..3 {
        let Some(database) = paved_test_support::paved_test_database().await else { return };
        let dir = tempfile::tempdir().unwrap();
        let url = database.url().to_owned();
        let outputs = tokio::task::spawn_blocking(move || migrate_at_once(dir.path(), &url, 5)).await.unwrap();
        assert_one_migrated(&outputs);
    }
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    use std::io::Read as _;

    let dir = tempfile::tempdir().unwrap();
    // 3,000 valid entities: far more output than a pipe buffers.
    let catalog: String = (0..3000)
        .map(|i| format!("---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-{i}\nspec:\n  type: team\n  children: []\n"))
        .collect();
    std::fs::write(dir.path().join("catalog-info.yaml"), catalog).unwrap();
    for format in ["text", "json"] {
        let mut child = paved(dir.path())
            .args(["catalog", "validate", ".", "--format", format])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 10];
        let mut stdout = child.stdout.take().unwrap();
        stdout.read_exact(&mut first).unwrap();
        // The reader goes, as `| head -c 10` would.
        drop(stdout);
        let output = child.wait_with_output().unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{format}: {err}");
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{format}: quiet, not {err}");
    }
}

#[test]
fn read_commands_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        &["metrics"][..],
        &["report"],
        &["identities"],
        &["events", "list"],
        &["scorecard"],
        &["oncall"],
        &["token", "list"],
        &["drift"],
    ] {
        let output = run(paved(dir.path()).args(command));
        assert_eq!(output.status.code(), Some(2), "{command:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("no database at paved.db"), "{command:?}: {}", stderr(&output));
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "{command:?} created a file");
    }
    // Setting a database up may start with a token.
    let output = run(paved(dir.path()).args(["token", "create", "--admin", "--name", "first"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join("paved.db").exists());
}

#[test]
fn a_command_s_help_lists_the_global_options_apart() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(paved(dir.path()).args(["metrics", "--help"]).env("PAVED_CONFIG", ""));
    assert!(output.status.success(), "{}", stderr(&output));
    let help = stdout(&output);
    let (own, global) =
        help.split_once("Global options:").unwrap_or_else(|| panic!("no Global options heading:\n{help}"));
    assert!(own.contains("--team") && !own.contains("--database-url"), "{help}");
    assert!(global.contains("--database-url") && global.contains("--config"), "{help}");
    assert!(!help.contains("=]"), "no empty [env: X=]:\n{help}");
}
