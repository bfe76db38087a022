//! Keyless identity for CI: a GitHub Actions or GitLab CI job deploys, or
//! records a deployment, with the OIDC ID token its CI gives it instead of
//! a stored secret. The token is verified here against its issuer's keys
//! (RS256 or ES256, the configured issuers and audiences, its expiry),
//! its claims say the repository and the person who ran the job, and the
//! person acts as a [`Caller::Person`] via [`Via::Ci`]: the same ownership
//! rule as everyone's ([`Caller::may_act_on`]), limited to the services of
//! that repository and to the token's environment
//! ([`Caller::ci_scope_allows`]).

mod claims;
mod keys;

use std::sync::Arc;

use jsonwebtoken::{Algorithm, Validation};
use paved_domain::Identity;

pub use claims::{CiClaims, CiProvider};
pub use keys::KeySource;

use crate::access::Via;
use crate::{App, AppError, Caller};

/// One issuer whose ID tokens pavedroad accepts (`[[ci_identity]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiIssuer {
    /// Whose tokens they are, which says how to read their claims.
    pub provider: CiProvider,
    /// The exact `iss` of its tokens
    /// (`https://token.actions.githubusercontent.com`,
    /// `https://gitlab.com`).
    pub issuer: String,
    /// The `aud` values accepted; a token must carry one of them.
    pub audiences: Vec<String>,
    /// Where its signing keys are.
    pub keys: KeySource,
}

/// The issuers pavedroad accepts CI ID tokens from; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiIdentitySettings {
    /// In the order configured.
    pub issuers: Vec<CiIssuer>,
}

/// How much a token's times may be off, for clocks that disagree.
const LEEWAY_SECONDS: u64 = 60;

/// Verifies CI ID tokens: the configured issuers and their keys, fetched
/// once and kept ([`keys::KeyCache`]).
#[derive(Debug, Default)]
pub struct CiIdentity {
    settings: CiIdentitySettings,
    keys: keys::KeyCache,
}

/// True when `token` has the shape of a JSON Web Token (three base64url
/// parts, the first a JSON object), so that it is verified as a CI ID
/// token rather than looked up as an API token.
pub fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.split('.').count() == 3
}

impl CiIdentity {
    /// Accepting the tokens of `settings`' issuers.
    pub fn new(settings: CiIdentitySettings) -> Self {
        Self { settings, keys: keys::KeyCache::default() }
    }

    /// True when at least one issuer is configured.
    pub fn is_enabled(&self) -> bool {
        !self.settings.issuers.is_empty()
    }

    /// Verifies `token` and reads its claims.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`] saying why the token is refused: not a
    /// JWT, unsigned (`alg: none`) or signed with another algorithm than
    /// RS256 or ES256, of an issuer not configured, signed by a key the
    /// issuer does not publish, expired or not yet valid, for another
    /// audience, or without the claims that name the repository and the
    /// person; [`AppError::Unavailable`] when the issuer's keys cannot be
    /// read.
    pub async fn verify(&self, token: &str) -> Result<CiClaims, AppError> {
        let refused = |why: String| AppError::Unauthenticated(format!("CI identity token refused: {why}"));
        if !self.is_enabled() {
            return Err(refused(
                "no CI issuer is configured here; an admin adds one ([[ci_identity]] with provider, issuer and \
                 audiences), or use an API token (paved token create --team TEAM)"
                    .to_owned(),
            ));
        }
        let unverified = claims::Unverified::read(token).map_err(refused)?;
        let algorithm = match unverified.alg.as_str() {
            "RS256" => Algorithm::RS256,
            "ES256" => Algorithm::ES256,
            "none" | "" => {
                return Err(refused(
                    "it is unsigned (`alg: none`); CI ID tokens are signed by their issuer with RS256 or ES256".into(),
                ));
            }
            other => {
                return Err(refused(format!(
                    "it is signed with `{other}`; only RS256 and ES256 (what GitHub and GitLab sign with) are accepted"
                )));
            }
        };
        let Some(issuer) = self.settings.issuers.iter().find(|issuer| issuer.issuer == unverified.iss) else {
            let known: Vec<&str> = self.settings.issuers.iter().map(|issuer| issuer.issuer.as_str()).collect();
            return Err(refused(format!(
                "its issuer `{}` is not configured (accepted: {}); add it as a [[ci_identity]] issuer if you trust it",
                unverified.iss,
                known.join(", ")
            )));
        };
        let key = self.keys.key(issuer, unverified.kid.as_deref(), algorithm).await?;
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer.issuer.as_str()]);
        validation.set_audience(&issuer.audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
            .map_err(|error| refused(claims::why(&error, issuer, &unverified)))?;
        CiClaims::read(issuer, &data.claims).map_err(refused)
    }
}

impl App {
    /// With `settings` as the CI issuers whose ID tokens are accepted.
    #[must_use]
    pub fn with_ci_identity(mut self, settings: CiIdentitySettings) -> Self {
        self.ci_identity = Arc::new(CiIdentity::new(settings));
        self
    }

    /// The caller a CI ID token stands for: the catalog User behind its
    /// actor (GitHub's `actor`, GitLab's `user_login`), via [`Via::Ci`]
    /// with the token's claims.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`] for a token [`CiIdentity::verify`]
    /// refuses; [`AppError::Forbidden`] when its actor is no User of the
    /// catalog (saying which annotation to add).
    pub async fn authenticate_ci(&self, token: &str) -> Result<Caller, AppError> {
        let claims = self.ci_identity.verify(token).await?;
        let identity = match claims.provider {
            CiProvider::GitHubActions => Identity::github(&claims.actor),
            CiProvider::GitLabCi => Identity::gitlab(&claims.actor),
        }
        .map_err(|error| {
            AppError::Unauthenticated(format!(
                "CI identity token refused: its actor `{}` is not a {} login: {error}",
                claims.actor,
                claims.provider.name()
            ))
        })?;
        let catalog = self.catalog.current().await?;
        // Only the provider's own annotation names who acts: a User merely
        // named like the login is not that login's person.
        let Some(person) = catalog.person_named_by(&identity).cloned() else {
            return Err(AppError::Forbidden(format!(
                "the CI identity token of {} was issued to {} user `{}`, who is not a User of the catalog: add \
                 the annotation `{}: {}` to their User entity and import the catalog again",
                claims.repo,
                claims.provider.name(),
                claims.actor,
                claims.provider.login_annotation(),
                claims.actor
            )));
        };
        Ok(Caller::Person { person, via: Via::Ci(Box::new(claims)) })
    }
}
