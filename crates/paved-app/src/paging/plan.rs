//! Which policy pages for an incident, copied into its escalation when it
//! starts (so that a catalog change does not alter an escalation in
//! flight), and the next step after each.

use std::time::Duration;

use paved_domain::{CatalogIndex, EntityKind, EntityRef, EscalationPolicy, PageTarget};
use paved_store::NextStep;
use serde::{Deserialize, Serialize};

/// The steps of an escalation, as stored with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationPlan {
    /// Where the steps come from: an EscalationPolicy's reference, or
    /// `implicit` (the service's schedule, then its team).
    pub policy: String,
    /// The steps, in order.
    pub steps: Vec<PlanStep>,
    /// How many times the steps run again.
    pub repeat: i64,
}

/// One step of an [`EscalationPlan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    /// Who is paged.
    pub notify: Vec<PlanTarget>,
    /// Seconds to wait for an acknowledgement before the next step.
    pub after_secs: u64,
}

/// Whom a [`PlanStep`] pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "ref", rename_all = "snake_case")]
pub enum PlanTarget {
    /// Whoever is on call in the Schedule.
    OnCall(String),
    /// A User.
    User(String),
    /// Every member of a Group and its descendants.
    Group(String),
}

/// How long the implicit policy waits before paging the whole team.
const IMPLICIT_DELAY: Duration = Duration::from_secs(600);

impl EscalationPlan {
    /// The plan of `policy`.
    pub fn of(policy: &EscalationPolicy) -> Self {
        Self {
            policy: policy.entity_ref.to_string(),
            steps: policy
                .steps
                .iter()
                .map(|step| PlanStep {
                    notify: step
                        .notify
                        .iter()
                        .map(|target| match target {
                            PageTarget::OnCall(s) => PlanTarget::OnCall(s.to_string()),
                            PageTarget::User(u) => PlanTarget::User(u.to_string()),
                            PageTarget::Group(g) => PlanTarget::Group(g.to_string()),
                        })
                        .collect(),
                    after_secs: step.after.as_secs(),
                })
                .collect(),
            repeat: i64::from(policy.repeat),
        }
    }

    /// The plan that pages for `service` (`None`: the alert named no known
    /// service): the service's own policy, else its team's, else the
    /// organisation's default, else an implicit one — the service's
    /// on-call Schedule, then after ten minutes every member of its owning
    /// team. `None` when nothing at all would page anyone.
    pub fn for_service(catalog: &CatalogIndex, service: Option<&EntityRef>, default: Option<&str>) -> Option<Self> {
        if let Some(policy) = service.and_then(|s| catalog.escalation_policy_of(s)) {
            return Some(Self::of(policy));
        }
        if let Some(name) = default
            && let Ok(reference) = EntityRef::parse(name, Some("escalationpolicy"), paved_domain::DEFAULT_NAMESPACE)
            && let Some(policy) = catalog.escalation_policy(&reference)
        {
            return Some(Self::of(policy));
        }
        let service = service?;
        let mut steps = Vec::new();
        if let Some(schedule) = catalog.schedule_of(service) {
            steps.push(PlanStep {
                notify: vec![PlanTarget::OnCall(schedule.entity_ref.to_string())],
                after_secs: IMPLICIT_DELAY.as_secs(),
            });
        }
        match catalog.service(service).and_then(|info| info.owner.as_ref()) {
            Some(owner) if owner.is(EntityKind::Group) => steps.push(PlanStep {
                notify: vec![PlanTarget::Group(owner.to_string())],
                after_secs: IMPLICIT_DELAY.as_secs(),
            }),
            Some(owner) if owner.is(EntityKind::User) => steps.push(PlanStep {
                notify: vec![PlanTarget::User(owner.to_string())],
                after_secs: IMPLICIT_DELAY.as_secs(),
            }),
            _ => {}
        }
        (!steps.is_empty()).then(|| Self { policy: "implicit".to_owned(), steps, repeat: 0 })
    }

    /// What follows firing step `step` of round `round`, fired at `now`;
    /// `at_once` when the step reached nobody (the next is due now).
    pub fn next(&self, step: i64, round: i64, now: chrono::DateTime<chrono::Utc>, at_once: bool) -> NextStep {
        let after = usize::try_from(step)
            .ok()
            .and_then(|i| self.steps.get(i))
            .map_or(0, |s| if at_once { 0 } else { s.after_secs });
        let due_at = now + chrono::Duration::seconds(i64::try_from(after).unwrap_or(i64::MAX / 2));
        let steps = i64::try_from(self.steps.len()).unwrap_or(i64::MAX);
        if step + 1 < steps {
            NextStep::At { step: step + 1, round, due_at }
        } else if round < self.repeat {
            NextStep::At { step: 0, round: round + 1, due_at }
        } else {
            NextStep::Exhausted
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn plan(steps: usize, repeat: i64) -> EscalationPlan {
        EscalationPlan {
            policy: "escalationpolicy:default/p".into(),
            steps: (0..steps)
                .map(|i| PlanStep { notify: vec![PlanTarget::User(format!("user:default/u{i}"))], after_secs: 60 })
                .collect(),
            repeat,
        }
    }

    #[test]
    fn steps_run_in_order_then_repeat_then_end() {
        let now = Utc::now();
        let p = plan(2, 1);
        assert_eq!(
            p.next(0, 0, now, false),
            NextStep::At { step: 1, round: 0, due_at: now + chrono::Duration::seconds(60) }
        );
        assert_eq!(
            p.next(1, 0, now, false),
            NextStep::At { step: 0, round: 1, due_at: now + chrono::Duration::seconds(60) }
        );
        assert_eq!(p.next(1, 1, now, false), NextStep::Exhausted);
        assert_eq!(p.next(0, 0, now, true), NextStep::At { step: 1, round: 0, due_at: now }, "nobody reached: at once");
    }

    #[test]
    fn the_plan_is_stored_as_tagged_json() {
        let json = serde_json::to_value(plan(1, 0)).unwrap();
        assert_eq!(json["steps"][0]["notify"][0], serde_json::json!({ "kind": "user", "ref": "user:default/u0" }));
        let back: EscalationPlan = serde_json::from_value(json).unwrap();
        assert_eq!(back, plan(1, 0));
    }
}
