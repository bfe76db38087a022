//! Durability (DESIGN §8): `paved serve` killed with SIGKILL while clients
//! post signed webhooks loses no delivery that was answered 2xx.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{Server, json, paved, run};

const SECRET: &str = "crash-test-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kill_dash_nine_under_load_loses_no_acknowledged_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("PAVED_GITHUB_WEBHOOK_SECRET", SECRET)];
    let acknowledged: Arc<Mutex<BTreeSet<u64>>> = Arc::default();
    for round in 0..3u64 {
        let server = Server::start_with_env(dir.path(), &[], &env);
        let base = server.base.clone();
        let mut clients = Vec::new();
        for client in 0..8u64 {
            let (base, acknowledged) = (base.clone(), acknowledged.clone());
            clients.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                for i in 0.. {
                    let n = round * 1_000_000 + client * 100_000 + i;
                    let sent = crate::support::post_signed_delivery(&http, &base, SECRET, n, 0).await;
                    match sent {
                        Ok(response) if response.status().is_success() => {
                            acknowledged.lock().unwrap().insert(n);
                        }
                        // The server is gone: this client's work is done.
                        _ => return,
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(700 + 300 * round)).await;
        server.kill();
        for client in clients {
            client.await.unwrap();
        }
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 50, "the load got answers before each kill: {}", acknowledged.len());

    let listed = json(&run(
        paved(dir.path()).args(["events", "list", "--source", "github", "--limit", "1000", "--format", "json"])
    ));
    let mut stored: BTreeSet<u64> = BTreeSet::new();
    let mut before = None;
    let mut page = listed.as_array().unwrap().clone();
    loop {
        for event in &page {
            let delivery = event["delivery_id"].as_str().unwrap();
            stored.insert(delivery.trim_start_matches("delivery-").parse().unwrap());
            before = Some(event["id"].as_i64().unwrap());
        }
        if page.len() < 1000 {
            break;
        }
        page = paved_events_before(dir.path(), before.unwrap());
    }
    let lost: Vec<&u64> = acknowledged.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged deliveries are missing, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
}

/// The next page of stored GitHub events, read through the store directly.
fn paved_events_before(dir: &std::path::Path, before: i64) -> Vec<serde_json::Value> {
    let runtime = tokio::runtime::Handle::current();
    let path = dir.join("paved.db");
    tokio::task::block_in_place(|| {
        runtime.block_on(async {
            let store = paved_store::connect(&paved_store::DatabaseLocation::Sqlite(path)).await.unwrap();
            let filter = paved_store::EventFilter {
                source: Some(paved_domain::Source::GitHub),
                limit: 1000,
                before_id: Some(before),
                ..paved_store::EventFilter::default()
            };
            store.events(&filter).await.unwrap().into_iter().map(|e| serde_json::to_value(e).unwrap()).collect()
        })
    })
}
