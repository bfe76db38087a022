//! What a deploy runner executes: one step of a deploy ([`run_step`]) and the
//! health check after the steps ([`check_health`]).
//!
//! # Where this runs
//!
//! On a runner: `paved runner` on a machine that holds the deploy credentials
//! (a target's `spec.runner` label says which runners may take its deploys),
//! or the runner embedded in `paved serve` for targets that name no label.
//! Only with the embedded runner do steps run inside the server's process;
//! otherwise the server never runs a step, it only queues the job. The runner
//! loop (claiming jobs, heartbeats, rollback, storing the log) calls this
//! crate once per step and once for the health check; this crate knows
//! nothing of the queue or the store.
//!
//! # The steps
//!
//! - **run**: `sh -c <command>` in [`StepContext::workdir`] (a fresh directory
//!   per deploy, made by the caller), stdin closed, with the runner's own
//!   environment (so deploy credentials on the runner reach the script) plus:
//!
//!   | variable | value |
//!   |---|---|
//!   | `PAVED_SERVICE` | the Component's name |
//!   | `PAVED_ENVIRONMENT` | the environment, e.g. `production` |
//!   | `PAVED_VERSION` | the version being deployed |
//!   | `PAVED_SHA` | the commit, or empty when the deploy names none |
//!   | `PAVED_DEPLOYMENT_ID` | the deployment's id, e.g. `17` |
//!
//!   Its stdout and stderr reach the log line by line as they are written. A
//!   non-zero exit fails the step. The command runs in its own process
//!   group; when the timeout passes the whole group gets `SIGTERM`, then
//!   `SIGKILL` two seconds later, and what the command left running in its
//!   group when it exits is stopped the same way (start long-lived services
//!   with a service manager).
//! - **gitops**: the `git` CLI clones the branch into a directory under the
//!   workdir, sets the dotted key of a YAML file to the version — changing
//!   only the bytes of that value, so comments, order and quoting of the rest
//!   stay as they were — commits as `pavedroad <paved@localhost>` (unless
//!   `GIT_AUTHOR_*`/`GIT_COMMITTER_*` say otherwise) with the trailers
//!   `Paved-Deployment` and `Paved-Actor`, and pushes. When the branch moved
//!   meanwhile, it fetches, edits the new tip and pushes again, up to three
//!   more times. A value that already is the version makes no commit. Git
//!   uses the runner's own configuration and credential helpers.
//! - **http**: calls another CD system with the JSON body
//!   `{"service", "environment", "version", "sha", "deployment_id"}`, and
//!   `Authorization: Bearer $<secret_env>` when the step names a variable of
//!   the runner's environment. Any status but 2xx fails the step.
//!
//! Every step is bounded by its timeout as a whole. If the future of
//! [`run_step`] is dropped (the runner is cancelled), the processes it
//! started are killed.
//!
//! # The log
//!
//! Steps write [`LogLine`]s into a [`LogSender`]: the commands' own output
//! (stdout, stderr) and the runner's lines ([`LogStream::System`]): when a
//! step starts, what git command runs, each health poll, and how the step
//! ended (its error's sentence on failure). A closed receiver never fails a
//! step.
//!
//! # Secrets
//!
//! The value of `secret_env` is only ever sent as the `Authorization` header:
//! it appears in no log line and no error (an answer that echoes it has it
//! replaced by `***`). URLs are written with their password removed. The
//! runner's environment reaches `run` commands but is never logged.

mod error;
mod gitops;
mod http;
mod process;
mod run;
pub mod worker;
mod yaml_edit;

use std::path::PathBuf;
use std::time::Duration;

use paved_domain::{HealthCheck, Step, StepAction};
use serde::{Deserialize, Serialize};

pub use error::StepError;

/// What a step knows about the deploy it is part of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepContext {
    /// The Component's name (`PAVED_SERVICE`).
    pub service: String,
    /// The environment (`PAVED_ENVIRONMENT`), e.g. `production`.
    pub environment: String,
    /// The version deployed (`PAVED_VERSION`).
    pub version: String,
    /// The commit deployed, when known (`PAVED_SHA`, empty when not).
    pub sha: Option<String>,
    /// The deployment's id (`PAVED_DEPLOYMENT_ID`), e.g. `17`.
    pub deployment_id: String,
    /// The person who deployed, e.g. `user:default/ana.souza`, written as the
    /// gitops commit's `Paved-Actor` trailer.
    pub actor: Option<String>,
    /// Where `run` commands run and gitops clones: a fresh directory per
    /// deploy, made (and removed) by the caller.
    pub workdir: PathBuf,
}

impl StepContext {
    /// The variables a `run` command gets on top of the runner's environment.
    pub fn env(&self) -> [(&'static str, &str); 5] {
        [
            ("PAVED_SERVICE", &self.service),
            ("PAVED_ENVIRONMENT", &self.environment),
            ("PAVED_VERSION", &self.version),
            ("PAVED_SHA", self.sha.as_deref().unwrap_or("")),
            ("PAVED_DEPLOYMENT_ID", &self.deployment_id),
        ]
    }
}

/// Which stream a [`LogLine`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogStream {
    /// A command's standard output.
    Stdout,
    /// A command's standard error.
    Stderr,
    /// A line the runner itself wrote ("step `release` started", "health 200 (2/3)").
    System,
}

