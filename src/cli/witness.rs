//! `pcf witness`: witness issuers' logs. `key` prints the witness's verifier key for buyers;
//! `cosign` cosigns a checkpoint file that extends the last one cosigned for that log, or
//! reports an equivocation with both checkpoints; `serve` does the same over HTTP (C2SP
//! `tlog-witness`, `POST /add-checkpoint`) for the logs it is given, and issuers reach it with
//! `pcf register submit`.
//!
//! Why a command of its own rather than part of `pcf serve`? A witness is someone other than
//! the issuer, with its own key and state and no register; `pcf serve` is the issuer's PACT
//! host, behind OAuth, while `tlog-witness` has no authentication beyond the log's signature
//! on the checkpoint.

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
    /// Serve the witness over HTTP (C2SP tlog-witness: POST /add-checkpoint).
    Serve {
        /// The witness's state directory (the last checkpoint cosigned per log, evidence/).
        #[arg(long)]
        state: PathBuf,
        /// A log to witness: its issuer's did:key, or a verifier key; repeatable.
        #[arg(long = "log", required = true)]
        logs: Vec<String>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7380")]
        listen: std::net::SocketAddr,
        /// TLS certificate chain (PEM, leaf first).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP (what the witness answers is signed and checked by the issuer, but
        /// anyone on the path sees and can block it). Local tests only.
        #[arg(long, conflicts_with = "tls_cert")]
        danger_plain_http: bool,
    },
}

fn log_verifier(log: &str) -> Result<Verifier> {
    Ok(if log.starts_with("did:key:") {
        Verifier::for_did_key(log)?
    } else {
        Verifier::parse_vkey(log)?
    })
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
            let log = log_verifier(&log)?;
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
        WitnessCommand::Serve { state, logs, listen, tls_cert, tls_key, danger_plain_http } => {
            use pcf::exchange::server::witness::{WitnessConfig, WitnessServer};
            use pcf::exchange::server::{Limits, Transport};
            let logs = logs.iter().map(|l| log_verifier(l)).collect::<Result<Vec<_>>>()?;
            let transport = match (tls_cert, tls_key, danger_plain_http) {
                (Some(cert), Some(key), false) => Transport::Tls(
                    pcf::exchange::tls::Identity::from_pem_files(&cert, &key)?.server_config()?,
                ),
                (None, None, true) => Transport::DangerPlainHttp,
                _ => {
                    return Err(pcf::Error::Usage(
                        "pcf witness serve needs TLS: give --tls-cert and --tls-key (plain HTTP \
                         only with --danger-plain-http, for local tests)"
                            .into(),
                    ));
                }
            };
            let witness = Witness { name: args.name, key, state };
            let vkey = witness.vkey()?;
            let names: Vec<String> = logs.iter().map(|l| l.name.clone()).collect();
            let config =
                WitnessConfig { witness, logs, transport, limits: Limits::default(), log: true };
            super::exchange::runtime()?.block_on(async move {
                let server = WitnessServer::start(config, listen).await?;
                println!("pcf witness: {}/add-checkpoint", server.url());
                println!("  verifier key {vkey}");
                for n in &names {
                    println!("  witnesses {n}");
                }
                println!("press Ctrl-C to stop");
                let _ = tokio::signal::ctrl_c().await;
                server.shutdown().await;
                Ok::<(), pcf::Error>(())
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
