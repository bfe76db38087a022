//! The stored form of records, version 1 (`RECORD_FORMAT` in
//! `src/common/ingest.rs`): a row of every kind as pavedroad has written it
//! since migration 0003 (`tests/fixtures/records-format-1.jsonl`) still
//! reads back whole. When a change to the domain's records fails this test,
//! rows already stored would no longer read: raise the format and teach
//! the store to read version 1, instead of editing the fixture.

use paved_domain::RecordKind;
use serde_json::Value;

use crate::harness::contract_tests;

const ROWS: &str = include_str!("../fixtures/records-format-1.jsonl");

contract_tests! {
    async fn records_stored_in_format_1_read_back_whole(db) {
        let store = db.migrated().await;
        let rows: Vec<Value> = ROWS.lines().map(|line| serde_json::from_str(line).expect("a fixture row is JSON")).collect();
        let mut kinds: Vec<&str> = rows.iter().map(|row| row["kind"].as_str().expect("a kind")).collect();
        kinds.sort_unstable();
        assert_eq!(kinds, ["ci_run", "deployment", "incident", "pull_request", "push", "shift"], "one row of every kind");
        for line in ROWS.lines() {
            let row: Value = serde_json::from_str(line).unwrap();
            let (kind, key) = (row["kind"].as_str().unwrap(), row["key"].as_str().unwrap());
            let insert = format!(
                "INSERT INTO records (kind, key, production, status, format, body) VALUES ('{kind}', '{key}', FALSE, 'x', 1, '{}')",
                line.replace('\'', "''")
            );
            db.execute_raw(&insert, &insert).await;
            let kind = RecordKind::from_name(kind).unwrap();
            let record = store.record(kind, key).await.unwrap_or_else(|e| panic!("{kind:?} {key}: {e}")).expect("the row");
            let read = serde_json::to_value(&record).unwrap();
            for (field, value) in row.as_object().unwrap() {
                assert_eq!(&read[field], value, "{kind:?} {key}: field `{field}` reads back changed");
            }
        }
    }
}
