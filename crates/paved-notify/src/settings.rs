//! What the senders need from the configuration: the SMTP server and
//! sender address (`smtp_url`/`PAVED_SMTP_URL`, `smtp_from`), the secret
//! generic webhooks are signed with, and the timeout. The binary reads the
//! values; this module parses them and says what is wrong.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Mailbox;
use percent_encoding::percent_decode_str;

/// A secret from the configuration. Its `Debug` hides it, so it never
/// reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`; `None` for an empty or blank one (an empty key signs
    /// nothing worth verifying).
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

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// None: `smtp://HOST[:PORT]` (port 25). For a relay on the same host
    /// or network only: everything, credentials included, travels in the
    /// clear.
    None,
    /// STARTTLS, required: `smtp://HOST[:PORT]?tls=starttls` (port 587).
    /// A server that does not offer it is an error, never a fallback to
    /// plain text.
    StartTls,
    /// TLS from the first byte: `smtps://HOST[:PORT]` (port 465).
    Implicit,
}

/// The SMTP server e-mails go through (or the directory they are written
/// to), and who they come from. Its `Debug` shows the server without the
/// password.
#[derive(Clone)]
pub struct SmtpSettings {
    pub(crate) server: MailServer,
    pub(crate) from: Mailbox,
}

/// Where e-mails go.
#[derive(Clone)]
pub(crate) enum MailServer {
    /// An SMTP server.
    Smtp { host: String, port: u16, tls: SmtpTls, credentials: Option<(String, Secret)> },
    /// A directory each e-mail is written to as `<id>.eml` (`file:///DIR`):
    /// for a demo or a trial without a mail server.
    Directory(PathBuf),
}

/// Why a setting cannot be used. Messages name the setting, show its value
/// without a password, and give an example.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// `smtp_url` is wrong.
    #[error(
        "smtp_url `{url}` {problem}; write e.g. smtp://127.0.0.1:2525, smtp://HOST:587?tls=starttls or smtps://USER:PASSWORD@HOST"
    )]
    SmtpUrl {
        /// The value, its password replaced by `***`.
        url: String,
        /// What is wrong with it.
        problem: String,
    },
    /// `smtp_from` is not an address.
    #[error("smtp_from `{from}` is not an e-mail address ({problem}); write e.g. `pavedroad <paved@example.com>`")]
    SmtpFrom {
        /// The value.
        from: String,
        /// What the parser said.
        problem: String,
    },
    /// The senders cannot be set up (TLS, HTTP client).
    #[error("cannot set up the senders: {problem}")]
    Client {
        /// What failed.
        problem: String,
    },
    /// `smtp_url` is set without `smtp_from`.
    #[error("smtp_url is set but smtp_from is not; write the sender, e.g. `pavedroad <paved@example.com>`")]
    NoSmtpFrom,
}

impl SmtpSettings {
    /// Parses `smtp_url` and `smtp_from`.
    ///
    /// `url` is `smtp://[USER:PASSWORD@]HOST[:PORT][?tls=starttls]` or
    /// `smtps://[USER:PASSWORD@]HOST[:PORT]`; user and password are
    /// percent-decoded. `file:///DIR` writes each e-mail to the existing
    /// directory `DIR` as `<id>.eml` instead of sending it. `tls=required` (lettre's spelling) means
    /// `starttls`; `tls=none` is the default of `smtp://`. `from` is an
    /// address, with or without a name: `pavedroad <paved@example.com>`.
    ///
    /// # Errors
    /// [`SettingsError::SmtpUrl`] or [`SettingsError::SmtpFrom`], saying
    /// what is wrong.
    pub fn parse(url: &str, from: &str) -> Result<Self, SettingsError> {
        let shown = redact_userinfo(url.trim());
        let bad = |problem: String| SettingsError::SmtpUrl { url: shown.clone(), problem };
        let parsed = url::Url::parse(url.trim()).map_err(|e| bad(format!("is not a URL: {e}")))?;
        let mut tls = match parsed.scheme() {
            "smtp" => SmtpTls::None,
            "smtps" => SmtpTls::Implicit,
            "file" => {
                let directory = parsed.to_file_path().map_err(|()| bad("is not a local directory".to_owned()))?;
                if !directory.is_dir() {
                    return Err(bad("names a directory that does not exist".to_owned()));
                }
                return Ok(Self { server: MailServer::Directory(directory), from: parse_from(from)? });
            }
            other => return Err(bad(format!("has the scheme `{other}`, not smtp, smtps or file"))),
        };
        let host = match parsed.host_str() {
            Some(host) if !host.is_empty() => host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            _ => return Err(bad("names no host".to_owned())),
        };
        if !matches!(parsed.path(), "" | "/") {
            return Err(bad(format!("has a path (`{}`), which means nothing here", parsed.path())));
        }
        for (name, value) in parsed.query_pairs() {
            match (name.as_ref(), value.as_ref(), tls) {
                ("tls", "none", SmtpTls::None) => {}
                ("tls", "starttls" | "required", SmtpTls::None) => tls = SmtpTls::StartTls,
                ("tls", "none" | "starttls" | "required", _) => {
                    return Err(bad("asks for STARTTLS on smtps://, which is TLS from the start".to_owned()));
                }
                ("tls", "opportunistic", _) => {
                    return Err(bad(
                        "asks for opportunistic STARTTLS, which an attacker can turn off; use tls=starttls".to_owned(),
                    ));
                }
                ("tls", other, _) => return Err(bad(format!("has tls=`{other}`, not none or starttls"))),
                (other, _, _) => return Err(bad(format!("has the parameter `{other}`; only tls= is known"))),
            }
        }
        let port = parsed.port().unwrap_or(match tls {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Implicit => 465,
        });
        let decode = |text: &str| percent_decode_str(text).decode_utf8().map(|t| t.into_owned());
        let credentials = match (parsed.username(), parsed.password()) {
            ("", None) => None,
            ("", Some(_)) => return Err(bad("has a password but no user".to_owned())),
            (_, None) => return Err(bad("has a user but no password".to_owned())),
            (user, Some(password)) => {
                let user = decode(user).map_err(|_| bad("has a user that is not UTF-8".to_owned()))?;
                let password = decode(password).map_err(|_| bad("has a password that is not UTF-8".to_owned()))?;
                let password = Secret::new(password).ok_or_else(|| bad("has an empty password".to_owned()))?;
                Some((user, password))
            }
        };
        Ok(Self { server: MailServer::Smtp { host, port, tls, credentials }, from: parse_from(from)? })
    }

