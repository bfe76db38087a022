//! Deploy jobs on every backend: one job per target queued or running (the
//! lock), each claimed once however many runners ask at the same time, a
//! silent runner's job interrupted (which frees the target), a failure's
//! rollback queued in the same transaction, and logs kept in order.

use std::sync::Arc;

use chrono::{Duration, Utc};
use paved_store::{JobEnd, JobState, LogStream, NewAudit, NewJob};

use crate::harness::contract_tests;

fn job(target: &str, version: &str) -> NewJob {
    NewJob {
        service: "component:default/shop-api".into(),
        target: target.into(),
        environment: "production".into(),
        version: version.into(),
        sha: None,
        trigger: "manual".into(),
        rollback_of: None,
        actor: Some("user:default/ana".into()),
        requested_by: "user:default/ana (token 1)".into(),
        actor_claimed_by: None,
        fixes: None,
        break_glass: None,
        checks: serde_json::json!([]),
        plan: serde_json::json!({"steps": []}),
        label: None,
    }
}

fn audit() -> NewAudit {
    NewAudit {
        actor: "test".into(),
        action: "deploy.queue".into(),
        target: String::new(),
        detail: None,
        service: None,
        decision: None,
    }
}

contract_tests! {
    async fn one_deploy_per_target_is_active_and_each_is_claimed_once(db) {
        let store = db.migrated().await;
        let first = store.enqueue_job(&job("deploytarget:default/a", "1"), &audit()).await.unwrap().expect("queued");
        let blocked = store.enqueue_job(&job("deploytarget:default/a", "2"), &audit()).await.unwrap();
        assert_eq!(blocked.expect_err("the target is locked").id, first.id);
        let other = store.enqueue_job(&job("deploytarget:default/b", "1"), &audit()).await.unwrap().expect("another target");

        // Eight runners ask at once: each job goes to exactly one.
        let store: Arc<dyn paved_store::Store> = db.store.clone();
        let mut claims = Vec::new();
        for n in 0..8 {
            let store = store.clone();
            claims.push(tokio::spawn(async move { store.claim_job(&format!("runner-{n}"), &[]).await.unwrap() }));
        }
        let mut claimed: Vec<i64> = Vec::new();
        for claim in claims {
            if let Some(job) = claim.await.unwrap() {
                assert_eq!(job.state, JobState::Running);
                claimed.push(job.id);
            }
        }
        claimed.sort_unstable();
        assert_eq!(claimed, vec![first.id, other.id]);

        // A labelled job goes only to a runner with its label.
        let mut labelled = job("deploytarget:default/c", "1");
        labelled.label = Some("prod".into());
        store.enqueue_job(&labelled, &audit()).await.unwrap().expect("queued");
        assert!(store.claim_job("plain", &[]).await.unwrap().is_none());
        assert!(store.claim_job("prod-runner", &["prod".into()]).await.unwrap().is_some());
    }

    async fn a_silent_runner_s_deploy_is_interrupted_and_a_failure_queues_its_rollback(db) {
        let store = db.migrated().await;
        let queued = store.enqueue_job(&job("deploytarget:default/a", "1"), &audit()).await.unwrap().unwrap();
        let running = store.claim_job("r1", &[]).await.unwrap().unwrap();
        assert_eq!(running.id, queued.id);
        store
            .append_job_log(running.id, &[(LogStream::System, "started".into()), (LogStream::Stdout, "hello".into())])
            .await
            .unwrap();
        store.append_job_log(running.id, &[(LogStream::Stderr, "warn".into())]).await.unwrap();
        let log = store.job_log(running.id, 1, 100).await.unwrap();
        assert_eq!(log.iter().map(|l| (l.seq, l.line.as_str())).collect::<Vec<_>>(), vec![(2, "hello"), (3, "warn")]);

        assert!(store.interrupt_stale_jobs(Utc::now() - Duration::minutes(1)).await.unwrap().is_empty(), "it reported just now");
        let interrupted = store.interrupt_stale_jobs(Utc::now() + Duration::seconds(1)).await.unwrap();
        assert_eq!(interrupted.iter().map(|j| (j.id, j.state)).collect::<Vec<_>>(), vec![(running.id, JobState::Interrupted)]);
        assert!(!store.heartbeat_job(running.id, "r1").await.unwrap(), "the runner learns it lost the deploy");
        let end = JobEnd { state: JobState::Succeeded, error: None };
        assert!(store.finish_job(running.id, "r1", &end, None, &audit()).await.unwrap().is_none(), "too late to report");

        // The lock is free again; a failure hands it to its rollback.
        let second = store.enqueue_job(&job("deploytarget:default/a", "2"), &audit()).await.unwrap().expect("lock freed");
        store.claim_job("r2", &[]).await.unwrap().unwrap();
        let mut rollback = job("deploytarget:default/a", "1");
        rollback.trigger = "rollback".into();
        rollback.rollback_of = Some(second.id);
        let failed = JobEnd { state: JobState::Failed, error: Some("step `release` exited with status 1".into()) };
        let (finished, next) =
            store.finish_job(second.id, "r2", &failed, Some(&rollback), &audit()).await.unwrap().expect("r2's deploy");
        assert_eq!(finished.state, JobState::Failed);
        let next = next.expect("the rollback is queued");
        assert_eq!((next.rollback_of, next.state, next.version.as_str()), (Some(second.id), JobState::Queued, "1"));
    }
}
