//! Recording deployments and incidents with the CLI, on the local database
//! and on a server; tokens; identities fixed in the catalog and attributed
//! by `paved events rebuild`.

use std::path::Path;

use crate::support::{Server, acme, json, paved, run, stderr, stdout};

fn import_acme(dir: &Path) {
    let acme = acme().display().to_string();
    let output = run(paved(dir).args(["catalog", "import", &acme]));
    assert!(output.status.success(), "{}", stderr(&output));
}

const DEPLOY: [&str; 8] =
    ["deploy", "record", "--service", "checkout-api", "--environment", "production", "--sha", "0123abcd"];

#[test]
fn a_deployment_recorded_twice_is_one_deployment_and_bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    import_acme(dir.path());
    let first = run(paved(dir.path()).args(DEPLOY).args(["--id", "run-1", "--actor", "lenafischer"]));
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("recorded deployment api:run-1 of component:default/checkout-api"),
        "{}",
        stdout(&first)
    );
    let again =
        run(paved(dir.path()).args(DEPLOY).args(["--id", "run-1", "--actor", "lenafischer", "--format", "json"]));
    let again = json(&again);
    assert_eq!((again["key"].as_str(), again["status"].as_str()), (Some("api:run-1"), Some("success")));
    let listed = json(&run(paved(dir.path()).args(["events", "list", "--format", "json"])));
    assert_eq!(listed.as_array().unwrap().len(), 1, "the retry stored nothing: {listed}");

    let unknown = run(paved(dir.path()).args([
        "deploy",
        "record",
        "--service",
        "checkout",
        "--environment",
        "prod",
        "--sha",
        "0123abcd",
    ]));
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("did you mean checkout-api"), "{}", stderr(&unknown));
    let bad_time = run(paved(dir.path()).args(DEPLOY).args(["--finished", "yesterday"]));
    assert_eq!(bad_time.status.code(), Some(2));
    assert!(stderr(&bad_time).contains("finished_at `yesterday` is not an RFC 3339 time"), "{}", stderr(&bad_time));
}

