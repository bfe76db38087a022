//! PostgreSQL, for production and for several `paved serve` replicas.
//!
//! The same schema as SQLite, in PostgreSQL's types (`timestamptz`, `bytea`,
//! `bigserial`, `json`). Catalog imports from several replicas are
//! serialised by a transaction-scoped advisory lock, so each one plans from
//! what the previous one committed.

use std::collections::HashSet;
use std::str::FromStr as _;
use std::time::Duration;

use async_trait::async_trait;
use paved_domain::{Commit, Derivation, RepoId};
use sqlx::migrate::{Migrate, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection as _, PgConnection, Postgres, Transaction};

use crate::common::{self, COMMIT_COLUMNS, ExistingEntity, FILE_COLUMNS, PreparedCommit, PreparedEntity, PreparedFile};
use crate::sql::{Db, Sql, SqlTx};
use crate::{
    AppliedMigration, Backend, CatalogImport, GraphRow, ImportSummary, IngestEvent, Ingested, RawEvent, RebuildSummary,
    Store, StoreError, redact_url,
};

mod ingest;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

const MAX_CONNECTIONS: u32 = 10;
/// How long [`PostgresStore::connect`] waits for the server to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a query waits for a free connection of the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// The advisory lock key that serialises catalog imports ("paved" in ASCII).
const IMPORT_LOCK: i64 = i64::from_be_bytes(*b"\0\0\0paved");
/// The advisory lock key that serialises migrations ("migrate" in ASCII).
const MIGRATE_LOCK: i64 = i64::from_be_bytes(*b"\0migrate");

/// Commits per `UNNEST` insert: arrays have no limit on bound values, this
/// only bounds the size of one message.
const COMMITS_PER_STATEMENT: usize = 5_000;
/// Files per `UNNEST` insert.
const FILES_PER_STATEMENT: usize = 20_000;

const IMPORT: &str = "importing the catalog";
const PROBE: &str = "taking a write (the readiness probe)";
const INSERT_COMMITS: &str = "storing commits";

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the PostgreSQL database at `url`
    /// (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`). Does not migrate: call
    /// [`Store::migrate`] (or use [`crate::connect`]).
    ///
    /// # Errors
    /// [`StoreError::BadUrl`] when `url` does not parse,
    /// [`StoreError::PostgresConnect`] when the server cannot be reached or
    /// refuses the connection, [`StoreError::PostgresTimeout`] when it does
    /// not answer within 5 s; messages never contain the password.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_timeout(url, CONNECT_TIMEOUT).await
    }

    /// [`Self::connect`], waiting at most `timeout` for the server to answer.
    ///
    /// # Errors
    /// As [`Self::connect`]; [`StoreError::PostgresTimeout`] after `timeout`.
    pub async fn connect_with_timeout(url: &str, timeout: Duration) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(format!("`{}` is not a PostgreSQL URL: {e}", redact_url(url))))?;
        let timed_out = || StoreError::PostgresTimeout { url: redact_url(url), timeout };
        let connect_error = |source| match source {
            sqlx::Error::PoolTimedOut => timed_out(),
            source => StoreError::PostgresConnect { url: redact_url(url), source },
        };
        // One direct connection first: the pool would retry until its timeout
        // and report only that it timed out, hiding why (refused, bad
        // password, no such database).
        let probe = tokio::time::timeout(timeout, PgConnection::connect_with(&options))
            .await
            .map_err(|_| timed_out())?
            .map_err(connect_error)?;
        probe.close().await.map_err(connect_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .before_acquire(|conn, _| Box::pin(async move { Ok(common::outside_transaction::<Postgres>(conn)) }))
            .connect_with(options);
        let pool = tokio::time::timeout(timeout, pool).await.map_err(|_| timed_out())?.map_err(connect_error)?;
        tracing::debug!(url = %redact_url(url), "connected to PostgreSQL");
        Ok(Self { pool })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A read-write transaction (READ COMMITTED).
    pub(crate) async fn begin_write(&self, action: &'static str) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(StoreError::database(Backend::Postgres, action))
    }
}

