#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Biogenic rules (issue 11, point 5): a product's uptake by its biogenic carbon content
//! (`biogenic.uptake = "carbon-content"`, pact-3.0 1.2.0) and values of the wrong sign
//! (`biogenic.wrong_sign`), each against the archived version that did neither. Every
//! expected number is derived by hand from the inventory and the declaration.

use std::path::{Path, PathBuf};

use pcf::engine::{self, EngineError, Footprint, Footprints};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::footprint::worked::{AR6, GEC_ZERO, bracket_by_hand, close};
use crate::util;

fn run(path: &Path, m: &str) -> Result<Footprints, EngineError> {
    let m = Methodology::resolve(m).unwrap();
    let inv = Inventory::load(path).unwrap_or_else(|e| panic!("{e}"));
    engine::footprint(&inv, &m)
}

fn product<'a>(f: &'a Footprints, id: &str) -> &'a Footprint {
    f.products.iter().find(|p| p.product == id).unwrap()
}

fn soybean() -> PathBuf {
    util::root().join("examples/soybean-crushing/inventory.toml")
}

// examples/soybean-crushing: 1 000 000 t beans at 1.55 kg CO2 uptake per kg; economic
// allocation between 790 000 t meal at 3.6 and 190 000 t oil at 8.5 per kg.
const BEANS_KG: f64 = 1.0e9;
const BEAN_UPTAKE: f64 = 1.55;
const MEAL_KG: f64 = 790_000.0 * 1000.0;
const OIL_KG: f64 = 190_000.0 * 1000.0;
const MEAL_VALUE: f64 = 790_000.0 * 3.6;
const OIL_VALUE: f64 = 190_000.0 * 8.5;
// biogenic_carbon_content, kg C per kg.
const MEAL_C: f64 = 0.42;
const OIL_C: f64 = 0.77;

#[test]
fn soybean_uptake_follows_carbon_content_under_pact_1_2_0() {
    let meal_share = MEAL_VALUE / (MEAL_VALUE + OIL_VALUE); // 2 844 000 / 4 459 000
    let meal_allocated = BEANS_KG * BEAN_UPTAKE * meal_share / MEAL_KG;
    let oil_allocated = BEANS_KG * BEAN_UPTAKE * (1.0 - meal_share) / OIL_KG;
    // Written out: 1.55e9 x 0.637811 / 7.9e8 = 1.251402 and 1.55e9 x 0.362189 / 1.9e8 = 2.954698.
    assert_eq!(format!("{meal_allocated:.6}"), "1.251402");
    assert_eq!(format!("{oil_allocated:.6}"), "2.954698");
    // PACT: the CO2 of the biogenic carbon in the product at the gate, kg C x 44/12.
    let meal_content = MEAL_C * 44.0 / 12.0;
    let oil_content = OIL_C * 44.0 / 12.0;
    assert_eq!(format!("{meal_content:.6}"), "1.540000");
    assert_eq!(format!("{oil_content:.6}"), "2.823333");

    let before = run(&soybean(), "pact-3.0@1.1.0").unwrap();
    let after = run(&soybean(), "pact-3.0").unwrap();
    for (id, allocated, content) in
        [("meal", meal_allocated, meal_content), ("oil", oil_allocated, oil_content)]
    {
        let (b, a) = (&product(&before, id).totals, &product(&after, id).totals);
        close(b.biogenic_uptake, allocated, id);
        close(a.biogenic_uptake, content, id);
        // The figure excluding uptake does not move; including uptake moves by the difference.
        close(a.excluding_uptake, b.excluding_uptake, id);
        close(b.including_uptake, b.excluding_uptake - allocated, id);
        close(a.including_uptake, a.excluding_uptake - content, id);
    }
    // Files that keep `allocated` (stated, not defaulted) give the old figure.
    let iso = run(&soybean(), "iso-14067-2018").unwrap();
    assert_eq!(
        Methodology::shipped("iso-14067-2018").unwrap().rules.biogenic.uptake,
        Some(pcf::methodology::UptakeRule::Allocated)
    );
    close(product(&iso, "meal").totals.biogenic_uptake, meal_allocated, "iso meal");
}

