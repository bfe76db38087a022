//! Scorecards: `GET /api/v1/scorecards[?service=|?team=]` reads the
//! results last kept for the services asked about (what the pages show);
//! `POST /api/v1/scorecards/evaluate` evaluates every `kind: Scorecard`
//! now (or, for an admin, as of another day) and keeps the result as that
//! day's; `GET /api/v1/scorecards/services/{name}/history` reads a
//! service's kept days. The checks, levels and history are the
//! application's.

use axum::Json;
use axum::extract::State;
use paved_app::scorecards::{ScoreHistory, ScoreScope, ScorecardResults};
use serde::Deserialize;

use super::page::{DEFAULT_LIMIT, Page, Paging};
use crate::auth::Authenticated;
use crate::extract::{ApiPath, ApiQuery, RawBody};
use crate::{ApiError, AppState};

/// Which services.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScorecardQuery {
    /// Only this service (`checkout-api`).
    pub service: Option<String>,
    /// Only this team's services (`checkout`).
    pub team: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// What `POST /api/v1/scorecards/evaluate` evaluates.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateBody {
    /// Only this service (`checkout-api`).
    #[serde(default)]
    pub service: Option<String>,
    /// Only this team's services (`checkout`).
    #[serde(default)]
    pub team: Option<String>,
    /// As of this instant (RFC 3339) or day (`2026-11-30`, its midnight);
    /// default now. Behaviour rules look back their window from it; the
    /// result is kept as that day's. Another day than today needs an
    /// admin token.
    #[serde(default)]
    pub at: Option<String>,
}

fn scope(service: Option<String>, team: Option<String>) -> Result<ScoreScope, ApiError> {
    if service.is_some() && team.is_some() {
        return Err(ApiError::bad_request("give service or team, not both"));
    }
    Ok(ScoreScope { service, team })
}

const RESULTS: &str = "Per scorecard: scorecard, title, levels, distribution (level, services), services (service, team, level, next_level, score, day, rules: rule, level, check, outcome (pass, fail, no_data, exempt, not_applicable), figure, shown, threshold, window_days, weight, fix, exemption)";

/// Each scorecard's results as last kept (by the server's daily
/// evaluation, `POST /api/v1/scorecards/evaluate` or `paved scorecard`):
/// per service its level, the next level and each rule's outcome with its
/// figure and fix; per scorecard the distribution of levels. Evaluates
/// nothing.
#[utoipa::path(
    get,
    path = "/api/v1/scorecards",
    tag = "metrics",
    params(ScorecardQuery),
    responses(
        (status = 200, body = Page<ScorecardResults>, description = RESULTS),
        (status = 400, body = crate::error::ErrorBody, description = "A service or team the catalog lacks"),
    ),
    security(("bearer" = []))
)]
pub async fn scorecards(
    State(state): State<AppState>,
    Authenticated(_caller): Authenticated,
    ApiQuery(query): ApiQuery<ScorecardQuery>,
) -> Result<Json<Page<ScorecardResults>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
    Ok(Json(Page::of(state.kept_scorecards(&scope(query.service, query.team)?).await?, paging)))
}

/// Evaluate every scorecard for the services asked about, now (or as of
/// `at`), keep the results as that day's, and answer them.
#[utoipa::path(
    post,
    path = "/api/v1/scorecards/evaluate",
    tag = "metrics",
    request_body(content = Option<EvaluateBody>, description = "Which services, and as of when; an empty body evaluates every service now"),
    responses(
        (status = 200, body = Page<ScorecardResults>, description = RESULTS),
        (status = 400, body = crate::error::ErrorBody, description = "A service or team the catalog lacks, or an `at` that is not a time"),
        (status = 403, body = crate::error::ErrorBody, description = "Another day than today, without an admin token"),
    ),
    security(("bearer" = []))
)]
pub async fn evaluate(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawBody(body): RawBody,
) -> Result<Json<Page<ScorecardResults>>, ApiError> {
    let body: EvaluateBody = if body.iter().all(u8::is_ascii_whitespace) {
        EvaluateBody::default()
    } else {
        crate::extract::json_object(&body)
            .map_err(|error| ApiError::bad_request(format!("the body is not an evaluation request: {error}")))?
    };
    let at =
        body.at.as_deref().map(|at| paved_metrics::parse_time("at", at)).transpose().map_err(ApiError::bad_request)?;
    let scope = scope(body.service, body.team)?;
    Ok(Json(Page::whole(state.evaluate_scorecards(&caller, &scope, at).await?)))
}

/// How far back a history goes.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Days back from today (default 90, at most 730).
    pub days: Option<u32>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// A service's kept results, a row per day evaluated, and the days its
/// level changed (`dropped` when it went down).
#[utoipa::path(
    get,
    path = "/api/v1/scorecards/services/{name}/history",
    tag = "metrics",
    params(("name" = String, Path, description = "The service (`checkout-api`)"), HistoryQuery),
    responses(
        (status = 200, body = Page<ScoreHistory>, description = "Per scorecard: scorecard, days (day, level, score), changes (day, from, to, dropped)"),
        (status = 400, body = crate::error::ErrorBody, description = "A service the catalog lacks, or days out of range"),
    ),
    security(("bearer" = []))
)]
pub async fn history(
    State(state): State<AppState>,
    Authenticated(_caller): Authenticated,
    ApiPath(service): ApiPath<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Page<ScoreHistory>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
    let days = query.days.unwrap_or(90);
    if !(1..=paved_domain::scorecard::MAX_WINDOW_DAYS).contains(&days) {
        return Err(ApiError::bad_request(format!("days {days} is not between 1 and 730")));
    }
    Ok(Json(Page::of(state.scorecard_history(&service, days).await?, paging)))
}