async fn upsert_entity(
    tx: &mut Transaction<'static, Postgres>,
    entity: &PreparedEntity<'_>,
    location: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    let e = entity.entity;
    sqlx::query(
        "INSERT INTO entities (key, ref, kind, namespace, name, title, description, owner_ref, owner_key,
             spec_type, lifecycle, location, source_file, source_line, source_column, search_text, entity,
             content_hash, orphan, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::json, $18, false,
             $19, $19)
         ON CONFLICT (key) DO UPDATE SET
             ref = excluded.ref, kind = excluded.kind, namespace = excluded.namespace, name = excluded.name,
             title = excluded.title, description = excluded.description, owner_ref = excluded.owner_ref,
             owner_key = excluded.owner_key, spec_type = excluded.spec_type, lifecycle = excluded.lifecycle,
             location = excluded.location, source_file = excluded.source_file,
             source_line = excluded.source_line, source_column = excluded.source_column,
             search_text = excluded.search_text, entity = excluded.entity,
             content_hash = excluded.content_hash, orphan = false, updated_at = excluded.updated_at",
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
    .bind(i32::try_from(e.source.line).unwrap_or(i32::MAX))
    .bind(i32::try_from(e.source.column).unwrap_or(i32::MAX))
    .bind(&entity.search_text)
    .bind(&entity.json)
    .bind(&entity.content_hash)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn import(
    tx: &mut Transaction<'static, Postgres>,
    import: &CatalogImport<'_>,
    prepared: &[PreparedEntity<'_>],
) -> Result<ImportSummary, StoreError> {
    let error = || StoreError::database(Backend::Postgres, IMPORT);
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(IMPORT_LOCK).execute(&mut **tx).await.map_err(error())?;
    let keys: Vec<String> = prepared.iter().map(|e| e.key.clone()).collect();
    let existing: Vec<ExistingEntity> = sqlx::query_as(
        "SELECT key, ref, location, content_hash, orphan FROM entities WHERE location = $1 OR key = ANY($2)",
    )
    .bind(import.location)
    .bind(&keys)
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
        sqlx::query("DELETE FROM relations WHERE source_key = ANY($1)")
            .bind(&written)
            .execute(&mut **tx)
            .await
            .map_err(error())?;
        let rows = common::relation_rows(&plan.writes);
        let (mut sources, mut kinds, mut target_refs, mut target_keys) = (vec![], vec![], vec![], vec![]);
        for row in rows {
            sources.push(row.source_key);
            kinds.push(row.kind.to_owned());
            target_refs.push(row.target_ref);
            target_keys.push(row.target_key);
        }
        sqlx::query(
            "INSERT INTO relations (source_key, type, target_ref, target_key)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])",
        )
        .bind(&sources)
        .bind(&kinds)
        .bind(&target_refs)
        .bind(&target_keys)
        .execute(&mut **tx)
        .await
        .map_err(error())?;
    }
    if !plan.mark_orphan.is_empty() {
        sqlx::query("UPDATE entities SET orphan = true, updated_at = $1 WHERE key = ANY($2)")
            .bind(now)
            .bind(&plan.mark_orphan)
            .execute(&mut **tx)
            .await
            .map_err(error())?;
    }
    if !plan.prune.is_empty() {
        // Their relations go with them (ON DELETE CASCADE).
        sqlx::query("DELETE FROM entities WHERE key = ANY($1)")
            .bind(&plan.prune)
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

/// Inserts the commits that are not stored yet and then their files.
/// Returns how many commits were new.
///
/// Each column goes to PostgreSQL as one array that `UNNEST` turns back into
/// rows: one short statement per chunk, however many rows, and no limit on
/// bound values. (Measured with examples/bench_commits.rs, 20,000 commits
/// and 86,000 files: 15 to 40% faster than multi-row `VALUES` built with
/// `QueryBuilder::push_values` in chunks under the 65,535-value limit, in
/// batches of 1,000 and of 20,000 commits alike.)
async fn insert_commits(
    tx: &mut Transaction<'static, Postgres>,
    commits: &[PreparedCommit<'_>],
) -> Result<u64, sqlx::Error> {
    let mut new: HashSet<(String, String)> = HashSet::new();
    for chunk in commits.chunks(COMMITS_PER_STATEMENT) {
        new.extend(insert_commit_arrays(tx, chunk).await?);
    }
    // A commit that was already stored keeps the files it had.
    let files = common::files_of_new(commits, |repo, sha| new.contains(&(repo.to_owned(), sha.to_owned())));
    for chunk in files.chunks(FILES_PER_STATEMENT) {
        insert_file_arrays(tx, chunk).await?;
    }
    Ok(new.len() as u64)
}

/// One statement per chunk, each column bound as one array.
async fn insert_commit_arrays(
    tx: &mut Transaction<'static, Postgres>,
    chunk: &[PreparedCommit<'_>],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    fn column<'p, 'a: 'p>(
        chunk: &'p [PreparedCommit<'a>],
        text: fn(&'p PreparedCommit<'a>) -> &'p str,
    ) -> Vec<&'p str> {
        chunk.iter().map(text).collect()
    }
    sqlx::query_as(&format!(
        "INSERT INTO commits ({COMMIT_COLUMNS})
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::int4[],
             $8::text[], $9::text[], $10::int8[], $11::int4[], $12::text[], $13::int4[], $14::int4[], $15::int4[])
         ON CONFLICT (repo, sha) DO NOTHING RETURNING repo, sha"
    ))
    .bind(column(chunk, |c| c.repo))
    .bind(column(chunk, |c| c.sha))
    .bind(column(chunk, |c| &c.parents))
    .bind(column(chunk, |c| &c.author.name))
    .bind(column(chunk, |c| &c.author.email))
    .bind(chunk.iter().map(|c| c.author_time).collect::<Vec<i64>>())
    .bind(chunk.iter().map(|c| c.author_offset).collect::<Vec<i32>>())
    .bind(column(chunk, |c| &c.committer.name))
    .bind(column(chunk, |c| &c.committer.email))
    .bind(chunk.iter().map(|c| c.committer_time).collect::<Vec<i64>>())
    .bind(chunk.iter().map(|c| c.committer_offset).collect::<Vec<i32>>())
    .bind(column(chunk, |c| c.message))
    .bind(chunk.iter().map(|c| c.files_changed).collect::<Vec<i32>>())
    .bind(chunk.iter().map(|c| c.lines_added).collect::<Vec<i32>>())
    .bind(chunk.iter().map(|c| c.lines_removed).collect::<Vec<i32>>())
    .fetch_all(&mut **tx)
    .await
}

async fn insert_file_arrays(
    tx: &mut Transaction<'static, Postgres>,
    chunk: &[(&PreparedCommit<'_>, &PreparedFile<'_>)],
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO commit_files ({FILE_COLUMNS})
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int4[], $5::int4[], $6::bool[])
         ON CONFLICT (repo, sha, path) DO NOTHING"
    ))
    .bind(chunk.iter().map(|(c, _)| c.repo).collect::<Vec<&str>>())
    .bind(chunk.iter().map(|(c, _)| c.sha).collect::<Vec<&str>>())
    .bind(chunk.iter().map(|(_, f)| f.path).collect::<Vec<&str>>())
    .bind(chunk.iter().map(|(_, f)| f.added).collect::<Vec<i32>>())
    .bind(chunk.iter().map(|(_, f)| f.removed).collect::<Vec<i32>>())
    .bind(chunk.iter().map(|(_, f)| f.binary).collect::<Vec<bool>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The migrations the database has applied (creating sqlx's table of them
/// on first use).
async fn applied_migrations(conn: &mut PgConnection) -> Result<Vec<sqlx::migrate::AppliedMigration>, StoreError> {
    let migrate_error = |source| StoreError::Migrate { backend: Backend::Postgres, source };
    conn.ensure_migrations_table().await.map_err(migrate_error)?;
    conn.list_applied_migrations().await.map_err(migrate_error)
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(StoreError::database(Backend::Postgres, "answering a ping"))?;
        let mut tx = self.begin_write(PROBE).await?;
        sqlx::query(common::WRITE_PROBE)
            .bind(chrono::Utc::now())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(Backend::Postgres, PROBE))?;
        tx.commit().await.map_err(StoreError::database(Backend::Postgres, PROBE))
    }

    /// Migrates on one connection holding an advisory lock: replicas that
    /// start together wait for each other, and the later ones find the
    /// schema current.
    async fn migrate(&self) -> Result<Vec<AppliedMigration>, StoreError> {
        let error = StoreError::database(Backend::Postgres, "migrating");
        let mut conn = self.pool.acquire().await.map_err(error)?;
        sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATE_LOCK).execute(&mut *conn).await.map_err(error)?;
        let migrated = async {
            let before = applied_migrations(&mut conn).await?;
            common::check_no_newer_migrations(&MIGRATOR, &before)?;
            // `run_direct`, not `run`: the same, but it takes the connection
            // itself, which `async_trait`'s Send check accepts.
            MIGRATOR
                .run_direct(&mut *conn)
                .await
                .map_err(|source| common::migrate_error(Backend::Postgres, &MIGRATOR, source))?;
            let after = applied_migrations(&mut conn).await?;
            Ok(common::newly_applied(&MIGRATOR, &before, &after))
        }
        .await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATE_LOCK).execute(&mut *conn).await;
        if unlocked.is_err() || migrated.is_err() {
            // A session that cannot say it let go must not keep the lock,
            // and one a migration failed on may be left mid-transaction:
            // neither goes back to the pool.
            conn.close_on_drop();
        }
        migrated
    }

    async fn import_catalog(&self, catalog: CatalogImport<'_>) -> Result<ImportSummary, StoreError> {
        let prepared = common::prepare(&catalog)?;
        let mut tx = self.pool.begin().await.map_err(StoreError::database(Backend::Postgres, IMPORT))?;
        // On an error the transaction is dropped, which rolls it back.
        let summary = import(&mut tx, &catalog, &prepared).await?;
        tx.commit().await.map_err(StoreError::database(Backend::Postgres, IMPORT))?;
        Ok(summary)
    }

    async fn insert_commits(&self, commits: &[Commit]) -> Result<u64, StoreError> {
        let prepared = common::prepare_commits(commits)?;
        if prepared.is_empty() {
            return Ok(0);
        }
        let error = || StoreError::database(Backend::Postgres, INSERT_COMMITS);
        let mut tx = self.pool.begin().await.map_err(error())?;
        // On an error the transaction is dropped, which rolls it back.
        let new = insert_commits(&mut tx, &prepared).await.map_err(error())?;
        tx.commit().await.map_err(error())?;
        Ok(new)
    }

    async fn commit_graph(&self, repo: &RepoId) -> Result<Vec<GraphRow>, StoreError> {
        let rows: Vec<common::GraphRowColumns> = sqlx::query_as(
            "SELECT c.sha, c.parents, c.author_time, c.committer_time, c.message, c.author_name, c.author_email,
                    COALESCE((SELECT string_agg(f.path, E'\n' ORDER BY f.path) FROM commit_files f
                              WHERE f.repo = c.repo AND f.sha = c.sha), '')
             FROM commits c WHERE c.repo = $1",
        )
        .bind(repo.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database(Backend::Postgres, "reading a commit graph"))?;
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
impl Db for PostgresStore {
    fn db_backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn reader(&self, action: &'static str) -> Result<Box<dyn Sql + '_>, StoreError> {
        Ok(Box::new(self.pool.acquire().await.map_err(StoreError::database(Backend::Postgres, action))?))
    }

    async fn snapshot(&self, action: &'static str) -> Result<Box<dyn SqlTx + '_>, StoreError> {
        Ok(Box::new(
            self.pool
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await
                .map_err(StoreError::database(Backend::Postgres, action))?,
        ))
    }

    async fn writer(&self, action: &'static str) -> Result<Box<dyn SqlTx + '_>, StoreError> {
        Ok(Box::new(self.begin_write(action).await?))
    }
}
