//! Web sessions: started and ended with their audit entries, looked up by
//! the hash of their secret together with the token they were started with.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::{TOKEN_COLUMNS, insert_audit};
use crate::common::{self, TokenRow};
use crate::sessions::{NewSession, SessionInfo, SessionStore};
use crate::sql::{Db, SqlExt};
use crate::{NewAudit, StoreError, TokenInfo};

/// Columns of [`SessionRow`].
const SESSION_COLUMNS: &str = "id, person, token_id, created_at, expires_at, ended_at";

/// How long an ended or expired session is kept before a new sign-in
/// deletes it.
const KEPT_AFTER_END: Duration = Duration::days(1);

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    person: String,
    token_id: i64,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
}

impl SessionRow {
    fn decode(self) -> Result<SessionInfo, StoreError> {
        let person = self
            .person
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("session {} person `{}`: {e}", self.id, self.person)))?;
        Ok(SessionInfo {
            id: self.id,
            person,
            token_id: self.token_id,
            created_at: self.created_at,
            expires_at: self.expires_at,
            ended_at: self.ended_at,
        })
    }
}

/// The audit entry of a session starting or ending.
fn session_audit(actor: &str, action: &str, session: &SessionInfo) -> NewAudit {
    NewAudit {
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: format!("session {}", session.id),
        detail: Some(format!(
            "{} with token {}, until {}",
            session.person,
            session.token_id,
            session.expires_at.format("%Y-%m-%dT%H:%M:%SZ")
        )),
        service: None,
        decision: None,
    }
}

#[async_trait]
impl<T: Db> SessionStore for T {
    async fn live_sessions(&self, now: DateTime<Utc>) -> Result<Vec<SessionInfo>, StoreError> {
        const ACTION: &str = "listing web sessions";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!(
            "SELECT {SESSION_COLUMNS} FROM web_sessions WHERE ended_at IS NULL AND expires_at > ? ORDER BY id DESC"
        ));
        select.bind(now);
        db.fetch_all::<SessionRow>(&select, ACTION).await?.into_iter().map(SessionRow::decode).collect()
    }

    async fn create_session(&self, session: &NewSession, actor: &str) -> Result<SessionInfo, StoreError> {
        const ACTION: &str = "starting a session";
        if session.hash.contains('\0') {
            return Err(StoreError::InvalidRecord {
                record: format!("session of {}", session.person),
                field: "hash".into(),
                problem: "has a NUL character (\\0)",
            });
        }
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut forget = tx.statement("DELETE FROM web_sessions WHERE expires_at < ? OR ended_at < ?");
        forget.bind(now - KEPT_AFTER_END).bind(now - KEPT_AFTER_END);
        tx.run(&forget, ACTION).await?;
        let mut insert = tx.statement(format!(
            "INSERT INTO web_sessions (hash, person, token_id, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?) RETURNING {SESSION_COLUMNS}"
        ));
        insert
            .bind(&session.hash)
            .bind(session.person.to_string())
            .bind(session.token_id)
            .bind(now)
            .bind(common::storable_instant(session.expires_at));
        let info = tx.fetch_one::<SessionRow>(&insert, ACTION).await?.decode()?;
        insert_audit(&mut *tx, &session_audit(actor, "session.start", &info), now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(info)
    }

    async fn session_by_hash(&self, hash: &str) -> Result<Option<(SessionInfo, TokenInfo)>, StoreError> {
        const ACTION: &str = "reading a session";
        if hash.contains('\0') {
            return Ok(None);
        }
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {SESSION_COLUMNS} FROM web_sessions WHERE hash = ?"));
        select.bind(hash);
        let Some(session) =
            db.fetch_optional::<SessionRow>(&select, ACTION).await?.map(SessionRow::decode).transpose()?
        else {
            return Ok(None);
        };
        let mut token = db.statement(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?"));
        token.bind(session.token_id);
        let token = db.fetch_one::<TokenRow>(&token, ACTION).await?.decode()?;
        Ok(Some((session, token)))
    }

    async fn end_session(&self, id: i64, actor: &str) -> Result<Option<SessionInfo>, StoreError> {
        const ACTION: &str = "ending a session";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(format!(
            "UPDATE web_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL RETURNING {SESSION_COLUMNS}"
        ));
        update.bind(now).bind(id);
        let info = match tx.fetch_optional::<SessionRow>(&update, ACTION).await? {
            Some(row) => {
                let info = row.decode()?;
                insert_audit(&mut *tx, &session_audit(actor, "session.end", &info), now, None, ACTION).await?;
                Some(info)
            }
            // Unknown, or ended before: what is stored, unchanged.
            None => {
                let mut select = tx.statement(format!("SELECT {SESSION_COLUMNS} FROM web_sessions WHERE id = ?"));
                select.bind(id);
                tx.fetch_optional::<SessionRow>(&select, ACTION).await?.map(SessionRow::decode).transpose()?
            }
        };
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(info)
    }
}
