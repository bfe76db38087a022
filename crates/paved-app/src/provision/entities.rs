//! Provisioned resources as catalog entities: each live resource is a
//! Backstage `Resource` (`spec.type` from its Module, `spec.owner` its
//! team, `dependencyOf` its service, annotations naming the Module and who
//! asked), kept in the catalog store under the location
//! [`LOCATION`], so that the entity API, the pages and Backstage clients
//! see them beside the entities imported from descriptors.

use paved_domain::{CatalogEntity, CatalogIndex, Relation, RelationType, SourcePosition};
use paved_store::{CatalogImport, OrphanPolicy, StoredResource};
use serde_json::json;

use crate::{App, AppError};

/// The catalog location of provisioned resources.
pub const LOCATION: &str = "paved:resources";

/// The Resource entity of `resource`.
fn entity(catalog: &CatalogIndex, resource: &StoredResource) -> CatalogEntity {
    let spec_type = catalog
        .module(&resource.module)
        .map_or_else(|| resource.module.name().to_owned(), |module| module.resource_type.clone());
    let document = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Resource",
        "metadata": {
            "name": resource.entity_ref.name(),
            "namespace": resource.entity_ref.namespace(),
            "description": format!("{} of {}, provisioned by paved provision", resource.module.name(), resource.service.name()),
            "annotations": {
                "paved.dev/module": resource.module.to_string(),
                "paved.dev/requested-by": resource.requested_by,
                "paved.dev/provisioned-at": resource.created_at.to_rfc3339(),
            },
        },
        "spec": {
            "type": spec_type,
            "owner": resource.team.to_string(),
            "dependencyOf": [resource.service.to_string()],
        },
    });
    CatalogEntity {
        entity_ref: resource.entity_ref.clone(),
        kind: "Resource".to_owned(),
        api_version: "backstage.io/v1alpha1".to_owned(),
        title: None,
        description: document["metadata"]["description"].as_str().map(str::to_owned),
        spec_type: Some(spec_type),
        lifecycle: None,
        owner: Some(resource.team.clone()),
        source: SourcePosition { file: LOCATION.to_owned(), line: 1, column: 1 },
        document,
        relations: vec![
            Relation { kind: RelationType::OwnedBy, target: resource.team.clone() },
            Relation { kind: RelationType::DependencyOf, target: resource.service.clone() },
        ],
        paved: Default::default(),
    }
}

impl App {
    /// Writes the live resources to the catalog store as Resource entities
    /// (removed ones are pruned), after a request, a removal or a resume.
    ///
    /// # Errors
    /// A store failure.
    pub async fn sync_resource_entities(&self) -> Result<(), AppError> {
        let catalog = self.catalog.current().await?;
        let live: Vec<CatalogEntity> = self
            .store
            .resources(None, None)
            .await?
            .iter()
            .filter(|r| r.state == paved_store::ResourceState::Ready)
            .map(|r| entity(&catalog, r))
            .collect();
        self.store
            .import_catalog(CatalogImport { location: LOCATION, entities: &live, orphans: OrphanPolicy::Prune })
            .await?;
        Ok(())
    }
}
