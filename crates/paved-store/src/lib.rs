//! pavedroad's storage: one [`Store`] contract, implemented on SQLite (the
//! embedded default) and PostgreSQL (production).
//!
//! Architecture invariant: only this crate contains SQL, and every query binds
//! its parameters. Both backends pass the same contract test suite
//! (`tests/it/contract.rs`); a store change is done when both do.
//! Migrations live in `migrations/<backend>/` and are added, never edited.
//!
//! A query is written once for both databases (`queries/`, over the
//! statement and dialect seam of `sql.rs`); each backend keeps only what
//! its database does differently (`sqlite.rs`, `postgres.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_domain::{CatalogEntity, Commit, Derivation, EntityRef, Record, RecordKind, Relation, RepoId};
use serde::{Deserialize, Serialize};

mod common;
mod contacts;
mod error;
mod health;
mod heartbeats;
mod ingest;
mod jobs;
mod overrides;
mod paging;
mod postgres;
mod queries;
mod resources;
mod scorecards;
mod sessions;
mod sql;
mod sqlite;
mod templates;

pub use contacts::{ContactStore, NewPersonContact, StoredPersonContact};
pub use error::StoreError;
pub use health::{HealthStore, WorkHealth};
pub use heartbeats::{HeartbeatState, HeartbeatStore};
pub use ingest::{
    AuditDecision, AuditEntry, AuditFilter, CommitEmail, EventCount, EventFilter, EventSummary, IdentityRecord,
    IngestEvent, Ingested, NewAudit, NewToken, RebuildSummary, RecordFilter, TokenInfo, TokenScope,
};
pub use jobs::{DeployJob, JobEnd, JobFilter, JobState, JobStore, LogEntry, LogStream, NewJob};
pub use overrides::{NewOverride, OverrideFilter, OverrideStore, StoredOverride};
pub use paging::{
    Delivery, Escalation, EscalationState, FiredStep, NewEscalation, NewNotification, NextStep, Notification,
    NotificationState, PagingStore,
};
pub use postgres::PostgresStore;
pub use resources::{NewResource, ResourceOutcome, ResourceState, ResourceStore, StoredResource};
pub use scorecards::{ScoreRecord, ScorecardStore};
pub use sessions::{NewSession, SessionInfo, SessionStore};
pub use sqlite::{BackupSummary, SqliteDurability, SqliteStore, check_backup, restore_backup};
pub use templates::{DriftRecord, NewTemplateRun, RunKind, RunOutcome, RunState, StoredTemplateRun, TemplateStore};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The embedded default: one file, WAL, `synchronous=FULL`.
    Sqlite,
    /// PostgreSQL, for production and several replicas.
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}

/// A catalog import: the entities found under one location (the canonical
/// path the user named), stored in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct CatalogImport<'a> {
    /// The location the entities were read from (e.g. the canonical absolute
    /// path of `examples/acme`). Entities stored earlier from this location
    /// that are missing from `entities` become orphans.
    pub location: &'a str,
    /// Every entity now found under `location`.
    pub entities: &'a [CatalogEntity],
    /// What to do with orphans of this location.
    pub orphans: OrphanPolicy,
}

/// What an import does with entities that disappeared from their location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrphanPolicy {
    /// Keep them, marked orphaned, and list them.
    Mark,
    /// Delete them (`paved catalog import --prune`).
    Prune,
}

/// What an import changed. Importing the same entities twice gives an empty
/// `added`, `updated` and `pruned` the second time; `orphaned` still lists
/// the entities that are still missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Entities that were not stored before.
    pub added: Vec<EntityRef>,
    /// Entities whose descriptor, source or relations changed, that moved
    /// here from another location, or that were orphans and are back.
    pub updated: Vec<EntityRef>,
    /// How many entities were already stored exactly as read.
    pub unchanged: usize,
    /// Entities of this location that are no longer in it, now marked orphaned
    /// (including ones orphaned by an earlier import and still missing).
    pub orphaned: Vec<EntityRef>,
    /// Orphans deleted by [`OrphanPolicy::Prune`].
    pub pruned: Vec<EntityRef>,
    /// Entities that another location held (and still defined at its last
    /// import) and that this import took over: either the descriptor moved,
    /// or both locations define the entity, and the last import wins. They
    /// are in `updated` too. An orphan taken over is not listed here: its
    /// old location no longer defined it.
    pub moved: Vec<MovedEntity>,
}

