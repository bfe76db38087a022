//! Self-service provisioning: `POST /api/v1/services/{name}/resources` (ask
//! a Module for what the service needs), `GET` the service's resources, and
//! `GET /api/v1/resources/{name}/credentials` (the secrets again, for who
//! may act on the service), `POST /api/v1/resources/{name}/rotate` (a new
//! password) and `DELETE /api/v1/resources/{name}`. Who may, the limits and
//! the drivers are the application's.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use paved_app::provision::{ProvisionRequest, Provisioned};
use paved_store::StoredResource;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::page::{Page, PagingQuery};
use crate::auth::Authenticated;
use crate::extract::{ApiPath, ApiQuery, RawBody};
use crate::{ApiError, AppState};

/// What `POST /api/v1/services/{name}/resources` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceBody {
    /// The Module (`postgres-database`).
    pub module: String,
    /// A name, when the service has several of the Module's (`orders`).
    #[serde(default)]
    pub name: Option<String>,
    /// The parameters, as the Module's schema describes them.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub parameters: Map<String, Value>,
}

/// A resource, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResourceView {
    /// The Resource entity (`resource:default/checkout-api-postgres-database`).
    pub resource: String,
    /// `provisioning`, `ready`, `failed`, `deprovisioning`.
    #[schema(value_type = crate::api::views::ResourceStatusSchema)]
    pub status: String,
    /// The Module that made it.
    pub module: String,
    /// The service it is for.
    pub service: String,
    /// The team that owns it.
    pub owner: String,
    /// Its outputs; the secret ones only in the answer that made it (and
    /// from `.../credentials`).
    #[schema(value_type = Object)]
    pub outputs: Map<String, Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// False when the same request had made it before.
    #[serde(default)]
    pub created: bool,
}

impl ResourceView {
    /// `resource` with `outputs`.
    pub fn new(resource: &StoredResource, outputs: Map<String, Value>, created: bool) -> Self {
        Self {
            resource: resource.entity_ref.to_string(),
            status: resource.state.as_str().to_owned(),
            module: resource.module.to_string(),
            service: resource.service.to_string(),
            owner: resource.team.to_string(),
            outputs,
            error: resource.error.clone(),
            created,
        }
    }
}

impl From<&StoredResource> for ResourceView {
    fn from(resource: &StoredResource) -> Self {
        let outputs = resource.outputs.clone().and_then(|o| o.as_object().cloned()).unwrap_or_default();
        Self::new(resource, outputs, false)
    }
}

impl From<Provisioned> for ResourceView {
    fn from(made: Provisioned) -> Self {
        Self::new(&made.resource, made.outputs, made.created)
    }
}

/// Provision what the service needs from a Module: at once, checked
/// against who may act on the service and the team's limits. The same
/// request again answers 200 with the resource it made (its secrets are
/// not shown again).
#[utoipa::path(
    post,
    path = "/api/v1/services/{name}/resources",
    tag = "operations",
    params(("name" = String, Path, description = "The service (`checkout-api`)")),
    request_body = ResourceBody,
    responses(
        (status = 201, body = ResourceView, description = "Made; the secrets are shown this once"),
        (status = 200, body = ResourceView, description = "Made before by the same request"),
        (status = 400, body = crate::error::ErrorBody, description = "A bad name or parameter (named), a limit reached (named), no secret_key, an unknown server"),
        (status = 403, body = crate::error::ErrorBody, description = "The caller may not act on the service; the message names its owners"),
        (status = 404, body = crate::error::ErrorBody, description = "No such service or Module"),
        (status = 503, body = crate::error::ErrorBody, description = "The driver failed; nothing was left behind"),
    ),
    security(("bearer" = []))
)]
pub async fn provision(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(name): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<ResourceView>), ApiError> {
    let body: ResourceBody = crate::extract::json_object(&body).map_err(|error| {
        ApiError::bad_request(format!(
            "the body is not a request: {error}; send {{\"module\": \"postgres-database\", \"parameters\": {{}}}}"
        ))
    })?;
    let request = ProvisionRequest {
        module: body.module,
        service: name,
        name: body.name,
        set: body.parameters.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
    };
    let made = state.provision(&caller, &request).await?;
    let status = if made.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(made.into())))
}

