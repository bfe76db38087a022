//! Scorecards on a planted organisation: checkout-api's production
//! deploys are 90 % by a platform engineer, payments-service's all by its
//! own team, three people. The first fails "deploys by owners" with the figure and stays
//! bronze although it passes a gold rule, its runbook (a level needs every
//! rule below it); the second is gold. An exemption lets checkout-api off until its
//! date and no longer after it, and the kept history shows both days and
//! the drop.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use paved_server::ServerSettings;
use paved_store::TokenScope;

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
    results[0]["services"]
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
        let app = TestApp::spawn_with_catalog(on, ServerSettings::default(), &[card]).await;
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
        let (status, early) = app.send(reqwest::Method::GET, "/api/v1/scorecards?at=2026-11-10", Some(&admin), None).await;
        assert_eq!(status, 200, "{early}");
        let checkout = service(&early, "checkout-api");
        let exempt = rule(checkout, "deploys-by-owners");
        assert_eq!(exempt["outcome"], "exempt", "{exempt}");
        assert_eq!(exempt["exemption"]["until"], "2026-11-15");
        assert_eq!(checkout["level"], "silver", "exempted, the rule counts: {checkout}");
        assert_eq!(rule(checkout, "two-deployers")["shown"], "people who deployed it: 1", "90 % by one person");

        // On the 30th it has ended: the rule fails with its figure and fix.
        let (status, late) =
            app.send(reqwest::Method::GET, "/api/v1/scorecards?at=2026-11-30T12:00:00Z", Some(&admin), None).await;
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
        let spread: Vec<(Value, Value)> = late[0]["distribution"]
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
        let days: Vec<(&str, &str)> = history[0]["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["day"].as_str().unwrap(), d["level"].as_str().unwrap()))
            .collect();
        assert_eq!(days, [("2026-11-10", "silver"), ("2026-11-30", "bronze")]);
        assert_eq!(history[0]["changes"][0], json!({ "day": "2026-11-30", "from": "silver", "to": "bronze", "dropped": true }));

        for (path, expected) in [
            ("/api/v1/scorecards?service=nope", "is not a service of the catalog"),
            ("/api/v1/scorecards?at=yesterday", "at `yesterday` is not a date"),
            ("/api/v1/scorecards?service=checkout-api&team=checkout", "not both"),
            ("/api/v1/scorecards/services/checkout-api/history?days=0", "not between 1 and 730"),
        ] {
            let (status, error) = app.send(reqwest::Method::GET, path, Some(&admin), None).await;
            assert_eq!(status, 400, "{path}: {error}");
            assert!(error["error"]["message"].as_str().unwrap().contains(expected), "{path}: {error}");
        }
    }
}
