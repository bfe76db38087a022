//! Signing in to the web UI (DESIGN §7, §8): a person signs in with their
//! own personal token and gets a session; a trusted authenticating proxy
//! names a person, who is found in the catalog.
//!
//! A session's secret is 32 random bytes (made like a token), shown to the
//! browser once and stored only as its SHA-256 hash. A session lasts its
//! lifetime, never beyond the expiry of the token it was started with, and
//! identifies nobody once it is signed out or that token is revoked or
//! expired. Starting and ending one are audited.

use chrono::{DateTime, Duration, Utc};
use paved_domain::{EntityRef, Identity, IdentityKind};
use paved_store::{NewSession, SessionInfo, TokenScope};

use crate::tokens::{authenticate, generate_token, token_hash};
use crate::{App, AppError, Caller, Via};

/// How long a session lasts unless configured otherwise: 12 hours.
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::hours(12);

/// A session's secret, as the browser keeps it (in a cookie). Its `Debug`
/// hides it, so it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionSecret(String);

impl SessionSecret {
    /// Wraps a secret the browser sent back; `None` for an empty one.
    pub fn new(text: impl Into<String>) -> Option<Self> {
        let text = text.into();
        if text.trim().is_empty() { None } else { Some(Self(text)) }
    }

    /// The secret itself, to give to the browser and nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(***)")
    }
}

/// When a session started now with `lifetime` ends: after `lifetime`, and
/// never after `token_expires_at`.
pub fn session_end(now: DateTime<Utc>, lifetime: Duration, token_expires_at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let end = now + lifetime;
    token_expires_at.map_or(end, |token_end| end.min(token_end))
}

/// Why a session identifies nobody, or `None` when it is live at `now`.
fn dead_because(session: &SessionInfo, token: &paved_store::TokenInfo, now: DateTime<Utc>) -> Option<&'static str> {
    if session.ended_at.is_some() {
        return Some("it was signed out");
    }
    if session.expires_at <= now {
        return Some("it expired");
    }
    if token.revoked_at.is_some() {
        return Some("its token was revoked");
    }
    if token.expires_at.is_some_and(|at| at <= now) {
        return Some("its token expired");
    }
    if token.scope != TokenScope::User(session.person.clone()) {
        return Some("its token no longer stands for its person");
    }
    None
}

impl App {
    /// Signs a person in with their personal token: a session of
    /// `lifetime` (never beyond the token's expiry), stored as a hash and
    /// audited (`session.start`). Returns its secret, for the browser, and
    /// what is stored.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`] for an unknown, revoked or expired
    /// token, for a team or admin token (a person signs in with a personal
    /// one: `paved token create --user NAME`), and for a person no longer in
    /// the catalog; [`AppError::Internal`] when no randomness is available;
    /// a store failure.
    pub async fn sign_in(&self, token: &str, lifetime: Duration) -> Result<(SessionSecret, SessionInfo), AppError> {
        let caller = authenticate(&self.store, token).await?;
        let Caller::Token(info) = &caller else {
            return Err(AppError::Internal("a token authenticated as something other than a token".into()));
        };
        let person = match &info.scope {
            TokenScope::User(person) => person.clone(),
            TokenScope::Team(team) => {
                return Err(AppError::Unauthenticated(format!(
                    "token `{}` is {team}'s team token, which signs nobody in; sign in with a personal token: \
                     create one with `paved token create --user NAME`",
                    info.name
                )));
            }
            TokenScope::Admin => {
                return Err(AppError::Unauthenticated(format!(
                    "token `{}` is an admin token, which signs nobody in; sign in with a personal token: \
                     create one with `paved token create --user NAME`",
                    info.name
                )));
            }
        };
        let catalog = self.catalog.current().await?;
        if catalog.person(&person).is_none() {
            return Err(AppError::Unauthenticated(format!(
                "{person}, whose token this is, is no longer in the catalog; add them back (kind: User) and \
                 import the catalog, or sign in with your own personal token"
            )));
        }
        let secret = generate_token().map_err(|error| AppError::Internal(format!("making a session: {error}")))?;
        let new = NewSession {
            hash: token_hash(&secret),
            person: person.clone(),
            token_id: info.id,
            expires_at: session_end(Utc::now(), lifetime, info.expires_at),
        };
        let session = self.store.create_session(&new, &caller.audit_name()).await?;
        tracing::info!(session = session.id, person = %person, "signed in to the web UI");
        Ok((SessionSecret(secret), session))
    }

    /// The person a session secret stands for, as a caller
    /// (`Caller::Person` via [`Via::Session`]), with the session; `None`
    /// when the secret is unknown, or the session was signed out, expired,
    /// or its token was revoked or expired.
    ///
    /// # Errors
    /// A store failure.
    pub async fn session_caller(&self, secret: &SessionSecret) -> Result<Option<(Caller, SessionInfo)>, AppError> {
        let Some((session, token)) = self.store.session_by_hash(&token_hash(secret.expose())).await? else {
            return Ok(None);
        };
        if let Some(reason) = dead_because(&session, &token, Utc::now()) {
            tracing::debug!(session = session.id, reason, "a session identifies nobody");
            return Ok(None);
        }
        let caller = Caller::Person { person: session.person.clone(), via: Via::Session(session.id) };
        Ok(Some((caller, session)))
    }

