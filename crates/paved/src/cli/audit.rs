//! `paved audit [--actor A] [--service S] [--since D]`: the audit trail,
//! newest first — who did what, on what, allowed or refused, and why.

use std::process::ExitCode;

use clap::Args;
use paved_app::audit::AuditQuery;
use paved_store::AuditEntry;

use super::client::Target;
use super::oncall::{ItemsOf, Where, call, encode, open};
use crate::config::{Config, FlagOverrides};
use crate::exit::BadInput;
use crate::output::{Format, OutputArgs, outln, print_json};

/// The audit trail: who did what, on which service, allowed or refused.
///
/// Newest first, every action pavedroad took or refused (tokens made and
/// revoked, deploys queued, refused, run and broken glass, overrides,
/// acknowledgements, provisioning, golden-path runs), each with who, what,
/// on what, the decision and the reason.
///
/// On the local database every entry; with --server, an admin token reads
/// every entry and a service's owners its entries (--service).
///
/// Examples:
///   paved audit --service checkout-api
///   paved audit --actor dana --since 2026-12-01
///   paved audit --service checkout-api --server https://paved.acme.example --token "$PAVED_TOKEN" --format json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct Cmd {
    /// Entries whose actor contains this (`dana`, `token 3`).
    #[arg(long)]
    actor: Option<String>,
    /// Entries acting on this service (`checkout-api`).
    #[arg(long)]
    service: Option<String>,
    /// Entries at or after this time (RFC 3339 or a date).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// At most this many entries (1 to 1000).
    #[arg(long, default_value_t = 100)]
    limit: u32,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

impl Cmd {
    /// These flags on top of the global ones.
    pub fn overrides(&self, flags: FlagOverrides) -> FlagOverrides {
        self.target.overrides(flags)
    }
}

/// An entry as the API answers it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Entry {
    id: i64,
    at: chrono::DateTime<chrono::Utc>,
    actor: String,
    action: String,
    target: String,
    service: Option<String>,
    decision: Option<String>,
    detail: Option<String>,
}

impl From<AuditEntry> for Entry {
    fn from(entry: AuditEntry) -> Self {
        Self {
            id: entry.id,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            target: entry.target,
            service: entry.service,
            decision: entry.decision.map(|d| d.as_str().to_owned()),
            detail: entry.detail,
        }
    }
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    if !(1..=1000).contains(&cmd.limit) {
        return Err(BadInput(format!("--limit {} is not between 1 and 1000", cmd.limit)).into());
    }
    let since =
        cmd.since.as_deref().map(|text| paved_metrics::parse_time("--since", text)).transpose().map_err(BadInput)?;
    let entries: Vec<Entry> = match open(&config).await? {
        Where::Local(app) => {
            let query = AuditQuery { actor: cmd.actor, service: cmd.service, since, limit: cmd.limit, offset: 0 };
            let (entries, _) = app.audit_trail(&paved_app::Caller::Local, &query).await?;
            entries.into_iter().map(Entry::from).collect()
        }
        Where::Server { base, token } => {
            let query: Vec<String> = [("actor", &cmd.actor), ("service", &cmd.service), ("since", &cmd.since)]
                .into_iter()
                .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key}={}", encode(v))))
                .collect();
            let path = format!("/api/v1/audit?{}&limit={}", query.join("&"), cmd.limit);
            let page: ItemsOf<Entry> = call(&base, &token, reqwest::Method::GET, &path, None).await?;
            page.items
        }
    };
    if cmd.output.format == Format::Json {
        print_json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        outln!("No entry of the audit trail matches.");
    }
    for entry in &entries {
        let decision = entry.decision.as_deref().map(|d| format!(" [{d}]")).unwrap_or_default();
        let on = if entry.target.is_empty() { String::new() } else { format!(" {}", entry.target) };
        outln!("{}  {}  {}{on}{decision}", entry.at.format("%Y-%m-%d %H:%M:%S"), entry.actor, entry.action);
        if let Some(detail) = entry.detail.as_deref().filter(|d| !d.is_empty()) {
            outln!("    {detail}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
