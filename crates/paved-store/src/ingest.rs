//! The types of the ingestion half of the [`crate::Store`] contract: raw
//! events stored with what they yield, the records, the identities they
//! name, API tokens and the audit log.

use chrono::{DateTime, Utc};
use paved_domain::{Derivation, EntityRef, EventStatus, Identity, Record, RecordKind, RepoId};
use serde::Serialize;

use crate::{NewRawEvent, RawEventInsert};

/// A raw event and what was derived from it, stored in one transaction
/// ([`crate::Store::ingest`]).
#[derive(Debug, Clone)]
pub struct IngestEvent {
    /// The payload, exactly as received.
    pub event: NewRawEvent,
    /// What it yields.
    pub derivation: Derivation,
    /// The action to audit with it, when a token or the CLI took one.
    pub audit: Option<NewAudit>,
}

/// What [`crate::Store::ingest`] did with one [`IngestEvent`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    /// Stored now, or a duplicate of an earlier delivery (then nothing was
    /// derived or written again).
    pub raw: RawEventInsert,
    /// The records the event added to, as stored after merging; empty for a
    /// duplicate.
    pub records: Vec<Record>,
}

/// Which records [`crate::Store::records`] lists; every set field must
/// match. Records come newest first (by their main instant), 100 a page by
/// default.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordFilter {
    /// The kind.
    pub kind: RecordKind,
    /// Records of any of these services (empty: any service or none).
    pub services: Vec<EntityRef>,
    /// The repository.
    pub repo: Option<RepoId>,
    /// Records of any of these commits (as stored: full or abbreviated;
    /// compared lower-case); empty: any commit.
    pub shas: Vec<String>,
    /// Records with any of these statuses as text (`success`, `open`,
    /// ...); empty: any status.
    pub statuses: Vec<String>,
    /// Shifts of any of these Schedules (empty: any schedule or none).
    pub schedules: Vec<EntityRef>,
    /// Deployments to this environment (case-insensitive).
    pub environment: Option<String>,
    /// Production deployments only.
    pub production_only: bool,
    /// Records whose main instant is at or after this; for records that
    /// cover a span (shifts, see `RecordKind::has_span`), whose end is after
    /// it, so that a shift that began earlier and still covers it is found.
    pub since: Option<DateTime<Utc>>,
    /// Records whose main instant is before this.
    pub until: Option<DateTime<Utc>>,
    /// Page size; values outside 1..=10,000 are clamped into it.
    pub limit: u32,
    /// Records to skip.
    pub offset: u64,
}

impl RecordFilter {
    /// Every record of `kind`, first page.
    pub fn new(kind: RecordKind) -> Self {
        Self {
            kind,
            services: Vec::new(),
            repo: None,
            shas: Vec::new(),
            statuses: Vec::new(),
            schedules: Vec::new(),
            environment: None,
            production_only: false,
            since: None,
            until: None,
            limit: 100,
            offset: 0,
        }
    }
}

/// Which raw events [`crate::Store::events`] lists, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter {
    /// Events of this source.
    pub source: Option<paved_domain::Source>,
    /// Events with this outcome.
    pub status: Option<EventStatus>,
    /// Page size; values outside 1..=1,000 are clamped into it.
    pub limit: u32,
    /// Events to skip.
    pub offset: u64,
    /// Only events with a smaller id (for paging back in time).
    pub before_id: Option<i64>,
    /// Only events that need attention ([`EventSummary::needs_attention`]).
    pub needs_attention: bool,
}

impl Default for EventFilter {
    fn default() -> Self {
        Self { source: None, status: None, limit: 100, offset: 0, before_id: None, needs_attention: false }
    }
}

/// The SQL condition of [`EventSummary::needs_attention`] on the outcome
/// `o` (both backends).
pub(crate) const NEEDS_ATTENTION_SQL: &str =
    " AND (o.status = 'failed' OR (o.status = 'normalized' AND o.reason IS NOT NULL))";

/// A raw event without its body, with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventSummary {
    /// The raw event's id.
    pub id: i64,
    /// Its source.
    pub source: String,
    /// Its type.
    pub event_type: String,
    /// Its delivery id.
    pub delivery_id: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The body's size in bytes.
    pub size_bytes: u64,
    /// Whether it was normalised (`None` only for events stored before
    /// outcomes were kept, until `paved events rebuild`).
    pub status: Option<EventStatus>,
    /// Why it was ignored or failed, or notes on what did not resolve.
    pub reason: Option<String>,
    /// How many records it added to.
    pub records: u64,
}

impl EventSummary {
    /// Whether someone should look at this event: it failed to normalise,
    /// or it was normalised but something it names did not resolve (no
    /// service of the catalog matches, a repository of several services),
    /// so its records count for no service until the catalog is fixed and
    /// `paved events rebuild` runs. Ignored events (a `ping`) do not.
    pub fn needs_attention(&self) -> bool {
        match self.status {
            Some(EventStatus::Failed) => true,
            Some(EventStatus::Normalized) => self.reason.is_some(),
            Some(EventStatus::Ignored) | None => false,
        }
    }
}

