//! `pcf lci`: scores every product of a pcfbench-csv dataset (database-scale life cycle
//! inventory) and prints the summary.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Result;
use super::output::print_json;

/// The arguments of `pcf lci`.
#[derive(clap::Args)]
pub struct Args {
    /// Dataset directory.
    pub dataset: PathBuf,
    /// Output directory for product_scores.csv and demand_scores.csv.
    #[arg(long)]
    pub out: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Scores the dataset and prints the summary.
pub fn run(args: Args) -> Result<ExitCode> {
    let Args { dataset, out, json } = args;
    let summary = pcf::lci::run(&dataset, &out)?;
    if json {
        print_json(&summary);
    } else {
        out!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}
