//! `paved new TEMPLATE --set name=... --set owner=...`: start a service on
//! a golden path (a `kind: Template` of the catalog).

use std::process::ExitCode;

use clap::Args;
use paved_app::Caller;
use paved_app::scaffold::{NewService, Scaffolded};
use serde::Serialize;

use super::oncall::{Where, open};
use super::provision::parse_set;
use crate::config::Config;
use crate::exit::BadInput;
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
/// Examples:
///   paved new python-service --set name=ledger --set owner=payments --dry-run
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
    output: OutputArgs,
}

/// One file of the answer.
#[derive(Serialize)]
struct FileView<'a> {
    path: &'a str,
    bytes: usize,
    executable: bool,
    /// Its text, when it is UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

/// The answer of `--format json`.
#[derive(Serialize)]
struct RunView<'a> {
    /// The stored run (`GET /api/v1/templates/runs/{id}`); none when dry.
    run: Option<i64>,
    template: String,
    version: Option<&'a str>,
    parameters: &'a serde_json::Value,
    dry_run: bool,
    log: &'a [String],
    files: Vec<FileView<'a>>,
    links: Vec<serde_json::Value>,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let set = parse_set(&cmd.set)?;
    let request = NewService { template: cmd.template, set, dry_run: cmd.dry_run };
    let run = match open(&config).await? {
        Where::Local(app) => app.scaffold(&Caller::Local, &request).await?,
        Where::Server { .. } => {
            return Err(BadInput(
                "paved new runs on the server's own database for now: run it where `paved serve` keeps its data \
                 (without --server)"
                    .to_owned(),
            )
            .into());
        }
    };
    if cmd.output.format == Format::Json {
        print_json(&view(&run))?;
        return Ok(ExitCode::SUCCESS);
    }
    print_text(&run)?;
    Ok(ExitCode::SUCCESS)
}

fn view(run: &Scaffolded) -> RunView<'_> {
    RunView {
        run: run.run,
        template: run.template.to_string(),
        version: run.version.as_deref(),
        parameters: &run.parameters,
        dry_run: run.dry_run,
        log: &run.log,
        files: run
            .files
            .iter()
            .map(|(path, file)| FileView {
                path,
                bytes: file.bytes.len(),
                executable: file.executable,
                text: std::str::from_utf8(&file.bytes).ok(),
            })
            .collect(),
        links: run.links.iter().map(|(title, url)| serde_json::json!({ "title": title, "url": url })).collect(),
    }
}

fn print_text(run: &Scaffolded) -> anyhow::Result<()> {
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
    for (path, file) in &run.files {
        let mode = if file.executable { " (executable)" } else { "" };
        outln!("  + {path}{mode}, {} bytes", file.bytes.len());
    }
    if run.dry_run {
        for (path, file) in &run.files {
            match std::str::from_utf8(&file.bytes) {
                Ok(text) => {
                    outln!("\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@", text.lines().count());
                    for line in text.lines() {
                        outln!("+{line}");
                    }
                }
                Err(_) => outln!("\nBinary file b/{path} added"),
            }
        }
    }
    if !run.links.is_empty() {
        outln!();
        for (title, url) in &run.links {
            outln!("{title}: {url}");
        }
    }
    Ok(())
}
