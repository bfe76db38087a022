//! Configuration in layers: defaults < config file (`--config`, or
//! `PAVED_CONFIG`) < `PAVED_*` environment variables < command-line flags.

use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::exit::BadInput;

/// Where the embedded database lives when nothing else is configured: a file
/// in the working directory, created on first use.
pub const DEFAULT_DATABASE: &str = "paved.db";
/// The address `paved serve` listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7700";
/// How long a web session lasts by default (the application's
/// [`paved_app::sessions::DEFAULT_SESSION_LIFETIME`], as configured).
pub const DEFAULT_SESSION_LIFETIME: &str = "12h";

/// The whole configuration of `paved`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `postgres://...`, `sqlite://PATH` or a SQLite file path.
    pub database_url: String,
    /// Address of `paved serve`; port 0 picks a free port.
    pub listen: String,
    /// Log filter (`tracing` env-filter syntax), e.g. `info` or
    /// `paved_server=debug,info`. Empty: `info` for `serve`, `warn` otherwise.
    pub log: String,
    /// Catalog paths `paved serve` imports at start.
    pub catalog: Vec<PathBuf>,
    /// The secret GitHub signs webhooks with (empty: GitHub webhooks are
    /// refused unless opened).
    pub github_webhook_secret: String,
    /// The token GitLab sends with webhooks.
    pub gitlab_webhook_token: String,
    /// The secret PagerDuty signs v3 webhooks with.
    pub pagerduty_webhook_secret: String,
    /// The token pavedroad sends to GitHub's REST API to answer custom
    /// deployment protection rules (a GitHub App installation token or a
    /// personal access token); empty: they are stored, not answered.
    pub github_token: String,
    /// GitHub's REST API (`https://HOST/api/v3` for GitHub Enterprise
    /// Server); answers go only to URLs on it.
    pub github_api_url: String,
    /// Webhook sources accepted without verification (`github`, `gitlab`,
    /// `pagerduty`).
    pub open_hooks: Vec<String>,
    /// The label that makes a GitHub issue an incident.
    pub incident_label: String,
    /// The Alertmanager label that names the service.
    pub alert_service_label: String,
    /// Logins and names of automation besides `*[bot]`.
    pub automation: Vec<String>,
    /// Environment names that are production when a service lists none.
    pub production_environments: Vec<String>,
    /// The pavedroad server the CLI records to (`--server`); empty: the
    /// local database.
    pub server: String,
    /// The API token the CLI sends to `server` (`--token`).
    pub token: String,
    /// The header an authenticating proxy names the signed-in person in
    /// (e.g. `X-Forwarded-Email`); empty: no proxy signs people in.
    pub auth_proxy_header: String,
    /// The addresses (CIDRs or single addresses) the authenticating proxy
    /// connects from; its headers are ignored from anyone else.
    pub auth_proxy_trusted: Vec<String>,
    /// Whether reading the web UI's pages needs signing in.
    pub require_sign_in: bool,
    /// How long a web session lasts (`12h`, `7d`), never beyond the
    /// expiry of the token it was started with.
    pub session_lifetime: String,
    /// Where people reach pavedroad (`https://paved.example.com`) when it
    /// is behind a proxy; empty: the address it serves on.
    pub public_url: String,
    /// API writes a token (or an address without one) may make per minute
    /// on one replica; 0: no limit.
    pub rate_limit_writes: u32,
    /// Sign-in attempts an address may make per minute; 0: no limit.
    pub rate_limit_sign_ins: u32,
    /// The EscalationPolicy (a name or reference) that pages for incidents
    /// whose service and team name none, and for alerts whose service the
    /// catalog does not know; empty: the service's schedule, then its team.
    pub default_escalation_policy: String,
    /// Where e-mail pages are sent from: `smtp://HOST:PORT`,
    /// `smtp://HOST:PORT?tls=starttls` or `smtps://HOST:PORT`, with
    /// `USER:PASSWORD@` when the server wants them; empty: no e-mail.
    pub smtp_url: String,
    /// The sender of e-mail pages (`pavedroad <paved@example.com>`).
    pub smtp_from: String,
    /// The key that signs the acknowledge and resolve links of pages;
    /// every replica needs the same. Empty: a random key kept in the
    /// database.
    pub link_key: String,
    /// The secret generic webhook pages are signed with
    /// (`X-Paved-Signature-256`); receivers verify with it. Empty: generic
    /// webhook contacts are not paged.
    pub webhook_signing_secret: String,
    /// The key secrets are sealed with in the database (contacts people
    /// add, generated credentials): 32 random bytes as 64 hex digits or
    /// base64. Empty: nothing secret is kept.
    pub secret_key: String,
    /// The organisation's deploy policy: what a DeployTarget's own
    /// `policy` leaves out (same fields).
    #[serde(default)]
    pub deploy_policy: DeployPolicyConfig,
    /// `[provision.servers.NAME]`: the servers Modules provision on.
    #[serde(default)]
    pub provision: ProvisionConfig,
    /// `[scaffold]`: where golden paths publish new repositories.
    #[serde(default)]
    pub scaffold: ScaffoldConfig,
    /// `[[ci_identity]]`: the CI issuers whose OIDC ID tokens deploy and
    /// record deployments without a stored secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ci_identity: Vec<CiIdentityConfig>,
}

/// True for a plain-http URL on this machine (`127.0.0.1`, `[::1]`,
/// `localhost`), where nobody is on the way.
fn is_loopback_http(url: &str) -> bool {
    url.strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .map(|authority| authority.rsplit_once(':').map_or(authority, |(host, _)| host))
        .is_some_and(|host| matches!(host, "127.0.0.1" | "[::1]" | "localhost"))
}

