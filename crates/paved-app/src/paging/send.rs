//! Firing due steps and delivering their pages.

use chrono::Utc;
use futures_util::StreamExt as _;
use paved_domain::{CatalogIndex, EntityRef, Incident, Record, RecordKind};
use paved_store::{Delivery, FiredStep, NewAudit, NewNotification, Notification, NotificationState};

use std::collections::HashMap;

use paved_domain::Contact;

use super::route::people_of;
use super::{EscalationPlan, PageFailure, PageMessage, Pager, backoff};
use crate::contacts::all_contacts;
use crate::{App, AppError};

/// How many escalations or notifications one pass takes.
const BATCH: i64 = 500;
/// How many pages one pager sends at once.
const IN_FLIGHT: usize = 32;

impl App {
    /// Fires the escalation steps that are due, as replica `owner`: each
    /// step's people and their contacts become notifications (each once,
    /// whichever replica fires it, however often). A step that reaches
    /// nobody (no one on call, no contact) makes the next step due at once.
    /// The number of steps fired.
    ///
    /// # Errors
    /// A store failure.
    pub async fn fire_due_steps(&self, owner: &str) -> Result<usize, AppError> {
        let now = Utc::now();
        let lease = chrono::Duration::from_std(self.paging.lease).unwrap_or_else(|_| chrono::Duration::seconds(30));
        let due = self.store.claim_due_escalations(owner, now, now + lease, BATCH).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let catalog = self.catalog.current().await?;
        let added = self.opened_contacts(None).await?;
        let mut steps = Vec::with_capacity(due.len());
        for escalation in due {
            let plan: EscalationPlan = match serde_json::from_value(escalation.plan.clone()) {
                Ok(plan) => plan,
                Err(error) => {
                    tracing::error!(incident = %escalation.incident_key, %error, "an escalation's plan does not read");
                    continue;
                }
            };
            let Some(step) = usize::try_from(escalation.step).ok().and_then(|i| plan.steps.get(i)) else { continue };
            let people = people_of(self, &catalog, &step.notify).await?;
            let mut notifications = Vec::new();
            for person in &people {
                for (channel, index, shown) in contacts_of(&catalog, &added, person) {
                    notifications.push(NewNotification {
                        idempotency_key: format!(
                            "{}#r{}s{}:{}:{channel}{index}",
                            escalation.incident_key, escalation.round, escalation.step, person
                        ),
                        person: person.to_string(),
                        channel: channel.to_owned(),
                        contact_index: index,
                        shown,
                    });
                }
            }
            let nobody = notifications.is_empty();
            let next = plan.next(escalation.step, escalation.round, now, nobody);
            let names: Vec<&str> = people.iter().map(EntityRef::name).collect();
            let audit = NewAudit {
                actor: "paved".into(),
                action: "page.step".into(),
                target: format!("incident {}", escalation.incident_key),
                detail: Some(format!(
                    "step {} (round {}) of {}: {}",
                    escalation.step + 1,
                    escalation.round + 1,
                    plan.policy,
                    if nobody { "reached nobody".to_owned() } else { names.join(", ") }
                )),
                service: None,
                decision: None,
            };
            if nobody {
                tracing::warn!(
                    incident = %escalation.incident_key,
                    step = escalation.step + 1,
                    "an escalation step reached nobody (no one on call, or no contact); the next step is due now"
                );
            }
            steps.push(FiredStep { id: escalation.id, notifications, next, audit });
        }
        // Every step of the claim in one transaction.
        let fired = self.store.fire_steps(owner, &steps).await?.into_iter().filter(|fired| *fired).count();
        if fired > 0 {
            self.wake_pager();
        }
        Ok(fired)
    }

