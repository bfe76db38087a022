//! The `git` CLI as the application runs it (the Terraform driver, golden
//! paths' `publish:git`): with a deadline, never prompting, isolated from a
//! surrounding repository's environment, failing with the end of what git
//! said (passwords in URLs hidden). The CLI, so that the server's SSH keys
//! and credential helpers apply.

use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

/// How long one git command may take.
const GIT_TIMEOUT: Duration = Duration::from_secs(120);

/// Who a commit is authored by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Author {
    pub(crate) name: String,
    pub(crate) email: String,
}

/// Runs the `git` CLI with a deadline, failing with the end of what it
/// wrote to stderr.
pub(crate) struct Git<'a> {
    pub(crate) author: Option<&'a Author>,
}

impl Git<'_> {
    /// `git <args>` in `dir`: what it printed, or why it failed.
    pub(crate) async fn run(&self, dir: &Path, args: &[&str]) -> Result<String, String> {
        let output = self.output(dir, args).await?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        Err(failed(args, &output))
    }

    /// `git merge-file -p ours base theirs` in `dir`: the merge, and
    /// whether it is clean (no conflict markers).
    pub(crate) async fn merge_file(
        &self,
        dir: &Path,
        ours: &str,
        base: &str,
        theirs: &str,
    ) -> Result<(Vec<u8>, bool), String> {
        let args =
            ["merge-file", "-p", "-L", "the team's", "-L", "as made", "-L", "the template's", ours, base, theirs];
        let output = self.output(dir, &args).await?;
        // Its exit code counts the conflicts; a negative one is an error.
        match output.status.code() {
            Some(0) => Ok((output.stdout, true)),
            Some(code) if code > 0 && code < 128 => Ok((output.stdout, false)),
            _ => Err(failed(&args, &output)),
        }
    }

    async fn output(&self, dir: &Path, args: &[&str]) -> Result<std::process::Output, String> {
        let mut git = Command::new("git");
        git.args(["-c", "user.name=pavedroad", "-c", "user.email=paved@localhost", "-c", "gc.auto=0"])
            .args(["-c", "maintenance.auto=false", "-c", "advice.detachedHead=false", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .kill_on_drop(true);
        for variable in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"] {
            git.env_remove(variable);
        }
        if let Some(author) = self.author {
            git.env("GIT_AUTHOR_NAME", &author.name).env("GIT_AUTHOR_EMAIL", &author.email);
        }
        let doing = format!("git {}", args.first().copied().unwrap_or_default());
        tokio::time::timeout(GIT_TIMEOUT, git.output())
            .await
            .map_err(|_| format!("{doing} took more than {} s", GIT_TIMEOUT.as_secs()))?
            .map_err(|e| format!("{doing} could not start ({e}); is git installed where pavedroad runs?"))
    }
}

/// Why `git <args>` failed: its status and the end of what it said.
fn failed(args: &[&str], output: &std::process::Output) -> String {
    let doing = format!("git {}", args.first().copied().unwrap_or_default());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).rev().take(3).collect();
    let said: Vec<String> = last.into_iter().rev().map(redact).collect();
    format!("{doing} failed ({}): {}", output.status, said.join(" / "))
}

/// `repository` without a password, as it may be shown.
pub(crate) fn redact(repository: &str) -> String {
    match url::Url::parse(repository) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => repository.to_owned(),
    }
}

/// `text` with control characters as spaces, so that it adds no line to a
/// commit message or comment.
pub(crate) fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
