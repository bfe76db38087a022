//! Ingestion as both backends run it: the algorithm of
//! [`crate::Store::ingest`] and [`crate::Store::rebuild`] is
//! written once here, over [`IngestTx`], the handful of statements each
//! backend implements in its own SQL.

use std::collections::HashMap;
use std::future::Future;

use chrono::{DateTime, TimeZone, Utc};
use paved_domain::{Derivation, EntityRef, EventStatus, IdentitySighting, Record, RecordKind};

use super::storable_instant;
use crate::sql::SqlExt as _;
use crate::{
    AuditEntry, Backend, IdentityRecord, IngestEvent, Ingested, NewAudit, NewRawEvent, RawEvent, RawEventInsert,
    RebuildSummary, StoreError, TokenInfo, TokenScope,
};

const HAS_NUL: &str = "has a NUL character (\\0), which the database cannot store";

/// The largest page [`crate::RecordStore::records`] returns.
pub(crate) const MAX_RECORD_PAGE: u32 = 10_000;
/// Raw events read per statement while rebuilding.
pub(crate) const REBUILD_PAGE: i64 = 1_000;

/// Microseconds since the Unix epoch: how instants that queries compare are
/// stored.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The instant of a stored microsecond count.
pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    Utc.timestamp_micros(us).single().ok_or_else(|| StoreError::Corrupt(format!("instant {us} µs is out of range")))
}

fn nul_error(record: impl Into<String>, field: &str) -> StoreError {
    StoreError::InvalidRecord { record: record.into(), field: field.to_owned(), problem: HAS_NUL }
}

/// Refuses a raw event whose source, type or delivery id has a NUL
/// character (its body is bytes and may hold anything).
pub(crate) fn check_raw_event(event: &NewRawEvent) -> Result<(), StoreError> {
    let fields = [("source", &event.source), ("event_type", &event.event_type), ("delivery_id", &event.delivery_id)];
    match fields.into_iter().find(|(_, text)| text.contains('\0')) {
        Some((field, _)) => Err(nul_error(format!("raw event from {}", event.source.replace('\0', "\\0")), field)),
        None => Ok(()),
    }
}

/// A record's row: the indexed columns and the record as JSON.
pub(crate) struct RecordRow {
    pub kind: &'static str,
    pub key: String,
    pub service: Option<String>,
    pub repo: Option<String>,
    pub sha: Option<String>,
    pub environment: Option<String>,
    pub production: bool,
    pub status: String,
    pub at_us: Option<i64>,
    pub end_us: Option<i64>,
    pub schedule: Option<String>,
    pub format: i32,
    pub body: String,
}

/// The row of `record`.
///
/// # Errors
/// [`StoreError::InvalidRecord`] when an indexed text has a NUL character
/// (the JSON escapes them, so the body never does).
pub(crate) fn record_row(record: &Record) -> Result<RecordRow, StoreError> {
    let index = record.index();
    let (environment, production) = match record {
        Record::Deployment(d) => (Some(d.environment.clone()), d.production),
        _ => (None, false),
    };
    let row = RecordRow {
        kind: record.kind().as_str(),
        key: record.key().to_owned(),
        service: index.service.as_ref().map(|service| service.key()),
        repo: index.repo.as_ref().map(ToString::to_string),
        sha: index.sha,
        environment,
        production,
        status: index.status,
        at_us: index.at.map(micros),
        end_us: index.end.map(micros),
        schedule: index.schedule.as_ref().map(EntityRef::key),
        format: RECORD_FORMAT,
        body: serde_json::to_string(record).map_err(|e| {
            StoreError::Corrupt(format!("cannot serialise {} {}: {e}", record.kind().as_str(), record.key()))
        })?,
    };
    let texts = [
        ("key", Some(&row.key)),
        ("service", row.service.as_ref()),
        ("repo", row.repo.as_ref()),
        ("sha", row.sha.as_ref()),
        ("environment", row.environment.as_ref()),
        ("status", Some(&row.status)),
        ("schedule", row.schedule.as_ref()),
    ];
    if let Some((field, _)) = texts.into_iter().find(|(_, text)| text.is_some_and(|t| t.contains('\0'))) {
        return Err(nul_error(format!("{} {}", row.kind, row.key.replace('\0', "\\0")), field));
    }
    Ok(row)
}

