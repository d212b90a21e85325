#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Tests: the factor libraries of what exporters buy (issue 15 §8). Each shipped dataset is
//! compared with the official source file it was derived from in `../shared/data`
//! (`$PCF_SHARED_DATA`): the UK DESNZ 2024 workbook (every factor, by the cell its `source`
//! names, and spot values found by their labels), the US EPA supply-chain CSV (every row, with
//! and without margins) and the China electricity table (spot values, the 2024 national 0.5777
//! among them, and the rule that CO2 and life-cycle factors are never mixed). An inventory
//! using a factor of each library gives a footprint derived by hand; `pcf dataset search`
//! prints a table (snapshot) and JSON; the money unit of spend-based factors refuses mass.

use std::collections::BTreeMap;

use calamine::{Data, Range, Reader, Xlsx, open_workbook};
use serde::Deserialize;

use pcf::dataset::{Dataset, FactorKind};
use pcf::engine;
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::util::{self, pcf, shared_data, stderr, stdout};

const DESNZ_XLSX: &str = "emission-factors/uk-desnz-ghg-conversion-factors-2024/\
                          ghg-conversion-factors-2024-full_set__for_advanced_users__v1_1.xlsx";
const EPA_CSV: &str = "emission-factors/us-epa-supply-chain-ghg-v1.3.0/\
                       SupplyChainGHGEmissionFactors_v1.3.0_NAICS_CO2e_USD2022.csv";
const CN_CSV: &str = "china-electricity/cn_electricity_factors_2021_2024.csv";

fn co2e(d: &Dataset, id: &str) -> f64 {
    let f = d.factor(id).unwrap_or_else(|| panic!("{} has no factor {id}", d.id()));
    f.co2e.unwrap_or_else(|| panic!("{id} has no co2e"))
}

/// A cell reference `D67` as (row, column), 0-based.
fn cell_position(reference: &str) -> (u32, u32) {
    let letters: String = reference.chars().take_while(char::is_ascii_uppercase).collect();
    let row: u32 = reference[letters.len()..].parse().unwrap();
    let col = letters.bytes().fold(0u32, |c, b| c * 26 + u32::from(b - b'A' + 1));
    (row - 1, col - 1)
}

