//! The normalised records derived from raw events (DESIGN §3 "Records"):
//! deployments, incidents with their pages, pull requests with their reviews,
//! CI runs and pushes.
//!
//! A source rarely says everything about a record at once: GitHub sends a
//! deployment, then one status after another; PagerDuty sends "triggered",
//! then "acknowledged", sometimes in the other order. Each raw event is
//! therefore normalised into a *partial* record with the same key, and
//! [`Record::merge`] folds it into what is stored. Merging is written so that
//! the order in which deliveries arrive does not change the result where the
//! events carry their own times (first acknowledgement wins by time, a later
//! status replaces an earlier one, pages are a set).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{EntityRef, Identity, RepoId};

/// Which kind of record; the first half of a record's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A [`Deployment`].
    Deployment,
    /// An [`Incident`].
    Incident,
    /// A [`PullRequest`] (or GitLab merge request).
    PullRequest,
    /// A [`CiRun`].
    CiRun,
    /// A [`Push`].
    Push,
    /// A [`RecordedShift`].
    Shift,
    /// A [`Provisioning`].
    Provisioning,
}

impl RecordKind {
    /// The name stored and shown, e.g. `pull_request`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployment => "deployment",
            Self::Incident => "incident",
            Self::PullRequest => "pull_request",
            Self::CiRun => "ci_run",
            Self::Push => "push",
            Self::Shift => "shift",
            Self::Provisioning => "provisioning",
        }
    }

    /// True for the kinds whose records cover a span of time (shifts)
    /// rather than mark an instant: their [`RecordIndex::end`] is set.
    pub fn has_span(self) -> bool {
        matches!(self, Self::Shift)
    }

    /// The kind named by [`Self::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "deployment" => Self::Deployment,
            "incident" => Self::Incident,
            "pull_request" => Self::PullRequest,
            "ci_run" => Self::CiRun,
            "push" => Self::Push,
            "shift" => Self::Shift,
            "provisioning" => Self::Provisioning,
            _ => return None,
        })
    }
}

/// One normalised record, whole or partial (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A deployment, or news about one.
    Deployment(Deployment),
    /// An incident, or news about one.
    Incident(Incident),
    /// A pull request, or news about one.
    PullRequest(PullRequest),
    /// A CI run, or news about one.
    CiRun(CiRun),
    /// A push.
    Push(Push),
    /// An on-call shift recorded from outside the catalog.
    Shift(RecordedShift),
    /// A self-service provisioning request made through pavedroad.
    Provisioning(Provisioning),
}

/// Where a record stands in time and which service it belongs to: the
/// columns the store indexes next to the record's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordIndex {
    /// The service (a Component) the record belongs to, when known.
    pub service: Option<EntityRef>,
    /// The repository, when known.
    pub repo: Option<RepoId>,
    /// The commit the record is about (deployed, merged, built), when known.
    pub sha: Option<String>,
    /// The record's state as text (`success`, `open`, `merged`, ...).
    pub status: String,
    /// The record's main instant: when a deployment finished (else started
    /// or was created), an incident opened, a pull request merged (else
    /// opened), a CI run finished (else started), a push happened, a shift
    /// started.
    pub at: Option<DateTime<Utc>>,
    /// The end of a record that covers a span of time (a shift), so that
    /// one that began long before a window and still covers it is found.
    pub end: Option<DateTime<Utc>>,
    /// The on-call Schedule a shift belongs to.
    pub schedule: Option<EntityRef>,
}

