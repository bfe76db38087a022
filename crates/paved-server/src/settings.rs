//! What the server needs from pavedroad's configuration: how to derive
//! records, the secrets webhooks are verified with, the organisation's
//! deploy policy, how to answer GitHub, and how people sign in to the web
//! UI.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use axum::http::HeaderName;
use ipnet::IpNet;
use paved_ingest::IngestSettings;
use reqwest::Url;

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

    /// The secret as text (for a header).
    pub fn expose_text(&self) -> &str {
        &self.0
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
    /// How many API writes and sign-in attempts a minute ([`crate::limits`]).
    pub rate_limits: crate::limits::RateLimits,
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
    /// The organisation's deploy policy: what a DeployTarget's own policy
    /// leaves out (`[deploy_policy]`).
    pub deploy_policy: paved_domain::Policy,
    /// How GitHub's REST API is called (answers to custom deployment
    /// protection rules).
    pub github_api: GitHubApi,
    /// How the organisation pages (the default escalation policy, leases).
    pub paging: paved_app::paging::PagingSettings,
    /// How pages are sent (SMTP, the generic webhooks' signing secret).
    pub notify: paved_notify::NotifierSettings,
    /// The key of pages' acknowledge and resolve links (`link_key`);
    /// `None`: a random key kept in the database.
    pub link_key: Option<paved_notify::Secret>,
    /// The key secrets are sealed with in the store (`secret_key`).
    pub secret_key: Option<paved_app::secrets::SecretKey>,
    /// The servers Modules provision on (`[provision.servers.NAME]`).
    pub provision: paved_app::provision::ProvisionSettings,
    /// Where golden paths publish (`[scaffold]`).
    pub scaffold: paved_app::scaffold::ScaffoldSettings,
    /// The CI issuers whose ID tokens deploy and record deployments.
    pub ci_identity: paved_app::ci_identity::CiIdentitySettings,
}

/// How pavedroad calls GitHub's REST API: where it is, and the token it
/// sends. Used to answer custom deployment protection rules; without a
/// token they are stored but not answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubApi {
    base_url: Url,
    token: Option<Secret>,
    /// How long to wait before each retry of an answer that failed with a
    /// 5xx or no answer at all (default 2 s, then 10 s); a 4xx is not
    /// retried.
    pub retry_delays: Vec<Duration>,
}

/// A GitHub API base URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the GitHub API URL `{url}` {problem}; write https://api.github.com, or https://HOST/api/v3 for GitHub \
     Enterprise Server (PAVED_GITHUB_API_URL, github_api_url)"
)]
pub struct InvalidApiUrl {
    /// The URL as given.
    pub url: String,
    /// What is wrong with it.
    pub problem: String,
}

impl GitHubApi {
    /// GitHub.com's REST API.
    pub const DEFAULT_URL: &str = "https://api.github.com";

