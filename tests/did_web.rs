#![allow(clippy::unwrap_used, clippy::expect_used)]
//! did:web issuers: `pcf declare --did-web DOMAIN` signs as `did:web:DOMAIN` with the
//! verification method `pcf did --domain` publishes; `pcf verify --did-document FILE` resolves
//! it from that document; another key, another DID or no document fails with what to do. The
//! register and the bundle work with such an issuer. (`--fetch-did` is not tested here: it
//! needs an HTTPS server the test's client trusts.)

use serde_json::Value;

use crate::util::{Issuer, stderr};

const DOMAIN: &str = "supplier.example";

fn check(report: &Value, name: &str) -> (String, String) {
    let c = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
    (c["status"].as_str().unwrap().into(), c["detail"].as_str().unwrap().into())
}

/// Writes the DID document `pcf did KEY --domain DOMAIN` prints (after its did:key line).
fn publish(is: &Issuer, key: &str, domain: &str, out: &str) {
    let printed = is.ok(&["did", key, "--domain", domain]);
    let json = &printed[printed.find('{').unwrap()..];
    let doc: Value = serde_json::from_str(json).unwrap();
    assert_eq!(doc["id"], format!("did:web:{domain}"));
    std::fs::write(is.dir.path().join(out), json).unwrap();
}

#[test]
fn a_did_web_declaration_verifies_from_its_document() {
    let is = Issuer::new();
    let out = is.declare("d.json", &["--did-web", DOMAIN]);
    assert!(out.contains(&format!("issuer    did:web:{DOMAIN}")), "{out}");
    let doc: Value =
        serde_json::from_slice(&std::fs::read(is.dir.path().join("d.json")).unwrap()).unwrap();
    assert_eq!(doc["issuer"]["id"], format!("did:web:{DOMAIN}"));
    let method = doc["proof"]["verificationMethod"].as_str().unwrap();
    assert!(method.starts_with(&format!("did:web:{DOMAIN}#z6Mk")), "{method}");
    publish(&is, "issuer.key", DOMAIN, "did.json");
    let did = format!("did:web:{DOMAIN}");
    is.bundle("d.json", "b.json", &[]);

    // Without the document: the proof cannot be checked, and the report says how to fix it.
    let (code, report) = is.verify_json(&["b.json", "--trust", &did]);
    assert_eq!(code, Some(1));
    let (status, detail) = check(&report, "proof");
    assert_eq!(status, "fail");
    assert!(detail.contains(&format!("{did} could not be resolved: give its DID document with --did-document FILE (from https://{DOMAIN}/.well-known/did.json) or allow --fetch-did")), "{detail}");

    // With it: genuine.
    let (code, report) = is.verify_json(&["b.json", "--trust", &did, "--did-document", "did.json"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["verdict"], "valid");
    assert_eq!(check(&report, "proof").0, "pass");
    assert_eq!(report["issuer"], did);

    // Another key under the same DID: the proof fails.
    is.ok(&["keygen", "--out", "other.key"]);
    publish(&is, "other.key", DOMAIN, "other-did.json");
    let (code, report) =
        is.verify_json(&["b.json", "--trust", &did, "--did-document", "other-did.json"]);
    assert_eq!(code, Some(1));
    let (status, detail) = check(&report, "proof");
    assert_eq!(status, "fail");
    assert!(detail.contains("has no assertion method"), "{detail}");

    // A document of another DID does not resolve this one.
    publish(&is, "issuer.key", "elsewhere.example", "elsewhere.json");
    let (code, report) =
        is.verify_json(&["b.json", "--trust", &did, "--did-document", "elsewhere.json"]);
    assert_eq!(code, Some(1));
    let detail = check(&report, "proof").1;
    assert!(
        detail.contains("the DID documents given are for did:web:elsewhere.example"),
        "{detail}"
    );

    // A document that is not one is refused before verifying.
    std::fs::write(is.dir.path().join("junk.json"), r#"{"id": "did:web:x.example"}"#).unwrap();
    let out = is.run(&["verify", "d.json", "--did-document", "junk.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("junk.json: at /assertionMethod"), "{}", stderr(&out));
}

#[test]
fn register_and_bundle_work_with_a_did_web_issuer() {
    let is = Issuer::new();
    is.declare("d.json", &["--did-web", DOMAIN]);
    publish(&is, "issuer.key", DOMAIN, "did.json");
    let did = format!("did:web:{DOMAIN}");
    is.bundle("d.json", "b.json", &[]);
    let (code, report) = is.verify_json(&["b.json", "--trust", &did, "--did-document", "did.json"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["verdict"], "valid");
    let (status, detail) = check(&report, "log");
    assert_eq!(status, "pass", "{detail}");

    // A second declaration superseding the first, by the same did:web issuer.
    is.declare("d2.json", &["--did-web", DOMAIN, "--supersedes", "d.json"]);
    is.bundle("d.json", "b1.json", &[]);
    let (code, report) =
        is.verify_json(&["b1.json", "--trust", &did, "--did-document", "did.json"]);
    assert_eq!((code, report["verdict"].as_str()), (Some(3), Some("not-current")), "{report}");
}
