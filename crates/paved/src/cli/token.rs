//! `paved token create|list|revoke`.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use paved_app::tokens::{generate_token, token_hash, token_prefix};
use paved_domain::EntityRef;
use paved_store::{NewToken, TokenInfo, TokenScope};
use serde::Serialize;

use super::client::local_store;
use crate::config::Config;
use crate::exit::BadInput;
use crate::output::outln;
use crate::output::{Format, OutputArgs, print_json};

/// API tokens: what CI jobs and senders of alerts authenticate with.
///
/// A team token records deployments and incidents only for services its
/// team (or a team below it) owns; an admin token for any. Alertmanager and
/// Events API v2 senders (/hooks/alertmanager, /v2/enqueue) send a token as
/// a bearer token or as the routing key. Tokens are shown once and stored
/// only as a hash; every creation and revocation is audited.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a token and print it (once).
    ///
    /// Example: paved token create --team checkout --name ci-checkout
    Create(CreateCmd),
    /// List tokens (never their secret).
    List(ListCmd),
    /// Revoke a token by its id.
    Revoke(RevokeCmd),
}

/// Arguments of `paved token create`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).args(["team", "admin"])))]
pub struct CreateCmd {
    /// The team (a Group) whose services the token acts on.
    #[arg(long)]
    team: Option<String>,
    /// A token that acts on every service.
    #[arg(long)]
    admin: bool,
    /// A name to recognise it by (default: the team's name, or `admin`).
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved token list`.
#[derive(Debug, Args)]
pub struct ListCmd {
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved token revoke`.
#[derive(Debug, Args)]
pub struct RevokeCmd {
    /// The token's id (from `paved token list`).
    id: i64,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Serialize)]
struct Created<'a> {
    token: &'a str,
    #[serde(flatten)]
    info: &'a TokenInfo,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let (store, catalog) = local_store(&config).await?;
    match cmd {
        Cmd::Create(cmd) => {
            let scope = match &cmd.team {
                Some(team) => {
                    let group = EntityRef::parse(team, Some("group"), paved_domain::DEFAULT_NAMESPACE)
                        .map_err(|error| BadInput(format!("--team: {error}")))?;
                    if catalog.group(&group).is_none() {
                        return Err(BadInput(format!(
                            "no team {group} in the catalog; import it first (`paved catalog import`)"
                        ))
                        .into());
                    }
                    TokenScope::Team(group)
                }
                None => TokenScope::Admin,
            };
            let name = cmd.name.clone().unwrap_or_else(|| match &scope {
                TokenScope::Admin => "admin".to_owned(),
                TokenScope::Team(team) => team.name().to_owned(),
            });
            if name.trim().is_empty() {
                return Err(BadInput("--name is blank".to_owned()).into());
            }
            let token = generate_token().context("making a token")?;
            let info = store
                .create_token(&NewToken { name, scope, hash: token_hash(&token), prefix: token_prefix(&token) }, "cli")
                .await?;
            match cmd.output.format {
                Format::Json => print_json(&Created { token: &token, info: &info })?,
                Format::Text => {
                    outln!("{token}");
                    eprintln!(
                        "token {} ({}) created; it is shown only now: store it as a CI secret (e.g. PAVED_TOKEN)",
                        info.id,
                        describe_scope(&info.scope)
                    );
                }
            }
        }
        Cmd::List(cmd) => {
            let tokens = store.tokens().await?;
            match cmd.output.format {
                Format::Json => print_json(&tokens)?,
                Format::Text if tokens.is_empty() => outln!("no tokens; create one with `paved token create`"),
                Format::Text => {
                    for token in &tokens {
                        let state = token
                            .revoked_at
                            .map_or_else(|| "active".to_owned(), |at| format!("revoked {}", at.format("%Y-%m-%d")));
                        outln!(
                            "{:>4}  {:<20} {:<32} {}…  created {}  {state}",
                            token.id,
                            token.name,
                            describe_scope(&token.scope),
                            token.prefix,
                            token.created_at.format("%Y-%m-%d")
                        );
                    }
                }
            }
        }
        Cmd::Revoke(cmd) => {
            let Some(info) = store.revoke_token(cmd.id, "cli").await? else {
                return Err(BadInput(format!("no token {}; list them with `paved token list`", cmd.id)).into());
            };
            match cmd.output.format {
                Format::Json => print_json(&info)?,
                Format::Text => outln!("token {} ({}) is revoked", info.id, info.name),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe_scope(scope: &TokenScope) -> String {
    match scope {
        TokenScope::Admin => "admin".to_owned(),
        TokenScope::Team(team) => format!("team {team}"),
    }
}
