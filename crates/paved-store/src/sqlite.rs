//! The embedded default: one SQLite file in WAL mode with `synchronous=FULL`.
//!
//! Reads go through a small pool; writes through a pool of exactly one
//! connection, each in a transaction that begins `IMMEDIATE` (it takes the
//! write lock at once, so it never fails half-way on a lock upgrade), with a
//! busy timeout for other processes that hold the lock.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use paved_domain::{Commit, Derivation, RepoId};
use sqlx::migrate::{Migrate, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, Transaction};

use crate::common::{
    self, COMMIT_BINDS, COMMIT_COLUMNS, ExistingEntity, FILE_BINDS, FILE_COLUMNS, PreparedCommit, PreparedEntity,
    keys_json,
};
use crate::sql::{Db, Sql, SqlTx};
use crate::{
    AppliedMigration, Backend, CatalogImport, GraphRow, ImportSummary, IngestEvent, Ingested, RawEvent, RebuildSummary,
    Store, StoreError,
};

mod backup;
pub use backup::{BackupSummary, check_backup, restore as restore_backup};
mod ingest;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a write waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long `migrate` waits for another process's migrations.
const MIGRATE_WAIT: Duration = Duration::from_secs(300);
/// The free space below which the store is not ready (`/readyz`): writes
/// would soon fail with "database or disk is full".
pub const MIN_FREE_BYTES: u64 = 1024 * 1024;
/// Read connections; SQLite in WAL mode serves readers while one writer writes.
const READ_CONNECTIONS: u32 = 4;

/// The most variables one SQLite statement may bind
/// (`SQLITE_MAX_VARIABLE_NUMBER` since SQLite 3.32).
const MAX_VARIABLES: usize = 32_766;
/// Commits per multi-row `INSERT` (2,184).
const COMMITS_PER_STATEMENT: usize = MAX_VARIABLES / COMMIT_BINDS;
/// Files per multi-row `INSERT` (5,461).
const FILES_PER_STATEMENT: usize = MAX_VARIABLES / FILE_BINDS;

const IMPORT: &str = "importing the catalog";
const MIGRATE: &str = "migrating";
const PROBE: &str = "taking a write (the readiness probe)";
const INSERT_COMMITS: &str = "storing commits";

/// The store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    path: PathBuf,
    read: SqlitePool,
    write: SqlitePool,
}

/// The durability settings of a SQLite store's write connection, as SQLite
/// reports them (`PRAGMA journal_mode`, ...). `paved serve` can log them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SqliteDurability {
    /// `wal`.
    pub journal_mode: String,
    /// `FULL`: every commit reaches the disk before it returns.
    pub synchronous: String,
    /// Whether foreign keys are enforced.
    pub foreign_keys: bool,
    /// How long a write waits for another process's lock, in milliseconds.
    pub busy_timeout_ms: i64,
}

