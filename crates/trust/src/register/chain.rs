//! Reading the register back: walking the chain entry by entry, checking each against those
//! before it, and what the walk knows afterwards (head, statuses, certificate claims).

use std::collections::BTreeMap;
use std::fs;
use std::io;

use serde::{Deserialize, Serialize};

use super::entry::parse_entry;
use super::{
    CertificateSerial, ClaimedKwh, ENTRIES, Entry, EntryKind, Register, RegisterError, Status,
    StatusChange, TEMP_PREFIX, Violation, declaration_file, entry_file, io_error, seq_of_file_name,
};
use pcf_base::digest::Digest;

/// The last entry of a register: what a buyer keeps to check later that the register still
/// contains what it was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Head {
    /// Sequence number of the last entry.
    pub seq: u64,
    /// Digest of its canonical JSON.
    pub digest: Digest,
}

/// What [`Register::verify`] found in an intact register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterReport {
    /// Number of entries.
    pub entries: u64,
    /// The last entry; `None` for an empty register.
    pub head: Option<Head>,
    /// Number of declarations recorded.
    pub declarations: u64,
    /// How many of them are deprecated.
    pub deprecated: u64,
    /// Temporary files left by interrupted writes (harmless; they are never read).
    pub stray_temp_files: u64,
}

impl Register {
    /// Every entry, in order, after checking that the chain links up (declaration files are
    /// not re-hashed; [`Register::verify`] does that).
    pub fn entries(&self) -> Result<Vec<Entry>, RegisterError> {
        Ok(self.walk(false)?.entries)
    }

    /// One entry, read from its file (without walking the chain).
    pub fn entry(&self, seq: u64) -> Result<Entry, RegisterError> {
        let path = self.entry_path(seq);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let len = self.list()?.seqs.len() as u64;
                return Err(RegisterError::NoSuchEntry { seq, len });
            }
            Err(e) => return Err(io_error("read", &path, &e)),
        };
        let broken =
            |violation| RegisterError::BrokenChain { seq, file: entry_file(seq), violation };
        let (entry, _) = parse_entry(&bytes).map_err(broken)?;
        if entry.seq != seq {
            return Err(broken(Violation::WrongFile { found: entry.seq }));
        }
        Ok(entry)
    }

    /// Re-walks the whole register: every entry file parses and is in normal form, sequence
    /// numbers run from 0 without gaps and match the file names, every `prev` is the digest of
    /// the entry before, every declared declaration is stored and hashes to its digest, status
    /// changes and supersessions refer to earlier declarations, and nothing is declared or
    /// deprecated twice. The first entry that fails is reported.
    ///
    /// Deleting the last entries cannot be detected from the register alone; check a head kept
    /// elsewhere with [`Register::verify_anchor`].
    pub fn verify(&self) -> Result<RegisterReport, RegisterError> {
        Ok(self.walk(true)?.report())
    }

    /// Verifies the register and checks that it still contains `head` (one a buyer was shown
    /// earlier, say in an excerpt): this detects truncation and rewrites up to that point.
    pub fn verify_anchor(&self, head: &Head) -> Result<RegisterReport, RegisterError> {
        let chain = self.walk(true)?;
        let actual = chain.digests.get(usize_of(head.seq)).copied();
        if actual != Some(head.digest) {
            return Err(RegisterError::AnchorMismatch { head: *head, actual });
        }
        Ok(chain.report())
    }

    /// The status of a declaration, named by its digest (`sha256:...`) or its pf id; `None` if
    /// the register does not declare it.
    pub fn status_of(&self, key: &str) -> Result<Option<Status>, RegisterError> {
        let chain = self.walk(false)?;
        let digest = match key.parse::<Digest>() {
            Ok(digest) => Some(digest),
            Err(_) => chain.pf_ids.get(key).copied(),
        };
        Ok(digest.and_then(|d| chain.declared.get(&d)).map(Declared::status))
    }

    /// The status of every declaration of the register. A declaration is deprecated by a
    /// `StatusChanged` entry or by a later `Declared` entry that supersedes it.
    pub fn statuses(&self) -> Result<BTreeMap<Digest, Status>, RegisterError> {
        Ok(self.walk(false)?.declared.iter().map(|(d, info)| (*d, info.status())).collect())
    }

    /// Every certificate serial claimed by a declaration, with the entries claiming it and the
    /// quantity each claims, in entry order; serials that differ only in case or surrounding
    /// whitespace are one key. Deprecated declarations are included: look up their status to
    /// leave them out.
    pub fn certificate_claims(
        &self,
    ) -> Result<BTreeMap<CertificateSerial, Vec<(u64, ClaimedKwh)>>, RegisterError> {
        let mut claims: BTreeMap<CertificateSerial, Vec<(u64, ClaimedKwh)>> = BTreeMap::new();
        for entry in self.walk(false)?.entries {
            if let EntryKind::Declared { certificates, .. } = &entry.kind {
                for claim in certificates {
                    claims
                        .entry(claim.serial.clone())
                        .or_default()
                        .push((entry.seq, claim.quantity_kwh.clone()));
                }
            }
        }
        Ok(claims)
    }

    /// Lists `entries/`: sequence numbers in order, and leftover temporary files.
    fn list(&self) -> Result<Listing, RegisterError> {
        let dir = self.dir.join(ENTRIES);
        let mut listing = Listing::default();
        for item in fs::read_dir(&dir).map_err(|e| io_error("list", &dir, &e))? {
            let item = item.map_err(|e| io_error("list", &dir, &e))?;
            let name = item.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TEMP_PREFIX) {
                listing.stray_temp_files += 1;
            } else if let Some(seq) = seq_of_file_name(&name) {
                listing.seqs.push(seq);
            } else {
                return Err(RegisterError::UnexpectedFile { file: format!("{ENTRIES}/{name}") });
            }
        }
        listing.seqs.sort_unstable();
        Ok(listing)
    }

    /// Reads and checks every entry in order; with `declarations`, also re-hashes every
    /// declared declaration file.
    pub(super) fn walk(&self, declarations: bool) -> Result<Chain, RegisterError> {
        let listing = self.list()?;
        let mut chain = Chain { stray_temp_files: listing.stray_temp_files, ..Chain::default() };
        for (index, &seq) in listing.seqs.iter().enumerate() {
            let expected = index as u64;
            let broken = |violation| RegisterError::BrokenChain {
                seq: expected,
                file: entry_file(expected),
                violation,
            };
            if seq != expected {
                return Err(broken(Violation::Missing { next: seq }));
            }
            let path = self.entry_path(seq);
            let bytes = fs::read(&path).map_err(|e| io_error("read", &path, &e))?;
            let (entry, digest) = parse_entry(&bytes).map_err(broken)?;
            if entry.seq != seq {
                return Err(broken(Violation::WrongFile { found: entry.seq }));
            }
            check(&chain, &entry)?.map_err(broken)?;
            if declarations && let Some(violation) = self.check_declared_file(&entry)? {
                return Err(broken(violation));
            }
            chain.push(entry, digest);
        }
        Ok(chain)
    }

    /// Checks that a `Declared` entry's declaration is stored intact: `Ok(Some(_))` says what
    /// is wrong with it, `Err` that it could not be read.
    pub(super) fn check_declared_file(
        &self,
        entry: &Entry,
    ) -> Result<Option<Violation>, RegisterError> {
        let EntryKind::Declared { declaration, .. } = &entry.kind else {
            return Ok(None);
        };
        match self.declaration(declaration) {
            Ok(_) => Ok(None),
            Err(RegisterError::NoSuchDeclaration { declaration }) => {
                Ok(Some(Violation::DeclarationMissing {
                    declaration,
                    file: declaration_file(&declaration),
                }))
            }
            Err(RegisterError::DeclarationAltered { declaration, file, actual }) => {
                Ok(Some(Violation::DeclarationAltered { declaration, file, actual }))
            }
            Err(e) => Err(e),
        }
    }
}

