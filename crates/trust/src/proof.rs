//! W3C Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (Data Integrity EdDSA
//! Cryptosuites v1.0, W3C Recommendation 2025-05-15, section 3.3): how a declaration is signed
//! and how anyone checks it offline.
//!
//! Signing ([`sign`]) builds the proof configuration (`type`, `cryptosuite`, `created`,
//! `verificationMethod`, `proofPurpose`, and the document's `@context` when it has one),
//! canonicalizes it and the document with JCS (RFC 8785), signs
//! `SHA-256(canonical proof configuration) ‖ SHA-256(canonical document)` with Ed25519 and adds
//! the signature as a base58btc multibase `proofValue`.
//!
//! Verifying ([`verify`]) undoes exactly that, and refuses more than the specification asks:
//! the signature is checked with `verify_strict` (no malleable or small-order signatures), the
//! key must pass [`crate::keys::admit_public_key`], and every failure is a
//! distinct [`ProofError`] saying what was wrong.
//!
//! ```
//! use pcf_trust::proof::{ProofOptions, sign, verify};
//! let key = pcf_trust::keys::generate().unwrap();
//! let options = ProofOptions::did_key(&key.verifying_key(), "2026-01-01T00:00:00Z");
//! let document = serde_json::json!({"product": "widget", "pcf": 1.25});
//! let secured = sign(&document, &key, options).unwrap();
//! let verified = verify(&secured, &|_| None).unwrap(); // did:key resolves itself
//! assert_eq!(verified.document, document);
//! ```

use std::time::{Duration, Instant};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{Map, Value, json};

use crate::keys::{
    KeyError, admit_public_key, base58_decode, base58_encode, did_key_verification_method,
    parse_did_key,
};
use pcf_base::canonical::{JsonError, canonicalize};
use pcf_base::digest::Digest;

/// The proof `type` this module creates and accepts.
pub const PROOF_TYPE: &str = "DataIntegrityProof";

/// The `cryptosuite` this module creates and accepts.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// The proof purpose of a claim made by its issuer, and the one [`verify`] expects.
pub const ASSERTION_METHOD: &str = "assertionMethod";

/// Why a proof could not be created or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The document to sign or verify is not a JSON object.
    #[error("the {what} is not a json object")]
    NotAnObject {
        /// Which document.
        what: &'static str,
    },
    /// The document to sign already carries a proof.
    #[error("the document already has a proof: proof sets and chains are not supported")]
    AlreadySigned,
    /// The secured document has no `proof`.
    #[error("the secured document has no proof")]
    MissingProof,
    /// `proof` is not one object (an array would be a proof set).
    #[error("proof is not a json object (proof sets are not supported)")]
    ProofNotAnObject,
    /// A required proof property is absent.
    #[error("proof has no {field}")]
    MissingField {
        /// The property.
        field: &'static str,
    },
    /// A proof property that must be a string is not one.
    #[error("proof {field} is not a string")]
    NotAString {
        /// The property.
        field: &'static str,
    },
    /// The proof `type` is not `DataIntegrityProof`.
    #[error("proof type {found:?} is not DataIntegrityProof")]
    WrongType {
        /// The type found.
        found: String,
    },
    /// The proof `cryptosuite` is not `eddsa-jcs-2022`.
    #[error("proof cryptosuite {found:?} is not eddsa-jcs-2022")]
    WrongCryptosuite {
        /// The cryptosuite found.
        found: String,
    },
    /// The proof was made for another purpose than the one expected.
    #[error("proof purpose {found:?} is not the expected {expected:?}")]
    WrongPurpose {
        /// The purpose found.
        found: String,
        /// The purpose required.
        expected: String,
    },
    /// `created` (or `expires`) is not an XML Schema dateTime.
    #[error("proof {field} {value:?} is not an xml schema datetime such as 2026-01-31T12:00:00Z")]
    InvalidDateTime {
        /// The property.
        field: &'static str,
        /// The value found.
        value: String,
    },
    /// The proof's `@context` is not a prefix of the document's (spec: verify step 4.1).
    #[error("the document @context {document} does not start with the proof @context {proof}")]
    ContextMismatch {
        /// The document's `@context` as JSON (`null` when absent).
        document: String,
        /// The proof's `@context` as JSON.
        proof: String,
    },
    /// `proofValue` is not a base58btc multibase Ed25519 signature.
    #[error("proof proofValue is not a base58btc multibase ed25519 signature: {reason}")]
    ProofValue {
        /// What is wrong with it.
        reason: String,
    },
    /// The verification method did not resolve to a key.
    #[error("cannot resolve verification method {method:?} to a public key")]
    UnresolvedMethod {
        /// The verification method id.
        method: String,
    },
    /// The verification method's key was refused.
    #[error("verification method {method:?}: {source}")]
    Key {
        /// The verification method id.
        method: String,
        /// Why the key was refused.
        source: KeyError,
    },
    /// The signing key is not the key a `did:key` verification method names.
    #[error("the signing key is not the key of verification method {method:?}")]
    KeyMismatch {
        /// The verification method id.
        method: String,
    },
    /// The document or proof configuration has no canonical form.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// The signature does not verify.
    #[error(
        "signature does not verify under verification method {method:?}: the document or its \
         proof was changed, or another key signed it"
    )]
    BadSignature {
        /// The verification method id.
        method: String,
    },
}

