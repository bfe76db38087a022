//! `paved events list|show|rebuild`.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use paved_domain::{EventStatus, Source};
use paved_store::{EventFilter, EventSummary};
use serde::Serialize;

use super::client::local_store;
use crate::config::Config;
use crate::exit::BadInput;
use crate::output::outln;
use crate::output::{Format, OutputArgs, print_json};

/// Raw events: every payload received, kept as it came.
///
/// Records (deployments, incidents, pull requests, ...) are derived from raw
/// events. `list` shows them with whether they could be normalised and why
/// not; `rebuild` derives every record again, e.g. after the catalog gained
/// a service or a user, or after an upgrade fixed a parser.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List raw events, newest first, with their outcome.
    ///
    /// Example: paved events list --source github --status failed
    List(ListCmd),
    /// Show one raw event with its body.
    Show(ShowCmd),
    /// Derive every record again from the raw events (one transaction).
    ///
    /// Uses the catalog as it is now: identities and services that did not
    /// resolve before are attributed. Deliveries arriving at a running
    /// `paved serve` meanwhile wait for it (on SQLite for up to 30 s, then
    /// they get a 503; GitHub does not retry by itself), so run it when
    /// deliveries are few.
    Rebuild(RebuildCmd),
}

/// Arguments of `paved events list`.
#[derive(Debug, Args)]
pub struct ListCmd {
    /// Only this source: github, gitlab, alertmanager, pagerduty, events
    /// (the Events API v2 receiver) or api (pavedroad's own API and CLI).
    #[arg(long, value_parser = parse_source)]
    source: Option<Source>,
    /// Only this outcome: normalized, ignored or failed.
    #[arg(long, value_parser = ["normalized", "ignored", "failed"])]
    status: Option<String>,
    /// Only events that need attention: failed, or normalised with
    /// something that did not resolve (the data-quality page's list).
    #[arg(long)]
    needs_attention: bool,
    /// How many (1 to 1000).
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved events show`.
#[derive(Debug, Args)]
pub struct ShowCmd {
    /// The event's id (from `paved events list`).
    id: i64,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved events rebuild`.
#[derive(Debug, Args)]
pub struct RebuildCmd {
    #[command(flatten)]
    output: OutputArgs,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::List(cmd) => list(cmd, config).await,
        Cmd::Show(cmd) => show(cmd, config).await,
        Cmd::Rebuild(cmd) => rebuild(cmd, config).await,
    }
}

fn parse_source(name: &str) -> Result<Source, String> {
    name.parse().map_err(|error: paved_domain::UnknownSource| error.to_string())
}

async fn list(cmd: ListCmd, config: Config) -> anyhow::Result<ExitCode> {
    let (store, _) = local_store(&config).await?;
    let status = cmd.status.as_deref().and_then(EventStatus::from_name);
    let filter = EventFilter {
        source: cmd.source,
        status,
        limit: cmd.limit,
        offset: 0,
        before_id: None,
        needs_attention: cmd.needs_attention,
    };
    let events = store.events(&filter).await?;
    if cmd.output.format == Format::Json {
        print_json(&events)?;
        return Ok(ExitCode::SUCCESS);
    }
    if events.is_empty() {
        outln!("no raw events match");
        return Ok(ExitCode::SUCCESS);
    }
    for event in &events {
        let status = event.status.map_or("not derived", EventStatus::as_str);
        outln!(
            "{:>6}  {}  {:<12} {:<28} {:<10} {}",
            event.id,
            event.received_at.format("%Y-%m-%d %H:%M:%S"),
            event.source,
            truncate(&event.event_type, 28),
            status,
            outcome_note(event),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What the outcome's reason means, as the data-quality page says it.
fn outcome_note(event: &EventSummary) -> String {
    let Some(reason) = event.reason.as_deref() else { return String::new() };
    match event.status {
        Some(EventStatus::Failed) => format!("not normalised: {reason}"),
        Some(EventStatus::Normalized) => format!("needs attention: {reason}"),
        Some(EventStatus::Ignored) | None => reason.to_owned(),
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

#[derive(Serialize)]
struct Shown<'a> {
    id: i64,
    source: &'a str,
    event_type: &'a str,
    delivery_id: &'a str,
    received_at: String,
    context: &'a serde_json::Value,
    body: serde_json::Value,
}

async fn show(cmd: ShowCmd, config: Config) -> anyhow::Result<ExitCode> {
    let (store, _) = local_store(&config).await?;
    let Some(event) = store.raw_event(cmd.id).await? else {
        return Err(BadInput(format!("no raw event {}; list them with `paved events list`", cmd.id)).into());
    };
    let body = serde_json::from_slice(&event.body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&event.body).into_owned()));
    let shown = Shown {
        id: event.id,
        source: &event.source,
        event_type: &event.event_type,
        delivery_id: &event.delivery_id,
        received_at: event.received_at.to_rfc3339(),
        context: &event.context,
        body,
    };
    match cmd.output.format {
        Format::Json => print_json(&shown)?,
        Format::Text => {
            outln!("event {} from {} ({}), delivery {}", shown.id, shown.source, shown.event_type, shown.delivery_id);
            outln!("received {}", shown.received_at);
            outln!("{}", serde_json::to_string_pretty(&shown.body)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn rebuild(cmd: RebuildCmd, config: Config) -> anyhow::Result<ExitCode> {
    let (store, _) = local_store(&config).await?;
    let summary =
        paved_app::events::rebuild(&store, &config.ingest_settings()).await.context("rebuilding the records")?;
    match cmd.output.format {
        Format::Json => print_json(&summary)?,
        Format::Text => outln!(
            "rebuilt {} records from {} raw events ({} normalised, {} ignored, {} failed); {} identities",
            summary.records,
            summary.events,
            summary.normalized,
            summary.ignored,
            summary.failed,
            summary.identities
        ),
    }
    Ok(ExitCode::SUCCESS)
}
