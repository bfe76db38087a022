//! What waits in the database, for pavedroad's own health metrics: the
//! last event of each source, the deploy queue and the pages to deliver.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;

/// The database's work, as every replica sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkHealth {
    /// Each source's last received event (by source name).
    pub last_events: Vec<(String, DateTime<Utc>)>,
    /// Deploys waiting for a runner.
    pub deploys_queued: u64,
    /// Deploys a runner is running.
    pub deploys_running: u64,
    /// When the oldest queued deploy was queued.
    pub oldest_queued_deploy: Option<DateTime<Utc>>,
    /// Pages waiting to be delivered or retried.
    pub notifications_pending: u64,
    /// When the earliest of them is due.
    pub oldest_due_notification: Option<DateTime<Utc>>,
    /// How many times each action is in the audit log, by action.
    pub actions: Vec<(String, u64)>,
}

/// Health reads. Part of [`crate::Store`].
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// The database's work now.
    ///
    /// # Errors
    /// A database error.
    async fn work_health(&self) -> Result<WorkHealth, StoreError>;
}
