//! `paved drift [--service S | --team T] [--update S]`: which services made
//! from a golden path have left it, and the way back.

use std::process::ExitCode;

use clap::Args;
use paved_app::Caller;
use paved_app::scaffold::drift::{DriftScope, DriftUpdate, FileDrift, ServiceDrift};

use super::client::Target;
use super::oncall::{Where, call, call_list, encode, open, token_for_writes};
use crate::config::{Config, FlagOverrides};
use crate::output::{Format, OutputArgs, outln, print_json};

/// Which services made by `paved new` have left their golden path, and
/// the way back.
///
/// Each service's Template is rendered again at its current version with
/// the values the service was made with, and each file is compared with
/// the service's repository (its default branch) and with what the
/// service's own template version rendered: identical, changed by the
/// team, template moved on, changed by both, missing, or new in the
/// template. The score is the share of the template's files that are
/// identical; a service is behind when the template has something it has
/// not taken. What is found is kept: the services and team pages show it.
///
/// `--update SERVICE` is the day-2 update: the template's newer files are
/// committed on a branch `paved/<template>-v<version>` of the service's
/// repository, authored by you, for the team to review and merge. A file
/// the team changed and the template changed too is merged three ways
/// (`git merge-file`): the team's lines are kept; where the two conflict,
/// the file is left as the team has it and listed. Only the service's
/// people may ask.
///
/// With `--server URL`, the server's drift as it last found it (it checks
/// every hour and after each `paved new`), and the update done there as
/// the person of `--token`.
///
/// Examples:
///   paved drift
///   paved drift --team payments --format json
///   paved drift --update ledger
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct Cmd {
    /// Only this service (`ledger`).
    #[arg(long, conflicts_with_all = ["team", "update"])]
    service: Option<String>,
    /// Only this team's services (`payments`).
    #[arg(long, conflicts_with = "update")]
    team: Option<String>,
    /// Offer this service the template's newer files on a branch.
    #[arg(long, value_name = "SERVICE")]
    update: Option<String>,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

impl Cmd {
    /// These flags on top of the global ones.
    pub fn overrides(&self, flags: FlagOverrides) -> FlagOverrides {
        self.target.overrides(flags)
    }
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let place = open(&config).await?;
    if let Some(service) = &cmd.update {
        let update: DriftUpdate = match place {
            Where::Local(app) => app.drift_update(&Caller::Local, service).await?,
            Where::Server { base, token } => {
                let token = token_for_writes(&base, &token)?;
                let path = format!("/api/v1/drift/{}/update", encode(service));
                call(&base, token, reqwest::Method::POST, &path, None).await?
            }
        };
        if cmd.output.format == Format::Json {
            print_json(&update)?;
        } else {
            print_update(&update)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let found: Vec<ServiceDrift> = match place {
        Where::Local(app) => app.drift(&DriftScope { service: cmd.service, team: cmd.team }).await?,
        // The server's kept drift: it checks every hour and after each run.
        Where::Server { base, token } => {
            let query: Vec<String> = [("service", &cmd.service), ("team", &cmd.team)]
                .into_iter()
                .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key}={}", encode(v))))
                .collect();
            let path = format!("/api/v1/drift?{}", query.join("&"));
            call_list(&base, &token, &path).await?
        }
    };
    if cmd.output.format == Format::Json {
        print_json(&found)?;
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        outln!("No service here was made from a golden path yet: `paved new TEMPLATE` makes one.");
    }
    for service in &found {
        print_service(service)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_service(drift: &ServiceDrift) -> anyhow::Result<()> {
    let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "unversioned".to_owned());
    outln!(
        "{} ({}): {} version {}{}",
        drift.service.name(),
        drift.team.name(),
        drift.template.name(),
        version(&drift.version),
        if drift.version == drift.current_version {
            String::new()
        } else {
            format!(", the template is at version {}", version(&drift.current_version))
        }
    );
    if let Some(problem) = &drift.problem {
        outln!("  not compared: {problem}");
        return Ok(());
    }
    outln!(
        "  {} of {} template files in line ({:.0} %){}",
        drift.in_line,
        drift.managed,
        drift.score() * 100.0,
        if drift.behind {
            format!("; behind: `paved drift --update {}` offers the way back", drift.service.name())
        } else {
            String::new()
        }
    );
    for file in drift.files.iter().filter(|f| f.state != FileDrift::Identical) {
        outln!("  {:<22} {}", file.state.label(), file.path);
    }
    Ok(())
}

fn print_update(update: &DriftUpdate) -> anyhow::Result<()> {
    let list = |paths: &[String]| if paths.is_empty() { "none".to_owned() } else { paths.join(", ") };
    outln!(
        "{}: pushed {} to {} ({}), version {} to {}",
        update.service.name(),
        update.branch,
        update.repository,
        update.commit,
        update.from_version.as_deref().unwrap_or("unversioned"),
        update.to_version.as_deref().unwrap_or("unversioned")
    );
    outln!("  taken from the template: {}", list(&update.updated));
    outln!("  merged three ways, the team's changes kept: {}", list(&update.merged));
    if !update.conflicts.is_empty() {
        outln!("  conflicting, left as the team has them: {}", list(&update.conflicts));
    }
    outln!("Review and merge {} for the service to take the update.", update.branch);
    Ok(())
}
