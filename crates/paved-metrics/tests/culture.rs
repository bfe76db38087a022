//! The four-line test and the four dysfunctions on small hand-built
//! organisations: each line and finding at, just below and just above its
//! thresholds, and `no_data` where data is missing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use paved_domain::EntityRef;
use paved_metrics::{
    Analysis, BenchmarkTable, CommitGraph, CultureConfig, CultureReport, Dataset, DeploymentInput, DoraConfig,
    EvidenceFact, FindingCutoffs, GraphCommit, IncidentInput, Ownership, PageInput, PersonInput, ProvisioningInput,
    ReportRequest, Scope, ScopeKind, ServiceInput, Severity, ShiftInput, Summary, Verdict, WhyUnowned, Window,
};

fn person(name: &str) -> EntityRef {
    format!("user:default/{name}").parse().unwrap()
}

fn team(name: &str) -> EntityRef {
    format!("group:default/{name}").parse().unwrap()
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

fn window() -> Window {
    Window::new(start(), start() + Duration::days(28)).unwrap()
}

/// One service `app` owned by team `dev` (ana, ben), a platform team `ops`
/// (olga, oscar), and one repository.
struct Org {
    dataset: Dataset,
}

impl Org {
    fn new() -> Self {
        let mut service = ServiceInput::new("component:default/app".parse().unwrap());
        service.owner = Some(team("dev"));
        service.ownership = Ownership::Owned;
        service.owners = BTreeSet::from([person("ana"), person("ben")]);
        service.repo = Some(0);
        service.runbooks = 1;
        service.schedule = Some("schedule:default/app".parse().unwrap());
        let people = BTreeMap::from([
            (person("ana"), PersonInput { team: Some(team("dev")), timezone: chrono_tz::Tz::UTC }),
            (person("ben"), PersonInput { team: Some(team("dev")), timezone: chrono_tz::Tz::UTC }),
            (person("olga"), PersonInput { team: Some(team("ops")), timezone: chrono_tz::Tz::UTC }),
            (person("oscar"), PersonInput { team: Some(team("ops")), timezone: chrono_tz::Tz::UTC }),
        ]);
        let dataset = Dataset {
            services: vec![service],
            repos: vec![CommitGraph::new(Vec::new()).into()],
            authors: vec![Vec::new()],
            people,
            ..Dataset::default()
        };
        Self { dataset }
    }

    /// `owners` deployments by ana and `others` by olga, a day apart.
    fn deployments(mut self, owners: usize, others: usize) -> Self {
        for i in 0..owners + others {
            let actor = if i < owners { "ana" } else { "olga" };
            self.dataset.deployments.push(DeploymentInput {
                key: format!("api:d{i}"),
                service: 0,
                sha: None,
                counted: true,
                finished_at: Some(start() + Duration::hours(12 + 24 * i as i64)),
                hotfix: false,
                actor_unresolved: false,
                actor: Some(person(actor)),
                environment: "production".into(),
                status: paved_domain::DeploymentStatus::Success,
            });
        }
        self
    }

    /// Self-service requests that made their resource: `owners` by ana,
    /// `anonymous` through the CLI (nobody named), five days apart.
    fn provisionings(mut self, owners: usize, anonymous: usize) -> Self {
        for i in 0..owners + anonymous {
            self.dataset.provisionings.push(ProvisioningInput {
                key: format!("paved:resource-{i}"),
                service: 0,
                ready_at: start() + Duration::days(5 * i as i64 + 1),
                actor: (i < owners).then(|| person("ana")),
            });
        }
        self
    }

    /// On-call hours: `owners` by ben, `others` by oscar.
    fn shifts(mut self, owners: i64, others: i64) -> Self {
        let mut at = start();
        for (who, hours) in [("ben", owners), ("oscar", others)] {
            if hours > 0 {
                self.dataset.shifts.push(ShiftInput {
                    service: 0,
                    person: Some(person(who)),
                    start: at,
                    end: at + Duration::hours(hours),
                });
                at += Duration::hours(hours);
            }
        }
        self
    }

    /// Commits touching `path`: `owners` by ana, `others` by olga.
    fn commits(self, path: &str, owners: usize, others: usize) -> Self {
        let mut commits = Vec::new();
        for i in 0..owners + others {
            let author = if i < owners { "ana@acme.example" } else { "olga@acme.example" };
            let time = start().timestamp() + 3600 * (i as i64 + 1);
            commits.push(GraphCommit {
                sha: format!("{i:040x}"),
                parents: if i == 0 { Vec::new() } else { vec![format!("{:040x}", i - 1)] },
                author_time: time,
                committer_time: time,
                rework: false,
                files: vec![path.to_owned()],
                author: author.to_owned(),
            });
        }
        self.repo(commits)
    }

    /// The one repository's history: `commits`, authored as their email's
    /// name says.
    fn repo(mut self, commits: Vec<GraphCommit>) -> Self {
        self.dataset.repos = vec![CommitGraph::new(commits).into()];
        self.dataset.authors = vec![
            self.dataset.repos[0]
                .author_keys()
                .iter()
                .map(|key| (Some(person(key.split('@').next().unwrap())), false))
                .collect(),
        ];
        self
    }

    /// Incidents acknowledged, resolved and paged as given.
    fn incident(mut self, acknowledged_by: Option<&str>, resolved_by: Option<&str>, paged: &[(&str, u32)]) -> Self {
        let n = self.dataset.incidents.len() as i64;
        let opened = start() + Duration::days(1 + n % 20);
        self.dataset.incidents.push(IncidentInput {
            key: format!("api:i{n}"),
            title: None,
            service: 0,
            opened_at: Some(opened),
            resolved_at: Some(opened + Duration::hours(1)),
            caused_by_deployment: None,
            root_cause_sha: Some("ffffffffff".to_owned()),
            acknowledged_by: acknowledged_by.map(person),
            acknowledged: acknowledged_by.is_some(),
            resolved_by: resolved_by.map(person),
            resolver_named: resolved_by.is_some(),
            pages: paged
                .iter()
                .map(|(who, hour)| PageInput {
                    person: Some(person(who)),
                    at: Utc.with_ymd_and_hms(2026, 3, 3 + n as u32 % 20, *hour, 0, 0).unwrap(),
                })
                .collect(),
        });
        self
    }

    fn report(self) -> CultureReport {
        self.report_with(&CultureConfig::default())
    }

    fn report_with(self, config: &CultureConfig) -> CultureReport {
        let analysis = Analysis::new(self.dataset, &DoraConfig::default());
        analysis.diagnose(
            &ReportRequest {
                team_members: None,
                scope: Scope { kind: ScopeKind::Service, name: "component:default/app".to_owned() },
                services: &[0],
                window: window(),
                series: None,
                table: BenchmarkTable::Dora2023,
                without_service: 0,
            },
            config,
        )
    }
}

impl Org {
    /// The report of team `ops` (olga, oscar), which owns no service here:
    /// the whole of its work is for other teams.
    fn ops_report(self) -> CultureReport {
        let analysis = Analysis::new(self.dataset, &DoraConfig::default());
        let members: BTreeSet<EntityRef> = [person("olga"), person("oscar")].into();
        analysis.diagnose(
            &ReportRequest {
                team_members: Some(&members),
                scope: Scope { kind: ScopeKind::Team, name: "group:default/ops".to_owned() },
                services: &[],
                window: window(),
                series: None,
                table: BenchmarkTable::Dora2023,
                without_service: 0,
            },
            &CultureConfig::default(),
        )
    }
}

fn finding<'r>(report: &'r CultureReport, id: &str) -> &'r paved_metrics::Finding {
    report.findings.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no finding {id}"))
}

