//! The checks that decide, instead of a person, whether a deploy may start
//! (DESIGN §7 Deploy): who may act, the commit's CI, deny windows, open
//! incidents. A pure function of what the caller gathered, so that the
//! CLI's `--dry-run`, the API, the web form and GitHub's protection rule
//! get the same verdicts, and so that it is cheap to evaluate.

use chrono::{DateTime, Datelike, Utc};
use paved_domain::{
    CatalogIndex, CiRun, DenyWindow, DeployTarget, EntityKind, EntityRef, Incident, IncidentStatus, LevelRelief, Policy,
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
    /// The service's levels, as last kept (earned autonomy).
    pub standing: &'a [Standing],
}

/// A service's level on one scorecard, as last kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The Scorecard's name (`readiness`).
    pub scorecard: String,
    /// The levels reached, lowest first (empty below the first).
    pub earned: Vec<String>,
}

/// The relief the service's standing earns under the target's policy (or
/// the organisation's): the one of the highest level among those that
/// apply, with the standing that earned it.
fn relief<'a>(input: &PolicyInput<'a>) -> Option<(&'a LevelRelief, &'a Standing)> {
    let reliefs = if input.target.policy.when_level.is_empty() {
        &input.defaults.when_level
    } else {
        &input.target.policy.when_level
    };
    reliefs
        .iter()
        .filter_map(|relief| {
            input
                .standing
                .iter()
                .filter(|s| relief.scorecard.as_deref().is_none_or(|card| card == s.scorecard))
                .filter_map(|s| s.earned.iter().position(|l| *l == relief.level).map(|rank| (rank, relief, s)))
                .max_by_key(|(rank, _, _)| *rank)
        })
        .max_by_key(|(rank, _, _)| *rank)
        .map(|(_, relief, standing)| (relief, standing))
}

/// ` (gold on readiness: earned autonomy)`.
fn earned(relief: &LevelRelief, standing: &Standing) -> String {
    format!(" ({} on {}: earned autonomy)", relief.level, standing.scorecard)
}

/// What a refusal adds when a level the service has not reached would lift
/// it: `; a service at readiness/gold deploys without it (earned autonomy)`.
fn unearned(input: &PolicyInput<'_>, lifts: impl Fn(&LevelRelief) -> bool) -> String {
    let reliefs = if input.target.policy.when_level.is_empty() {
        &input.defaults.when_level
    } else {
        &input.target.policy.when_level
    };
    let keys: Vec<String> = reliefs.iter().filter(|r| lifts(r)).map(LevelRelief::key).collect();
    if keys.is_empty() {
        return String::new();
    }
    format!(
        "; at {} it would not apply (earned autonomy: `paved scorecard --service {}` says what the service lacks)",
        keys.join(" or "),
        input.target.component.name()
    )
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
    // A CI token's repository and environment bound it; no allow-list
    // widens them.
    if let Err(refusal) = input.caller.ci_scope_allows(input.catalog, service, Some(&input.target.environment)) {
        return outcome(check, false, refusal.to_string());
    }
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
    let relieved = relief(input).filter(|(r, _)| r.checks_passed.is_some());
    let wanted = relieved
        .and_then(|(r, _)| r.checks_passed)
        .or(input.target.policy.checks_passed)
        .or(input.defaults.checks_passed)
        .unwrap_or(false);
    if !wanted {
        let why = relieved.map(|(r, s)| earned(r, s)).unwrap_or_default();
        return outcome(check, true, format!("the policy does not ask for passed CI{why}"));
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
        return outcome(
            check,
            false,
            format!(
                "CI of {short} is still running ({}); wait for it",
                crate::render::findings::count(running as u64, "run", "runs")
            ),
        );
    }
    if finished.is_empty() {
        return outcome(check, false, format!("no CI result is recorded for {short}; its CI must pass first"));
    }
    outcome(
        check,
        true,
        format!("CI of {short} passed ({})", crate::render::findings::count(finished.len() as u64, "run", "runs")),
    )
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
    let base = if input.target.policy.deny_windows.is_empty() {
        &input.defaults.deny_windows
    } else {
        &input.target.policy.deny_windows
    };
    let relieved = relief(input).and_then(|(r, s)| r.deny_windows.as_ref().map(|w| (r, s, w)));
    let windows = relieved.map_or(base, |(_, _, windows)| windows);
    let describe = |window: &DenyWindow| {
        let days: Vec<String> = window.days.iter().map(|d| d.to_string().to_lowercase()).collect();
        format!(
            "{} from {} to {} ({})",
            days.join(", "),
            window.from.format("%H:%M"),
            window.to.format("%H:%M"),
            window.timezone
        )
    };
    if let Some((relief, standing, _)) = relieved
        && let Some(lifted) = base.iter().find(|window| in_window(window, input.now))
        && !windows.iter().any(|window| in_window(window, input.now))
    {
        let why = earned(relief, standing);
        return outcome(check, true, format!("the deny window on {} is lifted{why}", describe(lifted)));
    }
    match windows.iter().find(|window| in_window(window, input.now)) {
        Some(window) => {
            let lifts =
                |r: &LevelRelief| r.deny_windows.as_ref().is_some_and(|w| !w.iter().any(|w| in_window(w, input.now)));
            let earn = if relieved.is_some() { String::new() } else { unearned(input, lifts) };
            outcome(check, false, format!("deploys are denied on {}; deploy after the window{earn}", describe(window)))
        }
        None => {
            let why = relieved.map(|(r, s, _)| earned(r, s)).unwrap_or_default();
            outcome(check, true, format!("outside every deny window{why}"))
        }
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
    let relieved = relief(input).filter(|(r, _)| r.block_on_open_incident.is_some());
    let Some(threshold) = relieved
        .and_then(|(r, _)| r.block_on_open_incident.as_deref())
        .or(input.target.policy.block_on_open_incident.as_deref())
        .or(input.defaults.block_on_open_incident.as_deref())
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
