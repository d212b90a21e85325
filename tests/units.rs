#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Units as they appear on bills (issue 15 §3): fuels metered by volume or mass converted to
//! the factor's energy unit through net calorific values and densities (given on the input or
//! carried by the factor's dataset entry), Chinese units, and errors that name the nearest unit.
//! Every figure is worked by hand in the test, from the IPCC 2006 defaults the dataset ships
//! (kg of gas per TJ) and the AR6 GWP100 of pact-3.0 (CH4 fossil 29.8, N2O 273).

use std::path::PathBuf;

use pcf::engine::{self, Footprints};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::util::{pcf, stderr, stdout};

const CH4: f64 = 29.8;
const N2O: f64 = 273.0;
const KG: f64 = 1000.0; // product made

fn inventory(inputs: &str) -> (tempfile::TempDir, PathBuf) {
    let text = format!(
        r#"
[[products]]
id = "casting"
name = "Casting"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0

[[processes]]
id = "foundry"
name = "Foundry"
outputs = [{{ product = "casting", amount = 1000, unit = "kg" }}]
{inputs}
[[factors]]
id = "grid"
name = "Grid electricity"
per = "kWh"
co2e = 0.5
source = "test"
licence = "CC0-1.0"
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn run(path: &std::path::Path) -> Result<Footprints, String> {
    let inv = Inventory::load(path).map_err(|e| e.to_string())?;
    engine::footprint(&inv, &Methodology::shipped("pact-3.0").unwrap()).map_err(|e| e.to_string())
}

fn close(actual: f64, expected: f64, what: &str) {
    let rel = (actual - expected).abs() / expected.abs();
    assert!(rel <= 1e-9, "{what}: expected {expected}, got {actual}");
}

#[test]
fn natural_gas_in_normal_cubic_metres_converts_with_the_ncv_given_on_the_input() {
    // 120 000 Nm3 at 389.31 GJ per 10^4 Nm3 = 4 671.72 GJ = 4.67172 TJ.
    let (_d, path) = inventory(
        r#"
[[processes.inputs]]
kind = "fuel"
name = "Natural gas, melting furnace"
factor = "dataset:ipcc-2006-stationary-combustion@natural-gas-manufacturing"
amount = 120000
unit = "Nm3"
ncv = "389.31 GJ/万Nm3"
"#,
    );
    let f = run(&path).unwrap();
    let tj = 120_000.0 * 389.31 / 10_000.0 / 1000.0;
    close(tj, 4.67172, "TJ by hand");
    let kg = tj * (56_100.0 + 1.0 * CH4 + 0.1 * N2O);
    close(f.products[0].totals.excluding_uptake, kg / KG, "kg CO2e per kg");
    assert_eq!(f.conversions.len(), 1);
    let c = &f.conversions[0];
    assert_eq!(c.from, "120000 Nm3");
    assert_eq!(c.input, "Natural gas, melting furnace");
    assert_eq!(c.via, ["ncv 389.31 GJ/万Nm3 (the input)"]);
    assert!(c.to.ends_with(" TJ"), "{}", c.to);
    close(c.to.trim_end_matches(" TJ").parse().unwrap(), tj, "recorded TJ");
    assert_eq!(c.pointer, "/processes/0/inputs/0");
}

#[test]
fn coal_in_tonnes_converts_with_the_dataset_ncv() {
    // 50 t = 0.05 Gg at IPCC's 25.8 TJ/Gg (Table 1.2) = 1.29 TJ.
    let (_d, path) = inventory(
        r#"
[[processes.inputs]]
kind = "fuel"
name = "Coal"
factor = "dataset:ipcc-2006-stationary-combustion@bituminous-coal-manufacturing"
amount = 50
unit = "吨"
"#,
    );
    let f = run(&path).unwrap();
    let kg = 1.29 * (94_600.0 + 10.0 * CH4 + 1.5 * N2O);
    close(f.products[0].totals.excluding_uptake, kg / KG, "kg CO2e per kg");
    assert_eq!(
        f.conversions[0].via,
        [
            "ncv 25.8 TJ/Gg (factor dataset.ipcc-2006-stationary-combustion.bituminous-coal-manufacturing)"
        ]
    );
    assert_eq!(f.conversions[0].from, "50 t");
}

#[test]
fn diesel_in_litres_takes_two_steps_density_then_ncv() {
    // 2 000 l x 0.84 kg/l = 1 680 kg = 0.00168 Gg x 43.0 TJ/Gg = 0.07224 TJ.
    let (_d, path) = inventory(
        r#"
[[processes.inputs]]
kind = "fuel"
name = "Diesel, forklifts"
factor = "dataset:ipcc-2006-stationary-combustion@gas-diesel-oil"
amount = 2000
unit = "litres"
density = "0.84 kg/l"
"#,
    );
    let f = run(&path).unwrap();
    let tj = 2000.0 * 0.84 / 1e6 * 43.0;
    close(tj, 0.07224, "TJ by hand");
    let kg = tj * (74_100.0 + 3.0 * CH4 + 0.6 * N2O);
    close(f.products[0].totals.excluding_uptake, kg / KG, "kg CO2e per kg");
    assert_eq!(
        f.conversions[0].via,
        [
            "density 0.84 kg/l (the input)",
            "ncv 43 TJ/Gg (factor dataset.ipcc-2006-stationary-combustion.gas-diesel-oil)"
        ]
    );
}

#[test]
fn an_ncv_on_the_input_overrides_the_dataset_and_the_conversion_is_in_the_report() {
    // A plant-measured coal NCV (20.908 GJ/t, China's default for raw coal) replaces IPCC's.
    let (dir, path) = inventory(
        r#"
[[processes.inputs]]
kind = "fuel"
name = "Raw coal"
factor = "dataset:ipcc-2006-stationary-combustion@bituminous-coal-manufacturing"
amount = 50
unit = "t"
ncv = "20.908 GJ/t"
"#,
    );
    let f = run(&path).unwrap();
    let kg = 50.0 * 20.908 / 1000.0 * (94_600.0 + 10.0 * CH4 + 1.5 * N2O);
    close(f.products[0].totals.excluding_uptake, kg / KG, "kg CO2e per kg");
    assert_eq!(f.conversions[0].via, ["ncv 20.908 GJ/t (the input)"]);
    let out = pcf(dir.path(), &["footprint", "inventory.toml"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        text.contains("converted: 50 t of Raw coal = 1.0454 TJ by ncv 20.908 GJ/t (the input)"),
        "{text}"
    );
}

#[test]
fn electricity_in_wan_kwh_and_du_as_on_chinese_bills() {
    // 2 万kWh = 20 000 kWh, plus 5 000 度 (kWh), at 0.5 kg/kWh = 12 500 kg.
    let (_d, path) = inventory(
        r#"
[[processes.inputs]]
kind = "electricity"
factor = "grid"
amount = 2
unit = "万kWh"

[[processes.inputs]]
kind = "electricity"
factor = "grid"
amount = 5000
unit = "度"

[[processes.inputs]]
kind = "electricity"
factor = "grid"
amount = 1
unit = "MWH"
"#,
    );
    let f = run(&path).unwrap();
    close(f.products[0].totals.excluding_uptake, (20_000.0 + 5000.0 + 1000.0) * 0.5 / KG, "");
    assert!(f.conversions.is_empty(), "same dimension: no conversion to record");
}

fn error(inputs: &str) -> String {
    let (_d, path) = inventory(inputs);
    let e = run(&path).unwrap_err();
    e.replace(&path.display().to_string(), "inventory.toml")
}

#[test]
fn errors_say_what_property_is_missing_and_which_unit_was_meant() {
    insta::assert_snapshot!(error(r#"
[[processes.inputs]]
kind = "fuel"
name = "Natural gas"
factor = "dataset:ipcc-2006-stationary-combustion@natural-gas-manufacturing"
amount = 120000
unit = "Nm3"
"#), @r#"
inventory.toml:18:8: at /processes/0/inputs/0/unit: cannot convert Nm3 (normal volume) to TJ (energy), the unit of the factor of "Natural gas"; ncv 48 TJ/Gg (factor dataset.ipcc-2006-stationary-combustion.natural-gas-manufacturing) leads from Nm3 to no unit of energy
  help: give the density on the input (`density = "<number> kg/Nm3"`), which with the net calorific value per mass converts it, or the net calorific value per Nm3 (`ncv = "<number> MJ/Nm3"`)
"#);
    insta::assert_snapshot!(error(r#"
[[processes.inputs]]
kind = "electricity"
factor = "grid"
amount = 100
unit = "kwhr"
"#), @r#"
inventory.toml:17:8: at /processes/0/inputs/0/unit: unknown unit "kwhr"; did you mean "kWh"? (known units: g, kg, t, kt, J, kJ, MJ, GJ, TJ, Wh, kWh, MWh, GWh, 万kWh, kgce, tce, 万tce, Gg, ml, l, m3, 万m3, Nm3, 万Nm3, m2, piece, kgkm, tkm, USD)
  help: use one of the listed unit symbols
"#);
    insta::assert_snapshot!(error(r#"
[[processes.inputs]]
kind = "fuel"
factor = "dataset:ipcc-2006-stationary-combustion@natural-gas-manufacturing"
amount = 100
unit = "Nm3"
ncv = "38.9 MJ"
"#), @r#"
inventory.toml:18:7: at /processes/0/inputs/0/ncv: "38.9 MJ" is not a ratio such as "38.931 MJ/Nm3" or "0.7174 kg/Nm3": no `/` between units
  help: write a number, a space and two units: "38.931 MJ/Nm3", "48.0 TJ/Gg", "0.84 t/m3"
"#);
    insta::assert_snapshot!(error(r#"
[[processes.inputs]]
kind = "fuel"
factor = "dataset:ipcc-2006-stationary-combustion@natural-gas-manufacturing"
amount = 100
unit = "m3"
ncv = "38.931 MJ/Nm3"
"#), @r#"
inventory.toml:17:8: at /processes/0/inputs/0/unit: cannot convert m3 (volume) to TJ (energy), the unit of the factor of "Natural gas, stationary combustion, manufacturing industries and construction"; ncv 38.931 MJ/Nm3 (the input) leads from m3 to no unit of energy
  help: a normal cubic metre (Nm3, 0 °C and 101.325 kPa) is not a cubic metre at metering conditions: give the amount in Nm3 (converted with the meter's temperature and pressure), or properties per m3
"#);
}

#[test]
fn every_shipped_ncv_and_density_parses() {
    for d in pcf::dataset::Dataset::all_shipped().unwrap() {
        for f in &d.file.factors {
            for text in [&f.ncv, &f.density].into_iter().flatten() {
                let r: pcf::units::Ratio =
                    text.parse().unwrap_or_else(|e| panic!("{} {}: {e}", d.id(), f.id));
                assert!(r.value > 0.0);
            }
        }
    }
}

#[test]
fn docs_inventory_lists_every_unit() {
    let docs = std::fs::read_to_string(crate::util::root().join("docs/inventory.md")).unwrap();
    for symbol in pcf::units::Unit::symbols() {
        assert!(
            docs.contains(&format!("`{symbol}`")),
            "docs/inventory.md does not list `{symbol}`"
        );
    }
}

#[test]
fn calorific_values_and_densities_round_trip_through_the_spreadsheet_layout() {
    // The diesel and the gas of the tests above, on one process: exported as CSV (the Energy
    // sheet carries `net calorific value` and `density`), imported back, then read directly
    // as a CSV folder; every route is the same document and the same footprint.
    let (dir, path) = inventory(
        r#"
[[processes.inputs]]
kind = "fuel"
name = "Diesel, forklifts"
factor = "dataset:ipcc-2006-stationary-combustion@gas-diesel-oil"
amount = 2000
unit = "litres"
density = "0.84 kg/l"

[[processes.inputs]]
kind = "fuel"
name = "Natural gas, melting furnace"
factor = "dataset:ipcc-2006-stationary-combustion@natural-gas-manufacturing"
amount = 120000
unit = "Nm3"
ncv = "389.31 GJ/万Nm3"
"#,
    );
    let d = dir.path();
    let out = pcf(d, &["export", "inventory.toml", "--out", "bom"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let energy = std::fs::read_to_string(d.join("bom/energy.csv")).unwrap();
    assert!(energy.contains("389.31 GJ/万Nm3") && energy.contains("0.84 kg/l"), "{energy}");
    let out = pcf(d, &["import", "bom", "--out", "again.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = Inventory::load(&path).unwrap();
    let b = Inventory::load(&d.join("again.toml")).unwrap();
    let c = pcf::spreadsheet::load(&d.join("bom")).unwrap();
    assert_eq!((a.digest, a.digest), (b.digest, c.digest));
    let (fa, fb) = (run(&path).unwrap(), run(&d.join("again.toml")).unwrap());
    assert_eq!(fa.products[0].totals, fb.products[0].totals);
    assert_eq!(fa.conversions.len(), 2);
    assert_eq!(fa.conversions, fb.conversions);
    let footprint = stdout(&pcf(d, &["footprint", "bom"]));
    assert!(footprint.contains(" Nm3 of Natural gas, melting furnace = "), "{footprint}");
}
