//! `/report`: the whole diagnosis, as `paved report` prints it, with links
//! to the evidence.

use axum::extract::State;
use maud::{Markup, html};
use paved_metrics::BenchmarkTable;

use super::overview::phase_name;
use super::{
    PageWindow, Section, WebError, dora_tiles, finding, four_lines, layout, link, percent, self_service, verdict,
};
use crate::AppState;
use paved_app::ScopeRequest;

/// `GET /report`.
pub async fn page(State(state): State<AppState>, window: PageWindow) -> Result<Markup, WebError> {
    let report = state.report(&ScopeRequest::Org, window.window, BenchmarkTable::default()).await?;
    let lines = [
        ("Deploy own code", &report.test.deploy_own_code),
        ("On call for own services", &report.test.on_call_own_services),
        ("Own pipelines", &report.test.own_pipelines),
        ("Provision what they need", &report.test.self_provision),
    ];
    let k = &report.bus_factors;
    let content = html! {
        p.answer data-answer { strong { (paved_app::render::answer(&report)) } }
        section aria-labelledby="test" {
            h2 id="test" { "The four-line test" }
            (four_lines(&report.test))
            table {
                caption { "Each line per month" }
                thead { tr { th scope="col" { "Line" } @for p in &report.test.deploy_own_code.series { th scope="col" { (paved_app::render::month_label(p.period_start, p.partial)) } } } }
                tbody {
                    @for (name, line) in lines {
                        tr { th scope="row" { (name) } @for p in &line.series { td { (percent(p.value)) " " (verdict(p.verdict)) } } }
                    }
                }
            }
        }
        section aria-labelledby="self-service" {
            h2 id="self-service" { "What developers did themselves" }
            (self_service(&report.self_service))
        }
        section aria-labelledby="phase" {
            h2 id="phase" { "Transition phase: " (report.phase.phase.map_or("–", phase_name)) }
            p { (paved_app::render::findings::phase_rule(&report.phase.rule)) }
            @if let Some(note) = paved_app::render::phase_partial_note(&report.phase) { p data-partial-note { (note) } }
            ul { @for p in &report.phase.series { li { (paved_app::render::month_label(p.period_start, p.partial)) ": " (p.phase.map_or("–", phase_name)) } } }
        }
        section aria-labelledby="findings" {
            h2 id="findings" { "The four dysfunctions" }
            @for f in &report.findings { (finding(f, 20)) }
        }
        section aria-labelledby="knowledge" {
            h2 id="knowledge" { "Knowledge concentration" }
            p { "Bus factor of deployments " (k.scope.deployments.bus_factor) ", acknowledgements " (k.scope.acknowledgements.bus_factor)
                ", pages " (k.scope.pages.bus_factor) "; runbook coverage " (percent(k.runbook_coverage)) "." }
            table {
                caption { "After-hours pages (22:00–07:00 in each person's time zone)" }
                thead { tr { th scope="col" { "Person" } th scope="col" { "Team" } th.num scope="col" { "After hours" } th.num scope="col" { "All pages" } } }
                tbody {
                    @for a in k.after_hours.iter().take(10) {
                        tr { th scope="row" { (link(&a.person)) } td { @if let Some(t) = &a.team { (link(t)) } } td.num { (a.after_hours_pages) } td.num { (a.pages) } }
                    }
                }
            }
            table {
                caption { "Code truck factor per repository" }
                thead { tr { th scope="col" { "Services" } th.num scope="col" { "Truck factor" } th scope="col" { "Authors" } th.num scope="col" { "Files" } } }
                tbody {
                    @for t in &k.truck_factors {
                        tr {
                            td { @for (i, s) in t.services.iter().enumerate() { @if i > 0 { ", " } (link(s)) } }
                            td.num { (t.truck_factor) } td { (t.authors.join(", ")) } td.num { (t.files) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="delivery" { h2 id="delivery" { "Delivery (DORA)" } (dora_tiles(&report.dora)) }
    };
    Ok(layout(
        "The report",
        Section::Report,
        "/report",
        &window,
        &format!("/api/v1/report?{}", window.api_query()),
        content,
    ))
}