fn number(range: &Range<Data>, at: (u32, u32)) -> Option<f64> {
    match range.get_value(at)? {
        Data::Float(x) => Some(*x),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

fn text(range: &Range<Data>, at: (u32, u32)) -> String {
    match range.get_value(at) {
        Some(Data::String(s)) => s.trim().to_string(),
        _ => String::new(),
    }
}

/// The row of `sheet` whose column `col` reads `label` (after `after`, 0-based).
fn row_of(range: &Range<Data>, col: u32, label: &str, after: u32) -> u32 {
    let (end, _) = range.end().unwrap();
    (after..=end)
        .find(|&r| text(range, (r, col)) == label)
        .unwrap_or_else(|| panic!("no row with {label:?} in column {col}"))
}

#[test]
fn desnz_factors_are_the_official_workbook_cells() {
    let Some(path) = shared_data(DESNZ_XLSX) else { return };
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let ds = Dataset::shipped("uk-desnz-2024").unwrap();
    assert_eq!(ds.file.dataset.gwp.as_deref(), Some("AR5"));
    assert!(ds.file.dataset.licence.contains("Open Government Licence v3.0"));
    assert!(ds.file.dataset.licence.contains("Crown copyright"));

    // Every factor equals the cell its source names, and the cell's column is a total.
    let mut sheets: BTreeMap<String, Range<Data>> = BTreeMap::new();
    let cell = regex_lite(r"sheet '", "', cell ");
    for f in &ds.file.factors {
        let source = f.source.as_deref().unwrap();
        let (sheet, reference) = cell(source);
        let range =
            sheets.entry(sheet.clone()).or_insert_with(|| wb.worksheet_range(&sheet).unwrap());
        let at = cell_position(&reference);
        assert_eq!(number(range, at), f.co2e, "{} ({source})", f.id);
    }
    assert_eq!(ds.file.factors.len(), 689);

    // Spot values found by their labels, not through the script's cell references.
    let material = wb.worksheet_range("Material use").unwrap();
    let r = row_of(&material, 1, "Metal: steel cans", 0);
    assert_eq!(number(&material, (r, 3)), Some(2854.91851)); // D: primary material production
    assert_eq!(number(&material, (r, 6)), Some(1726.72731)); // G: closed-loop source
    assert_eq!(co2e(&ds, "material-metal-steel-cans-primary-material-production"), 2854.91851);
    assert_eq!(co2e(&ds, "material-metal-steel-cans-closed-loop-source"), 1726.72731);
    let r = row_of(&material, 1, "Plastics: PET (incl. forming)", 0);
    assert_eq!(number(&material, (r, 3)), Some(3854.91851));
    assert_eq!(
        co2e(&ds, "material-plastics-pet-incl-forming-primary-material-production"),
        3854.91851
    );
    let r = row_of(&material, 1, "Paper and board: board", 0);
    assert_eq!(number(&material, (r, 3)), Some(1193.96586));
    assert_eq!(co2e(&ds, "material-paper-and-board-board-primary-material-production"), 1193.96586);

    let waste = wb.worksheet_range("Waste disposal").unwrap();
    let r = row_of(&waste, 1, "Plastics: average plastics", 0);
    assert_eq!(number(&waste, (r, 8)), Some(8.88386)); // I: landfill
    assert_eq!(co2e(&ds, "waste-plastics-average-plastics-landfill"), 8.88386);

    let freight = wb.worksheet_range("Freighting goods").unwrap();
    let hgv = row_of(&freight, 0, "HGV (all diesel)", 0);
    let r = row_of(&freight, 1, "All HGVs", hgv);
    assert_eq!(text(&freight, (r, 2)), "tonne.km");
    assert_eq!(number(&freight, (r, 15)), Some(0.09752)); // P: average laden
    assert_eq!(co2e(&ds, "freight-hgv-all-diesel-all-hgvs-average-laden"), 0.09752);
    let r = row_of(&freight, 1, "Freight train", 0);
    assert_eq!(number(&freight, (r, 3)), Some(0.02779));
    assert_eq!(co2e(&ds, "freight-rail-freight-train"), 0.02779);
    let r = row_of(&freight, 1, "Long-haul, to/from UK", 0);
    assert_eq!(number(&freight, (r, 3)), Some(1.09904)); // with RF
    assert_eq!(number(&freight, (r, 7)), Some(0.64875)); // without RF
    assert_eq!(co2e(&ds, "freight-flights-long-haul-to-from-uk-with-rf"), 1.09904);
    assert_eq!(co2e(&ds, "freight-flights-long-haul-to-from-uk-without-rf"), 0.64875);
    let ships = row_of(&freight, 1, "Container ship", 0);
    let r = row_of(&freight, 2, "Average", ships);
    assert_eq!(number(&freight, (r, 4)), Some(0.01612));
    assert_eq!(co2e(&ds, "freight-cargo-ship-container-ship-average"), 0.01612);

    let fuels = wb.worksheet_range("Fuels").unwrap();
    let gas = row_of(&fuels, 1, "Natural gas", 0);
    let r = row_of(&fuels, 2, "kWh (Gross CV)", gas);
    assert_eq!(number(&fuels, (r, 3)), Some(0.1829));
    assert_eq!(co2e(&ds, "fuel-natural-gas-kwh-gross-cv"), 0.1829);
    assert_eq!(ds.factor("fuel-natural-gas-kwh-gross-cv").unwrap().per, "kWh");
    assert_eq!(ds.factor("fuel-natural-gas-m3").unwrap().per, "m3");
}

/// A two-marker extractor: the text between `a` and `b`, and the word after `b`.
fn regex_lite(a: &'static str, b: &'static str) -> impl Fn(&str) -> (String, String) {
    move |s: &str| {
        let start = s.find(a).unwrap_or_else(|| panic!("{s}")) + a.len();
        let mid = start + s[start..].find(b).unwrap();
        let rest = &s[mid + b.len()..];
        let end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        (s[start..mid].to_string(), rest[..end].to_string())
    }
}

#[test]
fn epa_factors_are_the_csv_with_and_without_margins() {
    let Some(path) = shared_data(EPA_CSV) else { return };
    let ds = Dataset::shipped("us-epa-supply-chain-2022").unwrap();
    assert_eq!(ds.file.dataset.basis, Some(pcf::dataset::Basis::Spend));
    assert!(ds.file.dataset.title.contains("spend-based, secondary"));
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let mut rows = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let (code, without, with) = (&row[0], &row[4], &row[6]);
        assert_eq!(&row[3], "kg CO2e/2022 USD, purchaser price");
        assert_eq!(co2e(&ds, code), with.parse::<f64>().unwrap(), "{code}");
        let w = format!("{code}-without-margins");
        assert_eq!(co2e(&ds, &w), without.parse::<f64>().unwrap(), "{code}");
        assert_eq!(ds.factor(code).unwrap().per, "USD");
        rows += 1;
    }
    assert_eq!(rows, 1016);
    assert_eq!(ds.file.factors.len(), 2 * 1016);
    // Spot values as read in the file.
    assert_eq!(co2e(&ds, "331110"), 0.787);
    assert_eq!(co2e(&ds, "331110-without-margins"), 0.769);
    assert_eq!(co2e(&ds, "322211"), 0.479);
    assert_eq!(co2e(&ds, "111110"), 0.532);
}

#[derive(Debug, Deserialize)]
struct CnRow {
    data_year: String,
    factor_kind: String,
    scope: String,
    region_or_type_en: String,
    value_kg_per_kwh: f64,
    cross_check: String,
}

/// The value of the China table's row (year, kind, scope, English name).
fn cn_value(rows: &[CnRow], year: &str, kind: &str, scope: &str, en: &str) -> (f64, bool) {
    let hits: Vec<&CnRow> = rows
        .iter()
        .filter(|r| {
            r.data_year == year
                && r.factor_kind == kind
                && r.scope == scope
                && r.region_or_type_en == en
        })
        .collect();
    assert_eq!(hits.len(), 1, "{year} {kind} {scope} {en}");
    (hits[0].value_kg_per_kwh, !hits[0].cross_check.is_empty())
}

#[test]
fn china_factors_match_the_table_and_keep_co2_and_life_cycle_apart() {
    let Some(path) = shared_data(CN_CSV) else { return };
    let rows: Vec<CnRow> =
        csv::Reader::from_path(&path).unwrap().deserialize().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 141);
    let grid = Dataset::shipped("cn-grid").unwrap();
    assert_eq!(grid.version(), "2026.3");
    assert_eq!(grid.file.factors.len(), 141);
    let co2 = |id: &str| grid.factor(id).unwrap().gases["co2-fossil"];
    let grid_avg = "CO2 emission factor, grid average";
    let fp = "carbon_footprint_factor (life-cycle)";
    // (factor id, table value, checked against an annex PDF)
    let cases = [
        (
            "2024-footprint",
            cn_value(&rows, "2024", fp, "national", "China (national)"),
            co2e(&grid, "2024-footprint"),
        ),
        (
            "2024-footprint-coal",
            cn_value(&rows, "2024", fp, "generation_type", "coal-fired"),
            co2e(&grid, "2024-footprint-coal"),
        ),
        (
            "2023-footprint-coal",
            cn_value(&rows, "2023", fp, "generation_type", "coal-fired"),
            co2e(&grid, "2023-footprint-coal"),
        ),
        (
            "2023-jiangsu",
            cn_value(&rows, "2023", grid_avg, "provincial", "Jiangsu"),
            co2("2023-jiangsu"),
        ),
        (
            "2022-guangdong",
            cn_value(&rows, "2022", grid_avg, "provincial", "Guangdong"),
            co2("2022-guangdong"),
        ),
        (
            "2021-jiangsu",
            cn_value(&rows, "2021", grid_avg, "provincial", "Jiangsu"),
            co2("2021-jiangsu"),
        ),
        (
            "2021-north",
            cn_value(&rows, "2021", grid_avg, "regional_grid", "North China"),
            co2("2021-north"),
        ),
        ("2023", cn_value(&rows, "2023", grid_avg, "national", "China (national)"), co2("2023")),
    ];
    for (id, (table, _), shipped) in cases {
        assert_eq!(shipped, table, "{id}");
    }
    assert_eq!(co2e(&grid, "2024-footprint"), 0.5777);
    assert_eq!(co2("2023-jiangsu"), 0.5827);
    // What rests on CPCD alone says so; what was checked says against which annex.
    for (id, (_, checked), _) in cases {
        let source = grid.factor(id).unwrap().source.clone().unwrap();
        let says_checked = source.contains("checked against the annex PDF");
        let says_cpcd = source.contains("as transcribed in CPCD; the annex was not available");
        if checked {
            assert!(says_checked && !says_cpcd, "{id}: {source}");
        } else if id != "2023" {
            assert!(says_cpcd, "{id}: {source}");
        }
    }
    // CO2 and life-cycle factors never mix: kind, id and unit of value tell them apart.
    for f in &grid.file.factors {
        let life_cycle = f.kind == Some(FactorKind::LifeCycle);
        assert_eq!(life_cycle, f.id.contains("footprint"), "{}", f.id);
        assert_eq!(life_cycle, f.co2e.is_some(), "{}", f.id);
        assert_eq!(!life_cycle, f.gases.contains_key("co2-fossil"), "{}", f.id);
        assert!(f.kind.is_some(), "{}", f.id);
    }
}

