//! Benchmark: alerts in, pages out (BENCHMARKS.md, "Paging").
//!
//! Starts the real `paved serve` on a SQLite database with a catalog of 50
//! services, each owned by a team whose one person is reached through a
//! generic webhook to a receiver in this process. Then it sends Alertmanager
//! webhook notifications to `/hooks/alertmanager` at RATE alerts per second
//! for SECONDS seconds (each a distinct alert, one per notification), and
//! times each from the moment it was sent until its first page reached the
//! receiver. At the end it counts alerts without a page (lost) and pages
//! received twice (doubled).
//!
//! `bench_paging PAVED_BIN [RATE] [SECONDS]` — by default 1000 alerts/s
//! for 10 s.

#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SERVICES: usize = 50;

fn catalog(receiver: &str) -> String {
    let mut yaml = String::new();
    for s in 0..SERVICES {
        yaml.push_str(&format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{ name: team{s} }}\nspec: {{ type: team, children: [], members: [p{s}] }}\n---\n\
             apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: p{s}\n  annotations: {{ paved.dev/contacts: \"webhook:{receiver}/p{s}\" }}\nspec: {{ memberOf: [team{s}] }}\n---\n\
             apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: svc{s} }}\nspec: {{ type: service, lifecycle: production, owner: team{s} }}\n---\n"
        ));
    }
    yaml
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// What the receiver saw: for each alert (by its title), when its pages
/// arrived.
type Seen = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

async fn receive(
    axum::extract::State(seen): axum::extract::State<Seen>,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    let at = Instant::now();
    let page: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(title) = page["incident"]["title"].as_str() {
        seen.lock().expect("the lock").entry(title.to_owned()).or_default().push(at);
    }
    axum::http::StatusCode::NO_CONTENT
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let bin = std::fs::canonicalize(args.next().expect("usage: bench_paging PAVED_BIN [RATE] [SECONDS]"))
        .expect("PAVED_BIN exists");
    let rate: u64 = args.next().map_or(1000, |n| n.parse().expect("RATE is a number"));
    let seconds: u64 = args.next().map_or(10, |n| n.parse().expect("SECONDS is a number"));

    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port for the receiver");
    let receiver = format!("http://{}/pages", listener.local_addr().expect("an address"));
    let routes = axum::Router::new().route("/pages/{person}", axum::routing::post(receive)).with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, routes).await });

    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("catalog.yaml"), catalog(&receiver)).expect("the catalog");
    common::paved(&bin, dir.path(), &["catalog", "import", "catalog.yaml"]);
    let token: Value =
        serde_json::from_str(&common::paved(&bin, dir.path(), &["token", "create", "--admin", "--format", "json"]))
            .expect("JSON");
    let token = token["token"].as_str().expect("a token").to_owned();
    let (mut server, address) = common::serve(&bin, dir.path(), &[], &[("PAVED_WEBHOOK_SIGNING_SECRET", "bench")]);
    let url = format!("http://{address}/hooks/alertmanager");
    let client = reqwest::Client::new();

    let total = rate * seconds;
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let started = Instant::now();
    let mut tasks = Vec::new();
    let mut every = tokio::time::interval(Duration::from_millis(10));
    let mut n = 0;
    while n < total {
        every.tick().await;
        // Send what is due by now: `rate` per second, evenly.
        let due = ((started.elapsed().as_secs_f64() * rate as f64) as u64 + 1).min(total);
        while n < due {
            let title = format!("bench alert {n}");
            let body = json!({
                "version": "4",
                "status": "firing",
                "receiver": "paved",
                "groupKey": format!("{{}}:{{alertname=\"Bench{n}\"}}"),
                "alerts": [{
                    "status": "firing",
                    "labels": { "alertname": format!("Bench{n}"), "service": format!("svc{}", n % SERVICES as u64), "severity": "critical" },
                    "annotations": { "summary": title },
                    "startsAt": chrono::Utc::now().to_rfc3339(),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "fingerprint": format!("{n:016x}"),
                }],
            });
            let (client, url, token, sent) = (client.clone(), url.clone(), token.clone(), sent.clone());
            tasks.push(tokio::spawn(async move {
                sent.lock().expect("the lock").insert(title, Instant::now());
                let response = client.post(&url).bearer_auth(&token).json(&body).send().await.expect("an answer");
                assert!(response.status().is_success(), "alert {n}: {}", response.status());
            }));
            n += 1;
        }
    }
    for task in tasks {
        task.await.expect("the alert was sent");
    }
    let sending = started.elapsed();
    // Wait for the pages, at most 60 s after the last alert.
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && seen.lock().expect("the lock").len() < total as usize {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.kill().ok();
    server.wait().ok();

    let sent = sent.lock().expect("the lock");
    let seen = seen.lock().expect("the lock");
    let mut latencies: Vec<Duration> = sent
        .iter()
        .filter_map(|(title, at)| seen.get(title).and_then(|pages| pages.first()).map(|first| *first - *at))
        .collect();
    latencies.sort_unstable();
    let lost = sent.keys().filter(|title| !seen.contains_key(*title)).count();
    let doubled = seen.values().filter(|pages| pages.len() > 1).count();
    let pick =
        |p: f64| latencies.get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1))).copied();
    println!(
        "{total} alerts sent in {:.1} s ({:.0}/s asked {rate}/s); pages received {}, lost {lost}, doubled {doubled}",
        sending.as_secs_f64(),
        total as f64 / sending.as_secs_f64(),
        latencies.len()
    );
    if let (Some(p50), Some(p99), Some(max)) = (pick(0.5), pick(0.99), latencies.last().copied()) {
        println!("alert sent to first page received: p50 {}, p99 {}, max {}", ms(p50), ms(p99), ms(max));
    }
}
