//! Unit tests of the passport mapping's helpers and of opening envelopes; issuing from real
//! declarations is tested end to end in tests/untp.rs.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use super::*;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn credential_of(key: &SigningKey) -> Value {
    json!({
        "@context": [VC_CONTEXT, DPP_CONTEXT],
        "type": ["DigitalProductPassport", "VerifiableCredential"],
        "id": "urn:uuid:00000000-0000-4000-8000-000000000000",
        "issuer": {"type": ["CredentialIssuer"], "id": keys::did_key(&key.verifying_key()), "name": "A"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"type": ["ProductPassport"]},
    })
}

fn token_of(p: &Passport) -> &str {
    p.enveloped["id"].as_str().unwrap().strip_prefix("data:application/vc+jwt,").unwrap()
}

fn with_token(token: &str) -> Value {
    json!({
        "@context": [VC_CONTEXT],
        "id": format!("data:application/vc+jwt,{token}"),
        "type": ENVELOPED_TYPE,
    })
}

/// Re-signs `header` and `payload` with `key`, bypassing `envelope`'s choices.
fn forged(header: Value, payload: &Value, key: &SigningKey) -> Value {
    let t = jose::sign(header.as_object().unwrap(), &serde_json::to_vec(payload).unwrap(), key)
        .unwrap();
    with_token(&t)
}

#[test]
fn envelope_opens_to_the_credential() {
    let k = key(1);
    let p = envelope(credential_of(&k), &k).unwrap();
    assert_eq!(p.enveloped["type"], ENVELOPED_TYPE);
    assert_eq!(p.enveloped["@context"], json!([VC_CONTEXT]));
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p.jwt.split('.').next().unwrap()).unwrap())
            .unwrap();
    let vm = keys::did_key_verification_method(&k.verifying_key());
    assert_eq!(header, json!({"alg": "EdDSA", "kid": vm, "typ": "vc+jwt", "cty": "vc"}));
    let o = open(&p.enveloped).unwrap();
    assert_eq!(o.credential, p.credential);
    assert_eq!(o.issuer, keys::did_key(&k.verifying_key()));
    assert_eq!(o.kid, vm);
    assert!(is_enveloped(&p.enveloped));
    assert!(!is_enveloped(&p.credential));
}

#[test]
fn tampered_tokens_do_not_open() {
    let k = key(1);
    let p = envelope(credential_of(&k), &k).unwrap();
    let [h, pl, s]: [&str; 3] = token_of(&p).split('.').collect::<Vec<_>>().try_into().unwrap();
    // Payload: the issuer's name changed, signature kept.
    let mut c = p.credential.clone();
    c["issuer"]["name"] = json!("B");
    let pl2 = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
    let e = open(&with_token(&format!("{h}.{pl2}.{s}"))).unwrap_err();
    assert!(matches!(e, PassportError::Jose(JoseError::BadSignature { .. })), "{e}");
    // Header: typ changed, signature kept.
    let vm = keys::did_key_verification_method(&k.verifying_key());
    let h2 = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(&json!({"alg":"EdDSA","kid":vm,"typ":"vc+jwt","cty":"vc","x":1}))
            .unwrap(),
    );
    let e = open(&with_token(&format!("{h2}.{pl}.{s}"))).unwrap_err();
    assert!(matches!(e, PassportError::Jose(JoseError::BadSignature { .. })), "{e}");
    // Signature: last byte changed.
    let mut sig = URL_SAFE_NO_PAD.decode(s).unwrap();
    sig[63] ^= 0x01;
    let e = open(&with_token(&format!("{h}.{pl}.{}", URL_SAFE_NO_PAD.encode(sig)))).unwrap_err();
    assert!(matches!(e, PassportError::Jose(JoseError::BadSignature { .. })), "{e}");
}

