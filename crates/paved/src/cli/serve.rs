//! `paved serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use paved_server::{Application, HookAuth, HookSource};
use paved_store::{DatabaseLocation, OrphanPolicy};

use crate::config::{Config, FlagOverrides};
use crate::exit::BadInput;

/// Serve the JSON API and the webhooks over the catalog and data.
///
/// Opens (or creates) the database, applies migrations, optionally imports a
/// catalog, then serves until SIGINT or SIGTERM, letting requests in flight
/// finish. The OpenAPI document at /api/v1/openapi.json lists every endpoint:
/// the catalog (/api/v1/entities, /api/v1/teams/{name}), deployments and
/// incidents (/api/v1/deployments, /api/v1/incidents), raw events and
/// identities, and the webhooks:
///
///   /hooks/github        X-Hub-Signature-256 with PAVED_GITHUB_WEBHOOK_SECRET
///   /hooks/gitlab        X-Gitlab-Token equal to PAVED_GITLAB_WEBHOOK_TOKEN
///   /hooks/pagerduty     X-PagerDuty-Signature with PAVED_PAGERDUTY_WEBHOOK_SECRET
///   /hooks/alertmanager  Authorization: Bearer <pavedroad API token>
///   /v2/enqueue          PagerDuty Events API v2; routing_key = an API token
///
/// A webhook source without its secret is refused (403) unless opened with
/// --open-hook. Every delivery is stored, durably, before it is answered.
///
/// The web UI is at /. People sign in on /sign-in with a personal token
/// (`paved token create --user NAME`), or through an authenticating proxy
/// (auth_proxy_header, auth_proxy_trusted); with require_sign_in every page
/// asks for it. See `paved config default`.
///
/// Example: PAVED_GITHUB_WEBHOOK_SECRET=... paved serve --catalog examples/acme
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct Cmd {
    /// Address to listen on; port 0 picks a free port (the log says which).
    /// Default 127.0.0.1:7700. Env: PAVED_LISTEN.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,

    /// Catalog files or directories to import before serving (all or
    /// nothing; an error in any descriptor stops the start).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    catalog: Vec<PathBuf>,

    /// Accept deliveries of this webhook source (github, gitlab, pagerduty)
    /// WITHOUT verifying who sent them, when it has no secret configured.
    /// Only for trying pavedroad out on a private network. Repeatable.
    /// Env: PAVED_OPEN_HOOKS (comma-separated).
    #[arg(long = "open-hook", value_name = "SOURCE")]
    open_hooks: Vec<String>,

    /// Run no deploys in this process: leave them to `paved runner`
    /// processes (where the deploy credentials are). By default the server
    /// runs the deploys of targets without a `spec.runner` label itself.
    #[arg(long)]
    no_embedded_runner: bool,

    /// How long a runner may go silent before its deploy is marked
    /// interrupted and the target's lock is freed (e.g. 30s, 2m).
    #[arg(long, value_name = "SPAN", default_value = "30s", env = "PAVED_RUNNER_LEASE", hide_env_values = true)]
    runner_lease: String,

    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs
    /// --tls-key. SIGHUP reads both files again (a renewed certificate,
    /// without a restart).
    #[arg(long, value_name = "PATH", requires = "tls_key", env = "PAVED_TLS_CERT", hide_env_values = true)]
    tls_cert: Option<PathBuf>,

    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PATH", requires = "tls_cert", env = "PAVED_TLS_KEY", hide_env_values = true)]
    tls_key: Option<PathBuf>,
}

