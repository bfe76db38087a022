//! The DORA report as it is serialised: the JSON of `paved metrics
//! --format json` and `GET /api/v1/metrics/dora`, and the `dora` part of
//! the diagnosis. A metric with no data is `null`, never 0.

use chrono::{DateTime, Utc};
use paved_metrics as metrics;
use serde::Serialize;
use utoipa::ToSchema;

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Scope {
    /// `service`, `team` or `org`.
    pub kind: ScopeKind,
    /// The service's or team's reference, or the organisation's name.
    pub name: String,
}

/// The kind of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// One service.
    Service,
    /// The services a team (and the teams below it) owns.
    Team,
    /// Every service.
    Org,
}

/// A half-open range of time `[since, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Window {
    /// The first instant in the window.
    pub since: DateTime<Utc>,
    /// The first instant after the window.
    pub until: DateTime<Utc>,
}

/// A benchmark table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum BenchmarkTable {
    /// The State of DevOps 2023 clusters.
    #[serde(rename = "dora-2023")]
    Dora2023,
    /// The State of DevOps 2021 clusters.
    #[serde(rename = "dora-2021")]
    Dora2021,
}

/// A performance tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The best cluster.
    Elite,
    /// The second.
    High,
    /// The third.
    Medium,
    /// Below.
    Low,
}

/// Deployment frequency.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeploymentFrequency {
    /// Successful production deployments in the window.
    pub deployments: u64,
    /// Deployments per day of the window.
    pub per_day: f64,
    /// The median number of deployment days per ISO week overlapping the
    /// window (weeks without any included).
    pub median_deploy_days_per_week: f64,
    /// The tier, from the report's table.
    pub tier: Tier,
}

/// Lead time for changes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LeadTime {
    /// Commits shipped in the window (by their deployment's finish), with
    /// a non-negative lead time.
    pub changes: u64,
    /// Median lead time in seconds.
    pub median_seconds: Option<f64>,
    /// 90th percentile in seconds.
    pub p90_seconds: Option<f64>,
    /// The tier of the median.
    pub tier: Option<Tier>,
}

/// The lead time of merged pull requests, stage by stage.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LeadTimeBreakdown {
    /// Merged pull requests whose merge commit reached production in the
    /// window.
    pub pull_requests: u64,
    /// First commit's author time → opened: median seconds.
    pub coding_median_seconds: Option<f64>,
    /// Opened → first review by a human other than the author.
    pub pickup_median_seconds: Option<f64>,
    /// First review → merged.
    pub review_median_seconds: Option<f64>,
    /// Merged → the first production deployment containing it.
    pub deploy_median_seconds: Option<f64>,
    /// How many pull requests each stage's median is over.
    pub counts: StageCounts,
}

/// How many pull requests each stage of the breakdown has a duration for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StageCounts {
    /// Coding.
    pub coding: u64,
    /// Pickup.
    pub pickup: u64,
    /// Review.
    pub review: u64,
    /// Deploy.
    pub deploy: u64,
}

/// Why a deployment failed (DESIGN §5, change failure rate). When several
/// rules fire, the first in this order is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureRule {
    /// (a) An incident is explicitly linked to it, or names as its root
    /// cause a commit it shipped.
    Incident,
    /// (b) It was rolled back: the next successful production deployment
    /// deploys a strict ancestor of its commit.
    Rollback,
    /// (c) An incident with no explicit link opened within the attribution
    /// window after it finished, it being the latest deployment before.
    AttributionWindow,
}

/// A failed deployment and the rule that decided it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FailedDeployment {
    /// The deployment's key.
    pub id: String,
    /// The first rule that fired.
    pub rule: FailureRule,
}

/// Change failure rate.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ChangeFailureRate {
    /// Successful production deployments in the window.
    pub deployments: u64,
    /// Of which failed.
    pub failed: u64,
    /// failed ÷ deployments.
    pub rate: Option<f64>,
    /// The tier of the rate.
    pub tier: Option<Tier>,
    /// Each failed deployment with the rule that fired.
    pub failed_deployments: Vec<FailedDeployment>,
}

