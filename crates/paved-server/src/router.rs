//! The router: routes, the request span and the JSON fallbacks.

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::Response;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::{ApiError, AppState, api};

/// Builds the whole router over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(api::hook_routes())
        .merge(crate::web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let route =
                        request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        route,
                        path = %request.uri().path(),
                    )
                })
                .on_request(())
                .on_response(|response: &Response<_>, latency: Duration, _span: &Span| {
                    tracing::info!(
                        status = response.status().as_u16(),
                        duration_ms = latency.as_secs_f64() * 1000.0,
                        "responded"
                    );
                })
                .on_failure(()),
        )
        .with_state(state)
}

async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(format!(
        "no route {} {}; the API is described at /api/v1/openapi.json",
        request.method(),
        request.uri().path()
    ))
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
