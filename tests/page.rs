#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The buyer's verifier page, natively: what `pcf_web::answer` gives the page for a bundle, a
//! tampered bundle, a plain PACT footprint and bad input (the page itself is driven in
//! Chromium by scripts/page/check).

use serde_json::{Value, json};

use crate::util::Issuer;
use pcf::declaration::{CheckStatus, Verdict};

/// The bracket declared and bundled by a fresh issuer; the bundle's bytes.
fn bundle() -> (Issuer, Vec<u8>) {
    let issuer = Issuer::new();
    issuer.declare("bracket.json", &[]);
    issuer.bundle("bracket.json", "b.json", &[]);
    let bytes = std::fs::read(issuer.dir.path().join("b.json")).unwrap();
    (issuer, bytes)
}

/// The declaration a bundle (a VerifiablePresentation) carries first, and the supplier's next.
fn declaration(bundle: &Value) -> &Value {
    &bundle["verifiableCredential"][0]
}

fn supplier_did(bundle: &Value) -> String {
    bundle["verifiableCredential"][1]["issuer"]["id"].as_str().unwrap().to_string()
}

fn trust_list(issuer: &str, supplier: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "format": "pcf-trust-list/1",
        "issuers": [
            {"did": issuer, "name": "Suzhou bracket maker"},
            {"did": supplier, "name": "Example steel mill"},
        ],
    }))
    .unwrap()
}

/// Now, as the page passes it.
fn now() -> String {
    pcf_base::time::Instant::now().to_string()
}

fn footprint(doc: &Value) -> &Value {
    &doc["credentialSubject"]["productFootprint"]
}

#[test]
fn a_bundle_is_summarised_with_what_a_buyer_reads() {
    let (issuer, bytes) = bundle();
    let b: Value = serde_json::from_slice(&bytes).unwrap();
    let list = trust_list(&issuer.did, &supplier_did(&b));
    let a = pcf_web::answer("b.json", &bytes, None, &list, &now()).unwrap();
    assert_eq!(a.kind, "bundle");
    assert_eq!(a.report.verdict, Verdict::Valid, "{}", a.text);
    let pf = footprint(declaration(&b));
    let s = &a.summary;
    assert_eq!(s.product.as_deref(), pf["productNameCompany"].as_str());
    assert_eq!(s.company.as_deref(), pf["companyName"].as_str());
    let unit = format!(
        "{} {}",
        pf["pcf"]["declaredUnitAmount"].as_str().unwrap(),
        pf["pcf"]["declaredUnitOfMeasurement"].as_str().unwrap()
    );
    assert_eq!(s.declared_unit.as_deref(), Some(unit.as_str()));
    assert_eq!(s.figures[0].value, pf["pcf"]["pcfExcludingBiogenicUptake"].as_str().unwrap());
    assert_eq!(s.figures[0].name, "Footprint excluding biogenic uptake");
    assert_eq!(s.primary_data_share_percent.as_deref(), pf["pcf"]["primaryDataShare"].as_str());
    let dqr = s.dqr.as_ref().expect("the bracket's DQRs");
    assert_eq!(dqr.technological, pf["pcf"]["dqi"]["technologicalDQR"].as_str().unwrap());
    assert!(dqr.rated_share_percent.is_some(), "pcf states the share the DQRs rate");
    assert!(!s.data_sources.is_empty());
    assert_eq!(
        s.exempted_emissions_percent.as_deref(),
        pf["pcf"]["exemptedEmissionsPercent"].as_str()
    );
    assert_eq!(
        s.reference_period.as_ref().and_then(|p| p.start.as_deref()),
        pf["pcf"]["referencePeriodStart"].as_str()
    );
    // No end is stated: PACT's default, the reference period's end + 3 years, as the
    // validity check judges it.
    let validity = s.validity_period.as_ref().unwrap();
    assert_eq!(validity.start.as_deref(), declaration(&b)["validFrom"].as_str());
    assert!(declaration(&b).get("validUntil").is_none() && pf.get("validityPeriodEnd").is_none());
    let reference_end = pf["pcf"]["referencePeriodEnd"].as_str().unwrap();
    let year: i32 = reference_end[..4].parse().unwrap();
    assert_eq!(
        validity.end.as_deref(),
        Some(format!("{}{}", year + 3, &reference_end[4..])).as_deref()
    );
    assert!(validity.note.is_some());
    let check = a.report.checks.iter().find(|c| c.name == "validity").unwrap();
    assert!(check.detail.ends_with(validity.end.as_deref().unwrap()), "{}", check.detail);
    let prov = pcf::declaration::provenance(declaration(&b)).unwrap();
    let m = s.methodology.as_ref().unwrap();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        (prov.methodology.id.as_str(), prov.methodology.version.as_str())
    );
    assert!(s.cbam.is_none(), "the bracket is not declared under CBAM");
    // The supply chain: the steel mill's coil, genuine, trusted, current when consumed.
    assert_eq!(a.chain.len(), 1, "{:?}", a.chain);
    let coil = &a.chain[0];
    assert_eq!(coil.link.status, CheckStatus::Pass, "{}", coil.link.detail);
    assert_eq!(coil.trusted, Some(true));
    assert_eq!(coil.issuer.as_deref(), Some(supplier_did(&b).as_str()));
    assert!(coil.footprint.as_deref().is_some_and(|f| f.contains("kg CO2e per")));
    // The same answer as JSON, as the page reads it.
    let page: Value =
        serde_json::from_str(&pcf_web::verify_files("b.json", &bytes, None, None, &list, &now()))
            .unwrap();
    assert_eq!(page["report"]["verdict"], "valid");
    assert_eq!(page["summary"]["declaredUnit"], unit.as_str());
    assert_eq!(page["chain"][0]["link"]["status"], "pass");
}

