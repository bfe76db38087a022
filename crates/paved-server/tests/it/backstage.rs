//! Backstage's catalog API over examples/acme, with the requests
//! `@backstage/catalog-client` sends (filters and fields URL-encoded,
//! `filter` repeated) and Backstage's answers: by-name, by-query with its
//! cursor paging, by-refs in order with nulls, and Backstage's error shape.

use serde_json::{Value, json};

use crate::helpers::api_tests;

/// What a catalog-client `getEntities`/`queryEntities` call encodes.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

api_tests! {
    async fn an_entity_by_name_has_backstage_s_envelope(app) {
        let (status, entity) = app.get("/api/catalog/entities/by-name/Component/default/Checkout-API").await;
        assert_eq!(status, 200, "{entity}");
        assert_eq!(entity["apiVersion"], "backstage.io/v1alpha1");
        assert_eq!(entity["kind"], "Component");
        assert_eq!(entity["metadata"]["name"], "checkout-api");
        assert_eq!(entity["metadata"]["namespace"], "default");
        let uid = entity["metadata"]["uid"].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(uid).is_ok(), "{uid}");
        assert_eq!(entity["metadata"]["etag"].as_str().unwrap().len(), 40);
        let (_, again) = app.get("/api/catalog/entities/by-name/component/default/checkout-api").await;
        assert_eq!(again["metadata"]["uid"], entity["metadata"]["uid"], "stable");
        let relations = entity["relations"].as_array().unwrap();
        assert!(relations.contains(&json!({"type": "ownedBy", "targetRef": "group:default/checkout"})), "{relations:?}");
        let location = entity["metadata"]["annotations"]["backstage.io/managed-by-location"].as_str().unwrap();
        assert!(location.starts_with("file:") && !location.starts_with("file:/"), "relative: {location}");

        let (status, missing) = app.get("/api/catalog/entities/by-name/component/default/nope").await;
        assert_eq!(status, 404);
        assert_eq!(missing["error"]["name"], "NotFoundError", "{missing}");
        assert_eq!(missing["response"]["statusCode"], 404);
        assert_eq!(missing["request"]["method"], "GET");
    }

    async fn by_query_filters_projects_and_pages_with_a_cursor(app) {
        let filter = encode("kind=component,spec.owner=checkout");
        let (status, page) = app.get(&format!("/api/catalog/entities/by-query?filter={filter}&fields=kind,metadata.name")).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert_eq!(page["totalItems"].as_u64(), Some(items.len() as u64));
        assert_eq!(page["pageInfo"], json!({}), "one page: no cursor");
        for item in items {
            assert_eq!(item.as_object().unwrap().keys().collect::<Vec<_>>(), ["kind", "metadata"], "{item}");
            assert_eq!(item["metadata"].as_object().unwrap().len(), 1, "{item}");
        }
        let names: Vec<&str> = items.iter().map(|i| i["metadata"]["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"checkout-api"), "{names:?}");

        // Two filters: either matches.
        let (_, either) = app
            .get(&format!("/api/catalog/entities/by-query?filter={}&filter={}", encode("kind=group"), encode("kind=user")))
            .await;
        let kinds: std::collections::BTreeSet<&str> =
            either["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["Group", "User"]);

        // Paging by cursor, ordered by name: every entity once.
        let (_, whole) = app.get("/api/catalog/entities/by-query?fields=metadata.name,kind&limit=1000").await;
        let total = whole["totalItems"].as_u64().unwrap();
        let mut seen = Vec::new();
        let mut path = format!("/api/catalog/entities/by-query?limit=7&orderField={}&fields=kind,metadata.name", encode("metadata.name,asc"));
        loop {
            let (status, page) = app.get(&path).await;
            assert_eq!(status, 200, "{page}");
            assert_eq!(page["totalItems"].as_u64(), Some(total));
            seen.extend(page["items"].as_array().unwrap().iter().map(|i| format!("{}:{}", i["kind"], i["metadata"]["name"])));
            match page["pageInfo"]["nextCursor"].as_str() {
                Some(cursor) => path = format!("/api/catalog/entities/by-query?limit=7&cursor={}", encode(cursor)),
                None => break,
            }
        }
        assert_eq!(seen.len() as u64, total);
        let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no entity twice");
        let names: Vec<String> = seen.iter().map(|s| s.split(':').nth(1).unwrap().to_owned()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "ordered by metadata.name");

        let (status, bad) = app.get("/api/catalog/entities/by-query?cursor=nonsense").await;
        assert_eq!(status, 400);
        assert_eq!(bad["error"]["name"], "InputError", "{bad}");
        let (status, _) = app.get(&format!("/api/catalog/entities/by-query?orderField={}", encode("metadata.name,up"))).await;
        assert_eq!(status, 400);
    }

    async fn by_refs_answers_in_order_with_nulls(app) {
        let body = json!({"entityRefs": ["group:default/checkout", "component:default/nope", "component:default/checkout-api"],
                          "fields": ["metadata.name"]});
        let (status, answer) = app.post("/api/catalog/entities/by-refs", &[("Content-Type", "application/json")], body.to_string()).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["items"], json!([{"metadata": {"name": "checkout"}}, null, {"metadata": {"name": "checkout-api"}}]));
        let (status, answer) = app
            .post(&format!("/api/catalog/entities/by-refs?filter={}", encode("kind=group")), &[], body.to_string())
            .await;
        assert_eq!(status, 200);
        assert_eq!(answer["items"][2], Value::Null, "the filter leaves the component out");
        let (status, bad) = app.post("/api/catalog/entities/by-refs", &[], "{}".to_owned()).await;
        assert_eq!(status, 400);
        assert!(bad["error"]["message"].as_str().unwrap().contains("entityRefs"), "{bad}");
    }
}
