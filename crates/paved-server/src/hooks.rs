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
//!
//! GitHub's `deployment_protection_rule` is a question as well as an event:
//! once stored, [`protection_rule`] answers it with the deploy policy (a
//! redelivery is answered again: that is how a lost answer is retried).

use axum::Json;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{SubsecRound, Utc};
use paved_domain::{CatalogIndex, Derivation, Record, RecordKind, Source};
use paved_ingest::signature::SignatureError;
use paved_ingest::{RawInput, alertmanager, events_v2, github, gitlab, pagerduty};
use paved_store::{IngestEvent, NewAudit, NewRawEvent, RawEventInsert};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::api::views::EventStatusView;
use crate::auth::caller_from_header;
use crate::extract::UnreadBody;
use crate::settings::{HookAuth, HookSource};
use crate::{ApiError, AppState};
use paved_app::Caller;

mod protection_rule;

/// What a webhook delivery became.
#[derive(Debug, Serialize, ToSchema)]
pub struct HookReceipt {
    /// `stored`, or `duplicate` for a delivery stored before.
    #[schema(value_type = crate::api::views::HookStatusSchema)]
    pub status: &'static str,
    /// The raw event's id.
    pub event_id: i64,
    /// Whether it was normalised (`normalized`, `ignored`, `failed`), for a
    /// delivery stored now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<EventStatusView>,
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

/// Refuses, before its body is read, a delivery that cannot pass
/// [`authorize`]: from a source without a configured secret (unless
/// opened), or without the header that carries its signature.
fn precheck(
    state: &AppState,
    source: HookSource,
    headers: &HeaderMap,
    signature_header: &'static str,
) -> Result<(), ApiError> {
    match state.settings.hook_auth(source) {
        HookAuth::Secret(_) if header(headers, signature_header).is_none() => {
            Err(ApiError::unauthorized(SignatureError::Missing { header: signature_header }.to_string()))
        }
        HookAuth::Secret(_) | HookAuth::Open => Ok(()),
        HookAuth::Refused => authorize(state, source, |_| Ok(())),
    }
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

/// Parses the body as JSON after [`check_json`], or answers 400.
fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    check_json(body)?;
    serde_json::from_slice(body).map_err(|error| ApiError::bad_request(format!("the body is not valid JSON: {error}")))
}

/// Checks the body by the rule every source follows
/// ([`paved_ingest::json::check`]: UTF-8, JSON, nested at most 128 deep),
/// or answers 400 saying what is wrong; nothing is stored then.
fn check_json(body: &[u8]) -> Result<(), ApiError> {
    paved_ingest::json::check(body).map_err(ApiError::bad_request)
}

fn body_digest(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Who sent a delivery, when a token authenticated it (Alertmanager,
/// Events API v2), for the ownership check and the audit log.
struct Sender<'c> {
    caller: &'c Caller,
    action: &'static str,
}

/// Checks that `sender` may act on every record `derivation` yields: a team
/// token only on the services its team owns (for news about an incident
/// opened earlier, the service of the stored incident).
async fn check_ownership(
    state: &AppState,
    catalog: &CatalogIndex,
    sender: &Sender<'_>,
    derivation: &Derivation,
) -> Result<(), ApiError> {
    if sender.caller.team().is_none() {
        return Ok(());
    }
    for record in &derivation.records {
        let service = match record {
            Record::Incident(incident) if incident.service.is_some() => incident.service.clone(),
            Record::Incident(incident) => match state.store.record(RecordKind::Incident, &incident.key).await? {
                Some(Record::Incident(stored)) => stored.service,
                _ => None,
            },
            Record::Deployment(deployment) => deployment.service.clone(),
            _ => continue,
        };
        match service {
            Some(service) => sender.caller.may_act_on(catalog, &service)?,
            None => sender.caller.may_act_without_service(&format!("{} `{}`", record.kind().as_str(), record.key()))?,
        }
    }
    Ok(())
}

/// Derives a delivery against the current catalog and stores it; with a
/// `sender`, only after checking that it may act on what the delivery
/// yields, and with an audit entry.
async fn store_delivery(
    state: &AppState,
    source: Source,
    event_type: &str,
    delivery_id: String,
    body: Vec<u8>,
    context: Value,
    sender: Option<Sender<'_>>,
) -> Result<HookReceipt, ApiError> {
    let catalog = state.catalog.current().await?;
    // Derived now with the instant as stored, so that a rebuild derives the
    // same times.
    let received_at = Utc::now().trunc_subsecs(6);
    let input = RawInput { source, event_type, body: &body, context: &context, received_at };
    let derivation = paved_ingest::derive(&input, &catalog, &state.ingest);
    let mut audit = None;
    if let Some(sender) = &sender {
        check_ownership(state, &catalog, sender, &derivation).await?;
        let targets: Vec<&str> = derivation.records.iter().map(Record::key).collect();
        audit = Some(NewAudit {
            actor: sender.caller.audit_name(),
            action: sender.action.to_owned(),
            target: if targets.is_empty() { "nothing".to_owned() } else { targets.join(", ") },
            detail: Some(format!("{source} {event_type}")),
            service: None,
            decision: None,
        });
    }
    let (outcome, reason) = (derivation.status, derivation.reason.clone());
    let event = NewRawEvent {
        source: source.as_str().to_owned(),
        event_type: event_type.to_owned(),
        delivery_id,
        received_at,
        body,
        context,
    };
    let ingested = state.ingestor.ingest(IngestEvent { event, derivation, audit }).await?;
    state.route_ingested(&ingested).await;
    let records = ingested.records.iter().map(|r| format!("{} {}", r.kind().as_str(), r.key())).collect();
    Ok(match ingested.raw {
        RawEventInsert::Stored(event_id) => {
            tracing::info!(
                source = source.as_str(),
                event_type,
                event_id,
                outcome = outcome.as_str(),
                "stored a delivery"
            );
            HookReceipt { status: "stored", event_id, outcome: Some(outcome.into()), reason, records }
        }
        RawEventInsert::Duplicate(event_id) => {
            HookReceipt { status: "duplicate", event_id, outcome: None, reason: None, records }
        }
    })
}

/// The context of a delivery of `source`: `{"verified": false}` when the
/// source is open (accepted without a secret), so that it can be told apart.
fn hook_context(state: &AppState, source: HookSource) -> Value {
    match state.settings.hook_auth(source) {
        HookAuth::Open => json!({"verified": false}),
        HookAuth::Secret(_) | HookAuth::Refused => json!({}),
    }
}

/// A GitHub webhook delivery.
#[utoipa::path(
    post,
    path = "/hooks/github",
    tag = "webhooks",
    params(
        ("X-GitHub-Event" = String, Header, description = "The event type (`push`, `pull_request`, `deployment_status`, ...)"),
        ("X-GitHub-Delivery" = String, Header, description = "The delivery's GUID: a redelivery has the same and changes nothing"),
        ("X-Hub-Signature-256" = String, Header, description = "`sha256=` and the HMAC-SHA256 of the body with the webhook's secret (`github_webhook_secret`)"),
    ),
    request_body(content = Object, description = "A GitHub webhook payload, signed with `X-Hub-Signature-256`"),
    responses(
        (status = 200, body = HookReceipt, description = "Stored (or a redelivery, which changed nothing)"),
        (status = 400, body = crate::error::ErrorBody, description = "A header is missing, the body is not JSON, or it is form-encoded (set Content type to application/json)"),
        (status = 401, body = crate::error::ErrorBody, description = "The signature is missing or wrong"),
        (status = 403, body = crate::error::ErrorBody, description = "No secret is configured"),
        (status = 413, body = crate::error::ErrorBody, description = "The body is too large"),
    )
)]
pub async fn github_hook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: UnreadBody,
) -> Result<Json<HookReceipt>, ApiError> {
    precheck(&state, HookSource::GitHub, &headers, github::SIGNATURE_HEADER)?;
    let body = body.read().await?;
    authorize(&state, HookSource::GitHub, |secret| {
        github::verify(secret, &body, header(&headers, github::SIGNATURE_HEADER))
    })?;
    let event_type = required_header(&headers, github::EVENT_HEADER, "event")?.to_owned();
    let delivery = required_header(&headers, github::DELIVERY_HEADER, "delivery")?.to_owned();
    if header(&headers, "content-type").is_some_and(|t| t.trim().starts_with("application/x-www-form-urlencoded")) {
        return Err(ApiError::bad_request(
            "the delivery is form-encoded: set Content type to application/json in the webhook's settings \
             (Settings, Webhooks, Edit) and redeliver it",
        ));
    }
    check_json(&body)?;
    let context = hook_context(&state, HookSource::GitHub);
    let receipt = store_delivery(&state, Source::GitHub, &event_type, delivery, body.to_vec(), context, None).await?;
    if event_type == github::PROTECTION_RULE_EVENT {
        protection_rule::answer_later(&state, &body, receipt.event_id);
    }
    Ok(Json(receipt))
}

