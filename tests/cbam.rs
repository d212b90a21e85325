//! EU CBAM scope (eu-cbam-2026 2.0.0, `[cbam]`): which goods count only direct emissions
//! (Regulation (EU) 2023/956 Art. 7(1) and Annex II), the precursor rule of Implementing
//! Regulation (EU) 2025/2547 Annex I point 3.1 both ways, the gases of Annex I per good, and
//! the refusal of figures given only as CO2e. Every expected number is derived by hand in the
//! comments, before (1.0.0: direct + indirect for every good) and after.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use pcf::engine::{self, EngineError, Footprints};
use pcf::inventory::Inventory;
use pcf::methodology::{Methodology, MethodologyError};

use crate::util;

fn close(actual: f64, expected: f64, what: &str) {
    let rel = (actual - expected).abs() / expected.abs().max(1e-300);
    assert!(rel <= 1e-9, "{what}: expected {expected}, got {actual} (relative error {rel:e})");
}

fn cbam() -> Methodology {
    Methodology::shipped("eu-cbam-2026").unwrap()
}

fn cbam_1_0_0() -> Methodology {
    Methodology::load(&util::root().join("methodologies/archive/eu-cbam-2026@1.0.0.toml")).unwrap()
}

/// Writes `files` into a fresh directory; returns it and the path of the first.
fn write(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let first = dir.path().join(files[0].0);
    (dir, first)
}

fn run(path: &Path, m: &Methodology) -> Result<Footprints, EngineError> {
    let inv = Inventory::load(path).unwrap_or_else(|e| panic!("{e}"));
    engine::footprint(&inv, m)
}

/// (counted total, direct, counted indirect, indirect not counted) of `product`.
fn figures(f: &Footprints, product: &str) -> (f64, f64, f64, Option<f64>) {
    let p = f.products.iter().find(|p| p.product == product).unwrap();
    let t = &p.totals;
    (t.excluding_uptake, t.direct.unwrap(), t.indirect.unwrap(), t.indirect_not_counted)
}

/// Grid electricity at 0.5 t CO2/MWh, and a CO2-only fuel.
const FACTORS: &str = r#"
[[factors]]
id = "grid"
name = "Grid electricity"
per = "MWh"
gases = { "co2-fossil" = 500 }
source = "test"
licence = "CC0-1.0"
"#;

/// One process making `code` from its own CO2 and electricity: 1000 t of goods, 100 t CO2,
/// 50 MWh at 0.5 t/MWh = 25 t CO2 indirect.
fn single(code: &str) -> String {
    format!(
        r#"
[[products]]
id = "good"
name = "Good"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0
classification = {{ scheme = "CN", code = "{code}" }}

[[processes]]
id = "make"
name = "Make"
outputs = [{{ product = "good", amount = 1000, unit = "t" }}]
inputs = [{{ kind = "electricity", factor = "grid", amount = 50, unit = "MWh" }}]
emissions = [{{ gas = "co2-fossil", amount = 100, unit = "t" }}]
{FACTORS}"#
    )
}

#[test]
fn goods_not_in_annex_ii_keep_their_indirect_emissions_annex_ii_goods_do_not() {
    // Per t: direct 100 / 1000 = 0.1; indirect 50 x 0.5 / 1000 = 0.025.
    // Sintered ore 2601 12 00 and cement 2523 29 00 are not in Annex II: 0.1 + 0.025 = 0.125
    // before and after. Hot-rolled coil 7208 38 00 and unwrought aluminium 7601 10 00 are:
    // 0.125 before (1.0.0), 0.1 after, with 0.025 not counted.
    for (code, annex_ii) in
        [("2601 12 00", false), ("2523 29 00", false), ("7208 38 00", true), ("7601 10 00", true)]
    {
        let (_d, path) = write(&[("inv.toml", &single(code))]);
        let before = figures(&run(&path, &cbam_1_0_0()).unwrap(), "good");
        assert_eq!(before.3, None, "{code}: 1.0.0 has no [cbam]");
        close(before.0, 0.125, code);
        close(before.2, 0.025, code);
        let (total, direct, indirect, not_counted) = figures(&run(&path, &cbam()).unwrap(), "good");
        close(direct, 0.1, code);
        if annex_ii {
            close(total, 0.1, code);
            assert_eq!(indirect, 0.0, "{code}");
            close(not_counted.unwrap(), 0.025, code);
        } else {
            close(total, 0.125, code);
            close(indirect, 0.025, code);
            assert_eq!(not_counted, Some(0.0), "{code}");
        }
    }
}

