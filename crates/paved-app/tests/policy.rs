//! The deploy policy's checks on the example organisation and a target like
//! the README's: owners and the allow-list may deploy, others are refused
//! with the owners named; CI, deny windows and open incidents each refuse
//! with their reason.

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use paved_app::Caller;
use paved_app::deploy::policy::Standing;
use paved_app::deploy::{CheckKind, CheckOutcome, PolicyInput, allowed, evaluate};
use paved_domain::{CatalogIndex, CiRun, DeployTarget, EntityRef, Incident, Policy, RepoId};
use paved_store::{TokenInfo, TokenScope};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn catalog() -> CatalogIndex {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let paths = [root.join("../../examples/acme"), root.join("tests/fixtures/deploy-target.yaml")];
    let load = paved_catalog::load(&paths, &paved_catalog::LoadOptions::default());
    assert!(!load.has_errors(), "{:?}", load.problems);
    CatalogIndex::new(&load.entities)
}

fn person(name: &str) -> Caller {
    Caller::Token(TokenInfo {
        id: 1,
        name: name.to_owned(),
        scope: TokenScope::User(format!("user:default/{name}").parse().unwrap()),
        prefix: "paved_x".to_owned(),
        created_at: Utc::now(),
        revoked_at: None,
        expires_at: None,
    })
}

fn ci(conclusion: Option<&str>) -> CiRun {
    let repo: RepoId = "github.com/acme/checkout-api".parse().unwrap();
    CiRun {
        key: "github:run/1".to_owned(),
        source: "github".to_owned(),
        run_kind: "workflow_run".to_owned(),
        repo,
        sha: Some(SHA.to_owned()),
        git_ref: None,
        name: Some("build".to_owned()),
        event: None,
        status: if conclusion.is_some() { "completed" } else { "in_progress" }.to_owned(),
        conclusion: conclusion.map(str::to_owned),
        actor: None,
        triggering_actor: None,
        environment: None,
        status_at: None,
        started_at: None,
        finished_at: None,
        url: None,
    }
}

fn incident(key: &str, severity: &str) -> Incident {
    let mut incident = Incident::new(key.to_owned(), "api");
    incident.severity = Some(severity.to_owned());
    incident.opened_at = Some(Utc::now());
    incident
}

/// A Wednesday noon in Berlin, outside the Friday window.
fn wednesday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 11, 0, 0).unwrap()
}

fn check(
    caller: &Caller,
    runs: &[CiRun],
    incidents: &[Incident],
    fixes: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<CheckOutcome> {
    check_standing(caller, runs, incidents, fixes, now, &[])
}

/// As [`check`], for a service standing at `standing`.
fn check_standing(
    caller: &Caller,
    runs: &[CiRun],
    incidents: &[Incident],
    fixes: Option<&str>,
    now: DateTime<Utc>,
    standing: &[Standing],
) -> Vec<CheckOutcome> {
    let catalog = catalog();
    let service: EntityRef = "component:default/checkout-api".parse().unwrap();
    let target: DeployTarget = catalog.deploy_target(&service, "production").expect("the target").clone();
    evaluate(&PolicyInput {
        caller,
        catalog: &catalog,
        target: &target,
        defaults: &Policy::default(),
        sha: Some(SHA),
        ci_runs: runs,
        open_incidents: incidents,
        fixes,
        now,
        standing,
    })
}

fn failed(outcomes: &[CheckOutcome]) -> Vec<(CheckKind, &str)> {
    outcomes.iter().filter(|o| !o.passed).map(|o| (o.check, o.reason.as_str())).collect()
}

#[test]
fn an_owner_with_green_ci_outside_the_window_may_deploy() {
    let outcomes = check(&person("lena.fischer"), &[ci(Some("success"))], &[], None, wednesday());
    assert!(allowed(&outcomes), "{outcomes:?}");
    assert_eq!(outcomes.len(), 4, "every check is reported, passed or not");
}

#[test]
fn someone_else_is_refused_with_the_owners_named_unless_the_target_allows_them() {
    let outcomes = check(&person("priya.raman"), &[ci(Some("success"))], &[], None, wednesday());
    let failed = failed(&outcomes);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, CheckKind::MayAct);
    assert!(
        failed[0].1.contains("owned by group:default/checkout (") && failed[0].1.contains("lena.fischer"),
        "{failed:?}"
    );
    let allowed_one = check(&person("sam.okafor"), &[ci(Some("success"))], &[], None, wednesday());
    assert!(allowed(&allowed_one), "the allow-list lets sam deploy: {allowed_one:?}");
}

#[test]
fn ci_must_have_passed_for_the_commit() {
    for (runs, says) in [
        (vec![], "no CI result is recorded for 0123456789ab"),
        (vec![ci(Some("success")), ci(Some("failure"))], "did not pass: build"),
        (vec![ci(None)], "still running"),
    ] {
        let outcomes = check(&person("lena.fischer"), &runs, &[], None, wednesday());
        let failed = failed(&outcomes);
        assert!(
            failed.len() == 1 && failed[0].0 == CheckKind::ChecksPassed && failed[0].1.contains(says),
            "{failed:?}"
        );
    }
}

