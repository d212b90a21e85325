//! `pcf trust`: keeps a buyer's trust list ([`pcf::trustlist`]), the file `pcf verify
//! --trust-list` reads: `add` an issuer or a witness by name, `list` what it holds. The file is
//! rewritten atomically, and only after the whole existing list parsed: an entry is never lost.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pcf::trustlist::{TrustList, TrustedIssuer, TrustedWitness};

use super::Result;
use super::output::print_json;

/// The `pcf trust` subcommands.
#[derive(clap::Subcommand)]
pub enum TrustCommand {
    /// Add an issuer (--did) or a witness (--witness) to a trust list, created if absent.
    Add(AddArgs),
    /// Print the issuers and witnesses of a trust list.
    List(ListArgs),
}

/// The arguments of `pcf trust add`.
#[derive(clap::Args)]
pub struct AddArgs {
    /// The trust list file (created if it does not exist).
    #[arg(long, value_name = "FILE")]
    pub list: PathBuf,
    /// The issuer's DID (did:key:z6Mk... or did:web:...), as the issuer publishes it.
    #[arg(long, required_unless_present = "witness", conflicts_with = "witness")]
    pub did: Option<String>,
    /// A witness's verifier key, as `pcf witness ... key` prints it.
    #[arg(long, value_name = "VKEY")]
    pub witness: Option<String>,
    /// The name you know the issuer or witness by (shown in verify reports).
    #[arg(long)]
    pub name: String,
}

/// The arguments of `pcf trust list`.
#[derive(clap::Args)]
pub struct ListArgs {
    /// The trust list file.
    pub file: PathBuf,
    /// Print the list as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `pcf trust` subcommand.
pub fn run(command: TrustCommand) -> Result<ExitCode> {
    match command {
        TrustCommand::Add(args) => add(args),
        TrustCommand::List(args) => list(args),
    }
}

/// Reads the trust list at `path`.
pub fn read(path: &Path) -> Result<TrustList> {
    let bytes = std::fs::read(path).map_err(|e| pcf::Error::io(path, &e))?;
    Ok(TrustList::parse(&bytes, &path.display().to_string())?)
}

fn add(args: AddArgs) -> Result<ExitCode> {
    let AddArgs { list: path, did, witness, name } = args;
    let mut list = if path.exists() { read(&path)? } else { TrustList::default() };
    let shown = path.display().to_string();
    let (what, existing) = match (&did, &witness) {
        (Some(did), _) => {
            let existing = list.name_of(did).map(String::from);
            if existing.is_none() {
                list.issuers.push(TrustedIssuer { did: did.clone(), name: name.clone() });
            }
            (did.clone(), existing)
        }
        (None, Some(key)) => {
            let existing = list.witnesses.iter().find(|w| w.key.trim() == key.trim());
            let existing = existing.map(|w| w.name.clone());
            if existing.is_none() {
                list.witnesses.push(TrustedWitness { key: key.trim().into(), name: name.clone() });
            }
            (key.trim().to_string(), existing)
        }
        (None, None) => return Err(pcf::Error::Usage("give --did or --witness".into())),
    };
    match existing {
        Some(n) if n == name => {
            outln!("{shown}: {what} is already listed as {n:?}; unchanged");
            return Ok(ExitCode::SUCCESS);
        }
        Some(n) => {
            return Err(pcf::Error::Usage(format!(
                "{shown}: {what} is already listed as {n:?}; edit the file to rename it"
            )));
        }
        None => {}
    }
    // Re-read from the JSON written, so a list that would not read back is never written.
    let json = list.to_json();
    TrustList::from_value(&json, &shown)?;
    let mut text = serde_json::to_string_pretty(&json)
        .map_err(|e| pcf::Error::Usage(format!("cannot serialize the trust list: {e}")))?;
    text.push('\n');
    pcf::atomic::write_replace(&path, text.as_bytes(), pcf::atomic::Mode::Public)
        .map_err(|e| pcf::Error::io(&path, &e))?;
    outln!(
        "{shown}: added {name:?} ({} issuers, {} witnesses)",
        list.issuers.len(),
        list.witnesses.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn list(args: ListArgs) -> Result<ExitCode> {
    let list = read(&args.file)?;
    if args.json {
        print_json(&list.to_json());
        return Ok(ExitCode::SUCCESS);
    }
    outln!("issuers ({})", list.issuers.len());
    for i in &list.issuers {
        outln!("  {}  {}", i.did, i.name);
    }
    outln!("witnesses ({})", list.witnesses.len());
    for w in &list.witnesses {
        outln!("  {}  {}", w.key, w.name);
    }
    Ok(ExitCode::SUCCESS)
}
