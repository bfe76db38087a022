//! `POST /api/v1/deployments`, `GET /api/v1/deployments` and
//! `GET /api/v1/deployments/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use chrono::{DateTime, Utc};
use paved_domain::{
    CatalogIndex, Deployment, DeploymentStatus, DeploymentTrigger, EntityRef, Identity, Record, RecordKind, RepoId,
};
use paved_ingest::api::record_key;
use paved_store::RecordFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::page::{DEFAULT_LIMIT, Page, Paging};
use super::records;
use super::views::{
    DeploymentStatusInput, DeploymentTriggerInput, EntityRefSchema, IdentitySchema, RecordSourceSchema, RepoIdSchema,
};
use crate::auth::AuthenticatedOrCi;
use crate::extract::{ApiPath, ApiQuery, RawBody};
use crate::{ApiError, AppState};
use paved_app::RecordAction;
use paved_app::deployments::ActedDeployment;

/// Filters and paging of `GET /api/v1/deployments`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeploymentQuery {
    /// A Component (`checkout` or `component:default/checkout`).
    pub service: Option<String>,
    /// A team (Group): the deployments of the services it owns.
    pub team: Option<String>,
    /// An environment, case-insensitive.
    pub environment: Option<String>,
    /// Only production deployments.
    pub production: Option<bool>,
    /// A status: pending, queued, in_progress, success, failure, error,
    /// cancelled or inactive (providers' spellings such as `failed` are read
    /// too); anything else is a 400.
    #[param(value_type = Option<DeploymentStatusInput>)]
    pub status: Option<String>,
    /// Deployments that finished (else started) at or after this time.
    pub since: Option<String>,
    /// ... and before this time.
    pub until: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Deployments to skip.
    pub offset: Option<u64>,
}

/// A deployment to record (the body of `POST /api/v1/deployments`).
//
// The body is read by `paved_ingest::api::DeploymentRequest`; this type
// documents it, and a test keeps the two alike.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentRequest {
    /// Your id for it (e.g. the CI run id): recording the same id again
    /// updates that deployment instead of adding one. Generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The Component deployed (`checkout` or `component:default/checkout`).
    pub service: String,
    /// The environment, e.g. `production`.
    pub environment: String,
    /// The deployed commit (7 to 64 hex digits).
    pub sha: String,
    /// `success` (default), `failure`, `error`, `in_progress`, `pending`,
    /// `cancelled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DeploymentStatusInput>)]
    pub status: Option<String>,
    /// Who deployed: a login, an e-mail or a catalog User (`user:dana`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// When it started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it finished (RFC 3339); default: when it was received, for a
    /// final status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// A link to it (the CI run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The repository (`github.com/acme/checkout` or any git URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The branch or tag deployed.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// `manual`, `automatic` or `rollback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DeploymentTriggerInput>)]
    pub trigger: Option<String>,
    /// True for a hotfix.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hotfix: bool,
    /// Ids of incidents this deployment fixes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Where a deployment stands. GitHub's deployment states, GitLab's
/// deployment statuses and the API's values map onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DeploymentStatus)]
pub enum DeploymentStatusView {
    /// Created, not started.
    Pending,
    /// Waiting for a runner.
    Queued,
    /// Running.
    InProgress,
    /// Finished and live.
    Success,
    /// Finished and failed.
    Failure,
    /// The deployment itself broke.
    Error,
    /// Cancelled before it finished.
    Cancelled,
    /// A later deployment replaced it.
    Inactive,
}

impl From<DeploymentStatus> for DeploymentStatusView {
    fn from(status: DeploymentStatus) -> Self {
        match status {
            DeploymentStatus::Pending => Self::Pending,
            DeploymentStatus::Queued => Self::Queued,
            DeploymentStatus::InProgress => Self::InProgress,
            DeploymentStatus::Success => Self::Success,
            DeploymentStatus::Failure => Self::Failure,
            DeploymentStatus::Error => Self::Error,
            DeploymentStatus::Cancelled => Self::Cancelled,
            DeploymentStatus::Inactive => Self::Inactive,
        }
    }
}

