//! What an append checks against, kept on disk so that appending reads a few files whatever
//! the register's size: the log's size and last entry, and per declaration what the register
//! says of it. Layout (beside `entries/`):
//!
//! ```text
//! index/state.json                 {"size": n, "head": digest of entry n - 1}
//! index/declared/<hex>.json        the entry that declared the declaration of that digest
//! index/pf-ids/<hex>.json          the declaration with that pf id (hex: SHA-256 of the id)
//! index/superseded/<hex>.json      the declaration that superseded it, and its entry
//! index/deprecated/<hex>.json      the entry that deprecated it
//! index/claims/<hex>/<seq>-<i>.json the i-th certificate claim of the declaration declared at
//!                                  entry seq on the serial whose key hashes to hex
//! index/lock                       held (flock) by whoever writes the register
//! log/tile/...                     the Merkle tree's hash tiles (see the tiles module)
//! ```
//!
//! The entries stay the record; the index and the tiles are derived from them. An entry is
//! written first, then its index records and tiles (each written once, a copy already there
//! must be identical), then `state.json` (replaced atomically). A crash anywhere leaves the
//! state at an earlier size, and the next command catches up from the entry files after it,
//! checking each as the walk would; so does a register written before the index existed (its
//! migration) or one whose entries were copied in. Removing `index/` and `log/tile/`
//! rebuilds them.

use std::fs;
use std::io;
use std::path::PathBuf;

use pcf_base::atomic::{Mode, write_new, write_replace};
use pcf_base::digest::Digest;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::chain::{Declared, Known, check};
use super::entry::parse_entry;
use super::merkle::leaf_hash;
use super::tiles::Tiles;
use super::{
    CertificateSerial, ClaimedKwh, Entry, EntryKind, Head, Register, RegisterError, Violation,
    entry_file, io_error,
};

const INDEX: &str = "index";
/// The directory of the log's tiles (what is published).
pub(super) const LOG: &str = "log";

/// The version of the index's layout. An index of another version is rebuilt from the entries
/// (records already there are kept if they agree).
const FORMAT: u32 = 1;

/// The log as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct LogState {
    /// The index's layout ([`FORMAT`]).
    #[serde(default)]
    pub(super) format: u32,
    /// Number of entries indexed.
    pub(super) size: u64,
    /// Digest of the last of them.
    pub(super) head: Option<Digest>,
}

