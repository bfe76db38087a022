//! Golden-path runs and drift (DESIGN §7 Golden paths): each run of a
//! Template is a job with its log, kept with the values and the files it
//! rendered (the common ancestor of the day-2 update), and the last drift
//! found of each service made from one. What a Template renders, who may
//! run it and how drift is found are the application's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_domain::EntityRef;
use serde::Serialize;

use crate::{NewAudit, StoreError};

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// `paved new`: a new service.
    Create,
    /// `paved drift --update`: the template's newer files on a branch.
    Update,
}

impl RunKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
        }
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Its steps run.
    Running,
    /// Every step ran.
    Succeeded,
    /// A step failed; the error says which and why.
    Failed,
}

impl RunState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

/// A run to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplateRun {
    /// Create or update.
    pub kind: RunKind,
    /// The Template.
    pub template: EntityRef,
    /// Its version, when it names one.
    pub version: Option<String>,
    /// The service made or updated.
    pub service: EntityRef,
    /// Its team.
    pub team: EntityRef,
    /// The form's values.
    pub parameters: serde_json::Value,
    /// Who asked, as the audit log names them.
    pub requested_by: String,
    /// The person it is for (`user.ref` to the Template).
    pub person: Option<EntityRef>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunOutcome {
    /// Why it failed; `None` when it succeeded.
    pub error: Option<String>,
    /// Its log, whole.
    pub log: Vec<String>,
    /// Where it published.
    pub repository: Option<String>,
    /// The commit it made.
    pub commit: Option<String>,
    /// The branch it pushed (an update).
    pub branch: Option<String>,
    /// The files it rendered, as the application encodes them.
    pub files: Option<serde_json::Value>,
    /// Its output links.
    pub links: serde_json::Value,
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredTemplateRun {
    /// Its id.
    pub id: i64,
    /// Create or update.
    pub kind: RunKind,
    /// The Template.
    pub template: EntityRef,
    /// Its version.
    pub version: Option<String>,
    /// The service.
    pub service: EntityRef,
    /// Its team.
    pub team: EntityRef,
    /// The form's values.
    pub parameters: serde_json::Value,
    /// Who asked.
    pub requested_by: String,
    /// The person it was for.
    pub person: Option<EntityRef>,
    /// Where it stands.
    pub state: RunState,
    /// What each step did.
    pub log: Vec<String>,
    /// Where it published.
    pub repository: Option<String>,
    /// The commit it made.
    pub commit: Option<String>,
    /// The branch it pushed.
    pub branch: Option<String>,
    /// The files it rendered (not shown in lists).
    #[serde(skip)]
    pub files: Option<serde_json::Value>,
    /// Its output links.
    pub links: serde_json::Value,
    /// Why it failed.
    pub error: Option<String>,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// The last drift found of a service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftRecord {
    /// The service.
    pub service: EntityRef,
    /// Its team.
    pub team: EntityRef,
    /// The Template it was made from.
    pub template: EntityRef,
    /// The template version its repository declares.
    pub version: Option<String>,
    /// The Template's version now.
    pub current_version: Option<String>,
    /// Template-managed files identical to the template's rendering now.
    pub in_line: i64,
    /// Template-managed files.
    pub managed: i64,
    /// True when the template has something the service has not taken.
    pub behind: bool,
    /// Its repository, as it may be shown.
    pub repository: String,
    /// Why it could not be compared.
    pub problem: Option<String>,
    /// Each file's state, as the application encodes it.
    pub files: serde_json::Value,
    /// When it was found.
    pub checked_at: DateTime<Utc>,
}

/// Golden-path runs and drift. Part of [`crate::Store`].
#[async_trait]
pub trait TemplateStore: Send + Sync {
    /// Stores a run as `running`, with `audit`.
    ///
    /// # Errors
    /// A database error.
    async fn start_template_run(&self, new: &NewTemplateRun, audit: &NewAudit)
    -> Result<StoredTemplateRun, StoreError>;

    /// Replaces the log of running run `id` (it grows as the steps run).
    ///
    /// # Errors
    /// A database error.
    async fn log_template_run(&self, id: i64, log: &[String]) -> Result<(), StoreError>;

    /// Ends run `id` with `outcome` and `audit`; the run as it is then.
    ///
    /// # Errors
    /// A database error.
    async fn finish_template_run(
        &self,
        id: i64,
        outcome: &RunOutcome,
        audit: &NewAudit,
    ) -> Result<Option<StoredTemplateRun>, StoreError>;

    /// Run `id`.
    ///
    /// # Errors
    /// A database error.
    async fn template_run(&self, id: i64) -> Result<Option<StoredTemplateRun>, StoreError>;

    /// Runs still `running` that started before `before`, oldest first:
    /// those whose process stopped, once `before` is far enough back.
    ///
    /// # Errors
    /// A database error.
    async fn stale_template_runs(&self, before: DateTime<Utc>) -> Result<Vec<StoredTemplateRun>, StoreError>;

    /// Runs, newest first: of a service, of a team, or all; at most `limit`.
    ///
    /// # Errors
    /// A database error.
    async fn template_runs(
        &self,
        service: Option<&EntityRef>,
        team: Option<&EntityRef>,
        limit: i64,
    ) -> Result<Vec<StoredTemplateRun>, StoreError>;

    /// Keeps `drift` as the service's last drift found.
    ///
    /// # Errors
    /// A database error.
    async fn record_drift(&self, drift: &DriftRecord) -> Result<(), StoreError>;

    /// The last drift found of every service (of `team`, or only
    /// `service`), by service.
    ///
    /// # Errors
    /// A database error.
    async fn drifts(
        &self,
        team: Option<&EntityRef>,
        service: Option<&EntityRef>,
    ) -> Result<Vec<DriftRecord>, StoreError>;
}
