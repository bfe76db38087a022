//! `GET /api/v1/entities` and `GET /api/v1/entities/{kind}/{namespace}/{name}`.

use axum::Json;
use axum::extract::State;
use paved_domain::{EntityRef, PavedAnnotations, Relation, SourcePosition};
use paved_store::{EntityFilter, StoredEntity};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

/// An entity in a list: what it is, who owns it, where it comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntitySummary {
    /// `kind:namespace/name`.
    #[serde(rename = "ref")]
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
    pub owner: Option<EntityRef>,
    /// True when the entity disappeared from its source.
    pub orphan: bool,
    /// The location it was imported from.
    pub location: String,
    /// The descriptor file, line and column.
    pub source: SourcePosition,
    /// Typed `paved.dev/*` annotations.
    pub paved: PavedAnnotations,
}

/// An entity with its relations both ways and its descriptor as written.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityDetail {
    /// What it is.
    #[serde(flatten)]
    pub summary: EntitySummary,
    /// Relations both ways (`ownedBy` and `ownerOf`, `memberOf` and
    /// `hasMember`, ...), including ones to entities not in the catalog.
    pub relations: Vec<Relation>,
    /// The descriptor document as written, unknown fields included.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// One page of entities.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityList {
    /// The entities of this page, ordered by kind, namespace, name.
    pub items: Vec<EntitySummary>,
    /// How many entities match in all.
    pub total: u64,
    /// The page size used.
    pub limit: u32,
    /// The offset used.
    pub offset: u64,
    /// The offset of the next page, absent on the last page.
    pub next_offset: Option<u64>,
}

impl From<&StoredEntity> for EntitySummary {
    fn from(stored: &StoredEntity) -> Self {
        let entity = &stored.entity;
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
            location: stored.location.clone(),
            source: entity.source.clone(),
            paved: entity.paved.clone(),
        }
    }
}

impl From<StoredEntity> for EntityDetail {
    fn from(stored: StoredEntity) -> Self {
        Self {
            summary: EntitySummary::from(&stored),
            relations: stored.all_relations,
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
        (status = 200, body = EntityList),
        (status = 400, body = crate::error::ErrorBody, description = "A filter or paging parameter is invalid"),
    )
)]
pub async fn list_entities(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EntityQuery>,
) -> Result<Json<EntityList>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {MAX_LIMIT}, not {limit}")));
    }
    let owner = match query.owner.as_deref() {
        Some(owner) => Some(
            EntityRef::parse(owner, Some("group"), paved_domain::DEFAULT_NAMESPACE)
                .map_err(|error| ApiError::bad_request(format!("owner: {error}")))?,
        ),
        None => None,
    };
    let offset = query.offset.unwrap_or(0);
    let filter = EntityFilter {
        kind: query.kind.filter(|k| !k.is_empty()),
        owner,
        namespace: query.namespace.filter(|n| !n.is_empty()),
        text: query.q.filter(|q| !q.is_empty()),
        include_orphans: query.orphans.unwrap_or(false),
        limit,
        offset,
    };
    let page = state.store.list_entities(&filter).await?;
    let shown = offset + page.items.len() as u64;
    Ok(Json(EntityList {
        items: page.items.iter().map(EntitySummary::from).collect(),
        total: page.total,
        limit,
        offset,
        next_offset: (shown < page.total).then_some(shown),
    }))
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
        (status = 200, body = EntityDetail),
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