#[test]
fn deploying_own_code_is_culture_at_80_percent_and_a_role_at_50() {
    // Culture ≥ 80 %, role ≤ 50 %.
    for (owners, others, verdict) in [
        (9, 1, Verdict::Culture),
        (8, 2, Verdict::Culture),
        (7, 3, Verdict::Transition),
        (6, 4, Verdict::Transition),
        (5, 5, Verdict::Role),
        (4, 6, Verdict::Role),
    ] {
        let report = Org::new().deployments(owners, others).report();
        let line = &report.test.deploy_own_code;
        assert_eq!(line.verdict, verdict, "{owners} of {}", owners + others);
        assert_eq!((line.by_owners, line.total), (owners as f64, (owners + others) as f64));
    }
    let nothing = Org::new().report();
    assert_eq!(nothing.test.deploy_own_code.verdict, Verdict::NoData);
    assert_eq!(nothing.test.deploy_own_code.value, None);
}

#[test]
fn on_call_hours_decide_the_on_call_line_and_acknowledgements_when_no_shifts_are_known() {
    for (owners, others, verdict) in [
        (80, 20, Verdict::Culture),
        (79, 21, Verdict::Transition),
        (51, 49, Verdict::Transition),
        (50, 50, Verdict::Role),
    ] {
        let line = Org::new().shifts(owners, others).report().test.on_call_own_services;
        assert_eq!(line.verdict, verdict, "{owners}h of {}h", owners + others);
        assert_eq!(line.basis, "on_call_hours");
    }
    let acks = Org::new().incident(Some("ana"), None, &[]).incident(Some("olga"), None, &[]).report();
    let line = acks.test.on_call_own_services;
    assert_eq!((line.basis, line.value, line.verdict), ("acknowledgements", Some(0.5), Verdict::Role));
    assert_eq!(Org::new().report().test.on_call_own_services.verdict, Verdict::NoData);
}

