//! Abuse limits: how many writes a token (or, without one, an address)
//! may make through the API, and how many sign-in attempts an address may
//! make, per minute. Past them a request answers 429 with `Retry-After`
//! and never reaches a handler. Each replica counts its own requests.
//!
//! Webhook deliveries are not limited here: a provider does not retry a
//! 429, so a limit would lose events; their bodies are bounded per source
//! before any signature is checked (`BodyBudget`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::ApiError;

/// The limits, per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// API writes (any method but GET, HEAD and OPTIONS under `/api/`) per
    /// token, or per address without a token.
    pub writes_per_minute: u32,
    /// Sign-in attempts per address.
    pub sign_ins_per_minute: u32,
}

impl Default for RateLimits {
    /// 600 API writes a minute per token (ten a second, sustained, with a
    /// burst of a minute's worth), 10 sign-in attempts a minute per address.
    fn default() -> Self {
        Self { writes_per_minute: 600, sign_ins_per_minute: 10 }
    }
}

/// Keys forgotten once there are this many and they are full again.
const PRUNE_ABOVE: usize = 10_000;

/// A token bucket per key: `per_minute` tokens, refilled continuously.
#[derive(Debug)]
pub struct Limiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    /// A limiter of `per_minute` per key (0: no limit).
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request of `key`: `Ok`, or how long until one is allowed.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * per_second < capacity);
        }
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_second))
        }
    }
}

/// The limiters of one server.
#[derive(Debug, Clone)]
pub struct Limiters {
    writes: Arc<Limiter>,
    sign_ins: Arc<Limiter>,
}

impl Limiters {
    /// Limiters for `limits`.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            writes: Arc::new(Limiter::new(limits.writes_per_minute)),
            sign_ins: Arc::new(Limiter::new(limits.sign_ins_per_minute)),
        }
    }
}

/// Whole seconds to wait, at least one.
fn seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.as_secs() == 0))
}

/// The address a request came from; only a counted request needs it.
fn peer(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |ConnectInfo(peer)| peer.ip().to_string())
}

/// The middleware: counts API writes (Backstage's catalog API, read-only
/// even where it takes a POST, is not counted) and sign-in attempts, and
/// answers 429 past the limit.
pub async fn limit(State(limiters): State<Limiters>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let read = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if path == "/sign-in" && request.method() == Method::POST {
        if let Err(wait) = limiters.sign_ins.take(&format!("address {}", peer(&request)), Instant::now()) {
            let secs = seconds(wait);
            let body = format!(
                "<!doctype html><title>Too many sign-in attempts</title><p>Too many sign-in attempts from your \
                 address: try again in {secs} seconds.</p>"
            );
            let mut response = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
            return response;
        }
    } else if path.starts_with("/api/") && !path.starts_with("/api/catalog/") && !read {
        // A token is counted by a digest of it: the limiter never holds one.
        let key = match request.headers().get(AUTHORIZATION) {
            Some(value) => format!("token {}", hex::encode(&Sha256::digest(value.as_bytes())[..12])),
            None => format!("address {}", peer(&request)),
        };
        if let Err(wait) = limiters.writes.take(&key, Instant::now()) {
            let secs = seconds(wait);
            let mut response = ApiError::too_many_requests(format!(
                "more than {} writes a minute with this {}: try again in {secs} seconds",
                limiters.writes.per_minute,
                if key.starts_with("token") { "token" } else { "address" }
            ))
            .into_response();
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
            return response;
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refuses_past_its_limit_and_refills() {
        let limiter = Limiter::new(60);
        let start = Instant::now();
        for _ in 0..60 {
            assert!(limiter.take("a", start).is_ok());
        }
        let wait = limiter.take("a", start).unwrap_err();
        assert!((0.9..=1.0).contains(&wait.as_secs_f64()), "{wait:?}");
        assert!(limiter.take("b", start).is_ok(), "another key has its own");
        assert!(limiter.take("a", start + Duration::from_secs(1)).is_ok(), "a second later, one more");
        assert!(Limiter::new(0).take("a", start).is_ok(), "0 is no limit");
        assert_eq!(seconds(Duration::from_millis(300)), 1);
        assert_eq!(seconds(Duration::from_millis(2100)), 3);
    }
}
