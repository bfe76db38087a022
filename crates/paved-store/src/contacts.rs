//! Contacts people add at run time (DESIGN §7 On call): paged beside those
//! of their catalog entry. The store keeps the contact sealed by the
//! application (a webhook URL is a secret) and a redacted form to show;
//! adding and removing one is audited in the same transaction. Who may add
//! one is the application's to decide (`paved_app::access`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_domain::EntityRef;
use serde::Serialize;

use crate::{NewAudit, StoreError};

/// A contact to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPersonContact {
    /// The catalog User it reaches (stored by its [`EntityRef::key`]).
    pub person: EntityRef,
    /// `email`, `slack` or `webhook`.
    pub kind: String,
    /// What may be shown: the address, or a URL's scheme, host and port.
    pub shown: String,
    /// The contact, sealed by the application.
    pub sealed: String,
    /// Who added it, as the audit log names them.
    pub created_by: String,
}

/// A contact as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPersonContact {
    /// Its id (`paved oncall contact remove ID`).
    pub id: i64,
    /// Whom it reaches, as a key (`user:default/ana`).
    pub person: EntityRef,
    /// `email`, `slack` or `webhook`.
    pub kind: String,
    /// The redacted form.
    pub shown: String,
    /// The sealed contact; never shown.
    #[serde(skip)]
    pub sealed: String,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// People's contacts added at run time. Part of [`crate::Store`].
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// Stores `new` and appends `audit` (its target set to the contact) in
    /// one transaction.
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] for a NUL character; a database error.
    async fn add_person_contact(
        &self,
        new: &NewPersonContact,
        audit: &NewAudit,
    ) -> Result<StoredPersonContact, StoreError>;

    /// The contacts of `person` (every person's with `None`), in the order
    /// they were added.
    ///
    /// # Errors
    /// A database error; [`StoreError::Corrupt`] for a row that does not
    /// decode.
    async fn person_contacts(&self, person: Option<&EntityRef>) -> Result<Vec<StoredPersonContact>, StoreError>;

    /// Removes contact `id` of `person` and appends `audit` in one
    /// transaction; the contact as it was, or `None` when `person` has no
    /// such contact (nothing is audited then).
    ///
    /// # Errors
    /// As [`Self::person_contacts`].
    async fn remove_person_contact(
        &self,
        person: &EntityRef,
        id: i64,
        audit: &NewAudit,
    ) -> Result<Option<StoredPersonContact>, StoreError>;
}
