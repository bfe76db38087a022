//! Test helpers shared by pavedroad's crates.
//!
//! PostgreSQL tests run when `PAVED_TEST_DATABASE_URL` names a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`). Each test gets a fresh
//! database of its own, dropped when the [`TestDatabase`] is dropped, also
//! when the test fails. Without the variable the test prints a visible
//! `SKIPPED` line and returns — unless `PAVED_REQUIRE_POSTGRES` is set (as
//! CI sets it), which makes a missing database a failure.

use std::io::Write;

use sqlx::Connection;

pub mod smtp;
mod tmpfs;

pub use tmpfs::{REQUIRE_TMPFS_VAR, Tmpfs};

/// The variable that names the PostgreSQL server tests may use.
pub const TEST_DATABASE_URL_VAR: &str = "PAVED_TEST_DATABASE_URL";

/// The variable that makes a PostgreSQL test without a database fail
/// instead of printing `SKIPPED`: set in CI, so that the PostgreSQL half of
/// the contract tests cannot pass by testing nothing.
pub const REQUIRE_POSTGRES_VAR: &str = "PAVED_REQUIRE_POSTGRES";

/// A fresh PostgreSQL database, dropped on drop.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// The URL of the fresh database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name (`paved_test_<uuid>`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Creates a fresh database on the server named by `PAVED_TEST_DATABASE_URL`,
/// or prints `SKIPPED <test>` to the real stderr (not captured by the test
/// harness, so it shows in every run) and returns `None` when it is unset.
///
/// # Panics
/// When the variable is set but the server cannot be reached, or it is unset
/// while `PAVED_REQUIRE_POSTGRES` is set: a PostgreSQL run that silently
/// tested nothing would be worse than a failure.
pub async fn paved_test_database() -> Option<TestDatabase> {
    let Ok(admin_url) = std::env::var(TEST_DATABASE_URL_VAR) else {
        assert!(
            std::env::var_os(REQUIRE_POSTGRES_VAR).is_none(),
            "{REQUIRE_POSTGRES_VAR} is set but {TEST_DATABASE_URL_VAR} is not: set it to a PostgreSQL server \
             (e.g. postgres://postgres@127.0.0.1:5432/test)"
        );
        let test = std::thread::current().name().unwrap_or("a PostgreSQL test").to_owned();
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: PostgreSQL test; set {TEST_DATABASE_URL_VAR}=postgres://postgres@127.0.0.1:5432/test to run it"
        );
        return None;
    };
    let name = format!("paved_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("{TEST_DATABASE_URL_VAR} is set but PostgreSQL does not answer: {e}"));
    sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await.expect("CREATE DATABASE");
    admin.close().await.ok();
    let url = with_database(&admin_url, &name);
    Some(TestDatabase { admin_url, name, url })
}

/// `admin_url` with its database replaced by `name`.
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Dropping may happen inside a runtime (or while panicking): do it on a
        // thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.map_err(std::io::Error::other)?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(std::io::stderr(), "warning: could not drop test database {}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_part_of_the_url_is_replaced() {
        assert_eq!(with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h/test?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
