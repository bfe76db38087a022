//! Deploy targets (`kind: DeployTarget`, `apiVersion: paved.dev/v1alpha1`):
//! how one service is deployed to one environment — the steps a runner runs
//! in order, the health check after them, whether a failure rolls back, and
//! the policy that decides, instead of a person, whether a deploy may start.
//!
//! [`DeployTarget::parse`] reads the descriptor's `spec` and says every
//! problem with the path of the field it is in (`spec.steps[1].timeout`), so
//! that the catalog can point at the line and column.

use std::time::Duration;

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CatalogEntity, EntityKind, EntityRef};

/// A problem in a DeployTarget's spec: the field's path and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Where, e.g. `spec.steps[1].timeout` (`spec` for the spec as a whole).
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// A service's deploy to one environment, as code.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployTarget {
    /// The DeployTarget entity.
    pub entity_ref: EntityRef,
    /// The Component it deploys.
    pub component: EntityRef,
    /// The environment, as deployments name it (`production`).
    pub environment: String,
    /// What runs, in order; a failed step fails the deploy.
    pub steps: Vec<Step>,
    /// What says the deploy worked, after the steps.
    pub health: Option<HealthCheck>,
    /// What a failure does.
    pub rollback: Rollback,
    /// What decides whether a deploy may start (the organisation's defaults
    /// fill what it leaves out).
    pub policy: Policy,
    /// The label a runner must have to run its deploys (`spec.runner`,
    /// e.g. `prod`: `paved runner --label prod` where the credentials
    /// are); `None`: any runner, the embedded one included.
    pub runner: Option<String>,
}

/// What a runner runs for one deploy: the target's steps, health check and
/// rollback, copied when the deploy is queued (so that a catalog change
/// does not alter a deploy in flight) and sent to the runner with the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployPlan {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The health check after them.
    pub health: Option<HealthCheck>,
    /// What a failure does.
    pub rollback: Rollback,
}

impl DeployTarget {
    /// The plan a runner runs for a deploy of this target.
    pub fn plan(&self) -> DeployPlan {
        DeployPlan { steps: self.steps.clone(), health: self.health.clone(), rollback: self.rollback }
    }
}

/// One step of a deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Its name, shown in logs.
    pub name: String,
    /// What it does.
    pub action: StepAction,
    /// How long it may take before it fails (default 10 minutes).
    pub timeout: Duration,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// A command, run by a runner with the deploy's environment variables.
    Run {
        /// The command line, run by `sh -c`.
        command: String,
    },
    /// Write the version into a YAML file of a git repository, commit and
    /// push it (what Argo CD and Flux watch).
    Gitops {
        /// The repository (a path or a URL git understands).
        repo: String,
        /// The branch to commit to.
        branch: String,
        /// The YAML file, relative to the repository's root.
        file: String,
        /// The dotted key to set (`image.tag`).
        key: String,
    },
    /// Call another CD system.
    Http {
        /// The URL.
        url: String,
        /// The method (default POST).
        method: String,
        /// The environment variable of the runner holding a bearer token.
        secret_env: Option<String>,
    },
}

/// The check after the steps: healthy `consecutive` times in a row within
/// `timeout`, polled every `interval`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// The URL polled.
    pub url: String,
    /// The status that means healthy.
    pub expect: u16,
    /// How many healthy answers in a row.
    pub consecutive: u32,
    /// The time between polls.
    pub interval: Duration,
    /// How long it may take in all.
    pub timeout: Duration,
}

/// What a failed deploy does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rollback {
    /// Deploy the last successful version again (recorded as a rollback).
    Automatic,
    /// Nothing: people decide.
    Manual,
}

/// What decides whether a deploy may start. `None` and empty fields take
/// the organisation's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// The commit's CI must have passed.
    pub checks_passed: Option<bool>,
    /// When nobody deploys.
    pub deny_windows: Vec<DenyWindow>,
    /// An open incident of this severity or worse blocks (`SEV-2`, `P1`).
    pub block_on_open_incident: Option<String>,
    /// Who may deploy besides the owners: Users and Groups.
    pub allow: Vec<EntityRef>,
    /// Earned autonomy: what a service at a scorecard level (or above)
    /// deploys under instead (`when_level: { gold: { deny_windows: [] } }`).
    pub when_level: Vec<LevelRelief>,
}

