//! `paved migrate`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use paved_store::DatabaseLocation;
use serde::Serialize;

use crate::config::Config;
use crate::output::outln;
use crate::output::{Format, OutputArgs, print_json};

/// Apply the database migrations this binary has and the database lacks.
///
/// Every command that opens the database also does this; run it on its own
/// before rolling out a new version to several `paved serve` replicas.
#[derive(Debug, Args)]
pub struct Cmd {
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Serialize)]
struct Report {
    database: String,
    applied: Vec<paved_store::AppliedMigration>,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let location = DatabaseLocation::parse(&config.database_url)?;
    let store = paved_store::open(&location).await.with_context(|| format!("opening {location}"))?;
    let applied = store.migrate().await.with_context(|| format!("migrating {location}"))?;
    let report = Report { database: location.to_string(), applied };
    match cmd.output.format {
        Format::Json => print_json(&report)?,
        Format::Text if report.applied.is_empty() => outln!("{}: schema is up to date", report.database),
        Format::Text => {
            for migration in &report.applied {
                outln!("applied {:>4} {}", migration.version, migration.description);
            }
            outln!("{}: {} migration(s) applied", report.database, report.applied.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
