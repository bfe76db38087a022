//! `GET /api/v1/metrics/dora` (the DORA report of a service, team or the
//! organisation) and `GET /metrics` (Prometheus text exposition).

use std::fmt::Write as _;

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use paved_app::wire;
use paved_metrics::{BenchmarkTable, DoraReport, Period, Scope, ScopeKind, Window};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::extract::ApiQuery;
use crate::{ApiError, AppState};
use paved_app::AnalysisCache;
use paved_app::ScopeRequest;

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
    pub by: Option<String>,
    /// The benchmark table: `dora-2023` (default) or `dora-2021`.
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
        (status = 200, body = wire::DoraReport),
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
        (status = 200, body = wire::CultureReport),
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

/// One gauge of the exposition.
struct Gauge {
    name: &'static str,
    help: &'static str,
    value: fn(&DoraReport) -> Option<f64>,
}

const GAUGES: [Gauge; 6] = [
    Gauge {
        name: "paved_deployments",
        help: "Successful production deployments in the last 30 days.",
        value: |r| Some(r.figures.deployment_frequency.deployments as f64),
    },
    Gauge {
        name: "paved_lead_time_median_seconds",
        help: "Median lead time for changes over the last 30 days, in seconds.",
        value: |r| r.figures.lead_time_for_changes.median_seconds,
    },
    Gauge {
        name: "paved_lead_time_p90_seconds",
        help: "90th percentile lead time for changes over the last 30 days, in seconds.",
        value: |r| r.figures.lead_time_for_changes.p90_seconds,
    },
    Gauge {
        name: "paved_change_failure_rate",
        help: "Change failure rate over the last 30 days (0 to 1).",
        value: |r| r.figures.change_failure_rate.rate,
    },
    Gauge {
        name: "paved_recovery_time_median_seconds",
        help: "Median failed deployment recovery time over the last 30 days, in seconds.",
        value: |r| r.figures.failed_deployment_recovery_time.median_seconds,
    },
    Gauge {
        name: "paved_rework_rate",
        help: "Rework rate over the last 30 days (0 to 1).",
        value: |r| r.figures.rework_rate.rate,
    },
];

/// A label value escaped for the text exposition format.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Prometheus text exposition: per service and per team, the DORA figures
/// of the last 30 days (a metric without data is left out, not 0).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "metrics",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain"))
)]
pub async fn prometheus(State(state): State<AppState>) -> Result<Response, ApiError> {
    let org = state.org_analysis().await?;
    let (catalog, services) = (&org.catalog, &org.services);
    let indices: Vec<usize> = (0..services.len()).collect();
    let window = Window::last_days(Utc::now(), 30);
    let report = |scope: Scope, services: &[usize]| AnalysisCache::dora_of(&org, scope, services, window);
    let mut reports: Vec<(String, DoraReport)> = Vec::new();
    for (i, service) in services.iter().enumerate() {
        let scope = Scope { kind: ScopeKind::Service, name: service.to_string() };
        reports.push((format!("service=\"{}\"", escape(&service.to_string())), report(scope, &indices[i..=i])));
    }
    for (group, _) in catalog.teams() {
        let owned: Vec<usize> =
            services.iter().enumerate().filter(|(_, s)| catalog.team_owns(group, s)).map(|(i, _)| i).collect();
        if owned.is_empty() {
            continue;
        }
        let scope = Scope { kind: ScopeKind::Team, name: group.to_string() };
        reports.push((format!("team=\"{}\"", escape(&group.to_string())), report(scope, &owned)));
    }
    let mut text = String::new();
    for gauge in &GAUGES {
        let _ = writeln!(text, "# HELP {} {}", gauge.name, gauge.help);
        let _ = writeln!(text, "# TYPE {} gauge", gauge.name);
        for (labels, report) in &reports {
            if let Some(value) = (gauge.value)(report) {
                let _ = writeln!(text, "{}{{{labels}}} {value}", gauge.name);
            }
        }
    }
    scorecard_gauges(&state, catalog, &mut text).await?;
    Ok(([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

/// The scorecards' gauges, from the results last kept (nothing is
/// evaluated for a scrape): each service's level as a rank, each level's
/// rank and name, and how many services stand at each level.
async fn scorecard_gauges(
    state: &AppState,
    catalog: &paved_domain::CatalogIndex,
    text: &mut String,
) -> Result<(), ApiError> {
    let scores = state.kept_scores(&paved_app::scorecards::ScoreScope::default()).await?;
    let cards = catalog.scorecards();
    let rank = |levels: &[String], level: &Option<String>| {
        level.as_ref().and_then(|l| levels.iter().position(|x| x == l)).map_or(0, |p| p + 1)
    };
    type Value<'a> = &'a dyn Fn(&paved_app::scorecards::ServiceScore) -> String;
    let per_service: [(&str, &str, Value<'_>); 2] = [
        (
            "paved_scorecard_level",
            "A service's level on a scorecard, as a rank: 0 below the first level, 1 the first (see \
             paved_scorecard_level_rank_info).",
            &|score| rank(&score.levels, &score.level).to_string(),
        ),
        (
            "paved_scorecard_score_ratio",
            "A service's weighted share of a scorecard's rules that pass or are exempted.",
            &|score| score.score.to_string(),
        ),
    ];
    for (name, help, value) in per_service {
        let _ = writeln!(text, "# HELP {name} {help}");
        let _ = writeln!(text, "# TYPE {name} gauge");
        for score in &scores {
            let team = score.team.as_ref().map_or("", |t| t.name());
            let _ = writeln!(
                text,
                "{name}{{scorecard=\"{}\",service=\"{}\",team=\"{}\"}} {}",
                escape(score.scorecard.name()),
                escape(score.service.name()),
                escape(team),
                value(score)
            );
        }
    }
    let _ = writeln!(
        text,
        "# HELP paved_scorecard_level_rank_info The rank of each level of each scorecard (1 the lowest)."
    );
    let _ = writeln!(text, "# TYPE paved_scorecard_level_rank_info gauge");
    for card in &cards {
        for (i, level) in card.levels.iter().enumerate() {
            let name = escape(card.entity_ref.name());
            let _ = writeln!(
                text,
                "paved_scorecard_level_rank_info{{scorecard=\"{name}\",level=\"{}\"}} {}",
                escape(level),
                i + 1
            );
        }
    }
    let _ = writeln!(
        text,
        "# HELP paved_scorecard_services How many services stand at each level of a scorecard (level \"none\": below the first)."
    );
    let _ = writeln!(text, "# TYPE paved_scorecard_services gauge");
    for card in &cards {
        let on: Vec<_> = scores.iter().filter(|s| s.scorecard == card.entity_ref).collect();
        for level in std::iter::once(None).chain(card.levels.iter().cloned().map(Some)) {
            let n = on.iter().filter(|s| s.level == level).count();
            let shown = level.as_deref().unwrap_or("none");
            let name = escape(card.entity_ref.name());
            let _ = writeln!(text, "paved_scorecard_services{{scorecard=\"{name}\",level=\"{}\"}} {n}", escape(shown));
        }
    }
    Ok(())
}
