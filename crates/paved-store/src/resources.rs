//! Resources provisioned by self-service requests (DESIGN §7 Provision):
//! each from its request (a job with a lease while its driver runs) to its
//! removal. The store keeps the secret outputs only as the application
//! sealed them. Who may ask, the limits and the drivers are the
//! application's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_domain::EntityRef;
use serde::Serialize;

use crate::{NewAudit, StoreError};

/// Where a resource stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceState {
    /// Its driver runs (or ran on a replica that stopped: another takes it
    /// when the lease ends).
    Provisioning,
    /// Made; its outputs are known.
    Ready,
    /// The driver failed and undid what it made; the error says why.
    Failed,
    /// Being removed.
    Deprovisioning,
    /// Removed.
    Deleted,
}

impl ResourceState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "provisioning",
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Deprovisioning => "deprovisioning",
            Self::Deleted => "deleted",
        }
    }

    /// From storage.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "provisioning" => Self::Provisioning,
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            "deprovisioning" => Self::Deprovisioning,
            "deleted" => Self::Deleted,
            _ => return None,
        })
    }
}

/// A request to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResource {
    /// The Resource entity.
    pub entity_ref: EntityRef,
    /// The Module asked for.
    pub module: EntityRef,
    /// The service it is for.
    pub service: EntityRef,
    /// The service's team, which owns it.
    pub team: EntityRef,
    /// Its name (the database, the user, the key prefix).
    pub name: String,
    /// The parameters asked for.
    pub parameters: serde_json::Value,
    /// Who asked, as the audit log names them.
    pub requested_by: String,
}

/// A resource as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredResource {
    /// Its id.
    pub id: i64,
    /// The Resource entity.
    pub entity_ref: EntityRef,
    /// The Module.
    pub module: EntityRef,
    /// The service.
    pub service: EntityRef,
    /// The owning team.
    pub team: EntityRef,
    /// Its name.
    pub name: String,
    /// The parameters asked for.
    pub parameters: serde_json::Value,
    /// Where it stands.
    pub state: ResourceState,
    /// What may be shown.
    pub outputs: Option<serde_json::Value>,
    /// The sealed secret outputs; never shown.
    #[serde(skip)]
    pub sealed: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceOutcome {
    /// Made: what may be shown and the sealed secrets.
    Ready {
        /// Outputs that may be shown.
        outputs: serde_json::Value,
        /// Secret outputs, sealed.
        sealed: Option<String>,
    },
    /// The driver failed and undid its work.
    Failed {
        /// Why.
        error: String,
    },
    /// Removed.
    Deleted,
}

/// Resources. Part of [`crate::Store`].
#[async_trait]
pub trait ResourceStore: Send + Sync {
    /// Stores a request as `provisioning`, leased to `owner` until
    /// `lease_until`, with `audit`: the new resource, or the live one of the
    /// same entity (`false`: nothing was written).
    ///
    /// # Errors
    /// A database error.
    async fn request_resource(
        &self,
        new: &NewResource,
        owner: &str,
        lease_until: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<(StoredResource, bool), StoreError>;

    /// Records how the request (or removal) of resource `id` ended, if
    /// `owner` still holds its lease; the resource as it is then.
    ///
    /// # Errors
    /// A database error.
    async fn finish_resource(
        &self,
        id: i64,
        owner: &str,
        outcome: &ResourceOutcome,
        audit: &NewAudit,
    ) -> Result<Option<StoredResource>, StoreError>;

    /// Takes resource `id` for `owner` until `lease_until` to remove it
    /// (`deprovision`: a ready or failed one, whose state becomes
    /// `deprovisioning`), or else to rotate its secret (a ready one, whose
    /// state is kept; [`ResourceStore::reseal_resource`] lets it go);
    /// `None` when another holds it or it is in no such state.
    ///
    /// # Errors
    /// A database error.
    async fn lease_resource(
        &self,
        id: i64,
        owner: &str,
        lease_until: DateTime<Utc>,
        deprovision: bool,
    ) -> Result<Option<StoredResource>, StoreError>;

    /// Stores new sealed secrets of a ready resource `owner` holds, and
    /// lets it go, with `audit`; `false` (nothing written) when `owner`
    /// no longer holds it.
    ///
    /// # Errors
    /// A database error.
    async fn reseal_resource(&self, id: i64, owner: &str, sealed: &str, audit: &NewAudit) -> Result<bool, StoreError>;

    /// Requests (and removals) whose lease ended, taken for `owner`: their
    /// driver stopped mid-way and runs again.
    ///
    /// # Errors
    /// A database error.
    async fn claim_stale_resources(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<StoredResource>, StoreError>;

    /// The live resources (not deleted), of a service, a team or all.
    ///
    /// # Errors
    /// A database error.
    async fn resources(
        &self,
        service: Option<&EntityRef>,
        team: Option<&EntityRef>,
    ) -> Result<Vec<StoredResource>, StoreError>;

    /// The live resource of `entity_ref`.
    ///
    /// # Errors
    /// A database error.
    async fn resource(&self, entity_ref: &EntityRef) -> Result<Option<StoredResource>, StoreError>;
}
