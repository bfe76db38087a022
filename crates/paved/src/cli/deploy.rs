//! `paved deploy record` and `paved deploy check`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use paved_app::RecordAction;
use paved_domain::{Deployment, Record};
use serde_json::{Map, Value, json};

use super::client::{self, Target};
use crate::config::Config;
use crate::output::outln;
use crate::output::{Format, OutputArgs, print_json};

/// Deploy a service through its DeployTarget, or record and check deployments.
///
/// `paved deploy SERVICE --version V` checks the policy, then runs the
/// target's steps and health check on a runner and follows its log: on the
/// local database the CLI is the runner; with --server the server queues it
/// for its runners. Exit 0 when it succeeded, 1 when it failed (and rolled
/// back where the target says so), 2 when a check refused it.
///
/// Examples:
///   paved deploy checkout-api --version "$(git rev-parse HEAD)"
///   paved deploy checkout-api --version v1.4.2 --dry-run
///   paved deploy checkout-api --version "$GITHUB_SHA" --server https://paved.acme.example --token "$PAVED_TOKEN"
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    disable_version_flag = true,
    verbatim_doc_comment
)]
pub struct Cmd {
    #[command(subcommand)]
    sub: Option<Sub>,
    #[command(flatten)]
    start: super::deploy_start::StartCmd,
}

/// What `paved deploy` does besides deploying.
#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Record a deployment, from any CI.
    ///
    /// Run it as the last step of a deploy job. Recording the same --id again
    /// updates that deployment (e.g. `--status in_progress` when it starts,
    /// `--status success` when it ends); a retry of the same command changes
    /// nothing. In GitHub Actions and GitLab CI the id defaults to the run or
    /// job (with the service and environment), and the actor to the person
    /// who triggered it (GITHUB_ACTOR, GITLAB_USER_LOGIN).
    ///
    /// Writes to the local database, or with --server to a pavedroad server
    /// (with a team token, only for services the team owns).
    ///
    /// Examples:
    ///   paved deploy record --service checkout --environment production --sha "$(git rev-parse HEAD)"
    ///   paved deploy record --service checkout --environment production --sha "$GITHUB_SHA" \
    ///       --server https://paved.acme.example --token "$PAVED_TOKEN"
    #[command(verbatim_doc_comment)]
    Record(Box<RecordCmd>),
    /// Say whether a deploy may start, and why: every check of the service's
    /// DeployTarget policy (who may act, the commit's CI, deny windows, open
    /// incidents), each passed or failed with its reason. Changes nothing.
    ///
    /// Exit 0 when every check passes, 2 when one fails.
    ///
    /// Examples:
    ///   paved deploy check checkout-api --version "$(git rev-parse HEAD)" --as lena.fischer
    ///   paved deploy check checkout-api --environment staging --version v1.4.2 --format json
    ///   paved deploy check checkout-api --version v1.4.2 --at 2026-12-04T15:00:00Z
    #[command(verbatim_doc_comment)]
    Check(CheckCmd),
}

/// Arguments of `paved deploy check` (`--version` is what to deploy, so
/// the command has no version flag of its own).
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct CheckCmd {
    /// The service (a Component's name or reference).
    service: String,
    /// The environment.
    #[arg(long, default_value = "production")]
    environment: String,
    /// What to deploy: a commit sha, a tag or a version the steps understand.
    #[arg(long)]
    version: String,
    /// The incident this deploy fixes (an open incident of it does not block).
    #[arg(long, value_name = "INCIDENT")]
    fixes: Option<String>,
    /// Check as this person (a catalog User), as their personal token would
    /// be checked; default: the local database's user, who may act on any
    /// service.
    #[arg(long = "as", value_name = "USER")]
    as_user: Option<String>,
    /// Check as if it were this moment (RFC 3339, e.g.
    /// 2026-12-04T15:00:00Z): would a deploy on Friday afternoon pass the
    /// deny windows, or does the service's level lift them?
    #[arg(long, value_name = "TIME", value_parser = parse_at)]
    at: Option<chrono::DateTime<chrono::Utc>>,
    #[command(flatten)]
    output: OutputArgs,
}

fn parse_at(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.with_timezone(&chrono::Utc))
        .map_err(|error| format!("{error}; give a moment as RFC 3339, e.g. 2026-12-04T15:00:00Z"))
}

