//! Tests: Ed25519 keys (`pcf::keys`) and `eddsa-jcs-2022` Data Integrity proofs (`pcf::proof`),
//! against the W3C test vector, Wycheproof, CCTV, speccheck and the dalek/SUPERCOP vectors, plus
//! a tamper matrix over every field of a signed credential.
// Helpers outside `#[test]` functions fail the test on a broken fixture, like the tests do
// (clippy's allow-unwrap-in-tests covers only the test functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use pcf::canonical::{JsonError, parse_strict};
use pcf::digest::hex;
use pcf::keys::{self, KeyError};
use pcf::proof::{self, HashData, ProofError, ProofOptions};
use serde_json::{Map, Value, json};

use crate::util;

fn unhex(s: &str) -> Vec<u8> {
    let s = s.trim();
    assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn read_json(path: &Path) -> Value {
    parse_strict(&fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_text(path: &Path) -> String {
    fs::read_to_string(path).unwrap().trim().to_string()
}

fn no_resolver(_: &str) -> Option<VerifyingKey> {
    None
}

/// The W3C vector's key pair: the secret is multibase `z` + base58btc(0x8026 ‖ 32-byte seed),
/// 0x8026 being the varint of multicodec `ed25519-priv` (0x1300).
fn w3c_key(dir: &Path) -> (SigningKey, String) {
    let pair = read_json(&dir.join("keyPair.json"));
    let secret = pair["privateKeyMultibase"].as_str().unwrap();
    let bytes = keys::base58_decode(secret.strip_prefix('z').unwrap()).unwrap();
    assert_eq!(bytes[..2], [0x80, 0x26], "ed25519-priv multicodec");
    let seed: [u8; 32] = bytes[2..].try_into().unwrap();
    (SigningKey::from_bytes(&seed), pair["publicKeyMultibase"].as_str().unwrap().to_string())
}

// ---------------------------------------------------------------------------------------------
// W3C vc-di-eddsa: the eddsa-jcs-2022 test vector, byte for byte.

#[test]
fn w3c_eddsa_jcs_2022_vector_is_reproduced_byte_for_byte() {
    let Some(dir) = util::test_vectors("signing/w3c-vc-di-eddsa/TestVectors") else { return };
    let jcs = dir.join("eddsa-jcs-2022");
    let (key, public_multibase) = w3c_key(&dir);
    assert_eq!(keys::multikey(&key.verifying_key()), public_multibase);

    let unsigned = read_json(&dir.join("unsigned.json"));
    let config = read_json(&jcs.join("proofConfigJCS.json"));
    let hash = HashData::new(&unsigned, &config).unwrap();
    assert_eq!(
        String::from_utf8(hash.canonical_document.clone()).unwrap(),
        read_text(&jcs.join("canonDocJCS.txt"))
    );
    assert_eq!(
        String::from_utf8(hash.canonical_proof_config.clone()).unwrap(),
        read_text(&jcs.join("proofCanonJCS.txt"))
    );
    assert_eq!(hash.document_hash.hex(), read_text(&jcs.join("docHashJCS.txt")));
    assert_eq!(hash.proof_config_hash.hex(), read_text(&jcs.join("proofHashJCS.txt")));
    assert_eq!(hex(&hash.bytes()), read_text(&jcs.join("combinedHashJCS.txt")));

    // Signing through the public API reproduces the proof, the signature and the signed document.
    let options = ProofOptions::new(
        config["verificationMethod"].as_str().unwrap(),
        config["created"].as_str().unwrap(),
    );
    assert_eq!(options, ProofOptions::did_key(&key.verifying_key(), "2023-02-24T23:36:38Z"));
    let secured = proof::sign(&unsigned, &key, options).unwrap();
    let proof_value = secured["proof"]["proofValue"].as_str().unwrap();
    assert_eq!(proof_value, read_text(&jcs.join("sigBTC58JCS.txt")));
    let signature = keys::base58_decode(&proof_value[1..]).unwrap();
    assert_eq!(hex(&signature), read_text(&jcs.join("sigHexJCS.txt")));
    let signed_text = fs::read_to_string(jcs.join("signedJCS.json")).unwrap();
    assert_eq!(secured, parse_strict(signed_text.as_bytes()).unwrap());
    // Same field order too: the pretty printing is the file's, byte for byte.
    assert_eq!(serde_json::to_string_pretty(&secured).unwrap(), signed_text.trim_end());
    let mut config_with_value = config.clone();
    config_with_value["proofValue"] = json!(proof_value);
    assert_eq!(secured["proof"], config_with_value);

    // The signed example verifies, through did:key resolution and through a resolver.
    let signed = parse_strict(signed_text.as_bytes()).unwrap();
    let verified = proof::verify(&signed, &no_resolver).unwrap();
    assert_eq!(verified.key, key.verifying_key());
    assert_eq!(verified.verification_method, config["verificationMethod"]);
    assert_eq!(verified.created.as_deref(), Some("2023-02-24T23:36:38Z"));
    assert_eq!(verified.proof_purpose, "assertionMethod");
    assert_eq!(verified.document, unsigned);
    assert_eq!(verified.document_digest.hex(), read_text(&jcs.join("docHashJCS.txt")));
    let vk = key.verifying_key();
    assert!(proof::verify(&signed, &|_| Some(vk)).is_ok());
    // A resolver that returns another key wins over did:key resolution, and fails.
    let other = SigningKey::from_bytes(&[1; 32]).verifying_key();
    assert!(matches!(
        proof::verify(&signed, &|_| Some(other)),
        Err(ProofError::BadSignature { .. })
    ));
}

#[test]
fn w3c_vector_did_key_round_trips() {
    let Some(dir) = util::test_vectors("signing/w3c-vc-di-eddsa/TestVectors") else { return };
    let (key, public_multibase) = w3c_key(&dir);
    let config = read_json(&dir.join("eddsa-jcs-2022/proofConfigJCS.json"));
    let method = config["verificationMethod"].as_str().unwrap();
    let did = keys::did_key(&key.verifying_key());
    assert_eq!(did, format!("did:key:{public_multibase}"));
    assert_eq!(did, "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2");
    assert_eq!(keys::did_key_verification_method(&key.verifying_key()), method);
    assert_eq!(keys::parse_did_key(&did).unwrap(), key.verifying_key());
    assert_eq!(keys::parse_did_key(method).unwrap(), key.verifying_key());
    assert_eq!(keys::parse_multikey(&public_multibase).unwrap(), key.verifying_key());
}

// ---------------------------------------------------------------------------------------------
// Ed25519 conformance vectors.

/// What this crate accepts: the key admitted, then `verify_strict`.
fn strict_accepts(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = <&[u8; 32]>::try_from(key) else { return false };
    let Ok(signature) = Signature::from_slice(signature) else { return false };
    keys::admit_public_key(key).is_ok_and(|k| k.verify_strict(message, &signature).is_ok())
}

#[test]
fn wycheproof_expectations_are_met() {
    let Some(dir) = util::test_vectors("signing/ed25519/wycheproof") else { return };
    let suite = read_json(&dir.join("ed25519_test.json"));
    let (mut valid, mut invalid) = (0, 0);
    for group in suite["testGroups"].as_array().unwrap() {
        let key = unhex(group["publicKey"]["pk"].as_str().unwrap());
        for case in group["tests"].as_array().unwrap() {
            let id = &case["tcId"];
            let accepted = strict_accepts(
                &key,
                &unhex(case["msg"].as_str().unwrap()),
                &unhex(case["sig"].as_str().unwrap()),
            );
            match case["result"].as_str().unwrap() {
                "valid" => {
                    assert!(accepted, "tcId {id} ({}) must verify", case["comment"]);
                    valid += 1;
                }
                "invalid" => {
                    assert!(!accepted, "tcId {id} ({}) must not verify", case["comment"]);
                    invalid += 1;
                }
                other => panic!("tcId {id}: unexpected result {other}"),
            }
        }
    }
    assert_eq!((valid, invalid), (88, 63));
    assert_eq!(suite["numberOfTests"], 151);
}

#[test]
fn cctv_counts_are_pinned() {
    let Some(dir) = util::test_vectors("signing/ed25519/cctv") else { return };
    let cases = read_json(&dir.join("ed25519vectors.json"));
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 914);
    let (mut strict, mut plain, mut admitted) = (0, 0, 0);
    for case in cases {
        let key: [u8; 32] = unhex(case["key"].as_str().unwrap()).try_into().unwrap();
        let signature = Signature::from_slice(&unhex(case["sig"].as_str().unwrap())).unwrap();
        let message = case["msg"].as_str().unwrap().as_bytes();
        let Ok(vk) = VerifyingKey::from_bytes(&key) else { continue };
        strict += usize::from(vk.verify_strict(message, &signature).is_ok());
        plain += usize::from(ed25519_dalek::Verifier::verify(&vk, message, &signature).is_ok());
        admitted += usize::from(strict_accepts(&key, message, &signature.to_bytes()));
        // Nothing admission lets through has a low-order or non-canonical A.
        if keys::admit_public_key(&key).is_ok() {
            let flags = case["flags"].to_string();
            assert!(!flags.contains("low_order_A") && !flags.contains("non_canonical_A"), "{case}");
        }
    }
    assert_eq!(strict, 43, "verify_strict");
    assert_eq!(plain, 208, "verify");
    assert_eq!(admitted, 43, "admission + verify_strict");
}

#[test]
fn speccheck_only_case_3_verifies() {
    let Some(dir) = util::test_vectors("signing/ed25519/speccheck") else { return };
    let cases = read_json(&dir.join("cases.json"));
    let results: Vec<bool> = cases
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let key: [u8; 32] = unhex(case["pub_key"].as_str().unwrap()).try_into().unwrap();
            let signature = Signature::from_slice(&unhex(case["signature"].as_str().unwrap()));
            let message = unhex(case["message"].as_str().unwrap());
            match (VerifyingKey::from_bytes(&key), signature) {
                (Ok(vk), Ok(sig)) => vk.verify_strict(&message, &sig).is_ok(),
                _ => false,
            }
        })
        .collect();
    let expected: Vec<bool> = (0..12).map(|i| i == 3).collect();
    assert_eq!(results, expected);
    // Admission does not change that.
    let admitted: Vec<bool> = cases
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            strict_accepts(
                &unhex(case["pub_key"].as_str().unwrap()),
                &unhex(case["message"].as_str().unwrap()),
                &unhex(case["signature"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(admitted, expected);
}

#[test]
fn dalek_supercop_vectors_sign_byte_for_byte() {
    let Some(dir) = util::test_vectors("signing/ed25519/dalek") else { return };
    let text = fs::read_to_string(dir.join("TESTVECTORS")).unwrap();
    let mut lines = 0;
    for (n, line) in text.lines().enumerate() {
        let parts: Vec<&str> = line.split(':').collect();
        assert_eq!(parts.len(), 5, "line {}", n + 1);
        let (sk_pk, pk, msg, sig_msg) =
            (unhex(parts[0]), unhex(parts[1]), unhex(parts[2]), unhex(parts[3]));
        let key = SigningKey::from_bytes(&sk_pk[..32].try_into().unwrap());
        assert_eq!(key.verifying_key().as_bytes()[..], pk[..], "line {}", n + 1);
        assert_eq!(sk_pk[32..], pk[..], "line {}", n + 1);
        let signature = key.sign(&msg);
        assert_eq!(signature.to_bytes()[..], sig_msg[..64], "line {}", n + 1);
        assert_eq!(sig_msg[64..], msg[..], "line {}", n + 1);
        assert!(strict_accepts(&pk, &msg, &sig_msg[..64]), "line {}", n + 1);
        lines += 1;
    }
    assert_eq!(lines, 128);
}

#[test]
fn dalek_pkcs8_examples_parse() {
    let Some(dir) = util::test_vectors("signing/ed25519/dalek") else { return };
    let pk = "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1";
    let sk = "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842";
    for name in ["pkcs8-v1.der", "pkcs8-v2.der"] {
        let key = SigningKey::from_pkcs8_der(&fs::read(dir.join(name)).unwrap()).unwrap();
        assert_eq!(hex(key.as_bytes()), sk, "{name}");
        assert_eq!(hex(key.verifying_key().as_bytes()), pk, "{name}");
        // Our PEM writer and reader carry it unchanged.
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("key.pem");
        keys::write_private_key(&path, &key).unwrap();
        assert_eq!(keys::read_private_key(&path).unwrap(), key, "{name}");
    }
    let public =
        VerifyingKey::from_public_key_der(&fs::read(dir.join("pubkey.der")).unwrap()).unwrap();
    assert_eq!(hex(public.as_bytes()), pk);
    assert_eq!(keys::admit_public_key(public.as_bytes()).unwrap(), public);
}

// ---------------------------------------------------------------------------------------------
// Tamper matrix.

fn issuer() -> SigningKey {
    SigningKey::from_bytes(&[0x42; 32])
}

/// A credential with nested objects, arrays, strings, numbers, booleans and null.
fn credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://example.org/pcf/v1"],
        "id": "urn:uuid:0b6a6f0e-3f3c-4a57-8d0e-6a2b1f0c9d11",
        "type": ["VerifiableCredential", "ProductCarbonFootprint"],
        "issuer": "did:web:example.com",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "product": {"id": "urn:gtin:04012345678901", "name": "Widget, 1 kg"},
            "pcf": 2.5,
            "unitaryProductAmount": 1,
            "negative": -0.125,
            "verified": true,
            "comment": null,
            "stages": [
                {"stage": "raw-materials", "kgCO2e": 1.75, "sources": ["ecoinvent", 3]},
                {"stage": "transport", "kgCO2e": 0.75, "sources": []}
            ],
            "unicode": "CO₂e – ü"
        }
    })
}

