//! Webhooks over real HTTP: every real payload through its endpoint with a
//! valid signature; wrong or missing signatures, malformed JSON and bodies
//! over the limit refused with nothing stored; redeliveries changing nothing.

use std::path::{Path, PathBuf};

use paved_domain::EventStatus;
use paved_ingest::signature::hmac_sha256_hex;
use paved_store::{EventFilter, RecordFilter, TokenScope};
use serde_json::{Value, json};

use crate::helpers::{GITHUB_SECRET, GITLAB_TOKEN, PAGERDUTY_SECRET, TestApp, hook_tests};

fn real_payloads() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/real-payloads")
}

/// Every file under `real-payloads/<source>/`, with its event directory.
fn payloads(source: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for event in std::fs::read_dir(real_payloads().join(source)).unwrap() {
        let event = event.unwrap().path();
        for file in std::fs::read_dir(&event).unwrap() {
            let file = file.unwrap().path();
            files.push((event.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&file).unwrap()));
        }
    }
    files.sort();
    files
}

async fn post_github(app: &TestApp, event: &str, delivery: &str, body: &[u8]) -> (u16, Value) {
    let signature = format!("sha256={}", hmac_sha256_hex(GITHUB_SECRET.as_bytes(), body));
    let headers =
        [("X-GitHub-Event", event), ("X-GitHub-Delivery", delivery), ("X-Hub-Signature-256", signature.as_str())];
    app.post("/hooks/github", &headers, body.to_vec()).await
}

async fn stored_events(app: &TestApp) -> usize {
    app.store.events(&EventFilter { limit: 1000, ..EventFilter::default() }).await.unwrap().len()
}

