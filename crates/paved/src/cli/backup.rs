//! `paved backup FILE` and `paved restore FILE`: a consistent copy of the
//! SQLite database taken while it serves, and put back all at once.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use paved_store::{BackupSummary, DatabaseLocation, SqliteStore};
use serde::Serialize;

use crate::config::Config;
use crate::exit::BadInput;
use crate::output::{Format, OutputArgs, outln, print_json};

/// How PostgreSQL is backed up instead.
const POSTGRES: &str = "PostgreSQL is backed up and restored with its own tools: pg_dump --format=custom --file \
                        paved.dump \"$PAVED_DATABASE_URL\", and pg_restore --clean --if-exists --dbname \
                        \"$PAVED_DATABASE_URL\" paved.dump (README, Backups)";

/// Write a consistent copy of the database to FILE while it serves.
///
/// The copy holds every write committed before it began (every delivery
/// acknowledged by then) and none after; servers go on reading and
/// writing meanwhile. FILE must not exist. SQLite only: PostgreSQL is
/// backed up with pg_dump (README, Backups).
///
/// Examples:
///   paved backup /srv/backups/paved-$(date +%F).db
///   paved backup paved-copy.db --database-url /srv/paved/paved.db
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct BackupCmd {
    /// The file to write (it must not exist).
    file: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
}

/// Put a backup (from `paved backup`) in place of the database.
///
/// The backup is checked first (SQLite's integrity check, a pavedroad
/// schema no newer than this binary's), then copied beside the database
/// and renamed over it: the database is either the old one or the whole
/// backup. Stop the servers on the database first; an existing database
/// is replaced only with --replace.
///
/// Examples:
///   paved restore /srv/backups/paved-2026-12-05.db --database-url /srv/paved/paved.db --replace
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct RestoreCmd {
    /// The backup to restore.
    file: PathBuf,
    /// Replace the database when it exists.
    #[arg(long)]
    replace: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Serialize)]
struct Answer {
    file: String,
    bytes: u64,
    schema_version: i64,
    raw_events: u64,
}

impl From<BackupSummary> for Answer {
    fn from(summary: BackupSummary) -> Self {
        Self {
            file: summary.path.display().to_string(),
            bytes: summary.bytes,
            schema_version: summary.schema_version,
            raw_events: summary.raw_events,
        }
    }
}

fn sqlite_path(config: &Config) -> anyhow::Result<PathBuf> {
    match DatabaseLocation::parse(&config.database_url)? {
        DatabaseLocation::Sqlite(path) => Ok(path),
        DatabaseLocation::Postgres(_) => Err(BadInput(POSTGRES.to_owned()).into()),
    }
}

fn print(answer: &Answer, format: Format, done: &str) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(answer),
        Format::Text => {
            outln!(
                "{done} {} ({} bytes, schema version {}, {} raw events)",
                answer.file,
                answer.bytes,
                answer.schema_version,
                answer.raw_events
            );
            Ok(())
        }
    }
}

pub async fn backup(cmd: BackupCmd, config: Config) -> anyhow::Result<ExitCode> {
    let database = sqlite_path(&config)?;
    if !database.exists() {
        return Err(BadInput(format!("no database at {}: nothing to back up", database.display())).into());
    }
    let store = SqliteStore::open(&database).await?;
    let summary = store.backup_to(&cmd.file).await?;
    print(&summary.into(), cmd.output.format, "backed up to")?;
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(cmd: RestoreCmd, config: Config) -> anyhow::Result<ExitCode> {
    let database = sqlite_path(&config)?;
    let summary = paved_store::restore_backup(&cmd.file, &database, cmd.replace).await?;
    print(&summary.into(), cmd.output.format, "restored")?;
    Ok(ExitCode::SUCCESS)
}
