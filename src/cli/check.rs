//! `pcf check`: validates an inventory (and, with `--methodology`, against its rules) without
//! printing a footprint.

use std::path::PathBuf;
use std::process::ExitCode;

use pcf::engine;
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use super::Result;

/// The arguments of `pcf check`.
#[derive(clap::Args)]
pub struct Args {
    /// Inventory file.
    pub inventory: PathBuf,
    /// Also check it against this methodology's rules (GWP table, boundary, allocation).
    #[arg(long, short)]
    pub methodology: Option<String>,
}

/// Validates the inventory and prints what it holds.
pub fn run(args: Args) -> Result<ExitCode> {
    let Args { inventory, methodology } = args;
    let inv = Inventory::load(&inventory)?;
    if let Some(m) = methodology {
        let m = Methodology::resolve(&m)?;
        // Every product checked as by `pcf footprint`, from one solve.
        engine::Model::build(&inv, &m)?.check_all(&mut engine::ChainScratch::default())?;
        outln!("{}: valid under {} ({})", inventory.display(), m.id(), m.digest());
    } else {
        outln!("{}: valid", inventory.display());
    }
    outln!(
        "  {} products, {} processes, {} factors, {} supplier declarations; digest {}",
        inv.products.len(),
        inv.processes.len(),
        inv.factors.len(),
        inv.suppliers.len(),
        inv.digest
    );
    Ok(ExitCode::SUCCESS)
}
