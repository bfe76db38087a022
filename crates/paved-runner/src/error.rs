//! Why a step or the health check failed, as one sentence a person can act on.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::span;

/// Why a step or the health check failed. Its `Display` is one sentence that
/// names the step and the reason; details (a command's output, git's
/// messages) are in the deploy's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepError {
    /// A `run` command exited with a non-zero status.
    #[error("step `{step}` exited with status {status}")]
    Exited {
        /// The step's name.
        step: String,
        /// The exit status.
        status: i32,
    },
    /// A `run` command was killed by a signal the runner did not send.
    #[error("step `{step}` was killed by signal {signal}")]
    Killed {
        /// The step's name.
        step: String,
        /// The signal's number.
        signal: i32,
    },
    /// The step's timeout passed; what it had started was killed.
    #[error("step `{step}` timed out after {} and was killed", span(*.after))]
    TimedOut {
        /// The step's name.
        step: String,
        /// Its timeout.
        after: Duration,
    },
    /// The step could not start (no working directory, no `sh` or `git`).
    #[error("step `{step}` could not start: {reason}")]
    Start {
        /// The step's name.
        step: String,
        /// Why, and what to check.
        reason: String,
    },
    /// The step as written cannot run (an HTTP method that is not one, a
    /// gitops file outside the repository).
    #[error("step `{step}` cannot run as written: {problem}")]
    Invalid {
        /// The step's name.
        step: String,
        /// What is wrong with it and how to fix it.
        problem: String,
    },
    /// The gitops step cannot set the key in the file (no such file or key,
    /// not a single value, not YAML).
    #[error("step `{step}`: {problem}")]
    Gitops {
        /// The step's name.
        step: String,
        /// What is wrong, naming the file and the key.
        problem: String,
    },
    /// A git command of the gitops step failed.
    #[error("step `{step}` could not {doing}: `{command}` {outcome}; git's output is in the deploy's log")]
    Git {
        /// The step's name.
        step: String,
        /// What it was doing ("push to branch `main` of ...").
        doing: String,
        /// The command, e.g. `git push`.
        command: String,
        /// How it ended ("exited with status 128").
        outcome: String,
    },
    /// The gitops push was rejected every time because the branch kept moving.
    #[error(
        "step `{step}`: branch `{branch}` of {repo} moved under each of {attempts} pushes; deploy again once it is quiet"
    )]
    BranchKeptMoving {
        /// The step's name.
        step: String,
        /// The repository (password removed).
        repo: String,
        /// The branch.
        branch: String,
        /// How many pushes were tried.
        attempts: u32,
    },
    /// The http step names a `secret_env` that the runner's environment lacks.
    #[error(
        "step `{step}`: the environment variable `{variable}` named by secret_env is not set on this runner; set it where the runner runs"
    )]
    MissingSecret {
        /// The step's name.
        step: String,
        /// The variable's name (never its value).
        variable: String,
    },
    /// The http step's call answered with a status other than 2xx.
    #[error("step `{step}`: {method} {url} answered {status}: {body}")]
    HttpStatus {
        /// The step's name.
        step: String,
        /// The method.
        method: String,
        /// The URL (password removed).
        url: String,
        /// The status.
        status: u16,
        /// The first 200 characters of the answer's body.
        body: String,
    },
    /// The http step's call got no answer.
    #[error("step `{step}`: {method} {url} got no answer: {reason}")]
    HttpRequest {
        /// The step's name.
        step: String,
        /// The method.
        method: String,
        /// The URL (password removed).
        url: String,
        /// Why (connection refused, name not resolved, ...).
        reason: String,
    },
    /// The health check did not see enough healthy answers in a row in time.
    #[error(
        "health check: {last} from {url} (expected {expect}); {healthy} of {consecutive} healthy in a row when it timed out after {}",
        span(*.timeout)
    )]
    Unhealthy {
        /// The URL polled (password removed).
        url: String,
        /// The status that means healthy.
        expect: u16,
        /// The last answer: its status, or why there was none.
        last: String,
        /// Healthy answers in a row at the end.
        healthy: u32,
        /// How many were needed.
        consecutive: u32,
        /// The check's timeout.
        timeout: Duration,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_name_the_step_and_the_reason() {
        let exited = StepError::Exited { step: "release".into(), status: 3 };
        assert_eq!(exited.to_string(), "step `release` exited with status 3");
        let timed_out = StepError::TimedOut { step: "release".into(), after: Duration::from_secs(600) };
        assert_eq!(timed_out.to_string(), "step `release` timed out after 10m and was killed");
        let unhealthy = StepError::Unhealthy {
            url: "http://checkout/healthz".into(),
            expect: 200,
            last: "503".into(),
            healthy: 0,
            consecutive: 3,
            timeout: Duration::from_secs(120),
        };
        assert_eq!(
            unhealthy.to_string(),
            "health check: 503 from http://checkout/healthz (expected 200); 0 of 3 healthy in a row when it timed out after 2m"
        );
    }
}
