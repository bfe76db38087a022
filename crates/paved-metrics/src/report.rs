//! The DORA report of a scope over a window. A metric with no data is
//! `None`, never 0. Its JSON (`paved metrics --format json`, `GET
//! /api/v1/metrics/dora`) is `paved_app::wire::DoraReport`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::facts::{ChangeSet, FailureRule, ServiceFacts};
use crate::stats::{median, percentile};
use crate::tiers::{BenchmarkTable, FrequencyFigures, Tier};
use crate::window::{Period, Window};

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `service`, `team` or `org`.
    pub kind: ScopeKind,
    /// The service's or team's reference, or the organisation's name.
    pub name: String,
}

/// The kind of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// One service.
    Service,
    /// The services a team (and the teams below it) owns.
    Team,
    /// Every service.
    Org,
}

/// Deployment frequency.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// A failed deployment and the rule that decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedDeployment {
    /// The deployment's key.
    pub id: String,
    /// The first rule that fired.
    pub rule: FailureRule,
}

/// Change failure rate.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct TimeToRestore {
    /// Incidents opened in the window and resolved.
    pub incidents: u64,
    /// Median seconds from opening to resolution.
    pub median_seconds: Option<f64>,
    /// The tier of the median (dora-2021 only).
    pub tier: Option<Tier>,
}

/// Rework rate (DORA 2024).
#[derive(Debug, Clone, PartialEq)]
pub struct ReworkRate {
    /// Successful production deployments in the window.
    pub deployments: u64,
    /// Of which unplanned remediation.
    pub rework: u64,
    /// rework ÷ deployments.
    pub rate: Option<f64>,
}

/// The figures of one period of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    /// The period's start (Monday 00:00 UTC, or the 1st of the month).
    pub period_start: DateTime<Utc>,
    /// Deployments in the period (within the window).
    pub deployments: u64,
    /// The same figures as the report, for the period.
    pub figures: Figures,
    /// True when the window cuts the period: its figures are incomplete.
    pub partial: bool,
}

/// A data-quality note: something left out or unknown, and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// `negative_duration`, `first_deployment`, `unknown_commit`,
    /// `open_incident`, `recovery_pending`, `unresolved_identity`,
    /// `unknown_deployment_link`, `without_service`.
    pub kind: &'static str,
    /// How many.
    pub count: u64,
    /// What it means and what to do.
    pub message: String,
}

/// Every figure of a report, for the whole window or one period.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct DoraReport {
    /// What it is about.
    pub scope: Scope,
    /// The window.
    pub window: Window,
    /// The benchmark table of every tier.
    pub table: BenchmarkTable,
    /// The figures over the window.
    pub figures: Figures,
    /// The figures per week or month, when asked for.
    pub series: Vec<SeriesPoint>,
    /// What was left out or unknown.
    pub notes: Vec<Note>,
}

/// Counts of what the figures left out.
#[derive(Debug, Default)]
struct Omissions {
    negative: u64,
    first: u64,
    unknown_commit: u64,
    open_incidents: u64,
    pending_recoveries: u64,
    unresolved_actors: u64,
}

