//! Deploys on the paved road: `POST /api/v1/services/{name}/deploys` asks
//! for one (checked, then queued, or refused with every failed check),
//! `GET /api/v1/deploys/{id}` reads one with its log, and the runner
//! endpoints under `/api/v1/runner/` are what `paved runner` pulls jobs
//! through (admin tokens only).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use paved_app::deploy::{ClaimedJob, DeployCheck, DeployOutcome, DeployRequest, JobReport};
use paved_store::{DeployJob, LogEntry, LogStream};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authenticated, AuthenticatedOrCi};
use crate::extract::{ApiPath, ApiQuery, RawBody};
use crate::{ApiError, AppState};

/// What `POST /api/v1/services/{name}/deploys` asks for.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployBody {
    /// The environment (default `production`).
    #[serde(default)]
    pub environment: Option<String>,
    /// A commit (full or abbreviated), a tag, or a version the steps understand.
    pub version: String,
    /// The incident this deploy fixes (an open incident of it does not block).
    #[serde(default)]
    pub fixes: Option<String>,
    /// Only evaluate the checks; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The on-call person deploys past a deny window or an incident block
    /// during an open incident; the reason is required and audited.
    #[serde(default)]
    pub break_glass: Option<String>,
    /// The person a team token deploys for.
    #[serde(default)]
    pub actor: Option<String>,
    /// With `dry_run`: check as if it were this moment (RFC 3339), e.g.
    /// whether a deploy on Friday afternoon would pass its deny windows.
    #[serde(default)]
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One check's verdict.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckView {
    /// `may_act`, `checks_passed`, `deny_window`, `open_incident`,
    /// `one_at_a_time`, `break_glass`.
    #[schema(value_type = crate::api::views::DeployCheckSchema)]
    pub check: String,
    /// True when it lets the deploy go.
    pub passed: bool,
    /// Why.
    pub reason: String,
}

/// A deploy as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeployView {
    /// Its id.
    pub id: i64,
    /// The Component.
    pub service: String,
    /// The DeployTarget.
    pub target: String,
    /// The environment.
    pub environment: String,
    /// The version.
    pub version: String,
    /// The commit.
    pub sha: Option<String>,
    /// `queued`, `running`, `succeeded`, `failed`, `interrupted`.
    #[schema(value_type = crate::api::views::DeployStateSchema)]
    pub state: String,
    /// `manual`, `automatic` or `rollback`.
    #[schema(value_type = crate::api::views::DeploymentTriggerSchema)]
    pub trigger: String,
    /// The deploy a rollback undoes.
    pub rollback_of: Option<i64>,
    /// The person.
    pub actor: Option<String>,
    /// Who asked, as the audit log names them.
    pub requested_by: String,
    /// The token that named the person, when not their own.
    pub actor_claimed_by: Option<String>,
    /// The break-glass reason, when the on-call person used it.
    pub break_glass: Option<String>,
    /// Why it failed or was interrupted.
    pub error: Option<String>,
    /// The runner.
    pub runner: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When a runner started it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// The checks that allowed it.
    #[schema(value_type = Vec<CheckView>)]
    pub checks: serde_json::Value,
}

impl From<DeployJob> for DeployView {
    fn from(job: DeployJob) -> Self {
        Self {
            id: job.id,
            service: job.service,
            target: job.target,
            environment: job.environment,
            version: job.version,
            sha: job.sha,
            state: job.state.as_str().to_owned(),
            trigger: job.trigger,
            rollback_of: job.rollback_of,
            actor: job.actor,
            requested_by: job.requested_by,
            actor_claimed_by: job.actor_claimed_by,
            break_glass: job.break_glass,
            error: job.error,
            runner: job.runner,
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            checks: job.checks,
        }
    }
}

/// The answer to a deploy: the checks, and the deploy when it was queued.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeployResponse {
    /// True when every check passed.
    pub allowed: bool,
    /// True for a dry run: nothing was queued.
    pub dry_run: bool,
    /// Every check.
    pub checks: Vec<CheckView>,
    /// The queued deploy.
    pub deploy: Option<DeployView>,
    /// Why it was refused, naming every failed check.
    pub refused: Option<String>,
}

fn checks(check: &DeployCheck) -> Vec<CheckView> {
    check
        .outcomes
        .iter()
        .map(|o| CheckView { check: o.check.as_str().to_owned(), passed: o.passed, reason: o.reason.clone() })
        .collect()
}

