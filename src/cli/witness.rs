//! `pcf witness`: witness an issuer's log (files in, files out). `key` prints the witness's
//! verifier key for buyers; `cosign` cosigns a checkpoint that extends the last one cosigned
//! for that log, or reports an equivocation with both checkpoints.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use pcf::register::note::Verifier;
use pcf::witness::{Outcome, Witness};

use super::Result;

/// The arguments of `pcf witness`.
#[derive(clap::Args)]
pub struct Args {
    /// The witness's private key file (`pcf keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// The witness's name (a schema-less URL is recommended, e.g. witness.example/w1).
    #[arg(long)]
    pub name: String,
    #[command(subcommand)]
    pub command: WitnessCommand,
}

/// The subcommands of `pcf witness`.
#[derive(Subcommand)]
pub enum WitnessCommand {
    /// Print the witness's verifier key (give it to buyers: pcf verify --witness).
    Key,
    /// Cosign a checkpoint of a log if it extends the last one cosigned for that log.
    Cosign {
        /// The witness's state directory (the last checkpoint cosigned per log).
        #[arg(long)]
        state: PathBuf,
        /// The log: its issuer's did:key (the checkpoint's origin), or a verifier key.
        #[arg(long)]
        log: String,
        /// The checkpoint (a signed note, as in the register's checkpoints/).
        checkpoint: PathBuf,
        /// The consistency proof from the last checkpoint cosigned (pcf register prove).
        #[arg(long)]
        proof: Option<PathBuf>,
        /// Where to write the cosigned checkpoint (default: print it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Runs a witness subcommand.
pub fn run(args: Args) -> Result<ExitCode> {
    let key = pcf::keys::read_private_key(&args.key)?;
    match args.command {
        WitnessCommand::Key => {
            let w = Witness { name: args.name, key, state: PathBuf::new() };
            outln!("{}", w.vkey()?);
        }
        WitnessCommand::Cosign { state, log, checkpoint, proof, out } => {
            let w = Witness { name: args.name, key, state };
            let log = if log.starts_with("did:key:") {
                Verifier::for_did_key(&log)?
            } else {
                Verifier::parse_vkey(&log)?
            };
            let read = |p: &PathBuf| std::fs::read_to_string(p).map_err(|e| pcf::Error::io(p, &e));
            let text = read(&checkpoint)?;
            let proof = match &proof {
                Some(p) => super::register::parse_proof(&read(p)?, p)?,
                None => Vec::new(),
            };
            let now = pcf_base::time::Instant::now().unix_seconds().max(0) as u64;
            match w.cosign(&log, &text, &proof, now)? {
                Outcome::Cosigned { note, previous_size } => {
                    match &out {
                        Some(path) => {
                            pcf_base::atomic::write_new(
                                path,
                                note.as_bytes(),
                                pcf_base::atomic::Mode::Public,
                            )
                            .map_err(|e| pcf::Error::io(path, &e))?;
                            outln!("cosigned: {}", path.display());
                        }
                        None => out!("{note}"),
                    }
                    if previous_size.is_none() {
                        eprintln!(
                            "note: first checkpoint of {} seen by this witness (no proof needed)",
                            log.name
                        );
                    }
                }
                Outcome::Equivocation { reason, earlier, later } => {
                    outln!("EQUIVOCATION by {}: {reason}", log.name);
                    outln!("\nthe checkpoint cosigned before:\n{earlier}");
                    outln!("the checkpoint given now:\n{later}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
