//! Sending one page to one contact, and what came of it.

use std::fmt;

use paved_domain::Contact;

use crate::message::Message;
use crate::settings::{NotifierSettings, Secret, SettingsError};
use crate::smtp::SmtpSender;
use crate::webhook;

/// The caller's key of one delivery (one page, one contact), the same for
/// every attempt: generic webhooks and Slack get it as `X-Paved-Delivery`,
/// e-mails as `X-Paved-Delivery` and in their `Message-ID`, so a receiver
/// can drop a repeat. 1 to 200 visible ASCII characters (no space), e.g.
/// `incident-42/step-1/user:default/ana/email`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryKey(String);

/// Why a text is not a [`DeliveryKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a delivery key is 1 to 200 visible ASCII characters without spaces, e.g. `incident-42/step-1/ana/email`")]
pub struct DeliveryKeyError;

impl DeliveryKey {
    /// The longest key.
    pub const MAX_LEN: usize = 200;

    /// Checks `key`.
    ///
    /// # Errors
    /// [`DeliveryKeyError`] for an empty or too long key, or one with a
    /// space, a control or a non-ASCII character (it travels in headers).
    pub fn new(key: impl Into<String>) -> Result<Self, DeliveryKeyError> {
        let key = key.into();
        let ok = !key.is_empty() && key.len() <= Self::MAX_LEN && key.bytes().all(|b| b.is_ascii_graphic());
        if ok { Ok(Self(key)) } else { Err(DeliveryKeyError) }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeliveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a page travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// E-mail over SMTP.
    Email,
    /// A Slack-compatible incoming webhook.
    Slack,
    /// A generic webhook.
    Webhook,
}

impl Channel {
    /// `email`, `slack` or `webhook`, as contacts are written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Slack => "slack",
            Self::Webhook => "webhook",
        }
    }

    fn of(contact: &Contact) -> Self {
        match contact {
            Contact::Email(_) => Self::Email,
            Contact::Slack { .. } => Self::Slack,
            Contact::Webhook { .. } => Self::Webhook,
        }
    }
}

/// A page handed over: to the SMTP server, or to a webhook that answered
/// 2xx. (Whether a person read it is what acknowledging says.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// How it travelled.
    pub channel: Channel,
    /// To whom, redacted ([`Contact::redacted`]): safe to show and log.
    pub contact: String,
    /// What the receiver said, e.g. `the SMTP server 127.0.0.1:2525
    /// accepted it (250)` or `answered 200 OK`.
    pub detail: String,
}

/// Why a page was not delivered. The message names the contact redacted
/// and says what happened; it never holds a secret, a password or a
/// webhook URL's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// Worth trying again later ([`crate::backoff`]): no connection, a
    /// timeout, a 5xx, 408 or 429, an SMTP 4xx.
    #[error("{contact}: {reason}")]
    Retryable {
        /// The contact, redacted.
        contact: String,
        /// What happened.
        reason: String,
    },
    /// Trying again would fail the same way until someone changes
    /// something: a 4xx (the webhook was deleted, the payload refused), a
    /// redirect, an SMTP 5xx (no such mailbox), an address that cannot be
    /// sent to, a channel not configured.
    #[error("{contact}: {reason}")]
    Permanent {
        /// The contact, redacted.
        contact: String,
        /// What happened.
        reason: String,
    },
}

impl NotifyError {
    /// True when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }

    /// The contact, redacted.
    pub fn contact(&self) -> &str {
        match self {
            Self::Retryable { contact, .. } | Self::Permanent { contact, .. } => contact,
        }
    }

    /// What happened, without the contact.
    pub fn reason(&self) -> &str {
        match self {
            Self::Retryable { reason, .. } | Self::Permanent { reason, .. } => reason,
        }
    }
}

/// What a sender says went wrong, before the contact is added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub retryable: bool,
    pub reason: String,
}

impl Failure {
    pub(crate) fn retry(reason: impl Into<String>) -> Self {
        Self { retryable: true, reason: reason.into() }
    }

    pub(crate) fn permanent(reason: impl Into<String>) -> Self {
        Self { retryable: false, reason: reason.into() }
    }
}

