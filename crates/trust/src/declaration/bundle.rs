//! Bundles: one JSON file that carries a declaration with everything a buyer needs to verify it
//! offline — the suppliers' declarations it consumed (recursively), the declarations it
//! supersedes, the methodology file, and an excerpt of the issuer's register.
//!
//! A bundle is written as a W3C Verifiable Presentation (format `pcf-bundle/2`, unsigned) so
//! that standard tools unpack it without knowing pcf: `verifiableCredential` holds the
//! declaration first, then every signed upstream or superseded declaration; the JSON literal
//! `bundle` (pcf's context defines it as `@type: @json`) holds what is not a credential: which
//! credential plays which part (by digest), unsigned supplier footprints, methodology files,
//! register evidence and pcf's context document. `pcf-bundle/1` objects are still read.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::register::RegisterExcerpt;
use pcf_base::digest::Digest;
use pcf_footprint::credential::{self, BUNDLE_TYPE, BUNDLE_V1, BUNDLE_V2, CONTEXTS};
use pcf_footprint::methodology::{Methodology, MethodologyError};

/// The bundle format pcf writes.
pub const FORMAT: &str = BUNDLE_V2;

/// A bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct Bundle {
    /// The format it was read in ([`FORMAT`] for a new one).
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
        if credential::is_bundle(&document) {
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

/// The fields of a `pcf-bundle/1` object.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BundleV1 {
    format: String,
    declaration: Value,
    #[serde(default)]
    upstream: Vec<Value>,
    #[serde(default)]
    superseded: Vec<Value>,
    #[serde(default)]
    methodologies: Vec<MethodologyText>,
    #[serde(default)]
    register_excerpt: Option<RegisterExcerpt>,
    #[serde(default)]
    log: Option<crate::register::LogProof>,
    #[serde(default)]
    log_consistency: Option<ConsistencyProof>,
    #[serde(default)]
    witnessed: Option<crate::register::WitnessedProof>,
}

/// The presentation's `bundle` literal: what is not a credential.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Carried {
    format: String,
    /// Digests of the upstream declarations, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    upstream: Vec<Digest>,
    /// Digests of the superseded declarations, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    superseded: Vec<Digest>,
    /// Upstream or superseded documents that are not credentials (plain PACT footprints).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unsigned: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    methodologies: Vec<MethodologyText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    register_excerpt: Option<RegisterExcerpt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    log: Option<crate::register::LogProof>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    log_consistency: Option<ConsistencyProof>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    witnessed: Option<crate::register::WitnessedProof>,
    /// JSON-LD context documents by URL, as text (byte for byte what their digests pin).
    #[serde(default)]
    contexts: BTreeMap<String, String>,
}

fn is_credential(document: &Value) -> bool {
    document.get("proof").is_some()
        && document["type"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x == "VerifiableCredential"))
}

impl From<Bundle> for Value {
    fn from(b: Bundle) -> Value {
        let mut credentials = vec![b.declaration];
        let mut unsigned: Vec<Value> = Vec::new();
        let mut seen = Vec::new();
        let mut place = |doc: Value| -> Digest {
            let digest = pcf_base::canonical::digest(&doc).unwrap_or(Digest([0; 32]));
            if !seen.contains(&digest) {
                seen.push(digest);
                if is_credential(&doc) { credentials.push(doc) } else { unsigned.push(doc) }
            }
            digest
        };
        let upstream = b.upstream.into_iter().map(&mut place).collect();
        let superseded = b.superseded.into_iter().map(&mut place).collect();
        let carried = Carried {
            format: FORMAT.into(),
            upstream,
            superseded,
            unsigned,
            methodologies: b.methodologies,
            register_excerpt: b.register_excerpt,
            log: b.log,
            log_consistency: b.log_consistency,
            witnessed: b.witnessed,
            contexts: BTreeMap::from([(
                credential::CONTEXT_V1_URL.to_string(),
                credential::CONTEXT_V1.to_string(),
            )]),
        };
        json!({
            "@context": CONTEXTS,
            "type": ["VerifiablePresentation", BUNDLE_TYPE],
            "verifiableCredential": credentials,
            "bundle": serde_json::to_value(carried).unwrap_or(Value::Null),
        })
    }
}

