//! ${{ values.name }}: ${{ values.description }}
//!
//! `cargo run --release` serves on PORT (default ${{ values.port }}). GET
//! /healthz answers 200 while the service is healthy; GET /metrics exposes
//! its request counts for Prometheus.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

const SERVICE: &str = "${{ values.name }}";

#[derive(Default)]
struct Counts {
    health: AtomicU64,
    root: AtomicU64,
}

fn app(counts: Arc<Counts>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(counts)
}

async fn root(State(counts): State<Arc<Counts>>) -> Json<Value> {
    counts.root.fetch_add(1, Ordering::Relaxed);
    Json(json!({ "hello": format!("from {SERVICE}") }))
}

async fn healthz(State(counts): State<Arc<Counts>>) -> Json<Value> {
    counts.health.fetch_add(1, Ordering::Relaxed);
    let version = std::env::var("VERSION").unwrap_or_else(|_| "dev".to_owned());
    Json(json!({ "service": SERVICE, "version": version }))
}

async fn metrics(State(counts): State<Arc<Counts>>) -> String {
    format!(
        "# HELP http_requests_total Requests served, by route and status code.\n\
         # TYPE http_requests_total counter\n\
         http_requests_total{{service=\"{SERVICE}\",route=\"/\",code=\"200\"}} {}\n\
         http_requests_total{{service=\"{SERVICE}\",route=\"/healthz\",code=\"200\"}} {}\n",
        counts.root.load(Ordering::Relaxed),
        counts.health.load(Ordering::Relaxed),
    )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(${{ values.port }});
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app(Arc::default())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn healthz_names_the_service() {
        let Json(body) = healthz(State(Arc::default())).await;
        assert_eq!(body["service"], SERVICE);
    }
}
