//! Exporters' own data in (issue 15 §1-2): `pcf init` templates are valid as written; a bill of
//! materials in a workbook or CSV folder becomes an inventory with `pcf import`, and an
//! inventory goes back with `pcf export` with the same footprint; the die-cast housing example
//! is imported, computed, declared and verified, its figure checked against a hand
//! calculation; errors name the file, sheet and cell.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use pcf::engine;
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;
use pcf::spreadsheet;

use crate::util::{copy_dir, pcf, root, stderr, stdout};

/// Runs `pcf` in `dir`; its stdout, or a failed test with its stderr.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = pcf(dir, args);
    assert!(out.status.success(), "pcf {args:?}:\n{}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

/// Runs `pcf` in `dir` expecting failure; its stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = pcf(dir, args);
    assert!(!out.status.success(), "pcf {args:?} succeeded:\n{}", stdout(&out));
    stderr(&out)
}

/// Every product's total (excluding uptake) under `methodology`, by id.
fn totals(path: &Path, methodology: &str) -> Vec<(String, f64)> {
    let inv = Inventory::load(path).unwrap();
    let m = Methodology::resolve(methodology).unwrap();
    let f = engine::footprint(&inv, &m).unwrap();
    f.products.iter().map(|p| (p.product.clone(), p.totals.excluding_uptake)).collect()
}

fn assert_same_totals(a: &[(String, f64)], b: &[(String, f64)]) {
    assert_eq!(a.len(), b.len());
    for ((pa, ta), (pb, tb)) in a.iter().zip(b) {
        assert_eq!(pa, pb);
        assert!((ta - tb).abs() <= 1e-12 * ta.abs().max(1.0), "{pa}: {ta} vs {tb}");
    }
}

#[test]
fn every_template_is_valid_as_written_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    for t in pcf::template::TEMPLATES {
        let file = format!("{}.toml", t.name);
        ok(dir.path(), &["init", &file, "--template", t.name]);
        assert_eq!(fs::read_to_string(dir.path().join(&file)).unwrap(), t.text);
        ok(dir.path(), &["check", &file, "-m", t.methodology]);
        let out = ok(dir.path(), &["footprint", &file, "-m", t.methodology]);
        assert!(out.contains("kg CO2e"), "{out}");
        // Declarable as written: every field PACT requires is there.
        let doc: toml::Table = toml::from_str(t.text).unwrap();
        let product = doc["products"][0]["id"].as_str().unwrap();
        if !dir.path().join("issuer.key").exists() {
            ok(dir.path(), &["keygen", "--out", "issuer.key"]);
        }
        let declaration = format!("{}.json", t.name);
        let m = t.methodology;
        let key = "issuer.key";
        ok(
            dir.path(),
            &["declare", &file, "--product", product, "-m", m, "--key", key, "--out", &declaration],
        );
        // A second run leaves the edited file alone.
        fs::write(dir.path().join(&file), "# mine\n").unwrap();
        let err = fails(dir.path(), &["init", &file, "--template", t.name]);
        assert!(err.contains("already exists"), "{err}");
        assert_eq!(fs::read_to_string(dir.path().join(&file)).unwrap(), "# mine\n");
        // The same template as a workbook imports to the same footprint.
        let book = format!("{}.xlsx", t.name);
        ok(dir.path(), &["init", "--template", t.name, "--spreadsheet", &book]);
        let imported = format!("{}-imported.toml", t.name);
        ok(dir.path(), &["import", &book, "--out", &imported]);
        let reference = dir.path().join(format!("{}-ref.toml", t.name));
        fs::write(&reference, t.text).unwrap();
        assert_same_totals(
            &totals(&reference, t.methodology),
            &totals(&dir.path().join(&imported), t.methodology),
        );
    }
    // The default is the manufactured part, written as inventory.toml.
    ok(dir.path(), &["init"]);
    ok(dir.path(), &["footprint", "inventory.toml"]);
}

