//! API tokens (DESIGN §8): made once, shown once, stored as a SHA-256 hash.
//! A request names its token as `Authorization: Bearer <token>`; what it may
//! do follows catalog ownership.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use paved_domain::{CatalogIndex, EntityRef};
use paved_store::{DynStore, TokenInfo, TokenScope};
use sha2::{Digest, Sha256};

use crate::{ApiError, AppState};

/// Every token starts with this, so that secret scanners and people
/// recognise one.
pub const TOKEN_PREFIX: &str = "paved_";

/// A new token: `paved_` and 32 random bytes in hex.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn generate_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
}

/// The hash a token is stored and looked up by (hex SHA-256).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// The first characters of a token, enough to recognise it in a list and
/// far too few to use it.
pub fn token_prefix(token: &str) -> String {
    token.chars().take(TOKEN_PREFIX.len() + 6).collect()
}

/// Who is calling: the CLI on the local database, or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// `paved` itself on the local database (its user can read the file
    /// anyway).
    Local,
    /// A request with a valid token.
    Token(TokenInfo),
}

impl Caller {
    /// How the audit log names the caller.
    pub fn audit_name(&self) -> String {
        match self {
            Self::Local => "cli".to_owned(),
            Self::Token(token) => match &token.scope {
                TokenScope::Admin => format!("token {} ({}, admin)", token.id, token.name),
                TokenScope::Team(team) => format!("token {} ({}, team {team})", token.id, token.name),
            },
        }
    }

    /// Checks that the caller may record deployments and incidents of
    /// `service`: the CLI and admin tokens may; a team token only for the
    /// services its team (or a team below it) owns.
    ///
    /// # Errors
    /// A 403 that names the service, its owner and the token's team.
    pub fn may_act_on(&self, catalog: &CatalogIndex, service: &EntityRef) -> Result<(), ApiError> {
        let Self::Token(TokenInfo { scope: TokenScope::Team(team), name, .. }) = self else {
            return Ok(());
        };
        if catalog.team_owns(team, service) {
            return Ok(());
        }
        let owner = catalog
            .service(service)
            .and_then(|info| info.owner.as_ref())
            .map_or_else(|| "no owner".to_owned(), |owner| format!("owner {owner}"));
        Err(ApiError::forbidden(format!(
            "token `{name}` belongs to {team}, which does not own {service} ({owner}); use a token of the owning team"
        )))
    }
}

/// Looks up the token of `Authorization: Bearer <token>`.
///
/// # Errors
/// 401 when the header is missing or malformed, or the token is unknown or
/// revoked.
pub async fn caller_from_header(store: &DynStore, header: Option<&str>) -> Result<Caller, ApiError> {
    let Some(header) = header else {
        return Err(ApiError::unauthorized(
            "this endpoint needs a token: send `Authorization: Bearer <token>` (create one with `paved token create`)",
        ));
    };
    let Some(token) = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")) else {
        return Err(ApiError::unauthorized("the Authorization header must be `Bearer <token>`"));
    };
    caller_from_token(store, token).await
}

/// Looks up a token given as is (a routing key).
///
/// # Errors
/// 401 when the token is unknown or revoked.
pub async fn caller_from_token(store: &DynStore, token: &str) -> Result<Caller, ApiError> {
    match store.token_by_hash(&token_hash(token)).await? {
        Some(info) if info.revoked_at.is_none() => Ok(Caller::Token(info)),
        Some(info) => Err(ApiError::unauthorized(format!(
            "token `{}` was revoked; create a new one with `paved token create`",
            info.name
        ))),
        None => Err(ApiError::unauthorized("the token is not known; create one with `paved token create`")),
    }
}

/// The caller of a request that must carry a token.
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|value| value.to_str().ok());
        caller_from_header(&state.store, header).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("paved_") && a.len() == 6 + 64, "{a}");
        assert_eq!(token_hash(&a), token_hash(&format!(" {a}\n")), "whitespace around a pasted token is ignored");
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(token_prefix(&a).len(), 12);
        assert!(!token_hash(&a).contains(&a[6..]));
    }
}
