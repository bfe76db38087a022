//! `paved catalog list` and `paved catalog get`: what the local database's
//! catalog holds, as `GET /api/v1/entities` answers it over HTTP.

use std::process::ExitCode;

use clap::Args;
use paved_domain::EntityRef;
use paved_store::{EntityFilter, StoredEntity};
use serde::Serialize;

use super::client::local_store;
use crate::config::Config;
use crate::exit::BadInput;
use crate::output::{Format, OutputArgs, outln, print_json};

/// Arguments of `paved catalog list`.
#[derive(Debug, Args)]
pub struct ListCmd {
    /// Only this kind (`component`, `group`, `user`, `scorecard`, ...).
    #[arg(long)]
    kind: Option<String>,
    /// Only entities this team (or person, `user:NAME`) owns.
    #[arg(long)]
    owner: Option<String>,
    /// Only this namespace.
    #[arg(long)]
    namespace: Option<String>,
    /// Text in the name, title or description.
    #[arg(long, short = 'q')]
    query: Option<String>,
    /// Include entities that disappeared from their source.
    #[arg(long)]
    orphans: bool,
    /// How many (1 to 500).
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// How many to skip.
    #[arg(long, default_value_t = 0)]
    offset: u64,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved catalog get`.
#[derive(Debug, Args)]
pub struct GetCmd {
    /// The entity: `component:default/checkout-api`, `group:checkout`, or a
    /// Component's name.
    #[arg(value_name = "REF")]
    entity: String,
    #[command(flatten)]
    output: OutputArgs,
}

/// An entity as the list shows it.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(rename = "ref")]
    entity_ref: String,
    kind: &'a str,
    title: Option<&'a str>,
    owner: Option<String>,
    #[serde(rename = "type")]
    spec_type: Option<&'a str>,
    lifecycle: Option<&'a str>,
    orphan: bool,
    file: &'a str,
    line: u32,
}

impl<'a> From<&'a StoredEntity> for Row<'a> {
    fn from(stored: &'a StoredEntity) -> Self {
        let entity = &stored.entity;
        Self {
            entity_ref: entity.entity_ref.to_string(),
            kind: &entity.kind,
            title: entity.title.as_deref(),
            owner: entity.owner.as_ref().map(ToString::to_string),
            spec_type: entity.spec_type.as_deref(),
            lifecycle: entity.lifecycle.as_deref(),
            orphan: stored.orphan,
            file: &entity.source.file,
            line: entity.source.line,
        }
    }
}

#[derive(Serialize)]
struct Page<'a> {
    items: Vec<Row<'a>>,
    total: u64,
    next_offset: Option<u64>,
}

pub async fn list(cmd: ListCmd, config: Config) -> anyhow::Result<ExitCode> {
    let owner = cmd
        .owner
        .as_deref()
        .map(|o| EntityRef::parse(o, Some("group"), paved_domain::DEFAULT_NAMESPACE))
        .transpose()
        .map_err(|e| BadInput(format!("--owner: {e}")))?;
    if !(1..=500).contains(&cmd.limit) {
        return Err(BadInput(format!("--limit {} is not between 1 and 500", cmd.limit)).into());
    }
    let (store, _) = local_store(&config).await?;
    let filter = EntityFilter {
        kind: cmd.kind,
        owner,
        namespace: cmd.namespace,
        text: cmd.query,
        include_orphans: cmd.orphans,
        limit: cmd.limit,
        offset: cmd.offset,
    };
    let page = store.list_entities(&filter).await?;
    let shown = cmd.offset + page.items.len() as u64;
    let next_offset = (shown < page.total).then_some(shown);
    match cmd.output.format {
        Format::Json => {
            print_json(&Page { items: page.items.iter().map(Row::from).collect(), total: page.total, next_offset })?
        }
        Format::Text => {
            if page.items.is_empty() {
                outln!("No entity matches; `paved catalog import DIR` stores descriptors.");
            }
            for stored in &page.items {
                let row = Row::from(stored);
                let owner = row.owner.as_deref().map(|o| format!("  owned by {o}")).unwrap_or_default();
                let orphan = if row.orphan { "  (orphaned)" } else { "" };
                outln!("{}{owner}{orphan}", row.entity_ref);
            }
            if let Some(next) = next_offset {
                outln!("{} of {}; the next ones: --offset {next}", shown - cmd.offset, page.total);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn get(cmd: GetCmd, config: Config) -> anyhow::Result<ExitCode> {
    let wanted = EntityRef::parse(cmd.entity.trim(), Some("component"), paved_domain::DEFAULT_NAMESPACE)
        .map_err(|e| BadInput(format!("`{}` is not an entity reference: {e}", cmd.entity)))?;
    let (store, _) = local_store(&config).await?;
    let Some(stored) = store.entity(&wanted).await? else {
        return Err(BadInput(format!(
            "no {wanted} in the catalog; `paved catalog list --kind {}` lists what there is",
            wanted.kind().to_lowercase()
        ))
        .into());
    };
    match cmd.output.format {
        Format::Json => print_json(&serde_json::json!({
            "ref": stored.entity.entity_ref.to_string(),
            "location": stored.location,
            "source": stored.entity.source,
            "orphan": stored.orphan,
            "descriptor": stored.entity.document,
            "relations": stored.all_relations,
        }))?,
        Format::Text => {
            let entity = &stored.entity;
            outln!("{}{}", entity.entity_ref, entity.title.as_deref().map(|t| format!(" ({t})")).unwrap_or_default());
            if let Some(description) = &entity.description {
                outln!("  {description}");
            }
            if let Some(owner) = &entity.owner {
                outln!("  owner: {owner}");
            }
            outln!("  from {} (imported from {})", entity.source, stored.location);
            for relation in &stored.all_relations {
                outln!("  {} {}", relation.kind.as_str(), relation.target);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
