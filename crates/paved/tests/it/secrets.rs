//! No secret in clear (DESIGN §8): after `paved demo` and the paved road's
//! actions on it — a signed GitHub delivery, an Events API v2 event whose
//! routing key is a token, a personal token made and used, a contact
//! whose webhook URL carries a secret, a PostgreSQL database provisioned
//! and its credentials read (when PostgreSQL answers) — neither the
//! database files, nor the raw events in them, nor the logs at `trace`
//! hold any token, password or webhook secret the run used.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::time::Duration;

use paved_ingest::signature::hmac_sha256_hex;

use crate::prometheus::Killed;
use crate::support::{paved, run, stderr, stdout};

const WEBHOOK_SECRET: &str = "whsec-3f9a1c7e5b2d4f60a8c1e9b7d3f5a2c4";
const CONTACT_SECRET: &str = "Zq8Xv2Lm5Np7Rt4Ws1Yu9Ko3";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_password_or_webhook_secret_is_stored_or_logged_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let log = std::fs::File::create(dir.join("trace.log")).unwrap();
    let mut child = paved(dir)
        .args(["demo", "--listen", "127.0.0.1:0", "--seed", "7", "--out", "demo", "--log", "trace"])
        .env("PAVED_GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut address, mut token, mut person, mut service) = (None, None, None, None);
        for line in lines.map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Serving the demo on http://") {
                address = rest.split_whitespace().next().map(|a| a.trim_end_matches('/').to_owned());
            }
            if let Some(rest) = line.split("Deploy on the paved road as ").nth(1) {
                person = rest.split_whitespace().next().map(str::to_owned);
            }
            if let Some(rest) = line.split("then press Deploy on http://").nth(1) {
                service = rest.split("/services/").nth(1).and_then(|s| s.split_whitespace().next()).map(str::to_owned);
            }
            if let Some(found) = line.trim().strip_prefix("paved_") {
                token = Some(format!("paved_{found}"));
            }
            if line.starts_with("Earned autonomy:") {
                tx.send((address.take(), token.take(), person.take(), service.take())).ok();
            }
        }
    });
    let _demo = Killed(child);
    let (address, token, person, service) = rx.recv_timeout(Duration::from_secs(180)).expect("paved demo starts");
    let (base, token, person) = (format!("http://{}", address.unwrap()), token.unwrap(), person.unwrap());
    let service = service.expect("the demo names the road's service");
    let http = reqwest::Client::new();
    let mut secrets = vec![WEBHOOK_SECRET.to_owned(), token.clone(), CONTACT_SECRET.to_owned()];

    // A signed GitHub delivery.
    let body = br#"{"zen": "Keep it logically awesome.", "hook_id": 1, "sender": {"login": "octocat"}}"#.to_vec();
    let signature = format!("sha256={}", hmac_sha256_hex(WEBHOOK_SECRET.as_bytes(), &body));
    let delivered = http
        .post(format!("{base}/hooks/github"))
        .header("X-GitHub-Event", "ping")
        .header("X-GitHub-Delivery", "secrets-1")
        .header("X-Hub-Signature-256", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(delivered.status().is_success(), "{}", delivered.text().await.unwrap());

    // An Events API v2 event: its routing key is a pavedroad token.
    let event = serde_json::json!({
        "routing_key": token, "event_action": "trigger", "dedup_key": "secrets-test",
        "payload": {"summary": "disk almost full", "source": "checkout-api", "severity": "warning"}
    });
    let enqueued = http.post(format!("{base}/v2/enqueue")).json(&event).send().await.unwrap();
    assert_eq!(enqueued.status().as_u16(), 202, "{}", enqueued.text().await.unwrap());

    // A personal token, made and used.
    let made = run(paved(dir).args([
        "token",
        "create",
        "--user",
        &person,
        "--database-url",
        "demo/paved.db",
        "--format",
        "json",
    ]));
    assert!(made.status.success(), "{}", stderr(&made));
    let personal: serde_json::Value = serde_json::from_str(&stdout(&made)).unwrap();
    let personal = personal["token"].as_str().unwrap().to_owned();
    secrets.push(personal.clone());
    let contact = format!("webhook:https://hooks.example.com/services/T000/B000/{CONTACT_SECRET}");
    let added = http
        .post(format!("{base}/api/v1/people/{person}/contacts"))
        .bearer_auth(&personal)
        .json(&serde_json::json!({ "contact": contact }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status().as_u16(), 201, "{}", added.text().await.unwrap());

    // A PostgreSQL database, when the demo offers one: its password,
    // shown once, and read again as credentials.
    let modules: serde_json::Value =
        http.get(format!("{base}/api/v1/entities?kind=module")).send().await.unwrap().json().await.unwrap();
    let offers_postgres = modules["items"].as_array().unwrap().iter().any(|m| m["name"] == "postgres-database");
    if offers_postgres {
        let provisioned = http
            .post(format!("{base}/api/v1/services/{service}/resources"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "module": "postgres-database", "name": "secrets-db" }))
            .send()
            .await
            .unwrap();
        let status = provisioned.status().as_u16();
        let made: serde_json::Value = provisioned.json().await.unwrap();
        assert_eq!(status, 201, "{made}");
        let password = made["outputs"]["password"].as_str().expect("the password, shown once").to_owned();
        let resource = made["resource"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let read: serde_json::Value = http
            .get(format!("{base}/api/v1/resources/{resource}/credentials"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(read["password"].as_str(), Some(password.as_str()), "{read}");
        secrets.push(password);
    } else {
        assert!(std::env::var_os("PAVED_REQUIRE_POSTGRES").is_none(), "PostgreSQL answers here, so the demo offers it");
    }

    drop(_demo);
    let mut stored = Vec::new();
    for file in ["paved.db", "paved.db-wal", "paved.db-shm"] {
        if let Ok(bytes) = std::fs::read(dir.join("demo").join(file)) {
            stored.extend(bytes);
        }
    }
    let stored = String::from_utf8_lossy(&stored).into_owned();
    let logged = std::fs::read_to_string(dir.join("trace.log")).unwrap();
    assert!(logged.contains("TRACE") || logged.contains("DEBUG"), "the log is at trace level");
    assert!(logged.contains("/hooks/github") && logged.contains("/v2/enqueue"), "the log covers the requests");
    assert!(stored.contains("secrets-1"), "the delivery is in the database file read");
    for secret in &secrets {
        let shown = &secret[..6.min(secret.len())];
        assert!(!stored.contains(secret.as_str()), "a secret ({shown}...) is in the database in clear");
        assert!(!logged.contains(secret.as_str()), "a secret ({shown}...) is in the trace log");
    }
}
