//! Paging (DESIGN §7 On call): every new incident starts its service's
//! escalation policy; each step pages people through their contacts until
//! someone acknowledges; every delivered page is recorded on the incident,
//! so that the report counts pavedroad's own pages like imported ones.
//!
//! - [`App::route_incidents`] runs after every ingestion: an open incident
//!   without an escalation starts one (a re-sent alert, same record, starts
//!   nothing); an acknowledged or resolved one stops its escalation.
//! - [`App::fire_due_steps`] fires the steps that are due, on any replica
//!   (leases in the store; each notification once per idempotency key).
//! - [`App::send_due_pages`] delivers the notifications through a [`Pager`]
//!   and retries with backoff; a step that reaches nobody escalates at once.
//! - [`App::sweep_unrouted`] starts the escalations a crash left unstarted.

mod plan;
mod route;
mod send;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_store::Notification;
use serde::Serialize;

pub use plan::{EscalationPlan, PlanStep, PlanTarget};
pub use route::{PageAnswer, UnknownServiceIncident};

/// How long an incident counts as new: one opened earlier (an import of
/// history, a late delivery) is recorded but pages nobody.
pub const NEW_INCIDENT_WINDOW: Duration = Duration::from_secs(3600);

/// How the organisation pages.
#[derive(Debug, Clone)]
pub struct PagingSettings {
    /// The EscalationPolicy (a reference or name) for incidents whose
    /// service names none and whose team names none, and for alerts whose
    /// service is unknown.
    pub default_policy: Option<String>,
    /// How long a replica holds an escalation or a notification it works
    /// on before another may take it over.
    pub lease: Duration,
    /// How many times a notification is tried before it counts as failed.
    pub max_attempts: i64,
}

impl Default for PagingSettings {
    fn default() -> Self {
        Self { default_policy: None, lease: Duration::from_secs(30), max_attempts: 5 }
    }
}

/// What a page says: structured facts, which each channel renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageMessage {
    /// The incident's record key.
    pub incident_key: String,
    /// Its title.
    pub title: String,
    /// Its severity as the source wrote it.
    pub severity: Option<String>,
    /// The service's name, when known.
    pub service: Option<String>,
    /// The owning team's name, when known.
    pub team: Option<String>,
    /// The step that pages (from 1) and the round of repeats (from 1).
    pub step: i64,
    /// See `step`.
    pub round: i64,
    /// The service's runbook.
    pub runbook: Option<String>,
    /// Everyone else paged for the incident so far (User names).
    pub also_paged: Vec<String>,
    /// When the incident opened.
    pub opened_at: Option<DateTime<Utc>>,
}

/// Why a page was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageFailure {
    /// Worth trying again (a timeout, a refused connection, a 5xx).
    pub retryable: bool,
    /// What went wrong, without secrets.
    pub message: String,
}

/// Delivers pages: e-mail, Slack-compatible and generic webhooks.
#[async_trait]
pub trait Pager: Send + Sync {
    /// Sends `message` to `contact`, the one `notification` names (its
    /// person, channel and contact index), with the notification's
    /// idempotency key;
    /// what the receiver answered (e.g. `the SMTP server 127.0.0.1:2525
    /// accepted it (250)`), shown on the incident.
    async fn send(
        &self,
        notification: &Notification,
        contact: &paved_domain::Contact,
        message: &PageMessage,
    ) -> Result<String, PageFailure>;
}

/// How often a pager looks for due work when nothing woke it (steps due
/// by the clock, pages to retry, other replicas' escalations).
pub const POLL: Duration = Duration::from_secs(1);
/// How often a pager looks for incidents whose escalation a crash left
/// unstarted.
pub const SWEEP: Duration = Duration::from_secs(30);
/// How often a pager looks for missed heartbeats.
pub const HEARTBEAT_CHECK: Duration = Duration::from_secs(2);

impl crate::App {
    /// Pages until `shutdown` resolves, as replica `owner`: fires due
    /// steps and delivers due pages whenever this process starts an
    /// escalation or fires a step, and at least every [`POLL`]; sweeps for
    /// unstarted escalations every [`SWEEP`] and for missed heartbeats
    /// every [`HEARTBEAT_CHECK`]. Every replica runs one; the
    /// store's leases and keys make each step and each page happen once.
    pub async fn run_pager(&self, owner: &str, pager: &dyn Pager, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut sweep = tokio::time::interval(SWEEP);
        let mut heartbeats = tokio::time::interval(HEARTBEAT_CHECK);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = heartbeats.tick() => {
                    if let Err(error) = self.check_heartbeats().await {
                        tracing::warn!(%error, "looking for missed heartbeats failed");
                    }
                }
                _ = sweep.tick() => {
                    if let Err(error) = self.sweep_unrouted().await {
                        tracing::warn!(%error, "looking for incidents without an escalation failed");
                    }
                }
                _ = tokio::time::timeout(POLL, self.pager_woken()) => {}
            }
            // Work until nothing is due: a fired step's pages go out at once.
            loop {
                let started = self.start_queued_escalations().await.unwrap_or_else(|error| {
                    tracing::warn!(%error, "starting queued escalations failed; the sweep starts them");
                    0
                });
                let fired = self.fire_due_steps(owner).await.unwrap_or_else(|error| {
                    tracing::warn!(%error, "firing due escalation steps failed");
                    0
                });
                let sent = self.send_due_pages(owner, pager).await.unwrap_or_else(|error| {
                    tracing::warn!(%error, "delivering due pages failed");
                    0
                });
                if started == 0 && fired == 0 && sent == 0 {
                    break;
                }
            }
        }
    }
}

/// The wait before attempt `attempts + 1` of a notification: 5 s, 15 s,
/// 45 s, ... capped at 10 minutes.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::from_secs(5 * 3_u64.pow(exponent)).min(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(15));
        assert_eq!(backoff(3), Duration::from_secs(45));
        assert_eq!(backoff(9), Duration::from_secs(600));
    }
}
