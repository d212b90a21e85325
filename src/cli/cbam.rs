//! `pcf dataset cbam` (a default value of the EU CBAM tables, with the fallback to "Other
//! countries and territories" said, and the published mark-up checked against the total) and
//! the CBAM part of `pcf dataset show`. The other `pcf dataset` subcommands live in
//! [`super::certify`] and [`super::dataset`].

use std::process::ExitCode;

use pcf::dataset::{CbamTable, Dataset};

use super::output::print_json;

/// The shipped dataset of CBAM default values.
pub const DATASET: &str = "eu-cbam-default-values";

/// Runs `pcf dataset cbam CODE --country CC --year YYYY`: exit 0 when the published value
/// agrees with the total and the mark-up, 1 when it does not (it is still the value to use).
pub fn lookup(code: &str, country: &str, year: u32, json: bool) -> super::Result<ExitCode> {
    let d = Dataset::shipped(DATASET)?;
    let v = d
        .cbam(code, country, year)
        .map_err(|e| pcf::Error::Usage(format!("{} {}: {e}", d.id(), d.version())))?;
    if json {
        print_json(&v);
    } else {
        let under = if v.requested.chars().filter(char::is_ascii_digit).collect::<String>() != v.cn
            && v.requested != v.good
        {
            format!("CN {} (listed as {})", v.requested, v.good)
        } else {
            format!("CN {}", v.good)
        };
        outln!(
            "{under} from {}, {}: {} t CO2e/t including the {} % mark-up{}",
            v.country,
            v.year,
            v.published_text,
            v.markup_percent,
            if v.column != v.year { format!(" (column {})", v.column) } else { String::new() }
        );
        outln!("  good: {} ({})", v.description, v.sector);
        let part = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| x.to_string());
        outln!(
            "  default value: direct {}, indirect {}, total {} t CO2e/t; production route {}",
            part(v.direct),
            part(v.indirect),
            v.total,
            v.route.as_deref().unwrap_or("-")
        );
        let table = if v.table == pcf::dataset::cbam::OTHER {
            format!("Other countries and territories (sheet {:?})", v.table_name)
        } else {
            v.table_name.clone()
        };
        match v.fallback {
            Some(f) => {
                let own = d
                    .file
                    .cbam
                    .as_ref()
                    .and_then(|c| c.tables.iter().find(|t| t.country == v.country))
                    .map(|t| t.name.as_str());
                outln!("  table: {table} (fallback: {})", f.describe(&v.country, own));
            }
            None => outln!("  table: {table}"),
        }
        outln!(
            "  check: {} x {} = {:.*} ({})",
            v.total,
            1.0 + v.markup_percent / 100.0,
            v.published_text.split_once('.').map_or(0, |(_, d)| d.len()) + 2,
            v.recomputed,
            if v.agrees {
                "agrees with the published value".to_string()
            } else {
                format!(
                    "DIFFERS from the published {}; the published value is used",
                    v.published_text
                )
            }
        );
        outln!(
            "  as a precursor: kind = \"precursor\", cn = \"{}\", default_value = {{ country = \"{}\" }} (direct and indirect parts, without the mark-up)",
            v.cn,
            v.country
        );
        outln!("  inventory factor: dataset:{DATASET}@{}-{}-{}", v.good, v.country, v.year);
        outln!("  source: {} ({} {}, {})", d.file.dataset.source, d.id(), d.version(), d.digest());
    }
    Ok(if v.agrees { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The CBAM part of `pcf dataset show`: every table, one line per good.
pub fn show(c: &CbamTable) {
    for x in &c.defaults {
        outln!(
            "  CN {} from {}: {} t CO2e/t before mark-up; published {}",
            x.cn,
            x.country,
            pcf::report::group(&x.direct.to_string()),
            x.published
                .iter()
                .map(|(y, v)| format!("{y} {}", pcf::report::group(&v.to_string())))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if c.tables.is_empty() {
        return;
    }
    outln!(
        "  {} goods, {} country tables (rows: good, direct, indirect, total, 2026, 2027, 2028 \
         including mark-up, route; - where the table is blank)",
        c.goods.len(),
        c.tables.len()
    );
    for t in &c.tables {
        outln!("  table {} ({}): {} rows", t.country, t.name, t.rows.len());
        for r in &t.rows {
            let cells: Vec<&str> =
                r.iter().map(|x| if x.is_empty() { "-" } else { x.as_str() }).collect();
            outln!("    {}", cells.join(" "));
        }
    }
}
