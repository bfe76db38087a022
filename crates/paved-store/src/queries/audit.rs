//! The audit log, newest first.

use async_trait::async_trait;

use crate::common::AuditRow;
use crate::sql::{Db, SqlExt};
use crate::{AuditEntry, AuditStore, StoreError};

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
}
