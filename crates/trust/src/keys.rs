//! Ed25519 issuer keys: generation from operating-system randomness, private keys as PKCS#8 PEM
//! files (owner-only, never overwritten), admission of public keys (small-order and
//! non-canonical encodings refused), and the public identifiers a verifier resolves:
//! `did:key` (a Multikey `z6Mk…`) and a `did:web` DID document.
//!
//! Secrets never reach a log: [`SigningKey`]'s `Debug` shows only the public half, PEM text is
//! zeroized after use, and no error message carries key material.
//!
//! ```
//! let key = pcf_trust::keys::generate().unwrap();
//! let did = pcf_trust::keys::did_key(&key.verifying_key());
//! assert!(did.starts_with("did:key:z6Mk"));
//! assert_eq!(pcf_trust::keys::parse_did_key(&did).unwrap(), key.verifying_key());
//! ```

use std::fs;
use std::io;
use std::path::Path;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::spki::der::zeroize::{Zeroize, Zeroizing};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::{Value, json};

use pcf_base::atomic::{Mode, write_new};
use pcf_base::digest::hex;

/// The multicodec prefix of an Ed25519 public key (`ed25519-pub`, 0xed as an unsigned varint).
pub const ED25519_PUB_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// Why a key could not be created, stored, read or admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The operating system gave no randomness.
    #[error("cannot get randomness from the operating system: {reason}")]
    Randomness {
        /// What the operating system said.
        reason: String,
    },
    /// The private-key file already exists; keys are never overwritten.
    #[error(
        "{path} already exists: choose another path for the new key \
         (an existing key is never overwritten)"
    )]
    AlreadyExists {
        /// The existing file.
        path: String,
    },
    /// The private-key file could not be written.
    #[error("cannot write private key {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// What the operating system said.
        reason: String,
    },
    /// The private-key file could not be read.
    #[error("cannot read private key {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// What the operating system said.
        reason: String,
    },
    /// The private-key file is readable by users other than its owner.
    #[error(
        "private key {path} is readable by group or others (mode {mode:03o}): \
         restrict it with chmod 600"
    )]
    Exposed {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not an Ed25519 private key in PKCS#8 PEM.
    #[error("{path} is not an ed25519 private key in pkcs#8 pem: {reason}")]
    NotPkcs8 {
        /// The file.
        path: String,
        /// What the decoder said (never key material).
        reason: String,
    },
    /// The 32 bytes do not decode to a point of edwards25519.
    #[error("public key {key} is not a point on edwards25519")]
    NotOnCurve {
        /// The key in hex.
        key: String,
    },
    /// The 32 bytes decode to a point whose canonical encoding is different.
    #[error("public key {key} is not canonically encoded (the canonical encoding is {canonical})")]
    NonCanonical {
        /// The key in hex, as given.
        key: String,
        /// The canonical encoding of the same point, in hex.
        canonical: String,
    },
    /// The key has small order: signatures under it prove nothing.
    #[error("public key {key} is a weak (small-order) key, for which forged signatures verify")]
    Weak {
        /// The key in hex.
        key: String,
    },
    /// A `publicKeyMultibase` value is not an Ed25519 Multikey.
    #[error("invalid ed25519 multikey {value:?}: {reason}")]
    Multikey {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `did:key` identifier or verification-method id is malformed.
    #[error("invalid did:key {did:?}: {reason}")]
    DidKey {
        /// The identifier given.
        did: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A new signing key from operating-system randomness.
pub fn generate() -> Result<SigningKey, KeyError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice())
        .map_err(|e| KeyError::Randomness { reason: e.to_string() })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes `key` to a new file at `path` as PKCS#8 v2 PEM (private and public key), readable by
/// the owner only. Fails with [`KeyError::AlreadyExists`] if `path` exists, leaving it intact.
pub fn write_private_key(path: &Path, key: &SigningKey) -> Result<(), KeyError> {
    let shown = path.display().to_string();
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Write { path: shown.clone(), reason: e.to_string() })?;
    write_new(path, pem.as_bytes(), Mode::Private).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => KeyError::AlreadyExists { path: shown.clone() },
        _ => KeyError::Write { path: shown.clone(), reason: e.to_string() },
    })
}

