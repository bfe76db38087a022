//! Paging (DESIGN §7 On call): escalations and the notifications their
//! steps send, kept in the store so that a timer survives a restart and
//! every notification is sent once across replicas.
//!
//! An escalation's next step is due at a time. Any replica claims due
//! escalations under a lease ([`PagingStore::claim_due_escalations`]),
//! works out whom the step pages, and fires it
//! ([`PagingStore::fire_step`]): the notifications are inserted with their
//! idempotency keys and the escalation moves on, in one transaction that
//! holds only while the lease is still the replica's. Notifications are
//! claimed the same way and marked sent, retried or failed. A replica that
//! dies loses its leases when they run out; what it fired is not fired
//! again (the keys), and what it was sending is sent by another (at least
//! once; the key goes with the message so receivers can drop a repeat).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{NewAudit, StoreError};

/// Where an escalation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationState {
    /// Its next step fires at `due_at` unless someone answers.
    Active,
    /// Someone acknowledged the incident: it stopped.
    Acknowledged,
    /// The incident was resolved: it stopped.
    Resolved,
    /// Every step of every round fired and nobody answered.
    Exhausted,
}

impl EscalationState {
    /// The state as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
            Self::Exhausted => "exhausted",
        }
    }

    /// Reads [`Self::as_str`]'s words.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "active" => Self::Active,
            "acknowledged" => Self::Acknowledged,
            "resolved" => Self::Resolved,
            "exhausted" => Self::Exhausted,
            _ => return None,
        })
    }
}

/// An escalation to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEscalation {
    /// The incident's record key.
    pub incident_key: String,
    /// The Component's reference, when known.
    pub service: Option<String>,
    /// The EscalationPolicy's reference (or the name of the default).
    pub policy: String,
    /// The policy's steps as JSON.
    pub plan: serde_json::Value,
    /// When the first step fires (now, usually).
    pub due_at: DateTime<Utc>,
}

/// An escalation as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Escalation {
    /// Its id.
    pub id: i64,
    /// See [`NewEscalation::incident_key`].
    pub incident_key: String,
    /// See [`NewEscalation::service`].
    pub service: Option<String>,
    /// See [`NewEscalation::policy`].
    pub policy: String,
    /// See [`NewEscalation::plan`].
    pub plan: serde_json::Value,
    /// Where it stands.
    pub state: EscalationState,
    /// The next step to fire, from 0.
    pub step: i64,
    /// The round of repeats the next step is in, from 0.
    pub round: i64,
    /// When the next step fires.
    pub due_at: DateTime<Utc>,
    /// Who stopped it (an acknowledgement's or resolution's actor).
    pub stopped_by: Option<String>,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What firing a step does to its escalation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Step `step` of round `round` fires at `due_at`.
    At {
        /// The step.
        step: i64,
        /// The round.
        round: i64,
        /// When.
        due_at: DateTime<Utc>,
    },
    /// That was the last step of the last round.
    Exhausted,
}

/// One step to fire with [`PagingStore::fire_steps`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredStep {
    /// The escalation.
    pub id: i64,
    /// The pages it makes.
    pub notifications: Vec<NewNotification>,
    /// What follows.
    pub next: NextStep,
    /// Its audit entry.
    pub audit: NewAudit,
}

/// A notification to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// The User paged.
    pub person: String,
    /// `email`, `slack` or `webhook`.
    pub channel: String,
    /// Which of the person's contacts of that channel, from 0.
    pub contact_index: i64,
    /// What may be shown of the contact (never a secret).
    pub shown: String,
    /// Unique per incident, round, step, person and contact.
    pub idempotency_key: String,
}

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationState {
    /// Waiting to be sent (again, after a failure, at `next_attempt_at`).
    Pending,
    /// Delivered to the contact.
    Sent,
    /// Given up on.
    Failed,
    /// Not sent: the incident was answered first.
    Cancelled,
}

impl NotificationState {
    /// The state as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Reads [`Self::as_str`]'s words.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => Self::Pending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// A notification as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Its id.
    pub id: i64,
    /// The escalation that sent it.
    pub escalation_id: i64,
    /// The incident's record key.
    pub incident_key: String,
    /// The round of repeats, from 0.
    pub round: i64,
    /// The step, from 0.
    pub step: i64,
    /// See [`NewNotification::person`].
    pub person: String,
    /// See [`NewNotification::channel`].
    pub channel: String,
    /// See [`NewNotification::contact_index`].
    pub contact_index: i64,
    /// See [`NewNotification::shown`].
    pub shown: String,
    /// See [`NewNotification::idempotency_key`].
    pub idempotency_key: String,
    /// Where it stands.
    pub state: NotificationState,
    /// How many times sending was tried.
    pub attempts: i64,
    /// When it is (next) sent.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// What the receiver answered when it was delivered, e.g. `the SMTP
    /// server 127.0.0.1:2525 accepted it (250)`.
    pub receipt: Option<String>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the step fired.
    pub created_at: DateTime<Utc>,
}

