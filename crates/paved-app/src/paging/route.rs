//! Starting and stopping escalations as incidents arrive, and finding the
//! people a step pages.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use paved_domain::{CatalogIndex, EntityRef, Incident, IncidentStatus, Record, RecordKind};
use paved_store::{Escalation, EscalationState, NewEscalation, RecordFilter};

use super::{EscalationPlan, NEW_INCIDENT_WINDOW, PlanTarget};
use crate::{App, AppError};

impl App {
    /// Starts or stops escalations for the incidents among `records` (what
    /// an ingestion stored): an open, new incident queues its service's
    /// policy for this process's pager, which starts the queued ones in one
    /// transaction (an incident that has one already starts nothing); an
    /// acknowledged or resolved one stops its escalation at once. How many
    /// were queued.
    ///
    /// # Errors
    /// A store failure (the incident is stored; [`App::sweep_unrouted`]
    /// starts a missed escalation later).
    pub async fn route_incidents(&self, records: &[Record]) -> Result<usize, AppError> {
        let mut queued = 0;
        let incidents: Vec<&Incident> =
            records.iter().filter_map(|r| if let Record::Incident(i) = r { Some(i) } else { None }).collect();
        if incidents.is_empty() {
            return Ok(queued);
        }
        let catalog = self.catalog.current().await?;
        for incident in incidents {
            match incident.status() {
                IncidentStatus::Open => {
                    if let Some(escalation) = self.escalation_for(&catalog, incident)? {
                        self.queue_escalation(escalation);
                        queued += 1;
                    }
                }
                IncidentStatus::Acknowledged => {
                    let by = incident.acknowledged_by.as_ref().map(ToString::to_string);
                    self.stop_escalation(&incident.key, EscalationState::Acknowledged, by.as_deref()).await?;
                }
                IncidentStatus::Resolved => {
                    let by = incident.resolved_by.as_ref().map(ToString::to_string);
                    self.stop_escalation(&incident.key, EscalationState::Resolved, by.as_deref()).await?;
                }
            }
        }
        Ok(queued)
    }

    /// Starts the escalations queued by [`App::route_incidents`], in one
    /// transaction. How many started.
    ///
    /// # Errors
    /// A store failure (the queued ones are lost to this process; the sweep
    /// starts them).
    pub async fn start_queued_escalations(&self) -> Result<usize, AppError> {
        let queued = self.take_queued_escalations();
        if queued.is_empty() {
            return Ok(0);
        }
        let started = self.store.start_escalations(&queued).await?;
        for escalation in &started {
            tracing::info!(incident = %escalation.incident_key, policy = %escalation.policy, "escalation started");
        }
        Ok(started.len())
    }

    async fn stop_escalation(&self, key: &str, state: EscalationState, by: Option<&str>) -> Result<(), AppError> {
        if let Some(stopped) = self.store.stop_escalation(key, state, by).await? {
            tracing::info!(incident = key, state = state.as_str(), by, "escalation stopped");
            let _ = stopped;
        }
        Ok(())
    }

    /// The escalation `incident` calls for: none when it opened too long
    /// ago to page, or nothing pages for its service.
    fn escalation_for(&self, catalog: &CatalogIndex, incident: &Incident) -> Result<Option<NewEscalation>, AppError> {
        let now = Utc::now();
        let window = Duration::from_std(NEW_INCIDENT_WINDOW).unwrap_or_else(|_| Duration::hours(1));
        if incident.opened_at.is_some_and(|opened| opened < now - window) {
            return Ok(None);
        }
        let Some(plan) =
            EscalationPlan::for_service(catalog, incident.service.as_ref(), self.paging.default_policy.as_deref())
        else {
            tracing::warn!(
                incident = %incident.key,
                service = incident.service_name.as_deref(),
                "an incident pages nobody: its service is unknown and no default escalation policy is configured"
            );
            return Ok(None);
        };
        Ok(Some(NewEscalation {
            incident_key: incident.key.clone(),
            service: incident.service.as_ref().map(ToString::to_string),
            policy: plan.policy.clone(),
            plan: serde_json::to_value(&plan)
                .map_err(|error| AppError::Internal(format!("an escalation plan does not serialise: {error}")))?,
            due_at: now,
        }))
    }

    async fn start_escalation(
        &self,
        catalog: &CatalogIndex,
        incident: &Incident,
    ) -> Result<Option<Escalation>, AppError> {
        let Some(new) = self.escalation_for(catalog, incident)? else { return Ok(None) };
        let started = self.store.start_escalation(&new).await?;
        if let Some(started) = &started {
            tracing::info!(incident = %started.incident_key, policy = %started.policy, "escalation started");
            self.wake_pager();
        }
        Ok(started)
    }