#[test]
fn an_empty_workbook_has_every_sheet_and_header() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init", "--spreadsheet", "bom.xlsx"]);
    let imported = spreadsheet::import(&dir.path().join("bom.xlsx")).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    assert_eq!(imported.document, serde_json::json!({"products": [], "processes": []}));
    let err = fails(dir.path(), &["init", "--spreadsheet", "bom.xlsx"]);
    assert!(err.contains("already exists"), "{err}");
}

/// Inventories go to a workbook and a CSV folder and back with the same footprints.
#[test]
fn round_trip_keeps_the_footprint() {
    for (example, methodology) in [
        ("steel-bracket", "pact-3.0"),
        ("steel-bracket-cbam", "eu-cbam-2026"),
        ("soybean-crushing", "iso-14067-2018"),
        ("park-utilities", "pact-3.0"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root().join("examples").join(example), dir.path());
        let before = totals(&dir.path().join("inventory.toml"), methodology);
        ok(dir.path(), &["export", "inventory.toml", "--out", "bom.xlsx"]);
        ok(dir.path(), &["import", "bom.xlsx", "--out", "from-xlsx.toml"]);
        assert_same_totals(&before, &totals(&dir.path().join("from-xlsx.toml"), methodology));
        ok(dir.path(), &["export", "inventory.toml", "--out", "bom"]);
        ok(dir.path(), &["import", "bom", "--out", "from-csv.toml"]);
        assert_same_totals(&before, &totals(&dir.path().join("from-csv.toml"), methodology));
        // Exported again, the imported inventory gives the same workbook content.
        let a = spreadsheet::import(&dir.path().join("bom.xlsx")).unwrap().document;
        let b = spreadsheet::import(&dir.path().join("bom")).unwrap().document;
        assert_eq!(a, b, "{example}");
    }
}

/// The die-cast housing: a bill of materials from a Jiangsu die-casting plant, imported,
/// computed, declared and verified, its footprint worked out by hand.
#[test]
fn die_cast_housing_from_the_spreadsheet_to_a_verified_declaration() {
    let example = root().join("examples/die-cast-housing");
    let dir = tempfile::tempdir().unwrap();
    fs::copy(example.join("bom.xlsx"), dir.path().join("bom.xlsx")).unwrap();
    copy_dir(&example.join("bom"), &dir.path().join("bom"));
    ok(dir.path(), &["import", "bom.xlsx"]);
    ok(dir.path(), &["import", "bom", "--out", "from-csv.toml"]);
    // The workbook is the CSV folder, cell for cell.
    assert_eq!(
        spreadsheet::import(&dir.path().join("bom.xlsx")).unwrap().document,
        spreadsheet::import(&dir.path().join("bom")).unwrap().document
    );

    // By hand, kg CO2e over 2025 (pact-3.0: AR6 GWPs, fossil CH4 29.8, N2O 273, HFC-134a 1530).
    // Casting: 660 t of raw castings from
    let ingot: f64 = 690_000.0 * 2.9; //                       ADC12 ingot, 690 t x 2.9 kg CO2e/kg
    let gas = 2.1 * (56_100.0 + 1.0 * 29.8 + 0.1 * 273.0); // natural gas, 2.1 TJ x IPCC 2006
    let power_casting = 1_450_000.0 * 0.5617; //           1,450 MWh x East China grid 2022
    let casting = ingot + gas + power_casting;
    // Machining: all 660 t of castings, power, cardboard boxes, a chiller's HFC-134a leak,
    let power_machining = 380_000.0 * 0.5617;
    let boxes = 25_000.0 * 0.95;
    let hfc = 6.0 * 1530.0;
    let machining = casting + power_machining + boxes + hfc;
    // shared by mass (the process states `allocation = "mass"`) between 500,000 housings of
    // 1.2 kg (600 t) and 60 t of swarf sold for remelting: 600/660 to the housings.
    let housing = machining * (600.0 / 660.0) / 500_000.0;
    assert!((housing - 5.781_401_654_545).abs() < 1e-9, "{housing}");

    for file in ["bom.toml", "from-csv.toml"] {
        let t = totals(&dir.path().join(file), "pact-3.0");
        let got = t.iter().find(|(p, _)| p == "housing").unwrap().1;
        assert!((got - housing).abs() <= 1e-9 * housing, "{file}: {got} vs {housing}");
    }

    ok(dir.path(), &["keygen", "--out", "issuer.key"]);
    let did = ok(dir.path(), &["did", "issuer.key"]).trim().to_string();
    let args = ["declare", "bom.toml", "--product", "housing", "--key", "issuer.key"];
    ok(dir.path(), &[&args[..], &["--out", "housing.json", "--register", "reg"]].concat());
    ok(dir.path(), &["bundle", "housing.json", "--inventory", "bom.toml", "--register", "reg"]);
    let verified = ok(dir.path(), &["verify", "housing.bundle.json", "--trust", &did]);
    assert!(verified.contains("VALID"), "{verified}");
    let declaration: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("housing.json")).unwrap()).unwrap();
    let pf = &declaration["credentialSubject"]["productFootprint"];
    let declared: f64 = pf["pcf"]["pcfExcludingBiogenicUptake"].as_str().unwrap().parse().unwrap();
    assert!((declared - housing).abs() < 0.005, "{declared} vs {housing}");
}

