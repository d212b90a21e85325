//! Signed notes and checkpoints, the text formats transparency logs share: C2SP
//! `signed-note` (a text, a blank line, then `— <key name> base64(key id || signature)`
//! lines), its verifier keys (`vkey`), Ed25519 note signatures (type 0x01), timestamped Ed25519
//! cosignatures (C2SP `tlog-cosignature`, type 0x04), and C2SP `tlog-checkpoint` bodies
//! (origin, tree size, root hash).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use super::merkle::Hash;

/// Signature type of an Ed25519 note signature.
pub const ED25519: u8 = 0x01;
/// Signature type of a timestamped Ed25519 cosignature (tlog-cosignature).
pub const COSIGNATURE: u8 = 0x04;
/// The most signature lines a note may carry (the format requires accepting at least 16).
pub const MAX_SIGNATURES: usize = 64;
/// The longest note accepted, in bytes.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// Why a note, key or checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The text is not a well-formed signed note, key or checkpoint.
    #[error("{0}")]
    Format(String),
    /// A signature from a known key does not verify.
    #[error("the signature of {name} does not verify")]
    BadSignature {
        /// The key's name.
        name: String,
    },
    /// No known key signed the note.
    #[error("no known key signed the note (signers: {0})")]
    NoKnownSigner(String),
}

fn format(msg: impl Into<String>) -> NoteError {
    NoteError::Format(msg.into())
}

/// A hash in base64, as checkpoints and proofs write it.
pub fn encode_hash(h: &Hash) -> String {
    STANDARD.encode(h)
}

/// A base64 SHA-256 hash, or `None` if the text is not one.
pub fn decode_hash(text: &str) -> Option<Hash> {
    STANDARD.decode(text.trim()).ok()?.try_into().ok()
}

