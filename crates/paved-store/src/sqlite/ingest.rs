//! The ingestion half of the contract on SQLite: the statements of
//! [`IngestTx`], and ingestion and rebuilding in its write transaction.

use paved_domain::Derivation;
use sqlx::{QueryBuilder, Sqlite, Transaction};

use super::{MAX_VARIABLES, SqliteStore};
use crate::common::{
    self, AuditInsert, IngestTx, OutcomeRow, RawEventKey, RawRow, RecordBodyRow, RecordRow, SightingRow,
};
use crate::sql::Sql;
use crate::{Backend, IngestEvent, Ingested, RawEvent, RebuildSummary, StoreError};

/// A write transaction running [`IngestTx`]'s statements.
struct Tx<'t>(&'t mut Transaction<'static, Sqlite>);

/// `[[a, b], ...]`: pairs of texts as one JSON parameter for `json_each`,
/// so that a lookup of any number of keys is one statement.
fn pairs_json(pairs: &[(&str, &str)]) -> String {
    serde_json::to_string(pairs).unwrap_or_else(|_| "[]".to_owned())
}

/// The rows of one multi-row statement binding `binds` values a row: as
/// many as SQLite's limit on variables allows.
const fn rows_per_statement(binds: usize) -> usize {
    MAX_VARIABLES / binds
}

