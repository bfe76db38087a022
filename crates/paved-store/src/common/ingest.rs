//! Ingestion as both backends run it: the algorithm of
//! [`crate::IngestStore::ingest`] and [`crate::IngestStore::rebuild`] is
//! written once here, over [`IngestTx`], the handful of statements each
//! backend implements in its own SQL.

use std::future::Future;

use chrono::{DateTime, TimeZone, Utc};
use paved_domain::{Derivation, EventStatus, IdentitySighting, Record, RecordKind};

use super::storable_instant;
use crate::{
    AuditEntry, Backend, IdentityRecord, IngestEvent, Ingested, NewAudit, NewRawEvent, RawEvent, RawEventInsert,
    RebuildSummary, StoreError, TokenInfo, TokenScope,
};

const HAS_NUL: &str = "has a NUL character (\\0), which the database cannot store";

/// The largest page [`crate::IngestStore::records`] returns.
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
    ];
    if let Some((field, _)) = texts.into_iter().find(|(_, text)| text.is_some_and(|t| t.contains('\0'))) {
        return Err(nul_error(format!("{} {}", row.kind, row.key.replace('\0', "\\0")), field));
    }
    Ok(row)
}

/// Decodes a record's JSON.
pub(crate) fn decode_record(kind: &str, key: &str, body: &str) -> Result<Record, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("{kind} {key} does not decode: {e}")))
}

/// One sighting as the `identities` upsert binds it.
pub(crate) struct SightingRow {
    pub identity: String,
    pub display_name: Option<String>,
    pub person: Option<String>,
    pub automation: bool,
    pub seen_us: i64,
}

