//! GitHub's custom deployment protection rule over real HTTP: signed
//! `deployment_protection_rule` deliveries (the payloads written against
//! octokit's schema) to `/hooks/github`, and a local HTTP server standing in
//! for api.github.com that records the answers pavedroad POSTs to the
//! `deployment_callback_url`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use paved_ingest::signature::hmac_sha256_hex;
use paved_server::{GitHubApi, Secret, ServerSettings};
use paved_store::EventFilter;
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

use crate::helpers::{GITHUB_SECRET, On, TestApp, hook_settings};

const TOKEN: &str = "ghs_t3st-installation-token";
const EVENT: &str = "deployment_protection_rule";

/// A callback as the stand-in for GitHub received it.
#[derive(Debug)]
struct Callback {
    path: String,
    headers: HeaderMap,
    body: Value,
}

#[derive(Clone)]
struct Recorder {
    sent: mpsc::UnboundedSender<Callback>,
    /// How many requests to answer 502 before answering 200.
    failures: Arc<AtomicUsize>,
}

/// A local HTTP server standing in for api.github.com: it records every
/// request and answers 200 (GitHub's answer to a review is `204 No
/// Content`; any 2xx is success).
struct FakeGitHub {
    base: String,
    received: Mutex<mpsc::UnboundedReceiver<Callback>>,
    failures: Arc<AtomicUsize>,
}

async fn record(State(recorder): State<Recorder>, uri: Uri, headers: HeaderMap, Json(body): Json<Value>) -> StatusCode {
    let failing = recorder.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    let _ = recorder.sent.send(Callback { path: uri.path().to_owned(), headers, body });
    if failing { StatusCode::BAD_GATEWAY } else { StatusCode::NO_CONTENT }
}

impl FakeGitHub {
    async fn start() -> FakeGitHub {
        let (sent, received) = mpsc::unbounded_channel();
        let failures = Arc::new(AtomicUsize::new(0));
        let recorder = Recorder { sent, failures: failures.clone() };
        let router = axum::Router::new().fallback(axum::routing::post(record)).with_state(recorder);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        FakeGitHub { base, received: Mutex::new(received), failures }
    }

    /// The next request it receives (a test that waits for one that never
    /// comes fails instead of hanging).
    async fn next(&self) -> Callback {
        let mut received = self.received.lock().await;
        tokio::time::timeout(Duration::from_secs(60), received.recv())
            .await
            .expect("pavedroad answers GitHub")
            .expect("the stand-in runs")
    }

    /// The requests received so far, without waiting.
    async fn already_received(&self) -> Vec<Callback> {
        let mut received = self.received.lock().await;
        let mut all = Vec::new();
        while let Ok(callback) = received.try_recv() {
            all.push(callback);
        }
        all
    }

    fn callback_url(&self, run: u64) -> String {
        format!("{}/repos/acme/checkout-api/actions/runs/{run}/deployment_protection_rule", self.base)
    }
}

/// checkout-api's production DeployTarget with `policy` (YAML lines), and
/// search-service's (one of the two Components of acme/monorepo).
fn deploy_targets(dir: &Path, policy: &str) -> PathBuf {
    let file = dir.join("deploy-targets.yaml");
    let yaml = format!(
        "apiVersion: paved.dev/v1alpha1
kind: DeployTarget
metadata: {{ name: checkout-api-production }}
spec:
  component: checkout-api
  environment: production
  steps: [ {{ name: release, run: ./deploy.sh }} ]
{policy}---
apiVersion: paved.dev/v1alpha1
kind: DeployTarget
metadata: {{ name: search-service-production }}
spec:
  component: search-service
  environment: production
  steps: [ {{ name: release, run: ./deploy.sh }} ]
"
    );
    std::fs::write(&file, yaml).unwrap();
    file
}

fn settings(github: &FakeGitHub) -> ServerSettings {
    let mut api = GitHubApi::new(&github.base, Secret::new(TOKEN)).unwrap();
    api.retry_delays = vec![Duration::from_millis(20), Duration::from_millis(20)];
    ServerSettings { github_api: api, ..hook_settings() }
}

