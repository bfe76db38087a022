//! Overrides of on-call Schedules made at run time (DESIGN §7 On call):
//! for some hours, a person is on call instead of the rotation. The store
//! keeps them with who made them and why; making and deleting one is
//! audited in the same transaction. Who may make one is the application's
//! to decide (`paved_app::access`), not the store's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_domain::EntityRef;
use serde::Serialize;

use crate::{NewAudit, StoreError};

/// An override to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOverride {
    /// The Schedule (stored by its [`EntityRef::key`]).
    pub schedule: EntityRef,
    /// The catalog User who takes the hours.
    pub person: EntityRef,
    /// From.
    pub start: DateTime<Utc>,
    /// Until (exclusive); after `start`.
    pub end: DateTime<Utc>,
    /// Why, in the words of who made it.
    pub reason: Option<String>,
    /// Who made it, as the audit log names them.
    pub created_by: String,
}

/// An override as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredOverride {
    /// Its id (`paved oncall override delete ID`).
    pub id: i64,
    /// The Schedule, as its key (`schedule:default/checkout-oncall`).
    pub schedule: EntityRef,
    /// Who takes the hours.
    pub person: EntityRef,
    /// From.
    pub start: DateTime<Utc>,
    /// Until (exclusive).
    pub end: DateTime<Utc>,
    /// Why.
    pub reason: Option<String>,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Which overrides [`OverrideStore::overrides`] lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverrideFilter {
    /// Only these Schedules' (compared by key); empty: every Schedule's.
    pub schedules: Vec<EntityRef>,
    /// Only those that end after this.
    pub ends_after: Option<DateTime<Utc>>,
    /// Only those that start before this.
    pub starts_before: Option<DateTime<Utc>>,
}

/// Overrides of on-call Schedules. Part of [`crate::Store`].
#[async_trait]
pub trait OverrideStore: Send + Sync {
    /// Stores `new` and appends `audit` (its target set to the override) in
    /// one transaction; returns it as stored.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] for a NUL character in a text or an
    /// end that is not after the start; any database error. Nothing is
    /// written then.
    async fn create_override(&self, new: &NewOverride, audit: &NewAudit) -> Result<StoredOverride, StoreError>;

    /// One override.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when it does not decode.
    async fn override_by_id(&self, id: i64) -> Result<Option<StoredOverride>, StoreError>;

    /// The overrides matching `filter`, in the order they were made (by
    /// id), which is the order they apply in: where two overlap, the later
    /// one wins.
    ///
    /// # Errors
    /// As [`Self::override_by_id`].
    async fn overrides(&self, filter: &OverrideFilter) -> Result<Vec<StoredOverride>, StoreError>;

    /// Deletes override `id` and appends `audit` (its target set to the
    /// override) in one transaction; the override as it was, or `None`
    /// when there is none (nothing is audited then).
    ///
    /// # Errors
    /// As [`Self::override_by_id`].
    async fn delete_override(&self, id: i64, audit: &NewAudit) -> Result<Option<StoredOverride>, StoreError>;
}
