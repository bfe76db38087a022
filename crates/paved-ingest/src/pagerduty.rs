//! PagerDuty webhooks v3 (`/hooks/pagerduty`): each delivery carries one
//! event, `{"event": {id, event_type, resource_type, occurred_at, agent,
//! client, data}}`, signed in [`SIGNATURE_HEADER`].
//!
//! The server calls [`verify`] on the raw body, then [`delivery_id`] to
//! store it once, then [`normalize`]. Incident events become partial
//! [`Incident`]s keyed `pagerduty:<incident id>`; merging them in any order
//! gives the incident's opening, first acknowledgement, last resolution and
//! everyone paged.

use chrono::{DateTime, Utc};
use paved_domain::{Identity, Incident, Page, PageReason, Record, Source, root_cause_in};
use serde::Deserialize;

use crate::contract::{IngestSettings, NormalizeError, Normalized, Observation, PersonHint, RawInput, ServiceHint};
use crate::signature::{SignatureError, hmac_sha256_matches};

/// The header that carries the signatures: `v1=<hex HMAC-SHA256 of the
/// body>`, several separated by commas while a secret is being rotated.
pub const SIGNATURE_HEADER: &str = "X-PagerDuty-Signature";

/// Checks `signature_header` (the value of [`SIGNATURE_HEADER`]) against
/// the HMAC-SHA256 of the raw `body` under `secret`, in constant time. Any
/// one `v1=` signature that matches is enough: PagerDuty signs with the old
/// and the new secret while one is being rotated. Signatures of versions
/// other than `v1` are skipped, so that a version PagerDuty adds later does
/// not break deliveries that still carry a `v1`.
///
/// # Errors
/// [`SignatureError::Missing`] without the header;
/// [`SignatureError::Malformed`] when it holds no `v1=` signature or one
/// that is not 64 hexadecimal digits; [`SignatureError::Mismatch`] when no
/// signature matches.
pub fn verify(secret: &[u8], body: &[u8], signature_header: Option<&str>) -> Result<(), SignatureError> {
    let header = signature_header.ok_or(SignatureError::Missing { header: SIGNATURE_HEADER })?;
    let malformed = |problem| SignatureError::Malformed { header: SIGNATURE_HEADER, problem };
    let mut signatures = Vec::new();
    for part in header.split(',').map(str::trim).filter(|part| !part.is_empty()) {
        let (version, value) = part.split_once('=').ok_or(malformed("expected `v1=<hex>`, comma-separated"))?;
        if version.trim() != "v1" {
            continue;
        }
        let raw = hex::decode(value.trim())
            .ok()
            .filter(|raw| raw.len() == 32)
            .ok_or(malformed("a v1 signature is not 64 hexadecimal digits"))?;
        signatures.push(raw);
    }
    if signatures.is_empty() {
        return Err(malformed("it holds no v1= signature"));
    }
    if signatures.iter().any(|signature| hmac_sha256_matches(secret, body, signature)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch { header: SIGNATURE_HEADER })
    }
}

/// The type of a webhook delivery's event (`event.event_type`, e.g.
/// `incident.triggered`), kept as the raw event's type; `unknown` when the
/// body has none.
pub fn event_type(body: &serde_json::Value) -> &str {
    body.pointer("/event/event_type").and_then(serde_json::Value::as_str).unwrap_or("unknown")
}

