//! Writing to the register: declarations stored by their digest, and entries appended after
//! the checked chain without ever replacing one.

use std::fs;
use std::io;

use pcf_base::atomic::{Mode, write_new};
use pcf_base::canonical;
use pcf_base::digest::Digest;

use super::chain::check;
use super::index::LogState;
use super::{
    Entry, EntryKind, Head, Register, RegisterError, Timestamp, declaration_file, io_error,
};

/// How often [`Register::append`] re-reads and retries after losing a race.
const APPEND_ATTEMPTS: u32 = 100;

impl Register {
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
    /// `kind` must be consistent with the register (a declared declaration must be stored, a
    /// status change must follow its declaration, ...), which is checked against the index: an
    /// append reads and writes O(log n) files, not the chain. Writers take the register's lock,
    /// so two processes appending at once append one after the other.
    pub fn append(&self, mut kind: EntryKind, time: Timestamp) -> Result<Entry, RegisterError> {
        let _lock = self.lock()?;
        for _ in 0..APPEND_ATTEMPTS {
            let mut state = self.catch_up()?;
            let entry = Entry { seq: state.size, prev: state.head, time: time.clone(), kind };
            match self.write_entry(&state, &entry) {
                Ok(()) => {
                    self.record(&mut state, &entry)?;
                    return Ok(entry);
                }
                // Written by a process that does not take the lock: index it and go after it.
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
        let _lock = self.lock()?;
        let mut state = self.catch_up()?;
        let next = state.size;
        if entry.seq < next {
            return Err(RegisterError::EntryExists { seq: entry.seq, next });
        }
        if entry.seq != next || entry.prev != state.head {
            return Err(RegisterError::NotTip {
                seq: entry.seq,
                prev: entry.prev,
                next,
                expected_prev: state.head,
            });
        }
        match self.write_entry(&state, entry) {
            Ok(()) => {
                self.record(&mut state, entry)?;
                Ok(Head { seq: entry.seq, digest: entry.digest()? })
            }
            Err(Write::Exists) => {
                Err(RegisterError::EntryExists { seq: entry.seq, next: next + 1 })
            }
            Err(Write::Failed(e)) => Err(e),
        }
    }

    /// Checks `entry` against the index as of `state` (whose next entry it must be) and writes
    /// it.
    fn write_entry(&self, state: &LogState, entry: &Entry) -> Result<(), Write> {
        let refused =
            |violation| Write::Failed(RegisterError::Refused { seq: entry.seq, violation });
        check(&self.known(state), entry).map_err(Write::Failed)?.map_err(refused)?;
        if let Some(violation) = self.check_declared_file(entry).map_err(Write::Failed)? {
            return Err(refused(violation));
        }
        let mut bytes = serde_json::to_vec_pretty(entry).map_err(|e| {
            Write::Failed(RegisterError::Canonical { seq: entry.seq, message: e.to_string() })
        })?;
        bytes.push(b'\n');
        let path = self.entry_path(entry.seq);
        match write_new(&path, &bytes, Mode::Public) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Write::Exists),
            Err(e) => Err(Write::Failed(io_error("write", &path, &e))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use pcf_base::canonical::JsonError;

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