    /// The SMTP server's host; `None` when e-mails are written to a
    /// directory.
    pub fn host(&self) -> Option<&str> {
        match &self.server {
            MailServer::Smtp { host, .. } => Some(host),
            MailServer::Directory(_) => None,
        }
    }

    /// The SMTP server's port.
    pub fn port(&self) -> Option<u16> {
        match &self.server {
            MailServer::Smtp { port, .. } => Some(*port),
            MailServer::Directory(_) => None,
        }
    }

    /// How the connection to the SMTP server is protected.
    pub fn tls(&self) -> Option<SmtpTls> {
        match &self.server {
            MailServer::Smtp { tls, .. } => Some(*tls),
            MailServer::Directory(_) => None,
        }
    }

    /// The user e-mails are sent as, if the server wants one.
    pub fn user(&self) -> Option<&str> {
        match &self.server {
            MailServer::Smtp { credentials, .. } => credentials.as_ref().map(|(user, _)| user.as_str()),
            MailServer::Directory(_) => None,
        }
    }

    /// The directory e-mails are written to (`file:///DIR`), if they are
    /// not sent.
    pub fn directory(&self) -> Option<&Path> {
        match &self.server {
            MailServer::Smtp { .. } => None,
            MailServer::Directory(directory) => Some(directory),
        }
    }

    /// The sender, as `smtp_from` says.
    pub fn from(&self) -> String {
        self.from.to_string()
    }
}

/// Parses `smtp_from`.
fn parse_from(from: &str) -> Result<Mailbox, SettingsError> {
    let from = from.trim();
    if from.is_empty() {
        return Err(SettingsError::NoSmtpFrom);
    }
    from.parse().map_err(|e: lettre::address::AddressError| SettingsError::SmtpFrom {
        from: from.to_owned(),
        problem: e.to_string(),
    })
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("SmtpSettings");
        match &self.server {
            MailServer::Smtp { host, port, tls, credentials } => debug
                .field("host", host)
                .field("port", port)
                .field("tls", tls)
                .field("user", &self.user())
                .field("password", &credentials.as_ref().map(|_| "***")),
            MailServer::Directory(directory) => debug.field("directory", directory),
        };
        debug.field("from", &self.from.to_string()).finish()
    }
}

/// `url` with the password of its user info (or, when it does not parse,
/// everything between `://` and the last `@` of its authority) as `***`.
fn redact_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_owned() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return url.to_owned() };
    let user = rest[..at].split(':').next().unwrap_or_default();
    let shown_user = if rest[..at].contains(':') { format!("{user}:***") } else { "***".to_owned() };
    format!("{}://{shown_user}@{}", &url[..scheme_end], &rest[at + 1..])
}

/// Everything the [`crate::Notifier`] needs.
#[derive(Debug, Clone)]
pub struct NotifierSettings {
    /// The SMTP server, if e-mail is configured (`smtp_url`, `smtp_from`);
    /// without it an e-mail contact fails, permanently, saying so.
    pub smtp: Option<SmtpSettings>,
    /// The key generic webhooks are signed with (`X-Paved-Signature-256`);
    /// without it a generic webhook contact fails, permanently: an unsigned
    /// page is one a receiver cannot tell from a forged one.
    pub webhook_secret: Option<Secret>,
    /// How long one delivery may take, connecting included.
    pub timeout: Duration,
}

