//! Issuing a declaration into a register (what `pcf declare` does), in an order that a crash
//! or `kill -9` at any point leaves recoverable.
//!
//! 1. Everything is checked first: `--out` is free, the superseded declaration is in the
//!    register and not superseded yet, and the certificates claimed fit in what they hold
//!    beside the register's other active declarations ([`certificates::check_issuance`]).
//!    A refusal here leaves nothing signed, written or registered.
//! 2. The declaration is signed and stored in the register's content-addressed store, and the
//!    certificate quantities of the inventory are recorded in the ledger. Both are idempotent
//!    and harmless on their own: an unreferenced stored declaration is never read, and a
//!    ledger record is a fact about a certificate, not a claim.
//! 3. One register entry is appended: the commit point. Its `supersedes` deprecates the old
//!    declaration in the same append, so there is no state with the new declaration recorded
//!    and the old one still active.
//! 4. The output file is written (temporary file, then renamed) from the stored declaration.
//!
//! A retry of an interrupted supersession (same inventory, methodology, product and comment)
//! finds step 3 done and finishes step 4 instead of refusing with "already superseded":
//! [`Outcome::Finished`].

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde_json::Value;

use crate::Error;
use crate::certification::certificates::{self, Finding};
use crate::declaration::{self, Declaration, IssueOptions};
use crate::register::{Entry, EntryKind, Register, RegisterError, Timestamp, Violation};
use pcf_base::atomic::{Mode, write_new};
use pcf_base::digest::Digest;
use pcf_footprint::inventory::Inventory;
use pcf_footprint::methodology::Methodology;

/// What to issue and where: the arguments of `pcf declare`.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The inventory.
    pub inventory: &'a Inventory,
    /// The methodology.
    pub methodology: &'a Methodology,
    /// The product's id in the inventory.
    pub product: &'a str,
    /// The issuer's key.
    pub key: &'a SigningKey,
    /// Options, among them the declaration superseded.
    pub options: &'a IssueOptions,
    /// The issuer's register.
    pub register: &'a Register,
    /// Issue as `did:web:<domain>` instead of the key's `did:key`
    /// ([`declaration::identity`]).
    pub did_web: Option<&'a str>,
    /// Where to write the declaration (never replaced); by default
    /// `declarations/<product>-<first 8 digits of the pf id>.json`.
    pub out: Option<&'a Path>,
}

/// What [`declare`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outcome {
    /// The declaration was issued and registered, and `out` written.
    Declared {
        /// The declaration.
        declaration: Box<Declaration>,
        /// The register entry that records it.
        entry: Entry,
        /// The file written.
        out: PathBuf,
        /// Certificate quantities that differ from those recorded earlier.
        warnings: Vec<Finding>,
    },
    /// An earlier, interrupted run had already registered this supersession; it was finished.
    Finished {
        /// The registered declaration.
        declaration: Digest,
        /// Its pf id.
        pf_id: String,
        /// The entry that registered it.
        seq: u64,
        /// The file that holds it.
        out: PathBuf,
        /// Whether `out` was written now (else it already held the declaration).
        wrote_out: bool,
    },
}

/// Issues the request's product, records it in the register at `time` (superseding
/// `options.supersedes`, if any) and writes it to `out`; see the module documentation for the
/// order and what a crash leaves.
pub fn declare(request: &Request<'_>, time: Timestamp) -> Result<Outcome, Error> {
    let Request { inventory: inv, methodology, product, key, options, register, out, did_web } =
        *request;
    let supersedes = match &options.supersedes {
        Some(old) => Some(pcf_base::canonical::digest(old)?),
        None => None,
    };
    if let Some(old) = supersedes
        && let Some(done) = finish_interrupted(request, old)?
    {
        return Ok(done);
    }
    if let Some(out) = out
        && out.exists()
    {
        return Err(out_exists(out));
    }
    let claims = declaration::certificate_claims(inv, methodology, product)?;
    certificates::check_issuance(register, inv, &claims, supersedes)?;

    let d = declaration::issue_as(inv, methodology, product, key, options, did_web)?;
    let out = out.map_or_else(|| default_out(product, &d.pf_id), Path::to_path_buf);
    if out.exists() {
        return Err(out_exists(&out));
    }
    create_parent(&out)?;
    let canonical = pcf_base::canonical::canonicalize(&d.document)?;
    register.store_declaration(&canonical)?;
    let warnings = certificates::record(register, inv)?;
    let entry = register.append(
        EntryKind::Declared {
            declaration: d.digest,
            pf_id: d.pf_id.clone(),
            product_ids: d.product_ids.clone(),
            supersedes: d.supersedes,
            certificates: d.certificates.clone(),
        },
        time,
    )?;
    write_out(&out, &d.document)?;
    Ok(Outcome::Declared { declaration: Box::new(d), entry, out, warnings })
}

