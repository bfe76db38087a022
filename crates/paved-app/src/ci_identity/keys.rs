//! The issuers' signing keys (JWKS): fetched from the issuer (its OpenID
//! discovery document, or a configured URL) or read from a file for an
//! installation without internet, and kept for an hour. A token signed
//! with a key not kept fetches the set again (issuers rotate keys), at
//! most every [`REFETCH_AFTER`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::CiIssuer;
use crate::AppError;

/// Where an issuer's signing keys are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// From the issuer's OpenID discovery document
    /// (`ISSUER/.well-known/openid-configuration`, its `jwks_uri`).
    Discover,
    /// From this URL (GitHub's is
    /// `https://token.actions.githubusercontent.com/.well-known/jwks`).
    Url(String),
    /// From this file, a JWKS copied from the issuer: for installations
    /// that cannot reach it.
    File(PathBuf),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Discover => f.write_str("its OpenID discovery document"),
            Self::Url(url) => write!(f, "{url}"),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// How long a fetched key set is kept.
const KEEP_FOR: Duration = Duration::from_secs(3600);
/// How soon a set may be fetched again for a key it lacks.
pub const REFETCH_AFTER: Duration = Duration::from_secs(10);
/// The largest key set or discovery document read.
const MAX_BYTES: usize = 1 << 20;

/// An issuer's keys as last read, and the last attempt to read them.
#[derive(Debug)]
struct Kept {
    /// The set last read, and when.
    set: Option<(JwkSet, Instant)>,
    /// When it was last tried, and why that failed (if it did).
    tried: Instant,
    failure: Option<String>,
}

/// The key sets fetched, by issuer. One fetch at a time (the lock is held
/// across it), and at most one per issuer every [`REFETCH_AFTER`] whatever
/// its outcome, so that tokens naming unknown keys, or an issuer that does
/// not answer, cannot make every request wait on a fetch.
#[derive(Debug)]
pub(super) struct KeyCache {
    kept: tokio::sync::Mutex<HashMap<String, Kept>>,
    http: reqwest::Client,
}

impl Default for KeyCache {
    fn default() -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("pavedroad/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self { kept: tokio::sync::Mutex::default(), http }
    }
}

