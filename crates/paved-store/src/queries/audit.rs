//! The audit log: read newest first, and appended to on its own.

use async_trait::async_trait;

use super::insert_audit;
use crate::common::{self, AuditRow};
use crate::sql::{Db, SqlExt, Statement};
use crate::{AuditEntry, AuditFilter, AuditStore, NewAudit, StoreError};

/// The columns an entry is read with.
const COLUMNS: &str = "id, at, actor, action, target, raw_event_id, detail, service, decision";

/// Appends the conditions of `filter` (after a `WHERE`).
fn push_filter(query: &mut Statement, filter: &AuditFilter) {
    if let Some(actor) = &filter.actor {
        query.push(" AND ").push_contains("actor", actor.clone());
    }
    if let Some(service) = &filter.service {
        query.push(" AND service = ").push_bind(service.key());
    }
    if let Some(since) = filter.since {
        query.push(" AND at >= ").push_bind(since);
    }
}

#[async_trait]
impl<T: Db> AuditStore for T {
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        const ACTION: &str = "reading the audit log";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?"));
        select.bind(i64::from(limit.clamp(1, 1000)));
        Ok(db.fetch_all::<AuditRow>(&select, ACTION).await?.into_iter().map(AuditEntry::from).collect())
    }

    async fn audit_entries(&self, filter: &AuditFilter) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        const ACTION: &str = "reading the audit trail";
        if filter.actor.as_deref().is_some_and(|a| a.contains('\0')) {
            return Ok((Vec::new(), 0));
        }
        let mut db = self.reader(ACTION).await?;
        let mut count = db.statement("SELECT COUNT(*) FROM audit_log WHERE 1 = 1");
        push_filter(&mut count, filter);
        let (total,): (i64,) = db.fetch_one(&count, ACTION).await?;
        let mut select = db.statement(format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1"));
        push_filter(&mut select, filter);
        select
            .push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(filter.limit.clamp(1, 1000)))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.offset).unwrap_or(i64::MAX));
        let entries = db.fetch_all::<AuditRow>(&select, ACTION).await?.into_iter().map(AuditEntry::from).collect();
        Ok((entries, common::stored_count(total)))
    }

    async fn append_audit(&self, audit: &NewAudit, raw_event_id: Option<i64>) -> Result<(), StoreError> {
        const ACTION: &str = "appending to the audit log";
        let mut tx = self.writer(ACTION).await?;
        insert_audit(&mut *tx, audit, common::now(), raw_event_id, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(())
    }
}
