//! `GET /api/v1/metrics/dora`, `GET /api/v1/report` and `GET /metrics` over
//! real HTTP.

use paved_store::TokenScope;
use serde_json::json;

use crate::helpers::api_tests;

api_tests! {
    async fn prometheus_exposes_counters_and_per_scope_gauges_of_the_ui_window(app) {
        let admin = app.token(TokenScope::Admin).await;
        let bearer = format!("Bearer {admin}");
        let now = chrono::Utc::now();
        for (i, hours_ago) in [50, 26, 2].iter().enumerate() {
            let finished = (now - chrono::Duration::hours(*hours_ago)).to_rfc3339();
            let body = json!({"id": format!("p{i}"), "service": "checkout-api", "environment": "production",
                              "sha": "0123abcd", "finished_at": finished, "actor": "lena.fischer"});
            let (status, _) = app.post("/api/v1/deployments", &[("Authorization", bearer.as_str())], body.to_string()).await;
            assert_eq!(status, 201);
        }
        // Long ago: counted by the counter, outside the gauges' window.
        let old = json!({"id": "p-old", "service": "checkout-api", "environment": "staging", "status": "failure",
                         "sha": "0123abcd", "finished_at": (now - chrono::Duration::days(200)).to_rfc3339()});
        let (status, _) = app.post("/api/v1/deployments", &[("Authorization", bearer.as_str())], old.to_string()).await;
        assert_eq!(status, 201);
        let response = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        let text = response.text().await.unwrap();
        assert!(text.contains("# TYPE paved_deployments_total counter"), "{text}");
        assert!(
            text.contains("paved_deployments_total{service=\"checkout-api\",team=\"checkout\",environment=\"production\",outcome=\"success\",by_owner=\"true\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("paved_deployments_total{service=\"checkout-api\",team=\"checkout\",environment=\"staging\",outcome=\"failure\",by_owner=\"unknown\"} 1"),
            "{text}"
        );
        assert!(text.contains("# TYPE paved_service_deployments gauge"), "{text}");
        assert!(text.contains("paved_service_deployments{service=\"checkout-api\",team=\"checkout\",window=\"90d\"} 3"), "{text}");
        assert!(text.contains("paved_team_deployments{team=\"checkout\",window=\"90d\"} 3"), "the owning team: {text}");
        assert!(text.contains("paved_organisation_deployments{window=\"90d\"} 3"), "{text}");
        assert!(!text.contains("team=\"acme\",window"), "the organisation's root Group is not a team: {text}");
        assert!(text.contains("paved_service_change_failure_ratio{service=\"checkout-api\",team=\"checkout\",window=\"90d\"} 0"), "{text}");
        assert!(
            text.contains("paved_service_lead_time_seconds{service=\"checkout-api\",team=\"checkout\",window=\"90d\"} NaN"),
            "no lead time without an imported history: NaN, not 0, and the series stays: {text}"
        );
        assert!(
            text.contains("paved_service_owner_share_ratio{service=\"checkout-api\",team=\"checkout\",window=\"90d\",line=\"deploy_own_code\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("paved_service_verdict{service=\"checkout-api\",team=\"checkout\",window=\"90d\",line=\"deploy_own_code\",verdict=\"culture\"} 1"),
            "{text}"
        );
        assert!(!text.contains("component:default/"), "labels are names: {text}");
        assert!(text.contains("paved_build_info{version=\""), "{text}");
        assert!(text.contains("paved_last_event_timestamp_seconds{source=\"api\"} "), "{text}");
        assert!(text.contains("paved_deploy_queue_lag_seconds 0\n"), "{text}");
        assert!(text.contains("paved_http_requests_total{route=\"/api/v1/deployments\",method=\"POST\",status=\"201\"} 4"), "{text}");
    }

    async fn the_dora_endpoint_answers_the_contract_and_refuses_bad_parameters(app) {
        let (status, report) = app.get("/api/v1/metrics/dora?team=checkout&since=2026-01-01&until=2026-04-01&by=month").await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["scope"], json!({"kind": "team", "name": "group:default/checkout"}));
        assert_eq!(report["window"]["since"], "2026-01-01T00:00:00Z");
        assert_eq!(report["table"], "dora-2023");
        assert_eq!(report["deployment_frequency"]["deployments"], 0);
        assert!(report["lead_time_for_changes"]["median_seconds"].is_null(), "no data is null, not 0");
        assert!(report["change_failure_rate"]["rate"].is_null());
        assert_eq!(report["series"].as_array().unwrap().len(), 3, "January, February, March");
        for (query, expected) in [
            ("service=nope", "no component `nope`"),
            ("team=nobody", "no team group:default/nobody"),
            ("since=yesterday", "since `yesterday` is not a date"),
            ("since=2026-02-01&until=2026-01-01", "the window is empty"),
            ("by=day", "by `day` is not week or month"),
            ("table=dora-2019", "table `dora-2019`"),
            ("service=checkout-api&team=checkout", "not both"),
        ] {
            let (status, error) = app.get(&format!("/api/v1/metrics/dora?{query}")).await;
            assert_eq!(status, 400, "{query}: {error}");
            assert!(error["error"]["message"].as_str().unwrap().contains(expected), "{query}: {error}");
        }
    }

    async fn windows_longer_than_ten_years_are_refused_and_the_longest_answer_stays_small(app) {
        for path in [
            "/api/v1/metrics/dora?since=0001-01-01&until=9999-12-31&by=week",
            "/api/v1/report?since=0001-01-01&until=9999-12-31",
            "/api/v1/shifts?since=0001-01-01&until=9999-12-31",
            "/api/v1/shifts?since=2026-01-01&until=2027-06-01",
        ] {
            let (status, error) = app.get(path).await;
            assert_eq!(status, 400, "{path}: {error}");
            let message = error["error"]["message"].as_str().unwrap();
            assert!(message.contains("the most is") && message.contains("narrow since/until"), "{path}: {message}");
        }
        let response =
            reqwest::get(format!("{}/api/v1/metrics/dora?since=2016-12-01&until=2026-11-30&by=week", app.base))
                .await
                .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.bytes().await.unwrap();
        let report: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(report["series"].as_array().unwrap().len(), 522, "every ISO week of ten years");
        assert!(body.len() < 2_000_000, "the longest weekly series is {} bytes", body.len());
        let (status, shifts) = app.get("/api/v1/shifts?since=2026-01-01&until=2027-01-01").await;
        assert_eq!(status, 200, "a year of shifts: {shifts}");
    }

    async fn every_list_reads_since_and_until_as_a_date_or_an_rfc_3339_time(app) {
        for path in [
            "/api/v1/deployments?since=2026-01-01&until=2026-02-01",
            "/api/v1/incidents?since=2026-01-01",
            "/api/v1/deployments?since=2026-01-01T00:00:00Z",
            "/api/v1/metrics/dora?since=2026-01-01",
        ] {
            let (status, answer) = app.get(path).await;
            assert_eq!(status, 200, "{path}: {answer}");
        }
        let (status, error) = app.get("/api/v1/deployments?since=01/02/2026").await;
        assert_eq!(status, 400);
        assert!(error["error"]["message"].as_str().unwrap().contains("is not a date (2026-11-01)"), "{error}");
    }

    async fn every_list_refuses_an_unknown_filter_value_naming_the_allowed_ones(app) {
        for (path, allowed) in [
            ("/api/v1/deployments?status=bogus", "pending, queued, in_progress, success, failure, error, cancelled"),
            ("/api/v1/incidents?status=bogus", "open, unacknowledged, acknowledged or resolved"),
            ("/api/v1/events?status=bogus", "normalized, ignored or failed"),
            ("/api/v1/events?source=bitbucket", "github, gitlab, alertmanager, pagerduty, events, api"),
            ("/api/v1/shifts?since=yesterday", "is not a date (2026-11-01)"),
        ] {
            let (status, error) = app.get(path).await;
            assert_eq!(status, 400, "{path}: {error}");
            let message = error["error"]["message"].as_str().unwrap();
            assert!(message.contains(allowed), "{path}: {message}");
        }
        for path in ["/api/v1/deployments?status=failed", "/api/v1/deployments?status=SUCCESS", "/api/v1/events?source=events"] {
            let (status, answer) = app.get(path).await;
            assert_eq!(status, 200, "a provider's spelling is read: {path}: {answer}");
        }
    }

    async fn the_report_endpoint_answers_the_contract_and_refuses_bad_parameters(app) {
        let admin = app.token(TokenScope::Admin).await;
        let bearer = format!("Bearer {admin}");
        // Two deployments of checkout-api: one by an owner, one by someone
        // outside the checkout team.
        for (i, actor) in ["lenafischer", "tbecker"].iter().enumerate() {
            let body = json!({"id": format!("r{i}"), "service": "checkout-api", "environment": "production",
                              "sha": "0123abcd", "actor": actor, "finished_at": format!("2026-02-1{i}T10:00:00Z")});
            let (status, _) = app.post("/api/v1/deployments", &[("Authorization", bearer.as_str())], body.to_string()).await;
            assert_eq!(status, 201);
        }
        let (status, report) = app.get("/api/v1/report?team=checkout&since=2026-01-01&until=2026-04-01").await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["scope"], json!({"kind": "team", "name": "group:default/checkout"}));
        assert_eq!(report["window"]["since"], "2026-01-01T00:00:00Z");
        let line = &report["test"]["deploy_own_code"];
        assert_eq!((line["by_owners"].as_f64(), line["total"].as_f64()), (Some(1.0), Some(2.0)), "{line}");
        assert_eq!(line["verdict"], "role", "50 % is at the role threshold (≤ 50 %): {line}");
        assert_eq!(line["series"].as_array().unwrap().len(), 3, "a point per month");
        assert_eq!(report["test"]["self_provision"]["verdict"], "no_data", "no infrastructure commits");
        let ids: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        for id in ["new_silo", "deployment_bottleneck", "responsibility_diffusion", "knowledge_hoarding"] {
            assert!(ids.contains(&id), "{id} in {ids:?}");
        }
        assert_eq!(report["dora"]["deployment_frequency"]["deployments"], 2);
        for (query, expected) in [
            ("service=nope", "no component `nope`"),
            ("team=nobody", "no team group:default/nobody"),
            ("since=yesterday", "since `yesterday` is not a date"),
            ("service=checkout-api&team=checkout", "not both"),
        ] {
            let (status, error) = app.get(&format!("/api/v1/report?{query}")).await;
            assert_eq!(status, 400, "{query}: {error}");
            assert!(error["error"]["message"].as_str().unwrap().contains(expected), "{query}: {error}");
        }
    }
}
