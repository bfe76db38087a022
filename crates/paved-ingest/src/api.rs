//! pavedroad's own payloads: deployments and incidents recorded through
//! `POST /api/v1/deployments`, `POST /api/v1/incidents`,
//! `POST /api/v1/incidents/{id}/acknowledge|resolve`, or the CLI (`paved
//! deploy record`, `paved incident ...`), which sends the same JSON.
//!
//! The caller validates a payload with [`normalize`] before storing it: for
//! these payloads a [`NormalizeError`] is the client's mistake (a 400, exit
//! code 2), not an event to keep and fix later.

use chrono::{DateTime, Utc};
use paved_domain::{
    Deployment, DeploymentStatus, DeploymentTrigger, Identity, Incident, Record, RepoId, Source, root_cause_in,
};
use serde::{Deserialize, Serialize};

use crate::contract::{IngestSettings, NormalizeError, Normalized, Observation, RawInput, ServiceHint, parse_json};

/// The event type of a recorded deployment.
pub const DEPLOYMENT: &str = "deployment";
/// The event type of an opened incident.
pub const INCIDENT_OPEN: &str = "incident.open";
/// The event type of an acknowledgement; the incident is in the context.
pub const INCIDENT_ACKNOWLEDGE: &str = "incident.acknowledge";
/// The event type of a resolution; the incident is in the context.
pub const INCIDENT_RESOLVE: &str = "incident.resolve";
/// The event type of a recorded on-call shift.
pub const SHIFT: &str = "shift";

/// The sources whose record keys an id may name directly (`github:...`).
const KEYED_SOURCES: [&str; 7] = ["api", "github", "gitlab", "alertmanager", "pagerduty", "events", "cli"];

/// A deployment to record (the body of `POST /api/v1/deployments`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentRequest {
    /// Your id for it (e.g. the CI run id): recording the same id again
    /// updates that deployment instead of adding one. Generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The Component deployed (`checkout` or `component:default/checkout`).
    pub service: String,
    /// The environment, e.g. `production`.
    pub environment: String,
    /// The deployed commit (7 to 64 hex digits).
    pub sha: String,
    /// `success` (default), `failure`, `error`, `in_progress`, `pending`,
    /// `cancelled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Who deployed: a login, an e-mail or a catalog User (`user:dana`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// When it started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it finished (RFC 3339); default: when it was received, for a
    /// final status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// A link to it (the CI run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The repository (`github.com/acme/checkout` or any git URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The branch or tag deployed.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// `manual`, `automatic` or `rollback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// True for a hotfix.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hotfix: bool,
    /// Ids of incidents this deployment fixes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An incident to open (the body of `POST /api/v1/incidents`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentUpdateRequest {
    /// A login, an e-mail or a catalog User.
    pub by: String,
    /// When (RFC 3339); default: when it was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// An on-call shift kept in another tool (the body of `POST
/// /api/v1/shifts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftRequest {
    /// Your id for it: recording it again corrects it. Generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The Schedule it belongs to (`checkout-oncall` or
    /// `schedule:default/checkout-oncall`).
    pub schedule: String,
    /// Who was on call: a login, an e-mail or a catalog User.
    pub person: String,
    /// From (RFC 3339).
    pub start: String,
    /// Until (RFC 3339).
    pub end: String,
}

/// The record key an id names: a key of a known source as written
/// (`pagerduty:Q1`), any other id as recorded through the API (`api:<id>`).
pub fn record_key(id: &str) -> String {
    let id = id.trim();
    match id.split_once(':') {
        Some((source, _)) if KEYED_SOURCES.contains(&source) => id.to_owned(),
        _ => format!("api:{id}"),
    }
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, NormalizeError> {
    let value = parse_json(body)?;
    if !value.is_object() {
        return Err(NormalizeError::new("the body is not a JSON object"));
    }
    serde_json::from_value(value).map_err(|error| NormalizeError::new(format!("the body is not valid: {error}")))
}

fn time(field: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, NormalizeError> {
    text.map(|text| {
        DateTime::parse_from_rfc3339(text.trim()).map(|t| t.with_timezone(&Utc)).map_err(|error| {
            NormalizeError::new(format!(
                "{field} `{text}` is not an RFC 3339 time ({error}); write e.g. 2026-11-02T09:30:00Z"
            ))
        })
    })
    .transpose()
}

fn required<'a>(field: &str, text: &'a str) -> Result<&'a str, NormalizeError> {
    let text = text.trim();
    if text.is_empty() || text.contains('\0') {
        return Err(NormalizeError::new(format!("{field} is missing or blank")));
    }
    Ok(text)
}