impl Record {
    /// The kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            Self::Deployment(_) => RecordKind::Deployment,
            Self::Incident(_) => RecordKind::Incident,
            Self::PullRequest(_) => RecordKind::PullRequest,
            Self::CiRun(_) => RecordKind::CiRun,
            Self::Push(_) => RecordKind::Push,
            Self::Shift(_) => RecordKind::Shift,
            Self::Provisioning(_) => RecordKind::Provisioning,
        }
    }

    /// The key, unique within the kind.
    pub fn key(&self) -> &str {
        match self {
            Self::Deployment(r) => &r.key,
            Self::Incident(r) => &r.key,
            Self::PullRequest(r) => &r.key,
            Self::CiRun(r) => &r.key,
            Self::Push(r) => &r.key,
            Self::Shift(r) => &r.key,
            Self::Provisioning(r) => &r.key,
        }
    }

    /// The indexed columns.
    pub fn index(&self) -> RecordIndex {
        match self {
            Self::Deployment(d) => RecordIndex {
                service: d.service.clone(),
                repo: d.repo.clone(),
                sha: d.sha.clone(),
                status: d.status.as_str().to_owned(),
                at: d.finished_at.or(d.started_at).or(d.created_at),
                end: None,
                schedule: None,
            },
            Self::Incident(i) => RecordIndex {
                service: i.service.clone(),
                repo: None,
                sha: i.root_cause_sha.clone(),
                status: i.status().as_str().to_owned(),
                at: i.opened_at.or(i.acknowledged_at).or(i.resolved_at),
                end: None,
                schedule: None,
            },
            Self::PullRequest(p) => RecordIndex {
                service: None,
                repo: Some(p.repo.clone()),
                sha: p.merge_commit_sha.clone(),
                status: p.state().as_str().to_owned(),
                at: p.merged_at.or(p.opened_at),
                end: None,
                schedule: None,
            },
            Self::CiRun(c) => RecordIndex {
                service: None,
                repo: Some(c.repo.clone()),
                sha: c.sha.clone(),
                status: c.conclusion.clone().unwrap_or_else(|| c.status.clone()),
                at: c.finished_at.or(c.started_at),
                end: None,
                schedule: None,
            },
            Self::Push(p) => RecordIndex {
                service: None,
                repo: Some(p.repo.clone()),
                sha: p.after.clone(),
                status: if p.deleted { "deleted".to_owned() } else { "pushed".to_owned() },
                at: p.at,
                end: None,
                schedule: None,
            },
            Self::Shift(s) => RecordIndex {
                service: None,
                repo: None,
                sha: None,
                status: "recorded".to_owned(),
                at: Some(s.start),
                end: Some(s.end),
                schedule: Some(s.schedule.clone()),
            },
            Self::Provisioning(p) => RecordIndex {
                service: p.service.clone(),
                repo: None,
                sha: None,
                status: p.state.as_str().to_owned(),
                at: p.ready_at.or(p.requested_at),
                end: None,
                schedule: None,
            },
        }
    }

    /// Every identity the record names (actors, authors, reviewers, people
    /// acknowledging and paged), for the list of identities.
    pub fn identities(&self) -> Vec<&Identity> {
        let mut out: Vec<&Identity> = Vec::new();
        match self {
            Self::Deployment(d) => out.extend([&d.actor, &d.creator, &d.triggering_actor].into_iter().flatten()),
            Self::Incident(i) => {
                out.extend([&i.acknowledged_by, &i.resolved_by].into_iter().flatten());
                out.extend(i.pages.iter().map(|page| &page.person));
            }
            Self::PullRequest(p) => {
                out.extend([&p.author, &p.merged_by].into_iter().flatten());
                out.extend(p.reviews.iter().map(|review| &review.reviewer));
            }
            Self::CiRun(c) => out.extend([&c.actor, &c.triggering_actor].into_iter().flatten()),
            Self::Push(p) => {
                out.extend(p.pusher.iter());
                out.extend(p.commits.iter().flat_map(|c| c.author.iter()));
            }
            Self::Shift(s) => out.push(&s.person),
            Self::Provisioning(p) => out.extend(p.actor.iter()),
        }
        out.sort();
        out.dedup();
        out
    }

    /// Folds `newer` (the same kind and key, derived from a later raw event)
    /// into `self`.
    ///
    /// # Panics
    /// Never for records of the same kind; `newer` of another kind replaces
    /// `self` (callers look records up by kind and key, so it does not happen).
    pub fn merge(self, newer: Record) -> Record {
        match (self, newer) {
            (Self::Deployment(old), Self::Deployment(new)) => Self::Deployment(old.merge(new)),
            (Self::Incident(old), Self::Incident(new)) => Self::Incident(old.merge(new)),
            (Self::PullRequest(old), Self::PullRequest(new)) => Self::PullRequest(old.merge(new)),
            (Self::CiRun(old), Self::CiRun(new)) => Self::CiRun(old.merge(new)),
            (Self::Push(old), Self::Push(new)) => Self::Push(old.merge(new)),
            // A shift recorded again with the same id is corrected.
            (Self::Shift(_), Self::Shift(new)) => Self::Shift(new),
            (Self::Provisioning(old), Self::Provisioning(new)) => Self::Provisioning(old.merge(new)),
            (_, newer) => newer,
        }
    }
}

/// `new` when it is set, else `old`.
fn latest<T>(old: Option<T>, new: Option<T>) -> Option<T> {
    new.or(old)
}

/// The earlier of two optional instants.
fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The later of two optional instants.
fn last(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Where a deployment stands. GitHub's deployment states, GitLab's
/// deployment statuses and the API's values map onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStatus {
    /// Created, not started (GitHub `pending`, GitLab `created`).
    Pending,
    /// Waiting for a runner (GitHub `queued`).
    Queued,
    /// Running (GitHub `in_progress`, GitLab `running`).
    InProgress,
    /// Finished and live.
    Success,
    /// Finished and failed (GitHub `failure`, GitLab `failed`).
    Failure,
    /// The deployment itself broke (GitHub `error`).
    Error,
    /// Cancelled before it finished (GitLab `canceled`).
    Cancelled,
    /// A later deployment replaced it (GitHub `inactive`). It does not undo
    /// a success: the deployment still happened.
    Inactive,
}

impl DeploymentStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
            Self::Inactive => "inactive",
        }
    }

    /// Reads a provider's or a person's name for a status
    /// (case-insensitive): the names above plus `failed`, `canceled`,
    /// `created`, `running`, `started`, `succeeded`, `successful`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "pending" | "created" | "blocked" | "waiting" => Self::Pending,
            "queued" => Self::Queued,
            "in_progress" | "running" | "started" => Self::InProgress,
            "success" | "succeeded" | "successful" => Self::Success,
            "failure" | "failed" => Self::Failure,
            "error" => Self::Error,
            "cancelled" | "canceled" | "skipped" => Self::Cancelled,
            "inactive" => Self::Inactive,
            _ => return None,
        })
    }

    /// True when the deployment has ended (successfully or not).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Success | Self::Failure | Self::Error | Self::Cancelled)
    }
}

/// What set a deployment off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentTrigger {
    /// A person started it.
    Manual,
    /// A pipeline started it on a merge or push.
    Automatic,
    /// It rolls back to an earlier version.
    Rollback,
}

impl DeploymentTrigger {
    /// Reads `manual`, `automatic` (or `auto`, `push`, `merge`), `rollback`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "manual" | "workflow_dispatch" => Self::Manual,
            "automatic" | "auto" | "push" | "merge" => Self::Automatic,
            "rollback" => Self::Rollback,
            _ => return None,
        })
    }
}