/// One `[[ci_identity]]`: a CI whose ID tokens pavedroad trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CiIdentityConfig {
    /// `github` (GitHub Actions) or `gitlab` (GitLab CI).
    pub provider: String,
    /// The tokens' exact `iss`: `https://token.actions.githubusercontent.com`,
    /// `https://gitlab.com` or your GitLab's URL.
    pub issuer: String,
    /// The `aud` values accepted (what the job asks its token for).
    pub audiences: Vec<String>,
    /// Where the issuer's signing keys are; empty: its OpenID discovery
    /// document says.
    pub jwks_url: String,
    /// A file holding the issuer's keys (a JWKS), for installations that
    /// cannot reach the issuer.
    pub jwks_file: String,
}

/// `[scaffold]`: where `paved new` makes repositories.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScaffoldConfig {
    /// A directory of bare repositories (`/srv/git`) or a git URL prefix
    /// (`git@git.acme.example:acme`): a new service's repository is
    /// `<repositories>/<name>.git`.
    pub repositories: String,
}

/// `[provision]`: the servers self-service provisioning acts on, with
/// their admin connections (never in a descriptor).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvisionConfig {
    /// By the name a Module's `spec.server` gives.
    pub servers: std::collections::BTreeMap<String, ProvisionServerConfig>,
    /// How long a request may run before another replica (or this one,
    /// restarted) takes it over and finishes it: `30s`, `2m` (default).
    pub lease: Option<String>,
}

/// One `[provision.servers.NAME]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionServerConfig {
    /// `postgres://ADMIN:PASSWORD@HOST:PORT/DB` or `redis://...`.
    pub url: String,
}

impl std::fmt::Debug for ProvisionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (name, server) in &self.servers {
            map.entry(name, &paved_store::redact_url(&server.url));
        }
        if let Some(lease) = &self.lease {
            map.entry(&"lease", lease);
        }
        map.finish()
    }
}

/// `[deploy_policy]`: the defaults of every DeployTarget's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeployPolicyConfig {
    /// The commit's CI must have passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks_passed: Option<bool>,
    /// An open incident of this severity or worse blocks (`SEV-2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_on_open_incident: Option<String>,
    /// Who may deploy besides the owners (Users and Groups).
    pub allow: Vec<String>,
    /// When nobody deploys: `{ days = ["fri"], from = "15:00", to = "23:59", timezone = "Europe/Berlin" }`.
    pub deny_windows: Vec<DenyWindowConfig>,
}

/// One deny window of `[deploy_policy]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenyWindowConfig {
    /// Weekdays (`mon` ... `sun`).
    pub days: Vec<String>,
    /// From, local time (`15:00`).
    pub from: String,
    /// To, local time, inclusive to the minute.
    pub to: String,
    /// An IANA time zone; default UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        let ingest = paved_ingest::IngestSettings::default();
        Self {
            database_url: DEFAULT_DATABASE.to_owned(),
            listen: DEFAULT_LISTEN.to_owned(),
            log: String::new(),
            catalog: Vec::new(),
            github_webhook_secret: String::new(),
            gitlab_webhook_token: String::new(),
            pagerduty_webhook_secret: String::new(),
            github_token: String::new(),
            github_api_url: paved_server::GitHubApi::DEFAULT_URL.to_owned(),
            open_hooks: Vec::new(),
            incident_label: ingest.incident_label,
            alert_service_label: ingest.alert_service_label,
            automation: ingest.automation,
            production_environments: ingest.production_environments,
            server: String::new(),
            token: String::new(),
            auth_proxy_header: String::new(),
            auth_proxy_trusted: Vec::new(),
            require_sign_in: false,
            session_lifetime: DEFAULT_SESSION_LIFETIME.to_owned(),
            public_url: String::new(),
            rate_limit_writes: paved_server::RateLimits::default().writes_per_minute,
            rate_limit_sign_ins: paved_server::RateLimits::default().sign_ins_per_minute,
            default_escalation_policy: String::new(),
            smtp_url: String::new(),
            smtp_from: "pavedroad <paved@localhost>".to_owned(),
            link_key: String::new(),
            webhook_signing_secret: String::new(),
            secret_key: String::new(),
            deploy_policy: DeployPolicyConfig::default(),
            provision: ProvisionConfig::default(),
            scaffold: ScaffoldConfig::default(),
            ci_identity: Vec::new(),
        }
    }
}

/// `set` or `unset`, for a secret in a log.
fn shown(secret: &str) -> &'static str {
    if secret.is_empty() { "unset" } else { "***" }
}

