//! Heartbeats (`kind: Heartbeat`, `apiVersion: paved.dev/v1alpha1`):
//! monitoring a team owns without another system — a service or its cron
//! job `POST`s `/api/v1/heartbeats/{name}` at least every `interval`; when
//! a beat is later than `interval` plus `grace`, an incident opens for the
//! service and pages like any alert, and the next beat resolves it.
//!
//! ```yaml
//! apiVersion: paved.dev/v1alpha1
//! kind: Heartbeat
//! metadata: { name: nightly-export }
//! spec:
//!   component: checkout-api
//!   interval: 24h
//!   grace: 30m          # default 1m
//!   severity: SEV-3     # of the incident a missed beat opens; default SEV-2
//! ```

use std::time::Duration;

use serde::Deserialize;

use crate::deploy_target::{FieldProblem, Problems, component_field, parse_span};
use crate::{CatalogEntity, EntityRef};

/// The shortest interval: a heartbeat is for jobs and services, not a
/// health check (a miss is noticed within a few seconds).
pub const MIN_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(10);
/// The longest interval (a weekly job).
pub const MAX_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(8 * 24 * 3600);

/// A heartbeat a service sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The Heartbeat entity.
    pub entity_ref: EntityRef,
    /// The Component that sends it (its owners may beat it, and are paged).
    pub component: EntityRef,
    /// The longest expected time between two beats.
    pub interval: Duration,
    /// How much later than `interval` a beat may be before it counts as
    /// missed.
    pub grace: Duration,
    /// The severity of the incident a missed beat opens.
    pub severity: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    component: Option<String>,
    interval: Option<String>,
    grace: Option<String>,
    severity: Option<String>,
}

impl Heartbeat {
    /// Reads `entity` (a Heartbeat descriptor).
    ///
    /// # Errors
    /// Every problem, each with the path of its field.
    pub fn parse(entity: &CatalogEntity) -> Result<Self, Vec<FieldProblem>> {
        let namespace = entity.entity_ref.namespace();
        let mut problems = Problems(Vec::new());
        let Some(spec) =
            problems.spec::<Spec>(entity, "a Heartbeat has component, interval, grace and severity under spec")
        else {
            return Err(problems.0);
        };
        let component = component_field(spec.component.as_deref(), namespace, "that beats", &mut problems);
        let interval = match spec.interval.as_deref().map(parse_span) {
            None => {
                problems.push("spec", "spec.interval is missing; write how often it beats at least, e.g. `1h`");
                None
            }
            Some(Ok(interval)) if (MIN_HEARTBEAT_INTERVAL..=MAX_HEARTBEAT_INTERVAL).contains(&interval) => {
                Some(interval)
            }
            Some(Ok(_)) => {
                problems.push("spec.interval", "spec.interval is between 10s and 192h (eight days)");
                None
            }
            Some(Err(error)) => {
                problems.push("spec.interval", format!("spec.interval: {error}"));
                None
            }
        };
        let grace = match spec.grace.as_deref().map(parse_span) {
            None => Some(Duration::from_secs(60)),
            Some(Ok(grace)) => Some(grace),
            Some(Err(error)) => {
                problems.push("spec.grace", format!("spec.grace: {error}"));
                None
            }
        };
        let severity = spec.severity.unwrap_or_else(|| "SEV-2".to_owned());
        match (component, interval, grace) {
            (Some(component), Some(interval), Some(grace)) if problems.0.is_empty() => {
                Ok(Self { entity_ref: entity.entity_ref.clone(), component, interval, grace, severity })
            }
            _ => Err(problems.0),
        }
    }

    /// How long after a beat the next one counts as missed.
    pub fn deadline(&self) -> Duration {
        self.interval + self.grace
    }
}
