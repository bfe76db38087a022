//! What both backends share and what needs no database: preparing an import,
//! deciding what it changes, and turning rows back into [`StoredEntity`]s.
//! The backends only run the SQL.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use paved_domain::{CatalogEntity, EntityRef, Relation, RelationType};
use sha2::{Digest, Sha256};

use sqlx::migrate::{MigrateError, Migrator};

mod commits;
mod ingest;

pub(crate) use commits::*;
pub(crate) use ingest::*;

use crate::{
    AppliedMigration, Backend, CatalogImport, EntityFilter, ImportSummary, MovedEntity, OrphanPolicy, RawEvent,
    StoreError, StoredEntity,
};

/// The largest page [`crate::Store::list_entities`] returns.
pub(crate) const MAX_ENTITY_PAGE: u32 = 500;
/// The largest page [`crate::Store::raw_events`] returns.
pub(crate) const MAX_RAW_EVENT_PAGE: u32 = 1000;

/// Both databases keep instants to the microsecond (PostgreSQL cannot do
/// better), so every instant is truncated before it is stored: the same value
/// comes back from either backend.
pub(crate) fn storable_instant(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

pub(crate) fn now() -> DateTime<Utc> {
    storable_instant(Utc::now())
}

/// The page size actually used for `filter`.
pub(crate) fn entity_page_limit(filter: &EntityFilter) -> i64 {
    i64::from(filter.limit.clamp(1, MAX_ENTITY_PAGE))
}

pub(crate) fn entity_page_offset(filter: &EntityFilter) -> i64 {
    i64::try_from(filter.offset).unwrap_or(i64::MAX)
}

/// Lower-cased text that [`EntityFilter::text`] searches. Rust lower-cases it
/// (Unicode-aware) so that both databases compare the same bytes: SQLite's
/// `lower()` only knows ASCII. The separator keeps a search from matching
/// across two fields.
fn search_text(entity: &CatalogEntity) -> String {
    let fields = [Some(entity.entity_ref.name()), entity.title.as_deref(), entity.description.as_deref()];
    fields.into_iter().flatten().map(str::to_lowercase).collect::<Vec<_>>().join("\u{1f}")
}

/// The needle for [`EntityFilter::text`], or `None` when it filters nothing.
pub(crate) fn search_needle(filter: &EntityFilter) -> Option<String> {
    filter.text.as_deref().filter(|text| !text.is_empty()).map(str::to_lowercase)
}

/// True when `filter` has a NUL character (`\0`) in any of its texts. No
/// stored text holds one (imports refuse them), and PostgreSQL refuses to
/// compare one, so such a filter matches nothing, on both backends, without
/// asking the database.
pub(crate) fn filter_has_nul(filter: &EntityFilter) -> bool {
    [filter.kind.as_deref(), filter.namespace.as_deref(), filter.text.as_deref()].into_iter().flatten().any(has_nul)
        || filter.owner.as_ref().is_some_and(ref_has_nul)
}

/// The keys of `refs` that can be stored: those without a NUL character.
pub(crate) fn storable_keys(refs: &[EntityRef]) -> Vec<String> {
    refs.iter().filter(|r| !ref_has_nul(r)).map(EntityRef::key).collect()
}

fn has_nul(text: &str) -> bool {
    text.contains('\0')
}

fn ref_has_nul(entity_ref: &EntityRef) -> bool {
    [entity_ref.kind(), entity_ref.namespace(), entity_ref.name()].into_iter().any(has_nul)
}

/// Where the first NUL character is in `value` (a serialised entity), as a
/// path like `document.spec.owner` or `relations[0].target`; `None` when
/// there is none. Object keys count as text too.
fn nul_path(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => has_nul(text).then(String::new),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| nul_path(item).map(|rest| format!("[{i}]{rest}")))
        }
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, field)| {
            if has_nul(key) {
                return Some(format!(".{key}"));
            }
            nul_path(field).map(|rest| format!(".{key}{rest}"))
        }),
        _ => None,
    }
}

/// Refuses an entity with a NUL character in any of its texts: its fields,
/// relations, annotations and the whole descriptor document.
fn check_text(entity: &CatalogEntity, serialised: &serde_json::Value) -> Result<(), StoreError> {
    match nul_path(serialised) {
        Some(path) => Err(StoreError::InvalidText {
            entity: entity.entity_ref.clone(),
            field: path.trim_start_matches('.').to_owned(),
        }),
        None => Ok(()),
    }
}