/// The options of a new proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// The `verificationMethod`: the id (a URL such as `did:web:…#…` or `did:key:…#…`) that
    /// resolves to the public key.
    pub verification_method: String,
    /// The `created` timestamp, an XML Schema dateTime (see [`utc_now`]).
    pub created: String,
    /// The `proofPurpose`, normally [`ASSERTION_METHOD`].
    pub proof_purpose: String,
}

impl ProofOptions {
    /// Options for an assertion by `verification_method`, created at `created`.
    pub fn new(verification_method: impl Into<String>, created: impl Into<String>) -> Self {
        ProofOptions {
            verification_method: verification_method.into(),
            created: created.into(),
            proof_purpose: ASSERTION_METHOD.to_string(),
        }
    }

    /// Options for an assertion whose verification method is the `did:key` of `key`.
    pub fn did_key(key: &VerifyingKey, created: impl Into<String>) -> Self {
        Self::new(did_key_verification_method(key), created)
    }
}

/// What a successful [`verify`] established.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedProof {
    /// The verification method that signed.
    pub verification_method: String,
    /// Its public key.
    pub key: VerifyingKey,
    /// The proof's `created`, if it has one.
    pub created: Option<String>,
    /// The proof's `proofPurpose`.
    pub proof_purpose: String,
    /// The verified document without its proof (`@context` as the proof covered it).
    pub document: Value,
    /// SHA-256 of the document's canonical form: the same digest [`pcf_base::canonical::digest`]
    /// gives for [`VerifiedProof::document`].
    pub document_digest: Digest,
}

/// The intermediate values of the `eddsa-jcs-2022` hashing algorithm (spec 3.3.4), exposed so
/// they can be checked against the W3C test vectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashData {
    /// The JCS form of the document without its proof.
    pub canonical_document: Vec<u8>,
    /// The JCS form of the proof configuration (the proof without `proofValue`).
    pub canonical_proof_config: Vec<u8>,
    /// SHA-256 of the canonical proof configuration.
    pub proof_config_hash: Digest,
    /// SHA-256 of the canonical document.
    pub document_hash: Digest,
}

impl HashData {
    /// Canonicalizes and hashes `document` (without proof) and `proof_config` (without
    /// `proofValue`).
    pub fn new(document: &Value, proof_config: &Value) -> Result<Self, ProofError> {
        let canonical_document = canonicalize(document)?;
        let canonical_proof_config = canonicalize(proof_config)?;
        Ok(HashData {
            proof_config_hash: Digest::of(&canonical_proof_config),
            document_hash: Digest::of(&canonical_document),
            canonical_document,
            canonical_proof_config,
        })
    }

    /// The 64 bytes that are signed: proof configuration hash, then document hash.
    pub fn bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.proof_config_hash.0);
        out[32..].copy_from_slice(&self.document_hash.0);
        out
    }
}

