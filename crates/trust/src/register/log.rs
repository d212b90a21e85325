//! The register as a transparency log: its entries, in order, are the leaves of an RFC 9162
//! Merkle tree (a leaf is the entry's canonical JSON, the bytes whose SHA-256 the chain links),
//! and the issuer signs checkpoints of that tree (C2SP `tlog-checkpoint` in a `signed-note`)
//! whose origin is the issuer's DID. Checkpoints are kept in `checkpoints/<size>.txt`, written
//! once: a second, different head for a size already checkpointed is a fork and is refused.
//!
//! The tree is kept as hash tiles (see the tiles module), so a checkpoint, an inclusion proof
//! or a consistency proof reads O(log n) tiles; [`Register::tree`] rebuilds it from the
//! walked entries for audits.

use std::fs;
use std::io;
use std::path::PathBuf;

use ed25519_dalek::SigningKey;
use pcf_base::atomic::{Mode, write_new};
use serde::{Deserialize, Serialize};

use super::merkle::{self, Hash, MemoryTree};
use super::note::{self, Checkpoint, Note, Verifier};
use super::tiles;
use super::{Register, RegisterError, RegisterExcerpt, io_error};

/// The directory of the register's signed checkpoints.
pub const CHECKPOINTS: &str = "checkpoints";

/// A checkpoint the issuer signed, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The signed note (checkpoint text and signature lines).
    pub note: String,
    /// Where it is stored.
    pub path: PathBuf,
}

/// What ties a register excerpt to the issuer's log: the issuer's signed checkpoint whose size
/// is the excerpt's head + 1, and the inclusion proof of each entry of the excerpt in it. With
/// them the excerpt is every entry from the declaration's own to the checkpoint, as the
/// checkpoint commits to: a later status change cannot be left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogProof {
    /// The checkpoint, a signed note.
    pub checkpoint: String,
    /// For each entry of the excerpt, in order, its inclusion proof (base64 hashes).
    pub inclusion: Vec<Vec<String>>,
}

fn refused(message: String) -> RegisterError {
    RegisterError::Checkpoint { message }
}

impl Register {
    /// The number of entries (the log's size), from the index.
    pub fn size(&self) -> Result<u64, RegisterError> {
        Ok(self.synced()?.size)
    }

    /// Hash tile `index` of `level` as C2SP tlog-tiles serves it: the first `width` (1 to
    /// 256) of its 32-byte hashes, concatenated. Refused if the log does not have them yet.
    pub fn tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<u8>, RegisterError> {
        let size = self.synced()?.size;
        let have = tiles::tile_width(level, index, size);
        if width == 0 || u64::from(width) > have {
            return Err(refused(format!(
                "tile {} does not exist in a log of {size} entries",
                tiles::tile_path(level, index, u64::from(width))
            )));
        }
        let hashes = self.tiles().read(level, index, have)?;
        Ok(hashes[..usize::from(width)].concat())
    }

