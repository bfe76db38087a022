//! Who did something, as a source names them (DESIGN §3 "Identity"): a git
//! email, a GitHub or GitLab login, a PagerDuty user. Identities resolve to
//! catalog Users; those that do not are listed, never dropped.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The namespace an identity's value lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentityKind {
    /// An e-mail address (git author or committer, a CLI `--actor`).
    Email,
    /// A GitHub login.
    GitHub,
    /// A GitLab username.
    GitLab,
    /// A PagerDuty user id (e.g. `PXPGF42`).
    PagerDuty,
    /// A login whose provider is not known (`paved deploy record --actor
    /// dana`): it matches GitHub and GitLab logins and User names.
    Login,
    /// A catalog User named directly (`user:default/dana`).
    User,
}

impl IdentityKind {
    /// The prefix of the identity's text form, e.g. `github`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
            Self::PagerDuty => "pagerduty",
            Self::Login => "login",
            Self::User => "user",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Self> {
        Some(match prefix {
            "email" => Self::Email,
            "github" => Self::GitHub,
            "gitlab" => Self::GitLab,
            "pagerduty" => Self::PagerDuty,
            "login" => Self::Login,
            "user" => Self::User,
            _ => return None,
        })
    }
}

/// One identity: a kind and a value, written `github:octocat`,
/// `email:dana@acme.example`, `pagerduty:PXPGF42`, `user:default/dana`.
///
/// Values compare case-insensitively for e-mails and logins (GitHub and
/// GitLab logins are case-insensitive), so they are kept lower-cased;
/// PagerDuty ids are case-sensitive and kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    kind: IdentityKind,
    value: String,
}

/// Why a text is not an identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The value is empty or blank.
    #[error("the {0} is empty")]
    Empty(&'static str),
    /// The text has no known `kind:` prefix.
    #[error(
        "`{0}` is not an identity; write `email:ADDRESS`, `github:LOGIN`, `gitlab:LOGIN`, `pagerduty:ID`, `login:NAME` or `user:NAMESPACE/NAME`"
    )]
    NoKind(String),
    /// The value holds a control character.
    #[error("`{0}` holds a control character")]
    Control(String),
}

impl Identity {
    /// An identity of `kind`; the value is trimmed, and lower-cased unless it
    /// is a PagerDuty id.
    ///
    /// # Errors
    /// [`IdentityError::Empty`] for a blank value, [`IdentityError::Control`]
    /// for one with a control character (a NUL, a line break).
    pub fn new(kind: IdentityKind, value: &str) -> Result<Self, IdentityError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(IdentityError::Empty(kind.as_str()));
        }
        if value.chars().any(char::is_control) {
            return Err(IdentityError::Control(value.to_owned()));
        }
        let value = match kind {
            IdentityKind::PagerDuty => value.to_owned(),
            _ => value.to_lowercase(),
        };
        Ok(Self { kind, value })
    }

    /// An e-mail identity.
    ///
    /// # Errors
    /// As [`Identity::new`].
    pub fn email(address: &str) -> Result<Self, IdentityError> {
        Self::new(IdentityKind::Email, address)
    }

    /// A GitHub login.
    ///
    /// # Errors
    /// As [`Identity::new`].
    pub fn github(login: &str) -> Result<Self, IdentityError> {
        Self::new(IdentityKind::GitHub, login)
    }

    /// A GitLab username.
    ///
    /// # Errors
    /// As [`Identity::new`].
    pub fn gitlab(login: &str) -> Result<Self, IdentityError> {
        Self::new(IdentityKind::GitLab, login)
    }

    /// A PagerDuty user id.
    ///
    /// # Errors
    /// As [`Identity::new`].
    pub fn pagerduty(id: &str) -> Result<Self, IdentityError> {
        Self::new(IdentityKind::PagerDuty, id)
    }

    /// What a person typed to name someone (`--actor`, `--by`): an e-mail
    /// when it has an `@`, a catalog User when it is written
    /// `user:NAME` or `user:NAMESPACE/NAME`, an identity when it has another
    /// known prefix (`github:octocat`), else a login of any provider.
    ///
    /// # Errors
    /// As [`Identity::new`].
    pub fn from_person(text: &str) -> Result<Self, IdentityError> {
        let text = text.trim();
        if let Some((prefix, value)) = text.split_once(':')
            && let Some(kind) = IdentityKind::from_prefix(&prefix.to_ascii_lowercase())
        {
            let value = if kind == IdentityKind::User && !value.contains('/') {
                format!("{}/{value}", crate::DEFAULT_NAMESPACE)
            } else {
                value.to_owned()
            };
            return Self::new(kind, &value);
        }
        if text.contains('@') {
            return Self::email(text);
        }
        Self::new(IdentityKind::Login, text)
    }

    /// The kind.
    pub fn kind(&self) -> IdentityKind {
        self.kind
    }

    /// The value (lower-cased but for PagerDuty ids).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// True for automation by its name alone: a login ending in `[bot]`
    /// (GitHub Apps) or `-bot`/`_bot` (GitLab's project and group bots), or
    /// one of `extra` (configured names, compared case-insensitively with
    /// the value).
    pub fn looks_automated(&self, extra: &[String]) -> bool {
        let value = self.value.as_str();
        let login = matches!(self.kind, IdentityKind::GitHub | IdentityKind::GitLab | IdentityKind::Login);
        (login && (value.ends_with("[bot]") || value.ends_with("-bot") || value.ends_with("_bot")))
            || extra.iter().any(|name| name.eq_ignore_ascii_case(value))
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.value)
    }
}

