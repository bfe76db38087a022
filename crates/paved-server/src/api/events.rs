//! `GET /api/v1/events` (raw events and whether they were normalised) and
//! `GET /api/v1/identities` (who the data names, resolved or not).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use paved_domain::{EventStatus, Source};
use paved_store::EventFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::views::EventStatusView;
use crate::extract::ApiQuery;
use crate::{ApiError, AppState};
use paved_app::identities::{IdentityView, identity_report};

/// Filters of `GET /api/v1/events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// `github`, `gitlab`, `alertmanager`, `pagerduty`, `events` (the Events
    /// API v2 receiver) or `api`.
    pub source: Option<String>,
    /// `normalized`, `ignored` or `failed`.
    pub status: Option<String>,
    /// Only events that need attention: failed, or normalised with
    /// something that did not resolve (the same list as the data-quality
    /// page).
    pub needs_attention: Option<bool>,
    /// Events older than this id (paging back in time).
    pub before: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
}

/// A raw event, without its body.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Its id.
    pub id: i64,
    /// Its source.
    pub source: String,
    /// The provider's event type.
    pub event_type: String,
    /// The provider's delivery id.
    pub delivery_id: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Whether it was normalised.
    pub status: Option<EventStatusView>,
    /// Why not, or what did not resolve.
    pub reason: Option<String>,
    /// Whether someone should look at it: failed, or normalised with
    /// something that did not resolve.
    pub needs_attention: bool,
    /// How many records it added to.
    pub records: u64,
}

/// Raw events, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "data quality",
    params(EventQuery),
    responses(
        (status = 200, body = [EventView]),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown source or status"),
    )
)]
pub async fn list_events(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(|text| {
            EventStatus::from_name(text)
                .ok_or_else(|| ApiError::bad_request(format!("status `{text}` is not normalized, ignored or failed")))
        })
        .transpose()?;
    let source = query
        .source
        .as_deref()
        .map(|text| text.parse::<Source>().map_err(|error| ApiError::bad_request(error.to_string())))
        .transpose()?;
    let filter = EventFilter {
        source,
        status,
        limit: query.limit.unwrap_or(100),
        before_id: query.before,
        needs_attention: query.needs_attention.unwrap_or(false),
    };
    let events = state.store.events(&filter).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| EventView {
                needs_attention: e.needs_attention(),
                id: e.id,
                source: e.source,
                event_type: e.event_type,
                delivery_id: e.delivery_id,
                received_at: e.received_at,
                size_bytes: e.size_bytes,
                status: e.status.map(EventStatusView::from),
                reason: e.reason,
                records: e.records,
            })
            .collect(),
    ))
}

/// Filters of `GET /api/v1/identities`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdentityQuery {
    /// Only people the catalog does not know (automation left out).
    pub unresolved: Option<bool>,
}

/// Everyone the data names, resolved against the catalog as it is now,
/// most often named first.
#[utoipa::path(
    get,
    path = "/api/v1/identities",
    tag = "data quality",
    params(IdentityQuery),
    responses((status = 200, body = [IdentityView]))
)]
pub async fn list_identities(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<IdentityQuery>,
) -> Result<Json<Vec<IdentityView>>, ApiError> {
    let catalog = state.catalog.current().await?;
    let mut views = identity_report(&state.store, &catalog, &state.ingest).await?;
    if query.unresolved.unwrap_or(false) {
        views.retain(IdentityView::unresolved);
    }
    Ok(Json(views))
}
