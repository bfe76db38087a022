//! `paved new TEMPLATE --set name=... --set owner=...`: start a service on
//! a golden path (a `kind: Template` of the catalog).

use std::process::ExitCode;

use clap::Args;
use paved_app::Caller;
use paved_app::scaffold::NewService;
use paved_server::api::templates::{RunBody, RunView};

use super::client::Target;
use super::oncall::{Where, call, encode, open, token_for_writes};
use super::provision::parse_set;
use crate::config::{Config, FlagOverrides};
use crate::output::{Format, OutputArgs, outln, print_json};

/// Start a service on a golden path: a repository that from its first
/// commit has an owner, a pipeline that deploys through pavedroad, alert
/// rules with runbooks, a dashboard, a runbook and its on-call wiring.
///
/// `paved new TEMPLATE` runs a Template of the catalog (Backstage's
/// format, `kind: Template`; `GET /api/v1/entities?kind=template` lists
/// them) with the parameters its form asks for, given as `--set
/// KEY=VALUE`; a missing or wrong one is named. Only members of the
/// chosen `owner` team (and admins) may create a service for it.
/// `--dry-run` renders every file and prints the tree and the diff it
/// would write, and says what the other steps would do: it writes nothing.
/// Exit 2 for a refusal or a wrong value.
///
/// With `--server URL` (and `--token`, a personal token of yours) the run
/// is the server's: it is done as you, with the server's configuration.
///
/// Examples:
///   paved new python-service --set name=ledger --set owner=payments --dry-run
///   paved new python-service --set name=ledger --set owner=payments --server https://paved.example.com
///   paved new python-service --set name=ledger --set owner=payments --format json --dry-run
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct Cmd {
    /// The Template (`python-service`).
    template: String,
    /// A parameter of the Template's form, `KEY=VALUE` (repeatable); a
    /// value that is JSON (`8080`, `true`) is read as JSON.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Render and print what would be written; change nothing.
    #[arg(long)]
    dry_run: bool,
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
    let set = parse_set(&cmd.set)?;
    let run: RunView = match open(&config).await? {
        Where::Local(app) => {
            let request = NewService { template: cmd.template, set, dry_run: cmd.dry_run };
            app.scaffold(&Caller::Local, &request).await?.into()
        }
        Where::Server { base, token } => {
            let token = if cmd.dry_run { token.as_str() } else { token_for_writes(&base, &token)? };
            let parameters: serde_json::Map<String, serde_json::Value> = set
                .into_iter()
                // As `--set` reads a value locally: JSON when it is JSON.
                .map(|(k, v)| (k, serde_json::from_str(&v).unwrap_or(serde_json::Value::String(v))))
                .collect();
            let body = RunBody { parameters, dry_run: cmd.dry_run };
            let path = format!("/api/v1/templates/{}/runs", encode(&cmd.template));
            call(&base, token, reqwest::Method::POST, &path, Some(serde_json::to_value(body)?)).await?
        }
    };
    if cmd.output.format == Format::Json {
        print_json(&run)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_text(&run)?;
    Ok(ExitCode::SUCCESS)
}

fn print_text(run: &RunView) -> anyhow::Result<()> {
    let version = run.version.as_deref().map(|v| format!(" version {v}")).unwrap_or_default();
    let done = match run.run {
        Some(id) => format!(" (run {id})"),
        None => " (dry run: nothing is written)".to_owned(),
    };
    outln!("{}{version}{done}", run.template);
    for line in &run.log {
        outln!("  {line}");
    }
    outln!("\nFiles of the new repository ({}):", run.files.len());
    for file in &run.files {
        let mode = if file.executable { " (executable)" } else { "" };
        outln!("  + {}{mode}, {} bytes", file.path, file.bytes);
    }
    if run.dry_run {
        for file in &run.files {
            let path = &file.path;
            match &file.text {
                Some(text) => {
                    outln!("\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@", text.lines().count());
                    for line in text.lines() {
                        outln!("+{line}");
                    }
                }
                None => outln!("\nBinary file b/{path} added"),
            }
        }
    }
    if !run.links.is_empty() {
        outln!();
        for link in &run.links {
            outln!("{}: {}", link.title, link.url);
        }
    }
    Ok(())
}