fn opt(values: &mut [f64], p: f64) -> Option<f64> {
    percentile(values, p).map(|v| (v * 1000.0).round() / 1000.0)
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The median number of distinct deployment dates per period (`period`)
/// overlapping `window`, periods without any included.
fn median_days_per(period: Period, window: &Window, finishes: &[DateTime<Utc>]) -> f64 {
    // Distinct dates, sorted: a period's count is two binary searches.
    let mut dates: Vec<NaiveDate> = finishes.iter().filter(|f| window.contains(**f)).map(|f| f.date_naive()).collect();
    dates.sort_unstable();
    dates.dedup();
    let mut per_period: Vec<f64> = window
        .periods(period)
        .iter()
        .map(|(_, inside)| {
            let first = inside.since.date_naive();
            // The last date with an instant inside the period.
            let last = (inside.until - chrono::Duration::microseconds(1)).date_naive();
            (dates.partition_point(|d| *d <= last) - dates.partition_point(|d| *d < first)) as f64
        })
        .collect();
    median(&mut per_period).unwrap_or(0.0)
}

/// Summarises `facts` (of the scope's services) over `window`.
fn figures(facts: &[&ServiceFacts], window: &Window, table: BenchmarkTable, omissions: &mut Omissions) -> Figures {
    // Each service's facts are in time order (ServiceFacts): a window is a
    // slice of each.
    let deployments: Vec<_> = facts.iter().flat_map(|f| window.slice(&f.deployments, |d| d.finished)).collect();
    let count = deployments.len() as u64;
    let finishes: Vec<DateTime<Utc>> = deployments.iter().map(|d| d.finished).collect();
    let frequency = FrequencyFigures {
        median_days_per_week: median_days_per(Period::Week, window, &finishes),
        median_days_per_month: median_days_per(Period::Month, window, &finishes),
        per_six_months: count as f64 * 182.5 / window.days(),
    };
    for deployment in &deployments {
        match deployment.change_set {
            ChangeSet::First => omissions.first += 1,
            ChangeSet::UnknownCommit => omissions.unknown_commit += 1,
            ChangeSet::Known(_) => {}
        }
        omissions.unresolved_actors += u64::from(deployment.actor_unresolved);
    }

    let mut lead_times: Vec<f64> = Vec::new();
    for change in facts.iter().flat_map(|f| window.slice(&f.changes, |c| c.deployed)) {
        if change.lead_time < 0.0 {
            omissions.negative += 1;
        } else {
            lead_times.push(change.lead_time);
        }
    }
    let lead_median = opt(&mut lead_times, 0.5);

    // A pull request shipped by several services counts once, at its
    // earliest deployment.
    let mut pull_requests: HashMap<&str, &crate::facts::PullRequestFact> = HashMap::new();
    for pr in facts.iter().flat_map(|f| &f.pull_requests) {
        let earliest = pull_requests.entry(pr.key.as_str()).or_insert(pr);
        if pr.deployed < earliest.deployed {
            *earliest = pr;
        }
    }
    let pull_requests: Vec<_> = pull_requests.into_values().filter(|pr| window.contains(pr.deployed)).collect();
    let mut stage = |get: fn(&crate::facts::PullRequestFact) -> Option<f64>| {
        let mut values = Vec::new();
        for pr in &pull_requests {
            match get(pr) {
                Some(value) if value < 0.0 => omissions.negative += 1,
                Some(value) => values.push(value),
                None => {}
            }
        }
        let count = values.len() as u64;
        (opt(&mut values, 0.5), count)
    };
    let (coding, coding_n) = stage(|pr| pr.coding);
    let (pickup, pickup_n) = stage(|pr| pr.pickup);
    let (review, review_n) = stage(|pr| pr.review);
    let (deploy, deploy_n) = stage(|pr| pr.deploy);

    let failed: Vec<FailedDeployment> =
        deployments.iter().filter_map(|d| d.failed.map(|rule| FailedDeployment { id: d.key.clone(), rule })).collect();
    let failure_rate = (count > 0).then(|| failed.len() as f64 / count as f64);

    let mut recoveries: Vec<f64> = Vec::new();
    for recovery in facts.iter().flat_map(|f| window.slice(&f.recoveries, |r| r.failed_deployment_finished)) {
        match recovery.seconds {
            None => omissions.pending_recoveries += 1,
            Some(s) if s < 0.0 => omissions.negative += 1,
            Some(s) => recoveries.push(s),
        }
    }
    let recovery_median = opt(&mut recoveries, 0.5);

    let mut restores: Vec<f64> = Vec::new();
    for incident in facts.iter().flat_map(|f| window.slice(&f.incidents, |i| i.opened)) {
        match incident.restore_seconds {
            None => omissions.open_incidents += 1,
            Some(s) if s < 0.0 => omissions.negative += 1,
            Some(s) => restores.push(s),
        }
    }
    let restore_median = opt(&mut restores, 0.5);
    let rework = deployments.iter().filter(|d| d.rework).count() as u64;

    Figures {
        deployment_frequency: DeploymentFrequency {
            deployments: count,
            per_day: round3(count as f64 / window.days()),
            median_deploy_days_per_week: frequency.median_days_per_week,
            tier: table.deployment_frequency(frequency),
        },
        lead_time_for_changes: LeadTime {
            changes: lead_times.len() as u64,
            median_seconds: lead_median,
            p90_seconds: opt(&mut lead_times, 0.9),
            tier: lead_median.map(|m| table.lead_time(m)),
        },
        lead_time_breakdown: LeadTimeBreakdown {
            pull_requests: pull_requests.len() as u64,
            coding_median_seconds: coding,
            pickup_median_seconds: pickup,
            review_median_seconds: review,
            deploy_median_seconds: deploy,
            counts: StageCounts { coding: coding_n, pickup: pickup_n, review: review_n, deploy: deploy_n },
        },
        change_failure_rate: ChangeFailureRate {
            deployments: count,
            failed: failed.len() as u64,
            rate: failure_rate.map(round3),
            tier: failure_rate.map(|r| table.change_failure_rate(r)),
            failed_deployments: failed,
        },
        failed_deployment_recovery_time: RecoveryTime {
            recoveries: recoveries.len() as u64,
            median_seconds: recovery_median,
            tier: recovery_median.filter(|_| table == BenchmarkTable::Dora2023).map(|m| table.recovery(m)),
        },
        time_to_restore_service: TimeToRestore {
            incidents: restores.len() as u64,
            median_seconds: restore_median,
            tier: restore_median.filter(|_| table == BenchmarkTable::Dora2021).map(|m| table.recovery(m)),
        },
        rework_rate: ReworkRate {
            deployments: count,
            rework,
            rate: (count > 0).then(|| round3(rework as f64 / count as f64)),
        },
    }
}

fn notes(omissions: &Omissions, unknown_links: u64, without_service: u64) -> Vec<Note> {
    let mut notes = Vec::new();
    let mut note = |kind: &'static str, count: u64, message: String| {
        if count > 0 {
            notes.push(Note { kind, count, message });
        }
    };
    note(
        "negative_duration",
        omissions.negative,
        format!(
            "{} duration(s) were negative (clock skew or bad data) and were left out, not counted as zero",
            omissions.negative
        ),
    );
    note(
        "first_deployment",
        omissions.first,
        format!(
            "{} deployment(s) are their service's first in the data: their changes predate the data, so they count for frequency and failure rate but not lead time",
            omissions.first
        ),
    );
    note(
        "unknown_commit",
        omissions.unknown_commit,
        format!(
            "{} deployment(s) deployed a commit that is not in the imported history (or their repository was not imported); import it with `paved import git`",
            omissions.unknown_commit
        ),
    );
    note(
        "open_incident",
        omissions.open_incidents,
        format!("{} incident(s) are still open and are left out of time to restore service", omissions.open_incidents),
    );
    note(
        "recovery_pending",
        omissions.pending_recoveries,
        format!(
            "{} failed deployment(s) have no recovery yet: an incident linked to them is still open",
            omissions.pending_recoveries
        ),
    );
    note(
        "unresolved_identity",
        omissions.unresolved_actors,
        format!(
            "the human behind {} deployment(s) is not a catalog User; `paved identities --unresolved` lists who",
            omissions.unresolved_actors
        ),
    );
    note(
        "unknown_deployment_link",
        unknown_links,
        format!(
            "{unknown_links} incident(s) name as their cause a deployment that is not a successful production one of their service"
        ),
    );
    note(
        "without_service",
        without_service,
        format!(
            "{without_service} deployment(s) or incident(s) belong to no service of the catalog and count nowhere; `paved events list` shows why"
        ),
    );
    notes
}

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportRequest<'a> {
    /// The scope.
    pub scope: Scope,
    /// The services of the scope (indices into the dataset's services).
    pub services: &'a [usize],
    /// The window.
    pub window: Window,
    /// The series' period, if any.
    pub series: Option<Period>,
    /// The benchmark table.
    pub table: BenchmarkTable,
    /// Deployments and incidents of no catalog service, for a note (the
    /// organisation's report).
    pub without_service: u64,
    /// For a team's report, the team's people (members of it and of the
    /// Groups below it), to measure what they do to other teams' services.
    pub team_members: Option<&'a std::collections::BTreeSet<paved_domain::EntityRef>>,
}

/// The report of `request` from the facts of every service.
pub fn report(facts: &[ServiceFacts], request: &ReportRequest<'_>) -> DoraReport {
    let scoped: Vec<&ServiceFacts> = request.services.iter().filter_map(|s| facts.get(*s)).collect();
    let mut omissions = Omissions::default();
    let figures = figures(&scoped, &request.window, request.table, &mut omissions);
    let series = request
        .series
        .map(|period| {
            request
                .window
                .periods(period)
                .into_iter()
                .map(|(period_start, inside)| {
                    let figures = self::figures(&scoped, &inside, request.table, &mut Omissions::default());
                    SeriesPoint {
                        period_start,
                        deployments: figures.deployment_frequency.deployments,
                        figures,
                        partial: !period.is_whole(period_start, &inside),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let unknown_links = scoped.iter().map(|f| f.unknown_links as u64).sum();
    DoraReport {
        scope: request.scope.clone(),
        window: request.window,
        table: request.table,
        figures,
        series,
        notes: notes(&omissions, unknown_links, request.without_service),
    }
}