/// The service's resources, without their secrets.
#[utoipa::path(
    get,
    path = "/api/v1/services/{name}/resources",
    tag = "operations",
    params(("name" = String, Path, description = "The service"), PagingQuery),
    responses(
        (status = 200, body = Page<ResourceView>, description = "The resources of the page"),
        (status = 400, body = crate::error::ErrorBody, description = "A paging parameter is invalid"),
        (status = 404, body = crate::error::ErrorBody, description = "No such service"),
    )
)]
pub async fn service_resources(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<PagingQuery>,
) -> Result<Json<Page<ResourceView>>, ApiError> {
    let paging = query.paging()?;
    Ok(Json(Page::of(state.resources_of(Some(&name)).await?.iter().map(ResourceView::from).collect(), paging)))
}

/// A resource's outputs with its secrets, for who may act on its service
/// (audited).
#[utoipa::path(
    get,
    path = "/api/v1/resources/{name}/credentials",
    tag = "operations",
    params(("name" = String, Path, description = "The resource (`checkout-api-postgres-database`)")),
    responses(
        (status = 200, body = Object, description = "Every output, the secret ones included"),
        (status = 403, body = crate::error::ErrorBody, description = "The caller may not act on its service"),
        (status = 404, body = crate::error::ErrorBody, description = "No such resource"),
    ),
    security(("bearer" = []))
)]
pub async fn credentials(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Map<String, Value>>, ApiError> {
    Ok(Json(state.resource_credentials(&caller, &name).await?))
}

/// A new password for a PostgreSQL or Redis resource, for who may act on
/// its service (audited): the old one is refused from then on. The answer
/// is like the credentials', the new secrets shown this once (and from
/// `.../credentials` again).
#[utoipa::path(
    post,
    path = "/api/v1/resources/{name}/rotate",
    tag = "operations",
    params(("name" = String, Path, description = "The resource (`checkout-api-postgres-database`)")),
    responses(
        (status = 200, body = Object, description = "Every output, the new secret ones included"),
        (status = 400, body = crate::error::ErrorBody, description = "It has no secret to rotate (a Terraform resource), it failed, or no secret_key"),
        (status = 403, body = crate::error::ErrorBody, description = "The caller may not act on its service"),
        (status = 404, body = crate::error::ErrorBody, description = "No such resource"),
        (status = 409, body = crate::error::ErrorBody, description = "Another request holds it now, or it is not ready yet"),
        (status = 503, body = crate::error::ErrorBody, description = "The driver failed; the old password still works"),
    ),
    security(("bearer" = []))
)]
pub async fn rotate(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Map<String, Value>>, ApiError> {
    Ok(Json(state.rotate_resource(&caller, &name).await?))
}

/// `?confirm=NAME` of a removal.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfirmQuery {
    /// The resource's name again.
    pub confirm: Option<String>,
}

/// Remove a resource: its driver drops it and its data at once (no
/// retention), and its secrets are forgotten. The service's owners and
/// admins only, with `?confirm=` repeating its name.
#[utoipa::path(
    delete,
    path = "/api/v1/resources/{name}",
    tag = "operations",
    params(("name" = String, Path, description = "The resource"), ConfirmQuery),
    responses(
        (status = 200, body = ResourceView, description = "Removed"),
        (status = 400, body = crate::error::ErrorBody, description = "No confirmation"),
        (status = 403, body = crate::error::ErrorBody, description = "The caller may not act on its service"),
        (status = 404, body = crate::error::ErrorBody, description = "No such resource"),
        (status = 409, body = crate::error::ErrorBody, description = "Another request holds it now"),
        (status = 503, body = crate::error::ErrorBody, description = "The driver failed; it stays"),
    ),
    security(("bearer" = []))
)]
pub async fn deprovision(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(name): ApiPath<String>,
    crate::extract::ApiQuery(query): crate::extract::ApiQuery<ConfirmQuery>,
) -> Result<Json<ResourceView>, ApiError> {
    Ok(Json((&state.deprovision(&caller, &name, query.confirm.as_deref()).await?).into()))
}
