//! The database's work, read with the indexes the queues already have.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;
use crate::common::stored_count;
use crate::health::{HealthStore, WorkHealth};
use crate::sql::{Db, SqlExt};

#[async_trait]
impl<T: Db> HealthStore for T {
    async fn work_health(&self) -> Result<WorkHealth, StoreError> {
        const ACTION: &str = "reading the work health";
        let mut db = self.reader(ACTION).await?;
        // The newest row of each source, found through (source, id).
        let last = db.statement(
            "SELECT source, received_at FROM raw_events \
             WHERE id IN (SELECT MAX(id) FROM raw_events GROUP BY source) ORDER BY source",
        );
        let last_events: Vec<(String, DateTime<Utc>)> = db.fetch_all(&last, ACTION).await?;
        let states =
            db.statement("SELECT state, COUNT(*) FROM deploy_jobs WHERE state IN ('queued', 'running') GROUP BY state");
        let states: Vec<(String, i64)> = db.fetch_all(&states, ACTION).await?;
        let count = |state: &str| states.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| stored_count(*n));
        let oldest = db.statement("SELECT created_at FROM deploy_jobs WHERE state = 'queued' ORDER BY id LIMIT 1");
        let oldest_queued_deploy: Option<(DateTime<Utc>,)> = db.fetch_optional(&oldest, ACTION).await?;
        let pending = db.statement("SELECT COUNT(*) FROM notifications WHERE state = 'pending'");
        let (notifications_pending,): (i64,) = db.fetch_one(&pending, ACTION).await?;
        let due = db.statement(
            "SELECT next_attempt_at FROM notifications WHERE state = 'pending' ORDER BY next_attempt_at LIMIT 1",
        );
        let oldest_due_notification: Option<(DateTime<Utc>,)> = db.fetch_optional(&due, ACTION).await?;
        let actions = db.statement("SELECT action, COUNT(*) FROM audit_log GROUP BY action ORDER BY action");
        let actions: Vec<(String, i64)> = db.fetch_all(&actions, ACTION).await?;
        Ok(WorkHealth {
            last_events,
            deploys_queued: count("queued"),
            deploys_running: count("running"),
            oldest_queued_deploy: oldest_queued_deploy.map(|(at,)| at),
            notifications_pending: stored_count(notifications_pending),
            oldest_due_notification: oldest_due_notification.map(|(at,)| at),
            actions: actions.into_iter().map(|(action, n)| (action, stored_count(n))).collect(),
        })
    }
}