/// Signs `document` (a JSON object without a `proof`) and returns it with the proof added
/// (spec 3.3.1, Create Proof).
pub fn sign(
    document: &Value,
    key: &SigningKey,
    options: ProofOptions,
) -> Result<Value, ProofError> {
    let Value::Object(map) = document else {
        return Err(ProofError::NotAnObject { what: "document to sign" });
    };
    if map.contains_key("proof") {
        return Err(ProofError::AlreadySigned);
    }
    check_datetime("created", &options.created)?;
    if options.verification_method.starts_with("did:key:") {
        let named = parse_did_key(&options.verification_method).map_err(|source| {
            ProofError::Key { method: options.verification_method.clone(), source }
        })?;
        if named != key.verifying_key() {
            return Err(ProofError::KeyMismatch { method: options.verification_method });
        }
    }
    let mut proof = Map::new();
    proof.insert("type".into(), json!(PROOF_TYPE));
    proof.insert("cryptosuite".into(), json!(CRYPTOSUITE));
    proof.insert("created".into(), json!(options.created));
    proof.insert("verificationMethod".into(), json!(options.verification_method));
    proof.insert("proofPurpose".into(), json!(options.proof_purpose));
    if let Some(context) = map.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let mut proof = Value::Object(proof);
    let hash = HashData::new(document, &proof)?;
    let signature = key.sign(&hash.bytes());
    let proof_value = format!("z{}", base58_encode(&signature.to_bytes()));
    if let Value::Object(p) = &mut proof {
        p.insert("proofValue".into(), Value::String(proof_value));
    }
    let mut secured = map.clone();
    secured.insert("proof".into(), proof);
    Ok(Value::Object(secured))
}

/// Verifies the `eddsa-jcs-2022` proof of `secured` for the purpose [`ASSERTION_METHOD`]
/// (spec 3.3.2, Verify Proof).
///
/// `resolver` maps a verification method id to its public key (for example from a cached
/// `did:web` document); when it returns `None` for a `did:key` method the key is read from the
/// identifier itself. Resolved keys are admitted with
/// [`crate::keys::admit_public_key`] like any other.
pub fn verify(
    secured: &Value,
    resolver: &dyn Fn(&str) -> Option<VerifyingKey>,
) -> Result<VerifiedProof, ProofError> {
    verify_for_purpose(secured, ASSERTION_METHOD, resolver)
}

/// [`verify`] for a proof made for `expected_purpose`.
pub fn verify_for_purpose(
    secured: &Value,
    expected_purpose: &str,
    resolver: &dyn Fn(&str) -> Option<VerifyingKey>,
) -> Result<VerifiedProof, ProofError> {
    let Value::Object(secured) = secured else {
        return Err(ProofError::NotAnObject { what: "secured document" });
    };
    let mut unsecured = secured.clone();
    let proof = match unsecured.shift_remove("proof") {
        Some(Value::Object(proof)) => proof,
        Some(_) => return Err(ProofError::ProofNotAnObject),
        None => return Err(ProofError::MissingProof),
    };
    let mut options = proof;
    let proof_value = match options.shift_remove("proofValue") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(ProofError::NotAString { field: "proofValue" }),
        None => return Err(ProofError::MissingField { field: "proofValue" }),
    };
    let signature = decode_proof_value(&proof_value)?;

    let proof_type = string_field(&options, "type")?;
    if proof_type != PROOF_TYPE {
        return Err(ProofError::WrongType { found: proof_type.to_string() });
    }
    let suite = string_field(&options, "cryptosuite")?;
    if suite != CRYPTOSUITE {
        return Err(ProofError::WrongCryptosuite { found: suite.to_string() });
    }
    let purpose = string_field(&options, "proofPurpose")?.to_string();
    if purpose != expected_purpose {
        return Err(ProofError::WrongPurpose {
            found: purpose,
            expected: expected_purpose.to_string(),
        });
    }
    let method = string_field(&options, "verificationMethod")?.to_string();
    let created = match options.get("created") {
        None => None,
        Some(Value::String(s)) => {
            check_datetime("created", s)?;
            Some(s.clone())
        }
        Some(_) => return Err(ProofError::NotAString { field: "created" }),
    };
    match options.get("expires") {
        None => {}
        Some(Value::String(s)) => check_datetime("expires", s)?,
        Some(_) => return Err(ProofError::NotAString { field: "expires" }),
    }

    if let Some(proof_context) = options.get("@context") {
        let document_context = unsecured.get("@context");
        if !context_starts_with(document_context, proof_context) {
            return Err(ProofError::ContextMismatch {
                document: document_context.map_or_else(|| "null".into(), Value::to_string),
                proof: proof_context.to_string(),
            });
        }
        unsecured.insert("@context".into(), proof_context.clone());
    }
    let document = Value::Object(unsecured);
    let hash = HashData::new(&document, &Value::Object(options))?;

    let key = match resolver(&method) {
        Some(key) => admit_public_key(key.as_bytes()),
        None if method.starts_with("did:key:") => parse_did_key(&method),
        None => return Err(ProofError::UnresolvedMethod { method }),
    };
    let key = key.map_err(|source| ProofError::Key { method: method.clone(), source })?;
    key.verify_strict(&hash.bytes(), &signature)
        .map_err(|_| ProofError::BadSignature { method: method.clone() })?;

    Ok(VerifiedProof {
        verification_method: method,
        key,
        created,
        proof_purpose: purpose,
        document,
        document_digest: hash.document_hash,
    })
}

