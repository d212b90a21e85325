//! JSON Web Signature (RFC 7515) in the compact serialization, with one algorithm: `EdDSA`
//! over Ed25519 (RFC 8037). It secures the UNTP passports ([`crate::passport`]) as VC-JOSE
//! `application/vc+jwt` tokens.
//!
//! Decoding is strict, because a token is untrusted input: exactly three parts; each part
//! base64url without padding, whitespace or non-zero trailing bits (one token has one
//! encoding); a header that is a strict JSON object ([`pcf_base::canonical::parse_strict`]:
//! no duplicate keys, no lone surrogates); `alg` exactly `EdDSA` (never `none`, never another
//! algorithm, whatever the key); no `crit` (pcf understands no extension) and no `b64`; no key
//! carried in the token (`jwk`, `jku`, `x5c`, `x5u`): the verifier decides the key, not the
//! token. Signatures are checked with `verify_strict` on an admitted key
//! ([`crate::keys::admit_public_key`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde_json::{Map, Value};

use pcf_base::canonical::{JsonError, parse_strict};

/// The one JWS algorithm pcf signs and accepts.
pub const ALG: &str = "EdDSA";
/// The largest token pcf decodes (a passport is a few kB).
pub const MAX_TOKEN_BYTES: usize = 1 << 20;
/// Header parameters that would carry a key or change how the token is processed; refused.
const REFUSED_HEADER: [&str; 6] = ["crit", "b64", "jwk", "jku", "x5c", "x5u"];

/// Why a JWS could not be made, decoded or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    /// The token is larger than [`MAX_TOKEN_BYTES`].
    #[error("jws of {len} bytes is larger than the {max} pcf reads")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The token is not three parts separated by dots.
    #[error("jws has {parts} part(s): a compact jws is header.payload.signature")]
    Parts {
        /// How many dot-separated parts it has.
        parts: usize,
    },
    /// A part is not strict unpadded base64url.
    #[error("jws {part} is not unpadded base64url: {reason}")]
    Base64 {
        /// `header`, `payload` or `signature`.
        part: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// The header is not a strict JSON object.
    #[error("jws header is not strict json: {0}")]
    HeaderJson(JsonError),
    /// The header is JSON but not an object.
    #[error("jws header is not a json object")]
    HeaderNotObject,
    /// `alg` is missing or names an algorithm other than `EdDSA`.
    #[error("jws alg {alg}: only EdDSA (Ed25519) is accepted")]
    Algorithm {
        /// The `alg` found, as JSON (`none` when missing).
        alg: String,
    },
    /// A header parameter is missing, refused or has the wrong value.
    #[error("jws header {name}: {reason}")]
    Header {
        /// The parameter.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The signature is not 64 bytes.
    #[error("jws signature is {len} bytes; an Ed25519 signature is 64")]
    SignatureLength {
        /// Its length.
        len: usize,
    },
    /// The signature does not verify with the key.
    #[error("jws signature does not verify with the key of {key}")]
    BadSignature {
        /// The key, as a did:key.
        key: String,
    },
}

/// A decoded compact JWS, not yet verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Jws {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The payload bytes.
    pub payload: Vec<u8>,
    signing_input: String,
    signature: [u8; 64],
}

impl Jws {
    /// Checks the signature with `key` (strictly: no malleable or small-order signatures).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), JoseError> {
        let signature = Signature::from_bytes(&self.signature);
        key.verify_strict(self.signing_input.as_bytes(), &signature)
            .map_err(|_| JoseError::BadSignature { key: crate::keys::did_key(key) })
    }

    /// The header parameter `name` as a string, or an error naming it.
    pub fn header_str(&self, name: &str) -> Result<&str, JoseError> {
        match self.header.get(name) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(JoseError::Header {
                name: name.into(),
                reason: format!("expected a string, found {other}"),
            }),
            None => Err(JoseError::Header { name: name.into(), reason: "missing".into() }),
        }
    }
}

/// Signs `payload` under the protected `header` (whose `alg` must be `EdDSA`) and returns the
/// compact serialization. The header is written as serde_json writes it, in its key order.
pub fn sign(
    header: &Map<String, Value>,
    payload: &[u8],
    key: &SigningKey,
) -> Result<String, JoseError> {
    check_header(header)?;
    let header_json = serde_json::to_vec(header)
        .map_err(|e| JoseError::Header { name: "(all)".into(), reason: e.to_string() })?;
    let signing_input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header_json), URL_SAFE_NO_PAD.encode(payload));
    let signature = key.sign(signing_input.as_bytes());
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())))
}

