//! The ingestion half of the contract on PostgreSQL: the statements of
//! [`IngestTx`], and ingestion and rebuilding with its locks.

use chrono::{DateTime, Utc};
use paved_domain::Derivation;
use sqlx::{Postgres, Transaction};

use super::PostgresStore;
use crate::common::{
    self, AuditInsert, IngestTx, OutcomeRow, RawEventKey, RawRow, RecordBodyRow, RecordRow, SightingRow,
};
use crate::sql::Sql;
use crate::{Backend, IngestEvent, Ingested, RawEvent, RebuildSummary, StoreError};

/// The advisory lock that keeps ingestion and rebuilds apart: every
/// ingesting transaction holds it shared, a rebuild exclusively ("ingest" in
/// ASCII).
const INGEST_LOCK: i64 = i64::from_be_bytes(*b"\0\0ingest");

/// How many locks the records are spread over: a batch takes at most this
/// many, however many records it touches (PostgreSQL's lock table is
/// small: a lock per record exhausts it at a few thousand).
const RECORD_LOCK_BUCKETS: u64 = 256;
/// The first of the record buckets' advisory lock keys ("records" in ASCII).
const RECORD_LOCK_BASE: i64 = i64::from_be_bytes(*b"\0records");

/// The lock bucket of a record key (FNV-1a: stable across processes).
fn record_bucket(key: &str) -> i64 {
    let hash = key
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3));
    RECORD_LOCK_BASE + (hash % RECORD_LOCK_BUCKETS) as i64
}