    /// Signs out: ends the session of `secret` and audits it
    /// (`session.end`). Returns the session ended, `None` when the secret
    /// is unknown or the session had ended already.
    ///
    /// # Errors
    /// A store failure.
    pub async fn sign_out(&self, secret: &SessionSecret) -> Result<Option<SessionInfo>, AppError> {
        let Some((session, _)) = self.store.session_by_hash(&token_hash(secret.expose())).await? else {
            return Ok(None);
        };
        if session.ended_at.is_some() {
            return Ok(None);
        }
        let actor = Caller::Person { person: session.person.clone(), via: Via::Session(session.id) }.audit_name();
        let ended = self.store.end_session(session.id, &actor).await?;
        tracing::info!(session = session.id, person = %session.person, "signed out of the web UI");
        Ok(ended)
    }

    /// The web sessions that last now, newest first, for `caller`: admins
    /// and the CLI only.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] for anyone else; a store failure.
    pub async fn live_sessions(&self, caller: &Caller) -> Result<Vec<SessionInfo>, AppError> {
        caller.may_manage_sessions()?;
        Ok(self.store.live_sessions(Utc::now()).await?)
    }

    /// Ends session `id` on behalf of `caller` (an admin or the CLI), and
    /// audits it (`session.end`) by them: the person is signed out at their
    /// next request.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] for anyone else; [`AppError::NotFound`] for
    /// no such session; a store failure.
    pub async fn revoke_session(&self, caller: &Caller, id: i64) -> Result<SessionInfo, AppError> {
        caller.may_manage_sessions()?;
        self.store
            .end_session(id, &caller.audit_name())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no web session {id}; list them with paved session list")))
    }

    /// The catalog User an authenticating proxy names: an e-mail address
    /// (text with `@`) matched against the Users' `spec.profile.email` and
    /// `paved.dev/emails`, anything else as a login (`github.com/user-login`,
    /// `gitlab.com/user-login`, or the User's name) — the catalog's own
    /// identity matching ([`paved_domain::CatalogIndex::resolve_person`]).
    /// `None` when nobody matches.
    ///
    /// # Errors
    /// A store failure reading the catalog.
    pub async fn person_by_login_or_email(&self, text: &str) -> Result<Option<EntityRef>, AppError> {
        let kind = if text.contains('@') { IdentityKind::Email } else { IdentityKind::Login };
        let Ok(identity) = Identity::new(kind, text) else { return Ok(None) };
        let catalog = self.catalog.current().await?;
        Ok(catalog.resolve_person(&identity, None).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paved_store::TokenInfo;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::hours(hours)
    }

    #[test]
    fn a_session_never_outlives_its_token() {
        assert_eq!(session_end(at(0), Duration::hours(12), None), at(12));
        assert_eq!(session_end(at(0), Duration::hours(12), Some(at(48))), at(12));
        assert_eq!(session_end(at(0), Duration::hours(12), Some(at(3))), at(3));
    }

    #[test]
    fn a_session_is_dead_once_signed_out_expired_or_its_token_is_gone() {
        let dana: EntityRef = "user:default/dana".parse().unwrap();
        let session = SessionInfo {
            id: 1,
            person: dana.clone(),
            token_id: 7,
            created_at: at(0),
            expires_at: at(12),
            ended_at: None,
        };
        let token = TokenInfo {
            id: 7,
            name: "dana".into(),
            scope: TokenScope::User(dana),
            prefix: "paved_x".into(),
            created_at: at(-1),
            revoked_at: None,
            expires_at: Some(at(24)),
        };
        assert_eq!(dead_because(&session, &token, at(1)), None);
        assert_eq!(dead_because(&session, &token, at(12)), Some("it expired"));
        let ended = SessionInfo { ended_at: Some(at(2)), ..session.clone() };
        assert_eq!(dead_because(&ended, &token, at(3)), Some("it was signed out"));
        let revoked = TokenInfo { revoked_at: Some(at(2)), ..token.clone() };
        assert_eq!(dead_because(&session, &revoked, at(3)), Some("its token was revoked"));
        let expired = TokenInfo { expires_at: Some(at(2)), ..token.clone() };
        assert_eq!(dead_because(&session, &expired, at(3)), Some("its token expired"));
        let other = TokenInfo { scope: TokenScope::Admin, ..token };
        assert!(dead_because(&session, &other, at(1)).is_some());
    }

    #[test]
    fn a_session_secret_is_hidden_from_logs() {
        let secret = SessionSecret::new("paved_s3cret").unwrap();
        assert_eq!(format!("{secret:?}"), "SessionSecret(***)");
        assert_eq!(secret.expose(), "paved_s3cret");
        assert_eq!(SessionSecret::new("  "), None);
    }
}