#[test]
fn the_composition_chart_adds_up_to_the_footprint() {
    let (issuer, bytes) = bundle();
    let a = pcf_web::answer("b.json", &bytes, None, b"", &now()).unwrap();
    let num = |s: &str| s.parse::<f64>().unwrap();
    let total = num(&a.summary.figures[0].value);
    // pcf's parts of the footprint excluding biogenic uptake add up to it (the chart draws an
    // "other" bar only for what the declaration does not itemise).
    let parts: f64 = a.summary.figures.iter().filter(|f| f.part).map(|f| num(&f.value)).sum();
    assert!((parts - total).abs() <= 1e-6 * total.max(1.0), "{parts} vs {total}");
    let svg = a.chart.expect("a chart");
    assert!(svg.starts_with("<svg") && svg.contains("Fossil GHG emissions"), "{svg}");
    assert!(!svg.contains("Other emissions"), "nothing is left unitemised");
    assert!(svg.contains("Total"), "the chart closes with the total");
    drop(issuer);
}

#[test]
fn untrusted_issuers_and_tampering_are_reported() {
    let (_issuer, bytes) = bundle();
    let a = pcf_web::answer("b.json", &bytes, None, b"", &now()).unwrap();
    assert_eq!(a.report.verdict, Verdict::Invalid);
    let issuer = a.report.checks.iter().find(|c| c.name == "issuer").unwrap();
    assert_eq!(issuer.status, CheckStatus::Fail);
    assert_eq!(a.chain[0].link.status, CheckStatus::Warn, "{}", a.chain[0].link.detail);
    assert_eq!(a.chain[0].trusted, Some(false));

    let mut b: Value = serde_json::from_slice(&bytes).unwrap();
    b["verifiableCredential"][0]["credentialSubject"]["productFootprint"]["pcf"]["pcfExcludingBiogenicUptake"] =
        json!("0.1");
    let a = pcf_web::answer("t.json", &serde_json::to_vec(&b).unwrap(), None, b"", &now()).unwrap();
    assert_eq!(a.report.verdict, Verdict::Invalid);
    let proof = a.report.checks.iter().find(|c| c.name == "proof").unwrap();
    assert_eq!(proof.status, CheckStatus::Fail, "{}", proof.detail);
}

#[test]
fn a_plain_pact_footprint_is_never_valid_nor_unknown() {
    let (_issuer, bytes) = bundle();
    let b: Value = serde_json::from_slice(&bytes).unwrap();
    let plain = serde_json::to_vec(footprint(declaration(&b))).unwrap();
    let a = pcf_web::answer("pf.json", &plain, None, b"", &now()).unwrap();
    assert_eq!(a.kind, "pact-footprint");
    assert_ne!(a.report.verdict, Verdict::Valid);
    assert_eq!(
        a.summary.product.as_deref(),
        footprint(declaration(&b))["productNameCompany"].as_str()
    );
    assert!(!a.text.contains("unknown product"), "{}", a.text);
}

#[test]
fn bad_input_is_refused_with_the_file_named() {
    let e = pcf_web::answer("junk.json", b"not json", None, b"", &now()).err().unwrap();
    assert!(e.starts_with("junk.json: not strict JSON"), "{e}");
    let e = pcf_web::answer("dup.json", br#"{"a":1,"a":2}"#, None, b"", &now()).err().unwrap();
    assert!(e.contains("duplicate key"), "{e}");
    let e =
        pcf_web::answer("x.json", b"{}", None, b"{\"format\":\"other\"}", &now()).err().unwrap();
    assert!(e.contains("trust list"), "{e}");
    let e = pcf_web::answer("x.json", b"{}", None, b"", "yesterday").err().unwrap();
    assert!(e.contains("yesterday"), "{e}");
    let e = pcf_web::answer("x.json", b"{}", Some(("b.json", b"{}")), b"", &now()).err().unwrap();
    assert!(e.starts_with("b.json: not a pcf bundle"), "{e}");
}

#[test]
fn the_readme_installs_the_wasm_bindgen_cli_of_the_lock_file() {
    let root = crate::util::root();
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let at =
        lock.find("name = \"wasm-bindgen\"\nversion = \"").expect("wasm-bindgen in Cargo.lock");
    let rest = &lock[at + "name = \"wasm-bindgen\"\nversion = \"".len()..];
    let version = &rest[..rest.find('"').unwrap()];
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let command = format!("cargo install wasm-bindgen-cli --version ={version}\n");
    assert!(readme.contains(&command), "README must say: {command}");
}
