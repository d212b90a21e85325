//! `pcf register`: lists, shows and verifies the issuer's register (with the certificate
//! double-counting check).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;

use pcf::report;

use super::Result;
use super::output::print_json;

/// A proof as `pcf register prove` prints it: one base64 SHA-256 hash per line.
pub fn parse_proof(text: &str, file: &std::path::Path) -> Result<Vec<pcf::register::merkle::Hash>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            pcf::register::note::decode_hash(l).ok_or_else(|| {
                pcf::Error::Usage(format!(
                    "{}:{}: not a base64 SHA-256 hash (a proof is one per line, as pcf register prove prints it)",
                    file.display(),
                    i + 1
                ))
            })
        })
        .collect()
}

/// The arguments of `pcf register`.
#[derive(clap::Args)]
pub struct Args {
    /// The register directory (`--dir` is an old spelling, still accepted).
    #[arg(long, alias = "dir", value_name = "DIR", default_value = pcf::register::DEFAULT_DIR)]
    pub register: PathBuf,
    #[command(subcommand)]
    pub command: RegisterCommand,
}

/// The subcommands of `pcf register`.
#[derive(Subcommand)]
pub enum RegisterCommand {
    /// List the entries.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one entry.
    Show {
        /// Sequence number.
        seq: u64,
    },
    /// Sign a checkpoint of the register (C2SP tlog-checkpoint: its origin is the issuer's
    /// did:key, its size and Merkle root those of the entries) and store it in checkpoints/.
    Checkpoint {
        /// The issuer's private key file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Print the consistency proof from the tree of FROM entries to the tree of SIZE (default:
    /// all entries), one base64 hash per line, for a witness.
    Prove {
        /// The size of the earlier tree (the witness's last cosigned checkpoint).
        #[arg(long)]
        from: u64,
        /// The size of the later tree.
        #[arg(long)]
        size: Option<u64>,
    },
    /// Send the register's latest checkpoint to a witness over HTTP (C2SP tlog-witness) with
    /// a consistency proof from the size it last cosigned, and write the cosigned checkpoint.
    Submit {
        /// The issuer's private key file (signs a checkpoint of the register as it is now).
        #[arg(long)]
        key: PathBuf,
        /// The witness's URL (its add-checkpoint endpoint is under it).
        #[arg(long)]
        witness: String,
        /// The witness's verifier key (pcf witness key): its cosignature is checked before it
        /// is kept.
        #[arg(long)]
        witness_key: String,
        /// Where to write the cosigned checkpoint (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
        /// The size the witness last cosigned, if known (by default the witness says).
        #[arg(long, default_value_t = 0)]
        old: u64,
        /// Trust only the certificates in this PEM file (for a witness with a self-signed
        /// certificate).
        #[arg(long)]
        ca_cert: Option<PathBuf>,
    },
    /// Write the register's statuses as a signed W3C Bitstring Status List credential
    /// (statusPurpose revocation; bit i is 1 when the declaration of entry i is deprecated).
    /// A derived view: the log's checkpoints are what rule out showing different lists.
    StatusList {
        /// The issuer's private key file (signs the credential).
        #[arg(long)]
        key: PathBuf,
        /// The URL the credential will be published at (its id).
        #[arg(long)]
        url: String,
        /// Where to write it (replaced if it exists; default: print it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Keep a checkpoint of the register cosigned by witnesses (`pcf witness ... cosign --out`):
    /// it must be the register's own checkpoint of its size with cosignatures appended. `pcf
    /// bundle` then carries the earliest one that includes the declaration, whose witness
    /// timestamps show when it was issued at the latest.
    AddCosigned {
        /// The cosigned checkpoint (a signed note).
        file: PathBuf,
    },
    /// Re-walk the chain and report the first broken link.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a register subcommand.
pub fn run(args: Args) -> Result<ExitCode> {
    let Args { register: dir, command } = args;
    if !dir.exists() {
        return Err(pcf::Error::Usage(format!(
            "{}: no register here (pcf declare creates it; or pass --register DIR)",
            dir.display()
        )));
    }
    let reg = pcf::register::Register::open(&dir)?;
    match command {
        RegisterCommand::List { json } => {
            let entries = reg.entries()?;
            if json {
                print_json(&entries);
            } else {
                // The current status of each declaration (a superseded one is
                // deprecated by the entry that supersedes it).
                let statuses = reg.statuses()?;
                let mut t = report::Table::new(&[
                    "seq",
                    "time",
                    "kind",
                    "declaration",
                    "pf id",
                    "status now",
                ]);
                for e in &entries {
                    let (kind, decl, pf) = match &e.kind {
                        pcf::register::EntryKind::Declared {
                            declaration,
                            pf_id,
                            supersedes,
                            ..
                        } => (
                            if supersedes.is_some() { "declared (supersedes)" } else { "declared" },
                            declaration.to_string(),
                            pf_id.clone(),
                        ),
                        pcf::register::EntryKind::StatusChanged { declaration, pf_id, .. } => {
                            ("deprecated", declaration.to_string(), pf_id.clone())
                        }
                        _ => ("other", String::new(), String::new()),
                    };
                    let status = match (&e.kind, statuses.get(e.kind.declaration())) {
                        (pcf::register::EntryKind::Declared { .. }, Some(s)) => match s {
                            pcf::register::Status::Active => "active",
                            pcf::register::Status::Deprecated => "deprecated",
                            _ => "other",
                        },
                        _ => "",
                    };
                    t.row(vec![
                        report::Cell::Figure(e.seq.to_string()),
                        e.time.as_str().into(),
                        kind.into(),
                        decl.into(),
                        pf.into(),
                        status.into(),
                    ]);
                }
                out!("{}", t.render(0));
            }
        }
        RegisterCommand::Show { seq } => print_json(&reg.entry(seq)?),
        RegisterCommand::Prove { from, size } => {
            let size = match size {
                Some(s) => s,
                None => reg.size()?,
            };
            for h in reg.consistency_proof(from, size)? {
                outln!("{}", pcf::register::note::encode_hash(&h));
            }
        }
        RegisterCommand::AddCosigned { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| pcf::Error::io(&file, &e))?;
            let kept = reg.add_cosigned(&text)?;
            outln!(
                "kept the checkpoint of size {} with {} cosignature(s): {}",
                kept.checkpoint.size,
                kept.cosignatures,
                kept.path.display()
            );
        }
        RegisterCommand::Checkpoint { key } => {
            let key = pcf::keys::read_private_key(&key)?;
            let cp = reg.checkpoint(&key)?;
            outln!("checkpoint of {} entries: {}", cp.checkpoint.size, cp.path.display());
            out!("{}", cp.note);
        }
        RegisterCommand::Submit { key, witness, witness_key, out, old, ca_cert } => {
            let key = pcf::keys::read_private_key(&key)?;
            let issuer = pcf::register::note::Verifier::for_did_key(&pcf::keys::did_key(
                &key.verifying_key(),
            ))?;
            let witness_v = pcf::register::note::Verifier::parse_vkey(&witness_key)?;
            let cp = reg.checkpoint(&key)?;
            let ca = ca_cert.as_deref().map(pcf::exchange::tls::read_certificates).transpose()?;
            let http = pcf::exchange::client::http_client(ca.as_deref(), Duration::from_secs(30))?;
            let submitted = super::exchange::runtime()?.block_on(pcf::exchange::submit::submit(
                &http, &witness, &reg, &issuer, &witness_v, &cp.note, old,
            ))?;
            pcf_base::atomic::write_replace(
                &out,
                submitted.note.as_bytes(),
                pcf_base::atomic::Mode::Public,
            )
            .map_err(|e| pcf::Error::io(&out, &e))?;
            let since = match (submitted.old, submitted.retried) {
                (0, _) => "the first checkpoint of this log it cosigns".to_string(),
                (old, true) => {
                    format!("consistent with the {old} it cosigned before, as it told us")
                }
                (old, false) => format!("consistent with the {old} it cosigned before"),
            };
            outln!(
                "{} cosigned the checkpoint of {} entries ({since}): {}",
                witness_v.name,
                submitted.size,
                out.display()
            );
            // Kept in the register too, as pcf register add-cosigned would: pcf bundle carries
            // it, with the witness's timestamp.
            let kept = reg.add_cosigned(&submitted.note)?;
            outln!("  kept in the register: {}", kept.path.display());
        }
        RegisterCommand::StatusList { key, url, out } => {
            use pcf::register::status_list::{self, StatusListError};
            let key = pcf::keys::read_private_key(&key)?;
            let now = pcf::proof::utc_now();
            let credential =
                status_list::credential(&reg, &key, &url, &now).map_err(|e| match e {
                    StatusListError::Register(e) => pcf::Error::from(e),
                    StatusListError::Proof(e) => pcf::Error::from(e),
                    other => pcf::Error::Usage(other.to_string()),
                })?;
            match out {
                Some(path) => {
                    let mut text = serde_json::to_string_pretty(&credential)
                        .map_err(|e| pcf::Error::Usage(e.to_string()))?;
                    text.push('\n');
                    pcf_base::atomic::write_replace(
                        &path,
                        text.as_bytes(),
                        pcf_base::atomic::Mode::Public,
                    )
                    .map_err(|e| pcf::Error::io(&path, &e))?;
                    outln!(
                        "status list of {} entries for {url}: {}",
                        reg.entries()?.len(),
                        path.display()
                    );
                }
                None => print_json(&credential),
            }
        }
        RegisterCommand::Verify { json } => {
            let rep = reg.verify()?;
            let checkpoints = reg.verify_checkpoints()?;
            let findings = pcf::certification::certificates::double_counting(&reg)?;
            let failed = findings.iter().any(|f| f.is_error());
            if json {
                print_json(&serde_json::json!({
                    "chain": rep,
                    "checkpoints": checkpoints,
                    "certificates": findings,
                }));
            } else {
                outln!(
                    "register {} is intact: {} entries, {} declarations ({} deprecated){}",
                    dir.display(),
                    rep.entries,
                    rep.declarations,
                    rep.deprecated,
                    rep.head.map_or(String::new(), |h| format!("; head {} {}", h.seq, h.digest))
                );
                if checkpoints > 0 {
                    outln!(
                        "  {checkpoints} signed checkpoint(s) match the entries (signature of \
                         their did:key origin, Merkle root of their size)"
                    );
                }
                if rep.stray_temp_files > 0 {
                    outln!(
                        "  {} leftover temporary file(s) from interrupted writes (harmless)",
                        rep.stray_temp_files
                    );
                }
                for f in &findings {
                    outln!("  {f}");
                }
                if findings.is_empty() {
                    outln!("  no green electricity certificate is claimed beyond its quantity");
                }
            }
            if failed {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
