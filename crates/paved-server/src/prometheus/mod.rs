//! `GET /metrics`: the Prometheus text exposition. What the data says
//! (`road.rs`: counters of deployments, incidents, pages and actions; the
//! four-line test and DORA figures over the UI's default window, per
//! service, team and organisation; scorecard levels) and pavedroad's own
//! health (`health.rs`). Families and units are documented in the README
//! (`contrib/grafana/` and `contrib/prometheus/` build on them).

mod health;
mod road;
mod text;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

pub use health::{HttpMetrics, count_requests};
pub use road::WINDOW_LABEL;

use crate::{ApiError, AppState};

/// Prometheus text exposition: counters of every deployment (by service,
/// team, environment, outcome and whether an owner made it), incident,
/// page and action; per service, team and organisation the four-line test
/// and DORA figures over the last 90 days (the UI's default window);
/// scorecard levels; and pavedroad's own health (build, HTTP requests,
/// webhook deliveries, the last event of each source, queues and lag).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "metrics",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain"))
)]
pub async fn prometheus(State(state): State<AppState>) -> Result<Response, ApiError> {
    let org = state.org_analysis().await?;
    let health = state.store.work_health().await.map_err(paved_app::AppError::from)?;
    let scores = state.kept_scores(&paved_app::scorecards::ScoreScope::default()).await?;
    let mut out = text::Exposition::default();
    road::totals(&mut out, &org, &health.actions);
    road::window_gauges(&mut out, &state, &org, crate::web::default_window()).await?;
    road::scorecards(&mut out, &org.catalog, &scores);
    health::work(&mut out, &health, Utc::now());
    state.http.write(&mut out);
    Ok(([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out.finish()).into_response())
}