#[test]
fn pipelines_and_infrastructure_are_culture_at_70_percent_and_a_role_at_40() {
    for (owners, others, verdict) in
        [(7, 3, Verdict::Culture), (6, 4, Verdict::Transition), (5, 5, Verdict::Transition), (4, 6, Verdict::Role)]
    {
        let pipelines = Org::new().commits(".github/workflows/deploy.yml", owners, others).report();
        assert_eq!(pipelines.test.own_pipelines.verdict, verdict, "{owners} of {}", owners + others);
        assert_eq!(pipelines.test.self_provision.verdict, Verdict::NoData, "no infrastructure code touched");
        let infrastructure = Org::new().commits("infra/main.tf", owners, others).report();
        assert_eq!(infrastructure.test.self_provision.verdict, verdict);
        assert_eq!(infrastructure.test.own_pipelines.verdict, Verdict::NoData);
    }
    let code_only = Org::new().commits("src/main.rs", 3, 3).report();
    assert_eq!(code_only.test.own_pipelines.verdict, Verdict::NoData, "code is neither pipeline nor infrastructure");
}

#[test]
fn self_service_requests_count_in_the_fourth_line_beside_infrastructure_commits_and_per_month() {
    // 4 of 10 infrastructure commits by owners is a role; with 4 requests
    // by an owner it is 8 of 14 (57 %), a transition.
    let commits_only = Org::new().commits("infra/main.tf", 4, 6).report().test.self_provision;
    assert_eq!((commits_only.basis, commits_only.verdict), ("commits", Verdict::Role));
    let report = Org::new().commits("infra/main.tf", 4, 6).provisionings(4, 1).report();
    let line = &report.test.self_provision;
    assert_eq!(line.basis, "commits_and_requests");
    assert_eq!((line.by_owners, line.total, line.unattributed), (8.0, 14.0, 1), "the CLI's request names nobody");
    assert_eq!(line.verdict, Verdict::Transition);
    let months: f64 = line.series.iter().map(|p| p.by_owners).sum();
    assert_eq!(months, 8.0, "the months add up to the window");
    // Beside the deployments developers performed independently.
    let report = Org::new().deployments(3, 2).provisionings(2, 1).report();
    let done = &report.self_service;
    assert_eq!(
        (
            done.counts.deployments_by_owners,
            done.counts.deployments,
            done.counts.resources_by_owners,
            done.counts.resources
        ),
        (3, 5, 2, 3)
    );
    assert_eq!(done.counts.deployments_through_paved, 0, "none was made through pavedroad's deploy");
    assert_eq!(done.series.iter().map(|p| p.counts.resources_by_owners).sum::<u64>(), 2);
    assert_eq!(done.series[0].counts.resources_by_owners, 2, "both requests fall in the window's first month");
}

