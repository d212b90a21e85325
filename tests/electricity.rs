#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Electricity instruments without a factor and the uncovered rest (issue 11, corrections 3
//! and 4), on a one-process inventory whose figures are derived by hand: 1000 kg of product
//! made with 200 MWh, of which 100 MWh are covered by a serial-numbered wind GEC without an
//! emission factor. Factors (dataset cn-grid 2026.3): 2024 national life-cycle average 0.5777,
//! 2024 wind life-cycle 0.0324 kg CO2e/kWh.
//!
//! Before (pact-3.0 1.1.0, gb-t-24067-2024 1.1.0): the GEC counts zero, the rest at the grid
//! average: 100 000 kWh x 0.5777 = 57 770 kg, 57.77 kg CO2e/kg.
//! After (1.2.0, `technology-default`): 100 000 kWh x 0.0324 = 3 240 kg on top: 61.01 kg/kg.

use std::path::{Path, PathBuf};

use pcf::engine::{self, Footprint, Footprints};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::util;

const INVENTORY: &str = r#"
[[products]]
id = "part"
name = "Part"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0

[[processes]]
id = "press"
name = "Press"
outputs = [{ product = "part", amount = 1000, unit = "kg" }]

[[processes.inputs]]
kind = "electricity"
name = "Electricity"
factor = "dataset:cn-grid@2024-footprint"
amount = 200
unit = "MWh"
instruments = [
  { type = "gec", serial = "GEC-2025-JS-000000001-000000100", quantity = 100, unit = "MWh", technology = "wind" },
]
"#;

/// A life-cycle residual mix the inventory computed itself (China publishes none).
const RESIDUAL: &str = r#"
[[factors]]
id = "residual-lc"
name = "Residual mix, life cycle (computed by the reporting company)"
per = "kWh"
kind = "life-cycle"
co2e = 0.6
source = "test"
licence = "CC0-1.0"
"#;

const GRID: f64 = 0.5777;
const WIND: f64 = 0.0324;
const KWH: f64 = 100_000.0; // covered, and uncovered
const KG: f64 = 1000.0;

fn close(actual: f64, expected: f64, what: &str) {
    let rel = (actual - expected).abs() / expected.abs();
    assert!(rel <= 1e-9, "{what}: expected {expected}, got {actual}");
}

fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn archived(id: &str, version: &str) -> Methodology {
    let path = util::root().join(format!("methodologies/archive/{id}@{version}.toml"));
    Methodology::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// A copy of the shipped `id` with `from` replaced by `to`, loaded from a file.
fn variant(id: &str, from: &str, to: &str) -> Result<Methodology, String> {
    let text =
        std::fs::read_to_string(util::root().join(format!("methodologies/{id}.toml"))).unwrap();
    assert!(text.contains(from), "{from}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{id}.toml"));
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    Methodology::load(&path).map_err(|e| e.to_string())
}

fn run(path: &Path, m: &Methodology) -> Result<Footprints, String> {
    let inv = Inventory::load(path).unwrap_or_else(|e| panic!("{e}"));
    engine::footprint(&inv, m).map_err(|e| e.to_string())
}

fn part(f: &Footprints) -> &Footprint {
    f.products.iter().find(|p| p.product == "part").unwrap()
}

fn double_count_note(m: &str, grid: &str) -> String {
    format!(
        "100000 kWh of 200000 kWh are claimed by instruments while the uncovered 100000 kWh \
         take the grid average {grid} for want of a residual-mix factor: the claimed \
         generation is also in the grid average, so its attributes are counted twice ({m} \
         `electricity.on_claim_without_residual = \"note\"`)"
    )
}

#[test]
fn an_instrument_without_factor_takes_its_technology_default() {
    let (_dir, path) = write(INVENTORY);
    let before = KWH * GRID / KG;
    let after = (KWH * WIND + KWH * GRID) / KG;
    close(before, 57.77, "before by hand");
    close(after, 61.01, "after by hand");
    for (id, old) in
        [("pact-3.0", "1.1.0"), ("gb-t-24067-2024", "1.1.0"), ("iso-14067-2018", "1.1.0")]
    {
        // Before: the archived file counts the GEC at zero, as it always did.
        let a = run(&path, &archived(id, old)).unwrap();
        close(part(&a).totals.excluding_uptake, before, &format!("{id} {old}"));
        let rec = &part(&a).electricity[0];
        assert_eq!(rec.instruments[0].default_factor, None);
        assert!(rec.notes.is_empty(), "{id} {old}: {:?}", rec.notes);

        // After: the wind default of the live file, said in the record.
        let m = Methodology::shipped(id).unwrap();
        let b = run(&path, &m).unwrap();
        close(part(&b).totals.excluding_uptake, after, id);
        let rec = &part(&b).electricity[0];
        let ins = &rec.instruments[0];
        assert!(ins.counted);
        close(ins.used, KWH, "kWh used (the grid factor's unit)");
        assert_eq!(
            ins.default_factor.as_deref(),
            Some("dataset:cn-grid@2024-footprint-wind (cn-grid 2026.3)")
        );
        assert_eq!(
            ins.reason,
            format!(
                "counted; no emission factor: the wind default \
                 dataset:cn-grid@2024-footprint-wind (cn-grid 2026.3) of {id} \
                 (`electricity.instrument_without_factor = \"technology-default\"`)"
            )
        );
        // No residual mix in the inventory: the double count is noted (correction 4).
        assert_eq!(rec.notes, [double_count_note(id, "dataset.cn-grid.2024-footprint")]);
    }
}

