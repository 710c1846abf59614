//! PKCE (RFC 7636, S256) and the OAuth `state`, from random bytes the caller supplies.
//!
//! The domain has no RNG: the platform layer fills the bytes from `crypto.getRandomValues`, and
//! tests pass fixed bytes (RFC 7636 appendix B).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The code verifier: 32 random bytes as base64url without padding (43 characters, within
/// RFC 7636's 43..=128). Kept until the code is exchanged; Debug does not show it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PkceVerifier(String);

impl PkceVerifier {
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        PkceVerifier(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The verifier as sent in the token request.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `BASE64URL(SHA256(verifier))`, sent with `code_challenge_method=S256`.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([redacted])")
    }
}

/// The method name ServiceNow expects beside the challenge.
pub const CHALLENGE_METHOD: &str = "S256";

/// A `state` value for the authorization request: 16 random bytes, base64url.
pub fn oauth_state(bytes: [u8; 16]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares the returned `state` without an early exit, so timing says nothing about it.
pub fn state_matches(expected: &str, returned: &str) -> bool {
    let (a, b) = (expected.as_bytes(), returned.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC7636_BYTES: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
        77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];

    #[test]
    fn rfc7636_appendix_b() {
        let v = PkceVerifier::from_random_bytes(RFC7636_BYTES);
        assert_eq!(v.as_str(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(v.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn verifier_has_the_rfc_length_and_alphabet() {
        let v = PkceVerifier::from_random_bytes([0xff; 32]);
        assert_eq!(v.as_str().len(), 43);
        assert!(v
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(!v.challenge().contains('='));
    }

    #[test]
    fn debug_hides_the_verifier() {
        let v = PkceVerifier::from_random_bytes(RFC7636_BYTES);
        let shown = format!("{v:?}");
        assert!(!shown.contains("dBjft"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn state_is_url_safe_and_compared_exactly() {
        let s = oauth_state([0xfb; 16]);
        assert_eq!(s.len(), 22);
        assert!(!s.contains(['+', '/', '=']));
        assert!(state_matches(&s, &s.clone()));
        assert!(!state_matches(&s, &oauth_state([0xfa; 16])));
        assert!(!state_matches(&s, ""));
        assert!(!state_matches("", ""));
        assert!(!state_matches(&s, &s[..21]));
    }
}
