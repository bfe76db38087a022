//! Loading what the DORA metrics read from the store, and asking the engine
//! for reports: the one path `paved metrics`, `GET /api/v1/metrics/dora`
//! and `/metrics` share.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use paved_domain::{CatalogIndex, EntityRef, Record, RecordKind, RepoId, ServiceMatch};
use paved_ingest::IngestSettings;
use paved_metrics::{
    Analysis, BenchmarkTable, CommitGraph, CultureConfig, CultureReport, DatasetBuilder, DoraConfig, DoraReport,
    GraphCommit, Period, ReportRequest, ReworkPattern, Scope, ScopeKind, Window,
};
use paved_store::{DynStore, RecordFilter, StoreError};

use crate::AppError;

/// What a report is asked about, as a user names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRequest {
    /// One Component (`checkout` or `component:default/checkout`).
    Service(String),
    /// A Group and the teams below it (`checkout` or `group:default/checkout`).
    Team(String),
    /// Every Component.
    Org,
}

/// The people of a team's scope: the members of the Group and of the
/// Groups below it; `None` for a service or the organisation.
pub fn team_members(catalog: &CatalogIndex, scope: &Scope) -> Option<BTreeSet<EntityRef>> {
    if scope.kind != ScopeKind::Team {
        return None;
    }
    let group: EntityRef = scope.name.parse().ok()?;
    Some(
        catalog
            .group_and_descendants(&group)
            .iter()
            .filter_map(|g| catalog.group(g))
            .flat_map(|info| info.members.iter().cloned())
            .collect(),
    )
}

/// The services a scope stands for, and how the report names it.
///
/// # Errors
/// [`AppError::Invalid`] for a service or team the catalog lacks.
pub fn resolve_scope(catalog: &CatalogIndex, scope: &ScopeRequest) -> Result<(Scope, Vec<EntityRef>), AppError> {
    match scope {
        ScopeRequest::Service(name) => match catalog.service_named(name) {
            ServiceMatch::One(service) => {
                Ok((Scope { kind: ScopeKind::Service, name: service.to_string() }, vec![service]))
            }
            ServiceMatch::Several(services) => Err(AppError::Invalid(format!(
                "`{name}` names several components ({}); write the full reference",
                services.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ))),
            ServiceMatch::None => Err(AppError::Invalid(format!(
                "no component `{name}` in the catalog; list them with GET /api/v1/entities?kind=component"
            ))),
        },
        ScopeRequest::Team(name) => {
            let group = EntityRef::parse(name, Some("group"), paved_domain::DEFAULT_NAMESPACE)
                .map_err(|error| AppError::Invalid(format!("team: {error}")))?;
            if catalog.group(&group).is_none() {
                return Err(AppError::Invalid(format!(
                    "no team {group} in the catalog; list them with GET /api/v1/entities?kind=group"
                )));
            }
            let services = catalog
                .services()
                .into_iter()
                .map(|info| info.entity_ref.clone())
                .filter(|service| catalog.team_owns(&group, service))
                .collect();
            Ok((Scope { kind: ScopeKind::Team, name: group.to_string() }, services))
        }
        ScopeRequest::Org => Ok((
            Scope { kind: ScopeKind::Org, name: "organisation".to_owned() },
            catalog.services().into_iter().map(|info| info.entity_ref.clone()).collect(),
        )),
    }
}

/// The DORA facts and everything the diagnostics read of `services`
/// (every record of their history; on-call shifts within `shifts`), ready
/// for any number of reports.
///
/// # Errors
/// When the store cannot be read.
pub async fn load_analysis(
    store: &DynStore,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    services: &[EntityRef],
    whole_organisation: bool,
    shifts: Window,
) -> Result<(Analysis, Vec<usize>), StoreError> {
    load_analysis_with(store, catalog, settings, services, whole_organisation, shifts, None).await
}

/// Commit graphs kept between analyses, by repository, with the import
/// they were read after (a graph changes only when its repository is
/// imported again; events change records, not graphs).
pub type GraphCache = HashMap<RepoId, (String, Arc<CommitGraph>)>;

