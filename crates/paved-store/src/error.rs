//! What can go wrong in the store, said so that the person reading it knows
//! which database failed and what to try.

use std::path::PathBuf;

use paved_domain::EntityRef;

use crate::Backend;

/// An error from the store. Messages name the database (never a password)
/// and suggest what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The `--database-url` is not one pavedroad understands.
    #[error("{0}")]
    BadUrl(String),

    /// The directory that should hold the SQLite file cannot be created.
    #[error(
        "cannot create the directory {path} for the SQLite database: {source}; check that its parent exists and is writable"
    )]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },

    /// The SQLite file cannot be opened or created.
    #[error(
        "cannot open the SQLite database at {path}: {source}; check that the directory is writable and that the file is a SQLite database"
    )]
    SqliteOpen {
        /// The database file.
        path: PathBuf,
        /// Why it failed.
        source: sqlx::Error,
    },

    /// The PostgreSQL server cannot be reached or refused the connection.
    #[error(
        "cannot connect to PostgreSQL at {url}: {source}; is the server running, and are the user, password and database in the URL right?"
    )]
    PostgresConnect {
        /// The URL with its password redacted.
        url: String,
        /// Why it failed.
        source: sqlx::Error,
    },

    /// A query failed on an open database.
    #[error("{backend} failed while {action}: {source}{hint}", hint = hint(*backend, source))]
    Database {
        /// Which database.
        backend: Backend,
        /// What the store was doing, e.g. `importing the catalog`.
        action: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },

    /// A migration could not be applied.
    #[error(
        "cannot migrate the {backend} database: {source}; the database was left at the last migration that succeeded"
    )]
    Migrate {
        /// Which database.
        backend: Backend,
        /// The migrator's error.
        source: sqlx::migrate::MigrateError,
    },

    /// The database has a migration this binary does not know.
    #[error(
        "the database was migrated by a newer paved: it has migration {version}, this paved knows migrations up to {latest}; upgrade paved, or point it at another database"
    )]
    NewerSchema {
        /// The unknown migration found in the database.
        version: i64,
        /// The newest migration this binary knows.
        latest: i64,
    },

    /// An import names the same entity twice.
    #[error("the import contains {0} more than once (names compare case-insensitively); keep one descriptor for it")]
    DuplicateEntity(EntityRef),

    /// Stored data does not decode.
    #[error("stored data does not decode: {0}; was the database edited by hand or by another program?")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn database(backend: Backend, action: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| Self::Database { backend, action, source }
    }
}

fn hint(backend: Backend, error: &sqlx::Error) -> &'static str {
    match error {
        sqlx::Error::PoolTimedOut => "; the database is overloaded or unreachable, try again",
        sqlx::Error::Io(_) | sqlx::Error::PoolClosed => "; check that the database is reachable",
        sqlx::Error::Database(db) if backend == Backend::Sqlite && is_sqlite_busy(db.code().as_deref()) => {
            "; another process held the SQLite write lock for too long, try again"
        }
        _ => "",
    }
}

/// SQLITE_BUSY (5) and its extended codes (`5 | n << 8`).
fn is_sqlite_busy(code: Option<&str>) -> bool {
    code.and_then(|code| code.parse::<i32>().ok()).is_some_and(|code| code & 0xff == 5)
}
