//! Footprint engine: the worked cases of the issue reproduced to 1e-9 relative, property tests
//! (linearity, contributions sum to the total, sweep vs matrix solve, allocation shares), the
//! bundled examples, and the error message of every kind of bad input.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use pcf::engine::{self, Footprint, Footprints};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::util;

mod properties;
pub(crate) mod worked;

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
        &[
            base[0],
            base[1],
            ("ch4-fossil", 30.0),
            ("ch4-non-fossil", 28.0),
            ("n2o", 265.0),
            ("sf6", 23500.0),
            ("hfc-134a", 1300.0),
            ("nf3", 16100.0),
        ],
    );
    close(run(&path, &ar5).products[0].totals.excluding_uptake, 2522.1);
    let (_d4, ar4) = with_gwp(
        "AR4",
        &[
            base[0],
            base[1],
            ("ch4-fossil", 25.0),
            ("ch4-non-fossil", 25.0),
            ("n2o", 298.0),
            ("sf6", 22800.0),
            ("hfc-134a", 1430.0),
            ("nf3", 17200.0),
        ],
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
classification = { scheme = "CN", code = "7216 33 10" }

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
    // The section (CN 7216, chapter 72) is an Annex II good: "For goods listed in Annex II only
    // direct emissions shall be calculated and taken into account" (Regulation (EU) 2023/956
    // Art. 7(1)). eu-cbam-2026 1.0.0 declared 2.06232 direct + 0.169392 indirect = 2.231712;
    // from 2.0.0 the slab's declared indirect (it gives no CN of its own, so it follows the
    // consuming process) and the mill's electricity are reported as not counted.
    // direct = (1050 t x 1.90 + 1.2 TJ x 56.1 t/TJ) / 1000 t = (1995 + 67.32) / 1000 = 2.06232
    // not counted = (1050 t x 0.10 + 120 MWh x 0.5366 t/MWh) / 1000 t = (105 + 64.392) / 1000
    close(t.direct.unwrap(), 2.06232);
    assert_eq!(t.indirect, Some(0.0));
    close(t.indirect_not_counted.unwrap(), 0.169392);
    close(t.excluding_uptake, 2.06232);
    close(t.fossil, 2.06232);
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
    for example in ["steel-bracket", "park-utilities", "soybean-crushing", "steel-bracket-cbam"] {
        let path = util::root().join("examples").join(example).join("inventory.toml");
        let inv = Inventory::load(&path).unwrap_or_else(|e| panic!("{e}"));
        for m in Methodology::all_shipped().unwrap() {
            if m.id() == "eu-cbam-2026"
                && ["steel-bracket", "soybean-crushing", "park-utilities"].contains(&example)
            {
                // CBAM attributes by the goods' functional unit, which two of these inventories
                // do not give, and counts only the gases of Annex I, which the IPCC fuel factors
                // of the park's CHP exceed (CH4): the exact rule errors are asserted in
                // `worked::bundled_examples_under_eu_cbam_fail_with_the_exact_rule`.
                assert!(engine::footprint(&inv, &m).is_err(), "{example}");
                continue;
            }
            if m.id() == "gb-t-24067-2024" && example != "park-utilities" {
                // GB/T 24067 1.1.0 requires life-cycle electricity factors and these inventories
                // use the MEE/NBS combustion CO2 factor cn-grid@2022: refused, naming the
                // replacement (the bracket's exact error and its figure with the life-cycle
                // factor: `worked::gb_t_requires_life_cycle_electricity_factors`).
                let err = engine::footprint(&inv, &m).unwrap_err().to_string();
                assert!(
                    err.contains(
                        "applies factor dataset:cn-grid@2022 of kind combustion-co2; \
                         gb-t-24067-2024 requires a life-cycle electricity factor\n  help: use \
                         a life-cycle factor instead, e.g. \
                         `factor = \"dataset:cn-grid@2024-footprint\"`"
                    ),
                    "{example}: {err}"
                );
                continue;
            }
            if m.id() == "ghg-protocol-scope2-hourly-draft" {
                // Hourly matching needs to know when electricity was used, which these
                // inventories do not say, and the draft wants a residual mix for what is not
                // matched, which they do not give: refused where they use electricity, naming
                // the fix (the park example and `matching::*` compute under it).
                if let Err(e) = engine::footprint(&inv, &m) {
                    let e = e.to_string();
                    assert!(
                        e.contains("says nothing of when it was used")
                            && e.contains("profile = { meter")
                            || e.contains("requires a residual-mix factor"),
                        "{example}: {e}"
                    );
                    continue;
                }
            }
            let f = engine::footprint(&inv, &m)
                .unwrap_or_else(|e| panic!("{example} / {}: {e}", m.id()));
            for p in &f.products {
                let t = &p.totals;
                assert!(t.excluding_uptake.is_finite(), "{example}/{}", p.product);
                // Invariants: including = excluding - uptake (where counted); contributions sum.
                let uptake = if m.rules.biogenic.count_uptake { t.biogenic_uptake } else { 0.0 };
                assert!(
                    (t.including_uptake - (t.excluding_uptake - uptake)).abs()
                        <= 1e-9 * t.excluding_uptake.abs().max(1.0)
                );
                let by_process: f64 = p.by_process.iter().map(|l| l.kg_co2e).sum();
                assert!(
                    (by_process - t.excluding_uptake).abs()
                        <= 1e-9 * t.excluding_uptake.abs().max(1.0),
                    "{example}/{}: by process {by_process} vs {}",
                    p.product,
                    t.excluding_uptake
                );
                let by_stage: f64 = p.by_stage.iter().map(|l| l.kg_co2e).sum();
                assert!(
                    (by_stage - t.excluding_uptake).abs()
                        <= 1e-9 * t.excluding_uptake.abs().max(1.0)
                );
                assert!(
                    (p.contributions.kg_co2e - t.excluding_uptake).abs()
                        <= 1e-9 * t.excluding_uptake.abs().max(1.0)
                );
            }
        }
    }
}

