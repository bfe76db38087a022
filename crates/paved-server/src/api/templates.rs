//! Golden paths: `POST /api/v1/templates/{name}/runs` starts a service from
//! a Template (the form's parameters in the body), as `paved new` does;
//! `GET /api/v1/templates/runs/{id}` reads a run and its log; `GET
//! /api/v1/drift` the drift last found of each service made from one, and
//! `POST /api/v1/drift/{name}/update` the day-2 update, as `paved drift`
//! does. Who may, the parameters, the steps and drift are the
//! application's.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use paved_app::scaffold::drift::{DriftScope, DriftUpdate, ServiceDrift};
use paved_app::scaffold::{NewService, Scaffolded};
use paved_store::StoredTemplateRun;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::page::{DEFAULT_LIMIT, Page, Paging};
use crate::auth::Authenticated;
use crate::extract::{ApiPath, ApiQuery, RawBody};
use crate::{ApiError, AppState};

/// What `POST /api/v1/templates/{name}/runs` asks for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// The form's values (`{"name": "ledger", "owner": "payments"}`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Value>,
    /// Render and report, but change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// One file of the new repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RunFile {
    /// Its path in the repository.
    pub path: String,
    /// Its size.
    pub bytes: usize,
    /// Whether it is executable.
    pub executable: bool,
    /// Its text, in a dry run's answer (when it is UTF-8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A link a run shows when done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RunLink {
    /// Its title.
    pub title: String,
    /// A URL, or an entity reference.
    pub url: String,
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunView {
    /// The stored run (`GET /api/v1/templates/runs/{id}`); none when dry.
    pub run: Option<i64>,
    /// The Template.
    pub template: String,
    /// Its version.
    pub version: Option<String>,
    /// The parameters, defaults applied.
    #[schema(value_type = Object)]
    pub parameters: Value,
    /// True when nothing was changed.
    pub dry_run: bool,
    /// What each step did, in order.
    pub log: Vec<String>,
    /// The files of the new repository.
    pub files: Vec<RunFile>,
    /// The Template's output links.
    pub links: Vec<RunLink>,
}

impl From<Scaffolded> for RunView {
    fn from(run: Scaffolded) -> Self {
        Self {
            run: run.run,
            template: run.template.to_string(),
            version: run.version,
            dry_run: run.dry_run,
            files: run
                .files
                .iter()
                .map(|(path, file)| RunFile {
                    path: path.clone(),
                    bytes: file.bytes.len(),
                    executable: file.executable,
                    text: run.dry_run.then(|| String::from_utf8(file.bytes.clone()).ok()).flatten(),
                })
                .collect(),
            parameters: run.parameters,
            log: run.log,
            links: run.links.into_iter().map(|(title, url)| RunLink { title, url }).collect(),
        }
    }
}

/// Start a service from a golden path: the repository's first commit, its
/// catalog entry and deploy target, as the Template's steps say. Only
/// members of the chosen `owner` team (and admins) may.
#[utoipa::path(
    post,
    path = "/api/v1/templates/{name}/runs",
    tag = "operations",
    params(("name" = String, Path, description = "The Template (`python-service`)")),
    request_body = RunBody,
    responses(
        (status = 201, body = RunView, description = "Done: the repository, its catalog entry and deploy target"),
        (status = 200, body = RunView, description = "A dry run: what would be written, nothing changed"),
        (status = 400, body = crate::error::ErrorBody, description = "A missing or wrong parameter (named), a file that does not render, descriptors that do not validate"),
        (status = 403, body = crate::error::ErrorBody, description = "The caller may not create a service for the owner team; the message names its members"),
        (status = 404, body = crate::error::ErrorBody, description = "No such Template"),
        (status = 409, body = crate::error::ErrorBody, description = "The repository already has commits"),
    ),
    security(("bearer" = []))
)]
pub async fn run(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(name): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    let body: RunBody = crate::extract::json_object(&body).map_err(|error| {
        ApiError::bad_request(format!(
            "the body is not a run: {error}; send {{\"parameters\": {{\"name\": \"ledger\", \"owner\": \"payments\"}}}}"
        ))
    })?;
    let request = NewService {
        template: name,
        set: body
            .parameters
            .into_iter()
            // As JSON text, which the form reads back as the value it was.
            .map(|(k, v)| (k, v.to_string()))
            .collect(),
        dry_run: body.dry_run,
    };
    let run = state.scaffold(&caller, &request).await?;
    let status = if run.dry_run { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(run.into())))
}

/// A golden-path run as stored: what it made and its log, written step by
/// step while it runs.
#[utoipa::path(
    get,
    path = "/api/v1/templates/runs/{id}",
    tag = "operations",
    params(("id" = i64, Path, description = "The run")),
    responses(
        (status = 200, body = Object, description = "The run: kind (create or update), template, version, service, team, parameters, state (running, succeeded, failed), log, repository, commit, branch, links, error"),
        (status = 404, body = crate::error::ErrorBody, description = "No such run"),
    ),
    security(("bearer" = []))
)]
pub async fn show_run(
    State(state): State<AppState>,
    Authenticated(_caller): Authenticated,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<StoredTemplateRun>, ApiError> {
    Ok(Json(state.template_run(id).await?))
}

/// Which drift to list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DriftQuery {
    /// Only this team's services (`payments`).
    pub team: Option<String>,
    /// Only this service (`ledger`).
    pub service: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// The drift last found of each service made from a golden path (by `paved
/// drift` or the server's periodic check): its template version, the
/// template's, the files in line and each file's state.
#[utoipa::path(
    get,
    path = "/api/v1/drift",
    tag = "operations",
    params(DriftQuery),
    responses(
        (status = 200, body = Page<ServiceDrift>, description = "Per service: service, team, template, version, current_version, repository, files (each path and state: identical, changed_by_team, template_moved, both_changed, missing, new_in_template), in_line, managed, behind, problem, checked_at"),
        (status = 400, body = crate::error::ErrorBody, description = "A team or service that is not a reference"),
    ),
    security(("bearer" = []))
)]
pub async fn drift(
    State(state): State<AppState>,
    Authenticated(_caller): Authenticated,
    ApiQuery(query): ApiQuery<DriftQuery>,
) -> Result<Json<Page<ServiceDrift>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
    let scope = DriftScope { service: query.service, team: query.team };
    Ok(Json(Page::of(state.recorded_drift(&scope).await?, paging)))
}

/// The day-2 update: the template's newer files committed on a branch of
/// the service's repository (three-way: the team's changes kept, conflicts
/// listed and left as the team has them), for the team to merge. Only the
/// service's people may.
#[utoipa::path(
    post,
    path = "/api/v1/drift/{name}/update",
    tag = "operations",
    params(("name" = String, Path, description = "The service (`ledger`)")),
    responses(
        (status = 201, body = DriftUpdate, description = "The branch pushed: run, service, from_version, to_version, repository, branch, commit, updated, merged, conflicts"),
        (status = 400, body = crate::error::ErrorBody, description = "Nothing to update, or every change conflicts"),
        (status = 403, body = crate::error::ErrorBody, description = "The caller is not of the service's people; the message names them"),
        (status = 404, body = crate::error::ErrorBody, description = "The service was not made from a golden path"),
        (status = 409, body = crate::error::ErrorBody, description = "The update's branch is already there: merge it or delete it"),
        (status = 503, body = crate::error::ErrorBody, description = "The repository cannot be read or pushed to"),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(service): ApiPath<String>,
) -> Result<(StatusCode, Json<DriftUpdate>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.drift_update(&caller, &service).await?)))
}
