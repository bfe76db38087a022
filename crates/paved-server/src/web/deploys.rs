//! Deploying from the web UI: the Deploy form of a service page (one per
//! DeployTarget), the deploy's page with its checks and a log that follows
//! the deploy without a reload, and the refusal page naming every failed
//! check. The form goes through the session guard like every form.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use paved_app::deploy::{DeployOutcome, DeployRequest};
use paved_domain::{DeployTarget, EntityRef};
use paved_store::{DeployJob, JobFilter};
use serde::Deserialize;

use super::session::{Viewer, csrf_field};
use super::{PageWindow, Section, WebError, encode, layout, link, when};
use crate::AppState;

/// The script that follows a deploy's log (served from this server, as the
/// content security policy allows).
const FOLLOW_SCRIPT: &str = include_str!("deploy-log.js");

/// `GET /assets/deploy-log.js`.
pub async fn script() -> Response {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8"), (CACHE_CONTROL, "public, max-age=300")], FOLLOW_SCRIPT)
        .into_response()
}

/// The Deploy section of a service page: a form per target for a viewer
/// who is signed in, and the service's latest deploys.
pub fn section(
    viewer: &Viewer,
    service: &EntityRef,
    targets: &[&DeployTarget],
    jobs: &[DeployJob],
    versions: &[String],
) -> Markup {
    if targets.is_empty() {
        return html! {};
    }
    html! {
        section aria-labelledby="deploy" {
            h2 id="deploy" { "Deploy" }
            @if viewer.caller().is_none() {
                p { a href={ "/sign-in?next=/services/" (encode(service.name())) } { "Sign in" } " to deploy " (service.name()) "; the checks decide, not a person." }
            } @else {
                @for target in targets {
                    form method="post" action={ "/services/" (encode(service.name())) "/deploy" } class="deploy-form" {
                        (csrf_field(viewer))
                        input type="hidden" name="environment" value=(target.environment);
                        label { "Version to " (target.environment) " "
                            input type="text" name="version" required list="versions" placeholder="a sha, a tag or a version";
                        }
                        label { " Fixes incident (optional) " input type="text" name="fixes"; }
                        " "
                        button type="submit" { "Deploy to " (target.environment) }
                    }
                }
                datalist id="versions" { @for version in versions { option value=(version) {} } }
            }
            @if !jobs.is_empty() {
                table {
                    thead { tr { th { "Deploy" } th { "Version" } th { "Environment" } th { "State" } th { "Who" } th { "Queued" } } }
                    tbody {
                        @for job in jobs {
                            tr {
                                td { a href={ "/deploys/" (job.id) } { (job.id) } }
                                td { code { (job.version) } }
                                td { (job.environment) }
                                td { (job.state.as_str()) @if job.trigger == "rollback" { " (rollback)" } }
                                td { (job.actor.as_deref().unwrap_or(&job.requested_by)) }
                                td { (when(job.created_at)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What the Deploy form sends.
#[derive(Debug, Deserialize)]
pub struct DeployForm {
    environment: String,
    version: String,
    #[serde(default)]
    fixes: Option<String>,
}

/// `POST /services/{name}/deploy`: the deploy, as the signed-in person.
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    viewer: Viewer,
    window: PageWindow,
    Form(form): Form<DeployForm>,
) -> Result<Response, WebError> {
    let caller = viewer.signed_in("sign in to deploy: a deploy is made by a person")?;
    let request = DeployRequest {
        service: name.clone(),
        environment: Some(form.environment),
        version: form.version,
        fixes: form.fixes.filter(|f| !f.trim().is_empty()),
        ..DeployRequest::default()
    };
    match state.deploy(caller, &request, false).await? {
        DeployOutcome::Queued { job, .. } => {
            Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/deploys/{}", job.id))]).into_response())
        }
        DeployOutcome::DryRun(_) => Err(WebError::new(StatusCode::INTERNAL_SERVER_ERROR, "a form never dry-runs")),
        DeployOutcome::Refused(refusal) => {
            let status = if refusal.conflict { StatusCode::CONFLICT } else { StatusCode::FORBIDDEN };
            let content = html! {
                p class="refused" { (refusal.message()) }
                (checks_table(&refusal.check.outcomes.iter().map(|o| (o.check.as_str().to_owned(), o.passed, o.reason.clone())).collect::<Vec<_>>()))
                p { a href={ "/services/" (encode(&name)) } { "Back to " (name) } }
            };
            let page =
                layout("Deploy refused", Section::Services, "/services", &window, "/api/v1/openapi.json", content);
            Ok((status, page).into_response())
        }
    }
}

fn checks_table(checks: &[(String, bool, String)]) -> Markup {
    html! {
        table class="checks" {
            thead { tr { th { "Check" } th { "Verdict" } th { "Why" } } }
            tbody {
                @for (check, passed, reason) in checks {
                    tr { td { code { (check) } } td { @if *passed { "passed" } @else { strong { "failed" } } } td { (reason) } }
                }
            }
        }
    }
}

/// `GET /deploys/{id}`: a deploy, its checks and its log, followed live.
pub async fn page(State(state): State<AppState>, Path(id): Path<i64>, window: PageWindow) -> Result<Markup, WebError> {
    let job = state.deploy_job(id).await?;
    let log = state.deploy_log(id, 0, 5000).await?;
    let rollback = state
        .deploy_jobs(&JobFilter { target: Some(job.target.clone()), limit: 50, ..JobFilter::default() })
        .await?
        .into_iter()
        .find(|other| other.rollback_of == Some(id));
    let checks: Vec<(String, bool, String)> = job
        .checks
        .as_array()
        .map(|checks| {
            checks
                .iter()
                .map(|c| {
                    (
                        c["check"].as_str().unwrap_or_default().to_owned(),
                        c["passed"].as_bool().unwrap_or(false),
                        c["reason"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let service: Option<EntityRef> = job.service.parse().ok();
    let last = log.last().map_or(0, |line| line.seq);
    let content = html! {
        table {
            tbody {
                tr { th scope="row" { "Service" } td { @if let Some(s) = &service { (link(s)) } @else { (job.service) } } }
                tr { th scope="row" { "Version" } td { code { (job.version) } @if let Some(sha) = &job.sha { " (" code { (sha) } ")" } } }
                tr { th scope="row" { "Environment" } td { (job.environment) } }
                tr { th scope="row" { "State" } td id="deploy-state" { (job.state.as_str()) } }
                tr { th scope="row" { "Who" } td { (job.actor.as_deref().unwrap_or("–")) " (asked by " (job.requested_by) ")" } }
                @if let Some(of) = job.rollback_of { tr { th scope="row" { "Rolls back" } td { a href={ "/deploys/" (of) } { "deploy " (of) } } } }
                @if let Some(r) = &rollback { tr { th scope="row" { "Rolled back by" } td { a href={ "/deploys/" (r.id) } { "deploy " (r.id) } } } }
                @if let Some(reason) = &job.break_glass { tr { th scope="row" { "Break glass" } td { strong { (reason) } } } }
                @if let Some(error) = &job.error { tr { th scope="row" { "Why it failed" } td { (error) } } }
                tr { th scope="row" { "Queued" } td { (when(job.created_at)) } }
            }
        }
        @if !checks.is_empty() { h2 { "Checks" } (checks_table(&checks)) }
        h2 { "Log" }
        pre id="deploy-log" data-deploy=(id) data-after=(last) data-done=(job.state.is_final()) {
            @for line in &log { (line.line) "\n" }
        }
        script src="/assets/deploy-log.js" {}
    };
    Ok(layout(
        &format!("Deploy {id}"),
        Section::Services,
        &format!("/deploys/{id}"),
        &window,
        &format!("/api/v1/deploys/{id}"),
        content,
    ))
}
