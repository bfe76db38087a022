//! Who is acting, and whether they may: the one place where catalog
//! ownership decides what a caller may do (DESIGN §8). Every use case that
//! changes something asks here; the CLI, the API, the pages and background
//! jobs never decide it themselves.

use std::collections::BTreeSet;

use paved_domain::{CatalogIndex, EntityKind, EntityRef};
use paved_store::{TokenInfo, TokenScope};

use crate::AppError;
use crate::ci_identity::CiClaims;

/// Who is calling: the CLI on the local database, or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// `paved` itself on the local database (its user can read the file
    /// anyway).
    Local,
    /// A request with a valid token.
    Token(TokenInfo),
    /// A person known without a token of their own: signed in to the web
    /// UI, named by a trusted authenticating proxy, or the creator of a
    /// GitHub deployment. `via` says which, for the audit log.
    Person {
        /// The catalog User.
        person: EntityRef,
        /// How they were identified.
        via: Via,
    },
}

/// How a [`Caller::Person`] was identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A web session (its id), started with the person's own token.
    Session(i64),
    /// The header of a trusted authenticating proxy.
    Proxy,
    /// The creator of a GitHub deployment, matched to a catalog User.
    GitHub,
    /// The signed link of a page they received (for the escalation with
    /// this id): it lets them answer that page's incident, nothing else.
    PageLink(i64),
    /// The OIDC ID token of a CI job they ran
    /// ([`crate::ci_identity`]): it acts only on the services of the
    /// job's repository, in the job's environment.
    Ci(Box<CiClaims>),
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Session(id) => write!(f, "session {id}"),
            Self::Proxy => f.write_str("authenticating proxy"),
            Self::GitHub => f.write_str("GitHub deployment creator"),
            Self::PageLink(id) => write!(f, "link of a page of escalation {id}"),
            Self::Ci(claims) => write!(f, "{claims}"),
        }
    }
}

impl Caller {
    /// How the audit log names the caller.
    pub fn audit_name(&self) -> String {
        match self {
            Self::Local => "cli".to_owned(),
            Self::Token(token) => match &token.scope {
                TokenScope::Admin => format!("token {} ({}, admin)", token.id, token.name),
                TokenScope::Team(team) => format!("token {} ({}, team {team})", token.id, token.name),
                TokenScope::User(person) => format!("{person} (token {})", token.id),
            },
            Self::Person { person, via } => format!("{person} ({via})"),
        }
    }

    /// The team a team token belongs to, with the token's name; `None` for
    /// the CLI, admin and personal tokens.
    pub fn team(&self) -> Option<(&EntityRef, &str)> {
        match self {
            Self::Token(TokenInfo { scope: TokenScope::Team(team), name, .. }) => Some((team, name)),
            _ => None,
        }
    }

    /// The claims of a CI job's ID token, when that is who calls.
    pub fn ci_claims(&self) -> Option<&CiClaims> {
        match self {
            Self::Person { via: Via::Ci(claims), .. } => Some(claims),
            _ => None,
        }
    }

    /// The person a personal token acts as.
    pub fn person(&self) -> Option<&EntityRef> {
        match self {
            Self::Token(TokenInfo { scope: TokenScope::User(person), .. }) | Self::Person { person, .. } => {
                Some(person)
            }
            _ => None,
        }
    }

    /// Checks that the caller may act on `service` (record its deployments
    /// and incidents, and every action of the paved road on it): the CLI
    /// and admin tokens may; a team token for the services its team (or a
    /// team below it) owns; a person for the services they own — members
    /// of the owning Group or of a Group below it, or the owning User.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] saying why, and who could act instead.
    pub fn may_act_on(&self, catalog: &CatalogIndex, service: &EntityRef) -> Result<(), AppError> {
        let owner = catalog.service(service).and_then(|info| info.owner.as_ref());
        self.may_act_on_owned(catalog, service, owner)
    }

    /// The one rule of who may act on something owned — a service, a
    /// Schedule: the CLI and admin tokens may; a team token for what its
    /// team (or a team below it) owns; a person for what they own, as
    /// members of the owning Group or of a Group below it, or as the owning
    /// User.
    fn may_act_on_owned(
        &self,
        catalog: &CatalogIndex,
        thing: &EntityRef,
        owner: Option<&EntityRef>,
    ) -> Result<(), AppError> {
        if let Some((team, name)) = self.team() {
            let owned = owner.is_some_and(|owner| {
                catalog.group_and_descendants(team).iter().any(|group| group.key() == owner.key())
            });
            if owned {
                return Ok(());
            }
            let owner = owner.map_or_else(|| "no owner".to_owned(), |owner| format!("owner {owner}"));
            return Err(AppError::Forbidden(format!(
                "token `{name}` belongs to {team}, which does not own {thing} ({owner}); use a token of the owning team"
            )));
        }
        // The only Caller with this `via` is made by `App::answer_page`,
        // for the incident the signed link names: who was paged may answer.
        if let Self::Person { via: Via::PageLink(_), .. } = self {
            return Ok(());
        }
        self.ci_scope_allows(catalog, thing, None)?;
        let Some(person) = self.person() else { return Ok(()) };
        let owners = owner.map(|owner| members_of(catalog, owner)).unwrap_or_default();
        if owners.contains(person) {
            return Ok(());
        }
        Err(AppError::Forbidden(format!(
            "{person} may not act on {}: {}",
            thing.name(),
            who_owns(thing, owner, &owners)
        )))
    }

