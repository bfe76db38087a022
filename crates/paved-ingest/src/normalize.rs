//! The contract between raw events and records: each source's normaliser
//! turns a raw event into [`Observation`]s (partial records plus hints about
//! the service they belong to) and the people it names, or says why it
//! carries nothing pavedroad uses. [`derive()`] then resolves the hints
//! against the catalog and produces the [`Derivation`] the store writes next
//! to the raw event.
//!
//! Normalisers are pure: the same raw event and settings give the same
//! result, which is what lets `paved events rebuild` re-derive every record
//! from the raw events after a parser or the catalog is fixed.

use chrono::{DateTime, Utc};
use paved_domain::{
    CatalogIndex, DEFAULT_PRODUCTION_ENVIRONMENTS, Derivation, EntityRef, EventStatus, Identity, IdentitySighting,
    Record, RepoId, ServiceMatch, Source,
};

use crate::{alertmanager, api, events_v2, github, gitlab, pagerduty};

/// The names of the sources pavedroad takes raw events from, as stored in
/// `raw_events.source` and in records' `source` (see [`Source`]).
pub mod source {
    use paved_domain::Source;

    /// GitHub webhooks (`/hooks/github`).
    pub const GITHUB: &str = Source::GitHub.as_str();
    /// GitLab webhooks (`/hooks/gitlab`).
    pub const GITLAB: &str = Source::GitLab.as_str();
    /// Prometheus Alertmanager webhooks (`/hooks/alertmanager`).
    pub const ALERTMANAGER: &str = Source::Alertmanager.as_str();
    /// PagerDuty webhooks v3 (`/hooks/pagerduty`).
    pub const PAGERDUTY: &str = Source::PagerDuty.as_str();
    /// The PagerDuty Events API v2 compatible receiver (`/v2/enqueue`).
    pub const EVENTS_V2: &str = Source::EventsV2.as_str();
    /// pavedroad's own API and CLI.
    pub const API: &str = Source::Api.as_str();
}

/// A raw event as a normaliser sees it.
#[derive(Debug, Clone, Copy)]
pub struct RawInput<'a> {
    /// Where it came from.
    pub source: Source,
    /// The provider's event type (`push`, `Merge Request Hook`,
    /// `incident.acknowledge`, ...).
    pub event_type: &'a str,
    /// The body, byte for byte as received.
    pub body: &'a [u8],
    /// What the request carried outside the body that the normaliser needs
    /// (e.g. `{"incident": "INC-7"}` for `POST
    /// /api/v1/incidents/INC-7/acknowledge`); `{}` when nothing.
    pub context: &'a serde_json::Value,
    /// When it was received; the time of records whose source gives none.
    pub received_at: DateTime<Utc>,
}

/// How to find the service a record belongs to, in order of preference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceHint {
    /// Names to try as Component names, best first (a `service` label, then
    /// `job`, `app`, ...; a deployment's `payload.service`; a PagerDuty
    /// service's name).
    pub names: Vec<String>,
    /// The repository, matched through the Components' repositories.
    pub repo: Option<RepoId>,
    /// A PagerDuty service id, matched through the Components'
    /// `pagerduty.com/service-id` annotation.
    pub pagerduty_service: Option<String>,
}

/// One record (whole or partial) and where to look for its service.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The record; its `service` and `production` are filled in by
    /// [`derive()`].
    pub record: Record,
    /// Where to look for its service.
    pub service: ServiceHint,
}

/// A person as an event names them: an identity, and whatever else the
/// source says of them that helps resolve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonHint {
    /// The identity.
    pub identity: Identity,
    /// The name the source shows (`Dana Scully`).
    pub name: Option<String>,
    /// An e-mail the source pairs with the identity (a GitHub push lists
    /// each commit author's login with their e-mail).
    pub email: Option<String>,
    /// True when the source itself says this is automation (GitHub's
    /// `"type": "Bot"`).
    pub bot: bool,
}

impl PersonHint {
    /// A hint with only the identity.
    pub fn new(identity: Identity) -> Self {
        Self { identity, name: None, email: None, bot: false }
    }
}

