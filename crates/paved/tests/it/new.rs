//! `paved new` through the binary on the local database: the Python golden
//! path's dry run renders every file, each accepted by the real tool that
//! consumes it (`paved catalog validate` for the catalog entry and the
//! deploy target, `promtool check rules` for the alert rules, Python's
//! unittest for the service's own test, a JSON parse for the dashboard);
//! a missing parameter and an unknown Template are named; a dry run writes
//! nothing.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::support::{acme, json, paved, repo_root, run, stderr, stdout};

fn template() -> String {
    template_of("python-service")
}

fn template_of(name: &str) -> String {
    repo_root().join(format!("examples/templates/{name}/template.yaml")).display().to_string()
}

/// The files in `dir` besides the database's own (its write-ahead log
/// comes and goes with any reader).
fn files_beside(dir: &Path) -> Vec<std::ffi::OsString> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .filter(|name| !name.to_string_lossy().starts_with("paved.db"))
        .collect();
    names.sort();
    names
}

/// Writes a dry run's files (from its JSON) under `out`.
fn write_files(run: &Value, out: &Path) {
    for file in run["files"].as_array().unwrap() {
        let path = out.join(file["path"].as_str().unwrap());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, file["text"].as_str().expect("every file of this template is text")).unwrap();
    }
}

#[test]
fn the_python_golden_path_renders_files_each_real_tool_accepts_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let acme = acme().display().to_string();
    let imported = run(paved(dir.path()).args(["catalog", "import", &acme, &template()]));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let before = files_beside(dir.path());

    let new = ["new", "python-service", "--set", "name=ledger", "--set", "owner=payments", "--dry-run"];
    let text = run(paved(dir.path()).args(new));
    assert!(text.status.success(), "{}", stderr(&text));
    let shown = stdout(&text);
    assert!(shown.contains("dry run: nothing is written") && shown.contains("+ deploy.sh (executable)"), "{shown}");
    assert!(shown.contains("+++ b/RUNBOOK.md\n") && shown.contains("+# ledger runbook"), "the diff: {shown}");
    let dry = json(&run(paved(dir.path()).args(new).args(["--format", "json"])));
    let after = files_beside(dir.path());
    assert_eq!(before, after, "a dry run writes nothing");
    let paths: Vec<&str> = dry["files"].as_array().unwrap().iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(
        paths,
        [
            ".github/workflows/ci.yaml",
            ".gitlab-ci.yml",
            "RUNBOOK.md",
            "alerts/rules.yaml",
            "app.py",
            "catalog-info.yaml",
            "dashboards/service.json",
            "deploy-target.yaml",
            "deploy.sh",
            "test_app.py"
        ]
    );

    let out = dir.path().join("out");
    write_files(&dry, &out);
    every_service_s_files_pass_their_tools(dir.path(), &out, "python-service");
    // The service's own test, with Python's standard library only.
    let tested = Command::new("python3").args(["-m", "unittest", "-q"]).current_dir(&out).output().unwrap();
    assert!(tested.status.success(), "{}", String::from_utf8_lossy(&tested.stderr));
    // The dashboard: the model's keys, its datasource a variable.
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("dashboards/service.json")).unwrap()).unwrap();
    for key in ["title", "uid", "panels", "schemaVersion", "templating"] {
        assert!(dashboard.get(key).is_some(), "{key} in the dashboard");
    }
    assert_eq!(dashboard["templating"]["list"][0]["type"], "datasource");
    assert!(dashboard["panels"].as_array().unwrap().iter().all(|p| p["datasource"]["uid"] == "${datasource}"));
    // GitHub's own expressions survive the rendering.
    let workflow = std::fs::read_to_string(out.join(".github/workflows/ci.yaml")).unwrap();
    assert!(
        workflow.contains("${{ secrets.PAVED_TOKEN }}") && workflow.contains("/services/ledger/deploys"),
        "{workflow}"
    );

    let missing = run(paved(dir.path()).args(["new", "python-service", "--set", "owner=payments", "--dry-run"]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("\"name\" is a required property"), "{}", stderr(&missing));
    let bad = run(paved(dir.path()).args([
        "new",
        "python-service",
        "--set",
        "name=Ledger!",
        "--set",
        "owner=payments",
        "--dry-run",
    ]));
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("parameter `name`"), "{}", stderr(&bad));
    let unknown = run(paved(dir.path()).args(["new", "go-service", "--dry-run"]));
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("no Template `go-service` in the catalog; the golden paths offered: python-service"),
        "{}",
        stderr(&unknown)
    );
    let nobody = run(paved(dir.path()).args([
        "new",
        "python-service",
        "--set",
        "name=ledger",
        "--set",
        "owner=ghosts",
        "--dry-run",
    ]));
    assert_eq!(nobody.status.code(), Some(2));
    assert!(stderr(&nobody).contains("group:default/ghosts is not a team of the catalog"), "{}", stderr(&nobody));
}

