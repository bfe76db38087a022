//! The queries both backends run, written once over [`crate::sql`]: each
//! concern's half of the store contract, implemented for every [`Db`] (the
//! SQLite and the PostgreSQL store). What a backend still writes itself is
//! what its database does differently: opening connections, migrating, the
//! bulk inserts (multi-row `VALUES` and `json_each` on SQLite, `UNNEST` of
//! arrays on PostgreSQL), locking, and the commit graph's aggregate.

mod audit;
mod catalog;
mod commits;
mod contacts;
mod health;
mod heartbeats;
#[cfg(feature = "testing")]
mod inspect;
mod jobs;
mod overrides;
mod paging;
mod records;
mod resources;
mod scorecards;
mod sessions;
mod templates;
mod tokens;

use crate::sql::{Sql, SqlExt};

/// Columns of [`crate::common::TokenRow`].
pub(crate) const TOKEN_COLUMNS: &str = "id, name, scope, team, person, prefix, created_at, revoked_at, expires_at";

/// Appends an audit entry in the transaction `tx`.
pub(crate) async fn insert_audit<S: Sql + ?Sized>(
    tx: &mut S,
    audit: &crate::NewAudit,
    at: chrono::DateTime<chrono::Utc>,
    raw_event_id: Option<i64>,
    action: &'static str,
) -> Result<(), crate::StoreError> {
    let mut insert = tx.statement(
        "INSERT INTO audit_log (at, actor, action, target, raw_event_id, detail, service, decision) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    insert
        .bind(at)
        .bind(&audit.actor)
        .bind(&audit.action)
        .bind(&audit.target)
        .bind(raw_event_id)
        .bind(&audit.detail)
        .bind(audit.service.as_ref().map(paved_domain::EntityRef::key))
        .bind(audit.decision.map(|decision| decision.as_str().to_owned()));
    tx.run(&insert, action).await?;
    Ok(())
}