    /// Starts the escalations of open incidents opened in the last hour
    /// that have none (the server stopped between storing an incident and
    /// starting its escalation). Runs on every replica; each starts once.
    ///
    /// # Errors
    /// A store failure.
    pub async fn sweep_unrouted(&self) -> Result<usize, AppError> {
        let window = Duration::from_std(NEW_INCIDENT_WINDOW).unwrap_or_else(|_| Duration::hours(1));
        let mut filter = RecordFilter::new(RecordKind::Incident);
        filter.statuses = vec![IncidentStatus::Open.as_str().to_owned()];
        filter.since = Some(Utc::now() - window);
        let records = self.store.all_records(&filter).await?;
        let catalog = self.catalog.current().await?;
        let mut started = 0;
        for record in &records {
            if let Record::Incident(incident) = record
                && incident.status() == IncidentStatus::Open
                && self.store.escalation(&incident.key).await?.is_none()
                && self.start_escalation(&catalog, incident).await?.is_some()
            {
                started += 1;
            }
        }
        Ok(started)
    }
}

/// The people `targets` name at this moment: whoever is on call in each
/// Schedule (overrides included), each User, every member of each Group
/// and its descendants; each once, in order.
pub(super) async fn people_of(
    app: &App,
    catalog: &CatalogIndex,
    targets: &[PlanTarget],
) -> Result<Vec<EntityRef>, AppError> {
    let now = Utc::now();
    let mut seen = BTreeSet::new();
    let mut people = Vec::new();
    let mut add = |person: EntityRef, people: &mut Vec<EntityRef>| {
        if seen.insert(person.key()) {
            people.push(person);
        }
    };
    for target in targets {
        match target {
            PlanTarget::OnCall(schedule) => {
                let Ok(schedule) = schedule.parse::<EntityRef>() else { continue };
                let shifts = crate::oncall::shifts_between(
                    &app.store,
                    catalog,
                    std::slice::from_ref(&schedule),
                    now,
                    now + Duration::seconds(1),
                )
                .await?;
                for person in shifts.into_iter().filter_map(|shift| shift.person) {
                    add(person, &mut people);
                }
            }
            PlanTarget::User(user) => {
                if let Ok(user) = user.parse::<EntityRef>()
                    && let Some(info) = catalog.person(&user)
                {
                    add(info.entity_ref.clone(), &mut people);
                }
            }
            PlanTarget::Group(group) => {
                let Ok(group) = group.parse::<EntityRef>() else { continue };
                let members: BTreeSet<EntityRef> = catalog
                    .group_and_descendants(&group)
                    .iter()
                    .filter_map(|g| catalog.group(g))
                    .flat_map(|info| info.members.iter().cloned())
                    .collect();
                for member in members {
                    add(member, &mut people);
                }
            }
        }
    }
    Ok(people)
}

/// An incident whose service the catalog does not know, and how it was
/// paged.
#[derive(Debug, Clone)]
pub struct UnknownServiceIncident {
    /// The incident.
    pub incident: Incident,
    /// Its escalation (the default policy's), if it got one.
    pub escalation: Option<Escalation>,
}

impl App {
    /// Incidents opened since `since` whose service the catalog does not
    /// know (the alert named none, or one that is not a Component), newest
    /// first, with the escalation that paged for them: what the
    /// data-quality page lists so that the alert's labels or the catalog
    /// get fixed.
    ///
    /// # Errors
    /// A store failure.
    pub async fn incidents_without_service(
        &self,
        since: chrono::DateTime<Utc>,
    ) -> Result<Vec<UnknownServiceIncident>, AppError> {
        let mut filter = RecordFilter::new(RecordKind::Incident);
        filter.since = Some(since);
        let mut found = Vec::new();
        for record in self.store.all_records(&filter).await? {
            if let Record::Incident(incident) = record
                && incident.service.is_none()
            {
                let escalation = self.store.escalation(&incident.key).await?;
                found.push(UnknownServiceIncident { incident, escalation });
            }
        }
        found.sort_by_key(|alert| std::cmp::Reverse(alert.incident.opened_at));
        Ok(found)
    }
}

/// How a paged person answers through a page's link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAnswer {
    /// Someone is on it: the escalation stops.
    Acknowledge,
    /// It is over.
    Resolve,
}

impl App {
    /// `person` answers the incident of escalation `escalation` (the
    /// signed link of a page they received says which): acknowledged or
    /// resolved as them, through the same path as `paved incident ack`,
    /// which stops the escalation. The incident's key.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an escalation that does not exist; what
    /// recording the answer returns.
    pub async fn answer_page(&self, escalation: i64, answer: PageAnswer, person: &str) -> Result<String, AppError> {
        let found = self.store.escalation_by_id(escalation).await?.ok_or_else(|| {
            AppError::NotFound(format!("no escalation {escalation}; the link is not from this server"))
        })?;
        let person_ref = person
            .parse::<EntityRef>()
            .map_err(|error| AppError::Invalid(format!("the link names `{person}`, not a User: {error}")))?;
        let caller = crate::Caller::Person { person: person_ref, via: crate::Via::PageLink(escalation) };
        let key = found.incident_key.clone();
        let action = match answer {
            PageAnswer::Acknowledge => crate::RecordAction::AcknowledgeIncident(key.clone()),
            PageAnswer::Resolve => crate::RecordAction::ResolveIncident(key.clone()),
        };
        let body = serde_json::json!({ "by": person }).to_string().into_bytes();
        self.record(&caller, action, body, Utc::now()).await?;
        Ok(key)
    }
}