impl TryFrom<Value> for Bundle {
    type Error = String;

    fn try_from(value: Value) -> Result<Bundle, String> {
        if value["format"] == BUNDLE_V1 {
            let b: BundleV1 = serde_json::from_value(value).map_err(|e| e.to_string())?;
            return Ok(Bundle {
                format: b.format,
                declaration: b.declaration,
                upstream: b.upstream,
                superseded: b.superseded,
                methodologies: b.methodologies,
                register_excerpt: b.register_excerpt,
                log: b.log,
                log_consistency: b.log_consistency,
                witnessed: b.witnessed,
            });
        }
        if !credential::is_presentation_bundle(&value) {
            return Err(format!(
                "not a bundle: neither format {BUNDLE_V1:?} nor a VerifiablePresentation of type \
                 {BUNDLE_TYPE}"
            ));
        }
        let Value::Object(mut top) = value else { return Err("not a JSON object".into()) };
        if top.get("@context") != Some(&json!(CONTEXTS)) {
            return Err(format!("@context must be {}", json!(CONTEXTS)));
        }
        if let Some(k) = top
            .keys()
            .find(|k| !["@context", "type", "verifiableCredential", "bundle"].contains(&k.as_str()))
        {
            return Err(format!("unknown field `{k}` in the presentation"));
        }
        let carried: Carried = serde_json::from_value(top.remove("bundle").unwrap_or(Value::Null))
            .map_err(|e| format!("bundle: {e}"))?;
        if carried.format != BUNDLE_V2 {
            return Err(format!("bundle.format is {:?}, not {BUNDLE_V2:?}", carried.format));
        }
        for (url, text) in &carried.contexts {
            if url != credential::CONTEXT_V1_URL || text != credential::CONTEXT_V1 {
                return Err(format!(
                    "bundle.contexts carries {url}, but not the document pcf publishes there"
                ));
            }
        }
        let Some(Value::Array(mut credentials)) = top.remove("verifiableCredential") else {
            return Err("verifiableCredential must be an array".into());
        };
        if credentials.is_empty() {
            return Err("verifiableCredential is empty: the declaration comes first".into());
        }
        let declaration = credentials.remove(0);
        let mut by_digest: Vec<(Digest, Value, bool)> = Vec::new();
        for doc in credentials.into_iter().chain(carried.unsigned) {
            let digest = pcf_base::canonical::digest(&doc).map_err(|e| e.to_string())?;
            by_digest.push((digest, doc, false));
        }
        let mut take = |wanted: &[Digest], part: &str| -> Result<Vec<Value>, String> {
            wanted
                .iter()
                .map(|d| {
                    let found = by_digest.iter_mut().find(|(x, _, _)| x == d);
                    let (_, doc, used) = found.ok_or_else(|| {
                        format!("bundle.{part} names {d}, which it does not carry")
                    })?;
                    *used = true;
                    Ok(doc.clone())
                })
                .collect()
        };
        let upstream = take(&carried.upstream, "upstream")?;
        let superseded = take(&carried.superseded, "superseded")?;
        if let Some((d, _, _)) = by_digest.iter().find(|(_, _, used)| !used) {
            return Err(format!(
                "the bundle carries {d}, which is neither upstream nor superseded"
            ));
        }
        Ok(Bundle {
            format: carried.format,
            declaration,
            upstream,
            superseded,
            methodologies: carried.methodologies,
            register_excerpt: carried.register_excerpt,
            log: carried.log,
            log_consistency: carried.log_consistency,
            witnessed: carried.witnessed,
        })
    }
}
