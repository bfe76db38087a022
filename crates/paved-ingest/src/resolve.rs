//! Catalog resolution: [`derive()`] normalises a raw event and resolves
//! what it names against the catalog (each record's service, whether a
//! deployment is a production one, who each person is), producing the
//! [`Derivation`] the store writes next to the raw event.

use chrono::{DateTime, Utc};
use paved_domain::{
    CatalogIndex, Derivation, EntityRef, EventStatus, Identity, IdentitySighting, Record, ServiceMatch,
};

use crate::contract::{IngestSettings, Normalized, Observation, PersonHint, RawInput, ServiceHint};
use crate::normalize::normalize;

/// Normalises `input` and resolves what it names against `catalog`: each
/// record's service (from its hints), whether a deployment is a production
/// one, and who each person is. Never fails: an event that cannot be
/// normalised yields a [`Derivation`] with [`EventStatus::Failed`] and the
/// reason.
pub fn derive(input: &RawInput<'_>, catalog: &CatalogIndex, settings: &IngestSettings) -> Derivation {
    let (observations, people) = match normalize(input, settings) {
        Ok(Normalized::Observations { observations, people }) => (observations, people),
        Ok(Normalized::Ignored(reason)) => return Derivation::ignored(reason),
        Err(error) => return Derivation::failed(error.0),
    };
    if observations.is_empty() {
        return Derivation::ignored(format!("{} `{}` named no record", input.source, input.event_type));
    }
    let mut notes = Vec::new();
    let records: Vec<Record> = observations
        .into_iter()
        .map(|observation| resolve_record(observation, catalog, settings, input.received_at, &mut notes))
        .collect();
    let identities = sightings(&records, &people, catalog, settings, input.received_at);
    notes.dedup();
    Derivation {
        status: EventStatus::Normalized,
        reason: if notes.is_empty() { None } else { Some(notes.join("; ")) },
        records,
        identities,
    }
}

/// Finds the service for `hint`: the first name that is a Component, else
/// the one Component of the repository, else the Component with the
/// PagerDuty service id. Notes why none was found.
fn resolve_service(hint: &ServiceHint, catalog: &CatalogIndex, notes: &mut Vec<String>) -> Option<EntityRef> {
    for name in &hint.names {
        if let ServiceMatch::One(service) = catalog.service_named(name) {
            return Some(service);
        }
    }
    if let Some(repo) = &hint.repo {
        match catalog.services_of_repo(repo) {
            ServiceMatch::One(service) => return Some(service),
            ServiceMatch::Several(services) => {
                let names: Vec<String> = services.iter().map(ToString::to_string).collect();
                notes.push(format!(
                    "{repo} belongs to several components ({}); name the service in the event (e.g. the deployment's payload.service)",
                    names.join(", ")
                ));
                return None;
            }
            ServiceMatch::None => {}
        }
    }
    if let Some(id) = &hint.pagerduty_service
        && let Some(service) = catalog.service_with_annotation("pagerduty.com/service-id", id)
    {
        return Some(service);
    }
    let named: Vec<String> = hint
        .names
        .iter()
        .map(|name| format!("`{name}`"))
        .chain(hint.repo.iter().map(|repo| format!("repository {repo}")))
        .chain(hint.pagerduty_service.iter().map(|id| format!("PagerDuty service {id}")))
        .collect();
    if named.is_empty() {
        notes.push("the event names no service".to_owned());
    } else {
        notes.push(format!(
            "no component matches {}; add it to the catalog (or its paved.dev/repo), then run `paved events rebuild`",
            named.join(" or ")
        ));
    }
    None
}

fn resolve_record(
    observation: Observation,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    received_at: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Record {
    let Observation { mut record, service: hint } = observation;
    match &mut record {
        Record::Deployment(deployment) => {
            deployment.service = resolve_service(&hint, catalog, notes);
            if deployment.service_name.is_none() {
                deployment.service_name = hint.names.first().cloned();
            }
            deployment.production = catalog.is_production(
                deployment.service.as_ref(),
                &deployment.environment,
                deployment.production_by_source,
                &settings.production_environments,
            );
        }
        // News about an incident opened elsewhere (an acknowledgement, a
        // resolution) need not name its service: the stored record has it.
        Record::Incident(incident) if incident.opened_at.is_none() && hint == ServiceHint::default() => {
            incident.updated_at = incident.updated_at.or(Some(received_at));
        }
        Record::Incident(incident) => {
            incident.service = resolve_service(&hint, catalog, notes);
            if incident.service_name.is_none() {
                incident.service_name = hint.names.first().cloned();
            }
            // News without a time of its own is as new as its arrival.
            incident.updated_at = incident.updated_at.or(Some(received_at));
        }
        // Pull requests, CI runs and pushes belong to a repository; the
        // services of a repository are found when they are read.
        Record::Provisioning(provisioning) => {
            provisioning.service = resolve_service(&hint, catalog, notes);
        }
        Record::PullRequest(_) | Record::CiRun(_) | Record::Push(_) | Record::Shift(_) => {}
    }
    record
}

/// One sighting per identity the records name, resolved to a catalog User
/// by the identity itself, else by the name or e-mail the event pairs with
/// it.
fn sightings(
    records: &[Record],
    people: &[PersonHint],
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    seen_at: DateTime<Utc>,
) -> Vec<IdentitySighting> {
    let mut identities: Vec<&Identity> = records.iter().flat_map(Record::identities).collect();
    identities.sort();
    identities.dedup();
    identities
        .into_iter()
        .map(|identity| {
            let hint = people.iter().find(|hint| &hint.identity == identity);
            let name = hint.and_then(|hint| hint.name.as_deref());
            let person = catalog.resolve_person(identity, name).cloned().or_else(|| {
                let email = hint.and_then(|hint| hint.email.as_deref())?;
                catalog.resolve_person(&Identity::email(email).ok()?, None).cloned()
            });
            IdentitySighting {
                identity: identity.clone(),
                display_name: name.map(str::to_owned),
                automation: hint.is_some_and(|hint| hint.bot) || identity.looks_automated(&settings.automation),
                person,
                seen_at,
            }
        })
        .collect()
}
