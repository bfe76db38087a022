//! `paved provision`, `paved resource` and `paved deprovision` through the
//! real binary on the local database, against the real PostgreSQL server:
//! the JSON answer's credentials work with `psql`, the same request gives
//! the same resource, the secrets are read again with `paved resource
//! credentials`, a rotated password replaces them, and removal asks for
//! confirmation and drops the database.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::support::{Server, acme, json, paved, run, stderr, stdout};

const MODULE: &str = "apiVersion: paved.dev/v1alpha1
kind: Module
metadata:
  name: postgres-database
spec:
  owner: platform
  driver: postgres
  server: main
";

fn psql(url: &str, sql: &str) -> std::process::Output {
    Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-Atc", sql]).output().expect("psql runs")
}

#[test]
fn an_owner_provisions_from_the_cli_and_removes_it_with_confirmation() {
    let Ok(admin) = std::env::var("PAVED_TEST_DATABASE_URL") else {
        assert!(std::env::var_os("PAVED_REQUIRE_POSTGRES").is_none(), "PAVED_TEST_DATABASE_URL names the server");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("modules.yaml"), MODULE).unwrap();
    std::fs::write(
        dir.path().join("paved.toml"),
        format!("secret_key = \"{}\"\n[provision.servers.main]\nurl = \"{admin}\"\n", "7c".repeat(32)),
    )
    .unwrap();
    let acme = acme().display().to_string();
    let imported = run(paved(dir.path()).args(["catalog", "import", &acme, "modules.yaml"]));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let tag = format!("c{}", std::process::id());
    let resource = format!("checkout-api-{tag}");
    let provision =
        ["--config", "paved.toml", "provision", "postgres-database", "--service", "checkout-api", "--name", &tag];

    // Logged at debug (the driver's statements included), nothing of the
    // secret reaches the log (stderr).
    let made = run(paved(dir.path()).args(provision).args(["--format", "json", "--log", "debug"]));
    let _cleanup = scopeguard(&admin, &resource.replace('-', "_"));
    assert!(made.status.success(), "{}", stderr(&made));
    let log = stderr(&made);
    let made = json(&made);
    assert_eq!(made["resource"], format!("resource:default/{resource}"));
    assert_eq!(made["status"], "ready");
    let url = made["outputs"]["url"].as_str().expect("the url, with its password, shown once").to_owned();
    let password = made["outputs"]["password"].as_str().unwrap();
    assert!(log.contains("DEBUG") && !log.contains(password), "the debug log never holds the password:\n{log}");
    let created = psql(&url, "CREATE TABLE t (id int); SELECT current_user");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert_eq!(String::from_utf8_lossy(&created.stdout).lines().last(), Some(resource.replace('-', "_").as_str()));

    let again = run(paved(dir.path()).args(provision));
    assert!(stdout(&again).contains("was made before by the same request"), "{}", stdout(&again));
    assert!(!stdout(&again).contains(&url), "the secret is not shown again");
    let listed =
        run(paved(dir.path()).args(["--config", "paved.toml", "resource", "list", "--service", "checkout-api"]));
    assert!(stdout(&listed).lines().any(|l| l.starts_with(&resource) && l.ends_with("ready")), "{}", stdout(&listed));
    let read = run(paved(dir.path()).args([
        "--config",
        "paved.toml",
        "resource",
        "credentials",
        &resource,
        "--format",
        "json",
    ]));
    assert_eq!(json(&read)["url"].as_str(), Some(url.as_str()));

    // A new password, shown once, and read again as the credentials.
    let rotate = ["--config", "paved.toml", "resource", "rotate", &resource];
    let rotated = run(paved(dir.path()).args(rotate).args(["--format", "json"]));
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let url = json(&rotated)["url"].as_str().expect("the new url").to_owned();
    assert_ne!(json(&rotated)["password"], made["outputs"]["password"]);
    assert!(psql(&url, "SELECT count(*) FROM t").status.success(), "the new password reaches the same database");
    let read = run(paved(dir.path()).args(["--config", "paved.toml", "resource", "credentials", &resource]));
    assert!(stdout(&read).contains(&url), "{}", stdout(&read));
    let text = run(paved(dir.path()).args(rotate));
    assert!(stdout(&text).contains("the old one is refused from now on"), "{}", stdout(&text));
    assert!(stdout(&text).contains(&format!("paved resource credentials {resource}")), "{}", stdout(&text));
    assert!(!stdout(&text).contains(&url), "a newer one again");
    let help = run(paved(dir.path()).args(["resource", "rotate", "--help"]));
    assert!(
        stdout(&help).contains("WRONGPASS") && stdout(&help).contains("paved resource rotate checkout-api"),
        "{}",
        stdout(&help)
    );

    let unconfirmed = run(paved(dir.path()).args(["--config", "paved.toml", "deprovision", &resource]));
    assert_eq!(unconfirmed.status.code(), Some(2), "{}", stderr(&unconfirmed));
    assert!(stderr(&unconfirmed).contains(&format!("confirm with --confirm {resource}")), "{}", stderr(&unconfirmed));
    let removed =
        run(paved(dir.path()).args(["--config", "paved.toml", "deprovision", &resource, "--confirm", &resource]));
    assert!(stdout(&removed).contains("is deleted"), "{}{}", stdout(&removed), stderr(&removed));
    assert!(!psql(&url, "SELECT 1").status.success(), "the user and its database are gone");
    let bad = run(paved(dir.path()).args([
        "--config",
        "paved.toml",
        "provision",
        "postgres-database",
        "--service",
        "checkout-api",
        "--name",
        "x; DROP ROLE postgres",
    ]));
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("is not a resource name"), "{}", stderr(&bad));
    let unknown =
        run(paved(dir.path()).args(["--config", "paved.toml", "provision", "mysql", "--service", "checkout-api"]));
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("no Module `mysql` in the catalog; the platform offers: postgres-database"),
        "{}",
        stderr(&unknown)
    );
}