/// A precursor process (`pre`, CN `pre_code`) feeding a good (`good`, CN `good_code`):
/// 1000 t of good need `per_t` t of precursor; each process has own CO2 and electricity.
#[allow(clippy::too_many_arguments)]
fn chain(
    pre_code: &str,
    pre_t: f64,
    pre_co2_t: f64,
    pre_mwh: f64,
    good_code: &str,
    good_co2_t: f64,
    good_mwh: f64,
) -> String {
    format!(
        r#"
[[products]]
id = "good"
name = "Good"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0
classification = {{ scheme = "CN", code = "{good_code}" }}

[[products]]
id = "pre"
name = "Precursor"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0
classification = {{ scheme = "CN", code = "{pre_code}" }}

[[processes]]
id = "make-pre"
name = "Make precursor"
outputs = [{{ product = "pre", amount = {pre_t}, unit = "t" }}]
inputs = [{{ kind = "electricity", factor = "grid", amount = {pre_mwh}, unit = "MWh" }}]
emissions = [{{ gas = "co2-fossil", amount = {pre_co2_t}, unit = "t" }}]

[[processes]]
id = "make-good"
name = "Make good"
outputs = [{{ product = "good", amount = 1000, unit = "t" }}]
inputs = [
  {{ kind = "product", product = "pre", amount = {pre_t}, unit = "t" }},
  {{ kind = "electricity", factor = "grid", amount = {good_mwh}, unit = "MWh" }},
]
emissions = [{{ gas = "co2-fossil", amount = {good_co2_t}, unit = "t" }}]
{FACTORS}"#
    )
}

#[test]
fn precursor_rule_sinter_into_pig_iron_counts_the_sinters_indirect() {
    // Sinter 2601 12 00 (not Annex II): 1500 t, 150 t CO2, 75 MWh -> per t 0.1 direct,
    // 0.025 indirect. Pig iron 7201 10 11 (Annex II): 1000 t from the 1500 t sinter, 1200 t
    // CO2, 100 MWh (50 t CO2). Per t pig iron:
    //   direct       = 1.2 + 1.5 x 0.1   = 1.35
    //   indirect     = 1.5 x 0.025       = 0.0375 (the sinter's, counted: IR 2025/2547 Annex I 3.1)
    //   not counted  = 100 x 0.5 / 1000  = 0.05   (the blast furnace's own electricity)
    //   total        = 1.35 + 0.0375     = 1.3875 (1.0.0: 1.3875 + 0.05 = 1.4375)
    let (_d, path) = write(&[(
        "inv.toml",
        &chain("2601 12 00", 1500.0, 150.0, 75.0, "7201 10 11", 1200.0, 100.0),
    )]);
    close(run(&path, &cbam_1_0_0()).unwrap().products[0].totals.excluding_uptake, 1.4375, "1.0.0");
    let f = run(&path, &cbam()).unwrap();
    let (total, direct, indirect, not_counted) = figures(&f, "good");
    close(direct, 1.35, "direct");
    close(indirect, 0.0375, "indirect");
    close(not_counted.unwrap(), 0.05, "not counted");
    close(total, 1.3875, "total");
    // The sinter itself keeps its indirect emissions: 0.1 + 0.025.
    let (total, _, indirect, not_counted) = figures(&f, "pre");
    close(total, 0.125, "sinter");
    close(indirect, 0.025, "sinter indirect");
    assert_eq!(not_counted, Some(0.0));
}

#[test]
fn precursor_rule_hydrogen_into_ammonia_drops_the_hydrogens_indirect() {
    // Hydrogen 2804 10 00 (Annex II): 180 t, 1620 t CO2 (9 per t), 360 MWh (180 t CO2, 1 per
    // t). Ammonia 2814 10 00 (not Annex II): 1000 t from the 180 t hydrogen, 300 t CO2,
    // 400 MWh (200 t CO2). Per t ammonia:
    //   direct       = 0.3 + 0.18 x 9 = 1.92
    //   indirect     = 400 x 0.5 / 1000 = 0.2 (its own electricity, counted)
    //   not counted  = 0.18 x 1 = 0.18 (the hydrogen's: IR 2025/2547 Annex I 3.1)
    //   total        = 1.92 + 0.2 = 2.12 (1.0.0: 2.12 + 0.18 = 2.3)
    let (_d, path) = write(&[(
        "inv.toml",
        &chain("2804 10 00", 180.0, 1620.0, 360.0, "2814 10 00", 300.0, 400.0),
    )]);
    close(run(&path, &cbam_1_0_0()).unwrap().products[0].totals.excluding_uptake, 2.3, "1.0.0");
    let (total, direct, indirect, not_counted) = figures(&run(&path, &cbam()).unwrap(), "good");
    close(direct, 1.92, "direct");
    close(indirect, 0.2, "indirect");
    close(not_counted.unwrap(), 0.18, "not counted");
    close(total, 2.12, "total");
}

