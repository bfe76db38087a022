//! Deploy jobs: queued under the target's lock, claimed once, kept alive by
//! heartbeats, finished (with the rollback they start) or interrupted, and
//! their logs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::insert_audit;
use crate::common;
use crate::jobs::{DeployJob, JobEnd, JobFilter, JobState, JobStore, LogEntry, LogStream, NewJob};
use crate::sql::{Db, Sql, SqlExt};
use crate::{NewAudit, StoreError};

/// Columns of [`JobRow`].
const JOB_COLUMNS: &str = "id, service, target, environment, version, sha, trigger, rollback_of, actor, requested_by, \
     actor_claimed_by, fixes, break_glass, checks, plan, label, state, runner, error, created_at, started_at, \
     heartbeat_at, finished_at";

/// What the states of an active job are, in SQL: the lock's condition.
const ACTIVE: &str = "state IN ('queued', 'running')";

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    service: String,
    target: String,
    environment: String,
    version: String,
    sha: Option<String>,
    trigger: String,
    rollback_of: Option<i64>,
    actor: Option<String>,
    requested_by: String,
    actor_claimed_by: Option<String>,
    fixes: Option<String>,
    break_glass: Option<String>,
    checks: String,
    plan: String,
    label: Option<String>,
    state: String,
    runner: Option<String>,
    error: Option<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    heartbeat_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl JobRow {
    fn decode(self) -> Result<DeployJob, StoreError> {
        let corrupt =
            |what: &str, detail: String| StoreError::Corrupt(format!("deploy job {}: {what}: {detail}", self.id));
        let checks = serde_json::from_str(&self.checks).map_err(|e| corrupt("checks", e.to_string()))?;
        let plan = serde_json::from_str(&self.plan).map_err(|e| corrupt("plan", e.to_string()))?;
        let state = JobState::parse(&self.state).ok_or_else(|| corrupt("state", self.state.clone()))?;
        Ok(DeployJob {
            id: self.id,
            service: self.service,
            target: self.target,
            environment: self.environment,
            version: self.version,
            sha: self.sha,
            trigger: self.trigger,
            rollback_of: self.rollback_of,
            actor: self.actor,
            requested_by: self.requested_by,
            actor_claimed_by: self.actor_claimed_by,
            fixes: self.fixes,
            break_glass: self.break_glass,
            checks,
            plan,
            label: self.label,
            state,
            runner: self.runner,
            error: self.error,
            created_at: self.created_at,
            started_at: self.started_at,
            heartbeat_at: self.heartbeat_at,
            finished_at: self.finished_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct LogRow {
    seq: i64,
    at: DateTime<Utc>,
    stream: String,
    line: String,
}

fn check_job(job: &NewJob) -> Result<(), StoreError> {
    let texts = [
        Some(job.service.as_str()),
        Some(&job.target),
        Some(&job.environment),
        Some(&job.version),
        job.sha.as_deref(),
        Some(&job.trigger),
        job.actor.as_deref(),
        Some(&job.requested_by),
        job.actor_claimed_by.as_deref(),
        job.fixes.as_deref(),
        job.break_glass.as_deref(),
        job.label.as_deref(),
    ];
    if texts.into_iter().flatten().any(|text| text.contains('\0')) {
        return Err(StoreError::InvalidRecord {
            record: format!("deploy of {}", job.service.replace('\0', "")),
            field: "a text".into(),
            problem: "holds a NUL character (\\0)",
        });
    }
    Ok(())
}

/// Inserts `job` unless its target is locked; the job inserted, or `None`.
async fn insert_job<S: Sql + ?Sized>(
    tx: &mut S,
    job: &NewJob,
    now: DateTime<Utc>,
    action: &'static str,
) -> Result<Option<DeployJob>, StoreError> {
    let mut insert = tx.statement(format!(
        "INSERT INTO deploy_jobs (service, target, environment, version, sha, trigger, rollback_of, actor, \
         requested_by, actor_claimed_by, fixes, break_glass, checks, plan, label, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)
         ON CONFLICT (target) WHERE {ACTIVE} DO NOTHING RETURNING {JOB_COLUMNS}"
    ));
    insert
        .bind(&job.service)
        .bind(&job.target)
        .bind(&job.environment)
        .bind(&job.version)
        .bind(&job.sha)
        .bind(&job.trigger)
        .bind(job.rollback_of)
        .bind(&job.actor)
        .bind(&job.requested_by)
        .bind(&job.actor_claimed_by)
        .bind(&job.fixes)
        .bind(&job.break_glass)
        .bind(job.checks.to_string())
        .bind(job.plan.to_string())
        .bind(&job.label)
        .bind(now);
    tx.fetch_optional::<JobRow>(&insert, action).await?.map(JobRow::decode).transpose()
}

async fn active_job<S: Sql + ?Sized>(
    tx: &mut S,
    target: &str,
    action: &'static str,
) -> Result<Option<DeployJob>, StoreError> {
    let mut select = tx.statement(format!("SELECT {JOB_COLUMNS} FROM deploy_jobs WHERE target = ? AND {ACTIVE}"));
    select.bind(target);
    tx.fetch_optional::<JobRow>(&select, action).await?.map(JobRow::decode).transpose()
}

/// `audit` about job `job`: its target names the deploy.
fn job_audit(audit: &NewAudit, job: &DeployJob) -> NewAudit {
    NewAudit {
        actor: audit.actor.clone(),
        action: audit.action.clone(),
        target: format!("deploy {} ({} to {})", job.id, job.service, job.environment),
        detail: audit.detail.clone(),
        // The job's service is the reference it was queued with.
        service: audit.service.clone().or_else(|| paved_domain::EntityRef::parse(&job.service, None, "default").ok()),
        decision: audit.decision,
    }
}

#[async_trait]
impl<T: Db> JobStore for T {
    async fn enqueue_job(&self, job: &NewJob, audit: &NewAudit) -> Result<Result<DeployJob, DeployJob>, StoreError> {
        const ACTION: &str = "queueing a deploy";
        check_job(job)?;
        // The job in the way may finish between the insert and the read:
        // then the insert is tried again.
        for _ in 0..3 {
            let now = common::now();
            let mut tx = self.writer(ACTION).await?;
            if let Some(queued) = insert_job(&mut *tx, job, now, ACTION).await? {
                insert_audit(&mut *tx, &job_audit(audit, &queued), now, None, ACTION).await?;
                tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
                return Ok(Ok(queued));
            }
            if let Some(active) = active_job(&mut *tx, &job.target, ACTION).await? {
                return Ok(Err(active));
            }
        }
        Err(StoreError::database(self.db_backend(), ACTION)(sqlx::Error::Protocol(
            "the target's lock changed hands three times while queueing; try again".into(),
        )))
    }

    async fn claim_job(&self, runner: &str, labels: &[String]) -> Result<Option<DeployJob>, StoreError> {
        const ACTION: &str = "claiming a deploy";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut claim = tx.statement(
            "UPDATE deploy_jobs SET state = 'running', runner = ?, started_at = ?, heartbeat_at = ? \
             WHERE state = 'queued' AND id = (SELECT id FROM deploy_jobs WHERE state = 'queued' AND (label IS NULL OR ",
        );
        claim.bind(runner).bind(now).bind(now);
        claim.push_in("label", labels).push(") ORDER BY id LIMIT 1");
        claim.push_skip_locked().push(&format!(") RETURNING {JOB_COLUMNS}"));
        let claimed = tx.fetch_optional::<JobRow>(&claim, ACTION).await?.map(JobRow::decode).transpose()?;
        if let Some(job) = &claimed {
            let audit = NewAudit {
                actor: format!("runner {runner}"),
                action: "deploy.start".into(),
                target: String::new(),
                detail: None,
                service: None,
                decision: None,
            };
            insert_audit(&mut *tx, &job_audit(&audit, job), now, None, ACTION).await?;
        }
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(claimed)
    }

    async fn heartbeat_job(&self, id: i64, runner: &str) -> Result<bool, StoreError> {
        const ACTION: &str = "recording a runner's heartbeat";
        let mut tx = self.writer(ACTION).await?;
        let mut update =
            tx.statement("UPDATE deploy_jobs SET heartbeat_at = ? WHERE id = ? AND state = 'running' AND runner = ?");
        update.bind(common::now()).bind(id).bind(runner);
        let changed = tx.run(&update, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(changed == 1)
    }

    async fn append_job_log(&self, id: i64, lines: &[(LogStream, String)]) -> Result<(), StoreError> {
        const ACTION: &str = "appending to a deploy's log";
        if lines.is_empty() {
            return Ok(());
        }
        if lines.iter().any(|(_, line)| line.contains('\0')) {
            return Err(StoreError::InvalidRecord {
                record: format!("deploy {id}"),
                field: "log line".into(),
                problem: "holds a NUL character (\\0)",
            });
        }
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut last = tx.statement("SELECT COALESCE(MAX(seq), 0) FROM deploy_logs WHERE job_id = ?");
        last.bind(id);
        let (mut seq,): (i64,) = tx.fetch_one(&last, ACTION).await?;
        for (stream, line) in lines {
            seq += 1;
            let mut insert =
                tx.statement("INSERT INTO deploy_logs (job_id, seq, at, stream, line) VALUES (?, ?, ?, ?, ?)");
            insert.bind(id).bind(seq).bind(now).bind(stream.as_str()).bind(line.as_str());
            tx.run(&insert, ACTION).await?;
        }
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(())
    }

    async fn finish_job(
        &self,
        id: i64,
        runner: &str,
        end: &JobEnd,
        then: Option<&NewJob>,
        audit: &NewAudit,
    ) -> Result<Option<(DeployJob, Option<DeployJob>)>, StoreError> {
        const ACTION: &str = "finishing a deploy";
        if let Some(then) = then {
            check_job(then)?;
        }
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(format!(
            "UPDATE deploy_jobs SET state = ?, error = ?, finished_at = ?, heartbeat_at = ? \
             WHERE id = ? AND state = 'running' AND runner = ? RETURNING {JOB_COLUMNS}"
        ));
        update.bind(end.state.as_str()).bind(&end.error).bind(now).bind(now).bind(id).bind(runner);
        let Some(finished) = tx.fetch_optional::<JobRow>(&update, ACTION).await?.map(JobRow::decode).transpose()?
        else {
            return Ok(None);
        };
        insert_audit(&mut *tx, &job_audit(audit, &finished), now, None, ACTION).await?;
        let mut next = None;
        if let Some(then) = then {
            next = insert_job(&mut *tx, then, now, ACTION).await?;
            if let Some(queued) = &next {
                let queued_audit = NewAudit {
                    actor: audit.actor.clone(),
                    action: "deploy.rollback".into(),
                    target: String::new(),
                    detail: Some(format!("rolls back deploy {id}")),
                    service: None,
                    decision: None,
                };
                insert_audit(&mut *tx, &job_audit(&queued_audit, queued), now, None, ACTION).await?;
            }
        }
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(Some((finished, next)))
    }

    async fn interrupt_stale_jobs(&self, stale_before: DateTime<Utc>) -> Result<Vec<DeployJob>, StoreError> {
        const ACTION: &str = "interrupting deploys whose runner stopped";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(format!(
            "UPDATE deploy_jobs SET state = 'interrupted', finished_at = ?, \
             error = 'its runner stopped reporting (killed or cut off) while it ran; what its steps did is unknown' \
             WHERE state = 'running' AND heartbeat_at < ? RETURNING {JOB_COLUMNS}"
        ));
        update.bind(now).bind(stale_before);
        let jobs: Vec<DeployJob> =
            tx.fetch_all::<JobRow>(&update, ACTION).await?.into_iter().map(JobRow::decode).collect::<Result<_, _>>()?;
        for job in &jobs {
            let audit = NewAudit {
                actor: "paved".into(),
                action: "deploy.interrupt".into(),
                target: String::new(),
                detail: job.runner.as_ref().map(|runner| format!("runner {runner} stopped reporting")),
                service: None,
                decision: None,
            };
            insert_audit(&mut *tx, &job_audit(&audit, job), now, None, ACTION).await?;
        }
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(jobs)
    }

    async fn job(&self, id: i64) -> Result<Option<DeployJob>, StoreError> {
        const ACTION: &str = "reading a deploy";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {JOB_COLUMNS} FROM deploy_jobs WHERE id = ?"));
        select.bind(id);
        db.fetch_optional::<JobRow>(&select, ACTION).await?.map(JobRow::decode).transpose()
    }

    async fn jobs(&self, filter: &JobFilter) -> Result<Vec<DeployJob>, StoreError> {
        const ACTION: &str = "listing deploys";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {JOB_COLUMNS} FROM deploy_jobs WHERE 1 = 1"));
        if let Some(service) = &filter.service {
            select.push(" AND service = ").push_bind(service);
        }
        if let Some(target) = &filter.target {
            select.push(" AND target = ").push_bind(target);
        }
        if !filter.states.is_empty() {
            let states: Vec<String> = filter.states.iter().map(|s| s.as_str().to_owned()).collect();
            select.push(" AND ").push_in("state", &states);
        }
        select.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(filter.limit.clamp(1, 500)));
        db.fetch_all::<JobRow>(&select, ACTION).await?.into_iter().map(JobRow::decode).collect()
    }

    async fn job_log(&self, id: i64, after_seq: i64, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
        const ACTION: &str = "reading a deploy's log";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(
            "SELECT seq, at, stream, line FROM deploy_logs WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        );
        select.bind(id).bind(after_seq).bind(i64::from(limit.clamp(1, 5000)));
        let rows = db.fetch_all::<LogRow>(&select, ACTION).await?;
        rows.into_iter()
            .map(|row| {
                let stream = match row.stream.as_str() {
                    "stdout" => LogStream::Stdout,
                    "stderr" => LogStream::Stderr,
                    "system" => LogStream::System,
                    other => {
                        return Err(StoreError::Corrupt(format!(
                            "deploy {id}'s log line {}: stream `{other}`",
                            row.seq
                        )));
                    }
                };
                Ok(LogEntry { seq: row.seq, at: row.at, stream, line: row.line })
            })
            .collect()
    }
}