    /// Entry bundle `index` as C2SP tlog-tiles serves it: entries `index * 256` to
    /// `index * 256 + width - 1`, each as a big-endian 16-bit length and its canonical JSON
    /// (the bytes of its Merkle leaf).
    pub fn entry_bundle(&self, index: u64, width: u16) -> Result<Vec<u8>, RegisterError> {
        let size = self.synced()?.size;
        if width == 0 || u64::from(width) > tiles::tile_width(0, index, size) {
            return Err(refused(format!(
                "entry bundle {} does not exist in a log of {size} entries",
                tiles::entries_path(index, u64::from(width))
            )));
        }
        let mut out = Vec::new();
        for seq in index * tiles::TILE_WIDTH..index * tiles::TILE_WIDTH + u64::from(width) {
            let canonical = self.entry(seq)?.canonical()?;
            let len = u16::try_from(canonical.len()).map_err(|_| {
                refused(format!("entry {seq} is longer than an entry bundle allows (65535 bytes)"))
            })?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&canonical);
        }
        Ok(out)
    }

    /// The Merkle tree of the register's entries, after checking the chain (an audit: O(n);
    /// the log's own tree is in its tiles).
    pub fn tree(&self) -> Result<MemoryTree, RegisterError> {
        let mut tree = MemoryTree::new();
        for entry in self.entries()? {
            tree.push(&entry.canonical()?);
        }
        Ok(tree)
    }

    /// Signs a checkpoint of the register as it is now with the issuer's `key` (origin: the
    /// key's did:key) and stores it, unless the same checkpoint is stored already.
    pub fn checkpoint(&self, key: &SigningKey) -> Result<SignedCheckpoint, RegisterError> {
        let _lock = self.lock()?;
        let size = self.catch_up()?.size;
        let root =
            merkle::root(&self.tiles().nodes(size), size).map_err(|e| refused(e.to_string()))?;
        let origin = crate::keys::did_key(&key.verifying_key());
        let checkpoint = Checkpoint { origin: origin.clone(), size, root, extensions: vec![] };
        let text = checkpoint.to_text();
        let sig = note::sign(&text, &origin, key).map_err(|e| refused(e.to_string()))?;
        let note = Note { text, signatures: vec![sig] }.to_text();
        let dir = self.dir().join(CHECKPOINTS);
        fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, &e))?;
        let path = dir.join(format!("{:020}.txt", checkpoint.size));
        match write_new(&path, note.as_bytes(), Mode::Public) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // Ed25519 signatures are deterministic: the same head gives the same note.
                let stored = fs::read_to_string(&path).map_err(|e| io_error("read", &path, &e))?;
                if stored != note {
                    return Err(refused(format!(
                        "{} holds another checkpoint of size {}: the register would show two \
                         histories of one size (a fork); it was altered, or another key signs \
                         for it",
                        path.display(),
                        checkpoint.size
                    )));
                }
            }
            Err(e) => return Err(io_error("write", &path, &e)),
        }
        Ok(SignedCheckpoint { checkpoint, note, path })
    }

    /// The latest stored checkpoint's note, if any, checked against the issuer's key.
    pub fn latest_checkpoint(
        &self,
        issuer: &Verifier,
    ) -> Result<Option<SignedCheckpoint>, RegisterError> {
        let dir = self.dir().join(CHECKPOINTS);
        let mut names: Vec<String> = match fs::read_dir(&dir) {
            Ok(read) => read
                .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
                .filter(|n| n.len() == 24 && n.ends_with(".txt"))
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", &dir, &e)),
        };
        names.sort();
        let Some(name) = names.pop() else { return Ok(None) };
        let path = dir.join(name);
        let text = fs::read_to_string(&path).map_err(|e| io_error("read", &path, &e))?;
        let (checkpoint, _, _) = note::open_checkpoint(&text, std::slice::from_ref(issuer))
            .map_err(|e| refused(format!("{}: {e}", path.display())))?;
        Ok(Some(SignedCheckpoint { checkpoint, note: text, path }))
    }

    /// Checks every stored checkpoint: signed by the key its origin (a did:key) names, and its
    /// root the root of the register's first `size` entries. Returns how many were checked.
    pub fn verify_checkpoints(&self) -> Result<usize, RegisterError> {
        let dir = self.dir().join(CHECKPOINTS);
        let read = match fs::read_dir(&dir) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io_error("read", &dir, &e)),
        };
        // Temporary files of an interrupted write are never read.
        let mut paths: Vec<PathBuf> = read
            .filter_map(|e| e.ok())
            .filter(|e| !e.file_name().to_string_lossy().starts_with(super::TEMP_PREFIX))
            .map(|e| e.path())
            .collect();
        paths.sort();
        let tree = self.tree()?;
        // The tiles, which checkpoints are signed from, must hold the walked entries' tree.
        let size = self.synced()?.size;
        let tiles = self.tiles();
        let tiled = merkle::root(&tiles.nodes(size), size).map_err(|e| refused(e.to_string()))?;
        if size != tree.size() || tiled != tree.root() {
            return Err(refused(format!(
                "the log's tiles (log/tile, {size} entries) do not hold the tree of the \
                 register's {} entries: remove the register's index and log/tile directories \
                 and they are rebuilt",
                tree.size()
            )));
        }
        let mut origin: Option<String> = None;
        for path in &paths {
            let at = |e: &dyn std::fmt::Display| refused(format!("{}: {e}", path.display()));
            let text = fs::read_to_string(path).map_err(|e| io_error("read", path, &e))?;
            // One register, one issuer: every checkpoint has the origin of the first, and the
            // did:key it names signed it.
            let claimed = Note::parse(&text)
                .and_then(|n| Checkpoint::parse(&n.text))
                .map_err(|e| at(&e))?
                .origin;
            match &origin {
                Some(o) if *o != claimed => {
                    return Err(at(&format!(
                        "its origin {claimed} is not {o}, the origin of the register's other \
                         checkpoints"
                    )));
                }
                _ => origin = Some(claimed.clone()),
            }
            let issuer = Verifier::for_did_key(&claimed).map_err(|e| at(&e))?;
            let (checkpoint, _, _) =
                note::open_checkpoint(&text, std::slice::from_ref(&issuer)).map_err(|e| at(&e))?;
            if path.file_name().and_then(|n| n.to_str())
                != Some(&format!("{:020}.txt", checkpoint.size))
            {
                return Err(at(&format!("holds a checkpoint of size {}", checkpoint.size)));
            }
            if checkpoint.size > tree.size() {
                return Err(at(&format!(
                    "checkpoints {} entries but the register has {}: entries were removed",
                    checkpoint.size,
                    tree.size()
                )));
            }
            let root = merkle::root(&tree, checkpoint.size).map_err(|e| at(&e))?;
            if root != checkpoint.root {
                return Err(at(&"its root is not the root of the register's entries: the \
                                 history it signed was rewritten"));
            }
        }
        Ok(paths.len())
    }

    /// The log proof of `excerpt`, if the issuer checkpointed the register at its head.
    pub fn log_proof(&self, excerpt: &RegisterExcerpt) -> Result<Option<LogProof>, RegisterError> {
        let size = excerpt.head.seq + 1;
        let path = self.dir().join(CHECKPOINTS).join(format!("{size:020}.txt"));
        let checkpoint = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", &path, &e)),
        };
        let current = self.synced()?.size;
        let tiles = self.tiles();
        let tree = tiles.nodes(current);
        let inclusion = excerpt
            .entries
            .iter()
            .map(|e| {
                merkle::inclusion_proof(&tree, e.seq, size)
                    .map(|p| p.iter().map(note::encode_hash).collect())
                    .map_err(|e| refused(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(LogProof { checkpoint, inclusion }))
    }

    /// The inclusion proof of entry `seq` in the tree of the first `size` entries.
    pub fn inclusion_proof(&self, seq: u64, size: u64) -> Result<Vec<Hash>, RegisterError> {
        let current = self.synced()?.size;
        if size > current {
            return Err(refused(format!("the register has {current} entries, not {size}")));
        }
        let tiles = self.tiles();
        merkle::inclusion_proof(&tiles.nodes(current), seq, size)
            .map_err(|e| refused(e.to_string()))
    }

    /// The consistency proof from the tree of `size1` entries to that of `size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, RegisterError> {
        let current = self.synced()?.size;
        if size2 > current {
            return Err(refused(format!("the register has {current} entries, not {size2}")));
        }
        let tiles = self.tiles();
        merkle::consistency_proof(&tiles.nodes(current), size1, size2)
            .map_err(|e| refused(e.to_string()))
    }
}

