//! The ingestion half of the contract on SQLite: the statements of
//! [`IngestTx`] and the queries of [`IngestStore`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_domain::{CatalogEntity, Derivation, Record, RecordKind};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, Transaction};

use super::{MAX_VARIABLES, SqliteStore};
use crate::common::{
    self, AuditInsert, AuditRow, EventSummaryRow, IdentityRow, IngestTx, OutcomeRow, RAW_EVENT_COLUMNS, RawEventKey,
    RawEventRow, RawRow, RecordBodyRow, RecordRow, SightingRow, TokenRow,
};
use crate::{
    AuditEntry, Backend, CommitEmail, EventCount, EventFilter, EventSummary, IdentityRecord, IngestEvent, IngestStore,
    Ingested, NewAudit, NewRawEvent, NewToken, RawEvent, RawEventInsert, RebuildSummary, RecordFilter, StoreError,
    TokenInfo,
};

const TOKEN_COLUMNS: &str = "id, name, scope, team, prefix, created_at, revoked_at";

/// Inserts a raw event unless its source and delivery id are stored.
pub(super) async fn insert_raw(
    conn: &mut SqliteConnection,
    event: &NewRawEvent,
) -> Result<RawEventInsert, sqlx::Error> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO raw_events (source, event_type, delivery_id, received_at, body, context)
         VALUES (?, ?, ?, ?, ?, ?)
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
            sqlx::query_scalar("SELECT id FROM raw_events WHERE source = ? AND delivery_id = ?")
                .bind(&event.source)
                .bind(&event.delivery_id)
                .fetch_one(conn)
                .await?,
        ),
    })
}

async fn insert_audit(
    conn: &mut SqliteConnection,
    audit: &NewAudit,
    at: DateTime<Utc>,
    raw_event_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, target, raw_event_id, detail) VALUES (?, ?, ?, ?, ?, ?)")
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

    async fn record_bodies(&mut self, keys: &[(&str, &str)]) -> Result<Vec<(String, String, String)>, sqlx::Error> {
        // The transaction began IMMEDIATE: nobody else writes until it ends.
        sqlx::query_as(
            "SELECT r.kind, r.key, r.body FROM json_each(?) k
             JOIN records r ON r.kind = k.value ->> 0 AND r.key = k.value ->> 1",
        )
        .bind(pairs_json(keys))
        .fetch_all(&mut **self.0)
        .await
    }

    async fn put_records(&mut self, rows: &[&RecordRow]) -> Result<(), sqlx::Error> {
        for chunk in rows.chunks(rows_per_statement(10)) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO records (kind, key, service, repo, sha, environment, production, status, at_us, body) ",
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
                    .push_bind(&record.body);
            });
            insert.push(
                " ON CONFLICT (kind, key) DO UPDATE SET service = excluded.service, repo = excluded.repo,
                     sha = excluded.sha, environment = excluded.environment, production = excluded.production,
                     status = excluded.status, at_us = excluded.at_us, body = excluded.body",
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
        for chunk in rows.chunks(rows_per_statement(6)) {
            let mut insert =
                QueryBuilder::<Sqlite>::new("INSERT INTO audit_log (at, actor, action, target, raw_event_id, detail) ");
            insert.push_values(chunk, |mut row, entry| {
                row.push_bind(entry.at)
                    .push_bind(&entry.audit.actor)
                    .push_bind(&entry.audit.action)
                    .push_bind(&entry.audit.target)
                    .push_bind(entry.raw_event_id)
                    .push_bind(&entry.audit.detail);
            });
            insert.build().persistent(false).execute(&mut **self.0).await?;
        }
        Ok(())
    }

    async fn clear_derived(&mut self) -> Result<(), sqlx::Error> {
        for table in ["records", "identities", "raw_event_outcomes"] {
            sqlx::query(&format!("DELETE FROM {table}")).execute(&mut **self.0).await?;
        }
        Ok(())
    }

    async fn raw_page(&mut self, after_id: i64, limit: i64) -> Result<Vec<RawEventRow>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {RAW_EVENT_COLUMNS} FROM raw_events WHERE id > ? ORDER BY id LIMIT ?"))
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