impl LogState {
    const EMPTY: LogState = LogState { format: FORMAT, size: 0, head: None };
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeclaredRecord {
    seq: u64,
    pf_id: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PfIdRecord {
    declaration: Digest,
    seq: u64,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SupersededRecord {
    by: Digest,
    seq: u64,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeprecatedRecord {
    seq: u64,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClaimRecord {
    declaration: Digest,
    pf_id: String,
    quantity_kwh: ClaimedKwh,
}

/// What the register says of one declaration, as the index finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// Active or deprecated.
    pub status: super::Status,
    /// The entry that declared it.
    pub seq: u64,
    /// Its pf id.
    pub pf_id: String,
    /// The `StatusChanged` entry that deprecated it, if any.
    pub deprecated_at: Option<u64>,
    /// The declaration that superseded it, and that declaration's entry.
    pub superseded_by: Option<(Digest, u64)>,
}

/// A declaration's claim on a green electricity certificate, as the index finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedClaim {
    /// The entry that declared the declaration.
    pub seq: u64,
    /// The declaration.
    pub declaration: Digest,
    /// Its pf id.
    pub pf_id: String,
    /// The quantity it claims.
    pub quantity_kwh: ClaimedKwh,
    /// Whether the declaration is still active (neither deprecated nor superseded).
    pub active: bool,
}

fn damaged(path: &std::path::Path, what: &str) -> RegisterError {
    RegisterError::Checkpoint {
        message: format!(
            "{}: {what}; the index is derived from the entries: remove the register's index \
             and log/tile directories and they are rebuilt on the next command",
            path.display()
        ),
    }
}

/// The lock held while writing the register; released when dropped.
pub(super) struct WriteLock {
    _file: fs::File,
}

impl Register {
    fn index_path(&self, kind: &str, key: &str) -> PathBuf {
        self.dir.join(INDEX).join(kind).join(format!("{key}.json"))
    }

    pub(super) fn tiles(&self) -> Tiles {
        Tiles::new(self.dir.join(LOG))
    }

    /// Takes the register's write lock, waiting for another writer to finish.
    pub(super) fn lock(&self) -> Result<WriteLock, RegisterError> {
        let dir = self.dir.join(INDEX);
        fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, &e))?;
        let path = dir.join("lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_error("open", &path, &e))?;
        file.lock().map_err(|e| io_error("lock", &path, &e))?;
        Ok(WriteLock { _file: file })
    }

    fn read_state(&self) -> Result<LogState, RegisterError> {
        let path = self.dir.join(INDEX).join("state.json");
        match read_record::<LogState>(&path)? {
            Some(state) if state.format == FORMAT => Ok(state),
            _ => Ok(LogState::EMPTY),
        }
    }

    /// The log's state with every entry indexed: read from the index, after catching up
    /// (under the write lock) if entries were written after it.
    pub(super) fn synced(&self) -> Result<LogState, RegisterError> {
        let state = self.read_state()?;
        if !self.entry_path(state.size).exists() {
            return Ok(state);
        }
        let _lock = self.lock()?;
        self.catch_up()
    }

    /// Indexes the entries after the state's size (call with the write lock held), checking
    /// each as the walk does.
    pub(super) fn catch_up(&self) -> Result<LogState, RegisterError> {
        let mut state = self.read_state()?;
        // The last indexed entry must be as indexed: a register whose last entry was edited is
        // not extended (earlier edits are found by the walk of `Register::verify`; the tiles
        // keep the tree of the entries as written, so a checkpoint never signs an edit).
        if let Some(digest) = state.head {
            let head = Head { seq: state.size - 1, digest };
            let path = self.entry_path(head.seq);
            let actual = match fs::read(&path) {
                Ok(bytes) => parse_entry(&bytes).ok().map(|(_, d)| d),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(io_error("read", &path, &e)),
            };
            if actual != Some(digest) {
                return Err(RegisterError::AnchorMismatch { head, actual });
            }
        }
        loop {
            let seq = state.size;
            let path = self.entry_path(seq);
            let bytes = match fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(state),
                Err(e) => return Err(io_error("read", &path, &e)),
            };
            let broken =
                |violation| RegisterError::BrokenChain { seq, file: entry_file(seq), violation };
            let (entry, _) = parse_entry(&bytes).map_err(broken)?;
            if entry.seq != seq {
                return Err(broken(Violation::WrongFile { found: entry.seq }));
            }
            if let Err(violation) = check(&self.known(&state), &entry)? {
                // The entries or the index: the walk, which reads no index, tells which.
                self.walk(false)?;
                return Err(damaged(
                    &self.dir.join(INDEX),
                    &format!("says otherwise than the entries (at entry {seq}: {violation})"),
                ));
            }
            if let Some(violation) = self.check_declared_file(&entry)? {
                return Err(broken(violation));
            }
            self.record(&mut state, &entry)?;
        }
    }

    /// What appending after `state` is checked against.
    pub(super) fn known<'a>(&'a self, state: &LogState) -> Index<'a> {
        let head = state.head.map(|digest| Head { seq: state.size - 1, digest });
        Index { register: self, head }
    }

    /// Records `entry` (checked, and written to `entries/`) in the index and the tiles, then
    /// moves the state past it.
    pub(super) fn record(&self, state: &mut LogState, entry: &Entry) -> Result<(), RegisterError> {
        let seq = entry.seq;
        match &entry.kind {
            EntryKind::Declared { declaration, pf_id, supersedes, certificates, .. } => {
                for (i, claim) in certificates.iter().enumerate() {
                    let record = ClaimRecord {
                        declaration: *declaration,
                        pf_id: pf_id.clone(),
                        quantity_kwh: claim.quantity_kwh.clone(),
                    };
                    let key = format!("{}/{seq:020}-{i}", serial_key(&claim.serial));
                    self.write_record("claims", &key, &record)?;
                }
                let key = declaration.hex();
                self.write_record("declared", &key, &DeclaredRecord { seq, pf_id: pf_id.clone() })?;
                let pf_key = Digest::of(pf_id.as_bytes()).hex();
                self.write_record(
                    "pf-ids",
                    &pf_key,
                    &PfIdRecord { declaration: *declaration, seq },
                )?;
                if let Some(old) = supersedes {
                    let record = SupersededRecord { by: *declaration, seq };
                    self.write_record("superseded", &old.hex(), &record)?;
                }
            }
            EntryKind::StatusChanged { declaration, .. } => {
                self.write_record("deprecated", &declaration.hex(), &DeprecatedRecord { seq })?;
            }
        }
        let canonical = entry.canonical()?;
        let tiles = self.tiles();
        let obsolete = tiles.append(state.size, leaf_hash(&canonical))?;
        let next = LogState { format: FORMAT, size: seq + 1, head: Some(Digest::of(&canonical)) };
        let path = self.dir.join(INDEX).join("state.json");
        let bytes = serde_json::to_vec(&next).map_err(|e| damaged(&path, &e.to_string()))?;
        write_replace(&path, &bytes, Mode::Public).map_err(|e| io_error("write", &path, &e))?;
        *state = next;
        tiles.remove(&obsolete);
        Ok(())
    }

    /// The last entry, or `None` for an empty register, from the index (no walk).
    pub fn head(&self) -> Result<Option<Head>, RegisterError> {
        let state = self.synced()?;
        Ok(self.known(&state).head)
    }

    /// What the register says of a declaration, from the index (no walk): `None` if it does
    /// not declare it.
    pub fn lookup(&self, declaration: &Digest) -> Result<Option<Lookup>, RegisterError> {
        let state = self.synced()?;
        Ok(self.known(&state).declared(declaration)?.map(|d| Lookup {
            status: d.status(),
            seq: d.seq,
            pf_id: d.pf_id,
            deprecated_at: d.deprecated,
            superseded_by: d.superseded_by,
        }))
    }

    /// Every claim of the register's declarations on certificate `serial` (compared by its
    /// normalized key), in entry order, with whether the declaration is still active. Reads
    /// only that serial's claims, not the chain.
    pub fn claims_on(
        &self,
        serial: &CertificateSerial,
    ) -> Result<Vec<IndexedClaim>, RegisterError> {
        let state = self.synced()?;
        let dir = self.dir.join(INDEX).join("claims").join(serial_key(serial));
        let mut names: Vec<String> = match fs::read_dir(&dir) {
            Ok(read) => read
                .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
                .filter(|n| !n.starts_with(super::TEMP_PREFIX))
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("read", &dir, &e)),
        };
        names.sort();
        let known = self.known(&state);
        let mut out = Vec::new();
        for name in names {
            let path = dir.join(&name);
            let seq = name
                .split_once('-')
                .and_then(|(seq, _)| seq.parse::<u64>().ok())
                .ok_or_else(|| damaged(&path, "not named <seq>-<i>.json"))?;
            let Some(record) = read_record::<ClaimRecord>(&path)? else { continue };
            let active = known
                .declared(&record.declaration)?
                .is_some_and(|d| d.status() == super::Status::Active);
            out.push(IndexedClaim {
                seq,
                declaration: record.declaration,
                pf_id: record.pf_id,
                quantity_kwh: record.quantity_kwh,
                active,
            });
        }
        Ok(out)
    }

    fn write_record<T: Serialize + DeserializeOwned + PartialEq>(
        &self,
        kind: &str,
        key: &str,
        record: &T,
    ) -> Result<(), RegisterError> {
        let path = self.index_path(kind, key);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| io_error("create", parent, &e))?;
        }
        let bytes = serde_json::to_vec(record).map_err(|e| damaged(&path, &e.to_string()))?;
        match write_new(&path, &bytes, Mode::Public) {
            Ok(()) => Ok(()),
            // Written before a crash: it must say the same.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match read_record::<T>(&path)? {
                Some(stored) if stored == *record => Ok(()),
                _ => Err(damaged(&path, "says otherwise than the entries")),
            },
            Err(e) => Err(io_error("write", &path, &e)),
        }
    }
}

