//! Deploys on the paved road (DESIGN §7 Deploy): a service's owners deploy
//! it themselves through its DeployTarget, and automated checks decide
//! instead of a gatekeeper. [`policy`] holds the checks; [`protection`]
//! answers GitHub's custom deployment protection rules with them.

pub mod policy;
pub mod protection;

pub use policy::{CheckKind, CheckOutcome, PolicyInput, allowed, evaluate};
pub use protection::{ProtectionAnswer, ProtectionState};

use chrono::Utc;
use paved_domain::{CiRun, EntityRef, Incident, Record, RecordKind};
use paved_store::RecordFilter;

use crate::{App, AppError, Caller};

/// What the policy says of a deploy, before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployCheck {
    /// The service.
    pub service: EntityRef,
    /// The DeployTarget that decides.
    pub target: EntityRef,
    /// The environment.
    pub environment: String,
    /// The commit, when the version names one.
    pub sha: Option<String>,
    /// Every check, passed or not.
    pub outcomes: Vec<CheckOutcome>,
    /// True when every check passed.
    pub allowed: bool,
}

/// What a deploy asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployRequest {
    /// The service, by name or reference.
    pub service: String,
    /// The environment (default `production`).
    pub environment: Option<String>,
    /// A commit (hex), a tag, or a version string the steps understand.
    pub version: String,
    /// The incident this deploy fixes.
    pub fixes: Option<String>,
}

/// The commit a version names, when it is one (7 to 40 hex digits).
fn sha_of(version: &str) -> Option<String> {
    let version = version.trim();
    ((7..=40).contains(&version.len()) && version.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| version.to_ascii_lowercase())
}

impl App {
    /// Evaluates the deploy policy for `request` by `caller`, changing
    /// nothing (`paved deploy check`, `--dry-run`).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an unknown service or a service without a
    /// DeployTarget for the environment (naming the ones it has); a store
    /// failure.
    pub async fn deploy_check(&self, caller: &Caller, request: &DeployRequest) -> Result<DeployCheck, AppError> {
        let catalog = self.catalog.current().await?;
        let service = EntityRef::parse(&request.service, Some("component"), paved_domain::DEFAULT_NAMESPACE)
            .ok()
            .and_then(|service| catalog.service(&service).map(|info| info.entity_ref.clone()))
            .ok_or_else(|| AppError::Invalid(format!("no service `{}` in the catalog", request.service)))?;
        let environment = request.environment.clone().unwrap_or_else(|| "production".to_owned());
        let Some(target) = catalog.deploy_target(&service, &environment) else {
            let known: Vec<String> =
                catalog.deploy_targets_of(&service).iter().map(|t| t.environment.clone()).collect();
            return Err(AppError::Invalid(format!(
                "{} has no DeployTarget for {environment}{}; add one (kind: DeployTarget, see the README)",
                service.name(),
                if known.is_empty() { String::new() } else { format!(" (it has: {})", known.join(", ")) }
            )));
        };
        let sha = sha_of(&request.version);
        let mut ci_runs: Vec<CiRun> = Vec::new();
        if let Some(sha) = &sha {
            let mut filter = RecordFilter::new(RecordKind::CiRun);
            filter.shas = vec![sha.clone()];
            let pick = |record| if let Record::CiRun(run) = record { Some(run) } else { None };
            ci_runs = crate::records_as(self.store.all_records(&filter).await?, pick);
        }
        let mut filter = RecordFilter::new(RecordKind::Incident);
        filter.services = vec![service.clone()];
        filter.statuses = vec!["open".to_owned(), "acknowledged".to_owned()];
        let pick = |record| if let Record::Incident(incident) = record { Some(incident) } else { None };
        let open_incidents: Vec<Incident> = crate::records_as(self.store.all_records(&filter).await?, pick);
        let outcomes = evaluate(&PolicyInput {
            caller,
            catalog: &catalog,
            target,
            defaults: &self.deploy_defaults,
            sha: sha.as_deref(),
            ci_runs: &ci_runs,
            open_incidents: &open_incidents,
            fixes: request.fixes.as_deref(),
            now: Utc::now(),
        });
        Ok(DeployCheck {
            service,
            target: target.entity_ref.clone(),
            environment: target.environment.clone(),
            sha,
            allowed: allowed(&outcomes),
            outcomes,
        })
    }
}
