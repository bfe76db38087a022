//! The ingestion half of the contract on PostgreSQL: the statements of
//! [`IngestTx`] and the queries of [`IngestStore`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_domain::{CatalogEntity, Derivation, Record, RecordKind};
use sqlx::{PgConnection, Postgres, QueryBuilder, Transaction};

use super::PostgresStore;
use crate::common::{
    self, AuditInsert, AuditRow, EventSummaryRow, IdentityRow, IngestTx, OutcomeRow, RAW_EVENT_COLUMNS, RawEventKey,
    RawEventRow, RawRow, RecordBodyRow, RecordRow, SightingRow, TokenRow,
};
use crate::{
    AuditEntry, Backend, CommitEmail, EventCount, EventFilter, EventSummary, IdentityRecord, IngestEvent, IngestStore,
    Ingested, NewAudit, NewRawEvent, NewToken, RawEvent, RawEventInsert, RebuildSummary, RecordFilter, StoreError,
    TokenInfo,
};

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

const TOKEN_COLUMNS: &str = "id, name, scope, team, prefix, created_at, revoked_at";

/// Inserts a raw event unless its source and delivery id are stored.
pub(super) async fn insert_raw(conn: &mut PgConnection, event: &NewRawEvent) -> Result<RawEventInsert, sqlx::Error> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO raw_events (source, event_type, delivery_id, received_at, body, context)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (source, delivery_id) DO NOTHING
         RETURNING id",
    )
    .bind(&event.source)
    .bind(&event.event_type)
    .bind(&event.delivery_id)
    .bind(event.received_at)
    .bind(&event.body)
    .bind(event.context.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match inserted {
        Some(id) => RawEventInsert::Stored(id),
        None => RawEventInsert::Duplicate(
            sqlx::query_scalar("SELECT id FROM raw_events WHERE source = $1 AND delivery_id = $2")
                .bind(&event.source)
                .bind(&event.delivery_id)
                .fetch_one(conn)
                .await?,
        ),
    })
}

async fn insert_audit(
    conn: &mut PgConnection,
    audit: &NewAudit,
    at: DateTime<Utc>,
    raw_event_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, raw_event_id, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(at)
    .bind(&audit.actor)
    .bind(&audit.action)
    .bind(&audit.target)
    .bind(raw_event_id)
    .bind(&audit.detail)
    .execute(conn)
    .await?;
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

    async fn record_bodies(&mut self, keys: &[(&str, &str)]) -> Result<Vec<(String, String, String)>, sqlx::Error> {
        let (kinds, record_keys) = columns(keys);
        sqlx::query_as(
            "SELECT r.kind, r.key, r.body FROM UNNEST($1::text[], $2::text[]) AS k(kind, key)
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
        let bodies: Vec<&str> = rows.iter().map(|row| row.body.as_str()).collect();
        // One row per key: an upsert may not touch a row twice.
        sqlx::query(
            "INSERT INTO records (kind, key, service, repo, sha, environment, production, status, at_us, body)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                  $7::bool[], $8::text[], $9::int8[], $10::text[])
             ON CONFLICT (kind, key) DO UPDATE SET service = excluded.service, repo = excluded.repo,
                 sha = excluded.sha, environment = excluded.environment, production = excluded.production,
                 status = excluded.status, at_us = excluded.at_us, body = excluded.body",
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
        // In the batch's order, so that ids follow it.
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, target, raw_event_id, detail)
             SELECT at, actor, action, target, raw_event_id, detail
             FROM UNNEST($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::text[])
                 WITH ORDINALITY AS a(at, actor, action, target, raw_event_id, detail, n)
             ORDER BY n",
        )
        .bind(&at)
        .bind(&actors)
        .bind(&actions)
        .bind(&targets)
        .bind(&events)
        .bind(&details)
        .execute(&mut **self.0)
        .await?;
        Ok(())
    }

    async fn clear_derived(&mut self) -> Result<(), sqlx::Error> {
        for table in ["records", "identities", "raw_event_outcomes"] {
            sqlx::query(&format!("DELETE FROM {table}")).execute(&mut **self.0).await?;
        }
        Ok(())
    }

    async fn raw_page(&mut self, after_id: i64, limit: i64) -> Result<Vec<RawEventRow>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {RAW_EVENT_COLUMNS} FROM raw_events WHERE id > $1 ORDER BY id LIMIT $2"))
            .bind(after_id)
            .bind(limit)
            .fetch_all(&mut **self.0)
            .await
    }

    async fn derived_counts(&mut self) -> Result<(u64, u64), sqlx::Error> {
        let (records, identities): (i64, i64) =
            sqlx::query_as("SELECT (SELECT COUNT(*) FROM records), (SELECT COUNT(*) FROM identities)")
                .fetch_one(&mut **self.0)
                .await?;
        Ok((common::stored_count(records), common::stored_count(identities)))
    }
}

