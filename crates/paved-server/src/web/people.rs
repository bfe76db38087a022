//! `/people/{name}`: a person's deployments, pages (after hours marked in
//! their own time zone) and the code they know.

use axum::extract::{Path, State};
use chrono::Timelike;
use maud::{Markup, html};
use paved_domain::EntityRef;

use super::session::Viewer;
use super::{PageWindow, Section, WebError, encode, layout, link, page_path, when};
use crate::AppState;
use paved_app::ScopeRequest;

async fn person_page(state: &AppState, name: &str, window: PageWindow, viewer: &Viewer) -> Result<Markup, WebError> {
    let org = state.org_analysis().await?;
    let person = EntityRef::parse(name, Some("user"), paved_domain::DEFAULT_NAMESPACE)
        .map_err(|e| WebError::not_found(e.to_string()))?;
    let Some(info) = org.catalog.person(&person) else {
        return Err(WebError::not_found(format!("no person {person} in the catalog")));
    };
    let dataset = org.analysis.dataset();
    let facts = org.analysis.dora().facts();
    let deployments: Vec<_> = facts
        .iter()
        .flat_map(|f| &f.deployments)
        .filter(|d| d.actor.as_ref() == Some(&person) && window.window.contains(d.finished))
        .collect();
    let zone: chrono_tz::Tz = info.timezone.as_deref().and_then(|tz| tz.parse().ok()).unwrap_or(chrono_tz::Tz::UTC);
    let mut pages: Vec<(chrono::DateTime<chrono::Utc>, &EntityRef, &str)> = Vec::new();
    for incident in &dataset.incidents {
        for page in incident.pages.iter().filter(|p| p.person.as_ref() == Some(&person) && window.window.contains(p.at))
        {
            pages.push((page.at, &dataset.services[incident.service].service, incident.key.as_str()));
        }
    }
    pages.sort_by_key(|page| std::cmp::Reverse(page.0));
    let after_hours = |at: chrono::DateTime<chrono::Utc>| {
        let hour = at.with_timezone(&zone).hour();
        !(7..22).contains(&hour)
    };
    let key = person.to_string();
    let contacts = state.contacts(&key).await?;
    // The code they know: files they are an author of, by repository, from
    // the organisation's report (kept for the window; truck factors cover
    // whole histories).
    let report = state
        .analysis
        .report_of(&org, &ScopeRequest::Org, window.window, paved_metrics::BenchmarkTable::default())
        .await?;
    let known: Vec<(Vec<EntityRef>, u64, u64)> = report
        .bus_factors
        .truck_factors
        .iter()
        .filter_map(|truck| {
            let files = truck.file_authors.iter().find(|(author, _)| author == &key)?.1;
            Some((truck.services.clone(), files, truck.files))
        })
        .collect();
    let content = html! {
        p {
            (info.display_name)
            @if !info.groups.is_empty() { " · " @for (i, g) in info.groups.iter().enumerate() { @if i > 0 { ", " } (link(g)) } }
            " · time zone " (zone.name())
            " · " a.calendar href={ "/oncall/people/" (super::encode(person.name())) ".ics" } { "on-call calendar" }
        }
        (super::contacts::section(viewer, &contacts))
        section aria-labelledby="deployments" {
            h2 id="deployments" { "Production deployments (" (deployments.len()) ")" }
            @if deployments.is_empty() { p { "None in this window." } }
            table {
                thead { tr { th scope="col" { "Finished" } th scope="col" { "Service" } th scope="col" { "Own service?" } } }
                tbody {
                    @for d in deployments.iter().rev().take(30) {
                        @let service = &dataset.services[d.service];
                        tr {
                            td { (when(d.finished)) }
                            td { (link(&service.service)) }
                            td { (if service.owners.contains(&person) { "yes" } else { "no" }) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="pages" {
            h2 id="pages" { "Pages (" (pages.len()) ", " (pages.iter().filter(|p| after_hours(p.0)).count()) " after hours)" }
            @if pages.is_empty() { p { "Not paged in this window." } }
            table {
                thead { tr { th scope="col" { "When (their time)" } th scope="col" { "Service" } th scope="col" { "Incident" } } }
                tbody {
                    @for (at, service, incident) in pages.iter().take(50) {
                        tr {
                            td { (at.with_timezone(&zone).format("%Y-%m-%d %H:%M"))
                                @if after_hours(*at) { " " span.after-hours { "after hours" } } }
                            td { (link(service)) }
                            td { (incident) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="code" {
            h2 id="code" { "The code they know" }
            @if known.is_empty() { p { "They are not a main author of any file (degree of authorship)." } }
            ul {
                @for (services, files, total) in &known {
                    li { "Author of " (files) " of the " (total) " files of "
                        @for (i, s) in services.iter().enumerate() { @if i > 0 { ", " } (link(s)) } }
                }
            }
        }
    };
    let path = page_path(&person);
    Ok(layout(
        person.name(),
        Section::People,
        &path,
        &window,
        &format!("/api/v1/entities/user/{}/{}", encode(person.namespace()), encode(person.name())),
        content,
    ))
}

/// `GET /people/{name}`.
pub async fn page(
    State(state): State<AppState>,
    Path(name): Path<String>,
    window: PageWindow,
    viewer: Viewer,
) -> Result<Markup, WebError> {
    person_page(&state, &name, window, &viewer).await
}
