//! How a person is reached when paged (DESIGN §7 "On call"): their contact
//! methods.
//!
//! A User lists them in the `paved.dev/contacts` annotation, a list of
//! `kind:value` items separated by commas or line breaks:
//!
//! ```yaml
//! metadata:
//!   annotations:
//!     paved.dev/contacts: >-
//!       email:ana@example.com,
//!       slack:https://hooks.slack.com/services/T000/B000/XXXX,
//!       webhook:https://pager.example.com/paved
//! ```
//!
//! - `email:ADDRESS`: an e-mail over the configured SMTP server;
//! - `slack:URL`: a Slack-compatible incoming webhook (Slack, Mattermost,
//!   Rocket.Chat);
//! - `webhook:URL`: a generic webhook receiving pavedroad's signed JSON.
//!
//! URLs are `http` or `https`; a comma inside one is written `%2C`. The kind
//! is case-insensitive. Without the annotation, a User's `spec.profile.email`
//! is their one contact; with it, the annotation is the whole list.
//!
//! A webhook URL often holds its secret in its path (Slack's do), so a
//! contact shows itself redacted (`Display`, `Debug`: scheme, host and
//! port only); [`Contact::to_annotation`] gives it in full, for the one
//! place that sends to it and for storage.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The annotation of a User that lists their contact methods.
pub const CONTACTS_ANNOTATION: &str = "paved.dev/contacts";

/// An e-mail address a message can be delivered to: `local@domain.tld`,
/// kept as written (trimmed). The local part has no whitespace, control
/// character or any of `<>()[],;:"\`; the domain is dot-separated labels of
/// letters, digits and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address.
    ///
    /// # Errors
    /// [`ContactError::Email`] when it is not `local@domain.tld`.
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let address = input.trim();
        let bad = || ContactError::Email(address.to_owned());
        let (local, domain) = address.split_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"\\@".contains(c));
        let domain_ok = domain.contains('.')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'));
        if local_ok && domain_ok { Ok(Self(address.to_owned())) } else { Err(bad()) }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An absolute `http` or `https` URL with a host, in `url`'s normalised
/// form. Its `Debug` and [`HttpUrl::redacted`] show only scheme, host and
/// port: the path and query of a webhook URL are often its secret.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// Parses a URL.
    ///
    /// # Errors
    /// [`ContactError::Url`] when it is not an absolute `http(s)` URL with
    /// a host. The error never quotes the URL's path or query.
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let input = input.trim();
        let bad = |reason: String| ContactError::Url(reason);
        if input.is_empty() {
            return Err(bad("the URL is empty".to_owned()));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("the URL contains a space or a control character".to_owned()));
        }
        let url = url::Url::parse(input).map_err(|e| bad(format!("it is not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(format!("the URL's scheme is `{}`, not http or https", url.scheme())));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("the URL has no host".to_owned()));
        }
        Ok(Self(url.to_string()))
    }

    /// The whole URL, secret path and all: only for sending to it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with its user, path and query replaced by `…`:
    /// `https://hooks.slack.com/…`. Safe to log and show.
    pub fn redacted(&self) -> String {
        // The URL parsed when this value was made.
        let Ok(url) = url::Url::parse(&self.0) else { return "…".to_owned() };
        let host = url.host_str().unwrap_or_default();
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let hidden = url.path() != "/" || url.query().is_some() || !url.username().is_empty();
        format!("{}://{host}{port}/{}", url.scheme(), if hidden { "…" } else { "" })
    }
}

impl fmt::Debug for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpUrl({})", self.redacted())
    }
}

/// One way to reach a person.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Contact {
    /// An e-mail, sent over the configured SMTP server (`email:ADDRESS`).
    Email(EmailAddress),
    /// A Slack-compatible incoming webhook (`slack:URL`): Slack, Mattermost,
    /// Rocket.Chat.
    Slack {
        /// The incoming webhook's URL (its path is its secret).
        url: HttpUrl,
    },
    /// A generic webhook receiving pavedroad's signed JSON (`webhook:URL`).
    Webhook {
        /// Where the JSON is posted.
        url: HttpUrl,
    },
}

impl Contact {
    /// Parses one item of `paved.dev/contacts`: `email:ADDRESS`,
    /// `slack:URL` or `webhook:URL` (the kind case-insensitive).
    ///
    /// # Errors
    /// [`ContactError`] saying what is wrong; [`ContactError::hint`] says
    /// how to write it.
    pub fn parse(item: &str) -> Result<Self, ContactError> {
        let item = item.trim();
        if item.is_empty() {
            return Err(ContactError::Empty);
        }
        let Some((kind, value)) = item.split_once(':') else {
            return Err(ContactError::NoKind(shown(item)));
        };
        match kind.trim().to_ascii_lowercase().as_str() {
            "email" => Ok(Self::Email(EmailAddress::parse(value)?)),
            "slack" => Ok(Self::Slack { url: HttpUrl::parse(value)? }),
            "webhook" => Ok(Self::Webhook { url: HttpUrl::parse(value)? }),
            // `https://...` without a kind.
            "http" | "https" => Err(ContactError::NoKind(shown(item))),
            other => Err(ContactError::UnknownKind(other.to_owned())),
        }
    }

