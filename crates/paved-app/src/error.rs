//! The one error of the application layer: what went wrong, said for a
//! person, and which kind of wrong it is. The HTTP layer turns the kind
//! into a status (`ApiError: From<AppError>`), the CLI into an exit code
//! ([`AppError::is_bad_input`]: 2, else 1); neither needs the other.

use paved_store::StoreError;

/// Why a use case did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed or names something that does not exist
    /// where a name was expected (a field, a service, a window).
    #[error("{0}")]
    Invalid(String),
    /// The request does not say who makes it, or says it wrongly (an
    /// unknown or revoked token).
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is known and may not do this; the message says which
    /// rule refused it and who could act instead.
    #[error("{0}")]
    Forbidden(String),
    /// The thing acted on is not recorded.
    #[error("{0}")]
    NotFound(String),
    /// The request contradicts what is recorded.
    #[error("{0}")]
    Conflict(String),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A part of the application is gone (the server is shutting down).
    #[error("{0}")]
    Unavailable(String),
    /// A bug: something that should exist does not. The message is for the
    /// log, not for the caller.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// True when the caller's input is at fault (a 4xx; exit code 2), false
    /// when pavedroad or its database is (a 5xx; exit code 1).
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Invalid(_)
            | Self::Unauthenticated(_)
            | Self::Forbidden(_)
            | Self::NotFound(_)
            | Self::Conflict(_) => true,
            Self::Store(error) => error.is_bad_input(),
            Self::Unavailable(_) | Self::Internal(_) => false,
        }
    }

    /// The message for the person who asked.
    pub fn message(&self) -> String {
        self.to_string()
    }
}
