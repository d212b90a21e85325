#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Errors in an inventory point at the line (issue 15 §4): `file:line:column` from the TOML
//! text beside the JSON pointer, closed lists named instead of the validator's `oneOf` text, a
//! bad dataset reference located at the input that holds it.

use pcf::inventory::Inventory;

const HEAD: &str = r#"[[products]]
id = "housing"
name = "Die-cast housing"
declared_unit = "piece"
mass_per_declared_unit = 0.8

[[processes]]
id = "casting"
name = "Die casting"
outputs = [{ product = "housing", amount = 10000, unit = "piece" }]
"#;

fn error(inputs: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.toml");
    std::fs::write(&path, format!("{HEAD}{inputs}")).unwrap();
    let e = Inventory::load(&path).map(|_| ()).unwrap_err().to_string();
    e.replace(&path.display().to_string(), "inventory.toml")
}

#[test]
fn a_value_outside_a_closed_list_names_the_allowed_values_at_its_line() {
    insta::assert_snapshot!(error(r#"
[[processes.inputs]]
kind = "material"
name = "Aluminium alloy ingot ADC12"
factor = "alu"
amount = 8400
unit = "kg"
"#), @r#"
inventory.toml: does not match the inventory schema (1 problem):
  at /processes/0/inputs/0/kind (inventory.toml:13:8): "material" is not one of the allowed values (allowed: product, supplier, database, fuel, electricity, heat, precursor)
run `pcf schema inventory` to see the schema
"#);
    insta::assert_snapshot!(error(r#"
[[processes.inputs]]
kind = "electricity"
factor = "dataset:cn-grid@2024-footprint"
amount = 1200
unit = "MWh"
stage = "manufacturing"
"#), @r#"
inventory.toml: does not match the inventory schema (1 problem):
  at /processes/0/inputs/0/stage (inventory.toml:17:9): "manufacturing" is not one of the allowed values (allowed: raw-material-acquisition, production, upstream-transport, distribution, use, end-of-life)
run `pcf schema inventory` to see the schema
"#);
}

#[test]
fn a_bad_dataset_reference_is_located_at_the_input_that_holds_it() {
    insta::assert_snapshot!(error(r#"
[[processes.inputs]]
kind = "electricity"
factor = "dataset:cn-grid@2024-footprint"
amount = 1200
unit = "MWh"

[[processes.inputs]]
kind = "fuel"
factor = "dataset:ipcc-2006-stationary-combustion@natural-gas-manufacturng"
amount = 100
unit = "GJ"
"#), @r#"
inventory.toml:20:10: at /processes/0/inputs/1/factor: dataset ipcc-2006-stationary-combustion 1.1.0 has no factor "natural-gas-manufacturng"; did you mean "natural-gas-manufacturing"? (it has: natural-gas-manufacturing, natural-gas-energy, bituminous-coal-manufacturing, bituminous-coal-energy, anthracite-manufacturing, coke-oven-coke-manufacturing, gas-diesel-oil, residual-fuel-oil, lpg, petroleum-coke, wood; `pcf dataset show ipcc-2006-stationary-combustion` lists them, `pcf dataset search WORD` finds them)
  help: reference shipped datasets as dataset:ID@FACTOR (see `pcf dataset list`)
"#);
}

#[test]
fn a_wrong_unit_is_located_at_its_line() {
    insta::assert_snapshot!(error(r#"
[[processes.inputs]]
kind = "electricity"
factor = "dataset:cn-grid@2024-footprint"
amount = 1200
unit = "MWh"

[[processes.inputs]]
kind = "electricity"
factor = "dataset:cn-grid@2024-footprint"
amount = 3
unit = "kg"
"#), @r#"
inventory.toml:22:8: at /processes/0/inputs/1/unit: cannot convert kg (mass) to kWh (energy), the unit of the factor of "China national average electricity carbon footprint factor (life cycle), 2024"
  help: give the electricity in a unit of energy (kWh, MWh, 万kWh, 度), as the factor's kWh
"#);
}
