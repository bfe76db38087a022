//! A deploy asked for: every check evaluated, then the deploy queued as a
//! job under its target's lock (and recorded as a queued deployment), or
//! refused with every check that failed. No person approves anything.

use chrono::Utc;
use paved_domain::{DeployTarget, EntityRef, Identity, Incident};
use paved_ingest::paved::DeployEvent;
use paved_store::{DeployJob, NewAudit, NewJob};
use serde_json::json;

use super::policy::{CheckKind, CheckOutcome, outcome};
use super::{DeployCheck, DeployRequest};
use crate::{App, AppError, Caller};

/// What [`App::deploy`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum DeployOutcome {
    /// `--dry-run`: the checks, nothing changed.
    DryRun(DeployCheck),
    /// Every check passed: the deploy is queued for a runner.
    Queued {
        /// The checks, all passed.
        check: DeployCheck,
        /// The job.
        job: Box<DeployJob>,
    },
    /// A check failed: nothing was queued.
    Refused(Refusal),
}

/// A refused deploy: the checks, and why in one sentence per failure.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// Every check, passed or not.
    pub check: DeployCheck,
    /// True when the only failure is another deploy of the target in the
    /// way (a 409 rather than a 403).
    pub conflict: bool,
}

impl Refusal {
    /// The failed checks as one message: "refused: may_act: ...; deny_window: ...".
    pub fn message(&self) -> String {
        let failed: Vec<String> = self
            .check
            .outcomes
            .iter()
            .filter(|outcome| !outcome.passed)
            .map(|outcome| format!("{}: {}", outcome.check.as_str(), outcome.reason))
            .collect();
        format!(
            "the deploy of {} to {} is refused — {}",
            self.check.service.name(),
            self.check.environment,
            failed.join("; ")
        )
    }
}

/// The lock's check: no other deploy of `target` queued or running.
pub(crate) fn one_at_a_time(target: &DeployTarget, in_the_way: Option<&DeployJob>) -> CheckOutcome {
    match in_the_way {
        None => outcome(
            CheckKind::OneAtATime,
            true,
            format!("no other deploy of {} is queued or running", target.entity_ref.name()),
        ),
        Some(job) => outcome(
            CheckKind::OneAtATime,
            false,
            format!(
                "deploy {} of {} ({}) is {} since {}; wait for it to finish (follow it at /deploys/{})",
                job.id,
                job.version,
                job.actor.as_deref().unwrap_or(&job.requested_by),
                job.state,
                job.started_at.unwrap_or(job.created_at).format("%Y-%m-%d %H:%M UTC"),
                job.id
            ),
        ),
    }
}

/// Applies `--break-glass`: when the caller is on call for `service` and
/// an incident of it is open, a failed deny-window or open-incident check
/// passes, saying so; otherwise a failed `break_glass` check says why not.
pub(crate) fn break_glass(
    outcomes: &mut Vec<CheckOutcome>,
    caller: &Caller,
    service: &EntityRef,
    reason: &str,
    on_call: &[EntityRef],
    open_incidents: &[Incident],
) {
    let check = CheckKind::BreakGlass;
    let refusal = if reason.trim().is_empty() {
        Some("--break-glass needs --reason: say why the deploy cannot wait".to_owned())
    } else if open_incidents.is_empty() {
        Some(format!("break glass is for open incidents, and {} has none; deploy normally", service.name()))
    } else {
        match caller.person() {
            None => Some(
                "break glass is for the on-call person, acting as themselves (a personal token or a signed-in session)"
                    .to_owned(),
            ),
            Some(_) if caller.ci_claims().is_some() => Some(
                "break glass is for the on-call person at the keyboard, not a CI job's token; run it with your own \
                 token or from the service's page"
                    .to_owned(),
            ),
            Some(person) if !on_call.contains(person) => Some(format!(
                "{person} is not on call for {} now ({}); only the on-call person may break the glass",
                service.name(),
                if on_call.is_empty() {
                    "its Schedule has nobody on call now".to_owned()
                } else {
                    format!("on call: {}", on_call.iter().map(EntityRef::name).collect::<Vec<_>>().join(", "))
                }
            )),
            Some(_) => None,
        }
    };
    if let Some(refusal) = refusal {
        outcomes.push(outcome(check, false, refusal));
        return;
    }
    let person = caller.person().map(ToString::to_string).unwrap_or_default();
    for outcome in outcomes.iter_mut() {
        if !outcome.passed && matches!(outcome.check, CheckKind::DenyWindow | CheckKind::OpenIncident) {
            outcome.passed = true;
            outcome.reason = format!("{} — passed by break glass", outcome.reason);
        }
    }
    outcomes.push(outcome(check, true, format!("{person}, on call, broke the glass: {}", reason.trim())));
}

