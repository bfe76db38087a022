//! What the server needs from pavedroad's configuration: how to derive
//! records, and the secrets webhooks are verified with.

use std::fmt;
use std::time::Duration;

use paved_ingest::IngestSettings;

/// A secret from the configuration. Its `Debug` shows only whether it is
/// set, so it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`; `None` for an empty or blank one (an empty secret
    /// would verify anything signed with the empty key).
    pub fn new(value: impl Into<String>) -> Option<Self> {
        let value = value.into();
        if value.trim().is_empty() { None } else { Some(Self(value)) }
    }

    /// The secret's bytes.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A webhook source that can be verified by a configured secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookSource {
    /// `/hooks/github`, `X-Hub-Signature-256`.
    GitHub,
    /// `/hooks/gitlab`, `X-Gitlab-Token`.
    GitLab,
    /// `/hooks/pagerduty`, `X-PagerDuty-Signature`.
    PagerDuty,
}

impl HookSource {
    /// The source's name, as `--open-hook` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
            Self::PagerDuty => "pagerduty",
        }
    }

    /// The environment variable that holds its secret.
    pub fn secret_variable(self) -> &'static str {
        match self {
            Self::GitHub => "PAVED_GITHUB_WEBHOOK_SECRET",
            Self::GitLab => "PAVED_GITLAB_WEBHOOK_TOKEN",
            Self::PagerDuty => "PAVED_PAGERDUTY_WEBHOOK_SECRET",
        }
    }
}

/// How each webhook source is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookAuth {
    /// By this secret.
    Secret(Secret),
    /// Not at all: opened explicitly (`--open-hook`), for trying pavedroad
    /// out on a private network. Deliveries are still stored and marked.
    Open,
    /// Refused: no secret is configured and the source was not opened.
    Refused,
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// How raw events become records.
    pub ingest: IngestSettings,
    /// GitHub's webhook secret.
    pub github: HookAuth,
    /// GitLab's webhook token.
    pub gitlab: HookAuth,
    /// PagerDuty's v3 webhook secret.
    pub pagerduty: HookAuth,
    /// How long clients may take, and how long shutdown waits for them.
    pub timeouts: Timeouts,
}

/// How long a client may take to send a request, and how long requests in
/// flight may take to finish once shutdown begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To send a request's headers (default 10 s); slower connections are
    /// closed.
    pub header_read: Duration,
    /// To send a whole body (default 30 s); slower ones get 408.
    pub body_read: Duration,
    /// For requests in flight once shutdown begins (default 10 s); then the
    /// connections still open are dropped.
    pub shutdown_grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl Default for ServerSettings {
    /// Default ingestion; every webhook source refused until configured.
    fn default() -> Self {
        Self {
            ingest: IngestSettings::default(),
            github: HookAuth::Refused,
            gitlab: HookAuth::Refused,
            pagerduty: HookAuth::Refused,
            timeouts: Timeouts::default(),
        }
    }
}

impl ServerSettings {
    /// How `source` is verified.
    pub fn hook_auth(&self, source: HookSource) -> &HookAuth {
        match source {
            HookSource::GitHub => &self.github,
            HookSource::GitLab => &self.gitlab,
            HookSource::PagerDuty => &self.pagerduty,
        }
    }
}