impl KeyCache {
    /// The key of `issuer` named `kid` (or its only key, for a token that
    /// names none), for `algorithm`.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`] when the issuer publishes no such key,
    /// or one for another algorithm; [`AppError::Unavailable`] when its
    /// keys cannot be read.
    pub async fn key(
        &self,
        issuer: &CiIssuer,
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Result<DecodingKey, AppError> {
        let mut kept = self.kept.lock().await;
        let entry = kept.get(&issuer.issuer);
        let fresh = entry.and_then(|k| k.set.as_ref()).filter(|(_, at)| at.elapsed() < KEEP_FOR);
        let lacks_key = fresh.is_none_or(|(set, _)| find(set, kid).is_none());
        let may_try = entry.is_none_or(|k| k.tried.elapsed() >= REFETCH_AFTER);
        if lacks_key && may_try {
            let fetched = self.fetch(issuer).await;
            let previous = kept.remove(&issuer.issuer).and_then(|k| k.set);
            let now = Instant::now();
            let entry = match fetched {
                Ok(set) => Kept { set: Some((set, now)), tried: now, failure: None },
                // The keys read before stay in use until they are read again.
                Err(why) => Kept { set: previous, tried: now, failure: Some(why) },
            };
            kept.insert(issuer.issuer.clone(), entry);
        }
        let Some(entry) = kept.get(&issuer.issuer) else {
            return Err(AppError::Internal("a key set just stored is gone".into()));
        };
        let Some((set, _)) = entry.set.as_ref() else {
            let why = entry.failure.clone().unwrap_or_default();
            return Err(AppError::Unavailable(format!(
                "the signing keys of {} cannot be read from {}: {why} (tried again at most every {} s)",
                issuer.issuer,
                issuer.keys,
                REFETCH_AFTER.as_secs()
            )));
        };
        let refused = |why: String| AppError::Unauthenticated(format!("CI identity token refused: {why}"));
        let Some(jwk) = find(set, kid) else {
            let kids: Vec<&str> = set.keys.iter().filter_map(|key| key.common.key_id.as_deref()).collect();
            return Err(refused(match kid {
                Some(kid) => format!(
                    "it is signed with key `{kid}`, which {} does not publish (its keys: {})",
                    issuer.issuer,
                    if kids.is_empty() { "none".to_owned() } else { kids.join(", ") }
                ),
                None => format!(
                    "it names no key (`kid`) and {} publishes {} keys, so which one signed it is unknown",
                    issuer.issuer,
                    set.keys.len()
                ),
            }));
        };
        if !fits(jwk, algorithm) {
            return Err(refused(format!(
                "it says `alg: {algorithm:?}`, but {}'s key{} is for another algorithm",
                issuer.issuer,
                kid.map(|kid| format!(" `{kid}`")).unwrap_or_default()
            )));
        }
        DecodingKey::from_jwk(jwk).map_err(|error| {
            AppError::Unavailable(format!("{}'s key cannot be used ({error}); check {}", issuer.issuer, issuer.keys))
        })
    }

    /// Reads `issuer`'s key set from where it is; `Err` says why not.
    async fn fetch(&self, issuer: &CiIssuer) -> Result<JwkSet, String> {
        let bytes = match &issuer.keys {
            KeySource::File(path) => tokio::fs::read(path).await.map_err(|error| error.to_string())?,
            KeySource::Url(url) => self.get(url).await?,
            KeySource::Discover => {
                let url = format!("{}/.well-known/openid-configuration", issuer.issuer.trim_end_matches('/'));
                let document = self.get(&url).await?;
                let document: serde_json::Value =
                    serde_json::from_slice(&document).map_err(|error| format!("{url} is not JSON: {error}"))?;
                let Some(jwks) = document.get("jwks_uri").and_then(serde_json::Value::as_str) else {
                    return Err(format!("{url} names no jwks_uri"));
                };
                if !jwks.starts_with("https://") {
                    return Err(format!("{url} names `{jwks}` as its keys, which is not https"));
                }
                self.get(jwks).await?
            }
        };
        let set: JwkSet = serde_json::from_slice(&bytes)
            .map_err(|error| format!("it is not a JSON Web Key Set (RFC 7517 §5): {error}"))?;
        tracing::info!(issuer = %issuer.issuer, keys = set.keys.len(), "read the CI issuer's signing keys");
        Ok(set)
    }

    /// The body of `url`, at most [`MAX_BYTES`].
    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let response = self.http.get(url).send().await.map_err(|error| format!("{url}: {error}"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        if response.content_length().is_some_and(|length| length > MAX_BYTES as u64) {
            return Err(format!("{url} sends more than {MAX_BYTES} bytes"));
        }
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.map_err(|error| format!("{url}: {error}"))? {
            if body.len() + chunk.len() > MAX_BYTES {
                return Err(format!("{url} sent more than {MAX_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The key named `kid`, or the only one when `kid` is `None`.
fn find<'a>(set: &'a JwkSet, kid: Option<&str>) -> Option<&'a Jwk> {
    match kid {
        Some(kid) => set.find(kid),
        None => match set.keys.as_slice() {
            [only] => Some(only),
            _ => None,
        },
    }
}

/// True when `jwk` may verify `algorithm`: its key type fits, and the
/// algorithm it names (if any) is that one.
fn fits(jwk: &Jwk, algorithm: Algorithm) -> bool {
    let kind_fits = matches!(
        (&jwk.algorithm, algorithm),
        (AlgorithmParameters::RSA(_), Algorithm::RS256) | (AlgorithmParameters::EllipticCurve(_), Algorithm::ES256)
    );
    let named_fits = match jwk.common.key_algorithm {
        None => true,
        Some(KeyAlgorithm::RS256) => algorithm == Algorithm::RS256,
        Some(KeyAlgorithm::ES256) => algorithm == Algorithm::ES256,
        Some(_) => false,
    };
    kind_fits && named_fits
}
