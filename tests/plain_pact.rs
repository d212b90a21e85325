#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Plain (unsigned) PACT footprints, v3 and v2, verified by content: never VALID, UNSIGNED PACT
//! FOOTPRINT (exit 3) when sound, INVALID (exit 1) with the reason when not; a PACT footprint
//! with a proof that is not a pcf declaration says so; a tampered declaration stays INVALID.

use serde_json::{Value, json};

use crate::util::{Issuer, root, stderr, stdout};

/// A PACT v3 footprint of our own: the subject of the steel example's supplier declaration.
pub fn v3_footprint() -> Value {
    let path = root().join("examples/steel-bracket/suppliers/hot-rolled-coil.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["credentialSubject"]["productFootprint"].clone()
}

/// A PACT v2 footprint written for these tests.
pub fn v2_footprint() -> Value {
    json!({
        "id": "3f7b9a52-1c4e-4d8a-9b2f-6e5d4c3b2a19",
        "specVersion": "2.2.0",
        "version": 1,
        "created": "2025-03-01T00:00:00Z",
        "status": "Active",
        "validityPeriodStart": "2025-03-01T00:00:00Z",
        "validityPeriodEnd": "2027-12-31T00:00:00Z",
        "companyName": "Example Aluminium GmbH",
        "companyIds": ["urn:uuid:0d6b9f8a-2f3c-4a5b-8c7d-1e2f3a4b5c6d"],
        "productDescription": "Aluminium ingot, primary",
        "productIds": ["urn:pcf:test:ingot-1"],
        "productCategoryCpc": "4151",
        "productNameCompany": "Primary ingot A1",
        "comment": "",
        "pcf": {
            "declaredUnit": "kilogram",
            "unitaryProductAmount": "1",
            "pCfExcludingBiogenic": "8.4",
            "pCfIncludingBiogenic": "8.1",
            "fossilGhgEmissions": "8.3",
            "fossilCarbonContent": "0",
            "biogenicCarbonContent": "0",
            "biogenicCarbonWithdrawal": "-0.3",
            "characterizationFactors": "AR6",
            "ipccCharacterizationFactorsSources": ["AR6"],
            "crossSectoralStandardsUsed": ["GHG Protocol Product standard"],
            "boundaryProcessesDescription": "cradle to gate",
            "referencePeriodStart": "2024-01-01T00:00:00Z",
            "referencePeriodEnd": "2025-01-01T00:00:00Z",
            "exemptedEmissionsPercent": "0.5",
            "exemptedEmissionsDescription": "",
            "packagingEmissionsIncluded": false,
            "primaryDataShare": "40"
        }
    })
}

/// Writes `v` to `name` in the issuer's directory.
pub fn write(is: &Issuer, name: &str, v: &Value) {
    std::fs::write(is.dir.path().join(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

fn verify(is: &Issuer, file: &str) -> (Option<i32>, Value, String) {
    let out = is.run(&["verify", file, "--at", "2026-06-01", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{file}: no report: {}", stderr(&out)));
    let text = stdout(&is.run(&["verify", file, "--at", "2026-06-01"]));
    (out.status.code(), report, text)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
}

#[test]
fn a_plain_v3_footprint_is_unsigned_never_valid() {
    let is = Issuer::new();
    write(&is, "v3.json", &v3_footprint());
    let (code, report, text) = verify(&is, "v3.json");
    assert_eq!(code, Some(3), "{report}");
    assert_eq!(report["verdict"], "unsigned");
    assert_eq!(report["kind"], "unsigned-pact-footprint");
    assert_eq!(report["product"], "Hot-rolled coil S355");
    assert_eq!(report["company"], "Jiangsu Example Iron & Steel Co., Ltd.");
    assert_eq!(report["pcf"], "2.052577 kg CO2e per 1 kilogram");
    assert_eq!(check(&report, "schema")["status"], "pass");
    assert_eq!(check(&report, "numbers")["status"], "pass");
    assert_eq!(check(&report, "proof")["status"], "warn");
    assert!(text.starts_with("UNSIGNED PACT FOOTPRINT: Hot-rolled coil S355\n"), "{text}");
    assert!(text.contains("unsigned PACT footprint"), "{text}");
    assert!(!text.contains("(unknown product)"), "{text}");

    // Deprecated: still unsigned, with the reason.
    let mut deprecated = v3_footprint();
    deprecated["status"] = "Deprecated".into();
    write(&is, "dep.json", &deprecated);
    let (code, report, _) = verify(&is, "dep.json");
    assert_eq!((code, report["status"]["standing"].as_str()), (Some(3), Some("deprecated")));

    // Expired: validity judged at --at (reference period end + 3 years).
    let out = is.run(&["verify", "v3.json", "--at", "2029-06-01", "--json"]);
    let late: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(late["status"]["standing"], "expired", "{late}");
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn a_plain_footprint_with_broken_content_is_invalid() {
    let is = Issuer::new();
    let mut fp = v3_footprint();
    fp["pcf"]["referencePeriodEnd"] = "2024-06-01T00:00:00Z".into();
    write(&is, "backwards.json", &fp);
    let (code, report, text) = verify(&is, "backwards.json");
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["verdict"], "invalid");
    assert!(text.starts_with("INVALID: Hot-rolled coil S355"), "{text}");
    let validity = check(&report, "validity");
    assert_eq!(validity["status"], "fail");
    assert!(
        validity["detail"].as_str().unwrap().contains("the reference period ends"),
        "{validity}"
    );

    let mut fp = v3_footprint();
    fp["pcf"]["primaryDataShare"] = "140".into();
    fp["pcf"]["pcfIncludingBiogenicUptake"] = "3".into();
    write(&is, "numbers.json", &fp);
    let (code, report, _) = verify(&is, "numbers.json");
    assert_eq!(code, Some(1));
    let detail = check(&report, "numbers")["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("primaryDataShare 140 is not a percentage"), "{detail}");
    assert!(detail.contains("including uptake 3 != excluding 2.052577"), "{detail}");

    let mut fp = v3_footprint();
    fp.as_object_mut().unwrap().remove("companyIds");
    write(&is, "schema.json", &fp);
    let (code, report, _) = verify(&is, "schema.json");
    assert_eq!((code, check(&report, "schema")["status"].as_str()), (Some(1), Some("fail")));
}

#[test]
fn a_plain_v2_footprint_is_checked_by_its_own_shape() {
    let is = Issuer::new();
    write(&is, "v2.json", &v2_footprint());
    let (code, report, text) = verify(&is, "v2.json");
    assert_eq!(code, Some(3), "{report}");
    assert_eq!(report["verdict"], "unsigned");
    assert_eq!(report["pcf"], "8.4 kg CO2e per 1 kilogram");
    assert_eq!(report["company"], "Example Aluminium GmbH");
    assert!(check(&report, "schema")["detail"].as_str().unwrap().contains("PACT v2"));
    assert!(text.starts_with("UNSIGNED PACT FOOTPRINT: Primary ingot A1"), "{text}");

    let mut bad = v2_footprint();
    bad["pcf"]["declaredUnit"] = "bushel".into();
    bad["pcf"]["biogenicCarbonWithdrawal"] = "0.3".into();
    bad["version"] = "one".into();
    write(&is, "v2bad.json", &bad);
    let (code, report, _) = verify(&is, "v2bad.json");
    assert_eq!(code, Some(1));
    let schema = check(&report, "schema")["detail"].as_str().unwrap().to_string();
    assert!(schema.contains("declaredUnit \"bushel\""), "{schema}");
    assert!(schema.contains("version: \"one\" is not a whole number"), "{schema}");
    let numbers = check(&report, "numbers")["detail"].as_str().unwrap().to_string();
    assert!(numbers.contains("biogenicCarbonWithdrawal is positive"), "{numbers}");

    // Inside an unsigned credential: the same footprint, the same verdict.
    let vc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:web:example.com",
        "credentialSubject": v2_footprint(),
    });
    write(&is, "vc.json", &vc);
    let (code, report, _) = verify(&is, "vc.json");
    assert_eq!((code, report["verdict"].as_str()), (Some(3), Some("unsigned")), "{report}");
}

#[test]
fn a_proof_pcf_cannot_check_and_a_tampered_declaration() {
    let is = Issuer::new();
    let mut fp = v3_footprint();
    fp["proof"] = json!({"type": "JsonWebSignature2020", "jws": "eyJ..."});
    write(&is, "proofed.json", &fp);
    let (code, report, _) = verify(&is, "proofed.json");
    assert_eq!(code, Some(3));
    let proof = check(&report, "proof")["detail"].as_str().unwrap().to_string();
    assert!(proof.contains("carries a proof, but is not a pcf declaration"), "{proof}");

    is.declare("d.json", &[]);
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(is.dir.path().join("d.json")).unwrap()).unwrap();
    doc["credentialSubject"]["productFootprint"]["pcf"]["pcfExcludingBiogenicUptake"] =
        "0.1".into();
    write(&is, "tampered.json", &doc);
    let (code, report, _) = verify(&is, "tampered.json");
    assert_eq!((code, report["verdict"].as_str()), (Some(1), Some("invalid")));
    assert_eq!(report["kind"], "declaration");
    assert_eq!(check(&report, "proof")["status"], "fail");
    // Without its proof, a pcf declaration is still judged as one: INVALID, not unsigned.
    doc.as_object_mut().unwrap().remove("proof");
    write(&is, "stripped.json", &doc);
    let (code, report, _) = verify(&is, "stripped.json");
    assert_eq!((code, report["kind"].as_str()), (Some(1), Some("declaration")));
}