/// Deploy a service through its DeployTarget.
///
/// Every check runs first (who may act, the commit's CI, deny windows,
/// open incidents, one deploy at a time); a failed one refuses the deploy
/// with every failed check named. Otherwise the deploy is queued for a
/// runner; follow it with `GET /api/v1/deploys/{id}`.
///
/// A CI job may send its OIDC ID token (GitHub Actions, GitLab CI) as the
/// bearer token instead of an API token, when pavedroad is configured to
/// trust its issuer: it deploys as the person who ran the job, only the
/// services of the job's repository, to the job's environment.
#[utoipa::path(
    post,
    path = "/api/v1/services/{name}/deploys",
    tag = "delivery",
    params(("name" = String, Path, description = "The service (a Component's name)")),
    request_body = DeployBody,
    responses(
        (status = 202, body = DeployResponse, description = "Queued for a runner"),
        (status = 200, body = DeployResponse, description = "A dry run: the checks only"),
        (status = 403, body = DeployResponse, description = "A check refused it"),
        (status = 409, body = DeployResponse, description = "Another deploy of the target is queued or running"),
        (status = 400, body = crate::error::ErrorBody, description = "Unknown service, no DeployTarget, bad body"),
    ),
    security(("bearer" = []))
)]
pub async fn deploy(
    State(state): State<AppState>,
    AuthenticatedOrCi(caller): AuthenticatedOrCi,
    ApiPath(name): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<DeployResponse>), ApiError> {
    let body: DeployBody = crate::extract::json_object(&body)
        .map_err(|error| ApiError::bad_request(format!("the body is not a deploy request: {error}")))?;
    let request = DeployRequest {
        service: name,
        environment: body.environment,
        version: body.version,
        fixes: body.fixes,
        break_glass: body.break_glass,
        actor: body.actor,
        at: body.at,
    };
    Ok(respond(state.deploy(&caller, &request, body.dry_run).await?))
}

/// The status and body of a deploy's outcome.
pub fn respond(outcome: DeployOutcome) -> (StatusCode, Json<DeployResponse>) {
    match outcome {
        DeployOutcome::DryRun(check) => (
            StatusCode::OK,
            Json(DeployResponse {
                allowed: check.allowed,
                dry_run: true,
                checks: checks(&check),
                deploy: None,
                refused: None,
            }),
        ),
        DeployOutcome::Queued { check, job } => (
            StatusCode::ACCEPTED,
            Json(DeployResponse {
                allowed: true,
                dry_run: false,
                checks: checks(&check),
                deploy: Some((*job).into()),
                refused: None,
            }),
        ),
        DeployOutcome::Refused(refusal) => (
            if refusal.conflict { StatusCode::CONFLICT } else { StatusCode::FORBIDDEN },
            Json(DeployResponse {
                allowed: false,
                dry_run: false,
                checks: checks(&refusal.check),
                deploy: None,
                refused: Some(refusal.message()),
            }),
        ),
    }
}

/// A line of a deploy's log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogLineView {
    /// Its place in the log, from 1.
    pub seq: i64,
    /// When it was stored.
    pub at: DateTime<Utc>,
    /// `stdout`, `stderr` or `system`.
    #[schema(value_type = crate::api::views::LogStreamSchema)]
    pub stream: String,
    /// The text.
    pub line: String,
}

impl From<LogEntry> for LogLineView {
    fn from(entry: LogEntry) -> Self {
        Self { seq: entry.seq, at: entry.at, stream: entry.stream.as_str().to_owned(), line: entry.line }
    }
}

/// A deploy with its log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeployWithLog {
    /// The deploy.
    pub deploy: DeployView,
    /// Its log after `after`.
    pub log: Vec<LogLineView>,
    /// True once it will not change again.
    pub done: bool,
    /// The deploy that rolls this one back, once queued.
    pub rolled_back_by: Option<i64>,
}

impl DeployWithLog {
    /// `job` with `log` and the rollback `jobs` holds for it.
    pub fn new(job: DeployJob, log: Vec<LogEntry>, jobs: &[DeployJob]) -> Self {
        let rolled_back_by = jobs.iter().find(|other| other.rollback_of == Some(job.id)).map(|other| other.id);
        Self {
            done: job.state.is_final(),
            deploy: job.into(),
            log: log.into_iter().map(LogLineView::from).collect(),
            rolled_back_by,
        }
    }
}

/// Deploy `id` with its log after `after`, as the API and the CLI read it.
///
/// # Errors
/// As [`paved_app::App::deploy_job`].
pub async fn deploy_with_log(app: &paved_app::App, id: i64, after: i64) -> Result<DeployWithLog, paved_app::AppError> {
    let job = app.deploy_job(id).await?;
    let log = app.deploy_log(id, after, 5000).await?;
    let filter =
        paved_store::JobFilter { target: Some(job.target.clone()), limit: 50, ..paved_store::JobFilter::default() };
    let jobs = if job.state.is_final() { app.deploy_jobs(&filter).await? } else { Vec::new() };
    Ok(DeployWithLog::new(job, log, &jobs))
}

/// Which log lines `GET /api/v1/deploys/{id}` returns.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Only lines after this one (poll with the last `seq` seen).
    pub after: Option<i64>,
}

/// One deploy, with its log (poll with `?after=` to follow it).
#[utoipa::path(
    get,
    path = "/api/v1/deploys/{id}",
    tag = "delivery",
    params(("id" = i64, Path, description = "The deploy's id"), LogQuery),
    responses(
        (status = 200, body = DeployWithLog, description = "The deploy and its log lines after `after`"),
        (status = 404, body = crate::error::ErrorBody, description = "No such deploy"),
    )
)]
pub async fn get_deploy(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> Result<Json<DeployWithLog>, ApiError> {
    Ok(Json(deploy_with_log(&state.app, id, query.after.unwrap_or(0)).await?))
}

/// What a runner sends to claim a deploy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimBody {
    /// The runner's name.
    pub runner: String,
    /// Its labels.
    #[serde(default)]
    pub labels: Vec<String>,
}