/// The version of the serialised form of records that this build writes
/// (the `format` column beside `body`).
///
/// Version 1 is the JSON of `paved_domain::Record` (tagged by `kind`) as
/// migration 0003 began writing it; `tests/it/record_format.rs` pins it
/// with a stored row of every kind. A change to the domain types that rows
/// of version 1 no longer decode into raises this number and teaches
/// [`decode_record`] to read the old version (or ships a migration that
/// rewrites the rows); a reader refuses a version it does not know instead
/// of misreading it.
pub(crate) const RECORD_FORMAT: i32 = 1;

/// Decodes a record's stored body of version `format`.
pub(crate) fn decode_record(kind: &str, key: &str, format: i32, body: &str) -> Result<Record, StoreError> {
    match format {
        RECORD_FORMAT => {
            serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("{kind} {key} does not decode: {e}")))
        }
        other => Err(StoreError::Corrupt(format!(
            "{kind} {key} is stored in format {other}, which this paved does not read (it reads {RECORD_FORMAT}); upgrade paved, or run `paved events rebuild` with this one"
        ))),
    }
}

/// The sightings of one identity in a batch, as the `identities` upsert
/// binds them: how many, the earliest and latest, and what the last one
/// said (the display name: the last one that had any).
pub(crate) struct SightingRow {
    pub identity: String,
    pub display_name: Option<String>,
    pub person: Option<String>,
    pub automation: bool,
    pub sightings: i64,
    pub first_seen_us: i64,
    pub last_seen_us: i64,
}

fn sighting_row(sighting: &IdentitySighting) -> Result<SightingRow, StoreError> {
    let seen_us = micros(sighting.seen_at);
    let row = SightingRow {
        identity: sighting.identity.to_string(),
        display_name: sighting.display_name.clone(),
        person: sighting.person.as_ref().map(ToString::to_string),
        automation: sighting.automation,
        sightings: 1,
        first_seen_us: seen_us,
        last_seen_us: seen_us,
    };
    // Identities refuse control characters; a display name may still hold one.
    if row.display_name.as_deref().is_some_and(|name| name.contains('\0')) {
        return Err(nul_error(format!("identity {}", row.identity), "display_name"));
    }
    Ok(row)
}

impl SightingRow {
    /// Folds a later sighting of the same identity into this one, as
    /// applying the two upserts one after the other would.
    fn absorb(&mut self, later: SightingRow) {
        self.sightings += later.sightings;
        self.first_seen_us = self.first_seen_us.min(later.first_seen_us);
        self.last_seen_us = self.last_seen_us.max(later.last_seen_us);
        if later.display_name.is_some() {
            self.display_name = later.display_name;
        }
        self.person = later.person;
        self.automation = later.automation;
    }
}

/// An `identities` row as read back.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct IdentityRow {
    pub identity: String,
    pub display_name: Option<String>,
    pub person: Option<String>,
    pub automation: bool,
    pub sightings: i64,
    pub first_seen_us: i64,
    pub last_seen_us: i64,
}

impl IdentityRow {
    pub fn decode(self) -> Result<IdentityRecord, StoreError> {
        let corrupt = |what: String| StoreError::Corrupt(format!("identity {}: {what}", self.identity));
        Ok(IdentityRecord {
            identity: self.identity.parse().map_err(|e| corrupt(format!("{e}")))?,
            display_name: self.display_name.clone(),
            person: self.person.as_deref().map(str::parse).transpose().map_err(|e| corrupt(format!("{e}")))?,
            automation: self.automation,
            sightings: super::stored_count(self.sightings),
            first_seen: from_micros(self.first_seen_us)?,
            last_seen: from_micros(self.last_seen_us)?,
        })
    }
}

/// An `api_tokens` row as read back.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub team: Option<String>,
    pub person: Option<String>,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    pub fn decode(self) -> Result<TokenInfo, StoreError> {
        let scope = match (self.scope.as_str(), &self.team) {
            ("admin", _) => TokenScope::Admin,
            ("team", Some(team)) => TokenScope::Team(
                team.parse().map_err(|e| StoreError::Corrupt(format!("token {} team `{team}`: {e}", self.id)))?,
            ),
            ("user", _) if self.person.is_some() => {
                let person = self.person.as_deref().unwrap_or_default();
                TokenScope::User(
                    person
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("token {} user `{person}`: {e}", self.id)))?,
                )
            }
            (scope, _) => return Err(StoreError::Corrupt(format!("token {} has scope `{scope}`", self.id))),
        };
        Ok(TokenInfo {
            id: self.id,
            name: self.name,
            scope,
            prefix: self.prefix,
            created_at: self.created_at,
            revoked_at: self.revoked_at,
            expires_at: self.expires_at,
        })
    }
}

