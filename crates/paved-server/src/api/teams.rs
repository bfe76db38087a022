//! `GET /api/v1/teams/{name}`: a team with its members and what it owns.

use axum::Json;
use axum::extract::State;
use paved_domain::{EntityRef, RelationType};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::entities::EntitySummary;
use super::views::EntityRefSchema;
use crate::extract::{ApiPath, ApiQuery};
use crate::{ApiError, AppState};

/// Which namespace to look the team up in.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    /// Namespace of the Group (default `default`).
    pub namespace: Option<String>,
}

/// A team (a catalog Group) with its people and what it owns.
#[derive(Debug, Serialize, ToSchema)]
pub struct Team {
    /// The Group entity.
    pub team: EntitySummary,
    /// The parent Group, if any.
    #[schema(value_type = Option<EntityRefSchema>)]
    pub parent: Option<EntityRef>,
    /// Child Groups.
    #[schema(value_type = Vec<EntityRefSchema>)]
    pub children: Vec<EntityRef>,
    /// Users who are members (directly), as stored in the catalog.
    pub members: Vec<EntitySummary>,
    /// Member references that are not in the catalog (or only as orphans).
    #[schema(value_type = Vec<EntityRefSchema>)]
    pub unknown_members: Vec<EntityRef>,
    /// Entities the team owns (components, APIs, resources, systems, ...);
    /// orphans are left out.
    pub owned: Vec<EntitySummary>,
}

/// A team with its members and owned entities.
#[utoipa::path(
    get,
    path = "/api/v1/teams/{name}",
    tag = "catalog",
    params(("name" = String, Path, description = "Group name, e.g. `checkout`"), TeamQuery),
    responses(
        (status = 200, body = Team, description = "The team, its people, services and sub-teams"),
        (status = 404, body = crate::error::ErrorBody, description = "No such Group"),
    )
)]
pub async fn get_team(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<TeamQuery>,
) -> Result<Json<Team>, ApiError> {
    let namespace = query.namespace.unwrap_or_else(|| paved_domain::DEFAULT_NAMESPACE.to_owned());
    let group_ref =
        EntityRef::new("group", &namespace, &name).map_err(|error| ApiError::bad_request(error.to_string()))?;
    let Some(group) = state.store.entity(&group_ref).await? else {
        return Err(ApiError::not_found(format!(
            "no team {group_ref} in the catalog; list teams with GET /api/v1/entities?kind=group"
        )));
    };
    let targets = |kind: RelationType| -> Vec<EntityRef> {
        group.all_relations.iter().filter(|r| r.kind == kind).map(|r| r.target.clone()).collect()
    };
    let member_refs = targets(RelationType::HasMember);
    let owned_refs = targets(RelationType::OwnerOf);
    // Orphans no longer exist in any source: a team does not own them any more.
    let members: Vec<_> = state.store.entities(&member_refs).await?.into_iter().filter(|e| !e.orphan).collect();
    let owned: Vec<_> = state.store.entities(&owned_refs).await?.into_iter().filter(|e| !e.orphan).collect();
    let unknown_members =
        member_refs.iter().filter(|r| !members.iter().any(|m| m.entity.entity_ref.key() == r.key())).cloned().collect();
    Ok(Json(Team {
        parent: targets(RelationType::ChildOf).into_iter().next(),
        children: targets(RelationType::ParentOf),
        members: members.iter().map(EntitySummary::from).collect(),
        unknown_members,
        owned: owned.iter().map(EntitySummary::from).collect(),
        team: EntitySummary::from(&group),
    }))
}
