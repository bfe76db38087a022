//! The diagnosis as it is serialised: the JSON of `paved report --format
//! json` and `GET /api/v1/report`. The sentences of the findings (their
//! summary and evidence) and of the phase's rule are written here from the
//! facts, by [`crate::render::findings`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use paved_domain::EntityRef;
use paved_metrics as metrics;
use serde::Serialize;
use utoipa::ToSchema;

use super::dora::{DoraReport, Scope, Window};
use crate::render::findings;

/// The whole diagnosis (`paved report`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CultureReport {
    /// What it is about.
    pub scope: Scope,
    /// The window.
    pub window: Window,
    /// The four-line test.
    pub test: FourLineTest,
    /// The four dysfunctions, most severe first.
    pub findings: Vec<Finding>,
    /// Knowledge concentration.
    pub bus_factors: Knowledge,
    /// The transition phase.
    pub phase: PhaseReport,
    /// What developers did themselves: deployments performed independently
    /// and resources provisioned themselves, per month (DESIGN §7, the
    /// measure of success).
    pub self_service: SelfService,
    /// The DORA metrics of the same scope and window.
    pub dora: DoraReport,
    /// For a team: what its people did to services the team does not own
    /// (absent for a service or the organisation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_work: Option<OutsideWork>,
}

/// What a line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Developers do it themselves.
    Culture,
    /// Between the two.
    Transition,
    /// Someone else does it for them.
    Role,
    /// Nothing to judge by.
    NoData,
}

/// A line's thresholds: at or above `culture` it is culture, at or below
/// `role` it is a role, between them a transition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Thresholds {
    /// The share at or above which the line reads `culture`.
    pub culture: f64,
    /// The share at or below which the line reads `role`.
    pub role: f64,
}

/// One line of the test for one period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LinePoint {
    /// The period's start.
    pub period_start: DateTime<Utc>,
    /// The share, or `null` without data.
    pub value: Option<f64>,
    /// How much of it owners did.
    pub by_owners: f64,
    /// Of how much.
    pub total: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// True when the window cuts the month (the month in progress, or the
    /// one the window starts in): its data is incomplete, and charts and
    /// tables mark it.
    pub partial: bool,
}

/// One line of the four-line test.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Line {
    /// The share done by the service's owners, or `null` without data.
    pub value: Option<f64>,
    /// How much owners did (deployments, on-call hours, acknowledged
    /// incidents, commits).
    pub by_owners: f64,
    /// Of how much.
    pub total: f64,
    /// What was left out because nobody knows who did it (an actor or
    /// author not in the catalog).
    pub unattributed: u64,
    /// What the figures count: `deployments`, `on_call_hours`,
    /// `acknowledgements` (when no shifts are known),
    /// `on_call_hours_and_acknowledgements`, `commits`, or
    /// `commits_and_requests` (infrastructure commits and self-service
    /// provisioning requests, for the fourth line).
    #[schema(value_type = super::schema::LineBasis)]
    pub basis: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// The thresholds it was judged by.
    pub thresholds: Thresholds,
    /// The same per calendar month.
    pub series: Vec<LinePoint>,
}

/// The four-line test (DESIGN §6).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FourLineTest {
    /// Developers deploy their own code.
    pub deploy_own_code: Line,
    /// Developers are on call for their services.
    pub on_call_own_services: Line,
    /// Developers own their pipelines.
    pub own_pipelines: Line,
    /// Developers can provision what they need.
    pub self_provision: Line,
}

/// What developers did themselves in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct SelfServiceCounts {
    /// Deployments developers performed independently: successful
    /// production deployments made by an owner of the service, through
    /// pavedroad or their own CI.
    pub deployments_by_owners: u64,
    /// Of those, the ones made through pavedroad's own deploy.
    pub deployments_through_paved: u64,
    /// Successful production deployments made by someone known who does
    /// not own the service (a DevOps or platform team deploying for
    /// others): the figure to drive to zero.
    pub deployments_by_others: u64,
    /// Successful production deployments in all.
    pub deployments: u64,
    /// Resources developers provisioned themselves: made through
    /// pavedroad's self-service provisioning at an owner's request.
    pub resources_by_owners: u64,
    /// Resources made through self-service provisioning in all (the CLI on
    /// the server and team tokens name nobody).
    pub resources: u64,
}

/// One month of [`SelfService`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct SelfServicePoint {
    /// The month's start.
    pub period_start: DateTime<Utc>,
    /// Its counts.
    pub counts: SelfServiceCounts,
    /// True when the window cuts the month (the month in progress, or the
    /// one the window starts in): its data is incomplete, and charts and
    /// tables mark it.
    pub partial: bool,
}