/// An entity an import took over from another location; see
/// [`ImportSummary::moved`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MovedEntity {
    /// The entity.
    pub entity: EntityRef,
    /// The location it was stored from until this import.
    pub from: String,
}

/// An entity as stored, with its relations in both directions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEntity {
    /// The entity as the catalog read it.
    #[serde(flatten)]
    pub entity: CatalogEntity,
    /// The location it was imported from.
    pub location: String,
    /// True when its location no longer contains it.
    pub orphan: bool,
    /// When it was first stored.
    pub created_at: DateTime<Utc>,
    /// When it was last written: its content or location changed, or it
    /// became or stopped being an orphan. An import that finds it unchanged
    /// leaves this alone.
    pub updated_at: DateTime<Utc>,
    /// Relations both ways: those derived from its own spec plus the inverse
    /// of every stored relation that targets it, sorted and without
    /// duplicates. Relations to entities that are not stored are kept.
    pub all_relations: Vec<Relation>,
}

/// Filters for [`Store::list_entities`]; every set field must match.
/// `EntityFilter::default()` matches every non-orphaned entity, 100 per page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityFilter {
    /// Kind, case-insensitive (`component`, `Component`).
    pub kind: Option<String>,
    /// Owner reference (exact, after defaults).
    pub owner: Option<EntityRef>,
    /// Namespace, case-insensitive.
    pub namespace: Option<String>,
    /// Text that must appear (case-insensitive) in the name, title or
    /// description.
    pub text: Option<String>,
    /// Include orphans (default: no).
    pub include_orphans: bool,
    /// Page size; values outside 1..=500 are clamped into it.
    pub limit: u32,
    /// Number of entities to skip, in the order kind, namespace, name.
    pub offset: u64,
}

impl Default for EntityFilter {
    fn default() -> Self {
        Self { kind: None, owner: None, namespace: None, text: None, include_orphans: false, limit: 100, offset: 0 }
    }
}

/// One page of entities and the total that match the filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityPage {
    /// The entities of this page, ordered by kind, namespace, name.
    pub items: Vec<StoredEntity>,
    /// How many entities match the filter in all.
    pub total: u64,
}

/// A payload to keep exactly as received (§3 "Raw event").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRawEvent {
    /// Where it came from: `github`, `gitlab`, `alertmanager`, `pagerduty`,
    /// `git`, `cli`, ...
    pub source: String,
    /// The provider's event type, e.g. `push`.
    pub event_type: String,
    /// The provider's delivery id; unique per source.
    pub delivery_id: String,
    /// When it was received (stored to the microsecond).
    pub received_at: DateTime<Utc>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// What the request carried outside the body that deriving the event
    /// needs (a path parameter, a generated dedup key), as a JSON object;
    /// `{}` when nothing.
    pub context: serde_json::Value,
}

/// The outcome of [`Store::insert_raw_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawEventInsert {
    /// Stored now, under this id.
    Stored(i64),
    /// The same source and delivery id was stored before, under this id;
    /// nothing changed.
    Duplicate(i64),
}

/// A raw event as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawEvent {
    /// Store-assigned id, increasing in insertion order. (On PostgreSQL, ids
    /// are taken when an insert starts, so concurrent inserts may commit out
    /// of id order.)
    pub id: i64,
    /// See [`NewRawEvent::source`].
    pub source: String,
    /// See [`NewRawEvent::event_type`].
    pub event_type: String,
    /// See [`NewRawEvent::delivery_id`].
    pub delivery_id: String,
    /// See [`NewRawEvent::received_at`].
    pub received_at: DateTime<Utc>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// See [`NewRawEvent::context`].
    pub context: serde_json::Value,
}

