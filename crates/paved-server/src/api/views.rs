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
