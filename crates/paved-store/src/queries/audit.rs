//! The audit log: read newest first, and appended to on its own.

use async_trait::async_trait;

use super::insert_audit;
use crate::common::{self, AuditRow};
use crate::sql::{Db, SqlExt};
use crate::{AuditEntry, AuditStore, NewAudit, StoreError};

#[async_trait]
impl<T: Db> AuditStore for T {
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        const ACTION: &str = "reading the audit log";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(
            "SELECT id, at, actor, action, target, raw_event_id, detail FROM audit_log ORDER BY id DESC LIMIT ?",
        );
        select.bind(i64::from(limit.clamp(1, 1000)));
        Ok(db.fetch_all::<AuditRow>(&select, ACTION).await?.into_iter().map(AuditEntry::from).collect())
    }

    async fn append_audit(&self, audit: &NewAudit, raw_event_id: Option<i64>) -> Result<(), StoreError> {
        const ACTION: &str = "appending to the audit log";
        let mut tx = self.writer(ACTION).await?;
        insert_audit(&mut *tx, audit, common::now(), raw_event_id, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(())
    }
}