/// One entity of an import, serialised and hashed, with the columns the
/// backends write.
pub(crate) struct PreparedEntity<'a> {
    pub entity: &'a CatalogEntity,
    pub key: String,
    pub entity_ref: String,
    pub owner_ref: Option<String>,
    pub owner_key: Option<String>,
    pub search_text: String,
    pub json: String,
    pub content_hash: String,
}

impl PreparedEntity<'_> {
    pub fn source_line(&self) -> i64 {
        i64::from(self.entity.source.line)
    }

    pub fn source_column(&self) -> i64 {
        i64::from(self.entity.source.column)
    }
}

/// Serialises and hashes every entity of `import`, before any transaction
/// opens.
///
/// # Errors
/// [`StoreError::InvalidLocation`] or [`StoreError::InvalidText`] for a NUL
/// character, [`StoreError::DuplicateEntity`] when two entities have the
/// same key.
pub(crate) fn prepare<'a>(import: &CatalogImport<'a>) -> Result<Vec<PreparedEntity<'a>>, StoreError> {
    if has_nul(import.location) {
        return Err(StoreError::InvalidLocation(import.location.to_owned()));
    }
    let mut seen = HashSet::with_capacity(import.entities.len());
    import
        .entities
        .iter()
        .map(|entity| {
            let key = entity.entity_ref.key();
            if !seen.insert(key.clone()) {
                return Err(StoreError::DuplicateEntity(entity.entity_ref.clone()));
            }
            // Serialising a CatalogEntity cannot fail: every map key is a string.
            let cannot_serialise = |e| StoreError::Corrupt(format!("cannot serialise {}: {e}", entity.entity_ref));
            check_text(entity, &serde_json::to_value(entity).map_err(cannot_serialise)?)?;
            let json = serde_json::to_string(entity).map_err(cannot_serialise)?;
            let content_hash = hex::encode(Sha256::digest(json.as_bytes()));
            Ok(PreparedEntity {
                key,
                entity_ref: entity.entity_ref.to_string(),
                owner_ref: entity.owner.as_ref().map(ToString::to_string),
                owner_key: entity.owner.as_ref().map(EntityRef::key),
                search_text: search_text(entity),
                json,
                content_hash,
                entity,
            })
        })
        .collect()
}

/// A stored entity as an import sees it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ExistingEntity {
    pub key: String,
    #[sqlx(rename = "ref")]
    pub entity_ref: String,
    pub location: String,
    pub content_hash: String,
    pub orphan: bool,
}

/// What an import writes, decided before it writes anything.
pub(crate) struct ImportPlan<'p, 'a> {
    /// Entities to upsert (new, changed, taken over from another location, or
    /// back from being orphans), with their relations replaced.
    pub writes: Vec<&'p PreparedEntity<'a>>,
    /// Keys of entities to mark orphaned now.
    pub mark_orphan: Vec<String>,
    /// Keys of entities to delete with their relations.
    pub prune: Vec<String>,
    pub summary: ImportSummary,
}

impl ImportPlan<'_, '_> {
    /// True when the import writes anything: the catalog's generation grows.
    pub fn changes_catalog(&self) -> bool {
        !self.writes.is_empty() || !self.mark_orphan.is_empty() || !self.prune.is_empty()
    }
}