impl std::fmt::Debug for Config {
    /// Redacts the database password: configuration is logged.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &paved_store::redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("log", &self.log)
            .field("catalog", &self.catalog)
            .field("github_webhook_secret", &shown(&self.github_webhook_secret))
            .field("gitlab_webhook_token", &shown(&self.gitlab_webhook_token))
            .field("pagerduty_webhook_secret", &shown(&self.pagerduty_webhook_secret))
            .field("github_token", &shown(&self.github_token))
            .field("github_api_url", &self.github_api_url)
            .field("open_hooks", &self.open_hooks)
            .field("incident_label", &self.incident_label)
            .field("alert_service_label", &self.alert_service_label)
            .field("automation", &self.automation)
            .field("production_environments", &self.production_environments)
            .field("server", &self.server)
            .field("token", &shown(&self.token))
            .field("auth_proxy_header", &self.auth_proxy_header)
            .field("auth_proxy_trusted", &self.auth_proxy_trusted)
            .field("require_sign_in", &self.require_sign_in)
            .field("session_lifetime", &self.session_lifetime)
            .field("public_url", &self.public_url)
            .field("rate_limit_writes", &self.rate_limit_writes)
            .field("rate_limit_sign_ins", &self.rate_limit_sign_ins)
            .field("default_escalation_policy", &self.default_escalation_policy)
            .field("smtp_url", &shown(&self.smtp_url))
            .field("smtp_from", &self.smtp_from)
            .field("link_key", &shown(&self.link_key))
            .field("webhook_signing_secret", &shown(&self.webhook_signing_secret))
            .field("secret_key", &shown(&self.secret_key))
            .field("deploy_policy", &self.deploy_policy)
            .field("provision", &self.provision)
            .field("scaffold", &self.scaffold)
            .field("ci_identity", &self.ci_identity)
            .finish()
    }
}

/// Values given on the command line or in `PAVED_*` variables; `None`
/// leaves the lower layers' value.
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<Vec<PathBuf>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_webhook_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gitlab_webhook_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagerduty_webhook_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_api_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_hooks: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_proxy_header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_proxy_trusted: Option<Vec<String>>,
    /// A boolean, or the text as written when it is none (then loading
    /// says that `require_sign_in` wants a boolean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_sign_in: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_lifetime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_writes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_sign_ins: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_escalation_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_signing_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
}

impl FlagOverrides {
    /// The `PAVED_*` variables, read as text exactly as written
    /// (`PAVED_LISTEN=7700` stays the string `7700`); `PAVED_CATALOG` and
    /// `PAVED_AUTH_PROXY_TRUSTED` are comma-separated lists;
    /// `PAVED_REQUIRE_SIGN_IN` is `true`/`false` (or `1`/`0`, `yes`/`no`).
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok();
        let list = |name: &str| {
            var(name).map(|list| list.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect())
        };
        Self {
            database_url: var("PAVED_DATABASE_URL"),
            listen: var("PAVED_LISTEN"),
            log: var("PAVED_LOG"),
            catalog: list("PAVED_CATALOG").map(|paths: Vec<String>| paths.into_iter().map(PathBuf::from).collect()),
            github_webhook_secret: var("PAVED_GITHUB_WEBHOOK_SECRET"),
            gitlab_webhook_token: var("PAVED_GITLAB_WEBHOOK_TOKEN"),
            pagerduty_webhook_secret: var("PAVED_PAGERDUTY_WEBHOOK_SECRET"),
            github_token: var("PAVED_GITHUB_TOKEN"),
            github_api_url: var("PAVED_GITHUB_API_URL"),
            open_hooks: list("PAVED_OPEN_HOOKS"),
            server: var("PAVED_SERVER"),
            token: var("PAVED_TOKEN"),
            auth_proxy_header: var("PAVED_AUTH_PROXY_HEADER"),
            auth_proxy_trusted: list("PAVED_AUTH_PROXY_TRUSTED"),
            require_sign_in: var("PAVED_REQUIRE_SIGN_IN").map(|text| match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => serde_json::Value::Bool(true),
                "false" | "0" | "no" | "off" | "" => serde_json::Value::Bool(false),
                _ => serde_json::Value::String(text),
            }),
            session_lifetime: var("PAVED_SESSION_LIFETIME"),
            public_url: var("PAVED_PUBLIC_URL"),
            rate_limit_writes: var("PAVED_RATE_LIMIT_WRITES").and_then(|text| text.trim().parse().ok()),
            rate_limit_sign_ins: var("PAVED_RATE_LIMIT_SIGN_INS").and_then(|text| text.trim().parse().ok()),
            default_escalation_policy: var("PAVED_DEFAULT_ESCALATION_POLICY"),
            smtp_url: var("PAVED_SMTP_URL"),
            smtp_from: var("PAVED_SMTP_FROM"),
            link_key: var("PAVED_LINK_KEY"),
            webhook_signing_secret: var("PAVED_WEBHOOK_SIGNING_SECRET"),
            secret_key: var("PAVED_SECRET_KEY"),
        }
    }
}

impl Config {
    /// Loads the layers. `file` is the `--config` path (or `PAVED_CONFIG`);
    /// a named file that does not exist is an error.
    ///
    /// # Errors
    /// [`BadInput`] when the file is missing or malformed, or a value has the
    /// wrong type.
    pub fn load(file: Option<&Path>, flags: FlagOverrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(BadInput(format!(
                    "config file {} does not exist; write one with `paved config default > {}`",
                    file.display(),
                    file.display()
                ))
                .into());
            }
            check_toml_syntax(file)?;
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Serialized::globals(FlagOverrides::from_env())).merge(Serialized::globals(flags));
        figment
            .extract::<Config>()
            .map_err(|error| BadInput(format!("invalid configuration: {error}")))
            .context("loading the configuration")
    }
}

/// Reports a TOML syntax error by line and column only: the offending line
/// may hold a database password, so it is not quoted.
fn check_toml_syntax(file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| BadInput(format!("cannot read config file {}: {error}", file.display())))?;
    let Err(error) = text.parse::<toml::Table>() else { return Ok(()) };
    let offset = error.span().map_or(0, |span| span.start);
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Err(BadInput(format!("{}:{line}:{column}: invalid TOML: {}", file.display(), error.message().trim())).into())
}

