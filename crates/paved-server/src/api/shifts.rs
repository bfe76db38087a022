//! `POST /api/v1/shifts` (on-call shifts kept in another tool) and `GET
//! /api/v1/shifts` (who is on call: the catalog's Schedules resolved into
//! shifts, with the recorded ones).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use paved_app::oncall::OnCallShift;
use paved_domain::{EntityRef, Identity, Record, RecordedShift, ShiftSource};
use paved_ingest::api::ShiftRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::records;
use crate::auth::Authenticated;
use crate::extract::{ApiQuery, RawBody};
use crate::{ApiError, AppState};
use paved_app::RecordAction;

/// Records an on-call shift from another tool (idempotent on its `id`).
#[utoipa::path(
    post,
    path = "/api/v1/shifts",
    tag = "operations",
    request_body = ShiftRequest,
    responses(
        (status = 201, body = RecordedShift, description = "Recorded"),
        (status = 200, body = RecordedShift, description = "The same request was recorded before"),
        (status = 400, body = crate::error::ErrorBody, description = "A field is malformed, or the Schedule is not in the catalog"),
        (status = 403, body = crate::error::ErrorBody, description = "A team token for another team's Schedule"),
    ),
    security(("bearer" = []))
)]
pub async fn record_shift(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<RecordedShift>), ApiError> {
    let recorded = records::record_request(&state, &caller, RecordAction::RecordShift, body.to_vec()).await?;
    records::respond(recorded, |record| match record {
        Record::Shift(shift) => Some(shift),
        _ => None,
    })
}

/// Which shifts `GET /api/v1/shifts` lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShiftQuery {
    /// One Schedule (`checkout-oncall`); default every Schedule.
    pub schedule: Option<String>,
    /// From (RFC 3339 or a date); default now.
    pub since: Option<String>,
    /// Until; default 7 days after `since`; at most 366 days after it.
    pub until: Option<String>,
}

/// A shift as listed: the catalog User when the person resolves.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ShiftView {
    /// The Schedule.
    pub schedule: EntityRef,
    /// The catalog User on call, when known.
    pub person: Option<EntityRef>,
    /// The identity as recorded (recorded shifts only).
    pub identity: Option<Identity>,
    /// From.
    pub start: DateTime<Utc>,
    /// Until.
    pub end: DateTime<Utc>,
    /// Where it comes from.
    pub source: ShiftSource,
}

impl From<OnCallShift> for ShiftView {
    fn from(shift: OnCallShift) -> Self {
        let OnCallShift { schedule, person, identity, start, end, source } = shift;
        Self { schedule, person, identity, start, end, source }
    }
}

/// Who is on call, by Schedule, between two times.
#[utoipa::path(
    get,
    path = "/api/v1/shifts",
    tag = "operations",
    params(ShiftQuery),
    responses(
        (status = 200, body = [ShiftView]),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown Schedule or a bad time"),
    )
)]
pub async fn list_shifts(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ShiftQuery>,
) -> Result<Json<Vec<ShiftView>>, ApiError> {
    let shifts = state.shifts(query.schedule.as_deref(), query.since.as_deref(), query.until.as_deref()).await?;
    Ok(Json(shifts.into_iter().map(ShiftView::from).collect()))
}
