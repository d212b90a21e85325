//! `pcf park`: a park operator's ledger of green electricity allocated to tenants
//! ([`pcf::certification::park`]). `allocate` splits the park's sources among its tenants by
//! their contracted shares, hour by hour, and writes each allocation as a meter export with
//! the ledger; `check` adds up what the registers of any number of tenants claim of each
//! allocation and reports what is claimed twice.

use std::path::PathBuf;
use std::process::ExitCode;

use pcf::certification::park;
use pcf::report::{Cell, Table};

use super::Result;
use super::output::print_json;

/// The `pcf park` subcommands.
#[derive(clap::Subcommand)]
pub enum ParkCommand {
    /// Allocate the park's green sources to its tenants (park.toml) into a new ledger.
    Allocate(AllocateArgs),
    /// Check the claims that tenants' registers make on a ledger's allocations.
    Check(CheckArgs),
}

/// The arguments of `pcf park allocate`.
#[derive(clap::Args)]
pub struct AllocateArgs {
    /// The park file: sources with their meters, tenants with their shares.
    pub park: PathBuf,
    /// The directory to write the ledger and the allocation files into (a ledger is written
    /// once: the directory must not hold one).
    #[arg(long)]
    pub out: PathBuf,
    /// The park operator's register: each allocation is recorded in it as what its serial
    /// holds.
    #[arg(long)]
    pub register: Option<PathBuf>,
    /// Print the ledger as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The arguments of `pcf park check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The park's ledger (ledger.json).
    pub ledger: PathBuf,
    /// A tenant's register directory (repeat for each tenant).
    #[arg(long = "register", required = true)]
    pub registers: Vec<PathBuf>,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `pcf park` subcommand.
pub fn run(command: ParkCommand) -> Result<ExitCode> {
    match command {
        ParkCommand::Allocate(a) => allocate(a),
        ParkCommand::Check(c) => check(c),
    }
}

fn allocate(args: AllocateArgs) -> Result<ExitCode> {
    let ledger = park::allocate(&args.park, &args.out)?;
    if let Some(dir) = &args.register {
        let reg = pcf::register::Register::open(dir)?;
        for f in park::record(&reg, &ledger, &args.out.join(park::LEDGER_FILE))? {
            eprintln!("warning: {f}");
        }
        eprintln!("recorded {} allocations in {}", ledger.allocations.len(), dir.display());
    }
    if args.json {
        print_json(&ledger);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{}: {} to {}", ledger.park, ledger.reference_period.start, ledger.reference_period.end);
    let mut t = Table::new(&["source", "serial", "allocable kWh", "allocated kWh"]);
    for s in &ledger.sources {
        t.row(vec![
            Cell::from(format!("{} ({} {})", s.id, s.kind, s.technology)),
            s.serial.as_str().into(),
            Cell::figure(s.allocable_kwh.to_string()),
            Cell::figure(s.allocated_kwh.to_string()),
        ]);
    }
    out!("{}", t.render(2));
    let mut t = Table::new(&["allocation", "tenant", "share", "kWh", "profile"]);
    for a in &ledger.allocations {
        t.row(vec![
            Cell::from(a.serial.as_str()),
            a.tenant_name.as_str().into(),
            Cell::figure(format!("{}", a.share)),
            Cell::figure(a.kwh.to_string()),
            a.profile.as_str().into(),
        ]);
    }
    out!("\n{}", t.render(2));
    outln!("\nwrote {}", args.out.join(park::LEDGER_FILE).display());
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let ledger = park::read_ledger(&args.ledger)?;
    let mut registers = Vec::new();
    for dir in &args.registers {
        if !dir.join("entries").is_dir() {
            return Err(pcf::Error::Usage(format!(
                "{}: not a register directory (no entries/); give each tenant's register, as \
                 `pcf declare --register` wrote it",
                dir.display()
            )));
        }
        registers.push((dir.clone(), pcf::register::Register::open(dir)?));
    }
    let (findings, claims) = park::check_registers(&ledger, &registers)?;
    if args.json {
        print_json(&serde_json::json!({ "claims": claims, "findings": findings }));
    } else if findings.is_empty() {
        outln!(
            "OK: {claims} active claims on the park's allocations in {} registers, none beyond \
             {}'s ledger",
            registers.len(),
            ledger.park
        );
    } else {
        for f in &findings {
            outln!(
                "DOUBLE COUNTED {}: {} kWh claimed, {} kWh allocated ({})",
                f.serial,
                f.claimed_kwh,
                f.allocated_kwh,
                f.claims.join("; ")
            );
        }
    }
    Ok(if findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
