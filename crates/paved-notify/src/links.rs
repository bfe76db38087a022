//! Signed acknowledge and resolve links (DESIGN §7 "On call").
//!
//! A page carries two links per recipient. Each link's token says, signed,
//! what it does: one action ([`Action`]) on one incident as one person,
//! until it expires. Following the link shows a confirm page (a GET never
//! acts: mail scanners and link previews follow links); the page's POST
//! verifies the token again and acts. Changing the action, the incident,
//! the person or the expiry breaks the signature, so a link is good for its
//! one purpose only.
//!
//! A token is `v1.<claims>.<mac>`: the claims as compact JSON in URL-safe
//! base64 without padding, and the HMAC-SHA256 of `v1.<claims>` under the
//! server's key, in the same base64. It needs no escaping in a path or a
//! query. The key is a secret of at least 32 random bytes; a new key
//! invalidates every link signed with the old one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Acknowledge the incident: someone is on it; escalation stops.
    #[serde(rename = "ack")]
    Ack,
    /// Resolve the incident.
    #[serde(rename = "resolve")]
    Resolve,
}

impl Action {
    /// `ack` or `resolve`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ack => "ack",
            Self::Resolve => "resolve",
        }
    }
}

/// What a link's token says: who may do what to which incident, until
/// when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionClaims {
    /// pavedroad's id of the incident.
    pub incident_id: i64,
    /// The one thing the link does.
    pub action: Action,
    /// The person paged, who acts by following it (a User reference such
    /// as `user:default/ana`).
    pub person: String,
    /// After this instant the link does nothing.
    pub expires_at: DateTime<Utc>,
}

/// The claims as the token carries them (short names keep links short).
#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(rename = "i")]
    incident_id: i64,
    #[serde(rename = "a")]
    action: Action,
    #[serde(rename = "p")]
    person: String,
    /// Seconds since the Unix epoch.
    #[serde(rename = "e")]
    expires_at: i64,
}

const VERSION: &str = "v1";

/// Why a link's token does not act. Each message says what happened and
/// what to do instead; none echoes the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a token pavedroad writes (cut short when copied, or not one at
    /// all).
    #[error(
        "this link is incomplete or damaged (perhaps cut short when copied); open the incident's page to acknowledge or resolve it"
    )]
    Malformed,
    /// The token was changed, or signed with another key (one that has
    /// been replaced since).
    #[error(
        "this link's signature does not match: it was changed, or signed with a key this server no longer uses; open the incident's page to acknowledge or resolve it"
    )]
    BadSignature,
    /// The token was good until `at`.
    #[error("this link expired at {at}; open the incident's page to acknowledge or resolve it")]
    Expired {
        /// When it expired.
        at: DateTime<Utc>,
    },
}

fn mac(key: &[u8], signed_part: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(signed_part.as_bytes());
    mac
}

