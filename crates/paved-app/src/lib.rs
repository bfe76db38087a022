//! pavedroad's application layer: the use cases, called the same way by the
//! CLI, the HTTP API, the web pages and background jobs.
//!
//! Layering: the binary and the server call this crate; this crate calls
//! the store, ingestion, metrics and catalog crates; nothing here knows
//! HTTP or the terminal. A use case answers with structured results or an
//! [`AppError`], whose kind the server turns into a status and the CLI into
//! an exit code.
//!
//! Rooms:
//! - [`access`]: who is acting ([`Caller`]) and what catalog ownership lets
//!   them do — the one place that decides it.
//! - [`tokens`]: API tokens, made, hashed and looked up.
//! - [`sessions`]: signing in to the web UI (sessions from personal tokens,
//!   people named by an authenticating proxy).
//! - [`record`]: recording deployments, incidents and shifts through
//!   pavedroad's own API, checked before anything is stored.
//! - [`ingestor`]: group commit of raw events (one transaction per burst).
//! - [`metrics`], [`analysis_cache`], [`catalog_cache`]: loading the
//!   analysis the reports read, and keeping it and the catalog in memory.
//! - [`identities`]: who the data names and whom the catalog lacks.
//! - [`deploy`]: deploys on the paved road; [`deploy::policy`] the checks
//!   that decide whether one may start; [`deploy::protection`] GitHub's
//!   custom deployment protection rules answered with them.
//! - [`deployments`]: deployments with the human who caused each.
//! - [`services`]: one service's overview (what its page shows).
//! - [`contacts`]: how people are reached when paged, the catalog's
//!   contacts and those they add; [`secrets`]: sealing what is kept secret.
//! - [`provision`]: self-service provisioning from Modules, its drivers
//!   and the resources it made.
//! - [`oncall`]: who is on call, from Schedules, their overrides (made
//!   here, by the Schedule's team) and recorded shifts; the calendar feeds.
//! - [`render`]: the diagnosis as text, Markdown and HTML;
//!   [`render::findings`]: the sentences of its findings and phase.
//! - [`wire`]: the reports as JSON and OpenAPI schemas (CLI and API).
//!
//! The actions of the paved road (deploy, page, provision, scaffold) and
//! their job queue get rooms of their own here, beside these.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use paved_domain::Record;
use paved_ingest::IngestSettings;
use paved_metrics::{BenchmarkTable, CultureReport, DoraReport, Period, Window};
use paved_store::DynStore;

pub mod access;
pub mod analysis_cache;
pub mod audit;
pub mod catalog_cache;
pub mod ci_identity;
pub mod contacts;
pub mod deploy;
pub mod deployments;
mod error;
pub mod events;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod gitcli;
pub mod heartbeats;
pub mod identities;
pub mod ingestor;
pub mod metrics;
pub mod oncall;
pub mod paging;
pub mod provision;
pub mod record;
pub mod render;
pub mod scaffold;
pub mod scorecards;
pub mod secrets;
pub mod services;
pub mod sessions;
pub mod tokens;
pub mod wire;

pub use access::{Caller, Via};
pub use analysis_cache::{AnalysisCache, OrgAnalysis};
pub use catalog_cache::CatalogCache;
pub use error::AppError;
pub use ingestor::Ingestor;
pub use metrics::ScopeRequest;
pub use record::RecordAction;

