//! Who is on call and overrides: `GET /api/v1/oncall` (now, until when, and
//! the next hand-off, per Schedule), `GET`/`POST
//! /api/v1/schedules/{name}/overrides`, `GET /api/v1/overrides` and `DELETE
//! /api/v1/overrides/{id}`. Who may make or delete an override is decided
//! by the application (the Schedule's team, admins), not here.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use paved_app::oncall::{OnCallNow, OnCallScope, OverrideRequest};
use paved_domain::EntityRef;
use paved_store::StoredOverride;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::page::{DEFAULT_LIMIT, Page, Paging};
use super::shifts::ShiftView;
use super::views::EntityRefSchema;
use crate::auth::Authenticated;
use crate::extract::{ApiPath, ApiQuery, RawBody};
use crate::{ApiError, AppState};

/// Whose on-call Schedules `GET /api/v1/oncall` reads: at most one of
/// `team`, `service` and `schedule` (none: every Schedule).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnCallQuery {
    /// A team (a Group): the Schedules it owns and those of its services.
    pub team: Option<String>,
    /// A service (a Component): its Schedule (`paved.dev/oncall`).
    pub service: Option<String>,
    /// One Schedule.
    pub schedule: Option<String>,
    /// When: RFC 3339, or a local time read in each Schedule's own time
    /// zone (`2026-07-10 18:00`); default now.
    pub at: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

impl OnCallQuery {
    /// The scope the query names.
    ///
    /// # Errors
    /// 400 when it names more than one.
    pub fn scope(&self) -> Result<OnCallScope, ApiError> {
        match (&self.team, &self.service, &self.schedule) {
            (None, None, None) => Ok(OnCallScope::All),
            (Some(team), None, None) => Ok(OnCallScope::Team(team.clone())),
            (None, Some(service), None) => Ok(OnCallScope::Service(service.clone())),
            (None, None, Some(schedule)) => Ok(OnCallScope::Schedule(schedule.clone())),
            _ => Err(ApiError::bad_request("give one of team, service and schedule, not several")),
        }
    }
}

/// Who is on call on one Schedule (one layer of it) at an instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = OnCall)]
pub struct OnCallView {
    /// The Schedule.
    #[schema(value_type = EntityRefSchema)]
    pub schedule: EntityRef,
    /// The instant asked about.
    pub at: DateTime<Utc>,
    /// Who is on call then: their stretch, whole (`start` when it began,
    /// `end` when they hand off). Absent when nobody is.
    pub current: Option<ShiftView>,
    /// The next hand-off: who takes over, from `start`. Absent when nobody
    /// takes over within 62 days.
    pub next: Option<ShiftView>,
}

impl From<OnCallNow> for OnCallView {
    fn from(now: OnCallNow) -> Self {
        Self {
            schedule: now.schedule,
            at: now.at,
            current: now.current.map(ShiftView::from),
            next: now.next.map(ShiftView::from),
        }
    }
}

/// Who is on call now (or `at`), until when, and who is next, per
/// Schedule.
#[utoipa::path(
    get,
    path = "/api/v1/oncall",
    tag = "operations",
    params(OnCallQuery),
    responses(
        (status = 200, body = Page<OnCallView>, description = "One item per Schedule (per layer of it); none when no Schedule covers the scope"),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown team, service or Schedule, several of them, or a bad time"),
    )
)]
pub async fn on_call(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<OnCallQuery>,
) -> Result<Json<Page<OnCallView>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
    let answers = state.who_is_on_call(&query.scope()?, query.at.as_deref()).await?;
    Ok(Json(Page::of(answers.into_iter().map(OnCallView::from).collect(), paging)))
}

/// What `POST /api/v1/schedules/{name}/overrides` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    /// Who takes the hours: a catalog User (`ana.souza`).
    pub user: String,
    /// From: RFC 3339, or a local time in the Schedule's time zone
    /// (`2026-07-10 18:00`).
    pub from: String,
    /// Until, written like `from`; at most 31 days after it.
    pub to: String,
    /// Why (shown and audited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An override of a Schedule made at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Override)]