/// The looser policy a level earns: each field given replaces the
/// policy's; the others stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelRelief {
    /// The Scorecard whose level it is (`readiness/gold`); `None`: any
    /// scorecard that has the level.
    pub scorecard: Option<String>,
    /// The level (`gold`); it and the levels above it earn the relief.
    pub level: String,
    /// Whether the commit's CI must pass.
    pub checks_passed: Option<bool>,
    /// The deny windows instead (`[]`: none).
    pub deny_windows: Option<Vec<DenyWindow>>,
    /// The severity an open incident blocks at instead.
    pub block_on_open_incident: Option<String>,
}

impl LevelRelief {
    /// As written: `gold` or `readiness/gold`.
    pub fn key(&self) -> String {
        match &self.scorecard {
            Some(card) => format!("{card}/{}", self.level),
            None => self.level.clone(),
        }
    }
}

/// A weekly span during which deploys are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenyWindow {
    /// The days it applies to.
    pub days: Vec<Weekday>,
    /// From (local time).
    pub from: NaiveTime,
    /// To (local time, inclusive to the minute).
    pub to: NaiveTime,
    /// The zone of `from` and `to`.
    pub timezone: Tz,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    component: Option<String>,
    environment: Option<String>,
    #[serde(default)]
    steps: Vec<Value>,
    health: Option<Value>,
    rollback: Option<String>,
    policy: Option<Value>,
    runner: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    name: Option<String>,
    run: Option<String>,
    gitops: Option<GitopsSpec>,
    http: Option<HttpSpec>,
    timeout: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GitopsSpec {
    repo: String,
    branch: Option<String>,
    file: String,
    key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpSpec {
    url: String,
    method: Option<String>,
    secret_env: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthSpec {
    http: HealthHttpSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthHttpSpec {
    url: String,
    expect: Option<u16>,
    consecutive: Option<u32>,
    interval: Option<String>,
    timeout: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySpec {
    checks_passed: Option<bool>,
    #[serde(default)]
    deny_windows: Vec<Value>,
    block_on_open_incident: Option<String>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    when_level: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReliefSpec {
    checks_passed: Option<bool>,
    deny_windows: Option<Vec<Value>>,
    block_on_open_incident: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DenyWindowSpec {
    days: Vec<String>,
    from: String,
    to: String,
    timezone: Option<String>,
}

/// `spec.component` of a descriptor that belongs to a Component (a
/// DeployTarget, a Heartbeat): the reference, or a problem saying what to
/// write (`what`: what the descriptor does with it, e.g. "it deploys").
pub(crate) fn component_field(
    text: Option<&str>,
    namespace: &str,
    what: &str,
    problems: &mut Problems,
) -> Option<EntityRef> {
    let Some(text) = text else {
        problems.push("spec", format!("spec.component is missing; name the Component {what}, e.g. `checkout-api`"));
        return None;
    };
    match EntityRef::parse(text, Some("component"), namespace) {
        Ok(component) if component.is(EntityKind::Component) => Some(component),
        _ => {
            problems.push("spec.component", format!("spec.component `{text}` is not a Component reference"));
            None
        }
    }
}

/// Collects problems while a spec is read.
pub(crate) struct Problems(pub(crate) Vec<FieldProblem>);

impl Problems {
    pub(crate) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldProblem { path: path.into(), message: message.into() });
    }

    /// `value` read as `T`, or a problem at `path` saying why not.
    pub(crate) fn read<T: for<'de> Deserialize<'de>>(&mut self, path: &str, value: Value, what: &str) -> Option<T> {
        serde_json::from_value(value).map_err(|error| self.push(path, format!("{path}: {error}; {what}"))).ok()
    }

    /// `entity`'s spec read as `T`; `what` says what a spec holds.
    pub(crate) fn spec<T: for<'de> Deserialize<'de>>(&mut self, entity: &CatalogEntity, what: &str) -> Option<T> {
        self.read("spec", entity.document.get("spec").cloned().unwrap_or(Value::Null), what)
    }

    /// `spec.owner` as a reference (a bare name is a Group of `namespace`),
    /// or a problem.
    pub(crate) fn owner(&mut self, text: Option<&str>, namespace: &str) -> Option<EntityRef> {
        let text = text?;
        EntityRef::parse(text, Some("group"), namespace)
            .map_err(|_| self.push("spec.owner", format!("spec.owner `{text}` is not a reference")))
            .ok()
    }
}

/// A span written as a number and a unit: `500ms`, `2s`, `10m`, `1h`.
///
/// # Errors
/// A sentence naming the value and the accepted forms.
pub fn parse_span(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("`{text}` is not a span; write e.g. `30s`, `10m` or `1h`"))?;
    let span = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(format!("`{text}` needs a unit: ms, s, m or h (e.g. `10m`)")),
    };
    if n == 0 {
        return Err(format!("`{text}` is zero long"));
    }
    Ok(span)
}

fn weekday(text: &str) -> Option<Weekday> {
    text.trim().parse().ok()
}

impl DeployTarget {
    /// Reads `entity` (a DeployTarget descriptor).
    ///
    /// # Errors
    /// Every problem, each with the path of its field.
    pub fn parse(entity: &CatalogEntity) -> Result<Self, Vec<FieldProblem>> {
        let namespace = entity.entity_ref.namespace();
        let mut problems = Problems(Vec::new());
        let Some(spec) = problems.spec::<Spec>(
            entity,
            "a DeployTarget has component, environment, steps, health, rollback and policy under spec",
        ) else {
            return Err(problems.0);
        };
        let component = component_field(spec.component.as_deref(), namespace, "it deploys", &mut problems);
        let environment = spec.environment.filter(|e| !e.trim().is_empty());
        if environment.is_none() {
            problems.push("spec", "spec.environment is missing; name it as deployments do, e.g. `production`");
        }
        if spec.steps.is_empty() {
            problems.push("spec", "spec.steps is empty; add a step with `run`, `gitops` or `http`");
        }
        let steps: Vec<Step> =
            spec.steps.into_iter().enumerate().filter_map(|(i, value)| step(i, value, &mut problems)).collect();
        let health = spec.health.and_then(|value| health(value, &mut problems));
        let rollback = match spec.rollback.as_deref() {
            None | Some("manual") => Rollback::Manual,
            Some("automatic") => Rollback::Automatic,
            Some(other) => {
                problems.push("spec.rollback", format!("spec.rollback `{other}` is not `automatic` or `manual`"));
                Rollback::Manual
            }
        };
        let policy =
            spec.policy.map(|value| policy(value, namespace, "spec.policy", &mut problems)).unwrap_or_default();
        let runner = spec.runner.map(|label| label.trim().to_owned());
        if runner.as_deref().is_some_and(|label| label.is_empty() || label.contains(char::is_whitespace)) {
            problems.push("spec.runner", "spec.runner is a runner label without spaces, e.g. `prod`");
        }
        match (component, environment) {
            (Some(component), Some(environment)) if problems.0.is_empty() => Ok(Self {
                runner,
                entity_ref: entity.entity_ref.clone(),
                component,
                environment,
                steps,
                health,
                rollback,
                policy,
            }),
            _ => Err(problems.0),
        }
    }
}

fn step(i: usize, value: Value, problems: &mut Problems) -> Option<Step> {
    let path = format!("spec.steps[{i}]");
    let spec: StepSpec =
        problems.read(&path, value, "a step has a name and one of run, gitops or http, and may have a timeout")?;
    let name = spec.name.clone().unwrap_or_else(|| format!("step {}", i + 1));
    let timeout = match spec.timeout.as_deref().map(parse_span) {
        None => Duration::from_secs(600),
        Some(Ok(timeout)) => timeout,
        Some(Err(error)) => {
            problems.push(format!("{path}.timeout"), format!("{path}.timeout: {error}"));
            return None;
        }
    };
    let action = match (spec.run, spec.gitops, spec.http) {
        (Some(command), None, None) if !command.trim().is_empty() => StepAction::Run { command },
        (None, Some(g), None) => StepAction::Gitops {
            repo: g.repo,
            branch: g.branch.unwrap_or_else(|| "main".to_owned()),
            file: g.file,
            key: g.key,
        },
        (None, None, Some(h)) => {
            if !(h.url.starts_with("http://") || h.url.starts_with("https://")) {
                problems.push(format!("{path}.http"), format!("{path}.http.url `{}` is not an http(s) URL", h.url));
                return None;
            }
            StepAction::Http {
                url: h.url,
                method: h.method.unwrap_or_else(|| "POST".to_owned()),
                secret_env: h.secret_env,
            }
        }
        _ => {
            problems.push(path.clone(), format!("{path} needs exactly one of `run` (a command), `gitops` or `http`"));
            return None;
        }
    };
    Some(Step { name, action, timeout })
}

fn health(value: Value, problems: &mut Problems) -> Option<HealthCheck> {
    let spec: HealthSpec = problems.read(
        "spec.health",
        value,
        "write `health: { http: { url, expect, consecutive, interval, timeout } }`",
    )?;
    let span = |field: &str, text: Option<String>, default: u64, problems: &mut Problems| match text.as_deref() {
        None => Some(Duration::from_secs(default)),
        Some(text) => {
            parse_span(text).map_err(|e| problems.push("spec.health", format!("spec.health.http.{field}: {e}"))).ok()
        }
    };
    let interval = span("interval", spec.http.interval, 2, problems)?;
    let timeout = span("timeout", spec.http.timeout, 120, problems)?;
    Some(HealthCheck {
        url: spec.http.url,
        expect: spec.http.expect.unwrap_or(200),
        consecutive: spec.http.consecutive.unwrap_or(1).max(1),
        interval,
        timeout,
    })
}

impl Policy {
    /// Reads a policy written as a DeployTarget's `spec.policy` is, found
    /// at `base` (e.g. `deploy_policy` of the configuration, whose
    /// references are in `namespace`).
    ///
    /// # Errors
    /// Every problem, each with the path of its field under `base`.
    pub fn parse_at(value: Value, namespace: &str, base: &str) -> Result<Self, Vec<FieldProblem>> {
        let mut problems = Problems(Vec::new());
        let policy = policy(value, namespace, base, &mut problems);
        if problems.0.is_empty() { Ok(policy) } else { Err(problems.0) }
    }
}

fn policy(value: Value, namespace: &str, base: &str, problems: &mut Problems) -> Policy {
    let Some(spec) = problems.read::<PolicySpec>(
        base,
        value,
        "a policy has checks_passed, deny_windows, block_on_open_incident and allow",
    ) else {
        return Policy::default();
    };
    let deny_windows = read_deny_windows(spec.deny_windows, base, problems);
    let mut allow = Vec::new();
    for text in &spec.allow {
        match EntityRef::parse(text, Some("user"), namespace) {
            Ok(who) if who.is(EntityKind::User) || who.is(EntityKind::Group) => allow.push(who),
            _ => problems.push(
                format!("{base}.allow"),
                format!("{base}.allow `{text}` is not a User or Group; write e.g. `user:sam` or `group:sre`"),
            ),
        }
    }
    let mut when_level = Vec::new();
    for (key, value) in spec.when_level {
        let path = format!("{base}.when_level.{key}");
        let (scorecard, level) = match key.split_once('/') {
            Some((card, level)) => (Some(card.trim().to_owned()), level.trim().to_owned()),
            None => (None, key.trim().to_owned()),
        };
        if level.is_empty() || scorecard.as_deref().is_some_and(str::is_empty) {
            problems.push(path.clone(), format!("{path}: name a level, `gold`, or a scorecard's, `readiness/gold`"));
            continue;
        }
        let Some(relief) = problems.read::<ReliefSpec>(
            &path,
            value,
            "a level may relax checks_passed, deny_windows and block_on_open_incident (who may deploy is not earned)",
        ) else {
            continue;
        };
        when_level.push(LevelRelief {
            scorecard,
            level,
            checks_passed: relief.checks_passed,
            deny_windows: relief.deny_windows.map(|windows| read_deny_windows(windows, &path, problems)),
            block_on_open_incident: relief.block_on_open_incident,
        });
    }
    Policy {
        checks_passed: spec.checks_passed,
        deny_windows,
        block_on_open_incident: spec.block_on_open_incident,
        allow,
        when_level,
    }
}

fn read_deny_windows(values: Vec<Value>, base: &str, problems: &mut Problems) -> Vec<DenyWindow> {
    let mut deny_windows = Vec::new();
    for (i, value) in values.into_iter().enumerate() {
        let path = format!("{base}.deny_windows[{i}]");
        let Some(window) = problems.read::<DenyWindowSpec>(
            &path,
            value,
            "write `{ days: [fri], from: \"15:00\", to: \"23:59\", timezone: Europe/Berlin }`",
        ) else {
            continue;
        };
        let days: Vec<Weekday> = window.days.iter().filter_map(|d| weekday(d)).collect();
        if days.len() != window.days.len() || days.is_empty() {
            problems.push(path.clone(), format!("{path}.days must list weekdays, e.g. `[fri, sat]`"));
        }
        let time = |text: &str| NaiveTime::parse_from_str(text.trim(), "%H:%M").ok();
        let (from, to) = (time(&window.from), time(&window.to));
        if from.is_none() || to.is_none() {
            problems.push(path.clone(), format!("{path}: from and to are local times like \"15:00\""));
        }
        let timezone = match window.timezone.as_deref() {
            None => Some(Tz::UTC),
            Some(name) => name.parse::<Tz>().ok(),
        };
        if timezone.is_none() {
            problems
                .push(path.clone(), format!("{path}.timezone is not an IANA time zone; write e.g. `Europe/Berlin`"));
        }
        if let (Some(from), Some(to), Some(timezone)) = (from, to, timezone) {
            deny_windows.push(DenyWindow { days, from, to, timezone });
        }
    }
    deny_windows
}