/// A deployment of a service to an environment (DESIGN §3 "Deployment").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// The record's key: `<source>:<id within the source>`, e.g.
    /// `github:github.com/acme/checkout/145988746` or `api:ci-run-9912`.
    pub key: String,
    /// Where it came from: `github`, `gitlab`, `api`, `cli`.
    pub source: String,
    /// The service (a Component) deployed, resolved through the catalog.
    pub service: Option<EntityRef>,
    /// The service as the source named it (a name, or nothing when only the
    /// repository is known), kept so that an unresolved one can be shown.
    pub service_name: Option<String>,
    /// The repository deployed from, when the source says.
    pub repo: Option<RepoId>,
    /// The environment, as named by the source.
    pub environment: String,
    /// True when the environment is production for this service (DESIGN §5
    /// "Production deployment"), decided when the record is derived.
    pub production: bool,
    /// What the source itself says: GitHub's `production_environment`,
    /// GitLab's `production` tier.
    pub production_by_source: Option<bool>,
    /// The deployed commit, full or abbreviated lower-case hex.
    pub sha: Option<String>,
    /// The branch or tag deployed, when the source says.
    pub git_ref: Option<String>,
    /// Where it stands.
    pub status: DeploymentStatus,
    /// When the current status was reported (orders updates).
    pub status_at: Option<DateTime<Utc>>,
    /// When the deployment was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it started running.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached its final status.
    pub finished_at: Option<DateTime<Utc>>,
    /// The human who caused it, when the source or the caller names one
    /// explicitly (`--actor`).
    pub actor: Option<Identity>,
    /// Who created it at the source (GitHub's deployment creator, GitLab's
    /// deployable user).
    pub creator: Option<Identity>,
    /// Who triggered the workflow or pipeline that created it.
    pub triggering_actor: Option<Identity>,
    /// The token that named `actor` on the actor's behalf (a team's CI
    /// token saying whom it deploys for), as the audit log names it: the
    /// actor is claimed by that token, not proven by the person's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_claimed_by: Option<String>,
    /// What set it off, when known.
    pub trigger: Option<DeploymentTrigger>,
    /// True when its metadata marks it as a hotfix.
    pub hotfix: bool,
    /// Incident keys this deployment says it fixes.
    pub fixes_incidents: Vec<String>,
    /// A link to the deployment (a CI run, the provider's page).
    pub url: Option<String>,
    /// Free text from the source.
    pub description: Option<String>,
}

impl Deployment {
    /// A deployment with only its identity, environment and status set.
    pub fn new(key: impl Into<String>, source: impl Into<String>, environment: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            source: source.into(),
            service: None,
            service_name: None,
            repo: None,
            environment: environment.into(),
            production: false,
            production_by_source: None,
            sha: None,
            git_ref: None,
            status: DeploymentStatus::Pending,
            status_at: None,
            created_at: None,
            started_at: None,
            finished_at: None,
            actor: None,
            actor_claimed_by: None,
            creator: None,
            triggering_actor: None,
            trigger: None,
            hotfix: false,
            fixes_incidents: Vec::new(),
            url: None,
            description: None,
        }
    }

    /// The human who caused the deployment (DESIGN §3): the explicit actor,
    /// else the creator at the source, else the workflow's triggering actor,
    /// else `merger` (who merged the pull request of the deployed commit);
    /// automation (`is_automation`) at any step is passed over for the next.
    /// `None` when only automation is known.
    pub fn human_actor<'a>(
        &'a self,
        is_automation: impl Fn(&Identity) -> bool,
        merger: Option<&'a Identity>,
    ) -> Option<&'a Identity> {
        [self.actor.as_ref(), self.creator.as_ref(), self.triggering_actor.as_ref(), merger]
            .into_iter()
            .flatten()
            .find(|identity| !is_automation(identity))
    }

    /// True when `new`'s status should replace `self`'s: it was reported
    /// later (or at the same time, and is final where `self`'s is not). A
    /// status without a time is taken as the latest. `inactive` never
    /// replaces a final status.
    fn status_replaced_by(&self, new: &Deployment) -> bool {
        if new.status == DeploymentStatus::Inactive && self.status.is_final() {
            return false;
        }
        if self.status == DeploymentStatus::Inactive && new.status.is_final() {
            // It was replaced later, but this is how it ended.
            return true;
        }
        if self.status.is_final() && !new.status.is_final() && new.status != DeploymentStatus::Inactive {
            // A final status is not undone by news of an earlier stage that
            // arrived late.
            return matches!((self.status_at, new.status_at), (Some(old), Some(at)) if at > old);
        }
        match (self.status_at, new.status_at) {
            (Some(old), Some(at)) => at > old || (at == old && new.status.is_final()),
            _ => true,
        }
    }

    fn merge(self, new: Deployment) -> Deployment {
        let replace_status = self.status_replaced_by(&new);
        let (status, status_at) =
            if replace_status { (new.status, new.status_at.or(self.status_at)) } else { (self.status, self.status_at) };
        // The final status that stands decides when it finished (a failed
        // attempt re-run to success finished at the success).
        let finished_at = if replace_status && new.status.is_final() {
            new.finished_at.or(self.finished_at)
        } else {
            self.finished_at.or(new.finished_at)
        };
        let mut fixes = self.fixes_incidents;
        for key in new.fixes_incidents {
            if !fixes.contains(&key) {
                fixes.push(key);
            }
        }
        Deployment {
            key: self.key,
            source: self.source,
            service: latest(self.service, new.service),
            service_name: latest(self.service_name, new.service_name),
            repo: latest(self.repo, new.repo),
            // Decided anew at each derivation, with the environment it names.
            production: if new.environment.is_empty() { self.production } else { new.production },
            environment: if new.environment.is_empty() { self.environment } else { new.environment },
            production_by_source: latest(self.production_by_source, new.production_by_source),
            sha: latest(self.sha, new.sha),
            git_ref: latest(self.git_ref, new.git_ref),
            status,
            status_at,
            created_at: earliest(self.created_at, new.created_at),
            started_at: earliest(self.started_at, new.started_at),
            finished_at,
            // Whoever names the actor last says whether it was claimed.
            actor_claimed_by: if new.actor.is_some() { new.actor_claimed_by } else { self.actor_claimed_by },
            actor: latest(self.actor, new.actor),
            creator: latest(self.creator, new.creator),
            triggering_actor: latest(self.triggering_actor, new.triggering_actor),
            trigger: latest(self.trigger, new.trigger),
            hotfix: self.hotfix || new.hotfix,
            fixes_incidents: fixes,
            url: latest(self.url, new.url),
            description: latest(self.description, new.description),
        }
    }
}

