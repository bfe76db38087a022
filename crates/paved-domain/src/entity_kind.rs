//! The kinds of catalog entity pavedroad knows, one enum instead of their
//! names compared as strings.

use std::fmt;
use std::str::FromStr;

/// A kind of catalog entity: Backstage's own, and pavedroad's
/// (`paved.dev/v1alpha1`). The catalog keeps entities of other kinds (a
/// plugin's), without kind-specific checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    /// A piece of software: a service, website or library.
    Component,
    /// An interface a component provides.
    Api,
    /// Infrastructure a component needs (a database, a bucket).
    Resource,
    /// A collection of components, APIs and resources.
    System,
    /// A business area: a collection of systems.
    Domain,
    /// A team or another group of people.
    Group,
    /// A person.
    User,
    /// A pointer to more descriptor files.
    Location,
    /// An on-call rotation (pavedroad).
    Schedule,
    /// Who is paged, in which order (pavedroad).
    EscalationPolicy,
    /// How a service is deployed to an environment (pavedroad).
    DeployTarget,
    /// A signal a service (or its cron job) sends at least every interval;
    /// a missed one opens an incident (pavedroad).
    Heartbeat,
    /// A kind of resource the platform team offers for self-service
    /// provisioning (pavedroad).
    Module,
    /// A software template: a golden path that starts a service
    /// (Backstage's scaffolder, `scaffolder.backstage.io/v1beta3`).
    Template,
    /// Maturity levels of configuration and behaviour checks (pavedroad).
    Scorecard,
}

impl EntityKind {
    /// Backstage's kinds.
    pub const BACKSTAGE: [Self; 8] = [
        Self::Component,
        Self::Api,
        Self::Resource,
        Self::System,
        Self::Domain,
        Self::Group,
        Self::User,
        Self::Location,
    ];
    /// The scaffolder's kinds (`apiVersion: scaffolder.backstage.io/v1beta3`).
    pub const SCAFFOLDER: [Self; 1] = [Self::Template];
    /// pavedroad's own kinds (`apiVersion: paved.dev/v1alpha1`).
    pub const PAVED: [Self; 6] =
        [Self::Schedule, Self::EscalationPolicy, Self::DeployTarget, Self::Heartbeat, Self::Module, Self::Scorecard];

    /// The kind as references write it, lower-case: `component`, `api`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Component => "component",
            Self::Api => "api",
            Self::Resource => "resource",
            Self::System => "system",
            Self::Domain => "domain",
            Self::Group => "group",
            Self::User => "user",
            Self::Location => "location",
            Self::Schedule => "schedule",
            Self::EscalationPolicy => "escalationpolicy",
            Self::DeployTarget => "deploytarget",
            Self::Heartbeat => "heartbeat",
            Self::Module => "module",
            Self::Template => "template",
            Self::Scorecard => "scorecard",
        }
    }

    /// The kind as a descriptor writes it: `Component`, `API`.
    pub fn descriptor_name(self) -> &'static str {
        match self {
            Self::Component => "Component",
            Self::Api => "API",
            Self::Resource => "Resource",
            Self::System => "System",
            Self::Domain => "Domain",
            Self::Group => "Group",
            Self::User => "User",
            Self::Location => "Location",
            Self::Schedule => "Schedule",
            Self::EscalationPolicy => "EscalationPolicy",
            Self::DeployTarget => "DeployTarget",
            Self::Heartbeat => "Heartbeat",
            Self::Module => "Module",
            Self::Template => "Template",
            Self::Scorecard => "Scorecard",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind by its name in any case (`component`, `Component`, `API`).
impl FromStr for EntityKind {
    type Err = UnknownKind;

    fn from_str(name: &str) -> Result<Self, UnknownKind> {
        Self::BACKSTAGE
            .into_iter()
            .chain(Self::PAVED)
            .chain(Self::SCAFFOLDER)
            .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownKind(name.to_owned()))
    }
}

/// A kind pavedroad does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a kind pavedroad knows (component, api, resource, system, domain, group, user, location, schedule, \
     escalationpolicy, deploytarget, heartbeat, module, template, scorecard)"
)]
pub struct UnknownKind(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_in_any_case_and_unknown_ones_are_refused() {
        for kind in EntityKind::BACKSTAGE.into_iter().chain(EntityKind::PAVED).chain(EntityKind::SCAFFOLDER) {
            assert_eq!(kind.as_str().parse::<EntityKind>(), Ok(kind));
            assert_eq!(kind.descriptor_name().parse::<EntityKind>(), Ok(kind));
        }
        assert!("AiResource".parse::<EntityKind>().unwrap_err().to_string().contains("`AiResource` is not a kind"));
    }
}