#[test]
fn an_instrument_without_factor_or_technology_is_refused_with_what_to_add() {
    let m = Methodology::shipped("pact-3.0").unwrap();
    let (_dir, path) = write(&INVENTORY.replace(", technology = \"wind\"", ""));
    let clause = &m.rules.electricity.clause;
    assert_eq!(
        run(&path, &m).unwrap_err(),
        format!(
            "{}: at /processes/0/inputs/0/instruments/0: pact-3.0 counts this gec instrument but \
             it has neither an emission factor nor a `technology`, and the methodology's rule \
             `electricity.instrument_without_factor = \"technology-default\"` ({clause}) needs \
             one of them\n  help: add the generation technology of the certificate or \
             contract, e.g. `technology = \"wind\"` (pact-3.0 has defaults for: biomass, coal, \
             gas, hydro, nuclear, solar, solar-thermal, wind), or give the instrument its own \
             `factor`",
            path.display()
        )
    );
    // The archived 1.1.0 counts it at zero, as before.
    let a = run(&path, &archived("pact-3.0", "1.1.0")).unwrap();
    close(part(&a).totals.excluding_uptake, KWH * GRID / KG, "pact-3.0 1.1.0");

    // A technology without a default is refused too.
    let (_dir, path) = write(&INVENTORY.replace("\"wind\"", "\"geothermal\""));
    assert_eq!(
        run(&path, &m).unwrap_err(),
        format!(
            "{}: at /processes/0/inputs/0/instruments/0: pact-3.0 counts this gec instrument \
             without an emission factor, and its technology \"geothermal\" has no default in \
             the methodology's `electricity.technology_defaults` (the methodology's rule \
             `electricity.instrument_without_factor = \"technology-default\"` ({clause}))\n  \
             help: give the instrument its own `factor`, or use a technology pact-3.0 has a \
             default for: biomass, coal, gas, hydro, nuclear, solar, solar-thermal, wind",
            path.display()
        )
    );

    // eu-cbam-2026 keeps "error": an accepted instrument (a PPA) without a factor is refused.
    let cbam = Methodology::shipped("eu-cbam-2026").unwrap();
    let ppa = INVENTORY.replace("type = \"gec\", serial = \"GEC", "type = \"ppa\", serial = \"PPA");
    let (_dir, path) = write(&ppa);
    let err = run(&path, &cbam).unwrap_err();
    assert!(
        err.contains("`electricity.instrument_without_factor = \"error\"` requires one"),
        "{err}"
    );
}

#[test]
fn an_instrument_with_its_own_factor_keeps_it() {
    // The instrument's own factor wins over the default: 100 000 x 0.01 + 100 000 x 0.5777.
    let text = INVENTORY
        .replace("technology = \"wind\"", "technology = \"wind\", factor = \"own\"")
        + "\n[[factors]]\nid = \"own\"\nname = \"Generator\"\nper = \"kWh\"\nkind = \"life-cycle\"\n\
           co2e = 0.01\nsource = \"test\"\nlicence = \"CC0-1.0\"\n";
    let (_dir, path) = write(&text);
    let f = run(&path, &Methodology::shipped("gb-t-24067-2024").unwrap()).unwrap();
    close(part(&f).totals.excluding_uptake, (KWH * 0.01 + KWH * GRID) / KG, "own factor");
    assert_eq!(part(&f).electricity[0].instruments[0].default_factor, None);
}

