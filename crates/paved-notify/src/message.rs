//! What a page says, as facts: [`crate::render`] words it per channel.

use chrono::{DateTime, Utc};
use paved_domain::IncidentStatus;

/// One page about one incident to one person: the facts every channel
/// shows. Text fields come from alerts and the catalog and are rendered
/// escaped; URLs are shown as links only when they are `http(s)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The incident's id in pavedroad (its page is `incident_url`).
    pub incident_id: i64,
    /// The incident's one-line title, e.g. `High error rate`.
    pub title: String,
    /// Its severity as its source writes it (`SEV-2`, `critical`), if any.
    pub severity: Option<String>,
    /// Where it stands when the page is sent.
    pub status: IncidentStatus,
    /// The service's name, e.g. `checkout-api`.
    pub service: String,
    /// The team that owns the service (`group:default/shop`, or its
    /// display name), if known.
    pub owner_team: Option<String>,
    /// The escalation step that pages (1 for the first).
    pub step: u32,
    /// The runbook to follow, if the service or the alert names one.
    pub runbook_url: Option<String>,
    /// Who else this step paged (display names), so that people know who
    /// else may be on it.
    pub also_paged: Vec<String>,
    /// The incident's page in pavedroad.
    pub incident_url: String,
    /// The signed link that acknowledges the incident as the recipient.
    pub ack_url: String,
    /// The signed link that resolves the incident as the recipient.
    pub resolve_url: String,
    /// When the alert fired (the incident opened).
    pub fired_at: DateTime<Utc>,
}

impl Message {
    /// `SEV-2 checkout-api: High error rate` (the severity left out when
    /// unknown): the headline every channel starts with, without line
    /// breaks or control characters.
    pub fn headline(&self) -> String {
        let severity = self.severity.as_deref().map(one_line).filter(|s| !s.is_empty());
        let prefix = severity.map(|s| format!("{s} ")).unwrap_or_default();
        format!("{prefix}{}: {}", one_line(&self.service), one_line(&self.title))
    }
}

/// `text` on one line: control characters (line breaks among them) become
/// spaces, runs of spaces one, and the ends are trimmed.
pub(crate) fn one_line(text: &str) -> String {
    let spaced: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
pub(crate) fn sample() -> Message {
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
        ack_url: "https://paved.example.com/actions/ack-token".to_owned(),
        resolve_url: "https://paved.example.com/actions/resolve-token".to_owned(),
        fired_at: "2026-11-03T10:00:00Z".parse().unwrap(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headline_is_one_line() {
        let mut message = sample();
        assert_eq!(message.headline(), "SEV-2 checkout-api: High error rate");
        message.title = "pay\r\nBcc: evil@example.com\t fails".to_owned();
        message.severity = None;
        assert_eq!(message.headline(), "checkout-api: pay Bcc: evil@example.com fails");
    }
}