/// What the last complete git import of a repository reached, so that the
/// next import walks only what is new. See [`Store::save_repository`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryState {
    /// The repository.
    pub repo: RepoId,
    /// Where the import read it from (a local path).
    pub source_path: String,
    /// The refs the import walked and the commits they pointed to, in the
    /// order given.
    pub tips: Vec<RefTip>,
    /// When the import finished (stored to the microsecond).
    pub imported_at: DateTime<Utc>,
    /// How many commits the import counted.
    pub commits: u64,
}

/// A ref and the commit it pointed to when it was imported.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RefTip {
    /// The full ref name, e.g. `refs/heads/main`.
    pub reference: String,
    /// The commit's object id in lower-case hex.
    pub sha: String,
}

/// A commit as the metrics read a history: no files, no names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphRow {
    /// The object id.
    pub sha: String,
    /// The parents' ids, first parent first.
    pub parents: Vec<String>,
    /// The author's time, Unix seconds.
    pub author_time: i64,
    /// The committer's time, Unix seconds.
    pub committer_time: i64,
    /// The whole message.
    pub message: String,
    /// The author's name as written.
    pub author_name: String,
    /// The author's e-mail as written.
    pub author_email: String,
    /// The paths it changed, in path order (its `commit_files` rows).
    pub files: Vec<String>,
}

/// A migration applied by [`Store::migrate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    /// Its version number.
    pub version: i64,
    /// Its description.
    pub description: String,
}

