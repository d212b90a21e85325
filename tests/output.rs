#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Output people can read: tables aligned by display width (Chinese names take two columns a
//! character), one number format per column with thousands separators, enum values by their
//! file names, and one spelling of each flag (old spellings still accepted).

use pcf::report::{Cell, Table, display_width};

use crate::util;

/// A housing cast in a Chinese plant: Chinese names for the product, process and inputs, and
/// figures from a hundred-thousandth of a kilogram up to a million kWh.
const CHINESE: &str = r#"
[[products]]
id = "housing"
name = "压铸铝外壳"
declared_unit = "piece"
mass_per_declared_unit = 1.0

[[processes]]
id = "casting"
name = "压铸车间"
outputs = [{ product = "housing", amount = 1000, unit = "piece" }]

[[processes.inputs]]
kind = "database"
name = "原生铝锭"
factor = "aluminium"
amount = 1000
unit = "kg"

[[processes.inputs]]
kind = "database"
name = "脱模剂"
factor = "release-agent"
amount = 0.00545
unit = "kg"

[[processes.inputs]]
kind = "electricity"
name = "Electricity, die casting cells"
factor = "grid"
amount = 1450000
unit = "kWh"

[[factors]]
id = "aluminium"
name = "原铝"
per = "kg"
co2e = 16.5
source = "illustrative"
licence = "CC0-1.0 (pcf example data)"
quality = { source = "secondary", technological = 3, temporal = 3, geographical = 3 }

[[factors]]
id = "release-agent"
name = "脱模剂"
per = "kg"
co2e = 2.0
source = "illustrative"
licence = "CC0-1.0 (pcf example data)"
quality = { source = "secondary", technological = 3, temporal = 3, geographical = 3 }

[[factors]]
id = "grid"
name = "华东电网"
per = "kWh"
co2e = 0.5
source = "illustrative"
licence = "CC0-1.0 (pcf example data)"
quality = { source = "secondary", technological = 3, temporal = 3, geographical = 3 }
"#;

/// The display column where each line of the table under `title` ends (header, rule, rows).
fn table_ends(text: &str, title: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim_start().starts_with(title)).unwrap();
    lines[start..].iter().take_while(|l| !l.trim().is_empty()).map(|l| display_width(l)).collect()
}

#[test]
fn chinese_names_align_in_the_footprint_tables() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inventory.toml"), CHINESE).unwrap();
    let out = util::pcf(dir.path(), &["footprint", "inventory.toml"]);
    let text = util::stdout(&out);
    assert!(out.status.success(), "{}", util::stderr(&out));
    assert!(text.contains("housing - 压铸铝外壳, per 1 piece"), "{text}");
    // Every line of the hotspots table ends in the same display column (the share column is
    // right-aligned), as does the header's underline: CJK characters count two columns.
    let ends = table_ends(&text, "hotspots");
    assert_eq!(ends.len(), 5, "{text}");
    assert!(ends.iter().all(|&e| e == ends[0]), "{ends:?}\n{text}");
    // The number column is one format (8 decimals: 0.00001090 keeps four significant digits)
    // with thousands separators, right-aligned under its title.
    let lines: Vec<&str> = text.lines().skip_while(|l| !l.contains("hotspots")).take(5).collect();
    let end = |l: &str, s: &str| display_width(&l[..l.find(s).unwrap() + s.len()]);
    let header_end = end(lines[0], "kg CO2e");
    for (line, number) in lines[2..].iter().zip(["725.00000000", "16.50000000", "0.00001090"]) {
        assert_eq!(end(line, number), header_end, "{line:?}\n{text}");
    }
    assert!(lines[3].starts_with("  原生铝锭                        casting"), "{text}");
    // One format per number column: no exponent anywhere, thousands separators in sentences.
    let exponent = text.as_bytes().windows(3).any(|w| w[0].is_ascii_digit() && w[1..] == *b"e-");
    assert!(!exponent, "{text}");
}

#[test]
fn a_column_of_tiny_and_large_numbers_takes_one_format() {
    let mut t = Table::new(&["figure", "value"]);
    t.row([Cell::from("tiny"), Cell::Number(1.09091e-5)]);
    t.row([Cell::from("small"), Cell::Number(0.0166909)]);
    t.row([Cell::from("large"), Cell::Number(1_450_000.0)]);
    let text = t.render(0);
    assert_eq!(
        text,
        "figure               value\n\
         --------------------------\n\
         tiny            0.00001091\n\
         small           0.01669090\n\
         large   1,450,000.00000000\n"
    );
    assert_eq!(pcf::report::num(1_450_000.0), "1,450,000");
    assert_eq!(pcf::report::num(1.09091e-5), "0.0000109091");
}

#[test]
fn sentences_carry_thousands_separators_and_json_keeps_numbers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inventory.toml"), CHINESE).unwrap();
    let text = util::stdout(&util::pcf(dir.path(), &["footprint", "inventory.toml", "--tree"]));
    assert!(text.contains("1,450,000 kWh consumed"), "{text}");
    // --json keeps machine numbers.
    let out = util::pcf(dir.path(), &["footprint", "inventory.toml", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let electricity = &json["products"][0]["electricity"][0];
    assert_eq!(electricity["consumed"].as_f64(), Some(1_450_000.0), "{electricity}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("1,450"));
}

#[test]
fn methodology_list_shows_file_names_of_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = util::pcf(dir.path(), &["methodology", "list"]);
    let text = util::stdout(&out);
    assert!(out.status.success());
    assert!(text.contains("market-based"), "{text}");
    assert!(!text.contains("MarketBased") && !text.contains("LocationBased"), "{text}");
}

#[test]
fn the_register_flag_works_under_both_names() {
    let is = util::Issuer::new();
    is.declare("bracket.json", &[]);
    let new = is.ok(&["register", "--register", "reg", "list"]);
    let old = is.ok(&["register", "--dir", "reg", "list"]);
    assert_eq!(new, old);
    assert!(new.contains("declared"), "{new}");
    // The old spelling is hidden from the help, the new one shown.
    let help = is.ok(&["register", "--help"]);
    assert!(help.contains("--register <DIR>") && !help.contains("--dir <"), "{help}");
    for flag in ["--register", "--dir"] {
        let out = is.run(&["register-claims", flag, "reg", "--json"]);
        assert!(out.status.code().is_some_and(|c| c <= 1), "{flag}: {}", util::stderr(&out));
    }
    // pcf audit writes its files under --out DIR, as other commands write theirs; its old
    // spelling --out-dir still works.
    for (flag, dir) in [("--out", "a"), ("--out-dir", "b")] {
        is.ok(&["audit", "bracket.json", "--inventory", "inventory.toml", flag, dir]);
        assert!(is.dir.path().join(dir).join("report.md").exists(), "{flag}");
    }
    // A missing register names the flag by its one spelling.
    let out = is.run(&["register", "--register", "nowhere", "list"]);
    assert!(util::stderr(&out).contains("--register DIR"), "{}", util::stderr(&out));
}