fn signed_credential() -> Value {
    let key = issuer();
    let options = ProofOptions::did_key(&key.verifying_key(), "2026-01-31T12:00:00Z");
    proof::sign(&credential(), &key, options).unwrap()
}

/// JSON pointers of every leaf (scalar, empty array or empty object) under `value`.
fn leaves(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                leaves(v, format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => out.push(pointer),
    }
}

/// JSON pointers of every object under `value`, itself included.
fn objects(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            out.push(pointer.clone());
            for (k, v) in map {
                objects(v, format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                objects(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A different value of the same kind (a different signature for `proofValue`).
fn changed(pointer: &str, value: &Value) -> Value {
    match value {
        Value::String(s) if pointer == "/proof/proofValue" => {
            // Still valid base58btc of 64 bytes: change one digit in the middle.
            let mut chars: Vec<char> = s.chars().collect();
            let mid = chars.len() / 2;
            chars[mid] = if chars[mid] == '2' { '3' } else { '2' };
            Value::String(chars.into_iter().collect())
        }
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Number(n) if n.is_u64() || n.is_i64() => json!(n.as_i64().unwrap() + 1),
        Value::Number(n) => json!(n.as_f64().unwrap() + 0.001),
        Value::Bool(b) => json!(!b),
        Value::Null => json!(0),
        Value::Array(_) => json!(["x"]),
        Value::Object(_) => json!({"x": 1}),
    }
}

fn remove(doc: &mut Value, pointer: &str) {
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    let last = last.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent).unwrap() {
        Value::Object(map) => {
            map.shift_remove(&last).unwrap();
        }
        Value::Array(items) => {
            items.remove(last.parse::<usize>().unwrap());
        }
        other => panic!("{parent} is {other}"),
    }
}

#[test]
fn tamper_matrix_every_change_fails_verification() {
    let secured = signed_credential();
    assert!(proof::verify(&secured, &no_resolver).is_ok());

    let mut pointers = Vec::new();
    leaves(&secured, String::new(), &mut pointers);
    // Every leaf of the credential and of the proof is covered.
    for expected in [
        "/@context/1",
        "/credentialSubject/stages/0/sources/1",
        "/credentialSubject/stages/1/sources",
        "/credentialSubject/comment",
        "/proof/type",
        "/proof/cryptosuite",
        "/proof/created",
        "/proof/verificationMethod",
        "/proof/proofPurpose",
        "/proof/@context/0",
        "/proof/proofValue",
    ] {
        assert!(pointers.iter().any(|p| p == expected), "{expected} not among {pointers:?}");
    }
    assert_eq!(pointers.len(), 30);

    let mut checked = 0;
    for pointer in &pointers {
        let original = secured.pointer(pointer).unwrap();

        let mut doc = secured.clone();
        *doc.pointer_mut(pointer).unwrap() = changed(pointer, original);
        let result = proof::verify(&doc, &no_resolver);
        assert!(result.is_err(), "changing {pointer} still verifies");

        let mut doc = secured.clone();
        remove(&mut doc, pointer);
        let result = proof::verify(&doc, &no_resolver);
        assert!(result.is_err(), "removing {pointer} still verifies");
        checked += 2;
    }

    let mut containers = Vec::new();
    objects(&secured, String::new(), &mut containers);
    assert_eq!(
        containers,
        [
            "",
            "/credentialSubject",
            "/credentialSubject/product",
            "/credentialSubject/stages/0",
            "/credentialSubject/stages/1",
            "/proof"
        ]
    );
    for pointer in &containers {
        let mut doc = secured.clone();
        doc.pointer_mut(pointer).unwrap().as_object_mut().unwrap().insert("added".into(), json!(1));
        assert!(
            proof::verify(&doc, &no_resolver).is_err(),
            "adding a field to {pointer:?} still verifies"
        );
        checked += 1;
    }
    // Elements added to arrays fail too...
    for pointer in ["/type", "/credentialSubject/stages", "/proof/@context"] {
        let mut doc = secured.clone();
        doc.pointer_mut(pointer).unwrap().as_array_mut().unwrap().push(json!("extra"));
        assert!(
            proof::verify(&doc, &no_resolver).is_err(),
            "appending to {pointer} still verifies"
        );
        checked += 1;
    }
    // ...except a context appended to the document's @context: the specification (3.3.2 step
    // 4) lets the proof's @context be a prefix of the document's and verifies the document
    // with the proof's. The verified document is therefore the signed one, without the extra
    // context; callers must use `VerifiedProof::document`, never the input.
    let mut doc = secured.clone();
    doc["@context"].as_array_mut().unwrap().push(json!("https://example.org/extra/v1"));
    let verified = proof::verify(&doc, &no_resolver).unwrap();
    assert_eq!(verified.document, credential());
    assert_eq!(checked, 30 * 2 + 6 + 3);
}

#[test]
fn tampering_is_reported_precisely() {
    let secured = signed_credential();
    let verify = |f: &dyn Fn(&mut Value)| {
        let mut doc = secured.clone();
        f(&mut doc);
        proof::verify(&doc, &no_resolver).unwrap_err()
    };
    let method = secured["proof"]["verificationMethod"].as_str().unwrap().to_string();
    assert_eq!(
        verify(&|d| d["credentialSubject"]["pcf"] = json!(2.25)),
        ProofError::BadSignature { method: method.clone() }
    );
    insta::assert_snapshot!(verify(&|d| d["credentialSubject"]["pcf"] = json!(2.25)),
        @r#"signature does not verify under verification method "did:key:z6MkghLt1e8m1fmANsdJJco3aCLV8Xnigr5UWwC3u5iZFPd3#z6MkghLt1e8m1fmANsdJJco3aCLV8Xnigr5UWwC3u5iZFPd3": the document or its proof was changed, or another key signed it"#);
    insta::assert_snapshot!(verify(&|d| d["proof"]["type"] = json!("Ed25519Signature2020")),
        @r#"proof type "Ed25519Signature2020" is not DataIntegrityProof"#);
    insta::assert_snapshot!(verify(&|d| d["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022")),
        @r#"proof cryptosuite "eddsa-rdfc-2022" is not eddsa-jcs-2022"#);
    insta::assert_snapshot!(verify(&|d| d["proof"]["proofPurpose"] = json!("authentication")),
        @r#"proof purpose "authentication" is not the expected "assertionMethod""#);
    insta::assert_snapshot!(verify(&|d| d["proof"]["created"] = json!("yesterday")),
        @r#"proof created "yesterday" is not an xml schema datetime such as 2026-01-31T12:00:00Z"#);
    insta::assert_snapshot!(verify(&|d| d["@context"][1] = json!("https://evil.example/v1")),
        @r#"the document @context ["https://www.w3.org/ns/credentials/v2","https://evil.example/v1"] does not start with the proof @context ["https://www.w3.org/ns/credentials/v2","https://example.org/pcf/v1"]"#);
    insta::assert_snapshot!(verify(&|d| { d.as_object_mut().unwrap().shift_remove("@context"); }),
        @r#"the document @context null does not start with the proof @context ["https://www.w3.org/ns/credentials/v2","https://example.org/pcf/v1"]"#);
    insta::assert_snapshot!(verify(&|d| d["proof"]["proofValue"] = json!("u1234")),
        @"proof proofValue is not a base58btc multibase ed25519 signature: expected multibase base58btc, which starts with 'z'");
    insta::assert_snapshot!(verify(&|d| d["proof"]["proofValue"] = json!("z0OIl")),
        @"proof proofValue is not a base58btc multibase ed25519 signature: not base58btc");
    insta::assert_snapshot!(verify(&|d| d["proof"]["proofValue"] = json!("z2222")),
        @"proof proofValue is not a base58btc multibase ed25519 signature: 3 bytes, expected 64");
    insta::assert_snapshot!(verify(&|d| d["proof"]["verificationMethod"] = json!("did:web:example.com#key-1")),
        @r#"cannot resolve verification method "did:web:example.com#key-1" to a public key"#);
    insta::assert_snapshot!(verify(&|d| d["proof"]["verificationMethod"] = json!(7)),
        @"proof verificationMethod is not a string");
    insta::assert_snapshot!(verify(&|d| { d["proof"].as_object_mut().unwrap().shift_remove("proofPurpose"); }),
        @"proof has no proofPurpose");
    insta::assert_snapshot!(verify(&|d| { d.as_object_mut().unwrap().shift_remove("proof"); }),
        @"the secured document has no proof");
    insta::assert_snapshot!(verify(&|d| d["proof"] = json!([d["proof"].clone()])),
        @"proof is not a json object (proof sets are not supported)");
    // A verification method naming a weak key is refused before any signature check.
    let weak =
        format!("did:key:z{}", keys::base58_encode(&[[0xed, 0x01].as_slice(), &[0; 32]].concat()));
    insta::assert_snapshot!(verify(&|d| d["proof"]["verificationMethod"] = json!(weak.clone())),
        @r#"verification method "did:key:z6MkeTG3bFFSLYVU7VqhgZxqr6YzpaGrQtFMh1uvqGy1vDnP": public key 0000000000000000000000000000000000000000000000000000000000000000 is a weak (small-order) key, for which forged signatures verify"#);
    // So is a weak key from a resolver.
    let identity = {
        let mut b = [0u8; 32];
        b[0] = 1;
        VerifyingKey::from_bytes(&b).unwrap()
    };
    let err = proof::verify(&secured, &|_| Some(identity)).unwrap_err();
    assert!(matches!(err, ProofError::Key { source: KeyError::Weak { .. }, .. }), "{err}");
}

/// `value` with every object's keys in reverse order.
fn reversed(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter().rev().map(|(k, v)| (k.clone(), reversed(v))).collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
        other => other.clone(),
    }
}

#[test]
fn key_order_and_whitespace_do_not_matter() {
    let secured = signed_credential();
    for text in [
        serde_json::to_string(&secured).unwrap(),
        serde_json::to_string_pretty(&secured).unwrap(),
        serde_json::to_string_pretty(&reversed(&secured)).unwrap().replace('\n', "\r\n\t "),
    ] {
        let reparsed = parse_strict(text.as_bytes()).unwrap();
        let verified = proof::verify(&reparsed, &no_resolver).unwrap();
        assert_eq!(verified.document, credential());
        assert_eq!(verified.document_digest, pcf::canonical::digest(&credential()).unwrap());
    }
}

#[test]
fn smuggled_json_is_rejected_before_verification() {
    let text = serde_json::to_string_pretty(&signed_credential()).unwrap();
    let duplicate =
        text.replacen("\"issuer\":", "\"issuer\": \"did:web:evil.example\",\n  \"issuer\":", 1);
    let err = parse_strict(duplicate.as_bytes()).unwrap_err();
    assert!(
        matches!(&err, JsonError::DuplicateKey { key, pointer, .. } if key == "issuer" && pointer == "/issuer")
    );
    insta::assert_snapshot!(err, @r#"duplicate key "issuer" at line 12, column 3 (json pointer "/issuer")"#);

    let unsafe_int = text.replacen(
        "\"unitaryProductAmount\": 1",
        "\"unitaryProductAmount\": 9007199254740993",
        1,
    );
    insta::assert_snapshot!(parse_strict(unsafe_int.as_bytes()).unwrap_err(),
        @r#"integer 9007199254740993 at line 19, column 29 (json pointer "/credentialSubject/unitaryProductAmount") is outside the i-json safe range of ±9007199254740991"#);

    let nan = text.replacen("\"pcf\": 2.5", "\"pcf\": NaN", 1);
    insta::assert_snapshot!(parse_strict(nan.as_bytes()).unwrap_err(),
        @"NaN at line 18, column 12 is not a json value (json has no nan, infinity or undefined)");

    // Values that cannot be canonicalized are refused at signing time too.
    let mut document = credential();
    document["credentialSubject"]["big"] = json!(9007199254740993u64);
    let key = issuer();
    let err = proof::sign(
        &document,
        &key,
        ProofOptions::did_key(&key.verifying_key(), "2026-01-31T12:00:00Z"),
    )
    .unwrap_err();
    insta::assert_snapshot!(err,
        @r#"number 9007199254740993 at json pointer "/credentialSubject/big" is an integer outside the i-json safe range of ±9007199254740991 and cannot be canonicalized"#);
}

#[test]
fn signing_checks_its_inputs() {
    let key = issuer();
    let options = || ProofOptions::did_key(&key.verifying_key(), "2026-01-31T12:00:00Z");
    insta::assert_snapshot!(proof::sign(&json!([1]), &key, options()).unwrap_err(),
        @"the document to sign is not a json object");
    insta::assert_snapshot!(proof::sign(&signed_credential(), &key, options()).unwrap_err(),
        @"the document already has a proof: proof sets and chains are not supported");
    let mut bad_time = options();
    bad_time.created = "2026-02-30T00:00:00Z".into();
    insta::assert_snapshot!(proof::sign(&credential(), &key, bad_time).unwrap_err(),
        @r#"proof created "2026-02-30T00:00:00Z" is not an xml schema datetime such as 2026-01-31T12:00:00Z"#);
    let other = SigningKey::from_bytes(&[9; 32]);
    let mismatch = ProofOptions::did_key(&other.verifying_key(), "2026-01-31T12:00:00Z");
    assert!(matches!(
        proof::sign(&credential(), &key, mismatch),
        Err(ProofError::KeyMismatch { .. })
    ));
    // A document without @context gets a proof without one, and verifies.
    let plain = json!({"a": 1});
    let secured = proof::sign(&plain, &key, options()).unwrap();
    assert!(secured["proof"].get("@context").is_none());
    assert_eq!(proof::verify(&secured, &no_resolver).unwrap().document, plain);
    // Other purposes verify only when asked for.
    let mut auth = options();
    auth.proof_purpose = "authentication".into();
    let secured = proof::sign(&plain, &key, auth).unwrap();
    assert!(proof::verify(&secured, &no_resolver).is_err());
    assert!(proof::verify_for_purpose(&secured, "authentication", &no_resolver).is_ok());
}

#[test]
fn proof_context_may_be_a_prefix_of_the_document_context() {
    // Spec 3.3.2 step 4: the document's @context must start with the proof's, and the proof's
    // is what was signed.
    let key = issuer();
    let options = ProofOptions::did_key(&key.verifying_key(), "2026-01-31T12:00:00Z");
    let secured = proof::sign(&credential(), &key, options).unwrap();
    let mut extended = secured.clone();
    extended["@context"].as_array_mut().unwrap().push(json!("https://example.org/extra/v1"));
    let verified = proof::verify(&extended, &no_resolver).unwrap();
    assert_eq!(verified.document, credential());
}

// ---------------------------------------------------------------------------------------------
// Keys.

#[test]
fn private_keys_are_written_owner_only_and_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("issuer.pem");
    let key = keys::generate().unwrap();
    keys::write_private_key(&path, &key).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let pem = fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    assert_eq!(keys::read_private_key(&path).unwrap(), key);

    let other = keys::generate().unwrap();
    assert_ne!(other, key);
    let err = keys::write_private_key(&path, &other).unwrap_err();
    assert_eq!(err, KeyError::AlreadyExists { path: path.display().to_string() });
    insta::assert_snapshot!(err.to_string().replace(&tmp.path().display().to_string(), "[tmp]"),
        @"[tmp]/issuer.pem already exists: choose another path for the new key (an existing key is never overwritten)");
    assert_eq!(fs::read_to_string(&path).unwrap(), pem, "the existing key is untouched");
    assert_eq!(keys::read_private_key(&path).unwrap(), key);
}

#[cfg(unix)]
#[test]
fn exposed_or_malformed_private_keys_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let show = |e: KeyError| e.to_string().replace(&tmp.path().display().to_string(), "[tmp]");
    let path = tmp.path().join("issuer.pem");
    keys::write_private_key(&path, &issuer()).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    insta::assert_snapshot!(show(keys::read_private_key(&path).unwrap_err()),
        @"private key [tmp]/issuer.pem is readable by group or others (mode 644): restrict it with chmod 600");

    let junk = tmp.path().join("junk.pem");
    fs::write(&junk, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap();
    fs::set_permissions(&junk, fs::Permissions::from_mode(0o600)).unwrap();
    let err = keys::read_private_key(&junk).unwrap_err();
    assert!(matches!(err, KeyError::NotPkcs8 { .. }), "{err}");
    insta::assert_snapshot!(show(err), @"[tmp]/junk.pem is not an ed25519 private key in pkcs#8 pem: PKCS#8 ASN.1 error: unknown/unsupported ASN.1 DER tag: 0x00 at DER byte 1");

    insta::assert_snapshot!(show(keys::read_private_key(&tmp.path().join("missing.pem")).unwrap_err()),
        @"cannot read private key [tmp]/missing.pem: No such file or directory (os error 2)");
}

#[test]
fn secrets_are_not_debug_printed() {
    let key = issuer();
    let shown = format!("{key:?}");
    assert!(!shown.contains(&hex(key.as_bytes())), "{shown}");
    assert!(!shown.contains(&format!("{:?}", key.as_bytes())), "{shown}");
}

#[test]
fn weak_and_non_canonical_keys_are_refused() {
    // The identity point (order 1) and a point of order 8.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    insta::assert_snapshot!(keys::admit_public_key(&identity).unwrap_err(),
        @"public key 0100000000000000000000000000000000000000000000000000000000000000 is a weak (small-order) key, for which forged signatures verify");
    let order8 = unhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
    assert!(matches!(
        keys::admit_public_key(&order8.try_into().unwrap()),
        Err(KeyError::Weak { .. })
    ));

    // The identity with the sign bit set: "negative zero", which decodes to the identity.
    let mut negative_zero = identity;
    negative_zero[31] = 0x80;
    insta::assert_snapshot!(keys::admit_public_key(&negative_zero).unwrap_err(),
        @"public key 0100000000000000000000000000000000000000000000000000000000000080 is not canonically encoded (the canonical encoding is 0100000000000000000000000000000000000000000000000000000000000000)");

    // y >= p: a field element that is not reduced. p = 2^255 - 19, so y = p + k for small k.
    let mut non_canonical_large_order = 0;
    for k in 0u8..19 {
        let mut y = [0xffu8; 32];
        y[0] = 0xed + k; // p + k, little-endian, for k < 19 (no carry)
        y[31] = 0x7f;
        match keys::admit_public_key(&y) {
            Err(KeyError::NonCanonical { canonical, .. }) => {
                let mut reduced = [0u8; 32];
                reduced[0] = k;
                assert_eq!(canonical, hex(&reduced), "k = {k}");
                // Large-order points: the canonical encoding itself is admitted.
                if keys::admit_public_key(&reduced).is_ok() {
                    non_canonical_large_order += 1;
                }
            }
            Err(KeyError::NotOnCurve { .. }) => {}
            other => panic!("p + {k}: {other:?}"),
        }
    }
    assert!(non_canonical_large_order > 0);

    insta::assert_snapshot!(keys::admit_public_key(&[0x02; 32]).unwrap_err(),
        @"public key 0202020202020202020202020202020202020202020202020202020202020202 is not a point on edwards25519");
    // An ordinary key is admitted.
    let key = issuer().verifying_key();
    assert_eq!(keys::admit_public_key(key.as_bytes()).unwrap(), key);
}

#[test]
fn did_key_parsing_rejects_malformed_identifiers() {
    let key = issuer().verifying_key();
    let did = keys::did_key(&key);
    let mk = keys::multikey(&key);
    assert!(mk.starts_with("z6Mk"));
    assert_eq!(keys::parse_did_key(&format!("{did}#{mk}")).unwrap(), key);
    let err = |s: &str| keys::parse_did_key(s).unwrap_err().to_string();
    insta::assert_snapshot!(err("did:web:example.com"),
        @r#"invalid did:key "did:web:example.com": expected an identifier starting with did:key:"#);
    insta::assert_snapshot!(err(&format!("{did}#key-1")), @r#"invalid did:key "did:key:z6MkghLt1e8m1fmANsdJJco3aCLV8Xnigr5UWwC3u5iZFPd3#key-1": fragment #key-1 does not name the key z6MkghLt1e8m1fmANsdJJco3aCLV8Xnigr5UWwC3u5iZFPd3"#);
    insta::assert_snapshot!(err("did:key:f6Mk"),
        @r#"invalid did:key "did:key:f6Mk": expected multibase base58btc, which starts with 'z'"#);
    insta::assert_snapshot!(err("did:key:z6Mk0OIl"), @r#"invalid did:key "did:key:z6Mk0OIl": not base58btc"#);
    // An X25519 key (multicodec 0xec01) is not an Ed25519 key.
    let x25519 = format!(
        "did:key:z{}",
        keys::base58_encode(&[[0xec, 0x01].as_slice(), key.as_bytes()].concat())
    );
    insta::assert_snapshot!(err(&x25519), @r#"invalid did:key "did:key:z6LSdvFzwhhBmazSMmAN9hMA3gzyA73yya1GhtzoZGQ53YcR": not an ed25519 public key (multicodec 0xed01)"#);
    let short = format!("did:key:z{}", keys::base58_encode(&[0xed, 0x01, 1, 2, 3]));
    insta::assert_snapshot!(err(&short), @r#"invalid did:key "did:key:zTjsU3jY": 3 key bytes, expected 32"#);
    insta::assert_snapshot!(keys::parse_multikey("6Mk").unwrap_err(),
        @r#"invalid ed25519 multikey "6Mk": expected multibase base58btc, which starts with 'z'"#);
}

#[test]
fn did_web_document_has_one_multikey_assertion_method() {
    let key = issuer().verifying_key();
    let document = keys::did_web_document("example.com", &key);
    insta::assert_json_snapshot!(document, @r#"
    {
      "@context": [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1"
      ],
      "id": "did:web:example.com",
      "verificationMethod": [
        {
          "id": "did:web:example.com#z6MkghLt1e8m1fmANsdJJco3aCLV8Xnigr5UWwC3u5iZFPd3",
          "type": "Multikey",
          "controller": "did:web:example.com",
          "publicKeyMultibase": "z6MkghLt1e8m1fmANsdJJco3aCLV8Xnigr5UWwC3u5iZFPd3"
        }
      ],
      "assertionMethod": [
        "did:web:example.com#z6MkghLt1e8m1fmANsdJJco3aCLV8Xnigr5UWwC3u5iZFPd3"
      ]
    }
    "#);
    let method = &document["verificationMethod"][0];
    assert_eq!(document["assertionMethod"][0], method["id"]);
    assert_eq!(keys::parse_multikey(method["publicKeyMultibase"].as_str().unwrap()).unwrap(), key);

    // A credential signed under the did:web method verifies with a resolver built from it.
    let signing = issuer();
    let vm = method["id"].as_str().unwrap().to_string();
    let secured =
        proof::sign(&credential(), &signing, ProofOptions::new(vm.clone(), "2026-01-31T12:00:00Z"))
            .unwrap();
    let resolver = |id: &str| {
        (id == vm)
            .then(|| keys::parse_multikey(method["publicKeyMultibase"].as_str().unwrap()).unwrap())
    };
    let verified = proof::verify(&secured, &resolver).unwrap();
    assert_eq!(verified.verification_method, vm);
    assert!(matches!(
        proof::verify(&secured, &no_resolver),
        Err(ProofError::UnresolvedMethod { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Benchmark (not a test): `cargo test --release --test main bench_verify -- --ignored --nocapture`.

#[test]
#[ignore = "micro-benchmark; run in release with --ignored --nocapture"]
fn bench_verify() {
    let n = std::env::var("PCF_BENCH_N").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let report = proof::bench_verify(n).unwrap();
    println!(
        "{n} iterations, {} canonical bytes: {:.0} declarations/s verified, {:.0} raw verify_strict/s, {:.2}x slower",
        report.document_bytes,
        report.declarations_per_second,
        report.raw_verifications_per_second,
        report.slowdown()
    );
}