fn push_record_filter(query: &mut QueryBuilder<'_, Postgres>, filter: &RecordFilter) {
    query.push(" WHERE kind = ").push_bind(filter.kind.as_str());
    if !filter.services.is_empty() {
        let keys: Vec<String> = filter.services.iter().map(paved_domain::EntityRef::key).collect();
        query.push(" AND service = ANY(").push_bind(keys).push(")");
    }
    if let Some(repo) = &filter.repo {
        query.push(" AND repo = ").push_bind(repo.to_string());
    }
    if !filter.shas.is_empty() {
        let shas: Vec<String> = filter.shas.iter().map(|sha| sha.to_ascii_lowercase()).collect();
        query.push(" AND sha = ANY(").push_bind(shas).push(")");
    }
    if !filter.statuses.is_empty() {
        query.push(" AND status = ANY(").push_bind(filter.statuses.clone()).push(")");
    }
    if let Some(environment) = &filter.environment {
        query.push(" AND lower(environment) = ").push_bind(environment.to_lowercase());
    }
    if filter.production_only {
        query.push(" AND production");
    }
    if let Some(since) = filter.since {
        query.push(" AND at_us >= ").push_bind(common::micros(since));
    }
    if let Some(until) = filter.until {
        query.push(" AND at_us < ").push_bind(common::micros(until));
    }
}