/// Failed deployment recovery time (DORA 2023).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RecoveryTime {
    /// Failed deployments in the window that recovered.
    pub recoveries: u64,
    /// Median seconds from the start of impact to restoration.
    pub median_seconds: Option<f64>,
    /// The tier of the median (dora-2023 only; dora-2021 tiers time to
    /// restore service instead).
    pub tier: Option<Tier>,
}

/// Time to restore service (the pre-2023 metric).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimeToRestore {
    /// Incidents opened in the window and resolved.
    pub incidents: u64,
    /// Median seconds from opening to resolution.
    pub median_seconds: Option<f64>,
    /// The tier of the median (dora-2021 only).
    pub tier: Option<Tier>,
}

/// Rework rate (DORA 2024).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReworkRate {
    /// Successful production deployments in the window.
    pub deployments: u64,
    /// Of which unplanned remediation.
    pub rework: u64,
    /// rework ÷ deployments.
    pub rate: Option<f64>,
}

/// The figures of one period of a series.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeriesPoint {
    /// The period's start (Monday 00:00 UTC, or the 1st of the month).
    pub period_start: DateTime<Utc>,
    /// Deployments in the period (within the window).
    pub deployments: u64,
    /// The same figures as the report, for the period.
    #[serde(flatten)]
    pub figures: Figures,
    /// True when the window cuts the period (the one in progress, or the
    /// one the window starts in): its figures are incomplete.
    pub partial: bool,
}

/// A data-quality note: something left out or unknown, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Note {
    /// `negative_duration`, `first_deployment`, `unknown_commit`,
    /// `open_incident`, `recovery_pending`, `unresolved_identity`,
    /// `unknown_deployment_link`, `without_service`.
    #[schema(value_type = super::schema::NoteKind)]
    pub kind: &'static str,
    /// How many.
    pub count: u64,
    /// What it means and what to do.
    pub message: String,
}

/// Every figure of a report, for the whole window or one period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Deployment frequency.
    pub deployment_frequency: DeploymentFrequency,
    /// Lead time for changes.
    pub lead_time_for_changes: LeadTime,
    /// Lead time of pull requests by stage.
    pub lead_time_breakdown: LeadTimeBreakdown,
    /// Change failure rate.
    pub change_failure_rate: ChangeFailureRate,
    /// Failed deployment recovery time.
    pub failed_deployment_recovery_time: RecoveryTime,
    /// Time to restore service.
    pub time_to_restore_service: TimeToRestore,
    /// Rework rate.
    pub rework_rate: ReworkRate,
}

/// The DORA report (DESIGN §5).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DoraReport {
    /// What it is about.
    pub scope: Scope,
    /// The window.
    pub window: Window,
    /// The benchmark table of every tier.
    pub table: BenchmarkTable,
    /// The figures over the window.
    #[serde(flatten)]
    pub figures: Figures,
    /// The figures per week or month, when asked for.
    pub series: Vec<SeriesPoint>,
    /// What was left out or unknown.
    pub notes: Vec<Note>,
}

impl From<&metrics::Scope> for Scope {
    fn from(scope: &metrics::Scope) -> Self {
        Self { kind: scope.kind.into(), name: scope.name.clone() }
    }
}

impl From<metrics::ScopeKind> for ScopeKind {
    fn from(kind: metrics::ScopeKind) -> Self {
        match kind {
            metrics::ScopeKind::Service => Self::Service,
            metrics::ScopeKind::Team => Self::Team,
            metrics::ScopeKind::Org => Self::Org,
        }
    }
}

impl From<metrics::Window> for Window {
    fn from(window: metrics::Window) -> Self {
        Self { since: window.since, until: window.until }
    }
}

