//! `pcf bench` (hidden): benchmark inputs and runs for developers. `pcf bench log` measures the
//! register's transparency log at scale (see `log`). `pcf bench bom` writes a large generated inventory for benchmarking footprints at
//! bill-of-materials scale (issue 12). Two shapes: `shared`, where part `i` is made from steel
//! plus three earlier parts (sub-assemblies shared by many assemblies, how real bills of
//! materials look), and `tree`, where every part is used by exactly one assembly. Both have
//! supply loops (every 97th part takes back a little of an assembly it goes into), co-products (every
//! 10th part's process also makes scrap, allocated by mass), electricity, direct emissions and
//! excluded inputs (every 40th part's packaging, under the cut-off) and supplier inputs
//! (every 25th part buys hot-rolled coil under the steel-bracket example's
//! supplier declaration, written next to the inventory). Part `p{N-1}` is the final assembly.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use super::Result;

mod log;
mod matching;

/// The supplier declaration the generated inventories buy from (the steel-bracket example's).
const SUPPLIER: &str = include_str!("../../examples/steel-bracket/suppliers/hot-rolled-coil.json");
/// Its file name next to the generated inventory.
const SUPPLIER_FILE: &str = "bench-supplier-coil.json";

/// `pcf bench ...`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Write a generated bill-of-materials inventory (JSON).
    Bom(BomArgs),
    /// Append many entries to a new register and time appends, proofs and checkpoints.
    Log(log::LogArgs),
    /// Time hourly matching at park scale: a year of 15-minute data, tenants x instruments.
    Matching(matching::MatchingArgs),
}

/// The arguments of `pcf bench bom`.
#[derive(clap::Args)]
pub struct BomArgs {
    /// Number of parts (products made by their own process), at least 1.
    #[arg(long, default_value_t = 1000)]
    pub parts: usize,
    /// `shared` (each part uses three earlier parts) or `tree` (each part used once).
    #[arg(long, value_enum, default_value_t = Shape::Shared)]
    pub shape: Shape,
    /// The inventory file to write (`.json`); the supplier declaration goes next to it.
    #[arg(long)]
    pub out: PathBuf,
}

/// How parts use each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// Part `i` uses parts `i-1`, `i/2` and `(i*7)/11` (shared sub-assemblies).
    Shared,
    /// Part `i` uses parts `3i-2..=3i` counted from the top (a pure tree).
    Tree,
}

/// Writes the inventory and the supplier declaration.
pub fn run(command: Command) -> Result<ExitCode> {
    let args = match command {
        Command::Bom(args) => args,
        Command::Log(args) => return log::run(&args),
        Command::Matching(args) => return matching::run(&args),
    };
    let parts = args.parts.max(1);
    let doc = bom(parts, args.shape);
    let text = serde_json::to_string(&doc).map_err(|e| pcf::Error::Io {
        path: args.out.display().to_string(),
        message: e.to_string(),
    })?;
    write(&args.out, &text)?;
    let supplier = args.out.parent().unwrap_or(Path::new(".")).join(SUPPLIER_FILE);
    write(&supplier, SUPPLIER)?;
    eprintln!("wrote {} ({parts} parts, {})", args.out.display(), shape_name(args.shape));
    Ok(ExitCode::SUCCESS)
}

/// The shape as it is written on the command line (`shared`, `tree`).
fn shape_name(shape: Shape) -> String {
    clap::ValueEnum::to_possible_value(&shape).map_or_else(String::new, |v| v.get_name().into())
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| pcf::Error::io(path, &e))
}

/// The parts part `i` is assembled from (indices of other parts).
fn components(i: usize, parts: usize, shape: Shape) -> Vec<usize> {
    match shape {
        Shape::Shared => {
            let mut c = Vec::new();
            for k in [i.wrapping_sub(1), i / 2, (i * 7) / 11] {
                if k < i && !c.contains(&k) {
                    c.push(k);
                }
            }
            c
        }
        Shape::Tree => {
            // Number from the top: part `parts-1` is node 0; node t's children are 3t+1..=3t+3.
            let t = parts - 1 - i;
            (3 * t + 1..=3 * t + 3).filter(|&c| c < parts).map(|c| parts - 1 - c).collect()
        }
    }
}