    /// The kind: `email`, `slack` or `webhook`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::Slack { .. } => "slack",
            Self::Webhook { .. } => "webhook",
        }
    }

    /// The contact as the annotation writes it, in full (a webhook's secret
    /// path included): for storage and sending, never for a log.
    pub fn to_annotation(&self) -> String {
        match self {
            Self::Email(address) => format!("email:{address}"),
            Self::Slack { url } | Self::Webhook { url } => format!("{}:{}", self.kind(), url.as_str()),
        }
    }

    /// The contact with a webhook URL's user, path and query hidden
    /// (`slack:https://hooks.slack.com/…`); an e-mail address in full.
    pub fn redacted(&self) -> String {
        match self {
            Self::Email(address) => format!("email:{address}"),
            Self::Slack { url } | Self::Webhook { url } => format!("{}:{}", self.kind(), url.redacted()),
        }
    }
}

/// An item as an error message may quote it: an item that looks like a URL
/// shows only up to its host.
fn shown(item: &str) -> String {
    match HttpUrl::parse(item) {
        Ok(url) => url.redacted(),
        Err(_) if item.contains("://") => "a URL".to_owned(),
        Err(_) => format!("`{item}`"),
    }
}

/// Shows [`Contact::redacted`].
impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Contact({})", self.redacted())
    }
}

impl FromStr for Contact {
    type Err = ContactError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Contact {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_annotation())
    }
}

impl<'de> Deserialize<'de> for Contact {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why an item is not a contact. Messages never quote a URL's path or
/// query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// The item is blank.
    #[error("a contact is empty")]
    Empty,
    /// The item has no `kind:` prefix.
    #[error("{0} does not say its kind")]
    NoKind(String),
    /// The prefix is not a kind pavedroad sends to.
    #[error("`{0}` is not a kind of contact pavedroad knows")]
    UnknownKind(String),
    /// An `email:` item that is not an address.
    #[error("`{0}` is not an e-mail address")]
    Email(String),
    /// A `slack:` or `webhook:` item whose URL is not an http(s) URL.
    #[error("{0}")]
    Url(String),
}

impl ContactError {
    /// How to write the contact instead, for messages shown to people.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Email(_) => "write an address like `email:ana@example.com`",
            Self::Url(_) => {
                "write an http(s) URL, e.g. `slack:https://hooks.slack.com/services/...` or `webhook:https://pager.example.com/paved`"
            }
            Self::Empty | Self::NoKind(_) | Self::UnknownKind(_) => {
                "write contacts as `email:ADDRESS`, `slack:URL` or `webhook:URL`, separated by commas"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_parses_and_round_trips() {
        for (text, kind) in [
            ("email:ana@example.com", "email"),
            ("EMAIL: Ana.Lopez+pager@Example.com ", "email"),
            ("slack:https://hooks.slack.com/services/T000/B000/XXXX", "slack"),
            ("webhook:http://127.0.0.1:8080/hook?x=1", "webhook"),
        ] {
            let contact = Contact::parse(text).unwrap();
            assert_eq!(contact.kind(), kind);
            assert_eq!(Contact::parse(&contact.to_annotation()).unwrap(), contact, "{text}");
            let json = serde_json::to_string(&contact).unwrap();
            assert_eq!(serde_json::from_str::<Contact>(&json).unwrap(), contact);
        }
        assert_eq!(
            Contact::parse("email: Ana.Lopez+pager@Example.com").unwrap().to_annotation(),
            "email:Ana.Lopez+pager@Example.com",
            "addresses are kept as written"
        );
    }

    #[test]
    fn webhook_secrets_stay_out_of_what_is_shown() {
        let slack = Contact::parse("slack:https://hooks.slack.com/services/T000/B000/SECRET").unwrap();
        assert_eq!(slack.to_string(), "slack:https://hooks.slack.com/…");
        assert!(!format!("{slack:?}").contains("SECRET"));
        let with_user = Contact::parse("webhook:https://user:pw@pager.example.com:8443/").unwrap();
        assert_eq!(with_user.to_string(), "webhook:https://pager.example.com:8443/…");
        let bare = Contact::parse("webhook:https://pager.example.com").unwrap();
        assert_eq!(bare.to_string(), "webhook:https://pager.example.com/");
        let err = Contact::parse("https://hooks.slack.com/services/T000/B000/SECRET").unwrap_err();
        assert!(matches!(err, ContactError::NoKind(_)));
        assert!(!err.to_string().contains("SECRET"), "{err}");
        let err = Contact::parse("slack:ftp://hooks.slack.com/SECRET").unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }

    #[test]
    fn bad_contacts_say_what_is_wrong() {
        for bad in [
            "",
            "ana@example.com",
            "pager:+4912345",
            "email:ana",
            "email:ana@example",
            "email:<ana@example.com>",
            "email:ana lopez@example.com",
            "email:ana@exa_mple.com",
            "slack:hooks.slack.com/services/x",
            "slack:mailto:ana@example.com",
            "webhook:https://",
            "webhook:https://exa mple.com/",
            "webhook:",
        ] {
            let err = Contact::parse(bad).unwrap_err();
            assert!(!err.hint().is_empty(), "{bad}: {err}");
        }
        assert_eq!(
            Contact::parse("pager:1").unwrap_err().to_string(),
            "`pager` is not a kind of contact pavedroad knows"
        );
        assert_eq!(Contact::parse("email:ana").unwrap_err().to_string(), "`ana` is not an e-mail address");
        assert_eq!(
            Contact::parse("slack:ftp://x.example/").unwrap_err().to_string(),
            "the URL's scheme is `ftp`, not http or https"
        );
    }
}