/// The `scope` and `team` columns of a token.
/// The `scope`, `team` and `person` columns of a token of `scope`.
pub(crate) fn scope_columns(scope: &TokenScope) -> (&'static str, Option<String>, Option<String>) {
    match scope {
        TokenScope::Admin => ("admin", None, None),
        TokenScope::Team(team) => ("team", Some(team.to_string()), None),
        TokenScope::User(person) => ("user", None, Some(person.to_string())),
    }
}

/// Refuses a token name with a NUL character.
pub(crate) fn check_token_name(name: &str) -> Result<(), StoreError> {
    if name.contains('\0') { Err(nul_error(format!("token {}", name.replace('\0', "\\0")), "name")) } else { Ok(()) }
}

/// An `audit_log` row as read back.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub raw_event_id: Option<i64>,
    pub detail: Option<String>,
    pub service: Option<String>,
    pub decision: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            at: row.at,
            actor: row.actor,
            action: row.action,
            target: row.target,
            raw_event_id: row.raw_event_id,
            detail: row.detail,
            service: row.service,
            decision: row.decision.as_deref().and_then(crate::AuditDecision::from_name),
        }
    }
}

/// Refuses an audit entry with a NUL character.
pub(crate) fn check_audit(audit: &NewAudit) -> Result<(), StoreError> {
    let fields = [
        ("actor", Some(&audit.actor)),
        ("action", Some(&audit.action)),
        ("target", Some(&audit.target)),
        ("detail", audit.detail.as_ref()),
    ];
    match fields.into_iter().find(|(_, text)| text.is_some_and(|t| t.contains('\0'))) {
        Some((field, _)) => Err(nul_error("audit entry", field)),
        None => Ok(()),
    }
}

/// A raw event as the `raw_events` insert binds it.
pub(crate) struct RawRow<'e> {
    pub event: &'e NewRawEvent,
    /// `event.received_at` as stored (to the microsecond).
    pub received_at: DateTime<Utc>,
    /// `event.context` as JSON text.
    pub context: String,
}

/// A raw event's outcome as its upsert binds it.
pub(crate) struct OutcomeRow {
    pub event_id: i64,
    pub status: EventStatus,
    pub reason: Option<String>,
    pub records: i64,
}

/// An audit entry as its insert binds it.
pub(crate) struct AuditInsert<'e> {
    pub audit: &'e NewAudit,
    pub at: DateTime<Utc>,
    pub raw_event_id: Option<i64>,
}

/// A raw event's source and delivery id, and its id.
pub(crate) type RawEventKey = (String, String, i64);

