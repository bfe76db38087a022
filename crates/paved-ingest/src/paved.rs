//! The deploys pavedroad runs itself (`paved deploy`, the Deploy form, the
//! API): each change of a deploy job's state is stored as a raw event of
//! source `paved` whose body is a [`DeployEvent`], and becomes a
//! deployment record like any other source's, keyed `paved:deploy-<id>`.
//! The record's source, `paved`, is what marks a deployment as done
//! through the paved road.

use chrono::{DateTime, Utc};
use paved_domain::{
    Deployment, DeploymentStatus, DeploymentTrigger, Identity, Incident, Page, PageReason, Provisioning,
    ProvisioningState, Record, Source,
};
use serde::{Deserialize, Serialize};

use crate::contract::{NormalizeError, Normalized, Observation, RawInput, ServiceHint, parse_json};

/// The event type of a deploy's state change.
pub const DEPLOY: &str = "deploy";

/// A deploy job's state, as its events carry it (the body of a raw event of
/// source `paved`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployEvent {
    /// The job's id.
    pub id: i64,
    /// The Component's name.
    pub service: String,
    /// The environment.
    pub environment: String,
    /// The version deployed.
    pub version: String,
    /// The commit, when the version names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// `queued`, `running`, `succeeded`, `failed` or `interrupted`.
    pub state: String,
    /// `manual`, `automatic` or `rollback`.
    pub trigger: String,
    /// The job a rollback undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<i64>,
    /// The person (a User's reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The token that named the person for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_claimed_by: Option<String>,
    /// The incident it fixes (a record key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixes: Option<String>,
    /// Why the on-call person broke the glass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<String>,
    /// Why it failed or was interrupted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When a runner started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

impl DeployEvent {
    /// The key of the deployment record it adds to.
    pub fn record_key(id: i64) -> String {
        format!("{}:deploy-{id}", Source::Paved)
    }

    /// The delivery id of this state's event: one per job and state.
    pub fn delivery_id(&self) -> String {
        format!("deploy-{}-{}", self.id, self.state)
    }
}

/// The event type of a page pavedroad sent.
pub const PAGE: &str = "page";

/// A page pavedroad delivered for an incident (the body of a raw event of
/// source `paved`, type [`PAGE`]): it adds a [`paved_domain::Page`] to the
/// incident's record, so that its pages count wherever imported pages do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageEvent {
    /// The incident's record key.
    pub incident_key: String,
    /// The Component's name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The User paged (a reference).
    pub person: String,
    /// When the page was delivered.
    pub at: DateTime<Utc>,
    /// `triggered` (the first step) or `escalated` (a later one).
    pub reason: String,
    /// The notification's id (one event per notification).
    pub notification: i64,
}

impl PageEvent {
    /// The delivery id of this page's event.
    pub fn delivery_id(&self) -> String {
        format!("page-{}", self.notification)
    }
}

fn normalize_page(input: &RawInput<'_>) -> Result<Normalized, NormalizeError> {
    let value = parse_json(input.body)?;
    let event: PageEvent = serde_json::from_value(value)
        .map_err(|error| NormalizeError::new(format!("the page event is not valid: {error}")))?;
    let reason = match event.reason.as_str() {
        "triggered" => PageReason::Triggered,
        "escalated" => PageReason::Escalated,
        other => {
            return Err(NormalizeError::new(format!(
                "reason `{}` is not triggered or escalated",
                other.escape_debug()
            )));
        }
    };
    let person =
        Identity::from_person(&event.person).map_err(|error| NormalizeError::new(format!("person: {error}")))?;
    let mut incident = Incident::new(event.incident_key.clone(), Source::Paved.as_str());
    incident.pages.push(Page { person, at: event.at, reason });
    Ok(Normalized::Observations {
        observations: vec![Observation {
            record: Record::Incident(incident),
            service: ServiceHint { names: event.service.into_iter().collect(), repo: None, pagerduty_service: None },
        }],
        people: Vec::new(),
    })
}

/// The event type of a provisioning request's change of state.
pub const PROVISION: &str = "provision";