hook_tests! {
    async fn a_form_encoded_github_delivery_is_refused_saying_to_send_json(app) {
        // GitHub's other content type: `payload=<the JSON, URL-encoded>`.
        let body = b"payload=%7B%22zen%22%3A%22Keep+it+logically+awesome.%22%7D";
        let signature = format!("sha256={}", hmac_sha256_hex(GITHUB_SECRET.as_bytes(), body));
        let headers = [
            ("X-GitHub-Event", "ping"),
            ("X-GitHub-Delivery", "form-1"),
            ("X-Hub-Signature-256", signature.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let (status, error) = app.post("/hooks/github", &headers, body.to_vec()).await;
        assert_eq!(status, 400, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("set Content type to application/json"), "{error}");
        assert_eq!(stored_events(&app).await, 0, "nothing is stored");
    }

    async fn every_real_github_payload_is_stored_and_normalised_or_ignored_with_a_reason(app) {
        let files = payloads("github");
        assert!(files.len() >= 20, "the shared fixtures are there");
        for (i, (event, body)) in files.iter().enumerate() {
            let (status, receipt) = post_github(&app, event, &format!("delivery-{i}"), body).await;
            assert_eq!(status, 200, "{event}: {receipt}");
            assert_eq!(receipt["status"], "stored", "{event}: {receipt}");
            let outcome = receipt["outcome"].as_str().unwrap();
            assert_ne!(outcome, "failed", "{event}: {receipt}");
            if outcome == "ignored" {
                assert!(!receipt["reason"].as_str().unwrap().is_empty(), "an ignored event says why: {receipt}");
            } else {
                assert!(!receipt["records"].as_array().unwrap().is_empty(), "{event}: {receipt}");
            }
        }
        assert_eq!(stored_events(&app).await, files.len());
        let (status, deployments) = app.get("/api/v1/deployments").await;
        assert_eq!(status, 200);
        // The samples all describe GitHub's one sample deployment.
        let items = deployments["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{deployments}");
        assert_eq!(items[0]["repo"], "github.com/codertocat/hello-world");
        assert_eq!(items[0]["creator"], "github:github-pages[bot]");
        assert_eq!(items[0]["human_actor"], "github:codertocat", "a bot creator is resolved through the triggering actor");
        let (_, pings) = app.get("/api/v1/events?source=github&status=ignored").await;
        assert!(pings["items"].as_array().unwrap().iter().any(|e| e["event_type"] == "ping"));
    }

    async fn every_real_gitlab_payload_goes_through_its_endpoint(app) {
        for (i, (event, body)) in payloads("gitlab").iter().enumerate() {
            let header = match event.as_str() {
                "push" => "Push Hook",
                "tag_push" => "Tag Push Hook",
                "merge_request" => "Merge Request Hook",
                "pipeline" => "Pipeline Hook",
                "deployment" => "Deployment Hook",
                "job" => "Job Hook",
                "release" => "Release Hook",
                "note" => "Note Hook",
                other => panic!("a new GitLab fixture directory: {other}"),
            };
            let uuid = format!("uuid-{i}");
            let headers = [("X-Gitlab-Event", header), ("X-Gitlab-Token", GITLAB_TOKEN), ("X-Gitlab-Event-UUID", uuid.as_str())];
            let (status, receipt) = app.post("/hooks/gitlab", &headers, body.clone()).await;
            assert_eq!(status, 200, "{event}: {receipt}");
            assert_ne!(receipt["outcome"], "failed", "{event}: {receipt}");
        }
        let (_, deployments) = app.get("/api/v1/deployments?environment=staging").await;
        assert_eq!(deployments["items"].as_array().unwrap().len(), 1, "the GitLab deployment: {deployments}");
    }

    async fn pagerduty_and_alertmanager_payloads_become_incidents(app) {
        for (event, body) in payloads("pagerduty") {
            let signature = format!("v1={}", hmac_sha256_hex(PAGERDUTY_SECRET.as_bytes(), &body));
            let (status, receipt) = app.post("/hooks/pagerduty", &[("X-PagerDuty-Signature", signature.as_str())], body).await;
            assert_eq!(status, 200, "{event}: {receipt}");
            assert_eq!(receipt["outcome"], "normalized", "{event}: {receipt}");
        }
        let token = app.token(TokenScope::Admin).await;
        let bearer = format!("Bearer {token}");
        for (event, body) in payloads("alertmanager") {
            let (status, receipt) = app.post("/hooks/alertmanager", &[("Authorization", bearer.as_str())], body).await;
            assert_eq!(status, 200, "{event}: {receipt}");
            assert_eq!(receipt["outcome"], "normalized", "{event}: {receipt}");
        }
        let incidents = app.store.records(&RecordFilter { limit: 1000, ..RecordFilter::new(paved_domain::RecordKind::Incident) }).await.unwrap();
        assert!(incidents.len() > 12, "one incident per alert and one per PagerDuty incident: {}", incidents.len());
        let (status, _) = app.post("/hooks/alertmanager", &[], b"{}".to_vec()).await;
        assert_eq!(status, 401, "Alertmanager needs a token");
    }

    async fn a_late_resolution_closes_the_firing_it_belongs_to_and_old_keys_are_kept(app) {
        let token = app.token(TokenScope::Admin).await;
        let bearer = format!("Bearer {token}");
        let notify = |labels: Value, status: &str, starts_at: &str, ends_at: &str| {
            json!({"version": "4", "status": status, "receiver": "paved", "groupLabels": {}, "commonLabels": {},
                "commonAnnotations": {}, "externalURL": "http://alertmanager", "groupKey": "{}:{}",
                "alerts": [{"status": status, "labels": labels, "annotations": {"summary": "checkout-api errors"},
                    "startsAt": starts_at, "endsAt": ends_at, "fingerprint": "ignored"}]})
        };
        let labels = json!({"alertname": "CheckoutErrors", "service": "checkout-api"});
        let zero = "0001-01-01T00:00:00Z";
        let deliver = |body: Value| {
            let bearer = bearer.clone();
            let app = &app;
            async move {
                let (status, receipt) =
                    app.post("/hooks/alertmanager", &[("Authorization", bearer.as_str())], body.to_string().into_bytes()).await;
                assert_eq!(status, 200, "{receipt}");
                receipt["records"][0].as_str().unwrap_or_else(|| panic!("{receipt}")).to_owned()
            }
        };
        let first = deliver(notify(labels.clone(), "firing", "2026-11-03T10:00:00Z", zero)).await;
        let resolved = deliver(notify(labels.clone(), "resolved", "2026-11-03T10:00:00Z", "2026-11-03T10:30:00Z")).await;
        assert_eq!(resolved, first);
        let second = deliver(notify(labels.clone(), "firing", "2026-11-03T12:00:00Z", zero)).await;
        assert_ne!(second, first, "a firing after the resolution is a new incident");
        // The first firing's resolution, sent again late in another
        // notification of its group (an identical body would be a duplicate):
        let mut retry = notify(labels.clone(), "resolved", "2026-11-03T10:00:00Z", "2026-11-03T10:30:00Z");
        retry["groupKey"] = json!("{}:{alertname=\"CheckoutErrors\"}");
        let late = deliver(retry).await;
        assert_eq!(late, first, "a late resolution goes to the firing it belongs to");
        let incident = |record: &str| {
            let key = record.trim_start_matches("incident ").to_owned();
            let store = app.store.clone();
            async move {
                match store.record(paved_domain::RecordKind::Incident, &key).await.unwrap() {
                    Some(paved_domain::Record::Incident(incident)) => incident,
                    other => panic!("{key}: {other:?}"),
                }
            }
        };
        assert!(incident(&second).await.resolved_at.is_none(), "the newer firing stays open");

        // An incident stored before the server chose keys (keyed by its
        // start): its firing and resolution after an upgrade keep that key.
        let old_labels = json!({"alertname": "CheckoutLatency", "service": "checkout-api"});
        let body = notify(old_labels.clone(), "firing", "2026-11-04T08:00:00Z", zero).to_string().into_bytes();
        let context = json!({});
        let catalog = paved_domain::CatalogIndex::new(&app.acme);
        let input = paved_ingest::RawInput {
            source: paved_domain::Source::Alertmanager, event_type: "firing", body: &body, context: &context, received_at: chrono::Utc::now(),
        };
        let derivation = paved_ingest::derive(&input, &catalog, &paved_ingest::IngestSettings::default());
        let event = paved_store::NewRawEvent {
            source: "alertmanager".into(), event_type: "firing".into(), delivery_id: "before-the-upgrade".into(),
            received_at: input.received_at, body: body.clone(), context,
        };
        let stored = app.store.ingest(&[paved_store::IngestEvent { event, derivation, audit: None }]).await.unwrap();
        let old_key = stored[0].records[0].key().to_owned();
        assert!(old_key.ends_with("@2026-11-04T08:00:00Z"), "{old_key}");
        let again = deliver(notify(old_labels.clone(), "firing", "2026-11-04T08:00:00Z", zero)).await;
        assert_eq!(again, format!("incident {old_key}"), "the open firing keeps its old key");
        let closed = deliver(notify(old_labels, "resolved", "2026-11-04T08:00:00Z", "2026-11-04T09:00:00Z")).await;
        assert_eq!(closed, again);
        assert!(incident(&closed).await.resolved_at.is_some(), "and is resolved");
    }

    async fn a_wrong_or_missing_signature_is_refused_and_stores_nothing(app) {
        let body = br#"{"zen": "Keep it logically awesome."}"#;
        let wrong = format!("sha256={}", hmac_sha256_hex(b"another secret", body));
        let (status, error) = app.post("/hooks/github",
            &[("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "d"), ("X-Hub-Signature-256", wrong.as_str())], body.to_vec()).await;
        assert_eq!(status, 401);
        assert!(error["error"]["message"].as_str().unwrap().contains("does not match"), "{error}");
        let (status, error) = app.post("/hooks/github", &[("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "d")], body.to_vec()).await;
        assert_eq!(status, 401);
        assert!(error["error"]["message"].as_str().unwrap().contains("X-Hub-Signature-256 header is missing"), "{error}");
        let (status, _) = app.post("/hooks/gitlab", &[("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "nope")], body.to_vec()).await;
        assert_eq!(status, 401);
        let (status, _) = app.post("/hooks/pagerduty", &[("X-PagerDuty-Signature", "v1=00")], body.to_vec()).await;
        assert_eq!(status, 401);
        assert_eq!(stored_events(&app).await, 0, "nothing is stored");
    }

    async fn malformed_json_gets_the_parse_error_and_an_oversized_body_413(app) {
        let (status, error) = post_github(&app, "push", "d-1", b"{\"ref\": ").await;
        assert_eq!(status, 400);
        assert!(error["error"]["message"].as_str().unwrap().contains("not valid JSON: EOF while parsing"), "{error}");
        let huge = vec![b' '; 26 * 1024 * 1024];
        let (status, error) = post_github(&app, "push", "d-2", &huge).await;
        assert_eq!(status, 413, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("25 MiB"), "{error}");
        assert_eq!(stored_events(&app).await, 0);
    }

    async fn every_source_answers_400_to_a_body_that_is_not_utf8_or_nested_too_deep(app) {
        let token = app.token(TokenScope::Admin).await;
        let bearer = format!("Bearer {token}");
        let not_utf8 = b"{\"ref\": \"refs/heads/\xff\"}".to_vec();
        // One level past the limit: `{"a": [[...]]}` with 100 brackets is
        // 101 deep. At the limit (99 brackets) the depth rule says nothing.
        let nested = |brackets: usize| format!("{{\"a\": {}{}}}", "[".repeat(brackets), "]".repeat(brackets)).into_bytes();
        let at_the_limit = nested(99);
        for (body, expected) in [(not_utf8, "not UTF-8 text"), (nested(100), "101 deep"), (at_the_limit, "")] {
            if expected.is_empty() {
                assert_eq!(stored_events(&app).await, 0, "nothing refused is stored");
            }
            let github = format!("sha256={}", hmac_sha256_hex(GITHUB_SECRET.as_bytes(), &body));
            let pagerduty = format!("v1={}", hmac_sha256_hex(PAGERDUTY_SECRET.as_bytes(), &body));
            for (path, headers) in [
                ("/hooks/github", vec![("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "d"), ("X-Hub-Signature-256", github.as_str())]),
                ("/hooks/gitlab", vec![("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", GITLAB_TOKEN)]),
                ("/hooks/pagerduty", vec![("X-PagerDuty-Signature", pagerduty.as_str())]),
                ("/hooks/alertmanager", vec![("Authorization", bearer.as_str())]),
                ("/api/v1/deployments", vec![("Authorization", bearer.as_str())]),
                ("/v2/enqueue", vec![("Authorization", bearer.as_str())]),
            ] {
                let (status, answer) = app.post(path, &headers, body.clone()).await;
                if expected.is_empty() {
                    assert!(!answer.to_string().contains(" deep"), "{path}: 100 deep is taken: {answer}");
                    continue;
                }
                assert_eq!(status, 400, "{path} ({expected}): {answer}");
                assert!(answer.to_string().contains(expected), "{path}: says what is wrong: {answer}");
            }
        }
    }

    async fn a_redelivered_delivery_id_answers_2xx_and_creates_no_duplicate(app) {
        let body = std::fs::read(real_payloads().join("github/deployment_status/payload.json")).unwrap();
        let (status, first) = post_github(&app, "deployment_status", "same-id", &body).await;
        assert_eq!((status, first["status"].as_str()), (200, Some("stored")));
        let (status, second) = post_github(&app, "deployment_status", "same-id", &body).await;
        assert_eq!((status, second["status"].as_str()), (200, Some("duplicate")));
        assert_eq!(second["event_id"], first["event_id"]);
        assert_eq!(stored_events(&app).await, 1);
        let (_, deployments) = app.get("/api/v1/deployments").await;
        assert_eq!(deployments["items"].as_array().unwrap().len(), 1);
        assert_eq!(deployments["items"][0]["status"], "success", "{deployments}");
    }

    async fn the_events_v2_receiver_answers_like_pagerduty(app) {
        let token = app.token(TokenScope::Admin).await;
        let trigger = json!({"routing_key": token, "event_action": "trigger",
            "payload": {"summary": "checkout 500s", "source": "checkout-api", "severity": "critical"}});
        let (status, answer) = app.post("/v2/enqueue", &[], trigger.to_string()).await;
        assert_eq!(status, 202, "{answer}");
        assert_eq!((answer["status"].as_str(), answer["message"].as_str()), (Some("success"), Some("Event processed")));
        let dedup_key = answer["dedup_key"].as_str().unwrap().to_owned();
        let resolve = json!({"routing_key": token, "event_action": "resolve", "dedup_key": dedup_key});
        let (status, _) = app.post("/v2/enqueue", &[], resolve.to_string()).await;
        assert_eq!(status, 202);
        let (_, page) = app.get("/api/v1/incidents?service=checkout-api").await;
        let incident = &page["items"][0];
        assert_eq!(incident["service"], "component:default/checkout-api", "routed by payload.source: {page}");
        assert!(incident["key"].as_str().unwrap().ends_with(&format!(":{dedup_key}")), "keyed by its sender and dedup key: {incident}");
        assert!(incident["resolved_at"].is_string(), "{incident}");
        for event in app.store.events(&EventFilter::default()).await.unwrap() {
            let raw = app.store.raw_event(event.id).await.unwrap().unwrap();
            assert!(!String::from_utf8_lossy(&raw.body).contains(&token), "the token is never stored");
        }
        let (status, invalid) = app.post("/v2/enqueue", &[], json!({"routing_key": token, "event_action": "trigger", "payload": {}}).to_string()).await;
        assert_eq!(status, 400);
        assert_eq!(invalid["status"], "invalid event");
        assert!(invalid["errors"].as_array().unwrap().len() >= 3, "{invalid}");
        let (status, _) = app.post("/v2/enqueue", &[], json!({"routing_key": "paved_wrong", "event_action": "resolve", "dedup_key": "x"}).to_string()).await;
        assert_eq!(status, 401);
    }

    async fn failed_events_are_listed_with_their_reason(app) {
        let body = br#"{"deployment": {"id": 1}, "repository": {"full_name": "acme/x"}}"#;
        let (status, receipt) = post_github(&app, "deployment_status", "broken", body).await;
        assert_eq!(status, 200, "stored even though it cannot be normalised: {receipt}");
        assert_eq!(receipt["outcome"], "failed");
        let (_, failed) = app.get("/api/v1/events?source=github&status=failed").await;
        let failed = failed["items"].as_array().unwrap();
        assert_eq!(failed.len(), 1);
        assert!(!failed[0]["reason"].as_str().unwrap().is_empty());
        assert_eq!(app.store.event_counts().await.unwrap().iter().find(|c| c.status == Some(EventStatus::Failed)).map(|c| c.count), Some(1));
    }
}

mod refused {
    use super::*;
    use crate::helpers::On;

    #[tokio::test]
    async fn a_source_without_a_secret_is_refused_unless_opened() {
        let app = TestApp::spawn(On::Sqlite).await;
        let (status, error) =
            app.post("/hooks/github", &[("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "d")], b"{}".to_vec()).await;
        assert_eq!(status, 403);
        assert!(error["error"]["message"].as_str().unwrap().contains("PAVED_GITHUB_WEBHOOK_SECRET"), "{error}");
        let settings = paved_server::ServerSettings {
            github: paved_server::HookAuth::Open,
            ..paved_server::ServerSettings::default()
        };
        let open = TestApp::spawn_with(On::Sqlite, settings).await;
        let (status, _) =
            open.post("/hooks/github", &[("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "d")], b"{}".to_vec()).await;
        assert_eq!(status, 200, "an opened source takes unsigned deliveries");
    }
}

mod review {
    use super::*;
    use crate::helpers::On;

    fn alert(service: &str) -> Vec<u8> {
        json!({"version": "4", "status": "firing", "receiver": "paved", "groupKey": "g",
            "alerts": [{"status": "firing", "labels": {"alertname": "Down", "service": service},
                        "annotations": {"summary": "down"}, "startsAt": "2026-11-02T10:00:00Z",
                        "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "f1"}]})
        .to_string()
        .into_bytes()
    }

    #[tokio::test]
    async fn a_team_token_may_only_send_alerts_for_its_own_services() {
        let app = TestApp::spawn(On::Sqlite).await;
        let checkout = app.token(TokenScope::Team("group:default/checkout".parse().unwrap())).await;
        let bearer = format!("Bearer {checkout}");
        let (status, error) =
            app.post("/hooks/alertmanager", &[("Authorization", bearer.as_str())], alert("mobile-bff")).await;
        assert_eq!(status, 403, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("mobile-bff"), "{error}");
        let (status, error) =
            app.post("/hooks/alertmanager", &[("Authorization", bearer.as_str())], alert("db-host-7")).await;
        assert_eq!(status, 403, "an alert for no service needs an admin token: {error}");
        assert_eq!(stored_events(&app).await, 0);
        let (status, _) =
            app.post("/hooks/alertmanager", &[("Authorization", bearer.as_str())], alert("checkout-api")).await;
        assert_eq!(status, 200);
        let audit = app.store.audit_log(5).await.unwrap();
        assert_eq!(audit[0].action, "alerts.deliver", "alerts sent with a token are audited");
        let enqueue = json!({"routing_key": checkout, "event_action": "trigger",
            "payload": {"summary": "x", "source": "s", "severity": "error", "custom_details": {"service": "mobile-bff"}}});
        let (status, _) = app.post("/v2/enqueue", &[], enqueue.to_string()).await;
        assert_eq!(status, 403);
    }

    #[tokio::test]
    async fn a_trigger_after_a_resolution_opens_a_new_incident() {
        let app = TestApp::spawn(On::Sqlite).await;
        let token = app.token(TokenScope::Admin).await;
        let trigger = json!({"routing_key": token, "event_action": "trigger", "dedup_key": "disk-full",
            "payload": {"summary": "disk full", "source": "checkout-api", "severity": "critical"}});
        let resolve = json!({"routing_key": token, "event_action": "resolve", "dedup_key": "disk-full"});
        for body in [&trigger, &trigger, &resolve, &trigger, &resolve] {
            let (status, answer) = app.post("/v2/enqueue", &[], body.to_string()).await;
            assert_eq!(status, 202, "{answer}");
        }
        let (_, page) = app.get("/api/v1/incidents?service=checkout-api").await;
        let incidents = page["items"].as_array().unwrap();
        assert_eq!(incidents.len(), 2, "two outages, one repeated trigger: {page}");
        assert!(incidents.iter().all(|i| i["resolved_at"].is_string()), "{page}");
    }

    #[tokio::test]
    async fn a_routing_key_sent_with_a_bearer_token_leaves_the_body_intact() {
        let app = TestApp::spawn(On::Sqlite).await;
        let token = app.token(TokenScope::Admin).await;
        let body = json!({"routing_key": "e", "event_action": "trigger",
            "payload": {"summary": "queue stuck", "source": "checkout-api", "severity": "error"}});
        let bearer = format!("Bearer {token}");
        let (status, _) = app.post("/v2/enqueue", &[("Authorization", bearer.as_str())], body.to_string()).await;
        assert_eq!(status, 202);
        let events = app.store.events(&EventFilter::default()).await.unwrap();
        assert_eq!(events[0].status, Some(EventStatus::Normalized), "{:?}", events[0]);
        let raw = app.store.raw_event(events[0].id).await.unwrap().unwrap();
        let stored: Value = serde_json::from_slice(&raw.body).unwrap();
        assert_eq!(stored["payload"]["severity"], "error");
        assert_eq!(stored["routing_key"], "[redacted]");
    }

    #[tokio::test]
    async fn a_team_token_cannot_take_over_another_teams_record_by_its_id() {
        let app = TestApp::spawn(On::Sqlite).await;
        let admin = app.token(TokenScope::Admin).await;
        let checkout = app.token(TokenScope::Team("group:default/checkout".parse().unwrap())).await;
        let post = |token: &str, path: &str, body: Value| {
            let bearer = format!("Bearer {token}");
            let path = path.to_owned();
            let app = &app;
            async move { app.post(&path, &[("Authorization", bearer.as_str())], body.to_string()).await }
        };
        let (status, _) = post(&admin, "/api/v1/incidents", json!({"id": "INC-mob", "service": "mobile-bff"})).await;
        assert_eq!(status, 201);
        let (status, error) = post(
            &checkout,
            "/api/v1/incidents",
            json!({"id": "INC-mob", "service": "checkout-api", "title": "mine now"}),
        )
        .await;
        assert_eq!(status, 409, "{error}");
        let (status, _) = post(&checkout, "/api/v1/incidents/INC-mob/resolve", json!({"by": "mrossi"})).await;
        assert_eq!(status, 403);
        let (status, error) = post(&admin, "/api/v1/deployments", json!({"id": "github:github.com/acme/x/1", "service": "checkout-api", "environment": "production", "sha": "abcdef1"})).await;
        assert_eq!(status, 400, "ids of other sources are not the API's to record: {error}");
        let (_, incident) = app.get("/api/v1/incidents/INC-mob").await;
        assert_eq!(incident["service"], "component:default/mobile-bff");
        assert!(incident["title"].is_null());
    }

    #[tokio::test]
    async fn an_incident_of_no_service_is_closed_by_an_admin_but_not_by_a_team() {
        let app = TestApp::spawn(On::Sqlite).await;
        let admin = app.token(TokenScope::Admin).await;
        let team = app.token(TokenScope::Team("group:default/checkout".parse().unwrap())).await;
        let trigger = json!({"routing_key": admin, "event_action": "trigger", "dedup_key": "host",
            "payload": {"summary": "host down", "source": "db-host-7", "severity": "critical"}});
        let (status, _) = app.post("/v2/enqueue", &[], trigger.to_string()).await;
        assert_eq!(status, 202);
        let (_, page) = app.get("/api/v1/incidents").await;
        let key = page["items"][0]["key"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/incidents/{key}/acknowledge");
        let by = json!({"by": "mrossi"}).to_string();
        let (status, _) = app.post(&path, &[("Authorization", &format!("Bearer {team}"))], by.clone()).await;
        assert_eq!(status, 403);
        let (status, acked) = app.post(&path, &[("Authorization", &format!("Bearer {admin}"))], by).await;
        assert_eq!(status, 201, "{acked}");
        assert_eq!(acked["acknowledged_by"], "login:mrossi");
    }

    #[tokio::test]
    async fn a_delivery_waits_while_another_process_holds_the_write_lock() {
        use sqlx::Connection as _;
        let app = TestApp::spawn_with(On::Sqlite, crate::helpers::hook_settings()).await;
        let path = app.sqlite_path().unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path);
        let mut other = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
        // Longer than the 5 s busy timeout of one attempt.
        let release = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(7)).await;
            sqlx::query("COMMIT").execute(&mut other).await.unwrap();
            other
        });
        let started = std::time::Instant::now();
        let (status, receipt) = post_github(&app, "ping", "while-locked", br#"{"zen": "wait"}"#).await;
        assert_eq!(status, 200, "the delivery is stored once the lock is released: {receipt}");
        assert!(started.elapsed() >= std::time::Duration::from_secs(6), "it waited for the lock");
        release.await.unwrap();
        assert_eq!(stored_events(&app).await, 1);
    }

    #[tokio::test]
    async fn deliveries_of_an_open_source_are_marked_unverified() {
        let settings = paved_server::ServerSettings {
            github: paved_server::HookAuth::Open,
            ..paved_server::ServerSettings::default()
        };
        let app = TestApp::spawn_with(On::Sqlite, settings).await;
        let (status, _) =
            app.post("/hooks/github", &[("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "d")], b"{}".to_vec()).await;
        assert_eq!(status, 200);
        let events = app.store.events(&EventFilter::default()).await.unwrap();
        let raw = app.store.raw_event(events[0].id).await.unwrap().unwrap();
        assert_eq!(raw.context["verified"], false);
    }
}
