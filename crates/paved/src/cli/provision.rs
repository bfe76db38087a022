//! `paved provision` (ask a Module for what a service needs), `paved
//! resource list|credentials|rotate` and `paved deprovision`: on the local
//! database, or on a server with `--server URL --token T`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use paved_app::Caller;
use paved_app::provision::ProvisionRequest;
use paved_server::api::resources::{ResourceBody, ResourceView};
use serde_json::{Map, Value};

use super::client::Target;
use super::oncall::{Where, call, call_list, encode, open, table, token_for_writes};
use crate::config::{Config, FlagOverrides};
use crate::exit::BadInput;
use crate::output::{Format, OutputArgs, outln, print_json};

/// Provision what a service needs from a Module the platform team offers:
/// at once, no ticket.
///
/// `paved provision MODULE --service S` asks the Module (`kind: Module` in
/// the catalog; `GET /api/v1/entities?kind=module` lists them) for a
/// resource of the service: a PostgreSQL database and its user, a Redis
/// namespace, a Terraform module call. Only the service's owners (and
/// admins) may ask; the Module's limits (per team, classes) are checked
/// first, and a refusal says which. The answer gives the outputs (host,
/// port, user, password, ...); secrets are shown this once, kept
/// encrypted (`secret_key`), and read again with `paved resource
/// credentials`. The same request again returns the same resource. Exit
/// 2 when it is refused or a value is wrong, 1 when the driver failed
/// (nothing is left behind).
///
/// Examples:
///   paved provision postgres-database --service checkout-api
///   paved provision postgres-database --service checkout-api --name orders --set class=small --format json
///   paved provision redis-namespace --service checkout-api --server https://paved.acme.example --token "$PAVED_TOKEN"
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct Cmd {
    /// The Module (`postgres-database`).
    module: String,
    /// The service it is for.
    #[arg(long)]
    service: String,
    /// A name, when the service has several of the Module's (`orders`).
    #[arg(long)]
    name: Option<String>,
    /// A parameter, `KEY=VALUE` (repeatable); a value that is JSON (`3`,
    /// `true`) is read as JSON.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

/// The resources self-service provisioning made.
#[derive(Debug, Subcommand)]
pub enum ResourceCmd {
    /// List the resources of a service (or of every service), without
    /// their secrets.
    List(ListCmd),
    /// Print a resource's outputs with its secrets (the service's owners
    /// and admins only; audited).
    Credentials(CredentialsCmd),
    Rotate(RotateCmd),
}

/// Arguments of `paved resource list`.
#[derive(Debug, Args)]
pub struct ListCmd {
    /// Only this service's.
    #[arg(long)]
    service: Option<String>,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved resource credentials`.
#[derive(Debug, Args)]
pub struct CredentialsCmd {
    /// The resource (`checkout-api-postgres-database`).
    resource: String,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

/// Give a PostgreSQL or Redis resource a new password; the old one stops working.
///
/// Rotate when a password may have leaked (a log, a laptop, someone who
/// left) or on a schedule. The server gets the new password at once: new
/// connections with the old one are refused (PostgreSQL: "password
/// authentication failed"; Redis: WRONGPASS), connections already open
/// stay open until they close. Update the service's secret (the printed
/// `url` or `password`) and restart it. Only the service's owners (and
/// admins) may; it is audited (`provision.rotate`). The new secret is
/// shown this once, kept encrypted (`secret_key`), and read again with
/// `paved resource credentials`. A Terraform resource has no secret to
/// rotate. Exit 2 when refused (or while another request holds the
/// resource: try again in a minute), 1 when the server could not change it
/// (the old password still works).
///
/// Examples:
///   paved resource rotate checkout-api-postgres-database
///   paved resource rotate checkout-api-sessions --format json
///   paved resource rotate checkout-api-orders --server https://paved.acme.example --token "$PAVED_TOKEN"
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct RotateCmd {
    /// The resource (`checkout-api-postgres-database`; `paved resource
    /// list` names them).
    resource: String,
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

impl ResourceCmd {
    /// These flags on top of the global ones.
    pub fn overrides(&self, flags: FlagOverrides) -> FlagOverrides {
        match self {
            Self::List(cmd) => cmd.target.overrides(flags),
            Self::Credentials(cmd) => cmd.target.overrides(flags),
            Self::Rotate(cmd) => cmd.target.overrides(flags),
        }
    }
}

pub(super) fn parse_set(set: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    set.iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| BadInput(format!("--set `{pair}` is not KEY=VALUE, e.g. --set class=small")).into())
        })
        .collect()
}

