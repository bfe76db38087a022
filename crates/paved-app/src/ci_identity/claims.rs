//! What a CI ID token says: read unverified only to choose the issuer and
//! explain a refusal, then as verified claims mapped to a repository and a
//! person, as GitHub and GitLab document them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::{Error, ErrorKind};
use paved_domain::RepoId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::CiIssuer;

/// Whose ID tokens an issuer gives, which says how to read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CiProvider {
    /// GitHub Actions (`repository`, `actor`, `ref`, `environment`,
    /// `run_id`).
    #[serde(rename = "github")]
    GitHubActions,
    /// GitLab CI/CD (`project_path`, `user_login`, `ref`, `environment`,
    /// `pipeline_id`).
    #[serde(rename = "gitlab")]
    GitLabCi,
}

impl CiProvider {
    /// As configured: `github`, `gitlab`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GitHubActions => "github",
            Self::GitLabCi => "gitlab",
        }
    }

    /// As people call it.
    pub fn name(self) -> &'static str {
        match self {
            Self::GitHubActions => "GitHub",
            Self::GitLabCi => "GitLab",
        }
    }

    /// The CI's name.
    pub fn ci_name(self) -> &'static str {
        match self {
            Self::GitHubActions => "GitHub Actions",
            Self::GitLabCi => "GitLab CI",
        }
    }

    /// The annotation that ties a catalog User to the provider's login.
    pub fn login_annotation(self) -> &'static str {
        match self {
            Self::GitHubActions => "github.com/user-login",
            Self::GitLabCi => "gitlab.com/user-login",
        }
    }

    /// `github` or `gitlab`, in any case.
    ///
    /// # Errors
    /// Saying which are known.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "github" => Ok(Self::GitHubActions),
            "gitlab" => Ok(Self::GitLabCi),
            other => {
                Err(format!("provider `{other}` is not a CI whose tokens pavedroad reads; write github or gitlab"))
            }
        }
    }
}

/// What a verified CI ID token says about who acts, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiClaims {
    /// The CI that issued it.
    pub provider: CiProvider,
    /// Its `iss`.
    pub issuer: String,
    /// The repository the job runs in (`repository`, `project_path`).
    pub repo: RepoId,
    /// The login of the person who ran the job (`actor`, `user_login`).
    pub actor: String,
    /// The git ref the job runs on (`ref`).
    pub git_ref: Option<String>,
    /// The deployment environment the job runs in, when it names one.
    pub environment: Option<String>,
    /// The run or pipeline (`run_id`, `pipeline_id`), for the audit log.
    pub run: Option<String>,
    /// Its `sub`.
    pub subject: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Display for CiClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} token of {}", self.provider.ci_name(), self.repo)?;
        if let Some(git_ref) = &self.git_ref {
            write!(f, " at {git_ref}")?;
        }
        if let Some(environment) = &self.environment {
            write!(f, ", environment {environment}")?;
        }
        if let Some(run) = &self.run {
            let what = match self.provider {
                CiProvider::GitHubActions => "run",
                CiProvider::GitLabCi => "pipeline",
            };
            write!(f, ", {what} {run}")?;
        }
        Ok(())
    }
}