/// The commented sample printed by `paved config default`.
pub fn sample() -> String {
    format!(
        r#"# paved configuration (TOML). Pass it with `--config FILE` or PAVED_CONFIG=FILE.
# Every key is optional. Precedence: defaults < this file < PAVED_* environment
# variables (e.g. PAVED_DATABASE_URL) < command-line flags (e.g. --database-url).

# The database. A SQLite file path (created on first use, WAL mode, fully
# synchronous) or a PostgreSQL URL such as postgres://paved@db.internal/paved.
# Env: PAVED_DATABASE_URL. Flag: --database-url.
database_url = "{DEFAULT_DATABASE}"

# Where `paved serve` listens. Port 0 picks a free port (the log says which).
# Env: PAVED_LISTEN. Flag: paved serve --listen.
listen = "{DEFAULT_LISTEN}"

# Log filter in tracing's env-filter syntax, e.g. "debug" or
# "paved_server=debug,info". Empty means `info` for `serve`, `warn` otherwise.
# Env: PAVED_LOG. Flag: --log.
log = ""

# Catalog paths (files or directories of Backstage descriptors) that
# `paved serve` imports when it starts.
# Env: PAVED_CATALOG (comma-separated). Flag: paved serve --catalog.
catalog = []

# Webhook secrets. A source without one is refused (403) unless opened below.
# Prefer the environment variables: a secret in a file is easier to leak.
# Env: PAVED_GITHUB_WEBHOOK_SECRET, PAVED_GITLAB_WEBHOOK_TOKEN,
# PAVED_PAGERDUTY_WEBHOOK_SECRET.
github_webhook_secret = ""
gitlab_webhook_token = ""
pagerduty_webhook_secret = ""

# GitHub's custom deployment protection rules: a GitHub App subscribed to
# `deployment_protection_rule` sends its webhooks to /hooks/github (signed
# with github_webhook_secret), and pavedroad answers each with the deploy
# policy by calling GitHub's API with this token (a GitHub App installation
# token or a personal access token that may write deployments). Empty: the
# events are stored but not answered. Answers go only to URLs on
# github_api_url (https://HOST/api/v3 for GitHub Enterprise Server).
# Env: PAVED_GITHUB_TOKEN, PAVED_GITHUB_API_URL.
github_token = ""
github_api_url = "{github_api_url}"

# Sources accepted WITHOUT verifying who sent them ("github", "gitlab",
# "pagerduty"): only for trying pavedroad out on a private network.
# Env: PAVED_OPEN_HOOKS (comma-separated). Flag: paved serve --open-hook.
open_hooks = []

# The label that makes a GitHub issue an incident.
incident_label = "incident"

# The Alertmanager label that names the service an alert is about (then
# app_kubernetes_io_name, app, component, job, namespace are tried).
alert_service_label = "service"

# Logins and names of automation besides *[bot] (e.g. a Jenkins account):
# their deployments are resolved to the human behind them.
automation = []

# Environment names that are production when a service does not list its own
# (paved.dev/production-environments) and the source does not say.
production_environments = ["production", "prod", "prd", "live"]

# The pavedroad server `paved deploy record` and `paved incident` send to,
# and the API token they send (create one with `paved token create`). Empty:
# they write to the local database.
# Env: PAVED_SERVER, PAVED_TOKEN. Flags: --server, --token.
server = ""
token = ""

# Signing in to the web UI. People sign in on /sign-in with a personal token
# (`paved token create --user NAME`) and get a session cookie that lasts
# session_lifetime (e.g. 12h, 7d; never beyond the token's expiry).
# Env: PAVED_SESSION_LIFETIME.
session_lifetime = "{DEFAULT_SESSION_LIFETIME}"

# Behind an authenticating proxy (oauth2-proxy, Pomerium, an ingress with
# OIDC), the header the proxy names the person in, matched to a catalog
# User's e-mails or logins, e.g. "X-Forwarded-Email"; and the addresses the
# proxy connects from (CIDRs or addresses). The header is believed only from
# those; from anyone else it is ignored. Empty header: no proxy signs people in.
# Env: PAVED_AUTH_PROXY_HEADER, PAVED_AUTH_PROXY_TRUSTED (comma-separated).
auth_proxy_header = ""
auth_proxy_trusted = []

# When true, every page of the web UI asks who is reading it (redirects to
# /sign-in). The API, webhooks, /healthz, /readyz and /metrics are not pages.
# Env: PAVED_REQUIRE_SIGN_IN (true or false).
require_sign_in = false

# Where people reach pavedroad when it is behind a proxy, e.g.
# "https://paved.example.com": forms posted from there are accepted, and an
# https URL makes every cookie Secure. Empty: the address it serves on.
# Env: PAVED_PUBLIC_URL.
public_url = ""

# Abuse limits, per minute, on each replica: API writes per token (or per
# address without one), and sign-in attempts per address; past them a request
# answers 429 with Retry-After. 0 turns a limit off. Webhooks are not limited
# (providers do not retry a 429); their bodies are bounded per source.
# Env: PAVED_RATE_LIMIT_WRITES, PAVED_RATE_LIMIT_SIGN_INS.
rate_limit_writes = 600
rate_limit_sign_ins = 10

# Paging. The EscalationPolicy for services (and their teams) that name none,
# and for alerts whose service the catalog does not know; empty: the
# service's on-call schedule, then its whole team after ten minutes.
# Env: PAVED_DEFAULT_ESCALATION_POLICY.
default_escalation_policy = ""

# E-mail pages: "smtp://HOST:PORT" (plain), "smtp://HOST:PORT?tls=starttls",
# "smtps://HOST:PORT" (TLS), with "USER:PASSWORD@" before the host when the
# server asks. Empty: no e-mail is sent. Env: PAVED_SMTP_URL, PAVED_SMTP_FROM.
smtp_url = ""
smtp_from = "pavedroad <paved@localhost>"

# The key that signs pages' acknowledge and resolve links; every replica needs
# the same one. Empty: a random key kept in the database. Env: PAVED_LINK_KEY.
link_key = ""

# The secret generic webhook pages are signed with (X-Paved-Signature-256,
# HMAC-SHA256 of the body, like GitHub's); receivers check it. Empty: webhook
# contacts are not paged. Env: PAVED_WEBHOOK_SIGNING_SECRET.
webhook_signing_secret = ""

# The key secrets are sealed with in the database (XChaCha20-Poly1305): the
# contacts people add with `paved oncall contact add`. 32 random bytes, as 64
# hex digits (`openssl rand -hex 32`) or base64; every replica needs the same
# one. Empty: nothing secret is kept. Env: PAVED_SECRET_KEY.
secret_key = ""

# The organisation's deploy policy: what a DeployTarget's own `policy` leaves
# out (its values win). See `paved deploy check --help`.
# Self-service provisioning: the servers Modules (kind: Module, spec.server)
# act on, with an admin connection. The admin password stays here, never in a
# descriptor; generated credentials are sealed with secret_key.
# [provision.servers.main]
# url = "postgres://postgres@127.0.0.1:5432/postgres"
# A request a stopped replica left mid-way is finished by another (or by it,
# restarted) once its lease ends:
# [provision]
# lease = "2m"

# Golden paths (`paved new`): where new repositories are made, a directory of
# bare repositories or a git URL prefix; a service's is <repositories>/<name>.git.
# [scaffold]
# repositories = "/srv/git"

# Keyless CI: jobs deploy (paved deploy) and record deployments (paved deploy
# record) with their CI's OIDC ID token as --token, no secret stored. The token
# acts as the person who ran the job (a catalog User with the provider's
# user-login annotation), only on services of the job's repository and in the
# job's environment. jwks_url or jwks_file replace the issuer's discovery.
# [[ci_identity]]
# provider = "github"
# issuer = "https://token.actions.githubusercontent.com"
# audiences = ["paved.acme.example"]
# [[ci_identity]]
# provider = "gitlab"
# issuer = "https://gitlab.com"
# audiences = ["paved.acme.example"]

# [deploy_policy]
# checks_passed = true
# block_on_open_incident = "SEV-2"
# allow = ["group:sre"]
# deny_windows = [{{ days = ["fri"], from = "15:00", to = "23:59", timezone = "Europe/Berlin" }}]
"#,
        github_api_url = paved_server::GitHubApi::DEFAULT_URL
    )
}

