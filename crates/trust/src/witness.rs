//! A witness of issuers' logs: someone other than the issuer (a certification body, the park
//! operator, a buyer) who keeps, per log, the last checkpoint it cosigned, and cosigns a new
//! checkpoint only if it extends that one (a consistency proof, RFC 9162) — so two buyers shown
//! two different histories of one log cannot both get the witness's cosignature. Two
//! checkpoints of one log that cannot both be true are reported as an equivocation, with both
//! signed notes as evidence. Files in, files out: the state is one file per log, replaced
//! atomically.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use pcf_base::atomic::{Mode, write_replace};
use sha2::{Digest as _, Sha256};

use crate::register::merkle::{self, Hash};
use crate::register::note::{self, Checkpoint, Note, NoteError, Verifier};

/// Why a witness would not act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The checkpoint or proof given is not acceptable (not signed by the log, malformed,
    /// older than the one cosigned).
    #[error("{0}")]
    Refused(String),
    /// The witness's state could not be read or written.
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

fn io_error(action: &'static str, path: &Path, e: &io::Error) -> WitnessError {
    WitnessError::Io { action, path: path.display().to_string(), message: e.to_string() }
}

/// What the witness did with a checkpoint.
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

/// A witness: its name, key and state directory.
pub struct Witness {
    /// Key name (a schema-less URL is recommended, e.g. `witness.example/w1`).
    pub name: String,
    /// The witness's signing key.
    pub key: SigningKey,
    /// Where it keeps the last cosigned checkpoint of each log.
    pub state: PathBuf,
}

impl Witness {
    /// The witness's verifier key (`vkey`, type 0x04) for buyers' `--witness`.
    pub fn vkey(&self) -> Result<String, NoteError> {
        Ok(Verifier::new(&self.name, note::COSIGNATURE, self.key.verifying_key())?.vkey())
    }

    fn state_file(&self, origin: &str) -> PathBuf {
        let h = Sha256::digest(origin.as_bytes());
        let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.state.join(format!("{hex}.checkpoint"))
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

    /// Considers a checkpoint of `log` (its signed note) with the consistency proof from the
    /// last one cosigned, and cosigns it at `now` (POSIX seconds) if it extends that one.
    pub fn cosign(
        &self,
        log: &Verifier,
        checkpoint_note: &str,
        proof: &[Hash],
        now: u64,
    ) -> Result<Outcome, WitnessError> {
        let (new, parsed) = read_checkpoint(checkpoint_note, log)?;
        let last = self.last(log)?;
        if let Some((old, old_note)) = &last {
            let equivocation = |reason: String| Outcome::Equivocation {
                reason,
                earlier: old_note.clone(),
                later: checkpoint_note.to_string(),
            };
            if new.size < old.size {
                return Err(WitnessError::Refused(format!(
                    "the checkpoint has {} entries, fewer than the {} already cosigned: a \
                     rollback; give the log's latest checkpoint",
                    new.size, old.size
                )));
            }
            if new.size == old.size && new.root != old.root {
                return Ok(equivocation(format!(
                    "two checkpoints of size {} with different roots",
                    new.size
                )));
            }
            if new.size > old.size
                && let Err(e) =
                    merkle::verify_consistency(old.size, new.size, proof, &old.root, &new.root)
            {
                return Ok(equivocation(format!(
                    "no consistency proof from size {} to size {}: {e}",
                    old.size, new.size
                )));
            }
        }
        let sig = note::cosign(&parsed.text, &self.name, &self.key, now)
            .map_err(|e| WitnessError::Refused(e.to_string()))?;
        let mut cosigned = parsed.clone();
        cosigned.signatures.retain(|s| s.name != self.name);
        cosigned.signatures.push(sig);
        // Keep only the log's signature in the state: the checkpoint as the log signed it.
        let log_only = Note {
            text: parsed.text.clone(),
            signatures: parsed.signatures.into_iter().filter(|s| s.name == log.name).collect(),
        };
        fs::create_dir_all(&self.state).map_err(|e| io_error("create", &self.state, &e))?;
        let path = self.state_file(&log.name);
        write_replace(&path, log_only.to_text().as_bytes(), Mode::Public)
            .map_err(|e| io_error("write", &path, &e))?;
        Ok(Outcome::Cosigned { note: cosigned.to_text(), previous_size: last.map(|l| l.0.size) })
    }
}

/// A checkpoint note signed by `log`, whose origin is the log's name, and the note.
fn read_checkpoint(text: &str, log: &Verifier) -> Result<(Checkpoint, Note), WitnessError> {
    note::open_checkpoint(text, std::slice::from_ref(log))
        .map(|(cp, note, _)| (cp, note))
        .map_err(|e| WitnessError::Refused(format!("the checkpoint: {e}")))
}