/// Where an incident stands, derived from its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Opened, nobody acknowledged it yet.
    Open,
    /// Someone acknowledged it.
    Acknowledged,
    /// Resolved.
    Resolved,
}

impl IncidentStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }
}

/// Why someone was notified about an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageReason {
    /// Paged when the incident opened (assigned).
    Triggered,
    /// Paged because the incident was escalated to them.
    Escalated,
    /// Paged because the incident was reassigned to them.
    Reassigned,
}

/// One person paged for an incident.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Page {
    /// Who was paged.
    pub person: Identity,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: PageReason,
}

/// An incident on a service (DESIGN §3 "Incident").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// The record's key: `<source>:<id within the source>`, e.g.
    /// `pagerduty:Q2CZ1YLDVX0AYU` or
    /// `alertmanager:a1b2c3d4e5f6a7b8@2026-11-03T10:00:00Z`.
    pub key: String,
    /// Where it came from: `alertmanager`, `pagerduty`, `events`, `github`,
    /// `gitlab`, `api`, `cli`.
    pub source: String,
    /// The service (a Component) affected, resolved through the catalog.
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
    pub acknowledged_by: Option<Identity>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it, when the source says.
    pub resolved_by: Option<Identity>,
    /// The deployment it names as its cause (a deployment key, or the
    /// caller's deployment id).
    pub caused_by_deployment: Option<String>,
    /// The commit it names as its root cause (`root cause: <sha>` in its
    /// text, or an explicit field), lower-case hex, perhaps abbreviated.
    pub root_cause_sha: Option<String>,
    /// Everyone paged, with when and why.
    pub pages: Vec<Page>,
    /// A link to the incident at its source.
    pub url: Option<String>,
    /// When it was last reopened after a resolution; a resolution before
    /// this time no longer counts.
    pub reopened_at: Option<DateTime<Utc>>,
    /// When the source said what this record says of its title, severity
    /// and service (orders news that arrives out of order: the newer wins).
    pub updated_at: Option<DateTime<Utc>>,
}

impl Incident {
    /// An incident with only its identity set.
    pub fn new(key: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            source: source.into(),
            service: None,
            service_name: None,
            title: None,
            severity: None,
            opened_at: None,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
            caused_by_deployment: None,
            root_cause_sha: None,
            pages: Vec::new(),
            url: None,
            reopened_at: None,
            updated_at: None,
        }
    }

    /// When it was resolved, unless it was reopened after that.
    pub fn resolution(&self) -> Option<DateTime<Utc>> {
        match (self.resolved_at, self.reopened_at) {
            (Some(resolved), Some(reopened)) if reopened > resolved => None,
            (resolved, _) => resolved,
        }
    }

    /// Where it stands.
    pub fn status(&self) -> IncidentStatus {
        if self.resolution().is_some() {
            IncidentStatus::Resolved
        } else if self.acknowledged_at.is_some() {
            IncidentStatus::Acknowledged
        } else {
            IncidentStatus::Open
        }
    }

    fn merge(mut self, mut new: Incident) -> Incident {
        // The first acknowledgement (by time) wins, with its person.
        let (acknowledged_at, acknowledged_by) = match (self.acknowledged_at, new.acknowledged_at) {
            (Some(old), Some(at)) if at < old => (Some(at), new.acknowledged_by.take().or(self.acknowledged_by.take())),
            (Some(old), _) => (Some(old), self.acknowledged_by.take().or(new.acknowledged_by.take())),
            (None, at) => (at, new.acknowledged_by.take().or(self.acknowledged_by.take())),
        };
        // The last resolution (by time) wins, with its person.
        let (resolved_at, resolved_by) = match (self.resolved_at, new.resolved_at) {
            (Some(old), Some(at)) if at < old => (Some(old), self.resolved_by.take().or(new.resolved_by.take())),
            (old, None) => (old, self.resolved_by.take()),
            (_, at) => (at, new.resolved_by.take().or(self.resolved_by.take())),
        };
        let mut pages = std::mem::take(&mut self.pages);
        pages.append(&mut new.pages);
        pages.sort();
        pages.dedup();
        // What changes back and forth (title, severity, service) is taken
        // from the newer news; news without a time is taken as the newest.
        let older = matches!((self.updated_at, new.updated_at), (Some(old), Some(at)) if at < old);
        let (recent, other) = if older { (self, new) } else { (new, self) };
        Incident {
            key: other.key,
            source: other.source,
            service: latest(other.service, recent.service),
            service_name: latest(other.service_name, recent.service_name),
            title: latest(other.title, recent.title),
            severity: latest(other.severity, recent.severity),
            opened_at: earliest(other.opened_at, recent.opened_at),
            acknowledged_at,
            acknowledged_by,
            resolved_at,
            resolved_by,
            caused_by_deployment: latest(other.caused_by_deployment, recent.caused_by_deployment),
            root_cause_sha: latest(other.root_cause_sha, recent.root_cause_sha),
            pages,
            url: latest(other.url, recent.url),
            reopened_at: last(other.reopened_at, recent.reopened_at),
            updated_at: last(other.updated_at, recent.updated_at),
        }
    }
}