/// The event's id (`event.id`), which stays the same when PagerDuty
/// retries a delivery: the raw event's delivery id. Call it only after
/// [`verify`] accepted the body. `None` when the body has none.
pub fn delivery_id(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Envelope {
        event: EventId,
    }
    #[derive(Deserialize)]
    struct EventId {
        id: String,
    }
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    let id = envelope.event.id.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

#[derive(Deserialize)]
struct Envelope {
    event: Option<Event>,
}

#[derive(Deserialize)]
struct Event {
    event_type: Option<String>,
    resource_type: Option<String>,
    occurred_at: Option<String>,
    agent: Option<Reference>,
    data: Option<Data>,
}

/// A `*_reference` object (`user_reference`, `service_reference`, ...).
#[derive(Deserialize)]
struct Reference {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    summary: Option<String>,
    html_url: Option<String>,
}

/// `event.data`: an `incident`, or an object about one (`incident_note`,
/// `incident_status_update`, `incident_responder`) that refers to it in
/// `incident`.
#[derive(Deserialize)]
struct Data {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    html_url: Option<String>,
    created_at: Option<String>,
    title: Option<String>,
    service: Option<Reference>,
    assignees: Option<Vec<Reference>>,
    priority: Option<Reference>,
    urgency: Option<String>,
    incident: Option<Reference>,
    /// An `incident_note`'s text.
    content: Option<String>,
    /// An `incident_status_update`'s or `incident_responder`'s text.
    message: Option<String>,
}

/// Normalises a PagerDuty v3 webhook. Events whose `resource_type` is not
/// `incident` (`service.created`, ...) are [`Normalized::Ignored`]. An
/// event whose `data` is the incident itself yields a partial [`Incident`]
/// keyed `pagerduty:<data.id>` with what every such event carries: `title`,
/// `severity` (the priority's name such as `P1` when the incident has one,
/// else the urgency, `high` or `low`), `opened_at` (`data.created_at`),
/// `url` (`data.html_url`) and the service hint (its name, the name
/// slugified, e.g. `My Mail Service` then `my-mail-service`, since
/// Component names are slugs; and the PagerDuty service id). Then, by
/// `event_type`, at `event.occurred_at`:
///
/// - `incident.triggered`: `opened_at` (when `created_at` is absent), and a
///   [`PageReason::Triggered`] page for each assigned user;
/// - `incident.acknowledged`: `acknowledged_at`, and `acknowledged_by` when
///   the agent is a user;
/// - `incident.resolved`: `resolved_at`, and `resolved_by` when the agent
///   is a user (an incident resolved by its integration has none);
/// - `incident.escalated`: a [`PageReason::Escalated`] page per assignee;
/// - `incident.reassigned` and `incident.delegated` (reassigned to another
///   escalation policy, whose on-call users are now assigned): a
///   [`PageReason::Reassigned`] page per assignee;
/// - `incident.reopened`: reopened at the time (a resolution before it no
///   longer counts), and a [`PageReason::Triggered`] page per assignee
///   (they are notified as for a new incident);
/// - any other (`incident.priority_updated`, `incident.unacknowledged`,
///   ...): nothing more.
///
/// An event whose `data` is about the incident (`incident.annotated`,
/// `incident.status_update_published`, `incident.responder.*`) is keyed by
/// `data.incident.id` and yields a partial incident only when its text names
/// a root cause (`root cause: <sha>`); otherwise it is ignored.
///
/// The people hints name every user recorded, with the name PagerDuty
/// shows for them.
///
/// # Errors
/// [`NormalizeError`] when the body is not JSON or not a v3 webhook, or an
/// incident event lacks its type, its time, its data or the incident's id.
pub fn normalize(input: &RawInput<'_>, _settings: &IngestSettings) -> Result<Normalized, NormalizeError> {
    let envelope: Envelope = read_body(input.body)?;
    let event = envelope
        .event
        .ok_or_else(|| NormalizeError::new("event is missing; a PagerDuty v3 webhook is {\"event\": {...}}"))?;
    let event_type =
        non_blank(event.event_type.as_deref()).ok_or_else(|| NormalizeError::new("event.event_type is missing"))?;
    // The resource is also the event type's prefix; older payloads may lack
    // the field.
    let resource =
        non_blank(event.resource_type.as_deref()).unwrap_or_else(|| event_type.split('.').next().unwrap_or(event_type));
    if resource != "incident" {
        return Ok(Normalized::Ignored(format!("{event_type}: pavedroad reads PagerDuty incident events only")));
    }
    let occurred_at = event
        .occurred_at
        .as_deref()
        .ok_or_else(|| NormalizeError::new("event.occurred_at is missing"))
        .and_then(|text| parse_time(text, "event.occurred_at"))?;
    let data = event.data.ok_or_else(|| NormalizeError::new("event.data is missing"))?;
    let about_incident = data.incident.as_ref();
    let incident_id = match about_incident {
        Some(incident) => non_blank(incident.id.as_deref()),
        None => non_blank(data.id.as_deref()),
    };
    let incident_id = incident_id.ok_or_else(|| {
        let field = if about_incident.is_some() { "event.data.incident.id" } else { "event.data.id" };
        NormalizeError::new(format!("{field} is missing"))
    })?;

    let mut incident =
        Incident::new(format!("{}:{incident_id}", Source::PagerDuty.as_str()), Source::PagerDuty.as_str());
    let mut people = People::default();
    let service = match about_incident {
        Some(reference) => {
            let text = [data.content.as_deref(), data.message.as_deref()].into_iter().flatten().collect::<Vec<_>>();
            incident.root_cause_sha = root_cause_in(&text.join("\n"));
            if incident.root_cause_sha.is_none() {
                let kind = data.kind.as_deref().unwrap_or("object");
                return Ok(Normalized::Ignored(format!(
                    "{event_type}: the {kind} names no root cause, and pavedroad records nothing else of it"
                )));
            }
            incident.url = non_blank(reference.html_url.as_deref()).map(str::to_owned);
            ServiceHint::default()
        }
        None => {
            describe_incident(&data, &mut incident)?;
            // PagerDuty does not promise to deliver in order: the time of
            // the news orders title, severity and service.
            incident.updated_at = Some(occurred_at);
            let assignees = data.assignees.as_deref().unwrap_or_default();
            let agent = event.agent.as_ref();
            match event_type {
                "incident.triggered" => {
                    incident.opened_at = incident.opened_at.or(Some(occurred_at));
                    page(&mut incident, &mut people, assignees, occurred_at, PageReason::Triggered);
                }
                "incident.acknowledged" => {
                    incident.acknowledged_at = Some(occurred_at);
                    incident.acknowledged_by = agent.and_then(|agent| people.user(agent));
                }
                "incident.resolved" => {
                    incident.resolved_at = Some(occurred_at);
                    incident.resolved_by = agent.and_then(|agent| people.user(agent));
                }
                "incident.escalated" => {
                    page(&mut incident, &mut people, assignees, occurred_at, PageReason::Escalated);
                }
                "incident.reassigned" | "incident.delegated" => {
                    page(&mut incident, &mut people, assignees, occurred_at, PageReason::Reassigned);
                }
                "incident.reopened" => {
                    incident.reopened_at = Some(occurred_at);
                    page(&mut incident, &mut people, assignees, occurred_at, PageReason::Triggered);
                }
                _ => {}
            }
            service_hint(data.service.as_ref())
        }
    };
    Ok(Normalized::Observations {
        observations: vec![Observation { record: Record::Incident(incident), service }],
        people: people.hints,
    })
}

/// What every event whose data is the incident says of it.
fn describe_incident(data: &Data, incident: &mut Incident) -> Result<(), NormalizeError> {
    incident.title = non_blank(data.title.as_deref()).map(str::to_owned);
    incident.severity = data
        .priority
        .as_ref()
        .and_then(|priority| non_blank(priority.summary.as_deref()))
        .or_else(|| non_blank(data.urgency.as_deref()))
        .map(str::to_owned);
    incident.url = non_blank(data.html_url.as_deref()).map(str::to_owned);
    incident.opened_at = match data.created_at.as_deref() {
        Some(text) => Some(parse_time(text, "event.data.created_at")?),
        None => None,
    };
    Ok(())
}

fn page(incident: &mut Incident, people: &mut People, assignees: &[Reference], at: DateTime<Utc>, reason: PageReason) {
    for assignee in assignees {
        if let Some(person) = people.user(assignee) {
            incident.pages.push(Page { person, at, reason });
        }
    }
}

/// The service's name, its slug when that differs (Component names are
/// slugs: `My Mail Service` is the Component `my-mail-service`), and its
/// id.
fn service_hint(service: Option<&Reference>) -> ServiceHint {
    let Some(service) = service else { return ServiceHint::default() };
    let mut names = Vec::new();
    if let Some(name) = non_blank(service.summary.as_deref()) {
        names.push(name.to_owned());
        let slug = slugify(name);
        if !slug.is_empty() && slug != name.to_lowercase() {
            names.push(slug);
        }
    }
    ServiceHint { names, repo: None, pagerduty_service: non_blank(service.id.as_deref()).map(str::to_owned) }
}

/// Lower case, with every run of characters other than ASCII letters and
/// digits made one `-`, trimmed of `-`.
fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for character in name.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// The people an event names, each once.
#[derive(Default)]
struct People {
    hints: Vec<PersonHint>,
}

impl People {
    /// The identity of `reference` when it is a user, noting the name
    /// PagerDuty shows for them.
    fn user(&mut self, reference: &Reference) -> Option<Identity> {
        if !matches!(reference.kind.as_deref(), Some("user_reference" | "user")) {
            return None;
        }
        let identity = Identity::pagerduty(reference.id.as_deref()?).ok()?;
        if !self.hints.iter().any(|hint| hint.identity == identity) {
            let mut hint = PersonHint::new(identity.clone());
            hint.name = non_blank(reference.summary.as_deref()).map(str::to_owned);
            self.hints.push(hint);
        }
        Some(identity)
    }
}

fn parse_time(text: &str, field: &str) -> Result<DateTime<Utc>, NormalizeError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| NormalizeError::new(format!("{field} `{text}` is not an ISO 8601 time: {error}")))
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// Parses the body, telling broken JSON from JSON of another shape.
fn read_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, NormalizeError> {
    serde_json::from_slice(body).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => {
            NormalizeError::new(format!("the body is not a PagerDuty v3 webhook: {error}"))
        }
        _ => NormalizeError::new(format!("the body is not valid JSON: {error}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_become_component_slugs() {
        assert_eq!(slugify("My Mail Service"), "my-mail-service");
        assert_eq!(slugify("  API -- Service (prod) "), "api-service-prod");
        assert_eq!(slugify("checkout"), "checkout");
        assert_eq!(slugify("***"), "");
    }
}
