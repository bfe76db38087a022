//! Deploy jobs and their logs (DESIGN §7 Deploy): what the paved road's
//! deploys keep in the store so that any replica may queue one, any runner
//! may claim it exactly once, and a crash leaves it interrupted instead of
//! running forever.
//!
//! The lock of a DeployTarget is the store's: at most one job per target
//! is `queued` or `running` (a partial unique index), so
//! [`JobStore::enqueue_job`] answers with the job in the way instead of a
//! second one, whichever replica asks.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{NewAudit, StoreError};

/// Where a deploy job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a runner.
    Queued,
    /// A runner claimed it and reports on it.
    Running,
    /// Every step ran and the health check passed.
    Succeeded,
    /// A step or the health check failed.
    Failed,
    /// Its runner stopped reporting (killed, lost); what the steps did is
    /// unknown.
    Interrupted,
}

impl JobState {
    /// The state as stored and shown: `queued`, `running`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    /// Reads [`Self::as_str`]'s words.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "interrupted" => Self::Interrupted,
            _ => return None,
        })
    }

    /// True once the job will not change again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Interrupted)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A deploy to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// The Component's reference.
    pub service: String,
    /// The DeployTarget's reference (the lock is per target).
    pub target: String,
    /// The environment.
    pub environment: String,
    /// The version asked for.
    pub version: String,
    /// The commit it names, when known.
    pub sha: Option<String>,
    /// `manual`, `automatic` or `rollback`.
    pub trigger: String,
    /// The job a rollback undoes.
    pub rollback_of: Option<i64>,
    /// The person it is for.
    pub actor: Option<String>,
    /// Who asked, as the audit log names them.
    pub requested_by: String,
    /// The token that named `actor` for them, when one did.
    pub actor_claimed_by: Option<String>,
    /// The incident it fixes.
    pub fixes: Option<String>,
    /// Why the on-call person broke the glass, when they did.
    pub break_glass: Option<String>,
    /// The checks that allowed it, as JSON.
    pub checks: serde_json::Value,
    /// What the runner runs, as JSON.
    pub plan: serde_json::Value,
    /// The runner label it needs.
    pub label: Option<String>,
}

/// A deploy job as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeployJob {
    /// Its id (the deployment's id in URLs and logs).
    pub id: i64,
    /// See [`NewJob::service`].
    pub service: String,
    /// See [`NewJob::target`].
    pub target: String,
    /// See [`NewJob::environment`].
    pub environment: String,
    /// See [`NewJob::version`].
    pub version: String,
    /// See [`NewJob::sha`].
    pub sha: Option<String>,
    /// See [`NewJob::trigger`].
    pub trigger: String,
    /// See [`NewJob::rollback_of`].
    pub rollback_of: Option<i64>,
    /// See [`NewJob::actor`].
    pub actor: Option<String>,
    /// See [`NewJob::requested_by`].
    pub requested_by: String,
    /// See [`NewJob::actor_claimed_by`].
    pub actor_claimed_by: Option<String>,
    /// See [`NewJob::fixes`].
    pub fixes: Option<String>,
    /// See [`NewJob::break_glass`].
    pub break_glass: Option<String>,
    /// See [`NewJob::checks`].
    pub checks: serde_json::Value,
    /// See [`NewJob::plan`].
    pub plan: serde_json::Value,
    /// See [`NewJob::label`].
    pub label: Option<String>,
    /// Where it stands.
    pub state: JobState,
    /// The runner that claimed it.
    pub runner: Option<String>,
    /// Why it failed or was interrupted.
    pub error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When a runner claimed it.
    pub started_at: Option<DateTime<Utc>>,
    /// When its runner last reported.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// When it reached its final state.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Where a line of a deploy's log came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    /// A step's standard output.
    Stdout,
    /// A step's standard error.
    Stderr,
    /// The runner itself (a step started, a health poll).
    System,
}

