//! Incidents in the web UI: an incident's page with its escalation and
//! every page it sent (delivered, retried, failed), the acknowledge and
//! resolve forms for a signed-in person, and the pages' signed links: a
//! link shows a confirm page, and only its form (a POST through the session
//! guard, like every form) acts, so that mail scanners and link previews
//! change nothing.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use paved_app::paging::PageAnswer;
use paved_app::record::RecordAction;
use paved_domain::{Record, RecordKind};
use paved_notify::links::Action;
use serde::Deserialize;

use super::session::{Viewer, csrf_field};
use super::{PageWindow, Section, WebError, encode, layout, link, when};
use crate::AppState;

/// `GET /incidents/{key}`.
pub async fn page(
    State(state): State<AppState>,
    Path(key): Path<String>,
    viewer: Viewer,
    window: PageWindow,
) -> Result<Markup, WebError> {
    let Some(Record::Incident(incident)) = state.store.record(RecordKind::Incident, &key).await? else {
        return Err(WebError::new(StatusCode::NOT_FOUND, format!("no incident `{key}` is recorded")));
    };
    let escalation = state.store.escalation(&key).await?;
    let notifications = state.store.notifications(&key).await?;
    let title = incident.title.clone().unwrap_or_else(|| key.clone());
    let content = html! {
        dl class="facts" {
            dt { "Service" } dd { @match &incident.service { Some(s) => (link(s)), None => { (incident.service_name.as_deref().unwrap_or("unknown")) " (not in the catalog)" } } }
            dt { "Severity" } dd { (incident.severity.as_deref().unwrap_or("unknown")) }
            dt { "Status" } dd data-status=(incident.status().as_str()) { (incident.status().as_str()) }
            dt { "Opened" } dd { (incident.opened_at.map(when).unwrap_or_default()) }
            @if let Some(at) = incident.acknowledged_at {
                dt { "Acknowledged" } dd { (when(at)) @if let Some(by) = &incident.acknowledged_by { " by " (by.to_string()) } }
            }
            @if let Some(at) = incident.resolution() {
                dt { "Resolved" } dd { (when(at)) @if let Some(by) = &incident.resolved_by { " by " (by.to_string()) } }
            }
        }
        @if let Some(caller) = viewer.caller() {
            @if incident.status() != paved_domain::IncidentStatus::Resolved {
                form method="post" action="/incident-answer" class="answer" {
                    (csrf_field(&viewer))
                    input type="hidden" name="key" value=(key);
                    @if incident.acknowledged_at.is_none() {
                        button type="submit" name="answer" value="acknowledge" { "Acknowledge" }
                        " "
                    }
                    button type="submit" name="answer" value="resolve" { "Resolve" }
                    " as " (caller.audit_name())
                }
            }
        }
        section aria-labelledby="escalation" {
            h2 id="escalation" { "Escalation" }
            @match &escalation {
                None => p { "pavedroad paged nobody for it (it was recorded after the fact, opened more than an hour before it arrived, or nothing in the catalog pages for its service)." },
                Some(e) => p data-escalation=(e.state.as_str()) {
                    "Policy " code { (e.policy) } ": " (e.state.as_str())
                    @if e.state == paved_store::EscalationState::Active { "; step " (e.step + 1) " (round " (e.round + 1) ") fires at " (when(e.due_at)) " unless someone acknowledges" }
                    @if let Some(by) = &e.stopped_by { " by " (by) }
                    "."
                },
            }
        }
        section aria-labelledby="pages" {
            h2 id="pages" { "Pages (" (notifications.len()) ")" }
            @if notifications.is_empty() { p { "No page was sent." } }
            @else {
                table {
                    thead { tr { th scope="col" { "Step" } th scope="col" { "Person" } th scope="col" { "Contact" } th scope="col" { "State" } th.num scope="col" { "Attempts" } th scope="col" { "Sent" } th scope="col" { "Receipt or last error" } } }
                    tbody {
                        @for n in &notifications {
                            tr data-notification=(n.id) data-state=(n.state.as_str()) {
                                td { (n.step + 1) @if n.round > 0 { " (round " (n.round + 1) ")" } }
                                td { (n.person.rsplit('/').next().unwrap_or(&n.person)) }
                                td { (n.shown) }
                                td { (n.state.as_str()) }
                                td.num { (n.attempts) }
                                td { (n.sent_at.map(when).unwrap_or_default()) }
                                td { (n.receipt.as_deref().or(n.last_error.as_deref()).unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    };
    let path = format!("/incidents/{}", encode(&key));
    let json = format!("/api/v1/incidents/{}", encode(&key));
    Ok(layout(&title, Section::Services, &path, &window, &json, content))
}

/// The fields of the acknowledge and resolve forms.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    key: String,
    answer: String,
}

/// `POST /incident-answer`: a signed-in person acknowledges or resolves an
/// incident of a service they may act on.
pub async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<AnswerForm>,
) -> Result<Response, WebError> {
    let caller = viewer.signed_in("sign in to answer an incident")?;
    let Some(person) = caller.person() else {
        return Err(WebError::new(StatusCode::FORBIDDEN, "an incident is answered by a person"));
    };
    let action = match form.answer.as_str() {
        "acknowledge" => RecordAction::AcknowledgeIncident(form.key.clone()),
        "resolve" => RecordAction::ResolveIncident(form.key.clone()),
        other => {
            return Err(WebError::new(StatusCode::BAD_REQUEST, format!("`{other}` is not acknowledge or resolve")));
        }
    };
    let body = serde_json::json!({ "by": person.to_string() }).to_string().into_bytes();
    state.record(caller, action, body, chrono::Utc::now()).await?;
    Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/incidents/{}", encode(&form.key)))]).into_response())
}

/// `GET /act/{token}`: what a page's link would do, and a button that does
/// it.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    viewer: Viewer,
    window: PageWindow,
) -> Result<Response, WebError> {
    let (claims, key) = checked(&state, &token).await?;
    let verb = if claims.action == Action::Ack { "Acknowledge" } else { "Resolve" };
    let title = match state.store.record(RecordKind::Incident, &key).await? {
        Some(Record::Incident(incident)) => incident.title.unwrap_or_else(|| key.clone()),
        _ => key.clone(),
    };
    let content = html! {
        p { (verb) " " strong { (title) } " as " (claims.person) "?" }
        form method="post" action={ "/act/" (token) } {
            (csrf_field(&viewer))
            button type="submit" { (verb) }
        }
        p { a href={ "/incidents/" (encode(&key)) } { "See the incident" } }
    };
    Ok(layout(verb, Section::Services, "/act", &window, "/api/v1/openapi.json", content).into_response())
}

/// `POST /act/{token}`: does what the link says, as the person it names.
pub async fn act(
    State(state): State<AppState>,
    Path(token): Path<String>,
    window: PageWindow,
) -> Result<Response, WebError> {
    let (claims, key) = checked(&state, &token).await?;
    let answer = if claims.action == Action::Ack { PageAnswer::Acknowledge } else { PageAnswer::Resolve };
    state.answer_page(claims.incident_id, answer, &claims.person).await?;
    let done = if answer == PageAnswer::Acknowledge { "Acknowledged" } else { "Resolved" };
    let content = html! {
        p class="done" { (done) " as " (claims.person) ". " a href={ "/incidents/" (encode(&key)) } { "See the incident" } }
    };
    Ok(layout(done, Section::Services, "/act", &window, "/api/v1/openapi.json", content).into_response())
}

/// The link's claims and the incident it names, or the page saying why
/// the link does not act.
async fn checked(state: &AppState, token: &str) -> Result<(paved_notify::links::ActionClaims, String), WebError> {
    let Some(links) = &state.links else {
        return Err(WebError::new(StatusCode::SERVICE_UNAVAILABLE, "this server signs no links"));
    };
    let claims = links.verify(token).map_err(|error| WebError::new(StatusCode::BAD_REQUEST, error.to_string()))?;
    match state.store.escalation_by_id(claims.incident_id).await? {
        Some(escalation) => Ok((claims, escalation.incident_key)),
        None => Err(WebError::new(StatusCode::NOT_FOUND, "the link names an incident this server does not know")),
    }
}
