//! The JSON API under `/api/v1/`, and the OpenAPI document generated from
//! the handlers' annotations.

use std::convert::Infallible;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Extension, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::extract::{BodyBudget, BodyLimit};
use crate::{AppState, hooks};

pub mod deployments;
pub mod entities;
pub mod events;
pub mod health;
pub mod incidents;
pub mod metrics;
pub mod records;
pub mod shifts;
pub mod teams;

/// The largest body the API takes (1 MiB).
pub const API_BODY_LIMIT: usize = 1024 * 1024;
/// The largest webhook body taken (25 MiB: GitHub's cap on a delivery).
pub const HOOK_BODY_LIMIT: usize = 25 * 1024 * 1024;
/// The largest Events API v2 event taken (512 KiB, PagerDuty's own limit).
pub const EVENTS_V2_BODY_LIMIT: usize = 512 * 1024;
/// How many bytes of one webhook source's bodies may be in memory at once
/// (64 MiB: two deliveries of GitHub's largest, or thousands of ordinary
/// ones); more wait, then get 503.
pub const HOOK_BODY_BUDGET: usize = 64 * 1024 * 1024;

/// Declares the bearer token scheme write endpoints use.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A pavedroad API token (`paved token create`)"))
                    .build(),
            ),
        );
    }
}

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
        deployments::record_deployment,
        deployments::list_deployments,
        deployments::get_deployment,
        incidents::open_incident,
        incidents::acknowledge_incident,
        incidents::resolve_incident,
        incidents::list_incidents,
        incidents::get_incident,
        events::list_events,
        events::list_identities,
        shifts::record_shift,
        shifts::list_shifts,
        metrics::dora,
        metrics::report,
        metrics::prometheus,
        hooks::github_hook,
        hooks::gitlab_hook,
        hooks::alertmanager_hook,
        hooks::pagerduty_hook,
        hooks::enqueue,
        openapi_json,
    ),
    modifiers(&BearerToken),
    tags(
        (name = "catalog", description = "Entities of the Backstage-compatible catalog"),
        (name = "delivery", description = "Deployments, recorded by any CI or derived from webhooks"),
        (name = "operations", description = "Incidents, health and readiness"),
        (name = "metrics", description = "The DORA metrics, as JSON and as Prometheus text exposition"),
        (name = "data quality", description = "Raw events that could not be normalised; people the catalog does not know"),
        (name = "webhooks", description = "Deliveries from GitHub, GitLab, Alertmanager, PagerDuty and Events API v2 senders"),
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
        .route("/api/v1/deployments", get(deployments::list_deployments).post(deployments::record_deployment))
        .route("/api/v1/deployments/{*id}", get(deployments::get_deployment))
        .route("/api/v1/incidents", get(incidents::list_incidents).post(incidents::open_incident))
        // Incident keys may hold `/` and `#` (a GitHub issue's), so one
        // wildcard route takes them, and `/acknowledge` or `/resolve` after.
        .route("/api/v1/incidents/{*path}", get(incidents::get_incident).post(incidents::update_incident))
        .route("/api/v1/events", get(events::list_events))
        .route("/api/v1/identities", get(events::list_identities))
        .route("/api/v1/shifts", get(shifts::list_shifts).post(shifts::record_shift))
        .route("/api/v1/metrics/dora", get(metrics::dora))
        .route("/api/v1/report", get(metrics::report))
        .route("/metrics", get(metrics::prometheus))
        .route("/api/v1/openapi.json", get(openapi_json))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(Extension(BodyLimit(API_BODY_LIMIT)))
}

/// The webhook routes, which take larger bodies, each source with its own
/// budget of bodies in memory ([`HOOK_BODY_BUDGET`]).
pub fn hook_routes() -> Router<AppState> {
    let budget = || Extension(BodyBudget::new(HOOK_BODY_BUDGET));
    Router::new()
        .route("/hooks/github", post(hooks::github_hook).layer(budget()))
        .route("/hooks/gitlab", post(hooks::gitlab_hook).layer(budget()))
        .route("/hooks/alertmanager", post(hooks::alertmanager_hook).layer(budget()))
        .route("/hooks/pagerduty", post(hooks::pagerduty_hook).layer(budget()))
        .route(
            "/v2/enqueue",
            post(hooks::enqueue)
                .layer::<_, Infallible>(budget())
                .layer::<_, Infallible>(Extension(BodyLimit(EVENTS_V2_BODY_LIMIT))),
        )
        .layer(DefaultBodyLimit::max(HOOK_BODY_LIMIT))
        .layer(Extension(BodyLimit(HOOK_BODY_LIMIT)))
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
