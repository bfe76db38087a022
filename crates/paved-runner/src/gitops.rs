//! The `gitops` step: write the version into a YAML file of a git
//! repository, commit and push, with the `git` CLI (so that the runner's
//! credential helpers, SSH keys and configuration apply).

use std::path::{Component, Path, PathBuf};
use std::process::ExitStatus;

use paved_domain::Step;
use tokio::process::Command;
use tokio::time::Instant;

use crate::http::redact_url;
use crate::process::{self, Finished, describe};
use crate::yaml_edit::{Edit, set_value};
use crate::{LogSender, StepContext, StepError, deadline_after, system};

/// How many times a push rejected because the branch moved is tried again.
const PUSH_RETRIES: u32 = 3;

/// Where the gitops step writes.
pub(crate) struct Target<'a> {
    /// The repository (a path or a URL git understands).
    pub repo: &'a str,
    /// The branch.
    pub branch: &'a str,
    /// The YAML file, relative to the repository's root.
    pub file: &'a str,
    /// The dotted key.
    pub key: &'a str,
}

/// Clones, edits, commits and pushes; after a push rejected because the
/// branch moved, does it all again on the new tip.
pub(crate) async fn gitops(
    step: &Step,
    target: &Target<'_>,
    ctx: &StepContext,
    log: &LogSender,
) -> Result<(), StepError> {
    let git = Git { step: &step.name, timeout: step.timeout, deadline: deadline_after(step.timeout), log };
    let repo = redact_url(target.repo);
    let file = relative_path(target.file).ok_or_else(|| StepError::Invalid {
        step: step.name.clone(),
        problem: format!(
            "gitops file `{}` is not a path inside the repository; write it like `deploy/values.yaml`",
            target.file
        ),
    })?;
    let scratch =
        tempfile::Builder::new().prefix("gitops-").tempdir_in(&ctx.workdir).map_err(|error| StepError::Start {
            step: step.name.clone(),
            reason: format!("no directory for the clone could be made in {} ({error})", ctx.workdir.display()),
        })?;
    let checkout = scratch.path().join("repo");
    let on_branch = format!("branch `{}` of {repo}", target.branch);
    git.ok(
        scratch.path(),
        &["clone", "--single-branch", &format!("--branch={}", target.branch), "--", target.repo, "repo"],
        &format!("clone {on_branch}"),
    )
    .await?;

    let subject = one_line(&format!("Deploy {} {} to {}", ctx.service, ctx.version, ctx.environment));
    let mut trailers = format!("Paved-Deployment: {}", one_line(&ctx.deployment_id));
    if let Some(actor) = &ctx.actor {
        trailers.push_str(&format!("\nPaved-Actor: {}", one_line(actor)));
    }
    let attempts = 1 + PUSH_RETRIES;
    for attempt in 1..=attempts {
        let problem = |problem: String| StepError::Gitops {
            step: step.name.clone(),
            problem: format!("cannot set `{}` in {} on {on_branch}: {problem}", target.key, target.file),
        };
        let (path, inside) = checked_file(&checkout, &file).await.map_err(problem)?;
        let text = tokio::fs::read(&path).await.map_err(|error| problem(format!("it cannot be read ({error})")))?;
        let text = String::from_utf8(text).map_err(|_| problem("it is not UTF-8 text".to_owned()))?;
        match set_value(&text, target.key, &ctx.version).map_err(|error| problem(error.to_string()))? {
            Edit::Unchanged => {
                system(
                    log,
                    format!("`{}` in {} already is `{}`: nothing to commit", target.key, target.file, ctx.version),
                );
                return Ok(());
            }
            Edit::Changed(edited) => tokio::fs::write(&path, edited)
                .await
                .map_err(|error| problem(format!("it cannot be written ({error})")))?,
        }
        git.ok(&checkout, &["add", "--", &inside.to_string_lossy()], "stage the change").await?;
        git.ok(&checkout, &["commit", "-m", &subject, "-m", &trailers], "commit the change").await?;
        let push = git.status(&checkout, &["push", "origin", &format!("HEAD:refs/heads/{}", target.branch)]).await?;
        if push.success() {
            system(log, format!("pushed `{}` to {on_branch}", ctx.version));
            return Ok(());
        }
        // Why did it fail? If the branch moved since the clone, edit its new
        // tip; otherwise (no permission, a hook said no) give up.
        git.ok(
            &checkout,
            &["fetch", "origin", &format!("refs/heads/{}", target.branch)],
            &format!("fetch {on_branch}"),
        )
        .await?;
        let moved = git.status(&checkout, &["merge-base", "--is-ancestor", "FETCH_HEAD", "HEAD"]).await?;
        match moved.code() {
            Some(1) => {}
            Some(0) => {
                return Err(StepError::Git {
                    step: step.name.clone(),
                    doing: format!("push to {on_branch}"),
                    command: "git push".to_owned(),
                    outcome: describe(push),
                });
            }
            _ => {
                return Err(StepError::Git {
                    step: step.name.clone(),
                    doing: format!("tell whether {on_branch} moved"),
                    command: "git merge-base".to_owned(),
                    outcome: describe(moved),
                });
            }
        }
        if attempt < attempts {
            system(
                log,
                format!(
                    "{on_branch} moved since it was cloned; setting `{}` again on its new tip (retry {attempt} of {PUSH_RETRIES})",
                    target.key
                ),
            );
            git.ok(&checkout, &["reset", "--hard", "FETCH_HEAD"], "start again from the branch's new tip").await?;
        }
    }
    Err(StepError::BranchKeptMoving { step: step.name.clone(), repo, branch: target.branch.to_owned(), attempts })
}

