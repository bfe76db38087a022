//! `paved catalog validate` and `paved catalog import`, run as a user would.

use std::path::Path;

use serde_json::Value;

use crate::support::{acme, json, paved, repo_root, run, stderr, stdout};

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_example_organisation_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(paved(dir.path()).args(["catalog", "validate"]).arg(acme()));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("0 error(s)"), "{}", stdout(&output));
}

/// `examples/broken/services.yaml`: a dangling owner, a missing
/// `spec.lifecycle`, and a valid Group.
fn services_yaml() -> String {
    std::fs::read_to_string(repo_root().join("examples/broken/services.yaml")).unwrap()
}

fn problem<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == code)
        .unwrap_or_else(|| panic!("no {code} problem in {report:#}"))
}

/// The acceptance scenario, on `examples/broken` (which the README shows):
/// one file with a YAML syntax error, another with a dangling owner and a
/// missing `spec.lifecycle` beside a valid entity.
#[test]
fn every_problem_is_reported_with_its_position_and_exit_2() {
    let root = repo_root();
    let output = run(paved(&root).args(["catalog", "validate", "examples/broken", "--format", "json"]));
    assert_eq!(output.status.code(), Some(2));
    let report = json(&output);
    assert_eq!(report["valid"], false);
    assert_eq!(report["errors"], 3, "{report:#}");

    let syntax = problem(&report, "yaml-syntax");
    assert_eq!(syntax["file"], "examples/broken/team.yaml");
    assert_eq!((syntax["line"].as_u64(), syntax["column"].as_u64()), (Some(6), Some(5)), "{syntax}");

    let owner = problem(&report, "dangling-owner");
    assert_eq!(owner["file"], "examples/broken/services.yaml");
    assert_eq!((owner["line"].as_u64(), owner["column"].as_u64()), (Some(8), Some(10)), "at the owner's value");
    assert_eq!(owner["entity"], "component:default/cart");
    assert!(owner["message"].as_str().unwrap().contains("group:default/team-nobody"), "{owner}");

    let lifecycle = problem(&report, "missing-field");
    assert_eq!(lifecycle["file"], "examples/broken/services.yaml");
    assert_eq!(lifecycle["entity"], "component:default/search");
    assert!(lifecycle["message"].as_str().unwrap().contains("spec.lifecycle"), "{lifecycle}");
    assert_eq!((lifecycle["line"].as_u64(), lifecycle["column"].as_u64()), (Some(14), Some(1)), "at `spec:`");
    assert!(!lifecycle["hint"].as_str().unwrap().is_empty());

    let valid: Vec<&str> = report["entities"].as_array().unwrap().iter().map(|e| e["ref"].as_str().unwrap()).collect();
    assert_eq!(valid, ["group:default/team-a"], "the valid entity of those files is still reported valid");

    // The same in text: compiler-style positions on stderr.
    let output = run(paved(&root).args(["catalog", "validate", "examples/broken"]));
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("examples/broken/services.yaml:8:10: error[dangling-owner]"), "{err}");
    assert!(err.contains("examples/broken/team.yaml:6:5: error[yaml-syntax]"), "{err}");
    assert!(stdout(&output).contains("valid group:default/team-a"), "{}", stdout(&output));
}

