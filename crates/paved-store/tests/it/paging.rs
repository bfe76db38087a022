//! Escalations and notifications on every backend: one escalation per
//! incident, each due escalation claimed by one replica at a time, a step
//! fired only by the lease holder and its notifications inserted once per
//! key, an answer stopping the escalation and cancelling what was not sent,
//! and deliveries retried, sent or failed.

use std::sync::Arc;

use chrono::{Duration, Utc};
use paved_store::{Delivery, EscalationState, NewAudit, NewEscalation, NewNotification, NextStep, NotificationState};

use crate::harness::contract_tests;

fn escalation(key: &str) -> NewEscalation {
    NewEscalation {
        incident_key: key.into(),
        service: Some("component:default/checkout-api".into()),
        policy: "escalationpolicy:default/checkout".into(),
        plan: serde_json::json!({ "steps": [{ "notify": ["user:default/ana"], "after_secs": 600 }], "repeat": 0 }),
        due_at: Utc::now() - Duration::seconds(1),
    }
}

fn page(person: &str, key: &str) -> NewNotification {
    NewNotification {
        person: person.into(),
        channel: "email".into(),
        contact_index: 0,
        shown: format!("{person}@example.com"),
        idempotency_key: key.into(),
    }
}

fn sent() -> Delivery {
    Delivery::Sent { receipt: "answered 204 No Content".into() }
}

fn audit() -> NewAudit {
    NewAudit {
        actor: "paved".into(),
        action: "page.step".into(),
        target: "incident".into(),
        detail: None,
        service: None,
        decision: None,
    }
}

