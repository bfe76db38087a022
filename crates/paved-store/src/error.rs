//! What can go wrong in the store, said so that the person reading it knows
//! which database failed and what to try.
//!
//! Each message shows its cause once. The driver's errors (sqlx, I/O) put
//! their own cause in their message *and* return it from `source()`, so a
//! reporter that prints the whole chain (`{:#}` of anyhow, the server's log)
//! would repeat it two or three times. A [`StoreError`] therefore shows its
//! cause in its message, with the hint after it, and returns from `source()`
//! only a deeper cause that the message does not already show.

use std::error::Error;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use paved_domain::EntityRef;

use crate::Backend;

/// An error from the store. Messages name the database (never a password)
/// and suggest what to do.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The `--database-url` is not one pavedroad understands.
    BadUrl(String),

    /// The path that should be the SQLite file's directory is not a usable
    /// directory.
    BadDirectory {
        /// The directory.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },

    /// The directory that should hold the SQLite file does not exist. It is
    /// not created: a mistyped path would otherwise scatter databases.
    MissingDirectory(PathBuf),

    /// The file system holding the SQLite database has too little space
    /// left for writes.
    DiskFull {
        /// The database file.
        path: PathBuf,
        /// Bytes free.
        free: u64,
        /// Bytes the store wants free to call itself ready.
        needed: u64,
    },

    /// The SQLite file cannot be opened or created.
    SqliteOpen {
        /// The database file.
        path: PathBuf,
        /// Why it failed.
        source: sqlx::Error,
    },

    /// The PostgreSQL server cannot be reached or refused the connection.
    PostgresConnect {
        /// The URL with its password redacted.
        url: String,
        /// Why it failed.
        source: sqlx::Error,
    },

    /// Something accepted the connection but did not answer as PostgreSQL
    /// within `timeout` (a wrong port, a firewall that drops packets, a
    /// server that hangs).
    PostgresTimeout {
        /// The URL with its password redacted.
        url: String,
        /// How long the store waited.
        timeout: Duration,
    },

    /// A query failed on an open database.
    Database {
        /// Which database.
        backend: Backend,
        /// What the store was doing, e.g. `importing the catalog`.
        action: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },

    /// A migration could not be applied.
    Migrate {
        /// Which database.
        backend: Backend,
        /// The migrator's error.
        source: sqlx::migrate::MigrateError,
    },

    /// The database has a migration this binary does not know.
    NewerSchema {
        /// The unknown migration found in the database.
        version: i64,
        /// The newest migration this binary knows.
        latest: i64,
    },

    /// An import names the same entity twice.
    DuplicateEntity(EntityRef),

    /// An entity of an import has a NUL character (`\0`) in a text field,
    /// which PostgreSQL cannot store; both backends refuse the import whole.
    InvalidText {
        /// The entity.
        entity: EntityRef,
        /// Where the NUL is, as the entity serialises: `title`,
        /// `document.spec.owner`, `relations[0].target`, ...
        field: String,
    },

    /// The location of an import has a NUL character (`\0`).
    InvalidLocation(String),

    /// A commit of a batch, or a repository's state, holds a value the
    /// store cannot keep: a NUL character (`\0`, which PostgreSQL cannot
    /// store), a sha that is not a full lower-case hex object id, a file
    /// listed twice, or a count too large. Both backends refuse the whole
    /// call before writing anything.
    InvalidRecord {
        /// The record, e.g. `commit github.com/acme/checkout@0123...` or
        /// `repository github.com/acme/checkout`.
        record: String,
        /// The field, as the record serialises: `message`, `parents[1]`,
        /// `files[2].path`, `tips[0].reference`, ...
        field: String,
        /// What is wrong with it, e.g. `has a NUL character (\0)`.
        problem: &'static str,
    },

    /// Stored data does not decode.
    Corrupt(String),

    /// The database could not do the work, for a reason already said (the
    /// message of an earlier error, passed on to everyone who waited for
    /// the same work).
    Unavailable(String),
    /// A backup that cannot be taken or restored as asked (the message
    /// says why and what to do): the file exists, is not a pavedroad
    /// database, fails its integrity check, or is newer than this binary.
    Backup(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadUrl(message) => f.write_str(message),
            Self::BadDirectory { path, source } => write!(
                f,
                "cannot use {} as the directory of the SQLite database: {source}; name a file in a writable directory",
                path.display()
            ),
            Self::MissingDirectory(path) => write!(
                f,
                "the directory {} for the SQLite database does not exist; create it (mkdir -p {}) or name a file in an existing directory",
                path.display(),
                path.display()
            ),
            Self::DiskFull { path, free, needed } => write!(
                f,
                "the disk holding {} is full: {} kB free, less than the {} kB writes need; free some space (writes resume without a restart)",
                path.display(),
                free / 1024,
                needed / 1024
            ),
            Self::SqliteOpen { path, source } => write!(
                f,
                "cannot open the SQLite database at {}: {source}; check that the directory is writable and that the file is a SQLite database",
                path.display()
            ),
            Self::PostgresConnect { url, source } => write!(
                f,
                "cannot connect to PostgreSQL at {url}: {source}; is the server running, and are the user, password and database in the URL right?"
            ),
            Self::PostgresTimeout { url, timeout } => write!(
                f,
                "PostgreSQL at {url} did not answer within {} s; is it the right host and port?",
                timeout.as_secs_f64()
            ),
            Self::Database { backend, action, source } => {
                write!(f, "{backend} failed while {action}: {source}{}", hint(*backend, source))
            }
            Self::Migrate { backend, source } => write!(
                f,
                "cannot migrate the {backend} database: {source}; the database was left at the last migration that succeeded"
            ),
            Self::NewerSchema { version, latest } => write!(
                f,
                "the database was migrated by a newer paved: it has migration {version}, this paved knows migrations up to {latest}; upgrade paved, or point it at another database"
            ),
            Self::DuplicateEntity(entity) => write!(
                f,
                "the import contains {entity} more than once (names compare case-insensitively); keep one descriptor for it"
            ),
            Self::InvalidText { entity, field } => write!(
                f,
                "{} has a NUL character (\\0) in {}, which the database cannot store; remove it from the descriptor (nothing was written)",
                entity.to_string().escape_debug(),
                field.escape_debug()
            ),
            Self::InvalidLocation(location) => write!(
                f,
                "the import location `{}` has a NUL character (\\0), which the database cannot store (nothing was written)",
                location.escape_debug()
            ),
            Self::InvalidRecord { record, field, problem } => {
                write!(f, "{}: {} {}; nothing was written", record.escape_debug(), field.escape_debug(), problem)
            }
            Self::Corrupt(message) => {
                write!(
                    f,
                    "stored data does not decode: {message}; was the database edited by hand or by another program?"
                )
            }
            Self::Unavailable(message) => f.write_str(message),
            Self::Backup(message) => f.write_str(message),
        }
    }
}

