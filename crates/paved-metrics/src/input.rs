//! What the metrics are computed from: the services of a scope with their
//! repositories' commit graphs, and their deployments, incidents and pull
//! requests — built from the domain's records by [`DatasetBuilder`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use paved_domain::{CatalogIndex, Deployment, DeploymentStatus, EntityRef, Identity, Incident, PullRequest, RepoId};

use crate::graph::CommitGraph;

/// A service and where its code is.
#[derive(Debug, Clone)]
pub struct ServiceInput {
    /// The Component.
    pub service: EntityRef,
    /// Its repository's graph, when the repository was imported.
    pub repo: Option<usize>,
    /// Its `paved.dev/paths`, when it is part of a monorepo.
    pub paths: Option<globset::GlobSet>,
}

/// A deployment as the metrics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentInput {
    /// Its key (e.g. `api:run-42`).
    pub key: String,
    /// Its service (an index into [`Dataset::services`]).
    pub service: usize,
    /// The deployed commit, full or abbreviated.
    pub sha: Option<String>,
    /// True for a successful production deployment: the only kind the
    /// metrics count.
    pub counted: bool,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Marked as a hotfix.
    pub hotfix: bool,
    /// True when the human behind it is not a catalog User (or unknown).
    pub actor_unresolved: bool,
}

/// An incident as the metrics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentInput {
    /// Its key.
    pub key: String,
    /// Its service.
    pub service: usize,
    /// When it opened.
    pub opened_at: Option<DateTime<Utc>>,
    /// When it was resolved (unless reopened since).
    pub resolved_at: Option<DateTime<Utc>>,
    /// The deployment it names as its cause (a key).
    pub caused_by_deployment: Option<String>,
    /// The commit it names as its root cause.
    pub root_cause_sha: Option<String>,
}

/// A merged pull request as the metrics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct PullRequestInput {
    /// Its key.
    pub key: String,
    /// Its repository's graph.
    pub repo: usize,
    /// When it was opened.
    pub opened_at: Option<DateTime<Utc>>,
    /// The first review or comment by a human other than its author.
    pub first_review_at: Option<DateTime<Utc>>,
    /// When it was merged.
    pub merged_at: DateTime<Utc>,
    /// The commit the merge made.
    pub merge_commit_sha: String,
    /// The tip of its branch, last seen (its commits are those the tip
    /// reaches and the merge's first parent does not).
    pub head_sha: Option<String>,
}

/// Everything one computation reads.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// The services.
    pub services: Vec<ServiceInput>,
    /// The repositories' graphs.
    pub repos: Vec<CommitGraph>,
    /// Every deployment of the services (counted or not: all of them, as
    /// rollbacks and change sets depend on history before any window).
    pub deployments: Vec<DeploymentInput>,
    /// Every incident of the services.
    pub incidents: Vec<IncidentInput>,
    /// Merged pull requests of the repositories.
    pub pull_requests: Vec<PullRequestInput>,
    /// Deployments and incidents whose service is not in the catalog.
    pub without_service: usize,
}

/// Builds a [`Dataset`] from the catalog and stored records.
#[derive(Debug)]
pub struct DatasetBuilder<'c> {
    catalog: &'c CatalogIndex,
    automation: Vec<String>,
    dataset: Dataset,
    services: HashMap<String, usize>,
    repos: HashMap<RepoId, usize>,
}

impl<'c> DatasetBuilder<'c> {
    /// A builder over `catalog`; `automation` names the bots besides
    /// `*[bot]` (pavedroad's `automation` setting).
    pub fn new(catalog: &'c CatalogIndex, automation: &[String]) -> Self {
        Self {
            catalog,
            automation: automation.to_vec(),
            dataset: Dataset::default(),
            services: HashMap::new(),
            repos: HashMap::new(),
        }
    }

