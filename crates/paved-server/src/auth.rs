//! Who sends a request: `Authorization: Bearer <token>`, looked up through
//! the application's tokens ([`paved_app::tokens`]), or — on the two
//! endpoints a CI job deploys and records with — a CI's OIDC ID token
//! verified by [`paved_app::ci_identity`]. What the caller may do is
//! decided by the application ([`paved_app::Caller`]), not here.

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
    let token = bearer(header)?;
    if paved_app::ci_identity::looks_like_jwt(token) {
        return Err(ApiError::unauthorized(
            "a CI identity token (OIDC) is accepted only to deploy (POST /api/v1/services/{name}/deploys) and to \
             record deployments (POST /api/v1/deployments); send an API token here (paved token create)",
        ));
    }
    Ok(paved_app::tokens::authenticate(store, token).await?)
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(header: &str) -> Result<&str, ApiError> {
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))
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

/// The caller of a request that deploys or records a deployment: an API
/// token, or a CI job's OIDC ID token ([`paved_app::App::authenticate_ci`]),
/// which needs no secret stored anywhere.
#[derive(Debug, Clone)]
pub struct AuthenticatedOrCi(pub Caller);

impl FromRequestParts<AppState> for AuthenticatedOrCi {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|value| value.to_str().ok());
        if let Some(token) = header.map(bearer).transpose()?
            && paved_app::ci_identity::looks_like_jwt(token)
        {
            return Ok(Self(state.app.authenticate_ci(token).await?));
        }
        caller_from_header(&state.store, header).await.map(Self)
    }
}