/// Checks a log proof of `excerpt` (already checked on its own) for an issuer whose did:key is
/// `issuer`: the checkpoint is signed by that key with that origin, its size is the excerpt's
/// head + 1, and every entry of the excerpt is the leaf of its sequence number in it. Returns
/// the checkpoint and the names of the `witnesses` whose cosignatures on it verify (a
/// cosignature of a known witness that does not verify rejects the checkpoint).
pub fn verify_log_proof(
    excerpt: &RegisterExcerpt,
    proof: &LogProof,
    issuer: &str,
    witnesses: &[Verifier],
) -> Result<(Checkpoint, Vec<String>), String> {
    let mut known = vec![Verifier::for_did_key(issuer).map_err(|e| e.to_string())?];
    known.extend(witnesses.iter().cloned());
    let (cp, _, verified) = note::open_checkpoint(&proof.checkpoint, &known)
        .map_err(|e| format!("the checkpoint: {e}"))?;
    // Witnesses who cosigned (a witness key is known only as a cosigner, type 0x04).
    let cosigners: Vec<String> = verified
        .iter()
        .filter(|v| v.verifier > 0 && known[v.verifier].kind == note::COSIGNATURE)
        .map(|v| known[v.verifier].name.clone())
        .collect();
    if cp.size != excerpt.head.seq + 1 {
        return Err(format!(
            "the checkpoint has {} entries but the excerpt's head is entry {}",
            cp.size, excerpt.head.seq
        ));
    }
    if proof.inclusion.len() != excerpt.entries.len() {
        return Err(format!(
            "{} inclusion proofs for {} entries",
            proof.inclusion.len(),
            excerpt.entries.len()
        ));
    }
    for (entry, hashes) in excerpt.entries.iter().zip(&proof.inclusion) {
        let hashes: Vec<Hash> = hashes
            .iter()
            .map(|h| note::decode_hash(h).ok_or_else(|| format!("{h:?} is not a hash")))
            .collect::<Result<_, _>>()?;
        let leaf = merkle::leaf_hash(&entry.canonical().map_err(|e| e.to_string())?);
        merkle::verify_inclusion(&leaf, entry.seq, cp.size, &hashes, &cp.root)
            .map_err(|e| format!("entry {} is not in the checkpointed log: {e}", entry.seq))?;
    }
    Ok((cp, cosigners))
}
