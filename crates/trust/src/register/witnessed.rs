//! The cosigned checkpoints an issuer got back from witnesses, kept in the register so that a
//! bundle can show when a declaration was issued at the latest: the earliest cosigned
//! checkpoint whose tree includes the declaration's entry, with the inclusion proof. A witness's
//! timestamp on it is a time the declaration was already in the log, which the issuer cannot
//! move back (its own `validFrom` is only a claim).
//!
//! They are stored in `cosigned/<size>-<hash>.txt` (the size in 20 digits, the hash the first 16
//! hex digits of the SHA-256 of the note), written once: the note is the register's own
//! checkpoint of that size, same text, the issuer's signature included, with the witnesses'
//! cosignatures appended. Which witnesses to trust is the buyer's decision, so their
//! cosignatures are kept as given and checked by the buyer.

use std::fs;
use std::io;
use std::path::PathBuf;

use pcf_base::atomic::{Mode, write_new};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::merkle::{self, Hash};
use super::note::{self, Checkpoint, Note, Verifier};
use super::{CHECKPOINTS, Entry, Register, RegisterError, io_error};

/// The directory of the register's cosigned checkpoints.
pub const COSIGNED: &str = "cosigned";

/// The earliest cosigned checkpoint that includes a declaration's entry, as a bundle carries
/// it: with it and a witness's key, the buyer knows the declaration was in the issuer's log no
/// later than the witness's timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WitnessedProof {
    /// The cosigned checkpoint, a signed note.
    pub checkpoint: String,
    /// The sequence number of the declaration's entry.
    pub seq: u64,
    /// The entry's inclusion proof in the checkpoint's tree (base64 hashes).
    pub inclusion: Vec<String>,
}

/// A cosigned checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Where it is stored.
    pub path: PathBuf,
    /// How many signature lines it has besides the issuer's.
    pub cosignatures: usize,
}

fn refused(message: String) -> RegisterError {
    RegisterError::Checkpoint { message }
}

impl Register {
    /// Stores a cosigned copy of one of the register's checkpoints (`pcf witness ... cosign`
    /// output): the same text as the stored checkpoint of its size, every signature line of
    /// the stored one present, and at least one more. Storing the same note again changes
    /// nothing.
    pub fn add_cosigned(&self, cosigned: &str) -> Result<CosignedCheckpoint, RegisterError> {
        let given = Note::parse(cosigned).map_err(|e| refused(format!("the note: {e}")))?;
        let cp =
            Checkpoint::parse(&given.text).map_err(|e| refused(format!("the checkpoint: {e}")))?;
        let own_path = self.dir().join(CHECKPOINTS).join(format!("{:020}.txt", cp.size));
        let own = match fs::read_to_string(&own_path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(refused(format!(
                    "the register has no checkpoint of size {} ({} is absent): not one of its \
                     checkpoints",
                    cp.size,
                    own_path.display()
                )));
            }
            Err(e) => return Err(io_error("read", &own_path, &e)),
        };
        let issuer = Verifier::for_did_key(&cp.origin).map_err(|e| refused(e.to_string()))?;
        let (own_cp, own_note, _) = note::open_checkpoint(&own, std::slice::from_ref(&issuer))
            .map_err(|e| refused(format!("{}: {e}", own_path.display())))?;
        if own_note.text != given.text || own_cp != cp {
            return Err(refused(format!(
                "it is not the register's checkpoint of size {} (another text or root)",
                cp.size
            )));
        }
        if let Some(missing) = own_note.signatures.iter().find(|s| !given.signatures.contains(s)) {
            return Err(refused(format!(
                "it lacks the register's own signature line by {}",
                missing.name
            )));
        }
        note::open_checkpoint(cosigned, std::slice::from_ref(&issuer))
            .map_err(|e| refused(format!("the note: {e}")))?;
        let cosignatures = given.signatures.len() - own_note.signatures.len();
        if cosignatures == 0 {
            return Err(refused("it carries no cosignature besides the issuer's".into()));
        }
        let dir = self.dir().join(COSIGNED);
        fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, &e))?;
        let hash: String = Sha256::digest(cosigned.as_bytes())
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = dir.join(format!("{:020}-{hash}.txt", cp.size));
        match write_new(&path, cosigned.as_bytes(), Mode::Public) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_error("write", &path, &e)),
        }
        Ok(CosignedCheckpoint { checkpoint: cp, path, cosignatures })
    }

    /// The earliest stored cosigned checkpoint that includes entry `seq` (the smallest size
    /// above `seq`), with the entry's inclusion proof in it; `None` if there is none.
    pub fn witnessed_proof(&self, seq: u64) -> Result<Option<WitnessedProof>, RegisterError> {
        let dir = self.dir().join(COSIGNED);
        let read = match fs::read_dir(&dir) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", &dir, &e)),
        };
        let mut names: Vec<(u64, String)> = read
            .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
            .filter_map(|n| {
                let size = n.get(..20)?.parse::<u64>().ok()?;
                (n.len() == 41 && n.ends_with(".txt") && n.as_bytes()[20] == b'-')
                    .then_some((size, n))
            })
            .filter(|(size, _)| *size > seq)
            .collect();
        names.sort();
        let Some((size, name)) = names.into_iter().next() else { return Ok(None) };
        let path = dir.join(name);
        let checkpoint = fs::read_to_string(&path).map_err(|e| io_error("read", &path, &e))?;
        let inclusion = self.inclusion_proof(seq, size)?.iter().map(note::encode_hash).collect();
        Ok(Some(WitnessedProof { checkpoint, seq, inclusion }))
    }
}

/// When a trusted witness first saw an entry in the log: the earliest timestamp of the
/// cosignatures of `witnesses` on `proof`'s checkpoint (signed by the issuer whose did:key is
/// `issuer`), after checking that `entry` (at `proof.seq`) is in its tree. Returns the
/// timestamp (POSIX seconds), the witness's name and the checkpoint's size; `Ok(None)` when
/// none of `witnesses` cosigned it.
pub fn witnessed_time(
    proof: &WitnessedProof,
    entry: &Entry,
    issuer: &str,
    witnesses: &[Verifier],
) -> Result<Option<(u64, String, u64)>, String> {
    let mut known = vec![Verifier::for_did_key(issuer).map_err(|e| e.to_string())?];
    known.extend(witnesses.iter().cloned());
    let (cp, _, verified) = note::open_checkpoint(&proof.checkpoint, &known)
        .map_err(|e| format!("the cosigned checkpoint: {e}"))?;
    if entry.seq != proof.seq {
        return Err(format!("it proves entry {}, not entry {}", proof.seq, entry.seq));
    }
    let hashes: Vec<Hash> = proof
        .inclusion
        .iter()
        .map(|h| note::decode_hash(h).ok_or_else(|| format!("{h:?} is not a hash")))
        .collect::<Result<_, _>>()?;
    let leaf = merkle::leaf_hash(&entry.canonical().map_err(|e| e.to_string())?);
    merkle::verify_inclusion(&leaf, entry.seq, cp.size, &hashes, &cp.root).map_err(|e| {
        format!("entry {} is not in the cosigned checkpoint of size {}: {e}", entry.seq, cp.size)
    })?;
    Ok(verified
        .iter()
        .filter(|v| v.verifier > 0 && known[v.verifier].kind == note::COSIGNATURE)
        .filter_map(|v| Some((v.timestamp?, known[v.verifier].name.clone(), cp.size)))
        .min())
}