    /// The API at `base_url` (`https://api.github.com`, or
    /// `https://HOST/api/v3`), called with `token` (a GitHub App
    /// installation token or a personal access token).
    ///
    /// # Errors
    /// [`InvalidApiUrl`] for a URL that does not parse, is not `http(s)`,
    /// or carries credentials, a query or a fragment.
    pub fn new(base_url: &str, token: Option<Secret>) -> Result<Self, InvalidApiUrl> {
        let invalid = |problem: &str| InvalidApiUrl { url: base_url.to_owned(), problem: problem.to_owned() };
        let url = Url::parse(base_url.trim()).map_err(|error| invalid(&format!("is not a URL ({error})")))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(invalid("is not an http(s) URL with a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("carries credentials; give the token as PAVED_GITHUB_TOKEN instead"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("has a query or a fragment"));
        }
        Ok(Self { base_url: url, token, retry_delays: vec![Duration::from_secs(2), Duration::from_secs(10)] })
    }

    /// The API's base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The token, when one is configured.
    pub fn token(&self) -> Option<&Secret> {
        self.token.as_ref()
    }

    /// `url` parsed, when it is on the configured API (same scheme, host
    /// and port, under its path): the only URLs the token is sent to,
    /// whatever a payload says.
    ///
    /// # Errors
    /// Why it is not, in a sentence for the log.
    pub fn callback_url(&self, url: &str) -> Result<Url, String> {
        let parsed = Url::parse(url).map_err(|error| format!("`{url}` is not a URL ({error})"))?;
        let base_path = self.base_url.path().trim_end_matches('/');
        let under_base = parsed.path() == base_path || parsed.path().starts_with(&format!("{base_path}/"));
        let credentials = !parsed.username().is_empty() || parsed.password().is_some();
        if parsed.origin() != self.base_url.origin() || !under_base || credentials {
            return Err(format!(
                "`{url}` is not on the configured GitHub API {} (PAVED_GITHUB_API_URL)",
                self.base_url.as_str().trim_end_matches('/')
            ));
        }
        Ok(parsed)
    }
}

impl Default for GitHubApi {
    /// GitHub.com, without a token.
    fn default() -> Self {
        match Self::new(Self::DEFAULT_URL, None) {
            Ok(api) => api,
            Err(error) => unreachable!("the default GitHub API URL parses: {error}"),
        }
    }
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
            deploy_policy: paved_domain::Policy::default(),
            github_api: GitHubApi::default(),
            paging: paved_app::paging::PagingSettings::default(),
            notify: paved_notify::NotifierSettings::default(),
            link_key: None,
            secret_key: None,
            provision: paved_app::provision::ProvisionSettings::default(),
            scaffold: paved_app::scaffold::ScaffoldSettings::default(),
            ci_identity: paved_app::ci_identity::CiIdentitySettings::default(),
            rate_limits: crate::limits::RateLimits::default(),
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
    fn the_token_goes_only_to_the_configured_api() {
        let api = GitHubApi::default();
        let callback = "https://api.github.com/repos/acme/shop/actions/runs/1/deployment_protection_rule";
        assert_eq!(api.callback_url(callback).unwrap().as_str(), callback);
        for elsewhere in [
            "https://evil.example/repos/acme/shop/actions/runs/1/deployment_protection_rule",
            "http://api.github.com/repos/acme/shop/actions/runs/1/deployment_protection_rule",
            "https://api.github.com:8443/repos/acme/shop/actions/runs/1/deployment_protection_rule",
            "https://api.github.com.evil.example/repos/x",
            "https://user:pass@api.github.com/repos/x",
            "not a url",
        ] {
            assert!(api.callback_url(elsewhere).is_err(), "{elsewhere}");
        }
        let enterprise = GitHubApi::new("https://ghe.acme.example/api/v3/", None).unwrap();
        assert!(enterprise.callback_url("https://ghe.acme.example/api/v3/repos/a/b/actions/runs/1/x").is_ok());
        assert!(enterprise.callback_url("https://ghe.acme.example/api/v3evil/repos/a").is_err());
        assert!(enterprise.callback_url("https://ghe.acme.example/other/repos/a").is_err());
    }

    #[test]
    fn a_bad_api_url_says_how_to_write_one() {
        for (url, problem) in [
            ("api.github.com", "is not a URL"),
            ("ftp://api.github.com", "http(s)"),
            ("https://x:y@api.github.com", "credentials"),
            ("https://api.github.com/?a=b", "query"),
        ] {
            let error = GitHubApi::new(url, None).unwrap_err().to_string();
            assert!(error.contains(problem) && error.contains("PAVED_GITHUB_API_URL"), "{url}: {error}");
        }
    }

    #[test]
    fn proxy_headers_are_header_names() {
        assert_eq!(parse_proxy_header("X-Forwarded-Email").unwrap().as_str(), "x-forwarded-email");
        assert!(parse_proxy_header("X Forwarded").unwrap_err().contains("`X Forwarded`"));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let api = GitHubApi::new(GitHubApi::DEFAULT_URL, Secret::new("ghs_s3cret")).unwrap();
        assert!(!format!("{api:?}").contains("s3cret"));
        assert_eq!(api.token().map(Secret::expose_text), Some("ghs_s3cret"));
    }
}