impl IngestTx for Tx<'_> {
    async fn insert_raws(&mut self, rows: &[RawRow<'_>]) -> Result<Vec<RawEventKey>, sqlx::Error> {
        let mut inserted = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(rows_per_statement(6)) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO raw_events (source, event_type, delivery_id, received_at, body, context) ",
            );
            // A multi-row INSERT stores its rows in order: ids follow the batch.
            insert.push_values(chunk, |mut row, raw| {
                row.push_bind(&raw.event.source)
                    .push_bind(&raw.event.event_type)
                    .push_bind(&raw.event.delivery_id)
                    .push_bind(raw.received_at)
                    .push_bind(&raw.event.body)
                    .push_bind(&raw.context);
            });
            insert.push(" ON CONFLICT (source, delivery_id) DO NOTHING RETURNING source, delivery_id, id");
            inserted.extend(insert.build_query_as::<RawEventKey>().persistent(false).fetch_all(&mut **self.0).await?);
        }
        Ok(inserted)
    }

    async fn raw_ids(&mut self, keys: &[(&str, &str)]) -> Result<Vec<RawEventKey>, sqlx::Error> {
        sqlx::query_as(
            "SELECT e.source, e.delivery_id, e.id FROM json_each(?) k
             JOIN raw_events e ON e.source = k.value ->> 0 AND e.delivery_id = k.value ->> 1",
        )
        .bind(pairs_json(keys))
        .fetch_all(&mut **self.0)
        .await
    }

    async fn put_outcomes(&mut self, rows: &[OutcomeRow]) -> Result<(), sqlx::Error> {
        for chunk in rows.chunks(rows_per_statement(4)) {
            let mut insert =
                QueryBuilder::<Sqlite>::new("INSERT INTO raw_event_outcomes (event_id, status, reason, records) ");
            insert.push_values(chunk, |mut row, outcome| {
                row.push_bind(outcome.event_id)
                    .push_bind(outcome.status.as_str())
                    .push_bind(&outcome.reason)
                    .push_bind(outcome.records);
            });
            insert.push(
                " ON CONFLICT (event_id) DO UPDATE SET status = excluded.status, reason = excluded.reason,
                     records = excluded.records",
            );
            insert.build().persistent(false).execute(&mut **self.0).await?;
        }
        Ok(())
    }

    async fn record_bodies(&mut self, keys: &[(&str, &str)]) -> Result<Vec<RecordBodyRow>, sqlx::Error> {
        // The transaction began IMMEDIATE: nobody else writes until it ends.
        sqlx::query_as(
            "SELECT r.kind, r.key, r.format, r.body FROM json_each(?) k
             JOIN records r ON r.kind = k.value ->> 0 AND r.key = k.value ->> 1",
        )
        .bind(pairs_json(keys))
        .fetch_all(&mut **self.0)
        .await
    }

    async fn put_records(&mut self, rows: &[&RecordRow]) -> Result<(), sqlx::Error> {
        for chunk in rows.chunks(rows_per_statement(13)) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO records (kind, key, service, repo, sha, environment, production, status, at_us, end_us,
                                      schedule, format, body) ",
            );
            insert.push_values(chunk, |mut row, record| {
                row.push_bind(record.kind)
                    .push_bind(&record.key)
                    .push_bind(&record.service)
                    .push_bind(&record.repo)
                    .push_bind(&record.sha)
                    .push_bind(&record.environment)
                    .push_bind(record.production)
                    .push_bind(&record.status)
                    .push_bind(record.at_us)
                    .push_bind(record.end_us)
                    .push_bind(&record.schedule)
                    .push_bind(record.format)
                    .push_bind(&record.body);
            });
            insert.push(
                " ON CONFLICT (kind, key) DO UPDATE SET service = excluded.service, repo = excluded.repo,
                     sha = excluded.sha, environment = excluded.environment, production = excluded.production,
                     status = excluded.status, at_us = excluded.at_us, end_us = excluded.end_us,
                     schedule = excluded.schedule, format = excluded.format, body = excluded.body",
            );
            insert.build().persistent(false).execute(&mut **self.0).await?;
        }
        Ok(())
    }

    async fn add_sightings(&mut self, rows: &[SightingRow]) -> Result<(), sqlx::Error> {
        for chunk in rows.chunks(rows_per_statement(7)) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO identities (identity, display_name, person, automation, sightings, first_seen_us, last_seen_us) ",
            );
            insert.push_values(chunk, |mut row, sighting| {
                row.push_bind(&sighting.identity)
                    .push_bind(&sighting.display_name)
                    .push_bind(&sighting.person)
                    .push_bind(sighting.automation)
                    .push_bind(sighting.sightings)
                    .push_bind(sighting.first_seen_us)
                    .push_bind(sighting.last_seen_us);
            });
            insert.push(
                " ON CONFLICT (identity) DO UPDATE SET
                     display_name = coalesce(excluded.display_name, identities.display_name),
                     person = excluded.person, automation = excluded.automation,
                     sightings = identities.sightings + excluded.sightings,
                     first_seen_us = min(identities.first_seen_us, excluded.first_seen_us),
                     last_seen_us = max(identities.last_seen_us, excluded.last_seen_us)",
            );
            insert.build().persistent(false).execute(&mut **self.0).await?;
        }
        Ok(())
    }

    async fn add_audits(&mut self, rows: &[AuditInsert<'_>]) -> Result<(), sqlx::Error> {
        for chunk in rows.chunks(rows_per_statement(8)) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO audit_log (at, actor, action, target, raw_event_id, detail, service, decision) ",
            );
            insert.push_values(chunk, |mut row, entry| {
                row.push_bind(entry.at)
                    .push_bind(&entry.audit.actor)
                    .push_bind(&entry.audit.action)
                    .push_bind(&entry.audit.target)
                    .push_bind(entry.raw_event_id)
                    .push_bind(&entry.audit.detail)
                    .push_bind(entry.audit.service.as_ref().map(paved_domain::EntityRef::key))
                    .push_bind(entry.audit.decision.map(crate::AuditDecision::as_str));
            });
            insert.build().persistent(false).execute(&mut **self.0).await?;
        }
        Ok(())
    }

    fn sql(&mut self) -> &mut (dyn Sql + '_) {
        &mut *self.0
    }
}

impl SqliteStore {
    /// [`crate::Store::ingest`] on this database.
    pub(super) async fn ingest_events(&self, events: &[IngestEvent]) -> Result<Vec<Ingested>, StoreError> {
        const ACTION: &str = "storing raw events";
        common::check_batch(events)?;
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write(ACTION).await?;
        // On an error the transaction is dropped, which rolls it back.
        let results = common::ingest(&mut Tx(&mut tx), Backend::Sqlite, events).await?;
        // synchronous=FULL: the commit is on disk when it returns.
        tx.commit().await.map_err(StoreError::database(Backend::Sqlite, ACTION))?;
        Ok(results)
    }

    /// [`crate::Store::rebuild`] on this database.
    pub(super) async fn rebuild_records(
        &self,
        derive: &(dyn for<'e> Fn(&'e RawEvent) -> Derivation + Send + Sync),
    ) -> Result<RebuildSummary, StoreError> {
        const ACTION: &str = "rebuilding records";
        let mut tx = self.begin_write(ACTION).await?;
        let summary = common::rebuild(&mut Tx(&mut tx), Backend::Sqlite, derive).await?;
        tx.commit().await.map_err(StoreError::database(Backend::Sqlite, ACTION))?;
        Ok(summary)
    }
}