#[test]
fn header_must_be_a_vc_jwt_of_the_issuer() {
    let k = key(1);
    let c = credential_of(&k);
    let vm = keys::did_key_verification_method(&k.verifying_key());
    let other_vm = keys::did_key_verification_method(&key(2).verifying_key());
    let cases = [
        (json!({"alg":"EdDSA","kid":vm,"typ":"JWT","cty":"vc"}), "header typ is \"JWT\""),
        (json!({"alg":"EdDSA","kid":vm,"typ":"vc+jwt"}), "jws header cty: missing"),
        (json!({"alg":"EdDSA","typ":"vc+jwt","cty":"vc"}), "jws header kid: missing"),
        (
            json!({"alg":"EdDSA","kid":keys::did_key(&k.verifying_key()),"typ":"vc+jwt","cty":"vc"}),
            "is not a did:key verification method",
        ),
    ];
    for (header, message) in cases {
        let e = open(&forged(header, &c, &k)).unwrap_err().to_string();
        assert!(e.contains(message), "{e}");
    }
    // Signed by another key that names itself in kid: not the credential's issuer.
    let h = json!({"alg":"EdDSA","kid":other_vm,"typ":"vc+jwt","cty":"vc"});
    let e = open(&forged(h, &c, &key(2))).unwrap_err().to_string();
    assert!(e.contains("is not a key of the credential's issuer"), "{e}");
    // Names the issuer's kid but is signed by another key.
    let h = json!({"alg":"EdDSA","kid":vm,"typ":"vc+jwt","cty":"vc"});
    let e = open(&forged(h, &c, &key(2))).unwrap_err();
    assert!(matches!(e, PassportError::Jose(JoseError::BadSignature { .. })), "{e}");
}

#[test]
fn payload_json_is_strict() {
    let k = key(1);
    let vm = keys::did_key_verification_method(&k.verifying_key());
    let header = json!({"alg":"EdDSA","kid":vm,"typ":"vc+jwt","cty":"vc"});
    let did = keys::did_key(&k.verifying_key());
    let payload = format!(r#"{{"issuer":{{"id":"{did}"}},"issuer":{{"id":"{did}"}}}}"#);
    let t = jose::sign(header.as_object().unwrap(), payload.as_bytes(), &k).unwrap();
    let e = open(&with_token(&t)).unwrap_err();
    assert!(matches!(e, PassportError::Json(JsonError::DuplicateKey { .. })), "{e}");
}

#[test]
fn envelopes_are_strict() {
    let k = key(1);
    let p = envelope(credential_of(&k), &k).unwrap();
    let mut extra = p.enveloped.clone();
    extra["credentialSubject"] = json!({});
    let mut context = p.enveloped.clone();
    context["@context"] = json!(["https://www.w3.org/2018/credentials/v1"]);
    let mut media = p.enveloped.clone();
    media["id"] = json!(format!("data:application/jwt,{}", p.jwt));
    let mut typ = p.enveloped.clone();
    typ["type"] = json!(["VerifiableCredential"]);
    for doc in [extra, context, media, typ, json!([])] {
        assert!(matches!(open(&doc).unwrap_err(), PassportError::Envelope(_)), "{doc}");
    }
}

#[test]
fn decimals_move_the_point_without_rounding() {
    assert_eq!(decimal("90.71", 2), Some(0.9071));
    assert_eq!(decimal("100", 2), Some(1.0));
    assert_eq!(decimal("0", 2), Some(0.0));
    assert_eq!(decimal("5", 2), Some(0.05));
    assert_eq!(decimal("0.3", 2), Some(0.003));
    assert_eq!(decimal("2.709701", 0), Some(2.709701));
    // 90.71 / 100 in doubles is 0.9070999999999999: dividing would not be traceable.
    assert_ne!(90.71_f64 / 100.0, 0.9071);
    for bad in ["", ".5", "5.", "-1", "1e3", "1,5", " 1", "NaN"] {
        assert_eq!(decimal(bad, 2), None, "{bad:?}");
    }
}

#[test]
fn publishers_become_urns() {
    assert_eq!(
        publisher_urn("WBCSD Partnership for Carbon Transparency"),
        "urn:pcf:publisher:wbcsd-partnership-for-carbon-transparency"
    );
    assert_eq!(
        publisher_urn("International Organization for Standardization (ISO/TC 207/SC 7)"),
        "urn:pcf:publisher:international-organization-for-standardization-iso-tc-207-sc-7"
    );
}
