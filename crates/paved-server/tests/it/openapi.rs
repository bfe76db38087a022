//! The OpenAPI document as a client generator reads it: every answer
//! described, errors in one shape, lists in one shape, closed sets as
//! enums, webhook headers named; and the server answering malformed
//! queries with the document's error body.

use serde_json::Value;

use crate::helpers::api_tests;

fn document() -> Value {
    serde_json::to_value(paved_server::api::openapi()).unwrap()
}

/// Every operation as `(method, path, operation)`.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((method.clone(), path.clone(), operation.clone()));
        }
    }
    all
}

fn schema_name(content: &Value) -> Option<&str> {
    content["application/json"]["schema"]["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// Routes whose errors keep another documented shape: Backstage's catalog
/// API (so Backstage clients read them), PagerDuty's Events API v2, and a
/// refused deploy (the checks that refused it, and who could act instead).
fn other_error_shape(path: &str, status: &str) -> Option<&'static str> {
    if path.starts_with("/api/catalog/") {
        return Some("BackstageErrorBody");
    }
    match (path, status) {
        ("/v2/enqueue", "400" | "401" | "403") => Some("EnqueueRefused"),
        ("/api/v1/services/{name}/deploys", "403" | "409") => Some("DeployResponse"),
        _ => None,
    }
}

#[test]
fn every_answer_is_described_and_every_error_has_its_body() {
    let doc = document();
    let mut wrong = Vec::new();
    for (method, path, operation) in operations(&doc) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            if response["description"].as_str().is_none_or(|d| d.trim().is_empty()) {
                wrong.push(format!("{method} {path} {status}: no description"));
            }
            if status.starts_with('4') || status.starts_with('5') {
                let expected = other_error_shape(&path, status).unwrap_or("ErrorBody");
                if schema_name(&response["content"]) != Some(expected) {
                    wrong.push(format!("{method} {path} {status}: not the {expected} shape: {}", response["content"]));
                }
            }
        }
        let responses = &operation["responses"];
        if operation["security"].as_array().is_some_and(|s| !s.is_empty()) && responses["401"].is_null() {
            wrong.push(format!("{method} {path}: takes a token but documents no 401"));
        }
        if !operation["requestBody"].is_null() && responses["413"].is_null() {
            wrong.push(format!("{method} {path}: takes a body but documents no 413"));
        }
        if responses["500"].is_null() {
            wrong.push(format!("{method} {path}: documents no 500"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_list_has_one_page_shape() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let mut lists = 0;
    for (method, path, operation) in operations(&doc) {
        let ok = &operation["responses"]["200"]["content"];
        assert_ne!(
            ok["application/json"]["schema"]["type"], "array",
            "{method} {path} answers a bare array; lists answer a page"
        );
        let Some(name) = schema_name(ok) else { continue };
        let properties = &schemas[name]["properties"];
        if !properties["items"]["type"].is_string() || method != "get" || path.starts_with("/api/catalog/") {
            continue;
        }
        lists += 1;
        for field in ["items", "total", "limit", "offset", "next_offset"] {
            assert!(!properties[field].is_null(), "{method} {path}: {name} has no `{field}`");
        }
        let parameters: Vec<&str> = operation["parameters"]
            .as_array()
            .map(|p| p.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            parameters.contains(&"limit") && parameters.contains(&"offset"),
            "{method} {path}: a list without limit and offset ({parameters:?})"
        );
    }
    assert!(lists >= 14, "every list of the API is a page ({lists} found)");
}

#[test]
fn closed_sets_are_enums_and_webhook_headers_are_named() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let values = |name: &str| -> Vec<String> {
        schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is an enum"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(values("ErrorCode").contains(&"not_found".to_owned()));
    assert_eq!(values("Source").len(), 7);
    assert!(values("DeployState").contains(&"interrupted".to_owned()));
    let parameter = |method: &str, path: &str, name: &str| -> Value {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} documents {name}"))
            .clone()
    };
    for (path, name) in [
        ("/api/v1/events", "source"),
        ("/api/v1/events", "status"),
        ("/api/v1/incidents", "status"),
        ("/api/v1/deployments", "status"),
        ("/api/v1/metrics/dora", "by"),
        ("/api/v1/metrics/dora", "table"),
    ] {
        let schema = parameter("get", path, name)["schema"].clone();
        let text = schema.to_string();
        assert!(text.contains("$ref") || text.contains("enum"), "{path} ?{name} is a closed set: {schema}");
    }
    for (path, header) in [
        ("/hooks/github", "X-Hub-Signature-256"),
        ("/hooks/github", "X-GitHub-Event"),
        ("/hooks/github", "X-GitHub-Delivery"),
        ("/hooks/gitlab", "X-Gitlab-Token"),
        ("/hooks/gitlab", "X-Gitlab-Event"),
        ("/hooks/pagerduty", "X-PagerDuty-Signature"),
    ] {
        let found = parameter("post", path, header);
        assert_eq!(
            (found["in"].as_str(), found["required"].as_bool()),
            (Some("header"), Some(true)),
            "{path} {header}"
        );
    }
    let event = &schemas["EnqueueEvent"];
    assert!(event["required"].as_array().unwrap().iter().any(|f| f == "routing_key"), "{event}");
    assert_eq!(doc["servers"][0]["url"], "/");
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let reference = &reference[..reference.find('"').unwrap()];
        let name = reference.strip_prefix("#/components/schemas/");
        assert!(name.is_some(), "a reference outside the document's schemas: {reference}");
        assert!(schemas[name.unwrap()].is_object(), "a reference to nothing: {reference}");
    }
}

api_tests! {
    async fn a_malformed_query_answers_the_error_body_on_every_list(app) {
        let doc = document();
        let client = reqwest::Client::new();
        let admin = app.token(paved_store::TokenScope::Admin).await;
        let mut checked = 0;
        for (method, path, operation) in operations(&doc) {
            let takes_limit = operation["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "limit" && p["in"] == "query"));
            if method != "get" || !takes_limit || path.starts_with("/api/catalog/") {
                continue;
            }
            let concrete = path.replace("{name}", "checkout-oncall").replace("{id}", "1");
            for query in ["limit=abc", "limit=0", "offset=-1"] {
                let response = client
                    .get(format!("{}{concrete}?{query}", app.base))
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or_else(|e| panic!("{path}?{query}: not JSON: {e}"));
                assert_eq!((status, body["error"]["code"].as_str()), (400, Some("bad_request")), "{path}?{query}: {body}");
                let message = body["error"]["message"].as_str().unwrap();
                assert!(message.contains("limit") || message.contains("offset"), "{path}?{query}: {message}");
            }
            checked += 1;
        }
        assert!(checked >= 14, "{checked} lists checked");
        eprintln!("{checked} lists refuse a malformed limit");
    }
}