impl Config {
    /// How the server derives records, verifies webhooks, decides deploys
    /// and calls GitHub.
    ///
    /// # Errors
    /// [`BadInput`] for an `open_hooks` entry that is not a webhook source,
    /// a `github_api_url` that is not an http(s) URL, or an invalid
    /// `[deploy_policy]`.
    pub fn server_settings(&self) -> anyhow::Result<paved_server::ServerSettings> {
        use paved_server::{GitHubApi, HookAuth, HookSource, Secret};
        for name in &self.open_hooks {
            if !["github", "gitlab", "pagerduty"].contains(&name.to_ascii_lowercase().as_str()) {
                return Err(BadInput(format!(
                    "--open-hook `{name}` is not a webhook source; write github, gitlab or pagerduty \
                     (Alertmanager and /v2/enqueue take API tokens)"
                ))
                .into());
            }
        }
        let auth = |source: HookSource, secret: &str| match Secret::new(secret) {
            Some(secret) => HookAuth::Secret(secret),
            None if self.open_hooks.iter().any(|name| name.eq_ignore_ascii_case(source.name())) => HookAuth::Open,
            None => HookAuth::Refused,
        };
        Ok(paved_server::ServerSettings {
            ingest: self.ingest_settings(),
            github: auth(HookSource::GitHub, &self.github_webhook_secret),
            gitlab: auth(HookSource::GitLab, &self.gitlab_webhook_token),
            pagerduty: auth(HookSource::PagerDuty, &self.pagerduty_webhook_secret),
            timeouts: paved_server::Timeouts::default(),
            deploy_policy: self.deploy_defaults()?,
            github_api: GitHubApi::new(&self.github_api_url, Secret::new(&self.github_token))
                .map_err(|error| BadInput(format!("invalid configuration: {error}")))?,
            web: self.web_auth()?,
            paging: paved_app::paging::PagingSettings {
                default_policy: Some(self.default_escalation_policy.trim().to_owned()).filter(|p| !p.is_empty()),
                ..paved_app::paging::PagingSettings::default()
            },
            notify: self.notifier_settings()?,
            link_key: paved_notify::Secret::new(&self.link_key),
            secret_key: self.secret_key()?,
            provision: self.provision_settings()?,
            scaffold: self.scaffold_settings(),
            ci_identity: self.ci_identity_settings()?,
            rate_limits: paved_server::RateLimits {
                writes_per_minute: self.rate_limit_writes,
                sign_ins_per_minute: self.rate_limit_sign_ins,
            },
        })
    }

