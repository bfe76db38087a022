//! GitHub's custom deployment protection rules answered by the deploy
//! policy (DESIGN §7 Deploy): when a workflow job deploys to an environment
//! the rule guards, GitHub asks pavedroad, and pavedroad evaluates the same
//! checks as `paved deploy check` for the environment's DeployTarget and
//! the deployment's creator.
//!
//! This module decides and words the answer; the server only carries it to
//! GitHub. Whatever the catalog lacks to decide (the service, its
//! DeployTarget, the person) is a rejection whose comment says exactly what
//! to add, never an error.

use paved_domain::{CatalogIndex, EntityRef, Identity, RepoId, ServiceMatch};
use paved_ingest::github::ProtectionRuleRequest;
use paved_store::NewAudit;

use super::{CheckOutcome, DeployCheck, DeployRequest};
use crate::{App, AppError, Caller, Via};

/// The audit log's action for an answer.
pub const AUDIT_ACTION: &str = "deploy.protection_rule";

/// The longest comment sent, in characters: a bound of pavedroad's own, so
/// that a pathological reason cannot make the answer unreadable.
const COMMENT_LIMIT: usize = 4_000;

/// What pavedroad answers GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtectionState {
    /// Every check passed: the deployment may go.
    Approved,
    /// A check failed, or the policy could not be evaluated.
    Rejected,
}

impl ProtectionState {
    /// As GitHub's API takes it: `approved`, `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

/// The answer to one protection rule request, and what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtectionAnswer {
    /// The environment, as GitHub named it (`environment_name`).
    pub environment: String,
    /// Approved or rejected.
    pub state: ProtectionState,
    /// Markdown for GitHub's UI: the verdict, then every check with
    /// whether it passed and why (or what the catalog lacks).
    pub comment: String,
    /// The service, when the repository resolved to one.
    pub service: Option<EntityRef>,
    /// The catalog User behind the GitHub login, when there is one.
    pub person: Option<EntityRef>,
    /// The policy's verdict, when it could be evaluated.
    pub check: Option<DeployCheck>,
    /// What the catalog lacks to evaluate the policy, one sentence each
    /// (empty when it was evaluated).
    pub missing: Vec<String>,
    /// Who asked, for the audit log.
    actor: String,
    /// What was asked about, for the audit log.
    target: String,
}

