//! `POST /api/v1/deployments`, `GET /api/v1/deployments` and
//! `GET /api/v1/deployments/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::collections::HashMap;

use paved_domain::{CatalogIndex, Deployment, DeploymentStatus, EntityRef, Identity, Record, RecordKind, RepoId};
use paved_ingest::api::{DeploymentRequest, record_key};
use paved_store::RecordFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::records::{self, Page};
use crate::auth::Authenticated;
use crate::extract::{ApiPath, ApiQuery, RawBody};
use crate::{ApiError, AppState};
use paved_app::RecordAction;

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

/// A deployment with the human behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeploymentView {
    /// The deployment as recorded.
    #[serde(flatten)]
    pub deployment: Deployment,
    /// The human who caused it (DESIGN §3): the explicit actor, else the
    /// creator, else the workflow's triggering actor, else who merged the
    /// pull request of the deployed commit — automation passed over.
    pub human_actor: Option<Identity>,
    /// The catalog User that human is, when known.
    pub person: Option<EntityRef>,
}

/// Who merged the pull requests whose merge commits `deployments` deployed,
/// by repository and commit: one query for a whole page. Only deployments
/// with no other human are looked up.
async fn mergers(
    state: &AppState,
    deployments: &[Deployment],
) -> Result<HashMap<(RepoId, String), Identity>, ApiError> {
    let automation = &state.ingest.automation;
    let is_automation = |identity: &Identity| identity.looks_automated(automation);
    let wanted: Vec<(&RepoId, &String)> = deployments
        .iter()
        .filter(|deployment| deployment.human_actor(is_automation, None).is_none())
        .filter_map(|deployment| Some((deployment.repo.as_ref()?, deployment.sha.as_ref()?)))
        .collect();
    let mut found = HashMap::new();
    if wanted.is_empty() {
        return Ok(found);
    }
    let mut filter = RecordFilter::new(RecordKind::PullRequest);
    filter.shas = wanted.iter().map(|(_, sha)| (*sha).clone()).collect();
    filter.shas.sort();
    filter.shas.dedup();
    for record in state.store.all_records(&filter).await? {
        if let Record::PullRequest(pr) = record
            && let (Some(sha), Some(merged_by)) = (pr.merge_commit_sha.as_ref(), pr.merged_by.clone())
            && wanted.iter().any(|(repo, wanted)| **repo == pr.repo && wanted.eq_ignore_ascii_case(sha))
        {
            found.entry((pr.repo, sha.to_ascii_lowercase())).or_insert(merged_by);
        }
    }
    Ok(found)
}

/// `deployments` with their human actors resolved.
async fn views(
    state: &AppState,
    catalog: &CatalogIndex,
    deployments: Vec<Deployment>,
) -> Result<Vec<DeploymentView>, ApiError> {
    let mergers = mergers(state, &deployments).await?;
    let automation = &state.ingest.automation;
    let is_automation = |identity: &Identity| identity.looks_automated(automation);
    Ok(deployments
        .into_iter()
        .map(|deployment| {
            let merger = match (&deployment.repo, &deployment.sha) {
                (Some(repo), Some(sha)) => mergers.get(&(repo.clone(), sha.to_ascii_lowercase())),
                _ => None,
            };
            let human_actor = deployment.human_actor(is_automation, merger).cloned();
            let person = human_actor.as_ref().and_then(|identity| catalog.resolve_person(identity, None).cloned());
            DeploymentView { deployment, human_actor, person }
        })
        .collect())
}

/// Records a deployment (idempotent on its `id`: the same id again updates
/// that deployment).
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
    ),
    security(("bearer" = []))
)]
pub async fn record_deployment(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
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
        (status = 200, body = Page<DeploymentView>),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown service or team, or a bad time"),
    )
)]
pub async fn list_deployments(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<DeploymentQuery>,
) -> Result<Json<Page<DeploymentView>>, ApiError> {
    let catalog = state.catalog.current().await?;
    let mut filter = RecordFilter::new(RecordKind::Deployment);
    if let Some(services) = records::services_filter(&catalog, query.service.as_deref(), query.team.as_deref())? {
        if services.is_empty() {
            return Ok(Json(Page { items: Vec::new(), limit: filter.limit, offset: 0 }));
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
    records::page(&mut filter, query.limit, query.offset);
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
    Ok(Json(Page { items, limit: filter.limit, offset: filter.offset }))
}

/// One deployment, by the id it was recorded with or by its key
/// (`github:github.com/acme/checkout/145988746`).
#[utoipa::path(
    get,
    path = "/api/v1/deployments/{id}",
    tag = "delivery",
    params(("id" = String, Path, description = "The deployment's id or key")),
    responses(
        (status = 200, body = DeploymentView),
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
