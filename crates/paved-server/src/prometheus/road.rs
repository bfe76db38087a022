//! What the data says, as metrics: counters of every deployment, incident,
//! page and pavedroad action recorded (from the database, so that every
//! replica says the same), and gauges of the four-line test and the DORA
//! figures over the UI's default window, per service, per team and for
//! the organisation in separate families (so that a sum over one family
//! counts each deployment once). Labels are short names (`checkout-api`,
//! not `component:default/checkout-api`); every service and team has
//! every gauge, `NaN` where there is nothing to judge by.

use paved_app::scorecards::ServiceScore;
use paved_app::{AnalysisCache, OrgAnalysis, ScopeRequest};
use paved_metrics::{BenchmarkTable, CultureConfig, CultureReport, Line, Phase, Verdict, Window};

use super::text::{Exposition, Kind};
use crate::{ApiError, AppState};

/// The window of the gauges, as the `window` label says it.
pub const WINDOW_LABEL: &str = "90d";

/// The four lines, as the `line` label says them.
const LINES: [&str; 4] = ["deploy_own_code", "on_call_own_services", "own_pipelines", "self_provision"];

const VERDICTS: [Verdict; 4] = [Verdict::Culture, Verdict::Transition, Verdict::Role, Verdict::NoData];

const PHASES: [(Phase, &str); 5] = [
    (Phase::Reframe, "reframe"),
    (Phase::Build, "build"),
    (Phase::Transfer, "transfer"),
    (Phase::Shift, "shift"),
    (Phase::Evolve, "evolve"),
];

fn line<'a>(report: &'a CultureReport, name: &str) -> &'a Line {
    let test = &report.test;
    match name {
        "deploy_own_code" => &test.deploy_own_code,
        "on_call_own_services" => &test.on_call_own_services,
        "own_pipelines" => &test.own_pipelines,
        _ => &test.self_provision,
    }
}

/// The counters.
pub(super) fn totals(out: &mut Exposition, org: &OrgAnalysis, actions: &[(String, u64)]) {
    let totals = org.analysis.totals(&CultureConfig::default());
    let names = |service: usize| {
        let service = &org.services[service];
        let team = org.catalog.service(service).and_then(|s| s.owner.as_ref()).map_or("", |t| t.name());
        (service.name(), team)
    };
    out.family(
        "paved_deployments_total",
        Kind::Counter,
        "Deployments recorded, by service, its team, environment, outcome (success, failure, error, cancelled, \
         in_progress, ...) and whether a person of the owning team made it (by_owner: true, false, unknown).",
    );
    for ((service, environment, outcome, by_owner), n) in &totals.deployments {
        let (service, team) = names(*service);
        let labels = [
            ("service", service),
            ("team", team),
            ("environment", environment),
            ("outcome", outcome),
            ("by_owner", by_owner.as_str()),
        ];
        out.sample(&labels, Some(*n as f64));
    }
    out.family("paved_incidents_total", Kind::Counter, "Incidents recorded, by service and its team.");
    let mut incidents = std::collections::BTreeMap::<usize, u64>::new();
    for ((service, _), n) in &totals.incidents {
        *incidents.entry(*service).or_default() += n;
    }
    for (service, n) in incidents {
        let (service, team) = names(service);
        out.sample(&[("service", service), ("team", team)], Some(n as f64));
    }
    out.family("paved_incidents_open", Kind::Gauge, "Incidents not resolved, by service and its team.");
    for (service, _) in org.services.iter().enumerate() {
        let open = totals.incidents.get(&(service, false)).copied().unwrap_or(0);
        let (service, team) = names(service);
        out.sample(&[("service", service), ("team", team)], Some(open as f64));
    }
    out.family(
        "paved_pages_total",
        Kind::Counter,
        "Pages recorded, by service, its team and whether they reached the person after hours in their time zone.",
    );
    for ((service, night), n) in &totals.pages {
        let (service, team) = names(*service);
        let after = if *night { "true" } else { "false" };
        out.sample(&[("service", service), ("team", team), ("after_hours", after)], Some(*n as f64));
    }
    out.family(
        "paved_actions_total",
        Kind::Counter,
        "Actions pavedroad took or was asked for, from its audit log, by action (deploy.queue, provision.request, \
         scaffold.run, ...).",
    );
    for (action, n) in actions {
        out.sample(&[("action", action)], Some(*n as f64));
    }
}

