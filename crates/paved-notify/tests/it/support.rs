//! What the tests share: a page to send, with real signed links.

use chrono::{DateTime, Utc};
use paved_domain::IncidentStatus;
use paved_notify::Message;
use paved_notify::links::{Action, ActionClaims, sign};

/// The key the links are signed with.
pub const LINK_KEY: &[u8] = b"a link key of thirty-two bytes!!";

pub fn now() -> DateTime<Utc> {
    "2026-11-03T10:00:30Z".parse().unwrap()
}

/// A link to the confirm page of `action` on incident 42 for Ana.
pub fn link(action: Action) -> String {
    let claims = ActionClaims {
        incident_id: 42,
        action,
        person: "user:default/ana".to_owned(),
        expires_at: "2026-11-04T10:00:00Z".parse().unwrap(),
    };
    format!("https://paved.example.com/actions/{}?token={}", action.as_str(), sign(LINK_KEY, &claims))
}

/// A page about incident 42 on checkout-api.
pub fn message() -> Message {
    Message {
        incident_id: 42,
        title: "High error rate".to_owned(),
        severity: Some("SEV-2".to_owned()),
        status: IncidentStatus::Open,
        service: "checkout-api".to_owned(),
        owner_team: Some("group:default/shop".to_owned()),
        step: 1,
        runbook_url: Some("https://wiki.example.com/runbooks/checkout-api".to_owned()),
        also_paged: vec!["Ben Ortiz".to_owned()],
        incident_url: "https://paved.example.com/incidents/42".to_owned(),
        ack_url: link(Action::Ack),
        resolve_url: link(Action::Resolve),
        fired_at: "2026-11-03T10:00:00Z".parse().unwrap(),
    }
}

/// The token of an action link.
pub fn token_of(url: &str) -> &str {
    url.split_once("token=").map(|(_, token)| token).expect("a token in the link")
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}