/// The key id of a key: `SHA-256(name || "\n" || type || public key)[:4]`.
pub fn key_id(name: &str, kind: u8, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', kind]);
    h.update(key.as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// Whether `name` may name a key: not empty, no Unicode space, no `+`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// A public key a verifier trusts: its name, signature type and Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// Key name (for a log, its origin).
    pub name: String,
    /// Signature type: [`ED25519`] or [`COSIGNATURE`].
    pub kind: u8,
    /// The key.
    pub key: VerifyingKey,
}

impl Verifier {
    /// A verifier for `key` under `name`.
    pub fn new(name: &str, kind: u8, key: VerifyingKey) -> Result<Verifier, NoteError> {
        if !valid_name(name) {
            return Err(format(format!("{name:?} is not a key name (no spaces or '+')")));
        }
        if kind != ED25519 && kind != COSIGNATURE {
            return Err(format(format!("signature type 0x{kind:02x} is not supported")));
        }
        if key.is_weak() {
            return Err(format("the key is of small order (weak): refused"));
        }
        Ok(Verifier { name: name.to_string(), kind, key })
    }

    /// The note-signing key a did:key names, under that did:key as its name: the verifier of
    /// an issuer's checkpoints, whose origin is the issuer's did:key.
    pub fn for_did_key(did: &str) -> Result<Verifier, NoteError> {
        let key = crate::keys::parse_did_key(did).map_err(|e| format(e.to_string()))?;
        Verifier::new(did, ED25519, key)
    }

    /// Its key id.
    pub fn id(&self) -> [u8; 4] {
        key_id(&self.name, self.kind, &self.key)
    }

    /// The verifier key text: `name+hex(key id)+base64(type || key)`.
    pub fn vkey(&self) -> String {
        let id: String = self.id().iter().map(|b| format!("{b:02x}")).collect();
        let mut material = vec![self.kind];
        material.extend_from_slice(self.key.as_bytes());
        format!("{}+{id}+{}", self.name, STANDARD.encode(material))
    }

    /// Parses a verifier key; the key id must be the one its name and key give.
    pub fn parse_vkey(text: &str) -> Result<Verifier, NoteError> {
        let bad = || format(format!("{text:?} is not a verifier key (name+keyid+base64)"));
        let mut parts = text.trim().splitn(3, '+');
        let (name, id, material) = (
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
        );
        let material = STANDARD.decode(material).map_err(|_| bad())?;
        let (&kind, key) = material.split_first().ok_or_else(bad)?;
        let key: [u8; 32] = key.try_into().map_err(|_| bad())?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
        let v = Verifier::new(name, kind, key)?;
        let want: String = v.id().iter().map(|b| format!("{b:02x}")).collect();
        if id != want {
            return Err(format(format!("the key id of {name} is {want}, not {id}")));
        }
        Ok(v)
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureLine {
    /// Key name.
    pub name: String,
    /// Key id.
    pub id: [u8; 4],
    /// The signature bytes after the key id.
    pub bytes: Vec<u8>,
}

impl SignatureLine {
    /// The line, with its final newline.
    pub fn to_line(&self) -> String {
        let mut b = self.id.to_vec();
        b.extend_from_slice(&self.bytes);
        format!("\u{2014} {} {}\n", self.name, STANDARD.encode(b))
    }
}

/// A signed note: its text (ending in a newline) and its signature lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text, final newline included.
    pub text: String,
    /// Signature lines, in order.
    pub signatures: Vec<SignatureLine>,
}

/// A signature a known key made and that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Index of the verifier in the list given.
    pub verifier: usize,
    /// For a cosignature, its time (POSIX seconds).
    pub timestamp: Option<u64>,
}

impl Note {
    /// Parses a signed note (the text is separated from the signatures by its last blank line).
    pub fn parse(note: &str) -> Result<Note, NoteError> {
        if note.len() > MAX_NOTE_BYTES {
            return Err(format(format!("the note is over {MAX_NOTE_BYTES} bytes")));
        }
        if note.chars().any(|c| c < ' ' && c != '\n') {
            return Err(format("the note contains a control character"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| format("the note has no blank line before its signatures"))?;
        let (text, sigs) = (&note[..=split], &note[split + 2..]);
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(format("the note has no signature lines ending in a newline"));
        }
        let mut signatures = Vec::new();
        for line in sigs[..sigs.len() - 1].split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(format(format!("the note has over {MAX_SIGNATURES} signatures")));
            }
            let rest = line
                .strip_prefix("\u{2014} ")
                .ok_or_else(|| format(format!("{line:?} is not a signature line")))?;
            let (name, sig) = rest
                .split_once(' ')
                .ok_or_else(|| format(format!("{line:?} is not a signature line")))?;
            if !valid_name(name) {
                return Err(format(format!("{name:?} is not a key name")));
            }
            let sig = STANDARD.decode(sig).map_err(|_| format(format!("{line:?}: bad base64")))?;
            if sig.len() < 5 {
                return Err(format(format!("{line:?}: the signature is too short")));
            }
            signatures.push(SignatureLine {
                name: name.to_string(),
                id: [sig[0], sig[1], sig[2], sig[3]],
                bytes: sig[4..].to_vec(),
            });
        }
        Ok(Note { text: text.to_string(), signatures })
    }

    /// The note as text.
    pub fn to_text(&self) -> String {
        let mut s = self.text.clone();
        s.push('\n');
        for sig in &self.signatures {
            s.push_str(&sig.to_line());
        }
        s
    }

    /// Checks the signatures of known keys: a known key whose signature fails rejects the
    /// note; signatures of unknown keys are ignored; at least one known key must have signed.
    pub fn verify(&self, verifiers: &[Verifier]) -> Result<Vec<Verified>, NoteError> {
        let mut out = Vec::new();
        for sig in &self.signatures {
            let Some(i) = verifiers.iter().position(|v| v.name == sig.name && v.id() == sig.id)
            else {
                continue;
            };
            let v = &verifiers[i];
            let bad = || NoteError::BadSignature { name: v.name.clone() };
            let timestamp = match v.kind {
                ED25519 => {
                    let s = ed25519_dalek::Signature::from_slice(&sig.bytes).map_err(|_| bad())?;
                    v.key.verify_strict(self.text.as_bytes(), &s).map_err(|_| bad())?;
                    None
                }
                _ => {
                    if sig.bytes.len() != 72 {
                        return Err(bad());
                    }
                    let (ts, s) = sig.bytes.split_at(8);
                    let ts = u64::from_be_bytes(ts.try_into().map_err(|_| bad())?);
                    if ts > i64::MAX as u64 {
                        return Err(bad());
                    }
                    let s = ed25519_dalek::Signature::from_slice(s).map_err(|_| bad())?;
                    let msg = cosigned_message(&self.text, ts);
                    v.key.verify_strict(msg.as_bytes(), &s).map_err(|_| bad())?;
                    Some(ts)
                }
            };
            out.push(Verified { verifier: i, timestamp });
        }
        if out.is_empty() {
            let names: Vec<&str> = self.signatures.iter().map(|s| s.name.as_str()).collect();
            return Err(NoteError::NoKnownSigner(names.join(", ")));
        }
        Ok(out)
    }
}

