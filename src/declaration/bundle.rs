//! Bundles: one JSON file that carries a declaration with everything a buyer needs to verify it
//! offline — the suppliers' declarations it consumed (recursively), the declarations it
//! supersedes, the methodology file, and an excerpt of the issuer's register.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::digest::Digest;
use crate::methodology::{Methodology, MethodologyError};
use crate::register::RegisterExcerpt;

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
        let d = crate::canonical::digest(&document).ok();
        if d.is_some() && !self.upstream.iter().any(|u| crate::canonical::digest(u).ok() == d) {
            self.upstream.push(document);
        }
    }

    /// The upstream or superseded declaration with this digest.
    pub fn find(&self, digest: &Digest) -> Option<&Value> {
        self.upstream
            .iter()
            .chain(&self.superseded)
            .find(|v| crate::canonical::digest(v).ok().as_ref() == Some(digest))
    }
}