/// What a normaliser made of a raw event.
#[derive(Debug, Clone, PartialEq)]
pub enum Normalized {
    /// Records to merge, and the people named.
    Observations {
        /// The records with their service hints.
        observations: Vec<Observation>,
        /// Names, e-mails and bot flags for the identities the records
        /// name (identities without a hint need not be listed).
        people: Vec<PersonHint>,
    },
    /// The event carries nothing pavedroad uses; the reason, e.g.
    /// `ping: GitHub's test delivery`.
    Ignored(String),
}

/// Why an event that should yield records could not be normalised: the
/// field and what is wrong with it, e.g. `deployment.sha is missing`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NormalizeError(pub String);

impl NormalizeError {
    /// An error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// What normalising and deriving depend on besides the event and the
/// catalog (from pavedroad's configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestSettings {
    /// The label that makes a GitHub issue an incident (default `incident`).
    pub incident_label: String,
    /// The Alertmanager label that names the service (default `service`).
    pub alert_service_label: String,
    /// Logins and names of automation besides `*[bot]` (e.g. a Jenkins
    /// service account), compared case-insensitively.
    pub automation: Vec<String>,
    /// The environment names that are production by default.
    pub production_environments: Vec<String>,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            incident_label: "incident".to_owned(),
            alert_service_label: "service".to_owned(),
            automation: Vec::new(),
            production_environments: DEFAULT_PRODUCTION_ENVIRONMENTS.iter().map(|name| (*name).to_owned()).collect(),
        }
    }
}

/// Normalises a raw event of any source.
///
/// # Errors
/// [`NormalizeError`] when the event should yield records and cannot: the
/// body is not JSON, or a field the record needs is missing or malformed.
pub fn normalize(input: &RawInput<'_>, settings: &IngestSettings) -> Result<Normalized, NormalizeError> {
    match input.source {
        Source::GitHub => github::normalize(input, settings),
        Source::GitLab => gitlab::normalize(input, settings),
        Source::Alertmanager => alertmanager::normalize(input, settings),
        Source::PagerDuty => pagerduty::normalize(input, settings),
        Source::EventsV2 => events_v2::normalize(input, settings),
        Source::Api => api::normalize(input, settings),
    }
}

/// Normalises `input` and resolves what it names against `catalog`: each
/// record's service (from its hints), whether a deployment is a production
/// one, and who each person is. Never fails: an event that cannot be
/// normalised yields a [`Derivation`] with [`EventStatus::Failed`] and the
/// reason.
pub fn derive(input: &RawInput<'_>, catalog: &CatalogIndex, settings: &IngestSettings) -> Derivation {
    let (observations, people) = match normalize(input, settings) {
        Ok(Normalized::Observations { observations, people }) => (observations, people),
        Ok(Normalized::Ignored(reason)) => return Derivation::ignored(reason),
        Err(error) => return Derivation::failed(error.0),
    };
    if observations.is_empty() {
        return Derivation::ignored(format!("{} `{}` named no record", input.source, input.event_type));
    }
    let mut notes = Vec::new();
    let records: Vec<Record> = observations
        .into_iter()
        .map(|observation| resolve_record(observation, catalog, settings, input.received_at, &mut notes))
        .collect();
    let identities = sightings(&records, &people, catalog, settings, input.received_at);
    notes.dedup();
    Derivation {
        status: EventStatus::Normalized,
        reason: if notes.is_empty() { None } else { Some(notes.join("; ")) },
        records,
        identities,
    }
}