/// One line of a deploy's log, without its line break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Where it came from.
    pub stream: LogStream,
    /// The text; output that is not UTF-8 is decoded lossily, and a line
    /// longer than 16 KiB arrives in pieces.
    pub text: String,
}

/// Where steps write their log. Sending never blocks, and a send to a closed
/// receiver is ignored.
pub type LogSender = tokio::sync::mpsc::UnboundedSender<LogLine>;

/// Sends a line; a receiver that is gone does not fail the step.
pub(crate) fn send(log: &LogSender, stream: LogStream, text: impl Into<String>) {
    // The caller may have stopped listening (it was cancelled); the step's
    // result still matters, so the send error is dropped on purpose.
    let _ = log.send(LogLine { stream, text: text.into() });
}

/// Sends a line the runner itself writes.
pub(crate) fn system(log: &LogSender, text: impl Into<String>) {
    send(log, LogStream::System, text);
}

/// Runs one step of a deploy, within its timeout, writing its output and the
/// runner's own lines into `log` (see the crate's documentation for what each
/// kind of step does).
///
/// # Errors
/// A [`StepError`] whose sentence names the step and why it failed: a
/// non-zero exit, the timeout, a file or key the gitops step cannot find, a
/// missing secret variable, a non-2xx answer.
pub async fn run_step(step: &Step, ctx: &StepContext, log: &LogSender) -> Result<(), StepError> {
    let started = std::time::Instant::now();
    tracing::debug!(step = %step.name, deployment_id = %ctx.deployment_id, "deploy step started");
    let result = match &step.action {
        StepAction::Run { command } => {
            system(log, format!("step `{}` started: run `{}`", step.name, first_line(command)));
            run::run(step, command, ctx, log).await
        }
        StepAction::Gitops { repo, branch, file, key } => {
            let target = gitops::Target { repo, branch, file, key };
            system(
                log,
                format!(
                    "step `{}` started: set `{key}` to `{}` in {file} on branch `{branch}` of {}",
                    step.name,
                    ctx.version,
                    http::redact_url(repo)
                ),
            );
            gitops::gitops(step, &target, ctx, log).await
        }
        StepAction::Http { url, method, secret_env } => {
            system(log, format!("step `{}` started: {method} {}", step.name, http::redact_url(url)));
            http::call(step, &http::Call { url, method, secret_env: secret_env.as_deref() }, ctx, log).await
        }
    };
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match &result {
        Ok(()) => system(log, format!("step `{}` succeeded", step.name)),
        Err(error) => system(log, error.to_string()),
    }
    tracing::debug!(step = %step.name, deployment_id = %ctx.deployment_id, ok = result.is_ok(), duration_ms, "deploy step finished");
    result
}

/// Polls the health check's URL every `interval` until `consecutive` answers
/// in a row have the expected status, logging each poll briefly.
///
/// # Errors
/// [`StepError::Unhealthy`] when its `timeout` passes first, naming the last
/// answer (or why there was none) and how many healthy answers were in a row.
pub async fn check_health(health: &HealthCheck, log: &LogSender) -> Result<(), StepError> {
    http::check_health(health, log).await
}

/// The first line of a command, with `…` when there are more: log lines are
/// one line each.
fn first_line(command: &str) -> String {
    let command = command.trim();
    match command.split_once('\n') {
        Some((first, _)) => format!("{} …", first.trim_end()),
        None => command.to_owned(),
    }
}

/// A span as DeployTargets write them: `500ms`, `90s`, `10m`, `1h`.
pub(crate) fn span(duration: Duration) -> String {
    let millis = duration.as_millis();
    if !millis.is_multiple_of(1000) {
        return format!("{millis}ms");
    }
    let seconds = duration.as_secs();
    if seconds != 0 && seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if seconds != 0 && seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

/// The instant `timeout` from now (far in the future when that overflows).
pub(crate) fn deadline_after(timeout: Duration) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    now.checked_add(timeout).unwrap_or_else(|| now + Duration::from_secs(60 * 60 * 24 * 365))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_written_as_targets_write_them() {
        assert_eq!(span(Duration::from_secs(600)), "10m");
        assert_eq!(span(Duration::from_secs(90)), "90s");
        assert_eq!(span(Duration::from_secs(7200)), "2h");
        assert_eq!(span(Duration::from_millis(1500)), "1500ms");
        assert_eq!(span(Duration::from_secs(1)), "1s");
    }

    #[test]
    fn log_streams_serialize_in_lowercase() {
        let line = LogLine { stream: LogStream::Stderr, text: "x".into() };
        assert_eq!(serde_json::to_string(&line).ok().as_deref(), Some(r#"{"stream":"stderr","text":"x"}"#));
        assert_eq!(serde_json::to_string(&LogStream::System).ok().as_deref(), Some(r#""system""#));
    }

    #[test]
    fn a_closed_log_does_not_panic() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        drop(rx);
        system(&tx, "nobody listens");
    }
}