/// Reads a PKCS#8 PEM Ed25519 private key (v1, or v2 whose public key must match).
///
/// On Unix a file that group or others may read is refused ([`KeyError::Exposed`]), as
/// OpenSSH does: such a key must be presumed disclosed.
pub fn read_private_key(path: &Path) -> Result<SigningKey, KeyError> {
    let shown = || path.display().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(path)
            .map_err(|e| KeyError::Read { path: shown(), reason: e.to_string() })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Exposed { path: shown(), mode });
        }
    }
    let mut bytes =
        fs::read(path).map_err(|e| KeyError::Read { path: shown(), reason: e.to_string() })?;
    let parsed = match std::str::from_utf8(&bytes) {
        Ok(text) => SigningKey::from_pkcs8_pem(text.trim())
            .map_err(|e| KeyError::NotPkcs8 { path: shown(), reason: e.to_string() }),
        Err(_) => Err(KeyError::NotPkcs8 { path: shown(), reason: "not utf-8 text".into() }),
    };
    bytes.zeroize();
    parsed
}

/// Admits 32 bytes as a public key: they must decode to a point of edwards25519, be that
/// point's canonical encoding, and the point must not have small order.
pub fn admit_public_key(bytes: &[u8; 32]) -> Result<VerifyingKey, KeyError> {
    let key =
        VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::NotOnCurve { key: hex(bytes) })?;
    // `VerifyingKey` keeps the bytes it was given, so compare them with the re-encoded point.
    // Re-encoding costs a field inversion, so it runs only where an encoding can differ: a
    // y coordinate of p or more, or a sign bit on x = 0, which only the small-order points
    // (0, 1) and (0, -1) have.
    let y_unreduced =
        bytes[31] & 0x7f == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed;
    let weak = key.is_weak();
    if y_unreduced || weak {
        let canonical = key.to_edwards().compress().to_bytes();
        if canonical != *bytes {
            return Err(KeyError::NonCanonical { key: hex(bytes), canonical: hex(&canonical) });
        }
    }
    if weak {
        return Err(KeyError::Weak { key: hex(bytes) });
    }
    Ok(key)
}

/// The Multikey (`publicKeyMultibase`) form of `key`: `z` + base58btc(0xed01 ‖ key).
pub fn multikey(key: &VerifyingKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB_MULTICODEC);
    bytes.extend_from_slice(key.as_bytes());
    format!("z{}", base58_encode(&bytes))
}

/// Parses and admits a Multikey (`z6Mk…`) Ed25519 public key.
pub fn parse_multikey(value: &str) -> Result<VerifyingKey, KeyError> {
    let shown: String = value.chars().take(80).collect();
    let err = |reason: &str| KeyError::Multikey { value: shown.clone(), reason: reason.into() };
    if value.len() > MAX_BASE58_CHARS {
        return Err(err(&format!("{} characters; an ed25519 multikey has 48", value.len())));
    }
    let encoded = value
        .strip_prefix('z')
        .ok_or_else(|| err("expected multibase base58btc, which starts with 'z'"))?;
    let bytes = base58_decode(encoded).ok_or_else(|| err("not base58btc"))?;
    let key = bytes
        .strip_prefix(&ED25519_PUB_MULTICODEC)
        .ok_or_else(|| err("not an ed25519 public key (multicodec 0xed01)"))?;
    let key: &[u8; 32] =
        key.try_into().map_err(|_| err(&format!("{} key bytes, expected 32", key.len())))?;
    admit_public_key(key)
}

/// The `did:key` identifier of `key`: `did:key:z6Mk…`.
pub fn did_key(key: &VerifyingKey) -> String {
    format!("did:key:{}", multikey(key))
}

/// The id of the verification method of a `did:key`: `did:key:z6Mk…#z6Mk…`.
pub fn did_key_verification_method(key: &VerifyingKey) -> String {
    let mk = multikey(key);
    format!("did:key:{mk}#{mk}")
}

/// Parses and admits the key of a `did:key` identifier, or of a `did:key` verification-method
/// id whose fragment must repeat the key (`did:key:z6Mk…#z6Mk…`).
pub fn parse_did_key(did: &str) -> Result<VerifyingKey, KeyError> {
    let err = |reason: String| KeyError::DidKey { did: did.to_string(), reason };
    let rest = did
        .strip_prefix("did:key:")
        .ok_or_else(|| err("expected an identifier starting with did:key:".into()))?;
    let (id, fragment) = match rest.split_once('#') {
        Some((id, fragment)) => (id, Some(fragment)),
        None => (rest, None),
    };
    if let Some(fragment) = fragment
        && fragment != id
    {
        return Err(err(format!("fragment #{fragment} does not name the key {id}")));
    }
    parse_multikey(id).map_err(|e| match e {
        KeyError::Multikey { reason, .. } => err(reason),
        other => other,
    })
}

