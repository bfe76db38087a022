//! `paved report`.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, ValueEnum};
use paved_app::metrics::culture_report;
use paved_app::{ScopeRequest, render, wire};
use paved_metrics::{BenchmarkTable, Window};

use super::client::local_store;
use crate::config::Config;
use crate::exit::BadInput;
use crate::output::{out, outln};

/// Is DevOps a role or a culture here? The whole diagnosis.
///
/// From behaviour, not a survey: who deployed each service, who was on call
/// and acknowledged its incidents, who changed its pipelines and its
/// infrastructure — joined with who owns it in the catalog. Prints the
/// four-line test (each line's share, verdict culture / transition / role /
/// no_data, and its monthly series), the four dysfunctions of a "DevOps
/// team" (new silo, deployment bottleneck, responsibility diffusion,
/// knowledge hoarding) with their evidence and what to do, knowledge
/// concentration (bus factors, after-hours pages, code truck factors,
/// runbook coverage), the transition phase, and the DORA metrics.
///
/// Examples:
///   paved report
///   paved report --team checkout --format md > checkout.md
///   paved report --format html > report.html
///   paved report --service checkout-api --since 2026-06-01 --format json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
#[command(group(clap::ArgGroup::new("scope").args(["service", "team", "org"])))]
pub struct Cmd {
    /// One Component.
    #[arg(long)]
    service: Option<String>,
    /// A team (Group) and the teams below it.
    #[arg(long)]
    team: Option<String>,
    /// Every service (the default).
    #[arg(long)]
    org: bool,
    /// Start of the window: a date (UTC) or an RFC 3339 time; default 90
    /// days before --until.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// End of the window (exclusive); default now.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// The benchmark table of the DORA tiers.
    #[arg(long, default_value = "dora-2023", value_parser = ["dora-2023", "dora-2021"])]
    table: String,
    /// text for a terminal, md for a wiki, html for one self-contained file,
    /// json for scripts.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
}

/// How `paved report` prints.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    /// A terminal, within 100 columns.
    Text,
    /// Markdown.
    Md,
    /// One self-contained HTML file.
    Html,
    /// JSON with stable keys.
    Json,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let scope = match (&cmd.service, &cmd.team) {
        (Some(service), _) => ScopeRequest::Service(service.clone()),
        (None, Some(team)) => ScopeRequest::Team(team.clone()),
        (None, None) => ScopeRequest::Org,
    };
    let window = Window::parse(cmd.since.as_deref(), cmd.until.as_deref(), Utc::now()).map_err(BadInput)?;
    let table: BenchmarkTable = cmd.table.parse().map_err(BadInput)?;
    let (store, catalog) = local_store(&config).await?;
    let report = culture_report(&store, &catalog, &config.ingest_settings(), &scope, window, table).await?;
    match cmd.format {
        ReportFormat::Text => {
            let text = render::text_within(&report, terminal_width());
            if crate::colour::enabled() {
                out!("{}", crate::colour::report(&text, render::VERDICT_COLUMN));
            } else {
                out!("{text}");
            }
        }
        ReportFormat::Md => out!("{}", render::markdown(&report)),
        ReportFormat::Html => outln!("{}", render::html(&report)),
        ReportFormat::Json => outln!("{}", serde_json::to_string_pretty(&wire::CultureReport::from(&report))?),
    }
    Ok(ExitCode::SUCCESS)
}

/// The terminal's width when stdout is one (the text fits it, 60 to 100
/// columns); 100 when it is a file or a pipe.
fn terminal_width() -> usize {
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() {
        return 100;
    }
    // A terminal that reports no size (0 columns) gets the default.
    terminal_size::terminal_size().map(|(width, _)| usize::from(width.0)).filter(|w| *w > 0).unwrap_or(100)
}
