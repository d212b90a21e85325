//! `pcf` subcommands for exchange (placeholder until written).

use std::process::ExitCode;

use clap::Subcommand;

/// Subcommands of this area.
#[derive(Subcommand)]
pub enum Command {
    /// (not yet written)
    #[command(hide = true, name = "exchange-placeholder")]
    Placeholder,
}

/// Runs a subcommand.
pub fn run(command: Command) -> Result<ExitCode, pcf::Error> {
    match command {
        Command::Placeholder => Err(pcf::Error::Usage("not written yet".into())),
    }
}
