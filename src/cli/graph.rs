//! `pcf graph`: the supply chain as a Graphviz DOT graph, titled, with a legend; with
//! `--product`, every amount and contribution per declared unit of that product and edges
//! weighted by their share of its footprint.

use std::path::PathBuf;
use std::process::ExitCode;

use pcf::engine;
use pcf::graph::SupplyChain;
use pcf::methodology::Methodology;

use super::Result;
use super::input::unknown_product;

/// The arguments of `pcf graph`.
#[derive(clap::Args)]
pub struct Args {
    /// Inventory file.
    pub inventory: PathBuf,
    /// Give amounts and contributions per declared unit of this product (title: its footprint
    /// under the methodology), edges weighted by their share of it.
    #[arg(long)]
    pub product: Option<String>,
    /// Methodology for the contributions.
    #[arg(long, short, default_value = "pact-3.0")]
    pub methodology: String,
}

/// Prints the DOT graph.
pub fn run(args: Args) -> Result<ExitCode> {
    let Args { inventory, product, methodology } = args;
    let inv = pcf::spreadsheet::load(&inventory)?;
    let chain = SupplyChain::new(&inv);
    let dot = match product {
        Some(id) => {
            let j = inv.product_index(&id).ok_or_else(|| unknown_product(&inv, &id))?;
            let m = Methodology::resolve(&methodology)?;
            let model = engine::Model::build(&inv, &m)?;
            chain.to_dot(&inv, Some((&model, j)))
        }
        None => chain.to_dot(&inv, None),
    };
    out!("{dot}");
    Ok(ExitCode::SUCCESS)
}