/// The statements ingestion needs, run inside one write transaction of a
/// backend. Each takes a whole batch, so that a batch costs a handful of
/// statements however many events it holds.
pub(crate) trait IngestTx {
    /// Inserts the raw events whose source and delivery id are not stored
    /// yet, in order (a delivery twice in `rows`: the first), and returns
    /// the ones inserted.
    fn insert_raws(
        &mut self,
        rows: &[RawRow<'_>],
    ) -> impl Future<Output = Result<Vec<RawEventKey>, sqlx::Error>> + Send;
    /// The ids of stored raw events, by source and delivery id.
    fn raw_ids(&mut self, keys: &[(&str, &str)]) -> impl Future<Output = Result<Vec<RawEventKey>, sqlx::Error>> + Send;
    /// Writes (or replaces) raw events' outcomes (one row per event).
    fn put_outcomes(&mut self, rows: &[OutcomeRow]) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// The stored records among `keys` (the caller has locked them, or
    /// holds a lock that keeps every other writer out).
    fn record_bodies(
        &mut self,
        keys: &[(&str, &str)],
    ) -> impl Future<Output = Result<Vec<RecordBodyRow>, sqlx::Error>> + Send;
    /// Inserts or replaces records' rows (one row per key).
    fn put_records(&mut self, rows: &[&RecordRow]) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Adds sightings to identities' rows (one row per identity).
    fn add_sightings(&mut self, rows: &[SightingRow]) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Appends to the audit log, in order.
    fn add_audits(&mut self, rows: &[AuditInsert<'_>]) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// The transaction itself, for the statements written once for both
    /// backends (`crate::sql`).
    fn sql(&mut self) -> &mut (dyn crate::sql::Sql + '_);
}

/// Checks a batch before any transaction opens: what cannot be stored at
/// all (a NUL in a raw event's source, type or delivery id, or in an audit
/// entry). A derivation the store cannot keep does not fail the batch: its
/// event is stored as failed (see [`apply_derivations`]).
pub(crate) fn check_batch(events: &[IngestEvent]) -> Result<(), StoreError> {
    for event in events {
        check_raw_event(&event.event)?;
        if let Some(audit) = &event.audit {
            check_audit(audit)?;
        }
    }
    Ok(())
}

/// The keys of every record a batch touches, sorted, each once: PostgreSQL
/// locks them in this order, so that two replicas never wait on each other
/// in a cycle.
pub(crate) fn record_lock_keys(events: &[IngestEvent]) -> Vec<String> {
    let mut keys: Vec<String> = events
        .iter()
        .flat_map(|event| &event.derivation.records)
        .map(|record| format!("{}:{}", record.kind().as_str(), record.key()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A record as the batch has it so far: the stored JSON (decoded when an
/// event first needs it), or the record as merged by an earlier event.
enum Current {
    Stored(RecordBodyRow),
    Merged(Box<Record>),
}

/// A record identified by kind and key.
type RecordKey = (&'static str, String);

/// The records of a batch as they stand, and the rows to write at the end.
struct BatchRecords {
    current: HashMap<RecordKey, Current>,
    /// The last row of each record an event changed, in the order the
    /// records were first changed.
    rows: Vec<RecordRow>,
    row_of: HashMap<RecordKey, usize>,
}

impl BatchRecords {
    /// The stored records every derivation names, read in one statement.
    async fn read(tx: &mut impl IngestTx, backend: Backend, derivations: &[&Derivation]) -> Result<Self, StoreError> {
        let mut keys: Vec<(&str, &str)> = derivations
            .iter()
            .flat_map(|derivation| &derivation.records)
            .map(|record| (record.kind().as_str(), record.key()))
            // No stored record has a NUL in its key (see `record_row`).
            .filter(|(_, key)| !key.contains('\0'))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let stored = if keys.is_empty() {
            Vec::new()
        } else {
            tx.record_bodies(&keys).await.map_err(StoreError::database(backend, "reading stored records"))?
        };
        let mut current = HashMap::with_capacity(keys.len());
        for row in stored {
            // The kinds read back are the kinds asked for.
            let Some(kind) = RecordKind::from_name(&row.kind) else { continue };
            current.insert((kind.as_str(), row.key.clone()), Current::Stored(row));
        }
        Ok(Self { current, rows: Vec::new(), row_of: HashMap::new() })
    }

    /// `record` merged into what the batch holds of it before this event.
    fn merged(&self, record: &Record) -> Result<Record, StoreError> {
        let kind = record.kind().as_str();
        Ok(match self.current.get(&(kind, record.key().to_owned())) {
            Some(Current::Stored(row)) => row.decode()?.merge(record.clone()),
            Some(Current::Merged(stored)) => (**stored).clone().merge(record.clone()),
            None => record.clone(),
        })
    }

    /// Keeps an event's merged records and their rows, for the events after
    /// it and for the write at the end.
    fn keep(&mut self, records: &[Record], rows: Vec<RecordRow>) {
        for (record, row) in records.iter().zip(rows) {
            let key = (record.kind().as_str(), record.key().to_owned());
            match self.row_of.get(&key) {
                Some(&index) => self.rows[index] = row,
                None => {
                    self.row_of.insert(key.clone(), self.rows.len());
                    self.rows.push(row);
                }
            }
            self.current.insert(key, Current::Merged(Box::new(record.clone())));
        }
    }
}

/// The sightings of a batch, one row per identity.
#[derive(Default)]
struct BatchSightings {
    rows: Vec<SightingRow>,
    row_of: HashMap<String, usize>,
}

impl BatchSightings {
    fn add(&mut self, sighting: SightingRow) {
        match self.row_of.get(&sighting.identity) {
            Some(&index) => self.rows[index].absorb(sighting),
            None => {
                self.row_of.insert(sighting.identity.clone(), self.rows.len());
                self.rows.push(sighting);
            }
        }
    }
}

/// What one event's derivation yields against the batch so far: its
/// records merged into the stored ones with their rows, and its sightings'
/// rows; or why they cannot be stored (a NUL in an indexed text, a stored
/// record that no longer decodes).
type Merged = (Vec<Record>, Vec<RecordRow>, Vec<SightingRow>);

fn merge_one(batch: &BatchRecords, derivation: &Derivation) -> Result<Merged, StoreError> {
    let mut records = Vec::with_capacity(derivation.records.len());
    let mut rows = Vec::with_capacity(derivation.records.len());
    // Every record is merged with what was there before this event.
    for record in &derivation.records {
        let merged = batch.merged(record)?;
        rows.push(record_row(&merged)?);
        records.push(merged);
    }
    let sightings = derivation.identities.iter().map(sighting_row).collect::<Result<Vec<_>, _>>()?;
    Ok((records, rows, sightings))
}

/// Writes what each derivation yields for its raw event (the id beside
/// it), in order, as if one event after the other: its outcome, its records
/// merged into the stored ones (and into those of the events before it),
/// its sightings. Returns each event's status and records as stored. When
/// an event's records cannot be stored, its outcome is `failed` with the
/// reason instead, and nothing else is written for it: the raw event is kept
/// for a rebuild once the cause is fixed. A batch costs one read and three
/// writes, whatever its size.
async fn apply_derivations(
    tx: &mut impl IngestTx,
    backend: Backend,
    events: &[(i64, &Derivation)],
) -> Result<Vec<(EventStatus, Vec<Record>)>, StoreError> {
    let derivations: Vec<&Derivation> = events.iter().map(|(_, derivation)| *derivation).collect();
    let mut batch = BatchRecords::read(tx, backend, &derivations).await?;
    let mut sightings = BatchSightings::default();
    let mut outcomes = Vec::with_capacity(events.len());
    let mut results = Vec::with_capacity(events.len());
    for &(event_id, derivation) in events {
        match merge_one(&batch, derivation) {
            Ok((records, rows, seen)) => {
                let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
                outcomes.push(OutcomeRow {
                    event_id,
                    status: derivation.status,
                    reason: derivation.reason.clone(),
                    records: count,
                });
                batch.keep(&records, rows);
                seen.into_iter().for_each(|sighting| sightings.add(sighting));
                results.push((derivation.status, records));
            }
            Err(cannot_store) => {
                let reason = format!("the records cannot be stored: {cannot_store}");
                outcomes.push(OutcomeRow { event_id, status: EventStatus::Failed, reason: Some(reason), records: 0 });
                results.push((EventStatus::Failed, Vec::new()));
            }
        }
    }
    let error = StoreError::database(backend, "storing derived records");
    if !outcomes.is_empty() {
        tx.put_outcomes(&outcomes).await.map_err(error)?;
    }
    if !batch.rows.is_empty() {
        let rows: Vec<&RecordRow> = batch.rows.iter().collect();
        tx.put_records(&rows).await.map_err(error)?;
    }
    if !sightings.rows.is_empty() {
        tx.add_sightings(&sightings.rows).await.map_err(error)?;
    }
    Ok(results)
}

/// Which raw event each of `events` is: stored now (the first of a batch
/// with its source and delivery id) or a duplicate of an earlier one.
async fn insert_raw_events(
    tx: &mut impl IngestTx,
    backend: Backend,
    events: &[IngestEvent],
) -> Result<Vec<RawEventInsert>, StoreError> {
    let error = StoreError::database(backend, "storing a raw event");
    let rows: Vec<RawRow<'_>> = events
        .iter()
        .map(|event| RawRow {
            event: &event.event,
            received_at: storable_instant(event.event.received_at),
            context: event.event.context.to_string(),
        })
        .collect();
    let mut inserted: HashMap<(String, String), i64> = tx
        .insert_raws(&rows)
        .await
        .map_err(error)?
        .into_iter()
        .map(|(source, delivery, id)| ((source, delivery), id))
        .collect();
    let mut claimed: HashMap<(&str, &str), i64> = HashMap::new();
    let mut inserts: Vec<Option<RawEventInsert>> = Vec::with_capacity(events.len());
    let mut unresolved: Vec<(&str, &str)> = Vec::new();
    for event in events {
        let key = (event.event.source.as_str(), event.event.delivery_id.as_str());
        if let Some(&id) = claimed.get(&key) {
            inserts.push(Some(RawEventInsert::Duplicate(id)));
        } else if let Some(id) = inserted.remove(&(key.0.to_owned(), key.1.to_owned())) {
            claimed.insert(key, id);
            inserts.push(Some(RawEventInsert::Stored(id)));
        } else {
            unresolved.push(key);
            inserts.push(None);
        }
    }
    let stored: HashMap<(String, String), i64> = if unresolved.is_empty() {
        HashMap::new()
    } else {
        unresolved.sort_unstable();
        unresolved.dedup();
        tx.raw_ids(&unresolved)
            .await
            .map_err(error)?
            .into_iter()
            .map(|(source, delivery, id)| ((source, delivery), id))
            .collect()
    };
    events
        .iter()
        .zip(inserts)
        .map(|(event, insert)| match insert {
            Some(insert) => Ok(insert),
            None => stored
                .get(&(event.event.source.clone(), event.event.delivery_id.clone()))
                .map(|&id| RawEventInsert::Duplicate(id))
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "raw event {} {} was neither inserted nor found",
                        event.event.source, event.event.delivery_id
                    ))
                }),
        })
        .collect()
}

/// [`crate::Store::ingest`] on an open write transaction.
pub(crate) async fn ingest(
    tx: &mut impl IngestTx,
    backend: Backend,
    events: &[IngestEvent],
) -> Result<Vec<Ingested>, StoreError> {
    let now = super::now();
    let inserts = insert_raw_events(tx, backend, events).await?;
    let stored: Vec<(i64, &Derivation)> = events
        .iter()
        .zip(&inserts)
        .filter_map(|(event, insert)| match insert {
            RawEventInsert::Stored(id) => Some((*id, &event.derivation)),
            RawEventInsert::Duplicate(_) => None,
        })
        .collect();
    let mut applied = apply_derivations(tx, backend, &stored).await?.into_iter();
    let audits: Vec<AuditInsert<'_>> = events
        .iter()
        .zip(&inserts)
        .filter_map(|(event, insert)| match (insert, &event.audit) {
            (RawEventInsert::Stored(id), Some(audit)) => Some(AuditInsert { audit, at: now, raw_event_id: Some(*id) }),
            _ => None,
        })
        .collect();
    if !audits.is_empty() {
        tx.add_audits(&audits).await.map_err(StoreError::database(backend, "storing a raw event"))?;
    }
    Ok(inserts
        .into_iter()
        .map(|raw| match raw {
            RawEventInsert::Stored(_) => {
                let records = applied.next().map(|(_, records)| records).unwrap_or_default();
                Ingested { raw, records }
            }
            RawEventInsert::Duplicate(_) => Ingested { raw, records: Vec::new() },
        })
        .collect())
}

/// [`crate::Store::rebuild`] on an open write transaction.
pub(crate) async fn rebuild<D>(
    tx: &mut impl IngestTx,
    backend: Backend,
    derive: &D,
) -> Result<RebuildSummary, StoreError>
where
    D: Fn(&RawEvent) -> Derivation + Send + Sync + ?Sized,
{
    const ACTION: &str = "rebuilding records";
    for table in ["records", "identities", "raw_event_outcomes"] {
        let delete = tx.sql().statement(format!("DELETE FROM {table}"));
        tx.sql().run(&delete, ACTION).await?;
    }
    let mut summary = RebuildSummary::default();
    let mut after_id = 0;
    loop {
        let mut select = tx
            .sql()
            .statement(format!("SELECT {} FROM raw_events WHERE id > ? ORDER BY id LIMIT ?", super::RAW_EVENT_COLUMNS));
        select.bind(after_id).bind(REBUILD_PAGE);
        let page: Vec<super::RawEventRow> = tx.sql().fetch_all(&select, ACTION).await?;
        let Some(last) = page.last() else { break };
        after_id = last.id;
        let page: Vec<RawEvent> = page.into_iter().map(super::RawEventRow::decode).collect::<Result<_, _>>()?;
        let derivations: Vec<Derivation> = page.iter().map(derive).collect();
        let events: Vec<(i64, &Derivation)> = page.iter().map(|event| event.id).zip(&derivations).collect();
        for (status, _) in apply_derivations(tx, backend, &events).await? {
            match status {
                EventStatus::Normalized => summary.normalized += 1,
                EventStatus::Ignored => summary.ignored += 1,
                EventStatus::Failed => summary.failed += 1,
            }
            summary.events += 1;
        }
    }
    let counts = tx.sql().statement("SELECT (SELECT COUNT(*) FROM records), (SELECT COUNT(*) FROM identities)");
    let (records, identities): (i64, i64) = tx.sql().fetch_one(&counts, ACTION).await?;
    (summary.records, summary.identities) = (super::stored_count(records), super::stored_count(identities));
    Ok(summary)
}

/// The status stored for an outcome, read back.
pub(crate) fn decode_status(status: Option<&str>) -> Result<Option<EventStatus>, StoreError> {
    status
        .map(|text| EventStatus::from_name(text).ok_or_else(|| StoreError::Corrupt(format!("event status `{text}`"))))
        .transpose()
}

/// The kind named in a stored row.
pub(crate) fn decode_kind(kind: &str) -> Result<RecordKind, StoreError> {
    RecordKind::from_name(kind).ok_or_else(|| StoreError::Corrupt(format!("record kind `{kind}`")))
}

/// The page size actually used for [`crate::RecordFilter::limit`].
pub(crate) fn record_page_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_RECORD_PAGE))
}

/// The page size actually used for [`crate::EventFilter::limit`].
pub(crate) fn event_page_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, super::MAX_RAW_EVENT_PAGE))
}