/// What developers did themselves over the window, and per month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SelfService {
    /// Over the whole window.
    pub counts: SelfServiceCounts,
    /// Per calendar month.
    pub series: Vec<SelfServicePoint>,
}

impl From<&metrics::SelfService> for SelfService {
    fn from(done: &metrics::SelfService) -> Self {
        let counts = |c: &metrics::SelfServiceCounts| SelfServiceCounts {
            deployments_by_owners: c.deployments_by_owners,
            deployments_through_paved: c.deployments_through_paved,
            deployments_by_others: c.deployments_by_others,
            deployments: c.deployments,
            resources_by_owners: c.resources_by_owners,
            resources: c.resources,
        };
        Self {
            counts: counts(&done.counts),
            series: done
                .series
                .iter()
                .map(|point| SelfServicePoint {
                    period_start: point.period_start,
                    counts: counts(&point.counts),
                    partial: point.partial,
                })
                .collect(),
        }
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Nothing to act on.
    Ok,
    /// Worth acting on.
    Warning,
    /// Act now.
    Critical,
}

/// Who and what a finding is about.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Evidence {
    /// A sentence, e.g. "dana (team platform) made 87 % of the 412
    /// production deployments of checkout-api".
    pub text: String,
    /// The people it names.
    #[schema(value_type = Vec<String>)]
    pub people: Vec<EntityRef>,
    /// The teams it names.
    #[schema(value_type = Vec<String>)]
    pub teams: Vec<EntityRef>,
    /// The services it names.
    #[schema(value_type = Vec<String>)]
    pub services: Vec<EntityRef>,
    /// The count behind it.
    pub count: u64,
}

/// One of the four dysfunctions, measured.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Finding {
    /// `new_silo`, `deployment_bottleneck`, `responsibility_diffusion` or
    /// `knowledge_hoarding`.
    #[schema(value_type = super::schema::FindingId)]
    pub id: &'static str,
    /// Its name for people.
    pub title: &'static str,
    /// How serious.
    pub severity: Severity,
    /// Why that severity, in a sentence.
    pub summary: String,
    /// The figures it is measured by.
    pub figures: BTreeMap<&'static str, serde_json::Value>,
    /// Who and what, most significant first.
    pub evidence: Vec<Evidence>,
    /// What to do: the practice that fixes it.
    pub recommendation: &'static str,
    /// How pavedroad's golden paths and deploys build that practice, where
    /// they do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paved_road: Option<&'static str>,
    /// The page of the golden paths (`/templates`), with `paved_road`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golden_paths: Option<&'static str>,
}

/// The smallest number of people who together account for at least half.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BusFactor {
    /// How many people (0 without data).
    pub bus_factor: u64,
    /// Those people.
    #[schema(value_type = Vec<String>)]
    pub people: Vec<EntityRef>,
    /// Over how many events.
    pub events: u64,
}

/// Bus factors of one service (or the organisation).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BusFactors {
    /// The service, or `null` for the scope as a whole.
    #[schema(value_type = Option<String>)]
    pub service: Option<EntityRef>,
    /// Of production deployments.
    pub deployments: BusFactor,
    /// Of incident acknowledgements.
    pub acknowledgements: BusFactor,
    /// Of pages.
    pub pages: BusFactor,
}

/// A repository's code truck factor (Avelino et al., ICPC 2016).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TruckFactor {
    /// The repository (the first service's reference that lives in it).
    #[schema(value_type = Vec<String>)]
    pub services: Vec<EntityRef>,
    /// How many authors must leave before more than half of the files have
    /// no author left.
    pub truck_factor: u64,
    /// Those authors (catalog Users, or e-mails not in the catalog).
    pub authors: Vec<String>,
    /// Files considered.
    pub files: u64,
    /// Every author and how many files they are an author of, most first.
    pub file_authors: Vec<(String, u64)>,
}

/// After-hours pages of one person.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AfterHours {
    /// The person.
    #[schema(value_type = String)]
    pub person: EntityRef,
    /// Their team.
    #[schema(value_type = Option<String>)]
    pub team: Option<EntityRef>,
    /// Pages in their own time zone's night.
    pub after_hours_pages: u64,
    /// All their pages.
    pub pages: u64,
}

/// Knowledge concentration (DESIGN §6, knowledge hoarding).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Knowledge {
    /// The scope as a whole.
    pub scope: BusFactors,
    /// Each service.
    pub services: Vec<BusFactors>,
    /// After-hours pages per person, most first.
    pub after_hours: Vec<AfterHours>,
    /// The top person's share of after-hours pages.
    pub after_hours_top_share: Option<f64>,
    /// Code truck factor per repository.
    pub truck_factors: Vec<TruckFactor>,
    /// Services with a runbook link, of all.
    pub runbook_coverage: Option<f64>,
}

