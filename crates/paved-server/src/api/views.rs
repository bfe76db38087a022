//! What several endpoints' API types share: the schemas of the domain's
//! string types, and the status of a raw event.
//!
//! A domain type that serialises as a string (`EntityRef`, `Identity`,
//! `RepoId`) stays in the API types that carry it, documented with one of
//! the schemas here (`#[schema(value_type = EntityRefSchema)]`): the
//! string is the wire format, and the domain crate knows nothing of
//! OpenAPI.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::schema::{Schema, Type};
use utoipa::openapi::{ObjectBuilder, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A string schema with a description and perhaps an example.
fn string_schema(description: &str, example: Option<&str>) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).description(Some(description)).examples(example).into()
}

/// The schema of [`paved_domain::EntityRef`] (component `EntityRef`).
pub struct EntityRefSchema;

impl PartialSchema for EntityRefSchema {
    fn schema() -> RefOr<Schema> {
        string_schema("An entity reference, `kind:namespace/name`.", Some("component:default/checkout-api"))
    }
}

impl ToSchema for EntityRefSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("EntityRef")
    }
}

/// The schema of [`paved_domain::Identity`] (component `Identity`).
pub struct IdentitySchema;

impl PartialSchema for IdentitySchema {
    fn schema() -> RefOr<Schema> {
        string_schema("An identity as `kind:value`, e.g. `github:octocat` or `email:dana@acme.example`", None)
    }
}

impl ToSchema for IdentitySchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Identity")
    }
}

/// The schema of [`paved_domain::RepoId`] (component `RepoId`).
pub struct RepoIdSchema;

impl PartialSchema for RepoIdSchema {
    fn schema() -> RefOr<Schema> {
        string_schema("A repository as `host/owner/name`, e.g. `github.com/acme/checkout`", None)
    }
}

impl ToSchema for RepoIdSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RepoId")
    }
}

paved_app::string_enum!(
    /// Where events come from ([`paved_domain::Source`]).
    SourceSchema,
    "Source",
    "Where an event came from: a provider's webhook, the Events API v2 receiver (`events`), the record API (`api`) or pavedroad's own actions (`paved`).",
    ["github", "gitlab", "alertmanager", "pagerduty", "events", "api", "paved"]
);

/// Whether a raw event could be normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = EventStatus)]
pub enum EventStatusView {
    /// It yielded records.
    Normalized,
    /// It carries nothing pavedroad uses; kept, with the reason.
    Ignored,
    /// It should have yielded records but could not; kept, with the reason.
    Failed,
}

impl From<paved_domain::EventStatus> for EventStatusView {
    fn from(status: paved_domain::EventStatus) -> Self {
        use paved_domain::EventStatus;
        match status {
            EventStatus::Normalized => Self::Normalized,
            EventStatus::Ignored => Self::Ignored,
            EventStatus::Failed => Self::Failed,
        }
    }
}

/// Asserts that `body` reads the same through the API's request type `A`
/// and the type `B` that actually reads it (both refusing unknown fields):
/// a field one of them lacks fails the round trip.
#[cfg(test)]
pub(crate) fn assert_same_body<A, B>(body: A)
where
    A: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    B: Serialize + serde::de::DeserializeOwned,
{
    let read: B = serde_json::from_value(serde_json::to_value(&body).unwrap())
        .unwrap_or_else(|error| panic!("{} does not read {body:?}: {error}", std::any::type_name::<B>()));
    let back: A = serde_json::from_value(serde_json::to_value(&read).unwrap())
        .unwrap_or_else(|error| panic!("{} does not read back: {error}", std::any::type_name::<A>()));
    assert_eq!(back, body);
}

paved_app::string_enum!(
    /// [`crate::error::ErrorDetail::code`].
    ErrorCodeSchema,
    "ErrorCode",
    "A stable machine-readable code of an error; the message says what is wrong and how to fix it.",
    [
        "bad_request",
        "unauthorized",
        "forbidden",
        "not_found",
        "method_not_allowed",
        "request_timeout",
        "conflict",
        "too_large",
        "rate_limited",
        "internal",
        "unavailable"
    ]
);

paved_app::string_enum!(
    /// Where a deployment or an incident came from.
    RecordSourceSchema,
    "RecordSource",
    "Where a record came from: a provider's webhook, the Events API v2 receiver (`events`), the record API (`api`), the command line (`cli`) or a deploy pavedroad ran (`paved`).",
    ["github", "gitlab", "alertmanager", "pagerduty", "events", "api", "cli", "paved"]
);

