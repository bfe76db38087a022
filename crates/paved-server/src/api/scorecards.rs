//! Scorecards: `GET /api/v1/scorecards[?service=|?team=]` evaluates every
//! `kind: Scorecard` for the services asked about, now or as of `at`, and
//! keeps the result as that day's; `GET
//! /api/v1/scorecards/services/{name}/history` reads a service's kept
//! days. The checks, levels and history are the application's.

use axum::Json;
use axum::extract::{Query, State};
use paved_app::scorecards::{ScoreHistory, ScoreScope, ScorecardResults};
use serde::Deserialize;

use crate::auth::Authenticated;
use crate::extract::ApiPath;
use crate::{ApiError, AppState};

/// Which services to score, and as of when.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ScorecardQuery {
    /// Only this service (`checkout-api`).
    pub service: Option<String>,
    /// Only this team's services (`checkout`).
    pub team: Option<String>,
    /// As of this instant (RFC 3339) or day (`2026-11-30`, its midnight);
    /// default now. Behaviour rules look back their window from it; the
    /// result is kept as that day's.
    pub at: Option<String>,
}

/// Each scorecard's results: per service its level, the next level and
/// each rule's outcome with its figure and fix; per scorecard the
/// distribution of levels.
#[utoipa::path(
    get,
    path = "/api/v1/scorecards",
    tag = "metrics",
    params(ScorecardQuery),
    responses(
        (status = 200, body = Vec<Object>, description = "Per scorecard: scorecard, title, levels, distribution (level, services), services (service, team, level, next_level, score, day, rules: rule, level, check, outcome (pass, fail, no_data, exempt), figure, shown, threshold, window_days, weight, fix, exemption)"),
        (status = 400, body = crate::error::ErrorBody, description = "A service or team the catalog lacks, or an `at` that is not a time"),
    ),
    security(("bearer" = []))
)]
pub async fn scorecards(
    State(state): State<AppState>,
    Authenticated(_caller): Authenticated,
    Query(query): Query<ScorecardQuery>,
) -> Result<Json<Vec<ScorecardResults>>, ApiError> {
    if query.service.is_some() && query.team.is_some() {
        return Err(ApiError::bad_request("give service or team, not both"));
    }
    let at = match query.at.as_deref() {
        None => chrono::Utc::now(),
        Some(at) => paved_metrics::parse_time("at", at).map_err(ApiError::bad_request)?,
    };
    let scope = ScoreScope { service: query.service, team: query.team };
    Ok(Json(state.scorecards(&scope, at).await?))
}

/// How far back a history goes.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// Days back from today (default 90, at most 730).
    pub days: Option<u32>,
}

/// A service's kept results, a row per day evaluated, and the days its
/// level changed (`dropped` when it went down).
#[utoipa::path(
    get,
    path = "/api/v1/scorecards/services/{name}/history",
    tag = "metrics",
    params(("name" = String, Path, description = "The service (`checkout-api`)"), HistoryQuery),
    responses(
        (status = 200, body = Vec<Object>, description = "Per scorecard: scorecard, days (day, level, score), changes (day, from, to, dropped)"),
        (status = 400, body = crate::error::ErrorBody, description = "A service the catalog lacks, or days out of range"),
    ),
    security(("bearer" = []))
)]
pub async fn history(
    State(state): State<AppState>,
    Authenticated(_caller): Authenticated,
    ApiPath(service): ApiPath<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<Vec<ScoreHistory>>, ApiError> {
    let days = query.days.unwrap_or(90);
    if !(1..=paved_domain::scorecard::MAX_WINDOW_DAYS).contains(&days) {
        return Err(ApiError::bad_request(format!("days {days} is not between 1 and 730")));
    }
    Ok(Json(state.scorecard_history(&service, days).await?))
}