    /// Checks what a CI identity token's claims allow (every other caller
    /// passes): acting on `thing` only when it is a service of the token's
    /// repository, and in `environment` (when given) only when the token
    /// was issued for exactly that environment. Ownership is checked
    /// as well, by [`Self::may_act_on`]; an allow-list of a deploy policy
    /// does not widen this.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] naming the token's repository or
    /// environment.
    pub fn ci_scope_allows(
        &self,
        catalog: &CatalogIndex,
        thing: &EntityRef,
        environment: Option<&str>,
    ) -> Result<(), AppError> {
        let Some(claims) = self.ci_claims() else { return Ok(()) };
        let repo = catalog.service(thing).and_then(|info| info.repo.as_ref());
        if repo != Some(&claims.repo) {
            let theirs = repo.map_or_else(
                || format!("{} names no repository of its own", thing.name()),
                |repo| format!("{}'s repository is {repo}", thing.name()),
            );
            return Err(AppError::Forbidden(format!(
                "the {} token of {} acts only on that repository's services, and {theirs}; run the job in the \
                 service's own repository, or use a token of its team",
                claims.provider.ci_name(),
                claims.repo
            )));
        }
        match (environment, claims.environment.as_deref()) {
            (Some(wanted), Some(own)) if wanted != own => Err(AppError::Forbidden(format!(
                "the {} token of {} was issued for environment `{own}`, not `{wanted}`; run the job with \
                 `environment: {wanted}`",
                claims.provider.ci_name(),
                claims.repo
            ))),
            // The environment's protection rules (reviewers, branches) are
            // what guard a job's token: one without them acts nowhere.
            (Some(wanted), None) => Err(AppError::Forbidden(format!(
                "the {} token of {} names no environment, so no environment's protection rules ran for it; run \
                 the job with `environment: {wanted}`",
                claims.provider.ci_name(),
                claims.repo
            ))),
            _ => Ok(()),
        }
    }

    /// Checks that the caller may evaluate scorecards as of another day
    /// than today, which replaces the results kept for that day (and so
    /// the history, and the levels deploys read): admins and the CLI.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] saying who may.
    pub fn may_rescore_a_past_day(&self) -> Result<(), AppError> {
        match self {
            Self::Local | Self::Token(TokenInfo { scope: TokenScope::Admin, .. }) => Ok(()),
            _ => Err(AppError::Forbidden(format!(
                "{} may not evaluate scorecards as of another day: that replaces the day's kept results; an admin \
                 token may, or leave `at` out to evaluate now",
                self.audit_name()
            ))),
        }
    }

    /// Checks that the caller may read the audit trail `service` names
    /// (`None`: the whole trail): admins and the CLI read everything; a
    /// service's owners (by [`Self::may_act_on`]) read its trail.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] saying who may.
    pub fn may_read_audit(&self, catalog: &CatalogIndex, service: Option<&EntityRef>) -> Result<(), AppError> {
        match (self, service) {
            (Self::Local | Self::Token(TokenInfo { scope: TokenScope::Admin, .. }), _) => Ok(()),
            (_, Some(service)) => self.may_act_on(catalog, service).map_err(|refusal| match refusal {
                AppError::Forbidden(why) => AppError::Forbidden(format!("reading the audit trail of {service}: {why}")),
                other => other,
            }),
            (_, None) => Err(AppError::Forbidden(format!(
                "{} may not read the whole audit trail: admins may; a service's owners may read its trail (ask \
                 with a service)",
                self.audit_name()
            ))),
        }
    }

    /// Checks that the caller may list and end other people's web sessions:
    /// admins and the CLI.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] saying who may.
    pub fn may_manage_sessions(&self) -> Result<(), AppError> {
        match self {
            Self::Local | Self::Token(TokenInfo { scope: TokenScope::Admin, .. }) => Ok(()),
            _ => Err(AppError::Forbidden(format!(
                "{} may not list or end others' web sessions: admins may (a person signs out with the page's Sign                  out)",
                self.audit_name()
            ))),
        }
    }

    /// Checks that the caller may run deploys as a runner (claim jobs,
    /// report their logs, finish them): the CLI on the local database and
    /// admin tokens. A runner runs every team's deploys, so no team or
    /// personal token may.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] saying which token a runner needs.
    pub fn may_run_deploys(&self) -> Result<(), AppError> {
        match self {
            Self::Local | Self::Token(TokenInfo { scope: TokenScope::Admin, .. }) => Ok(()),
            _ => Err(AppError::Forbidden(format!(
                "{} may not run deploys: a runner runs every team's deploys, so it needs an admin token (paved token \
                 create --admin --name runner)",
                self.audit_name()
            ))),
        }
    }

