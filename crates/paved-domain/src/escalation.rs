//! Escalation policies (`kind: EscalationPolicy`, `apiVersion:
//! paved.dev/v1alpha1`): who is paged for an incident, in which order, and
//! how long each step waits for an acknowledgement before the next.
//!
//! ```yaml
//! apiVersion: paved.dev/v1alpha1
//! kind: EscalationPolicy
//! metadata: { name: checkout }
//! spec:
//!   owner: checkout
//!   steps:
//!     - notify: [schedule:checkout-primary]   # whoever is on call now
//!       after: 10m                            # then the next step
//!     - notify: [user:sam, group:checkout]    # a person; every member of a team
//!       after: 15m
//!   repeat: 1                                 # run the steps again, 0-5 times
//! ```
//!
//! A policy names Schedules, Users and Groups, never another policy, so
//! escalation cannot loop; `repeat` bounds how often the steps run again.
//! [`EscalationPolicy::parse`] says every problem with the path of its field.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::deploy_target::{FieldProblem, Problems, parse_span};
use crate::{CatalogEntity, EntityKind, EntityRef};

/// The most times a policy's steps run again.
pub const MAX_REPEAT: u8 = 5;
/// The shortest wait between steps: an escalation faster than a person can
/// read the page is a storm, not a policy.
pub const MIN_STEP_DELAY: Duration = Duration::from_secs(10);
/// The longest wait between steps.
pub const MAX_STEP_DELAY: Duration = Duration::from_secs(24 * 3600);

/// Who is paged for an incident, step by step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPolicy {
    /// The EscalationPolicy entity.
    pub entity_ref: EntityRef,
    /// The steps, in order.
    pub steps: Vec<EscalationStep>,
    /// How many times the steps run again after the last (0-5).
    pub repeat: u8,
}

/// One step of an [`EscalationPolicy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationStep {
    /// Who is paged.
    pub notify: Vec<PageTarget>,
    /// How long to wait for an acknowledgement before the next step.
    pub after: Duration,
}

/// Whom a step pages.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PageTarget {
    /// The person on call now in a Schedule.
    OnCall(EntityRef),
    /// A person.
    User(EntityRef),
    /// Every member of a Group.
    Group(EntityRef),
}

