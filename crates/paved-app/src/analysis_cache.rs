//! The organisation's analysis, kept in memory: loaded once, and again only
//! when the data changes (the store's data version), so that pages and
//! reports cost a summary of facts, not a walk of every history. Reports
//! are kept too, per scope and window, for the same data.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use paved_domain::{CatalogIndex, EntityRef};
use paved_metrics::{
    Analysis, BenchmarkTable, CultureConfig, CultureReport, DoraReport, Period, ReportRequest, Scope, ScopeKind, Window,
};
use tokio::sync::Mutex;

use crate::metrics::{GraphCache, ScopeRequest, load_analysis_with, resolve_scope};
use crate::{App, AppError};

/// How far back shifts are resolved (the longest window a page offers is
/// shorter).
const SHIFTS_BACK: i64 = 400;
/// How far ahead shifts are resolved ("on call next").
const SHIFTS_AHEAD: i64 = 14;
/// Reports kept per data version: enough for every service and team of a
/// large organisation in two windows (the list pages show one per row).
const MAX_REPORTS: usize = 4096;
/// An analysis that took at least this long to build is served as it is
/// while the next one builds in the background after a data change: at
/// scale a rebuild takes minutes, and pages must not wait for it. A quicker
/// one is rebuilt before answering, so that a small organisation's pages
/// always show the data of the moment.
const SERVE_STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// The analysis of every service, with the catalog it was built from.
#[derive(Debug)]
pub struct OrgAnalysis {
    /// The analysis.
    pub analysis: Analysis,
    /// The services, in the analysis's order.
    pub services: Vec<EntityRef>,
    /// The catalog.
    pub catalog: Arc<CatalogIndex>,
    /// When it was loaded.
    pub loaded_at: DateTime<Utc>,
}

impl OrgAnalysis {
    /// The services of `scope` as indices into the analysis.
    pub fn indices(&self, services: &[EntityRef]) -> Vec<usize> {
        let wanted: std::collections::HashSet<String> = services.iter().map(EntityRef::key).collect();
        (0..self.services.len()).filter(|i| wanted.contains(&self.services[*i].key())).collect()
    }
}

#[derive(Debug, Default)]
struct Cached {
    version: String,
    org: Option<Arc<OrgAnalysis>>,
    reports: HashMap<String, Arc<CultureReport>>,
    /// How long the analysis took to build.
    took: std::time::Duration,
    /// True while a rebuild runs in the background.
    rebuilding: bool,
}

/// The cache; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct AnalysisCache {
    inner: Arc<Mutex<Cached>>,
    /// Commit graphs, kept across data versions (locked by one build at a
    /// time).
    graphs: Arc<Mutex<GraphCache>>,
}

