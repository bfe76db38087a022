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
    let first = run(paved(dir.path()).args(["--database-url", "data/paved.db", "migrate", "--format", "json"]));
    assert!(first.status.success(), "{}", stderr(&first));
    let applied = crate::support::json(&first)["applied"].as_array().unwrap().len();
    assert!(applied >= 1);
    assert!(dir.path().join("data/paved.db").exists());
    let second = run(paved(dir.path()).args(["--database-url", "data/paved.db", "migrate"]));
    assert!(stdout(&second).contains("up to date"), "{}", stdout(&second));
}
