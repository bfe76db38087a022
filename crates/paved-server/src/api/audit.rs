//! `GET /api/v1/audit`: the audit trail, for admins and a service's
//! owners (the decision is the application's).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use paved_app::audit::AuditQuery;
use paved_store::AuditEntry;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::page::{DEFAULT_LIMIT, Page, Paging};
use crate::auth::Authenticated;
use crate::extract::ApiQuery;
use crate::{ApiError, AppState};

paved_app::string_enum!(
    /// [`AuditView::decision`].
    AuditDecisionSchema,
    "AuditDecision",
    "What was decided about a request: `allowed`, or `refused` (the detail says by which rule).",
    ["allowed", "refused"]
);

/// Which entries of the audit trail.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Entries whose actor contains this (`dana`, `token 3`).
    pub actor: Option<String>,
    /// Entries acting on this service (`checkout-api`); needed unless the
    /// token is an admin's.
    pub service: Option<String>,
    /// Entries at or after this time (RFC 3339 or a date).
    pub since: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Entries to skip.
    pub offset: Option<u64>,
}

/// One entry of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// Its id, increasing.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `user:default/dana via session 4`, `token 3 (ci-checkout, team group:default/checkout)`, `cli`.
    pub actor: String,
    /// What: `deploy.queue`, `deploy.refuse`, `deploy.break_glass`, `provision.request`, `token.create`, ...
    pub action: String,
    /// On what: a record key, a deploy, a resource, a token.
    pub target: String,
    /// The service it acts on, when recorded.
    pub service: Option<String>,
    /// What was decided, when the action was a request someone could be refused.
    #[schema(value_type = Option<AuditDecisionSchema>)]
    pub decision: Option<&'static str>,
    /// The reason of a refusal, or what else was kept.
    pub detail: Option<String>,
    /// The raw event it stored, if any.
    pub raw_event_id: Option<i64>,
}

impl From<AuditEntry> for AuditView {
    fn from(entry: AuditEntry) -> Self {
        Self {
            id: entry.id,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            target: entry.target,
            service: entry.service,
            decision: entry.decision.map(paved_store::AuditDecision::as_str),
            detail: entry.detail,
            raw_event_id: entry.raw_event_id,
        }
    }
}

/// The audit trail, newest first: every action and refusal with who,
/// what, on what and why. Admins read all of it; a service's owners read
/// that service's (`?service=`).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "operations",
    params(AuditParams),
    responses(
        (status = 200, body = Page<AuditView>, description = "The entries of the page, newest first"),
        (status = 400, body = crate::error::ErrorBody, description = "A service the catalog lacks, a bad time or paging parameter"),
        (status = 403, body = crate::error::ErrorBody, description = "Not an admin, nor an owner of the service asked for; the message says who may"),
    ),
    security(("bearer" = []))
)]
pub async fn audit(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<Page<AuditView>>, ApiError> {
    let paging = Paging::new(params.limit, params.offset, DEFAULT_LIMIT)?;
    let since = super::records::query_time("since", params.since.as_deref())?;
    let query =
        AuditQuery { actor: params.actor, service: params.service, since, limit: paging.limit, offset: paging.offset };
    let (entries, total) = state.audit_trail(&caller, &query).await?;
    Ok(Json(Page::new(entries.into_iter().map(AuditView::from).collect(), total, paging)))
}
