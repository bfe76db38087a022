//! `POST /api/v1/heartbeats/{name}` (a service says it is alive) and `GET
//! /api/v1/heartbeats` (every Heartbeat and where it stands).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use paved_app::heartbeats::{Beat, HeartbeatView};
use serde::Serialize;
use utoipa::ToSchema;

use super::page::{Page, PagingQuery};
use crate::auth::Authenticated;
use crate::extract::{ApiPath, ApiQuery};
use crate::{ApiError, AppState};

/// A beat, as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct BeatResponse {
    /// The Heartbeat (`heartbeat:default/nightly-export`).
    pub heartbeat: String,
    /// The Component it watches.
    pub service: String,
    /// When the beat was received.
    pub at: DateTime<Utc>,
    /// When it counts as missed unless it beats again.
    pub next_deadline: DateTime<Utc>,
    /// The incident this beat resolved, when the heartbeat had been missed.
    pub resolved_incident: Option<String>,
}

impl From<Beat> for BeatResponse {
    fn from(beat: Beat) -> Self {
        let Beat { heartbeat, service, at, next_deadline, resolved_incident } = beat;
        Self { heartbeat, service, at, next_deadline, resolved_incident }
    }
}

/// A Heartbeat and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeartbeatStatus {
    /// The Heartbeat.
    pub heartbeat: String,
    /// The Component it watches.
    pub service: String,
    /// The longest expected time between beats, in seconds.
    pub interval_secs: u64,
    /// How much later a beat may be, in seconds.
    pub grace_secs: u64,
    /// The last beat (or when it was first watched, before any beat).
    pub last_beat_at: Option<DateTime<Utc>>,
    /// How many beats were received.
    pub beats: i64,
    /// Since when it is missed, while it is.
    pub missed_since: Option<DateTime<Utc>>,
    /// The incident its miss opened, while it is missed.
    pub incident: Option<String>,
}

impl From<HeartbeatView> for HeartbeatStatus {
    fn from(view: HeartbeatView) -> Self {
        let state = view.state;
        Self {
            heartbeat: view.heartbeat,
            service: view.service,
            interval_secs: view.interval_secs,
            grace_secs: view.grace_secs,
            last_beat_at: state.as_ref().map(|s| s.last_beat_at),
            beats: state.as_ref().map_or(0, |s| s.beats),
            missed_since: state.as_ref().and_then(|s| s.missed_at),
            incident: state.and_then(|s| s.incident_key),
        }
    }
}

/// Beats a Heartbeat: the service (or its cron job) is alive. Send it with
/// the owning team's token at least every `interval`; a missed beat opens
/// an incident that pages, and the next beat resolves it.
#[utoipa::path(
    post,
    path = "/api/v1/heartbeats/{name}",
    tag = "operations",
    params(("name" = String, Path, description = "The Heartbeat's name (or reference)")),
    responses(
        (status = 200, body = BeatResponse, description = "Recorded"),
        (status = 401, body = crate::error::ErrorBody, description = "No token"),
        (status = 403, body = crate::error::ErrorBody, description = "The token's team does not own the service"),
        (status = 404, body = crate::error::ErrorBody, description = "No such Heartbeat in the catalog"),
    ),
    security(("bearer" = []))
)]
pub async fn beat(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<BeatResponse>, ApiError> {
    Ok(Json(state.beat(&caller, &name).await?.into()))
}

/// Every Heartbeat of the catalog, with its last beat and whether it is
/// missed.
#[utoipa::path(
    get,
    path = "/api/v1/heartbeats",
    tag = "operations",
    params(PagingQuery),
    responses(
        (status = 200, body = Page<HeartbeatStatus>, description = "The Heartbeats of the page, by name"),
        (status = 400, body = crate::error::ErrorBody, description = "A paging parameter is invalid"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PagingQuery>,
) -> Result<Json<Page<HeartbeatStatus>>, ApiError> {
    let paging = query.paging()?;
    Ok(Json(Page::of(state.heartbeat_views().await?.into_iter().map(Into::into).collect(), paging)))
}
