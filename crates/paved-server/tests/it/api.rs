//! The JSON API as a client sees it.

use serde_json::Value;

use crate::helpers::api_tests;

fn refs(items: &Value) -> Vec<String> {
    items.as_array().unwrap().iter().map(|i| i["ref"].as_str().unwrap().to_owned()).collect()
}

fn relation_targets(entity: &Value, kind: &str) -> Vec<String> {
    entity["relations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == kind)
        .map(|r| r["targetRef"].as_str().unwrap().to_owned())
        .collect()
}

api_tests! {
    async fn components_are_listed_with_their_owners(app) {
        let (status, body) = app.get("/api/v1/entities?kind=Component").await;
        assert_eq!(status, 200);
        let items = body["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(items.iter().all(|i| i["kind"] == "Component" && i["owner"].is_string()), "{body}");
        let mut sorted = refs(&body["items"]);
        sorted.sort();
        assert_eq!(refs(&body["items"]), sorted, "ordered by kind, namespace, name");
    }

    async fn filters_combine(app) {
        let (_, all) = app.get("/api/v1/entities?kind=component").await;
        let (_, owned) = app.get("/api/v1/entities?kind=component&owner=checkout").await;
        let expected: Vec<String> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["owner"] == "group:default/checkout")
            .map(|i| i["ref"].as_str().unwrap().to_owned())
            .collect();
        assert!(!expected.is_empty(), "acme's checkout team owns components");
        assert_eq!(refs(&owned["items"]), expected);

        let (_, users) = app.get("/api/v1/entities?kind=user&namespace=default").await;
        assert!(users["total"].as_u64().unwrap() >= 8, "{users}");
        let (_, none) = app.get("/api/v1/entities?namespace=elsewhere").await;
        assert_eq!(none["total"], 0);
    }

    async fn text_search_finds_by_name_title_or_description(app) {
        let (_, body) = app.get("/api/v1/entities?q=CHECKOUT").await;
        let found = refs(&body["items"]);
        assert!(found.iter().any(|r| r == "group:default/checkout"), "{found:?}");
        for item in body["items"].as_array().unwrap() {
            let text = format!("{} {} {}", item["name"], item["title"], item["description"]).to_lowercase();
            assert!(text.contains("checkout"), "{item}");
        }
    }

    async fn pagination_walks_every_entity_once(app) {
        let (_, everything) = app.get("/api/v1/entities?limit=500").await;
        let total = everything["total"].as_u64().unwrap();
        let mut seen = Vec::new();
        let mut offset = Some(0);
        while let Some(at) = offset {
            let (status, page) = app.get(&format!("/api/v1/entities?limit=3&offset={at}")).await;
            assert_eq!(status, 200);
            assert_eq!(page["total"].as_u64().unwrap(), total);
            seen.extend(refs(&page["items"]));
            offset = page["next_offset"].as_u64();
        }
        assert_eq!(seen, refs(&everything["items"]));
        assert_eq!(seen.len() as u64, total);
    }

    async fn bad_parameters_get_a_json_400(app) {
        for path in ["/api/v1/entities?limit=0", "/api/v1/entities?limit=501", "/api/v1/entities?limit=ten", "/api/v1/entities?owner=group:"] {
            let (status, body) = app.get(path).await;
            assert_eq!(status, 400, "{path}: {body}");
            assert_eq!(body["error"]["code"], "bad_request", "{path}");
            assert!(!body["error"]["message"].as_str().unwrap().is_empty());
        }
    }

    async fn an_entity_has_its_relations_both_ways(app) {
        let (status, team) = app.get("/api/v1/entities/group/default/checkout").await;
        assert_eq!(status, 200, "{team}");
        let owned = relation_targets(&team, "ownerOf");
        assert!(owned.iter().any(|r| r.starts_with("component:")), "{owned:?}");
        let members = relation_targets(&team, "hasMember");
        assert!(!members.is_empty(), "the team's users say memberOf: checkout");
        let parent = relation_targets(&team, "childOf");
        assert_eq!(parent, vec!["group:default/acme".to_owned()]);

        let component = owned.iter().find(|r| r.starts_with("component:")).unwrap();
        let path = component.replacen(':', "/", 1);
        let (status, entity) = app.get(&format!("/api/v1/entities/{path}")).await;
        assert_eq!(status, 200);
        assert_eq!(relation_targets(&entity, "ownedBy"), vec!["group:default/checkout".to_owned()]);
        assert_eq!(entity["document"]["kind"], "Component", "the descriptor is returned as written");
    }

    async fn kind_in_the_path_is_case_insensitive(app) {
        let (lower, _) = app.get("/api/v1/entities/group/default/checkout").await;
        let (upper, _) = app.get("/api/v1/entities/Group/default/checkout").await;
        assert_eq!((lower, upper), (200, 200));
    }

    async fn a_team_lists_members_and_owned_entities(app) {
        let (status, team) = app.get("/api/v1/teams/checkout").await;
        assert_eq!(status, 200, "{team}");
        assert_eq!(team["team"]["ref"], "group:default/checkout");
        let members = team["members"].as_array().unwrap();
        assert!(members.len() >= 2, "{team}");
        assert!(members.iter().all(|m| m["kind"] == "User"));
        assert!(members.iter().all(|m| !m["paved"]["emails"].as_array().unwrap().is_empty()), "{team}");
        let owned = team["owned"].as_array().unwrap();
        assert!(owned.iter().any(|o| o["kind"] == "Component"), "{team}");
        assert!(owned.iter().all(|o| o["owner"] == "group:default/checkout"));
        assert_eq!(team["parent"], "group:default/acme");

        let (status, missing) = app.get("/api/v1/teams/nobody").await;
        assert_eq!(status, 404);
        assert_eq!(missing["error"]["code"], "not_found");
    }

    async fn health_and_readiness_answer(app) {
        let (status, body) = app.get("/healthz").await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
        let (status, body) = app.get("/readyz").await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    }

    async fn unknown_routes_get_the_json_error_shape(app) {
        let (status, body) = app.get("/api/v1/nothing-here").await;
        assert_eq!(status, 404);
        assert_eq!(body["error"]["code"], "not_found");
        let response = reqwest::Client::new().delete(format!("{}/api/v1/entities", app.base)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 405);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }

    async fn the_openapi_document_describes_every_route(app) {
        let (status, doc) = app.get("/api/v1/openapi.json").await;
        assert_eq!(status, 200);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/entities",
            "/api/v1/entities/{kind}/{namespace}/{name}",
            "/api/v1/teams/{name}",
            "/healthz",
            "/readyz",
        ] {
            assert!(doc["paths"][path]["get"].is_object(), "{path} is documented");
        }
        for schema in ["Page_EntitySummary", "EntityDetail", "Team", "ErrorBody"] {
            assert!(doc["components"]["schemas"][schema].is_object(), "{schema} is documented");
        }
        // Every documented operation is served: none falls through to the
        // router's "no route" or "method not allowed".
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 52, "every path of the API and the webhooks");
        for path in [
            "/api/v1/services/{name}/deploys",
            "/api/v1/runner/claim",
            "/api/v1/runner/deploys/{id}/finish",
            "/api/v1/heartbeats/{name}",
        ] {
            assert!(doc["paths"][path]["post"].is_object(), "{path} is documented");
        }
        assert!(doc["paths"]["/api/v1/deploys/{id}"]["get"].is_object(), "a deploy and its log are documented");
        assert!(doc["paths"]["/api/v1/oncall"]["get"].is_object(), "who is on call is documented");
        assert!(doc["paths"]["/api/v1/schedules/{name}/overrides"]["post"].is_object(), "making an override is documented");
        assert!(doc["paths"]["/api/v1/overrides/{id}"]["delete"].is_object(), "deleting one is documented");
        let client = reqwest::Client::new();
        for (path, item) in paths {
            let concrete = path
                .replace("{kind}", "component")
                .replace("{namespace}", "default")
                .replace("{name}", "checkout-api")
                .replace("{id}", "nothing-here");
            assert!(!concrete.contains('{'), "{path}: a parameter this test does not fill");
            for method in item.as_object().unwrap().keys() {
                let request = match method.as_str() {
                    "get" => client.get(format!("{}{concrete}", app.base)),
                    "post" => client.post(format!("{}{concrete}", app.base)).body("{}"),
                    "delete" => client.delete(format!("{}{concrete}", app.base)),
                    other => panic!("{path}: a method this test does not send: {other}"),
                };
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                assert_ne!(status, 405, "{method} {path}: {text}");
                assert!(!text.contains("no route"), "{method} {path} is documented but not routed: {text}");
            }
        }
    }

    async fn bad_path_segments_get_a_json_400(app) {
        for path in [
            "/api/v1/entities/component/default/%FF",
            "/api/v1/teams/%FF",
            "/api/v1/entities/component/default/a%00b",
            "/api/v1/entities?q=%00",
            "/api/v1/entities?kind=component%00",
            "/api/v1/teams/checkout?namespace=%00",
        ] {
            let response = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
            assert_eq!(response.status().as_u16(), 400, "{path}");
            let body: Value = response.json().await.unwrap_or_else(|e| panic!("{path}: not JSON: {e}"));
            assert_eq!(body["error"]["code"], "bad_request", "{path}");
        }
    }

    async fn orphans_are_hidden_unless_asked_for(app) {
        app.reimport_acme_without("resource:default/orders-db").await;
        let (_, team) = app.get("/api/v1/teams/checkout").await;
        let owned = refs(&team["owned"]);
        assert!(!owned.contains(&"resource:default/orders-db".to_owned()), "{owned:?}");
        assert!(owned.contains(&"component:default/checkout-api".to_owned()), "{owned:?}");
        let (_, listed) = app.get("/api/v1/entities?kind=resource").await;
        assert_eq!(listed["total"], 0);
        let (_, with_orphans) = app.get("/api/v1/entities?kind=resource&orphans=true").await;
        assert_eq!(refs(&with_orphans["items"]), ["resource:default/orders-db"]);
        assert_eq!(with_orphans["items"][0]["orphan"], true);
        let (status, entity) = app.get("/api/v1/entities/resource/default/orders-db").await;
        assert_eq!((status, &entity["orphan"]), (200, &Value::Bool(true)), "an orphan can still be looked at");
    }
}
