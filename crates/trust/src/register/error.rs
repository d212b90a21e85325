//! What can go wrong with a register: its errors, and why an entry breaks the chain or
//! cannot be appended.

use pcf_base::canonical::JsonError;
use pcf_base::digest::Digest;

use super::{Head, TimestampError};

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
    /// A checkpoint could not be made, stored or read (a fork, a bad signature, a bad size).
    #[error("checkpoint: {message}")]
    Checkpoint {
        /// What is wrong.
        message: String,
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
    /// An entry file is not the entry the log recorded at its position (its Merkle leaf).
    #[error("it is not the entry the log recorded at this position (its leaf hash differs)")]
    NotLogged,
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
