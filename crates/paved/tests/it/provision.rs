//! `paved provision`, `paved resource` and `paved deprovision` through the
//! real binary on the local database, against the real PostgreSQL server:
//! the JSON answer's credentials work with `psql`, the same request gives
//! the same resource, the secrets are read again with `paved resource
//! credentials`, and removal asks for confirmation and drops the database.

use std::process::Command;

use super::support::{acme, json, paved, run, stderr, stdout};

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

    let made = run(paved(dir.path()).args(provision).args(["--format", "json"]));
    let _cleanup = scopeguard(&admin, &resource.replace('-', "_"));
    assert!(made.status.success(), "{}", stderr(&made));
    let made = json(&made);
    assert_eq!(made["resource"], format!("resource:default/{resource}"));
    assert_eq!(made["status"], "ready");
    let url = made["outputs"]["url"].as_str().expect("the url, with its password, shown once").to_owned();
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
