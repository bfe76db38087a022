//! Relations between entities, derived from their specs as Backstage does.

use serde::{Deserialize, Serialize};

use crate::EntityRef;

/// The type of a relation, named as in Backstage (`ownedBy`, `hasPart`, ...).
/// Every relation is stored in both directions: `A ownedBy B` comes with
/// `B ownerOf A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RelationType {
    /// The source is owned by the target (a Group or User).
    OwnedBy,
    /// The source owns the target.
    OwnerOf,
    /// The source (a User or Group) is a member of the target Group.
    MemberOf,
    /// The source Group has the target as a member.
    HasMember,
    /// The source is part of the target (System, Domain, parent Component).
    PartOf,
    /// The source has the target as a part.
    HasPart,
    /// The source Group is the parent of the target Group.
    ParentOf,
    /// The source Group is a child of the target Group.
    ChildOf,
    /// The source depends on the target.
    DependsOn,
    /// The source is a dependency of the target.
    DependencyOf,
    /// The source provides the target API.
    ProvidesApi,
    /// The source API is provided by the target.
    ApiProvidedBy,
    /// The source consumes the target API.
    ConsumesApi,
    /// The source API is consumed by the target.
    ApiConsumedBy,
}

impl RelationType {
    /// Every relation type, in a stable order.
    pub const ALL: [RelationType; 14] = [
        Self::OwnedBy,
        Self::OwnerOf,
        Self::MemberOf,
        Self::HasMember,
        Self::PartOf,
        Self::HasPart,
        Self::ParentOf,
        Self::ChildOf,
        Self::DependsOn,
        Self::DependencyOf,
        Self::ProvidesApi,
        Self::ApiProvidedBy,
        Self::ConsumesApi,
        Self::ApiConsumedBy,
    ];

    /// The name Backstage uses, e.g. `ownedBy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OwnedBy => "ownedBy",
            Self::OwnerOf => "ownerOf",
            Self::MemberOf => "memberOf",
            Self::HasMember => "hasMember",
            Self::PartOf => "partOf",
            Self::HasPart => "hasPart",
            Self::ParentOf => "parentOf",
            Self::ChildOf => "childOf",
            Self::DependsOn => "dependsOn",
            Self::DependencyOf => "dependencyOf",
            Self::ProvidesApi => "providesApi",
            Self::ApiProvidedBy => "apiProvidedBy",
            Self::ConsumesApi => "consumesApi",
            Self::ApiConsumedBy => "apiConsumedBy",
        }
    }

    /// Parses the Backstage name, e.g. `ownedBy`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The same relation seen from the other end.
    pub fn inverse(self) -> Self {
        match self {
            Self::OwnedBy => Self::OwnerOf,
            Self::OwnerOf => Self::OwnedBy,
            Self::MemberOf => Self::HasMember,
            Self::HasMember => Self::MemberOf,
            Self::PartOf => Self::HasPart,
            Self::HasPart => Self::PartOf,
            Self::ParentOf => Self::ChildOf,
            Self::ChildOf => Self::ParentOf,
            Self::DependsOn => Self::DependencyOf,
            Self::DependencyOf => Self::DependsOn,
            Self::ProvidesApi => Self::ApiProvidedBy,
            Self::ApiProvidedBy => Self::ProvidesApi,
            Self::ConsumesApi => Self::ApiConsumedBy,
            Self::ApiConsumedBy => Self::ConsumesApi,
        }
    }
}

impl std::fmt::Display for RelationType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One relation of an entity: `<this entity> <kind> <target>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Relation {
    /// The relation type, e.g. `ownedBy`.
    #[serde(rename = "type")]
    pub kind: RelationType,
    /// The entity at the other end.
    #[serde(rename = "targetRef")]
    pub target: EntityRef,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_is_an_involution_and_names_round_trip() {
        for t in RelationType::ALL {
            assert_eq!(t.inverse().inverse(), t);
            assert_ne!(t.inverse(), t);
            assert_eq!(RelationType::from_name(t.as_str()), Some(t));
        }
    }
}