#[test]
fn a_new_silo_is_critical_at_half_the_deployments_by_non_owners() {
    // Handoff rate: ≥ 50 % critical, ≥ 20 % warning.
    for (owners, others, severity) in
        [(5, 5, Severity::Critical), (6, 4, Severity::Warning), (8, 2, Severity::Warning), (9, 1, Severity::Ok)]
    {
        let report = Org::new().deployments(owners, others).report();
        let silo = finding(&report, "new_silo");
        assert_eq!(silo.severity, severity, "{others} of {} by others", owners + others);
        if others > 0 {
            assert_eq!(silo.evidence[0].people, [person("olga")], "the non-owner deployer is named");
            assert_eq!(silo.evidence[0].teams, [team("ops")]);
            assert_eq!(silo.evidence[0].count, others as u64);
        }
    }
}

#[test]
fn the_severity_cut_offs_come_from_the_configuration() {
    // 3 of 10 by non-owners: a warning at the default 20 %, nothing to act
    // on when the configuration asks for 40 %, critical from 30 %.
    let config = |warning: f64, critical: f64| CultureConfig {
        cutoffs: FindingCutoffs { handoff_warning: warning, handoff_critical: critical, ..FindingCutoffs::default() },
        ..CultureConfig::default()
    };
    for (config, severity) in [
        (CultureConfig::default(), Severity::Warning),
        (config(0.4, 0.5), Severity::Ok),
        (config(0.2, 0.3), Severity::Critical),
    ] {
        let report = Org::new().deployments(7, 3).report_with(&config);
        assert_eq!(finding(&report, "new_silo").severity, severity, "{:?}", config.cutoffs);
    }
}

#[test]
fn a_new_silo_names_the_pipelines_non_owners_keep_at_or_below_the_role_threshold() {
    // Owners' share of pipeline commits at or below 40 % (the pipelines
    // line's role threshold): the other team keeps the pipeline.
    for (owners, others, kept) in [(4, 6, true), (0, 3, true), (5, 5, false), (7, 3, false)] {
        let report = Org::new().commits(".github/workflows/deploy.yml", owners, others).report();
        let silo = finding(&report, "new_silo");
        let pipelines: Vec<_> =
            silo.evidence.iter().filter(|e| matches!(e.fact, EvidenceFact::PipelinesKeptByOthers { .. })).collect();
        assert_eq!(silo.figures["services_with_pipelines_kept_by_others"], u64::from(kept), "{owners}/{others}");
        if kept {
            assert_eq!(pipelines.len(), 1, "{owners} of {} by owners", owners + others);
            assert_eq!(pipelines[0].people, [person("olga")]);
            assert_eq!(pipelines[0].teams, [team("ops")]);
            assert_eq!(pipelines[0].services, ["component:default/app".parse::<EntityRef>().unwrap()]);
            assert_eq!(pipelines[0].count, others as u64);
        } else {
            assert!(pipelines.is_empty(), "{owners} of {} by owners", owners + others);
        }
    }
    let code = Org::new().commits("src/main.rs", 0, 5).report();
    assert!(finding(&code, "new_silo").evidence.is_empty(), "only pipeline files count");
}

#[test]
fn a_deployment_bottleneck_is_one_person_making_half_the_deployments() {
    // 10 deployments: ana 5 (owner) and olga 5 (not an owner) → the top
    // deployer to services they do not own makes 50 %: critical.
    let report = Org::new().deployments(5, 5).report();
    let bottleneck = finding(&report, "deployment_bottleneck");
    assert_eq!(bottleneck.severity, Severity::Critical);
    assert_eq!(bottleneck.figures["top_deployer_share"], 0.5);
    assert_eq!(bottleneck.figures["top_deployer_share_to_services_not_owned"], 0.5);
    // The owners deploying their own service themselves, however few they
    // are, gate nobody.
    let own = Org::new().deployments(12, 0).report();
    let bottleneck = finding(&own, "deployment_bottleneck");
    assert_eq!(bottleneck.figures["top_deployer_share"], 1.0);
    assert_eq!(bottleneck.severity, Severity::Ok, "{:?}", bottleneck.summary);
    // Fewer than 10 deployments is too little to call a bottleneck.
    assert_eq!(finding(&Org::new().deployments(4, 4).report(), "deployment_bottleneck").severity, Severity::Ok);
}

