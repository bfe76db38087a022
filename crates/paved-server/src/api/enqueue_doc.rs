//! The shapes of PagerDuty's Events API v2 as `/v2/enqueue` takes and
//! answers them: documentation only. The receiver keeps PagerDuty's own
//! answers (not the project's error body) so that any Events API v2 sender
//! reads them unchanged; `paved_ingest::events_v2` checks the event.

use serde::Serialize;
use utoipa::ToSchema;

/// An Events API v2 event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnqueueEvent {
    /// A pavedroad API token (`paved token create`), in place of
    /// PagerDuty's integration key; never stored.
    pub routing_key: String,
    /// What to do with the incident the `dedup_key` names.
    pub event_action: EnqueueAction,
    /// The incident's key (at most 255 characters): required to
    /// acknowledge or resolve; a trigger without one opens a new incident.
    pub dedup_key: Option<String>,
    /// What happened (required to trigger).
    pub payload: Option<EnqueuePayload>,
}

/// An event's action.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnqueueAction {
    /// Open an incident (or add to the open one with the same key).
    Trigger,
    /// Acknowledge it.
    Acknowledge,
    /// Resolve it.
    Resolve,
}

/// What a trigger reports.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnqueuePayload {
    /// A one-line summary, the incident's title.
    pub summary: String,
    /// The service or host affected (a Component's name links it).
    pub source: String,
    /// How bad it is.
    pub severity: EnqueueSeverity,
    /// When it happened (RFC 3339); default when received.
    pub timestamp: Option<String>,
    /// The component affected.
    pub component: Option<String>,
    /// Free-form details, kept as sent.
    #[schema(value_type = Option<Object>)]
    pub custom_details: Option<serde_json::Value>,
}

/// A trigger's severity.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnqueueSeverity {
    /// Critical.
    Critical,
    /// Error.
    Error,
    /// Warning.
    Warning,
    /// Informational.
    Info,
}

/// The answer to an event taken: `{"status": "success", "message": "Event
/// processed", "dedup_key"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnqueueAccepted {
    /// `success`.
    #[schema(value_type = EnqueueSuccess)]
    pub status: String,
    /// `Event processed`.
    pub message: String,
    /// The incident's key: the one sent, or a new one for a trigger without.
    pub dedup_key: String,
}

/// The answer to an event refused: `{"status", "message", "errors"}` as
/// PagerDuty answers (`errors` only for an invalid event).
#[derive(Debug, Serialize, ToSchema)]
pub struct EnqueueRefused {
    /// `invalid event`, or `unauthorized` for a routing key (or bearer
    /// token) that is not a valid token.
    #[schema(value_type = EnqueueRefusal)]
    pub status: String,
    /// What is wrong.
    pub message: String,
    /// Each problem of an invalid event.
    pub errors: Option<Vec<String>>,
}

paved_app::string_enum!(
    /// [`EnqueueAccepted::status`].
    EnqueueSuccess,
    "EnqueueSuccess",
    "`success`.",
    ["success"]
);

paved_app::string_enum!(
    /// [`EnqueueRefused::status`].
    EnqueueRefusal,
    "EnqueueRefusal",
    "`invalid event` (what PagerDuty answers an event with problems), `Unrecognized object` (a body that is not a JSON object), or `unauthorized` for a routing key (or bearer token) that is not a valid token.",
    ["invalid event", "Unrecognized object", "unauthorized"]
);
