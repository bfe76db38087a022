//! Properties every report must have, over random histories: rates stay in
//! [0, 1]; deployments that are not successful production ones change
//! nothing; the order records were ingested in changes nothing; months add
//! up to the whole window.

use chrono::{DateTime, Duration, TimeZone, Utc};
use paved_domain::EntityRef;
use paved_metrics::{
    BenchmarkTable, CommitGraph, Dataset, DeploymentInput, DoraConfig, DoraEngine, DoraReport, GraphCommit,
    IncidentInput, Period, ReportRequest, Scope, ScopeKind, ServiceInput, Window,
};
use proptest::prelude::*;

/// A small deterministic generator, so that a failing case is a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap()
}

/// A history of `commits` commits (mostly linear, some merges), deployed
/// and broken at random by two services of one repository.
fn dataset(seed: u64, commits: usize, deployments: usize, incidents: usize) -> Dataset {
    let mut rng = Rng(seed | 1);
    let mut graph_commits = Vec::new();
    for i in 0..commits {
        let mut parents = Vec::new();
        if i > 0 {
            parents.push(format!("{:040x}", i - 1));
            if i > 3 && rng.below(5) == 0 {
                parents.push(format!("{:040x}", rng.below(i as u64 - 1)));
            }
        }
        let time = start().timestamp() + i as i64 * 3600 + rng.below(1800) as i64 - 900;
        graph_commits.push(GraphCommit {
            sha: format!("{i:040x}"),
            parents,
            author_time: time - 600,
            committer_time: time,
            rework: rng.below(10) == 0,
            files: vec![if rng.below(2) == 0 { "a/x.rs".to_owned() } else { "b/y.rs".to_owned() }],
            author: format!("dev{}@example.com", rng.below(4)),
        });
    }
    let services = vec![
        ServiceInput { repo: Some(0), ..ServiceInput::new("component:default/a".parse::<EntityRef>().unwrap()) },
        ServiceInput { repo: Some(0), ..ServiceInput::new("component:default/b".parse::<EntityRef>().unwrap()) },
    ];
    let mut deployment_inputs = Vec::new();
    for d in 0..deployments {
        let commit = rng.below(commits as u64);
        let finished = start() + Duration::seconds(commit as i64 * 3600 + rng.below(200_000) as i64);
        deployment_inputs.push(DeploymentInput {
            key: format!("api:d{d}"),
            service: rng.below(2) as usize,
            sha: Some(format!("{commit:040x}")),
            counted: rng.below(4) != 0,
            finished_at: Some(finished),
            hotfix: rng.below(20) == 0,
            actor_unresolved: false,
            actor: None,
            environment: "production".into(),
            status: paved_domain::DeploymentStatus::Success,
        });
    }
    let mut incident_inputs = Vec::new();
    for i in 0..incidents {
        let opened = start() + Duration::seconds(rng.below(commits as u64 * 3600 + 200_000) as i64);
        let link = rng.below(4);
        incident_inputs.push(IncidentInput {
            key: format!("api:i{i}"),
            title: None,
            service: rng.below(2) as usize,
            opened_at: Some(opened),
            resolved_at: (rng.below(5) != 0).then(|| opened + Duration::seconds(rng.below(40_000) as i64)),
            caused_by_deployment: (link == 0).then(|| format!("api:d{}", rng.below(deployments as u64))),
            root_cause_sha: (link == 1).then(|| format!("{:040x}", rng.below(commits as u64))),
            acknowledged_by: None,
            acknowledged: false,
            resolved_by: None,
            resolver_named: false,
            pages: Vec::new(),
        });
    }
    Dataset {
        services,
        repos: vec![CommitGraph::new(graph_commits).into()],
        deployments: deployment_inputs,
        incidents: incident_inputs,
        pull_requests: Vec::new(),
        ..Dataset::default()
    }
}

fn whole_window(dataset: &Dataset) -> Window {
    let _ = dataset;
    Window::new(start() - Duration::days(1), start() + Duration::days(120)).unwrap()
}

fn report(dataset: &Dataset, window: Window) -> DoraReport {
    let engine = DoraEngine::new(dataset, &DoraConfig::default());
    engine.report(&ReportRequest {
        team_members: None,
        scope: Scope { kind: ScopeKind::Org, name: "organisation".to_owned() },
        services: &[0, 1],
        window,
        series: Some(Period::Month),
        table: BenchmarkTable::Dora2023,
        without_service: 0,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rates_stay_between_zero_and_one(seed in any::<u64>(), commits in 5usize..80, deployments in 0usize..40, incidents in 0usize..20) {
        let dataset = dataset(seed, commits, deployments, incidents);
        let report = report(&dataset, whole_window(&dataset));
        for rate in [report.figures.change_failure_rate.rate, report.figures.rework_rate.rate].into_iter().flatten() {
            prop_assert!((0.0..=1.0).contains(&rate), "{rate}");
        }
        prop_assert!(report.figures.change_failure_rate.failed <= report.figures.change_failure_rate.deployments);
        for point in &report.series {
            for rate in [point.figures.change_failure_rate.rate, point.figures.rework_rate.rate].into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&rate), "{rate}");
            }
        }
    }

    #[test]
    fn deployments_that_do_not_count_change_nothing(seed in any::<u64>(), commits in 5usize..60, deployments in 1usize..30, incidents in 0usize..10) {
        let dataset = dataset(seed, commits, deployments, incidents);
        let before = report(&dataset, whole_window(&dataset));
        let mut more = dataset.clone();
        let mut rng = Rng(seed ^ 0xdead_beef);
        for extra in 0..10 {
            let commit = rng.below(commits as u64);
            more.deployments.push(DeploymentInput {
                key: format!("api:staging{extra}"),
                service: rng.below(2) as usize,
                sha: Some(format!("{commit:040x}")),
                counted: false,
                finished_at: Some(start() + Duration::seconds(rng.below(300_000) as i64)),
                hotfix: false,
                actor_unresolved: false,
                actor: None,
                environment: "production".into(),
                status: paved_domain::DeploymentStatus::Success,
            });
        }
        prop_assert_eq!(report(&more, whole_window(&more)), before);
    }

    #[test]
    fn the_order_of_ingestion_changes_nothing(seed in any::<u64>(), commits in 5usize..60, deployments in 1usize..30, incidents in 0usize..15) {
        let dataset = dataset(seed, commits, deployments, incidents);
        let before = report(&dataset, whole_window(&dataset));
        let mut shuffled = dataset.clone();
        shuffled.deployments.reverse();
        shuffled.incidents.reverse();
        let mut rng = Rng(seed ^ 0x1234);
        for i in (1..shuffled.deployments.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            shuffled.deployments.swap(i, j);
        }
        prop_assert_eq!(report(&shuffled, whole_window(&shuffled)), before);
    }

    #[test]
    fn months_add_up_to_the_whole_window(seed in any::<u64>(), commits in 5usize..80, deployments in 0usize..40) {
        let dataset = dataset(seed, commits, deployments, 0);
        let report = report(&dataset, whole_window(&dataset));
        let by_month: u64 = report.series.iter().map(|point| point.deployments).sum();
        prop_assert_eq!(by_month, report.figures.deployment_frequency.deployments);
        let changes: u64 = report.series.iter().map(|p| p.figures.lead_time_for_changes.changes).sum();
        prop_assert_eq!(changes, report.figures.lead_time_for_changes.changes);
    }
}
