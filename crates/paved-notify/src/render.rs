//! A [`Message`] worded for each channel. Pure functions: the senders call
//! them, and tests and previews can too.
//!
//! Whatever came from an alert or the catalog (title, severity, service,
//! names, URLs) is escaped for the channel: HTML in the e-mail's HTML part,
//! Slack's `&`, `<`, `>` in its text. A URL is a link only when it is
//! `http(s)`; otherwise it is shown as text.

use serde::{Deserialize, Serialize};

use crate::message::{Message, one_line};
use crate::notifier::DeliveryKey;

/// The longest headline shown in a subject or Slack's header (Slack's
/// header block takes 150 characters); longer ones end in `…`.
const HEADLINE_MAX_CHARS: usize = 140;

fn headline(message: &Message) -> String {
    let headline = message.headline();
    if headline.chars().count() <= HEADLINE_MAX_CHARS {
        return headline;
    }
    let mut short: String = headline.chars().take(HEADLINE_MAX_CHARS - 1).collect();
    short.push('…');
    short
}

fn is_http(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

fn fired_at(message: &Message) -> String {
    message.fired_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn also_paged(message: &Message) -> String {
    let names: Vec<String> = message.also_paged.iter().map(|n| one_line(n)).filter(|n| !n.is_empty()).collect();
    if names.is_empty() { "nobody else".to_owned() } else { names.join(", ") }
}

fn owner(message: &Message) -> String {
    message.owner_team.as_deref().map(one_line).filter(|o| !o.is_empty()).unwrap_or_else(|| "unknown".to_owned())
}

/// The e-mail's subject:
/// `[paved] SEV-2 checkout-api: High error rate — acknowledge: <ack URL>`.
/// One line, whatever the title holds.
pub fn email_subject(message: &Message) -> String {
    format!("[paved] {} — acknowledge: {}", headline(message), one_line(&message.ack_url))
}

/// The e-mail's plain-text part: the headline, the facts one per line, then
/// the acknowledge, resolve and incident links.
pub fn email_text(message: &Message) -> String {
    let runbook = message.runbook_url.as_deref().map(one_line).unwrap_or_else(|| "none".to_owned());
    let severity = message.severity.as_deref().map(one_line).unwrap_or_else(|| "not given".to_owned());
    format!(
        "{headline}\n\
         \n\
         Service:     {service} (owned by {owner})\n\
         Severity:    {severity}\n\
         Status:      {status}\n\
         Fired at:    {fired_at}\n\
         Step:        {step} of the escalation policy\n\
         Runbook:     {runbook}\n\
         Also paged:  {also_paged}\n\
         \n\
         Acknowledge: {ack}\n\
         Resolve:     {resolve}\n\
         Incident:    {incident}\n\
         \n\
         The acknowledge and resolve links are yours alone: each asks you to confirm, does one thing, and expires.\n\
         -- pavedroad\n",
        headline = headline(message),
        service = one_line(&message.service),
        owner = owner(message),
        status = message.status.as_str(),
        fired_at = fired_at(message),
        step = message.step,
        also_paged = also_paged(message),
        ack = one_line(&message.ack_url),
        resolve = one_line(&message.resolve_url),
        incident = one_line(&message.incident_url),
    )
}

/// Escapes text for HTML content and attribute values.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An `<a>` when `url` is http(s), else the escaped URL as text.
fn html_link(url: &str, text: &str) -> String {
    if is_http(url) { format!("<a href=\"{}\">{}</a>", html_escape(url), html_escape(text)) } else { html_escape(url) }
}

/// The e-mail's HTML part: the same facts as [`email_text`] in a small
/// table, with the links as links. Every value is escaped; no script, no
/// remote image, inline style only where mail clients need it.
pub fn email_html(message: &Message) -> String {
    let row = |name: &str, value: String| {
        format!("<tr><th style=\"text-align:left;padding-right:1em\">{name}</th><td>{value}</td></tr>\n")
    };
    let runbook = match message.runbook_url.as_deref() {
        Some(url) => html_link(url, url),
        None => "none".to_owned(),
    };
    let severity = message.severity.as_deref().map(one_line).unwrap_or_else(|| "not given".to_owned());
    let mut rows = String::new();
    rows.push_str(&row(
        "Service",
        format!("{} (owned by {})", html_escape(&one_line(&message.service)), html_escape(&owner(message))),
    ));
    rows.push_str(&row("Severity", html_escape(&severity)));
    rows.push_str(&row("Status", message.status.as_str().to_owned()));
    rows.push_str(&row("Fired at", fired_at(message)));
    rows.push_str(&row("Step", format!("{} of the escalation policy", message.step)));
    rows.push_str(&row("Runbook", runbook));
    rows.push_str(&row("Also paged", html_escape(&also_paged(message))));
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\n\
         <h1 style=\"font-size:1.2em\">{title}</h1>\n\
         <table>\n{rows}</table>\n\
         <p><strong>{ack}</strong> · {resolve} · {incident}</p>\n\
         <p>The acknowledge and resolve links are yours alone: each asks you to confirm, does one thing, and expires.</p>\n\
         </body></html>\n",
        title = html_escape(&headline(message)),
        ack = html_link(&message.ack_url, "Acknowledge"),
        resolve = html_link(&message.resolve_url, "Resolve"),
        incident = html_link(&message.incident_url, "Open the incident"),
    )
}

/// Escapes text for Slack's `mrkdwn` and `text` (`&`, `<`, `>`).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `<url|label>` when `url` is http(s) (with `|` and `>` in it
/// percent-encoded), else the escaped URL as text.
fn slack_link(url: &str, label: &str) -> String {
    if !is_http(url) {
        return slack_escape(url);
    }
    let url = url.replace('|', "%7C").replace('>', "%3E").replace('<', "%3C");
    format!("<{url}|{}>", slack_escape(label).replace('|', "¦"))
}

/// The JSON body of a Slack incoming webhook: `text` (the whole page in
/// one message, with `<url|label>` links: what Mattermost and Rocket.Chat,
/// which read `text` only, show, and Slack's notification) and `blocks`
/// (Slack's layout: a header, the facts, and buttons that open the
/// acknowledge, resolve and incident links).
pub fn slack(message: &Message) -> serde_json::Value {
    let headline = headline(message);
    let runbook = match message.runbook_url.as_deref() {
        Some(url) => slack_link(url, "runbook"),
        None => "no runbook".to_owned(),
    };
    let text = format!(
        "[paved] {headline}\nService {service} (owned by {owner}), step {step}, fired {fired_at}; {runbook}; also paged: {also}\n{ack} · {resolve} · {incident}",
        headline = slack_escape(&headline),
        service = slack_escape(&one_line(&message.service)),
        owner = slack_escape(&owner(message)),
        step = message.step,
        fired_at = fired_at(message),
        also = slack_escape(&also_paged(message)),
        ack = slack_link(&message.ack_url, "Acknowledge"),
        resolve = slack_link(&message.resolve_url, "Resolve"),
        incident = slack_link(&message.incident_url, "Open the incident"),
    );
    let field = |name: &str, value: String| serde_json::json!({"type": "mrkdwn", "text": format!("*{name}*\n{value}")});
    let severity = message.severity.as_deref().map(one_line).unwrap_or_else(|| "not given".to_owned());
    let mut buttons = Vec::new();
    for (label, url, style) in [
        ("Acknowledge", &message.ack_url, Some("primary")),
        ("Resolve", &message.resolve_url, None),
        ("Open the incident", &message.incident_url, None),
    ] {
        if !is_http(url) {
            continue;
        }
        let mut button = serde_json::json!({
            "type": "button",
            "text": {"type": "plain_text", "text": label},
            "url": url,
        });
        if let Some(style) = style {
            button["style"] = serde_json::json!(style);
        }
        buttons.push(button);
    }
    let mut blocks = vec![
        serde_json::json!({"type": "header", "text": {"type": "plain_text", "text": headline}}),
        serde_json::json!({"type": "section", "fields": [
            field("Service", slack_escape(&one_line(&message.service))),
            field("Owner", slack_escape(&owner(message))),
            field("Severity", slack_escape(&severity)),
            field("Status", message.status.as_str().to_owned()),
            field("Fired at", fired_at(message)),
            field("Step", message.step.to_string()),
        ]}),
        serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": format!(
            "*Runbook* {runbook}\n*Also paged* {}", slack_escape(&also_paged(message))
        )}}),
    ];
    if !buttons.is_empty() {
        blocks.push(serde_json::json!({"type": "actions", "elements": buttons}));
    }
    serde_json::json!({"text": text, "blocks": blocks})
}

