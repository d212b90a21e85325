//! A buyer's record of the checkpoints seen: per log (an issuer's did:key, the checkpoint's
//! origin), the latest checkpoint whose signature verified, so that a later bundle cannot show
//! the buyer another history of the same log (a fork: same size, another root) or an older
//! checkpoint than one already known (the status it proves may be stale). The record advances
//! only with an RFC 9162 consistency proof from the size seen to the new one; without one the
//! newer checkpoint is reported and the record kept.
//!
//! Layout of the directory (created if absent; files in, files out):
//!
//! ```text
//! logs/<origin>.txt                   the latest checkpoint seen of each log (a signed note)
//! evidence/<origin>-<size>-<root>.txt two signed checkpoints of one size with different roots
//! ```
//!
//! where `<origin>` is the origin with every character outside `[A-Za-z0-9._-]` written `_`
//! (a did:key's `:`). A record is replaced atomically ([`write_replace`]): a crash leaves the old
//! checkpoint or the new one, never a torn file. A rollback of the directory itself (restoring
//! an old copy) is outside what it can see.
//!
//! ```
//! use pcf_trust::register::note::{self, Checkpoint, Note, Verifier};
//! use pcf_trust::seen::{Observation, Seen};
//!
//! let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
//! let did = pcf_trust::keys::did_key(&key.verifying_key());
//! let text = Checkpoint { origin: did.clone(), size: 1, root: [1; 32], extensions: vec![] }.to_text();
//! let signed = Note { signatures: vec![note::sign(&text, &did, &key).unwrap()], text }.to_text();
//! let dir = tempfile::tempdir().unwrap();
//! let seen = Seen::open(dir.path()).unwrap();
//! let log = Verifier::for_did_key(&did).unwrap();
//! assert_eq!(seen.observe(&log, &signed, None).unwrap(), Observation::First { size: 1 });
//! assert_eq!(seen.observe(&log, &signed, None).unwrap(), Observation::Same { size: 1 });
//! ```
//!
//! [`write_replace`]: pcf_base::atomic::write_replace

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use pcf_base::atomic::{Mode, write_new, write_replace};

use crate::declaration::bundle::{Bundle, ConsistencyProof};
use crate::declaration::{Check, CheckStatus};
use crate::register::merkle::{self, Hash};
use crate::register::note::{self, Checkpoint, Verifier};

/// Why the record of checkpoints seen could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SeenError {
    /// The checkpoint given, or the one recorded, is not a checkpoint signed by its log.
    #[error("{0}")]
    Refused(String),
    /// The record could not be read or written.
    #[error("cannot {action} {path}: {message}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: String,
        /// What the operating system said.
        message: String,
    },
}

fn io_error(action: &'static str, path: &Path, e: &io::Error) -> SeenError {
    SeenError::Io { action, path: path.display().to_string(), message: e.to_string() }
}

/// What a checkpoint shows against the one seen before of the same log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Observation {
    /// No checkpoint of the log was seen before; this one is recorded (trust on first use).
    First {
        /// Its size.
        size: u64,
    },
    /// The checkpoint seen before: same size, same root.
    Same {
        /// Its size.
        size: u64,
    },
    /// A newer checkpoint, consistent with the one seen (the proof verified); recorded.
    Advanced {
        /// The size seen before.
        from: u64,
        /// The size recorded now.
        to: u64,
    },
    /// A newer checkpoint without a consistency proof from the one seen: not recorded.
    Unproven {
        /// The size seen (and still recorded).
        known: u64,
        /// The newer checkpoint's size.
        size: u64,
    },
    /// A newer checkpoint whose consistency proof from the one seen does not verify: another
    /// history, or a proof between other sizes. Not recorded.
    Inconsistent {
        /// The size seen (and still recorded).
        known: u64,
        /// The newer checkpoint's size.
        size: u64,
        /// Why the proof failed.
        reason: String,
    },
    /// An older checkpoint than the one seen: the status it proves may be stale.
    Stale {
        /// The size seen.
        known: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// Two checkpoints of one size with different roots, both signed by the log: a fork. The
    /// evidence (both signed notes) was written to `evidence`.
    Fork {
        /// The size of both.
        size: u64,
        /// The root seen before (base64).
        seen_root: String,
        /// The root of the checkpoint given now (base64).
        root: String,
        /// The evidence file.
        evidence: PathBuf,
    },
}