/// What set a deployment off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DeploymentTrigger)]
pub enum DeploymentTriggerView {
    /// A person started it.
    Manual,
    /// A pipeline started it on a merge or push.
    Automatic,
    /// It rolls back to an earlier version.
    Rollback,
}

impl From<DeploymentTrigger> for DeploymentTriggerView {
    fn from(trigger: DeploymentTrigger) -> Self {
        match trigger {
            DeploymentTrigger::Manual => Self::Manual,
            DeploymentTrigger::Automatic => Self::Automatic,
            DeploymentTrigger::Rollback => Self::Rollback,
        }
    }
}

/// A deployment of a service to an environment (DESIGN §3 "Deployment").
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Deployment)]
pub struct DeploymentRecord {
    /// The record's key: `<source>:<id within the source>`, e.g.
    /// `github:github.com/acme/checkout/145988746` or `api:ci-run-9912`.
    pub key: String,
    /// Where it came from.
    #[schema(value_type = RecordSourceSchema)]
    pub source: String,
    /// The service (a Component) deployed, resolved through the catalog.
    #[schema(value_type = Option<EntityRefSchema>)]
    pub service: Option<EntityRef>,
    /// The service as the source named it (a name, or nothing when only the
    /// repository is known), kept so that an unresolved one can be shown.
    pub service_name: Option<String>,
    /// The repository deployed from, when the source says.
    #[schema(value_type = Option<RepoIdSchema>)]
    pub repo: Option<RepoId>,
    /// The environment, as named by the source.
    pub environment: String,
    /// True when the environment is production for this service (DESIGN §5
    /// "Production deployment"), decided when the record is derived.
    pub production: bool,
    /// What the source itself says: GitHub's `production_environment`,
    /// GitLab's `production` tier.
    pub production_by_source: Option<bool>,
    /// The deployed commit, full or abbreviated lower-case hex.
    pub sha: Option<String>,
    /// The branch or tag deployed, when the source says.
    pub git_ref: Option<String>,
    /// Where it stands.
    pub status: DeploymentStatusView,
    /// When the current status was reported (orders updates).
    pub status_at: Option<DateTime<Utc>>,
    /// When the deployment was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it started running.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached its final status.
    pub finished_at: Option<DateTime<Utc>>,
    /// The human who caused it, when the source or the caller names one
    /// explicitly (`--actor`).
    #[schema(value_type = Option<IdentitySchema>)]
    pub actor: Option<Identity>,
    /// Who created it at the source (GitHub's deployment creator, GitLab's
    /// deployable user).
    #[schema(value_type = Option<IdentitySchema>)]
    pub creator: Option<Identity>,
    /// Who triggered the workflow or pipeline that created it.
    #[schema(value_type = Option<IdentitySchema>)]
    pub triggering_actor: Option<Identity>,
    /// The token that named `actor` on the actor's behalf (a team's CI
    /// token saying whom it deploys for): the actor is claimed, not proven.
    /// Absent when the actor was not claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_claimed_by: Option<String>,
    /// What set it off, when known.
    pub trigger: Option<DeploymentTriggerView>,
    /// True when its metadata marks it as a hotfix.
    pub hotfix: bool,
    /// Incident keys this deployment says it fixes.
    pub fixes_incidents: Vec<String>,
    /// A link to the deployment (a CI run, the provider's page).
    pub url: Option<String>,
    /// Free text from the source.
    pub description: Option<String>,
}

