//! Webhooks: `/hooks/github`, `/hooks/gitlab`, `/hooks/alertmanager`,
//! `/hooks/pagerduty`, and the PagerDuty Events API v2 compatible
//! `/v2/enqueue`.
//!
//! Every handler takes the headers and the raw bytes, verifies who sent them
//! (a signature or token on the raw bytes, in constant time, before anything
//! parses the body), checks that the body is JSON, and stores it as a raw
//! event together with what it yields — answering 2xx only once that is
//! durable (DESIGN §8). A redelivery (same source and delivery id) answers
//! 200 and changes nothing.

use axum::Json;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use paved_domain::EventStatus;
use paved_ingest::signature::SignatureError;
use paved_ingest::{RawInput, events_v2, github, gitlab, pagerduty, source};
use paved_store::{IngestEvent, NewRawEvent, RawEventInsert};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::{caller_from_header, caller_from_token};
use crate::extract::RawBody;
use crate::settings::{HookAuth, HookSource};
use crate::{ApiError, AppState};

/// What a webhook delivery became.
#[derive(Debug, Serialize, ToSchema)]
pub struct HookReceipt {
    /// `stored`, or `duplicate` for a delivery stored before.
    pub status: &'static str,
    /// The raw event's id.
    pub event_id: i64,
    /// Whether it was normalised (`normalized`, `ignored`, `failed`), for a
    /// delivery stored now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<EventStatus>,
    /// Why it was ignored or failed, or what did not resolve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The records it added to, as `kind key`.
    pub records: Vec<String>,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim).filter(|value| !value.is_empty())
}

fn required_header<'h>(headers: &'h HeaderMap, name: &str, what: &str) -> Result<&'h str, ApiError> {
    header(headers, name)
        .ok_or_else(|| ApiError::bad_request(format!("the {name} header is missing; it names the {what}")))
}

/// Refuses a source without a configured secret (unless opened), then
/// verifies the delivery with `verify`.
fn authorize(
    state: &AppState,
    source: HookSource,
    verify: impl FnOnce(&[u8]) -> Result<(), SignatureError>,
) -> Result<(), ApiError> {
    match state.settings.hook_auth(source) {
        HookAuth::Secret(secret) => verify(secret.expose()).map_err(|error| ApiError::unauthorized(error.to_string())),
        HookAuth::Open => Ok(()),
        HookAuth::Refused => Err(ApiError::forbidden(format!(
            "no secret is configured for {} webhooks, so deliveries cannot be verified; set {} \
             (or accept unverified deliveries with `paved serve --open-hook {}`)",
            source.name(),
            source.secret_variable(),
            source.name()
        ))),
    }
}

/// Parses the body as JSON, or answers 400 with the parse error.
fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|error| ApiError::bad_request(format!("the body is not valid JSON: {error}")))
}