/// The token of `claims`, signed with `key` (a secret of at least 32
/// random bytes): URL-safe, to put in a link as it is.
pub fn sign(key: &[u8], claims: &ActionClaims) -> String {
    let wire = Wire {
        incident_id: claims.incident_id,
        action: claims.action,
        person: claims.person.clone(),
        expires_at: claims.expires_at.timestamp(),
    };
    let json = serde_json::to_vec(&wire).expect("the claims serialise");
    let signed_part = format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(json));
    let tag = mac(key, &signed_part).finalize().into_bytes();
    format!("{signed_part}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// The claims of `token` if `key` signed it and it has not expired at
/// `now`. The signature is compared in constant time, before anything
/// reads the claims.
///
/// # Errors
/// [`LinkError::Malformed`] for text that is no token,
/// [`LinkError::BadSignature`] for a token changed or signed with another
/// key (an empty key verifies nothing), [`LinkError::Expired`] for one
/// whose time is up (the expiry instant itself included).
pub fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<ActionClaims, LinkError> {
    let token = token.trim();
    let (signed_part, tag) = token.rsplit_once('.').ok_or(LinkError::Malformed)?;
    let (version, claims) = signed_part.split_once('.').ok_or(LinkError::Malformed)?;
    if version != VERSION || claims.is_empty() {
        return Err(LinkError::Malformed);
    }
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| LinkError::Malformed)?;
    if key.is_empty() {
        return Err(LinkError::BadSignature);
    }
    mac(key, signed_part).verify_slice(&tag).map_err(|_| LinkError::BadSignature)?;
    // Signed by this server: what follows fails only for a token signed by
    // a version that wrote other claims.
    let json = URL_SAFE_NO_PAD.decode(claims).map_err(|_| LinkError::Malformed)?;
    let wire: Wire = serde_json::from_slice(&json).map_err(|_| LinkError::Malformed)?;
    let expires_at = DateTime::from_timestamp(wire.expires_at, 0).ok_or(LinkError::Malformed)?;
    if now >= expires_at {
        return Err(LinkError::Expired { at: expires_at });
    }
    Ok(ActionClaims { incident_id: wire.incident_id, action: wire.action, person: wire.person, expires_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims() -> ActionClaims {
        ActionClaims {
            incident_id: 42,
            action: Action::Ack,
            person: "user:default/ana".to_owned(),
            expires_at: "2026-11-03T11:00:00Z".parse().unwrap(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-03T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let token = sign(KEY, &claims());
        assert!(token.starts_with("v1."), "{token}");
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "URL-safe: {token}");
        assert_eq!(verify(KEY, &token, now()), Ok(claims()));
        let at = claims().expires_at;
        assert_eq!(verify(KEY, &token, at), Err(LinkError::Expired { at }));
        assert_eq!(verify(KEY, &token, at + chrono::Duration::days(1)), Err(LinkError::Expired { at }));
        assert!(verify(KEY, &token, at).unwrap_err().to_string().contains("expired at 2026-11-03 11:00:00 UTC"));
    }

    #[test]
    fn each_claim_is_covered_by_the_signature() {
        let token = sign(KEY, &claims());
        let (_, rest) = token.split_once('.').unwrap();
        let (_, tag) = rest.split_once('.').unwrap();
        let forged = |change: fn(&mut ActionClaims)| {
            let mut other = claims();
            change(&mut other);
            // The other claims with the original's signature.
            let (signed_part, _) =
                sign(KEY, &other).rsplit_once('.').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap();
            format!("{signed_part}.{tag}")
        };
        for change in [
            (|c: &mut ActionClaims| c.action = Action::Resolve) as fn(&mut ActionClaims),
            |c| c.incident_id = 43,
            |c| c.person = "user:default/mallory".to_owned(),
            |c| c.expires_at += chrono::Duration::days(365),
        ] {
            assert_eq!(verify(KEY, &forged(change), now()), Err(LinkError::BadSignature));
        }
        assert_eq!(verify(b"another key, as long as the first", &token, now()), Err(LinkError::BadSignature));
        assert_eq!(verify(b"", &token, now()), Err(LinkError::BadSignature));
    }

    #[test]
    fn a_flipped_character_anywhere_is_refused() {
        let token = sign(KEY, &claims());
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            if tampered == token {
                continue;
            }
            assert!(verify(KEY, &tampered, now()).is_err(), "position {i}: {tampered}");
        }
    }

    #[test]
    fn what_is_no_token_is_malformed() {
        let token = sign(KEY, &claims());
        for bad in ["", "v1", "v1.", "v1..", "v2.abc.def", "hello world", &token[..token.len() / 2], "v1.e30.!!"] {
            assert_eq!(verify(KEY, bad, now()), Err(LinkError::Malformed), "{bad:?}");
        }
        // Well signed, but not claims this version reads.
        let signed_part = format!("v1.{}", URL_SAFE_NO_PAD.encode(b"{\"x\":1}"));
        let tag = URL_SAFE_NO_PAD.encode(mac(KEY, &signed_part).finalize().into_bytes());
        assert_eq!(verify(KEY, &format!("{signed_part}.{tag}"), now()), Err(LinkError::Malformed));
    }
}