/// The storage contract: every concern's trait, and the writes each backend
/// does in its own SQL. Both backends implement all of it with the same
/// behaviour (the contract tests run on both).
///
/// The concern traits ([`CatalogStore`], [`CommitStore`], [`RecordStore`],
/// [`TokenStore`], [`SessionStore`], [`AuditStore`], [`JobStore`], [`PagingStore`],
/// [`HeartbeatStore`], [`OverrideStore`], [`ContactStore`], [`ResourceStore`], [`TemplateStore`], [`ScorecardStore`], [`HealthStore`]) are written once for both databases
/// (`queries/`, over the dialect seam of `sql.rs`); what is left here is
/// what each database does its own way: connecting, migrating, bulk
/// inserts, locking and the commit graph's aggregate.
#[async_trait]
pub trait Store:
    CatalogStore
    + CommitStore
    + RecordStore
    + TokenStore
    + SessionStore
    + AuditStore
    + JobStore
    + PagingStore
    + HeartbeatStore
    + OverrideStore
    + ContactStore
    + ResourceStore
    + TemplateStore
    + ScorecardStore
    + HealthStore
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
    /// Which database this is.
    fn backend(&self) -> Backend;

    /// Checks that the database answers a query and takes a write (one row
    /// of `write_probe`, committed durably like any other write), so that a
    /// full disk or a read-only database is not reported ready.
    ///
    /// # Errors
    /// When the database cannot be reached or refuses the write.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Applies the migrations not yet applied and returns them (empty when the
    /// schema is current).
    ///
    /// # Errors
    /// When a migration fails, or the database has migrations this binary
    /// does not know (it is older than the schema).
    async fn migrate(&self) -> Result<Vec<AppliedMigration>, StoreError>;

    /// Stores the entities of one location in one transaction: all or nothing.
    ///
    /// # Errors
    /// [`StoreError::DuplicateEntity`] when two entities of the import have
    /// the same [`EntityRef::key`]; [`StoreError::InvalidText`] when an
    /// entity has a NUL character (`\0`) in any text (PostgreSQL cannot
    /// store one, so neither backend does), [`StoreError::InvalidLocation`]
    /// when the location has one; any database error. Nothing is written
    /// then.
    async fn import_catalog(&self, import: CatalogImport<'_>) -> Result<ImportSummary, StoreError>;

    /// Stores a batch of commits with their files in one transaction (all
    /// or nothing) and returns how many were new.
    ///
    /// A commit already stored (same repository and sha) is left exactly as
    /// it is, files included, so importing a history again writes nothing
    /// and returns 0. A commit given twice in one batch counts once; its
    /// first occurrence is kept. Times are kept to the second (git's
    /// resolution) with their offsets from UTC.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] when a commit has a NUL character
    /// (`\0`) in any text, a sha or parent that is not a full lower-case hex
    /// object id, a file path listed twice, or a count above 2,147,483,647
    /// (one file's lines, or the commit's total); any database error.
    /// Nothing of the batch is written then.
    async fn insert_commits(&self, commits: &[Commit]) -> Result<u64, StoreError>;

    /// Every commit of `repo`, as the metrics read a history, in one query.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when a row does not
    /// decode.
    async fn commit_graph(&self, repo: &RepoId) -> Result<Vec<GraphRow>, StoreError>;

    /// Stores each event with what was derived from it, all in one
    /// transaction (a batch of concurrent deliveries shares one commit):
    /// the raw event, its outcome, its records merged into the stored ones
    /// ([`Record::merge`]), the identities it names and its audit entry. An
    /// event whose source and delivery id were stored before changes
    /// nothing and reports [`RawEventInsert::Duplicate`]. Everything is
    /// durable when this returns.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] when a raw event's source, type or
    /// delivery id, or a record's key or indexed text, has a NUL character;
    /// [`StoreError::Corrupt`] when a stored record does not decode; any
    /// database error. Nothing of the batch is written then.
    async fn ingest(&self, events: &[IngestEvent]) -> Result<Vec<Ingested>, StoreError>;

    /// Deletes every record, identity and outcome and derives them again
    /// from the raw events, oldest first, with `derive`, in one transaction:
    /// readers see the old records until the new ones are complete.
    ///
    /// # Errors
    /// As [`Store::ingest`]; nothing changes then.
    async fn rebuild(
        &self,
        derive: &(dyn for<'e> Fn(&'e RawEvent) -> Derivation + Send + Sync),
    ) -> Result<RebuildSummary, StoreError>;

    /// What only tests read back (the `testing` feature).
    #[cfg(feature = "testing")]
    fn inspect(&self) -> &dyn InspectStore;
}

/// The catalog as stored: entities with their relations, orphans, and the
/// generation that says when it changed. Part of [`Store`].
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Lists entities matching `filter`, one page at a time. A filter with a
    /// NUL character (`\0`) matches nothing: no stored text holds one.
    ///
    /// # Errors
    /// On a database error.
    async fn list_entities(&self, filter: &EntityFilter) -> Result<EntityPage, StoreError>;

    /// One entity with its relations both ways (orphans included); `None`
    /// for a reference with a NUL character (`\0`).
    ///
    /// # Errors
    /// On a database error.
    async fn entity(&self, entity_ref: &EntityRef) -> Result<Option<StoredEntity>, StoreError>;

    /// The stored entities among `refs` (compared by [`EntityRef::key`]),
    /// ordered by kind, namespace, name; missing ones (and references with
    /// a NUL character) are left out.
    ///
    /// # Errors
    /// On a database error.
    async fn entities(&self, refs: &[EntityRef]) -> Result<Vec<StoredEntity>, StoreError>;

    /// Every orphaned entity, ordered by kind, namespace, name.
    ///
    /// # Errors
    /// On a database error.
    async fn orphans(&self) -> Result<Vec<StoredEntity>, StoreError>;

    /// A number that grows whenever a catalog import changes something, so
    /// that a server knows when to read the catalog again.
    ///
    /// # Errors
    /// On a database error.
    async fn catalog_generation(&self) -> Result<i64, StoreError>;

    /// Every stored entity that is not an orphan.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when one does not decode.
    async fn catalog_entities(&self) -> Result<Vec<CatalogEntity>, StoreError>;
}