#[test]
fn responsibility_diffuses_without_owners_runbooks_or_responders() {
    let healthy = Org::new().incident(Some("ana"), Some("ana"), &[]).report();
    assert_eq!(finding(&healthy, "responsibility_diffusion").severity, Severity::Ok);
    let mut no_runbook = Org::new();
    no_runbook.dataset.services[0].runbooks = 0;
    let report = no_runbook.report();
    let diffusion = finding(&report, "responsibility_diffusion");
    assert_eq!(diffusion.severity, Severity::Warning);
    assert!(diffusion.evidence.iter().any(|e| matches!(e.fact, EvidenceFact::WithoutRunbook { services: 1 })));
    let mut unowned = Org::new();
    unowned.dataset.services[0].ownership = Ownership::EmptyGroup;
    unowned.dataset.services[0].owners.clear();
    let report = unowned.report();
    let diffusion = finding(&report, "responsibility_diffusion");
    assert_eq!(diffusion.severity, Severity::Critical);
    assert!(
        matches!(
            &diffusion.evidence[0].fact,
            EvidenceFact::NoResponsibleTeam { why: WhyUnowned::OwnerWithoutMembers(Some(owner)), .. } if *owner == team("dev")
        ),
        "{:?}",
        diffusion.evidence
    );
    let by_others =
        Org::new().incident(Some("olga"), Some("olga"), &[]).incident(Some("ana"), Some("oscar"), &[]).report();
    assert_eq!(finding(&by_others, "responsibility_diffusion").figures["services_mostly_resolved_by_non_owners"], 1);
    let nobody = Org::new().incident(None, None, &[]).report();
    assert_eq!(
        finding(&nobody, "responsibility_diffusion").severity,
        Severity::Critical,
        "every incident without a responder"
    );
}

#[test]
fn knowledge_hoarding_is_one_person_taking_most_night_pages() {
    // Pages at 23:00 and 03:00 are after hours (22:00–07:00), 14:00 is not.
    let mut org = Org::new();
    for _ in 0..5 {
        org = org.incident(Some("olga"), Some("olga"), &[("olga", 23), ("ben", 14)]);
    }
    org = org.incident(Some("ben"), Some("ben"), &[("ben", 3)]);
    let report = org.report();
    let after = &report.bus_factors.after_hours;
    assert_eq!((after[0].person.name(), after[0].after_hours_pages, after[0].pages), ("olga", 5, 5));
    assert_eq!(report.bus_factors.after_hours_top_share, Some(0.833), "5 of 6 after-hours pages");
    let hoarding = finding(&report, "knowledge_hoarding");
    assert_eq!(hoarding.severity, Severity::Critical);
    assert_eq!(hoarding.evidence[0].people, [person("olga")]);
    assert_eq!(report.bus_factors.scope.acknowledgements.bus_factor, 1, "olga acknowledged 5 of 6");

    // Spread evenly: no hoarding.
    let mut spread = Org::new();
    for who in ["ana", "ben", "ana", "ben"] {
        spread = spread.incident(Some(who), Some(who), &[(who, 10)]);
    }
    let report = spread.report();
    assert_eq!(finding(&report, "knowledge_hoarding").severity, Severity::Ok);
    assert_eq!(report.bus_factors.scope.pages.bus_factor, 1, "two people with 2 each: one of them is half");
}

