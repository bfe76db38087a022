//! E-mail through a real SMTP server: Python's aiosmtpd (Debian's
//! `python3-aiosmtpd`) writing what it receives to a Maildir, read back
//! with Python's own e-mail parser.
//!
//! Without aiosmtpd the test says SKIPPED, unless `PAVED_REQUIRE_SMTP` is
//! set (as `.ci/run` does, after installing the package): then it fails,
//! saying how to install it.

use std::time::Duration;

use paved_domain::Contact;
use paved_notify::links::{Action, verify};
use paved_notify::render::email_subject;
use paved_notify::{Channel, DeliveryKey, Notifier, NotifierSettings, SmtpSettings};
use paved_test_support::smtp::{SmtpServer, python_with_aiosmtpd};

use crate::support::{LINK_KEY, closed_port, message, now, token_of};

const FROM: &str = "pavedroad <paved@example.com>";

fn notifier(smtp_url: &str) -> Notifier {
    let settings = NotifierSettings {
        smtp: Some(SmtpSettings::parse(smtp_url, FROM).unwrap()),
        timeout: Duration::from_secs(10),
        ..NotifierSettings::default()
    };
    Notifier::new(settings).unwrap()
}

#[tokio::test]
async fn a_real_smtp_server_receives_the_page_with_its_ack_link() {
    let Some(python) = python_with_aiosmtpd("a_real_smtp_server_receives_the_page_with_its_ack_link") else {
        return;
    };
    let server = SmtpServer::start(&python);
    let notifier = notifier(&server.url());
    let message = message();
    let key = DeliveryKey::new("incident-42/step-1/user:default/ana/email").unwrap();
    let contact: Contact = "email:ana@example.com".parse().unwrap();

    let delivered = notifier.notify(&contact, &message, &key).await.expect("delivered");
    assert_eq!(delivered.channel, Channel::Email);
    assert_eq!(delivered.contact, "email:ana@example.com");
    assert_eq!(delivered.detail, format!("the SMTP server 127.0.0.1:{} accepted it (250)", server.port));

    let received = server.wait_for(1);
    let mail = &received[0];
    assert_eq!(mail["X-MailFrom"], "paved@example.com", "{mail:#}");
    assert_eq!(mail["X-RcptTo"], "ana@example.com");
    assert_eq!(mail["From"], "pavedroad <paved@example.com>");
    assert_eq!(mail["To"], "ana@example.com");
    assert_eq!(mail["Subject"], email_subject(&message));
    assert!(
        mail["Subject"]
            .as_str()
            .unwrap()
            .starts_with("[paved] SEV-2 checkout-api: High error rate — acknowledge: https://"),
        "{}",
        mail["Subject"]
    );
    assert_eq!(mail["X-Paved-Delivery"], key.as_str());
    assert_eq!(mail["Auto-Submitted"], "auto-generated");

    // The body carries the ack link, whole, and its token acknowledges
    // incident 42 as Ana.
    let text = mail["text"].as_str().unwrap();
    let ack_line = text.lines().find(|line| line.starts_with("Acknowledge: ")).expect("an Acknowledge line");
    let ack_url = ack_line.trim_start_matches("Acknowledge: ");
    assert_eq!(ack_url, message.ack_url);
    let claims = verify(LINK_KEY, token_of(ack_url), now()).expect("the link verifies");
    assert_eq!((claims.incident_id, claims.action, claims.person.as_str()), (42, Action::Ack, "user:default/ana"));
    assert!(text.contains("Runbook:     https://wiki.example.com/runbooks/checkout-api"), "{text}");
    assert!(text.contains("Also paged:  Ben Ortiz"), "{text}");
    let html = mail["html"].as_str().unwrap();
    let escaped_ack = message.ack_url.replace('&', "&amp;");
    assert!(html.contains(&format!("<a href=\"{escaped_ack}\">Acknowledge</a>")), "{html}");

    // A retry of the same delivery has the same Message-ID, so mail
    // systems can drop it.
    notifier.notify(&contact, &message, &key).await.expect("delivered again");
    let received = server.wait_for(2);
    assert_eq!(received[0]["Message-ID"], received[1]["Message-ID"]);
    assert!(
        received[0]["Message-ID"].as_str().unwrap().ends_with(".paved@example.com>"),
        "{}",
        received[0]["Message-ID"]
    );
}

#[tokio::test]
async fn an_smtp_server_that_is_down_is_worth_retrying() {
    let notifier = notifier(&format!("smtp://127.0.0.1:{}", closed_port()));
    let contact: Contact = "email:ana@example.com".parse().unwrap();
    let key = DeliveryKey::new("k").unwrap();
    let err = notifier.notify(&contact, &message(), &key).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(
        err.to_string().starts_with("email:ana@example.com: could not hand it to the SMTP server 127.0.0.1:"),
        "{err}"
    );
}
