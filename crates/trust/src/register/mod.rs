//! The issuer's register: an append-only, hash-chained record of every declaration an issuer
//! made and every status change of one, kept in a directory (by default [`DEFAULT_DIR`]).
//!
//! Layout of the directory:
//!
//! ```text
//! entries/00000000000000000000.json   entry 0 (pretty-printed JSON, one file per entry)
//! entries/00000000000000000001.json   entry 1, whose `prev` is the digest of entry 0
//! declarations/<hex>.json             declaration files, named by the SHA-256 of their bytes
//! checkpoints/<size>.txt              the issuer's signed checkpoints of the log
//! log/tile/...                        the log's Merkle tree as C2SP tlog-tiles hash tiles
//! index/...                           what an append is checked against (see `index`)
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
//! one, and an entry that [`Register::append`] reported is on disk. Writers take the register's
//! lock (`index/lock`) and an entry file is never replaced, so two appenders cannot both write
//! one sequence number: the chain never forks. The tiles and the index are derived from the
//! entries and brought up to date from them after a crash, so an append costs O(log n)
//! whatever the register's size, while [`Register::verify`] still re-walks everything.
//!
//! [`write_new`]: pcf_base::atomic::write_new
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

mod append;
mod chain;
mod entry;
mod error;
mod excerpt;
mod index;
mod log;
pub mod merkle;
pub mod note;
pub mod status_list;
pub mod tiles;
mod witnessed;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use pcf_base::digest::Digest;
pub use pcf_footprint::certificate::{CertificateSerial, ClaimedKwh};

pub use chain::{Head, RegisterReport};
pub use entry::{
    CertificateClaim, Entry, EntryKind, Status, StatusChange, Timestamp, TimestampError,
};
pub use error::{RegisterError, Violation};
pub use excerpt::{ExcerptReport, RegisterExcerpt, verify_excerpt};
pub use index::{IndexedClaim, Lookup};
pub use log::{CHECKPOINTS, LogProof, SignedCheckpoint, verify_log_proof};
pub use witnessed::{COSIGNED, CosignedCheckpoint, WitnessedProof, witnessed_time};

/// Where the CLI keeps the register when the user names no directory.
pub const DEFAULT_DIR: &str = ".pcf-register";

/// An issuer's register in a directory.
#[derive(Debug, Clone)]
pub struct Register {
    dir: PathBuf,
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

    fn entry_path(&self, seq: u64) -> PathBuf {
        self.dir.join(entry_file(seq))
    }

    fn declaration_path(&self, declaration: &Digest) -> PathBuf {
        self.dir.join(declaration_file(declaration))
    }
}

const ENTRIES: &str = "entries";
const DECLARATIONS: &str = "declarations";
/// The prefix [`write_new`](pcf_base::atomic::write_new) gives its temporary files.
const TEMP_PREFIX: &str = ".pcf-tmp-";

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
    fn entry_file_names() {
        assert_eq!(entry_file(42), "entries/00000000000000000042.json");
        assert_eq!(seq_of_file_name("00000000000000000042.json"), Some(42));
        assert_eq!(seq_of_file_name("42.json"), None);
        assert_eq!(seq_of_file_name("99999999999999999999.json"), None);
        assert_eq!(seq_of_file_name("0000000000000000004a.json"), None);
    }
}