/// Decodes a compact JWS strictly (see the module docs); the signature is not yet checked.
pub fn decode(token: &str) -> Result<Jws, JoseError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JoseError::TooLarge { len: token.len(), max: MAX_TOKEN_BYTES });
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts[..] else {
        return Err(JoseError::Parts { parts: parts.len() });
    };
    let header_bytes = b64("header", h)?;
    let payload = b64("payload", p)?;
    let signature = b64("signature", s)?;
    let header = match parse_strict(&header_bytes).map_err(JoseError::HeaderJson)? {
        Value::Object(m) => m,
        _ => return Err(JoseError::HeaderNotObject),
    };
    check_header(&header)?;
    let signature: [u8; 64] = signature
        .as_slice()
        .try_into()
        .map_err(|_| JoseError::SignatureLength { len: signature.len() })?;
    Ok(Jws { header, payload, signing_input: format!("{h}.{p}"), signature })
}

/// Decodes `token` strictly and checks its signature with `key`.
pub fn verify(token: &str, key: &VerifyingKey) -> Result<Jws, JoseError> {
    let jws = decode(token)?;
    jws.verify(key)?;
    Ok(jws)
}

fn check_header(header: &Map<String, Value>) -> Result<(), JoseError> {
    match header.get("alg") {
        Some(Value::String(a)) if a == ALG => {}
        Some(other) => return Err(JoseError::Algorithm { alg: other.to_string() }),
        None => return Err(JoseError::Algorithm { alg: "none".into() }),
    }
    if let Some(name) = REFUSED_HEADER.iter().find(|n| header.contains_key(**n)) {
        let reason = if matches!(*name, "crit" | "b64") {
            "pcf understands no jws extension"
        } else {
            "the verifier chooses the key; a token may not carry one"
        };
        return Err(JoseError::Header { name: (*name).into(), reason: reason.into() });
    }
    Ok(())
}

