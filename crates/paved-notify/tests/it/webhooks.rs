//! Slack-compatible and generic webhooks delivered to an HTTP server on
//! 127.0.0.1 that records what it receives and answers what the test says.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use paved_domain::Contact;
use paved_notify::links::{Action, verify};
use paved_notify::render::WebhookBody;
use paved_notify::{Channel, DeliveryKey, Notifier, NotifierSettings, NotifyError, Secret};
use sha2::Sha256;

use crate::support::{LINK_KEY, closed_port, message, now, token_of};

const SECRET: &str = "the webhook signing secret";

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// How the receiver answers.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Status(StatusCode, &'static str),
    Redirect,
    /// Answers 200 after this long.
    Slowly(Duration),
}

#[derive(Clone)]
struct Receiver {
    answer: Answer,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A receiver on 127.0.0.1; its base URL and what it received.
async fn receiver(answer: Answer) -> (String, Arc<Mutex<Vec<Received>>>) {
    async fn handle(
        State(receiver): State<Receiver>,
        uri: axum::http::Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        receiver.received.lock().unwrap().push(Received { path: uri.path().to_owned(), headers, body });
        match receiver.answer {
            Answer::Status(status, body) => (status, body).into_response(),
            Answer::Redirect => Redirect::temporary("/elsewhere").into_response(),
            Answer::Slowly(wait) => {
                tokio::time::sleep(wait).await;
                "ok".into_response()
            }
        }
    }
    let received = Arc::new(Mutex::new(Vec::new()));
    let state = Receiver { answer, received: received.clone() };
    let router = Router::new().route("/{*path}", post(handle)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, received)
}

fn notifier(timeout: Duration) -> Notifier {
    Notifier::new(NotifierSettings { smtp: None, webhook_secret: Secret::new(SECRET), timeout }).unwrap()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}

#[tokio::test]
async fn slack_receives_its_json_with_the_links() {
    let (base, received) = receiver(Answer::Status(StatusCode::OK, "ok")).await;
    let contact: Contact = format!("slack:{base}/services/T000/B000/SECRETPATH").parse().unwrap();
    let key = DeliveryKey::new("incident-42/step-1/user:default/ana/slack").unwrap();
    let message = message();

    let delivered = notifier(Duration::from_secs(10)).notify(&contact, &message, &key).await.expect("delivered");
    assert_eq!(delivered.channel, Channel::Slack);
    assert_eq!(delivered.detail, "answered 200 OK");
    assert!(!delivered.contact.contains("SECRETPATH"), "{}", delivered.contact);

    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.path, "/services/T000/B000/SECRETPATH");
    assert_eq!(header(&request.headers, "content-type"), "application/json");
    assert_eq!(header(&request.headers, "x-paved-delivery"), key.as_str());
    let json: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON");
    let text = json["text"].as_str().expect("text, which every Slack-compatible receiver reads");
    assert!(text.starts_with("[paved] SEV-2 checkout-api: High error rate\n"), "{text}");
    // `&` in the link is escaped as Slack's text wants it.
    let ack = message.ack_url.replace('&', "&amp;");
    assert!(text.contains(&format!("<{ack}|Acknowledge>")), "{text}");
    let buttons = json["blocks"].as_array().unwrap().last().unwrap()["elements"].as_array().unwrap().clone();
    assert_eq!(buttons[0]["url"], message.ack_url.as_str());
    assert_eq!(buttons[1]["url"], message.resolve_url.as_str());
    let claims = verify(LINK_KEY, token_of(buttons[1]["url"].as_str().unwrap()), now()).unwrap();
    assert_eq!(claims.action, Action::Resolve);
}