/// A self-service provisioning request's state (the body of a raw event of
/// source `paved`, type [`PROVISION`]): it becomes a
/// [`paved_domain::Provisioning`] record keyed `paved:resource-<id>`. It
/// carries no output and no secret of the resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionEvent {
    /// The request's id.
    pub id: i64,
    /// The Resource's reference.
    pub resource: String,
    /// The Module's reference.
    pub module: String,
    /// The Component's name.
    pub service: String,
    /// `requested`, `ready`, `failed` or `deleted`.
    pub state: String,
    /// The person who asked (a User's reference), when a person did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// When it was asked for.
    pub requested_at: DateTime<Utc>,
    /// When it reached this state.
    pub at: DateTime<Utc>,
    /// Why its driver failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ProvisionEvent {
    /// The key of the record it adds to.
    pub fn record_key(id: i64) -> String {
        format!("{}:resource-{id}", Source::Paved)
    }

    /// The delivery id of this state's event: one per request and state.
    pub fn delivery_id(&self) -> String {
        format!("resource-{}-{}", self.id, self.state)
    }
}

fn normalize_provision(input: &RawInput<'_>) -> Result<Normalized, NormalizeError> {
    let value = parse_json(input.body)?;
    let event: ProvisionEvent = serde_json::from_value(value)
        .map_err(|error| NormalizeError::new(format!("the provision event is not valid: {error}")))?;
    let state = ProvisioningState::parse(&event.state).ok_or_else(|| {
        NormalizeError::new(format!(
            "state `{}` is not requested, ready, failed or deleted",
            event.state.escape_debug()
        ))
    })?;
    let actor = event
        .actor
        .as_deref()
        .map(|actor| Identity::from_person(actor).map_err(|error| NormalizeError::new(format!("actor: {error}"))))
        .transpose()?;
    let record = Provisioning {
        key: ProvisionEvent::record_key(event.id),
        resource: event.resource,
        module: event.module,
        service: None,
        service_name: Some(event.service.clone()),
        actor,
        state,
        requested_at: Some(event.requested_at),
        ready_at: (state == ProvisioningState::Ready).then_some(event.at),
        deleted_at: (state == ProvisioningState::Deleted).then_some(event.at),
        error: event.error,
    };
    Ok(Normalized::Observations {
        observations: vec![Observation {
            record: Record::Provisioning(record),
            service: ServiceHint { names: vec![event.service], repo: None, pagerduty_service: None },
        }],
        people: Vec::new(),
    })
}