fn b64(part: &'static str, text: &str) -> Result<Vec<u8>, JoseError> {
    // URL_SAFE_NO_PAD refuses `=`, `+`, `/`, whitespace and non-zero trailing bits.
    URL_SAFE_NO_PAD.decode(text).map_err(|e| JoseError::Base64 { part, reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // RFC 8037 appendix A.1/A.2 (the Ed25519 key) and A.4 (its JWS).
    const RFC_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    const RFC_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const RFC_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

    fn rfc_key() -> SigningKey {
        let d: [u8; 32] = URL_SAFE_NO_PAD.decode(RFC_D).unwrap().try_into().unwrap();
        SigningKey::from_bytes(&d)
    }

    fn alg_only() -> Map<String, Value> {
        json!({"alg": "EdDSA"}).as_object().unwrap().clone()
    }

    #[test]
    fn rfc8037_a4_vector_signs_and_verifies() {
        let key = rfc_key();
        let x: [u8; 32] = URL_SAFE_NO_PAD.decode(RFC_X).unwrap().try_into().unwrap();
        assert_eq!(key.verifying_key().to_bytes(), x, "RFC 8037 A.2 public key");
        let token = sign(&alg_only(), b"Example of Ed25519 signing", &key).unwrap();
        assert_eq!(token, RFC_JWS);
        let jws = verify(RFC_JWS, &key.verifying_key()).unwrap();
        assert_eq!(jws.payload, b"Example of Ed25519 signing");
        assert_eq!(jws.header_str("alg").unwrap(), "EdDSA");
    }

    fn replace_part(token: &str, i: usize, new: &str) -> String {
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[i] = new;
        parts.join(".")
    }

    #[test]
    fn tampered_header_payload_or_signature_fail() {
        let key = rfc_key().verifying_key();
        // Header: same alg, one more member (still EdDSA, so only the signature catches it).
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","kid":"x"}"#);
        let e = verify(&replace_part(RFC_JWS, 0, &h), &key).unwrap_err();
        assert!(matches!(e, JoseError::BadSignature { .. }), "{e}");
        // Payload: one letter changed.
        let p = URL_SAFE_NO_PAD.encode(b"Example of Ed25519 signinG");
        let e = verify(&replace_part(RFC_JWS, 1, &p), &key).unwrap_err();
        assert!(matches!(e, JoseError::BadSignature { .. }), "{e}");
        // Signature: one bit flipped.
        let mut sig = URL_SAFE_NO_PAD.decode(RFC_JWS.rsplit('.').next().unwrap()).unwrap();
        sig[10] ^= 1;
        let e = verify(&replace_part(RFC_JWS, 2, &URL_SAFE_NO_PAD.encode(&sig)), &key);
        assert!(matches!(e.unwrap_err(), JoseError::BadSignature { .. }));
        // Another key.
        let other = SigningKey::from_bytes(&[7; 32]).verifying_key();
        assert!(matches!(verify(RFC_JWS, &other).unwrap_err(), JoseError::BadSignature { .. }));
    }

    #[test]
    fn other_algorithms_are_refused_before_any_key_is_used() {
        for (header, shown) in [
            (r#"{"alg":"none"}"#, "\"none\""),
            (r#"{"alg":"HS256"}"#, "\"HS256\""),
            (r#"{"alg":"ES256"}"#, "\"ES256\""),
            (r#"{"alg":"eddsa"}"#, "\"eddsa\""),
            (r#"{"alg":"Ed25519"}"#, "\"Ed25519\""),
            (r#"{"alg":1}"#, "1"),
            (r#"{"typ":"JWT"}"#, "none"),
        ] {
            let token = replace_part(RFC_JWS, 0, &URL_SAFE_NO_PAD.encode(header));
            assert_eq!(
                decode(&token).unwrap_err(),
                JoseError::Algorithm { alg: shown.into() },
                "{header}"
            );
        }
        // An unsigned token (alg none, empty signature).
        let token = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), "e30");
        assert!(matches!(decode(&token).unwrap_err(), JoseError::Algorithm { .. }));
        let mut h = alg_only();
        h.insert("alg".into(), json!("none"));
        assert!(matches!(sign(&h, b"x", &rfc_key()).unwrap_err(), JoseError::Algorithm { .. }));
    }

    #[test]
    fn keys_in_the_token_and_extensions_are_refused() {
        for name in REFUSED_HEADER {
            let header = format!(r#"{{"alg":"EdDSA","{name}":[]}}"#);
            let token = replace_part(RFC_JWS, 0, &URL_SAFE_NO_PAD.encode(header));
            let e = decode(&token).unwrap_err();
            assert!(matches!(&e, JoseError::Header { name: n, .. } if n == name), "{e}");
        }
    }

    #[test]
    fn encodings_are_strict() {
        let [h, p, s]: [&str; 3] = RFC_JWS.split('.').collect::<Vec<_>>().try_into().unwrap();
        let cases = [
            (format!("{h}=.{p}.{s}"), "header"),  // padding
            (format!("{h}.{p} .{s}"), "payload"), // whitespace
            (format!("{h}.{p}.{}", s.replace('_', "/")), "signature"), // standard alphabet
            (format!("{h}.{p}.{}", s.replace('-', "+")), "signature"),
            // "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc" ends in 'c' (2 trailing bits zero); 'd'
            // sets one: the same bytes under a second spelling.
            (format!("{h}.{}d.{s}", &p[..p.len() - 1]), "payload"),
        ];
        for (token, part) in cases {
            let e = decode(&token).unwrap_err();
            assert!(matches!(&e, JoseError::Base64 { part: p, .. } if *p == part), "{token}: {e}");
        }
        assert_eq!(decode(&format!("{h}.{p}")).unwrap_err(), JoseError::Parts { parts: 2 });
        assert_eq!(decode(&format!("{h}.{p}.{s}.")).unwrap_err(), JoseError::Parts { parts: 4 });
        let short = URL_SAFE_NO_PAD.encode([0u8; 63]);
        assert_eq!(
            decode(&format!("{h}.{p}.{short}")).unwrap_err(),
            JoseError::SignatureLength { len: 63 }
        );
        let big = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(matches!(decode(&big).unwrap_err(), JoseError::TooLarge { .. }));
    }

    #[test]
    fn header_json_is_strict() {
        for header in [
            r#"{"alg":"EdDSA","alg":"EdDSA"}"#,
            r#"{"alg":"EdDSA",}"#,
            r#"["alg","EdDSA"]"#,
            "{\"alg\":\"EdDSA\"} x",
        ] {
            let token = replace_part(RFC_JWS, 0, &URL_SAFE_NO_PAD.encode(header));
            let e = decode(&token).unwrap_err();
            assert!(
                matches!(e, JoseError::HeaderJson(_) | JoseError::HeaderNotObject),
                "{header}: {e}"
            );
        }
        let dup = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","alg":"EdDSA"}"#);
        let e = decode(&replace_part(RFC_JWS, 0, &dup)).unwrap_err();
        assert!(matches!(e, JoseError::HeaderJson(JsonError::DuplicateKey { .. })), "{e}");
    }
}
