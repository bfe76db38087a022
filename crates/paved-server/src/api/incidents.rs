//! `POST /api/v1/incidents`, `POST /api/v1/incidents/{id}/acknowledge`,
//! `POST /api/v1/incidents/{id}/resolve`, `GET /api/v1/incidents` and
//! `GET /api/v1/incidents/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use paved_domain::{EntityRef, Identity, Incident, IncidentStatus, PageReason, Record, RecordKind};
use paved_ingest::api::record_key;
use paved_store::RecordFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::page::{DEFAULT_LIMIT, Page, Paging};
use super::records;
use super::views::{EntityRefSchema, IdentitySchema, IncidentStatusQuery, RecordSourceSchema};
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
    #[param(value_type = Option<IncidentStatusQuery>)]
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

/// An incident to open (the body of `POST /api/v1/incidents`).
//
// The body is read by `paved_ingest::api::IncidentRequest`; this type
// documents it, and a test keeps the two alike.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentRequest {
    /// Your id for it (e.g. `INC-42`): acknowledge and resolve it by this
    /// id. Generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The Component affected.
    pub service: String,
    /// When it opened (RFC 3339); default: when it was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<String>,
    /// Severity as you write it (`SEV-1`, `critical`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// A one-line title; `root cause: <sha>` in it links the commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The deployment that caused it (its id as recorded, or its key, e.g.
    /// `github:github.com/acme/checkout/145988746`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<String>,
    /// The commit that caused it (7 to 64 hex digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
    /// A link to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Who acknowledged or resolved an incident, and when (the body of `POST
/// /api/v1/incidents/{id}/acknowledge` and `.../resolve`).
//
// Read by `paved_ingest::api::IncidentUpdateRequest`; documented here.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentUpdateRequest {
    /// A login, an e-mail or a catalog User.
    pub by: String,
    /// When (RFC 3339); default: when it was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// Why someone was notified about an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = PageReason)]
pub enum PageReasonView {
    /// Paged when the incident opened (assigned).
    Triggered,
    /// Paged because the incident was escalated to them.
    Escalated,
    /// Paged because the incident was reassigned to them.
    Reassigned,
}

impl From<PageReason> for PageReasonView {
    fn from(reason: PageReason) -> Self {
        match reason {
            PageReason::Triggered => Self::Triggered,
            PageReason::Escalated => Self::Escalated,
            PageReason::Reassigned => Self::Reassigned,
        }
    }
}

/// One person paged for an incident.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PersonPaged)]
pub struct PageView {
    /// Who was paged.
    #[schema(value_type = IdentitySchema)]
    pub person: Identity,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: PageReasonView,
}

impl From<paved_domain::Page> for PageView {
    fn from(page: paved_domain::Page) -> Self {
        let paved_domain::Page { person, at, reason } = page;
        Self { person, at, reason: reason.into() }
    }
}

/// An incident on a service (DESIGN §3 "Incident").
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Incident)]
pub struct IncidentView {
    /// The record's key: `<source>:<id within the source>`, e.g.
    /// `pagerduty:Q2CZ1YLDVX0AYU` or
    /// `alertmanager:a1b2c3d4e5f6a7b8@2026-11-03T10:00:00Z`.
    pub key: String,
    /// Where it came from.
    #[schema(value_type = RecordSourceSchema)]
    pub source: String,
    /// The service (a Component) affected, resolved through the catalog.
    #[schema(value_type = Option<EntityRefSchema>)]
    pub service: Option<EntityRef>,
    /// The service as the source named it (a label value, a PagerDuty
    /// service name), kept so that an unresolved one can be shown.
    pub service_name: Option<String>,
    /// A one-line title.
    pub title: Option<String>,
    /// Severity as the source writes it (`critical`, `SEV-1`, `P2`, ...).
    pub severity: Option<String>,
    /// When it opened (unknown only while the news of its opening has not
    /// arrived).
    pub opened_at: Option<DateTime<Utc>>,
    /// When it was first acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Who acknowledged it first.
    #[schema(value_type = Option<IdentitySchema>)]
    pub acknowledged_by: Option<Identity>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it, when the source says.
    #[schema(value_type = Option<IdentitySchema>)]
    pub resolved_by: Option<Identity>,
    /// The deployment it names as its cause (a deployment key, or the
    /// caller's deployment id).
    pub caused_by_deployment: Option<String>,
    /// The commit it names as its root cause (`root cause: <sha>` in its
    /// text, or an explicit field), lower-case hex, perhaps abbreviated.
    pub root_cause_sha: Option<String>,
    /// Everyone paged, with when and why.
    pub pages: Vec<PageView>,
    /// A link to the incident at its source.
    pub url: Option<String>,
    /// When it was last reopened after a resolution; a resolution before
    /// this time no longer counts.
    pub reopened_at: Option<DateTime<Utc>>,
    /// When the source said what this record says of its title, severity
    /// and service (orders news that arrives out of order: the newer wins).
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<Incident> for IncidentView {
    fn from(incident: Incident) -> Self {
        let Incident {
            key,
            source,
            service,
            service_name,
            title,
            severity,
            opened_at,
            acknowledged_at,
            acknowledged_by,
            resolved_at,
            resolved_by,
            caused_by_deployment,
            root_cause_sha,
            pages,
            url,
            reopened_at,
            updated_at,
        } = incident;
        Self {
            key,
            source,
            service,
            service_name,
            title,
            severity,
            opened_at,
            acknowledged_at,
            acknowledged_by,
            resolved_at,
            resolved_by,
            caused_by_deployment,
            root_cause_sha,
            pages: pages.into_iter().map(PageView::from).collect(),
            url,
            reopened_at,
            updated_at,
        }
    }
}

fn incident(record: Record) -> Option<IncidentView> {
    match record {
        Record::Incident(incident) => Some(incident.into()),
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
        (status = 201, body = IncidentView, description = "Opened"),
        (status = 200, body = IncidentView, description = "The same request was recorded before; nothing changed"),
        (status = 400, body = crate::error::ErrorBody, description = "A field is missing or malformed, or the service is not in the catalog"),
        (status = 401, body = crate::error::ErrorBody, description = "No valid token"),
        (status = 403, body = crate::error::ErrorBody, description = "A team token for a service its team does not own"),
        (status = 409, body = crate::error::ErrorBody, description = "The id is already recorded for another service: give this incident an id of its own"),
    ),
    security(("bearer" = []))
)]
pub async fn open_incident(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
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
        (status = 200, body = IncidentView, description = "Acknowledged (the first acknowledgement counts)"),
        (status = 201, body = IncidentView, description = "Acknowledged"),
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
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
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
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse as _;
    if let Some(id) = path.strip_suffix("/acknowledge") {
        let answer = acknowledge_incident(state, Authenticated(caller), ApiPath(id.to_owned()), body).await?;
        return Ok(answer.into_response());
    }
    if let Some(id) = path.strip_suffix("/resolve") {
        let answer = resolve_incident(state, Authenticated(caller), ApiPath(id.to_owned()), body).await?;
        return Ok(answer.into_response());
    }
    // `/api/v1/incidents/{id}` itself is only read.
    Ok(([(axum::http::header::ALLOW, "GET")], ApiError::method_not_allowed()).into_response())
}

