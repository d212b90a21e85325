//! `pcf schema`: prints the JSON Schema of an inventory, a methodology or a declaration;
//! `pcf context`: prints pcf's JSON-LD context, byte for byte as published.

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

/// The arguments of `pcf context`.
#[derive(clap::Args)]
pub struct ContextArgs {
    /// Print the context's URL and the digest credentials pin it at, instead of the document.
    #[arg(long)]
    pub pin: bool,
}

/// Prints the context (or its pin).
pub fn context(args: ContextArgs) -> Result<ExitCode> {
    if args.pin {
        let pin = pcf::declaration::context_resource();
        outln!(
            "{} {}",
            pin["id"].as_str().unwrap_or_default(),
            pin["digestSRI"].as_str().unwrap_or_default()
        );
    } else {
        out!("{}", pcf::credential::CONTEXT_V1);
    }
    Ok(ExitCode::SUCCESS)
}
