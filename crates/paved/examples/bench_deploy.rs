//! Benchmark: the server's own overhead per deploy (BENCHMARKS.md, "Deploy
//! overhead").
//!
//! Starts the real `paved serve` (its embedded runner on) on a catalog of
//! one team and one service whose DeployTarget has a single no-op step
//! (`run: "true"`) and no health check, then deploys it N times, one after
//! another, as its owner over the API. Each deploy is timed from the moment
//! the client sends `POST /api/v1/services/shop-api/deploys` until `GET
//! /api/v1/deploys/{id}` (polled every millisecond) says it succeeded:
//! checks, queueing, claiming, the runner's bookkeeping, recording every
//! state as a deployment, and answering. The one step's own time (spawning
//! `sh -c true`) is measured apart and reported beside it.
//!
//! `bench_deploy PAVED_BIN [DEPLOYS] [DATABASE_URL]` — by default 200
//! deploys on a SQLite database in a temporary directory.

#[path = "common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const CATALOG: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: shop }
spec: { type: team, children: [], members: [ana] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: ana }
spec: { memberOf: [shop] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: shop-api }
spec: { type: service, lifecycle: production, owner: shop }
---
apiVersion: paved.dev/v1alpha1
kind: DeployTarget
metadata: { name: shop-api-production }
spec:
  component: shop-api
  environment: production
  steps:
    - { name: release, run: "true" }
  rollback: manual
  policy: { checks_passed: false }
"#;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn row(name: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    println!(
        "| {name} | {} | {} | {} |",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().expect("at least one deploy"))
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let bin = std::path::PathBuf::from(args.next().expect("usage: bench_deploy PAVED_BIN [DEPLOYS] [DATABASE_URL]"));
    let bin = std::fs::canonicalize(&bin).expect("PAVED_BIN exists");
    let deploys: usize = args.next().map_or(200, |n| n.parse().expect("DEPLOYS is a number"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = args.next().unwrap_or_else(|| "paved.db".to_owned());
    std::fs::write(dir.path().join("catalog.yaml"), CATALOG).expect("the catalog is written");
    common::paved(&bin, dir.path(), &["catalog", "import", "catalog.yaml", "--database-url", &database]);
    let token: Value = serde_json::from_str(&common::paved(
        &bin,
        dir.path(),
        &["token", "create", "--user", "ana", "--database-url", &database, "--format", "json"],
    ))
    .expect("the token is JSON");
    let token = token["token"].as_str().expect("a token").to_owned();

    let (mut server, address) = common::serve(&bin, dir.path(), &["--database-url", &database], &[]);
    let base = format!("http://{address}");
    let client = reqwest::Client::new();

    let mut total = Vec::new();
    let mut answer = Vec::new();
    let mut queued = Vec::new();
    let mut ran = Vec::new();
    let warm_up = 5;
    for round in 0..deploys + warm_up {
        let started = Instant::now();
        let response = client
            .post(format!("{base}/api/v1/services/shop-api/deploys"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "version": format!("1.0.{round}") }))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 202, "deploy {round} is queued");
        let answered = started.elapsed();
        let body: Value = response.json().await.expect("JSON");
        let id = body["deploy"]["id"].as_i64().expect("an id");
        let done = loop {
            let body: Value = client
                .get(format!("{base}/api/v1/deploys/{id}"))
                .send()
                .await
                .expect("the server answers")
                .json()
                .await
                .expect("JSON");
            if body["done"] == true {
                break body;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        let elapsed = started.elapsed();
        assert_eq!(done["deploy"]["state"], "succeeded", "{done}");
        let at = |field: &str| {
            chrono::DateTime::parse_from_rfc3339(done["deploy"][field].as_str().expect("a time")).expect("RFC 3339")
        };
        if round >= warm_up {
            total.push(elapsed);
            answer.push(answered);
            queued.push((at("started_at") - at("created_at")).to_std().unwrap_or_default());
            ran.push((at("finished_at") - at("started_at")).to_std().unwrap_or_default());
        }
    }
    server.kill().ok();
    server.wait().ok();

    let mut step = Vec::new();
    for _ in 0..deploys.min(100) {
        let started = Instant::now();
        let status = Command::new("sh").args(["-c", "true"]).status().expect("sh runs");
        assert!(status.success());
        step.push(started.elapsed());
    }
    let backend = if database.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    println!("{deploys} deploys, one after another, on {backend} (after {warm_up} to warm up)");
    println!("| | p50 | p99 | max |");
    println!("|---|---|---|---|");
    row("POST to succeeded, as the client sees it", total);
    row("POST answered (checks, queued, recorded)", answer);
    row("queued to claimed by the embedded runner", queued);
    row("claimed to finished (incl. the step)", ran);
    row("the step alone: `sh -c true`", step);
}