#[test]
fn a_deny_window_is_read_in_its_time_zone() {
    // Friday 15:30 in Berlin is 14:30 UTC in December.
    let friday = Utc.with_ymd_and_hms(2026, 12, 4, 14, 30, 0).unwrap();
    let outcomes = check(&person("lena.fischer"), &[ci(Some("success"))], &[], None, friday);
    let failed = failed(&outcomes);
    assert!(
        failed.len() == 1 && failed[0].1.contains("denied on fri from 15:00 to 23:59 (Europe/Berlin)"),
        "{failed:?}"
    );
    let last_second = Utc.with_ymd_and_hms(2026, 12, 4, 22, 59, 59).unwrap();
    let outcomes = check(&person("lena.fischer"), &[ci(Some("success"))], &[], None, last_second);
    assert!(!allowed(&outcomes), "23:59 covers its whole minute: {outcomes:?}");
    let saturday = Utc.with_ymd_and_hms(2026, 12, 4, 23, 0, 0).unwrap();
    assert!(
        allowed(&check(&person("lena.fischer"), &[ci(Some("success"))], &[], None, saturday)),
        "midnight in Berlin"
    );
    let before = Utc.with_ymd_and_hms(2026, 12, 4, 13, 59, 0).unwrap();
    assert!(allowed(&check(&person("lena.fischer"), &[ci(Some("success"))], &[], None, before)));
}

#[test]
fn an_open_incident_as_bad_as_the_threshold_blocks_unless_the_deploy_fixes_it() {
    let sev1 = incident("api:INC-7", "SEV-1");
    let sev3 = incident("api:INC-8", "SEV-3");
    let outcomes =
        check(&person("lena.fischer"), &[ci(Some("success"))], &[sev1.clone(), sev3.clone()], None, wednesday());
    let failed = failed(&outcomes);
    assert!(failed.len() == 1 && failed[0].1.contains("api:INC-7 is open with severity SEV-1"), "{failed:?}");
    let fixing =
        check(&person("lena.fischer"), &[ci(Some("success"))], &[sev1, sev3.clone()], Some("INC-7"), wednesday());
    assert!(allowed(&fixing), "--fixes INC-7 lets the fix out: {fixing:?}");
    assert!(
        allowed(&check(&person("lena.fischer"), &[ci(Some("success"))], &[sev3], None, wednesday())),
        "SEV-3 does not block"
    );
}

/// Earned autonomy: the target lifts its Friday window for a service gold
/// on the readiness scorecard. A gold service's Friday deploy passes the
/// window check because of its level and says so; a bronze one's is
/// refused, saying which level would lift the window; gold on another
/// scorecard earns nothing here.
#[test]
fn a_gold_service_deploys_on_friday_afternoon_and_a_bronze_one_is_refused() {
    let friday = Utc.with_ymd_and_hms(2026, 12, 4, 14, 30, 0).unwrap();
    let standing = |card: &str, earned: &[&str]| Standing {
        scorecard: card.to_owned(),
        earned: earned.iter().map(|l| (*l).to_owned()).collect(),
    };
    let lena = person("lena.fischer");
    let green = [ci(Some("success"))];
    let gold = [standing("readiness", &["bronze", "silver", "gold"])];
    let outcomes = check_standing(&lena, &green, &[], None, friday, &gold);
    assert!(allowed(&outcomes), "{outcomes:?}");
    let window = outcomes.iter().find(|o| o.check == CheckKind::DenyWindow).unwrap();
    assert_eq!(
        window.reason,
        "the deny window on fri from 15:00 to 23:59 (Europe/Berlin) is lifted (gold on readiness: earned autonomy)"
    );

    let bronze = [standing("readiness", &["bronze"])];
    let outcomes = check_standing(&lena, &green, &[], None, friday, &bronze);
    let refused = failed(&outcomes);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, CheckKind::DenyWindow);
    assert!(
        refused[0].1.contains(
            "denied on fri from 15:00 to 23:59 (Europe/Berlin); deploy after the window; at readiness/gold it would \
             not apply"
        ) && refused[0].1.contains("paved scorecard --service checkout-api"),
        "{}",
        refused[0].1
    );
    let elsewhere = [standing("security", &["bronze", "silver", "gold"])];
    assert!(!allowed(&check_standing(&lena, &green, &[], None, friday, &elsewhere)), "another scorecard's gold");
    // The relief lifts the window only: CI must still pass.
    let red = [ci(Some("failure"))];
    let outcomes = check_standing(&lena, &red, &[], None, friday, &gold);
    assert_eq!(failed(&outcomes).iter().map(|f| f.0).collect::<Vec<_>>(), [CheckKind::ChecksPassed]);
}
