//! `GET /api/v1/entities` and `GET /api/v1/entities/{kind}/{namespace}/{name}`.

use axum::Json;
use axum::extract::State;
use paved_domain::{CatalogEntity, EntityRef, PavedAnnotations, Relation, RelationType, SourcePosition};
use paved_store::{EntityFilter, StoredEntity};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::page::{Page, Paging};
use super::views::EntityRefSchema;
use crate::extract::{ApiPath, ApiQuery};
use crate::{ApiError, AppState};

/// Default page size of entity lists.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size of entity lists.
pub const MAX_LIMIT: u32 = 500;

/// Filters and paging of `GET /api/v1/entities`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityQuery {
    /// Kind, case-insensitive: `component`, `api`, `resource`, `system`,
    /// `domain`, `group`, `user`, `location`, or another kind.
    pub kind: Option<String>,
    /// Owner reference, e.g. `checkout` or `group:default/checkout` (kind
    /// defaults to `group`, namespace to `default`).
    pub owner: Option<String>,
    /// Namespace, case-insensitive.
    pub namespace: Option<String>,
    /// Text to find (case-insensitive) in the name, title or description.
    pub q: Option<String>,
    /// Include entities that disappeared from their source (default false).
    pub orphans: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// Entities to skip (default 0).
    pub offset: Option<u64>,
}

/// Where a descriptor document starts: file, 1-based line and column.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SourcePosition)]
pub struct SourcePositionView {
    /// The descriptor file, as given or found while walking a directory.
    pub file: String,
    /// 1-based line of the document's first key.
    pub line: u32,
    /// 1-based column of the document's first key.
    pub column: u32,
}

impl From<&SourcePosition> for SourcePositionView {
    fn from(source: &SourcePosition) -> Self {
        Self { file: source.file.clone(), line: source.line, column: source.column }
    }
}

/// The `paved.dev/*` annotations (and the Backstage ones pavedroad reads),
/// parsed into typed fields. Unknown annotations stay in
/// [`CatalogEntity::document`] untouched.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PavedAnnotations)]
pub struct PavedAnnotationsView {
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
    /// The EscalationPolicy (`paved.dev/escalation-policy`).
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
}

impl From<&PavedAnnotations> for PavedAnnotationsView {
    fn from(paved: &PavedAnnotations) -> Self {
        let PavedAnnotations {
            repo,
            paths,
            production_environments,
            oncall,
            escalation_policy,
            emails,
            github_login,
            gitlab_login,
            timezone,
            role,
            runbooks,
            // The contact methods are not shown here: a webhook's URL holds
            // its secret, and the on-call views show them redacted.
            contacts: _,
        } = paved.clone();
        Self {
            repo,
            paths,
            production_environments,
            oncall,
            escalation_policy,
            emails,
            github_login,
            gitlab_login,
            timezone,
            role,
            runbooks,
        }
    }
}

/// The type of a relation, named as in Backstage (`ownedBy`, `hasPart`, ...).
/// Every relation is stored in both directions: `A ownedBy B` comes with
/// `B ownerOf A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = RelationType)]
pub enum RelationTypeView {
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

impl From<RelationType> for RelationTypeView {
    fn from(kind: RelationType) -> Self {
        match kind {
            RelationType::OwnedBy => Self::OwnedBy,
            RelationType::OwnerOf => Self::OwnerOf,
            RelationType::MemberOf => Self::MemberOf,
            RelationType::HasMember => Self::HasMember,
            RelationType::PartOf => Self::PartOf,
            RelationType::HasPart => Self::HasPart,
            RelationType::ParentOf => Self::ParentOf,
            RelationType::ChildOf => Self::ChildOf,
            RelationType::DependsOn => Self::DependsOn,
            RelationType::DependencyOf => Self::DependencyOf,
            RelationType::ProvidesApi => Self::ProvidesApi,
            RelationType::ApiProvidedBy => Self::ApiProvidedBy,
            RelationType::ConsumesApi => Self::ConsumesApi,
            RelationType::ApiConsumedBy => Self::ApiConsumedBy,
        }
    }
}

/// One relation of an entity: `<this entity> <kind> <target>`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Relation)]
pub struct RelationView {
    /// The relation type, e.g. `ownedBy`.
    #[serde(rename = "type")]
    pub kind: RelationTypeView,
    /// The entity at the other end.
    #[serde(rename = "targetRef")]
    #[schema(value_type = EntityRefSchema)]
    pub target: EntityRef,
}

impl From<Relation> for RelationView {
    fn from(relation: Relation) -> Self {
        Self { kind: relation.kind.into(), target: relation.target }
    }
}

/// An entity in a list: what it is, who owns it, where it comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntitySummary {
    /// `kind:namespace/name`.
    #[serde(rename = "ref")]
    #[schema(value_type = EntityRefSchema)]
    pub entity_ref: EntityRef,
    /// The kind as written (`Component`, `API`, ...).
    pub kind: String,
    /// The namespace.
    pub namespace: String,
    /// The name.
    pub name: String,
    /// `metadata.title`.
    pub title: Option<String>,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `spec.type`.
    #[serde(rename = "type")]
    pub spec_type: Option<String>,
    /// `spec.lifecycle`.
    pub lifecycle: Option<String>,
    /// `spec.owner` as a full reference.
    #[schema(value_type = Option<EntityRefSchema>)]
    pub owner: Option<EntityRef>,
    /// True when the entity disappeared from its source.
    pub orphan: bool,
    /// The location it was imported from (a path relative to the catalog's
    /// directory, never the server's absolute path).
    pub location: String,
    /// The descriptor file, line and column.
    pub source: SourcePositionView,
    /// Typed `paved.dev/*` annotations.
    pub paved: PavedAnnotationsView,
}

