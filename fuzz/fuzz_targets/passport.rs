//! UNTP passports: the input is a JWS compact token, opened two ways. As given, it must not
//! panic and may verify only under the did:key its `kid` names. Its payload, when it is strict
//! JSON, is also enveloped with a fixed key (so the parsers get past the signature, to the
//! credential) and verified as `pcf verify` does without a bundle: nothing may panic, and the
//! report names the signer as issuer.
#![no_main]

use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

fn key() -> &'static (SigningKey, String) {
    static K: OnceLock<(SigningKey, String)> = OnceLock::new();
    K.get_or_init(|| {
        let key = SigningKey::from_bytes(&[7; 32]);
        let did = pcf::keys::did_key(&key.verifying_key());
        (key, did)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let envelope = |t: &str| {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": format!("data:application/vc+jwt,{t}"),
            "type": "EnvelopedVerifiableCredential",
        })
    };
    if let Ok(opened) = pcf::passport::open(&envelope(token)) {
        assert!(opened.kid.starts_with(&format!("{}#", opened.issuer)));
    }
    let Ok(jws) = pcf::jose::decode(token) else { return };
    let Ok(Value::Object(mut credential)) = pcf::canonical::parse_strict(&jws.payload) else {
        return;
    };
    let (key, did) = key();
    credential.insert("issuer".into(), json!({"id": did, "name": "fuzz"}));
    let Ok(p) = pcf::passport::envelope(Value::Object(credential), key) else { return };
    let options =
        pcf::declaration::VerifyOptions { trust: vec![did.clone()], ..Default::default() };
    let report = pcf::passport::verify(&p.enveloped, None, &options);
    assert_eq!(report.issuer.as_deref(), Some(did.as_str()), "{report}");
});
