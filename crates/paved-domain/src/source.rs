//! The sources pavedroad takes raw events from, one enum instead of their
//! names spelled out wherever they are used.

use std::fmt;
use std::str::FromStr;

/// Where a raw event came from, as stored in `raw_events.source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// GitHub webhooks (`/hooks/github`).
    GitHub,
    /// GitLab webhooks (`/hooks/gitlab`).
    GitLab,
    /// Prometheus Alertmanager webhooks (`/hooks/alertmanager`).
    Alertmanager,
    /// PagerDuty webhooks v3 (`/hooks/pagerduty`).
    PagerDuty,
    /// The PagerDuty Events API v2 compatible receiver (`/v2/enqueue`).
    EventsV2,
    /// pavedroad's own API and CLI (`/api/v1/deployments`,
    /// `/api/v1/incidents`, `paved deploy record`, `paved incident ...`).
    Api,
    /// pavedroad's own deploys (`paved deploy`, the Deploy form): deploys
    /// that ran through the paved road.
    Paved,
}

impl Source {
    /// Every source, in the order they are listed to people.
    pub const ALL: [Self; 7] =
        [Self::GitHub, Self::GitLab, Self::Alertmanager, Self::PagerDuty, Self::EventsV2, Self::Api, Self::Paved];

    /// The name stored and shown: `github`, `gitlab`, `alertmanager`,
    /// `pagerduty`, `events`, `api` or `paved`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
            Self::Alertmanager => "alertmanager",
            Self::PagerDuty => "pagerduty",
            Self::EventsV2 => "events",
            Self::Api => "api",
            Self::Paved => "paved",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A source by its stored name (exactly, lower-case).
impl FromStr for Source {
    type Err = UnknownSource;

    fn from_str(name: &str) -> Result<Self, UnknownSource> {
        Self::ALL.into_iter().find(|source| source.as_str() == name).ok_or_else(|| UnknownSource(name.to_owned()))
    }
}

/// A name that is not one of pavedroad's sources.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a source pavedroad takes events from (github, gitlab, alertmanager, pagerduty, events, api, paved)"
)]
pub struct UnknownSource(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_unknown_names_are_refused() {
        for source in Source::ALL {
            assert_eq!(source.as_str().parse::<Source>(), Ok(source));
        }
        assert_eq!("events".parse::<Source>(), Ok(Source::EventsV2));
        let error = "GitHub".parse::<Source>().unwrap_err();
        assert!(error.to_string().contains("`GitHub` is not a source"), "{error}");
    }
}
