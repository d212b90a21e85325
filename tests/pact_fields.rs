#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The PACT fields a declaration writes beyond the totals (issue 11, point 9): no figure is
//! declared as zero when it is unknown or not assessed; `packagingEmissionsIncluded`,
//! `ccsTechnologicalCO2CaptureIncluded` and `secondaryEmissionFactorSources` are written; the
//! CBAM extension reports the indirect emissions set aside. Each probe is a one-process
//! inventory whose figures are derived by hand in the test.

use serde_json::{Value, json};

use crate::util::{pcf, stderr};

/// A workspace with an issuer key.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = pcf(dir.path(), &["keygen", "--out", "issuer.key"]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

/// A one-process inventory making 1 kg of product `p` with `product` lines added to the product
/// (CN code, carbon content, packaging), and the given inputs and factors.
fn probe(product: &str, inputs: &str, factors: &str) -> String {
    format!(
        r#"[inventory]
name = "PACT fields probe"
company = {{ name = "Probe Co.", ids = ["urn:uscc:PROBE"] }}
reference_period = {{ start = "2025-01-01", end = "2025-12-31" }}
geography = "CN"

[[products]]
id = "p"
name = "Probe"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0
product_ids = ["urn:gtin:00000000000017"]
{product}

[[processes]]
id = "make"
name = "Make"
route = "iron or steel products: test route"
quality = {{ source = "primary", technological = 1, temporal = 1, geographical = 1 }}
outputs = [{{ product = "p", amount = 1, unit = "kg" }}]
inputs = [
{inputs}]
{factors}"#
    )
}

/// A factor with CO2 per unit, from `dataset` (omitted when empty), of `source_type`.
fn factor(id: &str, per: &str, co2: f64, dataset: &str, source_type: &str) -> String {
    let dataset =
        if dataset.is_empty() { String::new() } else { format!("dataset = \"{dataset}\"\n") };
    format!(
        "\n[[factors]]\nid = \"{id}\"\nname = \"{id}\"\nper = \"{per}\"\ngases = {{ \"co2-fossil\" = {co2} }}\n\
         source = \"{id} source\"\nlicence = \"CC0-1.0\"\n{dataset}\
         quality = {{ source = \"{source_type}\", technological = 2, temporal = 2, geographical = 2 }}\n"
    )
}

/// Declares product `p` of `inventory` under `methodology`: the declaration, or the error.
fn declare(dir: &std::path::Path, inventory: &str, methodology: &str) -> Result<Value, String> {
    std::fs::write(dir.join("inv.toml"), inventory).unwrap();
    let _ = std::fs::remove_file(dir.join("out.json"));
    let out = pcf(
        dir,
        &[
            "declare",
            "inv.toml",
            "--product",
            "p",
            "-m",
            methodology,
            "--key",
            "issuer.key",
            "--out",
            "out.json",
            // The probes' supplier declarations are unsigned.
            "--danger-accept-unverified-upstream",
        ],
    );
    if out.status.success() {
        Ok(serde_json::from_slice(&std::fs::read(dir.join("out.json")).unwrap()).unwrap())
    } else {
        Err(stderr(&out))
    }
}

const STEEL: &str = "classification = { scheme = \"CN\", code = \"7208 38 00\" }";
const GAS: &str =
    "  { kind = \"fuel\", name = \"Gas\", factor = \"gas\", amount = 1, unit = \"kg\" },\n";
const POWER: &str = "  { kind = \"electricity\", name = \"Power\", factor = \"grid\", amount = 0.3, unit = \"kWh\" },\n";

