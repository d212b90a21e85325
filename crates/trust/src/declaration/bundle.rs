//! Bundles: one JSON file that carries a declaration with everything a buyer needs to verify it
//! offline — the suppliers' declarations it consumed (recursively), the declarations it
//! supersedes, the methodology file, and an excerpt of the issuer's register.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::register::RegisterExcerpt;
use pcf_base::digest::Digest;
use pcf_footprint::methodology::{Methodology, MethodologyError};

/// The bundle format name and version.
pub const FORMAT: &str = "pcf-bundle/1";

/// A bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    /// Always [`FORMAT`].
    pub format: String,
    /// The declaration.
    pub declaration: Value,
    /// Suppliers' declarations, at any depth.
    #[serde(default)]
    pub upstream: Vec<Value>,
    /// Earlier versions the declaration supersedes.
    #[serde(default)]
    pub superseded: Vec<Value>,
    /// Methodology files.
    #[serde(default)]
    pub methodologies: Vec<MethodologyText>,
    /// The issuer's register, as far as it concerns the declaration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_excerpt: Option<RegisterExcerpt>,
    /// The issuer's checkpoint of its log at the excerpt's head, with the excerpt's inclusion
    /// proofs (absent for registers not checkpointed then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<crate::register::LogProof>,
    /// A consistency proof from an earlier checkpoint of the issuer's log to the one in `log`,
    /// for a buyer who recorded the earlier one (`pcf verify --seen`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_consistency: Option<ConsistencyProof>,
    /// The earliest checkpoint of the issuer's log cosigned by witnesses that includes the
    /// declaration's entry, with its inclusion proof: the declaration was issued no later than
    /// a witness's timestamp on it (absent until the issuer keeps cosigned checkpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnessed: Option<crate::register::WitnessedProof>,
}

/// An RFC 9162 consistency proof between two sizes of a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The earlier size.
    pub from: u64,
    /// The later size (the size of the bundle's checkpoint).
    pub to: u64,
    /// The proof (base64 hashes).
    pub proof: Vec<String>,
}

impl ConsistencyProof {
    /// The proof's hashes, or `None` if one is not a base64 SHA-256 hash.
    pub fn hashes(&self) -> Option<Vec<crate::register::merkle::Hash>> {
        self.proof.iter().map(|h| crate::register::note::decode_hash(h)).collect()
    }
}

/// A methodology file carried in a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MethodologyText {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Digest as claimed (the verifier recomputes it from `text`).
    pub digest: Digest,
    /// The TOML text.
    pub text: String,
}

/// Reads a declaration or bundle file for verification: at most
/// [`super::verify::MAX_BUNDLE_BYTES`], parsed strictly (no duplicate keys, no unsafe
/// integers). An unreadable file is a usage error; a file too large or not strict JSON is
/// refused input.
pub fn read_document(path: &Path) -> Result<Value, crate::Error> {
    use std::io::Read;
    let limit = super::verify::MAX_BUNDLE_BYTES;
    let file = std::fs::File::open(path)
        .map_err(|e| crate::Error::Usage(format!("{}: cannot read: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::Error::Usage(format!("{}: cannot read: {e}", path.display())))?;
    if bytes.len() as u64 > limit {
        return Err(crate::Error::Io {
            path: path.display().to_string(),
            message: format!(
                "rejected: larger than {limit} bytes, the most pcf verifies (a declaration is a \
                 few kB; a bundle carries its suppliers' declarations)"
            ),
        });
    }
    pcf_base::canonical::parse_strict(&bytes).map_err(|e| crate::Error::Io {
        path: path.display().to_string(),
        message: format!("rejected: {e}"),
    })
}

impl MethodologyText {
    /// Parses the text and computes its digest.
    pub fn load(&self) -> Result<Methodology, MethodologyError> {
        Methodology::from_text_at(Path::new("bundled-methodology.toml"), &self.text, "bundle")
    }
}

impl Bundle {
    /// A bundle of `declaration` alone.
    pub fn new(declaration: Value) -> Bundle {
        Bundle {
            format: FORMAT.into(),
            declaration,
            upstream: Vec::new(),
            superseded: Vec::new(),
            methodologies: Vec::new(),
            register_excerpt: None,
            log: None,
            log_consistency: None,
            witnessed: None,
        }
    }

    /// Adds a methodology file.
    pub fn add_methodology(&mut self, m: &Methodology) {
        if !self.methodologies.iter().any(|x| x.digest == m.digest()) {
            self.methodologies.push(MethodologyText {
                id: m.id().into(),
                version: m.version().into(),
                digest: m.digest(),
                text: m.text.clone(),
            });
        }
    }

    /// Adds an upstream declaration (and, if it is a bundle, everything it carries).
    pub fn add_upstream(&mut self, document: Value) {
        if document["format"] == FORMAT {
            if let Ok(b) = serde_json::from_value::<Bundle>(document) {
                self.add_upstream(b.declaration);
                for u in b.upstream {
                    self.add_upstream(u);
                }
                for m in b.methodologies {
                    if !self.methodologies.iter().any(|x| x.digest == m.digest) {
                        self.methodologies.push(m);
                    }
                }
            }
            return;
        }
        let d = pcf_base::canonical::digest(&document).ok();
        if d.is_some() && !self.upstream.iter().any(|u| pcf_base::canonical::digest(u).ok() == d) {
            self.upstream.push(document);
        }
    }

    /// The upstream or superseded declaration with this digest.
    pub fn find(&self, digest: &Digest) -> Option<&Value> {
        self.upstream
            .iter()
            .chain(&self.superseded)
            .find(|v| pcf_base::canonical::digest(v).ok().as_ref() == Some(digest))
    }
}