/// The directory name of a certificate serial's claims: the SHA-256 of its normalized key.
fn serial_key(serial: &CertificateSerial) -> String {
    Digest::of(serial.key().as_bytes()).hex()
}

fn read_record<T: DeserializeOwned>(path: &std::path::Path) -> Result<Option<T>, RegisterError> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| damaged(path, &format!("unreadable ({e})"))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("read", path, &e)),
    }
}

/// The index as of a state: what [`check`] needs, read from a few files.
pub(super) struct Index<'a> {
    register: &'a Register,
    head: Option<Head>,
}

impl Known for Index<'_> {
    fn head(&self) -> Option<Head> {
        self.head
    }

    fn declared(&self, declaration: &Digest) -> Result<Option<Declared>, RegisterError> {
        let key = declaration.hex();
        let r = self.register;
        let Some(DeclaredRecord { seq, pf_id }) = read_record(&r.index_path("declared", &key))?
        else {
            return Ok(None);
        };
        let deprecated = read_record::<DeprecatedRecord>(&r.index_path("deprecated", &key))?;
        let superseded = read_record::<SupersededRecord>(&r.index_path("superseded", &key))?;
        Ok(Some(Declared {
            seq,
            pf_id,
            deprecated: deprecated.map(|d| d.seq),
            superseded_by: superseded.map(|s| (s.by, s.seq)),
        }))
    }

    fn pf_id(&self, pf_id: &str) -> Result<Option<(Digest, u64)>, RegisterError> {
        let key = Digest::of(pf_id.as_bytes()).hex();
        let record = read_record::<PfIdRecord>(&self.register.index_path("pf-ids", &key))?;
        Ok(record.map(|r| (r.declaration, r.seq)))
    }
}