/// A small valid inventory that the bad-input cases below break one way each.
const BASE: &str = r#"
[[products]]
id = "part"
name = "Part"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0

[[processes]]
id = "press"
name = "Press"
outputs = [{ product = "part", amount = 100, unit = "kg" }]
inputs = [
  { kind = "electricity", factor = "grid", amount = 50, unit = "kWh" },
]

[[factors]]
id = "grid"
name = "Grid"
per = "kWh"
gases = { "co2-fossil" = 0.5 }
source = "test"
licence = "CC0-1.0"
"#;

/// Runs `pcf footprint` on `files` (the first is the inventory) in a temporary directory and
/// returns stderr, asserting exit code 1.
fn fails(files: &[(&str, &str)]) -> String {
    let (dir, _) = write(files);
    let out = util::pcf(dir.path(), &["footprint", files[0].0]);
    let err = util::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err.trim_end().to_string()
}

fn base_with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1)
}

#[test]
fn base_inventory_is_valid() {
    let (dir, _) = write(&[("inv.toml", BASE)]);
    let out = util::pcf(dir.path(), &["footprint", "inv.toml", "--json"]);
    assert!(out.status.success(), "{}", util::stderr(&out));
    let f: Footprints = serde_json::from_slice(&out.stdout).unwrap();
    close(f.products[0].totals.excluding_uptake, 0.25);
}

#[test]
fn error_toml_syntax() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with("mass_per_declared_unit = 1.0", "mass_per_declared_unit = "))]), @"error: inv.toml:6:26: string values must be quoted, expected literal string");
}

#[test]
fn error_unknown_field() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with("name = \"Press\"", "name = \"Press\"\nnmae = \"typo\""))]), @r#"
error: inv.toml: does not match the inventory schema (1 problem):
  at /processes/0 (inv.toml:8:1): Additional properties are not allowed ('nmae' was unexpected)
run `pcf schema inventory` to see the schema
"#);
}

#[test]
fn error_negative_amount() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with("amount = 50", "amount = -50"))]), @r#"
error: inv.toml: does not match the inventory schema (1 problem):
  at /processes/0/inputs/0/amount (inv.toml:13:53): -50 is less than the minimum of 0.0
run `pcf schema inventory` to see the schema
"#);
}

#[test]
fn error_non_finite_amount() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with("amount = 50", "amount = nan"))]), @r#"
error: inv.toml:13:53: at /processes/0/inputs/0/amount: NaN is not a finite number
  help: give a finite amount
"#);
}

#[test]
fn error_unknown_product() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with(
        "  { kind = \"electricity\"",
        "  { kind = \"product\", product = \"bolt\", amount = 1, unit = \"kg\" },\n  { kind = \"electricity\""))]), @r#"