/// A GitLab webhook delivery.
#[utoipa::path(
    post,
    path = "/hooks/gitlab",
    tag = "webhooks",
    params(
        ("X-Gitlab-Event" = String, Header, description = "The event type (`Push Hook`, `Merge Request Hook`, `Deployment Hook`, ...)"),
        ("X-Gitlab-Token" = String, Header, description = "The webhook's secret token (`gitlab_webhook_token`), compared in constant time"),
        ("Idempotency-Key" = Option<String>, Header, description = "The delivery's key, the same on a retry (GitLab 17.4 and later)"),
        ("X-Gitlab-Event-UUID" = Option<String>, Header, description = "The delivery's id when there is no `Idempotency-Key`"),
    ),
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
    body: UnreadBody,
) -> Result<Json<HookReceipt>, ApiError> {
    // GitLab's token is in a header: the whole check comes before the body.
    authorize(&state, HookSource::GitLab, |token| gitlab::verify(token, header(&headers, gitlab::TOKEN_HEADER)))?;
    let body = body.read().await?;
    let event_type = required_header(&headers, gitlab::EVENT_HEADER, "event")?.to_owned();
    check_json(&body)?;
    // GitLab before 15.x sends neither id: the body itself identifies it.
    let delivery =
        gitlab::delivery_id(header(&headers, gitlab::IDEMPOTENCY_HEADER), header(&headers, gitlab::EVENT_UUID_HEADER))
            .unwrap_or_else(|| format!("sha256:{}", body_digest(&body)));
    let context = hook_context(&state, HookSource::GitLab);
    Ok(Json(store_delivery(&state, Source::GitLab, &event_type, delivery, body.to_vec(), context, None).await?))
}

