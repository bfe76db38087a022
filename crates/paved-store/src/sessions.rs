//! Sign-in sessions of the web UI: what the store keeps of a person signed
//! in with their personal token. The browser holds a random secret; the
//! store only its SHA-256 hash, so a copy of the database signs nobody in.
//! Starting and ending a session are audited in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_domain::EntityRef;
use serde::Serialize;

use crate::{StoreError, TokenInfo};

/// A session to store: the hash of its secret, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Hex SHA-256 of the session secret.
    pub hash: String,
    /// The catalog User signed in.
    pub person: EntityRef,
    /// The personal token the person signed in with.
    pub token_id: i64,
    /// When it stops identifying them.
    pub expires_at: DateTime<Utc>,
}

/// A stored session (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// Its id (the audit log says `session <id>`).
    pub id: i64,
    /// The catalog User signed in.
    pub person: EntityRef,
    /// The personal token it was started with; when that token is revoked
    /// or expires, the session identifies nobody.
    pub token_id: i64,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it stops identifying the person.
    pub expires_at: DateTime<Utc>,
    /// When it was signed out; `None` while it lasts.
    pub ended_at: Option<DateTime<Utc>>,
}

/// Sessions of the web UI, stored as hashes. Part of [`crate::Store`].
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a session's hash and audits its start (`session.start`) by
    /// `actor` in one transaction. Sessions that ended or expired more than
    /// a day before are deleted then (their audit entries stay).
    ///
    /// # Errors
    /// [`StoreError::InvalidRecord`] for a NUL character in the hash; any
    /// database error (a hash stored before, or a token that does not
    /// exist, is one). Nothing is written then.
    async fn create_session(&self, session: &NewSession, actor: &str) -> Result<SessionInfo, StoreError>;

    /// The session with this hash, ended or expired or not, with the token
    /// it was started with as it is now (revoked or not).
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when a row does not
    /// decode.
    async fn session_by_hash(&self, hash: &str) -> Result<Option<(SessionInfo, TokenInfo)>, StoreError>;

    /// Ends a session (once; ending it again changes nothing) and audits it
    /// (`session.end`) by `actor`; `None` when there is no such session.
    ///
    /// # Errors
    /// On a database error.
    async fn end_session(&self, id: i64, actor: &str) -> Result<Option<SessionInfo>, StoreError>;

    /// The sessions that have not ended or expired at `now`, newest first.
    ///
    /// # Errors
    /// On a database error, or [`StoreError::Corrupt`] when a row does not
    /// decode.
    async fn live_sessions(&self, now: DateTime<Utc>) -> Result<Vec<SessionInfo>, StoreError>;
}
