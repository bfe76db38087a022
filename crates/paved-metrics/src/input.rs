//! What the metrics are computed from: the services of a scope with their
//! repositories' commit graphs, and their deployments, incidents and pull
//! requests — built from the domain's records by [`DatasetBuilder`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use paved_domain::{
    CatalogIndex, Deployment, DeploymentStatus, EntityRef, Identity, Incident, Override, Provisioning, PullRequest,
    RecordedShift, RepoId, uncovered,
};

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
    /// Its `spec.owner`, as written.
    pub owner: Option<EntityRef>,
    /// What the owner is.
    pub ownership: Ownership,
    /// Its owners (DESIGN §6): the members of its owning Group and of the
    /// Groups below it, or the owning User.
    pub owners: BTreeSet<EntityRef>,
    /// How many runbook links it has.
    pub runbooks: usize,
    /// Its on-call Schedule (`paved.dev/oncall`), when it is in the catalog.
    pub schedule: Option<EntityRef>,
}

impl ServiceInput {
    /// Whether `person` owns the service; `None` when nobody is known.
    pub fn owned_by(&self, person: Option<&EntityRef>) -> Option<bool> {
        person.map(|p| self.owners.contains(p))
    }

    /// A service with nothing known but its reference.
    pub fn new(service: EntityRef) -> Self {
        Self {
            service,
            repo: None,
            paths: None,
            owner: None,
            ownership: Ownership::NoOwner,
            owners: BTreeSet::new(),
            runbooks: 0,
            schedule: None,
        }
    }
}

/// Who owns a service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ownership {
    /// A Group with members (or one of its descendants has some), or a User.
    #[default]
    Owned,
    /// It names no owner.
    NoOwner,
    /// Its owner is not in the catalog.
    MissingOwner,
    /// Its owner is a Group without members (none below it either).
    EmptyGroup,
}

/// A person of the catalog, as the diagnostics see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonInput {
    /// Their first team (Group), for evidence.
    pub team: Option<EntityRef>,
    /// Their time zone (`paved.dev/timezone`; UTC when unknown).
    pub timezone: chrono_tz::Tz,
}

/// An on-call shift of a service's Schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftInput {
    /// The service (an index into [`Dataset::services`]).
    pub service: usize,
    /// Who was on call, when a catalog User.
    pub person: Option<EntityRef>,
    /// From.
    pub start: DateTime<Utc>,
    /// Until.
    pub end: DateTime<Utc>,
}

/// Someone paged for an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct PageInput {
    /// The catalog User, when known.
    pub person: Option<EntityRef>,
    /// When.
    pub at: DateTime<Utc>,
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
    /// The catalog User behind it (DESIGN §3's actor rule), when known.
    pub actor: Option<EntityRef>,
    /// Its environment, as recorded (`production`, `staging`).
    pub environment: Box<str>,
    /// How it ended (or where it is).
    pub status: DeploymentStatus,
}

/// A resource made through pavedroad's self-service provisioning, as the
/// metrics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisioningInput {
    /// Its record's key.
    pub key: String,
    /// Its service.
    pub service: usize,
    /// When it was made.
    pub ready_at: DateTime<Utc>,
    /// The catalog User who asked for it, when known.
    pub actor: Option<EntityRef>,
}

