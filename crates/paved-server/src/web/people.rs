//! `/people/{name}`: a person's deployments, pages (after hours marked in
//! their own time zone) and the code they know.

use axum::extract::{Path, Query, State};
use chrono::Timelike;
use maud::{Markup, html};
use paved_domain::EntityRef;

use super::session::Viewer;
use super::{PageWindow, Section, WebError, encode, layout, link, page_path, when};
use crate::AppState;
use paved_app::ScopeRequest;

/// Rows of each table per page.
const PER_PAGE: usize = 50;

/// Which page of each of the person's tables (1 first).
#[derive(Debug, Default, serde::Deserialize)]
pub struct PersonQuery {
    /// The page of their deployments.
    deployments: Option<usize>,
    /// The page of their pages.
    pages: Option<usize>,
}

/// One page of a table: its rows, and links to the pages around it.
struct Paged<'a, T> {
    rows: &'a [T],
    page: usize,
    pages: usize,
    first: usize,
}

impl<'a, T> Paged<'a, T> {
    fn of(all: &'a [T], page: Option<usize>) -> Self {
        let pages = all.len().div_ceil(PER_PAGE).max(1);
        let page = page.unwrap_or(1).clamp(1, pages);
        let first = (page - 1) * PER_PAGE;
        Self { rows: &all[first.min(all.len())..(first + PER_PAGE).min(all.len())], page, pages, first }
    }

    /// "Showing 51–100 of 213", with links to the pages before and after
    /// (`key=N` beside the window's `days`).
    fn pager(&self, total: usize, base: &str, key: &str, days: i64) -> Markup {
        let href = |page: usize| format!("{base}?days={days}&{key}={page}#{key}");
        html! {
            @if self.pages > 1 {
                p.pager {
                    "Showing " (self.first + 1) "–" (self.first + self.rows.len()) " of " (total) ". "
                    @if self.page > 1 { a rel="prev" href=(href(self.page - 1)) { "Newer" } }
                    @if self.page > 1 && self.page < self.pages { " · " }
                    @if self.page < self.pages { a rel="next" href=(href(self.page + 1)) { "Older" } }
                }
            }
        }
    }
}

async fn person_page(
    state: &AppState,
    name: &str,
    window: PageWindow,
    viewer: &Viewer,
    query: &PersonQuery,
) -> Result<Markup, WebError> {
    let org = state.org_analysis().await?;
    let person = EntityRef::parse(name, Some("user"), paved_domain::DEFAULT_NAMESPACE)
        .map_err(|e| WebError::not_found(e.to_string()))?;
    let Some(info) = org.catalog.person(&person) else {
        return Err(WebError::not_found(format!("no person {person} in the catalog")));
    };
    let dataset = org.analysis.dataset();
    let facts = org.analysis.dora().facts();
    let mut deployments: Vec<_> = facts
        .iter()
        .flat_map(|f| &f.deployments)
        .filter(|d| d.actor.as_ref() == Some(&person) && window.window.contains(d.finished))
        .collect();
    // Newest first, across every service.
    deployments.sort_by_key(|d| std::cmp::Reverse(d.finished));
    let zone: chrono_tz::Tz = info.timezone.as_deref().and_then(|tz| tz.parse().ok()).unwrap_or(chrono_tz::Tz::UTC);
    let mut pages: Vec<(chrono::DateTime<chrono::Utc>, &EntityRef, &paved_metrics::IncidentInput)> = Vec::new();
    for incident in &dataset.incidents {
        for page in incident.pages.iter().filter(|p| p.person.as_ref() == Some(&person) && window.window.contains(p.at))
        {
            pages.push((page.at, &dataset.services[incident.service].service, incident));
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
    let path = page_path(&person);
    let shown_deployments = Paged::of(&deployments, query.deployments);
    let shown_pages = Paged::of(&pages, query.pages);
    let after_hours_pages = pages.iter().filter(|p| after_hours(p.0)).count();
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
            (shown_deployments.pager(deployments.len(), &path, "deployments", window.days))
            table data-deployments {
                thead { tr { th scope="col" { "Finished" } th scope="col" { "Service" } th scope="col" { "Own service?" } } }
                tbody {
                    @for d in shown_deployments.rows {
                        @let service = &dataset.services[d.service];
                        tr {
                            td { a href=(format!("/deployments/{}", encode(&d.key))) { (when(d.finished)) } }
                            td { (link(&service.service)) }
                            td { (if service.owners.contains(&person) { "yes" } else { "no" }) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="pages" {
            h2 id="pages" { "Pages (" (pages.len()) ", " (after_hours_pages) " after hours)" }
            @if pages.is_empty() { p { "Not paged in this window." } }
            (shown_pages.pager(pages.len(), &path, "pages", window.days))
            table data-pages {
                thead { tr { th scope="col" { "When (their time)" } th scope="col" { "Service" } th scope="col" { "Incident" } } }
                tbody {
                    @for (at, service, incident) in shown_pages.rows {
                        tr {
                            td { (at.with_timezone(&zone).format("%Y-%m-%d %H:%M"))
                                @if after_hours(*at) { " " span.after-hours { "after hours" } } }
                            td { (link(service)) }
                            td { a href=(format!("/incidents/{}", encode(&incident.key))) { (incident.title.as_deref().unwrap_or(&incident.key)) } }
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
    Query(query): Query<PersonQuery>,
) -> Result<Markup, WebError> {
    person_page(&state, &name, window, &viewer, &query).await
}