#[test]
fn the_phase_follows_the_share_of_deployments_by_owners() {
    let phase = |owners, others| Org::new().deployments(owners, others).report().phase.phase;
    assert_eq!(phase(3, 7), Some(paved_metrics::Phase::Reframe), "30 %");
    assert_eq!(phase(4, 6), Some(paved_metrics::Phase::Build), "40 %");
    assert_eq!(phase(7, 3), Some(paved_metrics::Phase::Transfer), "70 %");
    assert_eq!(phase(9, 1), Some(paved_metrics::Phase::Evolve), "90 %, nothing else known");
    let shifting = Org::new().deployments(9, 1).shifts(10, 90).report();
    assert_eq!(shifting.phase.phase, Some(paved_metrics::Phase::Shift), "on call still with the platform team");
    assert_eq!(Org::new().report().phase.phase, None);
}

#[test]
fn the_truck_factor_follows_degree_of_authorship() {
    // ana creates and keeps changing 6 files; olga touches 2 of them once.
    let mut commits = Vec::new();
    let mut parent: Option<String> = None;
    let mut n = 0;
    let mut commit = |author: &str, files: Vec<String>, commits: &mut Vec<GraphCommit>| {
        let sha = format!("{n:040x}");
        commits.push(GraphCommit {
            sha: sha.clone(),
            parents: parent.iter().cloned().collect(),
            author_time: 1_700_000_000 + n,
            committer_time: 1_700_000_000 + n,
            rework: false,
            files,
            author: format!("{author}@acme.example"),
        });
        parent = Some(sha);
        n += 1;
    };
    for round in 0..3 {
        commit("ana", (0..6).map(|f| format!("src/f{f}.rs")).collect(), &mut commits);
        if round == 0 {
            commit("olga", vec!["src/f0.rs".to_owned(), "src/f1.rs".to_owned()], &mut commits);
        }
    }
    let mut org = Org::new();
    org.dataset.repos = vec![CommitGraph::new(commits).into()];
    org.dataset.authors = vec![
        org.dataset.repos[0]
            .author_keys()
            .iter()
            .map(|k| (Some(person(k.split('@').next().unwrap())), false))
            .collect(),
    ];
    let report = org.report();
    let truck = &report.bus_factors.truck_factors[0];
    assert_eq!((truck.truck_factor, truck.files), (1, 6));
    assert_eq!(truck.authors, ["user:default/ana"]);
}

#[test]
fn the_commit_lines_read_from_the_index_equal_a_walk_of_the_commits() {
    // Commits every 5 days over two months, pipelines and infrastructure,
    // by owners and others; windows that cut between them and inside a
    // second.
    let mut commits = Vec::new();
    for i in 0..14_i64 {
        let time = start().timestamp() + i * 5 * 86_400 + 7;
        commits.push(GraphCommit {
            sha: format!("{i:040x}"),
            parents: if i == 0 { Vec::new() } else { vec![format!("{:040x}", i - 1)] },
            author_time: time,
            committer_time: time,
            rework: false,
            files: vec![if i % 3 == 0 { "infra/main.tf" } else { ".github/workflows/deploy.yml" }.to_owned()],
            author: if i % 4 == 0 { "olga@acme.example" } else { "ana@acme.example" }.to_owned(),
        });
    }
    let org = Org::new().repo(commits);
    let request = |window: Window| ReportRequest {
        team_members: None,
        scope: Scope { kind: ScopeKind::Service, name: "component:default/app".to_owned() },
        services: &[0],
        window,
        series: None,
        table: BenchmarkTable::Dora2023,
        without_service: 0,
    };
    let windows = [
        Window::new(start(), start() + Duration::days(70)).unwrap(),
        Window::new(start() + Duration::days(10), start() + Duration::days(40)).unwrap(),
        // Bounds a fraction of a second after a commit, and on one.
        Window::new(
            start() + Duration::days(5) + Duration::milliseconds(7_500),
            start() + Duration::days(25) + Duration::seconds(7),
        )
        .unwrap(),
    ];
    let config = CultureConfig::default();
    // Another configuration first leaves the index of other globs in the
    // analysis: the default one then walks the commits.
    let mut other = CultureConfig::default();
    other.pipeline_globs.push("**/*.never".to_owned());
    other.infrastructure_globs.push("**/*.never".to_owned());
    let walked = Analysis::new(org.dataset.clone(), &DoraConfig::default());
    walked.diagnose(&request(windows[0]), &other);
    let indexed = Analysis::new(org.dataset, &DoraConfig::default());
    for window in windows {
        let (a, b) =
            (indexed.diagnose(&request(window), &config).test, walked.diagnose(&request(window), &config).test);
        for (from_index, from_walk) in [(&a.own_pipelines, &b.own_pipelines), (&a.self_provision, &b.self_provision)] {
            assert_eq!(
                (from_index.by_owners, from_index.total, from_index.unattributed),
                (from_walk.by_owners, from_walk.total, from_walk.unattributed)
            );
            let months = |line: &paved_metrics::Line| {
                line.series.iter().map(|p| (p.period_start, p.by_owners, p.total)).collect::<Vec<_>>()
            };
            assert_eq!(months(from_index), months(from_walk));
            assert!(from_index.total > 0.0, "the window holds counted commits");
        }
    }
}