/// The message a cosignature signs: `cosignature/v1`, `time <t>`, then the note text.
fn cosigned_message(text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

/// An Ed25519 note signature of `text` by `key` under `name`.
pub fn sign(text: &str, name: &str, key: &SigningKey) -> Result<SignatureLine, NoteError> {
    let v = Verifier::new(name, ED25519, key.verifying_key())?;
    Ok(SignatureLine {
        name: name.to_string(),
        id: v.id(),
        bytes: key.sign(text.as_bytes()).to_bytes().to_vec(),
    })
}

/// A timestamped cosignature of a checkpoint's text by a witness key under `name`.
pub fn cosign(
    text: &str,
    name: &str,
    key: &SigningKey,
    timestamp: u64,
) -> Result<SignatureLine, NoteError> {
    let v = Verifier::new(name, COSIGNATURE, key.verifying_key())?;
    if timestamp > i64::MAX as u64 {
        return Err(format("the timestamp is beyond 2^63 - 1"));
    }
    let mut bytes = timestamp.to_be_bytes().to_vec();
    bytes.extend_from_slice(&key.sign(cosigned_message(text, timestamp).as_bytes()).to_bytes());
    Ok(SignatureLine { name: name.to_string(), id: v.id(), bytes })
}

/// Opens a signed checkpoint with the log's key (`known[0]`) and any other keys the reader
/// knows (witnesses): the note parses, every known key's signature on it verifies, the log's is
/// among them, and the checkpoint's origin is the log's name. Returns the checkpoint, the note
/// and the signatures that verified.
pub fn open_checkpoint(
    text: &str,
    known: &[Verifier],
) -> Result<(Checkpoint, Note, Vec<Verified>), NoteError> {
    let log = known.first().ok_or_else(|| format("no log key to open a checkpoint with"))?;
    let note = Note::parse(text)?;
    let verified = note.verify(known)?;
    if !verified.iter().any(|v| v.verifier == 0) {
        return Err(format(format!("the log {} did not sign the checkpoint", log.name)));
    }
    let checkpoint = Checkpoint::parse(&note.text)?;
    if checkpoint.origin != log.name {
        return Err(format(format!(
            "the checkpoint's origin is {}, not the log {}",
            checkpoint.origin, log.name
        )));
    }
    Ok((checkpoint, note, verified))
}

/// A checkpoint: a log's origin, tree size and root hash (C2SP tlog-checkpoint), plus any
/// extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin (also the name of the log's key).
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// Root hash of the tree of that size.
    pub root: Hash,
    /// Extension lines (no statement is made about them by witnesses).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text of the checkpoint.
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root));
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a checkpoint's note text.
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        let body =
            text.strip_suffix('\n').ok_or_else(|| format("a checkpoint ends with a newline"))?;
        let mut lines = body.split('\n');
        let origin =
            lines.next().filter(|o| !o.is_empty()).ok_or_else(|| format("no origin line"))?;
        let size = lines.next().ok_or_else(|| format("no tree size line"))?;
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(format(format!("{size:?} is not a tree size")));
        }
        let size: u64 = size.parse().map_err(|_| format(format!("{size:?} is too large")))?;
        let root = lines.next().ok_or_else(|| format("no root hash line"))?;
        let root: Hash = STANDARD
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| format(format!("{root:?} is not a base64 SHA-256 hash")))?;
        let extensions: Vec<String> = lines.map(String::from).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(format("a checkpoint has no empty lines"));
        }
        Ok(Checkpoint { origin: origin.to_string(), size, root, extensions })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sign_cosign_and_verify_a_checkpoint_and_refuse_tampering() {
        let log = SigningKey::from_bytes(&[7; 32]);
        let witness = SigningKey::from_bytes(&[9; 32]);
        let cp = Checkpoint {
            origin: "pcf.example/log".into(),
            size: 3,
            root: [5; 32],
            extensions: vec![],
        };
        let text = cp.to_text();
        assert_eq!(Checkpoint::parse(&text).unwrap(), cp);
        let note = Note {
            text: text.clone(),
            signatures: vec![
                sign(&text, "pcf.example/log", &log).unwrap(),
                cosign(&text, "witness.example/w1", &witness, 1_700_000_000).unwrap(),
            ],
        };
        let parsed = Note::parse(&note.to_text()).unwrap();
        assert_eq!(parsed, note);
        let log_v = Verifier::new("pcf.example/log", ED25519, log.verifying_key()).unwrap();
        let w_v =
            Verifier::new("witness.example/w1", COSIGNATURE, witness.verifying_key()).unwrap();
        let ok = parsed.verify(&[log_v.clone(), w_v.clone()]).unwrap();
        assert_eq!(
            ok,
            vec![
                Verified { verifier: 0, timestamp: None },
                Verified { verifier: 1, timestamp: Some(1_700_000_000) },
            ]
        );
        // vkeys round-trip.
        assert_eq!(Verifier::parse_vkey(&w_v.vkey()).unwrap(), w_v);
        // Another root under the same signatures fails for the known keys.
        let forged =
            note.to_text().replace(&STANDARD.encode([5u8; 32]), &STANDARD.encode([6u8; 32]));
        let err = Note::parse(&forged).unwrap().verify(std::slice::from_ref(&log_v)).unwrap_err();
        assert_eq!(err, NoteError::BadSignature { name: "pcf.example/log".into() });
        // The witness's key used as a note key (type 0x01) has another id: not known, ignored.
        let wrong = Verifier::new("witness.example/w1", ED25519, witness.verifying_key()).unwrap();
        assert!(matches!(parsed.verify(&[wrong]), Err(NoteError::NoKnownSigner(_))));
    }
}