/// The application over one store: what every use case reads and writes
/// through. Cheap to clone; clones share their caches and writer.
#[derive(Debug, Clone)]
pub struct App {
    /// The store every use case reads and writes through.
    pub store: DynStore,
    /// The catalog, indexed, read again when an import changes it.
    pub catalog: CatalogCache,
    /// The writer that stores raw events in batches (group commit).
    pub ingestor: Ingestor,
    /// How records are derived from events.
    pub ingest: Arc<IngestSettings>,
    /// The organisation's analysis, for reports and pages.
    pub analysis: AnalysisCache,
    /// The organisation's deploy policy: what a DeployTarget's own policy
    /// leaves out.
    pub deploy_defaults: Arc<paved_domain::Policy>,
    /// Woken when this process queues a deploy, so that its embedded runner
    /// claims it at once instead of at its next poll.
    deploys_queued: Arc<tokio::sync::Notify>,
    /// How the organisation pages.
    pub paging: Arc<paging::PagingSettings>,
    /// Woken when an escalation starts or a step fires, so that this
    /// process's pager works at once instead of at its next poll.
    pager_wake: Arc<tokio::sync::Notify>,
    /// Escalations the requests of this process asked for, which its pager
    /// starts in one transaction (a crash before that leaves them to
    /// [`App::sweep_unrouted`]).
    pending_escalations: Arc<std::sync::Mutex<Vec<paved_store::NewEscalation>>>,
    /// The key secrets are sealed with (`secret_key`); without it nothing
    /// secret is kept.
    pub secret_key: Option<Arc<secrets::SecretKey>>,
    /// The servers provisioning Modules run on.
    pub provision: Arc<provision::ProvisionSettings>,
    /// Where golden paths publish new repositories.
    pub scaffold: Arc<scaffold::ScaffoldSettings>,
    /// The alert rules read from repositories, by repository and commit.
    alert_rules: Arc<scorecards::alerts::AlertCache>,
    /// The CI issuers whose ID tokens stand for people (keyless CI).
    pub ci_identity: Arc<ci_identity::CiIdentity>,
}

/// What a recording did: the record as stored, and whether the request was
/// new (`false` for a repeated request, which changed nothing).
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The record as stored after the request.
    pub record: Record,
    /// True when the request was new.
    pub new: bool,
}

impl App {
    /// With `policy` as the organisation's deploy policy.
    #[must_use]
    pub fn with_deploy_defaults(mut self, policy: paved_domain::Policy) -> Self {
        self.deploy_defaults = Arc::new(policy);
        self
    }

    /// The application over `store`; starts the ingestion writer on the
    /// current Tokio runtime.
    pub fn new(store: DynStore, ingest: IngestSettings) -> Self {
        Self {
            catalog: CatalogCache::new(store.clone()),
            ingestor: Ingestor::start(store.clone()),
            ingest: Arc::new(ingest),
            analysis: AnalysisCache::default(),
            deploy_defaults: Arc::new(paved_domain::Policy::default()),
            deploys_queued: Arc::new(tokio::sync::Notify::new()),
            paging: Arc::new(paging::PagingSettings::default()),
            pager_wake: Arc::new(tokio::sync::Notify::new()),
            pending_escalations: Arc::default(),
            secret_key: None,
            provision: Arc::default(),
            scaffold: Arc::default(),
            alert_rules: Arc::default(),
            ci_identity: Arc::default(),
            store,
        }
    }

    /// Resolves once this process has queued a deploy (a deploy, or the
    /// rollback of a failed one) since the last time it resolved — at once
    /// if one was queued meanwhile. The embedded runner waits on it between
    /// polls; deploys queued by other replicas are found by polling.
    pub async fn deploy_queued(&self) {
        self.deploys_queued.notified().await;
    }

    /// With `key` to seal secrets with.
    #[must_use]
    pub fn with_secret_key(mut self, key: Option<secrets::SecretKey>) -> Self {
        self.secret_key = key.map(Arc::new);
        self
    }

    /// With `settings` naming the servers Modules run on.
    #[must_use]
    pub fn with_provision(mut self, settings: provision::ProvisionSettings) -> Self {
        self.provision = Arc::new(settings);
        self
    }

    /// With `settings` saying where golden paths publish.
    #[must_use]
    pub fn with_scaffold(mut self, settings: scaffold::ScaffoldSettings) -> Self {
        self.scaffold = Arc::new(settings);
        self
    }

    /// With `settings` as how the organisation pages.
    #[must_use]
    pub fn with_paging(mut self, settings: paging::PagingSettings) -> Self {
        self.paging = Arc::new(settings);
        self
    }