/// The current time as an XML Schema dateTime in UTC with whole seconds
/// (`2026-01-31T12:00:00Z`), for [`ProofOptions::created`].
pub fn utc_now() -> String {
    let now = pcf_base::time::Instant::now();
    pcf_base::time::Instant::from_unix_seconds(now.unix_seconds()).unwrap_or(now).to_string()
}

/// Throughput of [`verify`] against raw `verify_strict` in the same run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// How many verifications of each kind were timed.
    pub iterations: usize,
    /// Size of the signed declaration used, in canonical bytes.
    pub document_bytes: usize,
    /// Full [`verify`] calls (did:key resolution, canonicalization, hashing, signature) per
    /// second.
    pub declarations_per_second: f64,
    /// `VerifyingKey::verify_strict` on a 64-byte message per second.
    pub raw_verifications_per_second: f64,
}

impl BenchReport {
    /// How many times slower a full declaration verification is than a raw signature check.
    pub fn slowdown(&self) -> f64 {
        self.raw_verifications_per_second / self.declarations_per_second
    }
}

/// Times `n` verifications of a representative signed declaration against `n` raw
/// `verify_strict` calls (a micro-benchmark; run it in a release build).
pub fn bench_verify(n: usize) -> Result<BenchReport, ProofError> {
    let n = n.max(1);
    // A fixed key: the benchmark needs no secrecy and must not depend on randomness.
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let document = sample_declaration();
    let options = ProofOptions::did_key(&key.verifying_key(), "2026-01-01T00:00:00Z");
    let secured = sign(&document, &key, options)?;
    let document_bytes = canonicalize(&document)?.len();

    let message = [42u8; 64];
    let signature = key.sign(&message);
    let verifying = key.verifying_key();
    // Interleave the two measurements in rounds so that load from other processes slows both
    // alike instead of skewing the ratio.
    let rounds = n.min(10);
    let (mut declarations, mut raw) = (Duration::ZERO, Duration::ZERO);
    for round in 0..rounds {
        let count = n / rounds + usize::from(round < n % rounds);
        let start = Instant::now();
        for _ in 0..count {
            std::hint::black_box(verify(std::hint::black_box(&secured), &|_| None)?);
        }
        declarations += start.elapsed();
        let start = Instant::now();
        for _ in 0..count {
            let ok = verifying.verify_strict(std::hint::black_box(&message), &signature).is_ok();
            std::hint::black_box(ok);
        }
        raw += start.elapsed();
    }

    let per_second = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    Ok(BenchReport {
        iterations: n,
        document_bytes,
        declarations_per_second: per_second(declarations),
        raw_verifications_per_second: per_second(raw),
    })
}

/// A declaration-sized credential for the benchmark.
fn sample_declaration() -> Value {
    let stages: Vec<Value> = ["raw-materials", "manufacturing", "transport", "packaging"]
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            json!({"stage": stage, "kgCO2e": 0.125 * (i as f64 + 1.0), "share": 0.25,
                   "sources": [{"dataset": format!("ecoinvent-3.10/{i}"), "dqr": 1.6}]})
        })
        .collect();
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://example.org/pcf/v1"],
        "id": "urn:uuid:5f0c1c2e-6a55-4c1d-9a5e-0a3c5d1b2e77",
        "type": ["VerifiableCredential", "ProductCarbonFootprint"],
        "issuer": "did:web:example.com",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "product": {"id": "urn:gtin:04012345678901", "name": "Widget, 1 kg"},
            "declaredUnit": "kilogram",
            "unitaryProductAmount": 1,
            "pcfExcludingBiogenic": 2.5,
            "fossilGhgEmissions": 2.375,
            "biogenicCarbonContent": 0.0,
            "stages": stages,
            "methodology": {"name": "pact-3.0", "digest":
                "sha256:6b86b273ff34fce19c6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"},
            "inventoryDigest":
                "sha256:d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35",
        },
    })
}

fn string_field<'a>(
    proof: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, ProofError> {
    match proof.get(field) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ProofError::NotAString { field }),
        None => Err(ProofError::MissingField { field }),
    }
}

/// The most base58 characters 64 bytes encode to.
const MAX_SIGNATURE_BASE58: usize = 88;