    /// Checks that the caller may act on `what` (e.g. "incident `x`"), a
    /// record of no service of the catalog: it may be another team's, so
    /// only the CLI and admin tokens may.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] for a team or personal token.
    pub fn may_act_without_service(&self, what: &str) -> Result<(), AppError> {
        if let Some((team, name)) = self.team() {
            return Err(AppError::Forbidden(format!(
                "token `{name}` belongs to {team}, and {what} names no service of the catalog, so only an admin \
                 token may act on it; route it with a service the team owns, or use an admin token"
            )));
        }
        // Paged for it (the default policy pages for unknown services).
        if let Self::Person { via: Via::PageLink(_), .. } = self {
            return Ok(());
        }
        match self.person() {
            Some(person) => Err(AppError::Forbidden(format!(
                "{person} may not act on {what}: it names no service of the catalog, so nobody owns it; route it \
                 with a service (its owners may then act), or ask someone with an admin token"
            ))),
            None => Ok(()),
        }
    }

    /// Checks that the caller may change who is on call on the Schedule
    /// `schedule` (record its shifts, override it): by the same rule as
    /// acting on a service ([`Self::may_act_on`]), with the Schedule's
    /// owner — members of its Group and of the Groups below it, admins and
    /// the CLI.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] naming the schedule, its owner and the
    /// people who could act.
    pub fn may_act_on_schedule(&self, catalog: &CatalogIndex, schedule: &EntityRef) -> Result<(), AppError> {
        let owner = catalog.schedule(schedule).and_then(|s| s.owner.as_ref());
        self.may_act_on_owned(catalog, schedule, owner)
    }

    /// Checks that the caller may create `service` for the team `owner`
    /// from a golden path: by the same rule as acting on a service the team
    /// owns ([`Self::may_act_on`]) — the team's members (and those of the
    /// Groups below it), its token, admins and the CLI. A page's signed
    /// link or a GitHub deployment's creator never may.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] naming the team and its members.
    pub fn may_create_for(
        &self,
        catalog: &CatalogIndex,
        service: &EntityRef,
        owner: &EntityRef,
    ) -> Result<(), AppError> {
        if let Self::Person { via: via @ (Via::PageLink(_) | Via::GitHub | Via::Ci(_)), person } = self {
            return Err(AppError::Forbidden(format!(
                "{person} is known here only through {via}, which creates nothing; sign in or use a personal token"
            )));
        }
        self.may_act_on_owned(catalog, service, Some(owner))
    }

    /// Checks that the caller may change where `person`'s pages go (add or
    /// remove their contacts): the person themself — with their token,
    /// signed in, or named by the authenticating proxy — admin tokens and
    /// the CLI. Not their team's token, nor anyone else: a contact decides
    /// who reads someone's pages.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] saying who may.
    pub fn may_change_contacts_of(&self, person: &EntityRef) -> Result<(), AppError> {
        let allowed = match self {
            Self::Local | Self::Token(TokenInfo { scope: TokenScope::Admin, .. }) => true,
            Self::Person { via: Via::PageLink(_) | Via::GitHub | Via::Ci(_), .. } => false,
            _ => self.person().is_some_and(|me| me.key() == person.key()),
        };
        if allowed {
            return Ok(());
        }
        Err(AppError::Forbidden(format!(
            "{} may not change {person}'s contacts: only {} (signed in or with their own token) or an admin may",
            self.audit_name(),
            person.name()
        )))
    }
}

/// The people of `owner`: a Group's members with those of the Groups below
/// it, or the owning User when the catalog has them.
fn members_of(catalog: &CatalogIndex, owner: &EntityRef) -> BTreeSet<EntityRef> {
    if owner.is(EntityKind::User) {
        return catalog.person(owner).map(|p| p.entity_ref.clone()).into_iter().collect();
    }
    catalog
        .group_and_descendants(owner)
        .iter()
        .filter_map(|group| catalog.group(group))
        .flat_map(|info| info.members.iter().cloned())
        .collect()
}

/// People's names, a few of them: `ana, bo, chen and 4 more`.
fn names(people: &BTreeSet<EntityRef>) -> String {
    const SHOWN: usize = 5;
    if people.is_empty() {
        return "no members".to_owned();
    }
    let mut text = people.iter().take(SHOWN).map(EntityRef::name).collect::<Vec<_>>().join(", ");
    if people.len() > SHOWN {
        text.push_str(&format!(" and {} more", people.len() - SHOWN));
    }
    text
}

/// Who owns `thing`, and what to do: "payments-api is owned by
/// group:default/payments (ana, bo, chen); ask one of them, or add yourself
/// to group:default/payments's spec.members in the catalog".
fn who_owns(thing: &EntityRef, owner: Option<&EntityRef>, owners: &BTreeSet<EntityRef>) -> String {
    match owner {
        Some(owner) if owner.is(EntityKind::User) => {
            format!("{} is owned by {owner}; ask them, or an admin", thing.name())
        }
        Some(owner) => format!(
            "{} is owned by {owner} ({}); ask one of them, or add yourself to {owner}'s spec.members in the catalog",
            thing.name(),
            names(owners)
        ),
        None => format!("{} names no owner; give it spec.owner in the catalog", thing.name()),
    }
}