error: inv.toml:13:33: at /processes/0/inputs/0/product: unknown product "bolt"
  help: use one of the ids in `products` (part)
"#);
}

#[test]
fn error_unknown_factor() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with("factor = \"grid\"", "factor = \"grid-2019\""))]), @r#"
error: inv.toml:13:36: at /processes/0/inputs/0/factor: unknown factor "grid-2019"
  help: use one of the ids in `factors` (grid) or add it there
"#);
}

#[test]
fn error_product_nobody_makes() {
    let text = format!(
        "{BASE}\n[[products]]\nid = \"orphan\"\nname = \"Orphan\"\ndeclared_unit = \"piece\"\nmass_per_declared_unit = 0.1\n"
    );
    insta::assert_snapshot!(fails(&[("inv.toml", &text)]), @r#"
error: inv.toml:24:1: at /products/1: no process makes product "orphan"
  help: add it as an output of a process, or remove it from `products`
"#);
}

#[test]
fn error_process_that_produces_nothing() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with(
        "outputs = [{ product = \"part\", amount = 100, unit = \"kg\" }]", "outputs = []"))]), @r#"
error: inv.toml:11:11: at /processes/0/outputs: process "press" produces nothing
  help: list at least one output (the reference product)
"#);
}

#[test]
fn error_zero_output() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with("amount = 100", "amount = 0"))]), @r#"
error: inv.toml:11:41: at /processes/0/outputs/0/amount: process "press" makes zero "part"
  help: give the amount made in the reference period (more than zero)
"#);
}

#[test]
fn error_unit_mismatch() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with("amount = 50, unit = \"kWh\"", "amount = 50, unit = \"kg\""))]), @r#"
error: inv.toml:13:64: at /processes/0/inputs/0/unit: cannot convert kg (mass) to kWh (energy), the unit of the factor of "Grid"
  help: give the electricity in a unit of energy (kWh, MWh, 万kWh, 度), as the factor's kWh
"#);
}

#[test]
fn error_unknown_unit() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with("amount = 50, unit = \"kWh\"", "amount = 50, unit = \"kwhr\""))]), @r#"
error: inv.toml:13:64: at /processes/0/inputs/0/unit: unknown unit "kwhr"; did you mean "kWh"? (known units: g, kg, t, kt, J, kJ, MJ, GJ, TJ, Wh, kWh, MWh, GWh, 万kWh, kgce, tce, 万tce, Gg, ml, l, m3, 万m3, Nm3, 万Nm3, m2, piece, kgkm, tkm, USD)
  help: use one of the listed unit symbols
"#);
}

#[test]
fn error_duplicate_id() {
    let text = format!(
        "{BASE}\n[[factors]]\nid = \"grid\"\nname = \"Again\"\nper = \"kWh\"\nco2e = 1.0\nsource = \"x\"\nlicence = \"y\"\n"
    );
    insta::assert_snapshot!(fails(&[("inv.toml", &text)]), @r#"
error: inv.toml:25:6: at /factors/1/id: factor id "grid" is used twice
  help: give each factor its own id
"#);
}

#[test]
fn error_blend_composition() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with(
        "outputs = [",
        "emissions = [{ gas = \"R-404A\", composition = { \"hfc-125\" = 0.44, \"hfc-143a\" = 0.52 }, amount = 1, unit = \"kg\" }]\noutputs = ["))]), @r#"
error: inv.toml:11:46: at /processes/0/emissions/0/composition: the mass fractions of blend "R-404A" sum to 0.96, not 1
  help: give each component's mass fraction so that they sum to 1
"#);
}

#[test]
fn error_gas_without_gwp() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with(
        "outputs = [",
        "emissions = [{ gas = \"hfc-4310mee\", amount = 1, unit = \"kg\" }]\noutputs = ["))]), @r#"
    error: inv.toml: at /processes/0/emissions/0: gas "hfc-4310mee" has no GWP in methodology pact-3.0 (AR6)
      help: use one of: ch4-fossil, ch4-non-fossil, co2-biogenic, co2-fossil, hfc-125, hfc-134a, hfc-143a, hfc-152a, hfc-227ea, hfc-23, hfc-245fa, hfc-32, n2o, nf3, pfc-116, pfc-14, pfc-218, pfc-318, sf6
    "#);
}