fn assert_bad_input(dir: &Path, path: &str, expected: &str) {
    for command in ["validate", "import"] {
        let output = run(paved(dir).args(["catalog", command, path]));
        assert_eq!(output.status.code(), Some(2), "catalog {command} {path}: {}", stderr(&output));
        let err = stderr(&output);
        assert!(err.contains(expected), "catalog {command} {path}: expected `{expected}` in:\n{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn bad_input_never_crashes_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "malformed/catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: [Component\n");
    assert_bad_input(dir.path(), "malformed", "malformed/catalog-info.yaml:");

    let huge = dir.path().join("huge/catalog-info.yaml");
    std::fs::create_dir_all(huge.parent().unwrap()).unwrap();
    std::fs::File::create(&huge).unwrap().set_len(50 * 1024 * 1024).unwrap();
    assert_bad_input(dir.path(), "huge", "huge/catalog-info.yaml");

    write(dir.path(), "empty/README.md", "# nothing to see\n");
    write(dir.path(), "empty/values.yaml", "replicaCount: 2\n");
    assert_bad_input(dir.path(), "empty", "empty");

    assert_bad_input(dir.path(), "does-not-exist", "does-not-exist");

    write(dir.path(), "binary/catalog-info.yaml", "");
    std::fs::write(dir.path().join("binary/catalog-info.yaml"), [0xff, 0xfe, 0x00, 0x41]).unwrap();
    assert_bad_input(dir.path(), "binary", "binary/catalog-info.yaml");

    assert!(!dir.path().join("paved.db").exists(), "a failed import does not even create the database");
}

#[test]
fn an_unreadable_file_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "locked/catalog-info.yaml", &services_yaml());
    let file = dir.path().join("locked/catalog-info.yaml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&file).is_err() {
        assert_bad_input(dir.path(), "locked", "locked/catalog-info.yaml");
        return;
    }
    // Running as root, where permissions do not stop reading: run paved as
    // `nobody` instead, as a user without the right would.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_nobody = || {
        let mut command = std::process::Command::new("setpriv");
        command.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", env!("CARGO_BIN_EXE_paved")]);
        command.current_dir(dir.path());
        command
    };
    if !as_nobody().arg("--version").output().is_ok_and(|o| o.status.success()) {
        use std::io::Write;
        let _ =
            writeln!(std::io::stderr(), "SKIPPED an_unreadable_file_is_a_clear_error: running as root without setpriv");
        return;
    }
    let output = run(as_nobody().args(["catalog", "validate", "locked"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("locked/catalog-info.yaml") && err.contains("unreadable-file"), "{err}");
}

fn import(dir: &Path, args: &[&str]) -> Value {
    let output = run(paved(dir).args(["catalog", "import", "--format", "json"]).args(args));
    assert!(output.status.success(), "{}", stderr(&output));
    json(&output)
}

fn names(summary: &Value, key: &str) -> Vec<String> {
    summary[key].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

#[test]
fn importing_twice_changes_nothing_and_removed_entities_become_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let services = services_yaml().replace("owner: team-nobody", "owner: team-a").replace(
        "  owner: team-a\n---\napiVersion: backstage.io/v1alpha1\nkind: Group",
        "  lifecycle: beta\n  owner: team-a\n---\napiVersion: backstage.io/v1alpha1\nkind: Group",
    );
    write(dir.path(), "catalog/services.yaml", &services);

    let first = import(dir.path(), &["catalog"]);
    assert_eq!(first["added"].as_array().unwrap().len(), 3, "{first:#}");
    let second = import(dir.path(), &["catalog"]);
    assert_eq!(second["added"], Value::Array(vec![]));
    assert_eq!(second["updated"], Value::Array(vec![]));
    assert_eq!(second["unchanged"], 3);

    // Importing from another working directory names the same location.
    let output =
        run(paved(&dir.path().join("catalog")).args(["--database-url", "../paved.db", "catalog", "import", "."]));
    assert!(stdout(&output).contains("0 added, 0 updated, 3 unchanged"), "{}", stdout(&output));

    let without_search =
        services.split("---\n").filter(|doc| !doc.contains("name: search")).collect::<Vec<_>>().join("---\n");
    write(dir.path(), "catalog/services.yaml", &without_search);
    let third = import(dir.path(), &["catalog"]);
    assert_eq!(names(&third, "orphaned"), ["component:default/search"]);
    let output = run(paved(dir.path()).args(["catalog", "import", "catalog"]));
    assert!(stdout(&output).contains("orphaned component:default/search"), "{}", stdout(&output));

    let pruned = import(dir.path(), &["catalog", "--prune"]);
    assert_eq!(names(&pruned, "pruned"), ["component:default/search"]);
    let after = import(dir.path(), &["catalog"]);
    assert_eq!(after["orphaned"], Value::Array(vec![]));
    assert_eq!(after["unchanged"], 2);
}

#[test]
fn an_import_with_errors_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "catalog/services.yaml", &services_yaml());
    let output = run(paved(dir.path()).args(["catalog", "import", "catalog"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("nothing was imported"), "{}", stderr(&output));
    // team-a is valid, but must not have been stored either.
    write(
        dir.path(),
        "ok/team.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-z\nspec:\n  type: team\n  children: []\n",
    );
    let summary = import(dir.path(), &["ok"]);
    assert_eq!(names(&summary, "added"), ["group:default/team-z"]);
}

/// A descriptor imported on its own may name what the catalog already
/// holds (a Scorecard owned by a stored team), and the scorecard answers
/// `paved scorecard` at once; a name the catalog does not hold is still an
/// error that imports nothing.
#[test]
fn a_scorecard_imported_on_its_own_refers_to_the_stored_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let acme = super::support::acme().display().to_string();
    import(dir.path(), &[&acme]);
    let card = super::support::repo_root().join("examples/scorecards/readiness.yaml").display().to_string();
    let added = import(dir.path(), &[&card]);
    assert_eq!(names(&added, "added"), ["scorecard:default/readiness"]);
    let scored = run(paved(dir.path()).args(["scorecard", "--service", "checkout-api", "--format", "json"]));
    assert!(scored.status.success(), "{}", stderr(&scored));
    let scored = json(&scored);
    assert_eq!(scored[0]["services"][0]["service"], "component:default/checkout-api", "{scored}");
    let text = run(paved(dir.path()).args(["scorecard", "--service", "checkout-api"]));
    assert!(stdout(&text).contains("Production readiness (bronze < silver < gold)"), "{}", stdout(&text));

    let stray = std::fs::read_to_string(&card).unwrap().replace("owner: platform", "owner: nobody-here");
    write(dir.path(), "stray/readiness.yaml", &stray);
    let output = run(paved(dir.path()).args(["catalog", "import", "stray"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("group:default/nobody-here, which is not in the catalog"), "{}", stderr(&output));
}

#[test]
fn catalog_list_and_get_read_the_stored_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let acme = crate::support::acme().display().to_string();
    let output = run(paved(dir.path()).args(["catalog", "import", &acme]));
    assert!(output.status.success(), "{}", stderr(&output));

    let output = run(paved(dir.path()).args([
        "catalog",
        "list",
        "--kind",
        "component",
        "--owner",
        "checkout",
        "--format",
        "json",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let page = crate::support::json(&output);
    let refs: Vec<&str> = page["items"].as_array().unwrap().iter().map(|i| i["ref"].as_str().unwrap()).collect();
    assert!(refs.contains(&"component:default/checkout-api"), "{refs:?}");
    assert!(page["items"].as_array().unwrap().iter().all(|i| i["owner"] == "group:default/checkout"), "{page}");
    assert_eq!(page["total"].as_u64(), Some(refs.len() as u64));

    let output = run(paved(dir.path()).args(["catalog", "list", "--limit", "2"]));
    assert!(output.status.success());
    let text = stdout(&output);
    assert_eq!(text.lines().filter(|l| l.contains(':') && !l.contains("--offset")).count(), 2, "{text}");
    assert!(text.contains("the next ones: --offset 2"), "{text}");

    let output = run(paved(dir.path()).args(["catalog", "get", "checkout-api"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("component:default/checkout-api"), "{text}");
    assert!(
        text.contains("owner: group:default/checkout") && text.contains("ownedBy group:default/checkout"),
        "{text}"
    );

    let output = run(paved(dir.path()).args(["catalog", "get", "nope"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("paved catalog list --kind component"), "{}", stderr(&output));
}
