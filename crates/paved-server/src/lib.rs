//! pavedroad's HTTP server: the JSON API under `/api/v1/`, the webhooks
//! under `/hooks/` and `/v2/enqueue`, `/healthz`, `/readyz` and the OpenAPI
//! document at `/api/v1/openapi.json`.
//!
//! Architecture invariant: only this crate knows HTTP. Handlers call the
//! application's use cases ([`paved_app`]) and read the store through it,
//! and map its records to the API's own types (`api::*`), so the storage
//! layout can change without changing the API.
//!
//! [`Application::build`] binds the listener first and exposes its port, then
//! [`Application::run_until_stopped`] serves until the shutdown future
//! resolves. `paved serve` and the tests share that one path; tests bind
//! port 0.

use std::future::Future;
use std::net::SocketAddr;

use paved_store::DynStore;
use tokio::net::TcpListener;

pub mod api;
pub mod auth;
mod error;
mod extract;
pub mod hooks;
mod ical;
pub mod limits;
pub mod paging;
pub mod prometheus;
mod router;
mod serve;
mod settings;
pub mod tls;
mod web;

use std::ops::Deref;
use std::sync::Arc;

use paved_app::App;

pub use error::ApiError;
pub use limits::RateLimits;
pub use router::router;
pub use settings::{
    GitHubApi, HookAuth, HookSource, InvalidApiUrl, PublicUrl, Secret, ServerSettings, Timeouts, WebAuth,
    parse_proxy_header, parse_trusted_proxies,
};
pub use web::FORM_ROUTES;
pub use web::session::{CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, Viewer, csrf_field};

/// Shared state of every handler: the application, and what only HTTP
/// needs (webhook secrets, timeouts, the readiness probe).
///
/// One pointer: axum clones the state for every request (and for every
/// extractor and layer that asks for it), and cloning the application's
/// own handles each time was a fifth of the server's CPU under load.
/// Fields read through [`StateInner`], and the application's through it.
#[derive(Debug, Clone)]
pub struct AppState(Arc<StateInner>);

/// What [`AppState`] shares.
#[derive(Debug)]
pub struct StateInner {
    /// The application every handler calls; its fields (`store`,
    /// `catalog`, `ingestor`, `ingest`, `analysis`) read through this state.
    pub app: App,
    /// How webhooks are verified and requests timed.
    pub settings: Arc<ServerSettings>,
    /// The last readiness probe, shared by every `/readyz`.
    pub readiness: api::health::Readiness,
    /// The key and base URL of pages' acknowledge and resolve links.
    pub links: Option<paging::Links>,
    /// What this process served, for `/metrics`.
    pub http: Arc<prometheus::HttpMetrics>,
}

impl AppState {
    /// State over `store`; starts the ingestion writer on the current Tokio
    /// runtime.
    pub fn new(store: DynStore, settings: ServerSettings) -> Self {
        Self::with_links(store, settings, None)
    }

    /// [`Self::new`] with the links of pages' buttons.
    pub fn with_links(store: DynStore, settings: ServerSettings, links: Option<paging::Links>) -> Self {
        Self(Arc::new(StateInner {
            app: App::new(store, settings.ingest.clone())
                .with_deploy_defaults(settings.deploy_policy.clone())
                .with_paging(settings.paging.clone())
                .with_secret_key(settings.secret_key.clone())
                .with_provision(settings.provision.clone())
                .with_scaffold(settings.scaffold.clone())
                .with_ci_identity(settings.ci_identity.clone()),
            settings: Arc::new(settings),
            readiness: api::health::Readiness::default(),
            links,
            http: Arc::default(),
        }))
    }
}

impl Deref for AppState {
    type Target = StateInner;

    fn deref(&self) -> &StateInner {
        &self.0
    }
}

/// Handlers reach the application's use cases and stores through the state.
impl Deref for StateInner {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// A bound, not yet running, server.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    tls: Option<Arc<tls::Tls>>,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listen address could not be bound.
    #[error("cannot listen on {listen} (pick another address with --listen; port 0 picks a free port)")]
    Bind {
        /// The address asked for.
        listen: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("the server stopped with an error: {0}")]
    Io(#[from] std::io::Error),
    /// The database could not be read or written while starting.
    #[error("the server could not start: {0}")]
    Store(String),
    /// A setting cannot be used.
    #[error("invalid configuration: {0}")]
    Settings(String),
}

impl Application {
    /// Binds `listen` (e.g. `127.0.0.1:7700`; port 0 picks a free port).
    ///
    /// # Errors
    /// [`ServeError::Bind`] when the address is taken or invalid.
    pub async fn build(listen: &str, store: DynStore, settings: ServerSettings) -> Result<Self, ServeError> {
        let bind_error = |source| ServeError::Bind { listen: listen.to_owned(), source };
        let listener = TcpListener::bind(listen).await.map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        let base = match &settings.web.public_url {
            Some(url) => url.origin().to_owned(),
            None => format!("http://{address}"),
        };
        let links = paging::Links::resolve(&store, settings.link_key.as_ref(), &base)
            .await
            .map_err(|error| ServeError::Store(error.to_string()))?;
        let state = AppState::with_links(store, settings, Some(links));
        Ok(Self { listener, address, state, tls: None })
    }

    /// The pager that sends this server's pages (see
    /// [`paved_app::App::run_pager`]).
    ///
    /// # Errors
    /// [`ServeError::Settings`] when the SMTP settings make no client.
    pub fn pager(&self) -> Result<paging::NotifyPager, ServeError> {
        let links = self.state.links.clone().ok_or_else(|| ServeError::Settings("no link key".to_owned()))?;
        paging::NotifyPager::new(self.state.settings.notify.clone(), links)
            .map_err(|error| ServeError::Settings(error.to_string()))
    }

    /// The address actually bound (with the port picked when 0 was asked).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The application the server calls (for the work it does beside
    /// answering requests: the embedded runner, the interrupted-deploy
    /// sweep).
    pub fn app(&self) -> App {
        self.state.app.clone()
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Serves requests until `shutdown` resolves, then lets requests in
    /// flight finish, for at most [`Timeouts::shutdown_grace`]. A client
    /// must send a request's headers within [`Timeouts::header_read`].
    ///
    /// # Errors
    /// None today: a failed accept is logged and retried. The `Result`
    /// stays for errors a future listener may have.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let timeouts = self.state.settings.timeouts;
        if let Some(tls) = &self.tls {
            spawn_tls_reload(tls.clone());
        }
        serve::serve(self.listener, router(self.state), timeouts, self.tls, shutdown).await;
        Ok(())
    }

    /// Serves HTTPS with `tls` instead of HTTP; SIGHUP reads its files
    /// again.
    #[must_use]
    pub fn with_tls(mut self, tls: tls::Tls) -> Self {
        self.tls = Some(Arc::new(tls));
        self
    }

    /// `https` with TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
}

/// Reads the certificate and key again on each SIGHUP (Unix), keeping the
/// ones in use when the new files do not load.
fn spawn_tls_reload(tls: Arc<tls::Tls>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            tracing::warn!("SIGHUP cannot be watched: the certificate is read again only on a restart");
            return;
        };
        while hangups.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => tracing::info!("SIGHUP: the TLS certificate and key were read again"),
                Err(error) => tracing::error!(%error, "SIGHUP: the TLS files did not load; the ones in use stay"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = tls;
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, for graceful shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