/// What `sql` prints, run as the admin.
fn scalar(admin: &str, sql: &str) -> String {
    String::from_utf8_lossy(&psql(admin, sql).stdout).trim().to_owned()
}

/// Polls `sql` (as the admin) until it prints `expected`.
async fn until(admin: &str, sql: &str, expected: &str, what: &str) {
    for _ in 0..300 {
        if scalar(admin, sql) == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: `{sql}` never printed {expected}");
}

/// A server killed with SIGKILL after the role was made and before its
/// database was (the test holds a lock on `template1`, so `CREATE DATABASE`
/// waits), then started again: the request is finished — the role gets its
/// database — rather than leaving a role without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_between_the_role_and_the_database_finishes_the_request_on_restart() {
    let Ok(admin) = std::env::var("PAVED_TEST_DATABASE_URL") else {
        assert!(std::env::var_os("PAVED_REQUIRE_POSTGRES").is_none(), "PAVED_TEST_DATABASE_URL names the server");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("modules.yaml"), MODULE).unwrap();
    std::fs::write(
        dir.join("paved.toml"),
        format!(
            "secret_key = \"{}\"\n[provision]\nlease = \"2s\"\n[provision.servers.main]\nurl = \"{admin}\"\n",
            "7c".repeat(32)
        ),
    )
    .unwrap();
    let acme = acme().display().to_string();
    let imported = run(paved(dir).args(["catalog", "import", &acme, "modules.yaml"]));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let created = run(paved(dir).args(["token", "create", "--user", "user:default/ana.souza", "--format", "json"]));
    assert!(created.status.success(), "{}", stderr(&created));
    let token = json(&created)["token"].as_str().unwrap().to_owned();
    let tag = format!("k{}", std::process::id());
    let name = format!("checkout_api_{tag}");
    let _cleanup = scopeguard(&admin, &name);

    // Hold template1: CREATE DATABASE waits for this transaction.
    let mut holder = Command::new("psql")
        .args([admin.as_str(), "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut hold = holder.stdin.take().unwrap();
    hold.write_all(b"BEGIN;\nCOMMENT ON DATABASE template1 IS 'held by a paved test';\n").unwrap();
    hold.flush().unwrap();
    let held = "SELECT count(*) FROM pg_locks l JOIN pg_database d ON l.objid = d.oid \
                WHERE d.datname = 'template1' AND l.mode = 'ShareUpdateExclusiveLock' AND l.granted";
    until(&admin, held, "1", "the test holds template1").await;

    let args = ["--config", "paved.toml", "--runner-lease", "1s"];
    let server = Server::start(dir, &args);
    let request = {
        let url = format!("{}/api/v1/services/checkout-api/resources", server.base);
        let token = token.clone();
        let body = serde_json::json!({ "module": "postgres-database", "name": tag });
        tokio::spawn(async move { reqwest::Client::new().post(url).bearer_auth(token).json(&body).send().await })
    };
    let role = format!("SELECT count(*) FROM pg_roles WHERE rolname = '{name}'");
    until(&admin, &role, "1", "the role is made").await;
    // This request's statement, not another test's CREATE DATABASE that
    // waits for template1 too.
    let waiting = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE DATABASE \"{name}\"%' \
         AND wait_event_type = 'Lock'"
    );
    until(&admin, &waiting, "1", "CREATE DATABASE waits").await;
    server.kill();
    assert!(request.await.unwrap().is_err(), "the killed server never answered");
    // Its session dies with it, as when the replica's machine stops (a
    // session whose client was only killed would still finish the statement).
    let ended = format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'CREATE DATABASE \"{name}\"%'"
    );
    assert_eq!(scalar(&admin, &ended), "1");
    hold.write_all(b"ROLLBACK;\n").unwrap();
    drop(hold);
    holder.wait().unwrap();
    let database = format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'");
    assert_eq!(
        (scalar(&admin, &role), scalar(&admin, &database)),
        ("1".into(), "0".into()),
        "a role without its database"
    );

    // Restarted, the server finishes what it began once the lease ends.
    let server = Server::start(dir, &args);
    until(&admin, &database, "1", "the database is made after the restart").await;
    let owner = format!("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{name}'");
    assert_eq!(scalar(&admin, &owner), name, "owned by its role");
    let resource = format!("checkout-api-{tag}");
    let mut credentials = serde_json::Value::Null;
    for _ in 0..100 {
        let response = reqwest::Client::new()
            .get(format!("{}/api/v1/resources/{resource}/credentials", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            credentials = response.json().await.unwrap();
            if credentials.get("url").is_some() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = credentials["url"].as_str().unwrap_or_else(|| panic!("ready with its credentials: {credentials}"));
    let connected = psql(url, "SELECT current_database()");
    assert_eq!(
        String::from_utf8_lossy(&connected.stdout).trim(),
        name,
        "{}",
        String::from_utf8_lossy(&connected.stderr)
    );
}

/// Drops the role and database `name` when the test ends, whatever happened.
fn scopeguard(admin: &str, name: &str) -> impl Drop + use<> {
    struct Guard(String, String);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = psql(&self.0, &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.1));
            let _ = psql(&self.0, &format!("DROP ROLE IF EXISTS \"{}\"", self.1));
        }
    }
    Guard(admin.to_owned(), name.to_owned())
}
