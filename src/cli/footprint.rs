//! `pcf footprint`: computes the footprint of every product (or one) of an inventory and prints
//! it as a table, a contribution tree, JSON or SVG charts.

use std::path::PathBuf;
use std::process::ExitCode;

use pcf::engine;
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;
use pcf::report;

use super::Result;
use super::input::unknown_product;
use super::output::print_json;

/// The arguments of `pcf footprint`.
#[derive(clap::Args)]
pub struct Args {
    /// Inventory file (TOML or JSON).
    pub inventory: PathBuf,
    /// Methodology: a shipped id (see `pcf methodology list`) or a file.
    #[arg(long, short, default_value = "pact-3.0")]
    pub methodology: String,
    /// Only this product.
    #[arg(long)]
    pub product: Option<String>,
    /// Also print the contribution tree.
    #[arg(long)]
    pub tree: bool,
    /// Print JSON (the full result, contribution tree included).
    #[arg(long)]
    pub json: bool,
    /// Write an SVG contribution chart per product into this directory.
    #[arg(long)]
    pub svg: Option<PathBuf>,
}

/// Computes and prints the footprints.
pub fn run(args: Args) -> Result<ExitCode> {
    let Args { inventory, methodology, product, tree, json, svg } = args;
    let inv = Inventory::load(&inventory)?;
    let m = Methodology::resolve(&methodology)?;
    let mut result = engine::footprint(&inv, &m)?;
    if let Some(id) = &product {
        result.products.retain(|p| &p.product == id);
        if result.products.is_empty() {
            return Err(unknown_product(&inv, id));
        }
    }
    if let Some(dir) = &svg {
        std::fs::create_dir_all(dir).map_err(|e| pcf::Error::io(dir, &e))?;
        for p in &result.products {
            let path = dir.join(format!("{}.svg", p.product));
            pcf::atomic::write_replace(
                &path,
                report::contribution_svg(p).as_bytes(),
                pcf::atomic::Mode::Public,
            )
            .map_err(|e| pcf::Error::io(&path, &e))?;
            eprintln!("wrote {}", path.display());
        }
    }
    if json {
        print_json(&result);
    } else {
        out!("{}", report::footprints(&result));
        if tree {
            for p in &result.products {
                outln!("\ncontribution tree of {}:", p.product);
                out!("{}", report::tree(&p.contributions));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