    /// The CI issuers whose ID tokens are trusted.
    ///
    /// # Errors
    /// [`BadInput`] naming the `[[ci_identity]]` entry and its field: an
    /// unknown provider, an issuer that is not an https URL, no audience,
    /// or both a JWKS URL and file.
    pub fn ci_identity_settings(&self) -> anyhow::Result<paved_app::ci_identity::CiIdentitySettings> {
        use paved_app::ci_identity::{CiIssuer, CiProvider, KeySource};
        let mut issuers = Vec::new();
        for (index, entry) in self.ci_identity.iter().enumerate() {
            let invalid = |field: &str, why: String| {
                BadInput(format!("invalid configuration: [[ci_identity]] number {} {field}: {why}", index + 1))
            };
            let provider = CiProvider::parse(&entry.provider).map_err(|why| invalid("provider", why))?;
            let issuer = entry.issuer.trim().trim_end_matches('/').to_owned();
            if !issuer.starts_with("https://") {
                return Err(invalid(
                    "issuer",
                    format!(
                        "`{issuer}` is not an https URL; write the tokens' exact `iss`, e.g. \
                         https://token.actions.githubusercontent.com or https://gitlab.com"
                    ),
                )
                .into());
            }
            let audiences: Vec<String> =
                entry.audiences.iter().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect();
            if audiences.is_empty() {
                return Err(invalid(
                    "audiences",
                    "is empty, so any token of the issuer — for any service on the internet — would do; list the \
                     audience your jobs ask their token for, e.g. audiences = [\"paved\"]"
                        .to_owned(),
                )
                .into());
            }
            let keys = match (entry.jwks_url.trim(), entry.jwks_file.trim()) {
                ("", "") => KeySource::Discover,
                (url, "") if url.starts_with("https://") || is_loopback_http(url) => KeySource::Url(url.to_owned()),
                (url, "") => {
                    return Err(invalid(
                        "jwks_url",
                        format!(
                            "`{url}` is not an https URL; whoever could change the keys on the way could sign \
                             tokens (plain http only on this machine: http://127.0.0.1:PORT/...)"
                        ),
                    )
                    .into());
                }
                ("", file) => KeySource::File(PathBuf::from(file)),
                _ => return Err(invalid("jwks_url", "and jwks_file are both set; keep one".to_owned()).into()),
            };
            issuers.push(CiIssuer { provider, issuer, audiences, keys });
        }
        Ok(paved_app::ci_identity::CiIdentitySettings { issuers })
    }

    /// Where golden paths publish.
    pub fn scaffold_settings(&self) -> paved_app::scaffold::ScaffoldSettings {
        paved_app::scaffold::ScaffoldSettings { repositories: self.scaffold.repositories.trim().to_owned() }
    }

    /// The servers Modules provision on, and the requests' lease.
    ///
    /// # Errors
    /// [`BadInput`] for a lease that is not a span.
    pub fn provision_settings(&self) -> anyhow::Result<paved_app::provision::ProvisionSettings> {
        let lease = match self.provision.lease.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            None => paved_app::provision::LEASE,
            Some(text) => {
                let span =
                    paved_domain::parse_span(text).map_err(|error| BadInput(format!("[provision] lease: {error}")))?;
                chrono::Duration::from_std(span)
                    .map_err(|_| BadInput(format!("[provision] lease `{text}` is too long")))?
            }
        };
        Ok(paved_app::provision::ProvisionSettings {
            servers: self
                .provision
                .servers
                .iter()
                .map(|(name, server)| (name.clone(), paved_app::provision::ServerUrl(server.url.clone())))
                .collect(),
            lease,
        })
    }

    /// The key secrets are sealed with, if `secret_key` is set.
    ///
    /// # Errors
    /// [`BadInput`] for a key that is not 32 bytes in hex or base64.
    pub fn secret_key(&self) -> anyhow::Result<Option<paved_app::secrets::SecretKey>> {
        match self.secret_key.trim() {
            "" => Ok(None),
            key => Ok(Some(
                paved_app::secrets::SecretKey::parse(key)
                    .map_err(|error| BadInput(format!("invalid configuration: {error}")))?,
            )),
        }
    }

    /// How pages are sent: SMTP from `smtp_url` and `smtp_from`, and the
    /// generic webhooks' signing secret.
    ///
    /// # Errors
    /// [`BadInput`] for an `smtp_url` or `smtp_from` that cannot be used.
    pub fn notifier_settings(&self) -> anyhow::Result<paved_notify::NotifierSettings> {
        let smtp = match self.smtp_url.trim() {
            "" => None,
            url => Some(
                paved_notify::SmtpSettings::parse(url, &self.smtp_from)
                    .map_err(|error| BadInput(format!("invalid configuration: {error}")))?,
            ),
        };
        Ok(paved_notify::NotifierSettings {
            smtp,
            webhook_secret: paved_notify::Secret::new(&self.webhook_signing_secret),
            ..paved_notify::NotifierSettings::default()
        })
    }

    /// How people sign in to the web UI.
    ///
    /// # Errors
    /// [`BadInput`] naming the key and its value: a header that is no
    /// header name, a proxy address that is no CIDR, a proxy header without
    /// trusted addresses, a bad `session_lifetime` or `public_url`.
    pub fn web_auth(&self) -> anyhow::Result<paved_server::WebAuth> {
        let invalid = |message: String| BadInput(format!("invalid configuration: {message}"));
        let proxy_header = match self.auth_proxy_header.trim() {
            "" => None,
            header => Some(paved_server::parse_proxy_header(header).map_err(invalid)?),
        };
        let proxy_trusted = paved_server::parse_trusted_proxies(&self.auth_proxy_trusted).map_err(invalid)?;
        if proxy_header.is_some() && proxy_trusted.is_empty() {
            return Err(invalid(format!(
                "auth_proxy_header is `{}` but auth_proxy_trusted is empty, so the header would never be believed; \
                 list the proxy's addresses, e.g. auth_proxy_trusted = [\"10.0.0.0/8\"] \
                 (PAVED_AUTH_PROXY_TRUSTED=10.0.0.0/8)",
                self.auth_proxy_header.trim()
            ))
            .into());
        }
        let session_lifetime = paved_app::tokens::parse_lifetime(&self.session_lifetime)
            .map_err(|error| invalid(format!("session_lifetime: {error}")))?;
        let public_url = match self.public_url.trim() {
            "" => None,
            url => Some(paved_server::PublicUrl::parse(url).map_err(invalid)?),
        };
        Ok(paved_server::WebAuth {
            proxy_header,
            proxy_trusted,
            require_sign_in: self.require_sign_in,
            session_lifetime,
            public_url,
        })
    }

    /// The organisation's deploy policy, checked.
    ///
    /// # Errors
    /// [`BadInput`] naming the field of `[deploy_policy]` that is wrong.
    pub fn deploy_defaults(&self) -> anyhow::Result<paved_domain::Policy> {
        let value = serde_json::to_value(&self.deploy_policy).context("reading [deploy_policy]")?;
        paved_domain::Policy::parse_at(value, paved_domain::DEFAULT_NAMESPACE, "deploy_policy").map_err(|problems| {
            let messages: Vec<String> = problems.into_iter().map(|problem| problem.message).collect();
            BadInput(format!("invalid configuration: {}", messages.join("; "))).into()
        })
    }

    /// How raw events become records.
    pub fn ingest_settings(&self) -> paved_ingest::IngestSettings {
        paved_ingest::IngestSettings {
            incident_label: self.incident_label.clone(),
            alert_service_label: self.alert_service_label.clone(),
            automation: self.automation.clone(),
            production_environments: self.production_environments.clone(),
        }
    }
}