/// The event a generic webhook delivery carries (also its
/// [`crate::EVENT_HEADER`]).
pub const PAGE_EVENT: &str = "incident.page";

/// The JSON body of a generic webhook delivery, version 1. Fields are never
/// removed or renamed within a version; new ones may appear, so receivers
/// should ignore what they do not know.
///
/// ```json
/// {
///   "event": "incident.page",
///   "version": 1,
///   "delivery": "incident-42/step-1/user:default/ana/webhook",
///   "incident": {"id": 42, "title": "High error rate", "severity": "SEV-2",
///                "status": "open", "url": "https://paved.example.com/incidents/42",
///                "fired_at": "2026-11-03T10:00:00Z"},
///   "service": {"name": "checkout-api", "owner": "group:default/shop"},
///   "step": 1,
///   "runbook_url": "https://wiki.example.com/runbooks/checkout-api",
///   "also_paged": ["Ben Ortiz"],
///   "links": {"acknowledge": "https://...", "resolve": "https://..."}
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookBody {
    /// Always [`PAGE_EVENT`], `incident.page`: a person is paged.
    pub event: String,
    /// The version of this format, 1.
    pub version: u32,
    /// The delivery's idempotency key, also in the `X-Paved-Delivery`
    /// header: the same page retried carries the same key.
    pub delivery: String,
    /// The incident.
    pub incident: WebhookIncident,
    /// The service it affects.
    pub service: WebhookService,
    /// The escalation step that pages (1 for the first).
    pub step: u32,
    /// The runbook to follow, or `null`.
    pub runbook_url: Option<String>,
    /// Who else this step paged (display names).
    pub also_paged: Vec<String>,
    /// The recipient's signed, single-purpose, expiring links. Following
    /// one shows a confirm page; its POST acts.
    pub links: WebhookLinks,
}