/// The transition phases (DESIGN §6), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// A DevOps team does the work: reframe DevOps as a capability.
    Reframe,
    /// The platform builds self-service tools while still operating.
    Build,
    /// Deployments are being handed to the teams that build.
    Transfer,
    /// Teams deploy; on call and infrastructure are shifting to them.
    Shift,
    /// Developers run what they build; keep improving.
    Evolve,
}

/// The phase of a period, with the figures that decided it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PhasePoint {
    /// The period's start.
    pub period_start: DateTime<Utc>,
    /// The phase (`null` without deployments to judge by).
    pub phase: Option<Phase>,
    /// True when the window cuts the month (the month in progress, or the
    /// one the window starts in): its data is incomplete, and charts and
    /// tables mark it.
    pub partial: bool,
}

/// The transition phase.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PhaseReport {
    /// The phase over the window.
    pub phase: Option<Phase>,
    /// The rule that decided it, in words.
    pub rule: String,
    /// The figures the rule read: over the window's whole months when it
    /// has some with production deployments, else over the whole window.
    pub decided_by: BTreeMap<&'static str, Option<f64>>,
    /// The months (their first day) that did not decide the phase because
    /// the window cuts them; empty when the whole window decided it.
    pub partial_months_left_out: Vec<DateTime<Utc>>,
    /// The phase per calendar month.
    pub series: Vec<PhasePoint>,
}

/// What a team's people did, in the window, to services the team does not
/// own.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutsideWork {
    /// The team's people (members of it and of the Groups below it).
    pub people: u64,
    /// Successful production deployments they made to other teams'
    /// services.
    pub deployments: u64,
    /// Those deployments' share of all production deployments of those
    /// services in the window.
    pub share_of_their_deployments: Option<f64>,
    /// Their production deployments to the team's own services, to compare.
    pub own_deployments: u64,
    /// The services they deployed, most deployments first.
    pub services: Vec<ServiceDeployments>,
    /// Who deployed them, most first.
    pub deployers: Vec<PersonDeployments>,
    /// Their commits to other teams' repositories that touch pipeline
    /// definitions.
    pub pipeline_commits: u64,
    /// ... that touch infrastructure code.
    pub infrastructure_commits: u64,
    /// Incidents of other teams' services they acknowledged first.
    pub acknowledgements: u64,
    /// Hours they were on call for other teams' services.
    pub on_call_hours: f64,
}

/// Deployments to one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceDeployments {
    /// The service.
    #[schema(value_type = String)]
    pub service: EntityRef,
    /// How many.
    pub deployments: u64,
}

/// Deployments by one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PersonDeployments {
    /// The person.
    #[schema(value_type = String)]
    pub person: EntityRef,
    /// How many.
    pub deployments: u64,
}

impl From<&metrics::CultureReport> for CultureReport {
    fn from(report: &metrics::CultureReport) -> Self {
        Self {
            scope: (&report.scope).into(),
            window: report.window.into(),
            test: (&report.test).into(),
            findings: report.findings.iter().map(Finding::from).collect(),
            bus_factors: (&report.bus_factors).into(),
            phase: (&report.phase).into(),
            self_service: (&report.self_service).into(),
            dora: (&report.dora).into(),
            outside_work: report.outside_work.as_ref().map(OutsideWork::from),
        }
    }
}

impl From<metrics::Verdict> for Verdict {
    fn from(verdict: metrics::Verdict) -> Self {
        match verdict {
            metrics::Verdict::Culture => Self::Culture,
            metrics::Verdict::Transition => Self::Transition,
            metrics::Verdict::Role => Self::Role,
            metrics::Verdict::NoData => Self::NoData,
        }
    }
}

impl From<&metrics::Line> for Line {
    fn from(line: &metrics::Line) -> Self {
        Self {
            value: line.value,
            by_owners: line.by_owners,
            total: line.total,
            unattributed: line.unattributed,
            basis: line.basis,
            verdict: line.verdict.into(),
            thresholds: Thresholds { culture: line.thresholds.culture, role: line.thresholds.role },
            series: line
                .series
                .iter()
                .map(|point| LinePoint {
                    period_start: point.period_start,
                    value: point.value,
                    by_owners: point.by_owners,
                    total: point.total,
                    verdict: point.verdict.into(),
                    partial: point.partial,
                })
                .collect(),
        }
    }
}

impl From<&metrics::FourLineTest> for FourLineTest {
    fn from(test: &metrics::FourLineTest) -> Self {
        Self {
            deploy_own_code: (&test.deploy_own_code).into(),
            on_call_own_services: (&test.on_call_own_services).into(),
            own_pipelines: (&test.own_pipelines).into(),
            self_provision: (&test.self_provision).into(),
        }
    }
}

