//! Records, identities and raw events as the readers ask for them.

use async_trait::async_trait;
use paved_domain::{Record, RecordKind};

use crate::common::{self, EventSummaryRow, IdentityRow, RAW_EVENT_COLUMNS, RawEventRow, RecordBodyRow};
use crate::sql::{Db, SqlExt, Statement};
use crate::{EventCount, EventFilter, EventSummary, IdentityRecord, RawEvent, RecordFilter, RecordStore, StoreError};

/// Appends the `WHERE` clause of `filter` to a query of `records`.
fn push_record_filter(query: &mut Statement, filter: &RecordFilter) {
    query.push(" WHERE kind = ").push_bind(filter.kind.as_str());
    if !filter.services.is_empty() {
        let keys: Vec<String> = filter.services.iter().map(paved_domain::EntityRef::key).collect();
        query.push(" AND ").push_in("service", &keys);
    }
    if let Some(repo) = &filter.repo {
        query.push(" AND repo = ").push_bind(repo.to_string());
    }
    if !filter.shas.is_empty() {
        let shas: Vec<String> = filter.shas.iter().map(|sha| sha.to_ascii_lowercase()).collect();
        query.push(" AND ").push_in("sha", &shas);
    }
    if !filter.statuses.is_empty() {
        query.push(" AND ").push_in("status", &filter.statuses);
    }
    if !filter.schedules.is_empty() {
        let keys: Vec<String> = filter.schedules.iter().map(paved_domain::EntityRef::key).collect();
        query.push(" AND ").push_in("schedule", &keys);
    }
    if let Some(environment) = &filter.environment {
        query.push(" AND lower(environment) = ").push_bind(environment.to_lowercase());
    }
    if filter.production_only {
        query.push(" AND production = TRUE");
    }
    if let Some(since) = filter.since {
        // A record that covers a span is in the window while it lasts.
        let column = if filter.kind.has_span() { " AND end_us > " } else { " AND at_us >= " };
        query.push(column).push_bind(common::micros(since));
    }
    if let Some(until) = filter.until {
        query.push(" AND at_us < ").push_bind(common::micros(until));
    }
}

/// Appends the conditions of `filter` to a query of `raw_events e` joined
/// with their outcomes `o` (after a `WHERE`).
fn push_event_filter(query: &mut Statement, filter: &EventFilter) {
    if let Some(source) = filter.source {
        query.push(" AND e.source = ").push_bind(source.as_str());
    }
    if let Some(status) = filter.status {
        query.push(" AND o.status = ").push_bind(status.as_str());
    }
    if filter.needs_attention {
        query.push(crate::ingest::NEEDS_ATTENTION_SQL);
    }
    if let Some(before) = filter.before_id {
        query.push(" AND e.id < ").push_bind(before);
    }
}

#[async_trait]
impl<T: Db> RecordStore for T {
    async fn record(&self, kind: RecordKind, key: &str) -> Result<Option<Record>, StoreError> {
        const ACTION: &str = "reading a record";
        if key.contains('\0') {
            return Ok(None);
        }
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement("SELECT kind, key, format, body FROM records WHERE kind = ? AND key = ?");
        select.bind(kind.as_str()).bind(key);
        db.fetch_optional::<RecordBodyRow>(&select, ACTION).await?.map(|row| row.decode()).transpose()
    }

