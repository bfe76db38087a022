//! Scorecard results on every backend: one row per service, scorecard and
//! day (a later evaluation of the same day replaces it), the history read
//! from a day on, and the latest result of each service.

use chrono::{NaiveDate, SubsecRound, Utc};
use paved_store::ScoreRecord;
use serde_json::json;

use crate::harness::contract_tests;

fn score(service: &str, day: u32, level: Option<&str>, score: f64) -> ScoreRecord {
    ScoreRecord {
        scorecard: "scorecard:default/readiness".parse().unwrap(),
        service: format!("component:default/{service}").parse().unwrap(),
        day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        team: Some("group:default/payments".parse().unwrap()),
        level: level.map(str::to_owned),
        score,
        rules: json!([{ "rule": "deploys-by-owners", "outcome": "pass" }]),
        evaluated_at: Utc::now().trunc_subsecs(3),
    }
}

contract_tests! {
    async fn a_service_keeps_one_result_a_day_and_its_history_and_latest_read_back(db) {
        let store = db.migrated().await;
        store.record_scores(&[score("ledger", 1, Some("bronze"), 0.5), score("refunds", 1, None, 0.25)]).await.unwrap();
        store.record_scores(&[score("ledger", 2, Some("gold"), 0.75)]).await.unwrap();
        // Evaluated again the same day: the later result is the day's.
        store.record_scores(&[score("ledger", 2, Some("silver"), 0.625)]).await.unwrap();

        let ledger = "component:default/ledger".parse().unwrap();
        let history = store.score_history(&ledger, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()).await.unwrap();
        let levels: Vec<_> = history.iter().map(|r| (r.day.format("%d").to_string(), r.level.clone(), r.score)).collect();
        assert_eq!(
            levels,
            [("01".to_owned(), Some("bronze".to_owned()), 0.5), ("02".to_owned(), Some("silver".to_owned()), 0.625)]
        );
        let mut expected = score("ledger", 2, Some("silver"), 0.625);
        expected.evaluated_at = history[1].evaluated_at;
        assert_eq!(history[1], expected, "every field read back");
        let later = store.score_history(&ledger, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()).await.unwrap();
        assert_eq!(later.len(), 1, "from a day on");

        let latest = store.latest_scores(None).await.unwrap();
        let by: Vec<_> = latest.iter().map(|r| (r.service.name().to_owned(), r.level.clone())).collect();
        assert_eq!(by, [("ledger".to_owned(), Some("silver".to_owned())), ("refunds".to_owned(), None)]);
        assert_eq!(store.latest_scores(Some(&ledger)).await.unwrap().len(), 1);
    }
}