/// A good made from a supplier's CBAM communication (`classification` a JSON array).
fn with_supplier(good_code: &str) -> String {
    format!(
        r#"
[[products]]
id = "good"
name = "Good"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0
classification = {{ scheme = "CN", code = "{good_code}" }}

[[processes]]
id = "make"
name = "Make"
outputs = [{{ product = "good", amount = 1000, unit = "t" }}]
inputs = [
  {{ kind = "supplier", declaration = "supplier.json", precursor = true, amount = 200, unit = "t" }},
  {{ kind = "electricity", factor = "grid", amount = 100, unit = "MWh" }},
]
{FACTORS}"#
    )
}

fn supplier(classifications: &str) -> String {
    format!(
        r#"{{
  "productNameCompany": "Precursor",
  "productClassifications": {classifications},
  "pcf": {{ "declaredUnitOfMeasurement": "kilogram", "declaredUnitAmount": "1000",
           "pcfExcludingBiogenicUptake": "3000", "fossilGhgEmissions": "3000" }},
  "extensions": [{{ "dataSchema": "urn:pcf:extension:cbam:1",
    "data": {{ "directEmbeddedEmissions": "2000", "indirectEmbeddedEmissions": "1000" }} }}]
}}"#
    )
}

#[test]
fn a_suppliers_declared_indirect_follows_the_suppliers_good() {
    // 200 t of a precursor declared at 2 t direct + 1 t indirect per t, into 1000 t of good
    // with 100 MWh (50 t CO2). Per t of good: precursor direct 0.4, precursor indirect 0.2,
    // own electricity 0.05.
    let cases = [
        // Hydrogen (Annex II) into ammonia (not): the hydrogen's 0.2 is not counted, the
        // ammonia's own 0.05 is. Total 0.4 + 0.05 = 0.45.
        ("2814 10 00", r#"["urn:pact:productclassification:cn:28041000"]"#, 0.45, 0.05, 0.2),
        // Sinter (not Annex II) into pig iron (Annex II): the sinter's 0.2 counts, the pig
        // iron's own 0.05 does not. Total 0.4 + 0.2 = 0.6.
        ("7201 10 11", r#"["urn:pact:productclassification:cn:26011200"]"#, 0.6, 0.2, 0.05),
        // No CN code: the supplier's indirect follows the consuming process (pig iron): both
        // not counted. Total 0.4; not counted 0.2 + 0.05 = 0.25.
        ("7201 10 11", "[]", 0.4, 0.0, 0.25),
    ];
    for (good, classes, total, indirect, not_counted) in cases {
        let (_d, path) =
            write(&[("inv.toml", &with_supplier(good)), ("supplier.json", &supplier(classes))]);
        // 1.0.0 counted everything: 0.4 + 0.2 + 0.05 = 0.65.
        close(run(&path, &cbam_1_0_0()).unwrap().products[0].totals.excluding_uptake, 0.65, good);
        let f = run(&path, &cbam()).unwrap();
        let (t, d, i, n) = figures(&f, "good");
        close(t, total, good);
        close(d, 0.4, good);
        if indirect == 0.0 {
            assert_eq!(i, 0.0, "{good}");
        } else {
            close(i, indirect, good);
        }
        close(n.unwrap(), not_counted, good);
        // The counted fossil pool is the counted total.
        close(f.products[0].totals.fossil, total, good);
    }
}

#[test]
fn methane_under_cbam_for_a_steel_good_fails_naming_annex_i() {
    // An IPCC-style natural gas factor with CH4 and N2O, for a steel good (7208 38 00).
    let text = single("7208 38 00").replace(
        "inputs = [",
        "inputs = [{ kind = \"fuel\", factor = \"ng\", amount = 1000, unit = \"GJ\" }, ",
    ) + r#"
[[factors]]
id = "ng"
name = "Natural gas (IPCC, with CH4 and N2O)"
per = "TJ"
gases = { "co2-fossil" = 56100, "ch4-fossil" = 1, "n2o" = 0.1 }
source = "test"
licence = "CC0-1.0"
"#;
    let (_d, path) = write(&[("inv.toml", &text)]);
    // 1.0.0 counted it: direct (100 000 + 56 100 + 30 + 26.5) / 1 000 000 t.
    let old = run(&path, &cbam_1_0_0()).unwrap();
    close(old.products[0].totals.direct.unwrap(), 156_156.5 / 1_000_000.0, "1.0.0");
    let err = run(&path, &cbam()).unwrap_err();
    assert_eq!(
        err,
        EngineError::Rule {
            file: path.display().to_string(),
            pointer: "/processes/0/inputs/0".into(),
            problem: "gas \"ch4-fossil\" is not a greenhouse gas of any CBAM good: Regulation \
                      (EU) 2023/956 Annex I, as methodology eu-cbam-2026 encodes it, names only \
                      co2-biogenic, co2-fossil, n2o, pfc-116, pfc-14"
                .into(),
            help: "list only CBAM gases (Regulation (EU) 2023/956 Annex I); for a fuel, a \
                   CO2-only combustion factor, as the EU ETS monitors"
                .into(),
        }
    );
}

#[test]
fn nitrous_oxide_is_allowed_for_nitric_acid_and_refused_for_steel() {
    // 1000 t of goods, 100 t CO2 and 1 t N2O (AR5 265), 50 MWh (25 t CO2).
    // Nitric acid 2808 00 00 (CO2 and N2O, not Annex II): direct (100 + 265) / 1000 = 0.365,
    // indirect 0.025, total 0.39.
    let n2o = |code: &str| {
        single(code)
            .replace("emissions = [", "emissions = [{ gas = \"n2o\", amount = 1, unit = \"t\" }, ")
    };
    let (_d, path) = write(&[("inv.toml", &n2o("2808 00 00"))]);
    let (total, direct, indirect, _) = figures(&run(&path, &cbam()).unwrap(), "good");
    close(direct, 0.365, "direct");
    close(indirect, 0.025, "indirect");
    close(total, 0.39, "total");
    // Hot-rolled coil 7208 38 00: CO2 only.
    let (_d, path) = write(&[("inv.toml", &n2o("7208 38 00"))]);
    let err = run(&path, &cbam()).unwrap_err();
    let EngineError::Rule { pointer, problem, .. } = &err else { panic!("{err}") };
    assert_eq!(pointer, "/processes/0/emissions/0");
    assert_eq!(
        problem,
        "\"Make: n2o\" emits \"n2o\", which is not a greenhouse gas of iron-and-steel goods: \
         Regulation (EU) 2023/956 Annex I lists for them only co2-fossil, co2-biogenic \
         (Regulation (EU) 2023/956 Annex I (iron and steel: carbon dioxide) and Annex II)"
    );
}

#[test]
fn figures_given_only_as_co2e_are_refused() {
    // A precursor bought at a database factor given only as CO2e.
    let text = single("7208 38 00").replace(
        "inputs = [",
        "inputs = [{ kind = \"database\", name = \"Pig iron\", factor = \"pig\", precursor = true, amount = 10, unit = \"t\" }, ",
    ) + r#"
[[factors]]
id = "pig"
name = "Pig iron, CO2e"
per = "kg"
co2e = 1.9
source = "test"
licence = "CC0-1.0"
"#;
    let (_d, path) = write(&[("inv.toml", &text)]);
    // 1.0.0 counted it as direct: (100 000 + 19 000) / 1 000 000 = 0.119.
    close(run(&path, &cbam_1_0_0()).unwrap().products[0].totals.direct.unwrap(), 0.119, "1.0.0");
    let err = run(&path, &cbam()).unwrap_err();
    let EngineError::Rule { pointer, problem, .. } = &err else { panic!("{err}") };
    assert_eq!(pointer, "/processes/0/inputs/0");
    assert!(problem.contains("\"Pig iron\" is a factor given only as CO2e"), "{problem}");
    assert!(problem.contains("gas_resolved_only"), "{problem}");
    // A supplier footprint without a CBAM split.
    let bare = r#"{ "productNameCompany": "Slab", "pcf": { "declaredUnitOfMeasurement": "kilogram",
        "declaredUnitAmount": "1", "pcfExcludingBiogenicUptake": "2" } }"#;
    let (_d, path) = write(&[("inv.toml", &with_supplier("7208 38 00")), ("supplier.json", bare)]);
    // eu-cbam-2026 2.2.0 refuses it by its [suppliers] rule before the gas check; a file
    // without that rule refuses it by `gas_resolved_only`.
    let err = run(&path, &cbam()).unwrap_err();
    let EngineError::Rule { problem, .. } = &err else { panic!("{err}") };
    assert!(problem.contains("has no direct/indirect split"), "{problem}");
    assert!(problem.contains("without_cbam_split"), "{problem}");
    let m = cbam();
    let text = m.text.replace("without_cbam_split = \"error\"\n", "");
    let m = Methodology::from_text_at(Path::new("no-rule.toml"), &text, "test").unwrap();
    let err = run(&path, &m).unwrap_err();
    let EngineError::Rule { problem, .. } = &err else { panic!("{err}") };
    assert!(problem.contains("a supplier footprint without a CBAM split"), "{problem}");
}

