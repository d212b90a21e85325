//! A witness of issuers' logs: someone other than the issuer (a certification body, the park
//! operator, a buyer) who keeps, per log, the last checkpoint it cosigned, and cosigns a new
//! checkpoint only if it extends that one (a consistency proof, RFC 9162) — so two buyers shown
//! two different histories of one log cannot both get the witness's cosignature. Two
//! checkpoints of one log that cannot both be true are reported as an equivocation, with both
//! signed notes as evidence, kept under `evidence/`. The state is one file per log, replaced
//! atomically. One code path, [`Witness::add_checkpoint`], serves files (`pcf witness cosign`)
//! and HTTP (C2SP `tlog-witness`, `pcf witness serve`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use pcf_base::atomic::{Mode, write_new, write_replace};
use sha2::{Digest as _, Sha256};

use crate::register::merkle::{self, Hash};
use crate::register::note::{self, Checkpoint, Note, NoteError, SignatureLine, Verifier};

/// Why a witness would not act. Each refusal maps to one status of the C2SP `tlog-witness`
/// protocol ([`WitnessError::http_status`]), so files and HTTP refuse alike.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The request or checkpoint is malformed, or older than the old size it gives (400).
    #[error("{0}")]
    Refused(String),
    /// The checkpoint's origin is not a log this witness is configured for (404).
    #[error("{origin} is not a log this witness witnesses (configure it with --log)")]
    UnknownLog {
        /// The checkpoint's origin.
        origin: String,
    },
    /// The log's key did not sign the checkpoint, or its signature does not verify (403).
    #[error("the checkpoint is not signed by the log: {0}")]
    NotSigned(String),
    /// The old size given is not the size of the last checkpoint cosigned (409, with the
    /// witness's size): ask again with a consistency proof from that size.
    #[error(
        "the witness last cosigned {witnessed} entries of this log, not {given}: prove \
         consistency from size {witnessed}"
    )]
    OldSize {
        /// The old size the request gave.
        given: u64,
        /// The size of the last checkpoint cosigned (0: none).
        witnessed: u64,
    },
    /// The checkpoint contradicts the one cosigned before (409 for another root at the same
    /// size, 422 for a consistency proof that does not verify); the evidence is kept.
    #[error("equivocation: {}", .0.reason)]
    Equivocation(Box<Equivocation>),
    /// The witness's state could not be read or written (500).
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

impl WitnessError {
    /// The HTTP status `tlog-witness` gives this refusal.
    pub fn http_status(&self) -> u16 {
        match self {
            WitnessError::Refused(_) => 400,
            WitnessError::NotSigned(_) => 403,
            WitnessError::UnknownLog { .. } => 404,
            WitnessError::OldSize { .. } => 409,
            WitnessError::Equivocation(e) if e.same_size => 409,
            WitnessError::Equivocation(_) => 422,
            WitnessError::Io { .. } => 500,
        }
    }
}

/// Two checkpoints of one log that cannot both be true, both signed by the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivocation {
    /// Why they cannot both be true.
    pub reason: String,
    /// Whether both have the same size (else: no consistency proof connects them).
    pub same_size: bool,
    /// The checkpoint cosigned before, as the log signed it.
    pub earlier: String,
    /// The checkpoint given now.
    pub later: String,
    /// Where the evidence was kept (both notes, the reason and the proof given).
    pub evidence: Option<PathBuf>,
}

fn io_error(action: &'static str, path: &Path, e: &io::Error) -> WitnessError {
    WitnessError::Io { action, path: path.display().to_string(), message: e.to_string() }
}

/// What the witness did with a checkpoint (the file interface, [`Witness::cosign`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Cosigned: the log's note with the witness's cosignature added.
    Cosigned {
        /// The cosigned note.
        note: String,
        /// The size of the checkpoint cosigned before (None: the first seen).
        previous_size: Option<u64>,
    },
    /// The checkpoint contradicts the one cosigned before: both notes, signed by the log.
    Equivocation {
        /// Why they cannot both be true.
        reason: String,
        /// The checkpoint cosigned before.
        earlier: String,
        /// The checkpoint given now.
        later: String,
    },
}

/// The most consistency proof lines a request may carry (`tlog-witness`).
pub const MAX_PROOF_LINES: usize = 63;

/// An `add-checkpoint` request (C2SP `tlog-witness`): the size of the checkpoint the client
/// believes the witness cosigned last, a consistency proof from it, and the new checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The old size.
    pub old: u64,
    /// The consistency proof from the old size to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint, a signed note.
    pub checkpoint: String,
}

