#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A buyer's trust list (`pcf trust add`, `pcf trust list`, `pcf verify --trust-list`): the
//! issuers it names are trusted and named in the report, its witnesses relied on; a list that
//! does not parse is refused with the place and the fix; adding never loses an entry.

use serde_json::Value;

use pcf::register::note::{COSIGNATURE, Verifier};

use crate::util::{Issuer, stderr, stdout};

fn issuer_check(report: &Value) -> (String, String) {
    let c = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "issuer").unwrap();
    (c["status"].as_str().unwrap().into(), c["detail"].as_str().unwrap().into())
}

#[test]
fn trust_list_names_the_trusted_issuer() {
    let is = Issuer::new();
    is.declare("d.json", &[]);
    is.bundle("d.json", "b.json", &[]);
    let witness = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let vkey = Verifier::new("w.example", COSIGNATURE, witness.verifying_key()).unwrap().vkey();

    let out =
        is.ok(&["trust", "add", "--list", "trust.json", "--did", &is.did, "--name", "Steel Co."]);
    assert!(out.contains("added \"Steel Co.\" (1 issuers, 0 witnesses)"), "{out}");
    is.ok(&["trust", "add", "--list", "trust.json", "--witness", &vkey, "--name", "Witness A"]);
    // The same entry again changes nothing; another name for it is refused, the file intact.
    let again =
        is.ok(&["trust", "add", "--list", "trust.json", "--did", &is.did, "--name", "Steel Co."]);
    assert!(again.contains("unchanged"), "{again}");
    let before = std::fs::read(is.dir.path().join("trust.json")).unwrap();
    let renamed =
        is.run(&["trust", "add", "--list", "trust.json", "--did", &is.did, "--name", "X"]);
    assert_eq!(renamed.status.code(), Some(2), "{}", stderr(&renamed));
    assert!(stderr(&renamed).contains("already listed as \"Steel Co.\""), "{}", stderr(&renamed));
    assert_eq!(std::fs::read(is.dir.path().join("trust.json")).unwrap(), before);

    let listed = is.ok(&["trust", "list", "trust.json"]);
    assert!(listed.contains(&format!("{}  Steel Co.", is.did)), "{listed}");
    assert!(listed.contains("Witness A"), "{listed}");
    let list = pcf::trustlist::TrustList::parse(&before, "trust.json").unwrap();
    assert_eq!(list.name_of(&is.did), Some("Steel Co."));
    assert_eq!(list.witnesses[0].key, vkey);

    // Without a witness cosignature the list's witness is required (as --witness is).
    let (code, report) = is.verify_json(&["b.json", "--trust-list", "trust.json"]);
    assert_eq!(issuer_check(&report).1, format!("{} is trusted (Steel Co.)", is.did));
    assert_eq!(issuer_check(&report).0, "pass");
    assert_eq!(code, Some(1), "{report}");
    let log = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "log").unwrap();
    assert_eq!(log["status"], "fail", "{log}");

    // An issuer-only list: the declaration verifies as with --trust.
    is.ok(&["trust", "add", "--list", "issuers.json", "--did", &is.did, "--name", "Steel Co."]);
    let (code, report) = is.verify_json(&["b.json", "--trust-list", "issuers.json"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["verdict"], "valid");
    let text = stdout(&is.run(&["verify", "b.json", "--trust-list", "issuers.json"]));
    assert!(text.contains("is trusted (Steel Co.)"), "{text}");

    // A list naming someone else: not trusted.
    let other =
        pcf::keys::did_key(&ed25519_dalek::SigningKey::from_bytes(&[6; 32]).verifying_key());
    is.ok(&["trust", "add", "--list", "other.json", "--did", &other, "--name", "Other"]);
    let (code, report) = is.verify_json(&["b.json", "--trust-list", "other.json"]);
    assert_eq!(code, Some(1));
    assert_eq!(issuer_check(&report).0, "fail");
}

#[test]
fn a_bad_trust_list_is_refused_with_its_place() {
    let is = Issuer::new();
    is.declare("d.json", &[]);
    let write = |name: &str, v: Value| {
        std::fs::write(is.dir.path().join(name), serde_json::to_vec(&v).unwrap()).unwrap()
    };
    write(
        "bad.json",
        serde_json::json!({"format": "pcf-trust-list/1", "issuers": [
            {"did": is.did, "name": "A"}, {"did": "did:ion:xyz", "name": "B"}]}),
    );
    let out = is.run(&["verify", "d.json", "--trust-list", "bad.json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("bad.json: at /issuers/1/did: \"did:ion:xyz\" is neither"), "{err}");
    // `pcf trust add` refuses to touch a list it cannot read.
    let before = std::fs::read(is.dir.path().join("bad.json")).unwrap();
    let add = is.run(&["trust", "add", "--list", "bad.json", "--did", &is.did, "--name", "A"]);
    assert_eq!(add.status.code(), Some(1));
    assert_eq!(std::fs::read(is.dir.path().join("bad.json")).unwrap(), before);
    write("v2.json", serde_json::json!({"format": "pcf-trust-list/2"}));
    let err = stderr(&is.run(&["verify", "d.json", "--trust-list", "v2.json"]));
    assert!(err.contains("at /format"), "{err}");
    let bad_key =
        is.run(&["trust", "add", "--list", "t.json", "--did", "did:key:z6MkNOPE", "--name", "A"]);
    assert_eq!(bad_key.status.code(), Some(1), "{}", stderr(&bad_key));
    assert!(!is.dir.path().join("t.json").exists());
}
