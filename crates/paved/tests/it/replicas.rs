//! Several replicas on one PostgreSQL database, as production runs them
//! (the README's "Running several replicas"): three `paved serve`
//! processes, and clients that go round them as a load balancer does,
//! moving on to the next replica when one does not answer. Signed webhooks,
//! deploys, incidents that page by e-mail (a real SMTP server) and
//! provisioning requests (the real PostgreSQL server) go to all three; one
//! replica is killed with SIGKILL in the middle of it. Then everything is
//! counted: every acknowledged delivery stored once, every deploy run once,
//! every page sent once, every database made once.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use paved_test_support::smtp::{SmtpServer, python_with_aiosmtpd};
use serde_json::{Value, json};

use super::support::{Server, json as json_of, paved, post_signed_delivery, run, stderr};

const SECRET: &str = "replica-test-secret";
const DELIVERIES: u64 = 240;
const INCIDENTS: usize = 6;
const DATABASES: usize = 4;

fn catalog(ledger: &std::path::Path) -> String {
    format!(
        r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{ name: shop }}
spec: {{ type: team, children: [], members: [ana] }}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{ name: platform }}
spec: {{ type: team, children: [] }}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {{ name: ana }}
spec: {{ profile: {{ email: ana@example.com }}, memberOf: [shop] }}
---
apiVersion: paved.dev/v1alpha1
kind: Schedule
metadata: {{ name: shop-primary }}
spec:
  owner: shop
  timezone: UTC
  rotations:
    - {{ name: primary, participants: [ana], start: "2026-01-05T00:00", shift: 1w }}
---
apiVersion: paved.dev/v1alpha1
kind: EscalationPolicy
metadata: {{ name: shop }}
spec:
  owner: shop
  steps:
    - {{ notify: [schedule:shop-primary], after: 1h }}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: shop-api
  annotations: {{ paved.dev/oncall: shop-primary, paved.dev/escalation-policy: shop }}
spec: {{ type: service, lifecycle: production, owner: shop }}
---
apiVersion: paved.dev/v1alpha1
kind: DeployTarget
metadata: {{ name: shop-api-production }}
spec:
  component: shop-api
  environment: production
  steps:
    - name: release
      run: echo "$PAVED_DEPLOYMENT_ID" >> {ledger}; case "$PAVED_VERSION" in slow) sleep 4;; esac
      timeout: 1m
---
apiVersion: paved.dev/v1alpha1
kind: Module
metadata: {{ name: postgres-database }}
spec: {{ owner: platform, driver: postgres, server: main }}
"#,
        ledger = ledger.display()
    )
}

/// Clients that go round the replicas, as a load balancer does: each
/// request to the next replica, and on to the one after when a replica
/// does not take the connection (a stopped replica is skipped).
#[derive(Clone)]
struct Balancer {
    bases: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    http: reqwest::Client,
}

impl Balancer {
    fn new(bases: Vec<String>) -> Self {
        Self { bases: Arc::new(bases), next: Arc::default(), http: reqwest::Client::new() }
    }

