//! The issuer's register: an append-only, hash-chained record of every declaration an issuer
//! made and every status change of one, kept in a directory (by default [`DEFAULT_DIR`]).
//!
//! Layout of the directory:
//!
//! ```text
//! entries/00000000000000000000.json   entry 0 (pretty-printed JSON, one file per entry)
//! entries/00000000000000000001.json   entry 1, whose `prev` is the digest of entry 0
//! declarations/<hex>.json             declaration files, named by the SHA-256 of their bytes
//! ```
//!
//! The digest of an entry is SHA-256 over the RFC 8785 canonical form of its JSON, so the
//! pretty-printing on disk does not matter; `prev`, `supersedes` and every other field are
//! always written, `null` when absent, and a file that omits one is rejected. Entry files and
//! declarations are read with the strict parser of [`pcf_base::canonical`] (no duplicate keys, no
//! integers beyond 2^53 - 1), and declarations must be stored in canonical form.
//!
//! Entries and declarations are written with [`write_new`]: a temporary file, flushed, then
//! renamed into place without replacing anything. A crash leaves either no entry or a complete
//! one, and an entry that [`Register::append`] reported is on disk. Two appenders racing for the
//! same sequence number cannot both win: the loser re-reads the register and appends after the
//! winner, so the chain never forks.
//!
//! ```
//! use pcf_trust::register::{EntryKind, Register};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let register = Register::open(dir.path()).unwrap();
//! let declaration = register.store_declaration(br#"{"id":"example"}"#).unwrap();
//! let kind = EntryKind::Declared {
//!     declaration,
//!     pf_id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301".to_string(),
//!     product_ids: vec!["urn:gtin:4012345000009".to_string()],
//!     supersedes: None,
//!     certificates: vec![],
//! };
//! let entry = register.append(kind, "2026-03-01T12:00:00Z".parse().unwrap()).unwrap();
//! assert_eq!(entry.seq, 0);
//! assert_eq!(register.verify().unwrap().entries, 1);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use pcf_base::atomic::{Mode, write_new};
use pcf_base::canonical::{self, JsonError, MAX_SAFE_INTEGER};
use pcf_base::digest::Digest;
pub use pcf_footprint::certificate::{CertificateSerial, ClaimedKwh};

/// Where the CLI keeps the register when the user names no directory.
pub const DEFAULT_DIR: &str = ".pcf-register";

/// An issuer's register in a directory.
#[derive(Debug, Clone)]
pub struct Register {
    dir: PathBuf,
}

/// One record of the register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entry {
    /// Position in the chain: 0, 1, 2, ...
    pub seq: u64,
    /// Digest of the previous entry's canonical JSON; `None` only for entry 0.
    pub prev: Option<Digest>,
    /// When the issuer recorded the entry.
    pub time: Timestamp,
    /// What was recorded.
    pub kind: EntryKind,
}

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
#[non_exhaustive]
pub enum EntryKind {
    /// The issuer issued a declaration.
    Declared {
        /// Digest of the declaration file (stored under `declarations/`).
        declaration: Digest,
        /// The PACT ProductFootprint id of the declaration: a lowercase UUID.
        pf_id: String,
        /// The products the declaration covers (at least one).
        product_ids: Vec<String>,
        /// The earlier declaration this one replaces, if any. The entry itself deprecates it:
        /// the supersession is one append, so it either happened whole or not at all.
        supersedes: Option<Digest>,
        /// Green electricity certificates the declaration relies on.
        certificates: Vec<CertificateClaim>,
    },
    /// The status of an earlier declaration changed; declarations themselves are never edited.
    ///
    /// Registers written before a `Declared` entry's `supersedes` deprecated by itself follow
    /// each supersession with one of these for the superseded declaration; it is still read
    /// and accepted there (once), and changes nothing.
    StatusChanged {
        /// Digest of the declaration.
        declaration: Digest,
        /// Its PACT ProductFootprint id, as declared.
        pf_id: String,
        /// The new status.
        status: StatusChange,
    },
}

/// A green electricity certificate a declaration claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateClaim {
    /// The certificate's serial number (compared by its normalized key).
    pub serial: CertificateSerial,
    /// How much of it the declaration uses, in kWh (above 0): a decimal string, or a JSON
    /// number in registers and declarations written before decimal strings.
    pub quantity_kwh: ClaimedKwh,
}