impl AddCheckpoint {
    /// Parses a request body: `old <size>`, proof lines (base64 hashes), an empty line, the
    /// signed checkpoint.
    pub fn parse(body: &str) -> Result<AddCheckpoint, WitnessError> {
        let bad = |m: &str| WitnessError::Refused(format!("add-checkpoint request: {m}"));
        let (head, checkpoint) =
            body.split_once("\n\n").ok_or_else(|| bad("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .ok_or_else(|| bad("the first line is not `old <size>`"))?;
        if old.is_empty()
            || !old.bytes().all(|b| b.is_ascii_digit())
            || (old.len() > 1 && old.starts_with('0'))
        {
            return Err(bad(&format!("{old:?} is not a tree size")));
        }
        let old: u64 = old.parse().map_err(|_| bad(&format!("{old:?} is too large")))?;
        let mut proof = Vec::new();
        for line in lines {
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad(&format!("over {MAX_PROOF_LINES} proof lines")));
            }
            let hash = note::decode_hash(line)
                .filter(|_| !line.contains(char::is_whitespace))
                .ok_or_else(|| bad(&format!("{line:?} is not a base64 SHA-256 hash")))?;
            proof.push(hash);
        }
        Ok(AddCheckpoint { old, proof, checkpoint: checkpoint.to_string() })
    }

    /// The request body.
    pub fn to_text(&self) -> String {
        let mut s = format!("old {}\n", self.old);
        for h in &self.proof {
            s.push_str(&note::encode_hash(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }
}

/// A checkpoint the witness cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// The witness's cosignature line (the `add-checkpoint` response body).
    pub signature: SignatureLine,
    /// The checkpoint with the cosignature added.
    pub note: String,
    /// The size of the checkpoint cosigned before (None: the first seen).
    pub previous_size: Option<u64>,
}

/// A witness: its name, key and state directory.
pub struct Witness {
    /// Key name (a schema-less URL is recommended, e.g. `witness.example/w1`).
    pub name: String,
    /// The witness's signing key.
    pub key: SigningKey,
    /// Where it keeps the last cosigned checkpoint of each log, and `evidence/`.
    pub state: PathBuf,
}

/// The directory of a witness's state where equivocations are kept.
pub const EVIDENCE: &str = "evidence";

impl Witness {
    /// The witness's verifier key (`vkey`, type 0x04) for buyers' `--witness`.
    pub fn vkey(&self) -> Result<String, NoteError> {
        Ok(Verifier::new(&self.name, note::COSIGNATURE, self.key.verifying_key())?.vkey())
    }

    fn state_file(&self, origin: &str) -> PathBuf {
        self.state.join(format!("{}.checkpoint", origin_hex(origin)))
    }

    /// The last checkpoint cosigned for `log`, as the log signed it.
    pub fn last(&self, log: &Verifier) -> Result<Option<(Checkpoint, String)>, WitnessError> {
        let path = self.state_file(&log.name);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some((read_checkpoint(&text, log)?.0, text))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("read", &path, &e)),
        }
    }