#[test]
fn an_incident_is_opened_acknowledged_and_resolved_by_its_id() {
    let dir = tempfile::tempdir().unwrap();
    import_acme(dir.path());
    let open = run(paved(dir.path()).args([
        "incident",
        "open",
        "--service",
        "checkout-api",
        "--id",
        "INC-7",
        "--severity",
        "SEV-2",
        "--title",
        "pay fails",
        "--at",
        "2026-11-02T02:00:00Z",
    ]));
    assert!(open.status.success(), "{}", stderr(&open));
    assert!(
        stdout(&open).contains("incident INC-7 on component:default/checkout-api opened; now open"),
        "{}",
        stdout(&open)
    );
    let ack = run(paved(dir.path()).args([
        "incident",
        "ack",
        "--id",
        "INC-7",
        "--by",
        "mrossi",
        "--at",
        "2026-11-02T02:05:00Z",
    ]));
    assert!(stdout(&ack).contains("now acknowledged"), "{}", stdout(&ack));
    let resolved = json(&run(paved(dir.path()).args([
        "incident",
        "resolve",
        "--id",
        "INC-7",
        "--by",
        "user:marco.rossi",
        "--at",
        "2026-11-02T03:00:00Z",
        "--format",
        "json",
    ])));
    assert_eq!(resolved["resolved_by"], "user:default/marco.rossi");
    assert_eq!(resolved["acknowledged_at"], "2026-11-02T02:05:00Z");
    let missing = run(paved(dir.path()).args(["incident", "ack", "--id", "INC-8", "--by", "mrossi"]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no incident `api:INC-8`"), "{}", stderr(&missing));
}

#[test]
fn an_unresolved_person_is_listed_then_attributed_after_the_catalog_is_fixed() {
    let dir = tempfile::tempdir().unwrap();
    import_acme(dir.path());
    let output = run(paved(dir.path()).args(DEPLOY).args(["--id", "run-9", "--actor", "newcomer@acme.example"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let unresolved = json(&run(paved(dir.path()).args(["identities", "--unresolved", "--format", "json"])));
    let unresolved = unresolved.as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{unresolved:?}");
    assert_eq!(
        (unresolved[0]["identity"].as_str(), unresolved[0]["events"].as_u64()),
        (Some("email:newcomer@acme.example"), Some(1))
    );

    // The catalog learns who that is.
    let catalog = dir.path().join("catalog");
    std::fs::create_dir(&catalog).unwrap();
    std::fs::write(
        catalog.join("newcomer.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: newcomer\n  annotations:\n    paved.dev/emails: newcomer@acme.example\nspec:\n  memberOf: []\n",
    )
    .unwrap();
    let imported = run(paved(dir.path()).args(["catalog", "import", "catalog"]));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let text = stdout(&run(paved(dir.path()).args(["identities"])));
    assert!(text.contains("user:default/newcomer  (run `paved events rebuild`)"), "{text}");
    let rebuilt = run(paved(dir.path()).args(["events", "rebuild"]));
    assert!(stdout(&rebuilt).contains("rebuilt 1 records from 1 raw events"), "{}", stdout(&rebuilt));
    let after = json(&run(paved(dir.path()).args(["identities", "--format", "json"])));
    assert_eq!(after[0]["person"], "user:default/newcomer");
    assert_eq!(after[0]["needs_rebuild"], false);
    assert!(
        json(&run(paved(dir.path()).args(["identities", "--unresolved", "--format", "json"])))
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn tokens_are_shown_once_listed_without_their_secret_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    import_acme(dir.path());
    let created = run(paved(dir.path()).args(["token", "create", "--team", "checkout", "--name", "ci-checkout"]));
    let token = stdout(&created).trim().to_owned();
    assert!(token.starts_with("paved_") && token.len() == 70, "{token}");
    assert!(stderr(&created).contains("shown only now"));
    let listed = stdout(&run(paved(dir.path()).args(["token", "list"])));
    assert!(listed.contains("ci-checkout") && listed.contains("team group:default/checkout"), "{listed}");
    assert!(!listed.contains(&token[12..]), "the secret is never listed: {listed}");
    assert!(!std::fs::read(dir.path().join("paved.db")).unwrap().windows(token.len()).any(|w| w == token.as_bytes()));
    let revoked = run(paved(dir.path()).args(["token", "revoke", "1"]));
    assert!(stdout(&revoked).contains("token 1 (ci-checkout) is revoked"));
    let neither = run(paved(dir.path()).args(["token", "create"]));
    assert_eq!(neither.status.code(), Some(2), "--team or --admin is required");
    let nobody = run(paved(dir.path()).args(["token", "create", "--team", "nobody"]));
    assert_eq!(nobody.status.code(), Some(2));
}

#[test]
fn a_personal_token_names_a_catalog_user_and_may_expire() {
    let dir = tempfile::tempdir().unwrap();
    import_acme(dir.path());
    let created = run(paved(dir.path()).args([
        "token",
        "create",
        "--user",
        "lena.fischer",
        "--expires",
        "90d",
        "--format",
        "json",
    ]));
    let created = json(&created);
    assert_eq!(
        (created["scope"].as_str(), created["user"].as_str()),
        (Some("user"), Some("user:default/lena.fischer"))
    );
    assert_eq!(created["name"], "lena.fischer", "named after the person by default");
    let expires = chrono::DateTime::parse_from_rfc3339(created["expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((89.9..=90.0).contains(&days), "{days}");
    let listed = stdout(&run(paved(dir.path()).args(["token", "list"])));
    assert!(listed.contains("user user:default/lena.fischer") && listed.contains("active, expires"), "{listed}");
    let nobody = run(paved(dir.path()).args(["token", "create", "--user", "nobody"]));
    assert_eq!(nobody.status.code(), Some(2));
    assert!(stderr(&nobody).contains("no User user:default/nobody in the catalog"), "{}", stderr(&nobody));
    let bad = run(paved(dir.path()).args(["token", "create", "--user", "lena.fischer", "--expires", "3y"]));
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("expires: `3y` needs a unit"), "{}", stderr(&bad));
    let both = run(paved(dir.path()).args(["token", "create", "--user", "lena.fischer", "--team", "checkout"]));
    assert_eq!(both.status.code(), Some(2), "a token is a person's or a team's");
}

#[tokio::test]
async fn the_cli_records_on_a_server_with_a_team_token() {
    let dir = tempfile::tempdir().unwrap();
    import_acme(dir.path());
    let token = stdout(&run(paved(dir.path()).args(["token", "create", "--team", "checkout"]))).trim().to_owned();
    let server = Server::start(dir.path(), &[]);
    let client_dir = tempfile::tempdir().unwrap();
    let remote = |args: &[&str]| {
        let mut command = paved(client_dir.path());
        command.args(args).args(["--server", &server.base, "--token", &token]);
        run(&mut command)
    };
    let recorded = remote(&DEPLOY);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    assert!(stdout(&recorded).contains("recorded deployment"), "{}", stdout(&recorded));
    assert!(!client_dir.path().join("paved.db").exists(), "nothing is written locally");
    let (_, page) = server.get("/api/v1/deployments?service=checkout-api").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    let forbidden = remote(&[
        "deploy",
        "record",
        "--service",
        "payments-service",
        "--environment",
        "production",
        "--sha",
        "0123abcd",
    ]);
    assert_eq!(forbidden.status.code(), Some(2));
    assert!(
        stderr(&forbidden).contains("403") && stderr(&forbidden).contains("does not own"),
        "{}",
        stderr(&forbidden)
    );
    let mut wrong = paved(client_dir.path());
    wrong.args(DEPLOY).args(["--server", &server.base, "--token", "paved_wrong"]);
    let wrong = run(&mut wrong);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("401"), "{}", stderr(&wrong));
    let (status, _) = server.post("/api/v1/incidents", &[], b"{}".to_vec()).await;
    assert_eq!(status, 401);
}

/// Imports the example organisation and a production DeployTarget of
/// checkout-api whose spec ends with `policy` (YAML lines, or nothing).
fn import_acme_with_target(dir: &Path, policy: &str) {
    let target = dir.join("deploy-target.yaml");
    let yaml = format!(
        "apiVersion: paved.dev/v1alpha1
kind: DeployTarget
metadata: {{ name: checkout-api-production }}
spec:
  component: checkout-api
  environment: production
  steps: [ {{ name: release, run: ./deploy.sh }} ]
{policy}"
    );
    std::fs::write(&target, yaml).unwrap();
    let acme = acme().display().to_string();
    let imported = run(paved(dir).args(["catalog", "import", &acme, &target.display().to_string()]));
    assert!(imported.status.success(), "{}", stderr(&imported));
}

#[test]
fn deploy_check_reports_every_check_and_refuses_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    import_acme_with_target(dir.path(), "  policy: { checks_passed: true }\n");
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let check = |user: &str| {
        run(paved(dir.path()).args([
            "deploy",
            "check",
            "checkout-api",
            "--version",
            sha,
            "--as",
            user,
            "--format",
            "json",
        ]))
    };
    let owner = check("lena.fischer");
    assert_eq!(owner.status.code(), Some(2), "no CI result yet: {}", stdout(&owner));
    let verdict = json(&owner);
    let failed: Vec<&str> = verdict["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["checks_passed"], "{verdict}");
    let other = check("priya.raman");
    let text = stdout(&run(paved(dir.path()).args([
        "deploy",
        "check",
        "checkout-api",
        "--version",
        sha,
        "--as",
        "priya.raman",
    ])));
    assert_eq!(other.status.code(), Some(2));
    assert!(text.contains("FAIL  may_act") && text.contains("owned by group:default/checkout"), "{text}");
    assert!(text.ends_with("a deploy of checkout-api to production is refused\n"), "{text}");
    let staging =
        run(paved(dir.path()).args(["deploy", "check", "checkout-api", "--environment", "staging", "--version", sha]));
    assert_eq!(staging.status.code(), Some(2));
    assert!(stderr(&staging).contains("has no DeployTarget for staging (it has: production)"), "{}", stderr(&staging));
}

#[test]
fn the_organisations_deploy_policy_fills_what_a_target_leaves_out() {
    let dir = tempfile::tempdir().unwrap();
    import_acme_with_target(dir.path(), "");
    let opened = run(paved(dir.path()).args([
        "incident",
        "open",
        "--service",
        "checkout-api",
        "--id",
        "INC-1",
        "--severity",
        "SEV-1",
    ]));
    assert!(opened.status.success(), "{}", stderr(&opened));
    let config = dir.path().join("paved.toml");
    std::fs::write(&config, "[deploy_policy]\nblock_on_open_incident = \"SEV-2\"\n").unwrap();
    let config = config.display().to_string();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let check = run(paved(dir.path()).args([
        "--config",
        &config,
        "deploy",
        "check",
        "checkout-api",
        "--version",
        sha,
        "--as",
        "lena.fischer",
    ]));
    assert_eq!(check.status.code(), Some(2), "{}", stdout(&check));
    assert!(
        stdout(&check).contains("FAIL  open_incident  api:INC-1 is open with severity SEV-1 (SEV-2 or worse blocks)"),
        "{}",
        stdout(&check)
    );
    let without =
        run(paved(dir.path()).args(["deploy", "check", "checkout-api", "--version", sha, "--as", "lena.fischer"]));
    assert!(without.status.success(), "without the organisation's policy nothing blocks: {}", stdout(&without));
    std::fs::write(
        dir.path().join("bad.toml"),
        "[deploy_policy]\ndeny_windows = [{ days = [\"funday\"], from = \"15:00\", to = \"16:00\" }]\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml").display().to_string();
    let refused = run(paved(dir.path()).args(["--config", &bad, "deploy", "check", "checkout-api", "--version", sha]));
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("deploy_policy.deny_windows[0].days must list weekdays"), "{}", stderr(&refused));
}
