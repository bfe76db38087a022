//! The audit trail, read: every action and refusal pavedroad recorded,
//! by actor, service and time. Admins (and the CLI on the local database)
//! read all of it; a service's owners read that service's trail.

use chrono::{DateTime, Utc};
use paved_store::{AuditEntry, AuditFilter};

use crate::{App, AppError, Caller};

/// What a reader asks of the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Entries whose actor contains this (`dana`, `token 3`).
    pub actor: Option<String>,
    /// Entries acting on this service (a name or a reference).
    pub service: Option<String>,
    /// Entries at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Page size (1 to 1000).
    pub limit: u32,
    /// Entries to skip.
    pub offset: u64,
}

impl App {
    /// The entries of the audit trail `query` asks for, newest first, and
    /// how many match in all, for `caller`.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a service the catalog lacks;
    /// [`AppError::Forbidden`] for a caller who may not read that trail;
    /// a store failure.
    pub async fn audit_trail(&self, caller: &Caller, query: &AuditQuery) -> Result<(Vec<AuditEntry>, u64), AppError> {
        let catalog = self.catalog.current().await?;
        let service = match query.service.as_deref() {
            Some(name) => {
                let (_, services) =
                    crate::metrics::resolve_scope(&catalog, &crate::ScopeRequest::Service(name.into()))?;
                services.into_iter().next()
            }
            None => None,
        };
        caller.may_read_audit(&catalog, service.as_ref())?;
        let filter = AuditFilter {
            actor: query.actor.clone().filter(|a| !a.trim().is_empty()),
            service,
            since: query.since,
            limit: query.limit.clamp(1, 1000),
            offset: query.offset,
        };
        Ok(self.store.audit_entries(&filter).await?)
    }
}