impl PageTarget {
    /// The entity it names.
    pub fn entity(&self) -> &EntityRef {
        match self {
            Self::OnCall(e) | Self::User(e) | Self::Group(e) => e,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    /// Read as every descriptor's owner is, by the catalog.
    #[serde(rename = "owner")]
    _owner: Option<Value>,
    #[serde(default)]
    steps: Vec<Value>,
    repeat: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    #[serde(default)]
    notify: Vec<String>,
    after: Option<String>,
}

impl EscalationPolicy {
    /// Reads `entity` (an EscalationPolicy descriptor).
    ///
    /// # Errors
    /// Every problem, each with the path of its field.
    pub fn parse(entity: &CatalogEntity) -> Result<Self, Vec<FieldProblem>> {
        let namespace = entity.entity_ref.namespace();
        let mut problems = Problems(Vec::new());
        let spec_value = entity.document.get("spec").cloned().unwrap_or(Value::Null);
        let Some(spec) =
            problems.read::<Spec>("spec", spec_value, "an EscalationPolicy has steps and repeat under spec")
        else {
            return Err(problems.0);
        };
        if spec.steps.is_empty() {
            problems
                .push("spec", "spec.steps is empty; add a step like `{ notify: [schedule:team-primary], after: 10m }`");
        }
        let mut steps = Vec::new();
        for (i, value) in spec.steps.into_iter().enumerate() {
            if let Some(step) = step(i, value, namespace, &mut problems) {
                steps.push(step);
            }
        }
        let repeat = match spec.repeat {
            None => 0,
            Some(n) if (0..=i64::from(MAX_REPEAT)).contains(&n) => n as u8,
            Some(n) => {
                problems.push("spec.repeat", format!("spec.repeat is {n}; it is between 0 and {MAX_REPEAT}"));
                0
            }
        };
        if problems.0.is_empty() {
            Ok(Self { entity_ref: entity.entity_ref.clone(), steps, repeat })
        } else {
            Err(problems.0)
        }
    }
}

fn step(i: usize, value: Value, namespace: &str, problems: &mut Problems) -> Option<EscalationStep> {
    let path = format!("spec.steps[{i}]");
    let spec: StepSpec = problems.read(&path, value, "a step has `notify` (a list) and `after` (e.g. `10m`)")?;
    if spec.notify.is_empty() {
        problems.push(
            format!("{path}.notify"),
            format!("{path}.notify is empty; name a schedule (its on-call person), a user or a group"),
        );
    }
    let mut notify = Vec::new();
    for text in &spec.notify {
        match target(text, namespace) {
            Ok(target) => notify.push(target),
            Err(message) => problems.push(format!("{path}.notify"), format!("{path}.notify: {message}")),
        }
    }
    let after = match spec.after.as_deref().map(parse_span) {
        None => Duration::from_secs(600),
        Some(Ok(after)) if (MIN_STEP_DELAY..=MAX_STEP_DELAY).contains(&after) => after,
        Some(Ok(_)) => {
            problems.push(
                format!("{path}.after"),
                format!("{path}.after is between 10s and 24h, so that a person has time to answer"),
            );
            return None;
        }
        Some(Err(error)) => {
            problems.push(format!("{path}.after"), format!("{path}.after: {error}"));
            return None;
        }
    };
    Some(EscalationStep { notify, after })
}

/// `schedule:x`, `user:x` or `group:x`.
fn target(text: &str, namespace: &str) -> Result<PageTarget, String> {
    let hint = "write `schedule:NAME` (whoever is on call), `user:NAME` or `group:NAME` (every member)";
    if !text.contains(':') {
        return Err(format!("`{text}` has no kind; {hint}"));
    }
    let entity = EntityRef::parse(text, None, namespace).map_err(|error| format!("`{text}`: {error}; {hint}"))?;
    if entity.is(EntityKind::Schedule) {
        Ok(PageTarget::OnCall(entity))
    } else if entity.is(EntityKind::User) {
        Ok(PageTarget::User(entity))
    } else if entity.is(EntityKind::Group) {
        Ok(PageTarget::Group(entity))
    } else {
        Err(format!("`{text}` is a {}; {hint}", entity.kind()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourcePosition;

    fn entity(spec: Value) -> CatalogEntity {
        CatalogEntity {
            entity_ref: EntityRef::parse("escalationpolicy:default/checkout", None, "default").unwrap(),
            kind: "EscalationPolicy".into(),
            api_version: "paved.dev/v1alpha1".into(),
            title: None,
            description: None,
            spec_type: None,
            lifecycle: None,
            owner: None,
            source: SourcePosition { file: "p.yaml".into(), line: 1, column: 1 },
            document: serde_json::json!({ "spec": spec }),
            relations: Vec::new(),
            paved: Default::default(),
        }
    }

    #[test]
    fn steps_name_schedules_users_and_groups() {
        let policy = EscalationPolicy::parse(&entity(serde_json::json!({
            "steps": [
                { "notify": ["schedule:checkout-primary"], "after": "10m" },
                { "notify": ["user:sam", "group:checkout"] }
            ],
            "repeat": 2
        })))
        .unwrap();
        assert_eq!(policy.repeat, 2);
        assert_eq!(policy.steps[0].after, Duration::from_secs(600));
        assert!(matches!(&policy.steps[0].notify[0], PageTarget::OnCall(s) if s.name() == "checkout-primary"));
        assert!(matches!(&policy.steps[1].notify[1], PageTarget::Group(g) if g.name() == "checkout"));
    }

    #[test]
    fn every_problem_names_its_field() {
        let problems = EscalationPolicy::parse(&entity(serde_json::json!({
            "steps": [
                { "notify": ["sam"], "after": "5s" },
                { "notify": ["component:checkout-api"], "after": "soon" },
                { "notify": [] }
            ],
            "repeat": 9
        })))
        .unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
        let has = |path: &str, words: &str| text.iter().any(|t| t.starts_with(path) && t.contains(words));
        assert!(has("spec.steps[0].notify", "has no kind"), "{text:#?}");
        assert!(has("spec.steps[0].after", "between 10s and 24h"), "{text:#?}");
        assert!(has("spec.steps[1].notify", "is a component"), "{text:#?}");
        assert!(has("spec.steps[1].after", "not a span"), "{text:#?}");
        assert!(has("spec.steps[2].notify", "is empty"), "{text:#?}");
        assert!(has("spec.repeat", "between 0 and 5"), "{text:#?}");
        assert!(EscalationPolicy::parse(&entity(serde_json::json!({ "steps": [] }))).is_err());
    }
}