/// The server with the targets (checkout-api's with `policy`), answering
/// the stand-in GitHub.
async fn spawn(on: On, policy: &str) -> (TestApp, FakeGitHub) {
    let github = FakeGitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let targets = deploy_targets(dir.path(), policy);
    let app = TestApp::spawn_with_catalog(on, settings(&github), &[targets]).await;
    (app, github)
}

/// A payload written against octokit's schema, answered at the stand-in.
fn payload(file: &str, github: &FakeGitHub, run: u64) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../paved-ingest/tests/payloads/github/deployment_protection_rule")
        .join(file);
    let mut body: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    body["deployment_callback_url"] = json!(github.callback_url(run));
    body
}

fn owners_deployment(github: &FakeGitHub) -> Value {
    payload("requested.json", github, 101)
}

fn outsiders_deployment(github: &FakeGitHub) -> Value {
    payload("requested.workflow_dispatch.json", github, 102)
}

async fn deliver(app: &TestApp, delivery: &str, body: &Value) -> (u16, Value) {
    let body = serde_json::to_vec(body).unwrap();
    let signature = format!("sha256={}", hmac_sha256_hex(GITHUB_SECRET.as_bytes(), &body));
    let headers = [("X-GitHub-Event", EVENT), ("X-GitHub-Delivery", delivery), ("X-Hub-Signature-256", &signature)];
    app.post("/hooks/github", &headers, body).await
}

fn comment(callback: &Callback) -> &str {
    callback.body["comment"].as_str().unwrap()
}

async fn protection_audit(app: &TestApp) -> Vec<paved_store::AuditEntry> {
    let audit = app.store.audit_log(50).await.unwrap();
    audit.into_iter().filter(|entry| entry.action == "deploy.protection_rule").collect()
}

