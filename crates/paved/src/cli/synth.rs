//! `paved synth`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use paved_demo::synth::{self, SynthOptions, SynthSummary};
use paved_store::DatabaseLocation;

use crate::config::{Config, DEFAULT_DATABASE};
use crate::exit::BadInput;
use crate::output::outln;
use crate::output::{Format, OutputArgs, print_json};

/// Marks a directory `paved synth` wrote, so that it may write it again.
const MARKER: &str = ".paved-synth";
/// What `paved synth` writes in its directory.
const GENERATED: [&str; 5] = ["catalog", "paved.db", "paved.db-wal", "paved.db-shm", "synth.json"];

/// Generate a large synthetic organisation, for benchmarks and load tests.
///
/// The demo's organisation (teams, people, services, repositories,
/// on-call schedules) copied and grown to the size asked, with years of
/// history: commits stored as `paved import git` stores them (no git
/// objects are written), deployments and incidents recorded through the
/// API's own code, in large transactions. The defaults are the performance
/// budget's organisation (1,000 services, 5,000 people, 10 million
/// commits, 1 million deployments, 100,000 incidents over two years):
/// expect tens of minutes and several GiB. Services come in copies of 15.
///
/// The catalog goes to DIR/catalog, the data to DIR/paved.db (or to
/// --database-url when it is given: an empty database), and what was
/// generated to DIR/synth.json.
///
/// Examples:
///   paved synth --out /tmp/org --services 30 --people 100 --commits 20000 \
///     --deployments 2000 --incidents 200
///   paved synth --out /tmp/org && paved --database-url /tmp/org/paved.db report
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct Cmd {
    /// Where to write: a new or empty directory, or one `paved synth` wrote
    /// before (its files are replaced).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The seed: the same seed and sizes give the same organisation.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Services (rounded up to a multiple of 15).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    services: u64,
    /// People (at least the 25 each copy of 15 services brings).
    #[arg(long, default_value_t = 5_000)]
    people: u64,
    /// Commits in all repositories.
    #[arg(long, default_value_t = 10_000_000)]
    commits: u64,
    /// Deployments (90% to production).
    #[arg(long, default_value_t = 1_000_000)]
    deployments: u64,
    /// Incidents.
    #[arg(long, default_value_t = 100_000)]
    incidents: u64,
    /// Months of history before --end.
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=240))]
    months: u32,
    /// The end of the data (exclusive), a date; default today.
    #[arg(long, value_name = "DATE")]
    end: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(serde::Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    summary: &'a SynthSummary,
    directory: String,
    database: String,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let end = match cmd.end.as_deref() {
        Some(text) => super::demo::parse_end(text)?,
        None => super::demo::today(),
    };
    super::demo::prepare_out(&cmd.out, "paved synth", MARKER, &GENERATED)?;
    std::fs::write(cmd.out.join(MARKER), "Written by `paved synth`; `paved synth --out` may replace this directory.\n")
        .with_context(|| format!("writing {}", cmd.out.join(MARKER).display()))?;
    let location = if config.database_url == DEFAULT_DATABASE {
        DatabaseLocation::Sqlite(cmd.out.join("paved.db"))
    } else {
        DatabaseLocation::parse(&config.database_url)?
    };
    let store = paved_store::connect(&location).await.with_context(|| format!("opening {location}"))?;
    if !store.event_counts().await?.is_empty() {
        return Err(BadInput(format!(
            "{location} already holds events; give `paved synth` an empty database, so that nothing is mixed"
        ))
        .into());
    }
    let options = SynthOptions {
        seed: cmd.seed,
        end,
        months: cmd.months,
        services: usize::try_from(cmd.services).unwrap_or(usize::MAX),
        people: usize::try_from(cmd.people).unwrap_or(usize::MAX),
        commits: cmd.commits,
        deployments: cmd.deployments,
        incidents: cmd.incidents,
        directory: cmd.out.clone(),
    };
    let bar = progress_bar(cmd.output.format);
    let progress = |_: &str, done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let summary =
        synth::generate(&options, &store, &config.ingest_settings(), &super::demo::CommandImporter, &progress).await?;
    bar.finish_and_clear();
    let output = Output { summary: &summary, directory: cmd.out.display().to_string(), database: location.to_string() };
    let summary_file = cmd.out.join("synth.json");
    std::fs::write(&summary_file, serde_json::to_string_pretty(&output)? + "\n")
        .with_context(|| format!("writing {}", summary_file.display()))?;
    match cmd.output.format {
        Format::Json => print_json(&output)?,
        Format::Text => {
            outln!(
                "Generated {} teams, {} people, {} services in {} repositories: {} commits, {} deployments \
                 ({} to production), {} incidents ({} raw events), {} to {}, in {:.1} s.",
                summary.teams,
                summary.people,
                summary.services,
                summary.repositories,
                summary.commits,
                summary.deployments,
                summary.production_deployments,
                summary.incidents,
                summary.raw_events,
                summary.start.date_naive(),
                summary.end.date_naive(),
                summary.timings.total_ms as f64 / 1000.0,
            );
            outln!("Catalog: {}\nDatabase: {location}", cmd.out.join("catalog").display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A bar on a terminal; nothing under --format json or when stderr is not a
/// terminal.
fn progress_bar(format: Format) -> ProgressBar {
    if format == Format::Json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("repositories [{bar:30}] {pos}/{len} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
