//! Heartbeats on every backend: watched from when first seen, beats
//! counted, a miss marked once (not after a beat came), and a beat clearing
//! the miss and returning the incident to resolve.

use chrono::{Duration, Utc};

use crate::harness::contract_tests;

contract_tests! {
    async fn a_missed_heartbeat_is_marked_once_and_the_next_beat_clears_it(db) {
        let store = db.migrated().await;
        let name = "heartbeat:default/nightly".to_owned();
        let start = Utc::now() - Duration::hours(2);
        store.watch_heartbeats(std::slice::from_ref(&name), start).await.unwrap();
        store.watch_heartbeats(std::slice::from_ref(&name), Utc::now()).await.unwrap();
        let watched = store.heartbeats().await.unwrap();
        assert_eq!(watched.len(), 1);
        assert_eq!(watched[0].beats, 0);
        let first = watched[0].last_beat_at;
        assert!((first - start).num_seconds().abs() < 1, "watching again changes nothing");

        assert!(store.mark_heartbeat_missed(&name, first, "api:heartbeat-1", Utc::now()).await.unwrap());
        assert!(!store.mark_heartbeat_missed(&name, first, "api:heartbeat-2", Utc::now()).await.unwrap(), "once");
        let before = store.beat(&name, Utc::now()).await.unwrap().expect("it was watched");
        assert_eq!(before.incident_key.as_deref(), Some("api:heartbeat-1"));
        let after = &store.heartbeats().await.unwrap()[0];
        assert_eq!((after.beats, after.missed_at, after.incident_key.as_deref()), (1, None, None));
        assert!(!store.mark_heartbeat_missed(&name, first, "api:heartbeat-3", Utc::now()).await.unwrap(), "a beat came meanwhile");
        assert!(store.beat("heartbeat:default/new", Utc::now()).await.unwrap().is_none(), "a first beat");
    }
}
