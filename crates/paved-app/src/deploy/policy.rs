//! The checks that decide, instead of a person, whether a deploy may start
//! (DESIGN §7 Deploy): who may act, the commit's CI, deny windows, open
//! incidents. A pure function of what the caller gathered, so that the
//! CLI's `--dry-run`, the API, the web form and GitHub's protection rule
//! get the same verdicts, and so that it is cheap to evaluate.

use chrono::{DateTime, Datelike, Utc};
use paved_domain::{
    CatalogIndex, CiRun, DenyWindow, DeployTarget, EntityKind, EntityRef, Incident, IncidentStatus, Policy,
};

use crate::Caller;

/// Which check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckKind {
    /// The caller owns the service, is on its allow-list, or is an admin.
    MayAct,
    /// The commit's CI passed.
    ChecksPassed,
    /// Not inside a deny window.
    DenyWindow,
    /// No open incident of the blocking severity or worse.
    OpenIncident,
    /// No other deploy of the target is queued or running.
    OneAtATime,
    /// The on-call person deploys past a deny window or an incident block
    /// during an open incident (`--break-glass`).
    BreakGlass,
}

impl CheckKind {
    /// The name shown and serialised: `may_act`, `checks_passed`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MayAct => "may_act",
            Self::ChecksPassed => "checks_passed",
            Self::DenyWindow => "deny_window",
            Self::OpenIncident => "open_incident",
            Self::OneAtATime => "one_at_a_time",
            Self::BreakGlass => "break_glass",
        }
    }
}

/// One check's verdict and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Which check.
    pub check: CheckKind,
    /// True when it lets the deploy go.
    pub passed: bool,
    /// Why, in a sentence a person can act on.
    pub reason: String,
}

/// What the checks read, gathered by the caller.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    /// Who asks.
    pub caller: &'a Caller,
    /// The catalog (owners, groups).
    pub catalog: &'a CatalogIndex,
    /// The target.
    pub target: &'a DeployTarget,
    /// The organisation's defaults, for what the target leaves out.
    pub defaults: &'a Policy,
    /// The commit being deployed, when the version names one.
    pub sha: Option<&'a str>,
    /// The CI runs recorded for that commit.
    pub ci_runs: &'a [CiRun],
    /// The service's incidents that are not resolved.
    pub open_incidents: &'a [Incident],
    /// The incident the deploy says it fixes (`--fixes`), which does not
    /// block it.
    pub fixes: Option<&'a str>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Every check, in a fixed order.
pub fn evaluate(input: &PolicyInput<'_>) -> Vec<CheckOutcome> {
    vec![may_act(input), checks_passed(input), deny_window(input), open_incident(input)]
}

/// True when every check passed.
pub fn allowed(outcomes: &[CheckOutcome]) -> bool {
    outcomes.iter().all(|outcome| outcome.passed)
}

/// A check's outcome.
pub fn outcome(check: CheckKind, passed: bool, reason: String) -> CheckOutcome {
    CheckOutcome { check, passed, reason }
}

fn may_act(input: &PolicyInput<'_>) -> CheckOutcome {
    let service = &input.target.component;
    let allow = if input.target.policy.allow.is_empty() { &input.defaults.allow } else { &input.target.policy.allow };
    let check = CheckKind::MayAct;
    match input.caller.may_act_on(input.catalog, service) {
        Ok(()) => {
            let who = input.caller.person().map_or_else(|| input.caller.audit_name(), ToString::to_string);
            outcome(check, true, format!("{who} may deploy {}", service.name()))
        }
        Err(refusal) => {
            if let Some(person) = input.caller.person()
                && let Some(entry) = allow.iter().find(|entry| allows(input.catalog, entry, person))
            {
                return outcome(check, true, format!("{person} is allowed by the target's policy ({entry})"));
            }
            outcome(check, false, refusal.to_string())
        }
    }
}

/// True when the allow-list entry `entry` (a User, or a Group with the
/// Groups below it) names `person`.
fn allows(catalog: &CatalogIndex, entry: &EntityRef, person: &EntityRef) -> bool {
    if entry.is(EntityKind::User) {
        return entry.key() == person.key();
    }
    catalog
        .group_and_descendants(entry)
        .iter()
        .filter_map(|group| catalog.group(group))
        .any(|g| g.members.contains(person))
}

