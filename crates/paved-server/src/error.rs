//! The one error type of the HTTP layer and its JSON shape.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answered to a client as `{"error": {"code": ..., "message": ...}}`.
///
/// Internal errors are logged once, here, with their cause chain, and the
/// client sees only a generic message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

/// The JSON body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `not_found`, `bad_request`.
    #[schema(value_type = crate::api::views::ErrorCodeSchema)]
    pub code: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl ApiError {
    /// 404 with a message that says what was not found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, code: "not_found", message: message.into() }
    }

    /// 400 with a message that says what is wrong with the request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code: "bad_request", message: message.into() }
    }

    /// 401: the request does not say who sends it, or says it wrongly.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self { status: StatusCode::UNAUTHORIZED, code: "unauthorized", message: message.into() }
    }

    /// 403: the caller is known and may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self { status: StatusCode::FORBIDDEN, code: "forbidden", message: message.into() }
    }

    /// 409: the request contradicts what is recorded.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self { status: StatusCode::CONFLICT, code: "conflict", message: message.into() }
    }

    /// 413: the body is larger than the route takes.
    pub fn too_large(limit_bytes: usize) -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "too_large",
            message: if limit_bytes >= 1024 * 1024 {
                format!("the body is larger than {} MiB, the most this route takes", limit_bytes / (1024 * 1024))
            } else {
                format!("the body is larger than {} KiB, the most this route takes", limit_bytes / 1024)
            },
        }
    }

    /// 408: the body did not arrive in time.
    pub fn request_timeout(message: impl Into<String>) -> Self {
        Self { status: StatusCode::REQUEST_TIMEOUT, code: "request_timeout", message: message.into() }
    }

    /// 405 for a method the route does not take.
    pub fn method_not_allowed() -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
            message: "this route does not take that method; see /api/v1/openapi.json".into(),
        }
    }

    /// 429: more requests than the caller's limit ([`crate::limits`]).
    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self { status: StatusCode::TOO_MANY_REQUESTS, code: "rate_limited", message: message.into() }
    }

    /// 503: a dependency (the database) does not answer.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self { status: StatusCode::SERVICE_UNAVAILABLE, code: "unavailable", message: message.into() }
    }

    /// 500; the cause is logged, not shown.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %chain, "request failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error; the server log has the cause".into(),
        }
    }

    /// The message shown to the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<paved_store::StoreError> for ApiError {
    /// A record the store cannot keep (a NUL character) is the client's
    /// mistake; anything else is ours.
    fn from(error: paved_store::StoreError) -> Self {
        match error {
            paved_store::StoreError::InvalidRecord { .. } => Self::bad_request(error.to_string()),
            error if error.is_transient() || matches!(error, paved_store::StoreError::Unavailable(_)) => {
                tracing::error!(error = %error, "the database could not answer");
                Self::unavailable(format!("{error}; try again"))
            }
            error => Self::internal(&error),
        }
    }
}

impl From<paved_app::AppError> for ApiError {
    /// Each kind of the application's errors has its status; a store
    /// failure is classified as [`From<StoreError>`] does.
    fn from(error: paved_app::AppError) -> Self {
        use paved_app::AppError;
        match error {
            AppError::Invalid(message) => Self::bad_request(message),
            AppError::Unauthenticated(message) => Self::unauthorized(message),
            AppError::Forbidden(message) => Self::forbidden(message),
            AppError::NotFound(message) => Self::not_found(message),
            AppError::Conflict(message) => Self::conflict(message),
            AppError::Store(error) => error.into(),
            AppError::Unavailable(message) => Self::unavailable(message),
            error @ AppError::Internal(_) => Self::internal(&error),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code.to_owned(), message: self.message } };
        (self.status, Json(body)).into_response()
    }
}