#[test]
fn a_new_cn_grid_version_changes_no_value_of_the_archived_ones() {
    let live = Dataset::shipped("cn-grid").unwrap();
    let archived: Vec<Dataset> = Dataset::all_archived()
        .unwrap()
        .into_iter()
        .filter(|(_, d)| d.id() == "cn-grid")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(archived.len(), 2);
    for old in archived {
        for f in &old.file.factors {
            let now = live.factor(&f.id).unwrap_or_else(|| panic!("{} dropped", f.id));
            assert_eq!((&now.gases, now.co2e, &now.per), (&f.gases, f.co2e, &f.per), "{}", f.id);
            if f.kind.is_some() {
                assert_eq!(now.kind, f.kind, "{}", f.id);
            }
        }
    }
}

/// One kilogram-declared product bought and made with a factor of each new library.
const INVENTORY: &str = r#"
[[products]]
id = "housing"
name = "Die-cast housing"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0

[[processes]]
id = "casting"
name = "Die casting"
outputs = [{ product = "housing", amount = 1000, unit = "kg" }]

[[processes.inputs]]
kind = "database"
name = "Aluminium, primary (DESNZ material use)"
factor = "dataset:uk-desnz-2024@material-metal-aluminium-cans-and-foil-excl-forming-primary-material-production"
amount = 1.2
unit = "t"

