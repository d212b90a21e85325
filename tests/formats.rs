#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Documents issued in an earlier format keep verifying (`tests/data/format-1/`): format-1
//! declarations (the PACT footprint as the credential subject, the VC 2.0 context alone) and a
//! `pcf-bundle/1` bundle, verified by the `pcf` of today, and consumed as suppliers'
//! declarations with the same result as their format-2 reissue.

use std::fs;

use serde_json::Value;

use crate::util::{Issuer, pcf, root, stderr, stdout};

fn format_1(name: &str) -> std::path::PathBuf {
    root().join("tests/data/format-1").join(name)
}

fn read(path: &std::path::Path) -> Value {
    pcf::canonical::parse_strict(&fs::read(path).unwrap()).unwrap()
}

/// The issuer DIDs a document and its upstream declarations name.
fn issuers(bundle: &Value) -> Vec<String> {
    let mut dids = vec![bundle["declaration"]["issuer"]["id"].as_str().unwrap().to_string()];
    for up in bundle["upstream"].as_array().unwrap() {
        dids.push(up["issuer"]["id"].as_str().unwrap().to_string());
    }
    dids
}

fn verify_args<'a>(file: &'a str, dids: &'a [String]) -> Vec<&'a str> {
    let mut args = vec!["verify", file];
    for did in dids {
        args.extend(["--trust", did.as_str()]);
    }
    args
}

#[test]
fn a_format_1_bundle_still_verifies_and_its_tampered_copy_does_not() {
    let path = format_1("bracket.bundle.json");
    let bundle = read(&path);
    assert_eq!(bundle["format"], "pcf-bundle/1", "the fixture is the old bundle format");
    assert_eq!(
        bundle["declaration"]["@context"],
        serde_json::json!(["https://www.w3.org/ns/credentials/v2"]),
        "the fixture's declaration is format 1"
    );
    let dids = issuers(&bundle);
    let out = pcf(&root(), &verify_args(path.to_str().unwrap(), &dids));
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.starts_with("VALID: Galvanised steel bracket BR-40"), "{text}");
    assert!(text.contains("2.691439 kg CO2e per 1 piece"), "{text}");

    // The declaration's figure changed: its proof fails.
    let dir = tempfile::tempdir().unwrap();
    let mut tampered = bundle.clone();
    tampered["declaration"]["credentialSubject"]["pcf"]["pcfExcludingBiogenicUptake"] =
        Value::from("2.591439");
    let file = dir.path().join("tampered.json");
    fs::write(&file, serde_json::to_vec_pretty(&tampered).unwrap()).unwrap();
    let out = pcf(&root(), &verify_args(file.to_str().unwrap(), &dids));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.lines().any(|l| l.contains("[FAIL] proof")), "{text}");
}

#[test]
fn format_1_declarations_of_a_register_verify_their_proofs_and_shape() {
    for name in ["bracket-v1.json", "bracket-v2.json", "hot-rolled-coil.json"] {
        let doc = read(&format_1(name));
        assert!(doc["credentialSubject"]["productFootprint"].is_null(), "{name} is format 1");
        let report = pcf::declaration::verify::verify(&doc, None, &Default::default());
        for check in ["schema", "proof", "numbers"] {
            let c = report.checks.iter().find(|c| c.name == check).unwrap();
            assert_eq!(c.status, pcf::declaration::verify::CheckStatus::Pass, "{name}: {report}");
        }
    }
}

#[test]
fn a_format_1_supplier_declaration_gives_the_same_footprint_and_a_verifying_bundle() {
    // Today's example supplier declaration (format 2) against the format-1 one it replaced:
    // the same inventory, the same figures.
    let current = Issuer::new();
    let old = Issuer::new();
    let coil = "suppliers/hot-rolled-coil.json";
    fs::copy(format_1("hot-rolled-coil.json"), old.dir.path().join(coil)).unwrap();
    let footprint = |i: &Issuer| -> Value {
        serde_json::from_str(&i.ok(&["footprint", "inventory.toml", "--json"])).unwrap()
    };
    assert_eq!(footprint(&current), footprint(&old));

    old.declare("bracket.json", &[]);
    let declared = read(&old.dir.path().join("bracket.json"));
    assert!(declared["credentialSubject"]["productFootprint"].is_object(), "issued in format 2");
    old.ok(&["bundle", "bracket.json", "--inventory", "inventory.toml", "--register", "reg"]);
    let supplier_did =
        read(&format_1("hot-rolled-coil.json"))["issuer"]["id"].as_str().unwrap().to_string();
    let dids = [old.did.clone(), supplier_did];
    let out = old.run(&verify_args("bracket.bundle.json", &dids));
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.lines().any(|l| l.contains("[pass] upstream")), "{text}");
}