#[test]
fn carbon_content_rule_names_a_product_without_its_content() {
    let text = std::fs::read_to_string(soybean()).unwrap();
    let text = text.replace("biogenic_carbon_content = 0.42\n", "");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    // The archived file allocates, so the content is not needed.
    assert!(run(&path, "pact-3.0@1.1.0").is_ok());
    let err = run(&path, "pact-3.0").unwrap_err().to_string();
    assert!(err.contains("\"meal\"") && err.contains("biogenic_carbon_content"), "{err}");
    assert!(err.contains("carbon-content"), "{err}");
    // A product whose chain takes up nothing needs no content: the steel bracket computes.
    let bracket = util::root().join("examples/steel-bracket/inventory.toml");
    assert_eq!(product(&run(&bracket, "pact-3.0").unwrap(), "bracket").totals.biogenic_uptake, 0.0);
}

/// The bracket's figure excluding uptake under `m`, with the declaration as shipped (derived
/// by hand in tests/footprint/worked.rs).
fn base(m: &str) -> f64 {
    let bracket = util::root().join("examples/steel-bracket/inventory.toml");
    product(&run(&bracket, m).unwrap(), "bracket").totals.excluding_uptake
}

// The coil carried per bracket: 935 t bought, the blank's mass share 10/11, 1 000 000 pieces.
const COIL_PER_PIECE: f64 = 935_000.0 * (10.0 / 11.0) / 1.0e6; // 0.85 kg

#[test]
fn negative_land_use_change_of_a_supplier_is_counted_or_refused_never_dropped() {
    // The supplier declares a land-use change of -0.1 kg CO2e/kg (a carbon stock gain), inside
    // a total 0.1 lower.
    let dir = util::bracket_with_supplier(|pcf| {
        pcf["landUseChangeGhgEmissions"] = "-0.1".into();
        pcf["pcfExcludingBiogenicUptake"] = "1.952577".into();
    });
    let path = dir.path().join("inventory.toml");
    let luc = -0.1 * COIL_PER_PIECE; // -0.085 kg CO2e per piece
    close(base("pact-3.0@1.1.0"), bracket_by_hand(&AR6, true, GEC_ZERO).per_piece, "base");
    // Archived pact-3.0 1.1.0 counted it; iso-14067-2018 1.2.0 counts it by its rule.
    for m in ["pact-3.0@1.1.0", "iso-14067-2018"] {
        let f = run(&path, m).unwrap();
        let t = &product(&f, "bracket").totals;
        close(t.land_use_change, luc, m);
        close(t.excluding_uptake, base(m) + luc, m);
    }
    // pact-3.0 1.2.0: landUseChangeGhgEmissions is zero or above in PACT; refused.
    let err = run(&path, "pact-3.0").unwrap_err().to_string();
    assert!(err.contains("landUseChangeGhgEmissions -0.1") && err.contains("wrong_sign"), "{err}");
}

#[test]
fn positive_supplier_uptake_is_not_turned_around_silently() {
    // biogenicCO2Uptake must be zero or negative in PACT; this one says +0.2.
    let dir = util::bracket_with_supplier(|pcf| {
        pcf["biogenicCO2Uptake"] = "0.2".into();
    });
    let path = dir.path().join("inventory.toml");
    let excluding = base("iso-14067-2018");
    // Archived: taken as its absolute value, a removal of 0.17 kg CO2 per piece.
    let old = run(&path, "pact-3.0@1.1.0").unwrap();
    close(product(&old, "bracket").totals.biogenic_uptake, 0.2 * COIL_PER_PIECE, "archived");
    // iso-14067-2018 1.2.0 (`count`): counted with its sign, a release, so the figure including
    // uptake is above the one excluding it.
    let iso = run(&path, "iso-14067-2018").unwrap();
    let t = &product(&iso, "bracket").totals;
    close(t.biogenic_uptake, -0.2 * COIL_PER_PIECE, "iso");
    close(t.including_uptake, excluding + 0.2 * COIL_PER_PIECE, "iso");
    // pact-3.0 1.2.0 (`error`).
    let err = run(&path, "pact-3.0").unwrap_err().to_string();
    assert!(err.contains("biogenicCO2Uptake 0.2") && err.contains("above zero"), "{err}");
}

