//! `paved serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use paved_server::Application;
use paved_store::{DatabaseLocation, OrphanPolicy};

use crate::config::{Config, FlagOverrides};
use crate::exit::BadInput;

/// Serve the JSON API over the catalog and data.
///
/// Opens (or creates) the database, applies migrations, optionally imports a
/// catalog, then serves until SIGINT or SIGTERM, letting requests in flight
/// finish. Endpoints: /healthz, /readyz, /api/v1/entities,
/// /api/v1/entities/{kind}/{namespace}/{name}, /api/v1/teams/{name}, and the
/// OpenAPI document at /api/v1/openapi.json.
///
/// Example: paved serve --catalog examples/acme --listen 127.0.0.1:0
#[derive(Debug, Args)]
pub struct Cmd {
    /// Address to listen on; port 0 picks a free port (the log says which).
    /// Default 127.0.0.1:7700. Env: PAVED_LISTEN.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,

    /// Catalog files or directories to import before serving (all or
    /// nothing; an error in any descriptor stops the start).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    catalog: Vec<PathBuf>,
}

impl Cmd {
    /// This command's flags on top of the global ones.
    pub fn overrides(&self, mut flags: FlagOverrides) -> FlagOverrides {
        flags.listen.clone_from(&self.listen);
        if !self.catalog.is_empty() {
            flags.catalog = Some(self.catalog.clone());
        }
        flags
    }
}

pub async fn run(_cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    check_listen(&config.listen)?;
    let location = DatabaseLocation::parse(&config.database_url)?;
    let catalog = if config.catalog.is_empty() { None } else { Some(super::catalog::load_valid(&config.catalog)?) };
    let store = paved_store::connect(&location).await.with_context(|| format!("opening {location}"))?;
    tracing::info!(database = %location, "database ready");
    if let Some(load) = &catalog {
        let summary = super::catalog::import(&store, &config.catalog, load, OrphanPolicy::Mark).await?;
        for orphan in &summary.orphaned {
            tracing::warn!(entity = %orphan, "orphaned: no longer in its source; `paved catalog import --prune` deletes it");
        }
    }
    let app = Application::build(&config.listen, store).await?;
    tracing::info!(address = %app.address(), "listening on http://{}", app.address());
    app.run_until_stopped(paved_server::shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Refuses a listen address that does not resolve before anything is opened
/// or imported (bad input, exit 2); a taken port is found when binding.
fn check_listen(listen: &str) -> anyhow::Result<()> {
    use std::net::ToSocketAddrs;
    match listen.to_socket_addrs() {
        Ok(mut addresses) => match addresses.next() {
            Some(_) => Ok(()),
            None => Err(BadInput(format!("listen address `{listen}` resolves to nothing; write HOST:PORT, e.g. 127.0.0.1:7700")).into()),
        },
        Err(error) => Err(BadInput(format!(
            "listen address `{listen}` is not HOST:PORT ({error}); write e.g. 127.0.0.1:7700, or 127.0.0.1:0 for a free port"
        ))
        .into()),
    }
}
