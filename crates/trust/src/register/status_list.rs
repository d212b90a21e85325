//! A W3C Bitstring Status List v1.0 view of the register: a signed
//! `BitstringStatusListCredential` (status purpose `revocation`) whose bit `i` is 1 when the
//! declaration declared at register entry `i` is deprecated (superseded, or deprecated on its
//! own). Verifiers who know that format can check a declaration's status with it.
//!
//! It is a derived view, weaker than the log: the issuer signs one list and may show
//! different lists to different people; only the log's checkpoints, cosigned by witnesses,
//! rule out such split views. The list carries no register position or checkpoint.
//!
//! The bitstring is at least 16 KiB (131,072 bits, the specification's minimum, so one
//! declaration's bit does not stand out), bit 0 the most significant bit of the first byte; it
//! is GZIP-compressed and written as multibase base64url without padding (`u` prefix).
//!
//! ```
//! use pcf_trust::register::status_list::{bit, decode_list, encode_list};
//!
//! let mut bits = vec![0u8; 16 * 1024];
//! bits[0] = 0b0100_0000;
//! let encoded = encode_list(&bits);
//! assert!(encoded.starts_with('u'));
//! let decoded = decode_list(&encoded).unwrap();
//! assert!(!bit(&decoded, 0) && bit(&decoded, 1));
//! ```

use std::io::{Read as _, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use super::{EntryKind, Register, RegisterError, Status};
use crate::proof::{self, ProofOptions};

/// The fewest bits a list has (16 KiB).
pub const MIN_BITS: u64 = 16 * 1024 * 8;
/// The most bytes [`decode_list`] decompresses (16 MiB): a bound for hostile lists.
pub const MAX_BYTES: u64 = 16 << 20;

/// Why a status list could not be made or read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusListError {
    /// The register could not be read.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// The credential could not be signed.
    #[error(transparent)]
    Proof(#[from] proof::ProofError),
    /// The URL given for the list is not an absolute http(s) URL.
    #[error("{0:?} is not an absolute https:// (or http://) url for the status list")]
    Url(String),
    /// An `encodedList` that is not multibase base64url of a GZIP-compressed bitstring of at
    /// least the minimum length.
    #[error("the encoded list: {0}")]
    Encoding(String),
}

/// The register's bitstring: bit `i` is 1 when entry `i` declared a declaration that is now
/// deprecated; at least [`MIN_BITS`] bits.
pub fn bitstring(register: &Register) -> Result<Vec<u8>, RegisterError> {
    let entries = register.entries()?;
    let statuses = register.statuses()?;
    let bits = (entries.len() as u64).max(MIN_BITS);
    let mut out = vec![0u8; usize::try_from(bits.div_ceil(8)).unwrap_or(usize::MAX)];
    for entry in &entries {
        if let EntryKind::Declared { declaration, .. } = &entry.kind
            && statuses.get(declaration) == Some(&Status::Deprecated)
            && let Ok(i) = usize::try_from(entry.seq)
        {
            out[i / 8] |= 0x80 >> (i % 8);
        }
    }
    Ok(out)
}

/// Bit `index` of a bitstring (bit 0: the most significant bit of the first byte); false
/// beyond its end.
pub fn bit(bits: &[u8], index: u64) -> bool {
    usize::try_from(index / 8)
        .ok()
        .and_then(|i| bits.get(i))
        .is_some_and(|b| b & (0x80 >> (index % 8)) != 0)
}

/// The `encodedList` of a bitstring: `u` + base64url (no padding) of its GZIP compression.
pub fn encode_list(bits: &[u8]) -> String {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into memory cannot fail; a failure would show as a list that does not decode.
    let _ = gz.write_all(bits);
    let compressed = gz.finish().unwrap_or_default();
    format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// The bitstring of an `encodedList`, which must be at least [`MIN_BITS`] long.
pub fn decode_list(encoded: &str) -> Result<Vec<u8>, StatusListError> {
    let bad = |m: String| StatusListError::Encoding(m);
    let b64 = encoded
        .strip_prefix('u')
        .ok_or_else(|| bad("no multibase `u` (base64url) prefix".into()))?;
    let compressed = URL_SAFE_NO_PAD.decode(b64).map_err(|e| bad(format!("base64url: {e}")))?;
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bits)
        .map_err(|e| bad(format!("gzip: {e}")))?;
    if bits.len() as u64 > MAX_BYTES {
        return Err(bad(format!("over {MAX_BYTES} bytes once decompressed")));
    }
    if (bits.len() as u64) * 8 < MIN_BITS {
        return Err(bad(format!("{} bits, fewer than the minimum {MIN_BITS}", bits.len() * 8)));
    }
    Ok(bits)
}

/// The register's status list as a `BitstringStatusListCredential` published at `url`,
/// signed (`eddsa-jcs-2022`) by the issuer's `key` at `now` (an RFC 3339 UTC instant), which
/// is also its `validFrom`.
pub fn credential(
    register: &Register,
    key: &SigningKey,
    url: &str,
    now: &str,
) -> Result<Value, StatusListError> {
    let absolute = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.contains(|c: char| c.is_whitespace() || c == '#');
    if !absolute {
        return Err(StatusListError::Url(url.to_string()));
    }
    let issuer = crate::keys::did_key(&key.verifying_key());
    let document = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": now,
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(&bitstring(register)?),
        },
    });
    Ok(proof::sign(&document, key, ProofOptions::did_key(&key.verifying_key(), now))?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lists_round_trip_and_short_or_foreign_ones_are_refused() {
        let mut bits = vec![0u8; 16 * 1024];
        bits[1] = 0b0000_0001;
        bits[16 * 1024 - 1] = 0x80;
        let decoded = decode_list(&encode_list(&bits)).unwrap();
        assert_eq!(decoded, bits);
        let set: Vec<u64> = (0..MIN_BITS).filter(|&i| bit(&decoded, i)).collect();
        assert_eq!(set, [15, MIN_BITS - 8]);
        assert!(!bit(&decoded, MIN_BITS));
        // A compressed list is small.
        assert!(encode_list(&bits).len() < 200);
        for bad in [
            encode_list(&[0u8; 1024]),
            encode_list(&bits)[1..].to_string(),
            "u!!".to_string(),
            format!("u{}", URL_SAFE_NO_PAD.encode(b"not gzip")),
        ] {
            assert!(matches!(decode_list(&bad), Err(StatusListError::Encoding(_))), "{bad}");
        }
    }
}
