//! The key itself: `vk_<id>_<secret>`, its hash at rest and its fingerprint in memory.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::AuthError;

const PREFIX: &str = "vk_";
/// Hex digits of the public id.
const ID_LEN: usize = 12;
/// Hex digits of the secret (32 random bytes).
const SECRET_LEN: usize = 64;

/// A full API key as a client presents it. Its `Debug` and `Display` hide the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    id: String,
    full: String,
}

impl Token {
    /// A new random key.
    pub(crate) fn generate() -> Token {
        let mut rng = rand::rng();
        let mut id = [0u8; ID_LEN / 2];
        let mut secret = [0u8; SECRET_LEN / 2];
        rng.fill_bytes(&mut id);
        rng.fill_bytes(&mut secret);
        let id = hex(&id);
        let full = format!("{PREFIX}{id}_{}", hex(&secret));
        Token { id, full }
    }

    /// Reads a key presented by a client; `None` when it does not have the shape of one.
    pub fn parse(text: &str) -> Option<Token> {
        let rest = text.strip_prefix(PREFIX)?;
        let (id, secret) = rest.split_once('_')?;
        let lower_hex =
            |s: &str, len: usize| s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        (lower_hex(id, ID_LEN) && lower_hex(secret, SECRET_LEN))
            .then(|| Token { id: id.to_string(), full: text.to_string() })
    }

    /// The public id: safe to log and list.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The whole key, secret included: show it once, never log it.
    pub fn reveal(&self) -> &str {
        &self.full
    }

    /// The argon2id hash stored at rest.
    pub(crate) fn hash(&self) -> Result<String, AuthError> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
        Argon2::default()
            .hash_password(self.full.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Hash(e.to_string()))
    }

    /// Whether this key is the one `hash` was made from (argon2 compares in constant time).
    pub(crate) fn matches_hash(&self, hash: &str) -> bool {
        match PasswordHash::new(hash) {
            Ok(parsed) => Argon2::default().verify_password(self.full.as_bytes(), &parsed).is_ok(),
            Err(e) => {
                tracing::error!(key = %self.id, error = %e, "stored key hash is unreadable");
                false
            }
        }
    }

    /// SHA-256 of the whole key: what the in-memory cache of verified keys holds.
    pub(crate) fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(self.full.as_bytes()).into()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({PREFIX}{}_…)", self.id)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}_…", self.id)
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_keys_parse_back_and_differ() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a, b);
        assert_eq!(Token::parse(a.reveal()), Some(a.clone()));
        assert!(a.reveal().starts_with(&format!("vk_{}_", a.id())));
        assert_eq!(a.reveal().len(), 3 + ID_LEN + 1 + SECRET_LEN);
    }

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let t = Token::generate();
        let secret = &t.reveal()[3 + ID_LEN + 1..];
        assert!(!format!("{t:?}").contains(secret));
        assert!(!t.to_string().contains(secret));
    }

    #[test]
    fn a_hash_verifies_its_key_and_no_other() {
        let t = Token::generate();
        let hash = t.hash().unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(&t.reveal()[4..]));
        assert!(t.matches_hash(&hash));
        let mut other = t.reveal().to_string();
        let last = if other.ends_with('0') { "1" } else { "0" };
        other.replace_range(other.len() - 1.., last);
        let other = Token::parse(&other).unwrap();
        assert!(!other.matches_hash(&hash));
        assert!(!t.matches_hash("not a hash"));
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_accepts_only_the_exact_shape(s in "\\PC{0,100}") {
            if let Some(t) = Token::parse(&s) {
                prop_assert_eq!(t.reveal(), s.as_str());
                prop_assert_eq!(s.len(), 3 + ID_LEN + 1 + SECRET_LEN);
            }
        }

        #[test]
        fn parse_accepts_every_well_formed_key(id in "[0-9a-f]{12}", secret in "[0-9a-f]{64}") {
            let text = format!("vk_{id}_{secret}");
            let t = Token::parse(&text).unwrap();
            prop_assert_eq!(t.id(), id.as_str());
        }
    }
}