impl From<metrics::BenchmarkTable> for BenchmarkTable {
    fn from(table: metrics::BenchmarkTable) -> Self {
        match table {
            metrics::BenchmarkTable::Dora2023 => Self::Dora2023,
            metrics::BenchmarkTable::Dora2021 => Self::Dora2021,
        }
    }
}

impl From<metrics::Tier> for Tier {
    fn from(tier: metrics::Tier) -> Self {
        match tier {
            metrics::Tier::Elite => Self::Elite,
            metrics::Tier::High => Self::High,
            metrics::Tier::Medium => Self::Medium,
            metrics::Tier::Low => Self::Low,
        }
    }
}

impl From<metrics::FailureRule> for FailureRule {
    fn from(rule: metrics::FailureRule) -> Self {
        match rule {
            metrics::FailureRule::Incident => Self::Incident,
            metrics::FailureRule::Rollback => Self::Rollback,
            metrics::FailureRule::AttributionWindow => Self::AttributionWindow,
        }
    }
}

impl From<&metrics::Figures> for Figures {
    fn from(figures: &metrics::Figures) -> Self {
        let frequency = &figures.deployment_frequency;
        let lead_time = &figures.lead_time_for_changes;
        let breakdown = &figures.lead_time_breakdown;
        let failures = &figures.change_failure_rate;
        let recovery = &figures.failed_deployment_recovery_time;
        let restore = &figures.time_to_restore_service;
        let rework = &figures.rework_rate;
        Self {
            deployment_frequency: DeploymentFrequency {
                deployments: frequency.deployments,
                per_day: frequency.per_day,
                median_deploy_days_per_week: frequency.median_deploy_days_per_week,
                tier: frequency.tier.into(),
            },
            lead_time_for_changes: LeadTime {
                changes: lead_time.changes,
                median_seconds: lead_time.median_seconds,
                p90_seconds: lead_time.p90_seconds,
                tier: lead_time.tier.map(Tier::from),
            },
            lead_time_breakdown: LeadTimeBreakdown {
                pull_requests: breakdown.pull_requests,
                coding_median_seconds: breakdown.coding_median_seconds,
                pickup_median_seconds: breakdown.pickup_median_seconds,
                review_median_seconds: breakdown.review_median_seconds,
                deploy_median_seconds: breakdown.deploy_median_seconds,
                counts: StageCounts {
                    coding: breakdown.counts.coding,
                    pickup: breakdown.counts.pickup,
                    review: breakdown.counts.review,
                    deploy: breakdown.counts.deploy,
                },
            },
            change_failure_rate: ChangeFailureRate {
                deployments: failures.deployments,
                failed: failures.failed,
                rate: failures.rate,
                tier: failures.tier.map(Tier::from),
                failed_deployments: failures
                    .failed_deployments
                    .iter()
                    .map(|failed| FailedDeployment { id: failed.id.clone(), rule: failed.rule.into() })
                    .collect(),
            },
            failed_deployment_recovery_time: RecoveryTime {
                recoveries: recovery.recoveries,
                median_seconds: recovery.median_seconds,
                tier: recovery.tier.map(Tier::from),
            },
            time_to_restore_service: TimeToRestore {
                incidents: restore.incidents,
                median_seconds: restore.median_seconds,
                tier: restore.tier.map(Tier::from),
            },
            rework_rate: ReworkRate { deployments: rework.deployments, rework: rework.rework, rate: rework.rate },
        }
    }
}

impl From<&metrics::DoraReport> for DoraReport {
    fn from(report: &metrics::DoraReport) -> Self {
        Self {
            scope: (&report.scope).into(),
            window: report.window.into(),
            table: report.table.into(),
            figures: (&report.figures).into(),
            series: report
                .series
                .iter()
                .map(|point| SeriesPoint {
                    period_start: point.period_start,
                    deployments: point.deployments,
                    figures: (&point.figures).into(),
                    partial: point.partial,
                })
                .collect(),
            notes: report
                .notes
                .iter()
                .map(|note| Note { kind: note.kind, count: note.count, message: note.message.clone() })
                .collect(),
        }
    }
}