impl SqliteStore {
    /// Opens the SQLite database at `path`, creating the file when it does
    /// not exist (its directory must exist). Does not migrate: call
    /// [`Store::migrate`] (or use [`crate::connect`]).
    ///
    /// # Errors
    /// [`StoreError::BadUrl`] for an empty or blank path (SQLite would use a
    /// temporary database and keep nothing),
    /// [`StoreError::MissingDirectory`] when the directory does not exist,
    /// [`StoreError::BadDirectory`] when its path is not a directory,
    /// [`StoreError::SqliteOpen`] when the file cannot be opened or is not a
    /// SQLite database.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        if path.to_string_lossy().trim().is_empty() {
            return Err(StoreError::BadUrl(
                "the SQLite database path is empty; name a file, e.g. sqlite://paved.db".to_owned(),
            ));
        }
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            match tokio::fs::metadata(parent).await {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    let source = std::io::Error::new(std::io::ErrorKind::NotADirectory, "it is not a directory");
                    return Err(StoreError::BadDirectory { path: parent.to_owned(), source });
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    return Err(StoreError::MissingDirectory(parent.to_owned()));
                }
                Err(source) => return Err(StoreError::BadDirectory { path: parent.to_owned(), source }),
            }
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let open_error = |source| StoreError::SqliteOpen { path: path.clone(), source };
        // The write pool opens first: it creates the file and turns WAL on.
        // Several processes opening a new file at once take turns turning
        // WAL on; one that waits longer than the busy timeout (a loaded
        // machine) tries again, for as long as a migration may wait.
        let asked = std::time::Instant::now();
        let write = loop {
            let opened = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .before_acquire(|conn, _| Box::pin(async move { Ok(common::outside_transaction::<Sqlite>(conn)) }))
                .connect_with(options.clone())
                .await;
            match opened {
                Ok(pool) => break pool,
                Err(sqlx::Error::Database(error))
                    if error.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, 5 | 6))
                        && asked.elapsed() < MIGRATE_WAIT =>
                {
                    tracing::info!("another process holds the new database's lock; waiting for it");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => return Err(open_error(error)),
            }
        };
        let read = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .before_acquire(|conn, _| Box::pin(async move { Ok(common::outside_transaction::<Sqlite>(conn)) }))
            .connect_with(options.pragma("query_only", "ON"))
            .await
            .map_err(open_error)?;
        tracing::debug!(path = %path.display(), "opened the SQLite database");
        Ok(Self { path, read, write })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the durability settings of the write connection.
    ///
    /// # Errors
    /// On a database error.
    pub async fn durability(&self) -> Result<SqliteDurability, StoreError> {
        let error = StoreError::database(Backend::Sqlite, "reading its settings");
        let mut conn = self.write.acquire().await.map_err(error)?;
        let error = || StoreError::database(Backend::Sqlite, "reading its settings");
        let journal_mode: String =
            sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await.map_err(error())?;
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *conn).await.map_err(error())?;
        let foreign_keys: bool =
            sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *conn).await.map_err(error())?;
        let busy_timeout_ms: i64 =
            sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(&mut *conn).await.map_err(error())?;
        let synchronous = match synchronous {
            0 => "OFF".to_owned(),
            1 => "NORMAL".to_owned(),
            2 => "FULL".to_owned(),
            3 => "EXTRA".to_owned(),
            other => other.to_string(),
        };
        Ok(SqliteDurability { journal_mode, synchronous, foreign_keys, busy_timeout_ms })
    }

    /// Closes every connection (checkpointing the WAL into the file).
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// Fails when the file system holding the database has less than
    /// [`MIN_FREE_BYTES`] free. A small write can still fit in pages SQLite
    /// already has while a delivery of ordinary size does not, so the
    /// readiness probe's write alone would report a full disk as ready.
    fn check_free_space(&self) -> Result<(), StoreError> {
        let dir = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        // A file system that cannot say is not judged by it.
        let Ok(stat) = rustix::fs::statvfs(dir) else { return Ok(()) };
        let free = stat.f_bavail.saturating_mul(stat.f_frsize);
        if free < MIN_FREE_BYTES {
            return Err(StoreError::DiskFull { path: self.path.clone(), free, needed: MIN_FREE_BYTES });
        }
        Ok(())
    }

    pub(crate) async fn begin_write(&self, action: &'static str) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.write.begin_with("BEGIN IMMEDIATE").await.map_err(StoreError::database(Backend::Sqlite, action))
    }
}