/// A CSV folder `bom/` in a new temporary directory, from the die-cast housing's, with
/// `edit` applied to the named file's text.
fn csv_bom(file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples/die-cast-housing/bom"), &dir.path().join("bom"));
    let path = dir.path().join("bom").join(file);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, edit(text)).unwrap();
    dir
}

fn import_error(dir: &Path, source: &str) -> String {
    let err = fails(dir, &["import", source, "--out", "out.toml"]);
    assert!(!dir.join("out.toml").exists());
    err.trim_end().to_string()
}

#[test]
fn errors_name_the_cell_in_csv_folders() {
    let dir = csv_bom("inputs.csv", |t| t.replace("690,t", "690 kg,t"));
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom/inputs.csv!C2: "690 kg" is not a number (amount)
  help: write a number such as 640 with a decimal point and no unit (the unit has its own column)
"#);
    // The unit and dataset lists belong to other modules: only the place and the problem.
    let dir = csv_bom("inputs.csv", |t| t.replace("690,t", "690,tonns"));
    let err = import_error(dir.path(), "bom");
    assert!(err.contains("\n  bom/inputs.csv!D2: unknown unit \"tonns\""), "{err}");
    let dir = csv_bom("energy.csv", |t| t.replace("casting,fuel", "casting,gas"));
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom/energy.csv!B2: "gas" is not a value of column "kind"
  help: write one of: fuel, electricity, heat
"#);
    let dir = csv_bom("energy.csv", |t| t.replace("machining,electricity", "machning,electricity"));
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom/energy.csv!A4: no process "machning" on sheet Processes
  help: use the id of a process on sheet Processes: "casting", "machining"
"#);
    let dir = csv_bom("inputs.csv", |t| t.replace("unit,product", "units,product"));
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom/inputs.csv!D1: unknown column "units" on sheet Inputs
  help: did you mean "unit"? the columns of Inputs are: "process", "material", "amount", "unit", "product (made here)", "supplier declaration", "factor", "cbam precursor cn", "communication", "see direct", "see indirect", "see route", "see default value %", "see source", "default value country", "default value version", "density", "stage", "cbam precursor", "excluded because", "data source", "dqr technological", "dqr temporal", "dqr geographical" (a column headed "note..." is ignored)
"#);
    let dir = csv_bom("inputs.csv", |t| t.replace(",,,adc12-ingot", ",casting,,adc12-ingot"));
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom/inputs.csv!A2: the input names more than one of product, supplier declaration, factor and precursor CN code
  help: fill exactly one: "product (made here)" for a product of another process here, "supplier declaration" for a purchase with the supplier's declaration, "factor" for a purchase with an emission factor, "cbam precursor cn" for an EU CBAM precursor
"#);
    let dir = csv_bom("inputs.csv", |t| t.replace("machining,Raw", ",Raw"));
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom/inputs.csv!A3: no value in column "process", which every row needs
  help: id of the process (sheet Processes) this row belongs to, on every row (a merged cell is read as blank except in its first row: write the value on every row)
"#);
    let dir = csv_bom("processes.csv", |t| t.replace(",1,1,1\nmachining", ",1,1,7\nmachining"));
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom/processes.csv!H2: 7 is not a rating (dqr geographical)
  help: rate from 1 (best) to 5 (worst), a whole number
"#);
    let dir = csv_bom("energy.csv", |t| t.replace("cn-grid@2022-east,2", "cn-grid@2019,2"));
    let err = import_error(dir.path(), "bom");
    let located =
        "\n  bom/energy.csv!F3: dataset cn-grid 2026.3 has no factor \"2019\"; did you mean";
    assert!(err.contains(located), "{err}");
    let dir = csv_bom("outputs.csv", |t| t.replace("60,t", "60,kWh"));
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom: the inventory it describes is not valid (1 problem):
  bom/outputs.csv!D2: cannot convert kWh (energy) to kg (mass): product "casting" is measured in kg (mass) (give the amount in a unit of mass)
  help: correct the cell and import again (docs/spreadsheet.md describes the columns)
"#);
    let dir = csv_bom("products.csv", |_| String::new());
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom: the inventory it describes is not valid (1 problem):
  bom/outputs.csv!B2: unknown product "casting" (use one of the ids in `products` ())
  help: correct the cell and import again (docs/spreadsheet.md describes the columns)
"#);
    let dir = csv_bom("factors.csv", |t| t.replace(",2.9,", ",\"2,9\","));
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom/factors.csv!D2: "2,9" is not a number (a decimal comma?)
  help: write a number such as 3.1 with a decimal point and no unit (the unit has its own column)
"#);
    fs::remove_file(dir.path().join("bom/products.csv")).unwrap();
    insta::assert_snapshot!(import_error(dir.path(), "bom"), @r#"
error: bom: no sheet Products (the layout's sheets: Inventory, Products, Processes, Outputs, Inputs, Energy, Certificates, Emissions, Factors)
  help: add a sheet named Products with its header row; `pcf init --spreadsheet bom.xlsx` writes an empty workbook with every sheet
"#);
}

/// Cells as spreadsheet programs leave them: numbers typed as text, formulas with cached
/// values, merged cells, error values, dates.
#[test]
fn workbook_cells_as_people_leave_them() {
    use rust_xlsxwriter::{Formula, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let example = spreadsheet::import(&root().join("examples/die-cast-housing/bom")).unwrap();
    let base = spreadsheet::xlsx_bytes(&example.document).unwrap();
    fs::write(dir.path().join("base.xlsx"), &base).unwrap();

    // Rebuilds the workbook with `edit` applied to the Inputs sheet's cells.
    let book = |name: &str, edit: &dyn Fn(&mut rust_xlsxwriter::Worksheet)| {
        let csv = spreadsheet::csv_files(&example.document).unwrap();
        let mut wb = Workbook::new();
        for (file, bytes) in csv {
            let sheet_name = pcf::spreadsheet::layout::SHEETS
                .iter()
                .find(|s| pcf::spreadsheet::layout::csv_name(s) == file)
                .unwrap()
                .name;
            let ws = wb.add_worksheet();
            ws.set_name(sheet_name).unwrap();
            let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[..]);
            for (i, rec) in r.records().enumerate() {
                for (j, f) in rec.unwrap().iter().enumerate() {
                    match f.parse::<f64>() {
                        Ok(n) => ws.write_number(i as u32, j as u16, n).unwrap(),
                        Err(_) if f.is_empty() => ws,
                        Err(_) => ws.write_string(i as u32, j as u16, f).unwrap(),
                    };
                }
            }
            if sheet_name == "Inputs" {
                edit(ws);
            }
        }
        wb.save(dir.path().join(name)).unwrap();
    };
    // An amount typed as text, and a formula with its cached value: read as numbers.
    book("text.xlsx", &|ws| {
        ws.write_string(1, 2, "690").unwrap();
        ws.write_formula(3, 2, Formula::new("=20+5").set_result("25")).unwrap();
    });
    ok(dir.path(), &["import", "text.xlsx"]);
    let reference = totals(&dir.path().join("text.toml"), "pact-3.0");
    ok(dir.path(), &["import", "base.xlsx"]);
    assert_same_totals(&reference, &totals(&dir.path().join("base.toml"), "pact-3.0"));

    book("merged.xlsx", &|ws| {
        ws.merge_range(2, 0, 3, 0, "machining", &rust_xlsxwriter::Format::new()).unwrap();
    });
    insta::assert_snapshot!(import_error(dir.path(), "merged.xlsx"), @r#"
error: merged.xlsx!Inputs!A4: no value in column "process", which every row needs
  help: id of the process (sheet Processes) this row belongs to, on every row (a merged cell is read as blank except in its first row: write the value on every row)
"#);
    book("error.xlsx", &|ws| {
        ws.write_formula(1, 2, Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
    });
    insta::assert_snapshot!(import_error(dir.path(), "error.xlsx"), @r#"
error: error.xlsx!Inputs!C2: the cell holds the error #DIV/0! (from a formula)
  help: correct the formula, or type the value
"#);
    book("bool.xlsx", &|ws| {
        ws.write_boolean(1, 2, true).unwrap();
    });
    insta::assert_snapshot!(import_error(dir.path(), "bool.xlsx"), @r#"
error: bool.xlsx!Inputs!C2: true/false where a number is expected (amount)
  help: write a number such as 640 with a decimal point and no unit (the unit has its own column)
"#);
    book("stray.xlsx", &|ws| {
        ws.write_string(2, 40, "see note").unwrap();
    });
    insta::assert_snapshot!(import_error(dir.path(), "stray.xlsx"), @r#"
error: stray.xlsx!Inputs!AO3: a value in a column without a header
  help: give the column a header from the layout, or clear the cell
"#);
    fs::write(dir.path().join("not.xlsx"), b"id,name\n").unwrap();
    insta::assert_snapshot!(import_error(dir.path(), "not.xlsx"), @r#"
error: not.xlsx: not an .xlsx workbook: Zip error: invalid Zip archive: Could not find EOCD
  help: save the workbook as Excel Workbook (.xlsx); .xls, .ods and .csv files are not read (a folder of CSV files is, see docs/spreadsheet.md)
"#);
}

/// docs/inventory.md names every field of the inventory schema.
#[test]
fn the_inventory_reference_names_every_field() {
    fn properties(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::Object(p)) = m.get("properties") {
                    out.extend(p.keys().cloned());
                }
                m.values().for_each(|v| properties(v, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| properties(v, out)),
            _ => {}
        }
    }
    let docs = fs::read_to_string(root().join("docs/inventory.md")).unwrap();
    let mut fields = Vec::new();
    properties(&pcf::inventory::schema(), &mut fields);
    assert!(fields.len() > 50, "{fields:?}");
    for f in fields.iter().filter(|f| *f != "$schema") {
        let named = [
            format!("`{f}`"),
            format!(".{f}`"),
            format!("`{f}."),
            format!("[[{f}"),
            format!(".{f}]]"),
            format!("[{f}]"),
        ];
        assert!(named.iter().any(|n| docs.contains(n)), "docs/inventory.md does not name `{f}`");
    }
}

/// docs/spreadsheet.md names every sheet and column of the layout.
#[test]
fn the_spreadsheet_reference_names_every_column() {
    let docs = fs::read_to_string(root().join("docs/spreadsheet.md")).unwrap();
    for sheet in spreadsheet::layout::SHEETS {
        assert!(docs.contains(&format!("### {}", sheet.name)), "{}", sheet.name);
        for c in sheet.columns {
            assert!(docs.contains(&format!("`{}`", c.header)), "{}: {}", sheet.name, c.header);
        }
    }
}
