//! `/`: the organisation at a glance — the four-line test, the phase, the
//! DORA tiles, the top findings and the monthly trends.

use axum::extract::State;
use maud::{Markup, html};
use paved_metrics::{BenchmarkTable, Severity};

use super::charts::{Series, lines, stacked_bars};
use super::{PageWindow, Section, WebError, dora_tiles, finding, four_lines, layout};
use crate::AppState;
use paved_app::ScopeRequest;

/// `GET /`.
pub async fn page(State(state): State<AppState>, window: PageWindow) -> Result<Markup, WebError> {
    let report = state.report(&ScopeRequest::Org, window.window, BenchmarkTable::default()).await?;
    let months: Vec<String> =
        report.test.deploy_own_code.series.iter().map(|p| p.period_start.format("%b %Y").to_string()).collect();
    let by_owners: Vec<Option<f64>> = report.test.deploy_own_code.series.iter().map(|p| Some(p.by_owners)).collect();
    let by_others: Vec<Option<f64>> =
        report.test.deploy_own_code.series.iter().map(|p| Some(p.total - p.by_owners)).collect();
    let lead: Vec<Option<f64>> =
        report.dora.series.iter().map(|p| p.figures.lead_time_for_changes.median_seconds.map(|s| s / 3600.0)).collect();
    let failure: Vec<Option<f64>> =
        report.dora.series.iter().map(|p| p.figures.change_failure_rate.rate.map(|r| r * 100.0)).collect();
    let dora_months: Vec<String> =
        report.dora.series.iter().map(|p| p.period_start.format("%b %Y").to_string()).collect();
    let top: Vec<_> = report.findings.iter().filter(|f| f.severity != Severity::Ok).collect();
    let golden = state.recorded_drift(&paved_app::scaffold::drift::DriftScope::default()).await?;
    let services = state.org_analysis().await?.services.len();
    let content = html! {
        section aria-labelledby="test" {
            h2 id="test" { "The four-line test" }
            (four_lines(&report.test))
            p {
                "Phase: " strong data-phase { (report.phase.phase.map_or("–", phase_name)) } " — decided "
                (paved_app::render::findings::phase_rule(&report.phase.rule))
            }
            @if !report.phase.series.is_empty() {
                p { "By month: "
                    @for (i, point) in report.phase.series.iter().enumerate() {
                        @if i > 0 { " → " }
                        (point.period_start.format("%b")) " " (point.phase.map_or("–", phase_name))
                    }
                }
            }
        }
        section aria-labelledby="trends" {
            h2 id="trends" { "Who deploys" }
            (stacked_bars(
                "owners-vs-others",
                "Production deployments made by their owners vs by others, per month",
                "Stacked bars per month: deployments by the service's own team, and by people outside it",
                &months,
                &[
                    Series { name: "by owners", colour: "#1a7f37", values: by_owners },
                    Series { name: "by others", colour: "#cf222e", values: by_others },
                ],
                "deployments",
                |v| format!("{v:.0}"),
            ))
        }
        section aria-labelledby="delivery" {
            h2 id="delivery" { "Delivery" }
            (dora_tiles(&report.dora))
            (lines(
                "lead-time",
                "Median lead time for changes, per month",
                "Median hours from commit to production deployment, per month",
                &dora_months,
                &[Series { name: "median lead time", colour: "#0969da", values: lead }],
                "hours",
                |v| format!("{v:.1}"),
            ))
            (lines(
                "failure-rate",
                "Change failure rate, per month",
                "Share of production deployments that failed, per month, in percent",
                &dora_months,
                &[Series { name: "change failure rate", colour: "#cf222e", values: failure }],
                "%",
                |v| format!("{v:.0}"),
            ))
        }
        (super::templates::golden_paths_section(&golden, services))
        section aria-labelledby="findings" {
            h2 id="findings" { "Top findings" }
            @if top.is_empty() { p { "No dysfunction found in this window." } }
            @for f in top { (finding(f, 3)) }
            p { a href=(format!("/report?days={}", window.days)) { "The whole report" } }
        }
    };
    Ok(layout(
        "Is DevOps a role or a culture here?",
        Section::Overview,
        "/",
        &window,
        &format!("/api/v1/report?{}", window.api_query()),
        content,
    ))
}

/// The name of a phase.
pub fn phase_name(phase: paved_metrics::Phase) -> &'static str {
    match phase {
        paved_metrics::Phase::Reframe => "reframe",
        paved_metrics::Phase::Build => "build",
        paved_metrics::Phase::Transfer => "transfer",
        paved_metrics::Phase::Shift => "shift",
        paved_metrics::Phase::Evolve => "evolve",
    }
}