    async fn records(&self, filter: &RecordFilter) -> Result<Vec<Record>, StoreError> {
        const ACTION: &str = "listing records";
        if common::record_filter_has_nul(filter) {
            return Ok(Vec::new());
        }
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement("SELECT kind, key, format, body FROM records");
        push_record_filter(&mut select, filter);
        select
            .push(" ORDER BY at_us IS NULL, at_us DESC, key LIMIT ")
            .push_bind(common::record_page_limit(filter.limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
        db.fetch_all::<RecordBodyRow>(&select, ACTION).await?.iter().map(RecordBodyRow::decode).collect()
    }

    async fn count_records(&self, filter: &RecordFilter) -> Result<u64, StoreError> {
        const ACTION: &str = "counting records";
        if common::record_filter_has_nul(filter) {
            return Ok(0);
        }
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement("SELECT COUNT(*) FROM records");
        push_record_filter(&mut select, filter);
        let (count,): (i64,) = db.fetch_one(&select, ACTION).await?;
        Ok(common::stored_count(count))
    }

    async fn all_records(&self, filter: &RecordFilter) -> Result<Vec<Record>, StoreError> {
        const ACTION: &str = "reading records";
        if common::record_filter_has_nul(filter) {
            return Ok(Vec::new());
        }
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement("SELECT kind, key, format, body FROM records");
        push_record_filter(&mut select, filter);
        select.push(" ORDER BY at_us, key");
        db.fetch_all::<RecordBodyRow>(&select, ACTION).await?.iter().map(RecordBodyRow::decode).collect()
    }

    async fn events(&self, filter: &EventFilter) -> Result<Vec<EventSummary>, StoreError> {
        const ACTION: &str = "listing raw events";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(
            "SELECT e.id, e.source, e.event_type, e.delivery_id, e.received_at,
                 CAST(length(e.body) AS BIGINT) AS size_bytes, o.status, o.reason,
                 CAST(o.records AS BIGINT) AS records
             FROM raw_events e LEFT JOIN raw_event_outcomes o ON o.event_id = e.id WHERE 1 = 1",
        );
        push_event_filter(&mut select, filter);
        select
            .push(" ORDER BY e.id DESC LIMIT ")
            .push_bind(common::event_page_limit(filter.limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
        db.fetch_all::<EventSummaryRow>(&select, ACTION).await?.into_iter().map(EventSummaryRow::decode).collect()
    }

    async fn count_events(&self, filter: &EventFilter) -> Result<u64, StoreError> {
        const ACTION: &str = "counting raw events";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(
            "SELECT COUNT(*) FROM raw_events e LEFT JOIN raw_event_outcomes o ON o.event_id = e.id WHERE 1 = 1",
        );
        push_event_filter(&mut select, filter);
        let (count,): (i64,) = db.fetch_one(&select, ACTION).await?;
        Ok(common::stored_count(count))
    }

    async fn event_counts(&self) -> Result<Vec<EventCount>, StoreError> {
        const ACTION: &str = "counting raw events";
        let mut db = self.reader(ACTION).await?;
        let select = db.statement(
            "SELECT e.source, o.status, COUNT(*) FROM raw_events e
             LEFT JOIN raw_event_outcomes o ON o.event_id = e.id
             GROUP BY e.source, o.status ORDER BY e.source, o.status",
        );
        let rows: Vec<(String, Option<String>, i64)> = db.fetch_all(&select, ACTION).await?;
        rows.into_iter()
            .map(|(source, status, count)| {
                Ok(EventCount {
                    source,
                    status: common::decode_status(status.as_deref())?,
                    count: common::stored_count(count),
                })
            })
            .collect()
    }

    async fn raw_events_after(&self, after: i64, limit: u32) -> Result<Vec<RawEvent>, StoreError> {
        const ACTION: &str = "reading raw events";
        let mut db = self.reader(ACTION).await?;
        let mut select =
            db.statement(format!("SELECT {RAW_EVENT_COLUMNS} FROM raw_events WHERE id > ? ORDER BY id LIMIT ?"));
        select.bind(after).bind(i64::from(limit.clamp(1, 10_000)));
        db.fetch_all::<RawEventRow>(&select, ACTION).await?.into_iter().map(RawEventRow::decode).collect()
    }

    async fn raw_event(&self, id: i64) -> Result<Option<RawEvent>, StoreError> {
        const ACTION: &str = "reading a raw event";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {RAW_EVENT_COLUMNS} FROM raw_events WHERE id = ?"));
        select.bind(id);
        db.fetch_optional::<RawEventRow>(&select, ACTION).await?.map(RawEventRow::decode).transpose()
    }

    async fn identities(&self) -> Result<Vec<IdentityRecord>, StoreError> {
        const ACTION: &str = "listing identities";
        let mut db = self.reader(ACTION).await?;
        let select = db.statement(
            "SELECT identity, display_name, person, automation, sightings, first_seen_us, last_seen_us
             FROM identities ORDER BY sightings DESC, identity",
        );
        db.fetch_all::<IdentityRow>(&select, ACTION).await?.into_iter().map(IdentityRow::decode).collect()
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        const ACTION: &str = "reading the data version";
        let mut db = self.reader(ACTION).await?;
        let select = db.statement(
            "SELECT CAST((SELECT max(id) FROM raw_events) AS BIGINT),
                    CAST((SELECT value FROM counters WHERE name = 'catalog_generation') AS BIGINT),
                    CAST((SELECT sum(commits) FROM repositories) AS BIGINT),
                    CAST((SELECT max(imported_at) FROM repositories) AS TEXT),
                    CAST((SELECT max(id) FROM oncall_overrides) AS BIGINT),
                    CAST((SELECT count(*) FROM oncall_overrides) AS BIGINT)",
        );
        // Overrides are made and deleted: the newest id and the count
        // together change with either.
        let (events, generation, commits, imported, newest_override, overrides): (
            Option<i64>,
            i64,
            Option<i64>,
            Option<String>,
            Option<i64>,
            i64,
        ) = db.fetch_one(&select, ACTION).await?;
        Ok(format!(
            "{}/{generation}/{}/{}/{}:{overrides}",
            events.unwrap_or_default(),
            commits.unwrap_or_default(),
            imported.unwrap_or_default(),
            newest_override.unwrap_or_default(),
        ))
    }
}
