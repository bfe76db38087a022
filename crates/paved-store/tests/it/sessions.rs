//! Web sessions on every backend: stored by hash with the token they were
//! started with, ended once, audited in the same transaction, and old ones
//! forgotten when a new one starts.

use chrono::{Duration, SubsecRound, Utc};
use paved_store::{NewSession, NewToken, Store, StoreError, TokenScope};

use crate::harness::{contract_tests, entity_ref};

async fn personal_token(store: &dyn Store, hash: &str) -> paved_store::TokenInfo {
    let token = NewToken {
        name: "dana".into(),
        scope: TokenScope::User(entity_ref("user:default/dana")),
        hash: hash.to_owned(),
        prefix: "paved_abc".into(),
        expires_at: None,
    };
    store.create_token(&token, "cli").await.unwrap()
}

fn session(hash: &str, token_id: i64, expires_in: Duration) -> NewSession {
    NewSession {
        hash: hash.to_owned(),
        person: entity_ref("user:default/dana"),
        token_id,
        expires_at: Utc::now().trunc_subsecs(6) + expires_in,
    }
}

contract_tests! {
    async fn sessions_are_found_by_hash_with_their_token_ended_once_and_audited(db) {
        let store = db.migrated().await;
        let token = personal_token(store, &"a".repeat(64)).await;
        let new = session(&"s".repeat(64), token.id, Duration::hours(12));
        let started = store.create_session(&new, "user:default/dana (token 1)").await.unwrap();
        assert_eq!((started.person.clone(), started.token_id, started.expires_at), (new.person.clone(), token.id, new.expires_at));
        assert!(started.ended_at.is_none());
        assert!(store.create_session(&new, "x").await.is_err(), "a hash is stored once");

        let (found, with) = store.session_by_hash(&"s".repeat(64)).await.unwrap().expect("the session is stored");
        assert_eq!((found, with.clone()), (started.clone(), token.clone()));
        assert_eq!(store.session_by_hash("nope").await.unwrap(), None);
        assert_eq!(store.session_by_hash("s\0").await.unwrap(), None);

        // The token's state is read as it is now.
        store.revoke_token(token.id, "cli").await.unwrap();
        let (_, with) = store.session_by_hash(&"s".repeat(64)).await.unwrap().unwrap();
        assert!(with.revoked_at.is_some(), "the session's token shows as revoked");

        let ended = store.end_session(started.id, "user:default/dana (session 1)").await.unwrap().expect("it exists");
        assert!(ended.ended_at.is_some());
        let again = store.end_session(started.id, "x").await.unwrap().expect("still exists");
        assert_eq!(again.ended_at, ended.ended_at, "ending twice keeps the first time");
        assert_eq!(store.end_session(999, "x").await.unwrap(), None);
        let (found, _) = store.session_by_hash(&"s".repeat(64)).await.unwrap().unwrap();
        assert_eq!(found.ended_at, ended.ended_at);

        let audit = store.audit_log(10).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["session.end", "token.revoke", "session.start", "token.create"], "the second end changed nothing");
        assert_eq!(audit[0].target, format!("session {}", started.id));
        assert_eq!(audit[0].actor, "user:default/dana (session 1)");
        assert_eq!(audit[2].actor, "user:default/dana (token 1)");
        let detail = audit[2].detail.as_deref().unwrap_or_default();
        assert!(detail.starts_with(&format!("user:default/dana with token {}", token.id)), "{detail}");
    }

    async fn a_session_needs_a_stored_token_and_nothing_is_half_written(db) {
        let store = db.migrated().await;
        let error = store.create_session(&session(&"s".repeat(64), 42, Duration::hours(1)), "x").await.unwrap_err();
        assert!(matches!(error, StoreError::Database { .. }), "{error:?}");
        assert_eq!(store.session_by_hash(&"s".repeat(64)).await.unwrap(), None);
        assert!(store.audit_log(10).await.unwrap().is_empty(), "no audit entry without its session");
        let error = store.create_session(&session("s\0", 42, Duration::hours(1)), "x").await.unwrap_err();
        assert!(matches!(error, StoreError::InvalidRecord { .. }), "{error:?}");
    }

    async fn a_new_session_forgets_sessions_over_a_day_past_their_end(db) {
        let store = db.migrated().await;
        let token = personal_token(store, &"a".repeat(64)).await;
        let long_gone = store.create_session(&session("old", token.id, Duration::hours(12)), "x").await.unwrap();
        let just_expired = store.create_session(&session("recent", token.id, -Duration::hours(1)), "x").await.unwrap();
        let signed_out = store.create_session(&session("out", token.id, Duration::hours(12)), "x").await.unwrap();
        store.end_session(signed_out.id, "x").await.unwrap();
        let expire = "UPDATE web_sessions SET expires_at = '2000-01-01T00:00:00+00:00' WHERE hash = 'old'";
        db.execute_raw(expire, expire).await;
        assert!(store.session_by_hash("old").await.unwrap().is_some(), "kept until a session starts");
        store.create_session(&session("new", token.id, Duration::hours(12)), "x").await.unwrap();
        assert_eq!(store.session_by_hash("old").await.unwrap(), None, "session {} is forgotten", long_gone.id);
        assert_eq!(store.session_by_hash("recent").await.unwrap().map(|(s, _)| s.id), Some(just_expired.id));
        assert_eq!(store.session_by_hash("out").await.unwrap().map(|(s, _)| s.id), Some(signed_out.id));
        let starts = store.audit_log(100).await.unwrap().iter().filter(|a| a.action == "session.start").count();
        assert_eq!(starts, 4, "the audit log keeps every start");
    }
}
