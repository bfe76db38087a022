//! Golden-path drift on every backend: each service keeps only its last
//! drift found, read back whole (behind, repository, why it could not be
//! compared), by team or by service.

use chrono::{Duration, SubsecRound, Utc};
use paved_store::DriftRecord;
use serde_json::json;

use crate::harness::contract_tests;

fn drift(service: &str, team: &str, in_line: i64, behind: bool) -> DriftRecord {
    DriftRecord {
        service: format!("component:default/{service}").parse().unwrap(),
        team: format!("group:default/{team}").parse().unwrap(),
        template: "template:default/python-service".parse().unwrap(),
        version: Some("1".into()),
        current_version: Some(if behind { "2" } else { "1" }.into()),
        in_line,
        managed: 4,
        behind,
        repository: format!("repos/{service}.git"),
        problem: None,
        files: json!({ "RUNBOOK.md": "identical", "alerts.yaml": "changed_by_team" }),
        checked_at: Utc::now().trunc_subsecs(3),
    }
}

contract_tests! {
    async fn each_service_keeps_its_last_drift_read_back_whole(db) {
        let store = db.migrated().await;
        store.record_drift(&drift("ledger", "payments", 4, false)).await.unwrap();
        store.record_drift(&drift("refunds", "payments", 2, true)).await.unwrap();
        store.record_drift(&drift("search", "discovery", 3, false)).await.unwrap();

        let mut later = drift("ledger", "payments", 1, true);
        later.problem = Some("the repository cannot be read".into());
        later.checked_at += Duration::hours(1);
        store.record_drift(&later).await.unwrap();

        let payments = store.drifts(Some(&"group:default/payments".parse().unwrap()), None).await.unwrap();
        let names: Vec<_> = payments.iter().map(|d| d.service.name().to_owned()).collect();
        assert_eq!(names, ["ledger", "refunds"], "a team's services, by name; another team's left out");
        assert_eq!(payments[0], later, "the last drift found replaces the one before, every field kept");

        let one = store.drifts(None, Some(&"component:default/refunds".parse().unwrap())).await.unwrap();
        assert_eq!(one.len(), 1);
        assert!(one[0].behind, "behind is kept");
        assert_eq!(one[0].repository, "repos/refunds.git");
        assert_eq!(store.drifts(None, None).await.unwrap().len(), 3);
    }
}