contract_tests! {
    async fn an_incident_escalates_once_and_each_step_fires_once(db) {
        let store = db.migrated().await;
        let started = store.start_escalation(&escalation("alertmanager:a")).await.unwrap().expect("started");
        assert_eq!((started.state, started.step, started.round), (EscalationState::Active, 0, 0));
        assert!(store.start_escalation(&escalation("alertmanager:a")).await.unwrap().is_none(), "a re-sent alert starts nothing");

        // Eight replicas ask at once: one gets the escalation.
        let store_dyn: Arc<dyn paved_store::Store> = db.store.clone();
        let now = Utc::now();
        let mut claims = Vec::new();
        for n in 0..8 {
            let store = store_dyn.clone();
            claims.push(tokio::spawn(async move {
                store.claim_due_escalations(&format!("replica-{n}"), now, now + Duration::seconds(30), 10).await.unwrap()
            }));
        }
        let mut holders = Vec::new();
        for (n, claim) in claims.into_iter().enumerate() {
            if !claim.await.unwrap().is_empty() {
                holders.push(format!("replica-{n}"));
            }
        }
        assert_eq!(holders.len(), 1, "one replica holds the lease: {holders:?}");
        let holder = &holders[0];
        let other = if holder == "replica-0" { "replica-1" } else { "replica-0" };

        // Only the holder fires the step; the keys make a second firing
        // insert nothing.
        let next = NextStep::At { step: 1, round: 0, due_at: now + Duration::minutes(10) };
        let pages = [page("user:default/ana", "a/0/0/ana/email/0")];
        assert!(!store.fire_step(started.id, other, &pages, &next, &audit()).await.unwrap(), "not the holder");
        assert!(store.fire_step(started.id, holder, &pages, &next, &audit()).await.unwrap());
        assert!(!store.fire_step(started.id, holder, &pages, &next, &audit()).await.unwrap(), "the lease is spent");
        let fired = store.escalation("alertmanager:a").await.unwrap().unwrap();
        assert_eq!((fired.step, fired.round), (1, 0));
        assert!(fired.due_at > Utc::now() + Duration::minutes(9));
        assert!(store.claim_due_escalations("replica-0", Utc::now(), Utc::now() + Duration::seconds(30), 10).await.unwrap().is_empty(), "not due yet");
        let sent = store.notifications("alertmanager:a").await.unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!((sent[0].state, sent[0].step, sent[0].attempts), (NotificationState::Pending, 0, 0));

        // A page nobody got makes the next step due now.
        assert!(store.escalate_now(started.id).await.unwrap());
        let due = store.claim_due_escalations("replica-0", Utc::now(), Utc::now() + Duration::seconds(30), 10).await.unwrap();
        assert_eq!(due.len(), 1);
        let next = NextStep::Exhausted;
        let pages = [page("user:default/ana", "a/0/0/ana/email/0"), page("user:default/bo", "a/0/1/bo/email/0")];
        assert!(store.fire_step(started.id, "replica-0", &pages, &next, &audit()).await.unwrap());
        assert_eq!(store.notifications("alertmanager:a").await.unwrap().len(), 2, "ana's key was used already");
        assert_eq!(store.escalation("alertmanager:a").await.unwrap().unwrap().state, EscalationState::Exhausted);
    }

    async fn deliveries_are_leased_retried_and_finished_once(db) {
        let store = db.migrated().await;
        let started = store.start_escalation(&escalation("events:b")).await.unwrap().unwrap();
        let now = Utc::now();
        store.claim_due_escalations("r", now, now + Duration::seconds(30), 1).await.unwrap();
        let next = NextStep::At { step: 1, round: 0, due_at: now + Duration::minutes(10) };
        let pages = [page("user:default/ana", "b/ana"), page("user:default/bo", "b/bo")];
        assert!(store.fire_step(started.id, "r", &pages, &next, &audit()).await.unwrap());

        let claimed = store.claim_due_notifications("r1", Utc::now(), Utc::now() + Duration::seconds(30), 10).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().all(|n| n.attempts == 1));
        assert!(store.claim_due_notifications("r2", Utc::now(), Utc::now() + Duration::seconds(30), 10).await.unwrap().is_empty(), "leased");
        let (ana, bo) = (&claimed[0], &claimed[1]);
        assert!(store.finish_notification(ana.id, "r2", &sent()).await.unwrap().is_none(), "not r2's");
        let sent = store.finish_notification(ana.id, "r1", &sent()).await.unwrap().unwrap();
        assert_eq!(sent.state, NotificationState::Sent);
        assert!(sent.sent_at.is_some());
        assert_eq!(sent.receipt.as_deref(), Some("answered 204 No Content"));
        let retry = Delivery::Retry { at: Utc::now() - Duration::seconds(1), error: "connection refused".into() };
        let waiting = store.finish_notification(bo.id, "r1", &retry).await.unwrap().unwrap();
        assert_eq!((waiting.state, waiting.last_error.as_deref()), (NotificationState::Pending, Some("connection refused")));
        let again = store.claim_due_notifications("r2", Utc::now(), Utc::now() + Duration::seconds(30), 10).await.unwrap();
        assert_eq!(again.iter().map(|n| (n.id, n.attempts)).collect::<Vec<_>>(), [(bo.id, 2)]);
        let failed = store.finish_notification(bo.id, "r2", &Delivery::Failed { error: "550 no such user".into() }).await.unwrap().unwrap();
        assert_eq!(failed.state, NotificationState::Failed);
    }

    async fn an_answer_stops_the_escalation_and_cancels_what_was_not_sent(db) {
        let store = db.migrated().await;
        let started = store.start_escalation(&escalation("pagerduty:c")).await.unwrap().unwrap();
        let now = Utc::now();
        store.claim_due_escalations("r", now, now + Duration::seconds(30), 1).await.unwrap();
        let next = NextStep::At { step: 1, round: 0, due_at: now + Duration::minutes(10) };
        assert!(store.fire_step(started.id, "r", &[page("user:default/ana", "c/ana")], &next, &audit()).await.unwrap());
        let stopped = store.stop_escalation("pagerduty:c", EscalationState::Acknowledged, Some("user:default/ana")).await.unwrap().unwrap();
        assert_eq!((stopped.state, stopped.stopped_by.as_deref()), (EscalationState::Acknowledged, Some("user:default/ana")));
        assert!(store.stop_escalation("pagerduty:c", EscalationState::Resolved, None).await.unwrap().is_none(), "stopped once");
        assert_eq!(store.notifications("pagerduty:c").await.unwrap()[0].state, NotificationState::Cancelled);
        assert!(!store.escalate_now(started.id).await.unwrap());
        let later = Utc::now() + Duration::hours(1);
        assert!(store.claim_due_escalations("r", later, later + Duration::seconds(30), 10).await.unwrap().is_empty(), "a stopped escalation never fires");
    }
}