paved_app::string_enum!(
    /// A deployment status as a query or a body may write it.
    DeploymentStatusInput,
    "DeploymentStatusInput",
    "A deployment status, case-insensitive: pavedroad's names (`pending`, `queued`, `in_progress`, `success`, `failure`, `error`, `cancelled`, `inactive`) or a provider's spelling of one.",
    [
        "pending",
        "created",
        "blocked",
        "waiting",
        "queued",
        "in_progress",
        "running",
        "started",
        "success",
        "succeeded",
        "successful",
        "failure",
        "failed",
        "error",
        "cancelled",
        "canceled",
        "skipped",
        "inactive"
    ]
);

paved_app::string_enum!(
    /// What set a deployment off, as a body may write it.
    DeploymentTriggerInput,
    "DeploymentTriggerInput",
    "What set a deployment off, case-insensitive: `manual` (or `workflow_dispatch`), `automatic` (or `auto`, `push`, `merge`) or `rollback`.",
    ["manual", "workflow_dispatch", "automatic", "auto", "push", "merge", "rollback"]
);

paved_app::string_enum!(
    /// What set a deployment off.
    DeploymentTriggerSchema,
    "DeploymentTrigger",
    "What set a deployment off.",
    ["manual", "automatic", "rollback"]
);

paved_app::string_enum!(
    /// Which incidents a list asks for.
    IncidentStatusQuery,
    "IncidentStatusQuery",
    "`open` (not resolved, acknowledged or not), `unacknowledged`, `acknowledged` or `resolved`.",
    ["open", "unacknowledged", "acknowledged", "resolved"]
);

paved_app::string_enum!(
    /// Whether a raw event could be normalised, as a query asks for it.
    EventStatusQuery,
    "EventStatusQuery",
    "An outcome of normalising a raw event.",
    ["normalized", "ignored", "failed"]
);

paved_app::string_enum!(
    /// Where a deploy pavedroad runs stands.
    DeployStateSchema,
    "DeployState",
    "Where a deploy stands.",
    ["queued", "running", "succeeded", "failed", "interrupted"]
);

paved_app::string_enum!(
    /// A deploy check.
    DeployCheckSchema,
    "DeployCheck",
    "A guardrail a deploy is checked against.",
    ["may_act", "checks_passed", "deny_window", "open_incident", "one_at_a_time", "break_glass"]
);

paved_app::string_enum!(
    /// A deploy log line's stream.
    LogStreamSchema,
    "LogStream",
    "Which stream a deploy's log line came from; `system` lines are pavedroad's own.",
    ["stdout", "stderr", "system"]
);

paved_app::string_enum!(
    /// Where a provisioned resource stands.
    ResourceStatusSchema,
    "ResourceStatus",
    "Where a provisioned resource stands.",
    ["provisioning", "ready", "failed", "deprovisioning"]
);

paved_app::string_enum!(
    /// What a webhook delivery became.
    HookStatusSchema,
    "HookStatus",
    "`stored`, or `duplicate` for a delivery stored before (a redelivery changes nothing).",
    ["stored", "duplicate"]
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented sets are the code's own: a value added to one and
    /// not the other fails here.
    #[test]
    fn each_documented_set_is_the_codes_own() {
        let names = |all: &[&str]| all.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            names(SourceSchema::VALUES),
            paved_domain::Source::ALL.iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>()
        );
        for value in DeploymentStatusInput::VALUES {
            assert!(paved_domain::DeploymentStatus::parse(value).is_some(), "{value}");
        }
        for value in DeploymentTriggerInput::VALUES {
            assert!(paved_domain::DeploymentTrigger::parse(value).is_some(), "{value}");
        }
        for value in EventStatusQuery::VALUES {
            assert!(paved_domain::EventStatus::from_name(value).is_some(), "{value}");
        }
        let checks = [
            paved_app::deploy::policy::CheckKind::MayAct,
            paved_app::deploy::policy::CheckKind::ChecksPassed,
            paved_app::deploy::policy::CheckKind::DenyWindow,
            paved_app::deploy::policy::CheckKind::OpenIncident,
            paved_app::deploy::policy::CheckKind::OneAtATime,
            paved_app::deploy::policy::CheckKind::BreakGlass,
        ];
        assert_eq!(names(DeployCheckSchema::VALUES), checks.map(|c| c.as_str().to_owned()).to_vec());
    }
}