/// Repositories and their commits, as the importer and the readers need
/// them. Part of [`Store`].
#[async_trait]
pub trait CommitStore: Send + Sync {
    /// What the last import of `repo` saved, or `None` when it was never
    /// imported.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when the stored tips
    /// do not decode.
    async fn repository(&self, repo: &RepoId) -> Result<Option<RepositoryState>, StoreError>;

    /// Saves (inserts or replaces) what an import of `state.repo` reached.
    /// An importer calls it only after every batch of commits committed, so
    /// that an interrupted import leaves the previous tips and simply walks
    /// again next time.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] when the source path or a tip has a
    /// NUL character (`\0`), a tip's sha is not a full lower-case hex object
    /// id, or `commits` is above `i64::MAX`; any database error. Nothing is
    /// written then.
    async fn save_repository(&self, state: &RepositoryState) -> Result<(), StoreError>;

    /// How many commits of `repo` are stored.
    ///
    /// # Errors
    /// On a database error.
    async fn commit_count(&self, repo: &RepoId) -> Result<u64, StoreError>;

    /// Every e-mail address commits were authored with, most commits first.
    ///
    /// # Errors
    /// On a database error.
    async fn commit_emails(&self) -> Result<Vec<CommitEmail>, StoreError>;

    /// The full ids of stored commits that start with `prefix` (hex, any
    /// case), in `repos` (every repository when empty), at most 10: one
    /// when an abbreviated sha is unambiguous.
    ///
    /// # Errors
    /// On a database error.
    async fn commits_by_prefix(&self, repos: &[RepoId], prefix: &str) -> Result<Vec<String>, StoreError>;
}

/// Records, identities and raw events as readers ask for them. Part of
/// [`Store`].
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// One record by kind and key.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when it does not decode.
    async fn record(&self, kind: RecordKind, key: &str) -> Result<Option<Record>, StoreError>;

    /// Records matching `filter`, newest first (records without an instant
    /// last), then by key.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when one does not decode.
    async fn records(&self, filter: &RecordFilter) -> Result<Vec<Record>, StoreError>;

    /// How many records `filter` matches on all its pages (its `limit` and
    /// `offset` are ignored).
    ///
    /// # Errors
    /// On a database error.
    async fn count_records(&self, filter: &RecordFilter) -> Result<u64, StoreError>;

    /// Every record matching `filter` (its `limit` and `offset` are
    /// ignored), in one query: what the metrics read.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when one does not decode.
    async fn all_records(&self, filter: &RecordFilter) -> Result<Vec<Record>, StoreError>;

    /// Raw events matching `filter`, newest first, without their bodies.
    ///
    /// # Errors
    /// On a database error.
    async fn events(&self, filter: &EventFilter) -> Result<Vec<EventSummary>, StoreError>;

    /// How many raw events `filter` matches on all its pages (its `limit`
    /// and `offset` are ignored).
    ///
    /// # Errors
    /// On a database error.
    async fn count_events(&self, filter: &EventFilter) -> Result<u64, StoreError>;

    /// How many raw events each source has, per outcome.
    ///
    /// # Errors
    /// On a database error.
    async fn event_counts(&self) -> Result<Vec<EventCount>, StoreError>;

    /// One raw event with its body.
    ///
    /// # Errors
    /// On a database error.
    async fn raw_event(&self, id: i64) -> Result<Option<RawEvent>, StoreError>;

    /// Up to `limit` raw events with their bodies, oldest first, after the
    /// one with id `after` (0: from the first): how an export reads them
    /// all, page by page.
    ///
    /// # Errors
    /// On a database error.
    async fn raw_events_after(&self, after: i64, limit: u32) -> Result<Vec<RawEvent>, StoreError>;

    /// Every identity events named, most often named first.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when one does not decode.
    async fn identities(&self) -> Result<Vec<IdentityRecord>, StoreError>;

    /// A value that changes whenever what the metrics read changes: a raw
    /// event was stored, the catalog changed, a git import stored commits,
    /// or an on-call override was made or deleted. Cheap: for caches to compare on every request.
    ///
    /// # Errors
    /// On a database error.
    async fn data_version(&self) -> Result<String, StoreError>;
}