    /// Resolves once this process started an escalation or fired a step
    /// since the last time it resolved; the pager waits on it between
    /// polls.
    pub async fn pager_woken(&self) {
        self.pager_wake.notified().await;
    }

    /// Wakes the pager waiting in [`App::pager_woken`].
    pub(crate) fn wake_pager(&self) {
        self.pager_wake.notify_one();
    }

    /// Queues an escalation for this process's pager to start.
    pub(crate) fn queue_escalation(&self, escalation: paved_store::NewEscalation) {
        if let Ok(mut pending) = self.pending_escalations.lock() {
            pending.push(escalation);
        }
        self.wake_pager();
    }

    /// The escalations queued since the last call.
    pub(crate) fn take_queued_escalations(&self) -> Vec<paved_store::NewEscalation> {
        self.pending_escalations.lock().map(|mut pending| std::mem::take(&mut *pending)).unwrap_or_default()
    }

    /// Wakes a runner waiting in [`App::deploy_queued`].
    pub(crate) fn wake_runner(&self) {
        self.deploys_queued.notify_one();
    }

    /// Records `body` as `action` by `caller`: checked against the catalog
    /// and the caller's ownership, stored durably with its audit entry, and
    /// derived like any event.
    ///
    /// # Errors
    /// As [`record::prepare`] and [`record::outcome`]; a store failure.
    pub async fn record(
        &self,
        caller: &Caller,
        action: RecordAction,
        body: Vec<u8>,
        received_at: DateTime<Utc>,
    ) -> Result<Recorded, AppError> {
        let catalog = self.catalog.current().await?;
        let prepared = record::prepare(&self.store, &catalog, &self.ingest, caller, action, body, received_at).await?;
        let ingested = self.ingestor.ingest(prepared.event.clone()).await?;
        self.route_ingested(&ingested).await;
        let (record, new) = record::outcome(&self.store, &prepared, ingested).await?;
        Ok(Recorded { record, new })
    }

    /// Starts or stops the escalations of the incidents an ingestion
    /// stored. A failure is logged, not returned: the event is stored and
    /// acknowledged, and [`App::sweep_unrouted`] starts a missed escalation.
    pub async fn route_ingested(&self, ingested: &paved_store::Ingested) {
        if let Err(error) = self.route_incidents(&ingested.records).await {
            tracing::warn!(%error, "routing an incident to its escalation policy failed; the sweep will retry");
        }
    }

    /// Appends `entry` to the audit log on its own, for an action that
    /// stores nothing else (an answer to GitHub's deployment protection
    /// rule); `raw_event_id` names the stored delivery that asked for it.
    ///
    /// # Errors
    /// A store failure.
    pub async fn audit(&self, entry: &paved_store::NewAudit, raw_event_id: Option<i64>) -> Result<(), AppError> {
        Ok(self.store.append_audit(entry, raw_event_id).await?)
    }

    /// The organisation's analysis for the data as it is now.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn org_analysis(&self) -> Result<Arc<OrgAnalysis>, AppError> {
        self.analysis.org(self).await
    }

    /// The diagnosis of `scope` over `window`.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a scope the catalog lacks; a store failure.
    pub async fn report(
        &self,
        scope: &ScopeRequest,
        window: Window,
        table: BenchmarkTable,
    ) -> Result<Arc<CultureReport>, AppError> {
        self.analysis.report(self, scope, window, table).await
    }

    /// The DORA report of `scope` over `window`.
    ///
    /// # Errors
    /// As [`Self::report`].
    pub async fn dora(
        &self,
        scope: &ScopeRequest,
        window: Window,
        series: Option<Period>,
        table: BenchmarkTable,
    ) -> Result<DoraReport, AppError> {
        self.analysis.dora(self, scope, window, series, table).await
    }
}

/// The records of one kind among `records`, as the type `pick` takes out
/// of them (records of other kinds are left out).
pub(crate) fn records_as<T>(records: Vec<Record>, pick: impl Fn(Record) -> Option<T>) -> Vec<T> {
    records.into_iter().filter_map(pick).collect()
}