/// Arguments of `paved deploy record`.
#[derive(Debug, Args)]
pub struct RecordCmd {
    /// The Component deployed (`checkout` or `component:default/checkout`).
    #[arg(long)]
    service: String,
    /// The environment, e.g. `production`.
    #[arg(long)]
    environment: String,
    /// The deployed commit (7 to 64 hex digits).
    #[arg(long)]
    sha: String,
    /// success (default), failure, error, in_progress, queued, pending, cancelled.
    #[arg(long)]
    status: Option<String>,
    /// Who deployed: a login, an e-mail or a catalog User (`user:dana`).
    #[arg(long)]
    actor: Option<String>,
    /// When it started (RFC 3339).
    #[arg(long, value_name = "TIME")]
    started: Option<String>,
    /// When it finished (RFC 3339); default now, for a final status.
    #[arg(long, value_name = "TIME")]
    finished: Option<String>,
    /// Your id for it, e.g. the CI run; recording it again updates it.
    #[arg(long)]
    id: Option<String>,
    /// A link to it (the CI run).
    #[arg(long)]
    url: Option<String>,
    /// The repository, e.g. github.com/acme/checkout.
    #[arg(long)]
    repo: Option<String>,
    /// The branch or tag deployed.
    #[arg(long = "ref", value_name = "REF")]
    git_ref: Option<String>,
    /// manual, automatic or rollback.
    #[arg(long)]
    trigger: Option<String>,
    /// Mark it as a hotfix.
    #[arg(long)]
    hotfix: bool,
    /// An incident this deployment fixes (repeatable).
    #[arg(long = "fixes", value_name = "INCIDENT")]
    fixes: Vec<String>,
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

impl Cmd {
    /// These flags on top of the global ones.
    pub fn overrides(&self, flags: crate::config::FlagOverrides) -> crate::config::FlagOverrides {
        match (&self.sub, &self.start) {
            (Some(Sub::Record(cmd)), _) => cmd.target.overrides(flags),
            (None, start) => start.target.overrides(flags),
            _ => flags,
        }
    }
}

/// The id a CI run gives a deployment when none is given: the same run,
/// attempt, service and environment is the same deployment.
fn ci_id(service: &str, environment: &str, var: impl Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(run) = var("GITHUB_RUN_ID") {
        let attempt = var("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".to_owned());
        return Some(format!("github-run-{run}-{attempt}-{service}-{environment}"));
    }
    var("CI_JOB_ID").map(|job| format!("gitlab-job-{job}-{service}-{environment}"))
}

/// The person who triggered the CI run, when none is given.
fn ci_actor(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    var("GITHUB_ACTOR")
        .map(|login| format!("github:{login}"))
        .or_else(|| var("GITLAB_USER_LOGIN").map(|l| format!("gitlab:{l}")))
}

fn body(cmd: &RecordCmd, var: impl Fn(&str) -> Option<String>) -> Value {
    let mut body = Map::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            body.insert(key.to_owned(), Value::String(value));
        }
    };
    put("id", cmd.id.clone().or_else(|| ci_id(&cmd.service, &cmd.environment, &var)));
    put("service", Some(cmd.service.clone()));
    put("environment", Some(cmd.environment.clone()));
    put("sha", Some(cmd.sha.clone()));
    put("status", cmd.status.clone());
    put("actor", cmd.actor.clone().or_else(|| ci_actor(&var)));
    put("started_at", cmd.started.clone());
    put("finished_at", cmd.finished.clone());
    put("url", cmd.url.clone());
    put("repo", cmd.repo.clone());
    put("ref", cmd.git_ref.clone());
    put("trigger", cmd.trigger.clone());
    if cmd.hotfix {
        body.insert("hotfix".to_owned(), json!(true));
    }
    if !cmd.fixes.is_empty() {
        body.insert("fixes".to_owned(), json!(cmd.fixes));
    }
    Value::Object(body)
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let cmd = match (cmd.sub, cmd.start) {
        (Some(Sub::Record(cmd)), _) => *cmd,
        (Some(Sub::Check(cmd)), _) => return check(cmd, config).await,
        (None, start) => return super::deploy_start::run(start, config).await,
    };
    let body = body(&cmd, |name| std::env::var(name).ok().filter(|value| !value.is_empty()));
    let recorded = client::record(&config, RecordAction::RecordDeployment, body).await?;
    let Record::Deployment(deployment) = &recorded.record else {
        anyhow::bail!("the deployment was recorded as a {}", recorded.record.kind().as_str());
    };
    match cmd.output.format {
        Format::Json => print_json(deployment)?,
        Format::Text => outln!("{}", describe(deployment, recorded.new)),
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(d: &Deployment, new: bool) -> String {
    let service = d.service.as_ref().map_or_else(|| "?".to_owned(), ToString::to_string);
    let sha = d.sha.as_deref().map_or("?", |sha| &sha[..sha.len().min(12)]);
    let production =
        if d.production && !d.environment.eq_ignore_ascii_case("production") { " (production)" } else { "" };
    let verb = if new { "recorded" } else { "already recorded, unchanged:" };
    format!("{verb} deployment {} of {service} to {}{production}: {} at {sha}", d.key, d.environment, d.status.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> RecordCmd {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            cmd: RecordCmd,
        }
        Wrapper::parse_from(["x", "--service", "checkout", "--environment", "production", "--sha", "abcdef1"]).cmd
    }

    #[test]
    fn ci_runs_name_the_deployment_and_its_actor() {
        let github = |name: &str| match name {
            "GITHUB_RUN_ID" => Some("991".to_owned()),
            "GITHUB_RUN_ATTEMPT" => Some("2".to_owned()),
            "GITHUB_ACTOR" => Some("dana".to_owned()),
            _ => None,
        };
        let body = body(&cmd(), github);
        assert_eq!(body["id"], "github-run-991-2-checkout-production");
        assert_eq!(body["actor"], "github:dana");
        let gitlab = |name: &str| match name {
            "CI_JOB_ID" => Some("77".to_owned()),
            "GITLAB_USER_LOGIN" => Some("lee".to_owned()),
            _ => None,
        };
        let body = super::body(&cmd(), gitlab);
        assert_eq!(body["id"], "gitlab-job-77-checkout-production");
        assert_eq!(body["actor"], "gitlab:lee");
        let nowhere = super::body(&cmd(), |_| None);
        assert!(nowhere.get("id").is_none() && nowhere.get("actor").is_none(), "{nowhere}");
    }
}

/// The JSON of `paved deploy check --format json`.
#[derive(serde::Serialize)]
struct CheckView<'a> {
    service: String,
    environment: &'a str,
    target: String,
    sha: Option<&'a str>,
    allowed: bool,
    checks: Vec<CheckLine<'a>>,
}