/// Finds `root cause: <sha>` in free text (case-insensitive, after a colon
/// and spaces): 7 to 64 hex digits, lower-cased. DESIGN §3 links an incident
/// to a commit this way.
pub fn root_cause_in(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("root cause") {
        rest = &rest[at + "root cause".len()..];
        let Some(after_colon) = rest.trim_start().strip_prefix(':') else { continue };
        let sha: String = after_colon.trim_start().chars().take_while(char::is_ascii_hexdigit).collect();
        if (7..=64).contains(&sha.len()) {
            return Some(sha);
        }
    }
    None
}

/// A review of a pull request, or a comment on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Review {
    /// Who reviewed or commented.
    pub reviewer: Identity,
    /// When.
    pub at: DateTime<Utc>,
    /// `approved`, `changes_requested`, `commented`, `dismissed`, `note`.
    pub state: String,
}

/// Where a pull request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullRequestState {
    /// Open.
    Open,
    /// Closed without merging.
    Closed,
    /// Merged.
    Merged,
}

impl PullRequestState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Merged => "merged",
        }
    }
}

/// A pull request (GitHub) or merge request (GitLab) (DESIGN §3 "Pull
/// request").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The record's key: `<source>:<repo>#<number>`, e.g.
    /// `github:github.com/acme/checkout#42`.
    pub key: String,
    /// `github` or `gitlab`.
    pub source: String,
    /// The repository it merges into.
    pub repo: RepoId,
    /// Its number (GitLab's `iid`).
    pub number: u64,
    /// Its title.
    pub title: Option<String>,
    /// Who opened it.
    pub author: Option<Identity>,
    /// When it was opened.
    pub opened_at: Option<DateTime<Utc>>,
    /// When it was closed (merged or not).
    pub closed_at: Option<DateTime<Utc>>,
    /// When it was merged.
    pub merged_at: Option<DateTime<Utc>>,
    /// Who merged it.
    pub merged_by: Option<Identity>,
    /// The commit the merge made on the target branch (a merge, squash or
    /// rebase commit).
    pub merge_commit_sha: Option<String>,
    /// The tip of its branch, last seen.
    pub head_sha: Option<String>,
    /// The branch it merges into.
    pub base_ref: Option<String>,
    /// Reviews and comments, each once, in time order.
    pub reviews: Vec<Review>,
    /// A link to it.
    pub url: Option<String>,
    /// When the source last changed it (orders snapshots: the newer one
    /// decides whether it is closed, its title and its head).
    pub updated_at: Option<DateTime<Utc>>,
}

impl PullRequest {
    /// A pull request with only its identity set.
    pub fn new(source: impl Into<String>, repo: RepoId, number: u64) -> Self {
        let source = source.into();
        Self {
            key: format!("{source}:{repo}#{number}"),
            source,
            repo,
            number,
            title: None,
            author: None,
            opened_at: None,
            closed_at: None,
            merged_at: None,
            merged_by: None,
            merge_commit_sha: None,
            head_sha: None,
            base_ref: None,
            reviews: Vec::new(),
            url: None,
            updated_at: None,
        }
    }

    /// Where it stands.
    pub fn state(&self) -> PullRequestState {
        if self.merged_at.is_some() {
            PullRequestState::Merged
        } else if self.closed_at.is_some() {
            PullRequestState::Closed
        } else {
            PullRequestState::Open
        }
    }

    fn merge(mut self, mut new: PullRequest) -> PullRequest {
        let mut reviews = std::mem::take(&mut self.reviews);
        reviews.extend(std::mem::take(&mut new.reviews));
        reviews.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.cmp(b)));
        reviews.dedup();
        // The newer snapshot decides what changes back and forth (closed and
        // reopened, retitled, pushed to); a merge is for good.
        let newer = match (self.updated_at, new.updated_at) {
            (Some(old), Some(at)) => at >= old,
            (Some(_), None) => false,
            (None, _) => true,
        };
        let (recent, other) = if newer { (new, self) } else { (self, new) };
        let merged_at = earliest(recent.merged_at, other.merged_at);
        PullRequest {
            key: other.key,
            source: other.source,
            repo: other.repo,
            number: other.number,
            title: latest(other.title, recent.title),
            author: latest(other.author, recent.author),
            opened_at: earliest(other.opened_at, recent.opened_at),
            closed_at: if merged_at.is_some() { recent.closed_at.or(other.closed_at) } else { recent.closed_at },
            merged_at,
            merged_by: latest(other.merged_by, recent.merged_by),
            // GitHub's test-merge sha of an open pull request changes; once
            // merged, the merge's sha is the one that counts.
            merge_commit_sha: match (recent.merged_at.is_some(), other.merged_at.is_some()) {
                (false, true) => other.merge_commit_sha.or(recent.merge_commit_sha),
                _ => latest(other.merge_commit_sha, recent.merge_commit_sha),
            },
            head_sha: latest(other.head_sha, recent.head_sha),
            base_ref: latest(other.base_ref, recent.base_ref),
            reviews,
            url: latest(other.url, recent.url),
            updated_at: last(other.updated_at, recent.updated_at),
        }
    }
}

