//! API tokens (DESIGN §8): made once, shown once, stored as a SHA-256 hash,
//! and looked up by that hash to say who a request comes from.

use paved_store::DynStore;
use sha2::{Digest, Sha256};

use crate::{AppError, Caller};

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
        Some(info) if info.revoked_at.is_none() => Ok(Caller::Token(info)),
        Some(info) => Err(AppError::Unauthenticated(format!(
            "token `{}` was revoked; create a new one with `paved token create`",
            info.name
        ))),
        None => Err(AppError::Unauthenticated("the token is not known; create one with `paved token create`".into())),
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
}