#[test]
fn a_long_shift_counts_in_a_window_that_starts_after_shorter_later_shifts_ended() {
    // ben holds the whole first 20 days; oscar's short shifts start later
    // and end before the window: only ben's last 10 days are in it.
    let mut org = Org::new();
    for (who, from, to) in [("ben", 0, 20 * 24), ("oscar", 24, 48), ("oscar", 72, 96)] {
        org.dataset.shifts.push(ShiftInput {
            service: 0,
            person: Some(person(who)),
            start: start() + Duration::hours(from),
            end: start() + Duration::hours(to),
        });
    }
    let analysis = Analysis::new(org.dataset, &DoraConfig::default());
    let report = analysis.diagnose(
        &ReportRequest {
            team_members: None,
            scope: Scope { kind: ScopeKind::Service, name: "component:default/app".to_owned() },
            services: &[0],
            window: Window::new(start() + Duration::days(10), start() + Duration::days(28)).unwrap(),
            series: None,
            table: BenchmarkTable::Dora2023,
            without_service: 0,
        },
        &CultureConfig::default(),
    );
    let line = &report.test.on_call_own_services;
    assert_eq!((line.by_owners, line.total, line.basis), (240.0, 240.0, "on_call_hours"));
}

#[test]
fn a_teams_report_shows_what_its_people_do_for_other_teams() {
    // olga (ops) makes 6 of app's 10 production deployments and changes
    // its pipeline twice; oscar (ops) is on call for it 30 hours.
    let report = Org::new().deployments(4, 6).shifts(10, 30).commits(".github/workflows/deploy.yml", 1, 2).ops_report();
    let outside = report.outside_work.as_ref().expect("a team's report has it");
    assert_eq!(outside.people, 2);
    assert_eq!(outside.deployments, 6);
    assert_eq!(outside.own_deployments, 0);
    assert_eq!(outside.share_of_their_deployments, Some(0.6));
    assert_eq!(outside.services[0].service, "component:default/app".parse::<EntityRef>().unwrap());
    assert_eq!(outside.deployers[0].person, person("olga"));
    assert_eq!(outside.pipeline_commits, 2);
    assert_eq!(outside.on_call_hours, 30.0);
    assert_eq!(report.test.deploy_own_code.value, None, "its own services: none");
    let silo = finding(&report, "new_silo");
    assert_eq!(silo.severity, Severity::Critical, "{:?}", silo.summary);
    assert_eq!(silo.figures["deployments_to_services_of_other_teams"], 6);
    let EvidenceFact::WorkForOtherTeams(work) = &silo.evidence[0].fact else {
        panic!("the work for other teams comes first: {:?}", silo.evidence)
    };
    assert_eq!((work.deployments, work.services, work.own_deployments), (6, 1, 0));
    assert_eq!(work.top_deployer, Some((person("olga"), 6)));
    let Summary::NewSilo { work_for_other_teams, .. } = &silo.summary else { panic!("{:?}", silo.summary) };
    assert_eq!(work_for_other_teams.as_ref(), Some(work), "the summary tells it too");
    // A service's or the organisation's report has none.
    assert!(Org::new().deployments(4, 6).report().outside_work.is_none());
}
