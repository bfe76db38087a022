//! Acceptance scenarios for the DORA metrics (DESIGN §5, issue 4), written
//! from the definitions and not from the engine: each test builds a catalog,
//! a real git repository with fixed commit times, deployments, incidents and
//! (for the lead-time breakdown) GitHub pull requests, all through the public
//! path, then reads `paved metrics --format json` and checks figures worked
//! out by hand in the comments.
//!
//! Conventions of every scenario unless it says otherwise:
//! - the window is [2026-03-02, 2026-03-30): four ISO weeks, Monday to
//!   Monday, 28 days;
//! - a service's history starts with commit `c0` (2026-02-20) deployed once
//!   before the window (2026-02-23, id `before-<service>`): that first
//!   deployment has no change set, so every deployment inside the window has
//!   a known previous deployment;
//! - a commit's author and committer times are the same.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use paved_ingest::signature::hmac_sha256_hex;
use serde_json::{Value, json};

use crate::support::{Server, paved, run, stderr, stdout};

// ---------------------------------------------------------------------------
// The organisation: one catalog for every scenario.

/// Team `shop` owns checkout, cart and storefront; team `search` owns search
/// and backoffice. storefront and backoffice share github.com/acme/mono.
const CATALOG: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: shop
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: search
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: lena.fischer
  annotations:
    github.com/user-login: lenafischer
    paved.dev/emails: lena.fischer@acme.example
spec:
  memberOf: [shop]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: marco.rossi
  annotations:
    github.com/user-login: mrossi
    paved.dev/emails: marco.rossi@acme.example
spec:
  memberOf: [shop]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  annotations:
    github.com/project-slug: acme/checkout
spec:
  type: service
  lifecycle: production
  owner: shop
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: cart
  annotations:
    paved.dev/repo: https://github.com/acme/cart
spec:
  type: service
  lifecycle: production
  owner: shop
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: search
  annotations:
    github.com/project-slug: acme/search
