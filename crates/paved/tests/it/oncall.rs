//! `paved oncall` and `paved oncall override` through the real binary: who
//! is on call, until when and who is next, on the local database and on a
//! server; an override by checkout's people is who is on call, one by
//! another team's person is refused (exit 2) naming checkout's people.

use std::path::Path;
use std::process::Output;

use chrono::{Duration, SubsecRound, Utc};
use serde_json::Value;

use super::support::{Server, acme, json, paved, run, stderr, stdout};

fn import_acme(dir: &Path) {
    let acme = acme().display().to_string();
    let output = run(paved(dir).args(["catalog", "import", &acme]));
    assert!(output.status.success(), "{}", stderr(&output));
}

/// `from`/`to` of an override from an hour ago to `hours` from now, as
/// RFC 3339.
fn span(hours: i64) -> (String, String) {
    let now = Utc::now().trunc_subsecs(0);
    ((now - Duration::hours(1)).to_rfc3339(), (now + Duration::hours(hours)).to_rfc3339())
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "exit {:?}: {}{}", output.status.code(), stdout(output), stderr(output));
    stdout(output)
}

#[test]
fn the_cli_says_who_is_on_call_and_overrides_it_on_the_local_database() {
    let dir = tempfile::tempdir().unwrap();
    import_acme(dir.path());
    let table = ok(&run(paved(dir.path()).args(["oncall", "--team", "checkout"])));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("SCHEDULE") && lines[0].contains("ON CALL") && lines[0].ends_with("NEXT"), "{table}");
    assert!(lines[1].starts_with("checkout-oncall (primary)"), "{table}");
    assert!(lines[1].contains("lena.fischer") && lines[1].contains("marco.rossi"), "one now, the other next: {table}");

    let (from, to) = span(3);
    let made = ok(&run(paved(dir.path()).args([
        "oncall",
        "override",
        "--schedule",
        "checkout-oncall",
        "--user",
        "ana.souza",
        "--from",
        &from,
        "--to",
        &to,
        "--reason",
        "covering for lena",
        "--format",
        "json",
    ])));
    let made: Value = serde_json::from_str(&made).unwrap();
    assert_eq!((made["user"].as_str(), made["created_by"].as_str()), (Some("user:default/ana.souza"), Some("cli")));

    let now = json(&run(paved(dir.path()).args(["oncall", "--service", "checkout-api", "--format", "json"])));
    assert_eq!(now[0]["current"]["person"], "user:default/ana.souza", "{now}");
    assert_eq!(now[0]["current"]["end"], made["end"]);
    let text = ok(&run(paved(dir.path()).args(["oncall", "--schedule", "checkout-oncall"])));
    assert!(text.lines().nth(1).unwrap().contains("ana.souza (override)"), "{text}");

    // A local time in the Schedule's zone (Europe/Berlin) after it ends.
    let later = (Utc::now() + Duration::hours(5)).with_timezone(&chrono_tz::Europe::Berlin).format("%Y-%m-%d %H:%M");
    let then = json(&run(paved(dir.path()).args([
        "oncall",
        "--team",
        "checkout",
        "--at",
        &later.to_string(),
        "--format",
        "json",
    ])));
    assert_ne!(then[0]["current"]["person"], "user:default/ana.souza", "{then}");

    let listed = ok(&run(paved(dir.path()).args(["oncall", "override", "list"])));
    assert!(listed.contains("covering for lena") && listed.lines().count() == 2, "{listed}");
    let id = made["id"].as_i64().unwrap().to_string();
    let deleted = ok(&run(paved(dir.path()).args(["oncall", "override", "delete", &id])));
    assert!(
        deleted.starts_with(&format!("deleted override {id}: ana.souza is on call for checkout-oncall")),
        "{deleted}"
    );
    let gone = run(paved(dir.path()).args(["oncall", "override", "delete", &id]));
    assert_eq!(gone.status.code(), Some(2));
    assert!(stderr(&gone).contains(&format!("no on-call override {id}")), "{}", stderr(&gone));

    for (args, says) in [
        (
            vec![
                "oncall",
                "override",
                "--schedule",
                "checkout-oncall",
                "--user",
                "nobody",
                "--from",
                &from,
                "--to",
                &to,
            ],
            "no User `nobody`",
        ),
        (
            vec![
                "oncall",
                "override",
                "--schedule",
                "checkout-oncall",
                "--user",
                "ana.souza",
                "--from",
                "soon",
                "--to",
                &to,
            ],
            "from `soon` is not a time",
        ),
        (
            vec!["oncall", "override", "--schedule", "checkout-oncall"],
            "an override needs --schedule, --user, --from and --to",
        ),
        (vec!["oncall", "--team", "nobody"], "no team `nobody`"),
    ] {
        let refused = run(paved(dir.path()).args(&args));
        assert_eq!(refused.status.code(), Some(2), "{args:?}: {}", stderr(&refused));
        assert!(stderr(&refused).contains(says), "{args:?}: {}", stderr(&refused));
    }
}