/// Decides what `import` changes, given the stored entities that are either
/// at its location or among its keys.
pub(crate) fn plan_import<'p, 'a>(
    import: &CatalogImport<'_>,
    prepared: &'p [PreparedEntity<'a>],
    existing: Vec<ExistingEntity>,
) -> Result<ImportPlan<'p, 'a>, StoreError> {
    let existing: HashMap<String, ExistingEntity> = existing.into_iter().map(|e| (e.key.clone(), e)).collect();
    let mut plan = ImportPlan {
        writes: Vec::new(),
        mark_orphan: Vec::new(),
        prune: Vec::new(),
        summary: ImportSummary::default(),
    };
    for entity in prepared {
        match existing.get(&entity.key) {
            None => {
                plan.summary.added.push(entity.entity.entity_ref.clone());
                plan.writes.push(entity);
            }
            Some(stored)
                if stored.content_hash == entity.content_hash
                    && stored.location == import.location
                    && !stored.orphan =>
            {
                plan.summary.unchanged += 1;
            }
            Some(stored) => {
                if stored.location != import.location && !stored.orphan {
                    plan.summary
                        .moved
                        .push(MovedEntity { entity: entity.entity.entity_ref.clone(), from: stored.location.clone() });
                }
                plan.summary.updated.push(entity.entity.entity_ref.clone());
                plan.writes.push(entity);
            }
        }
    }

    let imported: HashSet<&str> = prepared.iter().map(|e| e.key.as_str()).collect();
    let mut gone: Vec<(EntityRef, &ExistingEntity)> = existing
        .values()
        .filter(|stored| stored.location == import.location && !imported.contains(stored.key.as_str()))
        .map(|stored| Ok((parse_ref(&stored.entity_ref)?, stored)))
        .collect::<Result<_, StoreError>>()?;
    gone.sort_by(|a, b| a.0.cmp(&b.0));
    for (entity_ref, stored) in gone {
        match import.orphans {
            OrphanPolicy::Mark => {
                if !stored.orphan {
                    plan.mark_orphan.push(stored.key.clone());
                }
                plan.summary.orphaned.push(entity_ref);
            }
            OrphanPolicy::Prune => {
                plan.prune.push(stored.key.clone());
                plan.summary.pruned.push(entity_ref);
            }
        }
    }
    plan.summary.added.sort();
    plan.summary.updated.sort();
    plan.summary.moved.sort_by(|a, b| a.entity.cmp(&b.entity));
    Ok(plan)
}

/// One row of the `relations` table.
pub(crate) struct RelationRow {
    pub source_key: String,
    pub kind: &'static str,
    pub target_ref: String,
    pub target_key: String,
}

/// The relations rows of `entities`, without duplicates (two relations whose
/// targets differ only in the case of the name are one row).
pub(crate) fn relation_rows(entities: &[&PreparedEntity<'_>]) -> Vec<RelationRow> {
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for entity in entities {
        for relation in &entity.entity.relations {
            let target_key = relation.target.key();
            if seen.insert((entity.key.clone(), relation.kind, target_key.clone())) {
                rows.push(RelationRow {
                    source_key: entity.key.clone(),
                    kind: relation.kind.as_str(),
                    target_ref: relation.target.to_string(),
                    target_key,
                });
            }
        }
    }
    rows
}

/// An `entities` row as read back.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EntityRow {
    pub key: String,
    pub entity: String,
    pub location: String,
    pub orphan: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored relation that targets an entity being read: `source type target`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct IncomingRelation {
    pub target_key: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub source_ref: String,
}

/// Builds [`StoredEntity`]s from rows, in the rows' order, adding to each the
/// inverse of the stored relations that target it.
pub(crate) fn assemble(rows: Vec<EntityRow>, incoming: Vec<IncomingRelation>) -> Result<Vec<StoredEntity>, StoreError> {
    let mut inverse: HashMap<String, Vec<Relation>> = HashMap::new();
    for relation in incoming {
        let kind = RelationType::from_name(&relation.kind).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "relation type `{}` targeting {} is unknown",
                relation.kind, relation.target_key
            ))
        })?;
        inverse
            .entry(relation.target_key)
            .or_default()
            .push(Relation { kind: kind.inverse(), target: parse_ref(&relation.source_ref)? });
    }
    rows.into_iter()
        .map(|row| {
            let entity: CatalogEntity = serde_json::from_str(&row.entity)
                .map_err(|e| StoreError::Corrupt(format!("entity {}: {e}", row.key)))?;
            let mut all_relations = entity.relations.clone();
            all_relations.extend(inverse.remove(&row.key).unwrap_or_default());
            all_relations.sort();
            all_relations.dedup();
            Ok(StoredEntity {
                entity,
                location: row.location,
                orphan: row.orphan,
                created_at: row.created_at,
                updated_at: row.updated_at,
                all_relations,
            })
        })
        .collect()
}

fn parse_ref(text: &str) -> Result<EntityRef, StoreError> {
    text.parse().map_err(|e| StoreError::Corrupt(format!("entity reference `{text}`: {e}")))
}