fn body_digest(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Derives a delivery against the current catalog and stores it.
async fn store_delivery(
    state: &AppState,
    source: &str,
    event_type: &str,
    delivery_id: String,
    body: Vec<u8>,
    context: Value,
) -> Result<HookReceipt, ApiError> {
    let catalog = state.catalog.current().await?;
    let received_at = Utc::now();
    let input = RawInput { source, event_type, body: &body, context: &context, received_at };
    let derivation = paved_ingest::derive(&input, &catalog, &state.settings.ingest);
    let (outcome, reason) = (derivation.status, derivation.reason.clone());
    let event = NewRawEvent {
        source: source.to_owned(),
        event_type: event_type.to_owned(),
        delivery_id,
        received_at,
        body,
        context,
    };
    let ingested = state.ingestor.ingest(IngestEvent { event, derivation, audit: None }).await?;
    let records = ingested.records.iter().map(|r| format!("{} {}", r.kind().as_str(), r.key())).collect();
    Ok(match ingested.raw {
        RawEventInsert::Stored(event_id) => {
            tracing::info!(source, event_type, event_id, outcome = outcome.as_str(), "stored a delivery");
            HookReceipt { status: "stored", event_id, outcome: Some(outcome), reason, records }
        }
        RawEventInsert::Duplicate(event_id) => {
            HookReceipt { status: "duplicate", event_id, outcome: None, reason: None, records }
        }
    })
}

/// A GitHub webhook delivery.
#[utoipa::path(
    post,
    path = "/hooks/github",
    tag = "webhooks",
    request_body(content = Object, description = "A GitHub webhook payload, signed with `X-Hub-Signature-256`"),
    responses(
        (status = 200, body = HookReceipt, description = "Stored (or a redelivery, which changed nothing)"),
        (status = 400, body = crate::error::ErrorBody, description = "A header is missing or the body is not JSON"),
        (status = 401, body = crate::error::ErrorBody, description = "The signature is missing or wrong"),
        (status = 403, body = crate::error::ErrorBody, description = "No secret is configured"),
        (status = 413, body = crate::error::ErrorBody, description = "The body is too large"),
    )
)]
pub async fn github_hook(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<HookReceipt>, ApiError> {
    authorize(&state, HookSource::GitHub, |secret| {
        github::verify(secret, &body, header(&headers, github::SIGNATURE_HEADER))
    })?;
    let event_type = required_header(&headers, github::EVENT_HEADER, "event")?.to_owned();
    let delivery = required_header(&headers, github::DELIVERY_HEADER, "delivery")?.to_owned();
    json_body(&body)?;
    Ok(Json(store_delivery(&state, source::GITHUB, &event_type, delivery, body.to_vec(), json!({})).await?))
}

/// A GitLab webhook delivery.
#[utoipa::path(
    post,
    path = "/hooks/gitlab",
    tag = "webhooks",
    request_body(content = Object, description = "A GitLab webhook payload, with `X-Gitlab-Token`"),
    responses(
        (status = 200, body = HookReceipt, description = "Stored (or a redelivery, which changed nothing)"),
        (status = 400, body = crate::error::ErrorBody, description = "A header is missing or the body is not JSON"),
        (status = 401, body = crate::error::ErrorBody, description = "The token is missing or wrong"),
        (status = 403, body = crate::error::ErrorBody, description = "No token is configured"),
        (status = 413, body = crate::error::ErrorBody, description = "The body is too large"),
    )
)]
pub async fn gitlab_hook(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<HookReceipt>, ApiError> {
    authorize(&state, HookSource::GitLab, |token| gitlab::verify(token, header(&headers, gitlab::TOKEN_HEADER)))?;
    let event_type = required_header(&headers, gitlab::EVENT_HEADER, "event")?.to_owned();
    json_body(&body)?;
    // GitLab before 15.x sends neither id: the body itself identifies it.
    let delivery =
        gitlab::delivery_id(header(&headers, gitlab::IDEMPOTENCY_HEADER), header(&headers, gitlab::EVENT_UUID_HEADER))
            .unwrap_or_else(|| format!("sha256:{}", body_digest(&body)));
    Ok(Json(store_delivery(&state, source::GITLAB, &event_type, delivery, body.to_vec(), json!({})).await?))
}

/// A PagerDuty v3 webhook delivery.
#[utoipa::path(
    post,
    path = "/hooks/pagerduty",
    tag = "webhooks",
    request_body(content = Object, description = "A PagerDuty v3 webhook payload, signed with `X-PagerDuty-Signature`"),
    responses(
        (status = 200, body = HookReceipt, description = "Stored (or a redelivery, which changed nothing)"),
        (status = 400, body = crate::error::ErrorBody, description = "The body is not JSON"),
        (status = 401, body = crate::error::ErrorBody, description = "The signature is missing or wrong"),
        (status = 403, body = crate::error::ErrorBody, description = "No secret is configured"),
        (status = 413, body = crate::error::ErrorBody, description = "The body is too large"),
    )
)]
pub async fn pagerduty_hook(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<HookReceipt>, ApiError> {
    authorize(&state, HookSource::PagerDuty, |secret| {
        pagerduty::verify(secret, &body, header(&headers, pagerduty::SIGNATURE_HEADER))
    })?;
    let value = json_body(&body)?;
    let event_type = value.pointer("/event/event_type").and_then(Value::as_str).unwrap_or("unknown").to_owned();
    let delivery = pagerduty::delivery_id(&body).unwrap_or_else(|| format!("sha256:{}", body_digest(&body)));
    Ok(Json(store_delivery(&state, source::PAGERDUTY, &event_type, delivery, body.to_vec(), json!({})).await?))
}

/// An Alertmanager notification (webhook version 4).
#[utoipa::path(
    post,
    path = "/hooks/alertmanager",
    tag = "webhooks",
    request_body(content = Object, description = "An Alertmanager webhook notification (version 4)"),
    responses(
        (status = 200, body = HookReceipt, description = "Stored (or a repeat, which changed nothing)"),
        (status = 400, body = crate::error::ErrorBody, description = "The body is not JSON"),
        (status = 401, body = crate::error::ErrorBody, description = "No valid token as `Authorization: Bearer`"),
        (status = 413, body = crate::error::ErrorBody, description = "The body is too large"),
    ),
    security(("bearer" = []))
)]
pub async fn alertmanager_hook(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<HookReceipt>, ApiError> {
    caller_from_header(&state.store, header(&headers, AUTHORIZATION.as_str())).await?;
    let value = json_body(&body)?;
    let event_type = value.get("status").and_then(Value::as_str).unwrap_or("alert").to_owned();
    // Alertmanager sends no delivery id; a notification repeated unchanged
    // (its repeat_interval) is the same delivery.
    let delivery = format!("sha256:{}", body_digest(&body));
    Ok(Json(store_delivery(&state, source::ALERTMANAGER, &event_type, delivery, body.to_vec(), json!({})).await?))
}

/// PagerDuty's answer to an event.
fn events_answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// An event for the PagerDuty Events API v2 compatible receiver.
#[utoipa::path(
    post,
    path = "/v2/enqueue",
    tag = "webhooks",
    request_body(content = Object, description = "A PagerDuty Events API v2 event; `routing_key` is a pavedroad API token"),
    responses(
        (status = 202, description = "`{\"status\": \"success\", \"message\": \"Event processed\", \"dedup_key\"}`"),
        (status = 400, description = "`{\"status\": \"invalid event\", \"message\", \"errors\"}`"),
        (status = 401, description = "The routing key (or bearer token) is not a valid token"),
    )
)]
pub async fn enqueue(State(state): State<AppState>, headers: HeaderMap, RawBody(body): RawBody) -> Response {
    let request = match events_v2::check(&body) {
        Ok(request) => request,
        Err(invalid) => return events_answer(StatusCode::BAD_REQUEST, invalid.response_body()),
    };
    let authorization = header(&headers, AUTHORIZATION.as_str());
    let caller = match authorization {
        Some(_) => caller_from_header(&state.store, authorization).await,
        None => caller_from_token(&state.store, &request.routing_key).await,
    };
    if let Err(error) = caller {
        let status = error.status();
        return events_answer(status, json!({"status": "unauthorized", "message": error.message()}));
    }
    let dedup_key = request.dedup_key.clone().unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let context = json!({"dedup_key": dedup_key});
    // The routing key is a pavedroad token: it is never stored (DESIGN §8).
    let body = redact(&body, &request.routing_key);
    let delivery = format!("sha256:{}", body_digest(&[body.as_slice(), dedup_key.as_bytes()].concat()));
    let action = request.action.as_str();
    match store_delivery(&state, source::EVENTS_V2, action, delivery, body, context).await {
        Ok(_) => events_answer(
            StatusCode::ACCEPTED,
            json!({"status": "success", "message": "Event processed", "dedup_key": dedup_key}),
        ),
        Err(error) => error.into_response(),
    }
}

/// `body` with every occurrence of `secret` replaced by `[redacted]`.
fn redact(body: &[u8], secret: &str) -> Vec<u8> {
    let secret = secret.as_bytes();
    if secret.is_empty() {
        return body.to_vec();
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.windows(secret.len()).position(|window| window == secret) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(b"[redacted]");
        rest = &rest[at + secret.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn secrets_are_redacted_everywhere_in_a_body() {
        let body = br#"{"routing_key": "paved_abc", "payload": {"summary": "paved_abc leaked"}}"#;
        let redacted = String::from_utf8(redact(body, "paved_abc")).unwrap();
        assert_eq!(redacted, r#"{"routing_key": "[redacted]", "payload": {"summary": "[redacted] leaked"}}"#);
        assert_eq!(redact(b"abc", ""), b"abc");
    }
}