#[test]
fn archived_files_state_none_of_the_new_rules() {
    // The versions released with these rules, archived when the data-quality rules came.
    let with_these = [
        "pact-3.0@1.2.0.toml",
        "iso-14067-2018@1.2.0.toml",
        "gb-t-24067-2024@1.2.0.toml",
        "ghg-protocol-product-2011@1.1.0.toml",
        "eu-cbam-2026@2.2.0.toml",
    ];
    // Released with the data-quality rules, archived when the CBAM SEE rules came.
    let with_quality = ["eu-cbam-2026@2.3.0.toml"];
    for (name, m) in Methodology::all_archived().unwrap() {
        // No archived file states the CBAM rules of eu-cbam-2026 2.4.0.
        if let Some(c) = &m.rules.cbam {
            assert_eq!((c.route, c.precursor_default_values), (None, None), "{name}");
        }
        let q = &m.rules.primary_data;
        if with_quality.contains(&name) {
            assert!(q.supplier_typed.is_some() && m.rules.biogenic.wrong_sign.is_some(), "{name}");
            continue;
        }
        // No other archived file states the data-quality rules of the live versions.
        assert_eq!((q.supplier_typed, q.unsigned_supplier), (None, None), "{name}");
        assert_eq!(m.rules.electricity.without_serial, None, "{name}");
        if with_these.contains(&name) {
            assert!(m.rules.biogenic.wrong_sign.is_some(), "{name}");
            continue;
        }
        let b = &m.rules.biogenic;
        assert_eq!((b.uptake, b.wrong_sign), (None, None), "{name}");
        assert_eq!(m.rules.primary_data.supplier_without_share, None, "{name}");
        assert!(m.rules.suppliers.is_none(), "{name}");
    }
    for m in Methodology::all_shipped().unwrap() {
        assert!(m.rules.biogenic.wrong_sign.is_some(), "{}: wrong_sign stated", m.id());
        assert!(m.rules.primary_data.supplier_without_share.is_some(), "{}", m.id());
        assert!(m.rules.suppliers.is_some(), "{}: [suppliers] stated", m.id());
        let q = &m.rules.primary_data;
        assert!(q.supplier_typed.is_some() && q.unsigned_supplier.is_some(), "{}", m.id());
        assert!(m.rules.electricity.without_serial.is_some(), "{}", m.id());
    }
}

#[test]
fn uptake_displaced_by_a_credit_is_counted_not_dropped() {
    // Soybean crushing by system expansion: the oil displaces a vegetable oil whose factor
    // carries 2.0 kg CO2 uptake per kg, so the credit is a negative uptake of 1.9e8 x 2.0 kg.
    let text = std::fs::read_to_string(soybean())
        .unwrap()
        .replace("allocation = \"economic\"", "allocation = \"system-expansion\"")
        .replace(
            "{ product = \"oil\", amount = 190000, unit = \"t\", price = 8.5 }",
            "{ product = \"oil\", amount = 190000, unit = \"t\", displaces = \"veg-oil\" }",
        )
        + r#"
[[factors]]
id = "veg-oil"
name = "Vegetable oil displaced"
per = "kg"
gases = { "co2-fossil" = 0.5 }
biogenic_uptake = 2.0
source = "test"
licence = "CC0-1.0"
quality = { source = "secondary", technological = 3, temporal = 3, geographical = 3 }
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    // Archived iso-14067-2018 1.1.0 dropped the credit's uptake: all the beans' uptake on meal,
    // 1.55e9 / 7.9e8 = 1.962025. 1.2.0 (`wrong_sign = "count"`) counts it:
    // (1.55e9 - 1.9e8 x 2.0) / 7.9e8 = 1.481013.
    let dropped = BEANS_KG * BEAN_UPTAKE / MEAL_KG;
    let counted = (BEANS_KG * BEAN_UPTAKE - OIL_KG * 2.0) / MEAL_KG;
    assert_eq!(format!("{dropped:.6} {counted:.6}"), "1.962025 1.481013");
    for (m, expected) in [
        ("iso-14067-2018@1.1.0", dropped),
        ("iso-14067-2018", counted),
        ("ghg-protocol-product-2011@1.0.0", dropped),
        ("ghg-protocol-product-2011", counted),
    ] {
        let f = run(&path, m).unwrap();
        close(product(&f, "meal").totals.biogenic_uptake, expected, m);
    }
    // `error` refuses it, naming the credit.
    let m = Methodology::resolve("iso-14067-2018").unwrap();
    let text = m.text.replace("wrong_sign = \"count\"", "wrong_sign = \"error\"");
    let m = Methodology::from_text_at(Path::new("v.toml"), &text, "test").unwrap();
    let inv = Inventory::load(&path).unwrap();
    let err = engine::footprint(&inv, &m).unwrap_err().to_string();
    assert!(
        err.contains("displaces factor \"veg-oil\"") && err.contains("negative uptake"),
        "{err}"
    );
}

