//! `paved drift` through the binary, on a service `paved new` made in a
//! real bare repository: in line when made; the team's own edit shown as
//! theirs; after the template gains an alert rule (version 2) the service
//! is behind, and `--update` pushes a branch that adds the rule (promtool
//! accepts it), merges the template's runbook section with the team's
//! changed line, leaves a conflicting file as the team has it, and leaves
//! main alone; once the team merges it, the service is on version 2 with
//! only its own edits left.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::support::{acme, json, paved, repo_root, run, stderr, stdout};

/// Copies `from` (a directory) to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `git args` in the work tree `dir`.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=Payments Dev", "-c", "user.email=dev@acme.example", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Replaces `old` (which must be there) with `new` in `path`.
fn edit(path: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(old), "{} has no `{old}`", path.display());
    std::fs::write(path, text.replacen(old, new, 1)).unwrap();
}

/// Each file's state in `paved drift --format json`'s one service.
fn states(found: &Value) -> Vec<(String, String)> {
    found[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_owned(), f["state"].as_str().unwrap().to_owned()))
        .filter(|(_, state)| state != "identical")
        .collect()
}

fn pair(path: &str, state: &str) -> (String, String) {
    (path.to_owned(), state.to_owned())
}

#[test]
fn drift_finds_the_team_s_edits_and_the_template_s_new_version_and_the_update_merges_them() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    copy_dir(&repo_root().join("examples/templates"), &templates);
    let repos = dir.path().join("repos");
    std::fs::write(dir.path().join("paved.toml"), format!("[scaffold]\nrepositories = \"{}\"\n", repos.display()))
        .unwrap();
    let template = templates.join("python-service/template.yaml").display().to_string();
    let acme = acme().display().to_string();
    let import = || {
        let imported = run(paved(dir.path()).args(["catalog", "import", &acme, &template]));
        assert!(imported.status.success(), "{}", stderr(&imported));
    };
    import();
    let drift = |extra: &[&str]| run(paved(dir.path()).args(["--config", "paved.toml", "drift"]).args(extra));
    let nothing = drift(&[]);
    assert!(stdout(&nothing).contains("No service here was made from a golden path yet"), "{}", stdout(&nothing));
    let made = run(paved(dir.path()).args([
        "--config",
        "paved.toml",
        "new",
        "python-service",
        "--set",
        "name=ledger",
        "--set",
        "owner=payments",
    ]));
    assert!(made.status.success(), "{}{}", stdout(&made), stderr(&made));

    // Made: every one of the ten files in line.
    let found = json(&drift(&["--format", "json"]));
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!((found[0]["in_line"].as_u64(), found[0]["managed"].as_u64()), (Some(10), Some(10)), "{found}");
    assert_eq!(found[0]["behind"], false, "{found}");

    // The team changes a line of the runbook and the dashboard's title.
    let work = dir.path().join("work");
    let bare = repos.join("ledger.git").display().to_string();
    git(dir.path(), &["clone", "--quiet", &bare, &work.display().to_string()]);
    let team_line = "started with it; #payments-oncall has the database runbook.";
    edit(&work.join("RUNBOOK.md"), "started with it.", team_line);
    edit(&work.join("dashboards/service.json"), "\"title\": \"ledger\",", "\"title\": \"Ledger (payments)\",");
    git(&work, &["commit", "--quiet", "-am", "Our own runbook line and dashboard title"]);
    git(&work, &["push", "--quiet", "origin", "main"]);
    let found = json(&drift(&["--service", "ledger", "--format", "json"]));
    assert_eq!(
        states(&found),
        [pair("RUNBOOK.md", "changed_by_team"), pair("dashboards/service.json", "changed_by_team")],
        "{found}"
    );
    assert_eq!((found[0]["in_line"].as_u64(), found[0]["behind"].as_bool()), (Some(8), Some(false)), "{found}");
    let nothing_to_do = drift(&["--update", "ledger"]);
    assert_eq!(nothing_to_do.status.code(), Some(2), "{}", stderr(&nothing_to_do));
    assert!(stderr(&nothing_to_do).contains("nothing to update"), "{}", stderr(&nothing_to_do));

    // Version 2 of the template: a latency alert with its runbook section,
    // and a dashboard title the team's edit conflicts with.
    let skeleton = templates.join("skeletons/service");
    edit(
        &templates.join("python-service/template.yaml"),
        "paved.dev/template-version: \"1\"",
        "paved.dev/template-version: \"2\"",
    );
    let rules = skeleton.join("alerts/rules.yaml");
    let mut text = std::fs::read_to_string(&rules).unwrap();
    text.push_str(
        "      - alert: HighLatency\n        expr: histogram_quantile(0.99, sum by (le) \
         (rate(http_request_duration_seconds_bucket{service=\"${{ values.name }}\"}[5m]))) > 0.5\n        \
         for: 10m\n        labels:\n          service: ${{ values.name }}\n          severity: warning\n        \
         annotations:\n          summary: \"${{ values.name }}'s p99 latency is over 500 ms\"\n          runbook_url: \
         ${{ values.repoWebUrl }}/${{ values.name }}/blob/main/RUNBOOK.md#highlatency\n",
    );
    std::fs::write(&rules, text).unwrap();
    let runbook = skeleton.join("RUNBOOK.md");
    let mut text = std::fs::read_to_string(&runbook).unwrap();
    text.push_str(
        "\n### HighLatency\n\nThe slowest requests take more than half a second: look at the latency panel.\n",
    );
    std::fs::write(&runbook, text).unwrap();
    edit(
        &skeleton.join("dashboards/service.json"),
        "\"title\": \"${{ values.name }}\",",
        "\"title\": \"${{ values.name }}: RED\",",
    );
    import();

    let shown = stdout(&drift(&[]));
    assert!(shown.contains("ledger (payments): python-service version 1, the template is at version 2"), "{shown}");
    assert!(shown.contains("behind: `paved drift --update ledger` offers the way back"), "{shown}");
    let found = json(&drift(&["--format", "json"]));
    assert_eq!(
        states(&found),
        [
            pair("RUNBOOK.md", "both_changed"),
            pair("alerts/rules.yaml", "template_moved"),
            pair("catalog-info.yaml", "template_moved"),
            pair("dashboards/service.json", "both_changed"),
        ],
        "{found}"
    );
    assert_eq!((found[0]["version"].as_str(), found[0]["current_version"].as_str()), (Some("1"), Some("2")));

    let updated = drift(&["--update", "ledger", "--format", "json"]);
    assert!(updated.status.success(), "{}{}", stdout(&updated), stderr(&updated));
    let update = json(&updated);
    assert_eq!(update["branch"], "paved/python-service-v2", "{update}");
    assert_eq!(update["updated"], serde_json::json!(["alerts/rules.yaml", "catalog-info.yaml"]), "{update}");
    assert_eq!(update["merged"], serde_json::json!(["RUNBOOK.md"]), "{update}");
    assert_eq!(update["conflicts"], serde_json::json!(["dashboards/service.json"]), "{update}");

    // The branch: the new rule (promtool reads it), the template's new
    // section beside the team's line, the team's dashboard kept; main as
    // the team left it.
    git(&work, &["fetch", "--quiet", "origin"]);
    let show = |path: &str| git(&work, &["show", &format!("origin/paved/python-service-v2:{path}")]);
    let runbook = show("RUNBOOK.md");
    assert!(runbook.contains(team_line) && runbook.contains("### HighLatency"), "{runbook}");
    assert!(!runbook.contains("<<<<<<<"), "{runbook}");
    assert!(show("dashboards/service.json").contains("\"title\": \"Ledger (payments)\","));
    let rules = show("alerts/rules.yaml");
    assert!(rules.contains("alert: HighLatency"), "{rules}");
    let file = dir.path().join("rules-v2.yaml");
    std::fs::write(&file, &rules).unwrap();
    if let Some(said) = super::new::promtool_check(&file) {
        assert!(said.contains("SUCCESS: 3 rules found"), "{said}");
    }
    assert!(show("catalog-info.yaml").contains("paved.dev/template-version: \"2\""));
    let message = git(&work, &["log", "-1", "--format=%an|%s|%b", "origin/paved/python-service-v2"]);
    assert!(
        message.starts_with("pavedroad|Update ledger from the golden path python-service (version 1 to 2)|"),
        "{message}"
    );
    assert!(message.contains("Conflicting, left as the team has them"), "{message}");
    assert_eq!(git(&work, &["rev-list", "--count", "origin/main"]).trim(), "2", "main is the team's");

    // Asked again: the branch is there.
    let again = drift(&["--update", "ledger"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("already has the branch paved/python-service-v2"), "{}", stderr(&again));

    // The team merges it: version 2, only its own edits left.
    git(&work, &["merge", "--quiet", "--ff-only", "origin/paved/python-service-v2"]);
    git(&work, &["push", "--quiet", "origin", "main"]);
    let found = json(&drift(&["--format", "json"]));
    assert_eq!(found[0]["version"], "2", "{found}");
    assert_eq!(
        states(&found),
        [pair("RUNBOOK.md", "changed_by_team"), pair("dashboards/service.json", "changed_by_team")],
        "{found}"
    );
    assert_eq!(found[0]["behind"], false, "{found}");
}