/// A CI run: a GitHub workflow run or check run, a GitLab pipeline or job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CiRun {
    /// The record's key: `<source>:<kind>:<repo>/<id>`, e.g.
    /// `github:workflow_run:github.com/acme/checkout/30433642`.
    pub key: String,
    /// `github` or `gitlab`.
    pub source: String,
    /// `workflow_run`, `check_run`, `pipeline` or `job`.
    pub run_kind: String,
    /// The repository.
    pub repo: RepoId,
    /// The commit built or checked.
    pub sha: Option<String>,
    /// The branch or tag.
    pub git_ref: Option<String>,
    /// The workflow, check, pipeline or job name.
    pub name: Option<String>,
    /// What started it (`push`, `pull_request`, `workflow_dispatch`, `web`,
    /// `schedule`, ...).
    pub event: Option<String>,
    /// The source's status (`queued`, `in_progress`, `completed`,
    /// `running`, `success`, `failed`, ...).
    pub status: String,
    /// The result once finished (`success`, `failure`, `cancelled`, ...).
    pub conclusion: Option<String>,
    /// Who the run belongs to (GitHub's `actor`, GitLab's user).
    pub actor: Option<Identity>,
    /// Who triggered this attempt (GitHub's `triggering_actor`).
    pub triggering_actor: Option<Identity>,
    /// The environment a deploy job targets (GitLab), when any.
    pub environment: Option<String>,
    /// When the source says the status was reported (orders updates).
    pub status_at: Option<DateTime<Utc>>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// A link to it.
    pub url: Option<String>,
}

impl CiRun {
    fn merge(self, new: CiRun) -> CiRun {
        let newer = match (self.status_at, new.status_at) {
            (Some(old), Some(at)) => at >= old,
            _ => true,
        };
        let (status, conclusion, status_at) = if newer {
            (new.status, latest(self.conclusion, new.conclusion), new.status_at.or(self.status_at))
        } else {
            (self.status, latest(new.conclusion, self.conclusion), self.status_at)
        };
        CiRun {
            key: self.key,
            source: self.source,
            run_kind: self.run_kind,
            repo: self.repo,
            sha: latest(self.sha, new.sha),
            git_ref: latest(self.git_ref, new.git_ref),
            name: latest(self.name, new.name),
            event: latest(self.event, new.event),
            status,
            conclusion,
            actor: latest(self.actor, new.actor),
            triggering_actor: latest(self.triggering_actor, new.triggering_actor),
            environment: latest(self.environment, new.environment),
            status_at,
            started_at: earliest(self.started_at, new.started_at),
            finished_at: last(self.finished_at, new.finished_at),
            url: latest(self.url, new.url),
        }
    }
}

/// An on-call shift recorded through the API, for teams whose schedules
/// live in another tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedShift {
    /// The record's key: `api:<id>`.
    pub key: String,
    /// The Schedule it belongs to.
    pub schedule: EntityRef,
    /// Who was on call (resolved to a catalog User when read).
    pub person: Identity,
    /// From.
    pub start: DateTime<Utc>,
    /// Until (exclusive).
    pub end: DateTime<Utc>,
}

/// Where a provisioning request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisioningState {
    /// Asked for; its driver is running.
    Requested,
    /// Made: the service has it.
    Ready,
    /// Its driver failed, leaving nothing behind.
    Failed,
    /// Removed.
    Deleted,
}

impl ProvisioningState {
    /// `requested`, `ready`, `failed` or `deleted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Deleted => "deleted",
        }
    }

    /// The state named by [`Self::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "requested" => Self::Requested,
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            "deleted" => Self::Deleted,
            _ => return None,
        })
    }
}

/// A self-service provisioning request made through pavedroad (DESIGN §7
/// Provision): who asked for what, for which service, and when it was
/// made. It counts in the fourth line of the four-line test and as a
/// resource developers provisioned themselves. No output or secret of the
/// resource is kept here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provisioning {
    /// The record's key: `paved:resource-<id>`.
    pub key: String,
    /// The Resource (`resource:default/checkout-api-postgres-database`).
    pub resource: String,
    /// The Module it was made from.
    pub module: String,
    /// The service it is for, resolved against the catalog.
    pub service: Option<EntityRef>,
    /// The service's name as the event gave it.
    pub service_name: Option<String>,
    /// Who asked (a User), when a person did.
    pub actor: Option<Identity>,
    /// The latest state.
    pub state: ProvisioningState,
    /// When it was asked for.
    pub requested_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub ready_at: Option<DateTime<Utc>>,
    /// When it was removed.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Why its driver failed.
    pub error: Option<String>,
}

impl Provisioning {
    /// Folds `newer` (the same request's later event) into `self`: the
    /// furthest state wins, whatever order the events arrive in, and
    /// every instant is kept.
    pub fn merge(self, newer: Self) -> Self {
        Self {
            key: newer.key,
            resource: newer.resource,
            module: newer.module,
            service: newer.service.or(self.service),
            service_name: newer.service_name.or(self.service_name),
            actor: newer.actor.or(self.actor),
            state: self.state.max(newer.state),
            requested_at: earliest(self.requested_at, newer.requested_at),
            ready_at: latest(self.ready_at, newer.ready_at),
            deleted_at: latest(self.deleted_at, newer.deleted_at),
            error: latest(self.error, newer.error),
        }
    }
}