#[async_trait]
impl IngestStore for PostgresStore {
    async fn ingest(&self, events: &[IngestEvent]) -> Result<Vec<Ingested>, StoreError> {
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

    async fn rebuild(
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

    async fn record(&self, kind: RecordKind, key: &str) -> Result<Option<Record>, StoreError> {
        if key.contains('\0') {
            return Ok(None);
        }
        let row: Option<RecordBodyRow> =
            sqlx::query_as("SELECT kind, key, body FROM records WHERE kind = $1 AND key = $2")
                .bind(kind.as_str())
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::database(Backend::Postgres, "reading a record"))?;
        row.map(|row| row.decode()).transpose()
    }

    async fn records(&self, filter: &RecordFilter) -> Result<Vec<Record>, StoreError> {
        if common::record_filter_has_nul(filter) {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Postgres>::new("SELECT kind, key, body FROM records");
        push_record_filter(&mut query, filter);
        query
            .push(" ORDER BY at_us IS NULL, at_us DESC, key LIMIT ")
            .push_bind(common::record_page_limit(filter.limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
        let rows: Vec<RecordBodyRow> = query
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::database(Backend::Postgres, "listing records"))?;
        rows.iter().map(RecordBodyRow::decode).collect()
    }

    async fn all_records(&self, filter: &RecordFilter) -> Result<Vec<Record>, StoreError> {
        if common::record_filter_has_nul(filter) {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Postgres>::new("SELECT kind, key, body FROM records");
        push_record_filter(&mut query, filter);
        query.push(" ORDER BY at_us, key");
        let rows: Vec<RecordBodyRow> = query
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::database(Backend::Postgres, "reading records"))?;
        rows.iter().map(RecordBodyRow::decode).collect()
    }

    async fn events(&self, filter: &EventFilter) -> Result<Vec<EventSummary>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(
            "SELECT e.id, e.source, e.event_type, e.delivery_id, e.received_at, octet_length(e.body)::int8 AS size_bytes,
                 o.status, o.reason, o.records::int8 AS records
             FROM raw_events e LEFT JOIN raw_event_outcomes o ON o.event_id = e.id WHERE true",
        );
        if let Some(source) = &filter.source {
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
        query.push(" ORDER BY e.id DESC LIMIT ").push_bind(common::event_page_limit(filter.limit));
        let rows: Vec<EventSummaryRow> = query
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::database(Backend::Postgres, "listing raw events"))?;
        rows.into_iter().map(EventSummaryRow::decode).collect()
    }

    async fn event_counts(&self) -> Result<Vec<EventCount>, StoreError> {
        let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT e.source, o.status, COUNT(*) FROM raw_events e
             LEFT JOIN raw_event_outcomes o ON o.event_id = e.id
             GROUP BY e.source, o.status ORDER BY e.source, o.status",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database(Backend::Postgres, "counting raw events"))?;
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

    async fn raw_event(&self, id: i64) -> Result<Option<RawEvent>, StoreError> {
        let row: Option<RawEventRow> =
            sqlx::query_as(&format!("SELECT {RAW_EVENT_COLUMNS} FROM raw_events WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::database(Backend::Postgres, "reading a raw event"))?;
        row.map(RawEventRow::decode).transpose()
    }

    async fn identities(&self) -> Result<Vec<IdentityRecord>, StoreError> {
        let rows: Vec<IdentityRow> = sqlx::query_as(
            "SELECT identity, display_name, person, automation, sightings, first_seen_us, last_seen_us
             FROM identities ORDER BY sightings DESC, identity",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database(Backend::Postgres, "listing identities"))?;
        rows.into_iter().map(IdentityRow::decode).collect()
    }

    async fn commit_emails(&self) -> Result<Vec<CommitEmail>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT lower(author_email), max(author_name), COUNT(*), max(author_time)::int8 FROM commits
             GROUP BY lower(author_email) ORDER BY COUNT(*) DESC, lower(author_email)",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database(Backend::Postgres, "listing commit e-mails"))?;
        common::commit_emails(rows)
    }

    async fn catalog_generation(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'catalog_generation'")
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::database(Backend::Postgres, "reading the catalog generation"))
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        let (events, generation, commits, imported): (Option<i64>, i64, Option<i64>, Option<String>) = sqlx::query_as(
            "SELECT (SELECT max(id) FROM raw_events)::int8,
                    (SELECT value FROM counters WHERE name = 'catalog_generation')::int8,
                    (SELECT sum(commits) FROM repositories)::int8,
                    (SELECT max(imported_at)::text FROM repositories)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::database(Backend::Postgres, "reading the data version"))?;
        Ok(format!(
            "{}/{generation}/{}/{}",
            events.unwrap_or_default(),
            commits.unwrap_or_default(),
            imported.unwrap_or_default()
        ))
    }

    async fn catalog_entities(&self) -> Result<Vec<CatalogEntity>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT key, entity::text FROM entities WHERE NOT orphan ORDER BY kind, namespace, name, key",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database(Backend::Postgres, "reading the catalog"))?;
        common::decode_entities(rows)
    }

    async fn create_token(&self, token: &NewToken, actor: &str) -> Result<TokenInfo, StoreError> {
        const ACTION: &str = "creating a token";
        let error = StoreError::database(Backend::Postgres, ACTION);
        common::check_token_name(&token.name)?;
        let (scope, team) = common::scope_columns(&token.scope);
        let now = common::now();
        let mut tx = self.begin_write(ACTION).await?;
        let row: TokenRow = sqlx::query_as(&format!(
            "INSERT INTO api_tokens (name, scope, team, hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(&token.name)
        .bind(scope)
        .bind(&team)
        .bind(&token.hash)
        .bind(&token.prefix)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(error)?;
        let info = row.decode()?;
        insert_audit(&mut tx, &common::token_audit(actor, "token.create", &info), now, None).await.map_err(error)?;
        tx.commit().await.map_err(error)?;
        Ok(info)
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError> {
        if hash.contains('\0') {
            return Ok(None);
        }
        let row: Option<TokenRow> = sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = $1"))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::database(Backend::Postgres, "reading a token"))?;
        row.map(TokenRow::decode).transpose()
    }

    async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::database(Backend::Postgres, "listing tokens"))?;
        rows.into_iter().map(TokenRow::decode).collect()
    }

    async fn revoke_token(&self, id: i64, actor: &str) -> Result<Option<TokenInfo>, StoreError> {
        const ACTION: &str = "revoking a token";
        let error = StoreError::database(Backend::Postgres, ACTION);
        let now = common::now();
        let mut tx = self.begin_write(ACTION).await?;
        let updated: Option<TokenRow> = sqlx::query_as(&format!(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(error)?;
        let info = match updated {
            Some(row) => {
                let info = row.decode()?;
                insert_audit(&mut tx, &common::token_audit(actor, "token.revoke", &info), now, None)
                    .await
                    .map_err(error)?;
                Some(info)
            }
            None => sqlx::query_as::<_, TokenRow>(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(error)?
                .map(TokenRow::decode)
                .transpose()?,
        };
        tx.commit().await.map_err(error)?;
        Ok(info)
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, at, actor, action, target, raw_event_id, detail FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::database(Backend::Postgres, "reading the audit log"))?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}
