//! EU CBAM default values (datasets/eu-cbam-default-values.toml, Implementing Regulation (EU)
//! 2025/2621 Annex I as adopted): every shipped cell is the source CSV's (read here on its own,
//! from ../shared/data), the published 2026-2028 values are what lookups return, the mark-up
//! recomputed from the total agrees with each published figure but for the rows the source
//! itself compounds, every country table answers a lookup, the fallback to "Other countries and
//! territories" is applied and said, an inventory uses a default value as a factor, and the
//! superseded version 2026.1 still loads by ID@VERSION.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use pcf::dataset::{self, CbamTable, Dataset, Fallback};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::util;

const ID: &str = "eu-cbam-default-values";
const CSV: &str =
    "cbam/default-values-IR-2025-2621/cbam_default_values_DVs_as_adopted_v20260204.csv";

fn table() -> CbamTable {
    Dataset::shipped(ID).unwrap().file.cbam.unwrap()
}

/// A CSV row: country, sector, CN code, description, and the seven value cells.
type Row = (String, String, String, String, Vec<String>);

/// One CSV line. The description may be quoted (with `;` and doubled quotes inside); the other
/// fields never are.
fn split(line: &str) -> Row {
    let mut head = line.splitn(4, ';');
    let (country, sector, cn) = (head.next().unwrap(), head.next().unwrap(), head.next().unwrap());
    let rest = head.next().unwrap();
    let mut tail: Vec<&str> = rest.rsplitn(8, ';').collect();
    let description = tail.pop().unwrap();
    tail.reverse();
    let description = match description.strip_prefix('"').and_then(|d| d.strip_suffix('"')) {
        Some(d) => d.replace("\"\"", "\""),
        None => description.to_string(),
    };
    let cells = tail.iter().map(|c| c.to_string()).collect();
    (country.into(), sector.into(), cn.into(), description, cells)
}

/// The source rows, or `None` (test skipped) without the shared data.
fn source() -> Option<Vec<Row>> {
    let path = util::shared_data(CSV)?;
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("Country;Sector;Product CN Code;Description;"));
    Some(lines.map(split).collect())
}

