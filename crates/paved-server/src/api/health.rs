//! Liveness and readiness.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use paved_store::DynStore;
use serde::Serialize;
use tokio::sync::Mutex;
use utoipa::ToSchema;

use crate::{ApiError, AppState};

paved_app::string_enum!(
    /// [`Health::status`].
    HealthStatus,
    "HealthStatus",
    "`ok` (alive) or `ready` (the database answers).",
    ["ok", "ready"]
);

/// Health or readiness of the server.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (alive) or `ready` (the database answers).
    #[schema(value_type = HealthStatus)]
    pub status: &'static str,
    /// The database backend, on `/readyz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// Liveness: the process answers HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health, description = "The process is up")))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", database: None })
}

/// Readiness: the database takes a write (and, on SQLite, its disk has
/// room).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, body = Health, description = "The database takes a write: the server can store deliveries"),
        (status = 503, body = crate::error::ErrorBody, description = "The database does not answer, refuses writes or its disk is full"),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    match state.readiness.check(&state.store).await {
        Ok(()) => Ok(Json(Health { status: "ready", database: Some(backend_name(state.store.backend())) })),
        Err(error) => Err(ApiError::unavailable(format!("the database does not answer: {error}"))),
    }
}

/// The last readiness probe. A probe writes, so probes run one at a time,
/// each bounded by [`Readiness::PROBE_TIMEOUT`], and callers that asked
/// while one ran share its answer: however often `/readyz` is asked, at
/// most one probe competes with the writer that stores deliveries, and no
/// answer is older than the question.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    last: Arc<Mutex<Option<Probe>>>,
}

/// When a probe started, and what it found.
type Probe = (Instant, Result<(), String>);

impl Readiness {
    /// How long a probe may take before the database counts as not answering.
    pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

    /// The answer of a probe that started after this call did.
    ///
    /// # Errors
    /// What the probe found wrong.
    pub async fn check(&self, store: &DynStore) -> Result<(), String> {
        let asked = Instant::now();
        let mut last = self.last.lock().await;
        if let Some((started, answer)) = last.as_ref()
            && *started >= asked
        {
            return answer.clone();
        }
        let started = Instant::now();
        let answer = match tokio::time::timeout(Self::PROBE_TIMEOUT, store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {} s", Self::PROBE_TIMEOUT.as_secs())),
        };
        if let Err(error) = &answer {
            tracing::warn!(%error, "readiness check failed");
        }
        *last = Some((started, answer.clone()));
        answer
    }
}

fn backend_name(backend: paved_store::Backend) -> &'static str {
    match backend {
        paved_store::Backend::Sqlite => "sqlite",
        paved_store::Backend::Postgres => "postgres",
    }
}
