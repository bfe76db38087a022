//! Secrets at rest: what pavedroad keeps that would let someone else act —
//! a person's webhook contacts (their URL is their secret), generated
//! credentials — is sealed before it reaches the store, with an AEAD
//! (XChaCha20-Poly1305) under the key from the configuration (`secret_key`,
//! `PAVED_SECRET_KEY`). Without a key nothing secret is kept: the use case
//! refuses, saying how to set one.
//!
//! A sealed value is `v1:` and the base64 of a random 24-byte nonce and the
//! ciphertext. Each is bound to what it belongs to (the "associated data",
//! e.g. `contact:user:default/ana`), so a sealed value copied onto another
//! row does not open.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The key secrets are sealed with: 32 bytes. Its `Debug` hides it.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

/// Why a text is not a [`SecretKey`], or a sealed value does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The configured key is not 32 bytes in hex or base64.
    #[error(
        "secret_key (PAVED_SECRET_KEY) must be 32 random bytes, written as 64 hex digits or in base64; make one with `openssl rand -hex 32`"
    )]
    BadKey,
    /// A sealed value did not open: another key, or another row's value.
    #[error("a sealed secret does not open with this secret_key: it was sealed with another key, or it was altered")]
    DoesNotOpen,
    /// The random source failed.
    #[error("no randomness for a nonce: {0}")]
    Random(String),
}

impl SecretKey {
    /// Parses a key written as 64 hex digits or as base64 of 32 bytes.
    ///
    /// # Errors
    /// [`SecretError::BadKey`] for anything else.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| SecretError::BadKey)?
        } else {
            STANDARD.decode(text).map_err(|_| SecretError::BadKey)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        Ok(Self(key))
    }

    /// A new random key, for a server that keeps its secrets no longer than
    /// it runs (the demo).
    ///
    /// # Errors
    /// [`SecretError::Random`] when the system gives no randomness.
    pub fn generate() -> Result<Self, SecretError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| SecretError::Random(e.to_string()))?;
        Ok(Self(key))
    }

    /// Seals `plaintext` for `bound_to`.
    ///
    /// # Errors
    /// [`SecretError::Random`] when no nonce can be drawn.
    pub fn seal(&self, plaintext: &str, bound_to: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|e| SecretError::Random(e.to_string()))?;
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: bound_to.as_bytes() })
            .map_err(|_| SecretError::DoesNotOpen)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("v1:{}", STANDARD.encode(out)))
    }

    /// Opens what [`Self::seal`] sealed for `bound_to`.
    ///
    /// # Errors
    /// [`SecretError::DoesNotOpen`] for another key, another `bound_to`, or
    /// an altered value.
    pub fn open(&self, sealed: &str, bound_to: &str) -> Result<String, SecretError> {
        let bytes = sealed
            .strip_prefix("v1:")
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|bytes| bytes.len() > 24)
            .ok_or(SecretError::DoesNotOpen)?;
        let (nonce, ciphertext) = bytes.split_at(24);
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: bound_to.as_bytes() })
            .map_err(|_| SecretError::DoesNotOpen)?;
        String::from_utf8(plain).map_err(|_| SecretError::DoesNotOpen)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn sealed_values_open_only_with_their_key_and_their_row() {
        let key = SecretKey::parse(KEY).unwrap();
        let sealed = key.seal("https://hooks.example.com/T000/B000/secret", "contact:user:default/ana").unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains("secret"), "{sealed}");
        assert_ne!(sealed, key.seal("https://hooks.example.com/T000/B000/secret", "contact:user:default/ana").unwrap());
        assert_eq!(
            key.open(&sealed, "contact:user:default/ana").unwrap(),
            "https://hooks.example.com/T000/B000/secret"
        );
        assert_eq!(key.open(&sealed, "contact:user:default/bo"), Err(SecretError::DoesNotOpen));
        let other = SecretKey::parse(&"ab".repeat(32)).unwrap();
        assert_eq!(other.open(&sealed, "contact:user:default/ana"), Err(SecretError::DoesNotOpen));
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(key.open(&altered, "contact:user:default/ana"), Err(SecretError::DoesNotOpen));
        assert_eq!(key.open("plain text", "contact:user:default/ana"), Err(SecretError::DoesNotOpen));
    }

    #[test]
    fn keys_are_hex_or_base64_of_32_bytes_and_never_shown() {
        let hex = SecretKey::parse(KEY).unwrap();
        let base64 = SecretKey::parse(&STANDARD.encode(hex.0)).unwrap();
        assert_eq!(hex.0, base64.0);
        assert_eq!(format!("{hex:?}"), "SecretKey(***)");
        for bad in ["", "short", &"ab".repeat(31), &STANDARD.encode([1u8; 16])] {
            assert_eq!(SecretKey::parse(bad).unwrap_err(), SecretError::BadKey, "{bad}");
        }
        assert!(SecretError::BadKey.to_string().contains("openssl rand -hex 32"));
    }
}