/// API tokens, stored as hashes. Part of [`Store`].
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a token's hash and audits its creation by `actor`.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] for a NUL character in its name; any
    /// database error (a hash stored before is one).
    async fn create_token(&self, token: &NewToken, actor: &str) -> Result<TokenInfo, StoreError>;

    /// The token with this hash, revoked or not.
    ///
    /// # Errors
    /// On a database error.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError>;

    /// Every token, oldest first.
    ///
    /// # Errors
    /// On a database error.
    async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError>;

    /// Revokes a token (once; revoking again changes nothing) and audits it;
    /// `None` when there is no such token.
    ///
    /// # Errors
    /// On a database error.
    async fn revoke_token(&self, id: i64, actor: &str) -> Result<Option<TokenInfo>, StoreError>;
}

/// The audit log. Part of [`Store`].
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// The latest entries of the audit log, newest first (at most 1,000).
    ///
    /// # Errors
    /// On a database error.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    /// The entries `filter` asks for, newest first, and how many match in
    /// all.
    ///
    /// # Errors
    /// On a database error.
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<(Vec<AuditEntry>, u64), StoreError>;

    /// Appends `audit` on its own, for an action that stores nothing else
    /// (answering GitHub's deployment protection rule); `raw_event_id`
    /// names the stored delivery that asked for it, if any.
    ///
    /// # Errors
    /// On a database error.
    async fn append_audit(&self, audit: &NewAudit, raw_event_id: Option<i64>) -> Result<(), StoreError>;
}

/// What only tests read back or write directly: single raw events without
/// records, raw events by source, pages of commits with their files, and
/// the paths of commits. Not part of the production contract: enabled by
/// the `testing` feature.
#[cfg(feature = "testing")]
#[async_trait]
pub trait InspectStore: Send + Sync {
    /// Appends a raw event; a second event with the same source and delivery
    /// id changes nothing and reports [`RawEventInsert::Duplicate`]. The event
    /// is durable (committed) when this returns.
    ///
    /// # Errors
    /// On a database error; nothing is written then.
    async fn insert_raw_event(&self, event: &NewRawEvent) -> Result<RawEventInsert, StoreError>;

    /// Raw events of `source` with id greater than `after_id`, oldest first,
    /// at most `limit` (and at most 1,000).
    ///
    /// # Errors
    /// On a database error.
    async fn raw_events(&self, source: &str, after_id: i64, limit: u32) -> Result<Vec<RawEvent>, StoreError>;

    /// The commits of `repo` ordered by committer time, then sha, skipping
    /// `offset` and returning at most `limit` (and at most 10,000), each with
    /// its files in path order.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when a stored commit
    /// does not decode.
    async fn commits(&self, repo: &RepoId, limit: u32, offset: u64) -> Result<Vec<Commit>, StoreError>;

    /// Every (commit, path) pair of `repo`: what each commit changed, for
    /// services inside a monorepo.
    ///
    /// # Errors
    /// On a database error.
    async fn commit_paths(&self, repo: &RepoId) -> Result<Vec<(String, String)>, StoreError>;
}

/// A shared handle on a store.
pub type DynStore = Arc<dyn Store>;

/// Where the database is: a SQLite file or a PostgreSQL URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    /// A SQLite database file, created on first use.
    Sqlite(std::path::PathBuf),
    /// A `postgres://` or `postgresql://` URL (its password is never printed).
    Postgres(String),
}

