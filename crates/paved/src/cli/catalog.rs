//! `paved catalog validate` and `paved catalog import` (`list` and `get`
//! are in `catalog_read.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use paved_catalog::{CatalogLoad, LoadOptions};
use paved_store::{CatalogImport, DatabaseLocation, DynStore, ImportSummary, OrphanPolicy};
use serde::Serialize;

use crate::config::Config;
use crate::exit::{BAD_INPUT, BadInput};
use crate::output::outln;
use crate::output::{Format, OutputArgs, print_json};

/// Check and import Backstage catalog descriptors.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Check descriptor files and directories; report every problem at once.
    ///
    /// Reads `catalog-info.yaml` and every `*.yaml`/`*.yml` whose documents
    /// carry a Backstage or paved.dev apiVersion, recursively, and follows
    /// Location entities. Each problem names its file, line and column, the
    /// entity, what is wrong and how to fix it. Exit 0 when there is no error
    /// (warnings allowed), 2 when there is one.
    ///
    /// Example: paved catalog validate examples/acme --format json
    Validate(ValidateCmd),
    /// Store descriptors in the database, in one transaction.
    ///
    /// Nothing is written if any descriptor has an error. Importing the same
    /// files again changes nothing. An entity that disappeared from the paths
    /// imported (compared with the last import of the same paths) is marked
    /// orphaned and listed; --prune deletes orphans instead.
    ///
    /// Example: paved catalog import examples/acme --prune
    Import(ImportCmd),
    /// List the stored catalog's entities, filtered and paged (as `GET
    /// /api/v1/entities` does over HTTP).
    ///
    /// Examples:
    ///   paved catalog list --kind component --owner checkout
    ///   paved catalog list -q payments --format json
    #[command(verbatim_doc_comment)]
    List(super::catalog_read::ListCmd),
    /// Show one stored entity: where it was read from, its owner and its
    /// relations both ways (`--format json`: the descriptor too).
    ///
    /// Examples:
    ///   paved catalog get checkout-api
    ///   paved catalog get group:default/checkout --format json
    #[command(verbatim_doc_comment)]
    Get(super::catalog_read::GetCmd),
}

/// Arguments of `paved catalog validate`.
#[derive(Debug, Args)]
pub struct ValidateCmd {
    /// Descriptor files or directories.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved catalog import`.
#[derive(Debug, Args)]
pub struct ImportCmd {
    /// Descriptor files or directories.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Delete entities that disappeared from these paths instead of marking
    /// them orphaned.
    #[arg(long)]
    prune: bool,
    #[command(flatten)]
    output: OutputArgs,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::Validate(cmd) => validate(&cmd),
        Cmd::Import(cmd) => import_cmd(cmd, config).await,
        Cmd::List(cmd) => super::catalog_read::list(cmd, config).await,
        Cmd::Get(cmd) => super::catalog_read::get(cmd, config).await,
    }
}

/// A valid entity, as `validate` lists it.
#[derive(Serialize)]
struct ValidEntity {
    #[serde(rename = "ref")]
    entity_ref: String,
    file: String,
    line: u32,
    column: u32,
}

#[derive(Serialize)]
struct ValidateReport<'a> {
    valid: bool,
    errors: usize,
    warnings: usize,
    files: usize,
    entities: Vec<ValidEntity>,
    problems: &'a [paved_catalog::Problem],
}

fn validate(cmd: &ValidateCmd) -> anyhow::Result<ExitCode> {
    let load = paved_catalog::load(&cmd.paths, &LoadOptions::default());
    let report = ValidateReport {
        valid: !load.has_errors(),
        errors: load.errors().count(),
        warnings: load.warnings().count(),
        files: load.files_read.len(),
        entities: load
            .entities
            .iter()
            .map(|e| ValidEntity {
                entity_ref: e.entity_ref.to_string(),
                file: e.source.file.clone(),
                line: e.source.line,
                column: e.source.column,
            })
            .collect(),
        problems: &load.problems,
    };
    match cmd.output.format {
        Format::Json => print_json(&report)?,
        Format::Text => {
            for problem in &load.problems {
                eprintln!("{problem}");
            }
            for entity in &report.entities {
                outln!("valid {}  {}:{}:{}", entity.entity_ref, entity.file, entity.line, entity.column);
            }
            outln!(
                "{} error(s), {} warning(s) in {} file(s); {} valid entit{}",
                report.errors,
                report.warnings,
                report.files,
                report.entities.len(),
                if report.entities.len() == 1 { "y" } else { "ies" }
            );
        }
    }
    Ok(if report.valid { ExitCode::SUCCESS } else { ExitCode::from(BAD_INPUT) })
}