#[test]
fn every_shipped_cell_is_the_source_csv_s_and_every_published_value_is_what_lookups_return() {
    let Some(rows) = source() else { return };
    let c = table();
    assert_eq!(rows.len(), 12_532);
    assert_eq!(c.len(), 12_532);
    assert_eq!((c.tables.len(), c.goods.len()), (120, 287));
    let key: BTreeMap<(&str, &str), &str> =
        c.goods.iter().map(|g| ((g.cn.as_str(), g.description.as_str()), g.key.as_str())).collect();
    let mut compared = 0;
    for (country, sector, cn, description, cells) in &rows {
        let t = c.tables.iter().find(|t| &t.name == country).unwrap_or_else(|| panic!("{country}"));
        let k = key[&(cn.as_str(), description.as_str())];
        let g = c.goods.iter().find(|g| g.key == k).unwrap();
        assert_eq!(&g.sector, sector, "{country} {cn}");
        let row = t.rows.iter().find(|r| r[0] == k).unwrap_or_else(|| panic!("{country} {k}"));
        assert_eq!(&row[1..], cells.as_slice(), "{country} {cn} {description}");
        compared += 1;
    }
    assert_eq!(compared, 12_532);

    // Every row with a total and a year's value answers a lookup of its own table, with the
    // published figure as the source has it; the mark-up recomputed from the total agrees with
    // it to the digits it is published with, but where the source compounds the mark-up.
    let mut looked_up = 0;
    let mut differ: Vec<String> = Vec::new();
    for (country, _, cn, description, cells) in &rows {
        let t = c.tables.iter().find(|t| &t.name == country).unwrap();
        let k = key[&(cn.as_str(), description.as_str())];
        for (i, year) in [2026, 2027, 2028].into_iter().enumerate() {
            if cells[2].is_empty() || cells[3 + i].is_empty() {
                continue;
            }
            let v = c.lookup(k, &t.country, year).unwrap();
            assert_eq!(v.fallback, None, "{country} {k} {year}");
            assert_eq!(v.table, t.country);
            assert_eq!(v.published, cells[3 + i].parse::<f64>().unwrap(), "{country} {k} {year}");
            assert_eq!(v.published_text, cells[3 + i]);
            assert_eq!(v.total, cells[2].parse::<f64>().unwrap());
            assert_eq!(v.route.as_deref().unwrap_or(""), cells[6]);
            if !v.agrees {
                differ.push(format!(
                    "{country} {k} {year}: total {} x {} % = {:.6} against {}",
                    cells[2],
                    v.markup_percent,
                    v.recomputed,
                    cells[3 + i]
                ));
            }
            looked_up += 1;
        }
    }
    // 10,931 rows with a total, less Chile 7306 11 00 without its 2026 value.
    assert_eq!(looked_up, 10_931 * 3 - 1);
    // The five cement rows of Angola and Argentina compound the mark-up (x 1.21 and x 1.331
    // where the schedule says 1.2 and 1.3): ten figures, as published, and the only ones.
    insta::assert_snapshot!(differ.join("\n"), @r#"
Angola 25231000-grey 2027: total 1.26 x 20 % = 1.512000 against 1.5246
Angola 25231000-grey 2028: total 1.26 x 30 % = 1.638000 against 1.67706
Angola 25232900 2027: total 1.27 x 20 % = 1.524000 against 1.5367
Angola 25232900 2028: total 1.27 x 30 % = 1.651000 against 1.69037
Angola 25239000-grey 2027: total 1.22 x 20 % = 1.464000 against 1.4762
Angola 25239000-grey 2028: total 1.22 x 30 % = 1.586000 against 1.62382
Argentina 25231000-grey 2027: total 0.9 x 20 % = 1.080000 against 1.089
Argentina 25231000-grey 2028: total 0.9 x 30 % = 1.170000 against 1.1979
Argentina 25232900 2027: total 0.92 x 20 % = 1.104000 against 1.1132
Argentina 25232900 2028: total 0.92 x 30 % = 1.196000 against 1.22452
"#);
}

#[test]
fn every_country_table_answers_a_lookup_and_blank_rows_fall_back_to_other_countries() {
    let c = table();
    let other = c.tables.iter().find(|t| t.country == "other").unwrap();
    assert_eq!(other.name, "_Other Countries and Territorie");
    let mut own = 0;
    let mut fell_back = 0;
    for t in &c.tables {
        // A row with a value: from the table itself.
        let valued = t.rows.iter().find(|r| !r[3].is_empty() && !r[4].is_empty());
        if let Some(r) = valued {
            let v = c.lookup(&r[0], &t.country, 2026).unwrap();
            assert_eq!((v.table.as_str(), v.fallback), (t.country.as_str(), None), "{}", t.name);
            assert_eq!(v.published_text, r[4]);
            // By the table's name too.
            assert_eq!(c.lookup(&r[0], &t.name, 2026).unwrap().published_text, r[4]);
            own += 1;
        }
        // A blank row: the value of "Other countries and territories", said, where that
        // table has one.
        for r in t.rows.iter().filter(|r| r[3].is_empty()) {
            let Some(o) = other.rows.iter().find(|o| o[0] == r[0] && !o[3].is_empty()) else {
                continue;
            };
            if t.country == "other" {
                continue;
            }
            let v = c.lookup(&r[0], &t.country, 2028).unwrap();
            assert_eq!(v.table, "other", "{} {}", t.name, r[0]);
            assert_eq!(v.fallback, Some(Fallback::NoValue));
            assert_eq!(v.published_text, o[6]);
            fell_back += 1;
        }
    }
    assert_eq!(own, 120, "every table has a value somewhere");
    // Of the 1,601 blank rows, 726 (outside the fallback table) have a value to fall back to;
    // the others are headings whose values sit in their subheadings, blank everywhere.
    assert_eq!(fell_back, 726);

    // A country listed, row blank: Albania, calcined clay 2507 00 80.
    let v = c.lookup("2507 00 80", "AL", 2026).unwrap();
    assert_eq!((v.table.as_str(), v.fallback), ("other", Some(Fallback::NoValue)));
    // Albania's white Portland cement has no total, its figures sitting in the mark-up
    // columns: no value, so the fallback.
    let v = c.lookup("25232100", "AL", 2026).unwrap();
    assert_eq!((v.table.as_str(), v.fallback), ("other", Some(Fallback::NoValue)));
    // Chile 7306 11 00 has no 2026 value, but 2027 and 2028.
    let v = c.lookup("73061100", "CL", 2026).unwrap();
    assert_eq!((v.table.as_str(), v.fallback), ("other", Some(Fallback::NoValueForYear)));
    let v = c.lookup("73061100", "CL", 2027).unwrap();
    assert_eq!((v.table.as_str(), v.published_text.as_str()), ("CL", "3.54"));
    // A country without a table (Afghanistan), and a good a table does not list.
    let v = c.lookup("72071116", "AF", 2028).unwrap();
    assert_eq!((v.table.as_str(), v.fallback), ("other", Some(Fallback::NoTable)));
    let short = c.tables.iter().find(|t| !t.rows.iter().any(|r| r[0] == "7208")).unwrap();
    let v = c.lookup("7208", &short.country, 2026).unwrap();
    assert_eq!((v.table.as_str(), v.fallback), ("other", Some(Fallback::NotListed)));
    // A heading whose values sit in its subheadings has none anywhere: an error naming them.
    let e = c.lookup("7207", "CN", 2026).unwrap_err().to_string();
    assert!(e.contains("72071111"), "{e}");
    // White and grey clinker share CN 2523 10 00: the code alone is ambiguous.
    let e = c.lookup("2523 10 00", "DZ", 2026).unwrap_err().to_string();
    assert!(e.contains("25231000-white") && e.contains("25231000-grey"), "{e}");
    assert_eq!(c.lookup("25231000-grey", "US", 2026).unwrap().published_text, "1.309");
    // A year before the definitive period; after 2028 the 2028 column.
    assert!(c.lookup("7208", "CN", 2025).is_err());
    assert_eq!(c.lookup("7208", "CN", 2031).unwrap().column, 2028);
}

#[test]
fn the_worked_check_of_provenance_7207_11_16_from_china_and_other_countries() {
    let c = table();
    let expected = [(2026, "3.485664"), (2027, "3.802542"), (2028, "4.119421")];
    for (year, published) in expected {
        let v = c.lookup("7207 11 16", "CN", year).unwrap();
        assert_eq!((v.total, v.published_text.as_str()), (3.168785, published));
        assert_eq!((v.route.as_deref(), v.fallback, v.agrees), (Some("(C)"), None, true));
        assert_eq!(v.direct, Some(3.168785));
        assert_eq!(v.indirect, None);
    }
    let v = c.lookup("72071116", "other", 2028).unwrap();
    assert_eq!((v.total, v.published), (3.995879, 5.194642));
    // The OJ prints them rounded: 3.49, 3.80, 4.12 and 5.19.
    let v = c.lookup("72071116", "CN", 2026).unwrap();
    assert_eq!(format!("{:.2}", v.published), "3.49");
    let out = util::pcf(&util::root(), &["dataset", "cbam", "7207 11 16", "--year", "2028"]);
    assert!(out.status.success(), "{}", util::stderr(&out));
    let text = util::stdout(&out);
    insta::assert_snapshot!(text.lines().take(5).collect::<Vec<_>>().join("\n"), @r#"
CN 72071116 from CN, 2028: 4.119421 t CO2e/t including the 30 % mark-up
  good: Semi-finished products, of iron or non-alloy steel, containing by weight < 0,25% carbon, of square or rectangular cross-section, the width < twice the thickness of > 130 mm, rolled or obtained by continuous casting (excl. free-cutting steel) (Iron and steel)
  default value: direct 3.168785, indirect -, total 3.168785 t CO2e/t; production route (C)
  table: China
  check: 3.168785 x 1.3 = 4.11942050 (agrees with the published value)
"#);
    let out = util::pcf(
        &util::root(),
        &["dataset", "cbam", "72071116", "--country", "AF", "--year", "2028"],
    );
    insta::assert_snapshot!(util::stdout(&out).lines().take(5).collect::<Vec<_>>().join("\n"), @r#"
CN 72071116 from AF, 2028: 5.194642 t CO2e/t including the 30 % mark-up
  good: Semi-finished products, of iron or non-alloy steel, containing by weight < 0,25% carbon, of square or rectangular cross-section, the width < twice the thickness of > 130 mm, rolled or obtained by continuous casting (excl. free-cutting steel) (Iron and steel)
  default value: direct 3.995879, indirect -, total 3.995879 t CO2e/t; production route (C)
  table: Other countries and territories (sheet "_Other Countries and Territorie") (fallback: AF has no table in the annex)
  check: 3.995879 x 1.3 = 5.19464270 (agrees with the published value)
"#);
}

const INVENTORY: &str = r#"
[[products]]
id = "good"
name = "Forged bar"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0

[[processes]]
id = "forge"
name = "Forging"
outputs = [{ product = "good", amount = 1, unit = "t" }]

[[processes.inputs]]
kind = "database"
name = "Semi-finished steel, CN 7207 11 16, from China, at the CBAM default value"
factor = "FACTOR"
amount = 1.25
unit = "t"
"#;

fn load(factor: &str) -> Result<(Inventory, Vec<dataset::DatasetRef>), pcf::Error> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.toml");
    std::fs::write(&path, INVENTORY.replace("FACTOR", factor)).unwrap();
    Ok(dataset::load_inventory(&path)?)
}

#[test]
fn an_inventory_uses_a_default_value_as_a_factor_and_the_fallback_is_recorded() {
    // 1.25 t of semi-finished steel per t of bar at 3.485664 t CO2e/t (China, 2026, with the
    // 10 % mark-up): 4.35708 t CO2e per t, 4.35708 kg CO2e per kg.
    let (inv, used) = load("dataset:eu-cbam-default-values@72071116-CN-2026").unwrap();
    let d = Dataset::shipped(ID).unwrap();
    assert_eq!(used, vec![d.reference()]);
    let f = inv.factors.iter().find(|f| f.id == "dataset.eu-cbam-default-values.72071116-CN-2026");
    let f = f.unwrap();
    assert_eq!(f.co2e, 3.485664);
    assert!(f.source.contains("\"China\"") && f.source.contains("= 3.485664"), "{}", f.source);
    assert!(f.licence.contains("2011/833/EU"));
    assert!(!f.name.contains("Other countries"), "{}", f.name);
    let fp = pcf::engine::footprint(&inv, &Methodology::shipped("pact-3.0").unwrap()).unwrap();
    let total = fp.products[0].totals.excluding_uptake;
    assert!((total - 1.25 * 3.485664).abs() < 1e-12, "{total}");

    // From a country without a table: the value of Other countries and territories, said in
    // the factor's name and source.
    let (inv, _) = load("dataset:eu-cbam-default-values@72071116-AF-2028").unwrap();
    let f = &inv.factors[0];
    assert_eq!(f.co2e, 5.194642);
    assert!(f.name.contains("Other countries and territories: AF has no table"), "{}", f.name);
    assert!(f.source.contains("_Other Countries and Territorie"), "{}", f.source);

    // The parts without mark-up, where the table gives them: US grey clinker.
    let (inv, _) = load("dataset:eu-cbam-default-values@25231000-grey-US-indirect").unwrap();
    assert_eq!(inv.factors[0].co2e, 0.03);
    let (inv, _) = load("dataset:eu-cbam-default-values@25231000-grey-US-direct").unwrap();
    assert_eq!(inv.factors[0].co2e, 1.16);
    // Steel has no indirect default value: said, not zero.
    let e = load("dataset:eu-cbam-default-values@72071116-CN-indirect").unwrap_err().to_string();
    insta::assert_snapshot!(e, @r#"dataset eu-cbam-default-values 2026.2: CN 72071116 from CN: the table "China" gives no indirect default value for this good (`pcf dataset cbam CN --country CC --year YYYY` looks a value up)"#);
    let e = load("dataset:eu-cbam-default-values@72071116").unwrap_err().to_string();
    insta::assert_snapshot!(e, @r#"dataset eu-cbam-default-values 2026.2: "72071116" is not a CBAM default value: write GOOD-COUNTRY-YEAR (72071116-CN-2026), GOOD-COUNTRY-direct or GOOD-COUNTRY-indirect (`pcf dataset cbam CN --country CC --year YYYY` looks a value up)"#);
}

#[test]
fn the_superseded_version_2026_1_still_loads_by_id_and_version() {
    let live = Dataset::shipped(ID).unwrap();
    assert_eq!(live.version(), "2026.2");
    // The digest 2026.2 was released with: a regenerated file must give it again (or be a new
    // version, the old one archived).
    assert_eq!(
        live.digest().to_string(),
        "sha256:32337346fcd0e6f14b24097b272ef7b4f6a4d4e72435860773752b21ed3d91ee"
    );
    let old = Dataset::shipped_version(ID, "2026.1").unwrap();
    assert!(old.is_archived());
    let text = std::fs::read_to_string(
        util::root().join("datasets/archive/eu-cbam-default-values@2026.1.toml"),
    )
    .unwrap();
    let again = Dataset::from_text(std::path::Path::new("x.toml"), &text, "test").unwrap();
    assert_eq!(again.digest(), old.digest());
    assert_eq!(Dataset::shipped_with_digest(ID, &old.digest()).unwrap().version(), "2026.1");
    let c = old.file.cbam.unwrap();
    assert_eq!(c.defaults.len(), 4);
    // Its four rounded China values agree with the full-precision ones of 2026.2, rounded
    // as the Official Journal prints them.
    let new = table();
    for d in &c.defaults {
        for (year, published) in &d.published {
            let v = new.lookup(&d.cn, "CN", year.parse().unwrap()).unwrap();
            assert_eq!(format!("{:.2}", v.published), format!("{published:.2}"), "{} {year}", d.cn);
            assert_eq!(format!("{:.2}", v.total), format!("{:.2}", d.direct), "{}", d.cn);
        }
    }
    let out = util::pcf(&util::root(), &["dataset", "show", "eu-cbam-default-values@2026.1"]);
    assert!(out.status.success(), "{}", util::stderr(&out));
    assert!(util::stdout(&out).contains("CN 72083800 from CN"));
}
