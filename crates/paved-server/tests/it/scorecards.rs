//! Scorecards on a planted organisation: checkout-api's production
//! deploys are 90 % by a platform engineer, payments-service's all by its
//! own team, three people. The first fails "deploys by owners" with the figure and stays
//! bronze although it passes a gold rule, its runbook (a level needs every
//! rule below it); the second is gold. An exemption lets checkout-api off until its
//! date and no longer after it, and the kept history shows both days and
//! the drop. With the levels kept, the gold service's deploy passes a deny
//! window its level lifts and the bronze one's is refused, both saying why.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::web::{attr, html, texts};
use paved_server::ServerSettings;
use paved_store::TokenScope;

/// Both services' production targets deny deploys at every hour of every
/// day, except for a service gold on readiness: so the test holds whatever
/// day it runs.
fn targets_yaml() -> String {
    ["checkout-api", "payments-service"]
        .map(|service| {
            format!(
                r#"apiVersion: paved.dev/v1alpha1
kind: DeployTarget
metadata: {{ name: {service}-production }}
spec:
  component: {service}
  environment: production
  steps: [ {{ name: release, run: "true" }} ]
  policy:
    deny_windows: [ {{ days: [mon, tue, wed, thu, fri, sat, sun], from: "00:00", to: "23:59" }} ]
    when_level:
      readiness/gold: {{ deny_windows: [] }}
"#
            )
        })
        .join("---\n")
}

const SCORECARD: &str = r#"apiVersion: paved.dev/v1alpha1
kind: Scorecard
metadata:
  name: readiness
  title: Production readiness
spec:
  owner: platform
  levels: [bronze, silver, gold]
  window: 30d
  filter:
    type: service
  rules:
    - name: owned
      level: bronze
      check: owner_has_members
      failure_message: Give the service an owning team with members (spec.owner).
    - name: deploys-by-owners
      level: silver
      check: deploys_by_owners
      threshold: 0.8
      failure_message: Deploy with `paved deploy` as one of the owning team, not through the platform team.
    - name: runbook
      level: gold
      check: runbook_link
      failure_message: Link the service's runbook (a link of type runbook).
    - name: two-deployers
      level: gold
      check: deploy_bus_factor
      threshold: 2
      failure_message: Let a second person of the team deploy.
  exemptions:
    - service: checkout-api
      rule: deploys-by-owners
      reason: The platform team hands deploys over to checkout this month.
      until: 2026-11-15
"#;

fn rule<'a>(service: &'a Value, name: &str) -> &'a Value {
    service["rules"].as_array().unwrap().iter().find(|r| r["rule"] == name).unwrap()
}

fn service<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["items"][0]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == format!("component:default/{name}"))
        .unwrap()
}