/// The entry files found in `entries/`.
#[derive(Default)]
struct Listing {
    seqs: Vec<u64>,
    stray_temp_files: u64,
}

/// The checked prefix of a register, with what later entries are checked against.
#[derive(Default)]
pub(super) struct Chain {
    pub(super) entries: Vec<Entry>,
    digests: Vec<Digest>,
    pub(super) declared: BTreeMap<Digest, Declared>,
    pf_ids: BTreeMap<String, Digest>,
    stray_temp_files: u64,
}

/// What the register knows about one declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Declared {
    /// The entry that declared it.
    pub(super) seq: u64,
    /// Its pf id.
    pub(super) pf_id: String,
    /// The `StatusChanged` entry that deprecated it.
    pub(super) deprecated: Option<u64>,
    /// The declaration that superseded it (which deprecates it too), and its entry.
    pub(super) superseded_by: Option<(Digest, u64)>,
}

impl Declared {
    pub(super) fn status(&self) -> Status {
        if self.deprecated.is_some() || self.superseded_by.is_some() {
            Status::Deprecated
        } else {
            Status::Active
        }
    }
}

impl Chain {
    pub(super) fn next_seq(&self) -> u64 {
        self.entries.len() as u64
    }

    pub(super) fn last_digest(&self) -> Option<Digest> {
        self.digests.last().copied()
    }

    pub(super) fn head(&self) -> Option<Head> {
        let digest = self.last_digest()?;
        Some(Head { seq: self.next_seq() - 1, digest })
    }

    fn report(&self) -> RegisterReport {
        let deprecated =
            self.declared.values().filter(|d| d.status() == Status::Deprecated).count();
        RegisterReport {
            entries: self.next_seq(),
            head: self.head(),
            declarations: self.declared.len() as u64,
            deprecated: deprecated as u64,
            stray_temp_files: self.stray_temp_files,
        }
    }