/// If `old` is already superseded in the register: by what this run would issue (an earlier
/// run was interrupted after its commit point), finishes that run; by something else, refuses
/// before anything is signed. `Ok(None)`: `old` is not superseded yet.
fn finish_interrupted(request: &Request<'_>, old: Digest) -> Result<Option<Outcome>, Error> {
    let Request { inventory: inv, register, out, .. } = *request;
    // From the register's index: no walk of the chain.
    let Some(info) = register.lookup(&old)? else {
        return Err(refused(register, Violation::NotDeclared { declaration: old }));
    };
    let Some((_, by_seq)) = info.superseded_by else {
        return Ok(None);
    };
    let by = register.entry(by_seq)?;
    let EntryKind::Declared { declaration, pf_id, .. } = &by.kind else {
        return Ok(None);
    };
    let stored = pcf_base::canonical::parse_strict(&register.declaration(declaration)?)?;
    if !same_request(&stored, request) {
        return Err(refused(
            register,
            Violation::AlreadySuperseded { declaration: old, by: *declaration, seq: by.seq },
        ));
    }
    // The earlier run's entry is committed; what may be missing is the ledger and the file.
    certificates::record(register, inv)?;
    let out = out.map_or_else(|| default_out(request.product, pf_id), Path::to_path_buf);
    let wrote_out = if out.exists() {
        let existing = crate::certification::read_json(&out)?;
        if pcf_base::canonical::digest(&existing)? != *declaration {
            return Err(out_exists(&out));
        }
        false
    } else {
        create_parent(&out)?;
        write_out(&out, &stored)?;
        true
    };
    Ok(Some(Outcome::Finished {
        declaration: *declaration,
        pf_id: pf_id.clone(),
        seq: by.seq,
        out,
        wrote_out,
    }))
}

/// Whether `stored` is what this request issues, up to the id, time and signature: the same
/// product ids, inventory, methodology, supersession and comment.
fn same_request(stored: &Value, request: &Request<'_>) -> bool {
    let Request { inventory: inv, methodology, product, options, .. } = *request;
    let Some(prov) = declaration::provenance(stored) else { return false };
    let Some(p) = inv.product_index(product).map(|j| &inv.products[j]) else { return false };
    let Some(subject) = declaration::pact_footprint(stored) else { return false };
    subject["productIds"] == serde_json::json!(p.product_ids)
        && prov.inventory_digest == inv.digest
        && prov.methodology.digest == methodology.digest()
        && subject["comment"].as_str() == options.comment.as_deref()
}

/// `declarations/<product>-<first 8 digits of the pf id>.json`.
fn default_out(product: &str, pf_id: &str) -> PathBuf {
    let short = pf_id.get(..8).unwrap_or(pf_id);
    PathBuf::from("declarations").join(format!("{product}-{short}.json"))
}

fn create_parent(out: &Path) -> Result<(), Error> {
    match out.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e)),
        None => Ok(()),
    }
}

fn write_out(out: &Path, document: &Value) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(document)
        .map_err(|e| Error::Io { path: out.display().to_string(), message: e.to_string() })?
        + "\n";
    write_new(out, text.as_bytes(), Mode::Public).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            out_exists(out)
        } else {
            Error::io(out, &e)
        }
    })
}

fn out_exists(out: &Path) -> Error {
    Error::Usage(format!(
        "{}: already exists; a declaration is never overwritten, choose another --out",
        out.display()
    ))
}

fn refused(register: &Register, violation: Violation) -> Error {
    match register.size() {
        Ok(seq) => RegisterError::Refused { seq, violation }.into(),
        Err(e) => e.into(),
    }
}