impl App {
    /// Deploys as `request` asks, by `caller`: every check first; a failed
    /// one refuses the deploy; otherwise it is queued for a runner under
    /// the target's lock, audited, and recorded as a queued deployment of
    /// source `paved`. With `dry_run`, only the checks.
    ///
    /// # Errors
    /// As [`App::deploy_check`]; [`AppError::Forbidden`] when a personal
    /// token names another actor; a store failure.
    pub async fn deploy(
        &self,
        caller: &Caller,
        request: &DeployRequest,
        dry_run: bool,
    ) -> Result<DeployOutcome, AppError> {
        if request.at.is_some() && !dry_run {
            return Err(AppError::Invalid(
                "`at` is for a dry run only (a deploy runs now); add `dry_run: true` or leave `at` out".into(),
            ));
        }
        let gathered = self.gather(caller, request, request.at.unwrap_or_else(Utc::now)).await?;
        let check = gathered.check;
        if dry_run {
            return Ok(DeployOutcome::DryRun(check));
        }
        if !check.allowed {
            let conflict = check.outcomes.iter().filter(|o| !o.passed).all(|o| o.check == CheckKind::OneAtATime);
            // A refusal is kept in the audit trail with the rules that
            // refused it.
            let reasons: Vec<String> = check
                .outcomes
                .iter()
                .filter(|o| !o.passed)
                .map(|o| format!("{}: {}", o.check.as_str(), o.reason))
                .collect();
            let refused = NewAudit {
                actor: caller.audit_name(),
                action: "deploy.refuse".into(),
                target: format!("{} to {}", check.service, check.environment),
                detail: Some(format!("{}; refused by {}", check.version, reasons.join("; "))),
                service: Some(check.service.clone()),
                decision: Some(paved_store::AuditDecision::Refused),
            };
            self.store.append_audit(&refused, None).await?;
            return Ok(DeployOutcome::Refused(Refusal { check, conflict }));
        }
        let (actor, actor_claimed_by) = actor_of(&gathered.catalog, caller, request.actor.as_deref())?;
        let checks: Vec<serde_json::Value> = check
            .outcomes
            .iter()
            .map(|o| json!({"check": o.check.as_str(), "passed": o.passed, "reason": o.reason}))
            .collect();
        let job = NewJob {
            service: check.service.to_string(),
            target: check.target.to_string(),
            environment: check.environment.clone(),
            version: check.version.clone(),
            sha: check.sha.clone(),
            trigger: "manual".into(),
            rollback_of: None,
            actor: actor.map(|a| a.to_string()),
            requested_by: caller.audit_name(),
            actor_claimed_by,
            fixes: request.fixes.clone(),
            break_glass: request.break_glass.as_ref().map(|r| r.trim().to_owned()),
            checks: serde_json::Value::Array(checks),
            plan: serde_json::to_value(gathered.target.plan())
                .map_err(|error| AppError::Internal(format!("a deploy plan does not serialise: {error}")))?,
            label: gathered.target.runner.clone(),
        };
        let audit = NewAudit {
            actor: caller.audit_name(),
            action: if job.break_glass.is_some() { "deploy.break_glass".into() } else { "deploy.queue".into() },
            target: String::new(),
            detail: Some(match &job.break_glass {
                Some(reason) => format!("{} to {}; break glass: {reason}", job.version, job.environment),
                None => format!("{} to {}", job.version, job.environment),
            }),
            service: Some(check.service.clone()),
            decision: Some(paved_store::AuditDecision::Allowed),
        };
        match self.store.enqueue_job(&job, &audit).await? {
            Ok(job) => {
                self.wake_runner();
                self.record_deploy(&job).await?;
                Ok(DeployOutcome::Queued { check, job: Box::new(job) })
            }
            // Queued by someone else between the check and now.
            Err(in_the_way) => {
                let mut check = check;
                for outcome in &mut check.outcomes {
                    if outcome.check == CheckKind::OneAtATime {
                        *outcome = super::queue::one_at_a_time(&gathered.target, Some(&in_the_way));
                    }
                }
                check.allowed = false;
                check.in_the_way = Some(in_the_way);
                Ok(DeployOutcome::Refused(Refusal { check, conflict: true }))
            }
        }
    }

