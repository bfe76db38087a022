//! `/data-quality`: what keeps the figures from being complete, and how to
//! fix each: people the catalog does not know, events that could not be
//! normalised, catalog problems, and the notes of the DORA metrics.

use axum::extract::State;
use maud::{Markup, html};
use paved_domain::EventStatus;
use paved_metrics::{BenchmarkTable, Ownership};
use paved_store::EventFilter;

use super::{PageWindow, Section, WebError, layout, link, when};
use crate::AppState;
use paved_app::ScopeRequest;
use paved_app::identities::{IdentityView, identity_report};

/// How many of the newest events that need attention the page lists.
const ATTENTION_SHOWN: u32 = 50;

/// `GET /data-quality`.
pub async fn page(State(state): State<AppState>, window: PageWindow) -> Result<Markup, WebError> {
    let org = state.org_analysis().await?;
    let mut unresolved = identity_report(&state.store, &org.catalog, &state.ingest).await?;
    unresolved.retain(IdentityView::unresolved);
    let failed = state
        .store
        .events(&EventFilter { needs_attention: true, limit: ATTENTION_SHOWN, ..EventFilter::default() })
        .await?;
    let orphans = state.store.orphans().await?;
    let unknown_alerts = state.incidents_without_service(chrono::Utc::now() - chrono::Duration::days(30)).await?;
    let report = state.report(&ScopeRequest::Org, window.window, BenchmarkTable::default()).await?;
    let dataset = org.analysis.dataset();
    let not_owned: Vec<_> = dataset.services.iter().filter(|s| s.ownership != Ownership::Owned).collect();
    let not_imported: Vec<_> = org
        .catalog
        .services()
        .into_iter()
        .filter(|info| info.repo.is_some())
        .filter(|info| {
            org.indices(std::slice::from_ref(&info.entity_ref))
                .first()
                .is_some_and(|i| dataset.services[*i].repo.is_none())
        })
        .collect();
    let how = |identity: &paved_domain::Identity| match identity.kind() {
        paved_domain::IdentityKind::Email => "add it to the User's paved.dev/emails",
        paved_domain::IdentityKind::GitHub => "set the User's github.com/user-login",
        paved_domain::IdentityKind::GitLab => "set the User's gitlab.com/user-login",
        paved_domain::IdentityKind::PagerDuty => "set the User's pagerduty.com/user-id",
        _ => "name the person by a login or e-mail of a catalog User",
    };
    let content = html! {
        section aria-labelledby="identities" {
            h2 id="identities" { "People the catalog does not know (" (unresolved.len()) ")" }
            @if unresolved.is_empty() { p { "Everyone the data names is in the catalog." } }
            @else {
                p { "Fix the catalog, then run " code { "paved events rebuild" } " to attribute their past activity." }
                table {
                    thead { tr { th scope="col" { "Identity" } th scope="col" { "Name" } th.num scope="col" { "Events" } th.num scope="col" { "Commits" } th scope="col" { "How to fix" } } }
                    tbody {
                        @for view in unresolved.iter().take(100) {
                            tr { td { code { (view.identity.to_string()) } } td { (view.display_name.as_deref().unwrap_or("")) }
                                td.num { (view.events) } td.num { (view.commits) } td { (how(&view.identity)) } }
                        }
                    }
                }
            }
        }
        section aria-labelledby="events" {
            h2 id="events" {
                "Events that need attention (" (failed.len())
                @if failed.len() as u32 == ATTENTION_SHOWN { ", the newest" } ")"
            }
            @if failed.is_empty() { p { "Every stored event was normalised, with everything it names found in the catalog, or ignored with a reason." } }
            @else {
                p { "Events that could not be normalised, and events whose service or repository the catalog does not know (their records count for no service). They are kept. Fix the cause (often the catalog), then run " code { "paved events rebuild" } "; " code { "paved events list --needs-attention" } " lists the same events and " code { "paved events show ID" } " prints one." }
                table {
                    thead { tr { th scope="col" { "Id" } th scope="col" { "Received" } th scope="col" { "Source" } th scope="col" { "Type" } th scope="col" { "Outcome" } th scope="col" { "Why" } } }
                    tbody {
                        @for e in &failed {
                            tr data-event=(e.id) { td { (e.id) } td { (when(e.received_at)) } td { (e.source) } td { (e.event_type) }
                                td { (e.status.map_or("not derived", EventStatus::as_str)) } td { (e.reason.as_deref().unwrap_or("")) } }
                        }
                    }
                }
            }
        }
        section aria-labelledby="unknown-alerts" {
            h2 id="unknown-alerts" { "Alerts for services the catalog does not know (" (unknown_alerts.len()) ")" }
            @if unknown_alerts.is_empty() { p { "Every incident of the last 30 days named a service of the catalog." } }
            @else {
                p { "They are never dropped: each pages the organisation's default escalation policy (" code { "default_escalation_policy" } "). Give the alert a " code { "service" } " label naming a Component, or add the Component to the catalog." }
                table {
                    thead { tr { th scope="col" { "Opened" } th scope="col" { "Incident" } th scope="col" { "Service named" } th scope="col" { "Paged" } } }
                    tbody {
                        @for alert in &unknown_alerts {
                            tr data-incident=(alert.incident.key) {
                                td { (alert.incident.opened_at.map(when).unwrap_or_default()) }
                                td { (alert.incident.title.as_deref().unwrap_or(&alert.incident.key)) }
                                td { (alert.incident.service_name.as_deref().unwrap_or("none")) }
                                td { @match &alert.escalation {
                                    Some(e) => { (e.policy) " (" (e.state.as_str()) ")" }
                                    None => { "nobody: configure default_escalation_policy" }
                                } }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="catalog" {
            h2 id="catalog" { "Catalog problems" }
            ul {
                @for s in &not_owned {
                    li { (link(&s.service)) " has no responsible team: "
                        @match s.ownership {
                            Ownership::NoOwner => "set spec.owner to the Group that builds and runs it",
                            Ownership::MissingOwner => "its owner is not in the catalog; add the Group or fix spec.owner",
                            _ => "its owning Group has no members; add the people who build it",
                        }
                    }
                }
                @for info in &not_imported {
                    li { (link(&info.entity_ref)) ": its repository " code { (info.repo.as_ref().map_or_else(String::new, ToString::to_string)) }
                        " is not imported; run " code { "paved import git PATH --repo " (info.repo.as_ref().map_or_else(String::new, ToString::to_string)) } }
                }
                @for orphan in &orphans {
                    li { code { (orphan.entity.entity_ref.to_string()) } " disappeared from " code { (orphan.location) } "; " code { "paved catalog import --prune" } " deletes it" }
                }
                @if not_owned.is_empty() && not_imported.is_empty() && orphans.is_empty() { li { "None." } }
            }
        }
        section aria-labelledby="notes" {
            h2 id="notes" { "What the figures leave out" }
            @if report.dora.notes.is_empty() { p { "Nothing." } }
            ul { @for note in &report.dora.notes { li { (note.message) } } }
        }
    };
    Ok(layout(
        "Data quality",
        Section::Quality,
        "/data-quality",
        &window,
        "/api/v1/identities?unresolved=true",
        content,
    ))
}
