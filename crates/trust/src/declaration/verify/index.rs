//! The bundle indexed once per verification: its documents by digest, its methodology files
//! and which of its declarations supersede which.

use std::collections::HashMap;

use serde_json::Value;

use crate::declaration::bundle::{Bundle, MethodologyText};
use crate::declaration::provenance;
use pcf_base::digest::Digest;

/// The bundle's documents by digest, hashed once.
pub(super) struct Index<'a> {
    by_digest: HashMap<Digest, &'a Value>,
    /// The bundle's methodology files, each parsed (and its digest recomputed) at most once,
    /// and only when a declaration claims its digest.
    methodologies: &'a [MethodologyText],
    recomputed: std::cell::RefCell<HashMap<Digest, bool>>,
    /// Declarations of the bundle that supersede the declaration with this digest.
    pub(super) successors: HashMap<Digest, Vec<&'a Value>>,
}

impl<'a> Index<'a> {
    pub(super) fn new(bundle: Option<&'a Bundle>) -> Index<'a> {
        let mut by_digest = HashMap::new();
        let mut successors: HashMap<Digest, Vec<&Value>> = HashMap::new();
        if let Some(b) = bundle {
            for doc in b.upstream.iter().chain(&b.superseded).chain([&b.declaration]) {
                if let Ok(d) = pcf_base::canonical::digest(doc) {
                    by_digest.entry(d).or_insert(doc);
                }
                if let Some(old) = provenance(doc).and_then(|p| p.supersedes) {
                    successors.entry(old).or_default().push(doc);
                }
            }
        }
        let methodologies = bundle.map_or(&[][..], |b| b.methodologies.as_slice());
        Index { by_digest, methodologies, recomputed: Default::default(), successors }
    }

    /// Whether the bundle carries a methodology file whose recomputed digest is `digest`.
    pub(super) fn has_methodology(&self, digest: &Digest) -> bool {
        if let Some(&known) = self.recomputed.borrow().get(digest) {
            return known;
        }
        let found = self
            .methodologies
            .iter()
            .filter(|t| &t.digest == digest)
            .any(|t| t.load().is_ok_and(|m| &m.digest() == digest));
        self.recomputed.borrow_mut().insert(*digest, found);
        found
    }

    pub(super) fn find(&self, digest: &Digest) -> Option<&'a Value> {
        self.by_digest.get(digest).copied()
    }
}