/// A `raw_events` summary row as read back.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventSummaryRow {
    pub id: i64,
    pub source: String,
    pub event_type: String,
    pub delivery_id: String,
    pub received_at: DateTime<Utc>,
    pub size_bytes: i64,
    pub status: Option<String>,
    pub reason: Option<String>,
    pub records: Option<i64>,
}

impl EventSummaryRow {
    pub fn decode(self) -> Result<crate::EventSummary, StoreError> {
        Ok(crate::EventSummary {
            id: self.id,
            source: self.source,
            event_type: self.event_type,
            delivery_id: self.delivery_id,
            received_at: self.received_at,
            size_bytes: super::stored_count(self.size_bytes),
            status: decode_status(self.status.as_deref())?,
            reason: self.reason,
            records: super::stored_count(self.records.unwrap_or_default()),
        })
    }
}

/// A `records` row as read back.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RecordBodyRow {
    pub kind: String,
    pub key: String,
    pub format: i32,
    pub body: String,
}

impl RecordBodyRow {
    pub fn decode(&self) -> Result<Record, StoreError> {
        decode_kind(&self.kind)?;
        decode_record(&self.kind, &self.key, self.format, &self.body)
    }
}

/// True when a text of `filter` has a NUL character: no stored record
/// holds one, so the filter matches nothing, on both backends alike.
pub(crate) fn record_filter_has_nul(filter: &crate::RecordFilter) -> bool {
    filter.environment.iter().chain(&filter.shas).chain(&filter.statuses).any(|text| text.contains('\0'))
        || filter.services.iter().chain(&filter.schedules).any(|entity| entity.key().contains('\0'))
}