impl LogStream {
    /// The stream as stored: `stdout`, `stderr`, `system`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
            Self::System => "system",
        }
    }
}

/// A line of a deploy's log as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Its place in the log, from 1.
    pub seq: i64,
    /// When it was stored.
    pub at: DateTime<Utc>,
    /// Where it came from.
    pub stream: LogStream,
    /// The text, without its line ending.
    pub line: String,
}

/// How a runner ends a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEnd {
    /// `succeeded`, `failed` or `interrupted`.
    pub state: JobState,
    /// Why, when it did not succeed.
    pub error: Option<String>,
}

/// Which jobs [`JobStore::jobs`] lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only this Component's.
    pub service: Option<String>,
    /// Only this DeployTarget's.
    pub target: Option<String>,
    /// Only in these states (empty: any).
    pub states: Vec<JobState>,
    /// At most this many, newest first (clamped to 1..=500).
    pub limit: u32,
}

/// Deploy jobs and their logs. Part of [`crate::Store`].
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Queues `job` with its audit entry, in one transaction, unless its
    /// target already has a job queued or running: then nothing is written
    /// and that job is returned as `Err`.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] for a NUL character in a text; any
    /// database error.
    async fn enqueue_job(&self, job: &NewJob, audit: &NewAudit) -> Result<Result<DeployJob, DeployJob>, StoreError>;

    /// Claims the oldest queued job a runner with `labels` may run (a job
    /// without a label, or with one of `labels`), marking it running by
    /// `runner`. Each job is claimed once, however many runners ask at
    /// the same time (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the one
    /// writer on SQLite).
    ///
    /// # Errors
    /// On a database error.
    async fn claim_job(&self, runner: &str, labels: &[String]) -> Result<Option<DeployJob>, StoreError>;

    /// Records that `runner` still works on job `id`; `false` when the job
    /// is no longer running by it (interrupted meanwhile), so the runner
    /// stops.
    ///
    /// # Errors
    /// On a database error.
    async fn heartbeat_job(&self, id: i64, runner: &str) -> Result<bool, StoreError>;

    /// Appends lines to job `id`'s log, numbered after the ones stored.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] for a NUL character in a line (the
    /// caller replaces them); any database error.
    async fn append_job_log(&self, id: i64, lines: &[(LogStream, String)]) -> Result<(), StoreError>;

    /// Ends job `id` (running by `runner`) as `end` says, with its audit
    /// entry, and queues `then` (a rollback) in the same transaction, so
    /// the target's lock passes straight to it. `None` when the job is not
    /// running by `runner` (it was interrupted meanwhile); nothing changes
    /// then.
    ///
    /// # Errors
    /// As [`Self::enqueue_job`].
    async fn finish_job(
        &self,
        id: i64,
        runner: &str,
        end: &JobEnd,
        then: Option<&NewJob>,
        audit: &NewAudit,
    ) -> Result<Option<(DeployJob, Option<DeployJob>)>, StoreError>;

    /// Marks interrupted every running job whose runner last reported
    /// before `stale_before`, which frees their targets; returns them.
    ///
    /// # Errors
    /// On a database error.
    async fn interrupt_stale_jobs(&self, stale_before: DateTime<Utc>) -> Result<Vec<DeployJob>, StoreError>;

    /// One job.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when it does not decode.
    async fn job(&self, id: i64) -> Result<Option<DeployJob>, StoreError>;

    /// Jobs matching `filter`, newest first.
    ///
    /// # Errors
    /// As [`Self::job`].
    async fn jobs(&self, filter: &JobFilter) -> Result<Vec<DeployJob>, StoreError>;

    /// The lines of job `id`'s log after `after_seq`, at most `limit`
    /// (clamped to 1..=5,000), in order.
    ///
    /// # Errors
    /// On a database error.
    async fn job_log(&self, id: i64, after_seq: i64, limit: u32) -> Result<Vec<LogEntry>, StoreError>;
}