/// A buyer's record of checkpoints seen, in a directory.
#[derive(Debug, Clone)]
pub struct Seen {
    dir: PathBuf,
}

const LOGS: &str = "logs";
const EVIDENCE: &str = "evidence";

impl Seen {
    /// Opens the record in `dir`, creating the directory if absent.
    pub fn open(dir: impl AsRef<Path>) -> Result<Seen, SeenError> {
        let dir = dir.as_ref().to_path_buf();
        for sub in [LOGS, EVIDENCE] {
            let path = dir.join(sub);
            fs::create_dir_all(&path).map_err(|e| io_error("create", &path, &e))?;
        }
        Ok(Seen { dir })
    }

    /// The record's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn record_file(&self, origin: &str) -> PathBuf {
        self.dir.join(LOGS).join(format!("{}.txt", safe_name(origin)))
    }

    /// The latest checkpoint seen of `log` and its signed note, checked against the log's key.
    pub fn latest(&self, log: &Verifier) -> Result<Option<(Checkpoint, String)>, SeenError> {
        let path = self.record_file(&log.name);
        match fs::read_to_string(&path) {
            Ok(text) => {
                let (cp, _, _) =
                    note::open_checkpoint(&text, std::slice::from_ref(log)).map_err(|e| {
                        SeenError::Refused(format!(
                            "{}: the checkpoint recorded: {e}",
                            path.display()
                        ))
                    })?;
                Ok(Some((cp, text)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("read", &path, &e)),
        }
    }

    /// Compares a checkpoint of `log` (its signed note) with the one seen, and records it if it
    /// is the first seen or extends the one seen by `consistency`, the RFC 9162 proof from the
    /// size seen to its size. A fork's evidence is written before it is reported.
    pub fn observe(
        &self,
        log: &Verifier,
        checkpoint_note: &str,
        consistency: Option<&[Hash]>,
    ) -> Result<Observation, SeenError> {
        let (new, _, _) = note::open_checkpoint(checkpoint_note, std::slice::from_ref(log))
            .map_err(|e| SeenError::Refused(format!("the checkpoint: {e}")))?;
        let record = self.record_file(&log.name);
        let Some((old, old_note)) = self.latest(log)? else {
            self.record(&record, checkpoint_note)?;
            return Ok(Observation::First { size: new.size });
        };
        if new.size < old.size {
            return Ok(Observation::Stale { known: old.size, size: new.size });
        }
        if new.size == old.size {
            if new.root == old.root {
                return Ok(Observation::Same { size: new.size });
            }
            let evidence = self.write_evidence(log, &new, &old_note, checkpoint_note)?;
            return Ok(Observation::Fork {
                size: new.size,
                seen_root: note::encode_hash(&old.root),
                root: note::encode_hash(&new.root),
                evidence,
            });
        }
        let Some(proof) = consistency else {
            return Ok(Observation::Unproven { known: old.size, size: new.size });
        };
        if let Err(e) = merkle::verify_consistency(old.size, new.size, proof, &old.root, &new.root)
        {
            return Ok(Observation::Inconsistent {
                known: old.size,
                size: new.size,
                reason: e.to_string(),
            });
        }
        self.record(&record, checkpoint_note)?;
        Ok(Observation::Advanced { from: old.size, to: new.size })
    }

    fn record(&self, path: &Path, checkpoint_note: &str) -> Result<(), SeenError> {
        write_replace(path, checkpoint_note.as_bytes(), Mode::Public)
            .map_err(|e| io_error("write", path, &e))
    }

    fn write_evidence(
        &self,
        log: &Verifier,
        new: &Checkpoint,
        earlier: &str,
        later: &str,
    ) -> Result<PathBuf, SeenError> {
        let root: String = new.root.iter().take(4).map(|b| format!("{b:02x}")).collect();
        let path = self.dir.join(EVIDENCE).join(format!(
            "{}-{}-{root}.txt",
            safe_name(&log.name),
            new.size
        ));
        let text = format!(
            "FORK of the log {}: two checkpoints of size {} with different roots, both signed by \
             the log\n\nthe checkpoint seen before:\n{earlier}\nthe checkpoint shown now:\n{later}",
            log.name, new.size
        );
        match write_new(&path, text.as_bytes(), Mode::Public) {
            Ok(()) => Ok(path),
            // The same fork shown again: the evidence is there already.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(path),
            Err(e) => Err(io_error("write", &path, &e)),
        }
    }
}

/// Compares the checkpoint a bundle carries with the record and records it when it may (see
/// [`Seen::observe`]); the consistency proof is `consistency` if given (from the size recorded
/// to the checkpoint's), else the bundle's own if it starts at the size recorded. `issuer` is the
/// declaration's issuer, whose did:key is the log's origin. The result is a check named `seen`:
/// skipped when there is no checkpoint to compare.
pub fn check_bundle(
    seen: &Seen,
    bundle: &Bundle,
    issuer: Option<&str>,
    consistency: Option<&[Hash]>,
) -> Result<Check, SeenError> {
    let skip = |detail: String| Check { name: "seen".into(), status: CheckStatus::Skip, detail };
    let Some(log) = &bundle.log else {
        return Ok(skip("the bundle carries no checkpoint to compare with those seen".into()));
    };
    let Some(issuer) = issuer.filter(|i| i.starts_with("did:key:")) else {
        return Ok(skip("the issuer is not a did:key: its checkpoints cannot be checked".into()));
    };
    let verifier = match Verifier::for_did_key(issuer) {
        Ok(v) => v,
        Err(e) => return Ok(skip(format!("the issuer's key: {e}"))),
    };
    let known = seen.latest(&verifier)?.map(|(cp, _)| cp.size);
    let embedded = bundle
        .log_consistency
        .as_ref()
        .filter(|c| Some(c.from) == known)
        .and_then(ConsistencyProof::hashes);
    let proof = consistency.map(<[Hash]>::to_vec).or(embedded);
    match seen.observe(&verifier, &log.checkpoint, proof.as_deref()) {
        Ok(o) => Ok(o.check(seen.dir())),
        Err(SeenError::Refused(e)) => Ok(skip(format!("not recorded: {e}"))),
        Err(e) => Err(e),
    }
}

impl Observation {
    /// Whether the observation shows a problem with the checkpoint (a fork, a stale or an
    /// inconsistent checkpoint).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Observation::Fork { .. } | Observation::Stale { .. } | Observation::Inconsistent { .. }
        )
    }

    /// The observation as a check of a verification report (named `seen`), for a record kept
    /// in `dir`.
    pub fn check(&self, dir: &Path) -> Check {
        use CheckStatus::*;
        let dir = dir.display();
        let (status, detail) = match self {
            Observation::First { size } => (
                Pass,
                format!(
                    "first checkpoint of this log seen (size {size}): recorded in {dir}; later \
                     ones must extend it"
                ),
            ),
            Observation::Same { size } => {
                (Pass, format!("the checkpoint of size {size} seen before ({dir})"))
            }
            Observation::Advanced { from, to } => (
                Pass,
                format!(
                    "consistent with the checkpoint of size {from} seen before (RFC 9162 \
                     consistency proof); size {to} recorded in {dir}"
                ),
            ),
            Observation::Unproven { known, size } => (
                Warn,
                format!(
                    "newer than the checkpoint of size {known} seen before, but its consistency \
                     with it could not be checked (no proof: pass --consistency FILE from `pcf \
                     register prove --from {known} --size {size}`, or ask for a bundle made with \
                     --consistency-from {known}); {dir} keeps size {known}"
                ),
            ),
            Observation::Inconsistent { known, size, reason } => (
                Fail,
                format!(
                    "the consistency proof from the checkpoint of size {known} seen before to \
                     size {size} does not verify ({reason}): another history of the log, or a \
                     proof between other sizes; {dir} keeps size {known}"
                ),
            ),
            Observation::Stale { known, size } => (
                Fail,
                format!(
                    "the bundle's checkpoint has size {size}, but a newer checkpoint of size \
                     {known} of this log is known ({dir}): the status it proves is stale and the \
                     declaration may have been superseded or deprecated since; ask the issuer \
                     for a fresh bundle"
                ),
            ),
            Observation::Fork { size, seen_root, root, evidence } => (
                Fail,
                format!(
                    "FORK: the log signed two checkpoints of size {size} with different roots \
                     (seen before: {seen_root}; this bundle: {root}); the evidence, both signed \
                     checkpoints, is in {}",
                    evidence.display()
                ),
            ),
        };
        Check { name: "seen".into(), status, detail }
    }
}

