//! `POST /api/v1/shifts` (on-call shifts kept in another tool) and `GET
//! /api/v1/shifts` (who is on call: the catalog's Schedules resolved into
//! shifts, with the recorded ones).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use paved_app::oncall::OnCallShift;
use paved_domain::{EntityRef, Identity, Record, RecordedShift, ShiftSource};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::page::{DEFAULT_LIMIT, Page, Paging};
use super::records;
use super::views::{EntityRefSchema, IdentitySchema};
use crate::auth::Authenticated;
use crate::extract::{ApiQuery, RawBody};
use crate::{ApiError, AppState};
use paved_app::RecordAction;

/// An on-call shift kept in another tool (the body of `POST
/// /api/v1/shifts`).
//
// Read by `paved_ingest::api::ShiftRequest`; documented here, and a test
// keeps the two alike.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftRequest {
    /// Your id for it: recording it again corrects it. Generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The Schedule it belongs to (`checkout-oncall` or
    /// `schedule:default/checkout-oncall`).
    pub schedule: String,
    /// Who was on call: a login, an e-mail or a catalog User.
    pub person: String,
    /// From (RFC 3339).
    pub start: String,
    /// Until (RFC 3339).
    pub end: String,
}

/// An on-call shift recorded through the API, for teams whose schedules
/// live in another tool.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RecordedShift)]
pub struct RecordedShiftView {
    /// The record's key: `api:<id>`.
    pub key: String,
    /// The Schedule it belongs to.
    #[schema(value_type = EntityRefSchema)]
    pub schedule: EntityRef,
    /// Who was on call (resolved to a catalog User when read).
    #[schema(value_type = IdentitySchema)]
    pub person: Identity,
    /// From.
    pub start: DateTime<Utc>,
    /// Until (exclusive).
    pub end: DateTime<Utc>,
}

impl From<RecordedShift> for RecordedShiftView {
    fn from(shift: RecordedShift) -> Self {
        let RecordedShift { key, schedule, person, start, end } = shift;
        Self { key, schedule, person, start, end }
    }
}

/// How a shift became known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ShiftSource)]
pub enum ShiftSourceView {
    /// From a rotation of a Schedule in the catalog.
    Rotation,
    /// From an override: of a Schedule in the catalog, or made at run
    /// time (`POST /api/v1/schedules/{name}/overrides`).
    Override,
    /// Recorded through the API (`POST /api/v1/shifts`), from an on-call
    /// tool outside pavedroad.
    Recorded,
}

impl From<ShiftSource> for ShiftSourceView {
    fn from(source: ShiftSource) -> Self {
        match source {
            ShiftSource::Rotation => Self::Rotation,
            ShiftSource::Override => Self::Override,
            ShiftSource::Recorded => Self::Recorded,
        }
    }
}

/// Records an on-call shift from another tool (idempotent on its `id`).
#[utoipa::path(
    post,
    path = "/api/v1/shifts",
    tag = "operations",
    request_body = ShiftRequest,
    responses(
        (status = 201, body = RecordedShiftView, description = "Recorded"),
        (status = 200, body = RecordedShiftView, description = "The same request was recorded before"),
        (status = 400, body = crate::error::ErrorBody, description = "A field is malformed, or the Schedule is not in the catalog"),
        (status = 403, body = crate::error::ErrorBody, description = "A team token for another team's Schedule"),
    ),
    security(("bearer" = []))
)]
pub async fn record_shift(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<RecordedShiftView>), ApiError> {
    let recorded = records::record_request(&state, &caller, RecordAction::RecordShift, body.to_vec()).await?;
    records::respond(recorded, |record| match record {
        Record::Shift(shift) => Some(RecordedShiftView::from(shift)),
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
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// A shift as listed: the catalog User when the person resolves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ShiftView {
    /// The Schedule.
    #[schema(value_type = EntityRefSchema)]
    pub schedule: EntityRef,
    /// The catalog User on call, when known.
    #[schema(value_type = Option<EntityRefSchema>)]
    pub person: Option<EntityRef>,
    /// The identity as recorded (recorded shifts only).
    #[schema(value_type = Option<IdentitySchema>)]
    pub identity: Option<Identity>,
    /// From.
    pub start: DateTime<Utc>,
    /// Until.
    pub end: DateTime<Utc>,
    /// Where it comes from.
    pub source: ShiftSourceView,
    /// The rotation (layer) of a rotation's shift, e.g. `primary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<String>,
}

impl From<OnCallShift> for ShiftView {
    fn from(shift: OnCallShift) -> Self {
        let OnCallShift { schedule, person, identity, start, end, source, rotation } = shift;
        Self { schedule, person, identity, start, end, source: source.into(), rotation }
    }
}

/// Who is on call, by Schedule, between two times.
#[utoipa::path(
    get,
    path = "/api/v1/shifts",
    tag = "operations",
    params(ShiftQuery),
    responses(
        (status = 200, body = Page<ShiftView>, description = "The shifts of the page, by Schedule and start"),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown Schedule or a bad time"),
    )
)]
pub async fn list_shifts(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ShiftQuery>,
) -> Result<Json<Page<ShiftView>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
    let shifts = state.shifts(query.schedule.as_deref(), query.since.as_deref(), query.until.as_deref()).await?;
    Ok(Json(Page::of(shifts.into_iter().map(ShiftView::from).collect(), paging)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::views::assert_same_body;

    /// Both literals name every field of their type, so a field added to
    /// one and not the other fails here.
    #[test]
    fn the_documented_body_is_the_body_ingest_reads() {
        let text = |text: &str| text.to_owned();
        assert_same_body::<_, paved_ingest::api::ShiftRequest>(ShiftRequest {
            id: Some(text("shift-1")),
            schedule: text("checkout-oncall"),
            person: text("octocat"),
            start: text("2026-11-02T09:00:00Z"),
            end: text("2026-11-03T09:00:00Z"),
        });
        assert_same_body::<_, ShiftRequest>(paved_ingest::api::ShiftRequest {
            id: Some(text("shift-1")),
            schedule: text("checkout-oncall"),
            person: text("octocat"),
            start: text("2026-11-02T09:00:00Z"),
            end: text("2026-11-03T09:00:00Z"),
        });
    }
}