/// The window gauges of every scope.
pub(super) async fn window_gauges(
    out: &mut Exposition,
    state: &AppState,
    org: &std::sync::Arc<OrgAnalysis>,
    window: Window,
) -> Result<(), ApiError> {
    let table = BenchmarkTable::default();
    let whole = state.analysis.report_of(org, &ScopeRequest::Org, window, table).await?;
    let mut teams = Vec::new();
    for (team, _) in org.catalog.teams() {
        if !org.services.iter().any(|s| org.catalog.team_owns(team, s)) {
            continue;
        }
        let scope = ScopeRequest::Team(team.to_string());
        teams.push((team.name().to_owned(), state.analysis.report_of(org, &scope, window, table).await?));
    }
    let org_for_services = org.clone();
    let services = tokio::task::spawn_blocking(move || {
        (0..org_for_services.services.len())
            .map(|i| AnalysisCache::diagnose_service(&org_for_services, i, window))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::from(paved_app::AppError::Internal(format!("the exposition stopped: {e}"))))?;
    let organisation = [(Vec::new(), &*whole)];
    let teams: Vec<(Vec<(&str, &str)>, &CultureReport)> =
        teams.iter().map(|(name, report)| (vec![("team", name.as_str())], &**report)).collect();
    let services: Vec<(Vec<(&str, &str)>, &CultureReport)> = services
        .iter()
        .zip(&org.services)
        .map(|(report, service)| {
            let team = org.catalog.service(service).and_then(|s| s.owner.as_ref()).map_or("", |t| t.name());
            (vec![("service", service.name()), ("team", team)], report)
        })
        .collect();
    scope_gauges(out, "organisation", &organisation);
    scope_gauges(out, "team", &teams);
    scope_gauges(out, "service", &services);
    Ok(())
}

type Figure = fn(&CultureReport) -> Option<f64>;

/// A scope's labels, the window's, then `labels`.
fn with<'a>(labels: &[(&'a str, &'a str)], base: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all: Vec<(&str, &str)> = base.to_vec();
    all.push(("window", WINDOW_LABEL));
    all.extend_from_slice(labels);
    all
}

