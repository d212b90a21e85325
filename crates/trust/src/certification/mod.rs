//! Certification: what a certification body (ISO 14065, verifying under ISO 14064-3, ISO 14067
//! or the EU CBAM rules) and an exporter need around signed declarations.
//!
//! - [`diff`]: every rule and factor that changed between two methodology versions, compared by
//!   meaning (parsed values by JSON pointer), and how each product's footprint moves and why.
//! - [`approval`]: signed approvals of a methodology version by a body, their revocations, and
//!   whether a declaration's methodology was approved by a trusted body when it was issued.
//! - [`audit`]: re-running a declaration from the disclosed inventory and the pinned
//!   methodology, comparing field by field, and writing the calculation trace and a report.
//! - [`certificates`]: green electricity certificates (or PPA volumes) claimed beyond their
//!   quantity across the declarations of a register.
//! - [`impact`]: which declarations a changed supplier declaration or methodology affects, by
//!   how much, and which must be reissued.
//!
//! ```
//! use pcf_trust::certification::diff::diff;
//! use pcf_footprint::methodology::Methodology;
//! let a = Methodology::shipped("pact-3.0").unwrap();
//! let b = Methodology::shipped("eu-cbam-2026").unwrap();
//! let d = diff(&a, &b);
//! assert!(d.changes.iter().any(|c| c.path == "/gwp/factors/n2o"));
//! ```

pub mod approval;
pub mod audit;
pub mod certificates;
pub mod diff;
pub mod impact;
pub mod park;

use std::path::Path;

use serde_json::Value;

use crate::Error;
use crate::declaration::bundle::Bundle;
use pcf_base::digest::Digest;
use pcf_footprint::methodology::Methodology;

/// Why a certification document or request was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificationError {
    /// A document is not what the command expects (an approval, a declaration...).
    #[error("{file}: {problem}")]
    Document {
        /// The file (or a description of the document).
        file: String,
        /// What is wrong.
        problem: String,
    },
    /// The methodology a declaration pins cannot be found.
    #[error(
        "the declaration pins methodology {id} {version} ({digest}), which is neither shipped, \
         in the bundle, nor given with --methodology"
    )]
    MethodologyNotFound {
        /// Id.
        id: String,
        /// Version.
        version: String,
        /// Digest.
        digest: Digest,
    },
    /// A declaration would claim more of a certificate than the certificate holds.
    #[error(transparent)]
    OverClaimed(Box<certificates::OverClaim>),
    /// A park file, a park ledger or a claim on a park's allocation was refused.
    #[error("{file}{}: {problem}\n  help: {help}", if at.is_empty() { String::new() } else { format!(" at {at}") })]
    Park {
        /// The file.
        file: String,
        /// Where in it (a TOML path or a JSON pointer), or empty.
        at: String,
        /// What is wrong.
        problem: String,
        /// What to do.
        help: String,
    },
}

/// Reads a JSON file with the strict parser; the error names the file.
pub fn read_json(path: &Path) -> Result<Value, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
    pcf_base::canonical::parse_strict(&bytes).map_err(|e| Error::Io {
        path: path.display().to_string(),
        message: format!("rejected: {e}"),
    })
}

/// A declaration given directly or inside a bundle: the declaration and the bundle, if any.
pub fn declaration_and_bundle(document: Value) -> (Value, Option<Bundle>) {
    if pcf_footprint::credential::is_bundle(&document)
        && let Ok(b) = serde_json::from_value::<Bundle>(document.clone())
    {
        return (b.declaration.clone(), Some(b));
    }
    (document, None)
}

/// The methodology a declaration pins, found by digest: `explicit` if given (it must have
/// that digest), else the one shipped with pcf (live or archived), else one carried by the
/// bundle.
pub fn pinned_methodology(
    declaration: &Value,
    bundle: Option<&Bundle>,
    explicit: Option<&Methodology>,
) -> Result<Methodology, Error> {
    let prov = crate::declaration::provenance(declaration).ok_or_else(|| {
        CertificationError::Document {
            file: "declaration".into(),
            problem: "not a pcf declaration: it has no provenance extension".into(),
        }
    })?;
    let m = &prov.methodology;
    if let Some(e) = explicit
        && e.digest() == m.digest
    {
        return Ok(e.clone());
    }
    if let Some(s) = Methodology::shipped_with_digest(&m.id, &m.digest) {
        return Ok(s);
    }
    for text in bundle.map(|b| b.methodologies.as_slice()).unwrap_or_default() {
        if let Ok(loaded) = text.load()
            && loaded.digest() == m.digest
        {
            return Ok(loaded);
        }
    }
    Err(CertificationError::MethodologyNotFound {
        id: m.id.clone(),
        version: m.version.clone(),
        digest: m.digest,
    }
    .into())
}

/// A methodology built from a JSON document (for hybrids in [`diff`]).
pub(crate) fn methodology_from_document(
    document: &Value,
    origin: &str,
) -> Result<Methodology, Error> {
    let text = serde_json::to_string(document)
        .map_err(|e| Error::Io { path: origin.into(), message: e.to_string() })?;
    Ok(Methodology::from_text_at(Path::new("hybrid-methodology.json"), &text, origin)?)
}