fn decode_proof_value(value: &str) -> Result<Signature, ProofError> {
    let err = |reason: &str| ProofError::ProofValue { reason: reason.to_string() };
    // 64 bytes are at most 88 base58 characters; refuse longer text before decoding it
    // (base58 decoding is quadratic in the length).
    if value.len() > 1 + MAX_SIGNATURE_BASE58 {
        return Err(err(&format!(
            "{} characters; an Ed25519 signature in base58btc has at most {}",
            value.len(),
            1 + MAX_SIGNATURE_BASE58
        )));
    }
    let encoded = value
        .strip_prefix('z')
        .ok_or_else(|| err("expected multibase base58btc, which starts with 'z'"))?;
    let bytes = base58_decode(encoded).ok_or_else(|| err("not base58btc"))?;
    let bytes: [u8; 64] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| err(&format!("{} bytes, expected 64", bytes.len())))?;
    Ok(Signature::from_bytes(&bytes))
}

/// Whether the document's `@context` starts with all of the proof's `@context` values, in
/// order (a single value counts as a one-element list).
fn context_starts_with(document: Option<&Value>, proof: &Value) -> bool {
    let as_list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let Some(document) = document else { return false };
    let document = as_list(document);
    let proof = as_list(proof);
    // Entries are compared as documents, by their canonical bytes: an inline context may hold
    // numbers, and `10` and `1E1` are one number to the signature but unequal `Value`s.
    let same = |a: &Value, b: &Value| match (canonicalize(a), canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    document.len() >= proof.len() && document.iter().zip(&proof).all(|(d, p)| same(d, p))
}

/// Checks an XML Schema dateTime ([`pcf_base::time::check_xsd_datetime`]).
fn check_datetime(field: &'static str, value: &str) -> Result<(), ProofError> {
    pcf_base::time::check_xsd_datetime(value)
        .map_err(|_| ProofError::InvalidDateTime { field, value: value.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        let ok = |t: &str| check_datetime("created", t).is_ok();
        for t in [
            "2023-02-24T23:36:38Z",
            "2024-02-29T00:00:00Z",
            "2026-01-31T12:00:00.123Z",
            "2026-01-31T12:00:00+05:30",
            "2026-01-31T12:00:00-14:00",
            "2026-01-31T12:00:00",
        ] {
            assert!(ok(t), "{t}");
        }
        for t in [
            "",
            "2023-02-24",
            "2023-02-24 23:36:38Z",
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-01-01T24:00:00Z",
            "2023-01-01T00:60:00Z",
            "2023-12-31T23:59:60Z",
            "2023-01-01T00:00:00.Z",
            "2023-01-01T00:00:00+15:00",
            "2023-01-01T00:00:00+14:01",
            "2023-01-01T00:00:00z",
            "23-01-01T00:00:00Z",
            "02023-01-01T00:00:00Z",
            "12026-01-31T12:00:00Z",
            "2023-1-01T00:00:00Z",
            "2023-01-01T00:00:0éZ",
            "2023-01-01T00:00:00+0é:00",
        ] {
            assert!(!ok(t), "{t}");
        }
        assert_eq!(
            check_datetime("expires", "2023-01-01T00:00:0éZ"),
            Err(ProofError::InvalidDateTime {
                field: "expires",
                value: "2023-01-01T00:00:0éZ".into()
            })
        );
    }

    #[test]
    fn contexts_compare_as_canonical_json() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let doc = json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"n": 10}], "a": 1});
        let options = ProofOptions::did_key(&key.verifying_key(), "2026-01-01T00:00:00Z");
        let mut signed = sign(&doc, &key, options).unwrap();
        // The same number written as a float: one document to JCS, another `Value`.
        signed["@context"][1]["n"] = json!(10.0);
        assert_ne!(signed["@context"], signed["proof"]["@context"]);
        assert!(verify(&signed, &|_| None).is_ok());
        signed["@context"][1]["n"] = json!(11);
        assert!(matches!(verify(&signed, &|_| None), Err(ProofError::ContextMismatch { .. })));
    }

    #[test]
    fn now_is_utc_in_whole_seconds() {
        let now = utc_now();
        let parsed = pcf_base::time::Instant::parse_utc(&now).unwrap();
        assert_eq!(parsed.to_string(), now);
        assert_eq!(now.len(), "2026-01-31T12:00:00Z".len(), "{now}");
        assert!(check_datetime("created", &now).is_ok());
    }
}