/// The status an entry can give a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum StatusChange {
    /// The declaration no longer holds (typically because a newer one superseded it).
    Deprecated,
}

/// The current status of a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Status {
    /// Declared and never deprecated.
    Active,
    /// Deprecated by a later entry.
    Deprecated,
}

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

/// An instant in RFC 3339 form in UTC, such as `2026-03-01T12:00:00Z` or
/// `2026-03-01T12:00:00.25Z`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

/// Why a string is not a [`Timestamp`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid time {value:?}: expected RFC 3339 in UTC such as 2026-03-01T12:00:00Z \
     (optionally with up to 9 fractional second digits)"
)]
pub struct TimestampError {
    /// The rejected text.
    pub value: String,
}

/// Errors of the register.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// A file or directory of the register could not be read or written.
    #[error("cannot {action} {path}: {message}")]
    Io {
        /// What was being done (`read`, `create`, ...).
        action: &'static str,
        /// The file or directory.
        path: String,
        /// What the operating system said.
        message: String,
    },
    /// A time given to the register is not RFC 3339 in UTC.
    #[error(transparent)]
    Time(#[from] TimestampError),
    /// An entry on disk breaks the chain; it is the first such entry.
    #[error(
        "register entry {seq} ({file}) is broken: {violation}; the register was altered or \
         damaged after it was written: restore it from a backup (entries are never edited)"
    )]
    BrokenChain {
        /// The first entry that does not verify.
        seq: u64,
        /// Its file, relative to the register directory.
        file: String,
        /// What is wrong with it.
        violation: Violation,
    },
    /// A file in `entries/` is not named like an entry.
    #[error(
        "unexpected file {file} in the register: only files named <20-digit seq>.json belong in \
         entries/; move it out of the register"
    )]
    UnexpectedFile {
        /// The file, relative to the register directory.
        file: String,
    },
    /// An entry could not be appended because it would break the chain.
    #[error("cannot append entry {seq}: {violation}; nothing was written")]
    Refused {
        /// The sequence number the entry would have had.
        seq: u64,
        /// What is wrong with it.
        violation: Violation,
    },
    /// An attempt to write an entry that already exists.
    #[error(
        "entry {seq} already exists: the register is append-only and never overwrites an entry \
         (the next entry is {next})"
    )]
    EntryExists {
        /// The entry that would have been overwritten.
        seq: u64,
        /// The sequence number an append would get now.
        next: u64,
    },
    /// An entry that does not extend the last one (a rewrite of history, or a stale copy).
    #[error(
        "entry {seq} with prev {} does not extend the register: the next entry must be {next} \
         with prev {}; re-read the register and append again",
        show(.prev), show(.expected_prev)
    )]
    NotTip {
        /// The entry's sequence number.
        seq: u64,
        /// The entry's `prev`.
        prev: Option<Digest>,
        /// The sequence number the next entry must have.
        next: u64,
        /// The `prev` the next entry must have.
        expected_prev: Option<Digest>,
    },
    /// Other processes kept winning the race for the next sequence number.
    #[error(
        "gave up appending after {attempts} attempts: other processes kept appending to the \
         register at the same time; try again"
    )]
    Contended {
        /// How many times the append was tried.
        attempts: u32,
    },
    /// A sequence number past the end of the register.
    #[error("there is no entry {seq}: the register has {len} entries")]
    NoSuchEntry {
        /// The requested entry.
        seq: u64,
        /// How many entries there are.
        len: u64,
    },
    /// A declaration that is not stored in (or not declared by) this register.
    #[error("declaration {declaration} is not in this register")]
    NoSuchDeclaration {
        /// The declaration.
        declaration: Digest,
    },
    /// A stored declaration file whose bytes no longer hash to its name.
    #[error(
        "{file} hashes to {actual}, not {declaration}: the stored declaration was altered; \
         restore it from a backup"
    )]
    DeclarationAltered {
        /// The declaration.
        declaration: Digest,
        /// Its file, relative to the register directory.
        file: String,
        /// What its bytes hash to now.
        actual: Digest,
    },
    /// Declaration bytes that strict JSON parsing (I-JSON) rejects.
    #[error("declaration bytes are not strict json: {0}")]
    DeclarationJson(JsonError),
    /// Declaration bytes that are JSON but not in canonical form.
    #[error(
        "declaration bytes are not canonical JSON (RFC 8785): they differ from their canonical \
         form at byte {offset}; canonicalize the declaration before storing it"
    )]
    DeclarationNotCanonical {
        /// The first byte that differs.
        offset: usize,
    },
    /// An entry could not be turned into canonical JSON.
    #[error("entry {seq} cannot be canonicalized: {message}")]
    Canonical {
        /// The entry.
        seq: u64,
        /// What the canonicalizer said.
        message: String,
    },
    /// An entry of an excerpt is inconsistent.
    #[error("register excerpt entry {seq} is inconsistent: {violation}")]
    BrokenExcerpt {
        /// The first inconsistent entry.
        seq: u64,
        /// What is wrong with it.
        violation: Violation,
    },
    /// An excerpt does not contain the entry declaring one of its declarations.
    #[error("the register excerpt has no entry declaring {declaration}")]
    ExcerptIncomplete {
        /// The declaration.
        declaration: Digest,
    },
    /// The register no longer contains a head a buyer was shown.
    #[error(
        "the register no longer contains head entry {} {}: {}",
        .head.seq, .head.digest, anchor_problem(.actual)
    )]
    AnchorMismatch {
        /// The head the buyer kept.
        head: Head,
        /// The digest of the entry with that sequence number now, if there is one.
        actual: Option<Digest>,
    },
}

