//! A catalog entity as the catalog reads it and the store keeps it.

use serde::{Deserialize, Serialize};

use crate::{EntityRef, Relation};

/// Where a descriptor document starts: file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourcePosition {
    /// The descriptor file, as given or found while walking a directory.
    pub file: String,
    /// 1-based line of the document's first key.
    pub line: u32,
    /// 1-based column of the document's first key.
    pub column: u32,
}

impl std::fmt::Display for SourcePosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The `paved.dev/*` annotations (and the Backstage ones pavedroad reads),
/// parsed into typed fields. Unknown annotations stay in
/// [`CatalogEntity::document`] untouched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PavedAnnotations {
    /// The component's repository identity, `host/owner/name`, from
    /// `paved.dev/repo`, `github.com/project-slug` or `gitlab.com/project-slug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Globs inside a monorepo that belong to this component (`paved.dev/paths`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Environment names that are production for this component
    /// (`paved.dev/production-environments`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub production_environments: Vec<String>,
    /// The on-call Schedule of this component (`paved.dev/oncall`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oncall: Option<String>,
    /// The EscalationPolicy of a Component or a Group's services
    /// (`paved.dev/escalation-policy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_policy: Option<String>,
    /// Every address a User commits with (`paved.dev/emails` plus
    /// `spec.profile.email`), lower-cased.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// GitHub login (`github.com/user-login`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_login: Option<String>,
    /// GitLab login (`gitlab.com/user-login`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitlab_login: Option<String>,
    /// IANA time zone of a User (`paved.dev/timezone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Role of a Group (`paved.dev/role`), e.g. `platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Runbooks: `metadata.links` entries with `type: runbook`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runbooks: Vec<String>,
    /// How a User is reached when paged, as `paved.dev/contacts` lists them
    /// (empty without the annotation: [`crate::CatalogIndex::contacts_of`]
    /// then falls back to `spec.profile.email`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<crate::Contact>,
}

/// One entity of the catalog, read from a descriptor and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntity {
    /// `kind:namespace/name`.
    #[serde(rename = "ref")]
    pub entity_ref: EntityRef,
    /// The kind as written (`Component`, `API`, ...).
    pub kind: String,
    /// The `apiVersion` as written.
    pub api_version: String,
    /// `metadata.title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `metadata.description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `spec.type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_type: Option<String>,
    /// `spec.lifecycle`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
    /// `spec.owner`, resolved with Backstage's defaults (kind `group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<EntityRef>,
    /// Where the descriptor document starts.
    pub source: SourcePosition,
    /// The whole document as written (unknown fields and annotations kept).
    pub document: serde_json::Value,
    /// Relations derived from this entity's own spec (`ownedBy` from
    /// `spec.owner`, `parentOf` from `spec.children`, ...). The inverse
    /// relations are derived by whoever holds the whole catalog.
    pub relations: Vec<Relation>,
    /// Typed `paved.dev/*` annotations.
    pub paved: PavedAnnotations,
}

impl CatalogEntity {
    /// The kind as pavedroad reads it: Backstage's kinds whatever their
    /// apiVersion (the catalog checks it), pavedroad's own only under
    /// `paved.dev/` and a Template only under `scaffolder.backstage.io/`.
    /// `None` for a kind of another group, even one named like pavedroad's
    /// (`acme.example/v1` `Module`): the catalog kept it without checking
    /// it as one, so nothing may use it as one.
    pub fn pavedroad_kind(&self) -> Option<crate::EntityKind> {
        use crate::EntityKind;
        let kind = self.entity_ref.entity_kind()?;
        let group = self.api_version.split('/').next().unwrap_or_default();
        let ours = if EntityKind::PAVED.contains(&kind) {
            group == "paved.dev"
        } else if EntityKind::SCAFFOLDER.contains(&kind) {
            group == "scaffolder.backstage.io"
        } else {
            true
        };
        ours.then_some(kind)
    }
}