[[processes.inputs]]
kind = "database"
name = "Road freight of the aluminium, 12 t over 500 km"
factor = "dataset:uk-desnz-2024@freight-hgv-all-diesel-all-hgvs-average-laden"
amount = 6000
unit = "tkm"
stage = "upstream-transport"

[[processes.inputs]]
kind = "database"
name = "Cartons, bought for 2,000 USD (2022 prices)"
factor = "dataset:us-epa-supply-chain-2022@322211"
amount = 2000
unit = "USD"

[[processes.inputs]]
kind = "electricity"
name = "Electricity, Jiangsu"
factor = "dataset:cn-grid@2024-footprint"
amount = 50
unit = "MWh"
"#;

fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn an_inventory_with_a_factor_of_each_library_gives_the_hand_computed_footprint() {
    // By hand, kg CO2e: 1.2 t x 9106.91851 = 10928.302212; 6000 tkm x 0.09752 = 585.12;
    // 2000 USD x 0.479 = 958; 50 000 kWh x 0.5777 = 28885. Sum 41356.422212 for 1000 kg.
    let expected: f64 =
        (1.2 * 9106.91851 + 6000.0 * 0.09752 + 2000.0 * 0.479 + 50_000.0 * 0.5777) / 1000.0;
    assert!((expected - 41.356422212).abs() < 1e-9);
    let (_dir, path) = write(INVENTORY);
    let inv = Inventory::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let m = Methodology::shipped("pact-3.0").unwrap();
    let result = engine::footprint(&inv, &m).unwrap_or_else(|e| panic!("{e}"));
    let housing = result.products.iter().find(|p| p.product == "housing").unwrap();
    let got = housing.totals.excluding_uptake;
    assert!((got - expected).abs() / expected < 1e-12, "expected {expected}, got {got}");

    // The expanded factors carry each library's source, licence and pin.
    let (inv, used) = pcf::dataset::load_inventory(&path).unwrap();
    let ids: Vec<&str> = used.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["cn-grid", "uk-desnz-2024", "us-epa-supply-chain-2022"]);
    let spend = inv.factors.iter().find(|f| f.id == "dataset.us-epa-supply-chain-2022.322211");
    let spend = spend.unwrap();
    assert!(spend.name.contains("spend-based"), "{}", spend.name);
    assert!(spend.licence.contains("public domain"));
    let desnz = inv.factors.iter().find(|f| f.id.starts_with("dataset.uk-desnz-2024.material"));
    assert!(desnz.unwrap().licence.contains("Open Government Licence v3.0"));
}