impl NotifierSettings {
    /// The timeout when the configuration does not say: ten seconds.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
}

impl Default for NotifierSettings {
    fn default() -> Self {
        Self { smtp: None, webhook_secret: None, timeout: Self::DEFAULT_TIMEOUT }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: &str = "pavedroad <paved@example.com>";

    #[test]
    fn the_three_ways_to_reach_a_server() {
        let plain = SmtpSettings::parse("smtp://127.0.0.1:2525", FROM).unwrap();
        assert_eq!(
            (plain.host(), plain.port(), plain.tls(), plain.user()),
            (Some("127.0.0.1"), Some(2525), Some(SmtpTls::None), None)
        );
        let starttls = SmtpSettings::parse("smtp://mail.example.com?tls=starttls", FROM).unwrap();
        assert_eq!((starttls.port(), starttls.tls()), (Some(587), Some(SmtpTls::StartTls)));
        let required = SmtpSettings::parse("smtp://mail.example.com?tls=required", FROM).unwrap();
        assert_eq!(required.tls(), Some(SmtpTls::StartTls));
        let implicit = SmtpSettings::parse("smtps://pager%40example.com:p%3Ass@mail.example.com", FROM).unwrap();
        assert_eq!((implicit.port(), implicit.tls()), (Some(465), Some(SmtpTls::Implicit)));
        assert_eq!(implicit.user(), Some("pager@example.com"));
        let MailServer::Smtp { credentials, .. } = &implicit.server else { panic!("an SMTP server") };
        assert_eq!(credentials.as_ref().unwrap().1.expose(), b"p:ss");
        assert_eq!(SmtpSettings::parse("smtp://mail.example.com", FROM).unwrap().port(), Some(25));
        assert_eq!(SmtpSettings::parse("smtp://[::1]:2525", FROM).unwrap().host(), Some("::1"));
        assert_eq!(implicit.from(), "pavedroad <paved@example.com>");
    }

    #[test]
    fn a_file_url_writes_to_an_existing_directory() {
        let directory = tempfile::tempdir().unwrap();
        let url = url::Url::from_directory_path(directory.path()).unwrap();
        let settings = SmtpSettings::parse(url.as_str(), FROM).unwrap();
        assert_eq!(settings.directory(), Some(directory.path()));
        assert_eq!(settings.host(), None);
        let missing = url.join("missing/").unwrap();
        let err = SmtpSettings::parse(missing.as_str(), FROM).unwrap_err().to_string();
        assert!(err.contains("names a directory that does not exist"), "{err}");
        let err = SmtpSettings::parse(url.as_str(), "").unwrap_err();
        assert_eq!(err, SettingsError::NoSmtpFrom);
    }

    #[test]
    fn passwords_stay_out_of_debug_and_errors() {
        let settings = SmtpSettings::parse("smtps://ana:hunter2@mail.example.com", FROM).unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2") && debug.contains("***"), "{debug}");
        let err = SmtpSettings::parse("http://ana:hunter2@mail.example.com", FROM).unwrap_err().to_string();
        assert!(!err.contains("hunter2") && err.contains("http://ana:***@mail.example.com"), "{err}");
        let err = SmtpSettings::parse("smtp://ana:hunter2@mail example.com", FROM).unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(format!("{:?}", Secret::new("hunter2").unwrap()) == "Secret(***)");
    }

    #[test]
    fn bad_settings_say_what_to_write() {
        let err = SmtpSettings::parse("127.0.0.1:2525", FROM).unwrap_err().to_string();
        assert!(err.starts_with("smtp_url `127.0.0.1:2525` "), "{err}");
        assert!(
            err.ends_with(
                "write e.g. smtp://127.0.0.1:2525, smtp://HOST:587?tls=starttls or smtps://USER:PASSWORD@HOST"
            )
        );
        for (url, problem) in [
            ("mail.example.com", "is not a URL"),
            ("http://mail.example.com", "has the scheme `http`, not smtp, smtps or file"),
            ("smtp://mail.example.com?tls=opportunistic", "opportunistic"),
            ("smtp://mail.example.com?tls=yes", "tls=`yes`"),
            ("smtps://mail.example.com?tls=starttls", "TLS from the start"),
            ("smtp://mail.example.com?ssl=1", "the parameter `ssl`"),
            ("smtp://mail.example.com/ehlo", "has a path"),
            ("smtp://ana@mail.example.com", "no password"),
        ] {
            let err = SmtpSettings::parse(url, FROM).unwrap_err().to_string();
            assert!(err.contains(problem), "{url}: {err}");
        }
        let err = SmtpSettings::parse("smtp://127.0.0.1", "paved").unwrap_err().to_string();
        assert!(err.starts_with("smtp_from `paved` is not an e-mail address"), "{err}");
        assert_eq!(SmtpSettings::parse("smtp://127.0.0.1", " ").unwrap_err(), SettingsError::NoSmtpFrom);
    }
}