fn sighting_row(sighting: &IdentitySighting) -> Result<SightingRow, StoreError> {
    let row = SightingRow {
        identity: sighting.identity.to_string(),
        display_name: sighting.display_name.clone(),
        person: sighting.person.as_ref().map(ToString::to_string),
        automation: sighting.automation,
        seen_us: micros(sighting.seen_at),
    };
    // Identities refuse control characters; a display name may still hold one.
    if row.display_name.as_deref().is_some_and(|name| name.contains('\0')) {
        return Err(nul_error(format!("identity {}", row.identity), "display_name"));
    }
    Ok(row)
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
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    pub fn decode(self) -> Result<TokenInfo, StoreError> {
        let scope = match (self.scope.as_str(), &self.team) {
            ("admin", _) => TokenScope::Admin,
            ("team", Some(team)) => TokenScope::Team(
                team.parse().map_err(|e| StoreError::Corrupt(format!("token {} team `{team}`: {e}", self.id)))?,
            ),
            (scope, _) => return Err(StoreError::Corrupt(format!("token {} has scope `{scope}`", self.id))),
        };
        Ok(TokenInfo {
            id: self.id,
            name: self.name,
            scope,
            prefix: self.prefix,
            created_at: self.created_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// The `scope` and `team` columns of a token.
pub(crate) fn scope_columns(scope: &TokenScope) -> (&'static str, Option<String>) {
    match scope {
        TokenScope::Admin => ("admin", None),
        TokenScope::Team(team) => ("team", Some(team.to_string())),
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

/// The statements ingestion needs, run inside one write transaction of a
/// backend.
pub(crate) trait IngestTx {
    /// Inserts a raw event unless its source and delivery id are stored.
    fn insert_raw(&mut self, event: &NewRawEvent) -> impl Future<Output = Result<RawEventInsert, sqlx::Error>> + Send;
    /// Writes (or replaces) a raw event's outcome.
    fn put_outcome(
        &mut self,
        event_id: i64,
        status: EventStatus,
        reason: Option<&str>,
        records: i64,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// The JSON of the record with this kind and key (the caller has locked
    /// it, or holds a lock that keeps every other writer out).
    fn record_body(
        &mut self,
        kind: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<String>, sqlx::Error>> + Send;
    /// Inserts or replaces a record's row.
    fn put_record(&mut self, row: &RecordRow) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Adds one sighting to an identity's row.
    fn add_sighting(&mut self, row: &SightingRow) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Appends to the audit log.
    fn add_audit(
        &mut self,
        audit: &NewAudit,
        at: DateTime<Utc>,
        raw_event_id: Option<i64>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Deletes every record, identity and outcome (before a rebuild).
    fn clear_derived(&mut self) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Raw events with an id above `after_id`, oldest first.
    fn raw_page(
        &mut self,
        after_id: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<super::RawEventRow>, sqlx::Error>> + Send;
    /// How many records and identities are stored.
    fn derived_counts(&mut self) -> impl Future<Output = Result<(u64, u64), sqlx::Error>> + Send;
}

/// Checks a batch before any transaction opens: what cannot be stored at
/// all (a NUL in a raw event's source, type or delivery id, or in an audit
/// entry). A derivation the store cannot keep does not fail the batch: its
/// event is stored as failed (see [`apply_derivation`]).
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

/// The rows `derivation`'s records become once merged into the stored
/// ones, and its sightings' rows; or why they cannot be stored (a NUL in an
/// indexed text, a stored record that no longer decodes).
async fn merged_rows(
    tx: &mut impl IngestTx,
    backend: Backend,
    derivation: &Derivation,
) -> Result<Result<(Vec<Record>, Vec<RecordRow>, Vec<SightingRow>), StoreError>, StoreError> {
    let error = StoreError::database(backend, "reading stored records");
    let mut records = Vec::with_capacity(derivation.records.len());
    let mut rows = Vec::with_capacity(derivation.records.len());
    for record in &derivation.records {
        let kind = record.kind().as_str();
        let merged = match tx.record_body(kind, record.key()).await.map_err(error)? {
            Some(body) => match decode_record(kind, record.key(), &body) {
                Ok(stored) => stored.merge(record.clone()),
                Err(corrupt) => return Ok(Err(corrupt)),
            },
            None => record.clone(),
        };
        match record_row(&merged) {
            Ok(row) => rows.push(row),
            Err(invalid) => return Ok(Err(invalid)),
        }
        records.push(merged);
    }
    let sightings: Result<Vec<SightingRow>, StoreError> = derivation.identities.iter().map(sighting_row).collect();
    Ok(sightings.map(|sightings| (records, rows, sightings)))
}

/// Writes what `derivation` yields for the raw event `event_id`: its
/// outcome, its records merged into the stored ones, its sightings. Returns
/// the records as stored. When they cannot be stored, the event's outcome
/// is `failed` with the reason instead, and nothing else is written: the
/// raw event is kept for a rebuild once the cause is fixed.
async fn apply_derivation(
    tx: &mut impl IngestTx,
    backend: Backend,
    event_id: i64,
    derivation: &Derivation,
) -> Result<(EventStatus, Vec<Record>), StoreError> {
    let error = StoreError::database(backend, "storing derived records");
    let (records, rows, sightings) = match merged_rows(tx, backend, derivation).await? {
        Ok(merged) => merged,
        Err(cannot_store) => {
            let reason = format!("the records cannot be stored: {cannot_store}");
            tx.put_outcome(event_id, EventStatus::Failed, Some(&reason), 0).await.map_err(error)?;
            return Ok((EventStatus::Failed, Vec::new()));
        }
    };
    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    tx.put_outcome(event_id, derivation.status, derivation.reason.as_deref(), count).await.map_err(error)?;
    for row in &rows {
        tx.put_record(row).await.map_err(error)?;
    }
    for sighting in &sightings {
        tx.add_sighting(sighting).await.map_err(error)?;
    }
    Ok((derivation.status, records))
}

/// [`crate::IngestStore::ingest`] on an open write transaction.
pub(crate) async fn ingest(
    tx: &mut impl IngestTx,
    backend: Backend,
    events: &[IngestEvent],
) -> Result<Vec<Ingested>, StoreError> {
    let error = StoreError::database(backend, "storing a raw event");
    let now = super::now();
    let mut results = Vec::with_capacity(events.len());
    for event in events {
        let mut raw = event.event.clone();
        raw.received_at = storable_instant(raw.received_at);
        let inserted = tx.insert_raw(&raw).await.map_err(error)?;
        let RawEventInsert::Stored(id) = inserted else {
            results.push(Ingested { raw: inserted, records: Vec::new() });
            continue;
        };
        let (_, records) = apply_derivation(tx, backend, id, &event.derivation).await?;
        if let Some(audit) = &event.audit {
            tx.add_audit(audit, now, Some(id)).await.map_err(error)?;
        }
        results.push(Ingested { raw: inserted, records });
    }
    Ok(results)
}

/// [`crate::IngestStore::rebuild`] on an open write transaction.
pub(crate) async fn rebuild<D>(
    tx: &mut impl IngestTx,
    backend: Backend,
    derive: &D,
) -> Result<RebuildSummary, StoreError>
where
    D: Fn(&RawEvent) -> Derivation + Send + Sync + ?Sized,
{
    let error = StoreError::database(backend, "rebuilding records");
    tx.clear_derived().await.map_err(error)?;
    let mut summary = RebuildSummary::default();
    let mut after_id = 0;
    loop {
        let page = tx.raw_page(after_id, REBUILD_PAGE).await.map_err(error)?;
        let Some(last) = page.last() else { break };
        after_id = last.id;
        let page: Vec<RawEvent> = page.into_iter().map(super::RawEventRow::decode).collect::<Result<_, _>>()?;
        for event in &page {
            let (status, _) = apply_derivation(tx, backend, event.id, &derive(event)).await?;
            match status {
                EventStatus::Normalized => summary.normalized += 1,
                EventStatus::Ignored => summary.ignored += 1,
                EventStatus::Failed => summary.failed += 1,
            }
            summary.events += 1;
        }
    }
    (summary.records, summary.identities) = tx.derived_counts().await.map_err(error)?;
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
    pub body: String,
}

impl RecordBodyRow {
    pub fn decode(&self) -> Result<Record, StoreError> {
        decode_kind(&self.kind)?;
        decode_record(&self.kind, &self.key, &self.body)
    }
}

/// True when a text of `filter` has a NUL character: no stored record
/// holds one, so the filter matches nothing, on both backends alike.
pub(crate) fn record_filter_has_nul(filter: &crate::RecordFilter) -> bool {
    let texts = [filter.sha.as_deref(), filter.environment.as_deref()];
    texts.into_iter().flatten().chain(filter.statuses.iter().map(String::as_str)).any(|text| text.contains('\0'))
        || filter.services.iter().any(|service| service.key().contains('\0'))
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
    };
    NewAudit {
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: format!("token {}", token.id),
        detail: Some(format!("{} ({scope})", token.name)),
    }
}
