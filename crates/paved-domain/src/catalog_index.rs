//! The catalog, indexed for the questions ingestion and metrics ask of it:
//! which service is this repository or name, who is this login or e-mail,
//! who owns this service, is this environment production.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::{
    CatalogEntity, Contact, EmailAddress, EntityKind, EntityRef, Identity, IdentityKind, RelationType, RepoId,
};

/// The environment names that are production when a service does not list
/// its own (`paved.dev/production-environments`) and the source does not
/// say (DESIGN §5 "Production deployment").
pub const DEFAULT_PRODUCTION_ENVIRONMENTS: [&str; 4] = ["production", "prod", "prd", "live"];

/// The annotation that names a User's PagerDuty user id.
pub const PAGERDUTY_USER_ANNOTATION: &str = "pagerduty.com/user-id";

/// How a service was found for a name or a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceMatch {
    /// Exactly one Component.
    One(EntityRef),
    /// No Component has this name or repository.
    None,
    /// Several Components share the repository (a monorepo); the source must
    /// name the service.
    Several(Vec<EntityRef>),
}

/// A component as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The Component.
    pub entity_ref: EntityRef,
    /// Its owner (a Group or a User), as written in `spec.owner`.
    pub owner: Option<EntityRef>,
    /// Its repository.
    pub repo: Option<RepoId>,
    /// Its `paved.dev/paths` globs inside a monorepo.
    pub paths: Vec<String>,
    /// Its own production environment names, lower-cased (empty: defaults).
    pub production_environments: Vec<String>,
    /// `spec.lifecycle`.
    pub lifecycle: Option<String>,
    /// `spec.type` (`service`, `website`, `library`).
    pub spec_type: Option<String>,
    /// `metadata.tags`.
    pub tags: Vec<String>,
    /// `spec.system`, as a reference.
    pub system: Option<EntityRef>,
    /// Its runbook links.
    pub runbooks: Vec<String>,
    /// Its on-call Schedule (`paved.dev/oncall`).
    pub oncall: Option<String>,
    /// Its annotations with text values, as written.
    pub annotations: BTreeMap<String, String>,
}

/// A User as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonInfo {
    /// The User.
    pub entity_ref: EntityRef,
    /// `spec.profile.displayName`, or the name.
    pub display_name: String,
    /// Its IANA time zone.
    pub timezone: Option<String>,
    /// The Groups it is a member of (either side of the relation).
    pub groups: BTreeSet<EntityRef>,
    /// How it is reached when paged: `paved.dev/contacts`, else its
    /// `spec.profile.email`, else nothing.
    pub contacts: Vec<Contact>,
}

/// A Group as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupInfo {
    /// Its parent Group.
    pub parent: Option<EntityRef>,
    /// Its child Groups.
    pub children: BTreeSet<EntityRef>,
    /// Its direct members (Users).
    pub members: BTreeSet<EntityRef>,
    /// `paved.dev/role`.
    pub role: Option<String>,
    /// `spec.type` (`team`, `organization`, `business-unit`, ...).
    pub group_type: Option<String>,
    /// The EscalationPolicy of its services (`paved.dev/escalation-policy`).
    pub escalation_policy: Option<EntityRef>,
}

impl GroupInfo {
    /// Whether it is a team: people who build and run services, not the
    /// whole organisation (`spec.type: organization`, Backstage's root
    /// Group) nor a Group that only gathers others (no members of its own,
    /// owning nothing itself).
    pub fn is_team(&self, owns_directly: bool) -> bool {
        let organisation = self.group_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("organization"));
        !organisation && (!self.members.is_empty() || owns_directly)
    }
}

/// The catalog, indexed. Built from every stored entity; cheap to query.
#[derive(Debug, Clone, Default)]
pub struct CatalogIndex {
    services: HashMap<String, ServiceInfo>,
    services_by_name: HashMap<String, Vec<EntityRef>>,
    services_by_repo: HashMap<RepoId, Vec<EntityRef>>,
    people: HashMap<String, PersonInfo>,
    people_by: HashMap<(IdentityKind, String), EntityRef>,
    people_by_name: HashMap<String, EntityRef>,
    groups: HashMap<String, (EntityRef, GroupInfo)>,
    /// The compiled `paved.dev/paths` of each Component that has them.
    path_globs: HashMap<String, globset::GlobSet>,
    /// The Schedules that parse.
    schedules: HashMap<String, crate::Schedule>,
    /// The DeployTargets that parse, by their Component's key and
    /// environment (lower-case).
    deploy_targets: HashMap<(String, String), crate::DeployTarget>,
    /// The EscalationPolicies that parse.
    escalation_policies: HashMap<String, crate::EscalationPolicy>,
    /// The Heartbeats that parse.
    heartbeats: HashMap<String, crate::Heartbeat>,
    /// The Modules that parse.
    modules: HashMap<String, crate::Module>,
    scorecards: HashMap<String, crate::Scorecard>,
    templates: HashMap<String, crate::Template>,
}