fn push_record_filter(query: &mut QueryBuilder<'_, Sqlite>, filter: &RecordFilter) {
    query.push(" WHERE kind = ").push_bind(filter.kind.as_str());
    if !filter.services.is_empty() {
        let keys: Vec<String> = filter.services.iter().map(paved_domain::EntityRef::key).collect();
        query.push(" AND service IN (SELECT value FROM json_each(").push_bind(common::keys_json(&keys)).push("))");
    }
    if let Some(repo) = &filter.repo {
        query.push(" AND repo = ").push_bind(repo.to_string());
    }
    if !filter.shas.is_empty() {
        let shas: Vec<String> = filter.shas.iter().map(|sha| sha.to_ascii_lowercase()).collect();
        query.push(" AND sha IN (SELECT value FROM json_each(").push_bind(common::keys_json(&shas)).push("))");
    }
    if !filter.statuses.is_empty() {
        query
            .push(" AND status IN (SELECT value FROM json_each(")
            .push_bind(common::keys_json(&filter.statuses))
            .push("))");
    }
    if let Some(environment) = &filter.environment {
        query.push(" AND lower(environment) = ").push_bind(environment.to_lowercase());
    }
    if filter.production_only {
        query.push(" AND production = 1");
    }
    if let Some(since) = filter.since {
        query.push(" AND at_us >= ").push_bind(common::micros(since));
    }
    if let Some(until) = filter.until {
        query.push(" AND at_us < ").push_bind(common::micros(until));
    }
}

#[async_trait]
impl IngestStore for SqliteStore {
    async fn ingest(&self, events: &[IngestEvent]) -> Result<Vec<Ingested>, StoreError> {
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

    async fn rebuild(
        &self,
        derive: &(dyn for<'e> Fn(&'e RawEvent) -> Derivation + Send + Sync),
    ) -> Result<RebuildSummary, StoreError> {
        const ACTION: &str = "rebuilding records";
        let mut tx = self.begin_write(ACTION).await?;
        let summary = common::rebuild(&mut Tx(&mut tx), Backend::Sqlite, derive).await?;
        tx.commit().await.map_err(StoreError::database(Backend::Sqlite, ACTION))?;
        Ok(summary)
    }

    async fn record(&self, kind: RecordKind, key: &str) -> Result<Option<Record>, StoreError> {
        if key.contains('\0') {
            return Ok(None);
        }
        let row: Option<RecordBodyRow> =
            sqlx::query_as("SELECT kind, key, body FROM records WHERE kind = ? AND key = ?")
                .bind(kind.as_str())
                .bind(key)
                .fetch_optional(&self.read)
                .await
                .map_err(StoreError::database(Backend::Sqlite, "reading a record"))?;
        row.map(|row| row.decode()).transpose()
    }

    async fn records(&self, filter: &RecordFilter) -> Result<Vec<Record>, StoreError> {
        if common::record_filter_has_nul(filter) {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Sqlite>::new("SELECT kind, key, body FROM records");
        push_record_filter(&mut query, filter);
        query
            .push(" ORDER BY at_us IS NULL, at_us DESC, key LIMIT ")
            .push_bind(common::record_page_limit(filter.limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
        let rows: Vec<RecordBodyRow> = query
            .build_query_as()
            .fetch_all(&self.read)
            .await
            .map_err(StoreError::database(Backend::Sqlite, "listing records"))?;
        rows.iter().map(RecordBodyRow::decode).collect()
    }

    async fn all_records(&self, filter: &RecordFilter) -> Result<Vec<Record>, StoreError> {
        if common::record_filter_has_nul(filter) {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Sqlite>::new("SELECT kind, key, body FROM records");
        push_record_filter(&mut query, filter);
        query.push(" ORDER BY at_us, key");
        let rows: Vec<RecordBodyRow> = query
            .build_query_as()
            .fetch_all(&self.read)
            .await
            .map_err(StoreError::database(Backend::Sqlite, "reading records"))?;
        rows.iter().map(RecordBodyRow::decode).collect()
    }

    async fn events(&self, filter: &EventFilter) -> Result<Vec<EventSummary>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT e.id, e.source, e.event_type, e.delivery_id, e.received_at, length(e.body) AS size_bytes,
                 o.status, o.reason, o.records
             FROM raw_events e LEFT JOIN raw_event_outcomes o ON o.event_id = e.id WHERE 1 = 1",
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
            .fetch_all(&self.read)
            .await
            .map_err(StoreError::database(Backend::Sqlite, "listing raw events"))?;
        rows.into_iter().map(EventSummaryRow::decode).collect()
    }

    async fn event_counts(&self) -> Result<Vec<EventCount>, StoreError> {
        let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
            "SELECT e.source, o.status, COUNT(*) FROM raw_events e
             LEFT JOIN raw_event_outcomes o ON o.event_id = e.id
             GROUP BY e.source, o.status ORDER BY e.source, o.status",
        )
        .fetch_all(&self.read)
        .await
        .map_err(StoreError::database(Backend::Sqlite, "counting raw events"))?;
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
            sqlx::query_as(&format!("SELECT {RAW_EVENT_COLUMNS} FROM raw_events WHERE id = ?"))
                .bind(id)
                .fetch_optional(&self.read)
                .await
                .map_err(StoreError::database(Backend::Sqlite, "reading a raw event"))?;
        row.map(RawEventRow::decode).transpose()
    }

    async fn identities(&self) -> Result<Vec<IdentityRecord>, StoreError> {
        let rows: Vec<IdentityRow> = sqlx::query_as(
            "SELECT identity, display_name, person, automation, sightings, first_seen_us, last_seen_us
             FROM identities ORDER BY sightings DESC, identity",
        )
        .fetch_all(&self.read)
        .await
        .map_err(StoreError::database(Backend::Sqlite, "listing identities"))?;
        rows.into_iter().map(IdentityRow::decode).collect()
    }

    async fn commit_emails(&self) -> Result<Vec<CommitEmail>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT lower(author_email), max(author_name), COUNT(*), max(author_time) FROM commits
             GROUP BY lower(author_email) ORDER BY COUNT(*) DESC, lower(author_email)",
        )
        .fetch_all(&self.read)
        .await
        .map_err(StoreError::database(Backend::Sqlite, "listing commit e-mails"))?;
        common::commit_emails(rows)
    }

