//! `POST /api/v1/shifts` (on-call shifts kept in another tool) and `GET
//! /api/v1/shifts` (who is on call: the catalog's Schedules resolved into
//! shifts, with the recorded ones).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use paved_domain::{CatalogIndex, EntityRef, Identity, Record, RecordKind, RecordedShift, Shift, ShiftSource};
use paved_ingest::api::ShiftRequest;
use paved_store::{DynStore, RecordFilter, StoreError};
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

/// The longest span `GET /api/v1/shifts` lists, in days (a year of daily
/// hand-offs is 366 shifts per schedule).
pub const MAX_SHIFT_WINDOW_DAYS: i64 = 366;

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

/// Every shift of `schedules` between `since` and `until`: the catalog's
/// rotations and overrides, and the shifts recorded through the API.
///
/// # Errors
/// When the store cannot be read.
pub async fn shifts_between(
    store: &DynStore,
    catalog: &CatalogIndex,
    schedules: &[EntityRef],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<ShiftView>, StoreError> {
    let mut views: Vec<ShiftView> = Vec::new();
    for schedule in schedules.iter().filter_map(|s| catalog.schedule(s)) {
        views.extend(schedule.shifts(since, until).into_iter().map(|shift: Shift| ShiftView {
            schedule: shift.schedule,
            person: Some(shift.person),
            identity: None,
            start: shift.start,
            end: shift.end,
            source: shift.source,
        }));
    }
    let mut filter = RecordFilter::new(RecordKind::Shift);
    filter.statuses = schedules.iter().map(EntityRef::key).collect();
    // A recorded shift is found by its start; a long one may start earlier.
    filter.since = Some(since - Duration::days(31));
    filter.until = Some(until);
    for record in store.all_records(&filter).await? {
        let Record::Shift(shift) = record else { continue };
        let (start, end) = (shift.start.max(since), shift.end.min(until));
        if start < end {
            views.push(ShiftView {
                person: catalog.resolve_person(&shift.person, None).cloned(),
                identity: Some(shift.person),
                schedule: shift.schedule,
                start,
                end,
                source: ShiftSource::Recorded,
            });
        }
    }
    views.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.schedule.cmp(&b.schedule)));
    Ok(views)
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
    let catalog = state.catalog.current().await?;
    let since = query
        .since
        .as_deref()
        .map(|text| paved_metrics::parse_time("since", text))
        .transpose()
        .map_err(ApiError::bad_request)?
        .unwrap_or_else(Utc::now);
    let until = query
        .until
        .as_deref()
        .map(|text| paved_metrics::parse_time("until", text))
        .transpose()
        .map_err(ApiError::bad_request)?
        .unwrap_or(since + Duration::days(7));
    if until <= since {
        return Err(ApiError::bad_request(format!("until {until} is not after since {since}")));
    }
    paved_metrics::check_span(since, until, MAX_SHIFT_WINDOW_DAYS).map_err(ApiError::bad_request)?;
    let schedules: Vec<EntityRef> = match &query.schedule {
        Some(name) => {
            let schedule = EntityRef::parse(name, Some("schedule"), paved_domain::DEFAULT_NAMESPACE)
                .map_err(|error| ApiError::bad_request(format!("schedule: {error}")))?;
            if catalog.schedule(&schedule).is_none() {
                return Err(ApiError::bad_request(format!("no Schedule {schedule} in the catalog")));
            }
            vec![schedule]
        }
        None => catalog.schedules().into_iter().map(|s| s.entity_ref.clone()).collect(),
    };
    Ok(Json(shifts_between(&state.store, &catalog, &schedules, since, until).await?))
}
