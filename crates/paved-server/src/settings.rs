//! What the server needs from pavedroad's configuration: how to derive
//! records, the secrets webhooks are verified with, and how people sign in
//! to the web UI.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use axum::http::HeaderName;
use ipnet::IpNet;
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
    /// How people sign in to the web UI.
    pub web: WebAuth,
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
            web: WebAuth::default(),
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

/// How people sign in to the web UI: with a personal token (a session
/// cookie), or through an authenticating proxy that names them in a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAuth {
    /// The header an authenticating proxy names the person in (e.g.
    /// `X-Forwarded-Email`), matched to a catalog User's e-mails or logins;
    /// `None`: no proxy signs people in.
    pub proxy_header: Option<HeaderName>,
    /// The addresses the proxy connects from. Its header, and
    /// `X-Forwarded-Proto` / `X-Forwarded-Host`, are believed only from
    /// these; from anyone else they are ignored.
    pub proxy_trusted: Vec<IpNet>,
    /// Whether every page asks who is reading it (redirects to the sign-in
    /// page); the API, webhooks, health checks and `/metrics` are not pages.
    pub require_sign_in: bool,
    /// How long a session lasts (never beyond its token's expiry).
    pub session_lifetime: chrono::Duration,
    /// Where people reach pavedroad, when it is not the address it serves
    /// on (behind a proxy); `https://...` makes every cookie `Secure`.
    pub public_url: Option<PublicUrl>,
}

impl Default for WebAuth {
    /// No proxy, pages open, 12-hour sessions.
    fn default() -> Self {
        Self {
            proxy_header: None,
            proxy_trusted: Vec::new(),
            require_sign_in: false,
            session_lifetime: paved_app::sessions::DEFAULT_SESSION_LIFETIME,
            public_url: None,
        }
    }
}

impl WebAuth {
    /// Whether `peer` is one of [`Self::proxy_trusted`] (an IPv4 address
    /// written as IPv6, `::ffff:10.0.0.1`, counts as the IPv4 one).
    pub fn trusts(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.proxy_trusted.iter().any(|net| net.contains(&peer))
    }
}

/// Reads the proxy addresses of [`WebAuth::proxy_trusted`]: CIDRs
/// (`10.0.0.0/8`, `fd00::/8`) or single addresses (`127.0.0.1`).
///
/// # Errors
/// A sentence naming the first value that is neither, and what to write.
pub fn parse_trusted_proxies(values: &[String]) -> Result<Vec<IpNet>, String> {
    values
        .iter()
        .map(|value| {
            let text = value.trim();
            text.parse::<IpNet>().or_else(|_| text.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                format!(
                    "auth_proxy_trusted: `{value}` is not an address or a CIDR; write e.g. 10.0.0.0/8, 127.0.0.1 or \
                     fd00::/8"
                )
            })
        })
        .collect()
}

/// Reads [`WebAuth::proxy_header`].
///
/// # Errors
/// A sentence naming the value when it is not a header name.
pub fn parse_proxy_header(value: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(value.trim().as_bytes()).map_err(|_| {
        format!("auth_proxy_header: `{value}` is not a header name; write e.g. X-Forwarded-Email or X-Forwarded-User")
    })
}

/// Where people reach pavedroad: a URL's scheme and authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    origin: String,
    https: bool,
}

impl PublicUrl {
    /// Reads `http://HOST[:PORT][/PATH]` or `https://...`.
    ///
    /// # Errors
    /// A sentence naming the value when it is not an http(s) URL with a host.
    pub fn parse(value: &str) -> Result<Self, String> {
        let text = value.trim();
        let refuse = || format!("public_url: `{value}` is not an http(s) URL; write e.g. https://paved.example.com");
        let (scheme, rest) = text.split_once("://").ok_or_else(refuse)?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(refuse()),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() || authority.contains('@') || authority.chars().any(|c| c.is_whitespace()) {
            return Err(refuse());
        }
        Ok(Self { origin: format!("{}://{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase()), https })
    }

    /// The origin a browser sends from its pages: `https://paved.example.com`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether people reach pavedroad over https.
    pub fn is_https(&self) -> bool {
        self.https
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_cidrs_or_addresses() {
        let nets = parse_trusted_proxies(&["10.0.0.0/8".into(), " 127.0.0.1 ".into(), "fd00::/8".into()]).unwrap();
        let web = WebAuth { proxy_trusted: nets, ..WebAuth::default() };
        assert!(web.trusts("10.1.2.3".parse().unwrap()));
        assert!(web.trusts("127.0.0.1".parse().unwrap()));
        assert!(web.trusts("::ffff:127.0.0.1".parse().unwrap()), "IPv4 written as IPv6");
        assert!(web.trusts("fd00::1".parse().unwrap()));
        assert!(!web.trusts("127.0.0.2".parse().unwrap()));
        assert!(!web.trusts("192.168.1.1".parse().unwrap()));
        let error = parse_trusted_proxies(&["10.0.0.0/8".into(), "10.0.0.0/33".into()]).unwrap_err();
        assert!(error.contains("`10.0.0.0/33`") && error.contains("auth_proxy_trusted"), "{error}");
        assert!(parse_trusted_proxies(&["proxy.internal".into()]).is_err());
    }

    #[test]
    fn public_urls_keep_their_origin() {
        let url = PublicUrl::parse("https://Paved.Example.com/ui/").unwrap();
        assert_eq!((url.origin(), url.is_https()), ("https://paved.example.com", true));
        let url = PublicUrl::parse("http://127.0.0.1:7700").unwrap();
        assert_eq!((url.origin(), url.is_https()), ("http://127.0.0.1:7700", false));
        for bad in ["paved.example.com", "ftp://x", "https://", "https://u:p@host"] {
            let error = PublicUrl::parse(bad).unwrap_err();
            assert!(error.contains("public_url") && error.contains(bad), "{error}");
        }
    }

    #[test]
    fn proxy_headers_are_header_names() {
        assert_eq!(parse_proxy_header("X-Forwarded-Email").unwrap().as_str(), "x-forwarded-email");
        assert!(parse_proxy_header("X Forwarded").unwrap_err().contains("`X Forwarded`"));
    }
}
