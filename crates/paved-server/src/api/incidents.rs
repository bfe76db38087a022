//! `POST /api/v1/incidents`, `POST /api/v1/incidents/{id}/acknowledge`,
//! `POST /api/v1/incidents/{id}/resolve`, `GET /api/v1/incidents` and
//! `GET /api/v1/incidents/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use paved_domain::{Incident, IncidentStatus, Record, RecordKind};
use paved_ingest::api::{IncidentRequest, IncidentUpdateRequest, record_key};
use paved_store::RecordFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use super::records::{self, Page};
use crate::auth::Authenticated;
use crate::extract::{ApiPath, ApiQuery, RawBody};
use crate::{ApiError, AppState};
use paved_app::RecordAction;

/// Filters and paging of `GET /api/v1/incidents`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// A Component (`checkout` or `component:default/checkout`).
    pub service: Option<String>,
    /// A team (Group): the incidents of the services it owns.
    pub team: Option<String>,
    /// `open` (not resolved, acknowledged or not), `unacknowledged`,
    /// `acknowledged` or `resolved`.
    pub status: Option<String>,
    /// Incidents opened at or after this time.
    pub since: Option<String>,
    /// ... and before this time.
    pub until: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Incidents to skip.
    pub offset: Option<u64>,
}

fn incident(record: Record) -> Option<Incident> {
    match record {
        Record::Incident(incident) => Some(incident),
        _ => None,
    }
}

/// Opens an incident (idempotent on its `id`).
#[utoipa::path(
    post,
    path = "/api/v1/incidents",
    tag = "operations",
    request_body = IncidentRequest,
    responses(
        (status = 201, body = Incident, description = "Opened"),
        (status = 200, body = Incident, description = "The same request was recorded before; nothing changed"),
        (status = 400, body = crate::error::ErrorBody, description = "A field is missing or malformed, or the service is not in the catalog"),
        (status = 401, body = crate::error::ErrorBody, description = "No valid token"),
        (status = 403, body = crate::error::ErrorBody, description = "A team token for a service its team does not own"),
    ),
    security(("bearer" = []))
)]
pub async fn open_incident(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    let recorded = records::record_request(&state, &caller, RecordAction::OpenIncident, body.to_vec()).await?;
    records::respond(recorded, incident)
}

/// Acknowledges an incident: who, and when (default now).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/acknowledge",
    tag = "operations",
    params(("id" = String, Path, description = "The incident's id or key")),
    request_body = IncidentUpdateRequest,
    responses(
        (status = 200, body = Incident, description = "Acknowledged (the first acknowledgement counts)"),
        (status = 201, body = Incident, description = "Acknowledged"),
        (status = 400, body = crate::error::ErrorBody, description = "A field is missing or malformed"),
        (status = 404, body = crate::error::ErrorBody, description = "No such incident"),
        (status = 403, body = crate::error::ErrorBody, description = "A team token for a service its team does not own"),
    ),
    security(("bearer" = []))
)]
pub async fn acknowledge_incident(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    let recorded =
        records::record_request(&state, &caller, RecordAction::AcknowledgeIncident(id), body.to_vec()).await?;
    records::respond(recorded, incident)
}

/// `POST /api/v1/incidents/{id}/acknowledge` and `.../resolve`, where the id
/// may hold `/` (the route is a wildcard; the suffix says which).
pub async fn update_incident(
    state: State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(path): ApiPath<String>,
    body: RawBody,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    if let Some(id) = path.strip_suffix("/acknowledge") {
        return acknowledge_incident(state, Authenticated(caller), ApiPath(id.to_owned()), body).await;
    }
    if let Some(id) = path.strip_suffix("/resolve") {
        return resolve_incident(state, Authenticated(caller), ApiPath(id.to_owned()), body).await;
    }
    Err(ApiError::method_not_allowed())
}

/// Resolves an incident: who, and when (default now).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/resolve",
    tag = "operations",
    params(("id" = String, Path, description = "The incident's id or key")),
    request_body = IncidentUpdateRequest,
    responses(
        (status = 201, body = Incident, description = "Resolved"),
        (status = 200, body = Incident, description = "The same request was recorded before"),
        (status = 400, body = crate::error::ErrorBody, description = "A field is missing or malformed"),
        (status = 404, body = crate::error::ErrorBody, description = "No such incident"),
        (status = 403, body = crate::error::ErrorBody, description = "A team token for a service its team does not own"),
    ),
    security(("bearer" = []))
)]
pub async fn resolve_incident(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(id): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    let recorded = records::record_request(&state, &caller, RecordAction::ResolveIncident(id), body.to_vec()).await?;
    records::respond(recorded, incident)
}

/// The statuses a `status` query parameter stands for.
fn statuses(status: Option<&str>) -> Result<Vec<String>, ApiError> {
    let names = |statuses: &[IncidentStatus]| statuses.iter().map(|s| s.as_str().to_owned()).collect();
    Ok(match status.map(str::to_ascii_lowercase).as_deref() {
        None => Vec::new(),
        Some("open") => names(&[IncidentStatus::Open, IncidentStatus::Acknowledged]),
        Some("unacknowledged") => names(&[IncidentStatus::Open]),
        Some("acknowledged") => names(&[IncidentStatus::Acknowledged]),
        Some("resolved") => names(&[IncidentStatus::Resolved]),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status `{other}` is not open, unacknowledged, acknowledged or resolved"
            )));
        }
    })
}

/// Incidents, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    tag = "operations",
    params(IncidentQuery),
    responses(
        (status = 200, body = Page<Incident>),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown service, team or status, or a bad time"),
    )
)]
pub async fn list_incidents(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<IncidentQuery>,
) -> Result<Json<Page<Incident>>, ApiError> {
    let catalog = state.catalog.current().await?;
    let mut filter = RecordFilter::new(RecordKind::Incident);
    if let Some(services) = records::services_filter(&catalog, query.service.as_deref(), query.team.as_deref())? {
        if services.is_empty() {
            return Ok(Json(Page { items: Vec::new(), limit: filter.limit, offset: 0 }));
        }
        filter.services = services;
    }
    filter.statuses = statuses(query.status.as_deref())?;
    filter.since = records::query_time("since", query.since.as_deref())?;
    filter.until = records::query_time("until", query.until.as_deref())?;
    records::page(&mut filter, query.limit, query.offset);
    let items = state.store.records(&filter).await?.into_iter().filter_map(incident).collect();
    Ok(Json(Page { items, limit: filter.limit, offset: filter.offset }))
}

/// One incident, by the id it was opened with or by its key
/// (`pagerduty:Q2CZ1YLDVX0AYU`).
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    tag = "operations",
    params(("id" = String, Path, description = "The incident's id or key")),
    responses(
        (status = 200, body = Incident),
        (status = 404, body = crate::error::ErrorBody, description = "No such incident"),
    )
)]
pub async fn get_incident(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Incident>, ApiError> {
    match state.store.record(RecordKind::Incident, &record_key(&id)).await?.and_then(incident) {
        Some(incident) => Ok(Json(incident)),
        None => {
            Err(ApiError::not_found(format!("no incident `{}`; list them with GET /api/v1/incidents", record_key(&id))))
        }
    }
}
