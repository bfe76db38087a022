//! Scorecard results (DESIGN §7 Scorecards): each service's level, score
//! and rule outcomes on each scorecard, one row per day, so that trends
//! and "when did it drop a level" are answered. How a result is found is
//! the application's.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use paved_domain::EntityRef;
use serde::Serialize;

use crate::StoreError;

/// One service's result on one scorecard on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRecord {
    /// The Scorecard.
    pub scorecard: EntityRef,
    /// The service.
    pub service: EntityRef,
    /// The day (UTC) it stands for.
    pub day: NaiveDate,
    /// The service's team.
    pub team: Option<EntityRef>,
    /// The highest level reached; `None` below the first.
    pub level: Option<String>,
    /// The weighted share of rules passed (exempted ones count as passed),
    /// 0 to 1.
    pub score: f64,
    /// Every rule's outcome, as the application encodes it.
    pub rules: serde_json::Value,
    /// When it was evaluated.
    pub evaluated_at: DateTime<Utc>,
}

/// Scorecard results. Part of [`crate::Store`].
#[async_trait]
pub trait ScorecardStore: Send + Sync {
    /// Keeps `results` as their services' results of their day, replacing
    /// an earlier evaluation of the same day; in one transaction.
    ///
    /// # Errors
    /// A database error.
    async fn record_scores(&self, results: &[ScoreRecord]) -> Result<(), StoreError>;

    /// The results of `service` from `since` on, by scorecard and day.
    ///
    /// # Errors
    /// A database error.
    async fn score_history(&self, service: &EntityRef, since: NaiveDate) -> Result<Vec<ScoreRecord>, StoreError>;

    /// The latest result of every service (or of `service`) on every
    /// scorecard, by scorecard and service.
    ///
    /// # Errors
    /// A database error.
    async fn latest_scores(&self, service: Option<&EntityRef>) -> Result<Vec<ScoreRecord>, StoreError>;
}
