//! Benchmark: how long the deploy policy takes to decide for one service of
//! a 1,000-service organisation (BENCHMARKS.md, "Deploy policy").
//!
//! Writes a synthetic catalog (100 teams of 8 people, 1,000 services, a
//! DeployTarget each with a deny window, an allow-list and an incident
//! block), loads it with the catalog crate as `paved` would, then evaluates
//! the policy for random services and callers (owners, others, allow-listed)
//! with CI runs and open incidents, and prints p50, p99 and max.
//!
//! `cargo run --release -p paved-app --example bench_policy -- [ITERATIONS]`

use std::fmt::Write as _;
use std::time::Instant;

use chrono::Utc;
use paved_app::Caller;
use paved_app::deploy::{PolicyInput, evaluate};
use paved_domain::{CatalogIndex, CiRun, EntityRef, Incident, Policy, RepoId};
use paved_store::{TokenInfo, TokenScope};

const TEAMS: usize = 100;
const PEOPLE_PER_TEAM: usize = 8;
const SERVICES: usize = 1000;

fn catalog_yaml() -> String {
    let mut yaml = String::new();
    for t in 0..TEAMS {
        let members: Vec<String> = (0..PEOPLE_PER_TEAM).map(|p| format!("p{t}-{p}")).collect();
        let _ = write!(
            yaml,
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{ name: team{t} }}\nspec: {{ type: team, children: [], members: [{}] }}\n---\n",
            members.join(", ")
        );
        for m in &members {
            let _ = write!(
                yaml,
                "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {{ name: {m} }}\nspec: {{ memberOf: [team{t}] }}\n---\n"
            );
        }
    }
    for s in 0..SERVICES {
        let t = s % TEAMS;
        let _ = write!(
            yaml,
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: svc{s} }}\nspec: {{ type: service, lifecycle: production, owner: team{t} }}\n---\n\
             apiVersion: paved.dev/v1alpha1\nkind: DeployTarget\nmetadata: {{ name: svc{s}-production }}\nspec:\n  component: svc{s}\n  environment: production\n  steps:\n    - {{ name: release, run: ./deploy.sh }}\n  policy:\n    checks_passed: true\n    deny_windows: [ {{ days: [fri], from: \"15:00\", to: \"23:59\", timezone: Europe/Berlin }} ]\n    block_on_open_incident: SEV-2\n    allow: [ user:default/p{}-0, group:default/team{} ]\n---\n",
            (t + 1) % TEAMS,
            (t + 2) % TEAMS
        );
    }
    yaml
}

fn person(name: &str) -> Caller {
    Caller::Token(TokenInfo {
        id: 1,
        name: name.to_owned(),
        scope: TokenScope::User(format!("user:default/{name}").parse().expect("a User reference")),
        prefix: "paved_x".to_owned(),
        created_at: Utc::now(),
        revoked_at: None,
        expires_at: None,
    })
}

fn main() {
    let iterations: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("org.yaml");
    std::fs::write(&path, catalog_yaml()).expect("the catalog is written");
    let loaded = Instant::now();
    let load = paved_catalog::load(&[path], &paved_catalog::LoadOptions::default());
    assert!(!load.has_errors(), "{:?}", load.problems.first());
    let catalog = CatalogIndex::new(&load.entities);
    println!(
        "catalog: {} entities loaded and indexed in {:.0} ms",
        load.entities.len(),
        loaded.elapsed().as_secs_f64() * 1e3
    );
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let repo: RepoId = "github.com/acme/svc".parse().expect("a repository");
    let runs: Vec<CiRun> = (0..5)
        .map(|i| CiRun {
            key: format!("github:run/{i}"),
            source: "github".into(),
            run_kind: "workflow_run".into(),
            repo: repo.clone(),
            sha: Some(sha.into()),
            git_ref: None,
            name: Some(format!("job {i}")),
            event: None,
            status: "completed".into(),
            conclusion: Some("success".into()),
            actor: None,
            triggering_actor: None,
            environment: None,
            status_at: None,
            started_at: None,
            finished_at: None,
            url: None,
        })
        .collect();
    let mut incident = Incident::new("api:inc-1".to_owned(), "api");
    incident.severity = Some("SEV-3".into());
    let incidents = vec![incident];
    let defaults = Policy::default();
    let callers: Vec<Caller> =
        (0..64).map(|i| person(&format!("p{}-{}", (i * 7) % TEAMS, i % PEOPLE_PER_TEAM))).collect();
    let mut times: Vec<f64> = Vec::with_capacity(iterations);
    let mut allowed = 0usize;
    let mut seed: u64 = 42;
    for _ in 0..iterations {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let service: EntityRef =
            format!("component:default/svc{}", (seed >> 33) as usize % SERVICES).parse().expect("a ref");
        let caller = &callers[(seed >> 20) as usize % callers.len()];
        let started = Instant::now();
        let target = catalog.deploy_target(&service, "production").expect("every service has a target");
        let outcomes = evaluate(&PolicyInput {
            caller,
            catalog: &catalog,
            target,
            defaults: &defaults,
            sha: Some(sha),
            ci_runs: &runs,
            open_incidents: &incidents,
            fixes: None,
            now: Utc::now(),
            standing: &[],
        });
        times.push(started.elapsed().as_secs_f64() * 1e3);
        allowed += usize::from(outcomes.iter().all(|o| o.passed));
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "policy evaluation over {iterations} deploys ({allowed} allowed): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        at(0.5),
        at(0.99),
        times.last().copied().unwrap_or_default()
    );
}
