//! `paved token create|list|revoke`.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use paved_app::tokens::{CreatedToken, TokenRequest};
use paved_app::{App, Caller};
use paved_store::{TokenInfo, TokenScope};
use serde::Serialize;

use super::client::local_store;
use crate::config::Config;
use crate::exit::BadInput;
use crate::output::outln;
use crate::output::{Format, OutputArgs, print_json};

/// API tokens: what people, CI jobs and senders of alerts authenticate with.
///
/// A personal token (--user) acts as that person: they may act on the
/// services they own (members of the owning team or a team below it). A
/// team token records deployments and incidents only for services its
/// team (or a team below it) owns; an admin token for any. Alertmanager and
/// Events API v2 senders (/hooks/alertmanager, /v2/enqueue) send a token as
/// a bearer token or as the routing key. Tokens are shown once and stored
/// only as a hash; every creation and revocation is audited.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a token and print it (once).
    ///
    /// Examples:
    ///   paved token create --user dana --expires 90d
    ///   paved token create --team checkout --name ci-checkout
    #[command(verbatim_doc_comment)]
    Create(CreateCmd),
    /// List tokens (never their secret).
    List(ListCmd),
    /// Revoke a token by its id.
    Revoke(RevokeCmd),
}

/// Arguments of `paved token create`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).args(["team", "user", "admin"])))]
pub struct CreateCmd {
    /// A person (a catalog User) the token acts as: a personal token.
    #[arg(long)]
    user: Option<String>,
    /// The team (a Group) whose services the token acts on.
    #[arg(long)]
    team: Option<String>,
    /// A token that acts on every service.
    #[arg(long)]
    admin: bool,
    /// A name to recognise it by (default: the person's or team's name, or
    /// `admin`).
    #[arg(long)]
    name: Option<String>,
    /// How long it lives: 30m, 12h, 90d, 2w (default: until revoked).
    #[arg(long, value_name = "SPAN")]
    expires: Option<String>,
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
    // Creating a token may be the first thing done with a new database.
    let (store, _) = match &cmd {
        Cmd::Create(_) => {
            let location = paved_store::DatabaseLocation::parse(&config.database_url)?;
            super::client::local_store_or_create(location).await?
        }
        _ => local_store(&config).await?,
    };
    match cmd {
        Cmd::Create(cmd) => {
            let app = App::new(store, config.ingest_settings());
            let request = TokenRequest { name: cmd.name, team: cmd.team, user: cmd.user, expires: cmd.expires };
            let CreatedToken { token, info } = app.create_token(&Caller::Local, &request).await?;
            match cmd.output.format {
                Format::Json => print_json(&Created { token: &token, info: &info })?,
                Format::Text => {
                    outln!("{token}");
                    let expires = info
                        .expires_at
                        .map(|at| format!(", expires {}", at.format("%Y-%m-%d %H:%M UTC")))
                        .unwrap_or_default();
                    let keep = match info.scope {
                        TokenScope::User(_) => "keep it like a password (e.g. PAVED_TOKEN in your shell profile)",
                        _ => "store it as a CI secret (e.g. PAVED_TOKEN)",
                    };
                    eprintln!(
                        "token {} ({}{expires}) created; it is shown only now: {keep}",
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
                        let state = match (token.revoked_at, token.expires_at) {
                            (Some(at), _) => format!("revoked {}", at.format("%Y-%m-%d")),
                            (None, Some(at)) if at <= chrono::Utc::now() => {
                                format!("expired {}", at.format("%Y-%m-%d"))
                            }
                            (None, Some(at)) => format!("active, expires {}", at.format("%Y-%m-%d")),
                            (None, None) => "active".to_owned(),
                        };
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
        TokenScope::User(person) => format!("user {person}"),
    }
}