/// Loads the catalog at `paths`; an error in any descriptor is [`BadInput`]
/// after every problem has been printed to stderr.
pub fn load_valid(paths: &[PathBuf]) -> anyhow::Result<CatalogLoad> {
    load_valid_with(paths, LoadOptions::default())
}

/// As [`load_valid`], with `options` (the entities already stored as
/// known references, for an import that adds to a catalog).
fn load_valid_with(paths: &[PathBuf], options: LoadOptions) -> anyhow::Result<CatalogLoad> {
    let load = paved_catalog::load(paths, &options);
    for problem in &load.problems {
        eprintln!("{problem}");
    }
    if load.has_errors() {
        return Err(BadInput(format!(
            "the catalog has {} error(s) (listed above); nothing was imported. Fix them and run again; \
             `paved catalog validate` checks without importing",
            load.errors().count()
        ))
        .into());
    }
    Ok(load)
}

/// The location key of an import: the canonical paths it names, so that
/// re-importing the same paths from another directory is the same location.
pub fn location_of(paths: &[PathBuf]) -> String {
    let mut names: Vec<String> = paths.iter().map(|p| canonical(p).display().to_string()).collect();
    names.sort();
    names.dedup();
    names.join(", ")
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Stores a valid catalog read from `paths` in one transaction.
pub async fn import(
    store: &DynStore,
    paths: &[PathBuf],
    load: &CatalogLoad,
    orphans: OrphanPolicy,
) -> anyhow::Result<ImportSummary> {
    let location = location_of(paths);
    // Stored sources are absolute, so importing the same files from another
    // working directory changes nothing.
    let entities: Vec<_> = load
        .entities
        .iter()
        .cloned()
        .map(|mut entity| {
            entity.source.file = canonical(Path::new(&entity.source.file)).display().to_string();
            entity
        })
        .collect();
    let summary = store
        .import_catalog(CatalogImport { location: &location, entities: &entities, orphans })
        .await
        .context("storing the catalog (nothing was written)")?;
    for moved in &summary.moved {
        tracing::warn!(
            entity = %moved.entity,
            from = %moved.from,
            to = %location,
            "defined in two locations; the last import wins: keep one descriptor for it"
        );
    }
    tracing::info!(
        location,
        added = summary.added.len(),
        updated = summary.updated.len(),
        unchanged = summary.unchanged,
        orphaned = summary.orphaned.len(),
        pruned = summary.pruned.len(),
        "catalog imported"
    );
    Ok(summary)
}

async fn import_cmd(cmd: ImportCmd, config: Config) -> anyhow::Result<ExitCode> {
    let location = DatabaseLocation::parse(&config.database_url)?;
    // What is stored already may be referred to: a Scorecard or a
    // DeployTarget imported on its own names teams and services the
    // catalog has. A database that does not exist yet is not created
    // before the descriptors are found valid.
    let stored = match &location {
        DatabaseLocation::Sqlite(path) if !path.exists() => None,
        _ => Some(paved_store::connect(&location).await.with_context(|| format!("opening {location}"))?),
    };
    let known = match &stored {
        Some(store) => store.catalog_entities().await?.into_iter().map(|e| e.entity_ref.key()).collect(),
        None => Default::default(),
    };
    let load = load_valid_with(&cmd.paths, LoadOptions { known, ..LoadOptions::default() })?;
    let store = match stored {
        Some(store) => store,
        None => paved_store::connect(&location).await.with_context(|| format!("opening {location}"))?,
    };
    let policy = if cmd.prune { OrphanPolicy::Prune } else { OrphanPolicy::Mark };
    let summary = import(&store, &cmd.paths, &load, policy).await?;
    match cmd.output.format {
        Format::Json => print_json(&summary)?,
        Format::Text => print_summary(&summary, &location)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(summary: &ImportSummary, location: &DatabaseLocation) -> anyhow::Result<()> {
    for entity in &summary.added {
        outln!("added    {entity}");
    }
    for entity in &summary.updated {
        outln!("updated  {entity}");
    }
    for moved in &summary.moved {
        outln!("moved    {}  (was imported from {}; defined in two locations?)", moved.entity, moved.from);
    }
    for entity in &summary.orphaned {
        outln!("orphaned {entity}  (no longer in its source; `--prune` deletes it)");
    }
    for entity in &summary.pruned {
        outln!("pruned   {entity}");
    }
    outln!(
        "{location}: {} added, {} updated, {} unchanged, {} orphaned, {} pruned",
        summary.added.len(),
        summary.updated.len(),
        summary.unchanged,
        summary.orphaned.len(),
        summary.pruned.len()
    );
    Ok(())
}