/// As [`load_analysis`], reusing the graphs of `graphs` whose repository
/// was not imported since, and leaving there the graphs of this analysis.
///
/// # Errors
/// When the store cannot be read.
pub async fn load_analysis_with(
    store: &DynStore,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    services: &[EntityRef],
    whole_organisation: bool,
    shifts: Window,
    graphs: Option<&mut GraphCache>,
) -> Result<(Analysis, Vec<usize>), StoreError> {
    let window = shifts;
    let started = std::time::Instant::now();
    let pattern = ReworkPattern::default();
    let mut builder = DatasetBuilder::new(catalog, &settings.automation);
    let infos: Vec<_> = services.iter().filter_map(|service| catalog.service(service)).collect();
    let repos: BTreeSet<_> = infos.iter().filter_map(|info| info.repo.clone()).collect();
    let mut loaded_repos = Vec::new();
    // Reading the next repository overlaps building the last one's graph;
    // the graphs join the dataset in the repositories' order either way.
    let mut building = Vec::new();
    let mut kept: GraphCache = HashMap::new();
    for repo in repos {
        // Which import the graph would come from; none when no import
        // finished (then nothing is kept).
        let import = match graphs {
            Some(_) => store
                .repository(&repo)
                .await?
                .map(|state| format!("{}|{}|{:?}", state.imported_at.timestamp_micros(), state.commits, state.tips)),
            None => None,
        };
        let cached = graphs.as_deref().and_then(|graphs| graphs.get(&repo));
        if let (Some(import), Some((cached_import, graph))) = (&import, cached)
            && import == cached_import
        {
            let graph = graph.clone();
            building.push((repo, Some(import.clone()), tokio::task::spawn(async move { graph })));
            continue;
        }
        let rows = store.commit_graph(&repo).await?;
        if rows.is_empty() {
            continue;
        }
        let pattern = pattern.clone();
        building.push((repo, import, tokio::task::spawn_blocking(move || Arc::new(graph_of(rows, &pattern)))));
    }
    for (repo, import, graph) in building {
        // A panic while building is a bug: it goes on as one.
        let graph = graph.await.unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()));
        if let Some(import) = import {
            kept.insert(repo.clone(), (import, graph.clone()));
        }
        builder.repository(repo.clone(), graph);
        loaded_repos.push(repo);
    }
    if let Some(graphs) = graphs {
        *graphs = kept;
    }
    tracing::debug!(elapsed_ms = started.elapsed().as_millis(), repos = loaded_repos.len(), "commit graphs loaded");
    let indices: Vec<usize> = (0..services.len()).collect();
    for service in services {
        builder.service(service);
    }
    if services.is_empty() && !whole_organisation {
        return Ok((Analysis::new(builder.build(), &DoraConfig::default()), indices));
    }
    // The whole organisation's report also counts records of no service.
    let scoped = |kind| {
        let mut filter = RecordFilter::new(kind);
        if !whole_organisation {
            filter.services = services.to_vec();
        }
        filter
    };
    for record in store.all_records(&scoped(RecordKind::Deployment)).await? {
        if let Record::Deployment(deployment) = record {
            builder.deployment(&deployment);
        }
    }
    for record in store.all_records(&scoped(RecordKind::Incident)).await? {
        if let Record::Incident(incident) = record {
            builder.incident(&incident);
        }
    }
    for record in store.all_records(&scoped(RecordKind::Provisioning)).await? {
        if let Record::Provisioning(provisioning) = record {
            builder.provisioning(&provisioning);
        }
    }
    for repo in &loaded_repos {
        let mut filter = RecordFilter::new(RecordKind::PullRequest);
        filter.repo = Some(repo.clone());
        filter.statuses = vec!["merged".to_owned()];
        for record in store.all_records(&filter).await? {
            if let Record::PullRequest(pull_request) = record {
                builder.pull_request(&pull_request);
            }
        }
    }
    let mut shift_filter = RecordFilter::new(RecordKind::Shift);
    // Every shift that covers part of the window, however early it began.
    shift_filter.since = Some(window.since);
    shift_filter.until = Some(window.until);
    let recorded: Vec<_> = store
        .all_records(&shift_filter)
        .await?
        .into_iter()
        .filter_map(|record| match record {
            Record::Shift(shift) => Some(shift),
            _ => None,
        })
        .collect();
    let overrides = crate::oncall::runtime_overrides(store, &[], window.since, window.until).await?;
    for service in services {
        builder.shifts(service, window.since, window.until, &recorded, &overrides);
    }
    tracing::debug!(elapsed_ms = started.elapsed().as_millis(), "records loaded");
    let analysis = Analysis::new(builder.build(), &DoraConfig::default());
    tracing::debug!(elapsed_ms = started.elapsed().as_millis(), "analysis built");
    Ok((analysis, indices))
}

