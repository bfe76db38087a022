//! `/services` (searchable, filterable) and `/services/{name}`: a service's
//! owner, code, on-call, deployments, incidents and figures.

use axum::extract::{Path, Query, State};
use maud::{Markup, html};
use paved_domain::{Record, RecordKind};
use paved_metrics::{BenchmarkTable, ChangeSet, FailureRule, Verdict};
use serde::Deserialize;

use super::{
    PageWindow, Section, WebError, dora_tiles, duration, encode, external_link, finding, four_lines, layout, link,
    page_path, percent, verdict, when,
};
use crate::AppState;
use paved_app::ScopeRequest;
use paved_app::render::charts::bars;
use paved_app::scaffold::drift::{DriftScope, ServiceDrift};
use paved_app::services::ServiceOverview;

/// Filters of `/services`.
#[derive(Debug, Default, Deserialize)]
pub struct ServiceFilters {
    /// Text in the name, title or description.
    q: Option<String>,
    /// Owning team.
    owner: Option<String>,
    /// System.
    system: Option<String>,
    /// Lifecycle.
    lifecycle: Option<String>,
    /// Verdict of "developers deploy their own code".
    verdict: Option<String>,
}

fn selected(value: &Option<String>, option: &str) -> bool {
    value.as_deref() == Some(option)
}

/// `GET /services`.
pub async fn list(
    State(state): State<AppState>,
    Query(filters): Query<ServiceFilters>,
    window: PageWindow,
) -> Result<Markup, WebError> {
    let org = state.org_analysis().await?;
    let infos = org.catalog.services();
    let drift: std::collections::HashMap<String, ServiceDrift> =
        state.recorded_drift(&DriftScope::default()).await?.into_iter().map(|d| (d.service.key(), d)).collect();
    let owners: std::collections::BTreeSet<String> =
        infos.iter().filter_map(|i| i.owner.as_ref()).map(|o| o.name().to_owned()).collect();
    let systems: std::collections::BTreeSet<String> =
        infos.iter().filter_map(|i| i.system.as_ref()).map(|o| o.name().to_owned()).collect();
    let lifecycles: std::collections::BTreeSet<String> = infos.iter().filter_map(|i| i.lifecycle.clone()).collect();
    let needle = filters.q.as_deref().map(str::to_lowercase).filter(|q| !q.is_empty());
    let mut rows = Vec::new();
    for info in infos {
        let name = info.entity_ref.name();
        if needle.as_ref().is_some_and(|q| !name.to_lowercase().contains(q.as_str())) {
            continue;
        }
        if filters
            .owner
            .as_deref()
            .is_some_and(|o| !o.is_empty() && info.owner.as_ref().is_none_or(|owner| owner.name() != o))
        {
            continue;
        }
        if filters
            .system
            .as_deref()
            .is_some_and(|s| !s.is_empty() && info.system.as_ref().is_none_or(|sys| sys.name() != s))
        {
            continue;
        }
        if filters.lifecycle.as_deref().is_some_and(|l| !l.is_empty() && info.lifecycle.as_deref() != Some(l)) {
            continue;
        }
        let report = state
            .analysis
            .report_of(
                &org,
                &ScopeRequest::Service(info.entity_ref.to_string()),
                window.window,
                BenchmarkTable::default(),
            )
            .await?;
        let line = &report.test.deploy_own_code;
        if filters.verdict.as_deref().is_some_and(|v| !v.is_empty() && line.verdict.as_str() != v) {
            continue;
        }
        rows.push((info.clone(), report));
    }
    let content = html! {
        p { a href="/templates" { "Start a new service on a golden path" } }
        form.filters method="get" action="/services" role="search" {
            input type="hidden" name="days" value=(window.days);
            label { "Search" input type="search" name="q" value=[filters.q.as_deref()]; }
            label { "Owner" select name="owner" {
                option value="" { "any" }
                @for o in &owners { option value=(o) selected[selected(&filters.owner, o)] { (o) } }
            } }
            label { "System" select name="system" {
                option value="" { "any" }
                @for s in &systems { option value=(s) selected[selected(&filters.system, s)] { (s) } }
            } }
            label { "Lifecycle" select name="lifecycle" {
                option value="" { "any" }
                @for l in &lifecycles { option value=(l) selected[selected(&filters.lifecycle, l)] { (l) } }
            } }
            label { "Deploys own code" select name="verdict" {
                option value="" { "any" }
                @for v in [Verdict::Culture, Verdict::Transition, Verdict::Role, Verdict::NoData] {
                    option value=(v.as_str()) selected[selected(&filters.verdict, v.as_str())] { (v.as_str()) }
                }
            } }
            button type="submit" { "Filter" }
        }
        p { (paved_app::render::findings::count(rows.len() as u64, "service", "services")) }
        // At phone width the table keeps what answers the question (the
        // service, who owns it, whether they deploy it); `.wide` columns go.
        table.services {
            thead { tr {
                th scope="col" { "Service" } th scope="col" { "Owner" } th scope="col" data-verdict-column { "Deploy own code" }
                th.wide scope="col" { "System" } th.wide scope="col" { "Lifecycle" }
                th.num.wide scope="col" { "Deployments" } th.wide scope="col" { "Lead time" }
                th.wide scope="col" { "Golden path" }
            } }
            tbody {
                @for (info, report) in &rows {
                    tr {
                        th scope="row" { (link(&info.entity_ref)) }
                        td { @if let Some(owner) = &info.owner { (link(owner)) } @else { "none" } }
                        td { (percent(report.test.deploy_own_code.value)) " " (verdict(report.test.deploy_own_code.verdict)) }
                        td.wide { (info.system.as_ref().map_or("–", |s| s.name())) }
                        td.wide { (info.lifecycle.as_deref().unwrap_or("–")) }
                        td.num.wide { (report.dora.figures.deployment_frequency.deployments) }
                        td.wide { (duration(report.dora.figures.lead_time_for_changes.median_seconds)) }
                        td.wide { (super::templates::drift_cell(drift.get(&info.entity_ref.key()))) }
                    }
                }
            }
        }
    };
    Ok(layout("Services", Section::Services, "/services", &window, "/api/v1/entities?kind=component", content))
}