impl DatabaseLocation {
    /// Reads a `--database-url`: `postgres://...`/`postgresql://...`,
    /// `sqlite://PATH`/`sqlite:PATH`, or a plain file path.
    ///
    /// # Errors
    /// [`StoreError::BadUrl`] for an empty or blank URL (it would name no
    /// file, and SQLite would quietly use a temporary database), for
    /// another scheme (e.g. `mysql://`), and for an in-memory SQLite database.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if url.trim().is_empty() {
            return Err(StoreError::BadUrl(format!(
                "the database URL is {}; write --database-url (or PAVED_DATABASE_URL) as postgres://USER@HOST/DB, sqlite://PATH or a file path, e.g. sqlite://paved.db",
                if url.is_empty() { "empty" } else { "blank" }
            )));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let path = path.split('?').next().unwrap_or_default();
            if path == ":memory:" || path.starts_with(":memory:") {
                return Err(StoreError::BadUrl(format!(
                    "`{url}` is an in-memory database, which would lose everything on exit; name a file, e.g. sqlite://paved.db"
                )));
            }
            if path.trim().is_empty() {
                return Err(StoreError::BadUrl(format!(
                    "`{url}` names no file; write sqlite://PATH, e.g. sqlite://paved.db"
                )));
            }
            return Ok(Self::Sqlite(path.into()));
        }
        if url.contains("://") {
            return Err(StoreError::BadUrl(format!(
                "`{}` is neither PostgreSQL nor SQLite; use postgres://USER@HOST/DB, sqlite://PATH or a file path",
                redact_url(url)
            )));
        }
        Ok(Self::Sqlite(url.into()))
    }
}

impl std::fmt::Debug for DatabaseLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_string())
    }
}

impl std::fmt::Display for DatabaseLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

