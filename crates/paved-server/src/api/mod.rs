//! The JSON API under `/api/v1/`, and the OpenAPI document generated from
//! the handlers' annotations.

use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;

use crate::AppState;

pub mod entities;
pub mod health;
pub mod teams;

/// The OpenAPI document of the API, generated from the code.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "pavedroad API",
        description = "Catalog, delivery and culture data of pavedroad. Errors have one shape: `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        health::healthz,
        health::readyz,
        entities::list_entities,
        entities::get_entity,
        teams::get_team,
        openapi_json,
    ),
    tags(
        (name = "catalog", description = "Entities of the Backstage-compatible catalog"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

/// The routes of the API (state still to be provided).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/entities", get(entities::list_entities))
        .route("/api/v1/entities/{kind}/{namespace}/{name}", get(entities::get_entity))
        .route("/api/v1/teams/{name}", get(teams::get_team))
        .route("/api/v1/openapi.json", get(openapi_json))
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
pub async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