crate::helpers::on_tests! {
    async fn an_owners_deployment_is_approved_with_every_check_in_the_comment(on) {
        let (app, github) = spawn(on, "").await;
        let (status, receipt) = deliver(&app, "rule-1", &owners_deployment(&github)).await;
        assert_eq!(status, 200, "{receipt}");
        assert_eq!(receipt["status"], "stored", "the question is stored like every delivery: {receipt}");
        let callback = github.next().await;
        assert_eq!(callback.path, "/repos/acme/checkout-api/actions/runs/101/deployment_protection_rule");
        assert_eq!(callback.body["environment_name"], "production");
        assert_eq!(callback.body["state"], "approved", "{}", callback.body);
        assert_eq!(callback.body.as_object().unwrap().len(), 3, "environment_name, state, comment: {}", callback.body);
        let text = comment(&callback);
        assert!(text.contains("Approved by pavedroad"), "{text}");
        assert!(text.contains("lenafischer (user:default/lena.fischer) deploying checkout-api at a1b2c3d4e5f6"), "{text}");
        for check in ["may_act", "checks_passed", "deny_window", "open_incident"] {
            assert!(text.contains(&format!("✅ `{check}` passed")), "{check}: {text}");
        }
        let header = |name: &str| callback.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(header("authorization"), format!("Bearer {TOKEN}"));
        assert_eq!(header("accept"), "application/vnd.github+json");
        assert_eq!(header("x-github-api-version"), "2022-11-28");
        assert!(header("user-agent").starts_with("pavedroad/"), "GitHub's API requires a User-Agent");
        let audit = protection_audit(&app).await;
        assert_eq!(audit.len(), 1, "{audit:?}");
        assert_eq!(audit[0].actor, "user:default/lena.fischer (GitHub deployment creator)");
        assert_eq!(audit[0].target, "component:default/checkout-api");
        assert_eq!(audit[0].detail.as_deref(), Some("approved production a1b2c3d4e5f6: every check passed"));
        assert_eq!(audit[0].raw_event_id, Some(receipt["event_id"].as_i64().unwrap()));

        // A redelivery (how a lost answer is retried from GitHub's UI)
        // stores nothing new and is answered again.
        let (status, again) = deliver(&app, "rule-1", &owners_deployment(&github)).await;
        assert_eq!((status, again["status"].as_str()), (200, Some("duplicate")), "{again}");
        assert_eq!(github.next().await.body["state"], "approved");
        let stored = app.store.events(&EventFilter { limit: 10, ..EventFilter::default() }).await.unwrap();
        assert_eq!(stored.len(), 1);
    }

    async fn a_non_owners_deployment_is_rejected_naming_may_act_and_the_owners(on) {
        let (app, github) = spawn(on, "").await;
        let (status, _) = deliver(&app, "rule-2", &outsiders_deployment(&github)).await;
        assert_eq!(status, 200);
        let callback = github.next().await;
        assert_eq!(callback.path, "/repos/acme/checkout-api/actions/runs/102/deployment_protection_rule");
        assert_eq!(callback.body["state"], "rejected", "{}", callback.body);
        let text = comment(&callback);
        let headline = text.lines().next().unwrap();
        assert!(headline.contains("Rejected by pavedroad") && headline.contains("`may_act` failed"), "{text}");
        assert!(text.contains("priya-raman (user:default/priya.raman)"), "{text}");
        assert!(text.contains("❌ `may_act` failed: user:default/priya.raman may not act on checkout-api"), "{text}");
        assert!(text.contains("group:default/checkout (ana.souza, lena.fischer, marco.rossi)"), "the owners: {text}");
        assert!(text.contains("✅ `deny_window` passed"), "every check is listed: {text}");
        let audit = protection_audit(&app).await;
        assert_eq!(audit[0].detail.as_deref(), Some("rejected production a1b2c3d4e5f6: failed may_act"));
        assert_eq!(audit[0].actor, "user:default/priya.raman (GitHub deployment creator)");
    }

    async fn an_owner_is_rejected_when_the_policy_wants_ci_that_did_not_pass(on) {
        let (app, github) = spawn(on, "  policy: { checks_passed: true }\n").await;
        deliver(&app, "rule-3", &owners_deployment(&github)).await;
        let callback = github.next().await;
        assert_eq!(callback.body["state"], "rejected", "{}", callback.body);
        let text = comment(&callback);
        assert!(text.lines().next().unwrap().contains("`checks_passed` failed"), "{text}");
        assert!(text.contains("❌ `checks_passed` failed: no CI result is recorded for a1b2c3d4e5f6"), "{text}");
        assert!(text.contains("✅ `may_act` passed"), "{text}");
    }

    async fn what_the_catalog_lacks_is_a_rejection_saying_what_to_add(on) {
        let (app, github) = spawn(on, "").await;
        let mut unknown = owners_deployment(&github);
        unknown["deployment"]["creator"]["login"] = json!("newcomer");
        unknown["environment"] = json!("staging");
        deliver(&app, "rule-4", &unknown).await;
        let callback = github.next().await;
        assert_eq!((callback.body["state"].as_str(), callback.body["environment_name"].as_str()), (Some("rejected"), Some("staging")));
        let text = comment(&callback);
        assert!(text.contains("checkout-api has no DeployTarget for staging (it has: production)"), "{text}");
        assert!(text.contains("spec.environment: staging"), "{text}");
        assert!(text.contains("add the annotation `github.com/user-login: newcomer`"), "{text}");
        let audit = protection_audit(&app).await;
        assert_eq!(audit[0].actor, "github:newcomer (GitHub deployment creator, not in the catalog)");
        assert!(audit[0].detail.as_deref().unwrap().starts_with("rejected staging: not evaluated:"), "{audit:?}");

        let mut elsewhere = owners_deployment(&github);
        elsewhere["repository"]["html_url"] = json!("https://github.com/acme/unlisted");
        elsewhere["repository"]["full_name"] = json!("acme/unlisted");
        deliver(&app, "rule-5", &elsewhere).await;
        let text = comment(&github.next().await).to_owned();
        assert!(text.contains("no Component of the catalog claims github.com/acme/unlisted"), "{text}");
        assert!(text.contains("`github.com/project-slug: acme/unlisted`"), "{text}");
    }

    async fn in_a_monorepo_the_component_with_a_target_for_the_environment_decides(on) {
        let (app, github) = spawn(on, "").await;
        let mut monorepo = owners_deployment(&github);
        monorepo["repository"]["html_url"] = json!("https://github.com/acme/monorepo");
        monorepo["deployment"]["creator"]["login"] = json!("kwatanabe");
        deliver(&app, "rule-6", &monorepo).await;
        let callback = github.next().await;
        assert_eq!(callback.body["state"], "approved", "{}", callback.body);
        assert!(comment(&callback).contains("deploying search-service"), "{}", comment(&callback));
        assert_eq!(protection_audit(&app).await[0].target, "component:default/search-service");
    }

    async fn a_callback_on_another_host_is_never_called(on) {
        let (app, github) = spawn(on, "").await;
        let elsewhere = FakeGitHub::start().await;
        let mut lure = owners_deployment(&github);
        lure["deployment_callback_url"] = json!(elsewhere.callback_url(666));
        let (status, receipt) = deliver(&app, "rule-7", &lure).await;
        assert_eq!((status, receipt["status"].as_str()), (200, Some("stored")), "stored all the same: {receipt}");
        // An answer to a later delivery arrives at GitHub...
        deliver(&app, "rule-8", &owners_deployment(&github)).await;
        assert_eq!(github.next().await.path, "/repos/acme/checkout-api/actions/runs/101/deployment_protection_rule");
        // ...and the other host got nothing, not even the token.
        assert!(elsewhere.already_received().await.is_empty());
        assert!(github.already_received().await.is_empty());
        assert_eq!(protection_audit(&app).await.len(), 1, "only the answered one is audited");
    }

    async fn a_bad_signature_is_refused_and_nothing_is_answered(on) {
        let (app, github) = spawn(on, "").await;
        let body = serde_json::to_vec(&owners_deployment(&github)).unwrap();
        let wrong = format!("sha256={}", hmac_sha256_hex(b"another secret", &body));
        let headers = [("X-GitHub-Event", EVENT), ("X-GitHub-Delivery", "rule-9"), ("X-Hub-Signature-256", wrong.as_str())];
        let (status, error) = app.post("/hooks/github", &headers, body).await;
        assert_eq!(status, 401, "{error}");
        let stored = app.store.events(&EventFilter { limit: 10, ..EventFilter::default() }).await.unwrap();
        assert!(stored.is_empty());
        deliver(&app, "rule-10", &outsiders_deployment(&github)).await;
        assert_eq!(github.next().await.path, "/repos/acme/checkout-api/actions/runs/102/deployment_protection_rule");
        assert!(github.already_received().await.is_empty(), "the refused delivery was not answered");
    }

    async fn a_failing_github_is_retried_until_it_takes_the_answer(on) {
        let (app, github) = spawn(on, "").await;
        github.failures.store(2, Ordering::SeqCst);
        deliver(&app, "rule-11", &owners_deployment(&github)).await;
        let attempts = [github.next().await, github.next().await, github.next().await];
        assert!(attempts.iter().all(|a| a.body == attempts[0].body && a.body["state"] == "approved"));
        assert_eq!(protection_audit(&app).await.len(), 1, "one decision, sent three times");
    }
}

#[tokio::test]
async fn without_a_token_the_question_is_stored_and_not_answered() {
    let github = FakeGitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let targets = deploy_targets(dir.path(), "");
    let app = TestApp::spawn_with_catalog(On::Sqlite, hook_settings(), &[targets]).await;
    let (status, receipt) = deliver(&app, "rule-12", &owners_deployment(&github)).await;
    assert_eq!(
        (status, receipt["status"].as_str(), receipt["outcome"].as_str()),
        (200, Some("stored"), Some("ignored"))
    );
    assert!(receipt["reason"].as_str().unwrap().contains("deploy policy"), "{receipt}");
}
