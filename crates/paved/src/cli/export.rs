//! `paved export` and `paved import events`: the raw events, as JSON
//! Lines, out of one database and into another (SQLite to PostgreSQL and
//! back).

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use paved_app::events::ExportedEvent;

use super::client::local_store;
use crate::config::Config;
use crate::exit::BadInput;
use crate::output::{Format, OutputArgs, outln, print_json};

/// The formats of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One raw event per line, as JSON (JSON Lines).
    #[default]
    Jsonl,
}

/// Write every raw event, oldest first, as JSON Lines.
///
/// Raw events are what pavedroad keeps of every delivery and action, byte
/// for byte; every record is derived from them. `paved import events`
/// reads the file into another database (SQLite or PostgreSQL), which then
/// derives the same records. The catalog and git history move with
/// `paved catalog import` and `paved import git`.
///
/// Examples:
///   paved export --out events.jsonl
///   paved export --database-url /srv/paved/paved.db | paved import events - --database-url postgres://paved@db/paved
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ExportCmd {
    /// The format (JSON Lines).
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    format: ExportFormat,
    /// The file to write (it must not exist); default standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Arguments of `paved import events`.
#[derive(Debug, Args)]
pub struct EventsCmd {
    /// A file of `paved export` (JSON Lines), or `-` for standard input.
    file: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
}

pub async fn export(cmd: ExportCmd, config: Config) -> anyhow::Result<ExitCode> {
    let ExportFormat::Jsonl = cmd.format;
    let (store, _) = local_store(&config).await?;
    let mut out: Box<dyn std::io::Write> = match &cmd.out {
        Some(path) => {
            let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|error| {
                BadInput(format!("{}: {error} (an export never replaces a file; name a new one)", path.display()))
            })?;
            Box::new(std::io::BufWriter::new(file))
        }
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let written = paved_app::events::export(&store, |event| {
        serde_json::to_writer(&mut out, event)?;
        out.write_all(b"\n")
    })
    .await?;
    out.flush()?;
    if let Some(path) = &cmd.out {
        eprintln!("exported {written} raw events to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn import_events(cmd: EventsCmd, config: Config) -> anyhow::Result<ExitCode> {
    let name = cmd.file.display().to_string();
    let reader: Box<dyn std::io::BufRead> = if name == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin().lock()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(&cmd.file).map_err(|error| BadInput(format!("{name}: {error}")))?,
        ))
    };
    // Every line is read and checked before anything is stored.
    let mut events = Vec::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line.map_err(|error| BadInput(format!("{name}: {error}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let event = serde_json::from_str::<ExportedEvent>(&line)
            .map_err(|error| error.to_string())
            .and_then(ExportedEvent::into_raw)
            .map_err(|error| {
                BadInput(format!("{name}, line {}: {error}; each line is a raw event of `paved export`", number + 1))
            })?;
        events.push(event);
    }
    let (store, _) =
        super::client::local_store_or_create(paved_store::DatabaseLocation::parse(&config.database_url)?).await?;
    let imported = paved_app::events::import(&store, &config.ingest_settings(), events).await?;
    match cmd.output.format {
        Format::Json => print_json(&imported)?,
        Format::Text => outln!(
            "imported {} raw events ({} were there already), each derived against the catalog as it is",
            imported.stored,
            imported.duplicates
        ),
    }
    Ok(ExitCode::SUCCESS)
}