/// A URL with its password (in the user info or a `password=` query
/// parameter) replaced by `***`, fit for logs.
///
/// A password written without percent-encoding may hold any character,
/// `@`, `/`, `?`, `#` and `:` included, so the user info is found before the
/// URL is split any further: everything between `scheme://user:` and the
/// last `@` is hidden. (When a later part of the URL also holds an `@`, more
/// than the password is hidden, never less.)
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (userinfo, rest) = match rest.rsplit_once('@') {
        // A user name holds none of `/?#`; a password may hold anything.
        Some((userinfo, host_and_more)) => match userinfo.split_once(':') {
            Some((user, _password)) if !user.contains(['/', '?', '#']) => (format!("{user}:***@"), host_and_more),
            _ => (String::new(), rest),
        },
        None => (String::new(), rest),
    };
    let (host_and_path, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let Some(query) = query else {
        return format!("{scheme}://{userinfo}{host_and_path}");
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{scheme}://{userinfo}{host_and_path}?{}", query.join("&"))
}

/// Opens the store at `location`, creating a SQLite file (and its parent
/// directory) on first use, and applies pending migrations.
///
/// # Errors
/// When the database cannot be opened or migrated.
pub async fn connect(location: &DatabaseLocation) -> Result<DynStore, StoreError> {
    let store = open(location).await?;
    store.migrate().await?;
    Ok(store)
}

/// Opens the store at `location` without applying migrations
/// (`paved migrate` applies them itself to report what it applied).
///
/// # Errors
/// When the database cannot be opened.
pub async fn open(location: &DatabaseLocation) -> Result<DynStore, StoreError> {
    Ok(match location {
        DatabaseLocation::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
        DatabaseLocation::Postgres(url) => Arc::new(PostgresStore::connect(url).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_passwords_only() {
        assert_eq!(redact_url("postgres://paved:s3cret@db:5432/paved"), "postgres://paved:***@db:5432/paved");
        assert_eq!(redact_url("postgres://paved:p@ss@db/paved"), "postgres://paved:***@db/paved");
        assert_eq!(redact_url("postgres://paved@db/paved"), "postgres://paved@db/paved");
        assert_eq!(
            redact_url("postgres://db/paved?user=paved&password=s3cret&sslmode=require"),
            "postgres://db/paved?user=paved&password=***&sslmode=require"
        );
    }

    /// Every password over characters that split a URL (and some that do
    /// not), written without percent-encoding, is hidden whole; the rest of
    /// the URL is kept.
    #[test]
    fn redact_url_hides_passwords_holding_url_delimiters() {
        let alphabet = ['?', '@', '/', '#', ':', '&', '=', 'x'];
        let mut passwords: Vec<String> = Vec::new();
        for a in alphabet {
            passwords.push(format!("{a}"));
            for b in alphabet {
                passwords.push(format!("{a}{b}"));
                for c in alphabet {
                    passwords.push(format!("{a}{b}{c}"));
                    passwords.push(format!("pa{a}s{b}s{c}w0rd"));
                }
            }
        }
        let suffixes = [
            ("", ""),
            ("?sslmode=require", "?sslmode=require"),
            ("?sslmode=require&password=other", "?sslmode=require&password=***"),
            ("#fragment", "#fragment"),
        ];
        for password in &passwords {
            for (suffix, redacted_suffix) in suffixes {
                let url = format!("postgres://paved:{password}@127.0.0.1:1/paved{suffix}");
                assert_eq!(
                    redact_url(&url),
                    format!("postgres://paved:***@127.0.0.1:1/paved{redacted_suffix}"),
                    "password `{password}`"
                );
            }
        }
        let shown = redact_url("postgres://paved:pa?ss@127.0.0.1:1/paved");
        assert_eq!(shown, "postgres://paved:***@127.0.0.1:1/paved");
        assert!(!shown.contains("pa?ss") && !shown.contains("ss@"), "{shown}");
        // Without a password in the user info, the query's is still hidden.
        assert_eq!(
            redact_url("postgres://paved@db/paved?password=p@ss&sslmode=require"),
            "postgres://paved@db/paved?password=***&sslmode=require"
        );
        assert_eq!(redact_url("postgres://db/paved?password=p?ss"), "postgres://db/paved?password=***");
    }

    #[test]
    fn empty_or_blank_database_urls_are_refused() {
        for url in ["", "   ", "\t\n", "sqlite://", "sqlite:// ", "sqlite:  "] {
            let err = DatabaseLocation::parse(url).expect_err("no database is named");
            assert!(matches!(err, StoreError::BadUrl(_)), "{url:?}: {err:?}");
            assert!(err.to_string().contains("sqlite://paved.db"), "says what to write: {err}");
        }
        let err = DatabaseLocation::parse("").unwrap_err().to_string();
        assert!(err.contains("empty") && err.contains("--database-url") && err.contains("postgres://"), "{err}");
        assert!(DatabaseLocation::parse(" ").unwrap_err().to_string().contains("blank"));
    }

    #[test]
    fn database_urls_parse_by_scheme() {
        assert_eq!(
            DatabaseLocation::parse("postgres://u:pw@h/db").unwrap(),
            DatabaseLocation::Postgres("postgres://u:pw@h/db".into())
        );
        assert_eq!(
            DatabaseLocation::parse("sqlite://data/paved.db").unwrap(),
            DatabaseLocation::Sqlite("data/paved.db".into())
        );
        assert_eq!(
            DatabaseLocation::parse("sqlite:paved.db?mode=rwc").unwrap(),
            DatabaseLocation::Sqlite("paved.db".into())
        );
        assert_eq!(DatabaseLocation::parse("paved.db").unwrap(), DatabaseLocation::Sqlite("paved.db".into()));
        assert!(matches!(DatabaseLocation::parse("sqlite://"), Err(StoreError::BadUrl(_))));
        assert!(matches!(DatabaseLocation::parse("sqlite::memory:"), Err(StoreError::BadUrl(_))));
        let err = DatabaseLocation::parse("mysql://u:pw@h/db").unwrap_err().to_string();
        assert!(err.contains("mysql://u:***@h/db") && !err.contains("pw"), "{err}");
        assert_eq!(DatabaseLocation::parse("postgres://u:pw@h/db").unwrap().to_string(), "postgres://u:***@h/db");
    }
}
