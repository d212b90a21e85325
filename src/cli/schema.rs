//! `pcf schema`: prints the JSON Schema of an inventory, a methodology or a declaration.

use std::process::ExitCode;

use clap::ValueEnum;

use pcf::methodology;

use super::Result;
use super::output::print_json;

/// The arguments of `pcf schema`.
#[derive(clap::Args)]
pub struct Args {
    /// Which schema.
    #[arg(value_enum, default_value = "inventory")]
    pub which: SchemaKind,
}

/// Which schema `pcf schema` prints.
#[derive(Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    Inventory,
    Methodology,
    Declaration,
}

/// Prints the schema.
pub fn run(args: Args) -> Result<ExitCode> {
    let Args { which } = args;
    let schema = match which {
        SchemaKind::Inventory => pcf::inventory::schema(),
        SchemaKind::Methodology => methodology::schema(),
        SchemaKind::Declaration => pcf::declaration::verify::schema(),
    };
    print_json(&schema);
    Ok(ExitCode::SUCCESS)
}
