//! Extractors that answer bad input with the API's JSON error shape instead
//! of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Path parameters; a bad or NUL-carrying segment is a JSON 400.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

/// Query parameters; a bad or NUL-carrying value is a JSON 400.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

/// No stored text can hold a NUL character, so a request asking for one is
/// refused up front, the same way on every database.
fn refuse_nul(text: Option<&str>, what: &str) -> Result<(), ApiError> {
    match text {
        Some(text) if text.to_ascii_lowercase().contains("%00") => {
            Err(ApiError::bad_request(format!("the {what} contains a NUL character (%00), which no entity can have")))
        }
        _ => Ok(()),
    }
}

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        refuse_nul(Some(parts.uri.path()), "path")?;
        let Path(value) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
        Ok(Self(value))
    }
}

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        refuse_nul(parts.uri.query(), "query")?;
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
        Ok(Self(value))
    }
}

/// A request body as raw bytes, under the route's size limit
/// (`DefaultBodyLimit`); too large is a JSON 413, unreadable a JSON 400.
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = request.extensions().get::<BodyLimit>().map_or(usize::MAX, |limit| limit.0);
        match Bytes::from_request(request, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(rejection @ BytesRejection::FailedToBufferBody(_))
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::too_large(limit))
            }
            Err(rejection) => Err(ApiError::bad_request(format!("the body cannot be read: {}", rejection.body_text()))),
        }
    }
}

/// The body limit of a group of routes, for the 413's message.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);