/// A commit as a push event lists it (no line statistics: the git import
/// supplies those).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedCommit {
    /// The commit id.
    pub sha: String,
    /// The author, by login when the provider matched one, else by e-mail.
    pub author: Option<Identity>,
    /// The author's e-mail as written in the commit.
    pub author_email: Option<String>,
    /// The commit's time as the provider reports it.
    pub at: Option<DateTime<Utc>>,
}

/// A push to a branch or tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Push {
    /// The record's key: `<source>:<repo>:<ref>:<before>..<after>`.
    pub key: String,
    /// `github` or `gitlab`.
    pub source: String,
    /// The repository.
    pub repo: RepoId,
    /// The full ref pushed, e.g. `refs/heads/main`.
    pub git_ref: String,
    /// The ref's commit before the push (`None` when it was created).
    pub before: Option<String>,
    /// The ref's commit after the push (`None` when it was deleted).
    pub after: Option<String>,
    /// Who pushed.
    pub pusher: Option<Identity>,
    /// The commits the push brought, as the provider lists them.
    pub commits: Vec<PushedCommit>,
    /// True for a force push.
    pub forced: bool,
    /// True when the push deleted the ref.
    pub deleted: bool,
    /// When it happened (the head commit's time, else when it was received).
    pub at: Option<DateTime<Utc>>,
}

