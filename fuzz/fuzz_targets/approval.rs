//! Approvals and revocations: the input is a JSON array `[declaration, credential...]`. Each
//! credential that is an object without a proof is signed with a fixed key (so the parsers get
//! past the signature, to the fields and times), then read with `parse_approval` and
//! `parse_revocation`, and the whole set is checked against the declaration, as
//! `pcf verify --approval` does. Nothing may panic; a credential that reads names its signer
//! as issuer; an "approved" verdict rests on a finding that is valid (or revoked later).
#![no_main]

use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use pcf::certification::approval;
use serde_json::Value;

fn key() -> &'static (SigningKey, String) {
    static K: OnceLock<(SigningKey, String)> = OnceLock::new();
    K.get_or_init(|| {
        let key = SigningKey::from_bytes(&[7; 32]);
        let did = pcf::keys::did_key(&key.verifying_key());
        (key, did)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(Value::Array(items)) = pcf::canonical::parse_strict(data) else { return };
    let Some((declaration, credentials)) = items.split_first() else { return };
    let (key, did) = key();
    let mut documents = Vec::new();
    for (i, c) in credentials.iter().enumerate() {
        let doc = match c {
            Value::Object(m) if !m.contains_key("proof") => {
                let mut m = m.clone();
                if m.get("issuer").is_some_and(|v| v == "SIGNER") {
                    m.insert("issuer".into(), Value::String(did.clone()));
                }
                let options = pcf::proof::ProofOptions::did_key(
                    &key.verifying_key(),
                    m.get("created").and_then(Value::as_str).unwrap_or("2026-01-01T00:00:00Z"),
                );
                m.remove("created");
                match pcf::proof::sign(&Value::Object(m), key, options) {
                    Ok(signed) => signed,
                    Err(_) => continue,
                }
            }
            other => other.clone(),
        };
        if let Ok(a) = approval::parse_approval(&doc) {
            assert_eq!(&a.issuer, did, "an approval read with another issuer than its signer");
        }
        if let Ok(r) = approval::parse_revocation(&doc) {
            assert_eq!(&r.issuer, did);
        }
        documents.push((format!("credential {i}"), doc));
    }
    let trusted = vec![did.clone()];
    let options = pcf::declaration::VerifyOptions::default();
    if let Ok(report) = approval::check(declaration, None, &options, &documents, &trusted) {
        if report.verdict == approval::ApprovalVerdict::Approved {
            assert!(report.approvals.iter().any(|f| matches!(
                f.status,
                approval::ApprovalStatus::Valid | approval::ApprovalStatus::RevokedLater
            )));
        }
        let _ = approval::as_check(&report);
    }
});