#[tokio::test]
async fn a_generic_webhook_receives_signed_json_with_its_delivery_key() {
    let (base, received) = receiver(Answer::Status(StatusCode::NO_CONTENT, "")).await;
    let contact: Contact = format!("webhook:{base}/paved").parse().unwrap();
    let key = DeliveryKey::new("incident-42/step-1/user:default/ana/webhook").unwrap();
    let message = message();

    let notifier = notifier(Duration::from_secs(10));
    let delivered = notifier.notify(&contact, &message, &key).await.expect("delivered");
    assert_eq!((delivered.channel, delivered.detail.as_str()), (Channel::Webhook, "answered 204 No Content"));
    // A retry carries the same key, for the receiver to drop.
    notifier.notify(&contact, &message, &key).await.expect("delivered again");

    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    for request in &received {
        assert_eq!(header(&request.headers, "x-paved-delivery"), key.as_str());
        assert_eq!(header(&request.headers, "x-paved-event"), "incident.page");
        assert_eq!(header(&request.headers, "content-type"), "application/json");
        // Verified as a receiver would: HMAC-SHA256 of the raw body, in
        // constant time, before parsing.
        let signature = header(&request.headers, "x-paved-signature-256");
        let hex_mac = signature.strip_prefix("sha256=").expect("sha256=");
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(&request.body);
        mac.verify_slice(&hex::decode(hex_mac).unwrap()).expect("the signature verifies");
        let mut wrong = Hmac::<Sha256>::new_from_slice(b"another secret").unwrap();
        wrong.update(&request.body);
        assert!(wrong.verify_slice(&hex::decode(hex_mac).unwrap()).is_err());
    }
    let body: WebhookBody = serde_json::from_slice(&received[0].body).expect("the documented JSON");
    assert_eq!(body.event, "incident.page");
    assert_eq!(body.version, 1);
    assert_eq!(body.delivery, key.as_str());
    assert_eq!((body.incident.id, body.incident.title.as_str()), (42, "High error rate"));
    assert_eq!(body.incident.severity.as_deref(), Some("SEV-2"));
    assert_eq!(body.incident.status, "open");
    assert_eq!(body.incident.fired_at, "2026-11-03T10:00:00Z");
    assert_eq!(body.service.name, "checkout-api");
    assert_eq!(body.service.owner.as_deref(), Some("group:default/shop"));
    assert_eq!(body.step, 1);
    assert_eq!(body.also_paged, ["Ben Ortiz"]);
    assert_eq!(body.runbook_url.as_deref(), Some("https://wiki.example.com/runbooks/checkout-api"));
    let claims = verify(LINK_KEY, token_of(&body.links.acknowledge), now()).unwrap();
    assert_eq!((claims.incident_id, claims.action), (42, Action::Ack));
    assert_eq!(verify(LINK_KEY, token_of(&body.links.resolve), now()).unwrap().action, Action::Resolve);
}

async fn failure(answer: Answer, timeout: Duration) -> NotifyError {
    let (base, _) = receiver(answer).await;
    let contact: Contact = format!("slack:{base}/services/T000/B000/SECRETPATH").parse().unwrap();
    let key = DeliveryKey::new("k").unwrap();
    let err = notifier(timeout).notify(&contact, &message(), &key).await.unwrap_err();
    assert!(!err.to_string().contains("SECRETPATH"), "{err}");
    assert!(err.to_string().starts_with(&format!("slack:{base}/…: ")), "{err}");
    err
}

#[tokio::test]
async fn a_5xx_is_worth_retrying_and_a_4xx_is_not() {
    let err = failure(Answer::Status(StatusCode::INTERNAL_SERVER_ERROR, "rollup_error"), Duration::from_secs(10)).await;
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.reason(), "answered 500 Internal Server Error (rollup_error)");

    let err = failure(Answer::Status(StatusCode::BAD_REQUEST, "invalid_payload"), Duration::from_secs(10)).await;
    assert!(!err.is_retryable(), "{err}");
    assert_eq!(err.reason(), "answered 400 Bad Request (invalid_payload)");

    // A body that is not a short error code is not repeated.
    let err =
        failure(Answer::Status(StatusCode::GONE, "<html>channel archived, token=abc</html>"), Duration::from_secs(10))
            .await;
    assert_eq!(err.reason(), "answered 410 Gone");

    let err = failure(Answer::Status(StatusCode::TOO_MANY_REQUESTS, ""), Duration::from_secs(10)).await;
    assert!(err.is_retryable(), "{err}");

    let err = failure(Answer::Redirect, Duration::from_secs(10)).await;
    assert!(!err.is_retryable(), "{err}");
    assert!(err.reason().contains("a redirect"), "{err}");
}

#[tokio::test]
async fn a_receiver_too_slow_to_answer_is_worth_retrying() {
    let err = failure(Answer::Slowly(Duration::from_secs(5)), Duration::from_millis(500)).await;
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.reason(), "no answer within 0.5 s");
}

#[tokio::test]
async fn a_closed_port_is_worth_retrying() {
    let contact: Contact = format!("webhook:http://127.0.0.1:{}/hooks/SECRETPATH", closed_port()).parse().unwrap();
    let key = DeliveryKey::new("k").unwrap();
    let err = notifier(Duration::from_secs(10)).notify(&contact, &message(), &key).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.reason().starts_with("could not connect: "), "{err}");
    assert!(!err.to_string().contains("SECRETPATH"), "{err}");
}