#[cfg(test)]
// figment's `Jail` closures return its own large error type; that is its API.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_parses_to_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("paved.toml");
        std::fs::write(&file, sample()).unwrap();
        figment::Jail::expect_with(|_| {
            assert_eq!(Config::load(Some(&file), FlagOverrides::default()).unwrap(), Config::default());
            Ok(())
        });
    }

    #[test]
    fn layers_override_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("paved.toml", "listen = \"0.0.0.0:1\"\ndatabase_url = \"from-file.db\"\nlog = \"debug\"")?;
            jail.set_env("PAVED_LISTEN", "127.0.0.1:2");
            let flags = FlagOverrides { database_url: Some("from-flag.db".into()), ..FlagOverrides::default() };
            let config = Config::load(Some(Path::new("paved.toml")), flags).unwrap();
            assert_eq!(config.log, "debug", "file beats default");
            assert_eq!(config.listen, "127.0.0.1:2", "env beats file");
            assert_eq!(config.database_url, "from-flag.db", "flag beats file");
            Ok(())
        });
    }

    #[test]
    fn environment_values_are_text_and_catalog_is_a_comma_list() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PAVED_LISTEN", "7700");
            jail.set_env("PAVED_DATABASE_URL", "1234");
            jail.set_env("PAVED_CATALOG", "examples/acme, more/catalog-info.yaml");
            let config = Config::load(None, FlagOverrides::default()).unwrap();
            assert_eq!(config.listen, "7700");
            assert_eq!(config.database_url, "1234");
            assert_eq!(config.catalog, [PathBuf::from("examples/acme"), PathBuf::from("more/catalog-info.yaml")]);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_missing_files_are_bad_input() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("paved.toml", "databse_url = \"typo.db\"")?;
            let error = Config::load(Some(Path::new("paved.toml")), FlagOverrides::default()).unwrap_err();
            assert!(error.chain().any(|c| c.is::<BadInput>()));
            assert!(format!("{error:#}").contains("databse_url"), "{error:#}");
            let error = Config::load(Some(Path::new("missing.toml")), FlagOverrides::default()).unwrap_err();
            assert!(format!("{error:#}").contains("paved config default"), "{error:#}");
            Ok(())
        });
    }

    #[test]
    fn a_syntax_error_is_located_without_quoting_the_line() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "paved.toml",
                "listen = \"127.0.0.1:1\"\ndatabase_url = \"postgres://u:s3cret@db/paved\n",
            )?;
            let error = Config::load(Some(Path::new("paved.toml")), FlagOverrides::default()).unwrap_err();
            let shown = format!("{error:#}");
            assert!(shown.contains("paved.toml:2:"), "{shown}");
            assert!(!shown.contains("s3cret"), "{shown}");
            Ok(())
        });
    }

    #[test]
    fn debug_redacts_the_database_password_and_every_secret() {
        let config = Config {
            database_url: "postgres://paved:s3cret@db/paved".into(),
            github_webhook_secret: "gh-s3cret".into(),
            gitlab_webhook_token: "gl-s3cret".into(),
            pagerduty_webhook_secret: "pd-s3cret".into(),
            token: "paved_s3cret".into(),
            github_token: "ghs_s3cret".into(),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn webhook_sources_are_refused_until_a_secret_is_set_or_they_are_opened() {
        use paved_server::{HookAuth, HookSource};
        let config =
            Config { github_webhook_secret: "s".into(), open_hooks: vec!["GitLab".into()], ..Config::default() };
        let settings = config.server_settings().unwrap();
        assert!(matches!(settings.hook_auth(HookSource::GitHub), HookAuth::Secret(_)));
        assert_eq!(settings.hook_auth(HookSource::GitLab), &HookAuth::Open);
        assert_eq!(settings.hook_auth(HookSource::PagerDuty), &HookAuth::Refused);
        let typo = Config { open_hooks: vec!["githbu".into()], ..Config::default() };
        let error = typo.server_settings().unwrap_err();
        assert!(error.chain().any(|c| c.is::<BadInput>()), "{error:#}");
    }

    #[test]
    fn sign_in_settings_come_from_the_file_and_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "paved.toml",
                "auth_proxy_header = \"X-Forwarded-Email\"\nauth_proxy_trusted = [\"10.0.0.0/8\"]\n\
                 session_lifetime = \"8h\"\npublic_url = \"https://paved.example.com\"",
            )?;
            jail.set_env("PAVED_REQUIRE_SIGN_IN", "true");
            jail.set_env("PAVED_AUTH_PROXY_TRUSTED", "127.0.0.1, 10.0.0.0/8");
            let config = Config::load(Some(Path::new("paved.toml")), FlagOverrides::default()).unwrap();
            let web = config.web_auth().unwrap();
            assert!(web.require_sign_in);
            assert_eq!(web.proxy_header.as_ref().map(ToString::to_string).as_deref(), Some("x-forwarded-email"));
            assert!(web.trusts("127.0.0.1".parse().unwrap()) && web.trusts("10.2.3.4".parse().unwrap()));
            assert!(!web.trusts("192.168.0.1".parse().unwrap()));
            assert_eq!(web.session_lifetime, chrono::Duration::hours(8));
            assert_eq!(web.public_url.map(|u| u.origin().to_owned()).as_deref(), Some("https://paved.example.com"));
            jail.set_env("PAVED_REQUIRE_SIGN_IN", "maybe");
            let error = Config::load(Some(Path::new("paved.toml")), FlagOverrides::default()).unwrap_err();
            assert!(format!("{error:#}").contains("require_sign_in"), "{error:#}");
            Ok(())
        });
    }

    #[test]
    fn bad_sign_in_settings_are_bad_input_naming_the_value() {
        let bad = [
            (Config { auth_proxy_trusted: vec!["10.0.0.0/33".into()], ..Config::default() }, "`10.0.0.0/33`"),
            (
                Config { auth_proxy_header: "X-Forwarded-Email".into(), ..Config::default() },
                "auth_proxy_trusted is empty",
            ),
            (Config { auth_proxy_header: "X Email".into(), ..Config::default() }, "`X Email`"),
            (Config { session_lifetime: "12".into(), ..Config::default() }, "session_lifetime"),
            (Config { public_url: "paved.example.com".into(), ..Config::default() }, "`paved.example.com`"),
        ];
        for (config, named) in bad {
            let error = config.server_settings().unwrap_err();
            assert!(error.chain().any(|c| c.is::<BadInput>()), "{error:#}");
            assert!(format!("{error:#}").contains(named), "{named}: {error:#}");
        }
        let web = Config::default().web_auth().unwrap();
        assert_eq!((web.require_sign_in, web.session_lifetime), (false, chrono::Duration::hours(12)));
    }

    #[test]
    fn webhook_secrets_come_from_their_environment_variables() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PAVED_GITHUB_WEBHOOK_SECRET", "from-env");
            jail.set_env("PAVED_OPEN_HOOKS", "pagerduty, gitlab");
            let config = Config::load(None, FlagOverrides::default()).unwrap();
            assert_eq!(config.github_webhook_secret, "from-env");
            assert_eq!(config.open_hooks, ["pagerduty", "gitlab"]);
            Ok(())
        });
    }

    #[test]
    fn the_github_token_and_api_url_come_from_their_environment_variables_and_reach_the_server() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PAVED_GITHUB_TOKEN", "ghs_from_env");
            jail.set_env("PAVED_GITHUB_API_URL", "https://ghe.acme.example/api/v3");
            let config = Config::load(None, FlagOverrides::default()).unwrap();
            let settings = config.server_settings().unwrap();
            assert_eq!(settings.github_api.token().map(paved_server::Secret::expose_text), Some("ghs_from_env"));
            assert_eq!(settings.github_api.base_url().as_str(), "https://ghe.acme.example/api/v3");
            assert!(!format!("{settings:?}").contains("ghs_from_env"), "the server's settings are logged too");
            Ok(())
        });
        let unset = Config::default().server_settings().unwrap();
        assert_eq!(unset.github_api.token(), None, "no token: protection rules are stored, not answered");
        assert_eq!(unset.github_api.base_url().as_str(), "https://api.github.com/");
    }

    #[test]
    fn a_bad_github_api_url_is_bad_input_naming_the_setting() {
        let config = Config { github_api_url: "api.github.com".into(), ..Config::default() };
        let error = config.server_settings().unwrap_err();
        assert!(error.chain().any(|c| c.is::<BadInput>()), "{error:#}");
        assert!(format!("{error:#}").contains("PAVED_GITHUB_API_URL"), "{error:#}");
    }

    #[test]
    fn the_server_decides_with_the_organisations_deploy_policy() {
        let config = Config {
            deploy_policy: DeployPolicyConfig { checks_passed: Some(true), ..DeployPolicyConfig::default() },
            ..Config::default()
        };
        assert_eq!(config.server_settings().unwrap().deploy_policy.checks_passed, Some(true));
    }
}