#[test]
fn error_missing_supplier_declaration() {
    insta::assert_snapshot!(fails(&[("inv.toml", &base_with(
        "  { kind = \"electricity\"",
        "  { kind = \"supplier\", declaration = \"suppliers/missing.json\", amount = 1, unit = \"kg\" },\n  { kind = \"electricity\""))]), @r#"
error: inv.toml:13:38: at /processes/0/inputs/0/declaration: supplier declaration "suppliers/missing.json": cannot read it: No such file or directory (os error 2)
  help: check the path (relative to the inventory) and that the file is a PACT product footprint or a pcf declaration
"#);
}

#[test]
fn error_economic_allocation_without_price() {
    let text = base_with(
        "outputs = [{ product = \"part\", amount = 100, unit = \"kg\" }]",
        "allocation = \"economic\"\noutputs = [{ product = \"part\", amount = 100, unit = \"kg\", price = 2 }, { product = \"chips\", amount = 5, unit = \"kg\" }]",
    ) + "\n[[products]]\nid = \"chips\"\nname = \"Chips\"\ndeclared_unit = \"kilogram\"\nmass_per_declared_unit = 1.0\n";
    insta::assert_snapshot!(fails(&[("inv.toml", &text)]), @r#"
    error: inv.toml: at /processes/0/outputs/1: economic allocation needs `price` on every output of process "press"
      help: add `price` (per unit of output) to this output
    "#);
}

#[test]
fn error_loop_that_consumes_more_than_it_makes() {
    let text = base_with(
        "  { kind = \"electricity\"",
        "  { kind = \"product\", product = \"part\", amount = 120, unit = \"kg\" },\n  { kind = \"electricity\"",
    );
    insta::assert_snapshot!(fails(&[("inv.toml", &text)]), @"
    error: inv.toml: the loop part (made by press) consumes at least as much as it makes, so it has no finite footprint
      help: check the amounts on this loop: per unit made, the loop must consume less than one unit of itself
    ");
}

#[test]
fn error_cutoff_exceeded() {
    let text = base_with(
        "  { kind = \"electricity\"",
        "  { kind = \"database\", factor = \"grid\", amount = 50, unit = \"kWh\", excluded = \"too small to matter\" },\n  { kind = \"electricity\"",
    );
    insta::assert_snapshot!(fails(&[("inv.toml", &text)]), @r#"
    error: inv.toml: at /processes/0/inputs/0: excluded input "Grid" is 50.000 % of the footprint of part, above the 1 % per-input cut-off of pact-3.0
      help: include the input (remove `excluded`)
    "#);
}

#[test]
fn error_json_duplicate_key() {
    let json = r#"{"products": [], "processes": [], "products": []}"#;
    insta::assert_snapshot!(fails(&[("inv.json", json)]), @r#"error: inv.json: duplicate key "products" at line 1, column 35 (json pointer "/products")"#);
}

#[test]
fn json_and_toml_are_one_data_model() {
    let (dir, toml_path) = write(&[("inv.toml", BASE)]);
    let inv = Inventory::load(&toml_path).unwrap();
    let json_path = dir.path().join("inv.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&inv.document).unwrap()).unwrap();
    let again = Inventory::load(&json_path).unwrap();
    assert_eq!(inv.digest, again.digest);
}

#[test]
fn committed_schemas_match_the_code() {
    for (file, schema) in [
        ("schemas/inventory.schema.json", pcf::inventory::schema()),
        ("schemas/methodology.schema.json", pcf::methodology::schema()),
        ("schemas/declaration.schema.json", pcf::declaration::verify::schema()),
    ] {
        let expected = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = util::root().join(file);
        if std::env::var_os("PCF_UPDATE_SCHEMAS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == expected,
            "{file} is out of date: run `PCF_UPDATE_SCHEMAS=1 cargo test committed_schemas` and commit it"
        );
    }
}

/// A random acyclic inventory: process i makes product p{i} and may consume products made by
/// processes j < i, plus electricity and a direct emission. Returns the TOML and, computed
/// independently by a topological sweep, each product's footprint per kg.
fn random_acyclic(
    outputs: &[f64],
    emissions: &[f64],
    electricity: &[f64],
    links: &[(usize, usize, f64)],
    grid: f64,
) -> (String, Vec<f64>) {
    let n = outputs.len();
    let mut inputs: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for &(a, b, amount) in links {
        let (lo, hi) = ((a % n).min(b % n), (a % n).max(b % n));
        if lo != hi {
            inputs[hi].push((lo, amount));
        }
    }
    let mut text = String::new();
    let mut expected = vec![0.0; n];
    for i in 0..n {
        text.push_str(&format!(
            "[[products]]\nid = \"p{i}\"\nname = \"P{i}\"\ndeclared_unit = \"kilogram\"\nmass_per_declared_unit = 1.0\n\n"
        ));
        // The sweep: direct burdens plus inputs at their already-known footprints.
        let mut burden = emissions[i] + electricity[i] * grid;
        for &(j, a) in &inputs[i] {
            burden += a * expected[j];
        }
        expected[i] = burden / outputs[i];
    }
    for i in 0..n {
        text.push_str(&format!(
            "[[processes]]\nid = \"m{i}\"\nname = \"M{i}\"\noutputs = [{{ product = \"p{i}\", amount = {:?}, unit = \"kg\" }}]\nemissions = [{{ gas = \"co2-fossil\", amount = {:?}, unit = \"kg\" }}]\ninputs = [\n  {{ kind = \"electricity\", factor = \"grid\", amount = {:?}, unit = \"kWh\" }},\n",
            outputs[i], emissions[i], electricity[i]
        ));
        for &(j, a) in &inputs[i] {
            text.push_str(&format!(
                "  {{ kind = \"product\", product = \"p{j}\", amount = {a:?}, unit = \"kg\" }},\n"
            ));
        }
        text.push_str("]\n\n");
    }
    text.push_str(&format!(
        "[[factors]]\nid = \"grid\"\nname = \"Grid\"\nper = \"kWh\"\ngases = {{ \"co2-fossil\" = {grid:?} }}\nsource = \"test\"\nlicence = \"CC0-1.0\"\n"
    ));
    (text, expected)
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

/// Sums of children equal each non-loop node, all the way down.
fn tree_adds_up(c: &pcf::engine::Contribution) -> bool {
    if c.children.is_empty() {
        return true;
    }
    let sum: f64 = c.children.iter().map(|x| x.kg_co2e).sum();
    rel_close(sum, c.kg_co2e) && c.children.iter().all(tree_adds_up)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    #[test]
    fn acyclic_sweep_matches_matrix_solve_and_is_linear(
        outputs in proptest::collection::vec(1.0f64..1000.0, 1..8),
        emissions in proptest::collection::vec(0.0f64..500.0, 8),
        electricity in proptest::collection::vec(0.0f64..900.0, 8),
        links in proptest::collection::vec((0usize..8, 0usize..8, 0.01f64..50.0), 0..16),
        grid in 0.1f64..1.0,
        scale in 0.1f64..10.0,
    ) {
        let m = Methodology::shipped("pact-3.0").unwrap();
        let (text, expected) = random_acyclic(&outputs, &emissions, &electricity, &links, grid);
        let (_d, path) = write(&[("inv.toml", &text)]);
        let f = run(&path, &m);
        for (i, e) in expected.iter().enumerate() {
            let got = product(&f, &format!("p{i}"));
            proptest::prop_assert!(rel_close(got.totals.excluding_uptake, *e), "p{}: {} vs sweep {}", i, got.totals.excluding_uptake, e);
            proptest::prop_assert!(rel_close(got.forward_check, *e));
            proptest::prop_assert!(tree_adds_up(&got.contributions));
            let by_process: f64 = got.by_process.iter().map(|l| l.kg_co2e).sum();
            proptest::prop_assert!(rel_close(by_process, *e));
        }
        // Linearity: scaling every burden scales every footprint.
        let scaled: Vec<f64> = emissions.iter().map(|x| x * scale).collect();
        let (text2, _) = random_acyclic(&outputs, &scaled, &electricity, &links, grid * scale);
        let (_d2, path2) = write(&[("inv.toml", &text2)]);
        let f2 = run(&path2, &m);
        for (a, b) in f.products.iter().zip(&f2.products) {
            proptest::prop_assert!(rel_close(a.totals.excluding_uptake * scale, b.totals.excluding_uptake));
        }
    }

    #[test]
    fn allocated_shares_sum_to_the_whole(
        amounts in proptest::collection::vec(1.0f64..1000.0, 2..5),
        prices in proptest::collection::vec(0.01f64..100.0, 5),
        co2 in 1.0f64..10000.0,
        economic in proptest::bool::ANY,
    ) {
        let m = Methodology::shipped("pact-3.0").unwrap();
        let mut text = String::new();
        let mut outs = Vec::new();
        for (i, a) in amounts.iter().enumerate() {
            text.push_str(&format!("[[products]]\nid = \"c{i}\"\nname = \"C{i}\"\ndeclared_unit = \"kilogram\"\nmass_per_declared_unit = 1.0\n\n"));
            outs.push(format!("{{ product = \"c{i}\", amount = {a:?}, unit = \"kg\", price = {:?} }}", prices[i]));
        }
        text.push_str(&format!(
            "[[processes]]\nid = \"joint\"\nname = \"Joint\"\nallocation = \"{}\"\noutputs = [{}]\nemissions = [{{ gas = \"co2-fossil\", amount = {co2:?}, unit = \"kg\" }}]\n",
            if economic { "economic" } else { "mass" },
            outs.join(", ")
        ));
        let (_d, path) = write(&[("inv.toml", &text)]);
        let f = run(&path, &m);
        let total: f64 = f.products.iter().zip(&amounts).map(|(p, a)| p.totals.excluding_uptake * a).sum();
        proptest::prop_assert!(rel_close(total, co2), "{} vs {}", total, co2);
        let shares: f64 = f.products[0].allocations[0].shares.iter().map(|s| s.1).sum();
        proptest::prop_assert!(rel_close(shares, 1.0));
    }
}

#[test]
fn cyclic_example_matches_a_dense_solve() {
    // park-utilities: power <-> water loop with own consumption. Solve the 4x4 product system
    // by Gaussian elimination here, independently of the engine's condensation and sparse LU.
    let path = util::root().join("examples/park-utilities/inventory.toml");
    let m = Methodology::shipped("pact-3.0").unwrap();
    let f = run(&path, &m);
    // Per-unit system, products [profile, power, steam, water]; allocation of the CHP by
    // energy content: power 180000 MWh * 3.6 = 648000 GJ, steam 450000 GJ.
    let share_power = 648000.0 / (648000.0 + 450000.0);
    let share_steam = 1.0 - share_power;
    let coal_tj = 1200.0;
    let chp = coal_tj * (94600.0 + 29.8 * 1.0 + 273.0 * 1.5); // kg CO2e per year
    let power_kwh = 180000.0e3;
    let steam_mj = 450000.0e3;
    // Rows: x = b + T x, T[i][j] = amount of product j per unit of product i.
    let mut t = [[0.0f64; 4]; 4];
    let mut b = [0.0f64; 4];
    b[0] = 20400.0e3 * 16.0 / 20000.0e3;
    t[0][1] = 16000.0e3 / 20000.0e3;
    t[0][2] = 40000.0e3 / 20000.0e3;
    t[0][3] = 60000.0 / 20000.0e3;
    b[1] = chp * share_power / power_kwh;
    t[1][1] = 10800.0e3 * share_power / power_kwh;
    t[1][3] = 900000.0 * share_power / power_kwh;
    b[2] = chp * share_steam / steam_mj;
    t[2][1] = 10800.0e3 * share_steam / steam_mj;
    t[2][3] = 900000.0 * share_steam / steam_mj;
    b[3] = 200.0e3 * 1.2 / 2000000.0;
    t[3][1] = 1000.0e3 / 2000000.0;
    // Solve (I - T) x = b.
    let mut a = [[0.0f64; 5]; 4];
    for i in 0..4 {
        for j in 0..4 {
            a[i][j] = if i == j { 1.0 } else { 0.0 } - t[i][j];
        }
        a[i][4] = b[i];
    }
    for c in 0..4 {
        let p = (c..4).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs())).unwrap();
        a.swap(c, p);
        let pivot = a[c];
        for (r, row) in a.iter_mut().enumerate() {
            if r != c {
                let k = row[c] / pivot[c];
                for (x, p) in row.iter_mut().zip(pivot.iter()).skip(c) {
                    *x -= k * p;
                }
            }
        }
    }
    for (i, id) in ["profile", "power", "steam", "water"].iter().enumerate() {
        close(product(&f, id).totals.excluding_uptake, a[i][4] / a[i][i]);
    }
}

#[test]
fn methodology_commands_agree_with_the_library() {
    let root = util::root();
    let out = util::pcf(&root, &["methodology", "hash", "methodologies/eu-cbam-2026.toml"]);
    assert!(out.status.success(), "{}", util::stderr(&out));
    let digest = Methodology::shipped("eu-cbam-2026").unwrap().digest().to_string();
    assert!(util::stdout(&out).starts_with(&digest), "{}", util::stdout(&out));
    let out = util::pcf(&root, &["methodology", "list", "--json"]);
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), pcf::methodology::shipped_ids().len());
    let out = util::pcf(&root, &["methodology", "show", "no-such-rules"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(util::stderr(&out).trim_end(), @r#"error: unknown methodology "no-such-rules": pcf ships pact-3.0, iso-14067-2018, ghg-protocol-product-2011, eu-cbam-2026, gb-t-24067-2024, ghg-protocol-scope2-hourly-draft; or give the path of a methodology file"#);
}

#[test]
fn usage_errors_exit_2() {
    let root = util::root();
    let out = util::pcf(&root, &["footprint"]);
    assert_eq!(out.status.code(), Some(2));
    let out = util::pcf(
        &root,
        &["footprint", "examples/steel-bracket/inventory.toml", "--product", "nut"],
    );
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(util::stderr(&out).trim_end(), @r#"error: examples/steel-bracket/inventory.toml: no product "nut"; the inventory has: bracket, blank, scrap"#);
}

#[test]
fn example_supplier_declaration_still_verifies() {
    // The bracket example consumes a declaration signed with a throw-away key that pins the
    // shipped pact-3.0 digest: a rule change in pact-3.0 without re-issuing it breaks this.
    let path = util::root().join("examples/steel-bracket/suppliers/hot-rolled-coil.json");
    let doc = pcf::canonical::parse_strict(&std::fs::read(&path).unwrap()).unwrap();
    let issuer = doc["issuer"]["id"].as_str().unwrap().to_string();
    let options = pcf::declaration::VerifyOptions { trust: vec![issuer], ..Default::default() };
    let report = pcf::declaration::verify::verify(&doc, None, &options);
    // Genuine; alone (no register excerpt) its status cannot be shown current.
    assert!(report.failures_except(&[]).is_empty(), "{report}");
    assert_eq!(report.verdict, pcf::declaration::Verdict::StatusUnknown, "{report}");
}

/// Five excluded inputs of 0.8 kg CO2e each beside 96 kg counted (192 kWh at 0.5): by hand,
/// each is 0.8 / 100 = 0.8 % (under the 1 % per-input limit) and together 4 / 100 = 4 %.
/// pact-3.0 1.0.0 (archived) capped the total at 5 % and accepts it; 1.1.0 caps it at 3 %
/// (PACT's alignment with Catena-X) and refuses it.
#[test]
fn pact_exemption_cap_is_3_percent_since_1_1_0() {
    let mut text = String::from(
        "[[products]]\nid = \"part\"\nname = \"Part\"\ndeclared_unit = \"kilogram\"\nmass_per_declared_unit = 1.0\n\n\
         [[processes]]\nid = \"press\"\nname = \"Press\"\noutputs = [{ product = \"part\", amount = 100, unit = \"kg\" }]\ninputs = [\n  \
         { kind = \"electricity\", factor = \"grid\", amount = 192, unit = \"kWh\" },\n",
    );
    for i in 0..5 {
        text.push_str(&format!(
            "  {{ kind = \"database\", name = \"Minor {i}\", factor = \"minor\", amount = 0.8, unit = \"kg\", excluded = \"below the cut-off\" }},\n"
        ));
    }
    text.push_str(
        "]\n\n[[factors]]\nid = \"grid\"\nname = \"Grid\"\nper = \"kWh\"\ngases = { \"co2-fossil\" = 0.5 }\nsource = \"test\"\nlicence = \"CC0-1.0\"\n\n\
         [[factors]]\nid = \"minor\"\nname = \"Minor\"\nper = \"kg\"\ngases = { \"co2-fossil\" = 1.0 }\nsource = \"test\"\nlicence = \"CC0-1.0\"\n",
    );
    let (dir, path) = write(&[("inv.toml", &text)]);

    let old = Methodology::shipped_version("pact-3.0", "1.0.0").unwrap();
    assert_eq!(old.rules.cutoff.cumulative_percent, 5.0);
    let f = run(&path, &old);
    let t = &product(&f, "part").totals;
    close(t.excluding_uptake, 96.0 / 100.0);
    close(t.exempted, 4.0 / 100.0);
    close(t.exempted_percent, 4.0);

    let new = Methodology::shipped("pact-3.0").unwrap();
    assert_ne!(new.version(), "1.0.0");
    assert_eq!(new.rules.cutoff.cumulative_percent, 3.0);
    let out = util::pcf(dir.path(), &["footprint", "inv.toml", "--methodology", "pact-3.0"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        util::stderr(&out).trim_end(),
        "error: inv.toml: at /processes: excluded inputs are 4.000 % of the footprint of part, \
         above the 3 % cumulative cut-off of pact-3.0\n  \
         help: include some of the excluded inputs (remove `excluded`)"
    );
}

/// A PPA of 20 kWh without a factor against 50 kWh consumed at 0.5 kg/kWh, for 100 kg: where
/// the methodology says `instrument_without_factor = "zero"` (pact-3.0 up to 1.1.0, archived;
/// since 1.2.0 it takes a technology default, tests/electricity.rs) the PPA counts zero
/// and the other 30 kWh take the grid factor, 30 * 0.5 / 100 = 0.15 kg/kg by hand (0.25
/// without the PPA); where it says "error" (eu-cbam-2026, here a pact-3.0 variant) the
/// inventory is refused, naming the instrument.
#[test]
fn instrument_without_factor_follows_the_methodology() {
    let text = base_with(
        "amount = 50, unit = \"kWh\" }",
        "amount = 50, unit = \"kWh\", instruments = [{ type = \"ppa\", serial = \"PPA-1\", quantity = 20, unit = \"kWh\" }] }",
    );
    let pact =
        Methodology::load(&util::root().join("methodologies/archive/pact-3.0@1.1.0.toml")).unwrap();
    assert_eq!(
        pact.rules.electricity.instrument_without_factor,
        pcf::methodology::InstrumentWithoutFactor::Zero
    );
    let cbam = Methodology::shipped("eu-cbam-2026").unwrap();
    assert_eq!(
        cbam.rules.electricity.instrument_without_factor,
        pcf::methodology::InstrumentWithoutFactor::Error
    );
    let strict = pact
        .text
        .replace("instrument_without_factor = \"zero\"", "instrument_without_factor = \"error\"")
        .replace("id = \"pact-3.0\"", "id = \"test-strict\"");
    assert!(strict.contains("instrument_without_factor = \"error\""));
    let (dir, path) = write(&[("inv.toml", &text), ("strict.toml", &strict)]);

    let f = run(&path, &pact);
    close(product(&f, "part").totals.excluding_uptake, 30.0 * 0.5 / 100.0);

    let out = util::pcf(dir.path(), &["footprint", "inv.toml", "--methodology", "strict.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        util::stderr(&out).trim_end(),
        format!(
            "error: inv.toml: at /processes/0/inputs/0/instruments/0: test-strict counts this ppa \
             instrument but it has no emission factor, and the methodology's rule \
             `electricity.instrument_without_factor = \"error\"` requires one ({})\n  \
             help: give the instrument the emission factor of the generation it covers, e.g. \
             `factor = \"dataset:cn-grid@2023-footprint-wind\"` or a factor of the generator in \
             `factors`",
            pact.rules.electricity.clause
        )
    );

    // With its factor (0.1 kg/kWh) the PPA counts: (20 * 0.1 + 30 * 0.5) / 100 = 0.17.
    let with_factor = text.replace("unit = \"kWh\" }] }", "unit = \"kWh\", factor = \"ppa\" }] }")
        + "\n[[factors]]\nid = \"ppa\"\nname = \"PPA generator\"\nper = \"kWh\"\ngases = { \"co2-fossil\" = 0.1 }\nsource = \"test\"\nlicence = \"CC0-1.0\"\n";
    let (_d, path) = write(&[("inv.toml", &with_factor)]);
    let strict = Methodology::from_text_at(Path::new("strict.toml"), &strict, "test").unwrap();
    let f = run(&path, &strict);
    close(product(&f, "part").totals.excluding_uptake, (20.0 * 0.1 + 30.0 * 0.5) / 100.0);
}