#[test]
fn a_technology_default_passes_the_factor_kind_check() {
    // A file whose wind default is the combustion CO2 grid factor is refused by its own
    // `grid_factor_kind = "life-cycle"`.
    let m = variant(
        "gb-t-24067-2024",
        "wind = \"dataset:cn-grid@2024-footprint-wind\"",
        "wind = \"dataset:cn-grid@2023\"",
    )
    .unwrap();
    let (_dir, path) = write(INVENTORY);
    let err = run(&path, &m).unwrap_err();
    assert!(
        err.contains(
            "electricity input \"Electricity\" applies factor dataset:cn-grid@2023 of kind \
             combustion-co2; gb-t-24067-2024 requires a life-cycle electricity factor"
        ),
        "{err}"
    );
    // A file that asks for defaults must state them, and only as dataset references.
    let err = variant(
        "gb-t-24067-2024",
        "instrument_without_factor = \"technology-default\"",
        "instrument_without_factor = \"error\"",
    )
    .unwrap_err();
    assert!(err.contains("electricity.technology_defaults is only read under"), "{err}");
    let err =
        variant("pact-3.0", "\"dataset:cn-grid@2024-footprint-wind\"", "\"0.0324\"").unwrap_err();
    assert!(
        err.contains("electricity.technology_defaults.wind: \"0.0324\" is not a dataset"),
        "{err}"
    );
}

#[test]
fn gb_t_uses_the_residual_mix_and_notes_the_double_count_without_one() {
    let new = Methodology::shipped("gb-t-24067-2024").unwrap();
    assert_eq!(new.rules.electricity.uncovered, pcf::methodology::Uncovered::ResidualMixOrGrid);
    let old = archived("gb-t-24067-2024", "1.1.0");
    assert_eq!(old.rules.electricity.uncovered, pcf::methodology::Uncovered::Grid);

    // With a (life-cycle) residual mix of 0.6: before, 1.1.0 ignored it and took the grid
    // average, GEC at zero: 57.77. After: 100 000 x 0.0324 + 100 000 x 0.6 = 63 240 kg, 63.24.
    let text = INVENTORY
        .replace("amount = 200", "residual_mix_factor = \"residual-lc\"\namount = 200")
        + RESIDUAL;
    let (_dir, path) = write(&text);
    let a = run(&path, &old).unwrap();
    close(part(&a).totals.excluding_uptake, KWH * GRID / KG, "1.1.0 ignores the residual");
    assert_eq!(part(&a).electricity[0].uncovered_factor, "dataset.cn-grid.2024-footprint");
    let b = run(&path, &new).unwrap();
    close(part(&b).totals.excluding_uptake, (KWH * WIND + KWH * 0.6) / KG, "1.2.0");
    close(part(&b).totals.excluding_uptake, 63.24, "1.2.0 written out");
    let rec = &part(&b).electricity[0];
    assert_eq!(rec.uncovered_factor, "residual-lc");
    assert!(rec.notes.is_empty(), "{:?}", rec.notes);

    // Without one: the grid average, and the record says the attributes are counted twice.
    let (_dir, path) = write(INVENTORY);
    let b = run(&path, &new).unwrap();
    close(part(&b).totals.excluding_uptake, 61.01, "1.2.0 without residual");
    assert_eq!(
        part(&b).electricity[0].notes,
        [double_count_note("gb-t-24067-2024", "dataset.cn-grid.2024-footprint")]
    );

    // China's combustion-CO2 residual (excluding market-traded non-fossil electricity) is not
    // a life-cycle factor: refused by the kind check.
    let text = INVENTORY.replace(
        "amount = 200",
        "residual_mix_factor = \"dataset:cn-grid@2023-excluding-market-non-fossil\"\namount = 200",
    );
    let (_dir, path) = write(&text);
    let err = run(&path, &new).unwrap_err();
    assert!(
        err.contains("of kind residual-combustion-co2; gb-t-24067-2024 requires a life-cycle"),
        "{err}"
    );

    // A file may refuse the fallback instead.
    let strict = variant(
        "gb-t-24067-2024",
        "on_claim_without_residual = \"note\"",
        "on_claim_without_residual = \"error\"",
    )
    .unwrap();
    let (_dir, path) = write(INVENTORY);
    let err = run(&path, &strict).unwrap_err();
    assert!(
        err.contains("so its attributes are counted twice, and gb-t-24067-2024 `electricity.on_claim_without_residual = \"error\"` refuses it"),
        "{err}"
    );
    // No instrument counted, no double count: no note.
    let (_dir, path) = write(&INVENTORY.replace("quantity = 100", "quantity = 0"));
    let b = run(&path, &new).unwrap();
    close(part(&b).totals.excluding_uptake, 2.0 * KWH * GRID / KG, "no claim");
    assert!(part(&b).electricity[0].notes.is_empty());
}