/// How many raw events of a source have an outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventCount {
    /// The source.
    pub source: String,
    /// The outcome (`None`: not derived).
    pub status: Option<EventStatus>,
    /// How many.
    pub count: u64,
}

/// What [`crate::Store::rebuild`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RebuildSummary {
    /// Raw events read.
    pub events: u64,
    /// Of which normalised.
    pub normalized: u64,
    /// Of which ignored.
    pub ignored: u64,
    /// Of which failed.
    pub failed: u64,
    /// Records stored after the rebuild.
    pub records: u64,
    /// Identities named.
    pub identities: u64,
}

/// An identity as stored: who it resolved to when last derived, and how
/// often events named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityRecord {
    /// The identity.
    pub identity: Identity,
    /// The name the sources show, last seen.
    pub display_name: Option<String>,
    /// The catalog User, or `None` when unresolved.
    pub person: Option<EntityRef>,
    /// True for automation.
    pub automation: bool,
    /// How many events named it.
    pub sightings: u64,
    /// When an event first named it.
    pub first_seen: DateTime<Utc>,
    /// When an event last named it.
    pub last_seen: DateTime<Utc>,
}

/// An e-mail address commits were authored with, for identity resolution
/// of git history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitEmail {
    /// The address, lower-cased.
    pub email: String,
    /// An author name written with it.
    pub name: String,
    /// How many commits (over every repository).
    pub commits: u64,
    /// The latest author time among them.
    pub last_commit_at: DateTime<Utc>,
}

/// What a token may do (DESIGN §8). Serialised as `{"scope": "admin"}`,
/// `{"scope": "team", "team": "group:default/x"}` or `{"scope": "user",
/// "user": "user:default/dana"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenScope {
    /// Anything.
    Admin,
    /// Record deployments and incidents of the services this Group (or one
    /// of its descendants) owns; used by CI.
    Team(EntityRef),
    /// Act as this person (a catalog User): what they may do is what the
    /// catalog lets them do.
    User(EntityRef),
}

impl Serialize for TokenScope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::Admin => map.serialize_entry("scope", "admin")?,
            Self::Team(team) => {
                map.serialize_entry("scope", "team")?;
                map.serialize_entry("team", team)?;
            }
            Self::User(person) => {
                map.serialize_entry("scope", "user")?;
                map.serialize_entry("user", person)?;
            }
        }
        map.end()
    }
}

/// A token to store: its hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// A name people recognise, e.g. `ci-checkout`.
    pub name: String,
    /// What it may do.
    pub scope: TokenScope,
    /// Hex SHA-256 of the token.
    pub hash: String,
    /// The token's first characters, shown in lists.
    pub prefix: String,
    /// When it stops authenticating; `None`: never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A stored token (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it may do.
    #[serde(flatten)]
    pub scope: TokenScope,
    /// Its first characters.
    pub prefix: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it expires; an expired token authenticates nothing.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An action to write to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    /// Who: `token 3 (ci-checkout)`, `cli`.
    pub actor: String,
    /// What: `deployment.record`, `incident.acknowledge`, `token.create`, ...
    pub action: String,
    /// On what: a record key, a token id.
    pub target: String,
    /// Anything else worth keeping: the reason of a refusal.
    pub detail: Option<String>,
    /// The service (a Component) it acts on, when there is one: the audit
    /// trail of a service lists it.
    pub service: Option<paved_domain::EntityRef>,
    /// What was decided, when the action was a request someone could be
    /// refused.
    pub decision: Option<AuditDecision>,
}

/// What was decided about a request the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditDecision {
    /// It was allowed, and done (or queued).
    Allowed,
    /// It was refused; the entry's detail says by which rule.
    Refused,
}

impl AuditDecision {
    /// As stored: `allowed` or `refused`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Refused => "refused",
        }
    }

    /// The decision a stored name stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "allowed" => Some(Self::Allowed),
            "refused" => Some(Self::Refused),
            _ => None,
        }
    }
}

/// An entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Its id, increasing.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: String,
    /// The raw event it stored, if any.
    pub raw_event_id: Option<i64>,
    /// Anything else.
    pub detail: Option<String>,
    /// The service it acts on (a Component's key), when recorded.
    pub service: Option<String>,
    /// What was decided, when recorded.
    pub decision: Option<AuditDecision>,
}

/// Which entries of the audit log [`crate::AuditStore::audit_entries`]
/// reads, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilter {
    /// Entries by this actor (as written: `user:default/dana via session
    /// 4`), or whose actor contains this text.
    pub actor: Option<String>,
    /// Entries acting on this service.
    pub service: Option<paved_domain::EntityRef>,
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Page size (1 to 1000).
    pub limit: u32,
    /// Entries to skip.
    pub offset: u64,
}
