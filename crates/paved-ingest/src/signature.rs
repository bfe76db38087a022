//! Checking that a webhook came from who it claims, on the raw bytes and in
//! constant time, before anything parses the body (DESIGN §8).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Why a delivery's signature or token was refused. The message says what
/// to fix and never echoes a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header that carries the signature or token is absent.
    #[error("the {header} header is missing; configure the webhook's secret at the provider")]
    Missing {
        /// The header's name.
        header: &'static str,
    },
    /// The header is present but not in the provider's format.
    #[error("the {header} header is malformed: {problem}")]
    Malformed {
        /// The header's name.
        header: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The signature or token does not match the configured secret.
    #[error("the {header} header does not match the configured secret; check that both sides use the same secret")]
    Mismatch {
        /// The header's name.
        header: &'static str,
    },
}

/// True when `signature` (raw bytes) is the HMAC-SHA256 of `body` under
/// `secret`, compared in constant time.
pub fn hmac_sha256_matches(secret: &[u8], body: &[u8], signature: &[u8]) -> bool {
    // HMAC takes keys of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return false };
    mac.update(body);
    mac.verify_slice(signature).is_ok()
}

/// The HMAC-SHA256 of `body` under `secret`, in lower-case hex (what
/// GitHub's `X-Hub-Signature-256` carries after `sha256=`); for tests and
/// load generators that sign deliveries.
pub fn hmac_sha256_hex(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Compares two secrets in constant time (for their common length; the
/// length itself is not secret).
pub fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_published_test_vector_matches() {
        let expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(hmac_sha256_hex(b"It's a Secret to Everybody", b"Hello, World!"), expected);
        let raw = hex::decode(expected).unwrap();
        assert!(hmac_sha256_matches(b"It's a Secret to Everybody", b"Hello, World!", &raw));
        assert!(!hmac_sha256_matches(b"It's a Secret to Everybody", b"Hello, World?", &raw));
        assert!(!hmac_sha256_matches(b"another secret", b"Hello, World!", &raw));
        assert!(!hmac_sha256_matches(b"It's a Secret to Everybody", b"Hello, World!", &raw[..31]));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(secrets_equal(b"token", b"token"));
        assert!(!secrets_equal(b"token", b"tokem"));
        assert!(!secrets_equal(b"token", b"token2"));
        assert!(!secrets_equal(b"", b"x"));
    }
}
