//! Overrides of on-call Schedules: made and deleted with their audit
//! entries, listed by Schedule and by the span they cover.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::insert_audit;
use crate::common;
use crate::overrides::{NewOverride, OverrideFilter, OverrideStore, StoredOverride};
use crate::sql::{Db, Sql, SqlExt};
use crate::{NewAudit, StoreError};

/// Columns of [`OverrideRow`].
const OVERRIDE_COLUMNS: &str = "id, schedule, person, starts_at, ends_at, reason, created_by, created_at";

#[derive(sqlx::FromRow)]
struct OverrideRow {
    id: i64,
    schedule: String,
    person: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    reason: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl OverrideRow {
    fn decode(self) -> Result<StoredOverride, StoreError> {
        let corrupt = |what: &str, text: &str, error: paved_domain::EntityRefError| {
            StoreError::Corrupt(format!("override {}: {what} `{text}`: {error}", self.id))
        };
        let schedule = self.schedule.parse().map_err(|e| corrupt("schedule", &self.schedule, e))?;
        let person = self.person.parse().map_err(|e| corrupt("person", &self.person, e))?;
        Ok(StoredOverride {
            id: self.id,
            schedule,
            person,
            start: self.starts_at,
            end: self.ends_at,
            reason: self.reason,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

fn check_override(new: &NewOverride) -> Result<(), StoreError> {
    let record = || format!("override of {}", new.schedule.to_string().replace('\0', ""));
    let texts = [
        Some(new.schedule.to_string()),
        Some(new.person.to_string()),
        new.reason.clone(),
        Some(new.created_by.clone()),
    ];
    if texts.into_iter().flatten().any(|text| text.contains('\0')) {
        return Err(StoreError::InvalidRecord {
            record: record(),
            field: "a text".into(),
            problem: "holds a NUL character (\\0)",
        });
    }
    if common::storable_instant(new.end) <= common::storable_instant(new.start) {
        return Err(StoreError::InvalidRecord {
            record: record(),
            field: "end".into(),
            problem: "is not after its start",
        });
    }
    Ok(())
}

/// `audit` about override `over`: its target names the override.
fn override_audit(audit: &NewAudit, over: &StoredOverride) -> NewAudit {
    NewAudit {
        actor: audit.actor.clone(),
        action: audit.action.clone(),
        target: format!("override {} ({})", over.id, over.schedule),
        detail: audit.detail.clone(),
        service: None,
        decision: None,
    }
}

async fn select_override<S: Sql + ?Sized>(
    db: &mut S,
    id: i64,
    action: &'static str,
) -> Result<Option<StoredOverride>, StoreError> {
    let mut select = db.statement(format!("SELECT {OVERRIDE_COLUMNS} FROM oncall_overrides WHERE id = ?"));
    select.bind(id);
    db.fetch_optional::<OverrideRow>(&select, action).await?.map(OverrideRow::decode).transpose()
}

#[async_trait]
impl<T: Db> OverrideStore for T {
    async fn create_override(&self, new: &NewOverride, audit: &NewAudit) -> Result<StoredOverride, StoreError> {
        const ACTION: &str = "making an on-call override";
        check_override(new)?;
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut insert = tx.statement(format!(
            "INSERT INTO oncall_overrides (schedule, person, starts_at, ends_at, reason, created_by, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {OVERRIDE_COLUMNS}"
        ));
        insert
            .bind(new.schedule.key())
            .bind(new.person.to_string())
            .bind(common::storable_instant(new.start))
            .bind(common::storable_instant(new.end))
            .bind(&new.reason)
            .bind(&new.created_by)
            .bind(now);
        let stored = tx.fetch_one::<OverrideRow>(&insert, ACTION).await?.decode()?;
        insert_audit(&mut *tx, &override_audit(audit, &stored), now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(stored)
    }

    async fn override_by_id(&self, id: i64) -> Result<Option<StoredOverride>, StoreError> {
        const ACTION: &str = "reading an on-call override";
        let mut db = self.reader(ACTION).await?;
        select_override(&mut *db, id, ACTION).await
    }

    async fn overrides(&self, filter: &OverrideFilter) -> Result<Vec<StoredOverride>, StoreError> {
        const ACTION: &str = "reading on-call overrides";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {OVERRIDE_COLUMNS} FROM oncall_overrides WHERE 1 = 1"));
        if !filter.schedules.is_empty() {
            let keys: Vec<String> = filter.schedules.iter().map(paved_domain::EntityRef::key).collect();
            select.push(" AND ").push_in("schedule", &keys);
        }
        if let Some(after) = filter.ends_after {
            select.push(" AND ends_at > ").push_bind(common::storable_instant(after));
        }
        if let Some(before) = filter.starts_before {
            select.push(" AND starts_at < ").push_bind(common::storable_instant(before));
        }
        select.push(" ORDER BY id");
        db.fetch_all::<OverrideRow>(&select, ACTION).await?.into_iter().map(OverrideRow::decode).collect()
    }

    async fn delete_override(&self, id: i64, audit: &NewAudit) -> Result<Option<StoredOverride>, StoreError> {
        const ACTION: &str = "deleting an on-call override";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut delete =
            tx.statement(format!("DELETE FROM oncall_overrides WHERE id = ? RETURNING {OVERRIDE_COLUMNS}"));
        delete.bind(id);
        let Some(deleted) =
            tx.fetch_optional::<OverrideRow>(&delete, ACTION).await?.map(OverrideRow::decode).transpose()?
        else {
            return Ok(None);
        };
        insert_audit(&mut *tx, &override_audit(audit, &deleted), now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(Some(deleted))
    }
}
