//! `paved serve` as a user runs it: real process, real port, real HTTP.

use crate::support::{Server, acme, paved};

fn acme_arg() -> String {
    acme().display().to_string()
}

async fn serves_the_acme_catalog(server: &Server) {
    let (status, body) = server.get("/api/v1/entities?kind=component").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    assert!(items.len() >= 4, "acme has several components: {body}");
    assert_eq!(body["total"].as_u64().unwrap() as usize, items.len());
    for item in items {
        assert_eq!(item["kind"], "Component");
        assert!(item["owner"].as_str().unwrap().starts_with("group:default/"), "{item}");
    }
    let (status, health) = server.get("/readyz").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ready")));
}

#[tokio::test]
async fn serve_creates_the_sqlite_database_and_lists_components_with_owners() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--catalog", &acme_arg()]);
    assert!(dir.path().join("paved.db").exists(), "paved.db is created in the working directory");
    serves_the_acme_catalog(&server).await;

    let (status, body) = server.get("/api/v1/entities/component/default/no-such-service").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].as_str().unwrap().contains("component:default/no-such-service"));

    assert_eq!(server.stop(), Some(0), "SIGTERM stops the server cleanly");
}

#[tokio::test]
async fn serve_works_on_postgres() {
    let Some(database) = paved_test_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--database-url", database.url(), "--catalog", &acme_arg()]);
    serves_the_acme_catalog(&server).await;
    let (_, health) = server.get("/readyz").await;
    assert_eq!(health["database"], "postgres");
    assert!(!dir.path().join("paved.db").exists(), "no SQLite file when PostgreSQL is used");
    assert_eq!(server.stop(), Some(0));
}

#[tokio::test]
async fn a_catalog_with_errors_stops_the_start_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\nspec:\n  type: service\n",
    )
    .unwrap();
    let output = paved(dir.path()).args(["serve", "--listen", "127.0.0.1:0", "--catalog", "."]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("catalog-info.yaml:"), "{err}");
}

#[tokio::test]
async fn a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let output = paved(dir.path()).args(["serve", "--listen", &address]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains(&format!("cannot listen on {address}")), "{err}");
}

use paved_test_support::paved_test_database;
