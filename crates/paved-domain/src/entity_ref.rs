//! Backstage entity references: `kind:namespace/name`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The namespace an entity lives in when its descriptor names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A reference to a catalog entity, `kind:namespace/name`, in its canonical
/// form: kind and namespace lower-case, name as written (Backstage compares
/// names case-insensitively, see [`EntityRef::key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityRef {
    kind: String,
    namespace: String,
    name: String,
}

/// Why a string is not an entity reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntityRefError {
    /// The reference is empty.
    #[error("the entity reference is empty")]
    Empty,
    /// No kind was written and the field has no default kind.
    #[error("`{0}` has no kind and this field has no default kind; write it as `kind:{0}`, e.g. `component:{0}`")]
    MissingKind(String),
    /// A part of the reference is empty, e.g. `component:/name`.
    #[error("`{0}` has an empty kind, namespace or name; write `kind:namespace/name`")]
    EmptyPart(String),
}

impl EntityRef {
    /// Builds a reference from its parts; `kind` and `namespace` are
    /// lower-cased.
    ///
    /// # Errors
    /// [`EntityRefError::EmptyPart`] when a part is empty.
    pub fn new(kind: &str, namespace: &str, name: &str) -> Result<Self, EntityRefError> {
        if kind.is_empty() || namespace.is_empty() || name.is_empty() {
            return Err(EntityRefError::EmptyPart(format!("{kind}:{namespace}/{name}")));
        }
        Ok(Self { kind: kind.to_ascii_lowercase(), namespace: namespace.to_ascii_lowercase(), name: name.to_owned() })
    }

    /// Parses `[kind:][namespace/]name` with Backstage's defaults: the kind
    /// defaults to `default_kind` (the default of the field the reference is
    /// written in, e.g. `group` for `spec.owner`) and the namespace to
    /// `default_namespace` (the namespace of the entity that holds the field).
    ///
    /// # Errors
    /// When the input is empty, has an empty part, or has no kind and the field
    /// no default kind.
    pub fn parse(input: &str, default_kind: Option<&str>, default_namespace: &str) -> Result<Self, EntityRefError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(EntityRefError::Empty);
        }
        let (kind, rest) = match input.split_once(':') {
            Some((kind, rest)) => (kind, rest),
            None => match default_kind {
                Some(kind) => (kind, input),
                None => return Err(EntityRefError::MissingKind(input.to_owned())),
            },
        };
        let (namespace, name) = rest.split_once('/').unwrap_or((default_namespace, rest));
        Self::new(kind, namespace, name).map_err(|_| EntityRefError::EmptyPart(input.to_owned()))
    }

    /// The kind, lower-case (`component`, `group`, ...).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// True when the reference is of `kind`.
    pub fn is(&self, kind: crate::EntityKind) -> bool {
        self.kind == kind.as_str()
    }

    /// The kind, when pavedroad knows it; `None` for a plugin's kind.
    pub fn entity_kind(&self) -> Option<crate::EntityKind> {
        self.kind.parse().ok()
    }

    /// The namespace, lower-case.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The name as written.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key two references are compared by for identity in the catalog:
    /// the whole reference lower-cased, since Backstage treats `Foo` and `foo`
    /// as the same entity.
    pub fn key(&self) -> String {
        self.to_string().to_ascii_lowercase()
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.kind, self.namespace, self.name)
    }
}

impl std::str::FromStr for EntityRef {
    type Err = EntityRefError;

    /// Parses a full reference; the namespace defaults to `default`, the kind
    /// is required.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s, None, DEFAULT_NAMESPACE)
    }
}

impl Serialize for EntityRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EntityRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_per_field() {
        let owner = EntityRef::parse("team-a", Some("group"), "default").unwrap();
        assert_eq!(owner.to_string(), "group:default/team-a");
        let user = EntityRef::parse("user:guest", Some("group"), "default").unwrap();
        assert_eq!(user.to_string(), "user:default/guest");
        let other_ns = EntityRef::parse("Group:Ops/sre", Some("group"), "default").unwrap();
        assert_eq!(other_ns.to_string(), "group:ops/sre");
        let inherits_ns = EntityRef::parse("payments", Some("system"), "finance").unwrap();
        assert_eq!(inherits_ns.to_string(), "system:finance/payments");
    }

    #[test]
    fn missing_kind_without_default_is_an_error() {
        let err = EntityRef::parse("postgres-db", None, "default").unwrap_err();
        assert!(err.to_string().contains("component:postgres-db"), "{err}");
    }

    #[test]
    fn empty_parts_are_errors() {
        assert_eq!(EntityRef::parse("", Some("group"), "default"), Err(EntityRefError::Empty));
        assert!(EntityRef::parse("component:/x", None, "default").is_err());
        assert!(EntityRef::parse("component:", None, "default").is_err());
    }

    #[test]
    fn key_ignores_case_of_the_name() {
        let a: EntityRef = "component:default/Checkout".parse().unwrap();
        let b: EntityRef = "Component:default/checkout".parse().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn serde_round_trips_through_the_string_form() {
        let r: EntityRef = "api:default/orders".parse().unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"api:default/orders\"");
        assert_eq!(serde_json::from_str::<EntityRef>(&json).unwrap(), r);
    }
}
