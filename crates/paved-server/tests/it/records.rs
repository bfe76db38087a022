//! Deployments and incidents recorded through the API: tokens, ownership,
//! idempotency, lists.

use paved_store::TokenScope;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_tests};

async fn post_json(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(bearer) = &bearer {
        headers.push(("Authorization", bearer.as_str()));
    }
    app.post(path, &headers, body.to_string()).await
}

fn deployment(id: &str, service: &str) -> serde_json::Value {
    json!({"id": id, "service": service, "environment": "production", "sha": "0123456789abcdef", "actor": "lenafischer"})
}

api_tests! {
    async fn writes_need_a_token_and_a_team_token_acts_only_on_its_services(app) {
        let (status, error) = post_json(&app, "/api/v1/deployments", None, deployment("1", "checkout-api")).await;
        assert_eq!(status, 401);
        assert!(error["error"]["message"].as_str().unwrap().contains("paved token create"), "{error}");
        let (status, _) = post_json(&app, "/api/v1/deployments", Some("paved_nope"), deployment("1", "checkout-api")).await;
        assert_eq!(status, 401);

        let checkout = app.token(TokenScope::Team("group:default/checkout".parse().unwrap())).await;
        let (status, recorded) = post_json(&app, "/api/v1/deployments", Some(&checkout), deployment("1", "checkout-api")).await;
        assert_eq!(status, 201, "{recorded}");
        assert_eq!(recorded["service"], "component:default/checkout-api");
        assert_eq!(recorded["production"], true);
        assert_eq!(recorded["human_actor"], "login:lenafischer");
        assert_eq!(recorded["person"], "user:default/lena.fischer", "the actor's login resolves through the catalog");
        let (status, error) = post_json(&app, "/api/v1/deployments", Some(&checkout), deployment("2", "payments-service")).await;
        assert_eq!(status, 403, "{error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains("group:default/checkout") && message.contains("payments-service"), "{message}");

        let audit = app.store.audit_log(10).await.unwrap();
        assert_eq!(audit[0].action, "deployment.record");
        assert!(audit[0].actor.contains("team group:default/checkout"), "{:?}", audit[0]);

        // The trail is read by service: by an admin, and by the service's
        // own team; another team is told who may.
        let admin = app.token(TokenScope::Admin).await;
        let payments = app.token(TokenScope::Team("group:default/payments".parse().unwrap())).await;
        let read = |token: String, query: &'static str| {
            let base = app.base.clone();
            async move {
                let response = reqwest::Client::new()
                    .get(format!("{base}/api/v1/audit{query}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.json::<serde_json::Value>().await.unwrap())
            }
        };
        let (status, trail) = read(admin.clone(), "?service=checkout-api").await;
        assert_eq!((status, trail["total"].as_u64()), (200, Some(1)), "{trail}");
        let entry = &trail["items"][0];
        assert_eq!((entry["action"].as_str(), entry["service"].as_str(), entry["decision"].as_str()), (Some("deployment.record"), Some("component:default/checkout-api"), Some("allowed")), "{trail}");
        let (status, own) = read(checkout.clone(), "?service=checkout-api").await;
        assert_eq!((status, own["total"].as_u64()), (200, Some(1)), "the owners read their service's trail: {own}");
        let (status, refused) = read(payments, "?service=checkout-api").await;
        assert_eq!(status, 403, "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("group:default/checkout"), "{refused}");
        let (status, whole) = read(checkout, "").await;
        assert_eq!(status, 403, "only admins read the whole trail: {whole}");
        let (status, none) = read(admin, "?service=checkout-api&since=2099-01-01").await;
        assert_eq!((status, none["total"].as_u64()), (200, Some(0)), "{none}");
    }

    async fn a_personal_token_acts_as_its_person_on_the_services_they_own(app) {
        let lena = app.token(TokenScope::User("user:default/lena.fischer".parse().unwrap())).await;
        let (status, recorded) = post_json(&app, "/api/v1/deployments", Some(&lena), deployment("p-1", "checkout-api")).await;
        assert_eq!(status, 201, "an owner records her own service's deployment: {recorded}");
        assert_eq!(recorded["actor"], "user:default/lena.fischer", "the token's person is the actor");
        assert_eq!(recorded["person"], "user:default/lena.fischer");
        assert!(recorded.get("actor_claimed_by").is_none(), "proven by her own token: {recorded}");
        let mut as_other = deployment("p-3", "checkout-api");
        as_other["actor"] = json!("marco.rossi");
        let (status, error) = post_json(&app, "/api/v1/deployments", Some(&lena), as_other.clone()).await;
        assert_eq!(status, 403, "a person records only as themselves: {error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("leave out actor (it is you)"), "{error}");
        let ci = app.token(TokenScope::Team("group:default/checkout".parse().unwrap())).await;
        let (status, claimed) = post_json(&app, "/api/v1/deployments", Some(&ci), as_other).await;
        assert_eq!(status, 201, "{claimed}");
        assert_eq!(claimed["person"], "user:default/marco.rossi");
        let claim = claimed["actor_claimed_by"].as_str().unwrap_or_default();
        assert!(claim.starts_with("token ") && claim.ends_with("team group:default/checkout)"), "{claimed}");
        let audit = app.store.audit_log(10).await.unwrap();
        let own = audit.iter().find(|entry| entry.target == "api:p-1").expect("her deployment is audited");
        assert!(own.actor.starts_with("user:default/lena.fischer (token "), "{own:?}");

        let priya = app.token(TokenScope::User("user:default/priya.raman".parse().unwrap())).await;
        let (status, error) = post_json(&app, "/api/v1/deployments", Some(&priya), deployment("p-2", "checkout-api")).await;
        assert_eq!(status, 403, "{error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("user:default/priya.raman may not act on checkout-api: checkout-api is owned by group:default/checkout (")
                && message.contains("lena.fischer")
                && message.contains("add yourself to group:default/checkout's spec.members"),
            "the refusal says why and who could act: {message}"
        );
    }

    async fn an_expired_token_authenticates_nothing(app) {
        let token = paved_app::tokens::generate_token().unwrap();
        let new = paved_store::NewToken {
            name: "old".into(),
            scope: TokenScope::Admin,
            hash: paved_app::tokens::token_hash(&token),
            prefix: paved_app::tokens::token_prefix(&token),
            expires_at: Some(chrono::Utc::now() - chrono::Duration::minutes(1)),
        };
        app.store.create_token(&new, "test").await.unwrap();
        let (status, error) = post_json(&app, "/api/v1/deployments", Some(&token), deployment("e-1", "checkout-api")).await;
        assert_eq!(status, 401, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("token `old` expired at"), "{error}");
    }

    async fn recording_is_idempotent_on_the_id_and_updates_by_id(app) {
        let admin = app.token(TokenScope::Admin).await;
        let mut started = deployment("run-7", "checkout-api");
        started["status"] = json!("in_progress");
        started["started_at"] = json!("2026-11-02T10:00:00Z");
        let (status, _) = post_json(&app, "/api/v1/deployments", Some(&admin), started.clone()).await;
        assert_eq!(status, 201);
        let (status, _) = post_json(&app, "/api/v1/deployments", Some(&admin), started).await;
        assert_eq!(status, 200, "a retry changes nothing");
        let mut finished = deployment("run-7", "checkout-api");
        finished["finished_at"] = json!("2026-11-02T10:05:00Z");
        let (status, done) = post_json(&app, "/api/v1/deployments", Some(&admin), finished).await;
        assert_eq!(status, 201);
        assert_eq!((done["status"].as_str(), done["started_at"].as_str()), (Some("success"), Some("2026-11-02T10:00:00Z")));
        let (_, list) = app.get("/api/v1/deployments?service=checkout-api").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "one deployment: {list}");
        let (status, one) = app.get("/api/v1/deployments/run-7").await;
        assert_eq!((status, one["key"].as_str()), (200, Some("api:run-7")));
        let (status, _) = app.get("/api/v1/deployments?service=nope").await;
        assert_eq!(status, 400);
        let (_, by_team) = app.get("/api/v1/deployments?team=payments").await;
        assert!(by_team["items"].as_array().unwrap().is_empty());
    }

    async fn deployments_without_a_human_are_credited_to_who_merged_their_commit(app) {
        let admin = app.token(TokenScope::Admin).await;
        let merged = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let unmerged = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        for (id, sha) in [("m-1", merged), ("m-2", merged), ("m-3", unmerged)] {
            let body = json!({"id": id, "service": "checkout-api", "environment": "production", "sha": sha,
                "repo": "github.com/acme/checkout-api", "actor": "github-actions[bot]",
                "finished_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339()});
            let (status, answer) = post_json(&app, "/api/v1/deployments", Some(&admin), body).await;
            assert_eq!(status, 201, "{answer}");
        }
        let repo: paved_domain::RepoId = "github.com/acme/checkout-api".parse().unwrap();
        let mut pr = paved_domain::PullRequest::new("github", repo, 7);
        pr.merged_by = Some("github:octocat".parse().unwrap());
        pr.merged_at = Some(chrono::Utc::now());
        pr.merge_commit_sha = Some(merged.to_owned());
        let derivation = paved_domain::Derivation {
            status: paved_domain::EventStatus::Normalized,
            reason: None,
            records: vec![paved_domain::Record::PullRequest(pr)],
            identities: Vec::new(),
        };
        let event = paved_store::NewRawEvent {
            source: "github".into(), event_type: "pull_request".into(), delivery_id: "pr-7".into(),
            received_at: chrono::Utc::now(), body: b"{}".to_vec(), context: json!({}),
        };
        app.store.ingest(&[paved_store::IngestEvent { event, derivation, audit: None }]).await.unwrap();
        let (_, list) = app.get("/api/v1/deployments?service=checkout-api").await;
        let actors: Vec<(&str, &Value)> =
            list["items"].as_array().unwrap().iter().map(|d| (d["key"].as_str().unwrap(), &d["human_actor"])).collect();
        assert_eq!(actors.len(), 3, "{list}");
        for (key, actor) in actors {
            let expected = if key == "api:m-3" { Value::Null } else { json!("github:octocat") };
            assert_eq!(actor, &expected, "{key}: who merged the deployed commit");
        }
        let (_, one) = app.get("/api/v1/deployments/m-2").await;
        assert_eq!(one["human_actor"], "github:octocat");
        // The pages credit the same person as the API.
        let who = |page: &str, selector: &str| {
            let document = scraper::Html::parse_document(page);
            let selector = scraper::Selector::parse(selector).unwrap();
            document.select(&selector).map(|row| row.text().collect::<String>()).collect::<Vec<_>>()
        };
        let page = reqwest::get(format!("{}/deployments/api%3Am-2", app.base)).await.unwrap().text().await.unwrap();
        let row: Vec<String> = who(&page, "tr").into_iter().filter(|row| row.starts_with("Who")).collect();
        assert_eq!(row.len(), 1, "{page}");
        assert!(row[0].contains("octocat"), "the deployment page credits who merged the commit: {row:?}");
        let page = reqwest::get(format!("{}/services/checkout-api", app.base)).await.unwrap().text().await.unwrap();
        let row = who(&page, r#"tr[data-deployment="api:m-2"]"#);
        assert!(row.len() == 1 && row[0].contains("octocat"), "the service page credits who merged the commit: {row:?}");
    }

    async fn bad_requests_say_what_is_wrong_and_store_nothing(app) {
        let admin = app.token(TokenScope::Admin).await;
        let (status, error) = post_json(&app, "/api/v1/deployments", Some(&admin), deployment("1", "checkout")).await;
        assert_eq!(status, 400);
        assert!(error["error"]["message"].as_str().unwrap().contains("did you mean checkout-api"), "{error}");
        let mut bad = deployment("1", "checkout-api");
        bad["sha"] = json!("not-a-sha");
        let (status, error) = post_json(&app, "/api/v1/deployments", Some(&admin), bad).await;
        assert_eq!(status, 400);
        assert!(error["error"]["message"].as_str().unwrap().contains("not a commit id"), "{error}");
        let (status, _) = app.post("/api/v1/deployments", &[("Authorization", &format!("Bearer {admin}"))], "{".to_owned()).await;
        assert_eq!(status, 400);
        assert!(app.store.events(&paved_store::EventFilter::default()).await.unwrap().is_empty());
    }

    async fn incidents_open_acknowledge_and_resolve(app) {
        let admin = app.token(TokenScope::Admin).await;
        let open = json!({"id": "INC-7", "service": "checkout-api", "severity": "SEV-2", "title": "pay fails", "opened_at": "2026-11-02T02:00:00Z"});
        let (status, incident) = post_json(&app, "/api/v1/incidents", Some(&admin), open).await;
        assert_eq!(status, 201, "{incident}");
        let (_, open_list) = app.get("/api/v1/incidents?service=checkout-api&status=open").await;
        assert_eq!(open_list["items"].as_array().unwrap().len(), 1);
        let (status, acked) = post_json(&app, "/api/v1/incidents/INC-7/acknowledge", Some(&admin), json!({"by": "mrossi", "at": "2026-11-02T02:04:00Z"})).await;
        assert_eq!(status, 201, "{acked}");
        assert_eq!(acked["acknowledged_by"], "login:mrossi");
        let (_, still_open) = app.get("/api/v1/incidents?status=open").await;
        assert_eq!(still_open["items"].as_array().unwrap().len(), 1, "acknowledged is still open");
        let (status, resolved) = post_json(&app, "/api/v1/incidents/INC-7/resolve", Some(&admin), json!({"by": "marco.rossi@acme.example"})).await;
        assert_eq!(status, 201);
        assert!(resolved["resolved_at"].is_string());
        let (_, open_now) = app.get("/api/v1/incidents?status=open").await;
        assert!(open_now["items"].as_array().unwrap().is_empty());
        let (status, _) = post_json(&app, "/api/v1/incidents/INC-404/resolve", Some(&admin), json!({"by": "mrossi"})).await;
        assert_eq!(status, 404);
        let (_, identities) = app.get("/api/v1/identities").await;
        let people: Vec<&str> = identities["items"].as_array().unwrap().iter().filter_map(|i| i["person"].as_str()).collect();
        assert!(people.contains(&"user:default/marco.rossi"), "logins and e-mails resolve to catalog users: {identities}");
    }

    async fn a_team_links_only_its_own_records_as_causes_and_fixes(app) {
        let checkout = app.token(TokenScope::Team("group:default/checkout".parse().unwrap())).await;
        let payments = app.token(TokenScope::Team("group:default/payments".parse().unwrap())).await;
        let deployment = json!({"id": "pay-1", "service": "payments-service", "environment": "production", "sha": "0123abcd"});
        let (status, answer) = post_json(&app, "/api/v1/deployments", Some(&payments), deployment).await;
        assert_eq!(status, 201, "{answer}");
        let incident = json!({"id": "inc-1", "service": "checkout-api", "title": "500s", "caused_by": "pay-1"});
        let (status, error) = post_json(&app, "/api/v1/incidents", Some(&checkout), incident).await;
        assert_eq!(status, 403, "checkout may not fail payments' deployment: {error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains("caused_by names deployment `api:pay-1`") && message.contains("payments"), "{message}");
        let incident = json!({"id": "inc-2", "service": "payments-service", "title": "slow", "caused_by": "pay-1"});
        let (status, answer) = post_json(&app, "/api/v1/incidents", Some(&payments), incident).await;
        assert_eq!(status, 201, "a team links its own records: {answer}");
        let fix = json!({"id": "chk-1", "service": "checkout-api", "environment": "production", "sha": "4567abcd",
                         "fixes": ["inc-2"]});
        let (status, error) = post_json(&app, "/api/v1/deployments", Some(&checkout), fix).await;
        assert_eq!(status, 403, "checkout may not close payments' incident by claiming a fix: {error}");
        let (_, listed) = app.get("/api/v1/incidents?service=checkout-api").await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 0, "nothing of a refused request is stored");
        let (_, deployments) = app.get("/api/v1/deployments?service=checkout-api").await;
        assert!(!deployments.to_string().contains("chk-1"), "the refused deployment is not stored: {deployments}");

        // A record not stored yet could be another team's once it is.
        let unknown = json!({"id": "inc-3", "service": "checkout-api", "title": "500s", "caused_by": "not-yet"});
        let (status, error) = post_json(&app, "/api/v1/incidents", Some(&checkout), unknown.clone()).await;
        assert_eq!(status, 403, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("`api:not-yet`, which is not recorded"), "{error}");
        let admin = app.token(TokenScope::Admin).await;
        let (status, answer) = post_json(&app, "/api/v1/incidents", Some(&admin), unknown).await;
        assert_eq!(status, 201, "an admin token may link ahead: {answer}");
        let many: Vec<String> = (0..101).map(|n| format!("inc-{n}")).collect();
        let fix = json!({"id": "adm-1", "service": "checkout-api", "environment": "production", "sha": "89abcdef", "fixes": many});
        let (status, error) = post_json(&app, "/api/v1/deployments", Some(&admin), fix).await;
        assert_eq!(status, 400, "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("at most 100"), "{error}");
    }
}

mod shifts {
    use super::*;
    use crate::helpers::{On, TestApp};

    #[tokio::test]
    async fn shifts_come_from_the_catalog_and_from_other_tools() {
        let app = TestApp::spawn(On::Sqlite).await;
        // examples/acme: checkout-oncall hands off weekly on Monday 09:00 Berlin.
        let (status, shifts) = app
            .get("/api/v1/shifts?schedule=checkout-oncall&since=2026-06-01T00:00:00Z&until=2026-06-15T00:00:00Z")
            .await;
        assert_eq!(status, 200, "{shifts}");
        let shifts = shifts["items"].as_array().unwrap();
        let people: Vec<&str> = shifts.iter().map(|s| s["person"].as_str().unwrap()).collect();
        assert_eq!(people.len(), 3, "{shifts:?}");
        assert_eq!(shifts[1]["start"], "2026-06-01T07:00:00Z", "09:00 in Berlin in summer");
        assert_ne!(people[1], people[2], "the pager changes hands");

        let team = app.token(TokenScope::Team("group:default/checkout".parse().unwrap())).await;
        let other = app.token(TokenScope::Team("group:default/payments".parse().unwrap())).await;
        let shift = json!({"id": "ext-1", "schedule": "checkout-oncall", "person": "ana.souza@acme.example",
                           "start": "2026-06-20T00:00:00Z", "end": "2026-06-21T00:00:00Z"});
        let (status, error) = post_json(&app, "/api/v1/shifts", Some(&other), shift.clone()).await;
        assert_eq!(status, 403, "{error}");
        let (status, recorded) = post_json(&app, "/api/v1/shifts", Some(&team), shift).await;
        assert_eq!(status, 201, "{recorded}");
        let (_, listed) = app
            .get("/api/v1/shifts?schedule=checkout-oncall&since=2026-06-20T00:00:00Z&until=2026-06-21T00:00:00Z")
            .await;
        let recorded: Vec<&serde_json::Value> =
            listed["items"].as_array().unwrap().iter().filter(|s| s["source"] == "recorded").collect();
        assert_eq!(recorded.len(), 1, "{listed}");
        assert_eq!(recorded[0]["person"], "user:default/ana.souza");
        let (status, _) = post_json(
            &app,
            "/api/v1/shifts",
            Some(&team),
            json!({"schedule": "nope", "person": "x", "start": "2026-06-20T00:00:00Z", "end": "2026-06-21T00:00:00Z"}),
        )
        .await;
        assert_eq!(status, 400);
    }
}
