//! The UNTP Digital Product Passport on the command line: `pcf declare --format untp-dpp`
//! writes one beside the declaration it links to, and `pcf verify` verifies one.

use std::path::{Path, PathBuf};

use pcf::methodology::Methodology;
use pcf::passport::PassportOptions;
use pcf_base::atomic::{Mode, write_new};
use serde_json::Value;

use super::Result;

/// What `pcf declare --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The PACT declaration (a VC secured with eddsa-jcs-2022).
    Pact,
    /// The PACT declaration and, beside it (NAME.untp-dpp.json), a UNTP Digital Product
    /// Passport linked to it by digest (a vc+jwt in an EnvelopedVerifiableCredential).
    UntpDpp,
}

/// Where the passport of the declaration written to `declaration` goes: beside it, as
/// `NAME.untp-dpp.json`.
pub fn passport_path(declaration: &Path) -> PathBuf {
    let stem =
        declaration.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    declaration.with_file_name(format!("{stem}.untp-dpp.json"))
}

/// Issues the passport of `declaration` (written to `declaration_out`) and writes it beside it.
pub fn write_passport(
    declaration: &Value,
    methodology: &Methodology,
    key: &pcf::keys::SigningKey,
    declaration_out: &Path,
) -> Result<()> {
    let p = pcf::passport::issue(declaration, methodology, key, &PassportOptions::default())?;
    let path = passport_path(declaration_out);
    let text = serde_json::to_string_pretty(&p.enveloped)
        .map_err(|e| pcf::Error::Io { path: path.display().to_string(), message: e.to_string() })?
        + "\n";
    write_new(&path, text.as_bytes(), Mode::Public).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            pcf::Error::Usage(format!(
                "{}: already exists; a passport is never overwritten",
                path.display()
            ))
        } else {
            pcf::Error::io(&path, &e)
        }
    })?;
    outln!(
        "  passport  {} (UNTP DPP {}, vc+jwt, {})",
        path.display(),
        pcf::passport::DPP_VERSION,
        p.credential["id"].as_str().unwrap_or("?")
    );
    Ok(())
}
