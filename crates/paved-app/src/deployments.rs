//! Deployments as people read them: each with the human who caused it
//! (DESIGN §3) and the catalog User that human is. The API's lists, its
//! single deployment and the web pages all resolve actors here, so they
//! agree.

use std::collections::HashMap;

use paved_domain::{CatalogIndex, Deployment, EntityRef, Identity, Record, RecordKind, RepoId};
use paved_store::RecordFilter;

use crate::{App, AppError};

/// A deployment with the human behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActedDeployment {
    /// The deployment as recorded.
    pub deployment: Deployment,
    /// The human who caused it: the explicit actor, else the creator, else
    /// the workflow's triggering actor, else who merged the pull request of
    /// the deployed commit — automation passed over.
    pub human_actor: Option<Identity>,
    /// The catalog User that human is, when known.
    pub person: Option<EntityRef>,
}

impl App {
    /// `deployments` with their human actors resolved against `catalog`,
    /// in the same order; who merged the deployed commits is read in one
    /// query for all of them, and only for those with no other human.
    ///
    /// # Errors
    /// [`AppError::Store`] when the pull requests cannot be read.
    pub async fn with_actors(
        &self,
        catalog: &CatalogIndex,
        deployments: Vec<Deployment>,
    ) -> Result<Vec<ActedDeployment>, AppError> {
        let mergers = self.mergers(&deployments).await?;
        let is_automation = |identity: &Identity| identity.looks_automated(&self.ingest.automation);
        Ok(deployments
            .into_iter()
            .map(|deployment| {
                let merger = match (&deployment.repo, &deployment.sha) {
                    (Some(repo), Some(sha)) => mergers.get(&(repo.clone(), sha.to_ascii_lowercase())),
                    _ => None,
                };
                let human_actor = deployment.human_actor(is_automation, merger).cloned();
                let person = human_actor.as_ref().and_then(|identity| catalog.resolve_person(identity, None).cloned());
                ActedDeployment { deployment, human_actor, person }
            })
            .collect())
    }

    /// Who merged the pull requests whose merge commits `deployments`
    /// deployed, by repository and commit (lower-case).
    async fn mergers(&self, deployments: &[Deployment]) -> Result<HashMap<(RepoId, String), Identity>, AppError> {
        let is_automation = |identity: &Identity| identity.looks_automated(&self.ingest.automation);
        let wanted: Vec<(&RepoId, &String)> = deployments
            .iter()
            .filter(|deployment| deployment.human_actor(is_automation, None).is_none())
            .filter_map(|deployment| Some((deployment.repo.as_ref()?, deployment.sha.as_ref()?)))
            .collect();
        let mut found = HashMap::new();
        if wanted.is_empty() {
            return Ok(found);
        }
        let mut filter = RecordFilter::new(RecordKind::PullRequest);
        filter.shas = wanted.iter().map(|(_, sha)| (*sha).clone()).collect();
        filter.shas.sort();
        filter.shas.dedup();
        for record in self.store.all_records(&filter).await? {
            if let Record::PullRequest(pr) = record
                && let (Some(sha), Some(merged_by)) = (pr.merge_commit_sha.as_ref(), pr.merged_by.clone())
                && wanted.iter().any(|(repo, wanted)| **repo == pr.repo && wanted.eq_ignore_ascii_case(sha))
            {
                found.entry((pr.repo, sha.to_ascii_lowercase())).or_insert(merged_by);
            }
        }
        Ok(found)
    }
}