#[tokio::test]
async fn on_a_server_another_team_s_person_is_refused_and_a_member_overrides() {
    let dir = tempfile::tempdir().unwrap();
    import_acme(dir.path());
    let token = |user: &str| {
        let created = run(paved(dir.path()).args(["token", "create", "--user", user, "--format", "json"]));
        json(&created)["token"].as_str().unwrap().to_owned()
    };
    let (james, lena) = (token("james.carter"), token("lena.fischer"));
    let server = Server::start(dir.path(), &[]);
    let client_dir = tempfile::tempdir().unwrap();
    let remote = |args: &[&str], token: Option<&str>| {
        let mut command = paved(client_dir.path());
        command.args(args).args(["--server", &server.base]);
        if let Some(token) = token {
            command.args(["--token", token]);
        }
        run(&mut command)
    };
    let (from, to) = span(2);
    let make =
        ["oncall", "override", "--schedule", "checkout-oncall", "--user", "ana.souza", "--from", &from, "--to", &to];

    let refused = remote(&make, Some(&james));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let said = stderr(&refused);
    assert!(
        said.contains("403")
            && said.contains("is owned by group:default/checkout (ana.souza, lena.fischer, marco.rossi)"),
        "{said}"
    );
    let tokenless = remote(&make, None);
    assert_eq!(tokenless.status.code(), Some(2));
    assert!(stderr(&tokenless).contains("needs a token"), "{}", stderr(&tokenless));

    let made = ok(&remote(&make, Some(&lena)));
    assert!(made.starts_with("override ") && made.contains("ana.souza is on call for checkout-oncall"), "{made}");
    let now = ok(&remote(&["oncall", "--service", "checkout-api"], None));
    assert!(now.lines().nth(1).unwrap().contains("ana.souza (override)"), "reads need no token: {now}");
    let listed: Value =
        serde_json::from_str(&ok(&remote(&["oncall", "override", "list", "--format", "json"], None))).unwrap();
    let id = listed[0]["id"].as_i64().unwrap().to_string();
    assert!(!client_dir.path().join("paved.db").exists(), "nothing is written locally");

    let refused = remote(&["oncall", "override", "delete", &id], Some(&james));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    ok(&remote(&["oncall", "override", "delete", &id], Some(&lena)));
    let (_, left) = server.get("/api/v1/overrides").await;
    assert_eq!((left["items"].clone(), left["total"].clone()), (serde_json::json!([]), serde_json::json!(0)), "{left}");
}

const KEY: &str = "3c1f0a9e7d5b3a1f8e6c4a2b0d9f7e5c3a1b8d6f4e2c0a9b7d5f3e1c8a6b4d2f";

#[test]
fn a_person_s_contacts_are_listed_added_and_removed_on_the_local_database_with_a_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    import_acme(dir.path());
    let add = ["oncall", "contact", "add", "--user", "ana.souza", "webhook:https://pager.example.com/T1/secret-part"];
    let refused = run(paved(dir.path()).args(add));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("no secret_key (PAVED_SECRET_KEY)"), "{}", stderr(&refused));

    let added = ok(&run(paved(dir.path()).args(add).env("PAVED_SECRET_KEY", KEY)));
    assert!(added.starts_with("contact ") && added.contains("webhook:https://pager.example.com/…"), "{added}");
    assert!(!added.contains("secret-part"), "{added}");
    let listed = ok(&run(paved(dir.path()).args(["oncall", "contact", "list", "--user", "ana.souza"])));
    let lines: Vec<&str> = listed.lines().collect();
    assert!(lines[0].starts_with("ID") && lines[0].ends_with("FROM"), "{listed}");
    assert!(lines[1].contains("email:ana.souza@acme.example") && lines[1].ends_with("catalog"), "{listed}");
    assert!(lines[2].contains("webhook:https://pager.example.com/…") && lines[2].ends_with("added"), "{listed}");
    let json: Value = serde_json::from_str(&ok(&run(paved(dir.path()).args([
        "oncall",
        "contact",
        "list",
        "--user",
        "ana.souza",
        "--format",
        "json",
    ]))))
    .unwrap();
    let id = json["contacts"][1]["id"].as_i64().unwrap().to_string();
    let removed = ok(&run(paved(dir.path()).args(["oncall", "contact", "remove", "--user", "ana.souza", &id])));
    assert!(removed.starts_with(&format!("removed contact {id} of ana.souza")), "{removed}");
    let again = run(paved(dir.path()).args(["oncall", "contact", "remove", "--user", "ana.souza", &id]));
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains(&format!("has no added contact {id}")), "{}", stderr(&again));
}

#[test]
fn on_a_server_only_the_person_adds_their_contact() {
    let dir = tempfile::tempdir().unwrap();
    import_acme(dir.path());
    let token = |user: &str| {
        let created = run(paved(dir.path()).args(["token", "create", "--user", user, "--format", "json"]));
        json(&created)["token"].as_str().unwrap().to_owned()
    };
    let (james, ana) = (token("james.carter"), token("ana.souza"));
    let server = Server::start_with_env(dir.path(), &[], &[("PAVED_SECRET_KEY", KEY)]);
    let client_dir = tempfile::tempdir().unwrap();
    let add = |token: &str| {
        run(paved(client_dir.path())
            .args(["oncall", "contact", "add", "--user", "ana.souza", "email:ana@pager.example.com"])
            .args(["--server", &server.base, "--token", token]))
    };
    let refused = add(&james);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("403") && stderr(&refused).contains("only ana.souza"), "{}", stderr(&refused));
    let added = ok(&add(&ana));
    assert!(added.contains("email:ana@pager.example.com"), "{added}");
    let listed = ok(&run(paved(client_dir.path()).args([
        "oncall",
        "contact",
        "list",
        "--user",
        "ana.souza",
        "--server",
        &server.base,
    ])));
    assert!(listed.contains("email:ana@pager.example.com"), "reads need no token: {listed}");
}