    /// Handles an `add-checkpoint` request for one of `logs` at `now` (POSIX seconds), as
    /// C2SP `tlog-witness` says: the checkpoint's origin must be one of `logs` and signed by
    /// it; the old size must be the size last cosigned (0 if none); the proof must connect
    /// the two (same size: same root). Then the checkpoint is cosigned and kept as the log's
    /// latest. Two checkpoints that cannot both be true are kept under `evidence/`.
    ///
    /// Checking and recording happen under the state directory's lock (`lock`, held by one
    /// process or thread at a time), so two witnesses run on one state (the file command and
    /// the HTTP server, say) cannot both cosign two checkpoints of one size.
    pub fn add_checkpoint(
        &self,
        logs: &[Verifier],
        request: &AddCheckpoint,
        now: u64,
    ) -> Result<Cosigned, WitnessError> {
        fs::create_dir_all(&self.state).map_err(|e| io_error("create", &self.state, &e))?;
        let lock_path = self.state.join("lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_error("open", &lock_path, &e))?;
        lock.lock().map_err(|e| io_error("lock", &lock_path, &e))?;
        let text = &request.checkpoint;
        let claimed = Note::parse(text)
            .and_then(|n| Checkpoint::parse(&n.text))
            .map_err(|e| WitnessError::Refused(format!("the checkpoint: {e}")))?;
        let log = logs
            .iter()
            .find(|l| l.name == claimed.origin)
            .ok_or_else(|| WitnessError::UnknownLog { origin: claimed.origin.clone() })?;
        let (new, parsed) = read_checkpoint(text, log)?;
        if request.old > new.size {
            return Err(WitnessError::Refused(format!(
                "the checkpoint has {} entries, fewer than the old size {}: a rollback; give \
                 the log's latest checkpoint",
                new.size, request.old
            )));
        }
        let last = self.last(log)?;
        let witnessed = last.as_ref().map_or(0, |(cp, _)| cp.size);
        if request.old != witnessed {
            return Err(WitnessError::OldSize { given: request.old, witnessed });
        }
        // Every tree extends the empty one: from size 0 there is nothing to prove.
        if let Some((old, old_note)) = last.as_ref().filter(|(o, _)| o.size > 0 || new.size == 0) {
            let reason = if new.size == old.size {
                (new.root != old.root)
                    .then(|| format!("two checkpoints of size {} with different roots", new.size))
            } else {
                merkle::verify_consistency(old.size, new.size, &request.proof, &old.root, &new.root)
                    .err()
                    .map(|e| {
                        format!(
                            "no consistency proof from size {} to size {}: {e}",
                            old.size, new.size
                        )
                    })
            };
            if let Some(reason) = reason {
                let mut e = Equivocation {
                    reason,
                    same_size: new.size == old.size,
                    earlier: old_note.clone(),
                    later: text.clone(),
                    evidence: None,
                };
                e.evidence = Some(self.keep_evidence(&log.name, &e, request, now)?);
                return Err(WitnessError::Equivocation(Box::new(e)));
            }
        } else if !request.proof.is_empty() {
            return Err(WitnessError::Refused(
                "a consistency proof from size 0 must be empty".to_string(),
            ));
        }
        let sig = note::cosign(&parsed.text, &self.name, &self.key, now)
            .map_err(|e| WitnessError::Refused(e.to_string()))?;
        let mut cosigned = parsed.clone();
        cosigned.signatures.retain(|s| s.name != self.name);
        cosigned.signatures.push(sig.clone());
        // Keep only the log's signature in the state: the checkpoint as the log signed it.
        let log_only = Note {
            text: parsed.text.clone(),
            signatures: parsed.signatures.into_iter().filter(|s| s.name == log.name).collect(),
        };
        fs::create_dir_all(&self.state).map_err(|e| io_error("create", &self.state, &e))?;
        let path = self.state_file(&log.name);
        write_replace(&path, log_only.to_text().as_bytes(), Mode::Public)
            .map_err(|e| io_error("write", &path, &e))?;
        Ok(Cosigned {
            signature: sig,
            note: cosigned.to_text(),
            previous_size: last.map(|l| l.0.size),
        })
    }

    /// Considers a checkpoint of `log` (its signed note) with the consistency proof from the
    /// last one cosigned, and cosigns it at `now` (POSIX seconds) if it extends that one: the
    /// file interface, [`Witness::add_checkpoint`] with the old size the witness's own.
    pub fn cosign(
        &self,
        log: &Verifier,
        checkpoint_note: &str,
        proof: &[Hash],
        now: u64,
    ) -> Result<Outcome, WitnessError> {
        let old = self.last(log)?.map_or(0, |(cp, _)| cp.size);
        let request =
            AddCheckpoint { old, proof: proof.to_vec(), checkpoint: checkpoint_note.to_string() };
        match self.add_checkpoint(std::slice::from_ref(log), &request, now) {
            Ok(c) => Ok(Outcome::Cosigned { note: c.note, previous_size: c.previous_size }),
            Err(WitnessError::Equivocation(e)) => {
                let Equivocation { reason, earlier, later, .. } = *e;
                Ok(Outcome::Equivocation { reason, earlier, later })
            }
            Err(e) => Err(e),
        }
    }

    /// Writes the evidence of an equivocation, never replacing earlier evidence.
    fn keep_evidence(
        &self,
        origin: &str,
        e: &Equivocation,
        request: &AddCheckpoint,
        now: u64,
    ) -> Result<PathBuf, WitnessError> {
        let dir = self.state.join(EVIDENCE);
        fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, &e))?;
        let text = format!(
            "equivocation by {origin}: {}\n\n# the checkpoint cosigned before\n{}\n# the \
             checkpoint given at {now}, with old size {} and this proof\n{}\n{}",
            e.reason,
            e.earlier,
            request.old,
            request.proof.iter().map(|h| note::encode_hash(h) + "\n").collect::<String>(),
            e.later
        );
        for n in 0u32.. {
            let path = dir.join(format!("{}-{now}-{n}.txt", origin_hex(origin)));
            match write_new(&path, text.as_bytes(), Mode::Public) {
                Ok(()) => return Ok(path),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists && n < 1000 => {}
                Err(err) => return Err(io_error("write", &path, &err)),
            }
        }
        Err(io_error("write", &dir, &io::Error::other("too many evidence files at one time")))
    }
}

