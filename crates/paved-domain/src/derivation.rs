//! What one raw event yields once normalised and resolved against the
//! catalog: the records it adds to, the people it names, and whether it
//! could be normalised at all. The store writes a [`Derivation`] in the same
//! transaction as its raw event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{EntityRef, Identity, Record};

/// Whether a raw event could be normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// It yielded records.
    Normalized,
    /// It carries nothing pavedroad uses (a `ping`, a `check_run` that was
    /// only created, a release); kept, with the reason.
    Ignored,
    /// It should have yielded records but could not (a field missing, a
    /// value out of range); kept, with the reason, for `paved events
    /// rebuild` once the parser or the catalog is fixed.
    Failed,
}

impl EventStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normalized => "normalized",
            Self::Ignored => "ignored",
            Self::Failed => "failed",
        }
    }

    /// The status named by [`Self::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "normalized" => Self::Normalized,
            "ignored" => Self::Ignored,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// One sighting of a person in an event: who, by what name, and who that is
/// in the catalog (resolved when the event was derived).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySighting {
    /// The identity as the source names it.
    pub identity: Identity,
    /// The name the source shows for it, when it shows one.
    pub display_name: Option<String>,
    /// The catalog User it resolved to.
    pub person: Option<EntityRef>,
    /// True for automation (bots, CI service accounts).
    pub automation: bool,
    /// When the event was received.
    pub seen_at: DateTime<Utc>,
}

/// What one raw event yields (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derivation {
    /// Whether it was normalised.
    pub status: EventStatus,
    /// Why it was ignored or failed; for a normalised event, notes on what
    /// could not be resolved (an unknown service), if any.
    pub reason: Option<String>,
    /// The records, whole or partial, to merge into what is stored.
    pub records: Vec<Record>,
    /// The people it names.
    pub identities: Vec<IdentitySighting>,
}

impl Derivation {
    /// An event that carries nothing pavedroad uses.
    pub fn ignored(reason: impl Into<String>) -> Self {
        Self { status: EventStatus::Ignored, reason: Some(reason.into()), records: Vec::new(), identities: Vec::new() }
    }

    /// An event that could not be normalised.
    pub fn failed(reason: impl Into<String>) -> Self {
        Self { status: EventStatus::Failed, reason: Some(reason.into()), records: Vec::new(), identities: Vec::new() }
    }
}