#[test]
fn negative_land_use_change_of_a_process_follows_the_rule() {
    // The crushing process states a carbon stock gain: land-use change -5 t CO2e, allocated
    // like the rest (meal's economic share 2 844 000 / 4 459 000).
    let text = std::fs::read_to_string(soybean())
        .unwrap()
        .replace("emissions = [", "land_use_change = { amount = -5, unit = \"t\" }\nemissions = [");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    let share = MEAL_VALUE / (MEAL_VALUE + OIL_VALUE);
    let shipped = run(&soybean(), "iso-14067-2018").unwrap();
    let before = product(&shipped, "meal").totals.land_use_change;
    // iso-14067-2018 1.2.0 (`count`): counted with its sign, -5000 x 0.637811 / 7.9e8 kg.
    let f = run(&path, "iso-14067-2018").unwrap();
    let t = &product(&f, "meal").totals;
    close(t.land_use_change, before - 5000.0 * share / MEAL_KG, "iso");
    close(
        t.excluding_uptake,
        product(&shipped, "meal").totals.excluding_uptake - 5000.0 * share / MEAL_KG,
        "iso total",
    );
    // Archived files without the rule refuse it, as their inventory schema did; so does
    // pact-3.0 1.2.0 (`error`).
    for m in ["iso-14067-2018@1.1.0", "pact-3.0"] {
        let err = run(&path, m).unwrap_err().to_string();
        assert!(err.contains("land-use change -5000 kg CO2e"), "{m}: {err}");
        assert!(err.contains("/processes/0/land_use_change"), "{m}: {err}");
    }
}

/// `pcf methodology diff` and `pcf impact` see the uptake move, although the footprint
/// excluding uptake does not: a soybean meal declaration issued under pact-3.0 1.1.0 is to be
/// reissued under 1.2.0 (uptake 1.251402 -> 1.54 kg CO2 per kg, derived above).
#[test]
fn diff_and_impact_name_a_declaration_whose_uptake_moves() {
    let dir = tempfile::tempdir().unwrap();
    let soy = std::fs::read_to_string(soybean()).unwrap().replace(
        "mass_per_declared_unit = 1.0\n",
        "mass_per_declared_unit = 1.0\nproduct_ids = [\"urn:gtin:06901234500001\"]\n",
    );
    std::fs::write(dir.path().join("soy.toml"), soy).unwrap();
    let ok = |args: &[&str]| {
        let out = util::pcf(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", util::stderr(&out));
        util::stdout(&out)
    };
    ok(&["keygen", "--out", "issuer.key"]);
    ok(&[
        "declare",
        "soy.toml",
        "--product",
        "meal",
        "-m",
        "pact-3.0@1.1.0",
        "--key",
        "issuer.key",
        "--out",
        "meal.json",
        "--register",
        "reg",
    ]);
    let declared: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("meal.json")).unwrap()).unwrap();
    assert_eq!(
        declared["credentialSubject"]["productFootprint"]["pcf"]["biogenicCO2Uptake"],
        "-1.251402"
    );

    let diff =
        ok(&["methodology", "diff", "pact-3.0@1.1.0", "pact-3.0", "--inventory", "soy.toml"]);
    assert!(diff.contains("biogenicCO2Uptake"), "{diff}");
    assert!(diff.contains("biogenicCO2Uptake            -1.2514 -> -1.54"), "{diff}");

    let report: pcf::certification::impact::ImpactReport = serde_json::from_str(&ok(&[
        "impact",
        "--register",
        "reg",
        "-m",
        "pact-3.0",
        "--inventory",
        "soy.toml",
        "--json",
    ]))
    .unwrap();
    assert_eq!(report.affected.len(), 1, "{report:?}");
    let a = &report.affected[0];
    // The figure excluding uptake holds; the uptake and the total including it move.
    assert_eq!(a.declared, a.recomputed, "{a:?}");
    assert_eq!(a.action, pcf::certification::impact::Action::Reissue, "{a:?}");
    assert!(a.other_changes.contains(&"biogenicCO2Uptake -1.251402 -> -1.54".to_string()), "{a:?}");
    assert!(a.other_changes.iter().any(|c| c.starts_with("pcfIncludingBiogenicUptake")), "{a:?}");
}
