//! The `pcf` command line: parses arguments, calls the library, renders results and errors for
//! people (or JSON for machines), and picks the exit code: 0 ok, 1 invalid input or a failed
//! check, 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use pcf::engine;
use pcf::graph::SupplyChain;
use pcf::inventory::Inventory;
use pcf::methodology::{self, Methodology};
use pcf::report;

/// Product carbon footprints from supply-chain inventories, issued as signed declarations.
#[derive(Parser)]
#[command(name = "pcf", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute the footprint of every product in an inventory.
    Footprint {
        /// Inventory file (TOML or JSON).
        inventory: PathBuf,
        /// Methodology: a shipped id (see `pcf methodology list`) or a file.
        #[arg(long, short, default_value = "pact-3.0")]
        methodology: String,
        /// Only this product.
        #[arg(long)]
        product: Option<String>,
        /// Also print the contribution tree.
        #[arg(long)]
        tree: bool,
        /// Print JSON (the full result, contribution tree included).
        #[arg(long)]
        json: bool,
    },
    /// Validate an inventory without computing.
    Check {
        /// Inventory file.
        inventory: PathBuf,
        /// Also check it against this methodology's rules (GWP table, boundary, allocation).
        #[arg(long, short)]
        methodology: Option<String>,
    },
    /// Work with methodology files.
    Methodology {
        #[command(subcommand)]
        command: MethodologyCommand,
    },
    /// Print a JSON Schema.
    Schema {
        /// Which schema.
        #[arg(value_enum, default_value = "inventory")]
        which: SchemaKind,
    },
    /// Print the supply chain as a Graphviz DOT graph.
    Graph {
        /// Inventory file.
        inventory: PathBuf,
        /// Weight edges by their contribution to this product's footprint.
        #[arg(long)]
        product: Option<String>,
        /// Methodology for the contributions.
        #[arg(long, short, default_value = "pact-3.0")]
        methodology: String,
    },
    /// Score every product of a pcfbench-csv dataset (database-scale life cycle inventory).
    Lci {
        /// Dataset directory.
        dataset: PathBuf,
        /// Output directory for product_scores.csv and demand_scores.csv.
        #[arg(long)]
        out: PathBuf,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MethodologyCommand {
    /// List the shipped methodologies.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a methodology's rules.
    Show {
        /// A shipped id or a file.
        id: String,
        /// Print the parsed rules as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a methodology file's digest.
    Hash {
        /// The file.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SchemaKind {
    Inventory,
    Methodology,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

type Result<T> = std::result::Result<T, pcf::Error>;

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Footprint { inventory, methodology, product, tree, json } => {
            let inv = Inventory::load(&inventory)?;
            let m = Methodology::resolve(&methodology)?;
            let mut result = engine::footprint(&inv, &m)?;
            if let Some(id) = &product {
                result.products.retain(|p| &p.product == id);
                if result.products.is_empty() {
                    return Err(unknown_product(&inv, id));
                }
            }
            if json {
                print_json(&result);
            } else {
                print!("{}", report::footprints(&result));
                if tree {
                    for p in &result.products {
                        println!("\ncontribution tree of {}:", p.product);
                        print!("{}", report::tree(&p.contributions));
                    }
                }
            }
        }
        Command::Check { inventory, methodology } => {
            let inv = Inventory::load(&inventory)?;
            if let Some(m) = methodology {
                let m = Methodology::resolve(&m)?;
                engine::footprint(&inv, &m)?;
                println!("{}: valid under {} ({})", inventory.display(), m.id(), m.digest());
            } else {
                println!("{}: valid", inventory.display());
            }
            println!(
                "  {} products, {} processes, {} factors, {} supplier declarations; digest {}",
                inv.products.len(),
                inv.processes.len(),
                inv.factors.len(),
                inv.suppliers.len(),
                inv.digest
            );
        }
        Command::Methodology { command } => methodology_command(command)?,
        Command::Schema { which } => {
            let schema = match which {
                SchemaKind::Inventory => pcf::inventory::schema(),
                SchemaKind::Methodology => methodology::schema(),
            };
            print_json(&schema);
        }
        Command::Graph { inventory, product, methodology } => {
            let inv = Inventory::load(&inventory)?;
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
            print!("{dot}");
        }
        Command::Lci { dataset, out, json } => {
            let summary = pcf::lci::run(&dataset, &out)?;
            if json {
                print_json(&summary);
            } else {
                print!("{summary}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn methodology_command(command: MethodologyCommand) -> Result<()> {
    match command {
        MethodologyCommand::List { json } => {
            let all = Methodology::all_shipped()?;
            if json {
                let list: Vec<serde_json::Value> = all
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "id": m.id(), "version": m.version(), "digest": m.digest().to_string(),
                            "title": m.rules.title, "gwp": m.rules.gwp.set,
                        })
                    })
                    .collect();
                print_json(&list);
            } else {
                let mut t = report::Table::new(&["id", "version", "gwp", "electricity", "digest"]);
                for m in &all {
                    t.row(vec![
                        m.id().into(),
                        m.version().into(),
                        m.rules.gwp.set.clone(),
                        format!("{:?}", m.rules.electricity.accounting),
                        m.digest().to_string(),
                    ]);
                }
                print!("{}", t.render(0));
            }
        }
        MethodologyCommand::Show { id, json } => {
            let m = Methodology::resolve(&id)?;
            if json {
                print_json(&serde_json::json!({
                    "id": m.id(), "version": m.version(), "digest": m.digest().to_string(),
                    "origin": m.origin, "rules": m.rules,
                }));
            } else {
                println!("# {} {} ({})\n# from: {}\n", m.id(), m.version(), m.digest(), m.origin);
                print!("{}", m.text);
            }
        }
        MethodologyCommand::Hash { file } => {
            let m = Methodology::load(&file)?;
            println!("{}  {} {} {}", m.digest(), m.id(), m.version(), file.display());
        }
    }
    Ok(())
}

fn unknown_product(inv: &Inventory, id: &str) -> pcf::Error {
    let known: Vec<&str> = inv.products.iter().map(|p| p.id.0.as_str()).collect();
    pcf::Error::Usage(format!(
        "{}: no product {id:?}; the inventory has: {}",
        inv.path.display(),
        known.join(", ")
    ))
}

fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot serialize output: {e}"),
    }
}