spec:
  type: service
  lifecycle: production
  owner: search
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: storefront
  annotations:
    github.com/project-slug: acme/mono
    paved.dev/paths: apps/storefront/**
spec:
  type: website
  lifecycle: production
  owner: shop
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: backoffice
  annotations:
    github.com/project-slug: acme/mono
    paved.dev/paths: apps/backoffice/**
spec:
  type: website
  lifecycle: production
  owner: search
"#;

/// The window of most scenarios: four ISO weeks, Monday 2026-03-02 to
/// Monday 2026-03-30 (exclusive), 28 days.
const WINDOW: [&str; 4] = ["--since", "2026-03-02T00:00:00Z", "--until", "2026-03-30T00:00:00Z"];

/// When every service's history starts, and when it was first deployed.
const HISTORY_STARTS: &str = "2026-02-20T10:00:00Z";
const FIRST_DEPLOYED: &str = "2026-02-23T10:00:00Z";

/// A temporary directory with its own `paved.db` and the catalog imported.
struct Org {
    dir: tempfile::TempDir,
}

impl Org {
    fn new() -> Org {
        let dir = tempfile::tempdir().unwrap();
        let catalog = dir.path().join("catalog");
        std::fs::create_dir(&catalog).unwrap();
        std::fs::write(catalog.join("catalog-info.yaml"), CATALOG).unwrap();
        let org = Org { dir };
        org.paved_ok(&["catalog", "import", "catalog"]);
        org
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `paved ARGS` and insists that it succeeds.
    fn paved_ok(&self, args: &[&str]) -> String {
        let output = run(paved(self.path()).args(args));
        assert!(output.status.success(), "paved {args:?} failed:\n{}{}", stdout(&output), stderr(&output));
        stdout(&output)
    }

    /// An empty git repository that will be imported as
    /// `github.com/acme/NAME`.
    fn repo(&self, name: &str) -> Repo {
        let path = self.path().join("repos").join(name);
        std::fs::create_dir_all(&path).unwrap();
        let repo = Repo { path, name: name.to_owned() };
        repo.git(&["init", "-q"]);
        repo
    }

    /// A repository whose history starts with one commit, `c0`, deployed to
    /// production for each of `services` before the window: their first
    /// deployments in the data, with no change set.
    fn repo_deployed_before_window(&self, name: &str, services: &[&str]) -> (Repo, String) {
        let repo = self.repo(name);
        let c0 = repo.commit_at("README.md", HISTORY_STARTS);
        for service in services {
            self.deploy(service, &c0, &format!("before-{service}"), FIRST_DEPLOYED);
        }
        (repo, c0)
    }

    /// `paved import git` of the repository as it is now.
    fn import(&self, repo: &Repo) {
        let remote = format!("github.com/acme/{}", repo.name);
        self.paved_ok(&["import", "git", repo.path.to_str().unwrap(), "--repo", &remote]);
    }

    /// A successful production deployment of `service` at `sha`, recorded
    /// as `id` (its key becomes `api:<id>`).
    fn deploy(&self, service: &str, sha: &str, id: &str, finished: &str) {
        self.deploy_with(service, sha, id, finished, &[]);
    }

    /// [`Org::deploy`] with more flags: `--environment staging` (which
    /// replaces production), `--status failure`, `--hotfix`, ...
    fn deploy_with(&self, service: &str, sha: &str, id: &str, finished: &str, extra: &[&str]) {
        let mut args = vec!["deploy", "record", "--service", service, "--sha", sha, "--id", id, "--finished", finished];
        if !extra.contains(&"--environment") {
            args.extend(["--environment", "production"]);
        }
        args.extend(extra);
        self.paved_ok(&args);
    }

    /// `paved incident open`; `extra` adds `--caused-by`, `--root-cause` or
    /// `--title`.
    fn open_incident(&self, service: &str, id: &str, at: &str, extra: &[&str]) {
        let mut args = vec!["incident", "open", "--service", service, "--id", id, "--at", at];
        args.extend(extra);
        self.paved_ok(&args);
    }

    fn resolve_incident(&self, id: &str, at: &str) {
        self.paved_ok(&["incident", "resolve", "--id", id, "--by", "mrossi", "--at", at]);
    }

    /// `paved metrics ARGS --format json`, parsed.
    fn metrics(&self, args: &[&str]) -> Value {
        let output = run(paved(self.path()).arg("metrics").args(args).args(["--format", "json"]));
        assert!(output.status.success(), "paved metrics {args:?} failed:\n{}{}", stdout(&output), stderr(&output));
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|error| panic!("paved metrics {args:?} did not print JSON ({error}):\n{}", stdout(&output)))
    }

    /// The metrics of one service over [`WINDOW`].
    fn service_metrics(&self, service: &str) -> Value {
        let mut args = vec!["--service", service];
        args.extend(WINDOW);
        self.metrics(&args)
    }
}

// ---------------------------------------------------------------------------
// Git repositories with exact times.

struct Repo {
    path: PathBuf,
    name: String,
}

/// `2026-03-03T10:00:00+02:00` as git's internal date format,
/// `1772524800 +0200`, which git takes without guessing.
fn git_date(rfc3339: &str) -> String {
    let time = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap_or_else(|e| panic!("{rfc3339}: {e}"));
    let offset = time.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.abs();
    format!("{} {sign}{:02}{:02}", time.timestamp(), offset / 3600, offset % 3600 / 60)
}

impl Repo {
    fn git(&self, args: &[&str]) -> String {
        self.git_dated(args, None)
    }

    /// git with the author and committer dates fixed (`(author, committer)`).
    fn git_dated(&self, args: &[&str], dates: Option<(&str, &str)>) -> String {
        let mut command = Command::new("git");
        command
            .args(["-c", "user.name=Lena Fischer", "-c", "user.email=lena.fischer@acme.example"])
            .args(["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"])
            .args(args)
            .current_dir(&self.path);
        if let Some((author, committer)) = dates {
            command.env("GIT_AUTHOR_DATE", git_date(author)).env("GIT_COMMITTER_DATE", git_date(committer));
        }
        let output = command.output().expect("git runs");
        assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// A commit changing `file`, authored and committed at `at`; its sha.
    fn commit_at(&self, file: &str, at: &str) -> String {
        self.commit(&[file], &format!("change {file}"), at, at)
    }

    /// A commit with `message` changing `file`, authored and committed at `at`.
    fn commit_message(&self, file: &str, message: &str, at: &str) -> String {
        self.commit(&[file], message, at, at)
    }

    /// A commit appending a line to each of `files` (created with their
    /// directories if needed); its sha.
    fn commit(&self, files: &[&str], message: &str, authored: &str, committed: &str) -> String {
        use std::io::Write;
        for file in files {
            let path = self.path.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let mut handle = std::fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
            writeln!(handle, "{message} ({committed})").unwrap();
        }
        self.git(&["add", "-A"]);
        self.commit_staged(message, authored, committed)
    }

    /// Commits what is staged (after `git merge --squash`); its sha.
    fn commit_staged(&self, message: &str, authored: &str, committed: &str) -> String {
        self.git_dated(&["commit", "-q", "-m", message], Some((authored, committed)));
        self.head()
    }
}

// ---------------------------------------------------------------------------
// Reading the JSON contract.

/// The value at a dotted path, e.g. `lead_time_for_changes.median_seconds`;
/// `Null` when any step is missing or null.
fn at<'a>(metrics: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(metrics, |value, key| match key.parse::<usize>() {
        Ok(index) => &value[index],
        Err(_) => &value[key],
    })
}

fn number(metrics: &Value, path: &str) -> f64 {
    at(metrics, path).as_f64().unwrap_or_else(|| panic!("{path} is not a number in\n{metrics:#}"))
}

/// A count (an integer) at `path`.
fn count(metrics: &Value, path: &str) -> u64 {
    at(metrics, path).as_u64().unwrap_or_else(|| panic!("{path} is not a count in\n{metrics:#}"))
}

fn text<'a>(metrics: &'a Value, path: &str) -> &'a str {
    at(metrics, path).as_str().unwrap_or_else(|| panic!("{path} is not a string in\n{metrics:#}"))
}

/// Durations in seconds are whole here, and interpolation between whole
/// seconds is exact to well under a millisecond.
#[track_caller]
fn assert_seconds(metrics: &Value, path: &str, expected: f64) {
    let actual = number(metrics, path);
    assert!((actual - expected).abs() < 1e-3, "{path}: expected {expected}, got {actual} in\n{metrics:#}");
}

/// Rates and per-day figures: the contract's example shows three decimals,
/// so a value rounded to three decimals passes too.
#[track_caller]
fn assert_ratio(metrics: &Value, path: &str, expected: f64) {
    let actual = number(metrics, path);
    assert!((actual - expected).abs() <= 5e-4, "{path}: expected {expected}, got {actual} in\n{metrics:#}");
}

#[track_caller]
fn assert_count(metrics: &Value, path: &str, expected: u64) {
    assert_eq!(count(metrics, path), expected, "{path} in\n{metrics:#}");
}

/// "A metric with no data is null, never 0": the figure is null, or the
/// whole metric object is.
#[track_caller]
fn assert_no_data(metrics: &Value, path: &str) {
    assert!(at(metrics, path).is_null(), "{path} should be null (no data), in\n{metrics:#}");
}

/// The sum of the counts of the notes of `kind` (0 when there is none).
fn note_count(metrics: &Value, kind: &str) -> u64 {
    let notes = at(metrics, "notes").as_array().unwrap_or_else(|| panic!("notes is not a list in\n{metrics:#}"));
    notes.iter().filter(|note| note["kind"] == kind).map(|note| note["count"].as_u64().unwrap_or(0)).sum()
}

/// The failed deployments as (id, rule), sorted by id.
fn failed_deployments(metrics: &Value) -> Vec<(String, String)> {
    let list = at(metrics, "change_failure_rate.failed_deployments")
        .as_array()
        .unwrap_or_else(|| panic!("change_failure_rate.failed_deployments is not a list in\n{metrics:#}"));
    let mut failed: Vec<(String, String)> = list
        .iter()
        .map(|failed| (failed["id"].as_str().unwrap().to_owned(), failed["rule"].as_str().unwrap().to_owned()))
        .collect();
    failed.sort();
    failed
}

fn same_instant(actual: &str, expected: &str) -> bool {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap_or_else(|e| panic!("{t}: {e}"));
    parse(actual) == parse(expected)
}

// ---------------------------------------------------------------------------
// Deployment frequency, and what counts as a deployment.

#[test]
fn a_first_deployment_counts_for_frequency_and_failure_rate_but_has_no_lead_time() {
    let org = Org::new();
    let repo = org.repo("checkout");
    let _c1 = repo.commit_at("cart.rs", "2026-03-03T09:00:00Z");
    let c2 = repo.commit_at("cart.rs", "2026-03-03T10:00:00Z");
    let c3 = repo.commit_at("cart.rs", "2026-03-04T10:00:00Z");
    org.import(&repo);
    // d1 is checkout's first deployment in the data: c1 and c2 may have
    // been written any time before, so they have no lead time.
    org.deploy("checkout", &c2, "d1", "2026-03-03T12:00:00Z");
    org.deploy("checkout", &c3, "d2", "2026-03-04T11:00:00Z");

    let metrics = org.service_metrics("checkout");
    assert_eq!(text(&metrics, "scope.kind"), "service");
    assert!(text(&metrics, "scope.name").ends_with("checkout"), "{metrics:#}");
    assert!(same_instant(text(&metrics, "window.since"), "2026-03-02T00:00:00Z"), "{metrics:#}");
    assert!(same_instant(text(&metrics, "window.until"), "2026-03-30T00:00:00Z"), "{metrics:#}");
    assert_eq!(text(&metrics, "table"), "dora-2023", "the default table");
    // Both deployments count for frequency: 2 in 28 days.
    assert_count(&metrics, "deployment_frequency.deployments", 2);
    assert_ratio(&metrics, "deployment_frequency.per_day", 2.0 / 28.0);
    // ... and for the failure rate: 0 failed of 2 is a rate of 0, not "no data".
    assert_count(&metrics, "change_failure_rate.deployments", 2);
    assert_count(&metrics, "change_failure_rate.failed", 0);
    assert_ratio(&metrics, "change_failure_rate.rate", 0.0);
    // Lead time: only d2's change set {c3}: 11:00 - 10:00 = 3600.
    assert_count(&metrics, "lead_time_for_changes.changes", 1);
    assert_seconds(&metrics, "lead_time_for_changes.median_seconds", 3600.0);
    assert_seconds(&metrics, "lead_time_for_changes.p90_seconds", 3600.0);
    assert_eq!(note_count(&metrics, "first_deployment"), 1, "d1 has no change set: {metrics:#}");
    // No incident, no failure: nothing to say about restoring.
    assert_no_data(&metrics, "time_to_restore_service.median_seconds");
    assert_no_data(&metrics, "failed_deployment_recovery_time.median_seconds");
}

#[test]
fn a_service_with_only_its_first_deployment_has_no_lead_time_at_all() {
    let org = Org::new();
    let repo = org.repo("checkout");
    let c1 = repo.commit_at("cart.rs", "2026-03-03T09:00:00Z");
    org.import(&repo);
    org.deploy("checkout", &c1, "d1", "2026-03-03T12:00:00Z");

    let metrics = org.service_metrics("checkout");
    assert_count(&metrics, "deployment_frequency.deployments", 1);
    // No change has a lead time: null, never 0.
    assert_no_data(&metrics, "lead_time_for_changes.median_seconds");
    assert_no_data(&metrics, "lead_time_for_changes.p90_seconds");
    assert_no_data(&metrics, "lead_time_for_changes.tier");
    assert_eq!(note_count(&metrics, "first_deployment"), 1, "{metrics:#}");
}

#[test]
fn failed_and_staging_deployments_count_nowhere() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let c1 = repo.commit_at("cart.rs", "2026-03-03T10:00:00Z");
    let c2 = repo.commit_at("cart.rs", "2026-03-05T09:00:00Z");
    org.import(&repo);
    org.deploy_with("checkout", &c1, "s1", "2026-03-03T11:00:00Z", &["--environment", "staging"]);
    org.deploy_with("checkout", &c1, "f1", "2026-03-03T12:00:00Z", &["--status", "failure"]);
    org.deploy("checkout", &c1, "d1", "2026-03-03T14:00:00Z");
    // c2 only ever reaches staging, and a failed production attempt.
    org.deploy_with("checkout", &c2, "s2", "2026-03-05T10:00:00Z", &["--environment", "staging"]);
    org.deploy_with("checkout", &c2, "f2", "2026-03-05T11:00:00Z", &["--status", "failure"]);

    let metrics = org.service_metrics("checkout");
    // Only d1 is a successful production deployment.
    assert_count(&metrics, "deployment_frequency.deployments", 1);
    assert_ratio(&metrics, "deployment_frequency.per_day", 1.0 / 28.0);
    // c1 was shipped by d1 (not by s1 at 11:00 nor f1 at 12:00), and d1's
    // previous deployment is before-checkout (not f1, which would leave d1
    // an empty change set): 14:00 - 10:00 = 14400. c2 never shipped.
    assert_count(&metrics, "lead_time_for_changes.changes", 1);
    assert_seconds(&metrics, "lead_time_for_changes.median_seconds", 14400.0);
    // A deployment that failed to deploy is not a change that failed in
    // production: the rate is over successful production deployments only.
    assert_count(&metrics, "change_failure_rate.deployments", 1);
    assert_count(&metrics, "change_failure_rate.failed", 0);
    assert_count(&metrics, "rework_rate.deployments", 1);
    assert_count(&metrics, "rework_rate.rework", 0);
}

#[test]
fn a_redeploy_of_the_same_sha_is_a_deployment_with_no_changes() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let c1 = repo.commit_at("cart.rs", "2026-03-03T10:00:00Z");
    let c2 = repo.commit_at("cart.rs", "2026-03-05T10:00:00Z");
    org.import(&repo);
    org.deploy("checkout", &c1, "d1", "2026-03-03T12:00:00Z");
    org.deploy("checkout", &c1, "d2", "2026-03-04T12:00:00Z"); // the same sha again
    org.deploy("checkout", &c2, "d3", "2026-03-05T11:00:00Z");

    let metrics = org.service_metrics("checkout");
    // d2 is still a deployment.
    assert_count(&metrics, "deployment_frequency.deployments", 3);
    assert_ratio(&metrics, "deployment_frequency.per_day", 3.0 / 28.0);
    // d1 ships c1: 12:00 - 10:00 = 7200; d2 ships nothing (c1 was already
    // shipped); d3 ships c2 (previous deployment d2, same sha as d1):
    // 11:00 - 10:00 = 3600.
    // [3600, 7200] -> median 5400; p90 rank 0.9 -> 3600 + 0.9 * 3600 = 6840.
    assert_count(&metrics, "lead_time_for_changes.changes", 2);
    assert_seconds(&metrics, "lead_time_for_changes.median_seconds", 5400.0);
    assert_seconds(&metrics, "lead_time_for_changes.p90_seconds", 6840.0);
    // The same sha is not a strict ancestor: no rollback, no failure, no rework.
    assert_count(&metrics, "change_failure_rate.failed", 0);
    assert_count(&metrics, "rework_rate.rework", 0);
}

#[test]
fn a_deployment_of_an_unknown_commit_is_counted_with_a_note() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    org.import(&repo);
    org.deploy("checkout", "0123456789abcdef0123456789abcdef01234567", "d1", "2026-03-03T12:00:00Z");

    let metrics = org.service_metrics("checkout");
    assert_count(&metrics, "deployment_frequency.deployments", 1);
    // Its change set cannot be known: no lead time, and a note.
    assert_no_data(&metrics, "lead_time_for_changes.median_seconds");
    assert_eq!(note_count(&metrics, "unknown_commit"), 1, "{metrics:#}");
}

#[test]
fn deployment_frequency_per_day_days_per_week_and_tiers_over_four_weeks() {
    let org = Org::new();
    four_weeks_of_deployments(&org);

    let metrics = org.service_metrics("checkout");
    // 7 deployments in 28 days -> 0.25 per day.
    assert_count(&metrics, "deployment_frequency.deployments", 7);
    assert_ratio(&metrics, "deployment_frequency.per_day", 0.25);
    // Deployment days (distinct UTC dates) per ISO week:
    // week of 03-02: 03-02, 03-03 (03-03 twice, once as 03-04T01:30+02:00) -> 2;
    // week of 03-09: 03-11 -> 1; week of 03-16: none -> 0;
    // week of 03-23: 03-23, 03-26, 03-27 -> 3.
    // [0, 1, 2, 3] -> median 1.5 (local dates would give 3 in week one, median 2).
    assert_ratio(&metrics, "deployment_frequency.median_deploy_days_per_week", 1.5);
    // dora-2023: 1.5 >= 1 per week but < 5 -> high.
    assert_eq!(text(&metrics, "deployment_frequency.tier"), "high");
    // Every change waited 2 h: median and p90 7200 -> < 1 day -> elite.
    assert_count(&metrics, "lead_time_for_changes.changes", 7);
    assert_seconds(&metrics, "lead_time_for_changes.median_seconds", 7200.0);
    assert_seconds(&metrics, "lead_time_for_changes.p90_seconds", 7200.0);
    assert_eq!(text(&metrics, "lead_time_for_changes.tier"), "elite");
    // 0 failed of 7 -> 0 % -> elite.
    assert_ratio(&metrics, "change_failure_rate.rate", 0.0);
    assert_eq!(text(&metrics, "change_failure_rate.tier"), "elite");
    // No failed deployment: no recovery time and no tier for it.
    assert_no_data(&metrics, "failed_deployment_recovery_time.median_seconds");
    assert_no_data(&metrics, "failed_deployment_recovery_time.tier");

    let mut args = vec!["--service", "checkout", "--table", "dora-2021"];
    args.extend(WINDOW);
    let old = org.metrics(&args);
    assert_eq!(text(&old, "table"), "dora-2021");
    // The figures do not change with the table; the tiers may.
    for figure in [
        "deployment_frequency.deployments",
        "deployment_frequency.per_day",
        "deployment_frequency.median_deploy_days_per_week",
        "lead_time_for_changes.median_seconds",
        "change_failure_rate.rate",
    ] {
        assert_eq!(at(&old, figure), at(&metrics, figure), "{figure}");
    }
    // dora-2021: 2 h is not < 1 hour but < 7 days -> high.
    assert_eq!(text(&old, "lead_time_for_changes.tier"), "high");
    // 0 % <= 15 % -> elite; deploying every week is >= 1 per month but
    // not >= 5 days per week -> high.
    assert_eq!(text(&old, "change_failure_rate.tier"), "elite");
    assert_eq!(text(&old, "deployment_frequency.tier"), "high");
}

/// checkout deployed 7 times in [`WINDOW`], each deployment shipping one
/// commit made 2 hours before it finished.
fn four_weeks_of_deployments(org: &Org) {
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    // (committed, deployment finished)
    let schedule = [
        ("2026-03-02T08:00:00Z", "2026-03-02T10:00:00Z"), // Monday, week 1
        ("2026-03-03T08:00:00Z", "2026-03-03T10:00:00Z"), // Tuesday
        // Tuesday 23:30 UTC, recorded with a +02:00 offset (Helsinki):
        // Wednesday 01:30 local, still Tuesday in UTC.
        ("2026-03-03T21:30:00Z", "2026-03-04T01:30:00+02:00"),
        ("2026-03-11T08:00:00Z", "2026-03-11T10:00:00Z"), // Wednesday, week 2
        ("2026-03-23T08:00:00Z", "2026-03-23T10:00:00Z"), // Monday, week 4
        ("2026-03-26T08:00:00Z", "2026-03-26T10:00:00Z"), // Thursday
        ("2026-03-27T08:00:00Z", "2026-03-27T10:00:00Z"), // Friday
    ];
    let shas: Vec<String> = schedule.iter().map(|(committed, _)| repo.commit_at("cart.rs", committed)).collect();
    org.import(&repo);
    for (i, ((_, finished), sha)) in schedule.iter().zip(&shas).enumerate() {
        org.deploy("checkout", sha, &format!("d{}", i + 1), finished);
    }
}

#[test]
fn weekly_series_deployment_counts_sum_to_the_window() {
    let org = Org::new();
    four_weeks_of_deployments(&org);

    let mut args = vec!["--service", "checkout", "--by", "week"];
    args.extend(WINDOW);
    let metrics = org.metrics(&args);
    let series = at(&metrics, "series").as_array().unwrap_or_else(|| panic!("no series in\n{metrics:#}"));
    // One period per ISO week of the window, the empty one included:
    // 3 (03-02, 03-03, 03-03 23:30), 1 (03-11), 0, 3 (03-23, 03-26, 03-27).
    let weeks: Vec<(&str, u64)> = series
        .iter()
        .map(|period| (period["period_start"].as_str().unwrap(), period["deployments"].as_u64().unwrap()))
        .collect();
    assert_eq!(weeks.len(), 4, "{metrics:#}");
    let expected = [
        ("2026-03-02T00:00:00Z", 3),
        ("2026-03-09T00:00:00Z", 1),
        ("2026-03-16T00:00:00Z", 0),
        ("2026-03-23T00:00:00Z", 3),
    ];
    for ((start, deployments), (expected_start, expected_deployments)) in weeks.iter().zip(expected) {
        assert!(same_instant(start, expected_start), "period {start}, expected {expected_start}: {metrics:#}");
        assert_eq!(*deployments, expected_deployments, "week of {start}: {metrics:#}");
    }
    let total: u64 = weeks.iter().map(|(_, deployments)| deployments).sum();
    assert_eq!(total, count(&metrics, "deployment_frequency.deployments"), "3 + 1 + 0 + 3 = 7");
    assert_eq!(total, 7);
}

// ---------------------------------------------------------------------------
// Lead time for changes.

#[test]
fn medians_of_odd_and_even_counts_and_p90_interpolate_between_ranks() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let _c1 = repo.commit_at("cart.rs", "2026-03-03T04:00:00Z");
    let _c2 = repo.commit_at("cart.rs", "2026-03-03T08:00:00Z");
    let c3 = repo.commit_at("cart.rs", "2026-03-03T09:00:00Z");
    let c4 = repo.commit_at("cart.rs", "2026-03-10T06:00:00Z");
    org.import(&repo);
    org.deploy("checkout", &c3, "d1", "2026-03-03T10:00:00Z"); // ships c1, c2, c3
    org.deploy("checkout", &c4, "d2", "2026-03-10T10:00:00Z"); // ships c4

    // Week one holds d1 only: lead times 21600, 7200, 3600.
    // [3600, 7200, 21600] -> median 7200 (the middle one);
    // p90: rank 0.9 * 2 = 1.8 -> 7200 + 0.8 * (21600 - 7200) = 18720.
    let odd =
        org.metrics(&["--service", "checkout", "--since", "2026-03-02T00:00:00Z", "--until", "2026-03-09T00:00:00Z"]);
    assert_count(&odd, "lead_time_for_changes.changes", 3);
    assert_seconds(&odd, "lead_time_for_changes.median_seconds", 7200.0);
    assert_seconds(&odd, "lead_time_for_changes.p90_seconds", 18720.0);

    // Two weeks add d2's c4: 10:00 - 06:00 = 14400.
    // [3600, 7200, 14400, 21600] -> median (7200 + 14400) / 2 = 10800;
    // p90: rank 0.9 * 3 = 2.7 -> 14400 + 0.7 * (21600 - 14400) = 19440.
    let even =
        org.metrics(&["--service", "checkout", "--since", "2026-03-02T00:00:00Z", "--until", "2026-03-16T00:00:00Z"]);
    assert_count(&even, "lead_time_for_changes.changes", 4);
    assert_seconds(&even, "lead_time_for_changes.median_seconds", 10800.0);
    assert_seconds(&even, "lead_time_for_changes.p90_seconds", 19440.0);
}

#[test]
fn changes_fall_in_the_window_by_their_deployments_finish() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let ca = repo.commit_at("cart.rs", "2026-03-09T20:00:00Z");
    let _c1 = repo.commit_at("cart.rs", "2026-03-09T22:00:00Z"); // before the window
    let c2 = repo.commit_at("cart.rs", "2026-03-10T06:00:00Z"); // inside it
    let c3 = repo.commit_at("cart.rs", "2026-03-16T20:00:00Z"); // inside it
    org.import(&repo);
    org.deploy("checkout", &ca, "d0", "2026-03-09T23:00:00Z"); // just before the window
    org.deploy("checkout", &c2, "d1", "2026-03-10T12:00:00Z"); // ships c1 and c2
    org.deploy("checkout", &c3, "d2", "2026-03-17T00:00:00Z"); // exactly at `until`: outside

    let window = ["--service", "checkout", "--since", "2026-03-10T00:00:00Z", "--until", "2026-03-17T00:00:00Z"];
    let metrics = org.metrics(&window);
    // [since, until) holds d1 only.
    assert_count(&metrics, "deployment_frequency.deployments", 1);
    // d1 counts its whole change set, c1 committed before the window included:
    // c1 12:00 - 22:00 the day before = 50400, c2 12:00 - 06:00 = 21600.
    // ca (shipped by d0) and c3 (shipped by d2, committed inside the window)
    // do not count.
    // [21600, 50400] -> median 36000; p90 21600 + 0.9 * 28800 = 47520.
    assert_count(&metrics, "lead_time_for_changes.changes", 2);
    assert_seconds(&metrics, "lead_time_for_changes.median_seconds", 36000.0);
    assert_seconds(&metrics, "lead_time_for_changes.p90_seconds", 47520.0);

    // A wider window takes all three deployments and their changes:
    // ca 23:00 - 20:00 = 10800, c1 50400, c2 21600, c3 00:00 - 20:00 = 14400.
    // [10800, 14400, 21600, 50400] -> median (14400 + 21600) / 2 = 18000.
    let wider =
        org.metrics(&["--service", "checkout", "--since", "2026-03-09T00:00:00Z", "--until", "2026-03-18T00:00:00Z"]);
    assert_count(&wider, "deployment_frequency.deployments", 3);
    assert_count(&wider, "lead_time_for_changes.changes", 4);
    assert_seconds(&wider, "lead_time_for_changes.median_seconds", 18000.0);
}

#[test]
fn a_clock_skewed_commit_is_left_out_of_lead_time_with_a_note() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let _c1 = repo.commit_at("cart.rs", "2026-03-03T08:00:00Z");
    // Its author's clock says April; its committer time is right. Lead time
    // runs from the committer time, so this one is fine: 12:00 - 11:00 = 3600.
    let _c2 = repo.commit(&["cart.rs"], "future author clock", "2026-04-01T10:00:00Z", "2026-03-03T11:00:00Z");
    // Committed (by a skewed clock) at 15:00, after the deployment that
    // shipped it finished at 12:00: -10800, left out and noted.
    let c3 = repo.commit(&["cart.rs"], "skewed committer clock", "2026-03-03T15:00:00Z", "2026-03-03T15:00:00Z");
    org.import(&repo);
    org.deploy("checkout", &c3, "d1", "2026-03-03T12:00:00Z");

    let metrics = org.service_metrics("checkout");
    // c1 12:00 - 08:00 = 14400, c2 3600; c3 left out (never clamped to 0,
    // which would give [0, 3600, 14400] -> median 3600).
    // [3600, 14400] -> median 9000; p90 3600 + 0.9 * 10800 = 13320.
    assert_count(&metrics, "lead_time_for_changes.changes", 2);
    assert_seconds(&metrics, "lead_time_for_changes.median_seconds", 9000.0);
    assert_seconds(&metrics, "lead_time_for_changes.p90_seconds", 13320.0);
    assert_eq!(note_count(&metrics, "negative_duration"), 1, "{metrics:#}");
    assert_count(&metrics, "deployment_frequency.deployments", 1);
}

#[test]
fn monorepo_services_get_only_the_commits_touching_their_paths() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("mono", &["storefront", "backoffice"]);
    let _s1 = repo.commit_at("apps/storefront/a.txt", "2026-03-03T08:00:00Z");
    let _b1 = repo.commit_at("apps/backoffice/a.txt", "2026-03-03T09:00:00Z");
    let _s2 = repo.commit_at("apps/storefront/b.txt", "2026-03-03T10:00:00Z");
    let _both = repo.commit(
        &["apps/storefront/c.txt", "apps/backoffice/c.txt"],
        "shared change",
        "2026-03-03T11:00:00Z",
        "2026-03-03T11:00:00Z",
    );
    let neither = repo.commit_at("README.md", "2026-03-03T11:30:00Z");
    org.import(&repo);
    // Both services deploy the same tip of the repository.
    org.deploy("storefront", &neither, "sf1", "2026-03-03T12:00:00Z");
    org.deploy("backoffice", &neither, "bo1", "2026-03-03T13:00:00Z");

    // storefront ships s1 (12:00 - 08:00 = 14400), s2 (7200) and the shared
    // commit (3600), not b1 nor the README change.
    // [3600, 7200, 14400] -> median 7200.
    let storefront = org.service_metrics("storefront");
    assert_count(&storefront, "deployment_frequency.deployments", 1);
    assert_count(&storefront, "lead_time_for_changes.changes", 3);
    assert_seconds(&storefront, "lead_time_for_changes.median_seconds", 7200.0);

    // backoffice ships b1 (13:00 - 09:00 = 14400) and the shared commit (7200).
    // [7200, 14400] -> median 10800.
    let backoffice = org.service_metrics("backoffice");
    assert_count(&backoffice, "deployment_frequency.deployments", 1);
    assert_count(&backoffice, "lead_time_for_changes.changes", 2);
    assert_seconds(&backoffice, "lead_time_for_changes.median_seconds", 10800.0);
}

#[test]
fn a_team_counts_the_services_it_owns_and_the_organisation_counts_all() {
    let org = Org::new();
    let (checkout, _) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let (cart, _) = org.repo_deployed_before_window("cart", &["cart"]);
    let (search, _) = org.repo_deployed_before_window("search", &["search"]);
    let k1 = checkout.commit_at("cart.rs", "2026-03-03T09:00:00Z");
    let a1 = cart.commit_at("basket.rs", "2026-03-04T08:00:00Z");
    let s1 = search.commit_at("index.rs", "2026-03-05T07:00:00Z");
    let s2 = search.commit_at("index.rs", "2026-03-06T06:00:00Z");
    for repo in [&checkout, &cart, &search] {
        org.import(repo);
    }
    org.deploy("checkout", &k1, "k1", "2026-03-03T10:00:00Z"); // 3600
    org.deploy("cart", &a1, "a1", "2026-03-04T10:00:00Z"); // 7200
    org.deploy("search", &s1, "s1", "2026-03-05T10:00:00Z"); // 10800
    org.deploy("search", &s2, "s2", "2026-03-06T10:00:00Z"); // 14400

    // shop owns checkout and cart (and storefront, which did not deploy).
    // [3600, 7200] -> median 5400.
    let mut args = vec!["--team", "shop"];
    args.extend(WINDOW);
    let shop = org.metrics(&args);
    assert_eq!(text(&shop, "scope.kind"), "team");
    assert!(text(&shop, "scope.name").ends_with("shop"), "{shop:#}");
    assert_count(&shop, "deployment_frequency.deployments", 2);
    assert_count(&shop, "lead_time_for_changes.changes", 2);
    assert_seconds(&shop, "lead_time_for_changes.median_seconds", 5400.0);

    // search owns search: [10800, 14400] -> median 12600.
    let mut args = vec!["--team", "search"];
    args.extend(WINDOW);
    let search_team = org.metrics(&args);
    assert_count(&search_team, "deployment_frequency.deployments", 2);
    assert_seconds(&search_team, "lead_time_for_changes.median_seconds", 12600.0);

    // The organisation: 4 deployments, [3600, 7200, 10800, 14400] ->
    // median 9000; p90 rank 2.7 -> 10800 + 0.7 * 3600 = 13320.
    let mut args = vec!["--org"];
    args.extend(WINDOW);
    let all = org.metrics(&args);
    assert_eq!(text(&all, "scope.kind"), "org");
    assert_count(&all, "deployment_frequency.deployments", 4);
    assert_ratio(&all, "deployment_frequency.per_day", 4.0 / 28.0);
    assert_count(&all, "lead_time_for_changes.changes", 4);
    assert_seconds(&all, "lead_time_for_changes.median_seconds", 9000.0);
    assert_seconds(&all, "lead_time_for_changes.p90_seconds", 13320.0);
}

// ---------------------------------------------------------------------------
// Change failure rate, recovery, restoring service, rework.

#[test]
fn a_rollback_fails_the_rolled_back_deployment_and_is_rework() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let c1 = repo.commit_at("cart.rs", "2026-03-03T08:00:00Z");
    let c2 = repo.commit_at("cart.rs", "2026-03-04T09:00:00Z"); // the bad change
    let c3 = repo.commit_at("cart.rs", "2026-03-05T06:00:00Z"); // the fix, on top of c2
    org.import(&repo);
    org.deploy("checkout", &c1, "d1", "2026-03-03T10:00:00Z");
    org.deploy("checkout", &c2, "d2", "2026-03-04T10:00:00Z");
    // Back to c1, a strict ancestor of c2. No --trigger: the graph says it.
    org.deploy("checkout", &c1, "d3", "2026-03-04T11:00:00Z");
    org.deploy("checkout", &c3, "d4", "2026-03-05T10:00:00Z");

    let metrics = org.service_metrics("checkout");
    assert_count(&metrics, "deployment_frequency.deployments", 4);
    // d2 failed by rule (b): the next deployment, d3, deploys a strict
    // ancestor of c2. d1 (next deploys c2, a descendant), d3 (next deploys
    // c3, a descendant) and d4 (no next) did not. 1 of 4 = 0.25 > 15 % -> low.
    assert_count(&metrics, "change_failure_rate.deployments", 4);
    assert_count(&metrics, "change_failure_rate.failed", 1);
    assert_ratio(&metrics, "change_failure_rate.rate", 0.25);
    assert_eq!(failed_deployments(&metrics), [("api:d2".to_owned(), "rollback".to_owned())]);
    assert_eq!(text(&metrics, "change_failure_rate.tier"), "low");
    // d3 is a rollback (deploys a strict ancestor of the previous
    // deployment's sha): rework, 1 of 4.
    assert_count(&metrics, "rework_rate.deployments", 4);
    assert_count(&metrics, "rework_rate.rework", 1);
    assert_ratio(&metrics, "rework_rate.rate", 0.25);
    // Change sets: d1 {c1} 7200; d2 {c2} 3600; d3 {} (nothing new);
    // d4 {c3} 14400 — not c2 again, which d2 already shipped
    // (that would add 10:00 on 03-05 - 09:00 on 03-04 = 90000).
    // [3600, 7200, 14400] -> median 7200; p90 7200 + 0.8 * 7200 = 12960.
    assert_count(&metrics, "lead_time_for_changes.changes", 3);
    assert_seconds(&metrics, "lead_time_for_changes.median_seconds", 7200.0);
    assert_seconds(&metrics, "lead_time_for_changes.p90_seconds", 12960.0);
    // Recovery of d2: its finish (10:00) to the rollback's finish (11:00)
    // = 3600, which is not < 1 hour -> high (< 1 day).
    assert_count(&metrics, "failed_deployment_recovery_time.recoveries", 1);
    assert_seconds(&metrics, "failed_deployment_recovery_time.median_seconds", 3600.0);
    assert_eq!(text(&metrics, "failed_deployment_recovery_time.tier"), "high");
    // No incident was recorded.
    assert_no_data(&metrics, "time_to_restore_service.median_seconds");
}

#[test]
fn deployments_are_ordered_by_their_finish_not_by_when_they_were_recorded() {
    // The rollback scenario above, recorded in another order (a CI that
    // reports late, an import of old runs).
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let c1 = repo.commit_at("cart.rs", "2026-03-03T08:00:00Z");
    let c2 = repo.commit_at("cart.rs", "2026-03-04T09:00:00Z");
    let c3 = repo.commit_at("cart.rs", "2026-03-05T06:00:00Z");
    org.import(&repo);
    org.deploy("checkout", &c3, "d4", "2026-03-05T10:00:00Z");
    org.deploy("checkout", &c1, "d3", "2026-03-04T11:00:00Z");
    org.deploy("checkout", &c2, "d2", "2026-03-04T10:00:00Z");
    org.deploy("checkout", &c1, "d1", "2026-03-03T10:00:00Z");

    let metrics = org.service_metrics("checkout");
    // The same figures: d2 rolled back by d3; d3 is rework; lead times
    // [3600, 7200, 14400] -> median 7200.
    assert_eq!(failed_deployments(&metrics), [("api:d2".to_owned(), "rollback".to_owned())]);
    assert_count(&metrics, "rework_rate.rework", 1);
    assert_count(&metrics, "lead_time_for_changes.changes", 3);
    assert_seconds(&metrics, "lead_time_for_changes.median_seconds", 7200.0);
    assert_seconds(&metrics, "failed_deployment_recovery_time.median_seconds", 3600.0);
}

#[test]
fn an_incident_naming_a_root_cause_commit_fails_the_deployment_that_shipped_it() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let c1 = repo.commit_at("cart.rs", "2026-03-03T08:00:00Z");
    let c2 = repo.commit_at("cart.rs", "2026-03-03T12:00:00Z"); // the culprit
    let c3 = repo.commit_at("cart.rs", "2026-03-03T13:00:00Z");
    org.import(&repo);
    org.deploy("checkout", &c1, "d1", "2026-03-03T10:00:00Z");
    org.deploy("checkout", &c3, "d2", "2026-03-03T14:00:00Z"); // ships c2 and c3
    // Opened three days later (outside any attribution window), naming c2
    // in its text only.
    let title = format!("checkout returns 500s; root cause: {c2}");
    org.open_incident("checkout", "INC-1", "2026-03-06T10:00:00Z", &["--title", &title]);
    org.resolve_incident("INC-1", "2026-03-06T12:00:00Z");

    let metrics = org.service_metrics("checkout");
    // Rule (a): c2 was shipped by d2 (not d1, whose sha c1 does not reach
    // it). 1 of 2 = 0.5.
    assert_count(&metrics, "change_failure_rate.deployments", 2);
    assert_count(&metrics, "change_failure_rate.failed", 1);
    assert_ratio(&metrics, "change_failure_rate.rate", 0.5);
    assert_eq!(failed_deployments(&metrics), [("api:d2".to_owned(), "incident".to_owned())]);
    // Recovery: the incident's opening to its resolution = 7200.
    assert_count(&metrics, "failed_deployment_recovery_time.recoveries", 1);
    assert_seconds(&metrics, "failed_deployment_recovery_time.median_seconds", 7200.0);
    assert_count(&metrics, "time_to_restore_service.incidents", 1);
    assert_seconds(&metrics, "time_to_restore_service.median_seconds", 7200.0);
}

#[test]
fn only_an_incident_inside_the_attribution_window_fails_the_latest_deployment_before_it() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let c1 = repo.commit_at("cart.rs", "2026-03-03T09:00:00Z");
    let c2 = repo.commit_at("cart.rs", "2026-03-10T09:00:00Z");
    let c3 = repo.commit_at("cart.rs", "2026-03-17T09:00:00Z");
    let c4 = repo.commit_at("cart.rs", "2026-03-17T11:00:00Z");
    org.import(&repo);

    // d1, then an unlinked incident 10 h later: inside 24 h -> d1 failed (c).
    org.deploy("checkout", &c1, "d1", "2026-03-03T10:00:00Z");
    org.open_incident("checkout", "INC-1", "2026-03-03T20:00:00Z", &[]);
    org.resolve_incident("INC-1", "2026-03-03T21:00:00Z");
    // d2, then an incident of another service 1 h later (not checkout's),
    // and checkout's own 26 h later (outside 24 h): d2 did not fail.
    org.deploy("checkout", &c2, "d2", "2026-03-10T10:00:00Z");
    org.open_incident("cart", "INC-CART", "2026-03-10T11:00:00Z", &[]);
    org.resolve_incident("INC-CART", "2026-03-10T12:00:00Z");
    org.open_incident("checkout", "INC-2", "2026-03-11T12:00:00Z", &[]);
    org.resolve_incident("INC-2", "2026-03-11T13:00:00Z");
    // d3 and d4 both finish within 24 h before INC-3; only d4, the latest
    // deployment before it, failed.
    org.deploy("checkout", &c3, "d3", "2026-03-17T10:00:00Z");
    org.deploy("checkout", &c4, "d4", "2026-03-17T12:00:00Z");
    org.open_incident("checkout", "INC-3", "2026-03-17T13:00:00Z", &[]);
    org.resolve_incident("INC-3", "2026-03-17T15:00:00Z");

    let metrics = org.service_metrics("checkout");
    // 2 failed (d1, d4) of 4 = 0.5.
    assert_count(&metrics, "change_failure_rate.deployments", 4);
    assert_count(&metrics, "change_failure_rate.failed", 2);
    assert_ratio(&metrics, "change_failure_rate.rate", 0.5);
    assert_eq!(
        failed_deployments(&metrics),
        [
            ("api:d1".to_owned(), "attribution_window".to_owned()),
            ("api:d4".to_owned(), "attribution_window".to_owned())
        ]
    );
    // Recovery from each linked incident's opening to its resolution:
    // d1 20:00 -> 21:00 = 3600, d4 13:00 -> 15:00 = 7200 -> median 5400.
    assert_count(&metrics, "failed_deployment_recovery_time.recoveries", 2);
    assert_seconds(&metrics, "failed_deployment_recovery_time.median_seconds", 5400.0);
    // Time to restore: checkout's three incidents, 3600, 3600, 7200 -> 3600.
    assert_count(&metrics, "time_to_restore_service.incidents", 3);
    assert_seconds(&metrics, "time_to_restore_service.median_seconds", 3600.0);
}

#[test]
fn recovery_time_runs_to_the_rollback_or_to_the_incidents_resolution() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let c1 = repo.commit_at("cart.rs", "2026-03-03T09:00:00Z");
    let c2 = repo.commit_at("cart.rs", "2026-03-04T09:00:00Z");
    let c3 = repo.commit_at("cart.rs", "2026-03-10T09:00:00Z");
    org.import(&repo);
    org.deploy("checkout", &c1, "d1", "2026-03-03T10:00:00Z");
    org.deploy("checkout", &c2, "d2", "2026-03-04T10:00:00Z");
    org.deploy("checkout", &c1, "d3", "2026-03-04T10:30:00Z"); // rolls d2 back
    org.deploy("checkout", &c3, "d4", "2026-03-10T10:00:00Z");
    // Linked explicitly to d4, two days later.
    org.open_incident("checkout", "INC-1", "2026-03-12T10:00:00Z", &["--caused-by", "d4"]);
    org.resolve_incident("INC-1", "2026-03-12T13:00:00Z");

    let metrics = org.service_metrics("checkout");
    assert_eq!(
        failed_deployments(&metrics),
        [("api:d2".to_owned(), "rollback".to_owned()), ("api:d4".to_owned(), "incident".to_owned())]
    );
    assert_ratio(&metrics, "change_failure_rate.rate", 0.5); // 2 of 4
    // d2: its finish 10:00 to the rollback's finish 10:30 = 1800.
    // d4: the incident's opening 10:00 to its resolution 13:00 = 10800.
    // [1800, 10800] -> median 6300: not < 1 hour, < 1 day -> high.
    assert_count(&metrics, "failed_deployment_recovery_time.recoveries", 2);
    assert_seconds(&metrics, "failed_deployment_recovery_time.median_seconds", 6300.0);
    assert_eq!(text(&metrics, "failed_deployment_recovery_time.tier"), "high");
    // Time to restore: the one incident, 10800.
    assert_count(&metrics, "time_to_restore_service.incidents", 1);
    assert_seconds(&metrics, "time_to_restore_service.median_seconds", 10800.0);
}

#[test]
fn a_deployment_failed_by_two_rules_counts_once() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let c1 = repo.commit_at("cart.rs", "2026-03-03T09:00:00Z");
    let c2 = repo.commit_at("cart.rs", "2026-03-04T09:00:00Z");
    org.import(&repo);
    org.deploy("checkout", &c1, "d1", "2026-03-03T10:00:00Z");
    org.deploy("checkout", &c2, "d2", "2026-03-04T10:00:00Z");
    // Linked to d2 twice over (explicitly, and by naming c2), then d2 is
    // rolled back: rules (a) and (b) both fire.
    let title = format!("payments fail; root cause: {c2}");
    org.open_incident("checkout", "INC-1", "2026-03-04T10:05:00Z", &["--caused-by", "d2", "--title", &title]);
    org.deploy("checkout", &c1, "d3", "2026-03-04T10:30:00Z");
    org.resolve_incident("INC-1", "2026-03-04T10:45:00Z");

    let metrics = org.service_metrics("checkout");
    // One failed deployment of 3.
    assert_count(&metrics, "change_failure_rate.deployments", 3);
    assert_count(&metrics, "change_failure_rate.failed", 1);
    assert_ratio(&metrics, "change_failure_rate.rate", 1.0 / 3.0);
    let failed = failed_deployments(&metrics);
    assert_eq!(failed.len(), 1, "{metrics:#}");
    assert_eq!(failed[0].0, "api:d2");
    assert!(["incident", "rollback"].contains(&failed[0].1.as_str()), "{metrics:#}");
    // Recovery: impact starts at the linked incident's opening (10:05, not
    // d2's finish) and ends at its resolution (10:45, not the rollback's
    // finish at 10:30): 2400.
    assert_count(&metrics, "failed_deployment_recovery_time.recoveries", 1);
    assert_seconds(&metrics, "failed_deployment_recovery_time.median_seconds", 2400.0);
    // d3 is rework by two rules too (a rollback, and it finished while
    // INC-1 was open, resolved 15 min later): once. 1 of 3.
    assert_count(&metrics, "rework_rate.rework", 1);
    assert_ratio(&metrics, "rework_rate.rate", 1.0 / 3.0);
}

#[test]
fn time_to_restore_covers_every_incident_opened_in_the_window_and_notes_open_ones() {
    let org = Org::new();
    // Opened before the window, resolved inside it: not counted.
    org.open_incident("checkout", "INC-0", "2026-02-27T10:00:00Z", &[]);
    org.resolve_incident("INC-0", "2026-03-02T10:00:00Z");
    org.open_incident("checkout", "INC-1", "2026-03-03T10:00:00Z", &[]);
    org.resolve_incident("INC-1", "2026-03-03T11:00:00Z"); // 3600
    org.open_incident("checkout", "INC-2", "2026-03-05T10:00:00Z", &[]);
    org.resolve_incident("INC-2", "2026-03-05T12:00:00Z"); // 7200
    org.open_incident("checkout", "INC-3", "2026-03-07T10:00:00Z", &[]);
    org.resolve_incident("INC-3", "2026-03-07T16:00:00Z"); // 21600
    org.open_incident("checkout", "INC-4", "2026-03-09T10:00:00Z", &[]); // still open
    org.open_incident("cart", "INC-5", "2026-03-04T10:00:00Z", &[]);
    org.resolve_incident("INC-5", "2026-03-04T10:30:00Z"); // 1800, cart's
    org.open_incident("search", "INC-6", "2026-03-04T10:00:00Z", &[]);
    org.resolve_incident("INC-6", "2026-03-04T18:00:00Z"); // 28800, team search's

    // checkout: [3600, 7200, 21600] -> median 7200; INC-4 left out, noted.
    let checkout = org.service_metrics("checkout");
    assert_count(&checkout, "time_to_restore_service.incidents", 3);
    assert_seconds(&checkout, "time_to_restore_service.median_seconds", 7200.0);
    assert_eq!(note_count(&checkout, "open_incident"), 1, "{checkout:#}");
    // No deployment: no lead time, no failure rate (0 of 0 is not 0 %).
    assert_no_data(&checkout, "lead_time_for_changes.median_seconds");
    assert_no_data(&checkout, "change_failure_rate.rate");
    assert_no_data(&checkout, "failed_deployment_recovery_time.median_seconds");

    // Team shop (checkout and cart): [1800, 3600, 7200, 21600] -> median 5400.
    let mut args = vec!["--team", "shop"];
    args.extend(WINDOW);
    let shop = org.metrics(&args);
    assert_count(&shop, "time_to_restore_service.incidents", 4);
    assert_seconds(&shop, "time_to_restore_service.median_seconds", 5400.0);
    assert_eq!(note_count(&shop, "open_incident"), 1, "{shop:#}");

    // The organisation: [1800, 3600, 7200, 21600, 28800] -> median 7200.
    let mut args = vec!["--org"];
    args.extend(WINDOW);
    let all = org.metrics(&args);
    assert_count(&all, "time_to_restore_service.incidents", 5);
    assert_seconds(&all, "time_to_restore_service.median_seconds", 7200.0);
}

#[test]
fn rework_counts_hotfixes_reverts_and_deployments_that_fix_an_open_incident() {
    let org = Org::new();
    let (repo, _c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    let c1 = repo.commit_message("cart.rs", "add coupon", "2026-03-02T09:00:00Z");
    let c2 = repo.commit_message("cart.rs", "tune timeout", "2026-03-03T09:00:00Z");
    let revert = format!("Revert \"add coupon\"\n\nThis reverts commit {c1}.");
    let c3 = repo.commit_message("cart.rs", &revert, "2026-03-04T09:00:00Z");
    let c4 = repo.commit_message("cart.rs", "cart: HotFix for rounding", "2026-03-05T09:00:00Z");
    let c5 = repo.commit_message("cart.rs", "retry payments", "2026-03-06T09:00:00Z");
    let c6 = repo.commit_message("cart.rs", "log more", "2026-03-09T09:00:00Z");
    let c7 = repo.commit_message("cart.rs", "add banner", "2026-03-12T09:00:00Z");
    let c8 = repo.commit_message("cart.rs", "faster totals", "2026-03-13T09:00:00Z");
    org.import(&repo);
    org.deploy("checkout", &c1, "d1", "2026-03-02T10:00:00Z"); // planned
    org.deploy_with("checkout", &c2, "d2", "2026-03-03T10:00:00Z", &["--hotfix"]); // (iii) marked
    org.deploy("checkout", &c3, "d3", "2026-03-04T10:00:00Z"); // (iii) `Revert "`
    org.deploy("checkout", &c4, "d4", "2026-03-05T10:00:00Z"); // (iii) contains hotfix
    // (ii) d5 finishes while INC-1 is open, and INC-1 is resolved 1 h later.
    org.open_incident("checkout", "INC-1", "2026-03-06T08:00:00Z", &[]);
    org.deploy("checkout", &c5, "d5", "2026-03-06T10:00:00Z");
    org.resolve_incident("INC-1", "2026-03-06T11:00:00Z");
    // Not (ii): INC-2 is resolved 48 h after d6, outside the attribution window.
    org.open_incident("checkout", "INC-2", "2026-03-09T08:00:00Z", &[]);
    org.deploy("checkout", &c6, "d6", "2026-03-09T10:00:00Z");
    org.resolve_incident("INC-2", "2026-03-11T10:00:00Z");
    org.deploy("checkout", &c7, "d7", "2026-03-12T10:00:00Z"); // planned
    org.deploy("checkout", &c8, "d8", "2026-03-13T10:00:00Z"); // planned

    let metrics = org.service_metrics("checkout");
    // d2, d3, d4, d5 of 8 -> 0.5.
    assert_count(&metrics, "rework_rate.deployments", 8);
    assert_count(&metrics, "rework_rate.rework", 4);
    assert_ratio(&metrics, "rework_rate.rate", 0.5);
}

// ---------------------------------------------------------------------------
// The lead-time breakdown, from GitHub pull requests.

const WEBHOOK_SECRET: &str = "dora-scenarios-secret";

/// A pull request on github.com/acme/checkout, as GitHub describes it.
struct PullRequest<'a> {
    number: u64,
    author: &'a str,
    opened: &'a str,
    branch: &'a str,
    head: String,
    base: String,
}

impl PullRequest<'_> {
    /// The `pull_request` object at `updated`; `closed` is `(closed_at,
    /// Some((merged_by, merge_commit_sha)))` once merged.
    fn object(&self, updated: &str, closed: Option<(&str, Option<(&str, &str)>)>) -> Value {
        let (closed_at, merged) = match closed {
            Some((at, merged)) => (Some(at), merged),
            None => (None, None),
        };
        json!({
            "url": format!("https://api.github.com/repos/acme/checkout/pulls/{}", self.number),
            "html_url": format!("https://github.com/acme/checkout/pull/{}", self.number),
            "number": self.number,
            "state": if closed_at.is_some() { "closed" } else { "open" },
            "title": format!("Pull request {}", self.number),
            "user": {"login": self.author, "type": "User"},
            "created_at": self.opened,
            "updated_at": updated,
            "closed_at": closed_at,
            "merged_at": merged.map(|_| closed_at),
            "merged": merged.is_some(),
            "merged_by": merged.map(|(by, _)| json!({"login": by, "type": "User"})),
            // GitHub fills it with a test merge before a merge; only a
            // merge's own commit counts, so leave it out until then.
            "merge_commit_sha": merged.map(|(_, sha)| sha),
            "head": {"ref": self.branch, "sha": self.head},
            "base": {"ref": "main", "sha": self.base},
        })
    }
}

fn repository() -> Value {
    json!({"name": "checkout", "full_name": "acme/checkout", "html_url": "https://github.com/acme/checkout"})
}

/// Posts a signed GitHub delivery and insists it became records.
async fn deliver(server: &Server, event: &str, body: Value) {
    static DELIVERIES: AtomicU64 = AtomicU64::new(1);
    let body = body.to_string().into_bytes();
    let signature = format!("sha256={}", hmac_sha256_hex(WEBHOOK_SECRET.as_bytes(), &body));
    let delivery = format!("dora-{}", DELIVERIES.fetch_add(1, Ordering::Relaxed));
    let headers = [
        ("X-GitHub-Event", event),
        ("X-GitHub-Delivery", delivery.as_str()),
        ("X-Hub-Signature-256", signature.as_str()),
    ];
    let (status, receipt) = server.post("/hooks/github", &headers, body).await;
    assert_eq!(status, 200, "{event}: {receipt}");
    assert_eq!(receipt["outcome"], "normalized", "{event}: {receipt}");
}

/// A `pull_request_review` (submitted) by `login` (of GitHub account type
/// `kind`, `User` or `Bot`) at `at`.
async fn review(server: &Server, pr: &PullRequest<'_>, login: &str, kind: &str, state: &str, at: &str) {
    let body = json!({
        "action": "submitted",
        "review": {"user": {"login": login, "type": kind}, "submitted_at": at, "state": state,
                   "body": "", "commit_id": pr.head},
        "pull_request": pr.object(at, None),
        "repository": repository(),
        "sender": {"login": login, "type": kind},
    });
    deliver(server, "pull_request_review", body).await;
}

/// The `pull_request` `closed` delivery of a merge by `mrossi` at `at`,
/// whose commit on main is `merge_commit`.
async fn merged(server: &Server, pr: &PullRequest<'_>, at: &str, merge_commit: &str) {
    let body = json!({
        "action": "closed",
        "number": pr.number,
        "pull_request": pr.object(at, Some((at, Some(("mrossi", merge_commit))))),
        "repository": repository(),
        "sender": {"login": "mrossi", "type": "User"},
    });
    deliver(server, "pull_request", body).await;
}

/// The `pull_request` `closed` delivery of a pull request closed unmerged.
async fn closed_unmerged(server: &Server, pr: &PullRequest<'_>, at: &str) {
    let body = json!({
        "action": "closed",
        "number": pr.number,
        "pull_request": pr.object(at, Some((at, None))),
        "repository": repository(),
        "sender": {"login": pr.author, "type": "User"},
    });
    deliver(server, "pull_request", body).await;
}

fn webhook_server(org: &Org) -> Server {
    Server::start_with_env(org.path(), &[], &[("PAVED_GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET)])
}

#[tokio::test]
async fn a_squash_merged_pull_request_is_broken_down_into_its_four_stages() {
    let org = Org::new();
    let (repo, c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    repo.git(&["checkout", "-q", "-b", "coupons"]);
    let _f1 = repo.commit_at("coupons.rs", "2026-03-03T09:00:00Z"); // first commit, authored 09:00
    let f2 = repo.commit_at("coupons.rs", "2026-03-03T11:00:00Z");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--squash", "coupons"]);
    // GitHub's squash: one new commit on main, at the merge, with the
    // branch's commits nowhere in main's history.
    let squash = repo.commit_staged("Add coupons (#1)", "2026-03-03T15:00:00Z", "2026-03-03T15:00:00Z");
    let c2 = repo.commit_at("cart.rs", "2026-03-04T09:00:00Z");
    // A pull request that was closed without merging.
    repo.git(&["checkout", "-q", "-b", "abandoned"]);
    let a1 = repo.commit_at("banner.rs", "2026-03-04T09:00:00Z");
    repo.git(&["checkout", "-q", "main"]);
    org.import(&repo);
    org.deploy("checkout", &squash, "d1", "2026-03-03T17:00:00Z");
    org.deploy("checkout", &c2, "d2", "2026-03-04T10:00:00Z"); // also contains the squash commit

    let server = webhook_server(&org);
    let pr = PullRequest {
        number: 1,
        author: "lenafischer",
        opened: "2026-03-03T12:00:00Z",
        branch: "coupons",
        head: f2.clone(),
        base: c0.clone(),
    };
    // The author's own comment does not pick it up; mrossi's review does.
    review(&server, &pr, "lenafischer", "User", "commented", "2026-03-03T13:00:00Z").await;
    review(&server, &pr, "mrossi", "User", "approved", "2026-03-03T14:00:00Z").await;
    merged(&server, &pr, "2026-03-03T15:00:00Z", &squash).await;
    let abandoned = PullRequest {
        number: 2,
        author: "mrossi",
        opened: "2026-03-04T09:30:00Z",
        branch: "abandoned",
        head: a1.clone(),
        base: c2.clone(),
    };
    closed_unmerged(&server, &abandoned, "2026-03-04T12:00:00Z").await;

    let metrics = org.service_metrics("checkout");
    // Only the merged pull request, #1:
    // coding  = first commit's author time 09:00 -> opened 12:00 = 10800;
    // pickup  = opened 12:00 -> mrossi's review 14:00 = 7200;
    // review  = 14:00 -> merged 15:00 = 3600;
    // deploy  = merged 15:00 -> d1, the first deployment containing the
    //           squash commit, 17:00 = 7200 (not d2 the next day).
    assert_count(&metrics, "lead_time_breakdown.pull_requests", 1);
    assert_seconds(&metrics, "lead_time_breakdown.coding_median_seconds", 10800.0);
    assert_seconds(&metrics, "lead_time_breakdown.pickup_median_seconds", 7200.0);
    assert_seconds(&metrics, "lead_time_breakdown.review_median_seconds", 3600.0);
    assert_seconds(&metrics, "lead_time_breakdown.deploy_median_seconds", 7200.0);
    // Lead time for changes stays on the commit graph: d1 ships the squash
    // commit (17:00 - 15:00 = 7200), d2 ships c2 (10:00 - 09:00 = 3600);
    // the branch's own commits never reached main.
    // [3600, 7200] -> median 5400.
    assert_count(&metrics, "lead_time_for_changes.changes", 2);
    assert_seconds(&metrics, "lead_time_for_changes.median_seconds", 5400.0);
}

#[tokio::test]
async fn a_pull_request_reviewed_only_by_its_author_and_a_bot_has_no_pickup() {
    let org = Org::new();
    let (repo, c0) = org.repo_deployed_before_window("checkout", &["checkout"]);
    repo.git(&["checkout", "-q", "-b", "retries"]);
    let f1 = repo.commit_at("retry.rs", "2026-03-03T09:00:00Z");
    repo.git(&["checkout", "-q", "main"]);
    repo.git_dated(
        &["merge", "-q", "--no-ff", "-m", "Merge pull request #3 from acme/retries", "retries"],
        Some(("2026-03-03T12:00:00Z", "2026-03-03T12:00:00Z")),
    );
    let merge = repo.head();
    org.import(&repo);
    org.deploy("checkout", &merge, "d1", "2026-03-03T13:00:00Z");

    let server = webhook_server(&org);
    let pr = PullRequest {
        number: 3,
        author: "lenafischer",
        opened: "2026-03-03T10:00:00Z",
        branch: "retries",
        head: f1,
        base: c0,
    };
    review(&server, &pr, "lenafischer", "User", "commented", "2026-03-03T11:00:00Z").await;
    review(&server, &pr, "renovate[bot]", "Bot", "approved", "2026-03-03T11:30:00Z").await;
    merged(&server, &pr, "2026-03-03T12:00:00Z", &merge).await;

    let metrics = org.service_metrics("checkout");
    // coding = 09:00 -> opened 10:00 = 3600; deploy = merged 12:00 -> d1
    // 13:00 = 3600. No human other than the author reviewed it: no pickup,
    // so no review stage either; with no other pull request both are null.
    assert_count(&metrics, "lead_time_breakdown.pull_requests", 1);
    assert_seconds(&metrics, "lead_time_breakdown.coding_median_seconds", 3600.0);
    assert_no_data(&metrics, "lead_time_breakdown.pickup_median_seconds");
    assert_no_data(&metrics, "lead_time_breakdown.review_median_seconds");
    assert_seconds(&metrics, "lead_time_breakdown.deploy_median_seconds", 3600.0);

    // The API answers the same document.
    let path = "/api/v1/metrics/dora?service=checkout&since=2026-03-02T00:00:00Z&until=2026-03-30T00:00:00Z";
    let (status, from_api) = server.get(path).await;
    assert_eq!(status, 200, "{from_api}");
    assert_eq!(from_api, metrics, "GET /api/v1/metrics/dora returns what `paved metrics --format json` prints");
}
