//! Slack-compatible and generic webhooks: a JSON POST, signed for generic
//! webhooks like GitHub signs its deliveries.

use std::time::Duration;

use hmac::{Hmac, Mac};
use paved_domain::HttpUrl;
use serde::Serialize;
use sha2::Sha256;

use crate::notifier::{DeliveryKey, Failure, innermost};
use crate::settings::Secret;

/// The header with the body's signature:
/// `sha256=<lower-case hex HMAC-SHA256 of the raw body>` under the
/// configured secret, as GitHub's `X-Hub-Signature-256`. Receivers compute
/// it over the bytes received, before parsing, and compare in constant
/// time.
pub const SIGNATURE_HEADER: &str = "X-Paved-Signature-256";
/// The header with the delivery's idempotency key: every attempt of one
/// delivery carries the same; a receiver may drop a key it has seen.
pub const DELIVERY_HEADER: &str = "X-Paved-Delivery";
/// The header with the event, `incident.page`.
pub const EVENT_HEADER: &str = "X-Paved-Event";

/// The value of [`SIGNATURE_HEADER`] for `body` under `secret`:
/// `sha256=` and the HMAC-SHA256 in lower-case hex.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The longest part of a refusal's body that is read: Slack's error codes
/// (`no_service`, `invalid_payload`) are short.
const BODY_READ_LIMIT: usize = 1024;

/// POSTs `body` as JSON to `url`, signed when `secret` is given; what the
/// receiver answered.
pub(crate) async fn post(
    client: &reqwest::Client,
    url: &HttpUrl,
    body: &impl Serialize,
    key: &DeliveryKey,
    secret: Option<&Secret>,
    timeout: Duration,
) -> Result<String, Failure> {
    let bytes = serde_json::to_vec(body).map_err(|e| Failure::permanent(format!("the body cannot be written: {e}")))?;
    let mut request = client
        .post(url.as_str())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(DELIVERY_HEADER, key.as_str())
        .header(EVENT_HEADER, crate::render::PAGE_EVENT);
    if let Some(secret) = secret {
        request = request.header(SIGNATURE_HEADER, signature(secret.expose(), &bytes));
    }
    let mut response = match request.body(bytes).send().await {
        Ok(response) => response,
        Err(e) if e.is_timeout() => {
            return Err(Failure::retry(format!("no answer within {} s", timeout.as_secs_f64())));
        }
        Err(e) if e.is_connect() => return Err(Failure::retry(format!("could not connect: {}", innermost(&e)))),
        // reqwest's own message names the URL: only its cause is shown.
        Err(e) => return Err(Failure::retry(format!("the request failed: {}", innermost(&e)))),
    };
    let status = response.status();
    if status.is_success() {
        return Ok(format!("answered {status}"));
    }
    // A short error code in the body, such as Slack's `no_service`, says
    // more than the status; anything else is not shown (a receiver may echo
    // the request, links and all).
    let mut read = Vec::new();
    while read.len() < BODY_READ_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => read.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let code = std::str::from_utf8(&read)
        .ok()
        .map(str::trim)
        .filter(|text| !text.is_empty() && text.len() <= 64)
        .filter(|text| text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(|text| format!(" ({text})"))
        .unwrap_or_default();
    let answered = format!("answered {status}{code}");
    if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
        Err(Failure::retry(answered))
    } else if status.is_redirection() {
        Err(Failure::permanent(format!("{answered}, a redirect; write the URL it redirects to")))
    } else {
        Err(Failure::permanent(answered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_githubs() {
        // GitHub's documented example: secret "It's a Secret to Everybody",
        // payload "Hello, World!".
        assert_eq!(
            signature(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }
}