fn annotation<'a>(entity: &'a CatalogEntity, name: &str) -> Option<&'a str> {
    entity.document.get("metadata")?.get("annotations")?.get(name)?.as_str()
}

fn profile_email(entity: &CatalogEntity) -> Option<EmailAddress> {
    let email = entity.document.get("spec")?.get("profile")?.get("email")?.as_str()?;
    EmailAddress::parse(email).ok()
}

fn spec_str<'a>(entity: &'a CatalogEntity, field: &str) -> Option<&'a str> {
    entity.document.get("spec")?.get(field)?.as_str()
}

impl CatalogIndex {
    /// Indexes `entities` (orphans should be left out by the caller).
    pub fn new<'a>(entities: impl IntoIterator<Item = &'a CatalogEntity>) -> Self {
        let mut index = Self::default();
        let mut memberships: Vec<(EntityRef, EntityRef)> = Vec::new();
        let mut parents: Vec<(EntityRef, EntityRef)> = Vec::new();
        for entity in entities {
            let entity_ref = entity.entity_ref.clone();
            match entity.pavedroad_kind() {
                Some(EntityKind::Component) => index.add_service(entity),
                Some(EntityKind::User) => index.add_person(entity),
                Some(EntityKind::Schedule) => {
                    // The catalog refuses a Schedule that does not parse.
                    if let Ok(schedule) = crate::Schedule::parse(entity) {
                        index.schedules.insert(entity_ref.key(), schedule);
                    }
                }
                Some(EntityKind::EscalationPolicy) => {
                    // The catalog refuses a policy that does not parse.
                    if let Ok(policy) = crate::EscalationPolicy::parse(entity) {
                        index.escalation_policies.insert(entity_ref.key(), policy);
                    }
                }
                Some(EntityKind::Module) => {
                    // The catalog refuses a Module that does not parse.
                    if let Ok(module) = crate::Module::parse(entity) {
                        index.modules.insert(entity_ref.key(), module);
                    }
                }
                Some(EntityKind::Scorecard) => {
                    // The catalog refuses a Scorecard that does not parse.
                    if let Ok(scorecard) = crate::Scorecard::parse(entity) {
                        index.scorecards.insert(entity_ref.key(), scorecard);
                    }
                }
                Some(EntityKind::Template) => {
                    // The catalog refuses a Template that does not parse.
                    if let Ok(template) = crate::Template::parse(entity) {
                        index.templates.insert(entity_ref.key(), template);
                    }
                }
                Some(EntityKind::Heartbeat) => {
                    // The catalog refuses a Heartbeat that does not parse.
                    if let Ok(heartbeat) = crate::Heartbeat::parse(entity) {
                        index.heartbeats.insert(entity_ref.key(), heartbeat);
                    }
                }
                Some(EntityKind::DeployTarget) => {
                    // The catalog refuses a DeployTarget that does not parse.
                    if let Ok(target) = crate::DeployTarget::parse(entity) {
                        let key = (target.component.key(), target.environment.to_lowercase());
                        index.deploy_targets.insert(key, target);
                    }
                }
                Some(EntityKind::Group) => {
                    let info = GroupInfo {
                        role: entity.paved.role.clone(),
                        group_type: entity.spec_type.clone(),
                        escalation_policy: entity.paved.escalation_policy.as_deref().and_then(|name| {
                            EntityRef::parse(name, Some("escalationpolicy"), entity_ref.namespace()).ok()
                        }),
                        ..GroupInfo::default()
                    };
                    index.groups.insert(entity_ref.key(), (entity_ref.clone(), info));
                }
                _ => {}
            }
            for relation in &entity.relations {
                match relation.kind {
                    RelationType::MemberOf => memberships.push((entity_ref.clone(), relation.target.clone())),
                    RelationType::HasMember => memberships.push((relation.target.clone(), entity_ref.clone())),
                    RelationType::ChildOf => parents.push((entity_ref.clone(), relation.target.clone())),
                    RelationType::ParentOf => parents.push((relation.target.clone(), entity_ref.clone())),
                    _ => {}
                }
            }
        }
        for (member, group) in memberships {
            if !member.is(EntityKind::User) {
                continue;
            }
            if let Some((_, info)) = index.groups.get_mut(&group.key()) {
                info.members.insert(member.clone());
            }
            if let Some(person) = index.people.get_mut(&member.key()) {
                person.groups.insert(group);
            }
        }
        for (child, parent) in parents {
            if let Some((_, info)) = index.groups.get_mut(&child.key()) {
                info.parent = Some(parent.clone());
            }
            if let Some((_, info)) = index.groups.get_mut(&parent.key()) {
                info.children.insert(child);
            }
        }
        for refs in index.services_by_name.values_mut().chain(index.services_by_repo.values_mut()) {
            refs.sort();
            refs.dedup();
        }
        index
    }

    fn add_service(&mut self, entity: &CatalogEntity) {
        let entity_ref = entity.entity_ref.clone();
        let repo = entity.paved.repo.as_deref().and_then(|repo| RepoId::parse_url(repo).ok());
        if let Some(repo) = &repo {
            self.services_by_repo.entry(repo.clone()).or_default().push(entity_ref.clone());
        }
        if !entity.paved.paths.is_empty() {
            let mut globs = globset::GlobSetBuilder::new();
            // The catalog checked every glob; one that does not compile
            // matches nothing rather than everything.
            for glob in &entity.paved.paths {
                if let Ok(glob) = globset::Glob::new(glob) {
                    globs.add(glob);
                }
            }
            if let Ok(globs) = globs.build() {
                self.path_globs.insert(entity_ref.key(), globs);
            }
        }
        self.services_by_name.entry(entity_ref.name().to_lowercase()).or_default().push(entity_ref.clone());
        let system =
            spec_str(entity, "system").and_then(|s| EntityRef::parse(s, Some("system"), entity_ref.namespace()).ok());
        self.services.insert(
            entity_ref.key(),
            ServiceInfo {
                owner: entity.owner.clone(),
                repo,
                paths: entity.paved.paths.clone(),
                production_environments: entity
                    .paved
                    .production_environments
                    .iter()
                    .map(|name| name.to_lowercase())
                    .collect(),
                lifecycle: entity.lifecycle.clone(),
                spec_type: entity.spec_type.clone(),
                tags: entity
                    .document
                    .pointer("/metadata/tags")
                    .and_then(serde_json::Value::as_array)
                    .map(|tags| tags.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
                system,
                runbooks: entity.paved.runbooks.clone(),
                oncall: entity.paved.oncall.clone(),
                annotations: entity
                    .document
                    .get("metadata")
                    .and_then(|metadata| metadata.get("annotations"))
                    .and_then(|annotations| annotations.as_object())
                    .map(|annotations| {
                        annotations
                            .iter()
                            .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
                            .collect()
                    })
                    .unwrap_or_default(),
                entity_ref,
            },
        );
    }

    fn add_person(&mut self, entity: &CatalogEntity) {
        let entity_ref = entity.entity_ref.clone();
        let display_name = entity
            .document
            .get("spec")
            .and_then(|spec| spec.get("profile"))
            .and_then(|profile| profile.get("displayName"))
            .and_then(|name| name.as_str())
            .unwrap_or(entity_ref.name())
            .to_owned();
        let mut add = |kind: IdentityKind, value: &str| {
            if let Ok(identity) = Identity::new(kind, value) {
                self.people_by.entry((kind, identity.value().to_owned())).or_insert_with(|| entity_ref.clone());
            }
        };
        for email in &entity.paved.emails {
            add(IdentityKind::Email, email);
        }
        if let Some(login) = &entity.paved.github_login {
            add(IdentityKind::GitHub, login);
        }
        if let Some(login) = &entity.paved.gitlab_login {
            add(IdentityKind::GitLab, login);
        }
        if let Some(id) = annotation(entity, PAGERDUTY_USER_ANNOTATION) {
            add(IdentityKind::PagerDuty, id);
        }
        add(IdentityKind::User, &format!("{}/{}", entity_ref.namespace(), entity_ref.name()));
        self.people_by_name.entry(display_name.to_lowercase()).or_insert_with(|| entity_ref.clone());
        let contacts = if entity.paved.contacts.is_empty() {
            // The catalog warns about a profile address that is not one.
            profile_email(entity).into_iter().map(Contact::Email).collect()
        } else {
            entity.paved.contacts.clone()
        };
        self.people.insert(
            entity_ref.key(),
            PersonInfo {
                entity_ref: entity_ref.clone(),
                display_name,
                timezone: entity.paved.timezone.clone(),
                groups: BTreeSet::new(),
                contacts,
            },
        );
    }

    /// The User whose own annotation or e-mail names `identity` exactly
    /// (`github.com/user-login`, `gitlab.com/user-login`, `spec.profile.email`),
    /// without [`Self::resolve_person`]'s fallback to a User named like
    /// the login: for deciding who acts, not for attributing data.
    pub fn person_named_by(&self, identity: &Identity) -> Option<&EntityRef> {
        self.people_by.get(&(identity.kind(), identity.value().to_owned()))
    }

    /// The catalog User behind `identity`, or `None`.
    ///
    /// E-mails match `paved.dev/emails` and `spec.profile.email`; GitHub and
    /// GitLab logins match `github.com/user-login`/`gitlab.com/user-login`,
    /// else a User named like the login (Backstage's GitHub and GitLab
    /// org imports name Users by login); PagerDuty ids match
    /// `pagerduty.com/user-id`, else `display_name` (the name PagerDuty
    /// shows) against `spec.profile.displayName`; a bare login matches any
    /// provider's login or a User's name; `user:` names the User.
    pub fn resolve_person(&self, identity: &Identity, display_name: Option<&str>) -> Option<&EntityRef> {
        let value = identity.value().to_owned();
        let by = |kind: IdentityKind| self.people_by.get(&(kind, value.clone()));
        let by_user_name = || by(IdentityKind::User).or_else(|| by_default_namespace(self, &value));
        let found = match identity.kind() {
            IdentityKind::Email | IdentityKind::User => by(identity.kind()),
            IdentityKind::GitHub => by(IdentityKind::GitHub).or_else(by_user_name),
            IdentityKind::GitLab => by(IdentityKind::GitLab).or_else(by_user_name),
            IdentityKind::PagerDuty => by(IdentityKind::PagerDuty),
            IdentityKind::Login => by(IdentityKind::GitHub).or_else(|| by(IdentityKind::GitLab)).or_else(by_user_name),
        };
        found.or_else(|| match (identity.kind(), display_name) {
            (IdentityKind::PagerDuty, Some(name)) => self.people_by_name.get(&name.trim().to_lowercase()),
            _ => None,
        })
    }

    /// The Component named `name` (`checkout`, `component:checkout`,
    /// `component:default/checkout`; case-insensitive).
    pub fn service_named(&self, name: &str) -> ServiceMatch {
        let name = name.trim();
        if let Ok(entity_ref) = EntityRef::parse(name, Some("component"), crate::DEFAULT_NAMESPACE)
            && entity_ref.is(EntityKind::Component)
            && let Some(info) = self.services.get(&entity_ref.key())
        {
            return ServiceMatch::One(info.entity_ref.clone());
        }
        match self.services_by_name.get(&name.to_lowercase()).map(Vec::as_slice) {
            Some([one]) => ServiceMatch::One(one.clone()),
            Some([]) | None => ServiceMatch::None,
            Some(several) => ServiceMatch::Several(several.to_vec()),
        }
    }

    /// The Components that claim `repo`.
    pub fn services_of_repo(&self, repo: &RepoId) -> ServiceMatch {
        match self.services_by_repo.get(repo).map(Vec::as_slice) {
            Some([one]) => ServiceMatch::One(one.clone()),
            Some([]) | None => ServiceMatch::None,
            Some(several) => ServiceMatch::Several(several.to_vec()),
        }
    }

    /// The one Component whose annotation `name` has the value `value`
    /// (e.g. Backstage's `pagerduty.com/service-id`); `None` when none or
    /// several do.
    pub fn service_with_annotation(&self, name: &str, value: &str) -> Option<EntityRef> {
        let mut matches =
            self.services.values().filter(|info| info.annotations.get(name).is_some_and(|v| v.trim() == value.trim()));
        let first = matches.next()?;
        matches.next().is_none().then(|| first.entity_ref.clone())
    }

    /// The Components a commit of `repo` that changed `paths` belongs to: the
    /// Components that claim the repository, except that a Component with
    /// `paved.dev/paths` (a part of a monorepo) gets only commits that
    /// touch one of its paths. A merge without files of its own belongs to
    /// the Components without paths.
    pub fn services_of_commit<'p>(&self, repo: &RepoId, paths: impl IntoIterator<Item = &'p str>) -> Vec<EntityRef> {
        let Some(claimants) = self.services_by_repo.get(repo) else { return Vec::new() };
        let paths: Vec<&str> = paths.into_iter().collect();
        claimants
            .iter()
            .filter(|service| match self.path_globs.get(&service.key()) {
                None => true,
                Some(globs) => paths.iter().any(|path| globs.is_match(path)),
            })
            .cloned()
            .collect()
    }

    /// True when `service` lives in part of a monorepo (`paved.dev/paths`)
    /// and `path` is in that part; true for every path of a Component
    /// without paths.
    pub fn service_owns_path(&self, service: &EntityRef, path: &str) -> bool {
        self.path_globs.get(&service.key()).is_none_or(|globs| globs.is_match(path))
    }

    /// A Schedule of the catalog.
    pub fn schedule(&self, schedule: &EntityRef) -> Option<&crate::Schedule> {
        self.schedules.get(&schedule.key())
    }

    /// The on-call Schedule of a Component (`paved.dev/oncall`, a Schedule's
    /// name or reference).
    pub fn schedule_of(&self, service: &EntityRef) -> Option<&crate::Schedule> {
        let name = self.service(service)?.oncall.as_deref()?;
        let schedule = EntityRef::parse(name, Some("schedule"), service.namespace()).ok()?;
        self.schedule(&schedule)
    }

    /// A Module of the catalog.
    pub fn module(&self, module: &EntityRef) -> Option<&crate::Module> {
        self.modules.get(&module.key())
    }

    /// Every Module, in reference order.
    pub fn modules(&self) -> Vec<&crate::Module> {
        let mut all: Vec<&crate::Module> = self.modules.values().collect();
        all.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
        all
    }

    /// Every Scorecard, in reference order.
    pub fn scorecards(&self) -> Vec<&crate::Scorecard> {
        let mut all: Vec<&crate::Scorecard> = self.scorecards.values().collect();
        all.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
        all
    }

    /// A Template of the catalog.
    pub fn template(&self, template: &EntityRef) -> Option<&crate::Template> {
        self.templates.get(&template.key())
    }

    /// Every Template, in reference order.
    pub fn templates(&self) -> Vec<&crate::Template> {
        let mut all: Vec<&crate::Template> = self.templates.values().collect();
        all.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
        all
    }

    /// A Heartbeat of the catalog.
    pub fn heartbeat(&self, heartbeat: &EntityRef) -> Option<&crate::Heartbeat> {
        self.heartbeats.get(&heartbeat.key())
    }

    /// Every Heartbeat, in reference order.
    pub fn heartbeats(&self) -> Vec<&crate::Heartbeat> {
        let mut all: Vec<&crate::Heartbeat> = self.heartbeats.values().collect();
        all.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
        all
    }

    /// An EscalationPolicy of the catalog.
    pub fn escalation_policy(&self, policy: &EntityRef) -> Option<&crate::EscalationPolicy> {
        self.escalation_policies.get(&policy.key())
    }

    /// The EscalationPolicy that pages for `service`: its own
    /// (`paved.dev/escalation-policy` on the Component), else its owning
    /// Group's or the nearest ancestor Group's; `None` when none names one
    /// (the organisation's default then applies).
    pub fn escalation_policy_of(&self, service: &EntityRef) -> Option<&crate::EscalationPolicy> {
        let info = self.service(service)?;
        if let Some(name) = info.annotations.get("paved.dev/escalation-policy") {
            let policy = EntityRef::parse(name, Some("escalationpolicy"), service.namespace()).ok()?;
            return self.escalation_policy(&policy);
        }
        let mut group = info.owner.clone().filter(|owner| owner.is(EntityKind::Group));
        let mut seen = HashSet::new();
        while let Some(next) = group {
            if !seen.insert(next.key()) {
                break;
            }
            let found = self.group(&next)?;
            if let Some(policy) = &found.escalation_policy {
                return self.escalation_policy(policy);
            }
            group = found.parent.clone();
        }
        None
    }

    /// How `service` is deployed to `environment` (compared without case).
    pub fn deploy_target(&self, service: &EntityRef, environment: &str) -> Option<&crate::DeployTarget> {
        self.deploy_targets.get(&(service.key(), environment.to_lowercase()))
    }

    /// The DeployTargets of `service`, by environment.
    pub fn deploy_targets_of(&self, service: &EntityRef) -> Vec<&crate::DeployTarget> {
        let key = service.key();
        let mut all: Vec<&crate::DeployTarget> =
            self.deploy_targets.iter().filter(|((component, _), _)| *component == key).map(|(_, t)| t).collect();
        all.sort_by(|a, b| a.environment.cmp(&b.environment));
        all
    }

    /// Every Schedule, in reference order.
    pub fn schedules(&self) -> Vec<&crate::Schedule> {
        let mut all: Vec<&crate::Schedule> = self.schedules.values().collect();
        all.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
        all
    }

    /// True when `team` (or a team below it) owns `schedule`.
    pub fn team_owns_schedule(&self, team: &EntityRef, schedule: &EntityRef) -> bool {
        let Some(owner) = self.schedule(schedule).and_then(|s| s.owner.as_ref()) else { return false };
        self.group_and_descendants(team).iter().any(|group| group.key() == owner.key())
    }

    /// What the index knows of a Component.
    pub fn service(&self, service: &EntityRef) -> Option<&ServiceInfo> {
        self.services.get(&service.key())
    }

    /// Every Component, in reference order.
    pub fn services(&self) -> Vec<&ServiceInfo> {
        let mut all: Vec<&ServiceInfo> = self.services.values().collect();
        all.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
        all
    }

    /// What the index knows of a User.
    pub fn person(&self, person: &EntityRef) -> Option<&PersonInfo> {
        self.people.get(&person.key())
    }

    /// How `person` is reached when paged (DESIGN §7 "On call"): the
    /// contacts of their `paved.dev/contacts`, else their
    /// `spec.profile.email`; empty for a User with neither, or one the
    /// catalog does not hold.
    pub fn contacts_of(&self, person: &EntityRef) -> &[Contact] {
        self.person(person).map(|p| p.contacts.as_slice()).unwrap_or_default()
    }

    /// What the index knows of a Group.
    pub fn group(&self, group: &EntityRef) -> Option<&GroupInfo> {
        self.groups.get(&group.key()).map(|(_, info)| info)
    }

    /// Every Group that is a team ([`GroupInfo::is_team`]: not the
    /// organisation's root, not a Group that only gathers others), in
    /// reference order.
    pub fn teams(&self) -> Vec<(&EntityRef, &GroupInfo)> {
        let direct_owners: HashSet<&EntityRef> = self.services.values().filter_map(|s| s.owner.as_ref()).collect();
        self.groups().into_iter().filter(|(group, info)| info.is_team(direct_owners.contains(group))).collect()
    }

    /// Every Group, in reference order.
    pub fn groups(&self) -> Vec<(&EntityRef, &GroupInfo)> {
        let mut all: Vec<(&EntityRef, &GroupInfo)> = self.groups.values().map(|(r, info)| (r, info)).collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// `group` and its descendants (children, their children, ...), each
    /// once, cycles tolerated.
    pub fn group_and_descendants(&self, group: &EntityRef) -> BTreeSet<EntityRef> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![group.clone()];
        while let Some(next) = stack.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            if let Some(info) = self.group(&next) {
                stack.extend(info.children.iter().cloned());
            }
        }
        seen
    }

    /// The owners of a service (DESIGN §6): the members of its owning Group
    /// and of that Group's descendants, or the owning User. Empty when the
    /// service has no owner or the owner is not in the catalog.
    pub fn owners_of(&self, service: &EntityRef) -> BTreeSet<EntityRef> {
        let Some(owner) = self.service(service).and_then(|info| info.owner.as_ref()) else {
            return BTreeSet::new();
        };
        if owner.is(EntityKind::User) {
            return self.person(owner).map(|p| p.entity_ref.clone()).into_iter().collect();
        }
        self.group_and_descendants(owner)
            .iter()
            .filter_map(|group| self.group(group))
            .flat_map(|info| info.members.iter().cloned())
            .collect()
    }

    /// True when `team` (a Group) owns `service`, directly or through one of
    /// its descendants.
    pub fn team_owns(&self, team: &EntityRef, service: &EntityRef) -> bool {
        let Some(owner) = self.service(service).and_then(|info| info.owner.as_ref()) else {
            return false;
        };
        self.group_and_descendants(team).iter().any(|group| group.key() == owner.key())
    }

    /// Whether a deployment to `environment` is a production deployment of
    /// `service` (DESIGN §5): the service's `paved.dev/production-environments`
    /// decide when it lists any; otherwise what the source says
    /// (`by_source`), otherwise `defaults` (case-insensitive).
    pub fn is_production(
        &self,
        service: Option<&EntityRef>,
        environment: &str,
        by_source: Option<bool>,
        defaults: &[String],
    ) -> bool {
        let environment = environment.trim().to_lowercase();
        if let Some(own) = service.and_then(|s| self.service(s)).map(|info| &info.production_environments)
            && !own.is_empty()
        {
            return own.contains(&environment);
        }
        by_source.unwrap_or_else(|| defaults.iter().any(|name| name.eq_ignore_ascii_case(&environment)))
    }
}