pub struct OverrideView {
    /// Its id (`DELETE /api/v1/overrides/{id}`).
    pub id: i64,
    /// The Schedule.
    #[schema(value_type = EntityRefSchema)]
    pub schedule: EntityRef,
    /// Who is on call for its hours, instead of the rotation.
    #[schema(value_type = EntityRefSchema)]
    pub user: EntityRef,
    /// From.
    pub start: DateTime<Utc>,
    /// Until (exclusive).
    pub end: DateTime<Utc>,
    /// Why.
    pub reason: Option<String>,
    /// Who made it, as the audit log names them.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<StoredOverride> for OverrideView {
    fn from(over: StoredOverride) -> Self {
        Self {
            id: over.id,
            schedule: over.schedule,
            user: over.person,
            start: over.start,
            end: over.end,
            reason: over.reason,
            created_by: over.created_by,
            created_at: over.created_at,
        }
    }
}

/// Which overrides a listing returns.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverrideQuery {
    /// Only those that end after this (RFC 3339 or a date); default now.
    pub since: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

impl OverrideQuery {
    fn since(&self) -> Result<DateTime<Utc>, ApiError> {
        self.since
            .as_deref()
            .map(|text| paved_metrics::parse_time("since", text))
            .transpose()
            .map_err(ApiError::bad_request)
            .map(|since| since.unwrap_or_else(Utc::now))
    }
}

/// Override a Schedule: for these hours, this person is on call instead.
///
/// Only members of the team that owns the Schedule (or of a team below
/// it), that team's tokens and admin tokens may; a refusal names the team
/// and its people.
#[utoipa::path(
    post,
    path = "/api/v1/schedules/{name}/overrides",
    tag = "operations",
    params(("name" = String, Path, description = "The Schedule (`checkout-oncall`)")),
    request_body = OverrideBody,
    responses(
        (status = 201, body = OverrideView, description = "Made"),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown user, a bad time, an end not after the start or before now, more than 31 days"),
        (status = 403, body = crate::error::ErrorBody, description = "The caller is not of the Schedule's team; the message names its people"),
        (status = 404, body = crate::error::ErrorBody, description = "No such Schedule"),
    ),
    security(("bearer" = []))
)]
pub async fn create_override(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(name): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<OverrideView>), ApiError> {
    let body: OverrideBody = crate::extract::json_object(&body)
        .map_err(|error| ApiError::bad_request(format!("the body is not an override: {error}")))?;
    let request =
        OverrideRequest { schedule: name, user: body.user, from: body.from, to: body.to, reason: body.reason };
    let made = state.create_override(&caller, &request, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// The overrides of one Schedule that have not ended (or end after
/// `since`), by start.
#[utoipa::path(
    get,
    path = "/api/v1/schedules/{name}/overrides",
    tag = "operations",
    params(("name" = String, Path, description = "The Schedule"), OverrideQuery),
    responses(
        (status = 200, body = Page<OverrideView>, description = "The overrides of the page, by start"),
        (status = 400, body = crate::error::ErrorBody, description = "A bad time or paging parameter"),
        (status = 404, body = crate::error::ErrorBody, description = "No such Schedule"),
    )
)]
pub async fn schedule_overrides(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<OverrideQuery>,
) -> Result<Json<Page<OverrideView>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
    let found = state.overrides(Some(&name), query.since()?).await?;
    Ok(Json(Page::of(found.into_iter().map(OverrideView::from).collect(), paging)))
}

/// Every Schedule's overrides that have not ended (or end after `since`),
/// by start.
#[utoipa::path(
    get,
    path = "/api/v1/overrides",
    tag = "operations",
    params(OverrideQuery),
    responses(
        (status = 200, body = Page<OverrideView>, description = "The overrides of the page, by start"),
        (status = 400, body = crate::error::ErrorBody, description = "A bad time or paging parameter"),
    )
)]
pub async fn list_overrides(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<OverrideQuery>,
) -> Result<Json<Page<OverrideView>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
    let found = state.overrides(None, query.since()?).await?;
    Ok(Json(Page::of(found.into_iter().map(OverrideView::from).collect(), paging)))
}

/// Delete an override: the rotation is on call for its hours again. The
/// same people may as may make one.
#[utoipa::path(
    delete,
    path = "/api/v1/overrides/{id}",
    tag = "operations",
    params(("id" = i64, Path, description = "The override's id")),
    responses(
        (status = 200, body = OverrideView, description = "Deleted; the override as it was"),
        (status = 403, body = crate::error::ErrorBody, description = "The caller is not of the Schedule's team"),
        (status = 404, body = crate::error::ErrorBody, description = "No such override"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_override(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OverrideView>, ApiError> {
    Ok(Json(state.delete_override(&caller, id).await?.into()))
}