/// Takes the shared ingestion lock and then, in sorted order, the locks of
/// the record buckets the batch touches: replicas ingesting news of the same
/// record at once merge one after the other (even when the row does not
/// exist yet), and never deadlock.
pub(super) async fn lock_for_ingest(
    tx: &mut Transaction<'static, Postgres>,
    record_keys: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock_shared($1)").bind(INGEST_LOCK).execute(&mut **tx).await?;
    let mut buckets: Vec<i64> = record_keys.iter().map(|key| record_bucket(key)).collect();
    buckets.sort_unstable();
    buckets.dedup();
    if !buckets.is_empty() {
        // UNNEST yields the buckets in the array's (sorted) order.
        sqlx::query("SELECT pg_advisory_xact_lock(bucket) FROM UNNEST($1::int8[]) AS b(bucket)")
            .bind(&buckets)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A write transaction running [`IngestTx`]'s statements. Each statement
/// binds a batch as arrays (`UNNEST`): one text, prepared once per
/// connection, for any number of rows.
struct Tx<'t>(&'t mut Transaction<'static, Postgres>);

/// The two columns of `pairs`.
fn columns<'a>(pairs: &[(&'a str, &'a str)]) -> (Vec<&'a str>, Vec<&'a str>) {
    pairs.iter().copied().unzip()
}

impl IngestTx for Tx<'_> {
    async fn insert_raws(&mut self, rows: &[RawRow<'_>]) -> Result<Vec<RawEventKey>, sqlx::Error> {
        let sources: Vec<&str> = rows.iter().map(|raw| raw.event.source.as_str()).collect();
        let types: Vec<&str> = rows.iter().map(|raw| raw.event.event_type.as_str()).collect();
        let deliveries: Vec<&str> = rows.iter().map(|raw| raw.event.delivery_id.as_str()).collect();
        let received: Vec<DateTime<Utc>> = rows.iter().map(|raw| raw.received_at).collect();
        let bodies: Vec<&[u8]> = rows.iter().map(|raw| raw.event.body.as_slice()).collect();
        let contexts: Vec<&str> = rows.iter().map(|raw| raw.context.as_str()).collect();
        // In the batch's order, so that ids follow it.
        sqlx::query_as(
            "INSERT INTO raw_events (source, event_type, delivery_id, received_at, body, context)
             SELECT source, event_type, delivery_id, received_at, body, context
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bytea[], $6::text[])
                 WITH ORDINALITY AS r(source, event_type, delivery_id, received_at, body, context, n)
             ORDER BY n
             ON CONFLICT (source, delivery_id) DO NOTHING
             RETURNING source, delivery_id, id",
        )
        .bind(&sources)
        .bind(&types)
        .bind(&deliveries)
        .bind(&received)
        .bind(&bodies)
        .bind(&contexts)
        .fetch_all(&mut **self.0)
        .await
    }

    async fn raw_ids(&mut self, keys: &[(&str, &str)]) -> Result<Vec<RawEventKey>, sqlx::Error> {
        let (sources, deliveries) = columns(keys);
        sqlx::query_as(
            "SELECT e.source, e.delivery_id, e.id FROM UNNEST($1::text[], $2::text[]) AS k(source, delivery_id)
             JOIN raw_events e ON e.source = k.source AND e.delivery_id = k.delivery_id",
        )
        .bind(&sources)
        .bind(&deliveries)
        .fetch_all(&mut **self.0)
        .await
    }

    async fn put_outcomes(&mut self, rows: &[OutcomeRow]) -> Result<(), sqlx::Error> {
        let ids: Vec<i64> = rows.iter().map(|outcome| outcome.event_id).collect();
        let statuses: Vec<&str> = rows.iter().map(|outcome| outcome.status.as_str()).collect();
        let reasons: Vec<Option<&str>> = rows.iter().map(|outcome| outcome.reason.as_deref()).collect();
        let records: Vec<i64> = rows.iter().map(|outcome| outcome.records).collect();
        sqlx::query(
            "INSERT INTO raw_event_outcomes (event_id, status, reason, records)
             SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::int8[])
             ON CONFLICT (event_id) DO UPDATE SET status = excluded.status, reason = excluded.reason,
                 records = excluded.records",
        )
        .bind(&ids)
        .bind(&statuses)
        .bind(&reasons)
        .bind(&records)
        .execute(&mut **self.0)
        .await?;
        Ok(())
    }

    async fn record_bodies(&mut self, keys: &[(&str, &str)]) -> Result<Vec<RecordBodyRow>, sqlx::Error> {
        let (kinds, record_keys) = columns(keys);
        sqlx::query_as(
            "SELECT r.kind, r.key, r.format, r.body FROM UNNEST($1::text[], $2::text[]) AS k(kind, key)
             JOIN records r ON r.kind = k.kind AND r.key = k.key",
        )
        .bind(&kinds)
        .bind(&record_keys)
        .fetch_all(&mut **self.0)
        .await
    }

    async fn put_records(&mut self, rows: &[&RecordRow]) -> Result<(), sqlx::Error> {
        let kinds: Vec<&str> = rows.iter().map(|row| row.kind).collect();
        let keys: Vec<&str> = rows.iter().map(|row| row.key.as_str()).collect();
        let services: Vec<Option<&str>> = rows.iter().map(|row| row.service.as_deref()).collect();
        let repos: Vec<Option<&str>> = rows.iter().map(|row| row.repo.as_deref()).collect();
        let shas: Vec<Option<&str>> = rows.iter().map(|row| row.sha.as_deref()).collect();
        let environments: Vec<Option<&str>> = rows.iter().map(|row| row.environment.as_deref()).collect();
        let production: Vec<bool> = rows.iter().map(|row| row.production).collect();
        let statuses: Vec<&str> = rows.iter().map(|row| row.status.as_str()).collect();
        let at_us: Vec<Option<i64>> = rows.iter().map(|row| row.at_us).collect();
        let end_us: Vec<Option<i64>> = rows.iter().map(|row| row.end_us).collect();
        let schedules: Vec<Option<&str>> = rows.iter().map(|row| row.schedule.as_deref()).collect();
        let formats: Vec<i32> = rows.iter().map(|row| row.format).collect();
        let bodies: Vec<&str> = rows.iter().map(|row| row.body.as_str()).collect();
        // One row per key: an upsert may not touch a row twice.
        sqlx::query(
            "INSERT INTO records (kind, key, service, repo, sha, environment, production, status, at_us, end_us,
                                  schedule, format, body)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                  $7::bool[], $8::text[], $9::int8[], $10::int8[], $11::text[], $12::int4[],
                                  $13::text[])
             ON CONFLICT (kind, key) DO UPDATE SET service = excluded.service, repo = excluded.repo,
                 sha = excluded.sha, environment = excluded.environment, production = excluded.production,
                 status = excluded.status, at_us = excluded.at_us, end_us = excluded.end_us,
                 schedule = excluded.schedule, format = excluded.format, body = excluded.body",
        )
        .bind(&kinds)
        .bind(&keys)
        .bind(&services)
        .bind(&repos)
        .bind(&shas)
        .bind(&environments)
        .bind(&production)
        .bind(&statuses)
        .bind(&at_us)
        .bind(&end_us)
        .bind(&schedules)
        .bind(&formats)
        .bind(&bodies)
        .execute(&mut **self.0)
        .await?;
        Ok(())
    }

    async fn add_sightings(&mut self, rows: &[SightingRow]) -> Result<(), sqlx::Error> {
        let identities: Vec<&str> = rows.iter().map(|row| row.identity.as_str()).collect();
        let names: Vec<Option<&str>> = rows.iter().map(|row| row.display_name.as_deref()).collect();
        let people: Vec<Option<&str>> = rows.iter().map(|row| row.person.as_deref()).collect();
        let automation: Vec<bool> = rows.iter().map(|row| row.automation).collect();
        let sightings: Vec<i64> = rows.iter().map(|row| row.sightings).collect();
        let first: Vec<i64> = rows.iter().map(|row| row.first_seen_us).collect();
        let last: Vec<i64> = rows.iter().map(|row| row.last_seen_us).collect();
        // One row per identity: an upsert may not touch a row twice.
        sqlx::query(
            "INSERT INTO identities (identity, display_name, person, automation, sightings, first_seen_us, last_seen_us)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bool[], $5::int8[], $6::int8[], $7::int8[])
             ON CONFLICT (identity) DO UPDATE SET
                 display_name = coalesce(excluded.display_name, identities.display_name),
                 person = excluded.person, automation = excluded.automation,
                 sightings = identities.sightings + excluded.sightings,
                 first_seen_us = least(identities.first_seen_us, excluded.first_seen_us),
                 last_seen_us = greatest(identities.last_seen_us, excluded.last_seen_us)",
        )
        .bind(&identities)
        .bind(&names)
        .bind(&people)
        .bind(&automation)
        .bind(&sightings)
        .bind(&first)
        .bind(&last)
        .execute(&mut **self.0)
        .await?;
        Ok(())
    }

    async fn add_audits(&mut self, rows: &[AuditInsert<'_>]) -> Result<(), sqlx::Error> {
        let at: Vec<DateTime<Utc>> = rows.iter().map(|entry| entry.at).collect();
        let actors: Vec<&str> = rows.iter().map(|entry| entry.audit.actor.as_str()).collect();
        let actions: Vec<&str> = rows.iter().map(|entry| entry.audit.action.as_str()).collect();
        let targets: Vec<&str> = rows.iter().map(|entry| entry.audit.target.as_str()).collect();
        let events: Vec<Option<i64>> = rows.iter().map(|entry| entry.raw_event_id).collect();
        let details: Vec<Option<&str>> = rows.iter().map(|entry| entry.audit.detail.as_deref()).collect();
        let services: Vec<Option<String>> =
            rows.iter().map(|entry| entry.audit.service.as_ref().map(paved_domain::EntityRef::key)).collect();
        let decisions: Vec<Option<&str>> =
            rows.iter().map(|entry| entry.audit.decision.map(crate::AuditDecision::as_str)).collect();
        // In the batch's order, so that ids follow it.
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, target, raw_event_id, detail, service, decision)
             SELECT at, actor, action, target, raw_event_id, detail, service, decision
             FROM UNNEST($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::text[],
                         $7::text[], $8::text[])
                 WITH ORDINALITY AS a(at, actor, action, target, raw_event_id, detail, service, decision, n)
             ORDER BY n",
        )
        .bind(&at)
        .bind(&actors)
        .bind(&actions)
        .bind(&targets)
        .bind(&events)
        .bind(&details)
        .bind(&services)
        .bind(&decisions)
        .execute(&mut **self.0)
        .await?;
        Ok(())
    }

    fn sql(&mut self) -> &mut (dyn Sql + '_) {
        &mut *self.0
    }
}