    /// Records `job`'s current state as a deployment (source `paved`),
    /// through the same path as every event: a raw event first.
    ///
    /// # Errors
    /// A store failure.
    pub(crate) async fn record_deploy(&self, job: &DeployJob) -> Result<(), AppError> {
        let event = DeployEvent {
            id: job.id,
            service: job.service.parse::<EntityRef>().map_or_else(|_| job.service.clone(), |s| s.name().to_owned()),
            environment: job.environment.clone(),
            version: job.version.clone(),
            sha: job.sha.clone(),
            state: job.state.as_str().to_owned(),
            trigger: job.trigger.clone(),
            rollback_of: job.rollback_of,
            actor: job.actor.clone(),
            actor_claimed_by: job.actor_claimed_by.clone(),
            fixes: job.fixes.clone(),
            break_glass: job.break_glass.clone(),
            error: job.error.clone(),
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
        };
        self.record_own_event(paved_ingest::paved::DEPLOY, event.delivery_id(), &event).await
    }

    /// Stores `event` as a raw event of source `paved` (pavedroad's own
    /// actions: deploys, pages) and derives it like any other, so that
    /// every analysis sees it.
    ///
    /// # Errors
    /// A store failure.
    pub(crate) async fn record_own_event(
        &self,
        event_type: &'static str,
        delivery_id: String,
        event: &impl serde::Serialize,
    ) -> Result<(), AppError> {
        let catalog = self.catalog.current().await?;
        let body = serde_json::to_vec(event)
            .map_err(|error| AppError::Internal(format!("a `{event_type}` event does not serialise: {error}")))?;
        let context = json!({});
        let received_at = crate::deploy::runs::storable(Utc::now());
        let input = paved_ingest::RawInput {
            source: paved_domain::Source::Paved,
            event_type,
            body: &body,
            context: &context,
            received_at,
        };
        let derivation = paved_ingest::derive(&input, &catalog, &self.ingest);
        let raw = paved_store::NewRawEvent {
            source: paved_domain::Source::Paved.as_str().to_owned(),
            event_type: event_type.to_owned(),
            delivery_id,
            received_at,
            body,
            context,
        };
        self.ingestor.ingest(paved_store::IngestEvent { event: raw, derivation, audit: None }).await?;
        Ok(())
    }
}

