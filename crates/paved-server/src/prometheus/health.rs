//! pavedroad's own health: what it is (build info), what this process
//! served (HTTP requests by route and status, their durations, webhook
//! deliveries by source and outcome: counted here, per replica, as
//! Prometheus expects of a process) and what waits in the database for
//! every replica (the last event of each source, the deploy and
//! notification queues and how late their oldest item is).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use paved_store::WorkHealth;

use super::text::{Exposition, Kind};

/// Upper bounds of the request duration histogram, in seconds.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// What this process served, since it started.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    /// By route, method and status.
    requests: BTreeMap<(String, String, u16), u64>,
    /// By route: the count of requests at or under each bucket, the sum of
    /// seconds and the count.
    durations: BTreeMap<String, ([u64; BUCKETS.len()], f64, u64)>,
    /// By source and outcome.
    deliveries: BTreeMap<(String, &'static str), u64>,
}

/// The webhook source a route receives, if it is a webhook.
fn source_of(route: &str) -> Option<&str> {
    route.strip_prefix("/hooks/").or_else(|| (route == "/v2/enqueue").then_some("events_v2"))
}

/// A webhook delivery's outcome, from its status.
fn outcome(status: u16) -> &'static str {
    match status {
        200..=299 => "accepted",
        401 | 403 => "unauthenticated",
        413 => "too_large",
        429 => "limited",
        400..=499 => "rejected",
        _ => "error",
    }
}

impl HttpMetrics {
    fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *counts.requests.entry((route.to_owned(), method.to_owned(), status)).or_default() += 1;
        let (buckets, sum, count) = counts.durations.entry(route.to_owned()).or_default();
        for (bucket, bound) in buckets.iter_mut().zip(BUCKETS) {
            *bucket += u64::from(seconds <= bound);
        }
        *sum += seconds;
        *count += 1;
        if let Some(source) = source_of(route) {
            *counts.deliveries.entry((source.to_owned(), outcome(status))).or_default() += 1;
        }
    }

    /// Writes this process's families.
    pub(super) fn write(&self, out: &mut Exposition) {
        let counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        out.family(
            "paved_http_requests_total",
            Kind::Counter,
            "HTTP requests this process answered, by route (the pattern, `/services/{name}`), method and status.",
        );
        for ((route, method, status), n) in &counts.requests {
            let status = status.to_string();
            out.sample(&[("route", route), ("method", method), ("status", &status)], Some(*n as f64));
        }
        out.family(
            "paved_http_request_duration_seconds",
            Kind::Histogram,
            "How long this process took to answer HTTP requests, by route.",
        );
        for (route, (buckets, sum, count)) in &counts.durations {
            for (bound, n) in BUCKETS.iter().zip(buckets) {
                let le = bound.to_string();
                out.suffixed("_bucket", &[("route", route), ("le", &le)], *n as f64);
            }
            out.suffixed("_bucket", &[("route", route), ("le", "+Inf")], *count as f64);
            out.suffixed("_sum", &[("route", route)], *sum);
            out.suffixed("_count", &[("route", route)], *count as f64);
        }
        out.family(
            "paved_webhook_deliveries_total",
            Kind::Counter,
            "Webhook deliveries this process answered, by source (github, gitlab, pagerduty, alertmanager, \
             events_v2) and outcome (accepted, unauthenticated, rejected, too_large, limited, error).",
        );
        for ((source, outcome), n) in &counts.deliveries {
            out.sample(&[("source", source), ("outcome", outcome)], Some(*n as f64));
        }
    }
}

/// Counts every request by the route that matched (`unmatched` for none).
pub async fn count_requests(
    State(metrics): State<std::sync::Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe(&route, &method, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// Build information and the database's queues.
pub(super) fn work(out: &mut Exposition, health: &WorkHealth, now: DateTime<Utc>) {
    out.family("paved_build_info", Kind::Gauge, "The pavedroad build answering: always 1, with its version.");
    out.sample(&[("version", env!("CARGO_PKG_VERSION"))], Some(1.0));
    out.family(
        "paved_last_event_timestamp_seconds",
        Kind::Gauge,
        "When the last event of each source was received (Unix time): alert when a provider stops delivering.",
    );
    for (source, at) in &health.last_events {
        out.sample(&[("source", source)], Some(at.timestamp_millis() as f64 / 1000.0));
    }
    let age =
        |at: Option<DateTime<Utc>>| Some(at.map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1000.0));
    out.family("paved_deploy_jobs", Kind::Gauge, "Deploys queued or running, by state.");
    out.sample(&[("state", "queued")], Some(health.deploys_queued as f64));
    out.sample(&[("state", "running")], Some(health.deploys_running as f64));
    out.family(
        "paved_deploy_queue_lag_seconds",
        Kind::Gauge,
        "How long the oldest queued deploy has waited for a runner (0 when none waits).",
    );
    out.sample(&[], age(health.oldest_queued_deploy));
    out.family("paved_notifications_pending", Kind::Gauge, "Pages waiting to be delivered (or retried).");
    out.sample(&[], Some(health.notifications_pending as f64));
    out.family(
        "paved_notification_lag_seconds",
        Kind::Gauge,
        "How late the most overdue pending page is (0 when none is due).",
    );
    out.sample(&[], age(health.oldest_due_notification.filter(|due| *due <= now)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_routes_are_deliveries_with_an_outcome() {
        let metrics = HttpMetrics::default();
        metrics.observe("/hooks/github", "POST", 202, 0.003);
        metrics.observe("/hooks/github", "POST", 401, 0.001);
        metrics.observe("/v2/enqueue", "POST", 202, 0.2);
        metrics.observe("/api/v1/report", "GET", 200, 0.7);
        let mut out = Exposition::default();
        metrics.write(&mut out);
        let text = out.finish();
        assert!(
            text.contains("paved_webhook_deliveries_total{source=\"github\",outcome=\"unauthenticated\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("paved_webhook_deliveries_total{source=\"events_v2\",outcome=\"accepted\"} 1\n"),
            "{text}"
        );
        assert!(!text.contains("source=\"/api"), "{text}");
        assert!(
            text.contains("paved_http_request_duration_seconds_bucket{route=\"/api/v1/report\",le=\"0.5\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("paved_http_request_duration_seconds_bucket{route=\"/api/v1/report\",le=\"1\"} 1\n"),
            "{text}"
        );
    }
}
