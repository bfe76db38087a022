//! All-time counts of what the data holds, for counters (Prometheus's
//! `_total`): every deployment by service, environment, outcome and whether
//! an owner made it; every incident by service; every page by service and
//! whether it reached its person after hours. Counted from the stored data,
//! so every replica serving the same database says the same, and a count
//! never goes down while nothing is deleted.

use std::collections::BTreeMap;

use crate::{Analysis, CultureConfig};

/// Whether a deployment was made by an owner of its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ByOwner {
    /// By a person of the owning team.
    Yes,
    /// By a known person of another team.
    No,
    /// By nobody pavedroad knows (automation, an unresolved identity).
    Unknown,
}

impl ByOwner {
    /// As a label value: `true`, `false`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "true",
            Self::No => "false",
            Self::Unknown => "unknown",
        }
    }
}

/// The counts, keyed by service (an index into the dataset's services).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Deployments by service, environment, outcome and maker.
    pub deployments: BTreeMap<(usize, Box<str>, &'static str, ByOwner), u64>,
    /// Incidents by service and whether they are resolved.
    pub incidents: BTreeMap<(usize, bool), u64>,
    /// Pages by service and whether they came after hours in the paged
    /// person's time zone (a page to nobody known counts as not).
    pub pages: BTreeMap<(usize, bool), u64>,
}

impl Analysis {
    /// Every deployment, incident and page of the data, counted.
    pub fn totals(&self, config: &CultureConfig) -> Totals {
        let dataset = self.dataset();
        let mut totals = Totals::default();
        for deployment in &dataset.deployments {
            let service = &dataset.services[deployment.service];
            let by_owner = match service.owned_by(deployment.actor.as_ref()) {
                Some(true) => ByOwner::Yes,
                Some(false) => ByOwner::No,
                None => ByOwner::Unknown,
            };
            let key = (deployment.service, deployment.environment.clone(), deployment.status.as_str(), by_owner);
            *totals.deployments.entry(key).or_default() += 1;
        }
        for incident in &dataset.incidents {
            *totals.incidents.entry((incident.service, incident.resolved_at.is_some())).or_default() += 1;
            for page in &incident.pages {
                let zone = page.person.as_ref().and_then(|p| dataset.people.get(p)).map(|p| p.timezone);
                let night = zone.is_some_and(|zone| config.is_after_hours(page.at, zone));
                *totals.pages.entry((incident.service, night)).or_default() += 1;
            }
        }
        totals
    }
}
