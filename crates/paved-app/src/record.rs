//! Recording deployments and incidents through pavedroad's own API: the one
//! path `POST /api/v1/deployments`, the incident endpoints and the CLI
//! (`paved deploy record`, `paved incident ...` on the local database) all
//! take. A request is checked (fields, service, ownership) before anything
//! is stored; once stored, it is a raw event like any webhook's, derived
//! the same way and rebuilt the same way.

use chrono::{DateTime, Utc};
use paved_domain::{CatalogIndex, Deployment, Identity, Incident, Record, RecordKind, Source};
use paved_ingest::{IngestSettings, RawInput, api};
use paved_store::{DynStore, IngestEvent, Ingested, NewAudit, NewRawEvent, RawEventInsert};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{AppError, Caller};

/// What a request asks to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordAction {
    /// Record (or update) a deployment.
    RecordDeployment,
    /// Open an incident.
    OpenIncident,
    /// Acknowledge the incident with this id.
    AcknowledgeIncident(String),
    /// Resolve the incident with this id.
    ResolveIncident(String),
    /// Record (or correct) an on-call shift.
    RecordShift,
}

impl RecordAction {
    fn event_type(&self) -> &'static str {
        match self {
            Self::RecordDeployment => api::DEPLOYMENT,
            Self::OpenIncident => api::INCIDENT_OPEN,
            Self::AcknowledgeIncident(_) => api::INCIDENT_ACKNOWLEDGE,
            Self::ResolveIncident(_) => api::INCIDENT_RESOLVE,
            Self::RecordShift => api::SHIFT,
        }
    }

    fn audit_action(&self) -> &'static str {
        match self {
            Self::RecordDeployment => "deployment.record",
            Self::OpenIncident => "incident.open",
            Self::AcknowledgeIncident(_) => "incident.acknowledge",
            Self::ResolveIncident(_) => "incident.resolve",
            Self::RecordShift => "shift.record",
        }
    }
}

/// A checked request, ready to store.
#[derive(Debug, Clone)]
pub struct PreparedRecord {
    /// The raw event with what it yields and its audit entry.
    pub event: IngestEvent,
    /// The kind of the record it adds to.
    pub kind: RecordKind,
    /// The key of the record it adds to.
    pub key: String,
}