impl Push {
    /// The same push delivered again (a webhook redelivered under a new
    /// id) says the same; the first is kept.
    fn merge(self, _redelivered: Push) -> Push {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc))
    }

    fn status(status: DeploymentStatus, when: &str) -> Deployment {
        let mut d = Deployment::new("github:x/1", "github", "production");
        d.status = status;
        d.status_at = at(when);
        if status.is_final() {
            d.finished_at = at(when);
        }
        if status == DeploymentStatus::InProgress {
            d.started_at = at(when);
        }
        d
    }

    fn merged(records: Vec<Deployment>) -> Deployment {
        let mut iter = records.into_iter().map(Record::Deployment);
        let first = iter.next().unwrap();
        match iter.fold(first, Record::merge) {
            Record::Deployment(d) => d,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deployment_statuses_fold_to_the_same_result_in_any_order() {
        let events = vec![
            status(DeploymentStatus::Pending, "2026-11-01T10:00:00Z"),
            status(DeploymentStatus::InProgress, "2026-11-01T10:01:00Z"),
            status(DeploymentStatus::Success, "2026-11-01T10:05:00Z"),
            status(DeploymentStatus::Inactive, "2026-11-02T09:00:00Z"),
        ];
        let forward = merged(events.clone());
        assert_eq!(forward.status, DeploymentStatus::Success, "inactive does not undo a success");
        assert_eq!(forward.started_at, at("2026-11-01T10:01:00Z"));
        assert_eq!(forward.finished_at, at("2026-11-01T10:05:00Z"));
        let mut backward = events.clone();
        backward.reverse();
        assert_eq!(merged(backward), forward);
        let shuffled = vec![events[2].clone(), events[0].clone(), events[3].clone(), events[1].clone()];
        assert_eq!(merged(shuffled), forward);
    }

    #[test]
    fn the_human_actor_skips_automation_down_to_the_merger() {
        let bot = |identity: &Identity| identity.looks_automated(&[]);
        let mut d = Deployment::new("github:x/2", "github", "production");
        let merger = Identity::github("lee").unwrap();
        assert_eq!(d.human_actor(bot, Some(&merger)), Some(&merger), "only the merger is known");
        d.creator = Some(Identity::github("github-actions[bot]").unwrap());
        d.triggering_actor = Some(Identity::github("dana").unwrap());
        assert_eq!(d.human_actor(bot, Some(&merger)).map(ToString::to_string).as_deref(), Some("github:dana"));
        d.actor = Some(Identity::email("ops@acme.example").unwrap());
        assert_eq!(d.human_actor(bot, None).map(ToString::to_string).as_deref(), Some("email:ops@acme.example"));
        let all_bots = Deployment { actor: None, triggering_actor: None, ..d };
        assert_eq!(all_bots.human_actor(bot, None), None);
    }

    #[test]
    fn a_later_final_status_replaces_an_earlier_one() {
        let d = merged(vec![
            status(DeploymentStatus::Failure, "2026-11-01T10:05:00Z"),
            status(DeploymentStatus::Success, "2026-11-01T10:09:00Z"),
        ]);
        assert_eq!(d.status, DeploymentStatus::Success);
        assert_eq!(d.finished_at, at("2026-11-01T10:09:00Z"), "the success that stands decides when it finished");
    }

    fn incident() -> Incident {
        Incident::new("pagerduty:Q1", "pagerduty")
    }

    #[test]
    fn the_first_acknowledgement_and_the_last_resolution_win_in_any_order() {
        let mut opened = incident();
        opened.opened_at = at("2026-11-01T02:00:00Z");
        opened.pages.push(Page {
            person: Identity::pagerduty("PDANA").unwrap(),
            at: at("2026-11-01T02:00:00Z").unwrap(),
            reason: PageReason::Triggered,
        });
        let mut ack_late = incident();
        ack_late.acknowledged_at = at("2026-11-01T02:20:00Z");
        ack_late.acknowledged_by = Some(Identity::pagerduty("PLEE").unwrap());
        let mut ack_early = incident();
        ack_early.acknowledged_at = at("2026-11-01T02:05:00Z");
        ack_early.acknowledged_by = Some(Identity::pagerduty("PDANA").unwrap());
        let mut resolved = incident();
        resolved.resolved_at = at("2026-11-01T03:00:00Z");
        resolved.resolved_by = Some(Identity::pagerduty("PLEE").unwrap());

        let fold = |events: Vec<Incident>| {
            let mut iter = events.into_iter().map(Record::Incident);
            let first = iter.next().unwrap();
            match iter.fold(first, Record::merge) {
                Record::Incident(i) => i,
                other => panic!("{other:?}"),
            }
        };
        let a = fold(vec![opened.clone(), ack_late.clone(), ack_early.clone(), resolved.clone(), opened.clone()]);
        let b = fold(vec![resolved, ack_early, opened, ack_late]);
        assert_eq!(a, b);
        assert_eq!(a.acknowledged_by.as_ref().unwrap().value(), "PDANA");
        assert_eq!(a.resolved_by.as_ref().unwrap().value(), "PLEE");
        assert_eq!(a.status(), IncidentStatus::Resolved);
        assert_eq!(a.pages.len(), 1, "a repeated page counts once");
    }

    #[test]
    fn the_newer_pull_request_snapshot_decides_closed_and_a_merge_is_for_good() {
        let repo = RepoId::parse_url("github.com/acme/checkout").unwrap();
        let snapshot = |updated: &str, closed: Option<&str>, merged: Option<&str>| {
            let mut pr = PullRequest::new("github", repo.clone(), 7);
            pr.opened_at = at("2026-11-01T09:00:00Z");
            pr.updated_at = at(updated);
            pr.closed_at = closed.and_then(at);
            pr.merged_at = merged.and_then(at);
            Record::PullRequest(pr)
        };
        let closed = snapshot("2026-11-01T10:00:00Z", Some("2026-11-01T10:00:00Z"), None);
        let reopened = snapshot("2026-11-01T11:00:00Z", None, None);
        let state = |r: &Record| match r {
            Record::PullRequest(pr) => pr.state(),
            other => panic!("{other:?}"),
        };
        assert_eq!(state(&closed.clone().merge(reopened.clone())), PullRequestState::Open);
        assert_eq!(state(&reopened.clone().merge(closed.clone())), PullRequestState::Open, "in either order");
        let merged = snapshot("2026-11-01T12:00:00Z", Some("2026-11-01T12:00:00Z"), Some("2026-11-01T12:00:00Z"));
        let late_edit = snapshot("2026-11-01T13:00:00Z", None, None);
        assert_eq!(state(&merged.merge(late_edit)), PullRequestState::Merged);
    }

    #[test]
    fn a_reopened_incident_is_open_until_resolved_again() {
        let mut resolved = Incident::new("pagerduty:Q1", "pagerduty");
        resolved.opened_at = at("2026-11-01T02:00:00Z");
        resolved.resolved_at = at("2026-11-01T03:00:00Z");
        let mut reopened = Incident::new("pagerduty:Q1", "pagerduty");
        reopened.reopened_at = at("2026-11-02T08:00:00Z");
        let merged = match Record::Incident(resolved.clone()).merge(Record::Incident(reopened.clone())) {
            Record::Incident(i) => i,
            other => panic!("{other:?}"),
        };
        assert_eq!(merged.status(), IncidentStatus::Open);
        assert_eq!(merged.resolution(), None);
        let mut again = Incident::new("pagerduty:Q1", "pagerduty");
        again.resolved_at = at("2026-11-02T09:00:00Z");
        let Record::Incident(done) = Record::Incident(merged).merge(Record::Incident(again)) else { panic!() };
        assert_eq!(done.status(), IncidentStatus::Resolved);
        assert_eq!(done.resolution(), at("2026-11-02T09:00:00Z"));
    }

    #[test]
    fn the_newer_news_decides_the_severity_whatever_the_arrival_order() {
        let news = |severity: &str, when: &str| {
            let mut i = Incident::new("pagerduty:Q1", "pagerduty");
            i.severity = Some(severity.to_owned());
            i.updated_at = at(when);
            Record::Incident(i)
        };
        let triggered = news("P2", "2026-11-01T21:30:00Z");
        let raised = news("P1", "2026-11-01T21:45:00Z");
        let late_ack = news("P2", "2026-11-01T21:38:00Z");
        let severity = |r: Record| match r {
            Record::Incident(i) => i.severity,
            other => panic!("{other:?}"),
        };
        let in_order = triggered.clone().merge(raised.clone()).merge(late_ack.clone());
        assert_eq!(severity(in_order), Some("P1".to_owned()), "a late delivery of older news does not win");
        assert_eq!(severity(late_ack.merge(raised).merge(triggered)), Some("P1".to_owned()));
    }

    #[test]
    fn root_causes_are_found_in_text() {
        assert_eq!(root_cause_in("Checkout 500s. Root cause: 1A2B3C4d after deploy").as_deref(), Some("1a2b3c4d"));
        assert_eq!(root_cause_in("root cause:\n  0123456789abcdef0123").as_deref(), Some("0123456789abcdef0123"));
        assert_eq!(root_cause_in("root cause: unknown"), None);
        assert_eq!(root_cause_in("root cause: abc"), None, "too short to be a sha");
        assert_eq!(root_cause_in("root cause unclear; root cause: deadbeef").as_deref(), Some("deadbeef"));
    }

    #[test]
    fn record_kinds_have_stable_names() {
        for kind in
            [RecordKind::Deployment, RecordKind::Incident, RecordKind::PullRequest, RecordKind::CiRun, RecordKind::Push]
        {
            assert_eq!(RecordKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