/// `incident` of [`WebhookBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookIncident {
    /// pavedroad's id of the incident.
    pub id: i64,
    /// Its one-line title.
    pub title: String,
    /// Its severity as its source writes it, or `null`.
    pub severity: Option<String>,
    /// `open`, `acknowledged` or `resolved`.
    pub status: String,
    /// Its page in pavedroad.
    pub url: String,
    /// When it fired, RFC 3339 in UTC.
    pub fired_at: String,
}

/// `service` of [`WebhookBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookService {
    /// The service's name.
    pub name: String,
    /// The team that owns it, or `null`.
    pub owner: Option<String>,
}

/// `links` of [`WebhookBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookLinks {
    /// Acknowledges the incident as the recipient.
    pub acknowledge: String,
    /// Resolves the incident as the recipient.
    pub resolve: String,
}

/// The generic webhook's body for `message`, delivered under `delivery`.
pub fn webhook(message: &Message, delivery: &DeliveryKey) -> WebhookBody {
    WebhookBody {
        event: PAGE_EVENT.to_owned(),
        version: 1,
        delivery: delivery.as_str().to_owned(),
        incident: WebhookIncident {
            id: message.incident_id,
            title: message.title.clone(),
            severity: message.severity.clone(),
            status: message.status.as_str().to_owned(),
            url: message.incident_url.clone(),
            fired_at: message.fired_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
        service: WebhookService { name: message.service.clone(), owner: message.owner_team.clone() },
        step: message.step,
        runbook_url: message.runbook_url.clone(),
        also_paged: message.also_paged.clone(),
        links: WebhookLinks { acknowledge: message.ack_url.clone(), resolve: message.resolve_url.clone() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::sample;

    #[test]
    fn the_subject_names_severity_service_title_and_the_ack_link() {
        assert_eq!(
            email_subject(&sample()),
            "[paved] SEV-2 checkout-api: High error rate — acknowledge: https://paved.example.com/actions/ack-token"
        );
        let mut long = sample();
        long.title = "x".repeat(500);
        let subject = email_subject(&long);
        assert!(subject.contains("x…"), "{subject}");
        assert!(subject.chars().count() < 250, "{subject}");
    }

    #[test]
    fn the_text_part_has_every_fact() {
        let text = email_text(&sample());
        for expected in [
            "SEV-2 checkout-api: High error rate\n",
            "Service:     checkout-api (owned by group:default/shop)\n",
            "Status:      open\n",
            "Fired at:    2026-11-03 10:00:00 UTC\n",
            "Step:        1 of the escalation policy\n",
            "Runbook:     https://wiki.example.com/runbooks/checkout-api\n",
            "Also paged:  Ben Ortiz\n",
            "Acknowledge: https://paved.example.com/actions/ack-token\n",
            "Resolve:     https://paved.example.com/actions/resolve-token\n",
            "Incident:    https://paved.example.com/incidents/42\n",
        ] {
            assert!(text.contains(expected), "{expected:?} in\n{text}");
        }
        let mut alone = sample();
        alone.also_paged.clear();
        alone.runbook_url = None;
        let text = email_text(&alone);
        assert!(text.contains("Also paged:  nobody else\n") && text.contains("Runbook:     none\n"), "{text}");
    }

    #[test]
    fn html_escapes_what_alerts_say_and_links_only_http() {
        let mut message = sample();
        message.title = "<script>alert(1)</script> & \"quotes\"".to_owned();
        message.runbook_url = Some("javascript:alert(1)".to_owned());
        message.also_paged = vec!["<b>Ben</b>".to_owned()];
        let html = email_html(&message);
        assert!(!html.contains("<script>") && !html.contains("<b>Ben"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"), "{html}");
        assert!(!html.contains("href=\"javascript:"), "{html}");
        assert!(html.contains("<a href=\"https://paved.example.com/actions/ack-token\">Acknowledge</a>"), "{html}");
    }

    #[test]
    fn slack_has_text_for_every_client_and_buttons_for_slack() {
        let mut message = sample();
        message.title = "a <b> & c".to_owned();
        let json = slack(&message);
        let text = json["text"].as_str().unwrap();
        assert!(text.starts_with("[paved] SEV-2 checkout-api: a &lt;b&gt; &amp; c\n"), "{text}");
        assert!(text.contains("<https://paved.example.com/actions/ack-token|Acknowledge>"), "{text}");
        assert!(text.contains("<https://wiki.example.com/runbooks/checkout-api|runbook>"), "{text}");
        let blocks = json["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["text"]["text"], "SEV-2 checkout-api: a <b> & c", "plain_text is not mrkdwn");
        let buttons = blocks.last().unwrap()["elements"].as_array().unwrap();
        let urls: Vec<&str> = buttons.iter().map(|b| b["url"].as_str().unwrap()).collect();
        assert_eq!(
            urls,
            [
                "https://paved.example.com/actions/ack-token",
                "https://paved.example.com/actions/resolve-token",
                "https://paved.example.com/incidents/42"
            ]
        );
    }

    #[test]
    fn the_webhook_body_carries_every_fact() {
        let key = DeliveryKey::new("incident-42/step-1/ana").unwrap();
        let body = serde_json::to_value(webhook(&sample(), &key)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "event": "incident.page",
                "version": 1,
                "delivery": "incident-42/step-1/ana",
                "incident": {"id": 42, "title": "High error rate", "severity": "SEV-2", "status": "open",
                             "url": "https://paved.example.com/incidents/42", "fired_at": "2026-11-03T10:00:00Z"},
                "service": {"name": "checkout-api", "owner": "group:default/shop"},
                "step": 1,
                "runbook_url": "https://wiki.example.com/runbooks/checkout-api",
                "also_paged": ["Ben Ortiz"],
                "links": {"acknowledge": "https://paved.example.com/actions/ack-token",
                          "resolve": "https://paved.example.com/actions/resolve-token"}
            })
        );
    }
}