impl ProtectionAnswer {
    /// The audit entry of this answer: the person (or the login the
    /// catalog lacks) as actor, the service (or the repository) as target,
    /// and the verdict with the failed checks as detail.
    pub fn audit_entry(&self) -> NewAudit {
        let verdict = format!("{} {}", self.state.as_str(), self.environment);
        let detail = match &self.check {
            Some(check) => {
                let sha = check.sha.as_deref().map(|sha| format!(" {}", short(sha))).unwrap_or_default();
                let failed: Vec<&str> = check.outcomes.iter().filter(|o| !o.passed).map(|o| o.check.as_str()).collect();
                if failed.is_empty() {
                    format!("{verdict}{sha}: every check passed")
                } else {
                    format!("{verdict}{sha}: failed {}", failed.join(", "))
                }
            }
            None => format!("{verdict}: not evaluated: {}", self.missing.join("; ")),
        };
        NewAudit {
            actor: self.actor.clone(),
            action: AUDIT_ACTION.to_owned(),
            target: self.target.clone(),
            detail: Some(detail),
            service: None,
            decision: None,
        }
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// The service a deployment of `request` is of: a service its payload
/// names, else the one Component of the repository, else — in a
/// monorepo — the one of its Components with a DeployTarget for the
/// environment. `Err` says what to add to the catalog.
fn service_of(catalog: &CatalogIndex, request: &ProtectionRuleRequest) -> Result<EntityRef, String> {
    for name in &request.service_names {
        if let ServiceMatch::One(service) = catalog.service_named(name) {
            return Ok(service);
        }
    }
    let repo = &request.repo;
    match catalog.services_of_repo(repo) {
        ServiceMatch::One(service) => Ok(service),
        ServiceMatch::Several(services) => {
            let environment = &request.environment;
            let with_target: Vec<&EntityRef> =
                services.iter().filter(|service| catalog.deploy_target(service, environment).is_some()).collect();
            let names = |services: &[&EntityRef]| services.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ");
            match with_target.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(format!(
                    "{repo} belongs to several components ({}) and none has a DeployTarget for {environment}: add one \
                     (kind: DeployTarget with spec.component naming the service and spec.environment: {environment})",
                    names(&services.iter().collect::<Vec<_>>())
                )),
                several => Err(format!(
                    "{repo} belongs to several components with a DeployTarget for {environment} ({}): give each \
                     service its own GitHub environment and DeployTarget environment, or name the service in the \
                     deployment's payload (`service`)",
                    names(several)
                )),
            }
        }
        ServiceMatch::None => {
            let named: Vec<String> = request.service_names.iter().map(|name| format!("`{name}`")).collect();
            let named = if named.is_empty() { String::new() } else { format!("is named {} or ", named.join(" or ")) };
            Err(format!(
                "no Component of the catalog {named}claims {repo}: add the annotation {} to the service's \
                 catalog-info.yaml and import the catalog again",
                repo_annotation(repo)
            ))
        }
    }
}

/// The annotation that ties a Component to `repo`.
fn repo_annotation(repo: &RepoId) -> String {
    if repo.host() == "github.com" {
        format!("`github.com/project-slug: {}`", repo.path())
    } else {
        format!("`paved.dev/repo: {repo}`")
    }
}

/// The catalog User behind the GitHub login `login`, matched as every
/// GitHub identity is ([`CatalogIndex::resolve_person`]: the
/// `github.com/user-login` annotation, else a User named like the login).
/// `Err` says what to add.
fn person_of(catalog: &CatalogIndex, login: Option<&str>) -> Result<EntityRef, String> {
    let Some(login) = login else {
        return Err("the delivery names no GitHub user (neither deployment.creator nor sender)".to_owned());
    };
    let identity = Identity::github(login).map_err(|error| format!("`{login}` is not a GitHub login: {error}"))?;
    catalog.resolve_person(&identity, None).cloned().ok_or_else(|| {
        format!(
            "GitHub user `{login}` is not a User of the catalog: add the annotation `github.com/user-login: {login}` \
             to their User entity (kind: User) and import the catalog again"
        )
    })
}

/// One check as a Markdown list item.
fn check_line(outcome: &CheckOutcome) -> String {
    let (mark, verdict) = if outcome.passed { ("✅", "passed") } else { ("❌", "failed") };
    format!("- {mark} `{}` {verdict}: {}", outcome.check.as_str(), outcome.reason)
}

/// Who deploys, for the comment: `lenafischer (user:default/lena.fischer)`.
fn who(login: Option<&str>, person: &EntityRef) -> String {
    match login {
        Some(login) => format!("{login} ({person})"),
        None => person.to_string(),
    }
}

/// The comment of an evaluated policy.
fn evaluated_comment(request: &ProtectionRuleRequest, person: &EntityRef, check: &DeployCheck) -> String {
    let what = format!(
        "{} deploying {}{} to {}",
        who(request.login.as_deref(), person),
        check.service.name(),
        check.sha.as_deref().map(|sha| format!(" at {}", short(sha))).unwrap_or_default(),
        check.environment
    );
    let failed: Vec<String> =
        check.outcomes.iter().filter(|o| !o.passed).map(|o| format!("`{}`", o.check.as_str())).collect();
    let headline = if check.allowed {
        format!("✅ **Approved by pavedroad**: every check of {} passed for {what}.", check.target)
    } else {
        format!("❌ **Rejected by pavedroad**: {} failed for {what} ({}).", failed.join(", "), check.target)
    };
    let lines: Vec<String> = check.outcomes.iter().map(check_line).collect();
    format!("{headline}\n\n{}\n", lines.join("\n"))
}

/// The comment of a policy that could not be evaluated.
fn missing_comment(request: &ProtectionRuleRequest, missing: &[String]) -> String {
    let lines: Vec<String> = missing.iter().map(|problem| format!("- ❌ {problem}")).collect();
    format!(
        "❌ **Rejected by pavedroad**: the deploy policy for {} to {} could not be evaluated; the catalog lacks what \
         it needs:\n\n{}\n\nFix the catalog, then re-run the job.\n",
        request.repo,
        request.environment,
        lines.join("\n")
    )
}

/// `comment` cut to [`COMMENT_LIMIT`] characters, on a character boundary.
fn bounded(comment: String) -> String {
    if comment.chars().count() <= COMMENT_LIMIT {
        return comment;
    }
    let mut cut: String = comment.chars().take(COMMENT_LIMIT - 1).collect();
    cut.push('…');
    cut
}

impl App {
    /// Answers a GitHub custom deployment protection rule: finds the
    /// service (the repository's Component, or in a monorepo the one with a
    /// DeployTarget for the environment), its DeployTarget and the catalog
    /// User behind the deployment's creator, then evaluates
    /// [`App::deploy_check`] as [`Caller::Person`] via [`Via::GitHub`] for
    /// the deployment's commit. Changes nothing; write
    /// [`ProtectionAnswer::audit_entry`] with [`App::audit`].
    ///
    /// # Errors
    /// A store failure. What the catalog lacks is a rejection, not an error.
    pub async fn answer_protection_rule(&self, request: &ProtectionRuleRequest) -> Result<ProtectionAnswer, AppError> {
        let catalog = self.catalog.current().await?;
        let service = service_of(&catalog, request);
        let target = service.as_ref().map_err(Clone::clone).and_then(|service| {
            if catalog.deploy_target(service, &request.environment).is_some() {
                return Ok(());
            }
            let known: Vec<String> = catalog.deploy_targets_of(service).iter().map(|t| t.environment.clone()).collect();
            Err(format!(
                "{} has no DeployTarget for {}{}: add one (kind: DeployTarget with spec.component: {} and \
                 spec.environment: {})",
                service.name(),
                request.environment,
                if known.is_empty() { String::new() } else { format!(" (it has: {})", known.join(", ")) },
                service.name(),
                request.environment
            ))
        });
        let person = person_of(&catalog, request.login.as_deref());
        let actor = match (&person, &request.login) {
            (Ok(person), _) => Caller::Person { person: person.clone(), via: Via::GitHub }.audit_name(),
            (Err(_), Some(login)) => format!("github:{login} (GitHub deployment creator, not in the catalog)"),
            (Err(_), None) => "GitHub (no deployment creator named)".to_owned(),
        };
        let target_name = service.as_ref().map_or_else(|_| request.repo.to_string(), ToString::to_string);
        let mut answer = ProtectionAnswer {
            environment: request.environment.clone(),
            state: ProtectionState::Rejected,
            comment: String::new(),
            service: service.as_ref().ok().cloned(),
            person: person.as_ref().ok().cloned(),
            check: None,
            missing: Vec::new(),
            actor,
            target: target_name,
        };
        let (service, person) = match (service, target, person) {
            (Ok(service), Ok(()), Ok(person)) => (service, person),
            (_, target, person) => {
                // The target's problem includes the service's.
                answer.missing = [target.err(), person.err()].into_iter().flatten().collect();
                answer.comment = bounded(missing_comment(request, &answer.missing));
                return Ok(answer);
            }
        };
        let caller = Caller::Person { person: person.clone(), via: Via::GitHub };
        let deploy = DeployRequest {
            service: service.to_string(),
            environment: Some(request.environment.clone()),
            version: request.sha.clone().or_else(|| request.git_ref.clone()).unwrap_or_default(),
            ..DeployRequest::default()
        };
        match self.deploy_check(&caller, &deploy).await {
            Ok(check) => {
                answer.state = if check.allowed { ProtectionState::Approved } else { ProtectionState::Rejected };
                answer.comment = bounded(evaluated_comment(request, &person, &check));
                answer.check = Some(check);
            }
            // The catalog changed between the two reads.
            Err(AppError::Invalid(problem)) => {
                answer.missing = vec![problem];
                answer.comment = bounded(missing_comment(request, &answer.missing));
            }
            Err(error) => return Err(error),
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::CheckKind;

    fn request() -> ProtectionRuleRequest {
        ProtectionRuleRequest {
            environment: "production".into(),
            callback_url: "https://api.github.com/repos/acme/shop/actions/runs/1/deployment_protection_rule".into(),
            repo: RepoId::from_github_slug("acme/shop").unwrap(),
            sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
            git_ref: Some("main".into()),
            login: Some("ana".into()),
            service_names: vec![],
            deployment_id: Some(7),
            event: Some("push".into()),
        }
    }

    fn check(failed: &[CheckKind]) -> DeployCheck {
        let outcomes: Vec<CheckOutcome> = [CheckKind::MayAct, CheckKind::ChecksPassed]
            .into_iter()
            .map(|check| CheckOutcome {
                check,
                passed: !failed.contains(&check),
                reason: format!("reason of {}", check.as_str()),
            })
            .collect();
        DeployCheck {
            service: EntityRef::parse("component:default/shop", None, "default").unwrap(),
            target: EntityRef::parse("deploytarget:default/shop-production", None, "default").unwrap(),
            environment: "production".into(),
            version: "0123456789abcdef0123456789abcdef01234567".into(),
            sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
            allowed: failed.is_empty(),
            outcomes,
            in_the_way: None,
        }
    }

    fn person() -> EntityRef {
        EntityRef::parse("user:default/ana", None, "default").unwrap()
    }

    #[test]
    fn an_approval_lists_every_check() {
        let comment = evaluated_comment(&request(), &person(), &check(&[]));
        assert!(comment.starts_with("✅ **Approved by pavedroad**"), "{comment}");
        assert!(comment.contains("ana (user:default/ana) deploying shop at 0123456789ab to production"), "{comment}");
        assert!(comment.contains("- ✅ `may_act` passed: reason of may_act"), "{comment}");
        assert!(comment.contains("- ✅ `checks_passed` passed: reason of checks_passed"), "{comment}");
    }

    #[test]
    fn a_rejection_names_the_failed_checks_first_and_still_lists_every_one() {
        let comment = evaluated_comment(&request(), &person(), &check(&[CheckKind::MayAct]));
        let headline = comment.lines().next().unwrap();
        assert!(headline.starts_with("❌ **Rejected by pavedroad**: `may_act` failed"), "{comment}");
        assert!(comment.contains("- ❌ `may_act` failed: reason of may_act"), "{comment}");
        assert!(comment.contains("- ✅ `checks_passed` passed"), "{comment}");
    }

    #[test]
    fn the_audit_entry_says_the_verdict_and_the_failed_checks() {
        let mut answer = ProtectionAnswer {
            environment: "production".into(),
            state: ProtectionState::Rejected,
            comment: String::new(),
            service: None,
            person: Some(person()),
            check: Some(check(&[CheckKind::MayAct, CheckKind::ChecksPassed])),
            missing: vec![],
            actor: "user:default/ana (GitHub deployment creator)".into(),
            target: "component:default/shop".into(),
        };
        let entry = answer.audit_entry();
        assert_eq!(entry.action, "deploy.protection_rule");
        assert_eq!(entry.detail.as_deref(), Some("rejected production 0123456789ab: failed may_act, checks_passed"));
        answer.check = None;
        answer.missing = vec!["no Component claims github.com/acme/shop".into()];
        assert_eq!(
            answer.audit_entry().detail.as_deref(),
            Some("rejected production: not evaluated: no Component claims github.com/acme/shop")
        );
    }

    #[test]
    fn a_long_comment_is_cut_on_a_character_boundary() {
        let cut = bounded("é".repeat(COMMENT_LIMIT + 10));
        assert_eq!(cut.chars().count(), COMMENT_LIMIT);
        assert!(cut.ends_with('…'));
        assert_eq!(bounded("short".into()), "short");
    }
}
