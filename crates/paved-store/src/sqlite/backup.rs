//! Backups of a SQLite database: taken while it serves (`VACUUM INTO`, a
//! consistent snapshot read in one transaction while writers go on),
//! checked, and restored in place of a database all at once.

use std::path::{Path, PathBuf};

use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::{MIGRATOR, SqliteStore};
use crate::{Backend, StoreError};

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    /// The file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// The schema's version (migrations applied).
    pub schema_version: i64,
    /// The raw events it holds (every delivery acknowledged before it was
    /// taken).
    pub raw_events: u64,
}

impl SqliteStore {
    /// Writes a consistent copy of the whole database to `path` while the
    /// database keeps serving: SQLite's `VACUUM INTO` reads one snapshot
    /// (every transaction committed before it began, none after) in a
    /// read transaction, so writers are not held; the copy is compacted
    /// and synced before this returns.
    ///
    /// # Errors
    /// [`StoreError::Backup`] when `path` exists (a backup never replaces a
    /// file) or its directory does not; a database error.
    pub async fn backup_to(&self, path: &Path) -> Result<BackupSummary, StoreError> {
        const ACTION: &str = "taking a backup";
        if path.exists() {
            return Err(StoreError::Backup(format!(
                "{} already exists: a backup never replaces a file; name a new one",
                path.display()
            )));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(StoreError::Backup(format!("{} is not a directory: create it first", parent.display())));
        }
        let options = SqliteConnectOptions::new().filename(self.path()).busy_timeout(super::BUSY_TIMEOUT);
        let mut conn =
            SqliteConnection::connect_with(&options).await.map_err(StoreError::database(Backend::Sqlite, ACTION))?;
        let target = path.to_str().ok_or_else(|| {
            StoreError::Backup(format!("{} is not a UTF-8 path; name the backup with one", path.display()))
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&mut conn)
            .await
            .map_err(StoreError::database(Backend::Sqlite, ACTION))?;
        conn.close().await.map_err(StoreError::database(Backend::Sqlite, ACTION))?;
        // VACUUM INTO writes the file without syncing it.
        std::fs::File::open(path)
            .and_then(|file| file.sync_all())
            .map_err(|error| StoreError::Backup(format!("syncing {}: {error}", path.display())))?;
        check_backup(path).await
    }
}

/// Checks that `path` is a whole pavedroad SQLite database this binary can
/// read: SQLite's integrity check passes, and its schema is not newer than
/// this binary's.
///
/// # Errors
/// [`StoreError::Backup`] saying what is wrong with it.
pub async fn check_backup(path: &Path) -> Result<BackupSummary, StoreError> {
    const ACTION: &str = "checking a backup";
    let bytes =
        std::fs::metadata(path).map_err(|error| StoreError::Backup(format!("{}: {error}", path.display())))?.len();
    let options = SqliteConnectOptions::new().filename(path).read_only(true).immutable(true);
    let not_ours = |why: String| StoreError::Backup(format!("{} is not a pavedroad backup: {why}", path.display()));
    let mut conn = SqliteConnection::connect_with(&options).await.map_err(|error| not_ours(error.to_string()))?;
    let (integrity,): (String,) =
        sqlx::query_as("PRAGMA integrity_check").fetch_one(&mut conn).await.map_err(|e| not_ours(e.to_string()))?;
    if integrity != "ok" {
        return Err(StoreError::Backup(format!("{} fails SQLite's integrity check: {integrity}", path.display())));
    }
    let (version,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| not_ours("it has no pavedroad schema".into()))?;
    let version = version.ok_or_else(|| not_ours("no migration was applied to it".into()))?;
    let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    if version > known {
        return Err(StoreError::Backup(format!(
            "{} has schema version {version}, newer than this paved's {known}: restore it with a newer paved",
            path.display()
        )));
    }
    let (raw_events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM raw_events")
        .fetch_one(&mut conn)
        .await
        .map_err(StoreError::database(Backend::Sqlite, ACTION))?;
    conn.close().await.map_err(StoreError::database(Backend::Sqlite, ACTION))?;
    Ok(BackupSummary {
        path: path.to_owned(),
        bytes,
        schema_version: version,
        raw_events: u64::try_from(raw_events).unwrap_or(0),
    })
}

/// Puts the backup `backup` in place of the SQLite database `target`: the
/// backup is checked, copied beside the target, synced, and renamed over
/// it (with the target's write-ahead log and shared memory removed), so
/// the target is either the old database or the whole backup. Stop the
/// servers on `target` first.
///
/// # Errors
/// [`StoreError::Backup`] for a backup that does not check, or a `target`
/// that exists when `replace` is false; an IO error as
/// [`StoreError::Backup`] naming the file.
pub async fn restore(backup: &Path, target: &Path, replace: bool) -> Result<BackupSummary, StoreError> {
    let summary = check_backup(backup).await?;
    if target.exists() && !replace {
        return Err(StoreError::Backup(format!(
            "{} exists: restoring replaces it; stop the servers on it and add --replace",
            target.display()
        )));
    }
    let io = |what: &Path| {
        let what = what.display().to_string();
        move |error: std::io::Error| StoreError::Backup(format!("{what}: {error}"))
    };
    let mut partial = target.as_os_str().to_owned();
    partial.push(".restoring");
    let partial = PathBuf::from(partial);
    std::fs::copy(backup, &partial).map_err(io(&partial))?;
    std::fs::File::open(&partial).and_then(|file| file.sync_all()).map_err(io(&partial))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = target.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(&side)) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io(Path::new(&side))(error)),
        }
    }
    std::fs::rename(&partial, target).map_err(io(target))?;
    if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(dir).and_then(|dir| dir.sync_all()).map_err(io(dir))?;
    }
    Ok(BackupSummary { path: target.to_owned(), ..summary })
}
