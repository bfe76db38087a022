//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{ApiError, AppState};

/// Health or readiness of the server.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (alive) or `ready` (the database answers).
    pub status: &'static str,
    /// The database backend, on `/readyz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// Liveness: the process answers HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", database: None })
}

/// Readiness: the database answers a query.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, body = Health, description = "The database answers"),
        (status = 503, body = crate::error::ErrorBody, description = "The database does not answer"),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok(Json(Health { status: "ready", database: Some(backend_name(state.store.backend())) })),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            Err(ApiError::unavailable(format!("the database does not answer: {error}")))
        }
    }
}

fn backend_name(backend: paved_store::Backend) -> &'static str {
    match backend {
        paved_store::Backend::Sqlite => "sqlite",
        paved_store::Backend::Postgres => "postgres",
    }
}
