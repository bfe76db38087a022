//! The `run` step: a command line run by `sh -c` on the runner.

use std::os::unix::process::ExitStatusExt;

use paved_domain::Step;
use tokio::process::Command;

use crate::process::{self, Finished};
use crate::{LogSender, StepContext, StepError, deadline_after};

/// Runs `command` with `sh -c` in the deploy's workdir, with the deploy's
/// variables on top of the runner's environment.
pub(crate) async fn run(step: &Step, command: &str, ctx: &StepContext, log: &LogSender) -> Result<(), StepError> {
    let deadline = deadline_after(step.timeout);
    if !ctx.workdir.is_dir() {
        return Err(StepError::Start {
            step: step.name.clone(),
            reason: format!("its working directory {} is not a directory", ctx.workdir.display()),
        });
    }
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(command).current_dir(&ctx.workdir).envs(ctx.env());
    let finished = process::run(&mut sh, deadline, log).await.map_err(|error| StepError::Start {
        step: step.name.clone(),
        reason: format!("`sh` could not be started ({error}); is /bin/sh on the runner's PATH?"),
    })?;
    match finished {
        Finished::TimedOut => Err(StepError::TimedOut { step: step.name.clone(), after: step.timeout }),
        Finished::Exited(status) if status.success() => Ok(()),
        Finished::Exited(status) => match status.code() {
            Some(code) => Err(StepError::Exited { step: step.name.clone(), status: code }),
            None => Err(StepError::Killed { step: step.name.clone(), signal: status.signal().unwrap_or_default() }),
        },
    }
}
