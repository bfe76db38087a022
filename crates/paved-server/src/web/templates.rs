//! `/templates`: the golden paths, each with a form drawn from its form
//! steps, for a signed-in person to start a service; the answer page shows
//! the run's log, its files and its output links. Who may and every value
//! are the application's.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use paved_app::AppError;
use paved_app::scaffold::drift::ServiceDrift;
use paved_app::scaffold::{NewService, Scaffolded};
use paved_domain::Template;
use paved_store::RunKind;
use serde_json::Value;

use super::schema_form::{self, input, parameter_value};
use super::session::{Viewer, csrf_field};
use super::{PageWindow, Section, WebError, encode, layout};
use crate::AppState;

/// The prefix of a form field (`set.name`).
const PARAMETER: &str = "set.";

/// `GET /templates`: every golden path with its form.
pub async fn list(State(state): State<AppState>, viewer: Viewer, window: PageWindow) -> Result<Markup, WebError> {
    let catalog = state.catalog.current().await.map_err(AppError::from)?;
    let templates = catalog.templates();
    let signed_in = viewer.caller().is_some();
    let content = html! {
        p { "Start a service on the paved road: its repository's first commit has an owner, pipelines that deploy through pavedroad, alert rules with runbooks, a dashboard, a runbook and its deploy target. Only members of the owner team may start one for it." }
        @if templates.is_empty() {
            p { "No golden path is in the catalog yet: the platform team imports a " code { "kind: Template" } " (see " code { "examples/templates" } ")." }
        }
        @for template in &templates {
            section.template id={ "template-" (template.entity_ref.name()) } {
                h2 { (template.entity_ref.name()) @if let Some(v) = &template.version { " " small { "version " (v) } } }
                @if signed_in { (run_form(&viewer, template)) } @else {
                    p { a href="/sign-in?next=/templates" { "Sign in" } " to start a service from it." }
                }
            }
        }
    };
    Ok(layout("Golden paths", Section::Services, "/templates", &window, "/api/v1/entities?kind=template", content))
}

fn run_form(viewer: &Viewer, template: &Template) -> Markup {
    let name = template.entity_ref.name();
    let id = |key: &str| format!("{name}-{key}");
    html! {
        form.run-template method="post" action={ "/templates/" (encode(name)) "/runs" } data-template=(name) {
            (csrf_field(viewer))
            @for (i, step) in template.parameters.iter().enumerate() {
                fieldset {
                    legend { (step.get("title").and_then(Value::as_str).map_or_else(|| format!("Step {}", i + 1), str::to_owned)) }
                    @for field in schema_form::fields(step, &|_: &str, _: &str| true) {
                        (input(&id(field.key), &field, PARAMETER))
                    }
                }
            }
            button type="submit" { "Start a service from " (name) }
        }
    }
}

/// `POST /templates/{name}/runs`: a run of the golden path, as the
/// signed-in person.
pub async fn run(
    State(state): State<AppState>,
    Path(name): Path<String>,
    viewer: Viewer,
    window: PageWindow,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let caller = viewer.signed_in("sign in to start a service: it is made for a member of its owner team")?;
    let catalog = state.catalog.current().await.map_err(AppError::from)?;
    let template = catalog.templates().into_iter().find(|t| t.entity_ref.name() == name).cloned();
    let schema_of = |key: &str| {
        template
            .as_ref()
            .and_then(|t| t.parameters.iter().find_map(|step| step.get("properties").and_then(|p| p.get(key)).cloned()))
    };
    let mut set: Vec<(String, String)> = Vec::new();
    for (key, text) in fields {
        let Some(parameter) = key.strip_prefix(PARAMETER) else { continue };
        set.retain(|(k, _)| k != parameter);
        if !text.is_empty() {
            set.push((parameter.to_owned(), parameter_value(schema_of(parameter).as_ref(), &text).to_string()));
        }
    }
    match state.scaffold(caller, &NewService { template: name, set, dry_run: false }).await {
        Ok(run) => Ok(done_page(&run, &window)),
        Err(error) => {
            let page = super::Refused {
                title: "Golden path refused",
                section: Section::Services,
                back: "/templates",
                back_label: "Back to the golden paths",
                json: "/api/v1/entities?kind=template",
            };
            super::refused(error, &page, &window)
        }
    }
}