/// `git --git-dir <repo> <args>`: what it printed.
fn git_in(repo: &Path, args: &[&str]) -> String {
    let output = Command::new("git").arg("--git-dir").arg(repo).args(args).output().unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn a_run_publishes_the_first_commit_and_registers_the_service_and_its_deploy_target() {
    let dir = tempfile::tempdir().unwrap();
    let repos = dir.path().join("repos");
    std::fs::write(dir.path().join("paved.toml"), format!("[scaffold]\nrepositories = \"{}\"\n", repos.display()))
        .unwrap();
    let acme = acme().display().to_string();
    let imported = run(paved(dir.path()).args(["catalog", "import", &acme, &template()]));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let new = ["--config", "paved.toml", "new", "python-service", "--set", "name=ledger", "--set", "owner=payments"];

    let made = run(paved(dir.path()).args(new));
    assert!(made.status.success(), "{}{}", stdout(&made), stderr(&made));
    let said = stdout(&made);
    let bare = repos.join("ledger.git");
    assert!(said.contains(&format!("pushed 10 files to {}", bare.display())), "{said}");
    assert!(said.contains("the catalog now holds component:default/ledger"), "{said}");
    // The example organisation gives payments no Schedule: the run says so
    // before it pushes, naming the line, and goes on.
    assert!(
        said.contains(
            "warning: catalog-info.yaml:7: paved.dev/oncall refers to schedule:default/payments-oncall, which is not \
             in the catalog"
        ),
        "{said}"
    );
    assert!(said.contains("deploytarget:default/ledger-production"), "{said}");
    assert!(said.contains(&format!("Repository: {}", bare.display())), "the output links: {said}");
    // One commit on main holding every file, deploy.sh executable.
    assert_eq!(git_in(&bare, &["rev-list", "--count", "main"]), "1");
    let tree = git_in(&bare, &["ls-tree", "-r", "main"]);
    assert_eq!(tree.lines().count(), 10, "{tree}");
    assert!(tree.lines().any(|l| l.starts_with("100755") && l.ends_with("\tdeploy.sh")), "{tree}");
    let message = git_in(&bare, &["log", "-1", "--format=%an|%s|%b", "main"]);
    assert!(message.starts_with("pavedroad|Start ledger from the golden path python-service|"), "{message}");
    assert!(message.contains("Paved-Template-Version: 1"), "{message}");
    let sha = git_in(&bare, &["rev-parse", "main"]);

    // The catalog has the service (owned by payments) and its target: a
    // deploy of the first commit may start.
    let check = run(paved(dir.path()).args(["deploy", "check", "ledger", "--version", &sha, "--format", "json"]));
    assert!(check.status.success(), "{}{}", stdout(&check), stderr(&check));
    assert_eq!(json(&check)["allowed"], true, "{}", stdout(&check));

    // The same name again: the repository exists, nothing is overwritten.
    let again = run(paved(dir.path()).args(new));
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("already has commits; a golden path starts a new repository"),
        "{}",
        stderr(&again)
    );
    assert_eq!(git_in(&bare, &["rev-list", "--count", "main"]), "1");
}

/// `promtool check rules FILE`: what it said, after asserting that it
/// accepted the file; `None` when promtool is not installed (unless
/// `PAVED_REQUIRE_PROMTOOL` is set, which makes that a failure).
pub(super) fn promtool_check(file: &Path) -> Option<String> {
    match Command::new("promtool").arg("check").arg("rules").arg(file).output() {
        Ok(checked) => {
            let said = String::from_utf8_lossy(&checked.stdout).into_owned();
            assert!(checked.status.success(), "{said}{}", String::from_utf8_lossy(&checked.stderr));
            Some(said)
        }
        Err(_) => {
            assert!(
                std::env::var_os("PAVED_REQUIRE_PROMTOOL").is_none(),
                "PAVED_REQUIRE_PROMTOOL is set but promtool is missing (apt-get install prometheus)"
            );
            eprintln!("SKIPPED: promtool is not installed (apt-get install prometheus)");
            None
        }
    }
}