/// Checks `body` as a request to `action` by `caller` and prepares what to
/// store.
///
/// # Errors
/// [`AppError::Invalid`] for a malformed body or a service the catalog does
/// not have; [`AppError::NotFound`] for an incident to acknowledge or
/// resolve that is not recorded; [`AppError::Forbidden`] when a team token
/// acts on another team's service; [`AppError::Conflict`] for an id of
/// another service's record; a store failure.
pub async fn prepare(
    store: &DynStore,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    caller: &Caller,
    action: RecordAction,
    body: Vec<u8>,
    received_at: DateTime<Utc>,
) -> Result<PreparedRecord, AppError> {
    paved_ingest::json::check(&body).map_err(AppError::Invalid)?;
    let mut context = json!({});
    match &action {
        RecordAction::AcknowledgeIncident(id) | RecordAction::ResolveIncident(id) => context["incident"] = json!(id),
        RecordAction::RecordDeployment | RecordAction::OpenIncident | RecordAction::RecordShift => {
            // A request without an id gets one, kept with the raw event so
            // that a rebuild derives the same record.
            let has_id = serde_json::from_slice::<Value>(&body).ok().is_some_and(|v| v.get("id").is_some());
            if !has_id {
                context["id"] = json!(uuid::Uuid::new_v4().to_string());
            }
        }
    }
    // Refused as someone else only once it is clear they may act at all.
    let impersonation = if matches!(action, RecordAction::RecordDeployment) {
        acting_for(catalog, caller, &body, &mut context)
    } else {
        Ok(())
    };
    let event_type = action.event_type();
    let input = RawInput { source: Source::Api, event_type, body: &body, context: &context, received_at };
    paved_ingest::normalize::normalize(&input, settings).map_err(|error| AppError::Invalid(error.0))?;
    let derivation = paved_ingest::derive(&input, catalog, settings);
    let Some(record) = derivation.records.first() else {
        return Err(AppError::Invalid(derivation.reason.unwrap_or_else(|| "the request records nothing".into())));
    };
    let (kind, key) = (record.kind(), record.key().to_owned());
    if let Record::Shift(shift) = record {
        let Some(schedule) = catalog.schedule(&shift.schedule) else {
            return Err(AppError::Invalid(format!(
                "no Schedule {} in the catalog; add it (kind: Schedule, apiVersion: paved.dev/v1alpha1)",
                shift.schedule
            )));
        };
        caller.may_act_on_schedule(catalog, &schedule.entity_ref)?;
        let about = format!("schedule {}", schedule.entity_ref);
        return prepared(caller, &action, derivation, (kind, key), (body, context), received_at, &about);
    }
    let stored = store.record(kind, &key).await?;
    let service = match (&action, record) {
        (RecordAction::RecordDeployment, Record::Deployment(Deployment { service, .. }))
        | (RecordAction::OpenIncident, Record::Incident(Incident { service, .. })) => {
            if !key.starts_with("api:") {
                return Err(AppError::Invalid(format!(
                    "the id `{key}` names a record of another source; record and open through the API with ids of \
                     your own (acknowledge and resolve take any incident's key)"
                )));
            }
            let Some(service) = service.clone() else {
                let named = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|body| body.get("service").and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_default();
                return Err(AppError::Invalid(unknown_service(catalog, &named)));
            };
            // An id names one record of one service for good: reusing it for
            // another service would move another team's record.
            if let Some(stored_service) = stored.as_ref().and_then(service_of)
                && stored_service.key() != service.key()
            {
                return Err(AppError::Conflict(format!(
                    "`{key}` is already recorded for {stored_service}; give this {} an id of its own",
                    kind.as_str().replace('_', " ")
                )));
            }
            service
        }
        _ => {
            let Some(Record::Incident(stored)) = &stored else {
                return Err(AppError::NotFound(format!(
                    "no incident `{key}` is recorded; open it first (POST /api/v1/incidents or `paved incident open`)"
                )));
            };
            match &stored.service {
                Some(service) => service.clone(),
                // An incident no service claimed is anyone's to close, but
                // not a team's: it may be another team's.
                None => {
                    caller.may_act_without_service(&format!("incident `{key}`"))?;
                    return prepared(
                        caller,
                        &action,
                        derivation,
                        (kind, key),
                        (body, context),
                        received_at,
                        "no service",
                    );
                }
            }
        }
    };
    caller.may_act_on(catalog, &service)?;
    if let Record::Deployment(deployment) = record {
        caller.ci_scope_allows(catalog, &service, Some(&deployment.environment))?;
        // Recording an id again replaces that deployment, environment
        // included: a CI token may only replace one of its own environment.
        if let Some(Record::Deployment(stored)) = &stored {
            caller.ci_scope_allows(catalog, &service, Some(&stored.environment))?;
        }
    }
    impersonation?;
    check_links(store, catalog, caller, record).await?;
    prepared(caller, &action, derivation, (kind, key), (body, context), received_at, &format!("service {service}"))
}

/// A link from a record to another team's record changes that team's
/// figures (a deployment named as an incident's cause fails; an incident a
/// deployment fixes recovers), so a team token may only link records of
/// services its team owns: `caused_by` a deployment, `fixes` incidents.
/// A team token may not name a record that is not stored yet either (it
/// could be another team's once it is), and no record names more than
/// [`MAX_LINKS`].
async fn check_links(
    store: &DynStore,
    catalog: &CatalogIndex,
    caller: &Caller,
    record: &Record,
) -> Result<(), AppError> {
    let links: Vec<(RecordKind, &str, &str)> = match record {
        Record::Incident(incident) => incident
            .caused_by_deployment
            .iter()
            .map(|key| (RecordKind::Deployment, key.as_str(), "caused_by"))
            .collect(),
        Record::Deployment(deployment) => {
            deployment.fixes_incidents.iter().map(|key| (RecordKind::Incident, key.as_str(), "fixes")).collect()
        }
        _ => Vec::new(),
    };
    if links.len() > MAX_LINKS {
        return Err(AppError::Invalid(format!(
            "a record may name at most {MAX_LINKS} others; this one names {} (send them in several records)",
            links.len()
        )));
    }
    let restricted = caller.team().is_some();
    for (kind, key, field) in links {
        let Some(linked) = store.record(kind, key).await? else {
            if restricted {
                return Err(AppError::Forbidden(format!(
                    "{field} names {} `{key}`, which is not recorded: a team token may only link records of its \
                     own services that exist; record it first, or use an admin token",
                    kind.as_str().replace('_', " ")
                )));
            }
            continue;
        };
        if let Some(service) = service_of(&linked) {
            caller.may_act_on(catalog, service).map_err(|refusal| {
                AppError::Forbidden(format!(
                    "{field} names {} `{key}` of {service}: {}",
                    kind.as_str().replace('_', " "),
                    refusal.message()
                ))
            })?;
        }
    }
    Ok(())
}

