//! What the demo offers for self-service provisioning: the Modules a
//! platform team would declare, each on something real on this machine —
//! a `postgres-database` and a `redis-namespace` on the PostgreSQL and
//! Redis servers the demo found answering (none is offered without its
//! server), and a Terraform `object-bucket` whose calls are committed to
//! the team's infrastructure repository, a bare git repository of the
//! demo's own (`DIR/infra/<team>-infra.git`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// The server names the demo's Modules run on
/// (`[provision.servers.<name>]`).
pub const POSTGRES_SERVER: &str = "demo-postgres";
/// See [`POSTGRES_SERVER`].
pub const REDIS_SERVER: &str = "demo-redis";

/// Which servers answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct Servers {
    /// A PostgreSQL server is configured as [`POSTGRES_SERVER`].
    pub postgres: bool,
    /// A Redis server is configured as [`REDIS_SERVER`].
    pub redis: bool,
}

const POSTGRES: &str = "apiVersion: paved.dev/v1alpha1
kind: Module
metadata:
  name: postgres-database
  description: A PostgreSQL database and a role that owns it, on the platform's server.
spec:
  owner: PLATFORM
  type: database
  driver: postgres
  server: demo-postgres
  parameters:
    type: object
    additionalProperties: false
    properties:
      class: { type: string, enum: [small, large], default: small, description: The size class. }
  limits: { per_team: 3, classes: [small] }
";

const REDIS: &str = "apiVersion: paved.dev/v1alpha1
kind: Module
metadata:
  name: redis-namespace
  description: A Redis user that reaches only the service's keys.
spec:
  owner: PLATFORM
  type: cache
  driver: redis
  server: demo-redis
  limits: { per_team: 5 }
";

const TERRAFORM: &str = "apiVersion: paved.dev/v1alpha1
kind: Module
metadata:
  name: object-bucket
  description: An object storage bucket, called from the platform's Terraform modules.
spec:
  owner: PLATFORM
  type: object-storage
  driver: terraform
  parameters:
    type: object
    additionalProperties: false
    properties:
      region: { type: string, enum: [eu-west-1, us-east-1], default: eu-west-1 }
      retention_days: { type: integer, minimum: 1, maximum: 365, default: 30 }
  limits: { per_team: 10 }
  terraform:
    source: git::https://git.acme.example/platform/terraform-modules.git//object-bucket
    version: v1.2.0
    repository: INFRA/{team}-infra.git
    path: stacks/production
";

/// Writes `catalog/modules.yaml` with the Modules the demo offers, owned
/// by `platform`, and the infrastructure repository of `team`. The
/// repository's path.
///
/// # Errors
/// A file that cannot be written, or git failing.
pub fn write(
    catalog: &Path,
    directory: &Path,
    platform: &str,
    team: &str,
    servers: Servers,
) -> anyhow::Result<PathBuf> {
    let infra = directory.join("infra");
    std::fs::create_dir_all(&infra).with_context(|| format!("creating {}", infra.display()))?;
    let infra = std::path::absolute(&infra)?;
    let repository = infra.join(format!("{team}-infra.git"));
    if !repository.exists() {
        infrastructure_repository(&repository, team)?;
    }
    let mut modules = vec![TERRAFORM.replace("INFRA", &infra.display().to_string())];
    if servers.postgres {
        modules.push(POSTGRES.to_owned());
    }
    if servers.redis {
        modules.push(REDIS.to_owned());
    }
    let text = modules.join("---\n").replace("PLATFORM", platform);
    let file = catalog.join("modules.yaml");
    std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
    Ok(repository)
}

/// A bare repository with one commit on `main` (a README), made with git's
/// plumbing so that no work tree is needed.
fn infrastructure_repository(path: &Path, team: &str) -> anyhow::Result<()> {
    let git = |args: &[&str], input: Option<&str>| -> anyhow::Result<String> {
        let mut command = Command::new("git");
        command
            .arg("--git-dir")
            .arg(path)
            .args(args)
            .env("GIT_AUTHOR_NAME", "platform")
            .env("GIT_AUTHOR_EMAIL", "platform@acme.example")
            .env("GIT_COMMITTER_NAME", "platform")
            .env("GIT_COMMITTER_EMAIL", "platform@acme.example")
            .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().context("starting git (the demo's Terraform module needs it)")?;
        if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(text.as_bytes())?;
        }
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!("git {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let init = Command::new("git")
        .args(["init", "--quiet", "--bare"])
        .arg(path)
        .status()
        .context("starting git (the demo's Terraform module needs it)")?;
    if !init.success() {
        bail!("git init --bare {} failed", path.display());
    }
    let readme = format!(
        "# {team} infrastructure\n\nTerraform the {team} team applies from its pipeline. pavedroad's self-service \
         requests arrive here as branches `paved/<resource>`.\n"
    );
    let blob = git(&["hash-object", "-w", "--stdin"], Some(&readme))?;
    let tree = git(&["mktree"], Some(&format!("100644 blob {blob}\tREADME.md\n")))?;
    let commit = git(&["commit-tree", &tree, "-m", "Start the infrastructure repository"], None)?;
    git(&["update-ref", "refs/heads/main", &commit], None)?;
    git(&["symbolic-ref", "HEAD", "refs/heads/main"], None)?;
    Ok(())
}
