//! Register excerpts: the entries about some declarations up to the head, made for a buyer
//! and checked by the buyer offline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::merkle;
use super::{Entry, EntryKind, Head, Register, RegisterError, Status, Violation};
use pcf_base::canonical::MAX_SAFE_INTEGER;
use pcf_base::digest::Digest;

/// The entries of a register that mention some declarations, with the register's head, for a
/// buyer to check offline with [`verify_excerpt`].
///
/// An excerpt shows what the issuer recorded about those declarations up to the head; links are
/// checked between consecutive included entries. It cannot prove that no other entry mentions
/// them: for that the buyer needs the whole register, or a later excerpt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterExcerpt {
    /// The declarations the excerpt is about.
    pub declarations: Vec<Digest>,
    /// Every entry that declares, deprecates or supersedes one of them, in order.
    pub entries: Vec<Entry>,
    /// The register's last entry when the excerpt was made.
    pub head: Head,
}

/// What [`verify_excerpt`] found in a consistent excerpt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExcerptReport {
    /// The head the excerpt was made at.
    pub head: Head,
    /// The status of each declaration of the excerpt as of that head.
    pub statuses: BTreeMap<Digest, Status>,
}

impl Register {
    /// The entries that declare, deprecate or supersede any of `declarations`, with the head:
    /// every entry from the first declaration's to the last. Found through the index, and each
    /// entry read is checked against the log's leaf at its position and the links between
    /// them, so it costs the entries it returns, not the whole chain.
    pub fn excerpt(&self, declarations: &[Digest]) -> Result<RegisterExcerpt, RegisterError> {
        let size = self.size()?;
        let mut first = None::<u64>;
        for declaration in declarations {
            let Some(found) = self.lookup(declaration)? else {
                return Err(RegisterError::NoSuchDeclaration { declaration: *declaration });
            };
            first = Some(first.map_or(found.seq, |f| f.min(found.seq)));
        }
        let Some(head) = self.head()? else {
            // Only reachable with no declarations asked for: a declared one implies an entry.
            return Err(RegisterError::NoSuchEntry { seq: 0, len: 0 });
        };
        let tiles = self.tiles();
        let nodes = tiles.nodes(size);
        let mut entries = Vec::new();
        for seq in first.unwrap_or(0)..=head.seq {
            let entry = self.entry(seq)?;
            let logged = merkle::Nodes::node(&nodes, 0, seq)
                .map_err(|e| RegisterError::Checkpoint { message: e.to_string() })?;
            if merkle::leaf_hash(&entry.canonical()?) != logged {
                return Err(RegisterError::BrokenChain {
                    seq,
                    file: super::entry_file(seq),
                    violation: Violation::NotLogged,
                });
            }
            entries.push(entry);
        }
        let excerpt = RegisterExcerpt { declarations: declarations.to_vec(), entries, head };
        verify_excerpt(&excerpt)?;
        Ok(excerpt)
    }
}

/// Checks an excerpt on its own: entries in order up to the head, each well-formed and about
/// the excerpt's declarations, consecutive entries linked by `prev`, the entry at the head (if
/// included) hashing to the head digest, every declaration declared, and status changes after
/// their declaration. Returns each declaration's status as of the head.
pub fn verify_excerpt(excerpt: &RegisterExcerpt) -> Result<ExcerptReport, RegisterError> {
    let head = excerpt.head;
    let mut previous: Option<(u64, Digest)> = None;
    let mut declared: BTreeMap<Digest, (u64, &str)> = BTreeMap::new();
    let mut deprecated: BTreeMap<Digest, u64> = BTreeMap::new();
    let mut superseded: BTreeMap<Digest, (Digest, u64)> = BTreeMap::new();
    for entry in &excerpt.entries {
        let seq = entry.seq;
        let broken = |violation| RegisterError::BrokenExcerpt { seq, violation };
        if seq > MAX_SAFE_INTEGER {
            return Err(broken(Violation::SeqOutOfRange { seq }));
        }
        if let Some((after, _)) = previous
            && seq <= after
        {
            return Err(broken(Violation::OutOfOrder { after }));
        }
        if seq > head.seq {
            return Err(broken(Violation::BeyondHead { head: head.seq }));
        }
        if let Some((after, _)) = previous
            && seq != after + 1
        {
            return Err(broken(Violation::Gap { after }));
        }
        let digest = entry.digest()?;
        match (seq, entry.prev, previous) {
            (0, Some(found), _) => return Err(broken(Violation::GenesisHasPrev { found })),
            (_, found, Some((p, expected))) if p + 1 == seq && found != Some(expected) => {
                return Err(broken(Violation::PrevMismatch { previous: p, expected, found }));
            }
            (1.., None, _) => {
                return Err(broken(Violation::Field {
                    field: "prev",
                    value: "null".to_string(),
                    expected: "the digest of the entry before (only entry 0 has none)",
                }));
            }
            _ => {}
        }
        if seq == head.seq && digest != head.digest {
            return Err(broken(Violation::HeadMismatch { head: head.digest, actual: digest }));
        }
        entry.kind.check_fields().map_err(broken)?;
        match &entry.kind {
            EntryKind::Declared { declaration, pf_id, supersedes, .. } => {
                if let Some(&(first, _)) = declared.get(declaration) {
                    return Err(broken(Violation::AlreadyDeclared {
                        declaration: *declaration,
                        seq: first,
                    }));
                }
                if let Some(old) = supersedes {
                    if let Some(&(by, first)) = superseded.get(old) {
                        return Err(broken(Violation::AlreadySuperseded {
                            declaration: *old,
                            by,
                            seq: first,
                        }));
                    }
                    superseded.insert(*old, (*declaration, seq));
                }
                declared.insert(*declaration, (seq, pf_id));
            }
            EntryKind::StatusChanged { declaration, pf_id, .. } => {
                if let Some(&first) = deprecated.get(declaration) {
                    return Err(broken(Violation::AlreadyDeprecated {
                        declaration: *declaration,
                        seq: first,
                    }));
                }
                match declared.get(declaration) {
                    Some(&(_, declared_pf)) if declared_pf != pf_id => {
                        return Err(broken(Violation::PfIdMismatch {
                            declaration: *declaration,
                            declared: declared_pf.to_string(),
                            found: pf_id.clone(),
                        }));
                    }
                    Some(_) => {}
                    None if excerpt.declarations.contains(declaration) => {
                        return Err(broken(Violation::NotDeclared { declaration: *declaration }));
                    }
                    None => {}
                }
                deprecated.insert(*declaration, seq);
            }
        }
        previous = Some((seq, digest));
    }
    match previous {
        Some((last, _)) if last != head.seq => {
            return Err(RegisterError::BrokenExcerpt {
                seq: last,
                violation: Violation::EndsBeforeHead { last, head: head.seq },
            });
        }
        _ => {}
    }
    let mut statuses = BTreeMap::new();
    for declaration in &excerpt.declarations {
        if !declared.contains_key(declaration) {
            return Err(RegisterError::ExcerptIncomplete { declaration: *declaration });
        }
        // Deprecated by a status change, or by a declaration that supersedes it.
        let status = if deprecated.contains_key(declaration) || superseded.contains_key(declaration)
        {
            Status::Deprecated
        } else {
            Status::Active
        };
        statuses.insert(*declaration, status);
    }
    Ok(ExcerptReport { head, statuses })
}