/// Why an entry breaks the chain (on disk or in an excerpt) or cannot be appended.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// The file is not strict JSON (I-JSON): bad syntax, duplicate keys, unsafe integers, ...
    #[error("not strict json: {0}")]
    Json(JsonError),
    /// The file is JSON but not a valid entry.
    #[error("not a valid register entry: {message}")]
    Unreadable {
        /// What the parser said.
        message: String,
    },
    /// The file is valid JSON for an entry but not in the form it is hashed in.
    #[error(
        "the JSON differs from the entry's normal form (an optional field such as prev or \
         supersedes is left out instead of being null, or a number is not exactly representable)"
    )]
    NotNormalForm,
    /// The file of this entry holds another entry.
    #[error("the file holds entry {found} (entry files were renamed or swapped)")]
    WrongFile {
        /// The sequence number written inside the file.
        found: u64,
    },
    /// The file of this entry is missing while a later one exists.
    #[error("the file is missing although entry {next} exists (an entry file was deleted)")]
    Missing {
        /// The next entry that exists.
        next: u64,
    },
    /// Entry 0 names a predecessor.
    #[error("prev is {found} but entry 0 has no predecessor (prev must be null)")]
    GenesisHasPrev {
        /// The `prev` it names.
        found: Digest,
    },
    /// The `prev` of an entry is not the digest of the entry before it.
    #[error(
        "prev is {} but entry {previous} hashes to {expected} (entry {previous} was altered, or \
         this entry does not follow it)",
        show(.found)
    )]
    PrevMismatch {
        /// The entry before.
        previous: u64,
        /// Its digest.
        expected: Digest,
        /// The `prev` this entry names.
        found: Option<Digest>,
    },
    /// A sequence number too large to canonicalize exactly (above 2^53 - 1).
    #[error("seq {seq} is above 2^53 - 1 and cannot be represented exactly in JSON")]
    SeqOutOfRange {
        /// The sequence number.
        seq: u64,
    },
    /// An excerpt's entries are not in increasing order.
    #[error("it follows entry {after}: excerpt entries must be in increasing seq order")]
    OutOfOrder {
        /// The entry it follows.
        after: u64,
    },
    /// An excerpt entry beyond the excerpt's head.
    #[error("it comes after the excerpt's head, entry {head}")]
    BeyondHead {
        /// The head's sequence number.
        head: u64,
    },
    /// The excerpt entry at the head's position does not hash to the head digest.
    #[error("it is the head but hashes to {actual}, not the head digest {head}")]
    HeadMismatch {
        /// The head digest.
        head: Digest,
        /// What the entry hashes to.
        actual: Digest,
    },
    /// An excerpt skips entries: every entry from the first up to the head must be there, so
    /// that no status change can be left out.
    #[error(
        "it does not follow entry {after}: an excerpt holds every entry from its first up to \
         the head (ask the issuer for a new bundle)"
    )]
    Gap {
        /// The entry before the gap.
        after: u64,
    },
    /// An excerpt stops before the head it names.
    #[error(
        "the excerpt ends at entry {last} but names head {head}: the entries between are \
         missing (ask the issuer for a new bundle)"
    )]
    EndsBeforeHead {
        /// Its last entry.
        last: u64,
        /// The head it names.
        head: u64,
    },
    /// A field has a value it may not have.
    #[error("{field} {value} is invalid: expected {expected}")]
    Field {
        /// The field.
        field: &'static str,
        /// Its value, quoted where it is text.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A declared declaration that is not stored in the register.
    #[error("declaration {declaration} is not stored in the register ({file} is missing)")]
    DeclarationMissing {
        /// The declaration.
        declaration: Digest,
        /// Where it should be, relative to the register directory.
        file: String,
    },
    /// A declared declaration whose stored bytes hash to something else.
    #[error("{file} hashes to {actual}, not {declaration} (the stored declaration was altered)")]
    DeclarationAltered {
        /// The declaration.
        declaration: Digest,
        /// Its file, relative to the register directory.
        file: String,
        /// What its bytes hash to.
        actual: Digest,
    },
    /// A reference to a declaration no earlier entry declared.
    #[error("declaration {declaration} is not declared by an earlier entry")]
    NotDeclared {
        /// The declaration.
        declaration: Digest,
    },
    /// A status change naming another pf id than the declaration was declared with.
    #[error(
        "pf id {found:?} does not match {declared:?}, the pf id declaration {declaration} was \
         declared with"
    )]
    PfIdMismatch {
        /// The declaration.
        declaration: Digest,
        /// The pf id it was declared with.
        declared: String,
        /// The pf id the status change names.
        found: String,
    },
    /// A declaration declared a second time.
    #[error("declaration {declaration} was already declared by entry {seq}")]
    AlreadyDeclared {
        /// The declaration.
        declaration: Digest,
        /// The entry that declared it.
        seq: u64,
    },
    /// A pf id used by a second declaration.
    #[error("pf id {pf_id:?} was already declared by entry {seq}; a new version needs a new pf id")]
    DuplicatePfId {
        /// The pf id.
        pf_id: String,
        /// The entry that declared it first.
        seq: u64,
    },
    /// A declaration deprecated a second time.
    #[error("declaration {declaration} was already deprecated by entry {seq}")]
    AlreadyDeprecated {
        /// The declaration.
        declaration: Digest,
        /// The entry that deprecated it.
        seq: u64,
    },
    /// A declaration superseded by a second one.
    #[error("declaration {declaration} was already superseded by {by} in entry {seq}")]
    AlreadySuperseded {
        /// The declaration.
        declaration: Digest,
        /// The declaration that superseded it.
        by: Digest,
        /// The entry that recorded that.
        seq: u64,
    },
}