/// Claim the oldest queued deploy this runner may run (`paved runner`).
#[utoipa::path(
    post,
    path = "/api/v1/runner/claim",
    tag = "delivery",
    request_body = ClaimBody,
    responses(
        (status = 200, description = "The claimed deploy with its plan", content_type = "application/json"),
        (status = 204, description = "No deploy is queued for this runner"),
        (status = 403, body = crate::error::ErrorBody, description = "Not an admin token"),
    ),
    security(("bearer" = []))
)]
pub async fn claim(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawBody(body): RawBody,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let body: ClaimBody = crate::extract::json_object(&body)
        .map_err(|error| ApiError::bad_request(format!("the body is not a claim: {error}")))?;
    Ok(match state.claim_deploy(&caller, &body.runner, &body.labels).await? {
        Some(job) => Json::<ClaimedJob>(job).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// What a runner sends about a deploy it runs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunnerReport {
    /// The runner's name.
    pub runner: String,
    /// Log lines, for `/log`.
    #[serde(default)]
    pub lines: Vec<RunnerLine>,
    /// The end, for `/finish`.
    #[serde(default)]
    pub succeeded: Option<bool>,
    /// Why it failed, for `/finish`.
    #[serde(default)]
    pub error: Option<String>,
}

/// A log line a runner sends.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunnerLine {
    /// `stdout`, `stderr` or `system`.
    #[schema(value_type = crate::api::views::LogStreamSchema)]
    pub stream: LogStream,
    /// The text.
    pub line: String,
}

/// Whether the deploy is still the runner's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HeartbeatView {
    /// False when the deploy was interrupted: stop it.
    pub running: bool,
}

fn report_body(body: &[u8]) -> Result<RunnerReport, ApiError> {
    crate::extract::json_object(body)
        .map_err(|error| ApiError::bad_request(format!("the body is not a runner report: {error}")))
}

/// A runner still works on a deploy.
#[utoipa::path(
    post,
    path = "/api/v1/runner/deploys/{id}/heartbeat",
    tag = "delivery",
    params(("id" = i64, Path, description = "The deploy's id")),
    request_body = RunnerReport,
    responses(
        (status = 200, body = HeartbeatView, description = "Heard; whether the deploy is to stop"),
        (status = 403, body = crate::error::ErrorBody, description = "Not a token that may run deploys"),
        (status = 404, body = crate::error::ErrorBody, description = "No such deploy"),
    ),
    security(("bearer" = []))
)]
pub async fn heartbeat(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<i64>,
    RawBody(body): RawBody,
) -> Result<Json<HeartbeatView>, ApiError> {
    let report = report_body(&body)?;
    Ok(Json(HeartbeatView { running: state.deploy_heartbeat(&caller, id, &report.runner).await? }))
}

/// Lines of a deploy's log, from its runner.
#[utoipa::path(
    post,
    path = "/api/v1/runner/deploys/{id}/log",
    tag = "delivery",
    params(("id" = i64, Path, description = "The deploy's id")),
    request_body = RunnerReport,
    responses(
        (status = 204, description = "Stored"),
        (status = 403, body = crate::error::ErrorBody, description = "Not a token that may run deploys"),
        (status = 404, body = crate::error::ErrorBody, description = "No such deploy"),
    ),
    security(("bearer" = []))
)]
pub async fn log(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<i64>,
    RawBody(body): RawBody,
) -> Result<StatusCode, ApiError> {
    let report = report_body(&body)?;
    let lines = report.lines.into_iter().map(|line| (line.stream, line.line)).collect();
    state.append_deploy_log(&caller, id, lines).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A deploy ended, from its runner (a failure may queue its rollback).
#[utoipa::path(
    post,
    path = "/api/v1/runner/deploys/{id}/finish",
    tag = "delivery",
    params(("id" = i64, Path, description = "The deploy's id")),
    request_body = RunnerReport,
    responses(
        (status = 200, body = DeployView, description = "The deploy as ended"),
        (status = 403, body = crate::error::ErrorBody, description = "Not a token that may run deploys"),
        (status = 404, body = crate::error::ErrorBody, description = "No such deploy"),
        (status = 409, body = crate::error::ErrorBody, description = "It is no longer this runner's"),
    ),
    security(("bearer" = []))
)]
pub async fn finish(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<i64>,
    RawBody(body): RawBody,
) -> Result<Json<DeployView>, ApiError> {
    let report = report_body(&body)?;
    let Some(succeeded) = report.succeeded else {
        return Err(ApiError::bad_request("finish needs `succeeded` (true or false)"));
    };
    let (job, _) =
        state.finish_deploy(&caller, id, &report.runner, &JobReport { succeeded, error: report.error }).await?;
    Ok(Json(job.into()))
}