#[test]
fn a_declaration_pins_the_dataset_a_technology_default_was_read_from() {
    // The bracket with its grid factors inline: the inventory itself references only the IPCC
    // dataset (natural gas), but its GECs take pact-3.0's wind default from cn-grid.
    let dir = util::bracket_example();
    let path = dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace("dataset:cn-grid@2022", "grid")
        + "\n[[factors]]\nid = \"grid\"\nname = \"Grid\"\nper = \"kWh\"\n\
           gases = { \"co2-fossil\" = 0.5366 }\nsource = \"test\"\nlicence = \"CC0-1.0\"\n";
    std::fs::write(&path, text).unwrap();
    let inv = Inventory::load(&path).unwrap();
    let ids: Vec<&str> = inv.datasets.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["ipcc-2006-stationary-combustion"]);
    let m = Methodology::shipped("pact-3.0").unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let options = pcf::declaration::IssueOptions {
        created: Some("2026-12-01T00:00:00Z".into()),
        ..Default::default()
    };
    let d = pcf::declaration::issue(&inv, &m, "bracket", &key, &options).unwrap();
    let cn_grid = pcf::dataset::Dataset::shipped("cn-grid").unwrap().reference();
    let related = d.document["relatedResource"].as_array().unwrap();
    let urn = format!("urn:pcf:dataset:cn-grid:{}", cn_grid.version);
    assert!(related.iter().any(|r| r["id"] == urn.as_str()), "{related:?}");
    let text = d.document.to_string();
    assert!(text.contains(&cn_grid.digest.to_string()), "cn-grid pinned by digest");
}

#[test]
fn a_default_per_kwh_applies_to_a_grid_factor_per_mwh() {
    // The grid factor inline per MWh (577.7 kg/MWh): instruments are counted in MWh, the wind
    // default is per kWh: 100 MWh x 1000 x 0.0324 + 100 MWh x 577.7 = 3 240 + 57 770 kg.
    let text = INVENTORY.replace("dataset:cn-grid@2024-footprint", "grid-mwh")
        + "\n[[factors]]\nid = \"grid-mwh\"\nname = \"Grid per MWh\"\nper = \"MWh\"\n\
           kind = \"life-cycle\"\nco2e = 577.7\nsource = \"test\"\nlicence = \"CC0-1.0\"\n";
    let (_dir, path) = write(&text);
    let f = run(&path, &Methodology::shipped("pact-3.0").unwrap()).unwrap();
    close(part(&f).totals.excluding_uptake, (3_240.0 + 57_770.0) / KG, "per MWh grid");
    let rec = &part(&f).electricity[0];
    assert_eq!(rec.unit, "MWh");
    close(rec.instruments[0].used, 100.0, "MWh used");
}

/// An instrument's own factor and a residual-mix factor given per another unit of energy than
/// the grid factor are converted: 100 MWh under a PPA at 0.4 kg/kWh is 40 000 kg, not 40 kg
/// (before the fix the quantity, in the grid factor's MWh, was multiplied by the per-kWh
/// factor), and the uncovered 100 MWh at a residual mix of 0.6 kg/kWh is 60 000 kg.
#[test]
fn instrument_and_residual_factors_per_another_unit_are_converted() {
    let text = r#"
[[products]]
id = "part"
name = "Part"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0

[[processes]]
id = "press"
name = "Press"
outputs = [{ product = "part", amount = 1000, unit = "kg" }]

[[processes.inputs]]
kind = "electricity"
name = "Electricity"
factor = "grid-mwh"
residual_mix_factor = "residual-kwh"
amount = 200
unit = "MWh"
instruments = [
  { type = "ppa", serial = "PPA-2025-JS-0001", quantity = 100, unit = "MWh", factor = "ppa-kwh" },
]

[[factors]]
id = "grid-mwh"
name = "Grid, per MWh"
per = "MWh"
co2e = 577.7
source = "test"
licence = "CC0-1.0"

[[factors]]
id = "ppa-kwh"
name = "PPA generator, per kWh"
per = "kWh"
co2e = 0.4
source = "test"
licence = "CC0-1.0"

[[factors]]
id = "residual-kwh"
name = "Residual mix, per kWh"
per = "kWh"
co2e = 0.6
source = "test"
licence = "CC0-1.0"
"#;
    let (_dir, path) = write(text);
    let f = run(&path, &Methodology::shipped("pact-3.0").unwrap()).unwrap();
    // (100 000 kWh x 0.4 + 100 000 kWh x 0.6) / 1000 kg.
    close(part(&f).totals.excluding_uptake, (KWH * 0.4 + KWH * 0.6) / KG, "converted");
}