#[test]
fn unknown_fossil_carbon_content_and_packaging_are_refused_not_declared_zero() {
    let dir = workspace();
    let factors = factor("gas", "kg", 0.2, "probe db 2.1", "secondary");
    // Before: files that did not list fossilCarbonContent as mandatory (eu-cbam-2026,
    // ghg-protocol-product-2011) declared "0" for an unknown content. Now every file refuses.
    for m in ["pact-3.0", "eu-cbam-2026", "ghg-protocol-product-2011"] {
        let inv = probe(&format!("{STEEL}\npackaging_emissions_included = false"), GAS, &factors);
        let err = declare(dir.path(), &inv, m).unwrap_err();
        assert!(err.contains("PACT requires the fossil carbon content"), "{m}: {err}");
        assert!(err.contains("add `fossil_carbon_content`"), "{m}: {err}");
    }
    let inv = probe(&format!("{STEEL}\nfossil_carbon_content = 0.002"), GAS, &factors);
    let err = declare(dir.path(), &inv, "pact-3.0").unwrap_err();
    assert!(err.contains("packagingEmissionsIncluded"), "{err}");
    assert!(err.contains("add `packaging_emissions_included = true` or `false`"), "{err}");

    // Stated, both are written as stated (0.002 kg C at 6 places; the flag as given).
    for included in [false, true] {
        let inv = probe(
            &format!(
                "{STEEL}\nfossil_carbon_content = 0.002\npackaging_emissions_included = {included}"
            ),
            GAS,
            &factors,
        );
        let doc = declare(dir.path(), &inv, "pact-3.0").unwrap();
        let pcf_ = &doc["credentialSubject"]["productFootprint"]["pcf"];
        assert_eq!(pcf_["fossilCarbonContent"], json!("0.002"));
        assert_eq!(pcf_["packagingEmissionsIncluded"], json!(included));
        assert_eq!(pcf_["ccsTechnologicalCO2CaptureIncluded"], json!(false));
        assert!(pcf_.get("packagingGhgEmissions").is_none(), "{pcf_}");
    }
}

#[test]
fn figures_a_methodology_does_not_assess_are_left_out() {
    let dir = workspace();
    let inv = probe(
        &format!("{STEEL}\nfossil_carbon_content = 0.002\npackaging_emissions_included = false"),
        &format!("{GAS}{POWER}"),
        &(factor("gas", "kg", 0.2, "probe db 2.1", "secondary")
            + &factor("grid", "kWh", 0.5366, "probe grid 2022", "secondary")),
    );
    // pact-3.0 counts uptake and land-use change: both written, as zero for this probe.
    let doc = declare(dir.path(), &inv, "pact-3.0").unwrap();
    let pcf_ = &doc["credentialSubject"]["productFootprint"]["pcf"];
    assert_eq!(pcf_["biogenicCO2Uptake"], json!("0"), "{pcf_}");
    assert_eq!(pcf_["landUseChangeGhgEmissions"], json!("0"), "{pcf_}");
    assert_eq!(pcf_["biogenicNonCO2Emissions"], json!("0"), "{pcf_}");
    // 0.2 + 0.3 x 0.5366 = 0.36098 kg CO2e.
    assert_eq!(pcf_["pcfExcludingBiogenicUptake"], json!("0.36098"));

    // eu-cbam-2026 counts neither (its [biogenic] section): before, both were written "0".
    let doc = declare(dir.path(), &inv, "eu-cbam-2026").unwrap();
    let pcf_ = &doc["credentialSubject"]["productFootprint"]["pcf"];
    assert!(pcf_.get("biogenicCO2Uptake").is_none(), "{pcf_}");
    assert!(pcf_.get("landUseChangeGhgEmissions").is_none(), "{pcf_}");
    // A chapter 72 good counts only direct emissions: 0.2 kg; the 0.3 kWh x 0.5366 =
    // 0.16098 kg of indirect emissions are reported beside it, not counted.
    assert_eq!(pcf_["pcfExcludingBiogenicUptake"], json!("0.2"));
    assert_eq!(pcf_["pcfIncludingBiogenicUptake"], json!("0.2"));
    let cbam = pcf::declaration::extension(&doc, pcf::declaration::CBAM_SCHEMA).unwrap();
    assert_eq!(
        cbam,
        &json!({
            "directEmbeddedEmissions": "0.2",
            // Per kg of a good of 1 kg: the specific figures (t per t) are the same numbers.
            "specificDirectEmbeddedEmissions": "0.2",
            "specificIndirectEmbeddedEmissions": "0",
            "specificIndirectEmissionsNotCounted": "0.16098",
            "specificEmissionsUnit": "tCO2e/t",
            "cnCode": "72083800",
            "goodsCategory": "iron-and-steel",
            "productionRoute": "iron or steel products: test route",
            "defaultValueShare": "0",
            "indirectEmbeddedEmissions": "0",
            "indirectEmissionsNotCounted": "0.16098",
        })
    );
    // And the declaration verifies with the new fields.
    let did = crate::util::stdout(&pcf(dir.path(), &["did", "issuer.key"])).trim().to_string();
    let out = pcf(dir.path(), &["verify", "out.json", "--trust", &did]);
    let report = crate::util::stdout(&out);
    assert!(report.contains("[pass] numbers"), "{report}");
    assert!(!report.contains("[FAIL]"), "{report}");
}

