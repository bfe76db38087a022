//! On-call overrides on every backend: made and deleted with their audit
//! entries, listed by Schedule and span in the order they apply, refused
//! when they end before they start, and counted in the data version.

use chrono::{DateTime, Duration, TimeZone, Utc};
use paved_store::{NewAudit, NewOverride, OverrideFilter};

use crate::harness::contract_tests;

fn at(hour: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 10, 0, 0, 0).unwrap() + Duration::hours(hour)
}

fn new(schedule: &str, person: &str, from: i64, to: i64) -> NewOverride {
    NewOverride {
        schedule: format!("schedule:default/{schedule}").parse().unwrap(),
        person: format!("user:default/{person}").parse().unwrap(),
        start: at(from),
        end: at(to),
        reason: Some("covering, with a comma; and a \"quote\"".into()),
        created_by: "user:default/lena.fischer (session 1)".into(),
    }
}

fn audit(action: &str) -> NewAudit {
    NewAudit {
        actor: "user:default/lena.fischer (session 1)".into(),
        action: action.into(),
        target: String::new(),
        detail: Some("why".into()),
        service: None,
        decision: None,
    }
}

contract_tests! {
    async fn overrides_are_made_listed_and_deleted_with_their_audit_entries(db) {
        let store = db.migrated().await;
        let version = store.data_version().await.unwrap();
        let first = store.create_override(&new("Checkout-Oncall", "ana.souza", 18, 30), &audit("oncall.override.create")).await.unwrap();
        assert_eq!(first.schedule.to_string(), "schedule:default/checkout-oncall", "kept by its key");
        assert_eq!(first.person.to_string(), "user:default/ana.souza");
        assert_eq!((first.start, first.end), (at(18), at(30)));
        assert_eq!(first.reason.as_deref(), Some("covering, with a comma; and a \"quote\""));
        assert_eq!(first.created_by, "user:default/lena.fischer (session 1)");
        assert_ne!(store.data_version().await.unwrap(), version, "the metrics read overrides");
        let second = store.create_override(&new("checkout-oncall", "marco.rossi", 24, 48), &audit("oncall.override.create")).await.unwrap();
        let other = store.create_override(&new("payments-oncall", "priya.raman", 0, 100), &audit("oncall.override.create")).await.unwrap();
        assert_eq!(store.override_by_id(first.id).await.unwrap(), Some(first.clone()));

        let checkout = |ends_after: Option<i64>, starts_before: Option<i64>| OverrideFilter {
            schedules: vec!["schedule:default/checkout-oncall".parse().unwrap()],
            ends_after: ends_after.map(at),
            starts_before: starts_before.map(at),
        };
        let ids = |list: Vec<paved_store::StoredOverride>| list.into_iter().map(|o| o.id).collect::<Vec<_>>();
        assert_eq!(ids(store.overrides(&checkout(None, None)).await.unwrap()), [first.id, second.id], "in the order made");
        assert_eq!(ids(store.overrides(&checkout(Some(30), None)).await.unwrap()), [second.id], "the first ends at 30");
        assert_eq!(ids(store.overrides(&checkout(None, Some(24))).await.unwrap()), [first.id], "the second starts at 24");
        assert_eq!(ids(store.overrides(&OverrideFilter::default()).await.unwrap()), [first.id, second.id, other.id]);

        let before_delete = store.data_version().await.unwrap();
        let deleted = store.delete_override(first.id, &audit("oncall.override.delete")).await.unwrap();
        assert_eq!(deleted, Some(first.clone()));
        assert_eq!(store.delete_override(first.id, &audit("oncall.override.delete")).await.unwrap(), None, "once");
        assert_eq!(store.override_by_id(first.id).await.unwrap(), None);
        assert_ne!(store.data_version().await.unwrap(), before_delete, "a deletion changes what the metrics read");

        let log = store.audit_log(10).await.unwrap();
        let entries: Vec<(String, String)> = log.iter().map(|e| (e.action.clone(), e.target.clone())).collect();
        assert_eq!(entries[0], ("oncall.override.delete".to_owned(), format!("override {} (schedule:default/checkout-oncall)", first.id)));
        assert_eq!(entries.iter().filter(|(action, _)| action == "oncall.override.create").count(), 3);
        assert_eq!(entries.iter().filter(|(action, _)| action == "oncall.override.delete").count(), 1, "a second delete is not audited");
    }

    async fn an_override_that_ends_before_it_starts_or_holds_a_nul_is_refused(db) {
        let store = db.migrated().await;
        let backwards = store.create_override(&new("checkout-oncall", "ana.souza", 30, 18), &audit("oncall.override.create")).await;
        assert!(matches!(backwards, Err(paved_store::StoreError::InvalidRecord { .. })), "{backwards:?}");
        let mut nul = new("checkout-oncall", "ana.souza", 18, 30);
        nul.reason = Some("a\0b".into());
        let refused = store.create_override(&nul, &audit("oncall.override.create")).await.unwrap_err();
        assert!(refused.to_string().contains("NUL"), "{refused}");
        assert!(store.overrides(&OverrideFilter::default()).await.unwrap().is_empty(), "nothing was written");
        assert!(store.audit_log(10).await.unwrap().is_empty(), "nor audited");
    }
}