/// A PagerDuty v3 webhook delivery.
#[utoipa::path(
    post,
    path = "/hooks/pagerduty",
    tag = "webhooks",
    params(
        ("X-PagerDuty-Signature" = String, Header, description = "One or more `v1=` HMAC-SHA256 signatures of the body with the subscription's secret (`pagerduty_webhook_secret`), comma-separated"),
    ),
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
    body: UnreadBody,
) -> Result<Json<HookReceipt>, ApiError> {
    precheck(&state, HookSource::PagerDuty, &headers, pagerduty::SIGNATURE_HEADER)?;
    let body = body.read().await?;
    authorize(&state, HookSource::PagerDuty, |secret| {
        pagerduty::verify(secret, &body, header(&headers, pagerduty::SIGNATURE_HEADER))
    })?;
    let value = json_body(&body)?;
    let event_type = pagerduty::event_type(&value).to_owned();
    let delivery = pagerduty::delivery_id(&body).unwrap_or_else(|| format!("sha256:{}", body_digest(&body)));
    let context = hook_context(&state, HookSource::PagerDuty);
    Ok(Json(store_delivery(&state, Source::PagerDuty, &event_type, delivery, body.to_vec(), context, None).await?))
}

/// An Alertmanager notification (webhook version 4).
#[utoipa::path(
    post,
    path = "/hooks/alertmanager",
    tag = "webhooks",
    request_body(content = serde_json::Value, description = "An Alertmanager webhook notification (version 4). Any JSON is stored: what is not a notification is kept as failed, with the reason, on the data-quality page"),
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
    body: UnreadBody,
) -> Result<Json<HookReceipt>, ApiError> {
    let caller = caller_from_header(&state.store, header(&headers, AUTHORIZATION.as_str())).await?;
    let body = body.read().await?;
    let value = json_body(&body)?;
    let event_type = alertmanager::event_type(&value).to_owned();
    // Alertmanager sends no delivery id; a notification retried or repeated
    // unchanged is the same delivery.
    let delivery = format!("sha256:{}", body_digest(&body));
    let context = match alertmanager_incident_keys(&state, &body).await? {
        Some(keys) => json!({"incidents": keys}),
        None => json!({}),
    };
    let sender = Sender { caller: &caller, action: "alerts.deliver" };
    let receipt =
        store_delivery(&state, Source::Alertmanager, &event_type, delivery, body.to_vec(), context, Some(sender))
            .await?;
    Ok(Json(receipt))
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
    request_body(content = crate::api::enqueue_doc::EnqueueEvent, description = "A PagerDuty Events API v2 event; `routing_key` is a pavedroad API token"),
    responses(
        (status = 202, body = crate::api::enqueue_doc::EnqueueAccepted, description = "Taken (PagerDuty's answer)"),
        (status = 400, body = crate::api::enqueue_doc::EnqueueRefused, description = "An invalid event: every problem in `errors` (PagerDuty's answer)"),
        (status = 401, body = crate::api::enqueue_doc::EnqueueRefused, description = "The routing key (or bearer token) is not a valid token (status `unauthorized`)"),
        (status = 403, body = crate::api::enqueue_doc::EnqueueRefused, description = "The token may not act on the service the event names (status `unauthorized`)"),
    )
)]
pub async fn enqueue(State(state): State<AppState>, headers: HeaderMap, body: UnreadBody) -> Response {
    let body = match body.read().await {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    if let Err(problem) = paved_ingest::json::check(&body) {
        return events_answer(
            StatusCode::BAD_REQUEST,
            json!({"status": "invalid event", "message": "Event object is invalid", "errors": [problem]}),
        );
    }
    let request = match events_v2::check(&body) {
        Ok(request) => request,
        Err(invalid) => return events_answer(StatusCode::BAD_REQUEST, invalid.response_body()),
    };
    let authorization = header(&headers, AUTHORIZATION.as_str());
    let caller = match authorization {
        Some(_) => caller_from_header(&state.store, authorization).await,
        None => paved_app::tokens::authenticate(&state.store, &request.routing_key).await.map_err(ApiError::from),
    };
    let caller = match caller {
        Ok(caller) => caller,
        Err(error) if error.status().is_client_error() => {
            let status = error.status();
            return events_answer(status, json!({"status": "unauthorized", "message": error.message()}));
        }
        Err(error) => return error.into_response(),
    };
    let dedup_key = request.dedup_key.clone().unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let incident = match events_incident_key(&state, &caller, &dedup_key, request.action).await {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let context = json!({"dedup_key": dedup_key, "incident": incident});
    // The routing key is a pavedroad token: it is never stored (DESIGN §8).
    let body = events_v2::redact_routing_key(&body);
    // The same event for the same incident again (a retry, a repeated
    // trigger of an open incident) is the same delivery.
    let delivery = format!("sha256:{}", body_digest(&[body.as_slice(), incident.as_bytes()].concat()));
    let action = request.action.as_str();
    let sender = Sender { caller: &caller, action: "events.enqueue" };
    match store_delivery(&state, Source::EventsV2, action, delivery, body, context, Some(sender)).await {
        Ok(_) => events_answer(
            StatusCode::ACCEPTED,
            json!({"status": "success", "message": "Event processed", "dedup_key": dedup_key}),
        ),
        Err(error) => error.into_response(),
    }
}

/// The latest stored occurrence of an incident keyed `key(1)`, `key(2)`,
/// ...: its number and the incident, or `None` when even the first is not
/// stored. Occurrences are stored one after another, so the search gallops
/// then bisects: a few lookups even after hundreds of firings.
async fn latest_occurrence(
    state: &AppState,
    key: impl Fn(u32) -> String,
) -> Result<Option<(u32, paved_domain::Incident)>, ApiError> {
    let stored = |n: u32| {
        let key = key(n);
        async move { stored_incident(state, &key).await }
    };
    let Some(mut found) = stored(1).await? else { return Ok(None) };
    // `low` is stored; `high` is not (or is past u32::MAX).
    let (mut low, mut high) = (1u32, 2u32);
    while let Some(incident) = stored(high).await? {
        found = incident;
        low = high;
        match high.checked_mul(2) {
            Some(next) => high = next,
            None => return Ok(Some((low, found))),
        }
    }
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        match stored(middle).await? {
            Some(incident) => {
                found = incident;
                low = middle;
            }
            None => high = middle,
        }
    }
    Ok(Some((low, found)))
}

/// The incident an Events API v2 event is about. As at PagerDuty, a dedup
/// key belongs to its sender (here, the token) and names one incident at a
/// time: a trigger after that incident was resolved opens a new one
/// (`events:<token>:<dedup_key>`, then `...#2`, `...#3`); acknowledge and
/// resolve act on the latest.
async fn events_incident_key(
    state: &AppState,
    caller: &Caller,
    dedup_key: &str,
    action: events_v2::EventAction,
) -> Result<String, ApiError> {
    let scope = match caller {
        Caller::Token(token) => format!("token{}", token.id),
        Caller::Local => "local".to_owned(),
        Caller::Person { person, .. } => person.to_string(),
    };
    let base = format!("{}:{scope}:{dedup_key}", Source::EventsV2);
    let key = |occurrence: u32| if occurrence == 1 { base.clone() } else { format!("{base}#{occurrence}") };
    Ok(match latest_occurrence(state, key).await? {
        None => key(1),
        Some((n, incident)) if action == events_v2::EventAction::Trigger && incident.resolution().is_some() => {
            key(n + 1)
        }
        Some((n, _)) => key(n),
    })
}

/// The incident each alert of an Alertmanager notification belongs to
/// ([`alertmanager::incident_key`]): the latest firing of its fingerprint
/// while it is open; the next one when the alert fires again after the
/// latest was resolved (a start before that resolution is a late repeat of
/// the resolved firing). A resolution goes to the latest firing that had
/// started when the resolved alert did, so one delivered late does not
/// close a newer firing. A firing stored before the server chose keys
/// keeps its old key ([`alertmanager::legacy_incident_key`]). `None` for a
/// body that is not a notification: its normaliser says why.
async fn alertmanager_incident_keys(state: &AppState, body: &[u8]) -> Result<Option<Vec<String>>, ApiError> {
    /// How many earlier firings a late resolution is looked for among.
    const LATE_RESOLUTION_REACH: u32 = 8;
    let Ok(firings) = alertmanager::firings(body) else { return Ok(None) };
    let mut keys = Vec::with_capacity(firings.len());
    for firing in firings {
        let key = |n: u32| alertmanager::incident_key(firing.fingerprint, n);
        let Some((n, latest)) = latest_occurrence(state, key).await? else {
            keys.push(match firing.starts_at {
                Some(start)
                    if stored_incident(state, &alertmanager::legacy_incident_key(firing.fingerprint, start))
                        .await?
                        .is_some() =>
                {
                    alertmanager::legacy_incident_key(firing.fingerprint, start)
                }
                _ => key(1),
            });
            continue;
        };
        let started_before = |incident: &paved_domain::Incident| match (firing.starts_at, incident.opened_at) {
            (Some(start), Some(opened)) => opened <= start,
            _ => true,
        };
        if firing.resolved && !started_before(&latest) {
            let mut chosen = n;
            for earlier in (n.saturating_sub(LATE_RESOLUTION_REACH).max(1)..n).rev() {
                // A start after an earlier firing ended is not that firing.
                let was_firing = |incident: &paved_domain::Incident| {
                    started_before(incident)
                        && match (firing.starts_at, incident.resolved_at) {
                            (Some(start), Some(resolved)) => start < resolved,
                            _ => true,
                        }
                };
                if stored_incident(state, &key(earlier)).await?.is_some_and(|incident| was_firing(&incident)) {
                    chosen = earlier;
                    break;
                }
            }
            keys.push(key(chosen));
            continue;
        }
        keys.push(match latest.resolved_at {
            Some(resolved) if !firing.resolved && firing.starts_at.is_some_and(|start| start >= resolved) => key(n + 1),
            _ => key(n),
        });
    }
    Ok(Some(keys))
}

/// The incident stored under `key`, if any.
async fn stored_incident(state: &AppState, key: &str) -> Result<Option<paved_domain::Incident>, ApiError> {
    Ok(match state.store.record(RecordKind::Incident, key).await? {
        Some(Record::Incident(incident)) => Some(incident),
        _ => None,
    })
}