/// An incident as the metrics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentInput {
    /// Its key.
    pub key: String,
    /// Its one-line title, as pages name it.
    pub title: Option<String>,
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
    /// Who acknowledged it first, when a catalog User.
    pub acknowledged_by: Option<EntityRef>,
    /// True when someone acknowledged it (known to the catalog or not).
    pub acknowledged: bool,
    /// Who resolved it, when a catalog User.
    pub resolved_by: Option<EntityRef>,
    /// True when the source names who resolved it.
    pub resolver_named: bool,
    /// Everyone paged.
    pub pages: Vec<PageInput>,
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
    pub repos: Vec<std::sync::Arc<CommitGraph>>,
    /// Every deployment of the services (counted or not: all of them, as
    /// rollbacks and change sets depend on history before any window).
    pub deployments: Vec<DeploymentInput>,
    /// Every incident of the services.
    pub incidents: Vec<IncidentInput>,
    /// Merged pull requests of the repositories.
    pub pull_requests: Vec<PullRequestInput>,
    /// Resources the services were given through self-service
    /// provisioning (made ones only), in the order added.
    pub provisionings: Vec<ProvisioningInput>,
    /// Deployments and incidents whose service is not in the catalog.
    pub without_service: usize,
    /// The catalog's people.
    pub people: BTreeMap<EntityRef, PersonInput>,
    /// On-call shifts of the services' Schedules.
    pub shifts: Vec<ShiftInput>,
    /// For each repository, the catalog User behind each author number of
    /// its graph (`None`: not in the catalog), and whether it is automation.
    pub authors: Vec<Vec<(Option<EntityRef>, bool)>>,
    /// The platform ("DevOps") teams (`paved.dev/role: platform`), to name
    /// them in findings.
    pub platform_teams: BTreeSet<EntityRef>,
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
        let mut dataset = Dataset::default();
        for (group, info) in catalog.groups() {
            if info.role.as_deref() == Some("platform") {
                dataset.platform_teams.insert(group.clone());
            }
            for member in &info.members {
                let Some(person) = catalog.person(member) else { continue };
                dataset.people.entry(person.entity_ref.clone()).or_insert_with(|| PersonInput {
                    team: person.groups.iter().next().cloned(),
                    timezone: person.timezone.as_deref().and_then(|tz| tz.parse().ok()).unwrap_or(chrono_tz::Tz::UTC),
                });
            }
        }
        Self { catalog, automation: automation.to_vec(), dataset, services: HashMap::new(), repos: HashMap::new() }
    }

    /// Adds a repository's graph (before the services that live in it);
    /// graphs are shared, so that one kept in memory need not be copied.
    pub fn repository(&mut self, repo: RepoId, graph: impl Into<std::sync::Arc<CommitGraph>>) -> &mut Self {
        let graph = graph.into();
        let authors = graph
            .author_keys()
            .iter()
            .map(|email| {
                let identity = Identity::email(email).ok();
                let person = identity.as_ref().and_then(|id| self.catalog.resolve_person(id, None)).cloned();
                let automation =
                    email.contains("[bot]") || self.automation.iter().any(|bot| bot.eq_ignore_ascii_case(email));
                (person, automation)
            })
            .collect();
        self.repos.insert(repo, self.dataset.repos.len());
        self.dataset.repos.push(graph);
        self.dataset.authors.push(authors);
        self
    }

    /// Adds the shifts of `service`'s Schedule between `since` and `until`
    /// (from the catalog, with `overrides` made at run time for any
    /// Schedule, in the order they were made) and `recorded` ones (from
    /// other tools), for a service added before. Overrides win over the
    /// rotations and the recorded shifts for the hours they cover.
    pub fn shifts(
        &mut self,
        service: &EntityRef,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        recorded: &[RecordedShift],
        overrides: &[(EntityRef, Override)],
    ) -> &mut Self {
        let Some(&index) = self.services.get(&service.key()) else { return self };
        let Some(schedule) = self.catalog.schedule_of(service) else { return self };
        let key = schedule.entity_ref.key();
        let schedule =
            schedule.with_overrides(overrides.iter().filter(|(s, _)| s.key() == key).map(|(_, over)| over.clone()));
        for shift in schedule.shifts(since, until) {
            self.dataset.shifts.push(ShiftInput {
                service: index,
                person: Some(shift.person),
                start: shift.start,
                end: shift.end,
            });
        }
        for shift in recorded.iter().filter(|s| s.schedule.key() == key) {
            let person = self.catalog.resolve_person(&shift.person, None).cloned();
            for (start, end) in uncovered(shift.start.max(since), shift.end.min(until), &schedule.overrides) {
                self.dataset.shifts.push(ShiftInput { service: index, person: person.clone(), start, end });
            }
        }
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
        let owner = info.and_then(|info| info.owner.clone());
        let owners = self.catalog.owners_of(service);
        let ownership = match &owner {
            None => Ownership::NoOwner,
            Some(owner) if owner.is(paved_domain::EntityKind::User) => {
                if self.catalog.person(owner).is_some() {
                    Ownership::Owned
                } else {
                    Ownership::MissingOwner
                }
            }
            Some(owner) if self.catalog.group(owner).is_none() => Ownership::MissingOwner,
            Some(_) if owners.is_empty() => Ownership::EmptyGroup,
            Some(_) => Ownership::Owned,
        };
        self.services.insert(service.key(), self.dataset.services.len());
        self.dataset.services.push(ServiceInput {
            service: service.clone(),
            repo,
            paths,
            owner,
            ownership,
            owners,
            runbooks: info.map_or(0, |info| info.runbooks.len()),
            schedule: self.catalog.schedule_of(service).map(|s| s.entity_ref.clone()),
        });
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
        let actor = human.and_then(|identity| self.catalog.resolve_person(identity, None)).cloned();
        let actor_unresolved = actor.is_none();
        self.dataset.deployments.push(DeploymentInput {
            key: deployment.key.clone(),
            service,
            sha: deployment.sha.clone(),
            counted: deployment.production && deployment.status == DeploymentStatus::Success,
            finished_at: deployment.finished_at,
            hotfix: deployment.hotfix,
            actor_unresolved,
            actor,
            environment: deployment.environment.as_str().into(),
            status: deployment.status,
        });
        self
    }

    /// Adds a self-service provisioning request of a service added before,
    /// if it made its resource (a failed one provisioned nothing).
    pub fn provisioning(&mut self, provisioning: &Provisioning) -> &mut Self {
        let (Some(service), Some(ready_at)) =
            (provisioning.service.as_ref().and_then(|s| self.services.get(&s.key()).copied()), provisioning.ready_at)
        else {
            return self;
        };
        self.dataset.provisionings.push(ProvisioningInput {
            key: provisioning.key.clone(),
            service,
            ready_at,
            actor: provisioning.actor.as_ref().and_then(|actor| self.catalog.resolve_person(actor, None)).cloned(),
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
            title: incident.title.clone(),
            service,
            opened_at: incident.opened_at,
            resolved_at: incident.resolution(),
            caused_by_deployment: incident.caused_by_deployment.clone(),
            root_cause_sha: incident.root_cause_sha.clone(),
            acknowledged_by: incident
                .acknowledged_by
                .as_ref()
                .and_then(|p| self.catalog.resolve_person(p, None))
                .cloned(),
            acknowledged: incident.acknowledged_at.is_some(),
            resolved_by: incident.resolved_by.as_ref().and_then(|p| self.catalog.resolve_person(p, None)).cloned(),
            resolver_named: incident.resolved_by.is_some(),
            pages: incident
                .pages
                .iter()
                .map(|page| PageInput { person: self.catalog.resolve_person(&page.person, None).cloned(), at: page.at })
                .collect(),
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
