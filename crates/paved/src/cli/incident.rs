//! `paved incident open|ack|resolve`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use paved_app::RecordAction;
use paved_domain::{Incident, Record};
use serde_json::{Map, Value};

use super::client::{self, Target};
use crate::config::{Config, FlagOverrides};
use crate::output::outln;
use crate::output::{Format, OutputArgs, print_json};

/// Incidents: open, acknowledge, resolve.
///
/// For teams whose alerts do not come through Alertmanager, PagerDuty or
/// GitHub/GitLab issues. PERSON is a login, an e-mail or a catalog User
/// (`user:dana`); times are RFC 3339 and default to now. Writes to the local
/// database, or with --server to a pavedroad server.
///
/// Example: paved incident open --service checkout --id INC-7 --severity SEV-2 --title "500s on pay"
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Open an incident on a service.
    Open(OpenCmd),
    /// Record who acknowledged an incident (the first acknowledgement counts).
    Ack(UpdateCmd),
    /// Record who resolved an incident.
    Resolve(UpdateCmd),
}

/// Arguments of `paved incident open`.
#[derive(Debug, Args)]
pub struct OpenCmd {
    /// The Component affected.
    #[arg(long)]
    service: String,
    /// Your id for it (e.g. INC-7), to acknowledge and resolve it by;
    /// generated (and printed) when absent.
    #[arg(long)]
    id: Option<String>,
    /// When it opened (RFC 3339); default now.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Severity as you write it (SEV-1, critical, ...).
    #[arg(long, value_name = "SEV")]
    severity: Option<String>,
    /// A one-line title; `root cause: <sha>` in it links the commit.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// The deployment that caused it (its id as recorded, or its key).
    #[arg(long, value_name = "DEPLOYMENT_ID", conflicts_with = "root_cause")]
    caused_by: Option<String>,
    /// The commit that caused it.
    #[arg(long, value_name = "SHA")]
    root_cause: Option<String>,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved incident ack` and `resolve`.
#[derive(Debug, Args)]
pub struct UpdateCmd {
    /// The incident's id (as opened) or key (e.g. pagerduty:Q2CZ1YLDVX0AYU).
    #[arg(long)]
    id: String,
    /// Who: a login, an e-mail or a catalog User.
    #[arg(long, value_name = "PERSON")]
    by: String,
    /// When (RFC 3339); default now.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

impl Cmd {
    /// These flags on top of the global ones.
    pub fn overrides(&self, flags: FlagOverrides) -> FlagOverrides {
        match self {
            Self::Open(cmd) => cmd.target.overrides(flags),
            Self::Ack(cmd) | Self::Resolve(cmd) => cmd.target.overrides(flags),
        }
    }
}

fn object(fields: &[(&str, Option<&String>)]) -> Value {
    let map: Map<String, Value> = fields
        .iter()
        .filter_map(|(key, value)| value.map(|value| ((*key).to_owned(), Value::String(value.clone()))))
        .collect();
    Value::Object(map)
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let (action, body, format) = match &cmd {
        Cmd::Open(open) => (
            RecordAction::OpenIncident,
            object(&[
                ("id", open.id.as_ref()),
                ("service", Some(&open.service)),
                ("opened_at", open.at.as_ref()),
                ("severity", open.severity.as_ref()),
                ("title", open.title.as_ref()),
                ("caused_by", open.caused_by.as_ref()),
                ("root_cause", open.root_cause.as_ref()),
            ]),
            open.output.format,
        ),
        Cmd::Ack(update) => (
            RecordAction::AcknowledgeIncident(update.id.clone()),
            object(&[("by", Some(&update.by)), ("at", update.at.as_ref())]),
            update.output.format,
        ),
        Cmd::Resolve(update) => (
            RecordAction::ResolveIncident(update.id.clone()),
            object(&[("by", Some(&update.by)), ("at", update.at.as_ref())]),
            update.output.format,
        ),
    };
    let recorded = client::record(&config, action, body).await?;
    let Record::Incident(incident) = &recorded.record else {
        anyhow::bail!("the incident was recorded as a {}", recorded.record.kind().as_str());
    };
    match format {
        Format::Json => print_json(incident)?,
        Format::Text => outln!("{}", describe(incident, &cmd, recorded.new)),
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(incident: &Incident, cmd: &Cmd, new: bool) -> String {
    let service = incident.service.as_ref().map_or_else(|| "?".to_owned(), ToString::to_string);
    let done = match cmd {
        Cmd::Open(_) => "opened",
        Cmd::Ack(_) => "acknowledged",
        Cmd::Resolve(_) => "resolved",
    };
    let prefix = if new { "" } else { "already recorded, unchanged: " };
    let id = incident.key.strip_prefix("api:").unwrap_or(&incident.key);
    format!("{prefix}incident {id} on {service} {done}; now {}", incident.status().as_str())
}