fn checks_passed(input: &PolicyInput<'_>) -> CheckOutcome {
    let check = CheckKind::ChecksPassed;
    let wanted = input.target.policy.checks_passed.or(input.defaults.checks_passed).unwrap_or(false);
    if !wanted {
        return outcome(check, true, "the policy does not ask for passed CI".to_owned());
    }
    let Some(sha) = input.sha else {
        return outcome(
            check,
            false,
            "the version names no commit, so its CI cannot be checked; deploy a sha".to_owned(),
        );
    };
    let short = &sha[..sha.len().min(12)];
    let finished: Vec<&CiRun> = input.ci_runs.iter().filter(|run| run.conclusion.is_some()).collect();
    let failed: Vec<&str> = finished
        .iter()
        .filter(|run| !matches!(run.conclusion.as_deref(), Some("success" | "neutral" | "skipped")))
        .map(|run| run.name.as_deref().unwrap_or(run.run_kind.as_str()))
        .collect();
    if !failed.is_empty() {
        return outcome(check, false, format!("CI of {short} did not pass: {}", failed.join(", ")));
    }
    let running = input.ci_runs.len() - finished.len();
    if running > 0 {
        return outcome(check, false, format!("CI of {short} is still running ({running} run(s)); wait for it"));
    }
    if finished.is_empty() {
        return outcome(check, false, format!("no CI result is recorded for {short}; its CI must pass first"));
    }
    outcome(check, true, format!("CI of {short} passed ({} run(s))", finished.len()))
}

fn in_window(window: &DenyWindow, now: DateTime<Utc>) -> bool {
    let local = now.with_timezone(&window.timezone);
    let time = local.time();
    // `to` is inclusive to the minute: 23:59 covers 23:59:59.
    let before_end = time.signed_duration_since(window.to) < chrono::Duration::minutes(1);
    let inside = if window.from <= window.to {
        time >= window.from && before_end
    } else {
        // Across midnight (22:00 to 06:00).
        time >= window.from || before_end
    };
    window.days.contains(&local.weekday()) && inside
}

fn deny_window(input: &PolicyInput<'_>) -> CheckOutcome {
    let check = CheckKind::DenyWindow;
    let windows = if input.target.policy.deny_windows.is_empty() {
        &input.defaults.deny_windows
    } else {
        &input.target.policy.deny_windows
    };
    match windows.iter().find(|window| in_window(window, input.now)) {
        Some(window) => {
            let days: Vec<String> = window.days.iter().map(|d| d.to_string().to_lowercase()).collect();
            outcome(
                check,
                false,
                format!(
                    "deploys are denied on {} from {} to {} ({}); deploy after the window",
                    days.join(", "),
                    window.from.format("%H:%M"),
                    window.to.format("%H:%M"),
                    window.timezone
                ),
            )
        }
        None => outcome(check, true, "outside every deny window".to_owned()),
    }
}

/// How severe a severity is: 1 is the worst (`SEV-1`, `P1`, `critical`).
fn level(severity: &str) -> Option<u8> {
    let lower = severity.trim().to_ascii_lowercase();
    match lower.as_str() {
        "critical" => return Some(1),
        "error" | "high" => return Some(2),
        "warning" | "medium" => return Some(3),
        "info" | "low" => return Some(4),
        _ => {}
    }
    lower.chars().filter(char::is_ascii_digit).collect::<String>().parse().ok()
}

fn open_incident(input: &PolicyInput<'_>) -> CheckOutcome {
    let check = CheckKind::OpenIncident;
    let Some(threshold) =
        input.target.policy.block_on_open_incident.as_deref().or(input.defaults.block_on_open_incident.as_deref())
    else {
        return outcome(check, true, "the policy does not block on incidents".to_owned());
    };
    let Some(limit) = level(threshold) else {
        return outcome(
            check,
            false,
            format!("the policy's severity `{threshold}` is not one pavedroad reads (SEV-1, P2, critical)"),
        );
    };
    let blocking: Vec<&Incident> = input
        .open_incidents
        .iter()
        .filter(|incident| incident.status() != IncidentStatus::Resolved)
        .filter(|incident| {
            input.fixes.is_none_or(|fixes| incident.key != fixes && incident.key.strip_prefix("api:") != Some(fixes))
        })
        .filter(|incident| incident.severity.as_deref().and_then(level).is_some_and(|l| l <= limit))
        .collect();
    match blocking.first() {
        Some(incident) => outcome(
            check,
            false,
            format!(
                "{} is open with severity {} ({threshold} or worse blocks); deploy with --fixes {} if this deploy fixes it",
                incident.key,
                incident.severity.as_deref().unwrap_or("?"),
                incident.key
            ),
        ),
        None => outcome(check, true, format!("no open incident of {threshold} or worse")),
    }
}
