//! Deploys on the paved road (DESIGN §7 Deploy): a service's owners deploy
//! it themselves through its DeployTarget, and automated checks decide
//! instead of a gatekeeper.
//!
//! - [`policy`]: the checks, a pure function of what is gathered here.
//! - [`queue`]: a deploy asked for — checked, then queued as a job under
//!   the target's lock, or refused with every failed check.
//! - [`runs`]: what runners do with jobs — claim, report, finish (and roll
//!   back) — and the deploys as read back, with their logs.
//! - [`protection`]: GitHub's custom deployment protection rules, answered
//!   with the same checks.

pub mod policy;
pub mod protection;
pub mod queue;
pub mod runs;

pub use policy::{CheckKind, CheckOutcome, PolicyInput, allowed, evaluate};
pub use protection::{ProtectionAnswer, ProtectionState};
pub use queue::{DeployOutcome, Refusal};
pub use runs::{ClaimedJob, JobReport};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use paved_domain::{CatalogIndex, CiRun, DeployTarget, EntityRef, Incident, Record, RecordKind};
use paved_store::{DeployJob, JobFilter, JobState, RecordFilter};

use crate::{App, AppError, Caller};

/// What the policy says of a deploy, before anything runs.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployCheck {
    /// The service.
    pub service: EntityRef,
    /// The DeployTarget that decides.
    pub target: EntityRef,
    /// The environment.
    pub environment: String,
    /// The version asked for.
    pub version: String,
    /// The commit, when the version names one (an abbreviated sha or a tag
    /// is resolved through the imported commits).
    pub sha: Option<String>,
    /// Every check, passed or not.
    pub outcomes: Vec<CheckOutcome>,
    /// True when every check passed.
    pub allowed: bool,
    /// The deploy of the target queued or running now, when one is.
    pub in_the_way: Option<DeployJob>,
}

/// What a deploy asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployRequest {
    /// The service, by name or reference.
    pub service: String,
    /// The environment (default `production`).
    pub environment: Option<String>,
    /// A commit (hex, full or abbreviated), a tag, or a version string the
    /// steps understand.
    pub version: String,
    /// The incident this deploy fixes.
    pub fixes: Option<String>,
    /// Why the on-call person deploys past a deny window or an incident
    /// block (`--break-glass --reason`).
    pub break_glass: Option<String>,
    /// The person a team token (or the local CLI) deploys for (`--actor`).
    pub actor: Option<String>,
    /// Check as if it were this moment (`paved deploy check --at`, a dry
    /// run's `at`): deny windows are read at it, so "would a deploy on
    /// Friday afternoon pass?" is answered any day. Refused for a real
    /// deploy, which runs now.
    pub at: Option<DateTime<Utc>>,
}

/// Everything a check reads, gathered once for the check and the deploy.
pub(crate) struct Gathered {
    pub catalog: Arc<CatalogIndex>,
    pub target: DeployTarget,
    pub check: DeployCheck,
}

/// The commit a version names, when it is hex (7 to 40 digits).
fn hex_version(version: &str) -> Option<String> {
    let version = version.trim();
    ((7..=40).contains(&version.len()) && version.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| version.to_ascii_lowercase())
}

impl App {
    /// Evaluates the deploy policy for `request` by `caller`, changing
    /// nothing (`paved deploy check`, `--dry-run`).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an unknown service, a service without a
    /// DeployTarget for the environment (naming the ones it has), or an
    /// ambiguous abbreviated sha; a store failure.
    pub async fn deploy_check(&self, caller: &Caller, request: &DeployRequest) -> Result<DeployCheck, AppError> {
        Ok(self.gather(caller, request, request.at.unwrap_or_else(Utc::now)).await?.check)
    }