#[test]
fn a_provincial_grid_factor_is_usable_by_reference() {
    let text = INVENTORY.replace("cn-grid@2024-footprint", "cn-grid@2023-jiangsu");
    let (_dir, path) = write(&text);
    let (inv, _) = pcf::dataset::load_inventory(&path).unwrap();
    let f = inv.factors.iter().find(|f| f.id == "dataset.cn-grid.2023-jiangsu").unwrap();
    assert_eq!(f.kind, Some(FactorKind::CombustionCo2));
    assert!(f.dataset.as_deref().unwrap().starts_with("cn-grid 2026.3 sha256:"));
}

#[test]
fn money_refuses_to_convert_to_mass() {
    let text = INVENTORY.replace("amount = 2000\nunit = \"USD\"", "amount = 2000\nunit = \"kg\"");
    let (dir, _path) = write(&text);
    let out = pcf(dir.path(), &["check", "inventory.toml"]);
    assert!(!out.status.success());
    insta::assert_snapshot!(stderr(&out), @r#"
error: inventory.toml:33:8: at /processes/0/inputs/2/unit: cannot convert kg (mass) to USD (money), the unit of the factor of "Cartons, bought for 2,000 USD (2022 prices)"
  help: a spend-based factor takes the amount spent: give it in USD, at the factor's price year
"#);
    let usd: pcf::units::Unit = "USD".parse().unwrap();
    let kg: pcf::units::Unit = "kg".parse().unwrap();
    assert_eq!(
        usd.factor_to(kg).unwrap_err().to_string(),
        "cannot convert USD (money) to kg (mass)"
    );
}

#[test]
fn search_prints_a_table_with_sources_and_marks_spend_based_factors() {
    let out = pcf(&util::root(), &["dataset", "search", "steel", "cans"]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("search_steel_cans", stdout(&out));

    let out = pcf(
        &util::root(),
        &["dataset", "search", "iron", "steel", "--dataset", "us-epa-supply-chain-2022"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("search_epa_iron_steel", stdout(&out));

    let out = pcf(&util::root(), &["dataset", "search", "jiangsu"]);
    insta::assert_snapshot!("search_jiangsu", stdout(&out));

    let out = pcf(&util::root(), &["dataset", "search", "unobtainium"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    insta::assert_snapshot!(stderr(&out), @r#"no factor matches "unobtainium" in gwp-ar4, gwp-ar5, gwp-ar6, cn-grid, ipcc-2006-stationary-combustion, eu-cbam-default-values, uk-desnz-2024, us-epa-supply-chain-2022"#);
}

/// One hit of `pcf dataset search --json`, strictly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // read through Debug and the assertions below
struct Hit {
    reference: String,
    dataset: String,
    version: String,
    factor: String,
    name: String,
    category: Option<String>,
    co2e: Option<f64>,
    #[serde(default)]
    gases: BTreeMap<String, f64>,
    per: String,
    kind: Option<String>,
    basis: Option<String>,
    source: String,
    licence: String,
}

#[test]
fn search_json_names_reference_value_source_licence_and_basis() {
    let out = pcf(&util::root(), &["dataset", "search", "331110", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hits: Vec<Hit> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(hits[0].reference, "dataset:us-epa-supply-chain-2022@331110");
    assert_eq!(hits[0].co2e, Some(0.787));
    assert_eq!(hits[0].per, "USD");
    assert_eq!(hits[0].basis.as_deref(), Some("spend"));
    assert!(hits[0].licence.contains("public domain"));
    assert_eq!(hits[1].factor, "331110-without-margins");

    let out = pcf(&util::root(), &["dataset", "search", "2024", "footprint", "national", "--json"]);
    let hits: Vec<Hit> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].reference, "dataset:cn-grid@2024-footprint");
    assert_eq!((hits[0].co2e, hits[0].kind.as_deref()), (Some(0.5777), Some("life-cycle")));

    let out = pcf(&util::root(), &["dataset", "search", "steel", "--dataset", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn the_readme_lists_every_shipped_dataset_with_source_and_licence() {
    let readme = std::fs::read_to_string(util::root().join("datasets/README.md")).unwrap();
    for d in Dataset::all_shipped().unwrap() {
        assert!(readme.contains(&format!("`{}.toml`", d.id())), "{}", d.id());
    }
    let words = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains(
        "Contains public sector information licensed under the Open Government Licence v3.0"
    ));
}
