//! The `pcf` command line: parses arguments, calls the library, renders results and errors for
//! people (or JSON for machines), and picks the exit code: 0 ok, 1 invalid input or a failed
//! check, 2 usage error.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Product carbon footprints from supply-chain inventories, issued as signed declarations.
#[derive(Parser)]
#[command(name = "pcf", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start an inventory: a commented TOML file from a template, or a bill-of-materials workbook.
    Init(cli::spreadsheet::InitArgs),
    /// Read a bill of materials (.xlsx workbook or CSV folder) into an inventory file.
    Import(cli::spreadsheet::ImportArgs),
    /// Write an inventory in the spreadsheet layout (.xlsx or a CSV folder).
    Export(cli::spreadsheet::ExportArgs),
    /// Compute the footprint of every product in an inventory.
    Footprint(cli::footprint::Args),
    /// Validate an inventory without computing.
    Check(cli::check::Args),
    /// Work with methodology files.
    Methodology {
        #[command(subcommand)]
        command: cli::methodology::MethodologyCommand,
    },
    /// Print a JSON Schema.
    Schema(cli::schema::Args),
    /// Print pcf's JSON-LD context (the document at https://pcf-engine.github.io/pcf/contexts/v1.jsonld).
    Context(cli::schema::ContextArgs),
    /// Print the supply chain as a Graphviz DOT graph.
    Graph(cli::graph::Args),
    /// Create an Ed25519 signing key (PKCS#8 PEM, owner-only, never over an existing file).
    Keygen(cli::keys::KeygenArgs),
    /// Show the public identity of a key: its did:key and, with --domain, the did:web document.
    Did(cli::keys::DidArgs),
    /// Issue a signed declaration of one product's footprint and record it in the register.
    Declare(cli::declare::Args),
    /// Verify a declaration (or a bundle) offline and print every check.
    #[command(after_help = cli::verify::VERIFY_HELP)]
    Verify(cli::verify::Args),
    /// Keep a trust list: the issuers and witnesses you trust, by name (for verify --trust-list).
    Trust {
        #[command(subcommand)]
        command: cli::trust::TrustCommand,
    },
    /// A park operator's ledger of green electricity allocated to tenants: allocate, check.
    Park {
        #[command(subcommand)]
        command: cli::park::ParkCommand,
    },
    /// Pack a declaration with what a buyer needs to verify it into one file.
    Bundle(cli::bundle::Args),
    /// Read and check the issuer's register.
    Register(cli::register::Args),
    /// Witness an issuer's log: cosign checkpoints that extend the last one cosigned.
    Witness(cli::witness::Args),
    /// Certification: methodology diffs and approvals, audits, impact (see `cli::certify`).
    #[command(flatten)]
    Certify(cli::certify::Command),
    /// PACT data exchange: serve and fetch footprints (see `cli::exchange`).
    #[command(flatten)]
    Exchange(cli::exchange::Command),
    /// The EU CBAM communication template for installations: export an inventory's CBAM
    /// goods into it, import a filled one into a communication file.
    Cbam {
        #[command(subcommand)]
        command: cli::communication::CbamCommand,
    },
    /// Score every product of a pcfbench-csv dataset (database-scale life cycle inventory).
    Lci(cli::lci::Args),
    /// Benchmark inputs: generated bill-of-materials inventories (for developers).
    #[command(hide = true)]
    Bench {
        #[command(subcommand)]
        command: cli::bench::Command,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(cli: Cli) -> cli::Result<ExitCode> {
    use cli::methodology::MethodologyCommand;
    match cli.command {
        Command::Init(args) => cli::spreadsheet::init(args),
        Command::Import(args) => cli::spreadsheet::import(args),
        Command::Export(args) => cli::spreadsheet::export(args),
        Command::Footprint(args) => cli::footprint::run(args),
        Command::Check(args) => cli::check::run(args),
        Command::Methodology { command: MethodologyCommand::Certify(c) } => {
            cli::certify::run_methodology(c)
        }
        Command::Methodology { command } => cli::methodology::run(command),
        Command::Schema(args) => cli::schema::run(args),
        Command::Context(args) => cli::schema::context(args),
        Command::Graph(args) => cli::graph::run(args),
        Command::Keygen(args) => cli::keys::keygen(args),
        Command::Did(args) => cli::keys::did(args),
        Command::Declare(args) => cli::declare::run(args),
        Command::Verify(args) => cli::verify::run(args),
        Command::Trust { command } => cli::trust::run(command),
        Command::Park { command } => cli::park::run(command),
        Command::Bundle(args) => cli::bundle::run(args),
        Command::Register(args) => cli::register::run(args),
        Command::Witness(args) => cli::witness::run(args),
        Command::Certify(c) => cli::certify::run(c),
        Command::Exchange(c) => cli::exchange::run(c),
        Command::Cbam { command } => cli::communication::run(command),
        Command::Lci(args) => cli::lci::run(args),
        Command::Bench { command } => cli::bench::run(command),
    }
}
