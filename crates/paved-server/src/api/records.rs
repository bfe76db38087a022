//! What the deployment and incident endpoints share: recording through
//! [`paved_app::App::record`], and the filters of their lists.

use axum::Json;
use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use paved_domain::{CatalogIndex, EntityRef, Record, ServiceMatch};
use paved_store::RecordFilter;
use serde::Serialize;

use crate::{ApiError, AppState};
use paved_app::{Caller, RecordAction};

/// Records through the shared path and answers 201 when the request was new,
/// 200 when it repeated one already recorded.
pub async fn record_request(
    state: &AppState,
    caller: &Caller,
    action: RecordAction,
    body: Vec<u8>,
) -> Result<(StatusCode, Record), ApiError> {
    let recorded = state.record(caller, action, body, Utc::now().trunc_subsecs(6)).await?;
    Ok((if recorded.new { StatusCode::CREATED } else { StatusCode::OK }, recorded.record))
}

/// Answers a record of the expected variant, or a 500 naming the mismatch.
pub fn respond<T: Serialize>(
    (status, record): (StatusCode, Record),
    pick: impl FnOnce(Record) -> Option<T>,
) -> Result<(StatusCode, Json<T>), ApiError> {
    let kind = record.kind();
    pick(record)
        .map(|value| (status, Json(value)))
        .ok_or_else(|| ApiError::internal(&std::io::Error::other(format!("the request recorded a {}", kind.as_str()))))
}

/// The Components a list asks for: `service` (a name or reference), or the
/// services `team` (a Group, with its descendants) owns.
///
/// # Errors
/// 400 naming a service or team the catalog does not have.
pub fn services_filter(
    catalog: &CatalogIndex,
    service: Option<&str>,
    team: Option<&str>,
) -> Result<Option<Vec<EntityRef>>, ApiError> {
    if let Some(name) = service {
        return match catalog.service_named(name) {
            ServiceMatch::One(service) => Ok(Some(vec![service])),
            ServiceMatch::Several(services) => Err(ApiError::bad_request(format!(
                "`{name}` names several components ({}); write the full reference",
                services.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ))),
            ServiceMatch::None => Err(ApiError::bad_request(format!(
                "no component `{name}` in the catalog; list them with GET /api/v1/entities?kind=component"
            ))),
        };
    }
    let Some(team) = team else { return Ok(None) };
    let group = EntityRef::parse(team, Some("group"), paved_domain::DEFAULT_NAMESPACE)
        .map_err(|error| ApiError::bad_request(format!("team: {error}")))?;
    if catalog.group(&group).is_none() {
        return Err(ApiError::bad_request(format!(
            "no team {group} in the catalog; list them with GET /api/v1/entities?kind=group"
        )));
    }
    let services = catalog.services().into_iter().map(|info| info.entity_ref.clone());
    Ok(Some(services.filter(|service| catalog.team_owns(&group, service)).collect()))
}

/// A time of a query: RFC 3339, or a date (midnight UTC), as every
/// endpoint reads `since` and `until`.
///
/// # Errors
/// 400 naming the parameter.
pub fn query_time(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value.map(|text| paved_metrics::parse_time(name, text).map_err(ApiError::bad_request)).transpose()
}

/// Applies `paging` to a list's filter.
pub fn page(filter: &mut RecordFilter, paging: super::page::Paging) {
    filter.limit = paging.limit;
    filter.offset = paging.offset;
}
