//! `POST /api/v1/deployments`, `GET /api/v1/deployments` and
//! `GET /api/v1/deployments/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use paved_domain::{CatalogIndex, Deployment, EntityRef, Identity, Record, RecordKind};
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
    /// A status: `success`, `failure`, `in_progress`, ...
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

/// Who merged the pull request whose merge commit `deployment` deployed.
async fn merger(state: &AppState, deployment: &Deployment) -> Result<Option<Identity>, ApiError> {
    let (Some(repo), Some(sha)) = (&deployment.repo, &deployment.sha) else { return Ok(None) };
    let mut filter = RecordFilter::new(RecordKind::PullRequest);
    filter.repo = Some(repo.clone());
    filter.sha = Some(sha.clone());
    filter.limit = 1;
    Ok(state.store.records(&filter).await?.into_iter().find_map(|record| match record {
        Record::PullRequest(pr) => pr.merged_by,
        _ => None,
    }))
}

/// `deployment` with its human actor resolved.
async fn view(state: &AppState, catalog: &CatalogIndex, deployment: Deployment) -> Result<DeploymentView, ApiError> {
    let automation = &state.ingest.automation;
    let is_automation = |identity: &Identity| identity.looks_automated(automation);
    // The merger is looked up only when nobody else is a human.
    let merger = match deployment.human_actor(is_automation, None) {
        Some(_) => None,
        None => merger(state, &deployment).await?,
    };
    let human_actor = deployment.human_actor(is_automation, merger.as_ref()).cloned();
    let person = human_actor.as_ref().and_then(|identity| catalog.resolve_person(identity, None).cloned());
    Ok(DeploymentView { deployment, human_actor, person })
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
    Ok((status, Json(view(&state, &catalog, deployment).await?)))
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
    filter.statuses = query.status.into_iter().collect();
    filter.since = records::query_time("since", query.since.as_deref())?;
    filter.until = records::query_time("until", query.until.as_deref())?;
    records::page(&mut filter, query.limit, query.offset);
    let mut items = Vec::new();
    for record in state.store.records(&filter).await? {
        if let Record::Deployment(deployment) = record {
            items.push(view(&state, &catalog, deployment).await?);
        }
    }
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
            Ok(Json(view(&state, &catalog, deployment).await?))
        }
        _ => Err(ApiError::not_found(format!(
            "no deployment `{}`; list them with GET /api/v1/deployments",
            record_key(&id)
        ))),
    }
}