impl From<metrics::Severity> for Severity {
    fn from(severity: metrics::Severity) -> Self {
        match severity {
            metrics::Severity::Ok => Self::Ok,
            metrics::Severity::Warning => Self::Warning,
            metrics::Severity::Critical => Self::Critical,
        }
    }
}

impl From<&metrics::Evidence> for Evidence {
    fn from(evidence: &metrics::Evidence) -> Self {
        Self {
            text: findings::evidence(&evidence.fact),
            people: evidence.people.clone(),
            teams: evidence.teams.clone(),
            services: evidence.services.clone(),
            count: evidence.count,
        }
    }
}

impl From<&metrics::Finding> for Finding {
    fn from(finding: &metrics::Finding) -> Self {
        Self {
            id: finding.id,
            title: finding.title,
            severity: finding.severity.into(),
            summary: findings::summary(&finding.summary),
            figures: finding.figures.clone(),
            evidence: finding.evidence.iter().map(Evidence::from).collect(),
            recommendation: finding.recommendation,
            paved_road: findings::paved_road(finding.id),
            golden_paths: findings::paved_road(finding.id).map(|_| findings::GOLDEN_PATHS),
        }
    }
}

impl From<&metrics::BusFactor> for BusFactor {
    fn from(factor: &metrics::BusFactor) -> Self {
        Self { bus_factor: factor.bus_factor, people: factor.people.clone(), events: factor.events }
    }
}

impl From<&metrics::BusFactors> for BusFactors {
    fn from(factors: &metrics::BusFactors) -> Self {
        Self {
            service: factors.service.clone(),
            deployments: (&factors.deployments).into(),
            acknowledgements: (&factors.acknowledgements).into(),
            pages: (&factors.pages).into(),
        }
    }
}

impl From<&metrics::Knowledge> for Knowledge {
    fn from(knowledge: &metrics::Knowledge) -> Self {
        Self {
            scope: (&knowledge.scope).into(),
            services: knowledge.services.iter().map(BusFactors::from).collect(),
            after_hours: knowledge
                .after_hours
                .iter()
                .map(|a| AfterHours {
                    person: a.person.clone(),
                    team: a.team.clone(),
                    after_hours_pages: a.after_hours_pages,
                    pages: a.pages,
                })
                .collect(),
            after_hours_top_share: knowledge.after_hours_top_share,
            truck_factors: knowledge
                .truck_factors
                .iter()
                .map(|t| TruckFactor {
                    services: t.services.clone(),
                    truck_factor: t.truck_factor,
                    authors: t.authors.clone(),
                    files: t.files,
                    file_authors: t.file_authors.clone(),
                })
                .collect(),
            runbook_coverage: knowledge.runbook_coverage,
        }
    }
}

impl From<metrics::Phase> for Phase {
    fn from(phase: metrics::Phase) -> Self {
        match phase {
            metrics::Phase::Reframe => Self::Reframe,
            metrics::Phase::Build => Self::Build,
            metrics::Phase::Transfer => Self::Transfer,
            metrics::Phase::Shift => Self::Shift,
            metrics::Phase::Evolve => Self::Evolve,
        }
    }
}

impl From<&metrics::PhaseReport> for PhaseReport {
    fn from(phase: &metrics::PhaseReport) -> Self {
        Self {
            phase: phase.phase.map(Phase::from),
            rule: findings::phase_rule(&phase.rule),
            decided_by: phase.decided_by.clone(),
            partial_months_left_out: phase.partial_months_left_out.clone(),
            series: phase
                .series
                .iter()
                .map(|point| PhasePoint {
                    period_start: point.period_start,
                    phase: point.phase.map(Phase::from),
                    partial: point.partial,
                })
                .collect(),
        }
    }
}

impl From<&metrics::OutsideWork> for OutsideWork {
    fn from(outside: &metrics::OutsideWork) -> Self {
        Self {
            people: outside.people,
            deployments: outside.deployments,
            share_of_their_deployments: outside.share_of_their_deployments,
            own_deployments: outside.own_deployments,
            services: outside
                .services
                .iter()
                .map(|s| ServiceDeployments { service: s.service.clone(), deployments: s.deployments })
                .collect(),
            deployers: outside
                .deployers
                .iter()
                .map(|d| PersonDeployments { person: d.person.clone(), deployments: d.deployments })
                .collect(),
            pipeline_commits: outside.pipeline_commits,
            infrastructure_commits: outside.infrastructure_commits,
            acknowledgements: outside.acknowledgements,
            on_call_hours: outside.on_call_hours,
        }
    }
}