/// What every golden path generates, each file handed to the tool that
/// consumes it: the catalog entry and deploy target to `paved catalog
/// validate` (with the organisation), the alert rules to `promtool check
/// rules`, the dashboard to a JSON parse; GitHub's own expressions survive.
fn every_service_s_files_pass_their_tools(dir: &Path, out: &Path, template: &str) {
    let acme = acme().display().to_string();
    // The catalog entry and the deploy target, with the organisation.
    let validated = run(paved(dir)
        .args(["catalog", "validate", &acme])
        .arg(out.join("catalog-info.yaml"))
        .arg(out.join("deploy-target.yaml")));
    assert!(validated.status.success(), "{}{}", stdout(&validated), stderr(&validated));
    assert!(stdout(&validated).contains("0 error(s)"), "{}", stdout(&validated));
    let entry = std::fs::read_to_string(out.join("catalog-info.yaml")).unwrap();
    for expected in [
        "name: ledger",
        "owner: payments",
        "paved.dev/oncall: payments-oncall",
        "paved.dev/escalation-policy: payments-escalation",
        &format!("backstage.io/source-template: template:default/{template}"),
        "paved.dev/template-version: \"1\"",
        "type: runbook",
    ] {
        assert!(entry.contains(expected), "{expected}: {entry}");
    }
    // The alert rules, with promtool.
    if let Some(said) = promtool_check(&out.join("alerts/rules.yaml")) {
        assert!(said.contains("SUCCESS: 2 rules found"), "{said}");
    }
    let rules = std::fs::read_to_string(out.join("alerts/rules.yaml")).unwrap();
    assert_eq!(
        rules.matches("runbook_url: https://git.acme.example/acme/ledger/blob/main/RUNBOOK.md#").count(),
        2,
        "{rules}"
    );
    assert_eq!(rules.matches("service: ledger").count(), 2, "{rules}");
    // The pipelines, against the schemas GitHub's and GitLab's editors use.
    if schema_check(&out.join(".github/workflows/ci.yaml"), "github-workflows").is_some() {
        schema_check(&out.join(".gitlab-ci.yml"), "gitlab-ci");
    }
}

/// `check-jsonschema --builtin-schema vendor.SCHEMA FILE` (PyPI
/// `check-jsonschema`; its schemas are SchemaStore's, vendored): asserts
/// that it accepts the file, and that it refuses the same file with a job
/// key misspelt, so that a pass means something. `None` when it is not
/// installed (unless `PAVED_REQUIRE_CHECK_JSONSCHEMA` is set, which makes
/// that a failure).
fn schema_check(file: &Path, schema: &str) -> Option<()> {
    let check = |file: &Path| {
        Command::new("check-jsonschema").arg("--builtin-schema").arg(format!("vendor.{schema}")).arg(file).output()
    };
    let checked = match check(file) {
        Ok(checked) => checked,
        Err(_) => {
            assert!(
                std::env::var_os("PAVED_REQUIRE_CHECK_JSONSCHEMA").is_none(),
                "PAVED_REQUIRE_CHECK_JSONSCHEMA is set but check-jsonschema is missing (pip install check-jsonschema)"
            );
            eprintln!("SKIPPED: check-jsonschema is not installed (pip install check-jsonschema)");
            return None;
        }
    };
    let said = format!("{}{}", String::from_utf8_lossy(&checked.stdout), String::from_utf8_lossy(&checked.stderr));
    assert!(checked.status.success(), "{schema}: {said}");
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains("script:") || text.contains("runs-on:"), "{text}");
    let broken = file.with_extension("broken.yml");
    std::fs::write(&broken, text.replacen("script:", "scripts:", 1).replacen("runs-on:", "run-on:", 1)).unwrap();
    let refused = check(&broken).unwrap();
    assert!(
        !refused.status.success(),
        "{schema} accepted a misspelt key: {}",
        String::from_utf8_lossy(&refused.stdout)
    );
    std::fs::remove_file(broken).unwrap();
    Some(())
}

#[test]
fn the_rust_golden_path_renders_a_crate_rustfmt_reads_and_the_same_road_files() {
    let dir = tempfile::tempdir().unwrap();
    let acme = acme().display().to_string();
    let imported = run(paved(dir.path()).args(["catalog", "import", &acme, &template_of("rust-service")]));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let new =
        ["new", "rust-service", "--set", "name=ledger", "--set", "owner=payments", "--dry-run", "--format", "json"];
    let dry = json(&run(paved(dir.path()).args(new)));
    let paths: Vec<&str> = dry["files"].as_array().unwrap().iter().filter_map(|f| f["path"].as_str()).collect();
    for expected in ["Cargo.toml", "src/main.rs", "deploy.sh", "catalog-info.yaml", "alerts/rules.yaml", "RUNBOOK.md"] {
        assert!(paths.contains(&expected), "{expected}: {paths:?}");
    }
    let out = dir.path().join("out");
    write_files(&dry, &out);
    every_service_s_files_pass_their_tools(dir.path(), &out, "rust-service");
    // The crate: rustfmt parses (and finds formatted) what was rendered;
    // Cargo.toml is TOML naming the service.
    let formatted =
        Command::new("rustfmt").args(["--check", "--edition", "2021"]).arg(out.join("src/main.rs")).output().unwrap();
    assert!(
        formatted.status.success(),
        "{}{}",
        String::from_utf8_lossy(&formatted.stdout),
        String::from_utf8_lossy(&formatted.stderr)
    );
    let manifest = Command::new("python3")
        .args(["-c", "import sys, tomllib; print(tomllib.load(open(sys.argv[1], 'rb'))['package']['name'])"])
        .arg(out.join("Cargo.toml"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&manifest.stdout).trim(),
        "ledger",
        "{}",
        String::from_utf8_lossy(&manifest.stderr)
    );
    let workflow = std::fs::read_to_string(out.join(".github/workflows/ci.yaml")).unwrap();
    assert!(workflow.contains("run: cargo test") && !workflow.contains("unittest"), "{workflow}");
    let gitlab = std::fs::read_to_string(out.join(".gitlab-ci.yml")).unwrap();
    assert!(gitlab.contains("image: rust:") && gitlab.contains("- cargo test"), "{gitlab}");
}