impl Register {
    /// Opens the register in `dir`, creating the directory and its layout if absent.
    pub fn open(dir: impl AsRef<Path>) -> Result<Register, RegisterError> {
        let dir = dir.as_ref().to_path_buf();
        for sub in [ENTRIES, DECLARATIONS] {
            let path = dir.join(sub);
            if !path.is_dir() {
                fs::create_dir_all(&path).map_err(|e| io_error("create", &path, &e))?;
                sync_dir(&dir).map_err(|e| io_error("sync", &dir, &e))?;
            }
        }
        Ok(Register { dir })
    }

    /// The register's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores declaration bytes (canonical JSON, RFC 8785) content-addressed and returns their
    /// SHA-256. Storing the same bytes again is a no-op.
    pub fn store_declaration(&self, bytes: &[u8]) -> Result<Digest, RegisterError> {
        check_canonical(bytes)?;
        let digest = Digest::of(bytes);
        let path = self.declaration_path(&digest);
        match write_new(&path, bytes, Mode::Public) {
            Ok(()) => Ok(digest),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // The same name means the same bytes unless the stored file was altered.
                self.declaration(&digest)?;
                Ok(digest)
            }
            Err(e) => Err(io_error("write", &path, &e)),
        }
    }

    /// The stored bytes of a declaration, checked against its digest.
    pub fn declaration(&self, declaration: &Digest) -> Result<Vec<u8>, RegisterError> {
        let path = self.declaration_path(declaration);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(RegisterError::NoSuchDeclaration { declaration: *declaration });
            }
            Err(e) => return Err(io_error("read", &path, &e)),
        };
        let actual = Digest::of(&bytes);
        if actual != *declaration {
            return Err(RegisterError::DeclarationAltered {
                declaration: *declaration,
                file: declaration_file(declaration),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Appends an entry recording `kind` at `time` after the current last entry, and returns it.
    ///
    /// The register is re-read first and must be intact; `kind` must be consistent with it (a
    /// declared declaration must be stored, a status change must follow its declaration, ...).
    /// If another process appends at the same moment, this one re-reads and retries.
    pub fn append(&self, mut kind: EntryKind, time: Timestamp) -> Result<Entry, RegisterError> {
        for _ in 0..APPEND_ATTEMPTS {
            let chain = self.walk(false)?;
            let entry = Entry {
                seq: chain.next_seq(),
                prev: chain.last_digest(),
                time: time.clone(),
                kind,
            };
            match self.write_entry(&chain, &entry) {
                Ok(_) => return Ok(entry),
                Err(Write::Exists) => kind = entry.kind,
                Err(Write::Failed(e)) => return Err(e),
            }
        }
        Err(RegisterError::Contended { attempts: APPEND_ATTEMPTS })
    }

    /// Appends a complete entry (for instance one copied from another replica) and returns the
    /// new head. The entry must extend the last one: its `seq` must be the next sequence number
    /// and its `prev` the digest of the last entry; anything else is refused.
    pub fn append_entry(&self, entry: &Entry) -> Result<Head, RegisterError> {
        let chain = self.walk(false)?;
        let next = chain.next_seq();
        if entry.seq < next {
            return Err(RegisterError::EntryExists { seq: entry.seq, next });
        }
        if entry.seq != next || entry.prev != chain.last_digest() {
            return Err(RegisterError::NotTip {
                seq: entry.seq,
                prev: entry.prev,
                next,
                expected_prev: chain.last_digest(),
            });
        }
        match self.write_entry(&chain, entry) {
            Ok(digest) => Ok(Head { seq: entry.seq, digest }),
            Err(Write::Exists) => {
                Err(RegisterError::EntryExists { seq: entry.seq, next: next + 1 })
            }
            Err(Write::Failed(e)) => Err(e),
        }
    }

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

    /// The last entry, or `None` for an empty register.
    pub fn head(&self) -> Result<Option<Head>, RegisterError> {
        Ok(self.walk(false)?.head())
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

    /// The entries that declare, deprecate or supersede any of `declarations`, with the head.
    pub fn excerpt(&self, declarations: &[Digest]) -> Result<RegisterExcerpt, RegisterError> {
        let chain = self.walk(false)?;
        for declaration in declarations {
            if !chain.declared.contains_key(declaration) {
                return Err(RegisterError::NoSuchDeclaration { declaration: *declaration });
            }
        }
        let Some(head) = chain.head() else {
            // Only reachable with no declarations asked for: a declared one implies an entry.
            return Err(RegisterError::NoSuchEntry { seq: 0, len: 0 });
        };
        // Every entry from the first that mentions one of them up to the head: linked by
        // `prev` without a gap, so no later status change can be left out.
        let first =
            chain.entries.iter().position(|e| e.kind.mentions_any(declarations)).unwrap_or(0);
        let entries = chain.entries.into_iter().skip(first).collect();
        Ok(RegisterExcerpt { declarations: declarations.to_vec(), entries, head })
    }

    fn entry_path(&self, seq: u64) -> PathBuf {
        self.dir.join(entry_file(seq))
    }

    fn declaration_path(&self, declaration: &Digest) -> PathBuf {
        self.dir.join(declaration_file(declaration))
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
    fn walk(&self, declarations: bool) -> Result<Chain, RegisterError> {
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
            chain.check(&entry).map_err(broken)?;
            if declarations && let Some(violation) = self.check_declared_file(&entry)? {
                return Err(broken(violation));
            }
            chain.push(entry, digest);
        }
        Ok(chain)
    }

    /// Checks that a `Declared` entry's declaration is stored intact: `Ok(Some(_))` says what
    /// is wrong with it, `Err` that it could not be read.
    fn check_declared_file(&self, entry: &Entry) -> Result<Option<Violation>, RegisterError> {
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

    /// Checks `entry` against `chain` (whose next entry it must be) and writes it.
    fn write_entry(&self, chain: &Chain, entry: &Entry) -> Result<Digest, Write> {
        let refused =
            |violation| Write::Failed(RegisterError::Refused { seq: entry.seq, violation });
        chain.check(entry).map_err(refused)?;
        if let Some(violation) = self.check_declared_file(entry).map_err(Write::Failed)? {
            return Err(refused(violation));
        }
        let digest = entry.digest().map_err(Write::Failed)?;
        let mut bytes = serde_json::to_vec_pretty(entry).map_err(|e| {
            Write::Failed(RegisterError::Canonical { seq: entry.seq, message: e.to_string() })
        })?;
        bytes.push(b'\n');
        let path = self.entry_path(entry.seq);
        match write_new(&path, &bytes, Mode::Public) {
            Ok(()) => Ok(digest),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Write::Exists),
            Err(e) => Err(Write::Failed(io_error("write", &path, &e))),
        }
    }
}

impl Entry {
    /// SHA-256 of the entry's canonical JSON (RFC 8785): what the next entry's `prev` names.
    pub fn digest(&self) -> Result<Digest, RegisterError> {
        Ok(Digest::of(&self.canonical()?))
    }

    fn canonical(&self) -> Result<Vec<u8>, RegisterError> {
        let fail = |message: String| RegisterError::Canonical { seq: self.seq, message };
        let value = serde_json::to_value(self).map_err(|e| fail(e.to_string()))?;
        canonical::canonicalize(&value).map_err(|e| fail(e.to_string()))
    }
}

impl EntryKind {
    /// The declaration the entry is about.
    pub fn declaration(&self) -> &Digest {
        match self {
            EntryKind::Declared { declaration, .. }
            | EntryKind::StatusChanged { declaration, .. } => declaration,
        }
    }

    /// The pf id of the declaration the entry is about.
    pub fn pf_id(&self) -> &str {
        match self {
            EntryKind::Declared { pf_id, .. } | EntryKind::StatusChanged { pf_id, .. } => pf_id,
        }
    }

    /// The earlier declaration this entry deprecates: the one a `StatusChanged` entry names,
    /// or the one a `Declared` entry supersedes.
    pub fn deprecates(&self) -> Option<&Digest> {
        match self {
            EntryKind::Declared { supersedes, .. } => supersedes.as_ref(),
            EntryKind::StatusChanged { declaration, status: StatusChange::Deprecated, .. } => {
                Some(declaration)
            }
        }
    }

    fn mentions_any(&self, declarations: &[Digest]) -> bool {
        let superseded = match self {
            EntryKind::Declared { supersedes, .. } => supersedes.as_ref(),
            EntryKind::StatusChanged { .. } => None,
        };
        declarations.iter().any(|d| d == self.declaration() || Some(d) == superseded)
    }

    /// Checks the fields on their own, without the rest of the register.
    fn check_fields(&self) -> Result<(), Violation> {
        check_pf_id(self.pf_id())?;
        let EntryKind::Declared { declaration, product_ids, supersedes, certificates, .. } = self
        else {
            return Ok(());
        };
        if product_ids.is_empty() {
            return Err(field("productIds", "[]", "at least one product id"));
        }
        if let Some(id) = product_ids.iter().find(|id| id.trim().is_empty()) {
            return Err(field("productIds", &format!("{id:?}"), "non-empty product ids"));
        }
        if supersedes.as_ref() == Some(declaration) {
            return Err(field(
                "supersedes",
                &declaration.to_string(),
                "another declaration than the one declared",
            ));
        }
        // Serials are never blank (`CertificateSerial` refuses that when parsing) and compare
        // by their normalized key, so `"GEC-1"` and `"gec-1 "` are the same certificate.
        let mut serials = std::collections::BTreeSet::new();
        for claim in certificates {
            if !serials.insert(&claim.serial) {
                return Err(field(
                    "certificate serial",
                    &format!("{:?}", claim.serial.as_str()),
                    "each serial once per declaration, whatever its case or surrounding \
                     whitespace (sum the quantities)",
                ));
            }
            if claim.quantity_kwh.kwh() <= 0.0 {
                return Err(field("quantityKwh", &claim.quantity_kwh.to_string(), "kWh above 0"));
            }
        }
        Ok(())
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

impl Timestamp {
    /// The time as written, e.g. `2026-03-01T12:00:00Z`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if pcf_base::time::Instant::parse_utc(s).is_ok() {
            Ok(Timestamp(s.to_string()))
        } else {
            Err(TimestampError { value: s.to_string() })
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

const ENTRIES: &str = "entries";
const DECLARATIONS: &str = "declarations";
/// The prefix [`write_new`] gives its temporary files.
const TEMP_PREFIX: &str = ".pcf-tmp-";
/// How often [`Register::append`] re-reads and retries after losing a race.
const APPEND_ATTEMPTS: u32 = 100;

/// The entry files found in `entries/`.
#[derive(Default)]
struct Listing {
    seqs: Vec<u64>,
    stray_temp_files: u64,
}

/// The checked prefix of a register, with what later entries are checked against.
#[derive(Default)]
struct Chain {
    entries: Vec<Entry>,
    digests: Vec<Digest>,
    declared: BTreeMap<Digest, Declared>,
    pf_ids: BTreeMap<String, Digest>,
    stray_temp_files: u64,
}

/// What the register knows about one declaration.
struct Declared {
    seq: u64,
    pf_id: String,
    /// The `StatusChanged` entry that deprecated it.
    deprecated: Option<u64>,
    /// The declaration that superseded it (which deprecates it too), and its entry.
    superseded_by: Option<(Digest, u64)>,
}

impl Declared {
    fn status(&self) -> Status {
        if self.deprecated.is_some() || self.superseded_by.is_some() {
            Status::Deprecated
        } else {
            Status::Active
        }
    }
}

/// Why an entry was not written.
enum Write {
    /// Another process wrote this sequence number first.
    Exists,
    /// Anything else.
    Failed(RegisterError),
}

impl Chain {
    fn next_seq(&self) -> u64 {
        self.entries.len() as u64
    }

    fn last_digest(&self) -> Option<Digest> {
        self.digests.last().copied()
    }

    fn head(&self) -> Option<Head> {
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

    /// Checks that `entry` (whose seq is `next_seq()`) may follow the chain.
    fn check(&self, entry: &Entry) -> Result<(), Violation> {
        match (self.head(), entry.prev) {
            (None, Some(found)) => return Err(Violation::GenesisHasPrev { found }),
            (Some(head), found) if found != Some(head.digest) => {
                return Err(Violation::PrevMismatch {
                    previous: head.seq,
                    expected: head.digest,
                    found,
                });
            }
            _ => {}
        }
        entry.kind.check_fields()?;
        match &entry.kind {
            EntryKind::Declared { declaration, pf_id, supersedes, .. } => {
                if let Some(first) = self.declared.get(declaration) {
                    return Err(Violation::AlreadyDeclared {
                        declaration: *declaration,
                        seq: first.seq,
                    });
                }
                if let Some(other) = self.pf_ids.get(pf_id) {
                    let seq = self.declared.get(other).map_or(0, |d| d.seq);
                    return Err(Violation::DuplicatePfId { pf_id: pf_id.clone(), seq });
                }
                if let Some(old) = supersedes {
                    let Some(info) = self.declared.get(old) else {
                        return Err(Violation::NotDeclared { declaration: *old });
                    };
                    if let Some((by, seq)) = info.superseded_by {
                        return Err(Violation::AlreadySuperseded { declaration: *old, by, seq });
                    }
                }
            }
            EntryKind::StatusChanged { declaration, pf_id, status: StatusChange::Deprecated } => {
                let Some(info) = self.declared.get(declaration) else {
                    return Err(Violation::NotDeclared { declaration: *declaration });
                };
                if info.pf_id != *pf_id {
                    return Err(Violation::PfIdMismatch {
                        declaration: *declaration,
                        declared: info.pf_id.clone(),
                        found: pf_id.clone(),
                    });
                }
                if let Some(seq) = info.deprecated {
                    return Err(Violation::AlreadyDeprecated { declaration: *declaration, seq });
                }
            }
        }
        Ok(())
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

/// Parses an entry file strictly and returns the entry with its digest. The file must be in
/// normal form: its canonical JSON must equal that of the parsed entry, so the digest covers
/// exactly what the file says.
fn parse_entry(bytes: &[u8]) -> Result<(Entry, Digest), Violation> {
    let unreadable = |message: String| Violation::Unreadable { message };
    let raw = canonical::parse_strict(bytes).map_err(Violation::Json)?;
    let raw = canonical::canonicalize(&raw).map_err(Violation::Json)?;
    // Parsed again from the text (not from the value) so that errors carry line and column.
    let entry: Entry = serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
    let canonical = entry.canonical().map_err(|e| unreadable(e.to_string()))?;
    if raw != canonical {
        return Err(Violation::NotNormalForm);
    }
    Ok((entry, Digest::of(&canonical)))
}

/// Checks that `bytes` are strict JSON in RFC 8785 canonical form.
fn check_canonical(bytes: &[u8]) -> Result<(), RegisterError> {
    let value = canonical::parse_strict(bytes).map_err(RegisterError::DeclarationJson)?;
    let canonical = canonical::canonicalize(&value).map_err(RegisterError::DeclarationJson)?;
    if canonical != bytes {
        let offset = canonical.iter().zip(bytes).take_while(|(a, b)| a == b).count();
        return Err(RegisterError::DeclarationNotCanonical { offset });
    }
    Ok(())
}

/// Checks that a pf id is a lowercase UUID (8-4-4-4-12 hex digits).
fn check_pf_id(pf_id: &str) -> Result<(), Violation> {
    let ok = pf_id.len() == 36
        && pf_id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
        });
    if ok {
        Ok(())
    } else {
        Err(field("pfId", &format!("{pf_id:?}"), "a lowercase UUID (8-4-4-4-12 hex digits)"))
    }
}

fn field(field: &'static str, value: &str, expected: &'static str) -> Violation {
    Violation::Field { field, value: value.to_string(), expected }
}

/// The file of entry `seq`, relative to the register directory.
fn entry_file(seq: u64) -> String {
    format!("{ENTRIES}/{seq:020}.json")
}

/// The file of a declaration, relative to the register directory.
fn declaration_file(declaration: &Digest) -> String {
    format!("{DECLARATIONS}/{}.json", declaration.hex())
}

/// The sequence number an entry file name stands for.
fn seq_of_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".json")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn show(digest: &Option<Digest>) -> String {
    digest.map_or_else(|| "null".to_string(), |d| d.to_string())
}

fn anchor_problem(actual: &Option<Digest>) -> String {
    match actual {
        None => "the register ends before it (entries were deleted from the end); restore the \
                 register from a backup"
            .to_string(),
        Some(actual) => format!(
            "that entry now hashes to {actual} (the register was rewritten); restore it from a \
             backup"
        ),
    }
}

fn usize_of(seq: u64) -> usize {
    usize::try_from(seq).unwrap_or(usize::MAX)
}

fn io_error(action: &'static str, path: &Path, err: &io::Error) -> RegisterError {
    RegisterError::Io { action, path: path.display().to_string(), message: err.to_string() }
}

/// Flushes a directory's entries to disk, so newly created subdirectories survive a crash.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        for ok in
            ["2026-03-01T12:00:00Z", "2024-02-29T23:59:59.123456789Z", "2026-12-31T00:00:00.5Z"]
        {
            assert!(ok.parse::<Timestamp>().is_ok(), "{ok}");
        }
        for bad in [
            "2026-03-01T12:00:00+00:00",
            "2026-03-01 12:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T12:00:00.Z",
            "2026-03-01T12:00:00.1234567890Z",
            "2026-03-01t12:00:00z",
            "2026-03-01T12:00:00Zé",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
    }

    #[test]
    fn entry_file_names() {
        assert_eq!(entry_file(42), "entries/00000000000000000042.json");
        assert_eq!(seq_of_file_name("00000000000000000042.json"), Some(42));
        assert_eq!(seq_of_file_name("42.json"), None);
        assert_eq!(seq_of_file_name("99999999999999999999.json"), None);
        assert_eq!(seq_of_file_name("0000000000000000004a.json"), None);
    }

    #[test]
    fn pf_ids() {
        assert!(check_pf_id("3f2504e0-4f89-41d3-9a0c-0305e82c3301").is_ok());
        assert!(check_pf_id("3F2504E0-4F89-41D3-9A0C-0305E82C3301").is_err());
        assert!(check_pf_id("3f2504e04f8941d39a0c0305e82c3301").is_err());
    }

    #[test]
    fn canonical_check_names_the_offset() {
        assert_eq!(check_canonical(br#"{"a":1,"b":[true]}"#), Ok(()));
        assert_eq!(
            check_canonical(br#"{"b":1,"a":2}"#),
            Err(RegisterError::DeclarationNotCanonical { offset: 2 })
        );
        assert!(matches!(
            check_canonical(br#"{"a":1,"a":2}"#),
            Err(RegisterError::DeclarationJson(JsonError::DuplicateKey { .. }))
        ));
        assert!(matches!(
            check_canonical(b"[9007199254740993]"),
            Err(RegisterError::DeclarationJson(JsonError::UnsafeInteger { .. }))
        ));
    }
}