/// The `did:web` identifier for `domain` (`host`, `host:port` or `host/path`): the port's colon
/// is percent-encoded and path slashes become colons, as the did:web method specifies.
pub fn did_web(domain: &str) -> String {
    let (host, path) = match domain.split_once('/') {
        Some((host, path)) => (host, Some(path)),
        None => (domain, None),
    };
    let mut did = format!("did:web:{}", host.replace(':', "%3A"));
    if let Some(path) = path {
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            did.push(':');
            did.push_str(segment);
        }
    }
    did
}

/// A DID document for `did:web:<domain>` (serve it at `https://<domain>/.well-known/did.json`)
/// with `key` as its one Multikey verification method, referenced by `assertionMethod`.
pub fn did_web_document(domain: &str, key: &VerifyingKey) -> Value {
    let did = did_web(domain);
    let mk = multikey(key);
    let method = format!("{did}#{mk}");
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{
            "id": method,
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": mk,
        }],
        "assertionMethod": [method],
    })
}

/// The longest base58 text [`base58_decode`] accepts: 256 characters, far above a key (48)
/// or a signature (88).
pub const MAX_BASE58_CHARS: usize = 256;

/// base58btc encoding (the Bitcoin alphabet), without the multibase `z` prefix.
pub fn base58_encode(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}

/// base58btc decoding, without the multibase `z` prefix; `None` on a character outside the
/// alphabet. The encoding is canonical: `base58_encode` of the result gives `text` back.
pub fn base58_decode(text: &str) -> Option<Vec<u8>> {
    // Decoding is quadratic in the length; pcf decodes keys and signatures (under 100
    // characters), so anything longer is refused before any work.
    if text.len() > MAX_BASE58_CHARS {
        return None;
    }
    bs58::decode(text).into_vec().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_agrees_with_re_encoding_for_all_edge_encodings() {
        // Every y in 0..32 and p-16..2^255, with and without the sign bit: admission must
        // refuse exactly the encodings whose point re-encodes differently, or is small-order.
        let mut candidates = Vec::new();
        for k in 0u8..32 {
            let mut low = [0u8; 32];
            low[0] = k;
            let mut high = [0xffu8; 32];
            high[31] = 0x7f;
            high[0] = 0xe0 + k;
            candidates.extend([low, high]);
        }
        for mut bytes in candidates.clone() {
            bytes[31] |= 0x80;
            candidates.push(bytes);
        }
        let mut non_canonical = 0;
        for bytes in candidates {
            let Ok(point) = VerifyingKey::from_bytes(&bytes) else {
                assert!(matches!(admit_public_key(&bytes), Err(KeyError::NotOnCurve { .. })));
                continue;
            };
            let canonical = point.to_edwards().compress().to_bytes() == bytes;
            let expected_ok = canonical && !point.is_weak();
            assert_eq!(admit_public_key(&bytes).is_ok(), expected_ok, "{}", hex(&bytes));
            if !canonical {
                non_canonical += 1;
                assert!(matches!(admit_public_key(&bytes), Err(KeyError::NonCanonical { .. })));
            }
        }
        assert!(non_canonical > 10, "{non_canonical}");
    }

    #[test]
    fn base58_round_trips_and_keeps_leading_zeros() {
        assert_eq!(base58_encode(b""), "");
        assert_eq!(base58_encode(&[0, 0, 1]), "112");
        assert_eq!(base58_encode(b"hello world"), "StV1DL6CwTryKyV");
        assert_eq!(base58_decode("StV1DL6CwTryKyV").unwrap(), b"hello world");
        assert_eq!(base58_decode("112").unwrap(), [0, 0, 1]);
        assert_eq!(base58_decode("0OIl"), None);
        assert!(base58_decode(&"2".repeat(MAX_BASE58_CHARS)).is_some());
        assert_eq!(base58_decode(&"2".repeat(MAX_BASE58_CHARS + 1)), None);
        for n in 0..=255u8 {
            let bytes = [0, n, n.wrapping_mul(7), 255 - n];
            assert_eq!(base58_decode(&base58_encode(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn did_web_encodes_port_and_path() {
        assert_eq!(did_web("example.com"), "did:web:example.com");
        assert_eq!(did_web("example.com:8443"), "did:web:example.com%3A8443");
        assert_eq!(did_web("example.com/issuers/1"), "did:web:example.com:issuers:1");
    }
}