impl Cmd {
    /// This command's flags on top of the global ones.
    pub fn overrides(&self, mut flags: FlagOverrides) -> FlagOverrides {
        flags.listen.clone_from(&self.listen);
        if !self.catalog.is_empty() {
            flags.catalog = Some(self.catalog.clone());
        }
        if !self.open_hooks.is_empty() {
            flags.open_hooks = Some(self.open_hooks.clone());
        }
        flags
    }
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    check_listen(&config.listen)?;
    let lease =
        paved_domain::parse_span(&cmd.runner_lease).map_err(|error| BadInput(format!("--runner-lease: {error}")))?;
    let settings = config.server_settings()?;
    let tls = match (&cmd.tls_cert, &cmd.tls_key) {
        (Some(cert), Some(key)) => Some(paved_server::tls::Tls::load(cert, key).map_err(BadInput)?),
        _ => None,
    };
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
    for source in [HookSource::GitHub, HookSource::GitLab, HookSource::PagerDuty] {
        match settings.hook_auth(source) {
            HookAuth::Secret(_) => {}
            HookAuth::Open => tracing::warn!(
                source = source.name(),
                "webhooks of this source are accepted without verification (--open-hook)"
            ),
            HookAuth::Refused => tracing::info!(
                source = source.name(),
                "webhooks of this source are refused until {} is set",
                source.secret_variable()
            ),
        }
    }
    match &settings.web.proxy_header {
        Some(header) => tracing::info!(
            header = %header,
            trusted = ?settings.web.proxy_trusted,
            "people are signed in by an authenticating proxy's header, believed only from the trusted addresses"
        ),
        None => tracing::info!("people sign in to the web UI with a personal token at /sign-in"),
    }
    if settings.web.require_sign_in {
        tracing::info!("every page of the web UI needs signing in (require_sign_in)");
    }
    match settings.github_api.token() {
        Some(_) => tracing::info!(
            api = %settings.github_api.base_url(),
            "GitHub deployment protection rules are answered with the deploy policy"
        ),
        None => tracing::info!(
            "GitHub deployment protection rules are stored, not answered, until PAVED_GITHUB_TOKEN is set"
        ),
    }
    let mut app = Application::build(&config.listen, store, settings).await?;
    if let Some(tls) = tls {
        app = app.with_tls(tls);
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    spawn_deploy_work(app.app(), lease, !cmd.no_embedded_runner, stopped.clone());
    spawn_pager(&app, stopped.clone())?;
    spawn_drift_check(app.app(), stopped);
    tracing::info!(address = %app.address(), "listening on {}://{}", app.scheme(), app.address());
    app.run_until_stopped(paved_server::shutdown_signal()).await?;
    let _ = stop.send(true);
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Refuses a listen address that does not resolve before anything is opened
/// or imported (bad input, exit 2); a taken port is found when binding.
pub(super) fn check_listen(listen: &str) -> anyhow::Result<()> {
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

/// The pager of a server (`paved serve`, `paved demo`): every replica runs
/// one; the store makes each escalation step and each page happen once.
pub(super) fn spawn_pager(
    app: &paved_server::Application,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let pager = app.pager().map_err(|error| BadInput(error.to_string()))?;
    let app = app.app();
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "paved".to_owned());
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let owner = format!("{host}:{}:{:x}", std::process::id(), started.as_nanos());
    tracing::info!(pager = %owner, "the pager routes incidents to their escalation policies");
    tokio::spawn(async move {
        app.run_pager(&owner, &pager, async move {
            let _ = stopped.changed().await;
        })
        .await;
    });
    Ok(())
}

/// How often a server looks again at the drift of the services made from
/// golden paths (the services and team pages show what it found).
const DRIFT_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// The drift check of a server: every hour, each service made from a
/// golden path is compared with its template again (`paved drift` does it
/// at once); and once a day, every service is scored on every scorecard,
/// kept as the day's result (history, and the level earned autonomy reads).
pub(super) fn spawn_drift_check(app: paved_app::App, mut stopped: tokio::sync::watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(DRIFT_CHECK_EVERY);
        let mut scored_on: Option<chrono::NaiveDate> = None;
        loop {
            tokio::select! {
                _ = every.tick() => {
                    match app.drift(&paved_app::scaffold::drift::DriftScope::default()).await {
                        Ok(found) => tracing::debug!(services = found.len(), "drift of the golden paths' services checked"),
                        Err(error) => tracing::warn!(%error, "checking the golden paths' services for drift failed"),
                    }
                    // The scorecards, once a day (after the drift they read).
                    let today = chrono::Utc::now().date_naive();
                    if scored_on != Some(today) {
                        let scope = paved_app::scorecards::ScoreScope::default();
                        match app.scorecards(&scope, chrono::Utc::now()).await {
                            Ok(cards) => {
                                scored_on = Some(today);
                                tracing::debug!(scorecards = cards.len(), "the day's scorecard results kept");
                            }
                            Err(error) => tracing::warn!(%error, "evaluating the scorecards failed"),
                        }
                    }
                }
                _ = stopped.changed() => return,
            }
        }
    });
}

/// The deploy work of a server (`paved serve`, `paved demo`): marking interrupted the deploys whose
/// runner went silent for `lease` (on every replica; the store makes each
/// change once), finishing provisioning requests a stopped replica left
/// mid-way, ending golden-path runs whose process stopped, and the embedded runner unless `embedded` is off.
pub(super) fn spawn_deploy_work(
    app: paved_app::App,
    lease: std::time::Duration,
    embedded: bool,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    let sweeper = app.clone();
    let mut sweep_stopped = stopped.clone();
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let resumer = format!("resume:{}:{:x}", std::process::id(), started.as_nanos());
    tokio::spawn(async move {
        let mut every = tokio::time::interval((lease / 3).max(std::time::Duration::from_millis(200)));
        loop {
            tokio::select! {
                _ = every.tick() => {
                    if let Err(error) = sweeper.interrupt_stale_deploys(lease).await {
                        tracing::warn!(%error, "looking for interrupted deploys failed");
                    }
                    // Provisioning requests a stopped replica left mid-way.
                    match sweeper.resume_provisioning(&resumer).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(finished = n, "finished provisioning requests a stopped replica began"),
                        Err(error) => tracing::warn!(%error, "looking for interrupted provisioning requests failed"),
                    }
                    // Golden-path runs whose process stopped.
                    if let Err(error) = sweeper.interrupt_stale_template_runs(paved_app::scaffold::sweep::RUN_LIMIT).await {
                        tracing::warn!(%error, "looking for interrupted golden-path runs failed");
                    }
                }
                _ = sweep_stopped.changed() => return,
            }
        }
    });
    if !embedded {
        tracing::info!("deploys run only on `paved runner` processes (--no-embedded-runner)");
        return;
    }
    let settings = paved_runner::worker::RunnerSettings::new(Vec::new());
    tracing::info!(runner = %settings.name, "the embedded runner runs deploys of targets without a runner label");
    let source = paved_runner::worker::AppSource { app, caller: paved_app::Caller::Local };
    let mut stopped = stopped;
    tokio::spawn(async move {
        paved_runner::worker::run_forever(&source, &settings, async move {
            let _ = stopped.changed().await;
        })
        .await;
    });
}
