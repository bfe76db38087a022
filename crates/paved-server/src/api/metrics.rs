//! `GET /api/v1/metrics/dora` (the DORA report of a service, team or the
//! organisation) and `GET /api/v1/report` (the whole diagnosis).

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use paved_app::wire;
use paved_metrics::{BenchmarkTable, Period, Window};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::extract::ApiQuery;
use crate::{ApiError, AppState};
use paved_app::ScopeRequest;

paved_app::string_enum!(
    /// The period of a DORA series.
    SeriesPeriod,
    "SeriesPeriod",
    "A series per `week` (ISO, from Monday) or per `month`.",
    ["week", "month"]
);

paved_app::string_enum!(
    /// The benchmark tables of the DORA tiers.
    BenchmarkTableName,
    "BenchmarkTableName",
    "The benchmark table of the DORA tiers.",
    ["dora-2023", "dora-2021"]
);

/// Parameters of `GET /api/v1/metrics/dora`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DoraQuery {
    /// A Component (`checkout` or `component:default/checkout`).
    pub service: Option<String>,
    /// A team (Group): the services it and the teams below it own.
    pub team: Option<String>,
    /// Start of the window (RFC 3339 or YYYY-MM-DD, UTC); default 90 days
    /// before `until`.
    pub since: Option<String>,
    /// End of the window, exclusive; default now. A window spans at most
    /// 3,653 days (ten years).
    pub until: Option<String>,
    /// A series per `week` (ISO, Monday) or `month`.
    #[param(value_type = Option<SeriesPeriod>)]
    pub by: Option<String>,
    /// The benchmark table: `dora-2023` (default) or `dora-2021`.
    #[param(value_type = Option<BenchmarkTableName>)]
    pub table: Option<String>,
}

/// The benchmark table named `name`, the default when none is named.
///
/// # Errors
/// A message for an unknown table.
fn table(name: Option<&str>) -> Result<BenchmarkTable, String> {
    name.map_or(Ok(BenchmarkTable::default()), str::parse)
}

/// The scope a query's `service` and `team` ask for: one of them, or the
/// organisation when neither.
fn scope_request(service: Option<String>, team: Option<String>) -> Result<ScopeRequest, ApiError> {
    match (service, team) {
        (Some(_), Some(_)) => Err(ApiError::bad_request("give service or team, not both")),
        (Some(service), None) => Ok(ScopeRequest::Service(service)),
        (None, Some(team)) => Ok(ScopeRequest::Team(team)),
        (None, None) => Ok(ScopeRequest::Org),
    }
}

/// The DORA report (DESIGN §5) of a service, a team or the whole
/// organisation, over a window, with an optional weekly or monthly series.
#[utoipa::path(
    get,
    path = "/api/v1/metrics/dora",
    tag = "metrics",
    params(DoraQuery),
    responses(
        (status = 200, body = wire::DoraReport, description = "The four DORA metrics of the scope and window"),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown service or team, a bad time, period or table"),
    )
)]
pub async fn dora(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<DoraQuery>,
) -> Result<Json<wire::DoraReport>, ApiError> {
    let scope = scope_request(query.service, query.team)?;
    let window =
        Window::parse(query.since.as_deref(), query.until.as_deref(), Utc::now()).map_err(ApiError::bad_request)?;
    let series = query.by.as_deref().map(str::parse::<Period>).transpose().map_err(ApiError::bad_request)?;
    let table = table(query.table.as_deref()).map_err(ApiError::bad_request)?;
    Ok(Json(wire::DoraReport::from(&state.dora(&scope, window, series, table).await?)))
}

/// Parameters of `GET /api/v1/report`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// A Component (`checkout` or `component:default/checkout`).
    pub service: Option<String>,
    /// A team (Group): the services it and the teams below it own.
    pub team: Option<String>,
    /// Start of the window (RFC 3339 or YYYY-MM-DD, UTC); default 90 days
    /// before `until`.
    pub since: Option<String>,
    /// End of the window, exclusive; default now. A window spans at most
    /// 3,653 days (ten years).
    pub until: Option<String>,
    /// The benchmark table of the DORA tiers: `dora-2023` (default) or
    /// `dora-2021`.
    #[param(value_type = Option<BenchmarkTableName>)]
    pub table: Option<String>,
}

/// The whole diagnosis (DESIGN §6): the four-line test, the four
/// dysfunctions with evidence and recommendations, knowledge concentration,
/// the transition phase, and the DORA metrics — of a service, a team or the
/// organisation.
#[utoipa::path(
    get,
    path = "/api/v1/report",
    tag = "metrics",
    params(ReportQuery),
    responses(
        (status = 200, body = wire::CultureReport, description = "The report: the answer, the four-line test, DORA and the findings"),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown service or team, a bad time or table"),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Json<wire::CultureReport>, ApiError> {
    let scope = scope_request(query.service, query.team)?;
    let window =
        Window::parse(query.since.as_deref(), query.until.as_deref(), Utc::now()).map_err(ApiError::bad_request)?;
    let table = table(query.table.as_deref()).map_err(ApiError::bad_request)?;
    Ok(Json(wire::CultureReport::from(&*state.report(&scope, window, table).await?)))
}
