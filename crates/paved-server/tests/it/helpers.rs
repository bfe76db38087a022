//! `TestApp`: the server spawned on port 0, with typed helpers.

use std::path::Path;

use paved_catalog::LoadOptions;
use paved_server::{Application, ServerSettings};
use paved_store::{CatalogImport, DatabaseLocation, DynStore, OrphanPolicy};
use paved_test_support::TestDatabase;
use serde_json::Value;

/// A running server and what it needs to stay alive.
pub struct TestApp {
    pub base: String,
    pub store: DynStore,
    pub acme: Vec<paved_domain::CatalogEntity>,
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<TestDatabase>,
}

/// Which backend a test runs on.
pub enum On {
    Sqlite,
    Postgres(TestDatabase),
}

impl TestApp {
    /// Spawns the server over a fresh store holding `examples/acme`, with
    /// every webhook source refused.
    pub async fn spawn(on: On) -> TestApp {
        Self::spawn_with(on, ServerSettings::default()).await
    }

    /// Spawns the server over a fresh store holding `examples/acme`.
    pub async fn spawn_with(on: On, settings: ServerSettings) -> TestApp {
        Self::spawn_with_catalog(on, settings, &[]).await
    }

    /// Spawns the server over a fresh store holding `examples/acme` and the
    /// descriptors in `more` (files or directories, e.g. DeployTargets).
    pub async fn spawn_with_catalog(on: On, settings: ServerSettings, more: &[std::path::PathBuf]) -> TestApp {
        let (location, sqlite_dir, postgres) = match on {
            On::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                (DatabaseLocation::Sqlite(dir.path().join("paved.db")), Some(dir), None)
            }
            On::Postgres(db) => (DatabaseLocation::Postgres(db.url().to_owned()), None, Some(db)),
        };
        let store = paved_store::connect(&location).await.expect("the store opens");
        let acme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/acme");
        let paths: Vec<std::path::PathBuf> = std::iter::once(acme).chain(more.iter().cloned()).collect();
        let load = paved_catalog::load(&paths, &LoadOptions::default());
        assert!(!load.has_errors(), "examples/acme (and {more:?}) is valid: {:?}", load.problems);
        store
            .import_catalog(CatalogImport {
                location: "examples/acme",
                entities: &load.entities,
                orphans: OrphanPolicy::Mark,
            })
            .await
            .expect("the catalog imports");
        let app = Application::build("127.0.0.1:0", store.clone(), settings).await.expect("port 0 binds");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        TestApp { base, store, acme: load.entities, _sqlite_dir: sqlite_dir, _postgres: postgres }
    }

    /// The SQLite database file, when the app runs on SQLite.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self._sqlite_dir.as_ref().map(|dir| dir.path().join("paved.db"))
    }

    /// Runs `sql` on the app's database behind its back (the same text on
    /// SQLite and PostgreSQL).
    pub async fn execute_sql(&self, sql: &str) {
        use sqlx::Connection as _;
        match (&self.sqlite_path(), &self._postgres) {
            (Some(path), _) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let mut conn = sqlx::SqliteConnection::connect_with(&options).await.expect("a raw SQLite connection");
                sqlx::raw_sql(sql).execute(&mut conn).await.expect("raw SQL runs on SQLite");
                conn.close().await.expect("closing the raw connection");
            }
            (None, Some(database)) => {
                let mut conn = sqlx::PgConnection::connect(database.url()).await.expect("a raw PostgreSQL connection");
                sqlx::raw_sql(sql).execute(&mut conn).await.expect("raw SQL runs on PostgreSQL");
                conn.close().await.expect("closing the raw connection");
            }
            (None, None) => unreachable!("the app runs on SQLite or PostgreSQL"),
        }
    }

    /// Imports `examples/acme` again without `left_out`, which makes it an
    /// orphan.
    pub async fn reimport_acme_without(&self, left_out: &str) {
        let entities: Vec<_> = self.acme.iter().filter(|e| e.entity_ref.to_string() != left_out).cloned().collect();
        assert_eq!(entities.len() + 1, self.acme.len(), "{left_out} is in acme");
        let summary = self
            .store
            .import_catalog(CatalogImport {
                location: "examples/acme",
                entities: &entities,
                orphans: OrphanPolicy::Mark,
            })
            .await
            .unwrap();
        assert_eq!(summary.orphaned.iter().map(ToString::to_string).collect::<Vec<_>>(), [left_out]);
    }

    /// POST `body` to `path` with `headers`, returning the status and the
    /// JSON body.
    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: impl Into<reqwest::Body>) -> (u16, Value) {
        let mut request = reqwest::Client::new().post(format!("{}{path}", self.base)).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("every answer is JSON: {status} {text}"));
        (status, body)
    }

    /// Creates a token in the store and returns it.
    pub async fn token(&self, scope: paved_store::TokenScope) -> String {
        let token = paved_app::tokens::generate_token().unwrap();
        let new = paved_store::NewToken {
            name: "test".into(),
            scope,
            hash: paved_app::tokens::token_hash(&token),
            prefix: paved_app::tokens::token_prefix(&token),
            expires_at: None,
        };
        self.store.create_token(&new, "test").await.unwrap();
        token
    }

    /// GET `path`, returning the status and the JSON body.
    /// `method path` with a bearer token when given and a JSON body when
    /// given; the status and the JSON answer.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON: {status} {text}")))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = reqwest::get(format!("{}{path}", self.base)).await.expect("the server answers");
        let status = response.status().as_u16();
        let body = response.json().await.expect("every answer is JSON");
        (status, body)
    }
}

