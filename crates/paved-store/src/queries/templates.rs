//! Golden-path runs (stored as they start, their log rewritten as it
//! grows, ended with their outcome, each start and end audited in its
//! transaction) and each service's last drift.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_domain::EntityRef;

use super::insert_audit;
use crate::common;
use crate::sql::{Db, SqlExt};
use crate::templates::{DriftRecord, NewTemplateRun, RunKind, RunOutcome, RunState, StoredTemplateRun, TemplateStore};
use crate::{NewAudit, StoreError};

const COLUMNS: &str = "id, kind, template, version, service, team, parameters, requested_by, person, state, log, repository, \
                       commit_sha, branch, files, links, error, created_at, finished_at";

const DRIFT_COLUMNS: &str = "service, team, template, version, current_version, in_line, managed, behind, repository, problem, files, checked_at";

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    kind: String,
    template: String,
    version: Option<String>,
    service: String,
    team: String,
    parameters: String,
    requested_by: String,
    person: Option<String>,
    state: String,
    log: String,
    repository: Option<String>,
    commit_sha: Option<String>,
    branch: Option<String>,
    files: Option<String>,
    links: Option<String>,
    error: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl RunRow {
    fn decode(self) -> Result<StoredTemplateRun, StoreError> {
        let id = self.id;
        let corrupt =
            |what: &str, problem: String| StoreError::Corrupt(format!("template run {id}: {what}: {problem}"));
        let parse = |what: &str, text: &str| text.parse::<EntityRef>().map_err(|e| corrupt(what, e.to_string()));
        let json = |what: &str, text: &str| {
            serde_json::from_str::<serde_json::Value>(text).map_err(|e| corrupt(what, e.to_string()))
        };
        Ok(StoredTemplateRun {
            id,
            kind: match self.kind.as_str() {
                "create" => RunKind::Create,
                "update" => RunKind::Update,
                other => return Err(corrupt("kind", other.to_owned())),
            },
            template: parse("template", &self.template)?,
            version: self.version,
            service: parse("service", &self.service)?,
            team: parse("team", &self.team)?,
            parameters: json("parameters", &self.parameters)?,
            requested_by: self.requested_by,
            person: self.person.as_deref().map(|p| parse("person", p)).transpose()?,
            state: match self.state.as_str() {
                "running" => RunState::Running,
                "succeeded" => RunState::Succeeded,
                "failed" => RunState::Failed,
                other => return Err(corrupt("state", other.to_owned())),
            },
            log: serde_json::from_str(&self.log).map_err(|e| corrupt("log", e.to_string()))?,
            repository: self.repository,
            commit: self.commit_sha,
            branch: self.branch,
            files: self.files.as_deref().map(|f| json("files", f)).transpose()?,
            links: self.links.as_deref().map(|l| json("links", l)).transpose()?.unwrap_or(serde_json::Value::Null),
            error: self.error,
            created_at: self.created_at,
            finished_at: self.finished_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DriftRow {
    service: String,
    team: String,
    template: String,
    version: Option<String>,
    current_version: Option<String>,
    in_line: i64,
    managed: i64,
    behind: bool,
    repository: String,
    problem: Option<String>,
    files: String,
    checked_at: DateTime<Utc>,
}

impl DriftRow {
    fn decode(self) -> Result<DriftRecord, StoreError> {
        let service = self.service;
        let corrupt =
            |what: &str, problem: String| StoreError::Corrupt(format!("drift of {service}: {what}: {problem}"));
        let parse = |what: &str, text: &str| text.parse::<EntityRef>().map_err(|e| corrupt(what, e.to_string()));
        Ok(DriftRecord {
            service: parse("service", &service)?,
            team: parse("team", &self.team)?,
            template: parse("template", &self.template)?,
            version: self.version,
            current_version: self.current_version,
            in_line: self.in_line,
            managed: self.managed,
            behind: self.behind,
            repository: self.repository,
            problem: self.problem,
            files: serde_json::from_str(&self.files).map_err(|e| corrupt("files", e.to_string()))?,
            checked_at: self.checked_at,
        })
    }
}

/// Texts from a person reach the database without NUL, which PostgreSQL
/// refuses.
fn clean(text: &str) -> String {
    text.replace('\0', "")
}

fn lines(log: &[String]) -> String {
    serde_json::Value::from(log.iter().map(|l| clean(l)).collect::<Vec<_>>()).to_string()
}

#[async_trait]
impl<T: Db> TemplateStore for T {
    async fn start_template_run(
        &self,
        new: &NewTemplateRun,
        audit: &NewAudit,
    ) -> Result<StoredTemplateRun, StoreError> {
        const ACTION: &str = "storing a golden-path run";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut insert = tx.statement(format!(
            "INSERT INTO template_runs (kind, template, version, service, team, parameters, requested_by, person, state, \
             log, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', '[]', ?) RETURNING {COLUMNS}"
        ));
        insert
            .bind(new.kind.as_str())
            .bind(new.template.key())
            .bind(new.version.as_deref().map(clean))
            .bind(new.service.key())
            .bind(new.team.key())
            .bind(clean(&new.parameters.to_string()))
            .bind(clean(&new.requested_by))
            .bind(new.person.as_ref().map(EntityRef::key))
            .bind(now);
        let stored = tx.fetch_one::<RunRow>(&insert, ACTION).await?.decode()?;
        insert_audit(&mut *tx, audit, now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(stored)
    }

    async fn log_template_run(&self, id: i64, log: &[String]) -> Result<(), StoreError> {
        const ACTION: &str = "writing a golden-path run's log";
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement("UPDATE template_runs SET log = ? WHERE id = ? AND state = 'running'");
        update.bind(lines(log)).bind(id);
        tx.run(&update, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(())
    }

    async fn finish_template_run(
        &self,
        id: i64,
        outcome: &RunOutcome,
        audit: &NewAudit,
    ) -> Result<Option<StoredTemplateRun>, StoreError> {
        const ACTION: &str = "ending a golden-path run";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(format!(
            "UPDATE template_runs SET state = ?, log = ?, repository = ?, commit_sha = ?, branch = ?, files = ?, \
             links = ?, error = ?, finished_at = ? WHERE id = ? AND state = 'running' RETURNING {COLUMNS}"
        ));
        let state = if outcome.error.is_some() { RunState::Failed } else { RunState::Succeeded };
        update
            .bind(state.as_str())
            .bind(lines(&outcome.log))
            .bind(outcome.repository.as_deref().map(clean))
            .bind(outcome.commit.as_deref().map(clean))
            .bind(outcome.branch.as_deref().map(clean))
            .bind(outcome.files.as_ref().map(|f| clean(&f.to_string())))
            .bind(clean(&outcome.links.to_string()))
            .bind(outcome.error.as_deref().map(clean))
            .bind(now)
            .bind(id);
        let Some(done) = tx.fetch_optional::<RunRow>(&update, ACTION).await?.map(RunRow::decode).transpose()? else {
            return Ok(None);
        };
        insert_audit(&mut *tx, audit, now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(Some(done))
    }

    async fn template_run(&self, id: i64) -> Result<Option<StoredTemplateRun>, StoreError> {
        const ACTION: &str = "reading a golden-path run";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {COLUMNS} FROM template_runs WHERE id = ?"));
        select.bind(id);
        db.fetch_optional::<RunRow>(&select, ACTION).await?.map(RunRow::decode).transpose()
    }

    async fn template_runs(
        &self,
        service: Option<&EntityRef>,
        team: Option<&EntityRef>,
        limit: i64,
    ) -> Result<Vec<StoredTemplateRun>, StoreError> {
        const ACTION: &str = "reading golden-path runs";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {COLUMNS} FROM template_runs WHERE 1 = 1"));
        if let Some(service) = service {
            select.push(" AND service = ").push_bind(service.key());
        }
        if let Some(team) = team {
            select.push(" AND team = ").push_bind(team.key());
        }
        select.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        db.fetch_all::<RunRow>(&select, ACTION).await?.into_iter().map(RunRow::decode).collect()
    }

    async fn stale_template_runs(&self, before: DateTime<Utc>) -> Result<Vec<StoredTemplateRun>, StoreError> {
        const ACTION: &str = "reading golden-path runs that did not end";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!(
            "SELECT {COLUMNS} FROM template_runs WHERE state = 'running' AND created_at < ? ORDER BY id"
        ));
        select.bind(before);
        db.fetch_all::<RunRow>(&select, ACTION).await?.into_iter().map(RunRow::decode).collect()
    }

    async fn record_drift(&self, drift: &DriftRecord) -> Result<(), StoreError> {
        const ACTION: &str = "recording a service's drift";
        let mut tx = self.writer(ACTION).await?;
        let mut upsert = tx.statement(format!(
            "INSERT INTO template_drift ({DRIFT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (service) \
             DO UPDATE SET team = excluded.team, template = excluded.template, version = excluded.version, \
             current_version = excluded.current_version, in_line = excluded.in_line, managed = excluded.managed, \
             behind = excluded.behind, repository = excluded.repository, problem = excluded.problem, \
             files = excluded.files, checked_at = excluded.checked_at"
        ));
        upsert
            .bind(drift.service.key())
            .bind(drift.team.key())
            .bind(drift.template.key())
            .bind(drift.version.as_deref().map(clean))
            .bind(drift.current_version.as_deref().map(clean))
            .bind(drift.in_line)
            .bind(drift.managed)
            .bind(drift.behind)
            .bind(clean(&drift.repository))
            .bind(drift.problem.as_deref().map(clean))
            .bind(clean(&drift.files.to_string()))
            .bind(drift.checked_at);
        tx.run(&upsert, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(())
    }

    async fn drifts(
        &self,
        team: Option<&EntityRef>,
        service: Option<&EntityRef>,
    ) -> Result<Vec<DriftRecord>, StoreError> {
        const ACTION: &str = "reading drift";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {DRIFT_COLUMNS} FROM template_drift WHERE 1 = 1"));
        if let Some(team) = team {
            select.push(" AND team = ").push_bind(team.key());
        }
        if let Some(service) = service {
            select.push(" AND service = ").push_bind(service.key());
        }
        select.push(" ORDER BY service");
        db.fetch_all::<DriftRow>(&select, ACTION).await?.into_iter().map(DriftRow::decode).collect()
    }
}
