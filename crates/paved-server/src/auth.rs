//! Who sends a request: `Authorization: Bearer <token>`, looked up through
//! the application's tokens ([`paved_app::tokens`]). What the caller may do
//! is decided by the application ([`paved_app::Caller`]), not here.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use paved_app::Caller;
use paved_store::DynStore;

use crate::{ApiError, AppState};

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
    Ok(paved_app::tokens::authenticate(store, token).await?)
}

/// The caller of a request that must carry a token, as an extractor.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|value| value.to_str().ok());
        caller_from_header(&state.store, header).await.map(Self)
    }
}