/// A part that uses part `i` (for the loops).
fn consumer(i: usize, parts: usize, shape: Shape) -> Option<usize> {
    match shape {
        Shape::Shared => (i + 1 < parts).then_some(i + 1),
        Shape::Tree => {
            let t = parts - 1 - i;
            (t > 0).then(|| parts - 1 - (t - 1) / 3)
        }
    }
}

/// The generated inventory document.
pub fn bom(parts: usize, shape: Shape) -> Value {
    let mut products = Vec::with_capacity(parts + parts / 10);
    let mut processes = Vec::with_capacity(parts);
    for i in 0..parts {
        products.push(json!({
            "id": format!("p{i}"),
            "name": format!("Part {i}"),
            "declared_unit": "kilogram",
            "mass_per_declared_unit": 1.0,
        }));
        let mut outputs = vec![json!({"product": format!("p{i}"), "amount": 1000, "unit": "kg"})];
        if i % 10 == 5 {
            products.push(json!({
                "id": format!("s{i}"),
                "name": format!("Scrap of part {i}"),
                "declared_unit": "kilogram",
                "mass_per_declared_unit": 1.0,
            }));
            outputs.push(json!({"product": format!("s{i}"), "amount": 50, "unit": "kg"}));
        }
        let mut inputs = vec![
            json!({"kind": "database", "name": "Steel sheet", "factor": "steel",
                   "amount": 100 + (i % 7) * 10, "unit": "kg"}),
            json!({"kind": "electricity", "name": "Electricity", "factor": "grid",
                   "amount": 50 + (i % 5) * 10, "unit": "kWh"}),
        ];
        for c in components(i, parts, shape) {
            inputs.push(json!({"kind": "product", "product": format!("p{c}"),
                               "amount": 200 + (c % 3) * 50, "unit": "kg"}));
        }
        if let Some(user) = consumer(i, parts, shape).filter(|_| i % 97 == 50) {
            // A loop: a little of the assembly this part goes into comes back (rework).
            inputs.push(json!({"kind": "product", "product": format!("p{user}"),
                               "amount": 5, "unit": "kg"}));
        }
        if i % 40 == 20 {
            inputs.push(json!({"kind": "database", "name": "Packaging film", "factor": "film",
                               "amount": 0.5, "unit": "kg",
                               "excluded": "packaging below 1 % of the footprint (estimated)"}));
        }
        if i % 25 == 12 {
            inputs.push(json!({"kind": "supplier", "name": "Hot-rolled coil",
                               "declaration": SUPPLIER_FILE, "amount": 80, "unit": "kg"}));
        }
        let mut process = json!({
            "id": format!("make-p{i}"),
            "name": format!("Make part {i}"),
            "quality": {"technological": 1 + i % 3, "temporal": 2, "geographical": 1 + i % 2},
            "outputs": outputs,
            "inputs": inputs,
        });
        if i % 3 == 0 {
            process["emissions"] = json!([{"gas": "ch4-fossil", "amount": 0.1 + (i % 4) as f64,
                                           "unit": "kg"}]);
        }
        processes.push(process);
    }
    let factor = |id: &str, name: &str, per: &str, co2e: f64| {
        json!({
            "id": id, "name": name, "per": per, "co2e": co2e,
            "source": "generated benchmark data (pcf bench bom)",
            "licence": "CC0-1.0 (pcf example data)",
            "quality": {"source": "secondary", "technological": 3, "temporal": 3,
                        "geographical": 3},
        })
    };
    json!({
        "inventory": {"name": format!("Generated bill of materials, {parts} parts ({})", shape_name(shape))},
        "products": products,
        "processes": processes,
        "factors": [
            factor("steel", "Steel sheet", "kg", 2.1),
            factor("grid", "Grid electricity", "kWh", 0.55),
            factor("film", "LDPE film", "kg", 2.6),
        ],
    })
}
