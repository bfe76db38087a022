//! Heartbeats (DESIGN §7 On call): when each `kind: Heartbeat` last beat,
//! and the incident a missed beat opened until the next beat resolves it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::StoreError;

/// A heartbeat as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeartbeatState {
    /// The Heartbeat entity's reference.
    pub name: String,
    /// The last beat, or when it was first watched (`beats` 0).
    pub last_beat_at: DateTime<Utc>,
    /// How many beats were received.
    pub beats: i64,
    /// When it was found missed, while it is.
    pub missed_at: Option<DateTime<Utc>>,
    /// The incident its miss opened, while it is missed.
    pub incident_key: Option<String>,
}

/// The heartbeat half of the store contract.
#[async_trait]
pub trait HeartbeatStore {
    /// Records a beat of `name` at `at`: the state before it (`None` for
    /// its first), whose `incident_key` is the incident to resolve now.
    async fn beat(&self, name: &str, at: DateTime<Utc>) -> Result<Option<HeartbeatState>, StoreError>;

    /// Starts watching each of `names` not watched yet, as if beaten at
    /// `now`.
    async fn watch_heartbeats(&self, names: &[String], now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Marks `name` missed (since `now`, with the incident opened for it)
    /// if its last beat is still `last_beat_at` and it is not missed yet;
    /// `false` when a beat came meanwhile or another server marked it.
    async fn mark_heartbeat_missed(
        &self,
        name: &str,
        last_beat_at: DateTime<Utc>,
        incident_key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Every watched heartbeat, by name.
    async fn heartbeats(&self) -> Result<Vec<HeartbeatState>, StoreError>;
}