/// A repository's commit graph from its stored rows.
fn graph_of(rows: Vec<paved_store::GraphRow>, pattern: &ReworkPattern) -> CommitGraph {
    let commits = rows
        .into_iter()
        .map(|row| GraphCommit {
            rework: pattern.matches(&row.message),
            author: if row.author_name.ends_with("[bot]") {
                format!("{}[bot]@", row.author_name.to_lowercase())
            } else {
                row.author_email.to_lowercase()
            },
            files: row.files,
            sha: row.sha,
            parents: row.parents,
            author_time: row.author_time,
            committer_time: row.committer_time,
        })
        .collect();
    CommitGraph::new(commits)
}

/// A report on `scope` over `window`.
///
/// # Errors
/// [`AppError::Invalid`] for a scope the catalog lacks; a store
/// failure.
pub async fn dora_report(
    store: &DynStore,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    scope: &ScopeRequest,
    window: Window,
    series: Option<Period>,
    table: BenchmarkTable,
) -> Result<DoraReport, AppError> {
    let (scope, services) = resolve_scope(catalog, scope)?;
    let whole_organisation = scope.kind == ScopeKind::Org;
    let (analysis, indices) = load_analysis(store, catalog, settings, &services, whole_organisation, window).await?;
    let engine = analysis.dora();
    Ok(engine.report(&ReportRequest {
        team_members: None,
        scope,
        services: &indices,
        window,
        series,
        table,
        without_service: if whole_organisation { engine.without_service() } else { 0 },
    }))
}

/// The whole diagnosis (DESIGN §6, and the DORA metrics) of `scope` over
/// `window`, with a monthly DORA series.
///
/// # Errors
/// [`AppError::Invalid`] for a scope the catalog lacks; a store
/// failure.
pub async fn culture_report(
    store: &DynStore,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    scope: &ScopeRequest,
    window: Window,
    table: BenchmarkTable,
) -> Result<CultureReport, AppError> {
    let (scope, services) = resolve_scope(catalog, scope)?;
    let whole_organisation = scope.kind == ScopeKind::Org;
    let members = team_members(catalog, &scope);
    let (analysis, indices) = if members.is_some() {
        // What a team's people do to other teams' services is part of its
        // report: every service is loaded, the team's are its scope.
        let all: Vec<EntityRef> = catalog.services().into_iter().map(|info| info.entity_ref.clone()).collect();
        let (analysis, _) = load_analysis(store, catalog, settings, &all, true, window).await?;
        let indices = services.iter().filter_map(|s| all.iter().position(|a| a.key() == s.key())).collect();
        (analysis, indices)
    } else {
        load_analysis(store, catalog, settings, &services, whole_organisation, window).await?
    };
    let request = ReportRequest {
        team_members: members.as_ref(),
        scope,
        services: &indices,
        window,
        series: Some(Period::Month),
        table,
        without_service: if whole_organisation { analysis.dora().without_service() } else { 0 },
    };
    Ok(analysis.diagnose(&request, &CultureConfig::default()))
}