impl FromStr for Identity {
    type Err = IdentityError;

    /// Parses the text form `kind:value`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (prefix, value) = text.split_once(':').ok_or_else(|| IdentityError::NoKind(text.to_owned()))?;
        let kind = IdentityKind::from_prefix(prefix).ok_or_else(|| IdentityError::NoKind(text.to_owned()))?;
        Self::new(kind, value)
    }
}

impl Serialize for Identity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Identity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_folds_case() {
        let id: Identity = "github:OctoCat".parse().unwrap();
        assert_eq!(id.to_string(), "github:octocat");
        assert_eq!(id.to_string().parse::<Identity>().unwrap(), id);
        let pd: Identity = "pagerduty:PXPGF42".parse().unwrap();
        assert_eq!(pd.value(), "PXPGF42", "PagerDuty ids are case-sensitive");
        assert!(matches!("octocat".parse::<Identity>(), Err(IdentityError::NoKind(_))));
        assert!(matches!("github: ".parse::<Identity>(), Err(IdentityError::Empty("github"))));
        assert!(matches!(Identity::github("a\nb"), Err(IdentityError::Control(_))));
    }

    #[test]
    fn people_are_read_as_emails_users_or_logins() {
        assert_eq!(Identity::from_person("Dana@Acme.example").unwrap().to_string(), "email:dana@acme.example");
        assert_eq!(Identity::from_person("user:dana").unwrap().to_string(), "user:default/dana");
        assert_eq!(Identity::from_person("user:ops/dana").unwrap().to_string(), "user:ops/dana");
        assert_eq!(Identity::from_person("gitlab:dana").unwrap().to_string(), "gitlab:dana");
        assert_eq!(Identity::from_person(" dana ").unwrap().to_string(), "login:dana");
        assert!(Identity::from_person("  ").is_err());
    }

    #[test]
    fn bots_are_recognised_by_name() {
        let extra = vec!["Jenkins".to_owned()];
        assert!(Identity::github("github-actions[bot]").unwrap().looks_automated(&[]));
        assert!(Identity::gitlab("project_12_bot").unwrap().looks_automated(&[]));
        assert!(Identity::new(IdentityKind::Login, "jenkins").unwrap().looks_automated(&extra));
        assert!(!Identity::github("robot-dana").unwrap().looks_automated(&extra));
        assert!(!Identity::email("bot@acme.example").unwrap().looks_automated(&[]));
    }
}