/// `keys` as a JSON array: SQLite reads it with `json_each(?)`, one bound
/// value however many keys there are.
pub(crate) fn keys_json(keys: &[String]) -> String {
    serde_json::Value::from(keys.to_vec()).to_string()
}

/// A `raw_events` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RawEventRow {
    pub id: i64,
    pub source: String,
    pub event_type: String,
    pub delivery_id: String,
    pub received_at: DateTime<Utc>,
    pub body: Vec<u8>,
    pub context: String,
}

/// The columns [`RawEventRow`] reads.
/// Recounts the live entities of each kind (`entity_counts`, which a
/// list's total reads) at the end of a catalog import that changed
/// anything, in its transaction; both databases speak it.
pub(crate) const RECOUNT_ENTITIES: [&str; 2] = [
    "DELETE FROM entity_counts",
    "INSERT INTO entity_counts (kind, live) SELECT kind, COUNT(*) FROM entities WHERE orphan = FALSE GROUP BY kind",
];

pub(crate) const RAW_EVENT_COLUMNS: &str = "id, source, event_type, delivery_id, received_at, body, context";

impl RawEventRow {
    pub fn decode(self) -> Result<RawEvent, StoreError> {
        let context = serde_json::from_str(&self.context)
            .map_err(|e| StoreError::Corrupt(format!("raw event {}: its context does not decode: {e}", self.id)))?;
        Ok(RawEvent {
            id: self.id,
            source: self.source,
            event_type: self.event_type,
            delivery_id: self.delivery_id,
            received_at: self.received_at,
            body: self.body,
            context,
        })
    }
}

fn latest_known(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or_default()
}

/// Refuses a database that has a migration `migrator` does not know: a newer
/// paved migrated it, and this one would misread it.
pub(crate) fn check_no_newer_migrations(
    migrator: &Migrator,
    applied: &[sqlx::migrate::AppliedMigration],
) -> Result<(), StoreError> {
    match applied.iter().map(|m| m.version).filter(|v| !migrator.version_exists(*v)).max() {
        Some(version) => Err(StoreError::NewerSchema { version, latest: latest_known(migrator) }),
        None => Ok(()),
    }
}

/// A migrator error, with the one a newer database causes said plainly.
pub(crate) fn migrate_error(backend: Backend, migrator: &Migrator, source: MigrateError) -> StoreError {
    match source {
        MigrateError::VersionMissing(version) => StoreError::NewerSchema { version, latest: latest_known(migrator) },
        source => StoreError::Migrate { backend, source },
    }
}

/// The migrations in `after` that were not in `before`.
pub(crate) fn newly_applied(
    migrator: &Migrator,
    before: &[sqlx::migrate::AppliedMigration],
    after: &[sqlx::migrate::AppliedMigration],
) -> Vec<AppliedMigration> {
    let before: HashSet<i64> = before.iter().map(|m| m.version).collect();
    let mut applied: Vec<AppliedMigration> = after
        .iter()
        .filter(|m| !before.contains(&m.version))
        .map(|m| AppliedMigration {
            version: m.version,
            description: migrator
                .iter()
                .find(|known| known.version == m.version)
                .map(|known| known.description.to_string())
                .unwrap_or_default(),
        })
        .collect();
    applied.sort_by_key(|m| m.version);
    applied
}

/// Whether `conn` is outside any transaction, as sqlx counts them; a pool
/// hands out only such connections (`before_acquire`).
///
/// A `COMMIT` that fails (SQLite's "database or disk is full" or an I/O
/// error) ends the transaction in the database, but sqlx still counts it
/// open: the rollback it sends when the transaction is dropped fails too.
/// Such a connection would refuse every later `BEGIN` ("attempted to call
/// begin_with at non-zero transaction depth") until a restart; it is
/// closed instead, and the pool opens a fresh one.
pub(crate) fn outside_transaction<DB: sqlx::Database>(conn: &DB::Connection) -> bool {
    use sqlx::TransactionManager as _;
    let depth = DB::TransactionManager::get_transaction_depth(conn);
    if depth > 0 {
        tracing::warn!(depth, "a connection still counts a transaction that failed; opening a fresh one");
    }
    depth == 0
}

/// The readiness probe's write: one row, rewritten each time.
pub(crate) const WRITE_PROBE: &str = "INSERT INTO write_probe (id, probed_at) VALUES (1, $1) \
     ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at";