impl AnalysisCache {
    /// The organisation's analysis for the data as it is now.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn org(&self, app: &App) -> Result<Arc<OrgAnalysis>, AppError> {
        let version = app.store.data_version().await?;
        let mut cached = self.inner.lock().await;
        if cached.version == version
            && let Some(org) = &cached.org
        {
            return Ok(org.clone());
        }
        if let Some(org) = &cached.org
            && cached.took >= SERVE_STALE_AFTER
        {
            let org = org.clone();
            if !cached.rebuilding {
                cached.rebuilding = true;
                let (cache, app) = (self.clone(), app.clone());
                tokio::spawn(async move {
                    let rebuilt = cache.build(&app).await;
                    let mut cached = cache.inner.lock().await;
                    cached.rebuilding = false;
                    match rebuilt {
                        Ok((version, org, took)) => {
                            *cached =
                                Cached { version, org: Some(org), reports: HashMap::new(), took, rebuilding: false };
                        }
                        Err(error) => tracing::warn!(%error, "rebuilding the analysis failed; the last one stays"),
                    }
                });
            }
            return Ok(org);
        }
        // Built under the lock: concurrent requests wait for one build.
        let (version, org, took) = self.build(app).await?;
        *cached = Cached { version, org: Some(org.clone()), reports: HashMap::new(), took, rebuilding: false };
        Ok(org)
    }

    /// Builds the analysis of the data as it is now, with the data version
    /// read before (a change during the build makes the next request build
    /// again) and how long it took.
    async fn build(&self, app: &App) -> Result<(String, Arc<OrgAnalysis>, std::time::Duration), AppError> {
        let started = std::time::Instant::now();
        let version = app.store.data_version().await?;
        let catalog = app.catalog.current().await?;
        let services: Vec<EntityRef> = catalog.services().into_iter().map(|info| info.entity_ref.clone()).collect();
        let now = Utc::now().trunc_subsecs(0);
        let shifts = Window::new(now - Duration::days(SHIFTS_BACK), now + Duration::days(SHIFTS_AHEAD))
            .expect("a window forward in time");
        let mut graphs = self.graphs.lock().await;
        let (analysis, _) =
            load_analysis_with(&app.store, &catalog, &app.ingest, &services, true, shifts, Some(&mut graphs)).await?;
        drop(graphs);
        let took = started.elapsed();
        tracing::info!(took_ms = took.as_millis(), services = services.len(), "analysis built");
        Ok((version, Arc::new(OrgAnalysis { analysis, services, catalog, loaded_at: now }), took))
    }

    /// The diagnosis of `scope` over `window`.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a scope the catalog lacks; a store
    /// failure.
    pub async fn report(
        &self,
        app: &App,
        scope: &ScopeRequest,
        window: Window,
        table: BenchmarkTable,
    ) -> Result<Arc<CultureReport>, AppError> {
        let org = self.org(app).await?;
        self.report_of(&org, scope, window, table).await
    }

    /// The diagnosis of `scope` over `window` in an analysis already at
    /// hand: for pages that show many scopes, one data-version check for
    /// all of them.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a scope the catalog lacks.
    pub async fn report_of(
        &self,
        org: &Arc<OrgAnalysis>,
        scope: &ScopeRequest,
        window: Window,
        table: BenchmarkTable,
    ) -> Result<Arc<CultureReport>, AppError> {
        let key = format!("{scope:?}|{}|{}|{}", window.since.timestamp(), window.until.timestamp(), table.name());
        {
            let cached = self.inner.lock().await;
            // Reports belong to the analysis they were made from.
            if cached.org.as_ref().is_some_and(|current| Arc::ptr_eq(current, org))
                && let Some(report) = cached.reports.get(&key)
            {
                return Ok(report.clone());
            }
        }
        let (scope, services) = resolve_scope(&org.catalog, scope)?;
        let indices = org.indices(&services);
        let whole = scope.kind == ScopeKind::Org;
        let members = crate::metrics::team_members(&org.catalog, &scope);
        let request = ReportRequest {
            team_members: members.as_ref(),
            without_service: if whole { org.analysis.dora().without_service() } else { 0 },
            scope,
            services: &indices,
            window,
            series: Some(Period::Month),
            table,
        };
        let report = Arc::new(org.analysis.diagnose(&request, &CultureConfig::default()));
        let mut cached = self.inner.lock().await;
        if cached.org.as_ref().is_some_and(|current| Arc::ptr_eq(current, org)) {
            if cached.reports.len() >= MAX_REPORTS {
                cached.reports.clear();
            }
            cached.reports.insert(key, report.clone());
        }
        Ok(report)
    }

    /// The DORA report of `scope` over `window`.
    ///
    /// # Errors
    /// As [`Self::report`].
    pub async fn dora(
        &self,
        app: &App,
        scope: &ScopeRequest,
        window: Window,
        series: Option<Period>,
        table: BenchmarkTable,
    ) -> Result<DoraReport, AppError> {
        let org = self.org(app).await?;
        let (scope, services) = resolve_scope(&org.catalog, scope)?;
        let indices = org.indices(&services);
        let whole = scope.kind == ScopeKind::Org;
        Ok(org.analysis.dora().report(&ReportRequest {
            team_members: None,
            without_service: if whole { org.analysis.dora().without_service() } else { 0 },
            scope,
            services: &indices,
            window,
            series,
            table,
        }))
    }

    /// The DORA report of one scope built by the caller (Prometheus).
    pub fn dora_of(org: &OrgAnalysis, scope: Scope, services: &[usize], window: Window) -> DoraReport {
        org.analysis.dora().report(&ReportRequest {
            team_members: None,
            scope,
            services,
            window,
            series: None,
            table: BenchmarkTable::default(),
            without_service: 0,
        })
    }

    /// The diagnosis of one service (index `service` of the analysis) over
    /// `window`, without the monthly series and not memoised: what a
    /// scorecard reads, once per service and window of an evaluation.
    pub fn diagnose_service(org: &OrgAnalysis, service: usize, window: Window) -> CultureReport {
        let scope = Scope { kind: ScopeKind::Service, name: org.services[service].to_string() };
        org.analysis.diagnose(
            &ReportRequest {
                team_members: None,
                scope,
                services: &[service],
                window,
                series: None,
                table: BenchmarkTable::default(),
                without_service: 0,
            },
            &CultureConfig::default(),
        )
    }
}