/// Normalises a deploy's event into its deployment record.
///
/// # Errors
/// [`NormalizeError`] for a body that is not a [`DeployEvent`] (or a
/// [`PageEvent`] for type [`PAGE`], a [`ProvisionEvent`] for type
/// [`PROVISION`]), or a state or trigger it does not know.
pub fn normalize(input: &RawInput<'_>) -> Result<Normalized, NormalizeError> {
    if input.event_type == PAGE {
        return normalize_page(input);
    }
    if input.event_type == PROVISION {
        return normalize_provision(input);
    }
    if input.event_type != DEPLOY {
        return Ok(Normalized::Ignored(format!("`{}` is not an event of pavedroad's deploys", input.event_type)));
    }
    let value = parse_json(input.body)?;
    let event: DeployEvent = serde_json::from_value(value)
        .map_err(|error| NormalizeError::new(format!("the deploy event is not valid: {error}")))?;
    let mut deployment = Deployment::new(DeployEvent::record_key(event.id), Source::Paved.as_str(), &event.environment);
    deployment.status = match event.state.as_str() {
        "queued" => DeploymentStatus::Queued,
        "running" => DeploymentStatus::InProgress,
        "succeeded" => DeploymentStatus::Success,
        "failed" => DeploymentStatus::Failure,
        "interrupted" => DeploymentStatus::Error,
        other => return Err(NormalizeError::new(format!("state `{}` is not a deploy's state", other.escape_debug()))),
    };
    deployment.trigger = Some(DeploymentTrigger::parse(&event.trigger).ok_or_else(|| {
        NormalizeError::new(format!("trigger `{}` is not manual, automatic or rollback", event.trigger.escape_debug()))
    })?);
    deployment.sha.clone_from(&event.sha);
    deployment.created_at = Some(event.created_at);
    deployment.started_at = event.started_at;
    deployment.finished_at = event.finished_at;
    deployment.status_at = Some(event.finished_at.or(event.started_at).unwrap_or(event.created_at));
    deployment.actor = event
        .actor
        .as_deref()
        .map(|actor| Identity::from_person(actor).map_err(|error| NormalizeError::new(format!("actor: {error}"))))
        .transpose()?;
    deployment.actor_claimed_by.clone_from(&event.actor_claimed_by);
    deployment.fixes_incidents = event.fixes.iter().cloned().collect();
    deployment.hotfix = event.fixes.is_some() || event.break_glass.is_some();
    deployment.url = Some(format!("/deploys/{}", event.id));
    let mut description = format!("{} through the paved road (deploy {})", event.version, event.id);
    if let Some(of) = event.rollback_of {
        description.push_str(&format!(", rolling back deploy {of}"));
    }
    if let Some(reason) = &event.break_glass {
        description.push_str(&format!("; break glass: {reason}"));
    }
    if let Some(error) = &event.error {
        description.push_str(&format!("; {error}"));
    }
    deployment.description = Some(description);
    deployment.service_name = Some(event.service.clone());
    Ok(Normalized::Observations {
        observations: vec![Observation {
            record: Record::Deployment(deployment),
            service: ServiceHint { names: vec![event.service], repo: None, pagerduty_service: None },
        }],
        people: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(event_type: &'a str, body: &'a [u8], context: &'a serde_json::Value) -> RawInput<'a> {
        RawInput { source: Source::Paved, event_type, body, context, received_at: Utc::now() }
    }

    #[test]
    fn a_page_adds_a_page_to_its_incident() {
        let at: DateTime<Utc> = "2026-11-03T01:30:00Z".parse().unwrap();
        let event = PageEvent {
            incident_key: "alertmanager:abc@2026-11-03T01:29:00Z".into(),
            service: Some("checkout-api".into()),
            person: "user:default/pat".into(),
            at,
            reason: "escalated".into(),
            notification: 7,
        };
        assert_eq!(event.delivery_id(), "page-7");
        let body = serde_json::to_vec(&event).unwrap();
        let context = serde_json::json!({});
        let Ok(Normalized::Observations { observations, .. }) = normalize(&input(PAGE, &body, &context)) else {
            panic!("a page is an observation");
        };
        let Record::Incident(incident) = &observations[0].record else { panic!("an incident") };
        assert_eq!(incident.key, event.incident_key, "the page lands on the paged incident");
        assert_eq!(
            incident.pages,
            [Page { person: Identity::from_person("user:default/pat").unwrap(), at, reason: PageReason::Escalated }]
        );
        assert!(incident.title.is_none() && incident.opened_at.is_none(), "nothing else of the incident changes");
        assert_eq!(observations[0].service.names, ["checkout-api"]);

        let bad = serde_json::to_vec(&PageEvent { reason: "woken".into(), ..event }).unwrap();
        let error = normalize(&input(PAGE, &bad, &context)).unwrap_err();
        assert!(error.0.contains("`woken` is not triggered or escalated"), "{}", error.0);
    }

    #[test]
    fn a_provision_event_becomes_its_request_s_record_and_its_states_fold_in_any_order() {
        let requested_at: DateTime<Utc> = "2026-11-03T10:00:00Z".parse().unwrap();
        let event = ProvisionEvent {
            id: 12,
            resource: "resource:default/checkout-api-postgres-database".into(),
            module: "module:default/postgres-database".into(),
            service: "checkout-api".into(),
            state: "requested".into(),
            actor: Some("user:default/ana.souza".into()),
            requested_at,
            at: requested_at,
            error: None,
        };
        assert_eq!(event.delivery_id(), "resource-12-requested");
        let context = serde_json::json!({});
        let record = |event: &ProvisionEvent| {
            let body = serde_json::to_vec(event).unwrap();
            let Ok(Normalized::Observations { mut observations, .. }) = normalize(&input(PROVISION, &body, &context))
            else {
                panic!("a provision event is an observation");
            };
            assert_eq!(observations[0].service.names, ["checkout-api"]);
            observations.remove(0).record
        };
        let ready_at = requested_at + chrono::Duration::seconds(2);
        let ready = record(&ProvisionEvent { state: "ready".into(), at: ready_at, ..event.clone() });
        let asked = record(&event);
        // The ready event arriving first changes nothing of the outcome.
        for (first, second) in [(asked.clone(), ready.clone()), (ready, asked)] {
            let Record::Provisioning(merged) = first.merge(second) else { panic!("a provisioning") };
            assert_eq!(merged.key, "paved:resource-12");
            assert_eq!(merged.state, ProvisioningState::Ready);
            assert_eq!((merged.requested_at, merged.ready_at), (Some(requested_at), Some(ready_at)));
            assert_eq!(merged.actor, Some(Identity::from_person("user:default/ana.souza").unwrap()));
        }
        let bad = serde_json::to_vec(&ProvisionEvent { state: "half".into(), ..event }).unwrap();
        let error = normalize(&input(PROVISION, &bad, &context)).unwrap_err();
        assert!(error.0.contains("`half` is not requested, ready, failed or deleted"), "{}", error.0);
    }
}