async fn upsert_entity(
    tx: &mut Transaction<'static, Sqlite>,
    entity: &PreparedEntity<'_>,
    location: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    let e = entity.entity;
    sqlx::query(
        "INSERT INTO entities (key, ref, kind, namespace, name, title, description, owner_ref, owner_key,
             spec_type, lifecycle, location, source_file, source_line, source_column, search_text, entity,
             content_hash, orphan, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT (key) DO UPDATE SET
             ref = excluded.ref, kind = excluded.kind, namespace = excluded.namespace, name = excluded.name,
             title = excluded.title, description = excluded.description, owner_ref = excluded.owner_ref,
             owner_key = excluded.owner_key, spec_type = excluded.spec_type, lifecycle = excluded.lifecycle,
             location = excluded.location, source_file = excluded.source_file,
             source_line = excluded.source_line, source_column = excluded.source_column,
             search_text = excluded.search_text, entity = excluded.entity,
             content_hash = excluded.content_hash, orphan = 0, updated_at = excluded.updated_at",
    )
    .bind(&entity.key)
    .bind(&entity.entity_ref)
    .bind(e.entity_ref.kind())
    .bind(e.entity_ref.namespace())
    .bind(e.entity_ref.name())
    .bind(&e.title)
    .bind(&e.description)
    .bind(&entity.owner_ref)
    .bind(&entity.owner_key)
    .bind(&e.spec_type)
    .bind(&e.lifecycle)
    .bind(location)
    .bind(&e.source.file)
    .bind(entity.source_line())
    .bind(entity.source_column())
    .bind(&entity.search_text)
    .bind(&entity.json)
    .bind(&entity.content_hash)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn import(
    tx: &mut Transaction<'static, Sqlite>,
    import: &CatalogImport<'_>,
    prepared: &[PreparedEntity<'_>],
) -> Result<ImportSummary, StoreError> {
    let error = || StoreError::database(Backend::Sqlite, IMPORT);
    let keys: Vec<String> = prepared.iter().map(|e| e.key.clone()).collect();
    let existing: Vec<ExistingEntity> = sqlx::query_as(
        "SELECT key, ref, location, content_hash, orphan FROM entities
         WHERE location = ? OR key IN (SELECT value FROM json_each(?))",
    )
    .bind(import.location)
    .bind(keys_json(&keys))
    .fetch_all(&mut **tx)
    .await
    .map_err(error())?;
    let plan = common::plan_import(import, prepared, existing)?;
    let now = common::now();

    for entity in &plan.writes {
        upsert_entity(tx, entity, import.location, now).await.map_err(error())?;
    }
    if !plan.writes.is_empty() {
        let written: Vec<String> = plan.writes.iter().map(|e| e.key.clone()).collect();
        sqlx::query("DELETE FROM relations WHERE source_key IN (SELECT value FROM json_each(?))")
            .bind(keys_json(&written))
            .execute(&mut **tx)
            .await
            .map_err(error())?;
        // One statement for every relation: a JSON array of
        // [source_key, type, target_ref, target_key] rows, so no limit on
        // bound variables applies.
        let rows: Vec<serde_json::Value> = common::relation_rows(&plan.writes)
            .into_iter()
            .map(|r| serde_json::json!([r.source_key, r.kind, r.target_ref, r.target_key]))
            .collect();
        sqlx::query(
            "INSERT INTO relations (source_key, type, target_ref, target_key)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)",
        )
        .bind(serde_json::Value::from(rows).to_string())
        .execute(&mut **tx)
        .await
        .map_err(error())?;
    }
    if !plan.mark_orphan.is_empty() {
        sqlx::query("UPDATE entities SET orphan = 1, updated_at = ? WHERE key IN (SELECT value FROM json_each(?))")
            .bind(now)
            .bind(keys_json(&plan.mark_orphan))
            .execute(&mut **tx)
            .await
            .map_err(error())?;
    }
    if !plan.prune.is_empty() {
        // Their relations go with them (ON DELETE CASCADE).
        sqlx::query("DELETE FROM entities WHERE key IN (SELECT value FROM json_each(?))")
            .bind(keys_json(&plan.prune))
            .execute(&mut **tx)
            .await
            .map_err(error())?;
    }
    if plan.changes_catalog() {
        sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'catalog_generation'")
            .execute(&mut **tx)
            .await
            .map_err(error())?;
        for statement in common::RECOUNT_ENTITIES {
            sqlx::query(statement).execute(&mut **tx).await.map_err(error())?;
        }
    }
    Ok(plan.summary)
}

/// Inserts the commits that are not stored yet and then their files, in
/// multi-row statements that stay under SQLite's limit on variables.
/// Returns how many commits were new.
async fn insert_commits(
    tx: &mut Transaction<'static, Sqlite>,
    commits: &[PreparedCommit<'_>],
) -> Result<u64, sqlx::Error> {
    let mut new: HashSet<(String, String)> = HashSet::new();
    for chunk in commits.chunks(COMMITS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(format!("INSERT INTO commits ({COMMIT_COLUMNS}) "));
        insert.push_values(chunk, |mut row, commit| {
            row.push_bind(commit.repo)
                .push_bind(commit.sha)
                .push_bind(&commit.parents)
                .push_bind(&commit.author.name)
                .push_bind(&commit.author.email)
                .push_bind(commit.author_time)
                .push_bind(commit.author_offset)
                .push_bind(&commit.committer.name)
                .push_bind(&commit.committer.email)
                .push_bind(commit.committer_time)
                .push_bind(commit.committer_offset)
                .push_bind(commit.message)
                .push_bind(commit.files_changed)
                .push_bind(commit.lines_added)
                .push_bind(commit.lines_removed);
        });
        // Only the commits this statement inserted come back.
        insert.push(" ON CONFLICT (repo, sha) DO NOTHING RETURNING repo, sha");
        let inserted: Vec<(String, String)> = insert.build_query_as().fetch_all(&mut **tx).await?;
        new.extend(inserted);
    }
    // A commit that was already stored keeps the files it had.
    let files = common::files_of_new(commits, |repo, sha| new.contains(&(repo.to_owned(), sha.to_owned())));
    for chunk in files.chunks(FILES_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(format!("INSERT INTO commit_files ({FILE_COLUMNS}) "));
        insert.push_values(chunk, |mut row, (commit, file)| {
            row.push_bind(commit.repo)
                .push_bind(commit.sha)
                .push_bind(file.path)
                .push_bind(file.added)
                .push_bind(file.removed)
                .push_bind(file.binary);
        });
        insert.push(" ON CONFLICT (repo, sha, path) DO NOTHING");
        insert.build().execute(&mut **tx).await?;
    }
    Ok(new.len() as u64)
}

/// The migrations the database has applied (creating sqlx's table of them
/// on first use).
async fn applied_migrations(
    conn: &mut sqlx::SqliteConnection,
) -> Result<Vec<sqlx::migrate::AppliedMigration>, StoreError> {
    let migrate_error = |source| StoreError::Migrate { backend: Backend::Sqlite, source };
    conn.ensure_migrations_table().await.map_err(migrate_error)?;
    conn.list_applied_migrations().await.map_err(migrate_error)
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(StoreError::database(Backend::Sqlite, "answering a ping"))?;
        let mut tx = self.begin_write(PROBE).await?;
        sqlx::query(common::WRITE_PROBE)
            .bind(chrono::Utc::now())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(Backend::Sqlite, PROBE))?;
        tx.commit().await.map_err(StoreError::database(Backend::Sqlite, PROBE))?;
        self.check_free_space()
    }

    /// Migrates inside one `BEGIN IMMEDIATE` transaction (each migration a
    /// savepoint in it): a second process starting at the same time waits
    /// for the write lock (up to [`MIGRATE_WAIT`], however long the first
    /// one's migrations take), then finds the schema current.
    async fn migrate(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        let asked = std::time::Instant::now();
        let mut tx = loop {
            match self.begin_write(MIGRATE).await {
                Ok(tx) => break tx,
                Err(error) if error.is_transient() && asked.elapsed() < MIGRATE_WAIT => {
                    tracing::info!("another process is migrating the database; waiting for it");
                }
                Err(error) => return Err(error),
            }
        };
        let before = applied_migrations(&mut tx).await?;
        common::check_no_newer_migrations(&MIGRATOR, &before)?;
        // `run_direct`, not `run`: the same, but it takes the connection
        // itself, which `async_trait`'s Send check accepts.
        MIGRATOR
            .run_direct(&mut *tx)
            .await
            .map_err(|source| common::migrate_error(Backend::Sqlite, &MIGRATOR, source))?;
        let after = applied_migrations(&mut tx).await?;
        tx.commit().await.map_err(StoreError::database(Backend::Sqlite, MIGRATE))?;
        Ok(common::newly_applied(&MIGRATOR, &before, &after))
    }

    async fn import_catalog(&self, catalog: CatalogImport<'_>) -> Result<ImportSummary, StoreError> {
        let prepared = common::prepare(&catalog)?;
        let mut tx = self.begin_write(IMPORT).await?;
        // On an error the transaction is dropped, which rolls it back.
        let summary = import(&mut tx, &catalog, &prepared).await?;
        tx.commit().await.map_err(StoreError::database(Backend::Sqlite, IMPORT))?;
        Ok(summary)
    }

    async fn insert_commits(&self, commits: &[Commit]) -> Result<u64, StoreError> {
        let prepared = common::prepare_commits(commits)?;
        if prepared.is_empty() {
            return Ok(0);
        }
        let error = || StoreError::database(Backend::Sqlite, INSERT_COMMITS);
        let mut tx = self.begin_write(INSERT_COMMITS).await?;
        // On an error the transaction is dropped, which rolls it back.
        let new = insert_commits(&mut tx, &prepared).await.map_err(error())?;
        tx.commit().await.map_err(error())?;
        Ok(new)
    }

    async fn commit_graph(&self, repo: &RepoId) -> Result<Vec<GraphRow>, StoreError> {
        let rows: Vec<common::GraphRowColumns> = sqlx::query_as(
            // The files in the same pass: a lookup in commit_files' primary
            // key per commit costs less than a second query's rows to match.
            "SELECT c.sha, c.parents, c.author_time, c.committer_time, c.message, c.author_name, c.author_email,
                    COALESCE((SELECT group_concat(path, char(10)) FROM
                                (SELECT f.path FROM commit_files f WHERE f.repo = c.repo AND f.sha = c.sha
                                 ORDER BY f.path)), '')
             FROM commits c WHERE c.repo = ?",
        )
        .bind(repo.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(StoreError::database(Backend::Sqlite, "reading a commit graph"))?;
        Ok(rows.into_iter().map(common::graph_row).collect())
    }

    async fn ingest(&self, events: &[IngestEvent]) -> Result<Vec<Ingested>, StoreError> {
        self.ingest_events(events).await
    }

    async fn rebuild(
        &self,
        derive: &(dyn for<'e> Fn(&'e RawEvent) -> Derivation + Send + Sync),
    ) -> Result<RebuildSummary, StoreError> {
        self.rebuild_records(derive).await
    }

    #[cfg(feature = "testing")]
    fn inspect(&self) -> &dyn crate::InspectStore {
        self
    }
}

/// How the queries written once (`queries/`) reach this database.
#[async_trait]
impl Db for SqliteStore {
    fn db_backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn reader(&self, action: &'static str) -> Result<Box<dyn Sql + '_>, StoreError> {
        Ok(Box::new(self.read.acquire().await.map_err(StoreError::database(Backend::Sqlite, action))?))
    }

    async fn snapshot(&self, action: &'static str) -> Result<Box<dyn SqlTx + '_>, StoreError> {
        Ok(Box::new(self.read.begin().await.map_err(StoreError::database(Backend::Sqlite, action))?))
    }

    async fn writer(&self, action: &'static str) -> Result<Box<dyn SqlTx + '_>, StoreError> {
        Ok(Box::new(self.begin_write(action).await?))
    }
}