crate::helpers::on_tests! {
    async fn levels_come_from_behaviour_and_every_rule_below_and_an_exemption_ends(on) {
        let dir = tempfile::tempdir().unwrap();
        let card = dir.path().join("readiness.yaml");
        std::fs::write(&card, SCORECARD).unwrap();
        let targets = dir.path().join("targets.yaml");
        std::fs::write(&targets, targets_yaml()).unwrap();
        let app = TestApp::spawn_with_catalog(on, ServerSettings::default(), &[card, targets]).await;
        let admin = app.token(TokenScope::Admin).await;
        let bearer = format!("Bearer {admin}");
        let plant = |service: &str, actors: &[&str]| {
            actors
                .iter()
                .enumerate()
                .map(|(i, actor)| {
                    json!({ "id": format!("{service}-{i}"), "service": service, "environment": "production",
                            "sha": format!("{i:08x}"), "actor": actor,
                            "finished_at": format!("2026-11-0{}T1{}:00:00Z", 1 + i % 5, i % 10) })
                })
                .collect::<Vec<_>>()
        };
        let mut deployments = plant("checkout-api", &["tbecker"; 9]);
        deployments.extend(plant("checkout-api", &["lenafischer"]).into_iter().map(|mut d| {
            d["id"] = json!("checkout-api-owner");
            d
        }));
        deployments.extend(plant("payments-service", &["jcarter", "emilychen", "arjunmehta", "jcarter", "emilychen", "arjunmehta"]));
        for body in deployments {
            let (status, answer) = app.post("/api/v1/deployments", &[("Authorization", bearer.as_str())], body.to_string()).await;
            assert_eq!(status, 201, "{answer}");
        }

        // On the 10th the exemption still holds.
        let evaluate = |at: &str| {
            let body = json!({ "at": at });
            let app = &app;
            let admin = admin.clone();
            async move { app.send(reqwest::Method::POST, "/api/v1/scorecards/evaluate", Some(&admin), Some(body)).await }
        };
        let (status, early) = evaluate("2026-11-10").await;
        assert_eq!(status, 200, "{early}");
        let checkout = service(&early, "checkout-api");
        let exempt = rule(checkout, "deploys-by-owners");
        assert_eq!(exempt["outcome"], "exempt", "{exempt}");
        assert_eq!(exempt["exemption"]["until"], "2026-11-15");
        assert_eq!(checkout["level"], "silver", "exempted, the rule counts: {checkout}");
        assert_eq!(rule(checkout, "two-deployers")["shown"], "people who deployed it: 1", "90 % by one person");

        // On the 30th it has ended: the rule fails with its figure and fix.
        let (status, late) = evaluate("2026-11-30T12:00:00Z").await;
        assert_eq!(status, 200, "{late}");
        let checkout = service(&late, "checkout-api");
        let failed = rule(checkout, "deploys-by-owners");
        assert_eq!(failed["outcome"], "fail", "{failed}");
        assert_eq!(failed["shown"], "1 of 10 deployments by owners (10 %)");
        assert_eq!(failed["threshold"], "80 %");
        assert!(failed["fix"].as_str().unwrap().contains("not through the platform team"), "{failed}");
        assert_eq!(rule(checkout, "runbook")["outcome"], "pass", "a gold rule passes");
        assert_eq!(checkout["level"], "bronze", "but a level needs every rule below it: {checkout}");
        assert_eq!(checkout["next_level"], "silver");

        let payments = service(&late, "payments-service");
        assert_eq!(payments["level"], "gold", "{payments}");
        assert_eq!(rule(payments, "deploys-by-owners")["shown"], "6 of 6 deployments by owners (100 %)");
        let mobile = service(&late, "mobile-bff");
        assert_eq!(rule(mobile, "deploys-by-owners")["outcome"], "no_data", "no deploy in the window: {mobile}");
        assert_eq!(mobile["level"], "bronze");
        let spread: Vec<(Value, Value)> = late["items"][0]["distribution"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["level"].clone(), d["services"].clone()))
            .collect();
        assert!(spread.contains(&(json!("gold"), json!(1))) && spread.contains(&(json!("silver"), json!(0))), "{spread:?}");

        // Both days are kept; the history says when it dropped.
        let (status, history) =
            app.send(reqwest::Method::GET, "/api/v1/scorecards/services/checkout-api/history?days=730", Some(&admin), None).await;
        assert_eq!(status, 200, "{history}");
        let days: Vec<(&str, &str)> = history["items"][0]["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["day"].as_str().unwrap(), d["level"].as_str().unwrap()))
            .collect();
        assert_eq!(days, [("2026-11-10", "silver"), ("2026-11-30", "bronze")]);
        assert_eq!(history["items"][0]["changes"][0], json!({ "day": "2026-11-30", "from": "silver", "to": "bronze", "dropped": true }));

        // The pages show what was kept, and so does /metrics.
        let (status, page) = html(&app, "/scorecards").await;
        assert_eq!(status, 200);
        assert_eq!(attr(&page, "[data-level='gold']", "data-services"), ["1"], "payments-service");
        let row = texts(&page, "tr[data-service='checkout-api'] td");
        assert_eq!(row, ["bronze", "50 %", "silver: deploys-by-owners"], "level, score, what silver lacks");
        let (_, page) = html(&app, "/services/checkout-api").await;
        assert_eq!(attr(&page, "h3[data-scorecard='readiness']", "data-level"), ["bronze"]);
        assert_eq!(attr(&page, "tr[data-rule='deploys-by-owners']", "data-outcome"), ["fail"]);
        let cells = texts(&page, "tr[data-rule='deploys-by-owners'] td");
        assert!(cells.iter().any(|c| c.contains("not through the platform team")), "the fix: {cells:?}");
        let (_, page) = html(&app, "/teams/payments").await;
        assert_eq!(texts(&page, "tr[data-service='payments-service'] td")[0], "gold");
        let metrics = reqwest::get(format!("{}/metrics", app.base)).await.unwrap().text().await.unwrap();
        assert!(
            metrics.contains("paved_scorecard_level{scorecard=\"readiness\",service=\"payments-service\",team=\"payments\"} 3"),
            "{metrics}"
        );
        assert!(metrics.contains("paved_scorecard_services{scorecard=\"readiness\",level=\"bronze\"} "), "{metrics}");

        // Earned autonomy: the kept levels decide the deny window.
        let check = |service: &str, token: String| {
            let path = format!("/api/v1/services/{service}/deploys");
            let app = &app;
            async move {
                let body = json!({ "version": "0123abcd", "dry_run": true });
                app.send(reqwest::Method::POST, &path, Some(&token), Some(body)).await
            }
        };
        let person = |name: &str| TokenScope::User(format!("user:default/{name}").parse().unwrap());
        let (status, gold) = check("payments-service", app.token(person("james.carter")).await).await;
        assert_eq!(status, 200, "{gold}");
        let window = gold["checks"].as_array().unwrap().iter().find(|c| c["check"] == "deny_window").unwrap();
        assert_eq!(window["passed"], true, "{gold}");
        assert!(window["reason"].as_str().unwrap().ends_with("is lifted (gold on readiness: earned autonomy)"), "{window}");
        let (status, bronze) = check("checkout-api", app.token(person("lena.fischer")).await).await;
        assert_eq!(status, 200, "{bronze}");
        assert_eq!(bronze["allowed"], false, "{bronze}");
        let window = bronze["checks"].as_array().unwrap().iter().find(|c| c["check"] == "deny_window").unwrap();
        assert!(window["reason"].as_str().unwrap().contains("at readiness/gold it would not apply"), "{window}");

        // Reading evaluates nothing: GET answers the 30th's kept results.
        let (status, kept) = app.send(reqwest::Method::GET, "/api/v1/scorecards?team=checkout", Some(&admin), None).await;
        assert_eq!(status, 200, "{kept}");
        let checkout = service(&kept, "checkout-api");
        assert_eq!((checkout["day"].as_str(), checkout["level"].as_str()), (Some("2026-11-30"), Some("bronze")), "{kept}");
        // A person may evaluate now, not rewrite a past day.
        let lena = app.token(person("lena.fischer")).await;
        let (status, refused) = app
            .send(reqwest::Method::POST, "/api/v1/scorecards/evaluate", Some(&lena), Some(json!({ "at": "2026-11-29" })))
            .await;
        assert_eq!(status, 403, "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("an admin token may"), "{refused}");
        let (status, _) = app
            .send(reqwest::Method::POST, "/api/v1/scorecards/evaluate", Some(&lena), Some(json!({ "service": "checkout-api" })))
            .await;
        assert_eq!(status, 200);
        let (status, error) =
            app.send(reqwest::Method::POST, "/api/v1/scorecards/evaluate", Some(&admin), Some(json!({ "at": "yesterday" }))).await;
        assert_eq!(status, 400);
        assert!(error["error"]["message"].as_str().unwrap().contains("at `yesterday` is not a date"), "{error}");

        for (path, expected) in [
            ("/api/v1/scorecards?service=nope", "is not a service of the catalog"),
            ("/api/v1/scorecards?service=checkout-api&team=checkout", "not both"),
            ("/api/v1/scorecards/services/checkout-api/history?days=0", "not between 1 and 730"),
        ] {
            let (status, error) = app.send(reqwest::Method::GET, path, Some(&admin), None).await;
            assert_eq!(status, 400, "{path}: {error}");
            assert!(error["error"]["message"].as_str().unwrap().contains(expected), "{path}: {error}");
        }
    }
}
