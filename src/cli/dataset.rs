//! `pcf dataset search`: the factors of the shipped datasets that match some words, as a table
//! (reference, name, value, unit, source; spend-based factors marked) followed by the source
//! and licence of each dataset that matched, or as JSON. The other `pcf dataset` subcommands
//! live in [`super::certify`].

use std::process::ExitCode;

use pcf::dataset::{self, Dataset, SearchHit};
use pcf::report::{Cell, Table, group};

use super::output::print_json;

/// Arguments of `pcf dataset search`.
#[derive(clap::Args)]
pub struct SearchArgs {
    /// Words to find (letter case ignored); a factor matches when each word is in its id, name
    /// or category, or in its dataset's id.
    #[arg(required = true)]
    words: Vec<String>,
    /// Search only this dataset.
    #[arg(long)]
    dataset: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `pcf dataset search`: exit 0 with matches, 1 with none.
pub fn search(args: SearchArgs) -> super::Result<ExitCode> {
    let datasets = match &args.dataset {
        Some(id) => vec![Dataset::shipped(id)?],
        None => Dataset::all_shipped()?,
    };
    let query = args.words.join(" ");
    let hits = dataset::search(&datasets, &query);
    if args.json {
        print_json(&hits);
    } else if !hits.is_empty() {
        let mut t = Table::new(&["factor", "value", "unit", "source", "name"]);
        for h in &hits {
            t.row([
                Cell::from(h.reference.clone()),
                Cell::Figure(value(h)),
                unit(h).into(),
                source(h).into(),
                h.name.clone().into(),
            ]);
        }
        out!("{}", t.render(0));
        outln!();
        for d in datasets.iter().filter(|d| hits.iter().any(|h| h.dataset == d.id())) {
            let m = &d.file.dataset;
            let spend = if m.basis == Some(dataset::Basis::Spend) {
                " SPEND-BASED, SECONDARY: amounts are money."
            } else {
                ""
            };
            outln!("{} {}: {}.{spend}", d.id(), d.version(), m.title);
            outln!("  source: {}", m.source);
            outln!("  licence: {}", m.licence);
        }
    }
    if hits.is_empty() {
        eprintln!(
            "no factor matches {query:?} in {}",
            datasets.iter().map(Dataset::id).collect::<Vec<_>>().join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The value as stored (shortest decimal that reads back the same, with thousands separators),
/// by gas when not one CO2e or one gas.
fn value(h: &SearchHit) -> String {
    match (h.co2e, h.gases.len()) {
        (Some(c), 0) => group(&c.to_string()),
        (None, 1) => h.gases.values().map(|x| group(&x.to_string())).collect(),
        _ => {
            let mut parts: Vec<String> =
                h.gases.iter().map(|(g, x)| format!("{g} {}", group(&x.to_string()))).collect();
            parts.extend(h.co2e.map(|c| format!("CO2e {}", group(&c.to_string()))));
            parts.join("; ")
        }
    }
}

/// `kg CO2e/t`, `kg CO2/kWh` (fossil CO2 only), `kg/TJ` (by gas).
fn unit(h: &SearchHit) -> String {
    match (h.co2e, h.gases.len()) {
        (Some(_), 0) => format!("kg CO2e/{}", h.per),
        (None, 1) => {
            let gas = h.gases.keys().map(String::as_str).collect::<String>();
            let gas = if gas == "co2-fossil" { "CO2" } else { gas.as_str() };
            format!("kg {gas}/{}", h.per)
        }
        _ => format!("kg/{} (by gas)", h.per),
    }
}

/// The dataset and version, with spend-based factors marked.
fn source(h: &SearchHit) -> String {
    let spend = if h.is_spend_based() { ", spend-based, secondary" } else { "" };
    format!("{} {}{spend}", h.dataset, h.version)
}