impl Error for StoreError {
    /// The first cause that the message does not already show, if any.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::BadDirectory { source, .. } => undisplayed_cause(source),
            Self::SqliteOpen { source, .. } | Self::PostgresConnect { source, .. } | Self::Database { source, .. } => {
                undisplayed_cause(source)
            }
            Self::Migrate { source, .. } => undisplayed_cause(source),
            _ => None,
        }
    }
}

/// The first error in the chain below `shown` whose text `shown`'s message
/// does not contain: the part of the chain a reporter still has to print.
fn undisplayed_cause<'a>(shown: &'a (dyn Error + 'static)) -> Option<&'a (dyn Error + 'static)> {
    let text = shown.to_string();
    let mut next = shown.source();
    while let Some(cause) = next {
        if !text.contains(&cause.to_string()) {
            return Some(cause);
        }
        next = cause.source();
    }
    None
}

impl StoreError {
    /// True when the caller's input is at fault, not the database: a bad
    /// database address or directory, a duplicate entity, text or a record
    /// the store cannot keep. The CLI exits 2 for these, the API answers
    /// 400.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::BadUrl(_)
                | Self::MissingDirectory(_)
                | Self::DuplicateEntity(_)
                | Self::InvalidText { .. }
                | Self::InvalidLocation(_)
                | Self::InvalidRecord { .. }
                | Self::Backup(_)
        )
    }

    /// True for a failure that may pass if the same work is tried again: the
    /// database busy or locked by another writer, a deadlock or
    /// serialisation failure, a lost or exhausted connection.
    pub fn is_transient(&self) -> bool {
        let Self::Database { backend, source, .. } = self else { return false };
        match source {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
            sqlx::Error::Database(db) => {
                let code = db.code();
                match backend {
                    // SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
                    Backend::Sqlite => {
                        code.and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, 5 | 6))
                    }
                    // serialization_failure, deadlock_detected, and class 08
                    // (connection exceptions).
                    Backend::Postgres => code.is_some_and(|c| c == "40001" || c == "40P01" || c.starts_with("08")),
                }
            }
            _ => false,
        }
    }

    pub(crate) fn database(backend: Backend, action: &'static str) -> impl Fn(sqlx::Error) -> Self + Copy {
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
        sqlx::Error::Database(db) if backend == Backend::Sqlite && is_sqlite_full(db.code().as_deref()) => {
            "; free space on the disk that holds the database (writes resume without a restart)"
        }
        _ => "",
    }
}

/// SQLITE_FULL (13).
fn is_sqlite_full(code: Option<&str>) -> bool {
    code.and_then(|code| code.parse::<i32>().ok()).is_some_and(|code| code & 0xff == 13)
}

/// SQLITE_BUSY (5) and its extended codes (`5 | n << 8`).
fn is_sqlite_busy(code: Option<&str>) -> bool {
    code.and_then(|code| code.parse::<i32>().ok()).is_some_and(|code| code & 0xff == 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that, like sqlx's, shows its cause and returns it too.
    #[derive(Debug)]
    struct Repeating(std::io::Error);

    impl fmt::Display for Repeating {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "outer: {}", self.0)
        }
    }

    impl Error for Repeating {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[derive(Debug)]
    struct Hidden(std::io::Error);

    impl fmt::Display for Hidden {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("outer")
        }
    }

    impl Error for Hidden {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn only_causes_the_message_does_not_show_are_returned() {
        let refused = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(undisplayed_cause(&Repeating(refused())).is_none(), "a shown cause is not returned again");
        let hidden = Hidden(refused());
        assert_eq!(undisplayed_cause(&hidden).map(ToString::to_string).as_deref(), Some("refused"));
    }
}