#[derive(serde::Serialize)]
struct CheckLine<'a> {
    check: &'static str,
    passed: bool,
    reason: &'a str,
}

async fn check(cmd: CheckCmd, config: Config) -> anyhow::Result<ExitCode> {
    let (store, _) = client::local_store(&config).await?;
    let app = paved_app::App::new(store, config.ingest_settings()).with_deploy_defaults(config.deploy_defaults()?);
    let caller = match &cmd.as_user {
        None => paved_app::Caller::Local,
        Some(user) => {
            let person = paved_domain::EntityRef::parse(user, Some("user"), paved_domain::DEFAULT_NAMESPACE)
                .map_err(|error| crate::exit::BadInput(format!("--as: {error}")))?;
            paved_app::Caller::Token(paved_store::TokenInfo {
                id: 0,
                name: format!("--as {user}"),
                scope: paved_store::TokenScope::User(person),
                prefix: String::new(),
                created_at: chrono::Utc::now(),
                revoked_at: None,
                expires_at: None,
            })
        }
    };
    let request = paved_app::deploy::DeployRequest {
        service: cmd.service,
        environment: Some(cmd.environment),
        version: cmd.version,
        fixes: cmd.fixes,
        at: cmd.at,
        ..paved_app::deploy::DeployRequest::default()
    };
    let checked = app.deploy_check(&caller, &request).await?;
    match cmd.output.format {
        Format::Json => print_json(&CheckView {
            service: checked.service.to_string(),
            environment: &checked.environment,
            target: checked.target.to_string(),
            sha: checked.sha.as_deref(),
            allowed: checked.allowed,
            checks: checked
                .outcomes
                .iter()
                .map(|o| CheckLine { check: o.check.as_str(), passed: o.passed, reason: &o.reason })
                .collect(),
        })?,
        Format::Text => {
            for outcome in &checked.outcomes {
                let mark = crate::colour::mark(if outcome.passed { "pass" } else { "FAIL" }, 4);
                outln!("{mark}  {:<14} {}", outcome.check.as_str(), outcome.reason);
            }
            let verdict = if checked.allowed { "may start" } else { "is refused" };
            outln!("a deploy of {} to {} {verdict}", checked.service.name(), checked.environment);
        }
    }
    Ok(if checked.allowed { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
