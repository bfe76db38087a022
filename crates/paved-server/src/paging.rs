//! Pages leave through here: the application's [`Pager`], implemented
//! with `paved-notify` (e-mail, Slack-compatible and generic webhooks),
//! and the signed acknowledge and resolve links every page carries.
//!
//! A link names the escalation (one per incident), the action and the
//! person paged, and expires after [`LINK_LIFETIME`]; it is signed with the
//! configured `link_key`, or a random key the first replica stores in the
//! database for all.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use paved_app::paging::{PageFailure, PageMessage, Pager};
use paved_domain::{Contact, IncidentStatus};
use paved_notify::links::{Action, ActionClaims};
use paved_notify::{DeliveryKey, Message, Notifier, NotifierSettings};
use paved_store::{DynStore, Notification};

/// How long a page's links act.
pub const LINK_LIFETIME: chrono::Duration = chrono::Duration::days(7);

/// The key and the base URL of pages' links.
#[derive(Clone)]
pub struct Links {
    key: Arc<Vec<u8>>,
    base: Arc<String>,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links").field("key", &"***").field("base", &self.base).finish()
    }
}

impl Links {
    /// Links under `base` (`https://paved.example.com`), signed with
    /// `configured`, else the key stored in the database (made now by the
    /// first replica that asks).
    ///
    /// # Errors
    /// The store cannot be read or written.
    pub async fn resolve(
        store: &DynStore,
        configured: Option<&paved_notify::Secret>,
        base: &str,
    ) -> Result<Self, paved_store::StoreError> {
        let key = match configured {
            Some(secret) => secret.expose().to_vec(),
            None => {
                let mut candidate = [0_u8; 32];
                getrandom::fill(&mut candidate).map_err(|error| {
                    paved_store::StoreError::Corrupt(format!("no randomness for the link key: {error}"))
                })?;
                store.server_key("link", &hex::encode(candidate)).await?.into_bytes()
            }
        };
        Ok(Self { key: Arc::new(key), base: Arc::new(base.trim_end_matches('/').to_owned()) })
    }

    /// The link that does `action` on escalation `escalation` as `person`.
    pub fn action_url(&self, escalation: i64, action: Action, person: &str) -> String {
        let claims = ActionClaims {
            incident_id: escalation,
            action,
            person: person.to_owned(),
            expires_at: Utc::now() + LINK_LIFETIME,
        };
        format!("{}/act/{}", self.base, paved_notify::links::sign(&self.key, &claims))
    }

    /// The page of incident `key`.
    pub fn incident_url(&self, key: &str) -> String {
        format!("{}/incidents/{}", self.base, crate::web::encode(key))
    }

    /// What a link's token says, if it is one of ours and still acts.
    ///
    /// # Errors
    /// Why not: malformed, signed with another key, or expired.
    pub fn verify(&self, token: &str) -> Result<ActionClaims, paved_notify::links::LinkError> {
        paved_notify::links::verify(&self.key, token, Utc::now())
    }
}

/// The [`Pager`] of a server: sends each page through [`Notifier`], with
/// signed acknowledge and resolve links.
pub struct NotifyPager {
    notifier: Notifier,
    links: Links,
}

impl NotifyPager {
    /// A pager sending through `settings`, with links from `links`.
    ///
    /// # Errors
    /// The SMTP settings cannot make a client.
    pub fn new(settings: NotifierSettings, links: Links) -> Result<Self, paved_notify::SettingsError> {
        Ok(Self { notifier: Notifier::new(settings)?, links })
    }
}

#[async_trait]
impl Pager for NotifyPager {
    async fn send(
        &self,
        notification: &Notification,
        contact: &Contact,
        message: &PageMessage,
    ) -> Result<String, PageFailure> {
        let key = DeliveryKey::new(notification.idempotency_key.as_str()).map_err(|_| PageFailure {
            retryable: false,
            message: "the notification's key is not a delivery key".to_owned(),
        })?;
        let person = &notification.person;
        let outgoing = Message {
            incident_id: notification.escalation_id,
            title: message.title.clone(),
            severity: message.severity.clone(),
            status: IncidentStatus::Open,
            service: message.service.clone().unwrap_or_else(|| "an unknown service".to_owned()),
            owner_team: message.team.clone(),
            step: u32::try_from(message.step).unwrap_or(u32::MAX),
            runbook_url: message.runbook.clone(),
            also_paged: message.also_paged.clone(),
            incident_url: self.links.incident_url(&message.incident_key),
            ack_url: self.links.action_url(notification.escalation_id, Action::Ack, person),
            resolve_url: self.links.action_url(notification.escalation_id, Action::Resolve, person),
            fired_at: message.opened_at.unwrap_or(notification.created_at),
        };
        match self.notifier.notify(contact, &outgoing, &key).await {
            Ok(delivered) => Ok(delivered.detail),
            Err(error) => Err(PageFailure { retryable: error.is_retryable(), message: error.to_string() }),
        }
    }
}