/// Resolves an incident: who, and when (default now).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/resolve",
    tag = "operations",
    params(("id" = String, Path, description = "The incident's id or key")),
    request_body = IncidentUpdateRequest,
    responses(
        (status = 201, body = IncidentView, description = "Resolved"),
        (status = 200, body = IncidentView, description = "The same request was recorded before"),
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
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
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
        (status = 200, body = Page<IncidentView>, description = "The incidents of the page, newest first"),
        (status = 400, body = crate::error::ErrorBody, description = "An unknown service, team or status, or a bad time"),
    )
)]
pub async fn list_incidents(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<IncidentQuery>,
) -> Result<Json<Page<IncidentView>>, ApiError> {
    let paging = Paging::new(query.limit, query.offset, DEFAULT_LIMIT)?;
    let catalog = state.catalog.current().await?;
    let mut filter = RecordFilter::new(RecordKind::Incident);
    if let Some(services) = records::services_filter(&catalog, query.service.as_deref(), query.team.as_deref())? {
        if services.is_empty() {
            return Ok(Json(Page::new(Vec::new(), 0, paging)));
        }
        filter.services = services;
    }
    filter.statuses = statuses(query.status.as_deref())?;
    filter.since = records::query_time("since", query.since.as_deref())?;
    filter.until = records::query_time("until", query.until.as_deref())?;
    records::page(&mut filter, paging);
    let total = state.store.count_records(&filter).await?;
    let items = state.store.records(&filter).await?.into_iter().filter_map(incident).collect();
    Ok(Json(Page::new(items, total, paging)))
}

/// One incident, by the id it was opened with or by its key
/// (`pagerduty:Q2CZ1YLDVX0AYU`).
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    tag = "operations",
    params(("id" = String, Path, description = "The incident's id or key")),
    responses(
        (status = 200, body = IncidentView, description = "The incident"),
        (status = 404, body = crate::error::ErrorBody, description = "No such incident"),
    )
)]
pub async fn get_incident(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<IncidentView>, ApiError> {
    match state.store.record(RecordKind::Incident, &record_key(&id)).await?.and_then(incident) {
        Some(incident) => Ok(Json(incident)),
        None => {
            Err(ApiError::not_found(format!("no incident `{}`; list them with GET /api/v1/incidents", record_key(&id))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::views::assert_same_body;
    use paved_ingest::api as ingest;

    /// Both literals name every field of their type, so a field added to
    /// one and not the other fails here.
    #[test]
    fn the_documented_bodies_are_the_bodies_ingest_reads() {
        let some = |text: &str| Some(text.to_owned());
        assert_same_body::<_, ingest::IncidentRequest>(IncidentRequest {
            id: some("INC-1"),
            service: "checkout".to_owned(),
            opened_at: some("2026-11-02T09:00:00Z"),
            severity: some("SEV-1"),
            title: some("down"),
            caused_by: some("run-1"),
            root_cause: some("abc1234"),
            url: some("https://pager.example/1"),
        });
        assert_same_body::<_, IncidentRequest>(ingest::IncidentRequest {
            id: some("INC-1"),
            service: "checkout".to_owned(),
            opened_at: some("2026-11-02T09:00:00Z"),
            severity: some("SEV-1"),
            title: some("down"),
            caused_by: some("run-1"),
            root_cause: some("abc1234"),
            url: some("https://pager.example/1"),
        });
        let (by, at) = ("octocat".to_owned(), some("2026-11-02T09:05:00Z"));
        assert_same_body::<_, ingest::IncidentUpdateRequest>(IncidentUpdateRequest { by: by.clone(), at: at.clone() });
        assert_same_body::<_, IncidentUpdateRequest>(ingest::IncidentUpdateRequest { by, at });
    }
}