/// Sends pages: e-mail over the configured SMTP server, Slack-compatible
/// and generic webhooks over HTTP(S). Cheap to clone; one per process is
/// enough.
#[derive(Debug, Clone)]
pub struct Notifier {
    smtp: Option<SmtpSender>,
    http: reqwest::Client,
    webhook_secret: Option<Secret>,
    timeout: std::time::Duration,
}

impl Notifier {
    /// Sets the senders up.
    ///
    /// # Errors
    /// [`SettingsError::Client`] when TLS cannot be set up (no usable
    /// crypto provider).
    pub fn new(settings: NotifierSettings) -> Result<Self, SettingsError> {
        let smtp = settings.smtp.as_ref().map(|smtp| SmtpSender::new(smtp, settings.timeout)).transpose()?;
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // A redirect would turn the POST into a GET, or take the
            // payload somewhere the contact did not name.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("pavedroad/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SettingsError::Client { problem: innermost(&e) })?;
        Ok(Self { smtp, http, webhook_secret: settings.webhook_secret, timeout: settings.timeout })
    }

    /// Sends `message` to `contact`, once. The caller retries a
    /// [`NotifyError::Retryable`] after [`crate::backoff`], with the same
    /// `key`.
    ///
    /// # Errors
    /// [`NotifyError`], retryable or permanent, naming the contact
    /// redacted.
    pub async fn notify(
        &self,
        contact: &Contact,
        message: &Message,
        key: &DeliveryKey,
    ) -> Result<Delivered, NotifyError> {
        let outcome = match contact {
            Contact::Email(address) => match &self.smtp {
                Some(smtp) => smtp.send(address, message, key).await,
                None => Err(Failure::permanent(
                    "e-mail is not configured; set smtp_url (PAVED_SMTP_URL) and smtp_from".to_owned(),
                )),
            },
            Contact::Slack { url } => {
                let body = crate::render::slack(message);
                webhook::post(&self.http, url, &body, key, None, self.timeout).await
            }
            Contact::Webhook { url } => match &self.webhook_secret {
                Some(secret) => {
                    let body = crate::render::webhook(message, key);
                    webhook::post(&self.http, url, &body, key, Some(secret), self.timeout).await
                }
                None => Err(Failure::permanent(
                    "generic webhooks are signed, and no webhook signing secret is configured".to_owned(),
                )),
            },
        };
        match outcome {
            Ok(detail) => Ok(Delivered { channel: Channel::of(contact), contact: contact.redacted(), detail }),
            Err(Failure { retryable: true, reason }) => {
                Err(NotifyError::Retryable { contact: contact.redacted(), reason })
            }
            Err(Failure { retryable: false, reason }) => {
                Err(NotifyError::Permanent { contact: contact.redacted(), reason })
            }
        }
    }
}

/// The innermost cause of `error`: for a failed request, what the network
/// said (`Connection refused (os error 111)`), without the URL that
/// reqwest's own message carries.
pub(crate) fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_keys_travel_in_headers() {
        assert!(DeliveryKey::new("incident-42/step-1/user:default/ana/email").is_ok());
        for bad in [String::new(), "a b".to_owned(), "a\nb".to_owned(), "é".to_owned(), "x".repeat(201)] {
            assert_eq!(DeliveryKey::new(bad.clone()), Err(DeliveryKeyError), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_channel_not_configured_fails_for_good_saying_what_to_set() {
        let notifier = Notifier::new(NotifierSettings::default()).unwrap();
        let key = DeliveryKey::new("k").unwrap();
        let message = crate::message::sample();
        let email: Contact = "email:ana@example.com".parse().unwrap();
        let err = notifier.notify(&email, &message, &key).await.unwrap_err();
        assert!(!err.is_retryable());
        assert_eq!(
            err.to_string(),
            "email:ana@example.com: e-mail is not configured; set smtp_url (PAVED_SMTP_URL) and smtp_from"
        );
        let webhook: Contact = "webhook:https://pager.example.com/secret-path".parse().unwrap();
        let err = notifier.notify(&webhook, &message, &key).await.unwrap_err();
        assert!(!err.is_retryable());
        assert!(err.to_string().starts_with("webhook:https://pager.example.com/…: "), "{err}");
    }
}