fn print_outputs(outputs: &Map<String, Value>) -> anyhow::Result<()> {
    for (key, value) in outputs {
        let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        outln!("  {key}: {shown}");
    }
    Ok(())
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let set = parse_set(&cmd.set)?;
    let made: ResourceView = match open(&config).await? {
        Where::Local(app) => {
            let request = ProvisionRequest { module: cmd.module, service: cmd.service, name: cmd.name, set };
            app.provision(&Caller::Local, &request).await?.into()
        }
        Where::Server { base, token } => {
            let token = token_for_writes(&base, &token)?;
            let parameters: Map<String, Value> =
                set.into_iter().map(|(k, v)| (k, serde_json::from_str(&v).unwrap_or(Value::String(v)))).collect();
            let body = serde_json::to_value(ResourceBody { module: cmd.module, name: cmd.name, parameters })?;
            let path = format!("/api/v1/services/{}/resources", encode(&cmd.service));
            call(&base, token, reqwest::Method::POST, &path, Some(body)).await?
        }
    };
    if cmd.output.format == Format::Json {
        print_json(&made)?;
        return Ok(ExitCode::SUCCESS);
    }
    if made.created {
        outln!("{} is {} (owned by {}):", made.resource, made.status, made.owner);
        print_outputs(&made.outputs)?;
        outln!(
            "The secrets are shown this once; `paved resource credentials {}` shows them again.",
            made.resource.rsplit('/').next().unwrap_or_default()
        );
    } else {
        outln!("{} was made before by the same request; it is {}:", made.resource, made.status);
        print_outputs(&made.outputs)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_resource(cmd: ResourceCmd, config: Config) -> anyhow::Result<ExitCode> {
    match cmd {
        ResourceCmd::List(cmd) => {
            let found: Vec<ResourceView> = match open(&config).await? {
                Where::Local(app) => {
                    app.resources_of(cmd.service.as_deref()).await?.iter().map(ResourceView::from).collect()
                }
                Where::Server { base, token } => {
                    let Some(service) = &cmd.service else {
                        return Err(BadInput(
                            "on a server, give --service: its resources are listed per service".into(),
                        )
                        .into());
                    };
                    let path = format!("/api/v1/services/{}/resources", encode(service));
                    call_list(&base, &token, &path).await?
                }
            };
            if cmd.output.format == Format::Json {
                print_json(&found)?;
                return Ok(ExitCode::SUCCESS);
            }
            if found.is_empty() {
                outln!("no resource yet; ask for one with `paved provision MODULE --service S`");
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<[String; 5]> = found
                .iter()
                .map(|r| {
                    let name = |s: &str| s.rsplit('/').next().unwrap_or(s).to_owned();
                    [name(&r.resource), name(&r.module), name(&r.service), name(&r.owner), r.status.clone()]
                })
                .collect();
            table(&["RESOURCE", "MODULE", "SERVICE", "OWNER", "STATUS"], &rows)?;
        }
        ResourceCmd::Credentials(cmd) => {
            let found: Map<String, Value> = match open(&config).await? {
                Where::Local(app) => app.resource_credentials(&Caller::Local, &cmd.resource).await?,
                Where::Server { base, token } => {
                    let token = token_for_writes(&base, &token)?;
                    let path = format!("/api/v1/resources/{}/credentials", encode(&cmd.resource));
                    call(&base, token, reqwest::Method::GET, &path, None).await?
                }
            };
            match cmd.output.format {
                Format::Json => print_json(&found)?,
                Format::Text => print_outputs(&found)?,
            }
        }
        ResourceCmd::Rotate(cmd) => return rotate(cmd, config).await,
    }
    Ok(ExitCode::SUCCESS)
}

async fn rotate(cmd: RotateCmd, config: Config) -> anyhow::Result<ExitCode> {
    let rotated: Map<String, Value> = match open(&config).await? {
        Where::Local(app) => app.rotate_resource(&Caller::Local, &cmd.resource).await?,
        Where::Server { base, token } => {
            let token = token_for_writes(&base, &token)?;
            let path = format!("/api/v1/resources/{}/rotate", encode(&cmd.resource));
            call(&base, token, reqwest::Method::POST, &path, None).await?
        }
    };
    if cmd.output.format == Format::Json {
        print_json(&rotated)?;
        return Ok(ExitCode::SUCCESS);
    }
    let name = cmd.resource.trim();
    outln!("{name} has a new password; the old one is refused from now on (open connections stay open):");
    print_outputs(&rotated)?;
    outln!(
        "It is shown this once; `paved resource credentials {name}` shows it again. Update the service's secret and restart it."
    );
    Ok(ExitCode::SUCCESS)
}

/// Remove a resource a service provisioned: its database (and data) or
/// namespace is dropped at once, its secrets forgotten.
///
/// Only the service's owners (and admins) may. There is no retention: take
/// a dump first if the data matters. `--confirm` must repeat the
/// resource's name. Exit 2 when refused, 1 when the driver failed (the
/// resource stays, to try again).
///
/// Examples:
///   paved deprovision checkout-api-postgres-database --confirm checkout-api-postgres-database
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DeprovisionCmd {
    /// The resource (`checkout-api-postgres-database`).
    resource: String,
    /// The resource's name again.
    #[arg(long, value_name = "NAME")]
    confirm: Option<String>,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

impl DeprovisionCmd {
    /// These flags on top of the global ones.
    pub fn overrides(&self, flags: FlagOverrides) -> FlagOverrides {
        self.target.overrides(flags)
    }
}

pub async fn deprovision(cmd: DeprovisionCmd, config: Config) -> anyhow::Result<ExitCode> {
    let removed: ResourceView = match open(&config).await? {
        Where::Local(app) => (&app.deprovision(&Caller::Local, &cmd.resource, cmd.confirm.as_deref()).await?).into(),
        Where::Server { base, token } => {
            let token = token_for_writes(&base, &token)?;
            let path = format!(
                "/api/v1/resources/{}?confirm={}",
                encode(&cmd.resource),
                encode(cmd.confirm.as_deref().unwrap_or_default())
            );
            call(&base, token, reqwest::Method::DELETE, &path, None).await?
        }
    };
    match cmd.output.format {
        Format::Json => print_json(&removed)?,
        Format::Text => outln!("{} is {}", removed.resource, removed.status),
    }
    Ok(ExitCode::SUCCESS)
}