fn rule_text(rule: FailureRule) -> &'static str {
    match rule {
        FailureRule::Incident => "failed: incident linked",
        FailureRule::Rollback => "failed: rolled back",
        FailureRule::AttributionWindow => "failed: incident within 24 h",
    }
}

async fn service_page(
    state: &AppState,
    name: &str,
    window: PageWindow,
    viewer: &super::session::Viewer,
) -> Result<Markup, WebError> {
    let overview = state.service_overview(name, window.window).await?;
    let service = &overview.info.entity_ref;
    let catalog = state.catalog.current().await?;
    let targets = catalog.deploy_targets_of(service);
    let filter = paved_store::JobFilter { service: Some(service.to_string()), limit: 10, ..Default::default() };
    let jobs = if targets.is_empty() { Vec::new() } else { state.deploy_jobs(&filter).await? };
    // Versions offered: what was deployed lately, newest first.
    let mut versions: Vec<String> = jobs.iter().map(|job| job.version.clone()).collect();
    versions.extend(overview.deployments.iter().filter_map(|d| d.deployment.sha.clone()));
    versions.dedup();
    let deploy = super::deploys::section(viewer, service, &targets, &jobs, &versions);
    let resources = state.store.resources(Some(service), None).await?;
    let audit = audit_section(state, viewer, service).await?;
    let deploy = html! { (deploy) (super::resources::section(viewer, &catalog, service, &resources)) (audit) };
    Ok(service_markup(&overview, &window, deploy))
}

