//! Extractors that answer bad input with the API's JSON error shape instead
//! of axum's plain-text rejections.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::request::Parts;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// How long a client may take to send a whole body, for the routes under
/// it ([`crate::Timeouts::body_read`]).
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);
/// How long a large body waits for room in its source's budget.
const BUDGET_WAIT: Duration = Duration::from_secs(10);

/// A request body as raw bytes, under the route's size limit
/// ([`BodyLimit`]); too large is a JSON 413, unreadable a JSON 400, too
/// slow ([`BodyTimeout`]) a JSON 408.
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let unread = UnreadBody::from_request(request, state).await?;
        Ok(Self(unread.read().await?.bytes.clone()))
    }
}

/// A request body not read yet, so that a handler can refuse a delivery
/// from its headers (a missing signature, an unknown token) before taking
/// up to its route's limit in memory. [`UnreadBody::read`] reads it.
#[derive(Debug)]
pub struct UnreadBody {
    body: Body,
    limit: usize,
    content_length: Option<u64>,
    budget: Option<BodyBudget>,
    timeout: Duration,
}

impl<S: Send + Sync> FromRequest<S> for UnreadBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let limit = request.extensions().get::<BodyLimit>().map_or(usize::MAX, |limit| limit.0);
        let budget = request.extensions().get::<BodyBudget>().cloned();
        let timeout = request
            .extensions()
            .get::<BodyTimeout>()
            .map_or_else(|| crate::Timeouts::default().body_read, |timeout| timeout.0);
        let content_length = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        Ok(Self { body: request.into_body(), limit, content_length, budget, timeout })
    }
}

impl UnreadBody {
    /// Reads the whole body: within the route's limit (a `Content-Length`
    /// above it is refused before reading), within the source's budget of
    /// bodies in memory (taken as the bytes arrive, not as announced, and
    /// held until the returned [`ReadBody`] is dropped), within the
    /// [`BodyTimeout`].
    ///
    /// # Errors
    /// 413 when too large, 503 when the budget stays full, 408 when the
    /// body is too slow, 400 when it cannot be read.
    pub async fn read(self) -> Result<ReadBody, ApiError> {
        if self.content_length.is_some_and(|length| length > self.limit as u64) {
            return Err(ApiError::too_large(self.limit));
        }
        let (limit, timeout) = (self.limit, self.timeout);
        let reading = read_frames(self.body, limit, self.content_length, self.budget);
        match tokio::time::timeout(timeout, reading).await {
            Ok(read) => read,
            Err(_) => Err(ApiError::request_timeout(format!(
                "the body did not arrive within {} s; send it at once",
                timeout.as_secs_f64()
            ))),
        }
    }
}

/// The frames of `body`, each counted against `limit` and `budget` as it
/// arrives.
async fn read_frames(
    mut body: Body,
    limit: usize,
    content_length: Option<u64>,
    budget: Option<BodyBudget>,
) -> Result<ReadBody, ApiError> {
    let capacity = content_length.map_or(0, |length| (length as usize).min(limit));
    let mut bytes = Vec::with_capacity(capacity.min(1024 * 1024));
    let mut reservation = Reservation { budget, permit: None, kib: 0 };
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| ApiError::bad_request(format!("the body cannot be read: {error}")))?;
        let Ok(data) = frame.into_data() else { continue };
        if bytes.len() + data.len() > limit {
            return Err(ApiError::too_large(limit));
        }
        reservation.grow_to(bytes.len() + data.len()).await?;
        bytes.extend_from_slice(&data);
    }
    Ok(ReadBody { bytes: Bytes::from(bytes), _reservation: reservation.permit })
}

/// The part of a [`BodyBudget`] a body being read holds.
struct Reservation {
    budget: Option<BodyBudget>,
    permit: Option<OwnedSemaphorePermit>,
    kib: u32,
}

impl Reservation {
    /// Holds room for `bytes` in all, waiting for what is missing.
    async fn grow_to(&mut self, bytes: usize) -> Result<(), ApiError> {
        let Some(budget) = &self.budget else { return Ok(()) };
        let wanted = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).min(budget.total_kib.max(1));
        if wanted <= self.kib {
            return Ok(());
        }
        let more = budget.reserve_kib(wanted - self.kib).await?;
        match &mut self.permit {
            Some(permit) => permit.merge(more),
            None => self.permit = Some(more),
        }
        self.kib = wanted;
        Ok(())
    }
}

/// A body read whole by [`UnreadBody::read`]. It holds its share of the
/// source's [`BodyBudget`] until dropped, so a handler keeps it while it
/// works on the bytes.
#[derive(Debug)]
pub struct ReadBody {
    bytes: Bytes,
    _reservation: Option<OwnedSemaphorePermit>,
}

impl std::ops::Deref for ReadBody {
    type Target = Bytes;

    fn deref(&self) -> &Bytes {
        &self.bytes
    }
}

/// How many bytes of bodies of one source may be in memory at once: a flood
/// of large unsigned deliveries waits (then gets 503) instead of taking
/// hundreds of megabytes. A body takes its share as its bytes arrive, so a
/// client that announces a large body and sends nothing holds nothing.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    kib: Arc<Semaphore>,
    total_kib: u32,
}

impl BodyBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> Self {
        let total_kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
        Self { kib: Arc::new(Semaphore::new(total_kib as usize)), total_kib }
    }

    /// `kib` more of the budget, waiting up to [`BUDGET_WAIT`] for it.
    async fn reserve_kib(&self, kib: u32) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(BUDGET_WAIT, self.kib.clone().acquire_many_owned(kib)).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::unavailable(
                "too many large bodies are being received from this source at once; retry in a few seconds",
            )),
        }
    }
}

/// The body limit of a group of routes, for the 413's message.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A request body read as `T`, which must be a JSON object: serde would
/// otherwise read a struct from an array too (`[null, null]`).
///
/// # Errors
/// What is wrong with the body, for the caller's 400.
pub fn json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|error| error.to_string())?;
    let kind = match &value {
        serde_json::Value::Object(_) => return serde_json::from_value(value).map_err(|error| error.to_string()),
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Null => "null",
    };
    Err(format!("it is {kind}, not a JSON object"))
}
