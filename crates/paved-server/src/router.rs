//! The router: routes, the request span and the JSON fallbacks.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::Response;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, HeaderName, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::{Extension, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::extract::BodyTimeout;
use crate::{ApiError, AppState, api};

/// Builds the whole router over `state`.
pub fn router(state: AppState) -> Router {
    let body_read = BodyTimeout(state.settings.timeouts.body_read);
    let http = state.http.clone();
    let limiters = crate::limits::Limiters::new(state.settings.rate_limits);
    let routes = Router::new()
        .merge(api::routes())
        .merge(crate::web::routes(&state))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(body_read))
        .layer(axum::middleware::from_fn_with_state(limiters, crate::limits::limit));
    with_security_headers(routes)
        .layer(axum::middleware::from_fn_with_state(http, crate::prometheus::count_requests))
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

/// What every response says about how a browser may use it. The pages load
/// their stylesheet, icon and one script (the deploy page's log follower)
/// from this server only, fetch only from it, and
/// are never framed; `javascript:` links cannot run, whatever a descriptor
/// or payload holds.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     script-src 'self'; connect-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Adds the security headers to every response of `router` (a handler
/// may set its own).
fn with_security_headers(router: Router<AppState>) -> Router<AppState> {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router
        .layer(header(CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE))
        .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(X_FRAME_OPTIONS, "DENY"))
        .layer(header(REFERRER_POLICY, "no-referrer"))
}