/// A claim as text: a string, or a number GitLab sends as one.
fn text(claims: &Value, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

impl CiClaims {
    /// The claims of a verified token of `issuer`.
    ///
    /// # Errors
    /// Saying which claim is missing or malformed.
    pub(super) fn read(issuer: &CiIssuer, claims: &Value) -> Result<Self, String> {
        let provider = issuer.provider;
        let (repo_claim, actor_claim, run_claim) = match provider {
            CiProvider::GitHubActions => ("repository", "actor", "run_id"),
            CiProvider::GitLabCi => ("project_path", "user_login", "pipeline_id"),
        };
        let missing = |claim: &str| {
            format!(
                "it has no `{claim}` claim, which every {} ID token carries; is [[ci_identity]] issuer {} really {}?",
                provider.ci_name(),
                issuer.issuer,
                provider.as_str()
            )
        };
        let path = text(claims, repo_claim).ok_or_else(|| missing(repo_claim))?;
        let repo = match provider {
            CiProvider::GitHubActions => RepoId::from_github_slug(&path),
            CiProvider::GitLabCi => RepoId::parse_url(&format!("{}/{path}", issuer.issuer.trim_end_matches('/'))),
        }
        .map_err(|error| format!("its `{repo_claim}` claim `{path}` is not a repository: {error}"))?;
        let actor = text(claims, actor_claim).ok_or_else(|| missing(actor_claim))?;
        let expires_at = claims
            .get("exp")
            .and_then(Value::as_i64)
            .and_then(|exp| DateTime::from_timestamp(exp, 0))
            .ok_or_else(|| "its `exp` claim is not a time".to_owned())?;
        Ok(Self {
            provider,
            issuer: issuer.issuer.clone(),
            repo,
            actor,
            git_ref: text(claims, "ref"),
            environment: text(claims, "environment"),
            run: text(claims, run_claim),
            subject: text(claims, "sub").unwrap_or_default(),
            expires_at,
        })
    }
}

/// What a token says before it is verified: enough to choose the issuer
/// and key, and to say why it was refused. Nothing of it is trusted.
#[derive(Debug, Default)]
pub(super) struct Unverified {
    /// The header's `alg`.
    pub alg: String,
    /// The header's `kid`.
    pub kid: Option<String>,
    /// The claims' `iss`.
    pub iss: String,
    /// The claims' `aud`, one or several.
    pub aud: Vec<String>,
    /// The claims' `exp`.
    pub exp: Option<i64>,
    /// The claims' `nbf`.
    pub nbf: Option<i64>,
}

impl Unverified {
    /// Reads `token`'s header and claims.
    ///
    /// # Errors
    /// Saying what makes it no JWT.
    pub fn read(token: &str) -> Result<Self, String> {
        let parts: Vec<&str> = token.trim().split('.').collect();
        let [header, claims, signature] = parts.as_slice() else {
            return Err(format!(
                "it is not a JSON Web Token (it has {} dot-separated parts, not 3: header.claims.signature)",
                parts.len()
            ));
        };
        let json = |part: &str, what: &str| -> Result<Value, String> {
            let bytes =
                URL_SAFE_NO_PAD.decode(part).map_err(|_| format!("its {what} is not base64url (RFC 7515 §2)"))?;
            let value: Value =
                serde_json::from_slice(&bytes).map_err(|error| format!("its {what} is not JSON: {error}"))?;
            if value.is_object() { Ok(value) } else { Err(format!("its {what} is not a JSON object")) }
        };
        let header = json(header, "header part")?;
        let claims = json(claims, "claims part")?;
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default().to_owned();
        if signature.is_empty() && alg != "none" && !alg.is_empty() {
            return Err(format!("it has no signature although its header says `alg: {alg}`"));
        }
        let aud = match claims.get("aud") {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        Ok(Self {
            alg,
            kid: header.get("kid").and_then(Value::as_str).map(str::to_owned),
            iss: claims.get("iss").and_then(Value::as_str).unwrap_or_default().to_owned(),
            aud,
            exp: claims.get("exp").and_then(Value::as_i64),
            nbf: claims.get("nbf").and_then(Value::as_i64),
        })
    }
}

/// A time claim for a person: `2026-12-05T10:00:00Z`.
fn when(seconds: Option<i64>) -> String {
    seconds
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .map_or_else(|| "an unreadable time".to_owned(), |at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Why `jsonwebtoken` refused a token of `issuer`, said for the person who
/// sent it.
pub(super) fn why(error: &Error, issuer: &CiIssuer, token: &Unverified) -> String {
    match error.kind() {
        ErrorKind::ExpiredSignature => format!(
            "it expired at {}; CI ID tokens live minutes, so request it in the step that uses it",
            when(token.exp)
        ),
        ErrorKind::ImmatureSignature => format!("it is not valid before {}", when(token.nbf)),
        ErrorKind::InvalidAudience => format!(
            "its audience {} is not accepted for {} (accepted: {}); request the token with one of those as its \
             audience",
            if token.aud.is_empty() { "(none)".to_owned() } else { token.aud.join(", ") },
            issuer.issuer,
            issuer.audiences.join(", ")
        ),
        ErrorKind::InvalidIssuer => format!("its issuer `{}` is not {}", token.iss, issuer.issuer),
        ErrorKind::InvalidSignature => format!(
            "its signature does not verify with {}'s key{}; it was not signed by that issuer",
            issuer.issuer,
            token.kid.as_deref().map(|kid| format!(" `{kid}`")).unwrap_or_default()
        ),
        ErrorKind::MissingRequiredClaim(claim) => format!("it has no `{claim}` claim"),
        ErrorKind::InvalidAlgorithm => format!("its `alg` {} does not match the issuer's key", token.alg),
        _ => format!("it cannot be verified: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci_identity::KeySource;

    fn issuer(provider: CiProvider, url: &str) -> CiIssuer {
        CiIssuer { provider, issuer: url.into(), audiences: vec!["paved".into()], keys: KeySource::Discover }
    }

    #[test]
    fn github_claims_name_the_repository_and_the_actor() {
        let claims = serde_json::json!({
            "sub": "repo:acme/shop-api:environment:production", "repository": "acme/shop-api",
            "actor": "ana", "ref": "refs/heads/main", "environment": "production", "run_id": "42",
            "exp": 1_800_000_000,
        });
        let read =
            CiClaims::read(&issuer(CiProvider::GitHubActions, "https://token.actions.githubusercontent.com"), &claims)
                .unwrap();
        assert_eq!(read.repo.as_str(), "github.com/acme/shop-api");
        assert_eq!(read.actor, "ana");
        assert_eq!(read.environment.as_deref(), Some("production"));
        assert_eq!(
            read.to_string(),
            "GitHub Actions token of github.com/acme/shop-api at refs/heads/main, environment production, run 42"
        );
    }

    #[test]
    fn gitlab_claims_take_the_host_of_the_issuer() {
        let claims = serde_json::json!({
            "project_path": "platform/shop/api", "user_login": "bo", "pipeline_id": 7, "exp": 1_800_000_000,
        });
        let read = CiClaims::read(&issuer(CiProvider::GitLabCi, "https://gitlab.example.com"), &claims).unwrap();
        assert_eq!(read.repo.as_str(), "gitlab.example.com/platform/shop/api");
        let port = CiClaims::read(&issuer(CiProvider::GitLabCi, "https://gitlab.example.com:8443"), &claims).unwrap();
        assert_eq!(port.repo.as_str(), "gitlab.example.com/platform/shop/api", "the port is not the path");
        assert_eq!(read.run.as_deref(), Some("7"));
        let none = CiClaims::read(&issuer(CiProvider::GitLabCi, "https://gitlab.com"), &serde_json::json!({"exp": 1}));
        assert!(none.unwrap_err().contains("no `project_path` claim"));
    }

    #[test]
    fn unverified_reads_say_what_is_not_a_token() {
        assert!(Unverified::read("abc").unwrap_err().contains("1 dot-separated parts"));
        assert!(Unverified::read("a.b.c").unwrap_err().contains("not base64url"));
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let claims = URL_SAFE_NO_PAD.encode(br#"{"iss":"x","aud":["a","b"]}"#);
        let read = Unverified::read(&format!("{header}.{claims}.")).unwrap();
        assert_eq!((read.alg.as_str(), read.aud.len()), ("none", 2));
    }
}
