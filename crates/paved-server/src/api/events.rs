//! `GET /api/v1/events` (raw events and whether they were normalised) and
//! `GET /api/v1/identities` (who the data names, resolved or not).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use paved_domain::{EventStatus, Source};
use paved_store::EventFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::page::{DEFAULT_LIMIT, Page, Paging};
use super::views::{EventStatusQuery, EventStatusView, SourceSchema};
use crate::extract::ApiQuery;
use crate::{ApiError, AppState};
use paved_app::identities::{IdentityView, identity_report};

/// Filters of `GET /api/v1/events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// `github`, `gitlab`, `alertmanager`, `pagerduty`, `events` (the Events
    /// API v2 receiver), `api` or `paved`.
    #[param(value_type = Option<SourceSchema>)]
    pub source: Option<String>,
    /// `normalized`, `ignored` or `failed`.
    #[param(value_type = Option<EventStatusQuery>)]
    pub status: Option<String>,
    /// Only events that need attention: failed, or normalised with
    /// something that did not resolve (the same list as the data-quality
    /// page).
    pub needs_attention: Option<bool>,
    /// Only events older than this id (to page back in time from a fixed
    /// point while new events arrive).
    pub before: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Events to skip.
    pub offset: Option<u64>,
}

/// A raw event, without its body.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Its id.
    pub id: i64,
    /// Its source.
    #[schema(value_type = SourceSchema)]
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
        (status = 200, body = Page<EventView>, description = "The events of the page, newest first"),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown source or status"),
    )
)]
pub async fn list_events(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> Result<Json<Page<EventView>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
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
        limit: paging.limit,
        offset: paging.offset,
        before_id: query.before,
        needs_attention: query.needs_attention.unwrap_or(false),
    };
    let total = state.store.count_events(&filter).await?;
    let events = state.store.events(&filter).await?;
    let items = events
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
        .collect();
    Ok(Json(Page::new(items, total, paging)))
}

/// Filters of `GET /api/v1/identities`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdentityQuery {
    /// Only people the catalog does not know (automation left out).
    pub unresolved: Option<bool>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Identities to skip.
    pub offset: Option<u64>,
}

/// Everyone the data names, resolved against the catalog as it is now,
/// most often named first.
#[utoipa::path(
    get,
    path = "/api/v1/identities",
    tag = "data quality",
    params(IdentityQuery),
    responses(
        (status = 200, body = Page<IdentityView>, description = "The identities of the page, most often named first"),
        (status = 400, body = crate::error::ErrorBody, description = "A paging parameter is invalid"),
    )
)]
pub async fn list_identities(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<IdentityQuery>,
) -> Result<Json<Page<IdentityView>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
    let catalog = state.catalog.current().await?;
    let mut views = identity_report(&state.store, &catalog, &state.ingest).await?;
    if query.unresolved.unwrap_or(false) {
        views.retain(IdentityView::unresolved);
    }
    Ok(Json(Page::of(views, paging)))
}
