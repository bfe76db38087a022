//! The DORA metrics (DESIGN §5) as pure functions over pavedroad's records.
//!
//! Architecture invariant: this crate does no IO. The caller loads the
//! catalog, commit graphs and records, builds a [`Dataset`] with
//! [`DatasetBuilder`], and asks a [`DoraEngine`] for reports. One bad
//! record never aborts a computation: what cannot be used is left out and
//! counted in a data-quality [`Note`].
//!
//! How it works: [`DoraEngine::new`] walks each service's history once, in
//! deployment order — change sets from the commit graph, rollbacks,
//! failures and their rules, recoveries, rework, pull-request stages — and
//! keeps the results as facts, each with the instant that places it in a
//! window. A report then summarises the facts of the scope's services over
//! a window (and per week or month for a series), so many reports over one
//! dataset cost one walk.

mod culture;
mod facts;
mod graph;
mod input;
mod outside;
mod report;
mod stats;
mod tiers;
mod totals;
mod window;

use chrono::Duration;

pub use culture::{
    AfterHours, BusFactor, BusFactorEvents, BusFactors, CultureConfig, CultureReport, Evidence, EvidenceFact, Finding,
    FindingCutoffs, FourLineTest, Knowledge, Line, LinePoint, PersonInTeam, Phase, PhasePoint, PhaseReport, PhaseRule,
    SelfService, SelfServiceCounts, SelfServicePoint, Severity, Summary, Thresholds, TruckFactor, Verdict, WhyUnowned,
    WorkForOtherTeams,
};
pub use facts::{
    ChangeFact, ChangeSet, DeploymentFact, FailureRule, IncidentFact, PullRequestFact, RecoveryFact, ReworkPattern,
    ServiceFacts,
};
pub use graph::{CommitGraph, CommitId, GraphCommit};
pub use input::{
    Dataset, DatasetBuilder, DeploymentInput, IncidentInput, Ownership, PageInput, PersonInput, ProvisioningInput,
    PullRequestInput, ServiceInput, ShiftInput,
};
pub use outside::{OutsideWork, PersonDeployments, ServiceDeployments};
pub use report::{
    ChangeFailureRate, DeploymentFrequency, DoraReport, FailedDeployment, Figures, LeadTime, LeadTimeBreakdown, Note,
    RecoveryTime, ReportRequest, ReworkRate, Scope, ScopeKind, SeriesPoint, StageCounts, TimeToRestore,
};
pub use stats::{median, percentile};
pub use tiers::{BenchmarkTable, FrequencyFigures, Tier};
pub use totals::{ByOwner, Totals};
pub use window::{DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, Period, Window, check_span, parse_time};

/// What the definitions leave configurable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoraConfig {
    /// How long after a deployment an unlinked incident is blamed on it
    /// (change failure rate rule (c)), and how soon after a deployment an
    /// open incident must be resolved for the deployment to be rework
    /// (rework rate (ii)). Default 24 hours.
    pub attribution_window: Duration,
}

impl Default for DoraConfig {
    fn default() -> Self {
        Self { attribution_window: Duration::hours(24) }
    }
}

/// The facts of every service of a dataset, ready for reports.
#[derive(Debug, Clone)]
pub struct DoraEngine {
    facts: Vec<ServiceFacts>,
    without_service: u64,
}

impl DoraEngine {
    /// Walks every service's history of `dataset`.
    pub fn new(dataset: &Dataset, config: &DoraConfig) -> Self {
        Self {
            facts: facts::service_facts(dataset, config.attribution_window),
            without_service: dataset.without_service as u64,
        }
    }

    /// The facts of each service, in the dataset's order.
    pub fn facts(&self) -> &[ServiceFacts] {
        &self.facts
    }

    /// Deployments and incidents of no catalog service.
    pub fn without_service(&self) -> u64 {
        self.without_service
    }

    /// The report of `request`.
    pub fn report(&self, request: &ReportRequest<'_>) -> DoraReport {
        report::report(&self.facts, request)
    }
}

/// A dataset with its DORA facts: everything `paved report` needs.
#[derive(Debug, Clone)]
pub struct Analysis {
    dataset: Dataset,
    dora: DoraEngine,
    /// Each repository's truck factor (whole history, whatever the
    /// window), computed by the first report that needs it.
    truck_factors: Vec<std::sync::OnceLock<culture::RepoTruckFactor>>,
    /// Shifts and incidents by service, so that a report visits a
    /// service's own and not everyone's.
    by_service: culture::ServiceIndex,
    /// The commits that count for the pipelines and infrastructure lines,
    /// by service, computed by the first report that needs them.
    lines: culture::LineCache,
}

impl Analysis {
    /// Walks every service's history of `dataset` once.
    pub fn new(dataset: Dataset, config: &DoraConfig) -> Self {
        let dora = DoraEngine::new(&dataset, config);
        let truck_factors = (0..dataset.repos.len()).map(|_| std::sync::OnceLock::new()).collect();
        let by_service = culture::ServiceIndex::new(&dataset);
        Self { dataset, dora, truck_factors, by_service, lines: culture::LineCache::default() }
    }

    /// The DORA facts.
    pub fn dora(&self) -> &DoraEngine {
        &self.dora
    }

    /// The dataset.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The whole diagnosis of `request`: the four-line test, the four
    /// dysfunctions, knowledge concentration, the transition phase and the
    /// DORA report of the same scope and window.
    pub fn diagnose(&self, request: &ReportRequest<'_>, culture: &CultureConfig) -> CultureReport {
        let diagnosis = culture::Diagnosis {
            dataset: &self.dataset,
            facts: self.dora.facts(),
            config: culture,
            services: request.services,
            window: request.window,
            truck_factors: &self.truck_factors,
            by_service: &self.by_service,
            lines: &self.lines,
        };
        let test = diagnosis.test();
        let knowledge = diagnosis.knowledge();
        let outside_work = request.team_members.map(|members| diagnosis.outside_work(members));
        let findings = diagnosis.findings(&knowledge, outside_work.as_ref());
        let phase = diagnosis.phase(&test);
        CultureReport {
            scope: request.scope.clone(),
            window: request.window,
            test,
            findings,
            bus_factors: knowledge,
            phase,
            self_service: diagnosis.self_service(),
            dora: self.dora.report(request),
            outside_work,
        }
    }
}
