#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `pcf register status-list`: the register's statuses as a signed W3C Bitstring Status List
//! credential, checked bit by bit against the register, its proof verified, and tampering
//! refused.

use pcf::register::status_list::{MIN_BITS, bit, decode_list};
use pcf::register::{EntryKind, Register, Status};

#[test]
fn the_status_list_has_a_bit_per_entry_set_for_deprecated_declarations() {
    let is = crate::util::Issuer::new();
    let (dir, did, run) = (&is.dir, &is.did, |args: &[&str]| is.ok(args));
    let declare = |out: &str, extra: &[&str]| {
        is.declare(out, extra);
    };
    declare("v1.json", &[]);
    declare("v2.json", &["--supersedes", "v1.json"]);
    declare("v3.json", &["--supersedes", "v2.json"]);
    let url = "https://issuer.example/status/1";
    let said = run(&[
        "register",
        "--register",
        "reg",
        "status-list",
        "--key",
        "issuer.key",
        "--url",
        url,
        "--out",
        "status.json",
    ]);
    assert!(said.contains("status.json"), "{said}");
    let credential: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("status.json")).unwrap()).unwrap();

    // Signed by the issuer.
    let verified = pcf::proof::verify(&credential, &|_| None).unwrap();
    assert_eq!(verified.verification_method.split('#').next(), Some(did.as_str()));
    assert_eq!(credential["issuer"], did.as_str());
    assert_eq!(credential["id"], url);
    assert_eq!(
        credential["type"],
        serde_json::json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    let subject = &credential["credentialSubject"];
    assert_eq!(subject["type"], "BitstringStatusList");
    assert_eq!(subject["statusPurpose"], "revocation");
    assert_eq!(subject["id"], format!("{url}#list"));

    // One bit per entry: set where the entry declared a now-deprecated declaration.
    let bits = decode_list(subject["encodedList"].as_str().unwrap()).unwrap();
    assert_eq!(bits.len() as u64 * 8, MIN_BITS);
    let register = Register::open(dir.path().join("reg")).unwrap();
    let statuses = register.statuses().unwrap();
    let entries = register.entries().unwrap();
    let mut deprecated = 0;
    for e in &entries {
        let want = match &e.kind {
            EntryKind::Declared { declaration, .. } => statuses[declaration] == Status::Deprecated,
            _ => false,
        };
        assert_eq!(bit(&bits, e.seq), want, "entry {}", e.seq);
        deprecated += usize::from(want);
    }
    assert_eq!(deprecated, 2, "v1 and v2 are superseded");
    assert!((entries.len() as u64..MIN_BITS).all(|i| !bit(&bits, i)));

    // Another list under the same proof does not verify.
    let mut tampered = credential.clone();
    let mut flipped = bits.clone();
    flipped[0] ^= 0x80;
    tampered["credentialSubject"]["encodedList"] =
        pcf::register::status_list::encode_list(&flipped).into();
    assert!(pcf::proof::verify(&tampered, &|_| None).is_err());

    // A URL that is not absolute is refused.
    let out = crate::util::pcf(
        dir.path(),
        &[
            "register",
            "--register",
            "reg",
            "status-list",
            "--key",
            "issuer.key",
            "--url",
            "status/1",
        ],
    );
    assert!(!out.status.success());
    assert!(crate::util::stderr(&out).contains("not an absolute"), "{}", crate::util::stderr(&out));
}