#[test]
fn an_output_without_a_cbam_category_is_an_error() {
    let (_d, path) = write(&[(
        "inv.toml",
        &single("7208 38 00")
            .replace("classification = { scheme = \"CN\", code = \"7208 38 00\" }\n", ""),
    )]);
    let err = run(&path, &cbam()).unwrap_err();
    let EngineError::Rule { pointer, problem, .. } = &err else { panic!("{err}") };
    assert_eq!(pointer, "/processes/0/outputs/0");
    assert!(problem.contains("it has no CN classification"), "{problem}");
    // Ferrous scrap 7204 is excepted from chapter 72: not a CBAM good.
    let (_d, path) = write(&[("inv.toml", &single("7204 41 10"))]);
    let err = run(&path, &cbam()).unwrap_err();
    assert!(err.to_string().contains("CN 72044110 is in no category"), "{err}");
}

#[test]
fn the_text_report_and_json_show_the_indirect_emissions_not_counted() {
    let (d, path) = write(&[("inv.toml", &single("7208 38 00"))]);
    let p = path.to_str().unwrap();
    let out = util::pcf(d.path(), &["footprint", p, "-m", "eu-cbam-2026"]);
    let text = util::stdout(&out);
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("indirect emissions not counted")
            && l.trim_end().ends_with("0.02500")),
        "{text}"
    );
    let out = util::pcf(d.path(), &["footprint", p, "-m", "eu-cbam-2026", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    close(json["products"][0]["totals"]["indirect_not_counted"].as_f64().unwrap(), 0.025, "json");
    // Under a file without [cbam] the field is absent.
    let out = util::pcf(d.path(), &["footprint", p, "-m", "pact-3.0", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["products"][0]["totals"].get("indirect_not_counted").is_none());
}

#[test]
fn cbam_rules_are_validated_at_load() {
    let text = cbam().text;
    let dir = tempfile::tempdir().unwrap();
    for (from, to, expected) in [
        (
            "cn = [\"28041000\"]",
            "cn = [\"2804 10 00\"]",
            "cbam.categories[2].cn[0] (hydrogen): \"2804 10 00\" is not a CN code or prefix (1 to 8 digits)",
        ),
        (
            "gases = [\"co2-fossil\", \"co2-biogenic\", \"pfc-14\", \"pfc-116\"]",
            "gases = [\"co2-fossil\", \"ch4-fossil\"]",
            "cbam.categories[1].gases[1] (aluminium): \"ch4-fossil\" has no GWP in gwp.factors",
        ),
        (
            "cn = [\"26011200\"]",
            "cn = [\"26011200\", \"7208\"]",
            "cbam.categories[0] (iron-and-steel) and cbam.categories[4] (sintered-ore) overlap: CN codes under 7208 are in both",
        ),
    ] {
        assert_eq!(text.matches(from).count(), 1, "{from}");
        let path = dir.path().join("m.toml");
        std::fs::write(&path, text.replace(from, to)).unwrap();
        let err = Methodology::load(&path).unwrap_err();
        assert_eq!(
            err,
            MethodologyError::Invalid {
                file: path.display().to_string(),
                problem: expected.into()
            }
        );
    }
    // An except list that covers the overlap removes it: scrap 7204 is excepted from
    // iron-and-steel, so a category of scrap does not overlap it.
    let path = dir.path().join("m.toml");
    std::fs::write(&path, text.replace("cn = [\"26011200\"]", "cn = [\"26011200\", \"720441\"]"))
        .unwrap();
    Methodology::load(&path).unwrap();
}
