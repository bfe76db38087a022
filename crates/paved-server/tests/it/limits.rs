//! Abuse limits: API writes per token (or address) and sign-in attempts
//! per address, past which a request answers 429 with `Retry-After`.

use paved_server::{RateLimits, ServerSettings};
use paved_store::TokenScope;
use serde_json::json;

use crate::helpers::{On, TestApp};
use crate::sign_in::Browser;

#[tokio::test]
async fn writes_past_a_tokens_limit_answer_429_with_retry_after_and_other_tokens_go_on() {
    let limits = RateLimits { writes_per_minute: 3, sign_ins_per_minute: 2 };
    let app =
        TestApp::spawn_with(On::Sqlite, ServerSettings { rate_limits: limits, ..ServerSettings::default() }).await;
    let checkout = app.token(TokenScope::Team("group:default/checkout".parse().unwrap())).await;
    let admin = app.token(TokenScope::Admin).await;
    let http = reqwest::Client::new();
    let record = |token: String, id: u32| {
        let request = http
            .post(format!("{}/api/v1/deployments", app.base))
            .bearer_auth(token)
            .json(&json!({"id": format!("limit-{id}"), "service": "checkout-api", "environment": "production", "sha": "0123abcd"}));
        async move { request.send().await.unwrap() }
    };
    for id in 0..3 {
        assert_eq!(record(checkout.clone(), id).await.status().as_u16(), 201, "within the limit");
    }
    let refused = record(checkout.clone(), 3).await;
    assert_eq!(refused.status().as_u16(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "Retry-After {wait}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("3 writes a minute"), "{body}");
    // Nothing of the refused request was stored.
    let (_, listed) = app.get("/api/v1/deployments?service=checkout-api").await;
    assert_eq!(listed["total"], 3, "{listed}");
    // Another token has its own limit, and reads are not counted.
    assert_eq!(record(admin, 4).await.status().as_u16(), 201);
    for _ in 0..5 {
        assert_eq!(app.get("/api/v1/deployments").await.0, 200);
    }
}

#[tokio::test]
async fn sign_in_attempts_past_an_addresss_limit_answer_429() {
    let limits = RateLimits { writes_per_minute: 600, sign_ins_per_minute: 2 };
    let app =
        TestApp::spawn_with(On::Sqlite, ServerSettings { rate_limits: limits, ..ServerSettings::default() }).await;
    let mut browser = Browser::new(&app);
    for _ in 0..2 {
        let answer = browser.sign_in("paved_wrong", "/").await;
        assert_ne!(answer.status, 429, "within the limit: {}", answer.body);
    }
    let answer = browser.sign_in("paved_wrong", "/").await;
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert!(answer.body.contains("Too many sign-in attempts"), "{}", answer.body);
}