/// One scope's families: `paved_<scope>_...`.
fn scope_gauges(out: &mut Exposition, scope: &str, reports: &[(Vec<(&str, &str)>, &CultureReport)]) {
    let figures: [(&str, &str, Figure); 6] = [
        ("deployments", "Successful production deployments in the window.", |r| {
            Some(r.dora.figures.deployment_frequency.deployments as f64)
        }),
        ("lead_time_seconds", "Median lead time for changes in the window.", |r| {
            r.dora.figures.lead_time_for_changes.median_seconds
        }),
        ("change_failure_ratio", "Change failure rate in the window (0 to 1).", |r| {
            r.dora.figures.change_failure_rate.rate
        }),
        ("recovery_time_seconds", "Median failed deployment recovery time (time to restore) in the window.", |r| {
            r.dora.figures.failed_deployment_recovery_time.median_seconds
        }),
        ("rework_ratio", "Rework rate in the window (0 to 1).", |r| r.dora.figures.rework_rate.rate),
        (
            "deployments_by_owners",
            "Successful production deployments in the window made by a person of the owning team.",
            |r| Some(r.self_service.counts.deployments_by_owners as f64),
        ),
    ];
    for (name, help, value) in figures {
        out.family(&format!("paved_{scope}_{name}"), Kind::Gauge, &format!("{help} Per {scope}."));
        for (labels, report) in reports {
            out.sample(&with(&[], labels), value(report));
        }
    }
    out.family(
        &format!("paved_{scope}_owner_share_ratio"),
        Kind::Gauge,
        &format!(
            "The four-line test: the share of each line's work done by the owning team in the window (line: \
             deploy_own_code, on_call_own_services, own_pipelines, self_provision). Per {scope}."
        ),
    );
    for (labels, report) in reports {
        for name in LINES {
            let share = line(report, name).value;
            out.sample(&with(&[("line", name)], labels), share);
        }
    }
    out.family(
        &format!("paved_{scope}_verdict"),
        Kind::Gauge,
        &format!(
            "The four-line test's verdict on each line: 1 for the verdict it has (culture, transition, role, \
             no_data), 0 for the others. Per {scope}."
        ),
    );
    for (labels, report) in reports {
        for name in LINES {
            let verdict = line(report, name).verdict;
            for candidate in VERDICTS {
                let value = if verdict == candidate { 1.0 } else { 0.0 };
                out.sample(&with(&[("line", name), ("verdict", candidate.as_str())], labels), Some(value));
            }
        }
    }
    if scope == "service" {
        return;
    }
    out.family(
        &format!("paved_{scope}_phase"),
        Kind::Gauge,
        &format!(
            "The transition phase in the window: 1 for the phase it is in (reframe, build, transfer, shift, \
             evolve), 0 for the others; all 0 without data. Per {scope}."
        ),
    );
    for (labels, report) in reports {
        for (phase, name) in PHASES {
            let value = if report.phase.phase == Some(phase) { 1.0 } else { 0.0 };
            out.sample(&with(&[("phase", name)], labels), Some(value));
        }
    }
}

/// The scorecards' gauges, from the results last kept (nothing is
/// evaluated for a scrape): each service's level as a rank, its score,
/// each level's rank and name, and how many services stand at each level.
pub(super) fn scorecards(out: &mut Exposition, catalog: &paved_domain::CatalogIndex, scores: &[ServiceScore]) {
    let cards = catalog.scorecards();
    let rank = |levels: &[String], level: &Option<String>| {
        level.as_ref().and_then(|l| levels.iter().position(|x| x == l)).map_or(0, |p| p + 1)
    };
    let labels = |score: &ServiceScore| {
        [
            ("scorecard", score.scorecard.name().to_owned()),
            ("service", score.service.name().to_owned()),
            ("team", score.team.as_ref().map_or(String::new(), |t| t.name().to_owned())),
        ]
    };
    out.family(
        "paved_scorecard_level",
        Kind::Gauge,
        "A service's level on a scorecard, as a rank: 0 below the first level, 1 the first (see \
         paved_scorecard_level_rank_info).",
    );
    for score in scores {
        let labels = labels(score);
        let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        out.sample(&labels, Some(rank(&score.levels, &score.level) as f64));
    }
    out.family(
        "paved_scorecard_score_ratio",
        Kind::Gauge,
        "A service's weighted share of a scorecard's rules that pass or are exempted.",
    );
    for score in scores {
        let labels = labels(score);
        let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        out.sample(&labels, Some(score.score));
    }
    out.family(
        "paved_scorecard_level_rank_info",
        Kind::Gauge,
        "The rank of each level of each scorecard (1 the lowest).",
    );
    for card in &cards {
        for (i, level) in card.levels.iter().enumerate() {
            out.sample(&[("scorecard", card.entity_ref.name()), ("level", level)], Some((i + 1) as f64));
        }
    }
    out.family(
        "paved_scorecard_services",
        Kind::Gauge,
        "How many services stand at each level of a scorecard (level \"none\": below the first).",
    );
    for card in &cards {
        let on: Vec<_> = scores.iter().filter(|s| s.scorecard == card.entity_ref).collect();
        for level in std::iter::once(None).chain(card.levels.iter().cloned().map(Some)) {
            let n = on.iter().filter(|s| s.level == level).count();
            let shown = level.as_deref().unwrap_or("none");
            out.sample(&[("scorecard", card.entity_ref.name()), ("level", shown)], Some(n as f64));
        }
    }
}