fn id(field: &str, text: &str) -> Result<String, NormalizeError> {
    let text = required(field, text)?;
    if text.chars().any(char::is_control) || text.len() > 200 {
        return Err(NormalizeError::new(format!(
            "{field} `{}` must be at most 200 characters without control characters",
            text.escape_debug()
        )));
    }
    Ok(text.to_owned())
}

fn sha(field: &str, text: &str) -> Result<String, NormalizeError> {
    let text = text.trim();
    if !(7..=64).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NormalizeError::new(format!(
            "{field} `{}` is not a commit id; give 7 to 64 hex digits, e.g. `git rev-parse HEAD`",
            text.escape_debug()
        )));
    }
    Ok(text.to_ascii_lowercase())
}

fn person(field: &str, text: &str) -> Result<Identity, NormalizeError> {
    Identity::from_person(text).map_err(|error| {
        NormalizeError::new(format!("{field}: {error}; give a login, an e-mail or a catalog User such as user:dana"))
    })
}

/// The id the request gives, else the one the server generated (in the
/// context under `id`).
fn request_id(given: Option<&str>, input: &RawInput<'_>) -> Result<String, NormalizeError> {
    match given.or_else(|| input.context.get("id").and_then(serde_json::Value::as_str)) {
        Some(given) => id("id", given),
        None => Err(NormalizeError::new("id is missing (the server generates one when the request has none)")),
    }
}

fn deployment(input: &RawInput<'_>) -> Result<Normalized, NormalizeError> {
    let request: DeploymentRequest = parse_body(input.body)?;
    let key = record_key(&request_id(request.id.as_deref(), input)?);
    let mut deployment = Deployment::new(key, Source::Api.as_str(), required("environment", &request.environment)?);
    deployment.status = match request.status.as_deref() {
        None => DeploymentStatus::Success,
        Some(text) => DeploymentStatus::parse(text).ok_or_else(|| {
            NormalizeError::new(format!(
                "status `{}` is not one of success, failure, error, in_progress, queued, pending, cancelled",
                text.escape_debug()
            ))
        })?,
    };
    deployment.sha = Some(sha("sha", &request.sha)?);
    deployment.started_at = time("started_at", request.started_at.as_deref())?;
    deployment.finished_at = time("finished_at", request.finished_at.as_deref())?;
    if deployment.status.is_final() && deployment.finished_at.is_none() {
        deployment.finished_at = Some(input.received_at);
    }
    if let (Some(started), Some(finished)) = (deployment.started_at, deployment.finished_at)
        && finished < started
    {
        return Err(NormalizeError::new(format!("finished_at {finished} is before started_at {started}")));
    }
    // A status without a time of the caller's (in_progress, pending) gets
    // none rather than the server's clock, so that the final status the
    // caller reports later wins even when its clock is a little behind.
    deployment.status_at = deployment.finished_at.or(deployment.started_at);
    // A personal token's person is the actor (in the context, set by the
    // server); a team token that names an actor vouches for it.
    let context_text = |key: &str| input.context.get(key).and_then(serde_json::Value::as_str);
    deployment.actor =
        context_text("actor").or(request.actor.as_deref()).map(|actor| person("actor", actor)).transpose()?;
    deployment.actor_claimed_by = context_text("actor_claimed_by").map(str::to_owned);
    deployment.trigger = request
        .trigger
        .as_deref()
        .map(|text| {
            DeploymentTrigger::parse(text).ok_or_else(|| {
                NormalizeError::new(format!("trigger `{}` is not manual, automatic or rollback", text.escape_debug()))
            })
        })
        .transpose()?;
    let repo = request
        .repo
        .as_deref()
        .map(|repo| {
            RepoId::parse_url(repo).map_err(|error| NormalizeError::new(format!("repo: {error}; {}", error.hint())))
        })
        .transpose()?;
    deployment.repo.clone_from(&repo);
    deployment.git_ref = request.git_ref;
    deployment.hotfix = request.hotfix;
    deployment.fixes_incidents = request.fixes.iter().map(|id| record_key(id)).collect();
    deployment.url = request.url;
    deployment.description = request.description;
    let service = required("service", &request.service)?.to_owned();
    deployment.service_name = Some(service.clone());
    Ok(Normalized::Observations {
        observations: vec![Observation {
            record: Record::Deployment(deployment),
            service: ServiceHint { names: vec![service], repo: None, pagerduty_service: None },
        }],
        people: Vec::new(),
    })
}