#[test]
fn secondary_sources_are_the_secondary_factors_applied_and_absent_without_any() {
    let dir = workspace();
    let product =
        format!("{STEEL}\nfossil_carbon_content = 0.002\npackaging_emissions_included = false");
    // Secondary factors from a named database (name and version), from a database named
    // without a version, and cited without a database; a secondary factor of an excluded
    // input is not listed, and a primary factor is not a secondary source.
    let inputs = format!(
        "{GAS}{POWER}  {{ kind = \"database\", name = \"Oil\", factor = \"oil\", amount = 0.01, unit = \"kg\" }},\n  \
         {{ kind = \"database\", name = \"Film\", factor = \"film\", amount = 0.0001, unit = \"kg\", excluded = \"below 1 %\" }},\n  \
         {{ kind = \"database\", name = \"Own\", factor = \"own\", amount = 1, unit = \"kg\" }},\n"
    );
    let factors = factor("gas", "kg", 0.2, "probe db 2.1", "secondary")
        + &factor("grid", "kWh", 0.5366, "provincial grid study", "secondary")
        + &factor("oil", "kg", 3.0, "", "secondary")
        + &factor("film", "kg", 2.0, "film db 9", "secondary")
        + &factor("own", "kg", 0.01, "", "primary");
    let doc = declare(dir.path(), &probe(&product, &inputs, &factors), "pact-3.0").unwrap();
    assert_eq!(
        doc["credentialSubject"]["productFootprint"]["pcf"]["secondaryEmissionFactorSources"],
        json!([
            { "name": "oil source", "version": "not stated" },
            { "name": "probe db", "version": "2.1" },
            { "name": "provincial grid study", "version": "not stated" },
        ])
    );
    // Only primary data: the property is left out (PACT: undefined when no secondary data).
    let own =
        "  { kind = \"database\", name = \"Own\", factor = \"own\", amount = 1, unit = \"kg\" },\n";
    let doc = declare(
        dir.path(),
        &probe(&product, own, &factor("own", "kg", 0.01, "", "primary")),
        "pact-3.0",
    )
    .unwrap();
    let pcf_ = &doc["credentialSubject"]["productFootprint"]["pcf"];
    assert!(pcf_.get("secondaryEmissionFactorSources").is_none(), "{pcf_}");
}

#[test]
fn a_supplier_figure_without_its_split_leaves_the_biogenic_non_co2_figure_out() {
    let dir = workspace();
    // 0.5 kg of a supplier's product declared at 4 kg CO2e per kg of which 3 fossil: 1 kg per
    // kg is in no pool PACT names, so 0.5 kg of the probe's footprint has no fossil/biogenic
    // split and its biogenic non-CO2 emissions are unknown (before: declared "0").
    let supplier = r#"{
  "productNameCompany": "Part",
  "pcf": { "declaredUnitOfMeasurement": "kilogram", "declaredUnitAmount": "1",
           "pcfExcludingBiogenicUptake": "4", "fossilGhgEmissions": "3" }
}"#;
    std::fs::write(dir.path().join("supplier.json"), supplier).unwrap();
    let product = "fossil_carbon_content = 0\npackaging_emissions_included = false";
    let part = "  { kind = \"supplier\", declaration = \"supplier.json\", amount = 0.5, unit = \"kg\" },\n";
    let doc = declare(dir.path(), &probe(product, part, ""), "pact-3.0").unwrap();
    let pcf_ = &doc["credentialSubject"]["productFootprint"]["pcf"];
    assert_eq!(pcf_["pcfExcludingBiogenicUptake"], json!("2"), "{pcf_}");
    assert_eq!(pcf_["fossilGhgEmissions"], json!("1.5"), "{pcf_}");
    assert!(pcf_.get("biogenicNonCO2Emissions").is_none(), "{pcf_}");
    // With the split complete (4 of 4 fossil) the figure is known and written.
    let supplier =
        supplier.replace("\"fossilGhgEmissions\": \"3\"", "\"fossilGhgEmissions\": \"4\"");
    std::fs::write(dir.path().join("supplier.json"), supplier).unwrap();
    let doc = declare(dir.path(), &probe(product, part, ""), "pact-3.0").unwrap();
    assert_eq!(
        doc["credentialSubject"]["productFootprint"]["pcf"]["biogenicNonCO2Emissions"],
        json!("0")
    );
}