    /// Sends what `request` makes for a replica's base URL; a refused
    /// connection moves on to the next replica. `retry_any`: also after an
    /// error once the request was sent (for an idempotent request).
    async fn send<F>(&self, retry_any: bool, request: F) -> reqwest::Result<reqwest::Response>
    where
        F: Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    {
        let mut last = None;
        for _ in 0..self.bases.len() * 2 {
            let base = &self.bases[self.next.fetch_add(1, Ordering::SeqCst) % self.bases.len()];
            match request(&self.http, base).send().await {
                Ok(response) => return Ok(response),
                Err(error) if error.is_connect() || retry_any => last = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last.expect("tried at least one replica"))
    }

    /// POSTs `body` as JSON with `token`; `(0, null)` when the replica that
    /// took it died before answering.
    async fn post_json(&self, path: &str, token: &str, body: &Value, retry_any: bool) -> (u16, Value) {
        let sent = self.send(retry_any, |http, base| http.post(format!("{base}{path}")).bearer_auth(token).json(body));
        // Sent, and the replica died before it answered.
        let Ok(response) = sent.await else { return (0, Value::Null) };
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .send(true, |http, base| http.get(format!("{base}{path}")))
            .await
            .unwrap_or_else(|error| panic!("no replica answered GET {path}: {error}"));
        response.json().await.unwrap_or(Value::Null)
    }
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql").args([url, "-tAc", sql]).output().expect("psql runs");
    assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Waits until `done` holds (two minutes at most).
async fn until<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < Duration::from_secs(120), "never: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends the signed deliveries `0..count`, 8 at a time, each retried on
/// the next replica until one acknowledges it, as GitHub redelivers what
/// was not acknowledged (a delivery is idempotent on its id); the numbers
/// acknowledged go into `acknowledged`.
async fn deliver(balancer: Balancer, count: u64, acknowledged: Arc<Mutex<BTreeSet<u64>>>) {
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (balancer, acknowledged, next) = (balancer.clone(), acknowledged.clone(), next.clone());
        senders.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= count {
                    return;
                }
                let mut tries = 0;
                loop {
                    let base = &balancer.bases[balancer.next.fetch_add(1, Ordering::SeqCst) % balancer.bases.len()];
                    let sent = post_signed_delivery(&balancer.http, base, SECRET, n, 2_000).await;
                    if sent.is_ok_and(|response| response.status().is_success()) {
                        acknowledged.lock().unwrap().insert(n);
                        break;
                    }
                    tries += 1;
                    assert!(tries < 20, "delivery {n} was never acknowledged");
                }
            }
        });
    }
    while let Some(done) = senders.join_next().await {
        done.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_one_killed_mid_run_store_run_page_and_provision_everything_once() {
    let Some(database) = paved_test_support::paved_test_database().await else { return };
    let Some(python) = python_with_aiosmtpd("three_replicas_one_killed_mid_run") else { return };
    let admin = std::env::var("PAVED_TEST_DATABASE_URL").unwrap();
    let smtp = SmtpServer::start(&python);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let url = database.url();
    let ledger = dir.join("ledger");
    std::fs::write(dir.join("catalog.yaml"), catalog(&ledger)).unwrap();
    let imported = run(paved(dir).args(["catalog", "import", "catalog.yaml", "--database-url", url]));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let created = run(paved(dir).args(["token", "create", "--user", "ana", "--format", "json", "--database-url", url]));
    assert!(created.status.success(), "{}", stderr(&created));
    let ana = json_of(&created)["token"].as_str().unwrap().to_owned();
    std::fs::write(
        dir.join("paved.toml"),
        format!(
            "secret_key = \"{}\"\nsmtp_url = \"{}\"\nsmtp_from = \"pavedroad <paved@example.com>\"\n\
             github_webhook_secret = \"{SECRET}\"\nrate_limit_writes = 0\n\
             [provision]\nlease = \"2s\"\n[provision.servers.main]\nurl = \"{admin}\"\n",
            "5e".repeat(32),
            smtp.url()
        ),
    )
    .unwrap();
    let tag = format!("r{}", std::process::id());
    let names: Vec<String> = (0..DATABASES).map(|i| format!("shop_api_{tag}_{i}")).collect();
    let _cleanup: Vec<_> = names.iter().map(|name| drop_afterwards(&admin, name)).collect();

    let args = ["--database-url", url, "--config", "paved.toml", "--runner-lease", "2s"];
    let mut replicas: Vec<Option<Server>> = (0..3).map(|_| Some(Server::start(dir, &args))).collect();
    let balancer = Balancer::new(replicas.iter().flatten().map(|server| server.base.clone()).collect());

    // Webhooks stream in from the start to the end.
    let acknowledged: Arc<Mutex<BTreeSet<u64>>> = Arc::default();
    let webhooks = tokio::spawn(deliver(balancer.clone(), DELIVERIES, acknowledged.clone()));

    // Provisioning requests, one per replica in turn: half now, half as
    // the replica is killed.
    let provision = |i: usize| {
        let (balancer, ana) = (balancer.clone(), ana.clone());
        let body = json!({ "module": "postgres-database", "name": format!("{tag}-{i}") });
        tokio::spawn(async move { balancer.post_json("/api/v1/services/shop-api/resources", &ana, &body, false).await })
    };
    let mut provisioning: Vec<_> = (0..DATABASES / 2).map(provision).collect();
    // Half the incidents.
    let mut deploys = Vec::new();
    for i in 0..INCIDENTS / 2 {
        let body = json!({ "id": format!("{tag}-{i}"), "service": "shop-api", "title": format!("Outage {i}"), "severity": "SEV-2" });
        let (status, opened) = balancer.post_json("/api/v1/incidents", &ana, &body, true).await;
        assert!(status == 201 || status == 200, "{opened}");
    }
    until("a third of the deliveries are acknowledged", || {
        let acknowledged = acknowledged.clone();
        async move { acknowledged.lock().unwrap().len() as u64 >= DELIVERIES / 3 }
    })
    .await;

    // SIGKILL, mid-run: while a slow deploy runs on one of the three
    // runners, provisioning requests are being served, and deliveries
    // stream in.
    let (status, queued) =
        balancer.post_json("/api/v1/services/shop-api/deploys", &ana, &json!({ "version": "slow" }), false).await;
    assert_eq!(status, 202, "{queued}");
    let slow = queued["deploy"]["id"].as_i64().unwrap();
    deploys.push(slow);
    until("the slow deploy runs", || async {
        balancer.get(&format!("/api/v1/deploys/{slow}")).await["deploy"]["state"] == "running"
    })
    .await;
    provisioning.extend((DATABASES / 2..DATABASES).map(provision));
    tokio::time::sleep(Duration::from_millis(50)).await;
    replicas[0].take().unwrap().kill();

    // The rest goes to the two that are left.
    for i in INCIDENTS / 2..INCIDENTS {
        let body = json!({ "id": format!("{tag}-{i}"), "service": "shop-api", "title": format!("Outage {i}"), "severity": "SEV-2" });
        let (status, opened) = balancer.post_json("/api/v1/incidents", &ana, &body, true).await;
        assert!(status == 201 || status == 200, "{opened}");
    }
    for version in ["1.0.1", "1.0.2", "1.0.3"] {
        let id = loop {
            let body = json!({ "version": version });
            let (status, queued) = balancer.post_json("/api/v1/services/shop-api/deploys", &ana, &body, false).await;
            match status {
                202 => break queued["deploy"]["id"].as_i64().unwrap(),
                // The one before is still running (or waits for its lease
                // to end, when the killed replica's runner had it).
                409 => tokio::time::sleep(Duration::from_millis(200)).await,
                _ => panic!("{status}: {queued}"),
            }
        };
        deploys.push(id);
    }
    webhooks.await.unwrap();
    let mut provisioned = Vec::new();
    for request in provisioning {
        provisioned.push(request.await.unwrap());
    }

    // Everything settles.
    let states = || async {
        let mut states = BTreeMap::new();
        for id in &deploys {
            let body = balancer.get(&format!("/api/v1/deploys/{id}")).await;
            states.insert(*id, body["deploy"]["state"].as_str().unwrap_or_default().to_owned());
        }
        states
    };
    until("every deploy finished", || async {
        states().await.values().all(|state| ["succeeded", "failed", "interrupted"].contains(&state.as_str()))
    })
    .await;
    let ready = format!("SELECT count(*) FROM resources WHERE state = 'ready' AND name LIKE 'shop-api-{tag}-%'");
    until("every database is ready", || async { psql(url, &ready) == DATABASES.to_string() }).await;
    until("every incident paged", || async { smtp.messages().len() >= INCIDENTS }).await;
    // Time for a doubled page, a second run or a second database to show.
    tokio::time::sleep(Duration::from_secs(4)).await;

    // Every acknowledged delivery is stored, once.
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len() as u64, DELIVERIES, "every delivery was acknowledged by some replica");
    let stored = psql(url, "SELECT count(*), count(DISTINCT delivery_id) FROM raw_events WHERE source = 'github'");
    assert_eq!(stored, format!("{DELIVERIES}|{DELIVERIES}"), "each delivery stored once");

    // Every deploy ran once; only the one a killed runner held may have
    // been interrupted (and then it never ran again).
    let ran: Vec<i64> =
        std::fs::read_to_string(&ledger).unwrap().lines().map(|line| line.trim().parse().unwrap()).collect();
    let unique: BTreeSet<i64> = ran.iter().copied().collect();
    assert_eq!(unique.len(), ran.len(), "no deploy ran twice: {ran:?}");
    let states = states().await;
    for (id, state) in &states {
        match state.as_str() {
            "succeeded" => assert!(unique.contains(id), "deploy {id} succeeded without running: {ran:?}"),
            "interrupted" => assert_eq!(*id, deploys[0], "only the deploy running at the kill: {states:?}"),
            other => panic!("deploy {id} is {other}: {states:?}"),
        }
    }
    assert!(deploys[1..].iter().all(|id| states[id] == "succeeded"), "{states:?}");

    // Every incident paged ana once.
    let mails = smtp.messages();
    let subjects: Vec<String> =
        mails.iter().map(|mail| mail["Subject"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(mails.len(), INCIDENTS, "one page per incident: {subjects:#?}");
    for i in 0..INCIDENTS {
        let paged = subjects.iter().filter(|subject| subject.contains(&format!("Outage {i}"))).count();
        assert_eq!(paged, 1, "Outage {i} paged once: {subjects:#?}");
    }
    let sent = psql(url, "SELECT count(*), count(DISTINCT idempotency_key) FROM notifications WHERE state = 'sent'");
    assert_eq!(sent, format!("{INCIDENTS}|{INCIDENTS}"));

    // Every provisioning request made its database and role once, with
    // its resource ready once.
    for (name, (status, body)) in names.iter().zip(&provisioned) {
        // 0: the replica that took it was killed; another finished it.
        assert!([0, 200, 201].contains(status), "{name}: {status} {body}");
        assert_eq!(psql(&admin, &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'")), "1");
        assert_eq!(psql(&admin, &format!("SELECT count(*) FROM pg_roles WHERE rolname = '{name}'")), "1");
    }
    let resources =
        psql(url, &format!("SELECT count(*), count(DISTINCT name) FROM resources WHERE name LIKE 'shop-api-{tag}-%'"));
    assert_eq!(resources, format!("{DATABASES}|{DATABASES}"));
    eprintln!(
        "replicas: {DELIVERIES} deliveries, deploys {states:?}, provisioning answers {:?}, {INCIDENTS} pages",
        provisioned.iter().map(|(status, _)| status).collect::<Vec<_>>()
    );
    drop(replicas);
}

/// Drops the database and role `name` when the test ends.
fn drop_afterwards(admin: &str, name: &str) -> impl Drop + use<> {
    struct Guard(String, String);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = Command::new("psql")
                .args([self.0.as_str(), "-qc", &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.1)])
                .output();
            let _ = Command::new("psql")
                .args([self.0.as_str(), "-qc", &format!("DROP ROLE IF EXISTS \"{}\"", self.1)])
                .output();
        }
    }
    Guard(admin.to_owned(), name.to_owned())
}
