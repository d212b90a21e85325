//! The outbox: answers accepted for delivery and not yet delivered, one JSON file each under
//! the server's state directory (`outbox/`, owner only), written atomically before the
//! request is acknowledged and removed once the recipient took the answer or it was given up.
//! A restarted server reads them back and goes on delivering.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ExchangeError;

/// One answer on its way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pending {
    /// The client whose request it answers.
    pub(crate) client: String,
    /// Where it goes (a registered events URL).
    pub(crate) url: String,
    /// The CloudEvent.
    pub(crate) event: Value,
    /// When it was accepted, Unix milliseconds.
    pub(crate) created_ms: i64,
    /// Attempts made so far.
    pub(crate) attempts: u32,
    /// Why the last attempt failed.
    pub(crate) last_error: Option<String>,
}

/// The outbox directory under a state directory.
pub(crate) fn dir(state: &Path) -> PathBuf {
    state.join("outbox")
}

/// The file of an answer: named by the digest of its event id, so any id makes a safe name.
pub(crate) fn file(dir: &Path, pending: &Pending) -> PathBuf {
    let id = pending.event.get("id").and_then(Value::as_str).unwrap_or_default();
    dir.join(format!("{}.json", pcf_base::digest::Digest::of(id.as_bytes()).hex()))
}

/// Creates the outbox directory (owner only) if it is missing.
pub(crate) fn create(dir: &Path) -> Result<(), ExchangeError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| ExchangeError::io(dir, &e))
}

/// Writes (or rewrites) an answer's file atomically.
pub(crate) fn save(path: &Path, pending: &Pending) -> Result<(), ExchangeError> {
    let bytes = serde_json::to_vec(pending)
        .map_err(|e| ExchangeError::Config(format!("cannot encode an answer: {e}")))?;
    pcf_base::atomic::write_replace(path, &bytes, pcf_base::atomic::Mode::Private)
        .map_err(|e| ExchangeError::io(path, &e))
}

/// Removes an answer's file; one already gone is fine.
pub(crate) fn remove(path: &Path) -> Result<(), ExchangeError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ExchangeError::io(path, &e)),
    }
}

/// What an outbox holds.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// The answers, oldest first, each with its file.
    pub(crate) pending: Vec<(PathBuf, Pending)>,
    /// Files that could not be read, with why.
    pub(crate) broken: Vec<String>,
}

/// The answers in the outbox; unreadable files are reported and left in place for a person
/// to look at.
pub(crate) fn load(dir: &Path) -> Result<Loaded, ExchangeError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(ExchangeError::io(dir, &e)),
    };
    let mut found = Vec::new();
    let mut broken = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| ExchangeError::io(dir, &e))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let read = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<Pending>(&b).map_err(|e| e.to_string()));
        match read {
            Ok(p) => found.push((path, p)),
            Err(e) => broken.push(format!("{}: {e}", path.display())),
        }
    }
    found.sort_by_key(|(_, p)| p.created_ms);
    Ok(Loaded { pending: found, broken })
}
