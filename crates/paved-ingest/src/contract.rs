//! The contract between raw events and records: what every source's
//! normaliser receives ([`RawInput`]) and returns ([`Normalized`]:
//! [`Observation`]s, partial records with hints about the service they
//! belong to, and [`PersonHint`]s about the people they name), and what they
//! depend on besides the event ([`IngestSettings`]).
//!
//! Normalisers are pure: the same raw event and settings give the same
//! result, which is what lets `paved events rebuild` re-derive every record
//! from the raw events after a parser or the catalog is fixed.

use chrono::{DateTime, Utc};
use paved_domain::{DEFAULT_PRODUCTION_ENVIRONMENTS, Identity, Record, RepoId, Source};

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

/// Parses a JSON body, or says where it is malformed.
///
/// # Errors
/// [`NormalizeError`] naming the line and column of the syntax error.
pub fn parse_json(body: &[u8]) -> Result<serde_json::Value, NormalizeError> {
    serde_json::from_slice(body).map_err(|error| NormalizeError::new(format!("the body is not valid JSON: {error}")))
}