    /// Adds a repository's graph (before the services that live in it).
    pub fn repository(&mut self, repo: RepoId, graph: CommitGraph) -> &mut Self {
        self.repos.insert(repo, self.dataset.repos.len());
        self.dataset.repos.push(graph);
        self
    }

    /// Adds a service (a Component of the catalog).
    pub fn service(&mut self, service: &EntityRef) -> &mut Self {
        if self.services.contains_key(&service.key()) {
            return self;
        }
        let info = self.catalog.service(service);
        let repo = info.and_then(|info| info.repo.as_ref()).and_then(|repo| self.repos.get(repo).copied());
        let paths = info.filter(|info| !info.paths.is_empty()).and_then(|info| {
            let mut globs = globset::GlobSetBuilder::new();
            for glob in &info.paths {
                globs.add(globset::Glob::new(glob).ok()?);
            }
            globs.build().ok()
        });
        self.services.insert(service.key(), self.dataset.services.len());
        self.dataset.services.push(ServiceInput { service: service.clone(), repo, paths });
        self
    }

    fn is_automation(&self, identity: &Identity) -> bool {
        identity.looks_automated(&self.automation)
    }

    /// Adds a deployment of a service added before; others are counted in
    /// [`Dataset::without_service`].
    pub fn deployment(&mut self, deployment: &Deployment) -> &mut Self {
        let Some(service) = deployment.service.as_ref().and_then(|s| self.services.get(&s.key()).copied()) else {
            self.dataset.without_service += 1;
            return self;
        };
        let human = deployment.human_actor(|identity| self.is_automation(identity), None);
        let actor_unresolved = human.is_none_or(|identity| self.catalog.resolve_person(identity, None).is_none());
        self.dataset.deployments.push(DeploymentInput {
            key: deployment.key.clone(),
            service,
            sha: deployment.sha.clone(),
            counted: deployment.production && deployment.status == DeploymentStatus::Success,
            finished_at: deployment.finished_at,
            hotfix: deployment.hotfix,
            actor_unresolved,
        });
        self
    }

    /// Adds an incident of a service added before.
    pub fn incident(&mut self, incident: &Incident) -> &mut Self {
        let Some(service) = incident.service.as_ref().and_then(|s| self.services.get(&s.key()).copied()) else {
            self.dataset.without_service += 1;
            return self;
        };
        self.dataset.incidents.push(IncidentInput {
            key: incident.key.clone(),
            service,
            opened_at: incident.opened_at,
            resolved_at: incident.resolution(),
            caused_by_deployment: incident.caused_by_deployment.clone(),
            root_cause_sha: incident.root_cause_sha.clone(),
        });
        self
    }

    /// Adds a pull request of a repository added before, if it was merged.
    pub fn pull_request(&mut self, pull_request: &PullRequest) -> &mut Self {
        let (Some(repo), Some(merged_at), Some(sha)) =
            (self.repos.get(&pull_request.repo).copied(), pull_request.merged_at, &pull_request.merge_commit_sha)
        else {
            return self;
        };
        let author = pull_request.author.as_ref();
        let author_person = author.and_then(|author| self.catalog.resolve_person(author, None));
        let by_author = |reviewer: &Identity| {
            Some(reviewer) == author
                || author_person.is_some_and(|person| self.catalog.resolve_person(reviewer, None) == Some(person))
        };
        let first_review_at = pull_request
            .reviews
            .iter()
            .filter(|review| !by_author(&review.reviewer) && !self.is_automation(&review.reviewer))
            .map(|review| review.at)
            .min();
        self.dataset.pull_requests.push(PullRequestInput {
            key: pull_request.key.clone(),
            repo,
            opened_at: pull_request.opened_at,
            first_review_at,
            merged_at,
            merge_commit_sha: sha.clone(),
            head_sha: pull_request.head_sha.clone(),
        });
        self
    }

    /// The dataset.
    pub fn build(self) -> Dataset {
        self.dataset
    }
}
