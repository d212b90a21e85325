//! `pcf check`: validates an inventory without printing a footprint; with `--methodology`, also
//! against that methodology's rules (with the defaults it applies and the data it leaves out),
//! and with `--for`, also against everything `pcf declare` will require, every gap at once.

use std::path::PathBuf;
use std::process::ExitCode;

use pcf::declaration::IssueOptions;
use pcf::declaration::ready::{self, Requirement};
use pcf::engine;
use pcf::inventory::{Inventory, Source};
use pcf::methodology::Methodology;

use super::Result;

/// The arguments of `pcf check`.
#[derive(clap::Args)]
pub struct Args {
    /// Inventory file.
    pub inventory: PathBuf,
    /// Also check it against this methodology's rules (GWP table, boundary, allocation), and
    /// list the defaults it applies.
    #[arg(long, short)]
    pub methodology: Option<String>,
    /// Also check that it can be declared under this methodology: every field `pcf declare`
    /// requires (product and company ids, reference period, fossil carbon content, ...),
    /// listed all at once.
    #[arg(long = "for", value_name = "METHODOLOGY", conflicts_with = "methodology")]
    pub for_methodology: Option<String>,
    /// With --for: the product to check (default: every reference product nothing in the
    /// inventory consumes, the ones a buyer receives; not co-products).
    #[arg(long, requires = "for_methodology")]
    pub product: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Validates the inventory and prints what it holds.
pub fn run(args: Args) -> Result<ExitCode> {
    let Args { inventory, methodology, for_methodology, product, json } = args;
    let inv = pcf::spreadsheet::load(&inventory)?;
    let declare = for_methodology.is_some();
    let Some(m) = methodology.or(for_methodology) else {
        if json {
            super::output::print_json(
                &serde_json::json!({"inventory": inventory, "valid": true, "digest": inv.digest.to_string()}),
            );
        } else {
            outln!("{}: valid", inventory.display());
            counts(&inv);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let m = Methodology::resolve(&m)?;
    // Every product checked as by `pcf footprint`, from one solve.
    let model = engine::Model::build(&inv, &m)?;
    model.check_all(&mut engine::ChainScratch::default())?;
    let products = if !declare {
        Vec::new()
    } else if let Some(id) = &product {
        vec![inv.product_index(id).ok_or_else(|| {
            pcf::Error::Usage(format!(
                "{}: no product {id:?}; the inventory has: {}",
                inventory.display(),
                inv.products.iter().map(|p| p.id.0.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?]
    } else {
        delivered(&inv)
    };
    let gaps: Vec<(usize, Vec<Requirement>)> = products
        .iter()
        .map(|&j| (j, ready::requirements(&inv, &m, j, &IssueOptions::default())))
        .collect();
    let ok = gaps.iter().all(|(_, g)| g.is_empty());
    if json {
        super::output::print_json(&serde_json::json!({
            "inventory": inventory,
            "digest": inv.digest.to_string(),
            "methodology": {"id": m.id(), "version": m.version(), "digest": m.digest().to_string()},
            "notices": model.notices,
            "declare": gaps.iter().map(|(j, g)| serde_json::json!({
                "product": inv.products[*j].id.0, "ready": g.is_empty(), "missing": g,
            })).collect::<Vec<_>>(),
        }));
        return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    outln!("{}: valid under {} {} ({})", inventory.display(), m.id(), m.version(), m.digest());
    counts(&inv);
    out!("{}", pcf::report::notices(&model.notices));
    for (j, g) in &gaps {
        let id = &inv.products[*j].id.0;
        if g.is_empty() {
            outln!("{id}: ready to declare under {} (`pcf declare ... --product {id}`)", m.id());
        } else {
            outln!("{id}: cannot be declared yet, {} field(s) missing or wrong:", g.len());
            outln!("{}", ready::render(&located(&inventory, g)));
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The requirements with the line and column of where each goes in a TOML inventory (the
/// nearest table or value that exists: a missing field is written in its table).
fn located(path: &std::path::Path, list: &[Requirement]) -> Vec<Requirement> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    list.iter()
        .map(|r| {
            let mut r = r.clone();
            let mut p = r.pointer.as_str();
            let at = loop {
                if let Some(l) = pcf::document::locate(&text, p) {
                    break Some(l);
                }
                match p.rfind('/') {
                    Some(i) if i > 0 => p = &p[..i],
                    _ => break None,
                }
            };
            if let Some(l) = at {
                r.pointer = format!("{}{l} {}", path.display(), r.pointer);
            }
            r
        })
        .collect()
}

fn counts(inv: &Inventory) {
    outln!(
        "  {} products, {} processes, {} factors, {} supplier declarations; digest {}",
        inv.products.len(),
        inv.processes.len(),
        inv.factors.len(),
        inv.suppliers.len(),
        inv.digest
    );
}

/// The reference products (first output of their process) that no process of the inventory
/// consumes: what it delivers to a buyer. Co-products (scrap, swarf) are left out.
fn delivered(inv: &Inventory) -> Vec<usize> {
    let mut consumed = vec![false; inv.products.len()];
    for i in inv.processes.iter().flat_map(|p| &p.inputs) {
        if let Source::Product(k) = i.source {
            consumed[k] = true;
        }
    }
    (0..inv.products.len()).filter(|&j| !consumed[j] && inv.products[j].made_by.1 == 0).collect()
}
