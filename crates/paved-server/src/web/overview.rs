//! `/`: the organisation at a glance — first the deployments developers
//! performed independently (the measure of success), then the four-line
//! test, the phase, the DORA tiles, the top findings and the monthly
//! trends.

use axum::extract::State;
use maud::{Markup, html};
use paved_metrics::{BenchmarkTable, Severity};

use super::{PageWindow, Section, WebError, dora_tiles, finding, four_lines, layout};
use crate::AppState;
use paved_app::ScopeRequest;

/// `GET /`.
pub async fn page(State(state): State<AppState>, window: PageWindow) -> Result<Markup, WebError> {
    let report = state.report(&ScopeRequest::Org, window.window, BenchmarkTable::default()).await?;
    let top: Vec<_> = report.findings.iter().filter(|f| f.severity != Severity::Ok).collect();
    let golden = state.recorded_drift(&paved_app::scaffold::drift::DriftScope::default()).await?;
    let services = state.org_analysis().await?.services.len();
    let content = html! {
        p.answer data-answer { strong { (paved_app::render::answer(&report)) } }
        (measure_of_success(&report.self_service))
        section aria-labelledby="test" {
            h2 id="test" { "The four-line test" }
            (four_lines(&report.test))
            p {
                "Phase: " strong data-phase { (report.phase.phase.map_or("–", phase_name)) } " — decided "
                (paved_app::render::findings::phase_rule(&report.phase.rule))
            }
            @if let Some(note) = paved_app::render::phase_partial_note(&report.phase) { p data-partial-note { (note) } }
            @if !report.phase.series.is_empty() {
                p { "By month: "
                    @for (i, point) in report.phase.series.iter().enumerate() {
                        @if i > 0 { " → " }
                        (point.period_start.format("%b")) @if point.partial { " (partial)" } " " (point.phase.map_or("–", phase_name))
                    }
                }
            }
        }
        section aria-labelledby="trends" {
            h2 id="trends" { "Who deploys" }
            (paved_app::render::who_deploys_chart(&report))
        }
        section aria-labelledby="delivery" {
            h2 id="delivery" { "Delivery" }
            (dora_tiles(&report.dora))
            (paved_app::render::delivery_charts(&report))
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

/// The overview's first figure (DESIGN §7, the seed's measure of
/// success): production deployments developers performed independently,
/// the latest month first with its share, through pavedroad or from their
/// own CI, the resources they provisioned themselves beside it, the trend,
/// and the deployments others made for them as what it is: the figure to
/// drive to zero.
fn measure_of_success(done: &paved_metrics::SelfService) -> Markup {
    let share = |part: u64, whole: u64| {
        if whole == 0 { "–".to_owned() } else { format!("{:.0} %", part as f64 * 100.0 / whole as f64) }
    };
    let latest = done.series.last();
    let c = latest.map_or(&done.counts, |p| &p.counts);
    let month = latest.map_or_else(
        || "this window".to_owned(),
        |p| format!("{}{}", p.period_start.format("%B %Y"), if p.partial { ", to date (partial month)" } else { "" }),
    );
    let own_ci = c.deployments_by_owners - c.deployments_through_paved;
    let previous = done.series.iter().rev().nth(1).map(|p| &p.counts);
    let trend = previous.map(|p| {
        let before =
            if p.deployments == 0 { None } else { Some(p.deployments_by_owners as f64 / p.deployments as f64) };
        let now = if c.deployments == 0 { None } else { Some(c.deployments_by_owners as f64 / c.deployments as f64) };
        match (before, now) {
            (Some(before), Some(now)) if now > before + 0.005 => {
                format!("up from {:.0} % the month before", before * 100.0)
            }
            (Some(before), Some(now)) if now + 0.005 < before => {
                format!("down from {:.0} % the month before", before * 100.0)
            }
            (Some(_), Some(_)) => "as the month before".to_owned(),
            _ => String::new(),
        }
    });
    html! {
        section aria-labelledby="success" data-success {
            h2 id="success" { "Deployments developers performed independently" }
            div.cards {
                div.card.headline {
                    div.label { (month) }
                    div.value data-independent=(c.deployments_by_owners) { (c.deployments_by_owners) }
                    div.label {
                        "of " (c.deployments) " production deployments (" strong { (share(c.deployments_by_owners, c.deployments)) } ")"
                        @if let Some(trend) = trend.filter(|t| !t.is_empty()) { ", " (trend) }
                        ": " (c.deployments_through_paved) " through pavedroad, " (own_ci) " from their own CI"
                    }
                }
                div.card {
                    div.label { "Resources developers provisioned themselves" }
                    div.value { (c.resources_by_owners) }
                    div.label { "through self-service, no ticket, in " (month) }
                }
                div.card.to-zero {
                    div.label { "Deployments made for teams by others" }
                    div.value data-by-others=(c.deployments_by_others) { (c.deployments_by_others) }
                    div.label { "a DevOps or platform team deploying what it does not own: the figure to drive to zero" }
                }
            }
            table {
                caption { "Per month" }
                thead { tr {
                    th scope="col" { "Month" }
                    th.num scope="col" { "Performed independently" }
                    th.num scope="col" { "Share" }
                    th.num scope="col" { "Through pavedroad" }
                    th.num scope="col" { "From their own CI" }
                    th.num scope="col" { "Made by others" }
                    th.num scope="col" { "Resources provisioned themselves" }
                } }
                tbody { @for p in &done.series { tr {
                    th scope="row" { (paved_app::render::month_label(p.period_start, p.partial)) }
                    td.num { (p.counts.deployments_by_owners) " of " (p.counts.deployments) }
                    td.num { (share(p.counts.deployments_by_owners, p.counts.deployments)) }
                    td.num { (p.counts.deployments_through_paved) }
                    td.num { (p.counts.deployments_by_owners - p.counts.deployments_through_paved) }
                    td.num { (p.counts.deployments_by_others) }
                    td.num { (p.counts.resources_by_owners) }
                } } }
            }
        }
    }
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
