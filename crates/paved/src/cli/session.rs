//! `paved session list|revoke`: web sessions, seen and ended by an admin
//! (on the local database, as the CLI).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use paved_app::{App, Caller};

use super::client::local_store;
use crate::config::Config;
use crate::output::{Format, OutputArgs, outln, print_json};

/// Web sessions: who is signed in to the web UI, and ending a session.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List the sessions that last now, newest first (never their secret).
    List(ListCmd),
    /// End a session by its id: its person is signed out at their next
    /// request (audited as `session.end` by you). Revoking the token it was
    /// started with (`paved token revoke`) ends all of that token's.
    ///
    /// Example: paved session revoke 42
    Revoke(RevokeCmd),
}

/// Arguments of `paved session list`.
#[derive(Debug, Args)]
pub struct ListCmd {
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved session revoke`.
#[derive(Debug, Args)]
pub struct RevokeCmd {
    /// The session's id (`paved session list`).
    id: i64,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let (store, _) = local_store(&config).await?;
    let app = App::new(store, config.ingest_settings());
    match cmd {
        Cmd::List(cmd) => {
            let sessions = app.live_sessions(&Caller::Local).await?;
            if cmd.output.format == Format::Json {
                return print_json(&sessions).map(|()| ExitCode::SUCCESS);
            }
            if sessions.is_empty() {
                outln!("Nobody is signed in to the web UI.");
            }
            for session in &sessions {
                outln!(
                    "{:>5}  {}  token {}  since {}  until {}",
                    session.id,
                    session.person,
                    session.token_id,
                    session.created_at.format("%Y-%m-%d %H:%M"),
                    session.expires_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        Cmd::Revoke(cmd) => {
            let ended = app.revoke_session(&Caller::Local, cmd.id).await?;
            outln!("ended session {} of {}", ended.id, ended.person);
        }
    }
    Ok(ExitCode::SUCCESS)
}