fn incident_open(input: &RawInput<'_>) -> Result<Normalized, NormalizeError> {
    let request: IncidentRequest = parse_body(input.body)?;
    let key = record_key(&request_id(request.id.as_deref(), input)?);
    let mut incident = Incident::new(key, Source::Api.as_str());
    incident.opened_at = Some(time("opened_at", request.opened_at.as_deref())?.unwrap_or(input.received_at));
    incident.severity = request.severity;
    incident.root_cause_sha = match (&request.root_cause, &request.title) {
        (Some(root), _) => Some(sha("root_cause", root)?),
        (None, Some(title)) => root_cause_in(title),
        (None, None) => None,
    };
    incident.title = request.title;
    incident.caused_by_deployment = request.caused_by.as_deref().map(record_key);
    incident.url = request.url;
    let service = required("service", &request.service)?.to_owned();
    incident.service_name = Some(service.clone());
    Ok(Normalized::Observations {
        observations: vec![Observation {
            record: Record::Incident(incident),
            service: ServiceHint { names: vec![service], repo: None, pagerduty_service: None },
        }],
        people: Vec::new(),
    })
}

fn incident_update(input: &RawInput<'_>) -> Result<Normalized, NormalizeError> {
    let request: IncidentUpdateRequest = parse_body(input.body)?;
    let Some(incident_id) = input.context.get("incident").and_then(serde_json::Value::as_str) else {
        return Err(NormalizeError::new("the incident is missing (its id is part of the request path)"));
    };
    let mut incident = Incident::new(record_key(&id("incident", incident_id)?), Source::Api.as_str());
    let by = person("by", &request.by)?;
    let at = time("at", request.at.as_deref())?.unwrap_or(input.received_at);
    if input.event_type == INCIDENT_ACKNOWLEDGE {
        incident.acknowledged_at = Some(at);
        incident.acknowledged_by = Some(by);
    } else {
        incident.resolved_at = Some(at);
        incident.resolved_by = Some(by);
    }
    Ok(Normalized::Observations {
        observations: vec![Observation { record: Record::Incident(incident), service: ServiceHint::default() }],
        people: Vec::new(),
    })
}

fn shift(input: &RawInput<'_>) -> Result<Normalized, NormalizeError> {
    let request: ShiftRequest = parse_body(input.body)?;
    let key = record_key(&request_id(request.id.as_deref(), input)?);
    let schedule = paved_domain::EntityRef::parse(
        required("schedule", &request.schedule)?,
        Some("schedule"),
        paved_domain::DEFAULT_NAMESPACE,
    )
    .map_err(|error| NormalizeError::new(format!("schedule: {error}")))?;
    let start = time("start", Some(&request.start))?.unwrap_or(input.received_at);
    let end = time("end", Some(&request.end))?.unwrap_or(input.received_at);
    if end <= start {
        return Err(NormalizeError::new(format!("end {end} is not after start {start}")));
    }
    let shift = paved_domain::RecordedShift { key, schedule, person: person("person", &request.person)?, start, end };
    Ok(Normalized::Observations {
        observations: vec![Observation { record: Record::Shift(shift), service: ServiceHint::default() }],
        people: Vec::new(),
    })
}

/// Normalises one of pavedroad's own payloads.
///
/// # Errors
/// [`NormalizeError`] naming the field that is missing or malformed (an
/// unknown field too: a typo should not be silently dropped), or an
/// unknown event type.
pub fn normalize(input: &RawInput<'_>, _settings: &IngestSettings) -> Result<Normalized, NormalizeError> {
    match input.event_type {
        DEPLOYMENT => deployment(input),
        INCIDENT_OPEN => incident_open(input),
        INCIDENT_ACKNOWLEDGE | INCIDENT_RESOLVE => incident_update(input),
        SHIFT => shift(input),
        other => Err(NormalizeError::new(format!("pavedroad's API has no event `{other}`"))),
    }
}