    /// Delivers the pages that are due through `pager`, as replica
    /// `owner`: a delivered page is recorded on its incident (a raw event
    /// of source `paved`, type `page`); a failure is retried with
    /// [`super::backoff`] up to the configured attempts; when every page of
    /// a step failed, the next step is due at once. The number delivered.
    ///
    /// # Errors
    /// A store failure.
    pub async fn send_due_pages(&self, owner: &str, pager: &dyn Pager) -> Result<usize, AppError> {
        let now = Utc::now();
        let lease = chrono::Duration::from_std(self.paging.lease).unwrap_or_else(|_| chrono::Duration::seconds(30));
        let due = self.store.claim_due_notifications(owner, now, now + lease, BATCH).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let catalog = self.catalog.current().await?;
        let added = self.opened_contacts(None).await?;
        // Send the batch at once, a bounded number in flight: a slow SMTP
        // server must not hold every other page back.
        let attempts: Vec<(Notification, PageMessage, Delivery)> = futures_util::stream::iter(due)
            .map(|notification| {
                let (catalog, added) = (&catalog, &added);
                async move {
                    let message = self.page_message(catalog, &notification).await?;
                    let sent = match contact_of(catalog, added, &notification) {
                        Some(contact) => pager.send(&notification, &contact, &message).await,
                        None => Err(PageFailure {
                            retryable: false,
                            message: format!("{} no longer has this contact", notification.person),
                        }),
                    };
                    let delivery = match sent {
                        Ok(receipt) => Delivery::Sent { receipt },
                        Err(failure) if failure.retryable && notification.attempts < self.paging.max_attempts => {
                            let wait = chrono::Duration::from_std(backoff(notification.attempts))
                                .unwrap_or_else(|_| chrono::Duration::seconds(5));
                            Delivery::Retry { at: Utc::now() + wait, error: failure.message }
                        }
                        Err(failure) => Delivery::Failed { error: failure.message },
                    };
                    Ok::<_, AppError>((notification, message, delivery))
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        let deliveries: Vec<(i64, Delivery)> = attempts.iter().map(|(n, _, d)| (n.id, d.clone())).collect();
        let finished = self.store.finish_notifications(owner, &deliveries).await?;
        let mut recorded = Vec::new();
        for ((_, message, _), finished) in attempts.iter().zip(finished) {
            let Some(finished) = finished else { continue };
            match finished.state {
                NotificationState::Sent => recorded.push((finished, message.service.clone())),
                NotificationState::Failed => {
                    tracing::warn!(
                        incident = %finished.incident_key,
                        person = %finished.person,
                        channel = %finished.channel,
                        error = finished.last_error.as_deref(),
                        "a page could not be delivered"
                    );
                    self.escalate_if_nobody_reached(&finished).await?;
                }
                NotificationState::Pending | NotificationState::Cancelled => {}
            }
        }
        // Recorded together: the ingestion writes them in one batch.
        let sent = recorded.len();
        futures_util::future::try_join_all(
            recorded.iter().map(|(finished, service)| self.record_page(finished, service.as_deref())),
        )
        .await?;
        Ok(sent)
    }

    /// Makes the next step due now when no page of `failed`'s step was
    /// delivered and none is still being tried.
    async fn escalate_if_nobody_reached(&self, failed: &Notification) -> Result<(), AppError> {
        let all = self.store.notifications(&failed.incident_key).await?;
        let step = all.iter().filter(|n| n.round == failed.round && n.step == failed.step);
        if step.clone().all(|n| n.state == NotificationState::Failed)
            && self.store.escalate_now(failed.escalation_id).await?
        {
            tracing::warn!(incident = %failed.incident_key, "no page of the step was delivered; escalating at once");
            self.wake_pager();
        }
        Ok(())
    }

    /// What the page of `notification` says.
    async fn page_message(&self, catalog: &CatalogIndex, notification: &Notification) -> Result<PageMessage, AppError> {
        let incident = match self.store.record(RecordKind::Incident, &notification.incident_key).await? {
            Some(Record::Incident(incident)) => incident,
            _ => Incident::new(notification.incident_key.clone(), "unknown"),
        };
        let service = incident.service.as_ref();
        let info = service.and_then(|s| catalog.service(s));
        let also_paged = self
            .store
            .notifications(&notification.incident_key)
            .await?
            .into_iter()
            .filter(|n| n.person != notification.person && n.state != NotificationState::Cancelled)
            .filter_map(|n| n.person.parse::<EntityRef>().ok().map(|p| p.name().to_owned()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        Ok(PageMessage {
            incident_key: incident.key.clone(),
            title: incident.title.clone().unwrap_or_else(|| format!("incident {}", incident.key)),
            severity: incident.severity.clone(),
            service: service.map(|s| s.name().to_owned()).or(incident.service_name.clone()),
            team: info.and_then(|i| i.owner.as_ref()).map(|o| o.name().to_owned()),
            step: notification.step + 1,
            round: notification.round + 1,
            runbook: info.and_then(|i| i.runbooks.first().cloned()),
            also_paged,
            opened_at: incident.opened_at,
        })
    }

    /// Records a delivered page on its incident, through the raw-event
    /// path, so that every analysis of pages sees it.
    async fn record_page(&self, notification: &Notification, service: Option<&str>) -> Result<(), AppError> {
        let event = paved_ingest::paved::PageEvent {
            incident_key: notification.incident_key.clone(),
            service: service.map(str::to_owned),
            person: notification.person.clone(),
            at: crate::deploy::runs::storable(notification.sent_at.unwrap_or_else(Utc::now)),
            reason: if notification.step == 0 && notification.round == 0 { "triggered" } else { "escalated" }
                .to_owned(),
            notification: notification.id,
        };
        self.record_own_event(paved_ingest::paved::PAGE, event.delivery_id(), &event).await
    }
}

/// A person's contacts: `(channel, index among that channel's, shown)`,
/// in the order the catalog lists them.
fn contacts_of(
    catalog: &CatalogIndex,
    added: &HashMap<String, Vec<Contact>>,
    person: &EntityRef,
) -> Vec<(&'static str, i64, String)> {
    let mut counts: HashMap<&'static str, i64> = HashMap::new();
    all_contacts(catalog, added, person)
        .map(|contact| {
            let index = counts.entry(contact.kind()).or_default();
            let found = (contact.kind(), *index, contact.redacted());
            *index += 1;
            found
        })
        .collect()
}

/// The contact a notification names: its person's `index`-th contact of
/// its channel, as the catalog and their added contacts hold them now.
fn contact_of(
    catalog: &CatalogIndex,
    added: &HashMap<String, Vec<Contact>>,
    notification: &Notification,
) -> Option<Contact> {
    let person = notification.person.parse::<EntityRef>().ok()?;
    all_contacts(catalog, added, &person)
        .filter(|contact| contact.kind() == notification.channel)
        .nth(usize::try_from(notification.contact_index).ok()?)
        .cloned()
}