impl From<Deployment> for DeploymentRecord {
    fn from(deployment: Deployment) -> Self {
        let Deployment {
            key,
            source,
            service,
            service_name,
            repo,
            environment,
            production,
            production_by_source,
            sha,
            git_ref,
            status,
            status_at,
            created_at,
            started_at,
            finished_at,
            actor,
            creator,
            triggering_actor,
            actor_claimed_by,
            trigger,
            hotfix,
            fixes_incidents,
            url,
            description,
        } = deployment;
        Self {
            key,
            source,
            service,
            service_name,
            repo,
            environment,
            production,
            production_by_source,
            sha,
            git_ref,
            status: status.into(),
            status_at,
            created_at,
            started_at,
            finished_at,
            actor,
            creator,
            triggering_actor,
            actor_claimed_by,
            trigger: trigger.map(Into::into),
            hotfix,
            fixes_incidents,
            url,
            description,
        }
    }
}

/// A deployment with the human behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeploymentView {
    /// The deployment as recorded.
    #[serde(flatten)]
    pub deployment: DeploymentRecord,
    /// The human who caused it (DESIGN §3): the explicit actor, else the
    /// creator, else the workflow's triggering actor, else who merged the
    /// pull request of the deployed commit — automation passed over.
    #[schema(value_type = Option<IdentitySchema>)]
    pub human_actor: Option<Identity>,
    /// The catalog User that human is, when known.
    #[schema(value_type = Option<EntityRefSchema>)]
    pub person: Option<EntityRef>,
}

impl From<ActedDeployment> for DeploymentView {
    fn from(acted: ActedDeployment) -> Self {
        let ActedDeployment { deployment, human_actor, person } = acted;
        Self { deployment: deployment.into(), human_actor, person }
    }
}

/// `deployments` with their human actors resolved (by the application, as
/// the pages resolve them).
async fn views(
    state: &AppState,
    catalog: &CatalogIndex,
    deployments: Vec<Deployment>,
) -> Result<Vec<DeploymentView>, ApiError> {
    Ok(state.with_actors(catalog, deployments).await?.into_iter().map(DeploymentView::from).collect())
}

/// Records a deployment (idempotent on its `id`: the same id again updates
/// that deployment).
///
/// A CI job may send its OIDC ID token (GitHub Actions, GitLab CI) as the
/// bearer token instead of an API token, when pavedroad is configured to
/// trust its issuer: it records as the person who ran the job, for the
/// services of the job's repository, in the job's environment.
#[utoipa::path(
    post,
    path = "/api/v1/deployments",
    tag = "delivery",
    request_body = DeploymentRequest,
    responses(
        (status = 201, body = DeploymentView, description = "Recorded"),
        (status = 200, body = DeploymentView, description = "The same request was recorded before; nothing changed"),
        (status = 400, body = crate::error::ErrorBody, description = "A field is missing or malformed, or the service is not in the catalog"),
        (status = 401, body = crate::error::ErrorBody, description = "No valid token"),
        (status = 403, body = crate::error::ErrorBody, description = "A team token for a service its team does not own"),
        (status = 409, body = crate::error::ErrorBody, description = "The id is already recorded for another service: give this deployment an id of its own"),
    ),
    security(("bearer" = []))
)]
pub async fn record_deployment(
    State(state): State<AppState>,
    AuthenticatedOrCi(caller): AuthenticatedOrCi,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<DeploymentView>), ApiError> {
    let recorded = records::record_request(&state, &caller, RecordAction::RecordDeployment, body.to_vec()).await?;
    let (status, Json(deployment)) = records::respond(recorded, |record| match record {
        Record::Deployment(deployment) => Some(deployment),
        _ => None,
    })?;
    let catalog = state.catalog.current().await?;
    let view = views(&state, &catalog, vec![deployment]).await?.remove(0);
    Ok((status, Json(view)))
}