/// The service's audit trail, the latest 20 entries, for a signed-in
/// owner or an admin (others see nothing of it: the application refuses
/// them, and the panel is left out).
async fn audit_section(
    state: &AppState,
    viewer: &super::session::Viewer,
    service: &paved_domain::EntityRef,
) -> Result<Markup, WebError> {
    let Some(caller) = viewer.caller() else { return Ok(html! {}) };
    let query = paved_app::audit::AuditQuery { service: Some(service.to_string()), limit: 20, ..Default::default() };
    let (entries, total) = match state.audit_trail(caller, &query).await {
        Ok(found) => found,
        Err(paved_app::AppError::Forbidden(_)) => return Ok(html! {}),
        Err(error) => return Err(error.into()),
    };
    Ok(html! {
        section aria-labelledby="audit" data-audit {
            h2 id="audit" { "Audit trail (" (total) ")" }
            @if entries.is_empty() { p { "Nothing done on this service through pavedroad yet." } }
            @else {
                table {
                    thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Decision" } th scope="col" { "Why" } } }
                    tbody {
                        @for entry in &entries {
                            tr {
                                td { (super::when(entry.at)) }
                                td { (entry.actor) }
                                td { (entry.action) @if !entry.target.is_empty() { " " (entry.target) } }
                                td { (entry.decision.map_or("–", paved_store::AuditDecision::as_str)) }
                                td { (entry.detail.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
                @if total > entries.len() as u64 {
                    p { "The latest " (entries.len()) "; every entry: " code { "paved audit --service " (service.name()) } " or " a href=(format!("/api/v1/audit?service={}", super::encode(service.name()))) { "the API" } "." }
                }
            }
        }
    })
}

/// What a service (or a team's services) provisioned themselves (`paved
/// provision`), without secrets; `hint` is the command that asks for one;
/// `remove`, when the viewer may remove them, renders a resource's remove
/// form in a last column.
pub(super) fn resources_section(
    hint: &str,
    resources: &[paved_store::StoredResource],
    remove: Option<&dyn Fn(&paved_store::StoredResource) -> Markup>,
) -> Markup {
    html! {
        section aria-labelledby="resources" {
            h2 id="resources" { "Provisioned resources (" (resources.len()) ")" }
            @if resources.is_empty() {
                p { "None yet. Owners ask for one with " code { (hint) } "." }
            } @else {
                table.resources {
                    thead { tr { th scope="col" { "Resource" } th scope="col" { "Service" } th scope="col" { "Module" } th scope="col" { "State" } th scope="col" { "Outputs" } th scope="col" { "Asked by" }
                        @if remove.is_some() { th scope="col" { "Remove" } } } }
                    tbody {
                        @for r in resources {
                            tr data-resource=(r.entity_ref.name()) data-state=(r.state.as_str()) {
                                td { (r.entity_ref.name()) }
                                td { (link(&r.service)) }
                                td { (r.module.name()) }
                                td { (r.state.as_str()) @if let Some(error) = &r.error { ": " (error) } }
                                td { @if let Some(outputs) = r.outputs.as_ref().and_then(|o| o.as_object()) {
                                    @for (i, (k, v)) in outputs.iter().enumerate() { @if i > 0 { ", " } (k) " " code { (v.as_str().map_or_else(|| v.to_string(), str::to_owned)) } }
                                } }
                                td { (r.requested_by) " · " (super::when(r.created_at)) }
                                @if let Some(remove) = remove { td { (remove(r)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The page of one service, laid out from its overview.
fn service_markup(overview: &ServiceOverview, window: &PageWindow, deploy: Markup) -> Markup {
    let ServiceOverview { info, report, owners, deployments, incidents, schedule, on_call, .. } = overview;
    let service = &info.entity_ref;
    let person_of = |identity: &paved_domain::Identity| overview.person_of(identity);
    let breakdown = &report.dora.figures.lead_time_breakdown;
    let hours = |s: Option<f64>| s.map(|s| s / 3600.0);
    let bus = report.bus_factors.services.first();
    let content = html! {
        section aria-labelledby="about" {
            h2 id="about" { "About" }
            table {
                tbody {
                    tr { th scope="row" { "Owner" } td { @if let Some(owner) = &info.owner { (link(owner)) } @else { "none" } } }
                    tr { th scope="row" { "System" } td { (info.system.as_ref().map_or("–", |s| s.name())) } }
                    tr { th scope="row" { "Golden path" } td { (super::templates::drift_cell(overview.golden_path.as_ref()))
                        @if overview.golden_path.is_some() { " (" code { "paved drift --service " (service.name()) } ")" } } }
                    tr { th scope="row" { "Repository" } td { (info.repo.as_ref().map_or_else(|| "–".to_owned(), ToString::to_string)) }
                        @if !info.paths.is_empty() { " (" (info.paths.join(", ")) ")" } }
                    tr { th scope="row" { "Runbooks" } td {
                        @if info.runbooks.is_empty() { "none" }
                        @for runbook in &info.runbooks { (external_link(runbook)) " " }
                    } }
                    tr { th scope="row" { "On call now" } td {
                        @if on_call.is_empty() { "nobody known" }
                        @for now in on_call.iter() { @if let Some(p) = now.current.as_ref().and_then(|c| c.person.as_ref()) { (link(p)) " " } }
                        @if let Some(schedule) = schedule { " (" (schedule.name()) ")" }
                    } }
                }
            }
        }
        (super::oncall::panel(on_call))
        (super::scorecards::service_panel(service.name(), &overview.scores))
        section aria-labelledby="test" { h2 id="test" { "The four-line test" } (four_lines(&report.test)) }
        section aria-labelledby="delivery" {
            h2 id="delivery" { "Delivery" }
            (dora_tiles(&report.dora))
            (bars(
                "breakdown",
                "Lead time of merged pull requests by stage (median hours)",
                "Horizontal bars: the median hours of coding, pickup, review and deploy",
                &[
                    ("coding".to_owned(), hours(breakdown.coding_median_seconds)),
                    ("pickup".to_owned(), hours(breakdown.pickup_median_seconds)),
                    ("review".to_owned(), hours(breakdown.review_median_seconds)),
                    ("deploy".to_owned(), hours(breakdown.deploy_median_seconds)),
                ],
                "hours",
                |v| format!("{v:.1} h"),
            ))
        }
        section aria-labelledby="deployments" {
            h2 id="deployments" { "Recent deployments" }
            table {
                thead { tr { th scope="col" { "Finished" } th scope="col" { "Environment" } th scope="col" { "Who" } th scope="col" { "Owner?" } th.num scope="col" { "Changes" } th scope="col" { "Outcome" } } }
                tbody {
                    @for acted in deployments {
                        @let d = &acted.deployment;
                        @let fact = overview.deployment_fact(&d.key);
                        @let (human, person) = (acted.human_actor.as_ref(), &acted.person);
                        tr id=(format!("deployment-{}", d.key)) data-deployment=(d.key) {
                            td { a href=(format!("/deployments/{}", encode(&d.key))) { (d.finished_at.or(d.started_at).map_or_else(|| "–".to_owned(), when)) } }
                            td { (d.environment) }
                            td { @if let Some(p) = &person { (link(p)) } @else { (human.map_or_else(|| "unknown".to_owned(), ToString::to_string)) } }
                            td { @if let Some(p) = &person { (if owners.contains(p) { "yes" } else { "no" }) } @else { "–" } }
                            td.num { @match fact.map(|f| f.change_set) {
                                Some(ChangeSet::Known(n)) => (n),
                                Some(ChangeSet::First) => "first",
                                Some(ChangeSet::UnknownCommit) => "unknown",
                                None => "–",
                            } }
                            td { @match fact.and_then(|f| f.failed) {
                                Some(rule) => (rule_text(rule)),
                                None => (d.status.as_str()),
                            } }
                        }
                    }
                }
            }
        }
        section aria-labelledby="incidents" {
            h2 id="incidents" { "Incidents" }
            @if incidents.is_empty() { p { "No incident in this window." } }
            table {
                thead { tr { th scope="col" { "Opened" } th scope="col" { "Title" } th scope="col" { "Acknowledged by" } th scope="col" { "Resolved by" } th scope="col" { "Status" } } }
                tbody {
                    @for i in incidents {
                        tr {
                            td { (i.opened_at.map_or_else(|| "–".to_owned(), when)) }
                            td { (i.title.as_deref().unwrap_or("–")) }
                            td { @match i.acknowledged_by.as_ref().map(|a| (person_of(a), a)) {
                                Some((Some(p), _)) => (link(&p)),
                                Some((None, a)) => (a.to_string()),
                                None => "–",
                            } }
                            td { @match i.resolved_by.as_ref().map(|a| (person_of(a), a)) {
                                Some((Some(p), _)) => (link(&p)),
                                Some((None, a)) => (a.to_string()),
                                None => "–",
                            } }
                            td { (i.status().as_str()) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="knowledge" {
            h2 id="knowledge" { "Knowledge" }
            @if let Some(bus) = bus {
                p { "Bus factor of deployments " (bus.deployments.bus_factor) ", of acknowledgements " (bus.acknowledgements.bus_factor) ", of pages " (bus.pages.bus_factor) "." }
            }
            @for truck in &report.bus_factors.truck_factors {
                p { "Truck factor of its code: " (truck.truck_factor) " (" (truck.files) " files; "
                    (truck.authors.join(", ")) ")." }
            }
        }
        (deploy)
        section aria-labelledby="findings" {
            h2 id="findings" { "Findings" }
            @for f in &report.findings { (finding(f, 5)) }
        }
    };
    let path = page_path(service);
    layout(
        &format!("Service {}", service.name()),
        Section::Services,
        &path,
        window,
        &format!("/api/v1/report?service={}&{}", encode(service.name()), window.api_query()),
        content,
    )
}

/// `GET /services/{name}`.
pub async fn page(
    State(state): State<AppState>,
    Path(name): Path<String>,
    window: PageWindow,
    viewer: super::session::Viewer,
) -> Result<Markup, WebError> {
    service_page(&state, &name, window, &viewer).await
}

async fn deployment_page(state: &AppState, key: &str, window: PageWindow) -> Result<Markup, WebError> {
    let org = state.org_analysis().await?;
    let key = paved_ingest::api::record_key(key);
    let Some(Record::Deployment(d)) = state.store.record(RecordKind::Deployment, &key).await? else {
        return Err(WebError::not_found(format!("no deployment `{key}`")));
    };
    let fact = org.analysis.dora().facts().iter().flat_map(|f| &f.deployments).find(|f| f.key == d.key);
    let acted = state.with_actors(&org.catalog, vec![d]).await?.remove(0);
    let (d, human, person) = (&acted.deployment, acted.human_actor.as_ref(), &acted.person);
    let owners = d.service.as_ref().map(|s| org.catalog.owners_of(s)).unwrap_or_default();
    let content = html! {
        table {
            tbody {
                tr { th scope="row" { "Service" } td { @if let Some(s) = &d.service { (link(s)) } @else { (d.service_name.as_deref().unwrap_or("unknown")) } } }
                tr { th scope="row" { "Environment" } td { (d.environment) @if d.production { " (production)" } } }
                tr { th scope="row" { "Commit" } td { code { (d.sha.as_deref().unwrap_or("–")) } } }
                tr { th scope="row" { "Status" } td { (d.status.as_str()) } }
                tr { th scope="row" { "Started" } td { (d.started_at.map_or_else(|| "–".to_owned(), when)) } }
                tr { th scope="row" { "Finished" } td { (d.finished_at.map_or_else(|| "–".to_owned(), when)) } }
                tr { th scope="row" { "Who" } td {
                    @if let Some(p) = &person { (link(p)) (if owners.contains(p) { " (an owner)" } else { " (not an owner)" }) }
                    @else { (human.map_or_else(|| "unknown".to_owned(), ToString::to_string)) }
                } }
                tr { th scope="row" { "Change set" } td { @match fact.map(|f| f.change_set) {
                    Some(ChangeSet::Known(n)) => { (n) " commit(s)" }
                    Some(ChangeSet::First) => "unknown: the service's first deployment in the data",
                    Some(ChangeSet::UnknownCommit) => "unknown: the commit is not in the imported history",
                    None => "not counted (not a successful production deployment)",
                } } }
                tr { th scope="row" { "Outcome" } td { @match fact.and_then(|f| f.failed) {
                    Some(rule) => (rule_text(rule)),
                    None => (if fact.is_some_and(|f| f.rework) { "succeeded (rework)" } else { "succeeded" }),
                } } }
                @if let Some(url) = &d.url { tr { th scope="row" { "Link" } td { (external_link(url)) } } }
            }
        }
    };
    let path = format!("/deployments/{}", encode(&d.key));
    Ok(layout(
        &format!("Deployment {}", d.key),
        Section::Services,
        &path,
        &window,
        &format!("/api/v1/deployments/{}", encode(&d.key)),
        content,
    ))
}

/// `GET /deployments/{key}`.
pub async fn deployment(
    State(state): State<AppState>,
    Path(key): Path<String>,
    window: PageWindow,
) -> Result<Markup, WebError> {
    deployment_page(&state, &key, window).await
}