/// The acceptance of the Python golden path, end to end: `paved new` makes
/// ledger for payments, and a payments member's deploy of its first commit
/// through `paved serve` (its embedded runner) clones the new repository,
/// starts the service and passes its health check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_service_deploys_its_first_commit_and_passes_its_health_check() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let repos = dir.join("repos");
    let state = dir.join("state");
    std::fs::write(dir.join("paved.toml"), format!("[scaffold]\nrepositories = \"{}\"\n", repos.display())).unwrap();
    let acme = acme().display().to_string();
    let imported = run(paved(dir).args(["catalog", "import", &acme, &template()]));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let token_of = |user: &str| {
        let created = run(paved(dir).args(["token", "create", "--user", user, "--format", "json"]));
        json(&created)["token"].as_str().unwrap().to_owned()
    };
    let token = token_of("user:default/james.carter");
    let outsider = token_of("user:default/ana.souza");

    let state_dir = state.display().to_string();
    let server = super::support::Server::start_with_env(
        dir,
        &["--config", "paved.toml", "--runner-lease", "2s"],
        &[("PAVED_STATE_DIR", state_dir.as_str())],
    );
    let _stop = StopService(state.join("pid"));
    // A developer starts the service from a laptop: the run is the
    // server's, done as the token's person.
    let new = |token: &str| {
        run(paved(dir).args(["new", "python-service", "--server", &server.base, "--token", token]).args([
            "--set",
            "name=ledger",
            "--set",
            "owner=payments",
            "--set",
            &format!("port={port}"),
        ]))
    };
    let refused = new(&outsider);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("403") && stderr(&refused).contains("james.carter"), "{}", stderr(&refused));
    let made = new(&token);
    assert!(made.status.success(), "{}{}", stdout(&made), stderr(&made));
    assert!(stdout(&made).contains("python-service version 1 (run "), "{}", stdout(&made));
    let bare = repos.join("ledger.git");
    assert_eq!(git_in(&bare, &["log", "-1", "--format=%an", "main"]), "James Carter", "authored by who asked");
    let sha = git_in(&bare, &["rev-parse", "main"]);
    // The server checked its drift at once; `paved drift --server` reads it.
    let drift = run(paved(dir)
        .args(["drift", "--server", &server.base, "--token", &token, "--service", "ledger"])
        .args(["--format", "json"]));
    assert!(drift.status.success(), "{}", stderr(&drift));
    let drift = json(&drift);
    assert_eq!((drift[0]["in_line"].as_u64(), drift[0]["behind"].as_bool()), (Some(10), Some(false)), "{drift}");

    let auth = format!("Bearer {token}");
    let body = serde_json::json!({ "version": sha }).to_string().into_bytes();
    let (status, queued) = server
        .post(
            "/api/v1/services/ledger/deploys",
            &[("authorization", &auth), ("content-type", "application/json")],
            body,
        )
        .await;
    assert_eq!(status, 202, "{queued}");
    let id = queued["deploy"]["id"].as_i64().unwrap();
    let mut done = Value::Null;
    for _ in 0..600 {
        let (_, body) = server.get(&format!("/api/v1/deploys/{id}")).await;
        if matches!(body["deploy"]["state"].as_str(), Some("succeeded" | "failed" | "interrupted")) {
            done = body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(done["deploy"]["state"], "succeeded", "{done}");
    let health: Value = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.unwrap().json().await.unwrap();
    assert_eq!((health["service"].as_str(), health["version"].as_str()), (Some("ledger"), Some(sha.as_str())));
}

/// Stops the service a deploy started (its pid file), whatever happened.
struct StopService(std::path::PathBuf);

impl Drop for StopService {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}