/// Deployments, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/deployments",
    tag = "delivery",
    params(DeploymentQuery),
    responses(
        (status = 200, body = Page<DeploymentView>, description = "The deployments of the page, newest first"),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown service or team, or a bad time"),
    )
)]
pub async fn list_deployments(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<DeploymentQuery>,
) -> Result<Json<Page<DeploymentView>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
    let catalog = state.catalog.current().await?;
    let mut filter = RecordFilter::new(RecordKind::Deployment);
    if let Some(services) = records::services_filter(&catalog, query.service.as_deref(), query.team.as_deref())? {
        if services.is_empty() {
            return Ok(Json(Page::new(Vec::new(), 0, paging)));
        }
        filter.services = services;
    }
    filter.environment = query.environment;
    filter.production_only = query.production.unwrap_or(false);
    if let Some(text) = query.status.as_deref() {
        let status = DeploymentStatus::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "status `{text}` is not one of pending, queued, in_progress, success, failure, error, cancelled, \
                 inactive"
            ))
        })?;
        filter.statuses = vec![status.as_str().to_owned()];
    }
    filter.since = records::query_time("since", query.since.as_deref())?;
    filter.until = records::query_time("until", query.until.as_deref())?;
    records::page(&mut filter, paging);
    let total = state.store.count_records(&filter).await?;
    let deployments = state
        .store
        .records(&filter)
        .await?
        .into_iter()
        .filter_map(|record| match record {
            Record::Deployment(deployment) => Some(deployment),
            _ => None,
        })
        .collect();
    let items = views(&state, &catalog, deployments).await?;
    Ok(Json(Page::new(items, total, paging)))
}

/// One deployment, by the id it was recorded with or by its key
/// (`github:github.com/acme/checkout/145988746`).
#[utoipa::path(
    get,
    path = "/api/v1/deployments/{id}",
    tag = "delivery",
    params(("id" = String, Path, description = "The deployment's id or key")),
    responses(
        (status = 200, body = DeploymentView, description = "The deployment"),
        (status = 404, body = crate::error::ErrorBody, description = "No such deployment"),
    )
)]
pub async fn get_deployment(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DeploymentView>, ApiError> {
    match state.store.record(RecordKind::Deployment, &record_key(&id)).await? {
        Some(Record::Deployment(deployment)) => {
            let catalog = state.catalog.current().await?;
            Ok(Json(views(&state, &catalog, vec![deployment]).await?.remove(0)))
        }
        _ => Err(ApiError::not_found(format!(
            "no deployment `{}`; list them with GET /api/v1/deployments",
            record_key(&id)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::views::assert_same_body;

    /// Both literals name every field of their type, so a field added to
    /// one and not the other fails here.
    #[test]
    fn the_documented_body_is_the_body_ingest_reads() {
        let some = |text: &str| Some(text.to_owned());
        assert_same_body::<_, paved_ingest::api::DeploymentRequest>(DeploymentRequest {
            id: some("run-1"),
            service: "checkout".to_owned(),
            environment: "production".to_owned(),
            sha: "abc1234".to_owned(),
            status: some("success"),
            actor: some("octocat"),
            started_at: some("2026-11-02T09:00:00Z"),
            finished_at: some("2026-11-02T09:30:00Z"),
            url: some("https://ci.example/1"),
            repo: some("github.com/acme/checkout"),
            git_ref: some("main"),
            trigger: some("manual"),
            hotfix: true,
            fixes: vec!["INC-1".to_owned()],
            description: some("a deployment"),
        });
        assert_same_body::<_, DeploymentRequest>(paved_ingest::api::DeploymentRequest {
            id: some("run-1"),
            service: "checkout".to_owned(),
            environment: "production".to_owned(),
            sha: "abc1234".to_owned(),
            status: some("success"),
            actor: some("octocat"),
            started_at: some("2026-11-02T09:00:00Z"),
            finished_at: some("2026-11-02T09:30:00Z"),
            url: some("https://ci.example/1"),
            repo: some("github.com/acme/checkout"),
            git_ref: some("main"),
            trigger: some("manual"),
            hotfix: true,
            fixes: vec!["INC-1".to_owned()],
            description: some("a deployment"),
        });
    }
}
