//! What runners do with deploy jobs — claim one, report its log and that
//! they still work on it, finish it (queueing the rollback a failure
//! calls for) — and what happens when a runner stops reporting. Every
//! change of state is recorded as the deployment's next status (source
//! `paved`), so DORA and the report see a deploy as it goes.
//!
//! The embedded runner of `paved serve` calls these directly; `paved
//! runner` calls them through the API. Both need [`Caller::may_run_deploys`].

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use paved_domain::{DeployPlan, Deployment, DeploymentStatus, EntityRef, Record, RecordKind, Rollback};
use paved_store::{DeployJob, JobEnd, JobFilter, JobState, LogEntry, LogStream, NewAudit, NewJob, RecordFilter};
use serde::{Deserialize, Serialize};

use crate::{App, AppError, Caller};

/// An instant as the store keeps it (to the microsecond).
pub(crate) fn storable(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// A job a runner claimed, with what it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimedJob {
    /// The job's id (the deploy's).
    pub id: i64,
    /// The Component's name.
    pub service: String,
    /// The environment.
    pub environment: String,
    /// The version.
    pub version: String,
    /// The commit, when known.
    pub sha: Option<String>,
    /// The person it is for.
    pub actor: Option<String>,
    /// `manual`, `automatic` or `rollback`.
    pub trigger: String,
    /// What to run.
    pub plan: DeployPlan,
}

/// How a runner ends a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobReport {
    /// True when every step ran and the health check passed.
    pub succeeded: bool,
    /// Why not, in a sentence naming the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The longest line kept in a deploy's log; longer ones are cut.
const MAX_LOG_LINE: usize = 8 * 1024;

impl App {
    /// Claims the oldest queued deploy that a runner with `labels` may run,
    /// and records it as running.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless the caller may run deploys; a store
    /// failure; [`AppError::Internal`] for a stored plan that does not read.
    pub async fn claim_deploy(
        &self,
        caller: &Caller,
        runner: &str,
        labels: &[String],
    ) -> Result<Option<ClaimedJob>, AppError> {
        caller.may_run_deploys()?;
        let Some(job) = self.store.claim_job(runner, labels).await? else { return Ok(None) };
        self.record_deploy(&job).await?;
        let plan: DeployPlan = serde_json::from_value(job.plan.clone())
            .map_err(|error| AppError::Internal(format!("deploy {}'s plan does not read: {error}", job.id)))?;
        Ok(Some(ClaimedJob {
            id: job.id,
            service: job.service.parse::<EntityRef>().map_or_else(|_| job.service.clone(), |s| s.name().to_owned()),
            environment: job.environment,
            version: job.version,
            sha: job.sha,
            actor: job.actor,
            trigger: job.trigger,
            plan,
        }))
    }

    /// Records that `runner` still works on deploy `id`; `false` when the
    /// deploy is no longer running by it (it was interrupted), so the
    /// runner stops.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless the caller may run deploys; a store
    /// failure.
    pub async fn deploy_heartbeat(&self, caller: &Caller, id: i64, runner: &str) -> Result<bool, AppError> {
        caller.may_run_deploys()?;
        Ok(self.store.heartbeat_job(id, runner).await?)
    }

    /// Appends `lines` to deploy `id`'s log (NUL characters replaced, very
    /// long lines cut).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless the caller may run deploys;
    /// [`AppError::NotFound`] for a deploy that does not exist; a store
    /// failure.
    pub async fn append_deploy_log(
        &self,
        caller: &Caller,
        id: i64,
        lines: Vec<(LogStream, String)>,
    ) -> Result<(), AppError> {
        caller.may_run_deploys()?;
        if self.store.job(id).await?.is_none() {
            return Err(AppError::NotFound(format!("no deploy {id}")));
        }
        let lines: Vec<(LogStream, String)> = lines
            .into_iter()
            .map(|(stream, mut line)| {
                if line.contains('\0') {
                    line = line.replace('\0', "\u{fffd}");
                }
                if line.len() > MAX_LOG_LINE {
                    let mut cut = MAX_LOG_LINE;
                    while !line.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    line.truncate(cut);
                    line.push_str(" [cut]");
                }
                (stream, line)
            })
            .collect();
        Ok(self.store.append_job_log(id, &lines).await?)
    }

