//! A full disk under signed load (SQLite on a 2 MB tmpfs): deliveries that
//! cannot be stored are refused with the reason, `/readyz` says the server
//! cannot take writes, and once space is freed both recover without a
//! restart, with every acknowledged delivery kept.

use crate::support::{Server, json, paved, run};

const SECRET: &str = "disk-full-secret";

/// Posts the signed delivery `n`, of about 20 kB: the status and the JSON
/// answer.
async fn deliver(server: &Server, n: u64) -> (u16, serde_json::Value) {
    let http = reqwest::Client::new();
    let response = crate::support::post_signed_delivery(&http, &server.base, SECRET, n, 20_000).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.expect("the answer is JSON"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_readiness_recover_once_a_full_disk_has_space_again() {
    let Some(tmpfs) = paved_test_support::Tmpfs::mount("2m") else { return };
    let database = tmpfs.path().join("paved.db");
    let database_url = database.display().to_string();
    let server = Server::start_with_env(
        tmpfs.path(),
        &["--database-url", &database_url],
        &[("PAVED_GITHUB_WEBHOOK_SECRET", SECRET)],
    );
    assert_eq!(server.get("/readyz").await.0, 200);
    tmpfs.fill(300_000);

    let mut acknowledged = Vec::new();
    let refusal = loop {
        let n = acknowledged.len() as u64;
        let (status, answer) = deliver(&server, n).await;
        if status != 200 {
            break (status, answer);
        }
        acknowledged.push(n);
        assert!(acknowledged.len() < 100, "300 kB cannot hold 100 deliveries of 20 kB");
    };
    let message = refusal.1["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(refusal.0 >= 500 && message.contains("full"), "{refusal:?}");
    for n in 1000..1003 {
        let (status, answer) = deliver(&server, n).await;
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(status >= 500 && message.contains("full"), "still the disk, not a stuck connection: {answer}");
        let (ready, answer) = server.get("/readyz").await;
        assert_eq!(ready, 503, "not ready while writes fail: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap_or_default().contains("free"), "{answer}");
    }

    tmpfs.free();
    let (ready, answer) = server.get("/readyz").await;
    assert_eq!(ready, 200, "ready again once space is back, without a restart: {answer}");
    let (status, answer) = deliver(&server, 2000).await;
    assert_eq!(status, 200, "{answer}");
    acknowledged.push(2000);
    assert_eq!(server.stop(), Some(0));

    let events = json(&run(paved(tmpfs.path()).args([
        "--database-url",
        &database_url,
        "events",
        "list",
        "--source",
        "github",
        "--limit",
        "1000",
        "--format",
        "json",
    ])));
    let mut stored: Vec<u64> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["delivery_id"].as_str().unwrap().trim_start_matches("delivery-").parse().unwrap())
        .collect();
    stored.sort_unstable();
    assert_eq!(stored, acknowledged, "every acknowledged delivery is stored, and nothing refused");
}