    /// Adds a checked entry.
    fn push(&mut self, entry: Entry, digest: Digest) {
        let seq = entry.seq;
        match &entry.kind {
            EntryKind::Declared { declaration, pf_id, supersedes, .. } => {
                self.declared.insert(
                    *declaration,
                    Declared { seq, pf_id: pf_id.clone(), deprecated: None, superseded_by: None },
                );
                self.pf_ids.insert(pf_id.clone(), *declaration);
                if let Some(old) = supersedes.and_then(|old| self.declared.get_mut(&old)) {
                    old.superseded_by = Some((*declaration, seq));
                }
            }
            EntryKind::StatusChanged { declaration, .. } => {
                if let Some(info) = self.declared.get_mut(declaration) {
                    info.deprecated = Some(seq);
                }
            }
        }
        self.entries.push(entry);
        self.digests.push(digest);
    }
}

/// What an entry is checked against: the last entry, and what is known of each declaration
/// (by its digest and by its pf id). The walk's [`Chain`] knows it in memory; the register's
/// index knows it on disk, so that an append reads O(1) files instead of the whole chain.
pub(super) trait Known {
    /// The last entry.
    fn head(&self) -> Option<Head>;
    /// The declaration of digest `declaration`, if declared.
    fn declared(&self, declaration: &Digest) -> Result<Option<Declared>, RegisterError>;
    /// The declaration with pf id `pf_id`, if declared: its digest and entry.
    fn pf_id(&self, pf_id: &str) -> Result<Option<(Digest, u64)>, RegisterError>;
}

impl Known for Chain {
    fn head(&self) -> Option<Head> {
        Chain::head(self)
    }

    fn declared(&self, declaration: &Digest) -> Result<Option<Declared>, RegisterError> {
        Ok(self.declared.get(declaration).cloned())
    }

    fn pf_id(&self, pf_id: &str) -> Result<Option<(Digest, u64)>, RegisterError> {
        Ok(self.pf_ids.get(pf_id).and_then(|d| self.declared.get(d).map(|info| (*d, info.seq))))
    }
}

/// Checks that `entry` may follow what `known` knows: `Ok(Err(_))` is the rule it breaks,
/// `Err(_)` that what is known could not be read.
///
/// An entry that `known` already records at the entry's own sequence number (an index that
/// recorded part of an entry before a crash) is not a repetition of itself.
pub(super) fn check(
    known: &impl Known,
    entry: &Entry,
) -> Result<Result<(), Violation>, RegisterError> {
    let seq = entry.seq;
    match (known.head(), entry.prev) {
        (None, Some(found)) => return Ok(Err(Violation::GenesisHasPrev { found })),
        (Some(head), found) if found != Some(head.digest) => {
            return Ok(Err(Violation::PrevMismatch {
                previous: head.seq,
                expected: head.digest,
                found,
            }));
        }
        _ => {}
    }
    if let Err(violation) = entry.kind.check_fields() {
        return Ok(Err(violation));
    }
    match &entry.kind {
        EntryKind::Declared { declaration, pf_id, supersedes, .. } => {
            if let Some(first) = known.declared(declaration)?
                && first.seq != seq
            {
                return Ok(Err(Violation::AlreadyDeclared {
                    declaration: *declaration,
                    seq: first.seq,
                }));
            }
            if let Some((_, other)) = known.pf_id(pf_id)?
                && other != seq
            {
                return Ok(Err(Violation::DuplicatePfId { pf_id: pf_id.clone(), seq: other }));
            }
            if let Some(old) = supersedes {
                let Some(info) = known.declared(old)? else {
                    return Ok(Err(Violation::NotDeclared { declaration: *old }));
                };
                if let Some((by, at)) = info.superseded_by
                    && at != seq
                {
                    return Ok(Err(Violation::AlreadySuperseded {
                        declaration: *old,
                        by,
                        seq: at,
                    }));
                }
            }
        }
        EntryKind::StatusChanged { declaration, pf_id, status: StatusChange::Deprecated } => {
            let Some(info) = known.declared(declaration)? else {
                return Ok(Err(Violation::NotDeclared { declaration: *declaration }));
            };
            if info.pf_id != *pf_id {
                return Ok(Err(Violation::PfIdMismatch {
                    declaration: *declaration,
                    declared: info.pf_id.clone(),
                    found: pf_id.clone(),
                }));
            }
            if let Some(at) = info.deprecated
                && at != seq
            {
                return Ok(Err(Violation::AlreadyDeprecated {
                    declaration: *declaration,
                    seq: at,
                }));
            }
        }
    }
    Ok(Ok(()))
}

fn usize_of(seq: u64) -> usize {
    usize::try_from(seq).unwrap_or(usize::MAX)
}
