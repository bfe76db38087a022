//! The JSON API under `/api/v1/`, and the OpenAPI document generated from
//! the handlers' annotations.

use std::convert::Infallible;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Extension, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::extract::{BodyBudget, BodyLimit};
use crate::{AppState, hooks};

pub mod audit;
pub mod backstage;
pub mod contacts;
pub mod deployments;
pub mod deploys;
pub mod doc;
pub mod enqueue_doc;
pub mod entities;
pub mod events;
pub mod health;
pub mod heartbeats;
pub mod incidents;
pub mod metrics;
pub mod oncall;
pub mod page;
pub mod records;
pub mod resources;
pub mod scorecards;
pub mod shifts;
pub mod teams;
pub mod templates;
pub mod views;

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
    modifiers(&BearerToken),
    // Schemas only parameters name (utoipa registers those of bodies).
    components(schemas(
        views::EventStatusQuery,
        views::IncidentStatusQuery,
        views::DeploymentStatusInput,
        views::SourceSchema,
        metrics::SeriesPeriod,
        metrics::BenchmarkTableName,
    )),
    tags(
        (name = "catalog", description = "Entities of the Backstage-compatible catalog"),
        (name = "delivery", description = "Deployments, recorded by any CI or derived from webhooks"),
        (name = "operations", description = "Incidents, who is on call and overrides, health and readiness"),
        (name = "metrics", description = "The DORA metrics, as JSON and as Prometheus text exposition"),
        (name = "data quality", description = "Raw events that could not be normalised; people the catalog does not know"),
        (name = "webhooks", description = "Deliveries from GitHub, GitLab, Alertmanager, PagerDuty and Events API v2 senders"),
    )
)]
pub struct ApiDoc;

/// The API's routes and its OpenAPI document, from one list: every handler
/// is routed and documented at once (utoipa-axum's `routes!` reads the
/// method and path of its `#[utoipa::path]`). The two catch-all routes,
/// whose keys may hold `/` and `#`, are the exception: axum routes them as
/// one wildcard each, and [`CatchAllDoc`], next to them, documents their
/// operations one by one.
fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(entities::list_entities))
        .routes(routes!(entities::get_entity))
        .routes(routes!(teams::get_team))
        .routes(routes!(deployments::list_deployments, deployments::record_deployment))
        .routes(routes!(incidents::list_incidents, incidents::open_incident))
        .routes(routes!(events::list_events))
        .routes(routes!(events::list_identities))
        .routes(routes!(shifts::list_shifts, shifts::record_shift))
        .routes(routes!(heartbeats::beat))
        .routes(routes!(heartbeats::list))
        .routes(routes!(oncall::on_call))
        .routes(routes!(oncall::schedule_overrides, oncall::create_override))
        .routes(routes!(oncall::list_overrides))
        .routes(routes!(oncall::delete_override))
        .routes(routes!(contacts::person_contacts, contacts::add_contact))
        .routes(routes!(contacts::remove_contact))
        .routes(routes!(resources::provision, resources::service_resources))
        .routes(routes!(resources::credentials))
        .routes(routes!(resources::rotate))
        .routes(routes!(resources::deprovision))
        .routes(routes!(templates::run))
        .routes(routes!(templates::show_run))
        .routes(routes!(templates::drift))
        .routes(routes!(templates::update))
        .routes(routes!(backstage::by_name))
        .routes(routes!(backstage::by_query))
        .routes(routes!(backstage::by_refs))
        .routes(routes!(audit::audit))
        .routes(routes!(scorecards::scorecards))
        .routes(routes!(scorecards::evaluate))
        .routes(routes!(scorecards::history))
        .routes(routes!(deploys::deploy))
        .routes(routes!(deploys::get_deploy))
        .routes(routes!(deploys::claim))
        .routes(routes!(deploys::heartbeat))
        .routes(routes!(deploys::log))
        .routes(routes!(deploys::finish))
        .routes(routes!(metrics::dora))
        .routes(routes!(metrics::report))
        .routes(routes!(crate::prometheus::prometheus))
        .routes(routes!(openapi_json))
        .split_for_parts();
    openapi.merge(CatchAllDoc::openapi());
    let router = router
        .route("/api/v1/deployments/{*id}", get(deployments::get_deployment))
        .route("/api/v1/incidents/{*path}", get(incidents::get_incident).post(incidents::update_incident));
    let hooks = || Extension(BodyBudget::new(HOOK_BODY_BUDGET));
    let (hook_router, hook_openapi) = OpenApiRouter::new()
        .routes(routes!(hooks::github_hook).layer(hooks()))
        .routes(routes!(hooks::gitlab_hook).layer(hooks()))
        .routes(routes!(hooks::alertmanager_hook).layer(hooks()))
        .routes(routes!(hooks::pagerduty_hook).layer(hooks()))
        .routes(
            routes!(hooks::enqueue)
                .layer::<_, Infallible>(hooks())
                .layer::<_, Infallible>(Extension(BodyLimit(EVENTS_V2_BODY_LIMIT))),
        )
        .split_for_parts();
    openapi.merge(hook_openapi);
    doc::finish(&mut openapi);
    let router = router.layer(DefaultBodyLimit::max(API_BODY_LIMIT)).layer(Extension(BodyLimit(API_BODY_LIMIT)));
    // Webhooks take larger bodies, each source with its own budget of
    // bodies in memory ([`HOOK_BODY_BUDGET`]).
    let hook_router =
        hook_router.layer(DefaultBodyLimit::max(HOOK_BODY_LIMIT)).layer(Extension(BodyLimit(HOOK_BODY_LIMIT)));
    (router.merge(hook_router), openapi)
}

/// The operations of the two catch-all routes (see [`api`]).
#[derive(OpenApi)]
#[openapi(paths(
    deployments::get_deployment,
    incidents::get_incident,
    incidents::acknowledge_incident,
    incidents::resolve_incident
))]
struct CatchAllDoc;

/// The routes of the API and of the webhooks (state still to be provided).
pub fn routes() -> Router<AppState> {
    api().0
}

/// The OpenAPI document of every route of [`routes`].
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static OPENAPI: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    OPENAPI.get_or_init(|| api().1)
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
pub async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(openapi().clone())
}