/// The person a deploy is for, and the token that vouches for them when
/// it is not their own: a person acts as themselves (and may name nobody
/// else); a team token or the local CLI may name the actor.
fn actor_of(
    catalog: &paved_domain::CatalogIndex,
    caller: &Caller,
    named: Option<&str>,
) -> Result<(Option<EntityRef>, Option<String>), AppError> {
    let resolve = |named: &str| -> Result<EntityRef, AppError> {
        Identity::from_person(named)
            .ok()
            .and_then(|identity| catalog.resolve_person(&identity, None).cloned())
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "actor `{named}` is not a User of the catalog; give a catalog User (user:NAME), or their login \
                     or e-mail as the catalog knows it"
                ))
            })
    };
    if let Some(person) = caller.person() {
        if let Some(named) = named
            && resolve(named).ok().as_ref() != Some(person)
        {
            return Err(AppError::Forbidden(format!(
                "{person} deploys as themselves and cannot deploy as `{named}`; leave out --actor, or let `{named}` \
                 deploy with their own token"
            )));
        }
        return Ok((Some(person.clone()), None));
    }
    match named {
        None => Ok((None, None)),
        Some(named) => {
            // The caller vouches for the person: a team's CI token, an
            // admin token, the local CLI.
            Ok((Some(resolve(named)?), Some(caller.audit_name())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str) -> EntityRef {
        format!("user:default/{name}").parse().expect("a User reference")
    }

    fn blocked() -> Vec<CheckOutcome> {
        vec![
            outcome(CheckKind::MayAct, true, "ana may deploy shop-api".into()),
            outcome(CheckKind::DenyWindow, false, "deploys are denied on fri".into()),
            outcome(CheckKind::OpenIncident, false, "api:inc-1 is open with severity SEV-1".into()),
        ]
    }

    fn incident() -> Incident {
        Incident::new("api:inc-1".to_owned(), "api")
    }

    #[test]
    fn the_on_call_person_breaks_the_glass_during_an_open_incident() {
        let service: EntityRef = "component:default/shop-api".parse().unwrap();
        let caller = Caller::Person { person: person("ana"), via: crate::Via::Session(1) };
        let mut outcomes = blocked();
        break_glass(&mut outcomes, &caller, &service, "the fix for inc-1", &[person("ana")], &[incident()]);
        assert!(outcomes.iter().all(|o| o.passed), "{outcomes:?}");
        assert!(outcomes[1].reason.ends_with("passed by break glass"), "{}", outcomes[1].reason);
        let glass = outcomes.last().unwrap();
        assert_eq!(glass.check, CheckKind::BreakGlass);
        assert!(glass.reason.contains("user:default/ana") && glass.reason.contains("the fix for inc-1"));
    }

    #[test]
    fn a_ci_jobs_token_never_breaks_the_glass_even_for_the_on_call_person() {
        let service: EntityRef = "component:default/shop-api".parse().unwrap();
        let claims = crate::ci_identity::CiClaims {
            provider: crate::ci_identity::CiProvider::GitHubActions,
            issuer: "https://token.actions.githubusercontent.com".into(),
            repo: paved_domain::RepoId::from_github_slug("acme/shop-api").unwrap(),
            actor: "ana".into(),
            git_ref: Some("refs/heads/main".into()),
            environment: Some("production".into()),
            run: None,
            subject: String::new(),
            expires_at: chrono::Utc::now(),
        };
        let caller = Caller::Person { person: person("ana"), via: crate::Via::Ci(Box::new(claims)) };
        let mut outcomes = blocked();
        break_glass(&mut outcomes, &caller, &service, "the fix for inc-1", &[person("ana")], &[incident()]);
        let glass = outcomes.last().unwrap();
        assert_eq!((glass.check, glass.passed), (CheckKind::BreakGlass, false));
        assert!(glass.reason.contains("not a CI job's token"), "{}", glass.reason);
        assert!(!outcomes[1].passed && !outcomes[2].passed, "the blocks stay");
    }

    #[test]
    fn breaking_the_glass_is_refused_off_call_without_an_incident_or_a_reason() {
        let service: EntityRef = "component:default/shop-api".parse().unwrap();
        let caller = Caller::Person { person: person("bo"), via: crate::Via::Session(2) };
        let cases: [(&str, &[EntityRef], Vec<Incident>, &str); 3] = [
            ("urgent", &[], vec![incident()], "not on call"),
            ("urgent", &[], vec![], "has none"),
            ("  ", &[], vec![incident()], "needs --reason"),
        ];
        for (reason, on_call, incidents, says) in cases {
            let mut outcomes = blocked();
            break_glass(&mut outcomes, &caller, &service, reason, on_call, &incidents);
            let glass = outcomes.last().unwrap();
            assert_eq!((glass.check, glass.passed), (CheckKind::BreakGlass, false));
            assert!(glass.reason.contains(says), "{says}: {}", glass.reason);
            assert!(!outcomes[1].passed && !outcomes[2].passed, "nothing is passed by a refused break glass");
        }
    }
}