/// A file-name-safe name for a log: the first 16 bytes of the SHA-256 of its origin, in hex.
fn origin_hex(origin: &str) -> String {
    let h = Sha256::digest(origin.as_bytes());
    h.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A checkpoint note signed by `log`, whose origin is the log's name, and the note.
fn read_checkpoint(text: &str, log: &Verifier) -> Result<(Checkpoint, Note), WitnessError> {
    note::open_checkpoint(text, std::slice::from_ref(log)).map(|(cp, note, _)| (cp, note)).map_err(
        |e| match e {
            NoteError::Format(_) => WitnessError::Refused(format!("the checkpoint: {e}")),
            _ => WitnessError::NotSigned(e.to_string()),
        },
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn add_checkpoint_requests_round_trip_and_malformed_ones_are_refused() {
        let r = AddCheckpoint {
            old: 20,
            proof: vec![[1; 32], [2; 32]],
            checkpoint: "o\n3\nAAA=\n\n\u{2014} o AAAA\n".into(),
        };
        let text = r.to_text();
        assert!(text.starts_with("old 20\nAQEB"));
        assert_eq!(AddCheckpoint::parse(&text).unwrap(), r);
        let empty = AddCheckpoint { old: 0, proof: vec![], checkpoint: "c\n\nx\n".into() };
        assert_eq!(AddCheckpoint::parse(&empty.to_text()).unwrap(), empty);
        for bad in [
            "",
            "old 1\n",
            "old 01\n\nc",
            "old -1\n\nc",
            "old  1\n\nc",
            "new 1\n\nc",
            "old 99999999999999999999\n\nc",
            "old 1\nnot a hash\n\nc",
            "old 1\n AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\nc",
        ] {
            let err = AddCheckpoint::parse(bad).unwrap_err();
            assert_eq!(err.http_status(), 400, "{bad:?}: {err}");
        }
        let long =
            format!("old 1\n{}\nc", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n".repeat(64));
        assert!(AddCheckpoint::parse(&long).is_err());
    }

    #[test]
    fn a_log_first_seen_empty_is_extended_without_a_proof() {
        let dir = tempfile::tempdir().unwrap();
        let log_key = SigningKey::from_bytes(&[4; 32]);
        let did = crate::keys::did_key(&log_key.verifying_key());
        let log = Verifier::for_did_key(&did).unwrap();
        let w = Witness {
            name: "w.example/w".into(),
            key: SigningKey::from_bytes(&[6; 32]),
            state: dir.path().to_path_buf(),
        };
        let signed = |size: u64, root: Hash| {
            let text = Checkpoint { origin: did.clone(), size, root, extensions: vec![] }.to_text();
            let sig = note::sign(&text, &did, &log_key).unwrap();
            Note { text, signatures: vec![sig] }.to_text()
        };
        let add = |old: u64, checkpoint: String| {
            let r = AddCheckpoint { old, proof: vec![], checkpoint };
            w.add_checkpoint(std::slice::from_ref(&log), &r, 1_800_000_000)
        };
        add(0, signed(0, merkle::empty_root())).unwrap();
        let one = merkle::leaf_hash(b"entry 0");
        assert_eq!(add(0, signed(1, one)).unwrap().previous_size, Some(0));
        assert_eq!(
            add(0, signed(1, one)).unwrap_err(),
            WitnessError::OldSize { given: 0, witnessed: 1 }
        );
        let fork = add(1, signed(1, [1; 32])).unwrap_err();
        assert_eq!(fork.http_status(), 409);
        assert!(matches!(fork, WitnessError::Equivocation(e) if e.evidence.is_some()));
    }

    #[test]
    fn witnesses_racing_on_one_state_cosign_one_of_two_forks() {
        let log_key = SigningKey::from_bytes(&[4; 32]);
        let did = crate::keys::did_key(&log_key.verifying_key());
        let log = Verifier::for_did_key(&did).unwrap();
        let signed = |size: u64, root: Hash| {
            let text = Checkpoint { origin: did.clone(), size, root, extensions: vec![] }.to_text();
            let sig = note::sign(&text, &did, &log_key).unwrap();
            Note { text, signatures: vec![sig] }.to_text()
        };
        for round in 0..20u8 {
            let dir = tempfile::tempdir().unwrap();
            // Each thread is its own witness value on the shared state, as two processes are.
            let cosigned: Vec<bool> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..4u8)
                    .map(|t| {
                        let (dir, log, checkpoint) =
                            (dir.path().to_path_buf(), log.clone(), signed(1, [round ^ t; 32]));
                        scope.spawn(move || {
                            let w = Witness {
                                name: "w.example/w".into(),
                                key: SigningKey::from_bytes(&[6; 32]),
                                state: dir,
                            };
                            let r = AddCheckpoint { old: 0, proof: vec![], checkpoint };
                            w.add_checkpoint(std::slice::from_ref(&log), &r, 1_800_000_000).is_ok()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert_eq!(cosigned.iter().filter(|ok| **ok).count(), 1, "round {round}");
        }
    }
}