/// How an attempt to send a notification ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Delivered.
    Sent {
        /// What the receiver answered.
        receipt: String,
    },
    /// Failed; try again at the time.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// Why it failed.
        error: String,
    },
    /// Failed for good.
    Failed {
        /// Why.
        error: String,
    },
}

/// The paging half of the store contract.
#[async_trait]
pub trait PagingStore {
    /// Starts an escalation for an incident, unless it has one (a re-sent
    /// alert pages nobody again): the escalation started, or `None`.
    async fn start_escalation(&self, escalation: &NewEscalation) -> Result<Option<Escalation>, StoreError> {
        Ok(self.start_escalations(std::slice::from_ref(escalation)).await?.into_iter().next())
    }

    /// [`PagingStore::start_escalation`] for many, in one transaction: the
    /// escalations started (incidents that had one already are left out).
    async fn start_escalations(&self, escalations: &[NewEscalation]) -> Result<Vec<Escalation>, StoreError>;

    /// Stops the incident's escalation if it is active (acknowledged or
    /// resolved, by `by`) and cancels its notifications not sent yet; the
    /// escalation stopped, or `None`.
    async fn stop_escalation(
        &self,
        incident_key: &str,
        state: EscalationState,
        by: Option<&str>,
    ) -> Result<Option<Escalation>, StoreError>;

    /// Up to `limit` active escalations due by `now` whose lease is free,
    /// now leased to `owner` until `lease_until`, oldest due first.
    async fn claim_due_escalations(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Escalation>, StoreError>;

    /// Fires the current step of escalation `id` if `owner` still holds its
    /// lease and it is active: inserts `notifications` (each key once,
    /// ever), moves the escalation to `next`, frees the lease and audits
    /// it, in one transaction. `false` when the lease was lost or the
    /// escalation stopped meanwhile (nothing changed).
    async fn fire_step(
        &self,
        id: i64,
        owner: &str,
        notifications: &[NewNotification],
        next: &NextStep,
        audit: &NewAudit,
    ) -> Result<bool, StoreError> {
        let step = FiredStep { id, notifications: notifications.to_vec(), next: next.clone(), audit: audit.clone() };
        Ok(self.fire_steps(owner, std::slice::from_ref(&step)).await?.first().copied().unwrap_or(false))
    }

    /// [`PagingStore::fire_step`] for many, in one transaction: for each,
    /// whether it fired.
    async fn fire_steps(&self, owner: &str, steps: &[FiredStep]) -> Result<Vec<bool>, StoreError>;

    /// Makes the next step of escalation `id` due now (its page could not
    /// be delivered anywhere); `false` when it is not active.
    async fn escalate_now(&self, id: i64) -> Result<bool, StoreError>;

    /// Up to `limit` pending notifications due by `now` whose lease is
    /// free, now leased to `owner` until `lease_until`.
    async fn claim_due_notifications(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError>;

    /// Records how sending notification `id` went, if `owner` still holds
    /// its lease; the notification as stored after, or `None`.
    async fn finish_notification(
        &self,
        id: i64,
        owner: &str,
        delivery: &Delivery,
    ) -> Result<Option<Notification>, StoreError> {
        Ok(self.finish_notifications(owner, &[(id, delivery.clone())]).await?.into_iter().next().flatten())
    }

    /// [`PagingStore::finish_notification`] for many, in one transaction.
    async fn finish_notifications(
        &self,
        owner: &str,
        deliveries: &[(i64, Delivery)],
    ) -> Result<Vec<Option<Notification>>, StoreError>;

    /// The incident's escalation.
    async fn escalation(&self, incident_key: &str) -> Result<Option<Escalation>, StoreError>;

    /// The incident's notifications, in the order they were made.
    async fn notifications(&self, incident_key: &str) -> Result<Vec<Notification>, StoreError>;

    /// The escalation with id `id`.
    async fn escalation_by_id(&self, id: i64) -> Result<Option<Escalation>, StoreError>;

    /// The server key `name`: the one stored, or `candidate`, stored now
    /// (the first replica to ask decides for all).
    async fn server_key(&self, name: &str, candidate: &str) -> Result<String, StoreError>;
}