    async fn catalog_generation(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'catalog_generation'")
            .fetch_one(&self.read)
            .await
            .map_err(StoreError::database(Backend::Sqlite, "reading the catalog generation"))
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        let (events, generation, commits, imported): (Option<i64>, i64, Option<i64>, Option<String>) = sqlx::query_as(
            "SELECT (SELECT max(id) FROM raw_events),
                    (SELECT value FROM counters WHERE name = 'catalog_generation'),
                    (SELECT sum(commits) FROM repositories),
                    (SELECT max(imported_at) FROM repositories)",
        )
        .fetch_one(&self.read)
        .await
        .map_err(StoreError::database(Backend::Sqlite, "reading the data version"))?;
        Ok(format!(
            "{}/{generation}/{}/{}",
            events.unwrap_or_default(),
            commits.unwrap_or_default(),
            imported.unwrap_or_default()
        ))
    }

    async fn catalog_entities(&self) -> Result<Vec<CatalogEntity>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT key, entity FROM entities WHERE orphan = 0 ORDER BY kind, namespace, name, key")
                .fetch_all(&self.read)
                .await
                .map_err(StoreError::database(Backend::Sqlite, "reading the catalog"))?;
        common::decode_entities(rows)
    }

    async fn create_token(&self, token: &NewToken, actor: &str) -> Result<TokenInfo, StoreError> {
        const ACTION: &str = "creating a token";
        let error = StoreError::database(Backend::Sqlite, ACTION);
        common::check_token_name(&token.name)?;
        let (scope, team) = common::scope_columns(&token.scope);
        let now = common::now();
        let mut tx = self.begin_write(ACTION).await?;
        let row: TokenRow = sqlx::query_as(&format!(
            "INSERT INTO api_tokens (name, scope, team, hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?)
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
        let row: Option<TokenRow> = sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = ?"))
            .bind(hash)
            .fetch_optional(&self.read)
            .await
            .map_err(StoreError::database(Backend::Sqlite, "reading a token"))?;
        row.map(TokenRow::decode).transpose()
    }

    async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"))
            .fetch_all(&self.read)
            .await
            .map_err(StoreError::database(Backend::Sqlite, "listing tokens"))?;
        rows.into_iter().map(TokenRow::decode).collect()
    }

    async fn revoke_token(&self, id: i64, actor: &str) -> Result<Option<TokenInfo>, StoreError> {
        const ACTION: &str = "revoking a token";
        let error = StoreError::database(Backend::Sqlite, ACTION);
        let now = common::now();
        let mut tx = self.begin_write(ACTION).await?;
        let updated: Option<TokenRow> = sqlx::query_as(&format!(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING {TOKEN_COLUMNS}"
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
            None => sqlx::query_as::<_, TokenRow>(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?"))
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
            "SELECT id, at, actor, action, target, raw_event_id, detail FROM audit_log ORDER BY id DESC LIMIT ?",
        )
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&self.read)
        .await
        .map_err(StoreError::database(Backend::Sqlite, "reading the audit log"))?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}
