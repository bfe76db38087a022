//! API tokens (DESIGN §8): made once, shown once, stored as a SHA-256 hash,
//! and looked up by that hash to say who a request comes from.

use chrono::{DateTime, Duration, Utc};
use paved_domain::{CatalogIndex, EntityRef};
use paved_store::{DynStore, NewToken, TokenInfo, TokenScope};
use sha2::{Digest, Sha256};

use crate::{App, AppError, Caller};

/// Every token starts with this, so that secret scanners and people
/// recognise one.
pub const TOKEN_PREFIX: &str = "paved_";

/// A new token: `paved_` and 32 random bytes in hex.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn generate_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
}

/// The hash a token is stored and looked up by (hex SHA-256).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// The first characters of a token, enough to recognise it in a list and
/// far too few to use it.
pub fn token_prefix(token: &str) -> String {
    token.chars().take(TOKEN_PREFIX.len() + 6).collect()
}

/// The caller a token stands for.
///
/// # Errors
/// [`AppError::Unauthenticated`] when the token is unknown or revoked; a
/// store failure.
pub async fn authenticate(store: &DynStore, token: &str) -> Result<Caller, AppError> {
    match store.token_by_hash(&token_hash(token)).await? {
        Some(info) if info.revoked_at.is_some() => Err(AppError::Unauthenticated(format!(
            "token `{}` was revoked; create a new one with `paved token create`",
            info.name
        ))),
        Some(info) if info.expires_at.is_some_and(|at| at <= Utc::now()) => Err(AppError::Unauthenticated(format!(
            "token `{}` expired at {}; create a new one with `paved token create`",
            info.name,
            info.expires_at.map(|at| at.to_rfc3339()).unwrap_or_default()
        ))),
        Some(info) => Ok(Caller::Token(info)),
        None => Err(AppError::Unauthenticated("the token is not known; create one with `paved token create`".into())),
    }
}

/// The longest life a token may be given: 10 years.
pub const MAX_TOKEN_DAYS: i64 = 3650;

/// What a token is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRequest {
    /// A name people recognise; default the team's or person's name, or
    /// `admin`.
    pub name: Option<String>,
    /// A team (Group) for a CI token of that team.
    pub team: Option<String>,
    /// A person (User) for a personal token that acts as them.
    pub user: Option<String>,
    /// How long it lives (`90d`, `12h`, `2w`); default forever.
    pub expires: Option<String>,
}

/// A token just made: shown once, never again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedToken {
    /// The token itself.
    pub token: String,
    /// What is stored of it.
    pub info: TokenInfo,
}

/// A span written as a number and a unit: `30m`, `12h`, `90d`, `2w`.
///
/// # Errors
/// A sentence naming the value and the accepted forms.
pub fn parse_lifetime(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| format!("`{text}` is not a span like 90d, 12h, 30m or 2w"))?;
    let span = match unit {
        "m" => Duration::minutes(number),
        "h" => Duration::hours(number),
        "d" => Duration::days(number),
        "w" => Duration::weeks(number),
        _ => return Err(format!("`{text}` needs a unit: m, h, d or w (e.g. 90d)")),
    };
    if number == 0 || span > Duration::days(MAX_TOKEN_DAYS) {
        return Err(format!("`{text}` is not between 1 minute and {MAX_TOKEN_DAYS} days"));
    }
    Ok(span)
}

/// The scope `request` asks for, checked against the catalog.
fn scope_of(request: &TokenRequest, catalog: &CatalogIndex) -> Result<TokenScope, AppError> {
    match (&request.team, &request.user) {
        (Some(_), Some(_)) => {
            Err(AppError::Invalid("a token is a team's or a person's, not both: give --team or --user".to_owned()))
        }
        (Some(team), None) => {
            let group = EntityRef::parse(team, Some("group"), paved_domain::DEFAULT_NAMESPACE)
                .map_err(|error| AppError::Invalid(format!("team: {error}")))?;
            if catalog.group(&group).is_none() {
                return Err(AppError::Invalid(format!(
                    "no team {group} in the catalog; import it first (`paved catalog import`)"
                )));
            }
            Ok(TokenScope::Team(group))
        }
        (None, Some(user)) => {
            let person = EntityRef::parse(user, Some("user"), paved_domain::DEFAULT_NAMESPACE)
                .map_err(|error| AppError::Invalid(format!("user: {error}")))?;
            match catalog.person(&person) {
                Some(info) => Ok(TokenScope::User(info.entity_ref.clone())),
                None => Err(AppError::Invalid(format!(
                    "no User {person} in the catalog; a personal token acts as a catalog User: add them (kind: User) \
                     and import the catalog first"
                ))),
            }
        }
        (None, None) => Ok(TokenScope::Admin),
    }
}

impl App {
    /// Makes a token as `request` asks, stores its hash and audits it as
    /// done by `caller`. Only the CLI and admin tokens make tokens.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] for another caller; [`AppError::Invalid`]
    /// for an unknown team or User, both at once, a blank name or a bad
    /// lifetime; a store failure.
    pub async fn create_token(&self, caller: &Caller, request: &TokenRequest) -> Result<CreatedToken, AppError> {
        if caller.team().is_some() || caller.person().is_some() {
            return Err(AppError::Forbidden(
                "only an admin token (or `paved token create` on the server's database) makes tokens".to_owned(),
            ));
        }
        let catalog = self.catalog.current().await?;
        let scope = scope_of(request, &catalog)?;
        let expires_at: Option<DateTime<Utc>> = request
            .expires
            .as_deref()
            .map(|text| parse_lifetime(text).map(|span| Utc::now() + span))
            .transpose()
            .map_err(|error| AppError::Invalid(format!("expires: {error}")))?;
        let name = request.name.clone().unwrap_or_else(|| match &scope {
            TokenScope::Admin => "admin".to_owned(),
            TokenScope::Team(team) => team.name().to_owned(),
            TokenScope::User(person) => person.name().to_owned(),
        });
        if name.trim().is_empty() {
            return Err(AppError::Invalid("the name is blank".to_owned()));
        }
        let token = generate_token().map_err(|error| AppError::Internal(format!("making a token: {error}")))?;
        let new = NewToken { name, scope, hash: token_hash(&token), prefix: token_prefix(&token), expires_at };
        let info = self.store.create_token(&new, &caller.audit_name()).await?;
        Ok(CreatedToken { token, info })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("paved_") && a.len() == 6 + 64, "{a}");
        assert_eq!(token_hash(&a), token_hash(&format!(" {a}\n")), "whitespace around a pasted token is ignored");
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(token_prefix(&a).len(), 12);
        assert!(!token_hash(&a).contains(&a[6..]));
    }

    #[test]
    fn lifetimes_have_a_number_and_a_unit() {
        assert_eq!(parse_lifetime("90d"), Ok(Duration::days(90)));
        assert_eq!(parse_lifetime("12h"), Ok(Duration::hours(12)));
        assert_eq!(parse_lifetime("2w"), Ok(Duration::weeks(2)));
        assert_eq!(parse_lifetime(" 30m "), Ok(Duration::minutes(30)));
        assert!(parse_lifetime("90").unwrap_err().contains("needs a unit"));
        assert!(parse_lifetime("d").unwrap_err().contains("not a span"));
        assert!(parse_lifetime("0d").unwrap_err().contains("between"));
        assert!(parse_lifetime("4000d").unwrap_err().contains("between"));
        assert!(parse_lifetime("3y").unwrap_err().contains("needs a unit"));
    }
}