/// The most records one record may name (`fixes`).
pub const MAX_LINKS: usize = 100;

/// The service of a stored deployment or incident.
fn service_of(record: &Record) -> Option<&paved_domain::EntityRef> {
    match record {
        Record::Deployment(d) => d.service.as_ref(),
        Record::Incident(i) => i.service.as_ref(),
        _ => None,
    }
}

/// The raw event (body and context) and audit entry of a checked request
/// about the record `(kind, key)`.
fn prepared(
    caller: &Caller,
    action: &RecordAction,
    derivation: paved_domain::Derivation,
    (kind, key): (RecordKind, String),
    (body, context): (Vec<u8>, Value),
    received_at: DateTime<Utc>,
    about: &str,
) -> Result<PreparedRecord, AppError> {
    let event_type = action.event_type();
    let digest = hex::encode(Sha256::digest(&body));
    let service = derivation.records.iter().find_map(service_of).cloned();
    let event = NewRawEvent {
        source: Source::Api.as_str().to_owned(),
        event_type: event_type.to_owned(),
        // The same request sent again (a retry) is a duplicate; a changed
        // one (a new status for the same deployment) is news.
        delivery_id: format!("{event_type}:{key}:{}", &digest[..32]),
        received_at,
        body,
        context,
    };
    let audit = NewAudit {
        actor: caller.audit_name(),
        action: action.audit_action().to_owned(),
        target: key.clone(),
        detail: Some(about.to_owned()),
        service,
        decision: Some(paved_store::AuditDecision::Allowed),
    };
    Ok(PreparedRecord { event: IngestEvent { event, derivation, audit: Some(audit) }, kind, key })
}

/// Says that `named` is not a Component, suggesting the closest names.
fn unknown_service(catalog: &CatalogIndex, named: &str) -> String {
    let wanted = named.to_lowercase();
    let mut close: Vec<String> = catalog
        .services()
        .iter()
        .map(|info| info.entity_ref.name().to_owned())
        .filter(|name| {
            let name = name.to_lowercase();
            !wanted.is_empty() && (name.contains(&wanted) || wanted.contains(&name) || shares_prefix(&name, &wanted))
        })
        .collect();
    close.truncate(5);
    let hint = if close.is_empty() {
        "list the catalog's components with GET /api/v1/entities?kind=component".to_owned()
    } else {
        format!("did you mean {}?", close.join(", "))
    };
    format!("no component `{named}` in the catalog; {hint} (a service must be in the catalog to record for it)")
}

fn shares_prefix(a: &str, b: &str) -> bool {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count() >= 4
}

/// The record as stored after `ingested`, and whether the request was new
/// (`false` for a repeated request, which changed nothing).
///
/// # Errors
/// A store failure, or [`AppError::Internal`] when the record is missing.
pub async fn outcome(
    store: &DynStore,
    prepared: &PreparedRecord,
    ingested: Ingested,
) -> Result<(Record, bool), AppError> {
    let new = matches!(ingested.raw, RawEventInsert::Stored(_));
    if let Some(record) = ingested.records.into_iter().next() {
        return Ok((record, new));
    }
    match store.record(prepared.kind, &prepared.key).await? {
        Some(record) => Ok((record, new)),
        None => Err(AppError::Internal(format!("the record {} of a stored request is missing", prepared.key))),
    }
}

/// Who a deployment is recorded as made by, when the caller says it: a
/// personal token's person is the actor (and may name no one else); a team
/// token that names an actor vouches for it, so the record says the actor
/// is claimed by that token. Written into the raw event's context, so that
/// a rebuild derives the same actor.
fn acting_for(catalog: &CatalogIndex, caller: &Caller, body: &[u8], context: &mut Value) -> Result<(), AppError> {
    let named = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|body| body.get("actor").and_then(Value::as_str).map(str::to_owned));
    if let Some(person) = caller.person() {
        if let Some(named) = &named {
            let resolved =
                Identity::from_person(named).ok().and_then(|identity| catalog.resolve_person(&identity, None).cloned());
            if resolved.as_ref() != Some(person) {
                return Err(AppError::Forbidden(format!(
                    "a personal token acts as its person: {person} cannot record a deployment made by `{named}`; leave \
                     out actor (it is you), or let `{named}` record it with their own token"
                )));
            }
        }
        context["actor"] = json!(person.to_string());
    } else if caller.team().is_some() && named.is_some() {
        context["actor_claimed_by"] = json!(caller.audit_name());
    }
    Ok(())
}