    pub(crate) async fn gather(
        &self,
        caller: &Caller,
        request: &DeployRequest,
        now: DateTime<Utc>,
    ) -> Result<Gathered, AppError> {
        let catalog = self.catalog.current().await?;
        let service = EntityRef::parse(&request.service, Some("component"), paved_domain::DEFAULT_NAMESPACE)
            .ok()
            .and_then(|service| catalog.service(&service).map(|info| info.entity_ref.clone()))
            .ok_or_else(|| AppError::Invalid(format!("no service `{}` in the catalog", request.service)))?;
        let environment = request.environment.clone().unwrap_or_else(|| "production".to_owned());
        let Some(target) = catalog.deploy_target(&service, &environment).cloned() else {
            let known: Vec<String> =
                catalog.deploy_targets_of(&service).iter().map(|t| t.environment.clone()).collect();
            return Err(AppError::Invalid(format!(
                "{} has no DeployTarget for {environment}{}; add one (kind: DeployTarget, see the README)",
                service.name(),
                if known.is_empty() { String::new() } else { format!(" (it has: {})", known.join(", ")) }
            )));
        };
        let version = request.version.trim().to_owned();
        if version.is_empty() {
            return Err(AppError::Invalid("the version is empty; give a sha, a tag or a version string".into()));
        }
        let sha = self.resolve_version(&catalog, &service, &version).await?;
        let mut ci_runs: Vec<CiRun> = Vec::new();
        if let Some(sha) = &sha {
            let mut filter = RecordFilter::new(RecordKind::CiRun);
            filter.shas = vec![sha.clone()];
            if sha.len() == 40 {
                // CI may have reported the commit abbreviated.
                filter.shas.extend([sha[..7].to_owned(), sha[..12].to_owned()]);
            }
            let pick = |record| if let Record::CiRun(run) = record { Some(run) } else { None };
            ci_runs = crate::records_as(self.store.all_records(&filter).await?, pick);
        }
        let mut filter = RecordFilter::new(RecordKind::Incident);
        filter.services = vec![service.clone()];
        filter.statuses = vec!["open".to_owned(), "acknowledged".to_owned()];
        let pick = |record| if let Record::Incident(incident) = record { Some(incident) } else { None };
        let open_incidents: Vec<Incident> = crate::records_as(self.store.all_records(&filter).await?, pick);
        let standing = self.standing(&catalog, &service).await?;
        let mut outcomes = evaluate(&PolicyInput {
            caller,
            catalog: &catalog,
            target: &target,
            defaults: &self.deploy_defaults,
            sha: sha.as_deref(),
            ci_runs: &ci_runs,
            open_incidents: &open_incidents,
            fixes: request.fixes.as_deref(),
            now,
            standing: &standing,
        });
        let in_the_way = self.active_job(&target.entity_ref).await?;
        outcomes.push(queue::one_at_a_time(&target, in_the_way.as_ref()));
        if let Some(reason) = &request.break_glass {
            let on_call = self.on_call_now(&catalog, &service, now).await?;
            queue::break_glass(&mut outcomes, caller, &service, reason, &on_call, &open_incidents);
        }
        let check = DeployCheck {
            service,
            target: target.entity_ref.clone(),
            environment: target.environment.clone(),
            version,
            sha,
            allowed: allowed(&outcomes),
            outcomes,
            in_the_way,
        };
        Ok(Gathered { catalog, target, check })
    }

    /// The commit `version` names: a full sha as given; an abbreviated one
    /// resolved through the service's imported commits (kept as given when
    /// none is imported); a tag through the tags its repository's import
    /// walked; `None` for any other version string.
    async fn resolve_version(
        &self,
        catalog: &CatalogIndex,
        service: &EntityRef,
        version: &str,
    ) -> Result<Option<String>, AppError> {
        let repos: Vec<paved_domain::RepoId> =
            catalog.service(service).and_then(|info| info.repo.clone()).into_iter().collect();
        if let Some(hex) = hex_version(version) {
            if hex.len() == 40 {
                return Ok(Some(hex));
            }
            let found = self.store.commits_by_prefix(&repos, &hex).await?;
            return match found.as_slice() {
                [] => Ok(Some(hex)),
                [one] => Ok(Some(one.clone())),
                many => Err(AppError::Invalid(format!(
                    "`{version}` is ambiguous: it abbreviates {} commits ({}); give more digits",
                    many.len(),
                    many.iter().map(|sha| &sha[..12]).collect::<Vec<_>>().join(", ")
                ))),
            };
        }
        for repo in &repos {
            if let Some(state) = self.store.repository(repo).await? {
                let tag = format!("refs/tags/{version}");
                if let Some(tip) = state.tips.iter().find(|tip| tip.reference == tag) {
                    return Ok(Some(tip.sha.clone()));
                }
            }
        }
        Ok(None)
    }

    /// The deploy of `target` queued or running now.
    async fn active_job(&self, target: &EntityRef) -> Result<Option<DeployJob>, AppError> {
        let filter = JobFilter {
            target: Some(target.to_string()),
            states: vec![JobState::Queued, JobState::Running],
            limit: 1,
            ..JobFilter::default()
        };
        Ok(self.store.jobs(&filter).await?.into_iter().next())
    }

    /// Who is on call for `service` at `now`, from its Schedule.
    async fn on_call_now(
        &self,
        catalog: &CatalogIndex,
        service: &EntityRef,
        now: DateTime<Utc>,
    ) -> Result<Vec<EntityRef>, AppError> {
        let Some(schedule) = catalog.schedule_of(service) else { return Ok(Vec::new()) };
        let until = now + chrono::Duration::seconds(1);
        let shifts =
            crate::oncall::shifts_between(&self.store, catalog, std::slice::from_ref(&schedule.entity_ref), now, until)
                .await?;
        Ok(shifts.into_iter().filter_map(|shift| shift.person).collect())
    }
}