    /// Ends deploy `id`, run by `runner`, as `report` says, and records it.
    /// A failure of a target with `rollback: automatic` queues the last
    /// successful version again (trigger `rollback`, linked to this
    /// deploy) in the same transaction; a failed rollback does not roll
    /// back again.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless the caller may run deploys;
    /// [`AppError::Conflict`] when the deploy is no longer running by
    /// `runner` (it was interrupted meanwhile); a store failure.
    pub async fn finish_deploy(
        &self,
        caller: &Caller,
        id: i64,
        runner: &str,
        report: &JobReport,
    ) -> Result<(DeployJob, Option<DeployJob>), AppError> {
        caller.may_run_deploys()?;
        let job = self.store.job(id).await?.ok_or_else(|| AppError::NotFound(format!("no deploy {id}")))?;
        let end = JobEnd {
            state: if report.succeeded { JobState::Succeeded } else { JobState::Failed },
            error: if report.succeeded { None } else { report.error.clone().or_else(|| Some("it failed".into())) },
        };
        let rollback = if report.succeeded { None } else { self.rollback_for(&job).await? };
        let audit = NewAudit {
            actor: format!("runner {runner}"),
            action: if report.succeeded { "deploy.succeed".into() } else { "deploy.fail".into() },
            target: String::new(),
            detail: end.error.clone(),
            service: None,
            decision: None,
        };
        let Some((finished, next)) = self.store.finish_job(id, runner, &end, rollback.as_ref(), &audit).await? else {
            return Err(AppError::Conflict(format!(
                "deploy {id} is no longer running by runner {runner} (it was interrupted or finished); its result \
                 was not recorded"
            )));
        };
        if next.is_some() {
            self.wake_runner();
        }
        self.record_deploy(&finished).await?;
        if let Some(next) = &next {
            self.record_deploy(next).await?;
        }
        Ok((finished, next))
    }

    /// The rollback a failure of `job` calls for: the target's last
    /// successful version deployed again, when its plan says `automatic`,
    /// it is not itself a rollback, and there is a version to go back to.
    async fn rollback_for(&self, job: &DeployJob) -> Result<Option<NewJob>, AppError> {
        let plan: Option<DeployPlan> = serde_json::from_value(job.plan.clone()).ok();
        if job.trigger == "rollback" || plan.is_none_or(|plan| plan.rollback != Rollback::Automatic) {
            return Ok(None);
        }
        let Some((version, sha)) = self.last_good_version(job).await? else { return Ok(None) };
        Ok(Some(NewJob {
            service: job.service.clone(),
            target: job.target.clone(),
            environment: job.environment.clone(),
            version,
            sha,
            trigger: "rollback".into(),
            rollback_of: Some(job.id),
            actor: job.actor.clone(),
            requested_by: "paved (automatic rollback)".into(),
            actor_claimed_by: job.actor_claimed_by.clone(),
            fixes: None,
            break_glass: None,
            checks: serde_json::json!([]),
            plan: job.plan.clone(),
            label: job.label.clone(),
        }))
    }

    /// The version of the target's last successful deploy before `job`:
    /// pavedroad's own, else the last successful deployment recorded from
    /// any source for the service and environment (by its sha).
    async fn last_good_version(&self, job: &DeployJob) -> Result<Option<(String, Option<String>)>, AppError> {
        let filter = JobFilter {
            target: Some(job.target.clone()),
            states: vec![JobState::Succeeded],
            limit: 50,
            ..JobFilter::default()
        };
        if let Some(good) = self.store.jobs(&filter).await?.into_iter().find(|good| good.id < job.id) {
            return Ok(Some((good.version, good.sha)));
        }
        let Ok(service) = job.service.parse::<EntityRef>() else { return Ok(None) };
        let mut filter = RecordFilter::new(RecordKind::Deployment);
        filter.services = vec![service];
        let pick = |record| if let Record::Deployment(d) = record { Some(d) } else { None };
        let deployments: Vec<Deployment> = crate::records_as(self.store.all_records(&filter).await?, pick);
        Ok(deployments
            .into_iter()
            .filter(|d| d.environment == job.environment && d.status == DeploymentStatus::Success)
            .filter(|d| d.key != paved_ingest::paved::DeployEvent::record_key(job.id))
            .filter_map(|d| Some((d.finished_at.or(d.status_at)?, d.sha?)))
            .max_by_key(|(at, _)| *at)
            .map(|(_, sha)| (sha.clone(), Some(sha))))
    }

    /// Marks interrupted every running deploy whose runner has not
    /// reported for `lease`, which frees their targets, and records them.
    ///
    /// # Errors
    /// A store failure.
    pub async fn interrupt_stale_deploys(&self, lease: Duration) -> Result<Vec<DeployJob>, AppError> {
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        let jobs = self.store.interrupt_stale_jobs(Utc::now() - lease).await?;
        for job in &jobs {
            tracing::warn!(deploy = job.id, runner = job.runner.as_deref(), "a deploy's runner stopped reporting");
            self.record_deploy(job).await?;
        }
        Ok(jobs)
    }

    /// One deploy.
    ///
    /// # Errors
    /// [`AppError::NotFound`]; a store failure.
    pub async fn deploy_job(&self, id: i64) -> Result<DeployJob, AppError> {
        self.store.job(id).await?.ok_or_else(|| AppError::NotFound(format!("no deploy {id}")))
    }

    /// Deploys matching `filter`, newest first.
    ///
    /// # Errors
    /// A store failure.
    pub async fn deploy_jobs(&self, filter: &JobFilter) -> Result<Vec<DeployJob>, AppError> {
        Ok(self.store.jobs(filter).await?)
    }

    /// Deploy `id`'s log after line `after`.
    ///
    /// # Errors
    /// A store failure.
    pub async fn deploy_log(&self, id: i64, after: i64, limit: u32) -> Result<Vec<LogEntry>, AppError> {
        Ok(self.store.job_log(id, after, limit).await?)
    }
}