/// Finds the service for `hint`: the first name that is a Component, else
/// the one Component of the repository, else the Component with the
/// PagerDuty service id. Notes why none was found.
fn resolve_service(hint: &ServiceHint, catalog: &CatalogIndex, notes: &mut Vec<String>) -> Option<EntityRef> {
    for name in &hint.names {
        if let ServiceMatch::One(service) = catalog.service_named(name) {
            return Some(service);
        }
    }
    if let Some(repo) = &hint.repo {
        match catalog.services_of_repo(repo) {
            ServiceMatch::One(service) => return Some(service),
            ServiceMatch::Several(services) => {
                let names: Vec<String> = services.iter().map(ToString::to_string).collect();
                notes.push(format!(
                    "{repo} belongs to several components ({}); name the service in the event (e.g. the deployment's payload.service)",
                    names.join(", ")
                ));
                return None;
            }
            ServiceMatch::None => {}
        }
    }
    if let Some(id) = &hint.pagerduty_service
        && let Some(service) = catalog.service_with_annotation("pagerduty.com/service-id", id)
    {
        return Some(service);
    }
    let named: Vec<String> = hint
        .names
        .iter()
        .map(|name| format!("`{name}`"))
        .chain(hint.repo.iter().map(|repo| format!("repository {repo}")))
        .chain(hint.pagerduty_service.iter().map(|id| format!("PagerDuty service {id}")))
        .collect();
    if named.is_empty() {
        notes.push("the event names no service".to_owned());
    } else {
        notes.push(format!(
            "no component matches {}; add it to the catalog (or its paved.dev/repo), then run `paved events rebuild`",
            named.join(" or ")
        ));
    }
    None
}

fn resolve_record(
    observation: Observation,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    received_at: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Record {
    let Observation { mut record, service: hint } = observation;
    match &mut record {
        Record::Deployment(deployment) => {
            deployment.service = resolve_service(&hint, catalog, notes);
            if deployment.service_name.is_none() {
                deployment.service_name = hint.names.first().cloned();
            }
            deployment.production = catalog.is_production(
                deployment.service.as_ref(),
                &deployment.environment,
                deployment.production_by_source,
                &settings.production_environments,
            );
        }
        // News about an incident opened elsewhere (an acknowledgement, a
        // resolution) need not name its service: the stored record has it.
        Record::Incident(incident) if incident.opened_at.is_none() && hint == ServiceHint::default() => {
            incident.updated_at = incident.updated_at.or(Some(received_at));
        }
        Record::Incident(incident) => {
            incident.service = resolve_service(&hint, catalog, notes);
            if incident.service_name.is_none() {
                incident.service_name = hint.names.first().cloned();
            }
            // News without a time of its own is as new as its arrival.
            incident.updated_at = incident.updated_at.or(Some(received_at));
        }
        // Pull requests, CI runs and pushes belong to a repository; the
        // services of a repository are found when they are read.
        Record::PullRequest(_) | Record::CiRun(_) | Record::Push(_) | Record::Shift(_) => {}
    }
    record
}

/// One sighting per identity the records name, resolved to a catalog User
/// by the identity itself, else by the name or e-mail the event pairs with
/// it.
fn sightings(
    records: &[Record],
    people: &[PersonHint],
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    seen_at: DateTime<Utc>,
) -> Vec<IdentitySighting> {
    let mut identities: Vec<&Identity> = records.iter().flat_map(Record::identities).collect();
    identities.sort();
    identities.dedup();
    identities
        .into_iter()
        .map(|identity| {
            let hint = people.iter().find(|hint| &hint.identity == identity);
            let name = hint.and_then(|hint| hint.name.as_deref());
            let person = catalog.resolve_person(identity, name).cloned().or_else(|| {
                let email = hint.and_then(|hint| hint.email.as_deref())?;
                catalog.resolve_person(&Identity::email(email).ok()?, None).cloned()
            });
            IdentitySighting {
                identity: identity.clone(),
                display_name: name.map(str::to_owned),
                automation: hint.is_some_and(|hint| hint.bot) || identity.looks_automated(&settings.automation),
                person,
                seen_at,
            }
        })
        .collect()
}

/// Parses a JSON body, or says where it is malformed.
///
/// # Errors
/// [`NormalizeError`] naming the line and column of the syntax error.
pub fn parse_json(body: &[u8]) -> Result<serde_json::Value, NormalizeError> {
    serde_json::from_slice(body).map_err(|error| NormalizeError::new(format!("the body is not valid JSON: {error}")))
}