/// Commit e-mail rows `(email, name, commits, last author time in seconds)`
/// as read back.
pub(crate) fn commit_emails(rows: Vec<(String, String, i64, i64)>) -> Result<Vec<crate::CommitEmail>, StoreError> {
    rows.into_iter()
        .map(|(email, name, commits, last)| {
            Ok(crate::CommitEmail {
                email,
                name,
                commits: super::stored_count(commits),
                last_commit_at: Utc
                    .timestamp_opt(last, 0)
                    .single()
                    .ok_or_else(|| StoreError::Corrupt(format!("commit time {last} is out of range")))?,
            })
        })
        .collect()
}

/// Entities stored as `(key, JSON)` rows, decoded.
pub(crate) fn decode_entities(rows: Vec<(String, String)>) -> Result<Vec<paved_domain::CatalogEntity>, StoreError> {
    rows.into_iter()
        .map(|(key, json)| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("entity {key}: {e}"))))
        .collect()
}

/// The audit entry of a token being created or revoked.
pub(crate) fn token_audit(actor: &str, action: &str, token: &TokenInfo) -> NewAudit {
    let scope = match &token.scope {
        TokenScope::Admin => "admin".to_owned(),
        TokenScope::Team(team) => format!("team {team}"),
        TokenScope::User(person) => format!("user {person}"),
    };
    NewAudit {
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: format!("token {}", token.id),
        detail: Some(format!("{} ({scope})", token.name)),
        service: None,
        decision: None,
    }
}