/// An entity with its relations both ways and its descriptor as written.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityDetail {
    /// What it is.
    #[serde(flatten)]
    pub summary: EntitySummary,
    /// Relations both ways (`ownedBy` and `ownerOf`, `memberOf` and
    /// `hasMember`, ...), including ones to entities not in the catalog.
    pub relations: Vec<RelationView>,
    /// The descriptor document as written, unknown fields included.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

impl From<&StoredEntity> for EntitySummary {
    fn from(stored: &StoredEntity) -> Self {
        let entity: &CatalogEntity = &stored.entity;
        let (location, file) = super::backstage::shown_paths(&stored.location, &entity.source.file);
        Self {
            entity_ref: entity.entity_ref.clone(),
            kind: entity.kind.clone(),
            namespace: entity.entity_ref.namespace().to_owned(),
            name: entity.entity_ref.name().to_owned(),
            title: entity.title.clone(),
            description: entity.description.clone(),
            spec_type: entity.spec_type.clone(),
            lifecycle: entity.lifecycle.clone(),
            owner: entity.owner.clone(),
            orphan: stored.orphan,
            location,
            source: SourcePositionView { file, ..SourcePositionView::from(&entity.source) },
            paved: PavedAnnotationsView::from(&entity.paved),
        }
    }
}

impl From<StoredEntity> for EntityDetail {
    fn from(stored: StoredEntity) -> Self {
        Self {
            summary: EntitySummary::from(&stored),
            relations: stored.all_relations.into_iter().map(RelationView::from).collect(),
            document: stored.entity.document,
        }
    }
}

/// Lists catalog entities, filtered and paged.
#[utoipa::path(
    get,
    path = "/api/v1/entities",
    tag = "catalog",
    params(EntityQuery),
    responses(
        (status = 200, body = Page<EntitySummary>, description = "The entities of the page, ordered by kind, namespace and name"),
        (status = 400, body = crate::error::ErrorBody, description = "A filter or paging parameter is invalid"),
    )
)]
pub async fn list_entities(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EntityQuery>,
) -> Result<Json<Page<EntitySummary>>, ApiError> {
    let paging = Paging::within(query.limit, query.offset, DEFAULT_LIMIT, MAX_LIMIT)?;
    let owner = match query.owner.as_deref() {
        Some(owner) => Some(
            EntityRef::parse(owner, Some("group"), paved_domain::DEFAULT_NAMESPACE)
                .map_err(|error| ApiError::bad_request(format!("owner: {error}")))?,
        ),
        None => None,
    };
    let filter = EntityFilter {
        kind: query.kind.filter(|k| !k.is_empty()),
        owner,
        namespace: query.namespace.filter(|n| !n.is_empty()),
        text: query.q.filter(|q| !q.is_empty()),
        include_orphans: query.orphans.unwrap_or(false),
        limit: paging.limit,
        offset: paging.offset,
    };
    let page = state.store.list_entities(&filter).await?;
    Ok(Json(Page::new(page.items.iter().map(EntitySummary::from).collect(), page.total, paging)))
}

/// One entity with its relations both ways.
#[utoipa::path(
    get,
    path = "/api/v1/entities/{kind}/{namespace}/{name}",
    tag = "catalog",
    params(
        ("kind" = String, Path, description = "Kind, case-insensitive, e.g. `component`"),
        ("namespace" = String, Path, description = "Namespace, e.g. `default`"),
        ("name" = String, Path, description = "Name"),
    ),
    responses(
        (status = 200, body = EntityDetail, description = "The entity, its relations both ways and its descriptor"),
        (status = 404, body = crate::error::ErrorBody, description = "No such entity"),
    )
)]
pub async fn get_entity(
    State(state): State<AppState>,
    ApiPath((kind, namespace, name)): ApiPath<(String, String, String)>,
) -> Result<Json<EntityDetail>, ApiError> {
    let entity_ref =
        EntityRef::new(&kind, &namespace, &name).map_err(|error| ApiError::bad_request(error.to_string()))?;
    match state.store.entity(&entity_ref).await? {
        Some(stored) => Ok(Json(EntityDetail::from(stored))),
        None => Err(ApiError::not_found(format!(
            "no entity {entity_ref} in the catalog; list what there is with GET /api/v1/entities?kind={}",
            entity_ref.kind()
        ))),
    }
}