/// What a run did: its log, its files and its links.
fn done_page(run: &Scaffolded, window: &PageWindow) -> Response {
    let content = html! {
        @if let Some(id) = run.run { p { "Run " a href={ "/templates/runs/" (id) } { (id) } " is kept with its log." } }
        h2 { "What it did" }
        ol.run-log { @for line in &run.log { li { (line) } } }
        h2 { "Its links" }
        ul.run-links {
            @for (title, url) in &run.links {
                li {
                    (title) ": "
                    @match url.parse::<paved_domain::EntityRef>() {
                        Ok(entity) => a href=(super::page_path(&entity)) { (url) },
                        Err(_) => code { (url) },
                    }
                }
            }
        }
        h2 { "The first commit's files" }
        ul { @for path in run.files.keys() { li { code { (path) } } } }
    };
    let title = format!("Started from {}", run.template.name());
    let page = layout(&title, Section::Services, "/templates", window, "/api/v1/entities?kind=template", content);
    (StatusCode::CREATED, page).into_response()
}

/// A service's golden path and drift, in a cell: `python-service v1, 100 %
/// in line`, behind when the template moved on; `–` for a service no
/// golden path made.
pub(super) fn drift_cell(record: Option<&ServiceDrift>) -> Markup {
    let Some(drift) = record else { return html! { "–" } };
    let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "unversioned".to_owned());
    html! {
        span.drift title={ (drift.in_line) " of " (drift.managed) " template files as the template renders them now; checked " (drift.checked_at.format("%Y-%m-%d %H:%M UTC")) } {
            a href={ "/templates#template-" (drift.template.name()) } { (drift.template.name()) } " v" (version(&drift.version))
            ", " (format!("{:.0}", drift.score() * 100.0)) " % in line"
            @if drift.behind { " · " strong.behind { "behind (template v" (version(&drift.current_version)) ")" } }
        }
    }
}

/// `GET /templates/runs/{id}`: a run as stored, its log as it stands.
pub async fn show_run(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    window: PageWindow,
) -> Result<Markup, WebError> {
    let run = state.template_run(id).await?;
    let content = html! {
        table { tbody {
            tr { th scope="row" { "Service" } td { a href=(super::page_path(&run.service)) { (run.service.name()) } } }
            tr { th scope="row" { "Golden path" } td { (run.template.name()) " version " (run.version.as_deref().unwrap_or("unversioned")) } }
            tr { th scope="row" { "What" } td { @match run.kind { RunKind::Create => "a new service", RunKind::Update => "the day-2 update" } } }
            tr { th scope="row" { "State" } td.run-state { (run.state.as_str()) } }
            tr { th scope="row" { "Asked by" } td { (run.requested_by) } }
            @if let Some(repository) = &run.repository { tr { th scope="row" { "Repository" } td { code { (repository) } } } }
            @if let Some(branch) = &run.branch { tr { th scope="row" { "Branch" } td { code { (branch) } } } }
            @if let Some(commit) = &run.commit { tr { th scope="row" { "Commit" } td { code { (commit) } } } }
            @if let Some(error) = &run.error { tr { th scope="row" { "Why it failed" } td { (error) } } }
        } }
        h2 { "Its log" }
        ol.run-log { @for line in &run.log { li { (line) } } }
    };
    let title = format!("Golden-path run {id}");
    let json = format!("/api/v1/templates/runs/{id}");
    Ok(layout(&title, Section::Services, "/templates", &window, &json, content))
}

/// The services started from a golden path among `services`, with their
/// drift: a section of the team and overview pages.
pub(super) fn golden_paths_section(records: &[ServiceDrift], services: usize) -> Markup {
    let behind = records.iter().filter(|d| d.behind).count();
    html! {
        section aria-labelledby="golden-paths" data-golden-services=(records.len()) data-behind=(behind) {
            h2 id="golden-paths" { "Golden paths" }
            p {
                (records.len()) " of " (paved_app::render::findings::count(services as u64, "service", "services"))
                @if records.len() == 1 { " was" } @else { " were" } " started from a golden path"
                @if !records.is_empty() { "; " (behind) " behind their template (" code { "paved drift --update SERVICE" } " offers the way back)" }
                ". " a href="/templates" { "Start a new service on one" } "."
            }
            @if !records.is_empty() {
                table {
                    thead { tr { th scope="col" { "Service" } th scope="col" { "Golden path and drift" } } }
                    tbody { @for drift in records { tr {
                        th scope="row" { a href=(super::page_path(&drift.service)) { (drift.service.name()) } }
                        td { (drift_cell(Some(drift))) }
                    } } }
                }
            }
        }
    }
}