impl PostgresStore {
    /// [`crate::Store::ingest`] on this database.
    pub(super) async fn ingest_events(&self, events: &[IngestEvent]) -> Result<Vec<Ingested>, StoreError> {
        const ACTION: &str = "storing raw events";
        common::check_batch(events)?;
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write(ACTION).await?;
        lock_for_ingest(&mut tx, &common::record_lock_keys(events))
            .await
            .map_err(StoreError::database(Backend::Postgres, ACTION))?;
        // On an error the transaction is dropped, which rolls it back.
        let results = common::ingest(&mut Tx(&mut tx), Backend::Postgres, events).await?;
        tx.commit().await.map_err(StoreError::database(Backend::Postgres, ACTION))?;
        Ok(results)
    }

    /// [`crate::Store::rebuild`] on this database.
    pub(super) async fn rebuild_records(
        &self,
        derive: &(dyn for<'e> Fn(&'e RawEvent) -> Derivation + Send + Sync),
    ) -> Result<RebuildSummary, StoreError> {
        const ACTION: &str = "rebuilding records";
        let mut tx = self.begin_write(ACTION).await?;
        // Exclusive: deliveries wait until the rebuild commits, and no record
        // needs a lock of its own (thousands would exhaust the lock table).
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(INGEST_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database(Backend::Postgres, ACTION))?;
        let summary = common::rebuild(&mut Tx(&mut tx), Backend::Postgres, derive).await?;
        tx.commit().await.map_err(StoreError::database(Backend::Postgres, ACTION))?;
        Ok(summary)
    }
}
