//! `/teams` and `/teams/{name}`: each team's people, services, figures,
//! findings, who is on call now and next (with the overrides of its
//! Schedules and the form to make one), and after-hours pages.

use std::collections::HashSet;

use axum::extract::{Path, State};
use chrono::Utc;
use maud::{Markup, html};
use paved_domain::EntityRef;
use paved_metrics::{BenchmarkTable, OutsideWork};

use super::session::Viewer;
use super::{
    PageWindow, Section, WebError, dora_tiles, encode, finding, four_lines, layout, link, oncall, page_path, percent,
    verdict,
};
use crate::AppState;
use paved_app::ScopeRequest;
use paved_app::oncall::OnCallScope;

/// `GET /teams`.
pub async fn list(State(state): State<AppState>, window: PageWindow) -> Result<Markup, WebError> {
    let org = state.org_analysis().await?;
    // Each service's owner once, not once per team and service.
    let owners: Vec<String> =
        org.catalog.services().iter().filter_map(|info| info.owner.as_ref().map(EntityRef::key)).collect();
    let mut rows = Vec::new();
    for (group, info) in org.catalog.teams() {
        let teams: HashSet<String> = org.catalog.group_and_descendants(group).iter().map(EntityRef::key).collect();
        let owned = owners.iter().filter(|owner| teams.contains(*owner)).count();
        let report = state
            .analysis
            .report_of(&org, &ScopeRequest::Team(group.to_string()), window.window, BenchmarkTable::default())
            .await?;
        rows.push((group.clone(), info.members.len(), owned, info.role.clone(), report));
    }
    let content = html! {
        table {
            thead { tr {
                th scope="col" { "Team" } th.num scope="col" { "People" } th.num scope="col" { "Services" }
                th scope="col" { "Deploy own code" } th scope="col" { "On call for own services" } th.num scope="col" { "Deployments" }
            } }
            tbody {
                @for (group, members, services, role, report) in &rows {
                    tr {
                        th scope="row" { (link(group)) @if role.as_deref() == Some("platform") { " (platform)" } }
                        td.num { (members) } td.num { (services) }
                        td { (percent(report.test.deploy_own_code.value)) " " (verdict(report.test.deploy_own_code.verdict)) }
                        td { (percent(report.test.on_call_own_services.value)) " " (verdict(report.test.on_call_own_services.verdict)) }
                        td.num { (report.dora.figures.deployment_frequency.deployments) }
                    }
                }
            }
        }
    };
    Ok(layout("Teams", Section::Teams, "/teams", &window, "/api/v1/entities?kind=group", content))
}

