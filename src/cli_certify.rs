//! `pcf` subcommands for certify (placeholder until written).

use std::process::ExitCode;

use clap::Subcommand;

/// Subcommands of this area.
#[derive(Subcommand)]
pub enum Command {
    /// (not yet written)
    #[command(hide = true, name = "certify-placeholder")]
    Placeholder,
}

/// Subcommands added under `pcf methodology`.
#[derive(Subcommand)]
pub enum MethodologyCommand {
    /// (not yet written)
    #[command(hide = true, name = "methodology-placeholder")]
    Placeholder,
}

/// Runs a `pcf methodology` subcommand of this area.
pub fn run_methodology(command: MethodologyCommand) -> Result<ExitCode, pcf::Error> {
    match command {
        MethodologyCommand::Placeholder => Err(pcf::Error::Usage("not written yet".into())),
    }
}

/// Runs a subcommand.
pub fn run(command: Command) -> Result<ExitCode, pcf::Error> {
    match command {
        Command::Placeholder => Err(pcf::Error::Usage("not written yet".into())),
    }
}