/// `file` as a relative path without `..`, outside git's own directory, or
/// `None`.
fn relative_path(file: &str) -> Option<PathBuf> {
    let path = Path::new(file);
    let plain = path.components().all(|part| matches!(part, Component::Normal(_) | Component::CurDir));
    let mut names = path.components().filter(|part| matches!(part, Component::Normal(_)));
    let first = names.next()?;
    (plain && first.as_os_str() != ".git").then(|| path.to_owned())
}

/// The file in the checkout, which must exist and not lead outside it: its
/// real path, and that path relative to the checkout (what `git add` takes).
async fn checked_file(checkout: &Path, file: &Path) -> Result<(PathBuf, PathBuf), String> {
    let path = checkout.join(file);
    let (real, root) = match (tokio::fs::canonicalize(&path).await, tokio::fs::canonicalize(checkout).await) {
        (Ok(real), Ok(root)) => (real, root),
        (Err(error), _) | (_, Err(error)) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err("the file is not there; the runner changes an existing file, it creates none".to_owned());
        }
        (Err(error), _) | (_, Err(error)) => return Err(format!("it cannot be read ({error})")),
    };
    if !real.starts_with(&root) {
        return Err("it is a link that leads outside the repository".to_owned());
    }
    if !real.is_file() {
        return Err("it is not a file".to_owned());
    }
    // A link inside the repository: the file it leads to is the one changed.
    let inside = real.strip_prefix(&root).map(Path::to_owned).unwrap_or_default();
    if inside.starts_with(".git") {
        return Err("it is a link into git's own directory".to_owned());
    }
    Ok((real, inside))
}

/// `text` with line breaks and other control characters replaced by spaces,
/// so that a value cannot add lines (or trailers) to the commit message.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Runs git commands for one step, within the step's deadline.
struct Git<'a> {
    step: &'a str,
    timeout: std::time::Duration,
    deadline: Instant,
    log: &'a LogSender,
}

impl Git<'_> {
    /// Runs `git <args>` in `dir`, its output into the log.
    async fn status(&self, dir: &Path, args: &[&str]) -> Result<ExitStatus, StepError> {
        let shown: Vec<String> = args.iter().map(|arg| redact_url(arg)).collect();
        system(self.log, format!("git {}", shown.join(" ")));
        let mut git = Command::new("git");
        // The runner's identity unless GIT_AUTHOR_*/GIT_COMMITTER_* say
        // otherwise (the environment wins over `-c`).
        // A clone thrown away after the step needs no housekeeping.
        git.args(["-c", "user.name=pavedroad", "-c", "user.email=paved@localhost", "-c", "gc.auto=0"])
            .args(["-c", "maintenance.auto=false", "-c", "advice.detachedHead=false"])
            .args(args)
            .current_dir(dir)
            // A credential prompt would wait for the timeout: fail instead.
            .env("GIT_TERMINAL_PROMPT", "0");
        // A runner started from inside a git hook or worktree must not point
        // these commands at that repository instead of the clone.
        for variable in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"] {
            git.env_remove(variable);
        }
        match process::run(&mut git, self.deadline, self.log).await {
            Ok(Finished::Exited(status)) => Ok(status),
            Ok(Finished::TimedOut) => Err(StepError::TimedOut { step: self.step.to_owned(), after: self.timeout }),
            Err(error) => Err(StepError::Start {
                step: self.step.to_owned(),
                reason: format!("`git` could not be started ({error}); is git installed on the runner?"),
            }),
        }
    }

    /// Runs `git <args>` in `dir`; failing says it could not do `doing`.
    async fn ok(&self, dir: &Path, args: &[&str], doing: &str) -> Result<(), StepError> {
        let status = self.status(dir, args).await?;
        if status.success() {
            return Ok(());
        }
        Err(StepError::Git {
            step: self.step.to_owned(),
            doing: doing.to_owned(),
            command: format!("git {}", args.first().copied().unwrap_or_default()),
            outcome: describe(status),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_must_stay_inside_the_repository() {
        assert_eq!(relative_path("deploy/values.yaml"), Some(PathBuf::from("deploy/values.yaml")));
        assert_eq!(relative_path("./values.yaml"), Some(PathBuf::from("./values.yaml")));
        assert_eq!(relative_path("../values.yaml"), None);
        assert_eq!(relative_path("/etc/passwd"), None);
        assert_eq!(relative_path(""), None);
        assert_eq!(relative_path("."), None);
        assert_eq!(relative_path(".git/config"), None);
        assert_eq!(relative_path("./.git/config"), None);
    }

    #[test]
    fn values_cannot_add_lines_to_the_commit_message() {
        assert_eq!(one_line("ana\nPaved-Actor: mallory"), "ana Paved-Actor: mallory");
    }
}