/// `GET /teams/{name}`.
async fn team_page(state: &AppState, name: &str, window: PageWindow, viewer: &Viewer) -> Result<Markup, WebError> {
    let org = state.org_analysis().await?;
    let group = EntityRef::parse(name, Some("group"), paved_domain::DEFAULT_NAMESPACE)
        .map_err(|e| WebError::not_found(e.to_string()))?;
    let Some(info) = org.catalog.group(&group) else {
        return Err(WebError::not_found(format!("no team {group} in the catalog")));
    };
    let report = state
        .analysis
        .report(state, &ScopeRequest::Team(group.to_string()), window.window, BenchmarkTable::default())
        .await?;
    let owned: Vec<EntityRef> = org.services.iter().filter(|s| org.catalog.team_owns(&group, s)).cloned().collect();
    let schedules: Vec<EntityRef> = org
        .catalog
        .schedules()
        .into_iter()
        .filter(|s| org.catalog.team_owns_schedule(&group, &s.entity_ref))
        .map(|s| s.entity_ref.clone())
        .collect();
    let on_call = state.who_is_on_call(&OnCallScope::Team(group.to_string()), None).await?;
    let now = Utc::now();
    // What its services provisioned (a team above others sees theirs too).
    let resources: Vec<paved_store::StoredResource> = state
        .store
        .resources(None, None)
        .await?
        .into_iter()
        .filter(|r| owned.iter().any(|s| s.key() == r.service.key()))
        .collect();
    let mut overrides = Vec::new();
    for schedule in &schedules {
        overrides.extend(state.overrides(Some(&schedule.to_string()), now).await?);
    }
    overrides.sort_by(|a, b| a.start.cmp(&b.start).then(a.id.cmp(&b.id)));
    let golden: Vec<paved_app::scaffold::drift::ServiceDrift> = state
        .recorded_drift(&paved_app::scaffold::drift::DriftScope::default())
        .await?
        .into_iter()
        .filter(|d| owned.iter().any(|s| s.key() == d.service.key()))
        .collect();
    let scope = paved_app::scorecards::ScoreScope { service: None, team: Some(group.to_string()) };
    let scores = state.kept_scores(&scope).await?;
    let members: Vec<&EntityRef> = info.members.iter().collect();
    let content = html! {
        section aria-labelledby="people" {
            h2 id="people" { "People" }
            @if members.is_empty() { p { "This team has no members in the catalog." } }
            table {
                thead { tr { th scope="col" { "Person" } th.num scope="col" { "After-hours pages" } th.num scope="col" { "Pages" } } }
                tbody {
                    @for member in &members {
                        @let pages = report.bus_factors.after_hours.iter().find(|a| &&a.person == member);
                        tr {
                            th scope="row" { (link(member)) }
                            td.num { (pages.map_or(0, |a| a.after_hours_pages)) }
                            td.num { (pages.map_or(0, |a| a.pages)) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="services" {
            h2 id="services" { "Services" }
            @if owned.is_empty() { p { "This team owns no service." } }
            ul { @for service in &owned { li { (link(service)) } } }
        }
        (super::templates::golden_paths_section(&golden, owned.len()))
        (super::scorecards::team_panel(&scores))
        (oncall::panel(&on_call))
        (oncall::overrides_section(viewer, &org.catalog, &group, &schedules, &overrides))
        (super::services::resources_section("paved provision MODULE --service SERVICE", &resources, None))
        section aria-labelledby="test" { h2 id="test" { "The four-line test" } (four_lines(&report.test)) }
        @if let Some(outside) = &report.outside_work { (work_for_others(outside)) }
        section aria-labelledby="delivery" { h2 id="delivery" { "Delivery" } (dora_tiles(&report.dora)) }
        section aria-labelledby="findings" {
            h2 id="findings" { "Findings" }
            @for f in &report.findings { (finding(f, 5)) }
        }
    };
    let path = page_path(&group);
    Ok(layout(
        &format!("Team {}", group.name()),
        Section::Teams,
        &path,
        &window,
        &format!("/api/v1/report?team={}&{}", encode(group.name()), window.api_query()),
        content,
    ))
}

/// What the team's people did to services the team does not own: the
/// four-line test above only reads the team's own services.
fn work_for_others(outside: &OutsideWork) -> Markup {
    html! {
        section aria-labelledby="others" data-outside-deployments=(outside.deployments) {
            h2 id="others" { "Work for other teams" }
            @if outside.is_empty() {
                p { "Its people deployed, changed pipelines or infrastructure of, and were on call for only the team's own services." }
            } @else {
                p {
                    "Its people made " strong { (outside.deployments) } " production deployments to services of other teams, against "
                    (outside.own_deployments) " to its own"
                    @if let Some(share) = outside.share_of_their_deployments { " (" (percent(Some(share))) " of those services' deployments)" }
                    "; " (outside.pipeline_commits) " pipeline and " (outside.infrastructure_commits) " infrastructure commits to their repositories; "
                    (outside.acknowledgements) " of their incidents acknowledged first; " (outside.on_call_hours) " hours on call for them."
                }
                @if !outside.services.is_empty() {
                    table {
                        caption { "Deployments to other teams' services" }
                        thead { tr { th scope="col" { "Service" } th.num scope="col" { "Deployments" } } }
                        tbody { @for s in &outside.services { tr { th scope="row" { (link(&s.service)) } td.num { (s.deployments) } } } }
                    }
                    table {
                        caption { "Who made them" }
                        thead { tr { th scope="col" { "Person" } th.num scope="col" { "Deployments" } } }
                        tbody { @for d in &outside.deployers { tr { th scope="row" { (link(&d.person)) } td.num { (d.deployments) } } } }
                    }
                }
            }
        }
    }
}

/// `GET /teams/{name}` (handler).
pub async fn page(
    State(state): State<AppState>,
    Path(name): Path<String>,
    window: PageWindow,
    viewer: Viewer,
) -> Result<Markup, WebError> {
    team_page(&state, &name, window, &viewer).await
}