fn by_default_namespace<'a>(index: &'a CatalogIndex, name: &str) -> Option<&'a EntityRef> {
    index.people_by.get(&(IdentityKind::User, format!("{}/{name}", crate::DEFAULT_NAMESPACE)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PavedAnnotations, Relation, SourcePosition};

    fn entity(kind: &str, name: &str, document: serde_json::Value) -> CatalogEntity {
        let entity_ref = EntityRef::new(kind, "default", name).unwrap();
        CatalogEntity {
            entity_ref,
            kind: kind.to_owned(),
            api_version: "backstage.io/v1alpha1".to_owned(),
            title: None,
            description: None,
            spec_type: None,
            lifecycle: None,
            owner: None,
            source: SourcePosition { file: "catalog-info.yaml".to_owned(), line: 1, column: 1 },
            document,
            relations: Vec::new(),
            paved: PavedAnnotations::default(),
        }
    }

    fn index() -> CatalogIndex {
        let mut checkout = entity("component", "checkout", serde_json::json!({}));
        checkout.owner = Some("group:default/shop".parse().unwrap());
        checkout.paved.repo = Some("github.com/acme/checkout".to_owned());
        checkout.paved.production_environments = vec!["eu-live".to_owned()];
        let mut cart = entity("component", "cart", serde_json::json!({}));
        cart.owner = Some("group:default/shop".parse().unwrap());
        cart.paved.repo = Some("github.com/acme/mono".to_owned());
        let mut search = entity("component", "search", serde_json::json!({}));
        search.paved.repo = Some("github.com/acme/mono".to_owned());
        let mut shop = entity("group", "shop", serde_json::json!({}));
        shop.relations
            .push(Relation { kind: RelationType::ParentOf, target: "group:default/shop-web".parse().unwrap() });
        let web = entity("group", "shop-web", serde_json::json!({}));
        let mut dana = entity(
            "user",
            "dana",
            serde_json::json!({"metadata": {"annotations": {"pagerduty.com/user-id": "PDANA"}},
                               "spec": {"profile": {"displayName": "Dana Scully"}}}),
        );
        dana.paved.emails = vec!["dana@acme.example".to_owned()];
        dana.paved.github_login = Some("DanaS".to_owned());
        dana.relations
            .push(Relation { kind: RelationType::MemberOf, target: "group:default/shop-web".parse().unwrap() });
        let lee = entity("user", "lee", serde_json::json!({}));
        let entities = [checkout, cart, search, shop, web, dana, lee];
        CatalogIndex::new(&entities)
    }

    #[test]
    fn people_resolve_by_every_handle() {
        let index = index();
        let dana: EntityRef = "user:default/dana".parse().unwrap();
        let resolve = |text: &str| index.resolve_person(&text.parse().unwrap(), None).cloned();
        assert_eq!(resolve("email:DANA@acme.example"), Some(dana.clone()));
        assert_eq!(resolve("github:danas"), Some(dana.clone()));
        assert_eq!(resolve("login:danas"), Some(dana.clone()));
        assert_eq!(resolve("gitlab:dana"), Some(dana.clone()), "a GitLab login equal to a User name");
        assert_eq!(resolve("pagerduty:PDANA"), Some(dana.clone()));
        assert_eq!(resolve("user:default/dana"), Some(dana.clone()));
        assert_eq!(resolve("github:nobody"), None);
        assert_eq!(resolve("pagerduty:PDANA2"), None);
        let by_name = index.resolve_person(&Identity::pagerduty("POTHER").unwrap(), Some("dana scully"));
        assert_eq!(by_name, Some(&dana));
    }

    #[test]
    fn services_resolve_by_name_and_repository() {
        let index = index();
        let checkout: EntityRef = "component:default/checkout".parse().unwrap();
        assert_eq!(index.service_named("Checkout"), ServiceMatch::One(checkout.clone()));
        assert_eq!(index.service_named("component:default/checkout"), ServiceMatch::One(checkout.clone()));
        assert_eq!(index.service_named("nope"), ServiceMatch::None);
        let repo = RepoId::parse_url("https://github.com/acme/checkout.git").unwrap();
        assert_eq!(index.services_of_repo(&repo), ServiceMatch::One(checkout));
        let mono = RepoId::parse_url("github.com/acme/mono").unwrap();
        assert!(matches!(index.services_of_repo(&mono), ServiceMatch::Several(s) if s.len() == 2));
    }

    #[test]
    fn monorepo_commits_belong_to_the_components_whose_paths_they_touch() {
        let mut a = entity("component", "a", serde_json::json!({}));
        a.paved.repo = Some("github.com/acme/mono".to_owned());
        a.paved.paths = vec!["services/a/**".to_owned(), "libs/shared/**".to_owned()];
        let mut b = entity("component", "b", serde_json::json!({}));
        b.paved.repo = Some("github.com/acme/mono".to_owned());
        b.paved.paths = vec!["services/b/**".to_owned()];
        let mut whole = entity("component", "whole", serde_json::json!({}));
        whole.paved.repo = Some("github.com/acme/mono".to_owned());
        let index = CatalogIndex::new(&[a, b, whole]);
        let mono = RepoId::parse_url("github.com/acme/mono").unwrap();
        let names = |paths: &[&str]| -> Vec<String> {
            index.services_of_commit(&mono, paths.iter().copied()).iter().map(|s| s.name().to_owned()).collect()
        };
        assert_eq!(names(&["services/a/main.rs"]), ["a", "whole"]);
        assert_eq!(names(&["libs/shared/x.rs", "services/b/y.rs"]), ["a", "b", "whole"]);
        assert_eq!(names(&["README.md"]), ["whole"]);
        assert_eq!(names(&[]), ["whole"], "a merge without files of its own");
        let other = RepoId::parse_url("github.com/acme/other").unwrap();
        assert!(index.services_of_commit(&other, ["x"]).is_empty());
        assert!(index.service_owns_path(&"component:default/a".parse().unwrap(), "libs/shared/z"));
        assert!(!index.service_owns_path(&"component:default/b".parse().unwrap(), "libs/shared/z"));
    }

    #[test]
    fn owners_include_members_of_child_groups() {
        let index = index();
        let checkout: EntityRef = "component:default/checkout".parse().unwrap();
        let owners = index.owners_of(&checkout);
        assert_eq!(owners.into_iter().map(|o| o.to_string()).collect::<Vec<_>>(), ["user:default/dana"]);
        assert!(index.team_owns(&"group:default/shop".parse().unwrap(), &checkout));
        assert!(!index.team_owns(&"group:default/shop-web".parse().unwrap(), &checkout));
        assert!(index.owners_of(&"component:default/search".parse().unwrap()).is_empty());
    }

    #[test]
    fn contacts_come_from_the_annotation_else_the_profile_email() {
        let profile = serde_json::json!({"spec": {"profile": {"email": "Ana@Example.com"}}});
        let ana = entity("user", "ana", profile.clone());
        let mut ben = entity("user", "ben", profile);
        ben.paved.contacts = vec![
            "slack:https://hooks.slack.com/services/T/B/X".parse().unwrap(),
            "email:ben@example.com".parse().unwrap(),
        ];
        let cy = entity("user", "cy", serde_json::json!({"spec": {"profile": {"email": "not an address"}}}));
        let index = CatalogIndex::new(&[ana, ben, cy]);
        let contacts = |name: &str| -> Vec<String> {
            let person = EntityRef::new("user", "default", name).unwrap();
            index.contacts_of(&person).iter().map(Contact::to_annotation).collect()
        };
        assert_eq!(contacts("ana"), ["email:Ana@Example.com"]);
        assert_eq!(contacts("ben"), ["slack:https://hooks.slack.com/services/T/B/X", "email:ben@example.com"]);
        assert!(contacts("cy").is_empty(), "a profile address that is none is no contact");
        assert!(contacts("nobody").is_empty());
    }

    #[test]
    fn production_follows_the_service_then_the_source_then_the_defaults() {
        let index = index();
        let defaults: Vec<String> = DEFAULT_PRODUCTION_ENVIRONMENTS.iter().map(|s| (*s).to_owned()).collect();
        let checkout: EntityRef = "component:default/checkout".parse().unwrap();
        let cart: EntityRef = "component:default/cart".parse().unwrap();
        assert!(index.is_production(Some(&checkout), "EU-Live", None, &defaults));
        assert!(!index.is_production(Some(&checkout), "production", Some(true), &defaults), "its own list decides");
        assert!(index.is_production(Some(&cart), "Prod", None, &defaults));
        assert!(!index.is_production(Some(&cart), "staging", None, &defaults));
        assert!(index.is_production(Some(&cart), "github-pages", Some(true), &defaults));
        assert!(!index.is_production(None, "production", Some(false), &defaults));
    }
}