/// A file name for a log's origin: `[A-Za-z0-9._-]` kept, anything else `_`, at most 200
/// characters (a did:key is base58 after `did:key:`, so distinct did:keys keep distinct names).
fn safe_name(origin: &str) -> String {
    origin
        .chars()
        .take(200)
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::register::merkle::MemoryTree;
    use crate::register::note::Note;

    fn signed(key: &ed25519_dalek::SigningKey, size: u64, root: Hash) -> String {
        let did = crate::keys::did_key(&key.verifying_key());
        let text = Checkpoint { origin: did.clone(), size, root, extensions: vec![] }.to_text();
        Note { signatures: vec![note::sign(&text, &did, key).unwrap()], text }.to_text()
    }

    #[test]
    fn first_same_advanced_unproven_stale_and_fork() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let log = Verifier::for_did_key(&crate::keys::did_key(&key.verifying_key())).unwrap();
        let mut tree = MemoryTree::new();
        for leaf in [b"a", b"b", b"c"] {
            tree.push(leaf);
        }
        let root = |n| merkle::root(&tree, n).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let seen = Seen::open(dir.path().join("seen")).unwrap();
        let (one, three) = (signed(&key, 1, root(1)), signed(&key, 3, root(3)));
        assert_eq!(seen.observe(&log, &one, None).unwrap(), Observation::First { size: 1 });
        assert_eq!(
            seen.observe(&log, &three, None).unwrap(),
            Observation::Unproven { known: 1, size: 3 }
        );
        let bad = merkle::consistency_proof(&tree, 2, 3).unwrap();
        assert!(matches!(
            seen.observe(&log, &three, Some(&bad)).unwrap(),
            Observation::Inconsistent { known: 1, size: 3, .. }
        ));
        assert_eq!(seen.latest(&log).unwrap().unwrap().0.size, 1);
        let proof = merkle::consistency_proof(&tree, 1, 3).unwrap();
        assert_eq!(
            seen.observe(&log, &three, Some(&proof)).unwrap(),
            Observation::Advanced { from: 1, to: 3 }
        );
        assert_eq!(seen.latest(&log).unwrap().unwrap().1, three);
        assert_eq!(
            seen.observe(&log, &one, None).unwrap(),
            Observation::Stale { known: 3, size: 1 }
        );
        let fork = signed(&key, 3, [9; 32]);
        let Observation::Fork { size: 3, evidence, .. } = seen.observe(&log, &fork, None).unwrap()
        else {
            panic!("not a fork")
        };
        let text = fs::read_to_string(evidence).unwrap();
        assert!(text.contains(&three) && text.contains(&fork), "{text}");
        // A checkpoint another key signed is refused, and nothing is recorded.
        let other = ed25519_dalek::SigningKey::from_bytes(&[4; 32]);
        let forged = signed(&other, 5, [1; 32])
            .replace(&crate::keys::did_key(&other.verifying_key()), &log.name);
        assert!(matches!(seen.observe(&log, &forged, None), Err(SeenError::Refused(_))));
        assert_eq!(seen.latest(&log).unwrap().unwrap().1, three);
    }
}