/// The secrets the webhook tests configure.
pub const GITHUB_SECRET: &str = "It's a Secret to Everybody";
pub const GITLAB_TOKEN: &str = "gitlab-t0ken";
pub const PAGERDUTY_SECRET: &str = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";

/// Settings with a secret for GitHub, GitLab and PagerDuty.
pub fn hook_settings() -> ServerSettings {
    use paved_server::{HookAuth, Secret};
    ServerSettings {
        github: HookAuth::Secret(Secret::new(GITHUB_SECRET).unwrap()),
        gitlab: HookAuth::Secret(Secret::new(GITLAB_TOKEN).unwrap()),
        pagerduty: HookAuth::Secret(Secret::new(PAGERDUTY_SECRET).unwrap()),
        ..ServerSettings::default()
    }
}

/// Declares each test twice, `sqlite::<name>` and `postgres::<name>`, on a
/// server with [`hook_settings`].
macro_rules! hook_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        pub mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $app = $crate::helpers::TestApp::spawn_with($crate::helpers::On::Sqlite, $crate::helpers::hook_settings()).await;
                    $body
                }
            )*
        }
        pub mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = paved_test_support::paved_test_database().await else { return };
                    let $app = $crate::helpers::TestApp::spawn_with($crate::helpers::On::Postgres(db), $crate::helpers::hook_settings()).await;
                    $body
                }
            )*
        }
    };
}
pub(crate) use hook_tests;

/// Declares each test twice: `sqlite::<name>` and `postgres::<name>`.
macro_rules! api_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        pub mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $app = $crate::helpers::TestApp::spawn($crate::helpers::On::Sqlite).await;
                    $body
                }
            )*
        }
        pub mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = paved_test_support::paved_test_database().await else { return };
                    let $app = $crate::helpers::TestApp::spawn($crate::helpers::On::Postgres(db)).await;
                    $body
                }
            )*
        }
    };
}
pub(crate) use api_tests;

/// Declares each test on SQLite and on PostgreSQL; the body gets the
/// database to start its own server on as `$on` (an [`On`]).
macro_rules! on_tests {
    ($(async fn $name:ident($on:ident) $body:block)*) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $on = $crate::helpers::On::Sqlite;
                    $body
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = paved_test_support::paved_test_database().await else { return };
                    let $on = $crate::helpers::On::Postgres(db);
                    $body
                }
            )*
        }
    };
}
pub(crate) use on_tests;
