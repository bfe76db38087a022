//! Paging people (DESIGN §7 "On call"): what a page says, how it reaches a
//! person's contact methods, and the signed links that acknowledge or
//! resolve the incident from the message.
//!
//! - [`Message`]: the facts of one page (incident, service, step, runbook,
//!   who else was paged, links), no prose. [`render`] words them for each
//!   channel: an e-mail's subject, text and HTML, Slack's JSON, and the
//!   generic webhook's JSON.
//! - [`Notifier`]: sends a [`Message`] to one [`Contact`] (e-mail over SMTP
//!   with lettre, Slack-compatible and generic webhooks with reqwest), and
//!   says whether a failure is worth retrying ([`NotifyError`]);
//!   [`backoff`] says when.
//! - [`links`]: `ActionClaims` signed into URL-safe tokens (HMAC-SHA256),
//!   each for one action on one incident by one person, until it expires.
//!
//! The caller (the escalation engine) decides whom to page, builds the
//! [`Message`] and the links, gives each delivery an idempotency key, and
//! keeps the outcome on the incident. Nothing here touches the store.
//!
//! Architecture invariant: no secret reaches an error message or a log.
//! SMTP credentials live in [`SmtpSettings`] (whose `Debug` hides them), a
//! webhook URL's path and query (Slack's secret) show as `…`, and the
//! webhook signing secret is a [`Secret`].
//!
//! [`Contact`]: paved_domain::Contact

mod backoff;
pub mod links;
mod message;
mod notifier;
pub mod render;
mod settings;
mod smtp;
mod webhook;

pub use backoff::{backoff, backoff_with_jitter};
pub use message::Message;
pub use notifier::{Channel, Delivered, DeliveryKey, DeliveryKeyError, Notifier, NotifyError};
pub use settings::{NotifierSettings, Secret, SettingsError, SmtpSettings, SmtpTls};
pub use webhook::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature};
