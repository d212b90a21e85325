//! `pcf keygen` and `pcf did`: the issuer's signing key and its public identity (did:key, and
//! the did:web document to publish).

use std::path::PathBuf;
use std::process::ExitCode;

use super::Result;
use super::output::print_json;

/// The arguments of `pcf keygen`.
#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Where to write the private key.
    #[arg(long, default_value = "issuer.key")]
    pub out: PathBuf,
    /// Also print the did:web DID document to publish at https://DOMAIN/.well-known/did.json.
    #[arg(long)]
    pub domain: Option<String>,
}

/// The arguments of `pcf did`.
#[derive(clap::Args)]
pub struct DidArgs {
    /// The private key file.
    pub key: PathBuf,
    /// The company domain for did:web.
    #[arg(long)]
    pub domain: Option<String>,
}

/// Creates the key and prints its DID (and did:web document).
pub fn keygen(args: KeygenArgs) -> Result<ExitCode> {
    let KeygenArgs { out, domain } = args;
    let key = pcf::keys::generate()?;
    pcf::keys::write_private_key(&out, &key)?;
    let public = key.verifying_key();
    outln!("wrote {} (private key, readable by you only; keep it secret)", out.display());
    outln!("issuer DID: {}", pcf::keys::did_key(&public));
    if let Some(domain) = domain {
        outln!("\npublish this at https://{domain}/.well-known/did.json:");
        print_json(&pcf::keys::did_web_document(&domain, &public));
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the did:key (and did:web document) of a key.
pub fn did(args: DidArgs) -> Result<ExitCode> {
    let DidArgs { key, domain } = args;
    let key = pcf::keys::read_private_key(&key)?;
    let public = key.verifying_key();
    outln!("{}", pcf::keys::did_key(&public));
    if let Some(domain) = domain {
        print_json(&pcf::keys::did_web_document(&domain, &public));
    }
    Ok(ExitCode::SUCCESS)
}
