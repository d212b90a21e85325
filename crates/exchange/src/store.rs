//! Where `pcf fetch` keeps what it fetched: content-addressed files, each written once,
//! atomically, and never replaced.
//!
//! ```text
//! OUT/footprints/<id>/<sha256>.json    served footprints whose declaration verified
//! OUT/declarations/<sha256>.json       their signed credentials (named by the JCS digest)
//! OUT/bundles/<sha256>.json            the bundles they verified with
//! OUT/unverified/<id>/<sha256>.json    unsigned footprints and those that failed
//! ```
//!
//! `<id>` is the footprint id when it is a UUID, else `pf-` and a digest of it. Two different
//! documents served under one id get two names, so neither replaces the other, and nothing
//! unverified is ever written where verified footprints are kept.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use super::ExchangeError;
use pcf_base::digest::Digest;

/// Writes `bytes` to `path` atomically, once: an existing file is never replaced. As names
/// are content addresses, an existing file must hold the same content (else something
/// else wrote it, and the fetch stops rather than guess).
pub(super) fn store(
    path: &Path,
    bytes: &[u8],
    naming: Naming,
    written: &AtomicU64,
    max: u64,
) -> Result<(), ExchangeError> {
    let n = bytes.len() as u64;
    if written.load(Ordering::Relaxed).saturating_add(n) > max {
        return Err(ExchangeError::Cap {
            url: path.display().to_string(),
            what: "bytes written",
            limit: max,
            flag: "--max-disk-bytes",
        });
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ExchangeError::io(dir, &e))?;
    }
    match pcf_base::atomic::write_new(path, bytes, pcf_base::atomic::Mode::Public) {
        Ok(()) => {
            written.fetch_add(n, Ordering::Relaxed);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read(path).map_err(|e| ExchangeError::io(path, &e))?;
            let same = match naming {
                Naming::Bytes => existing == bytes,
                Naming::Canonical(digest) => {
                    pcf_base::canonical::parse_strict(&existing)
                        .ok()
                        .and_then(|v| pcf_base::canonical::digest(&v).ok())
                        == Some(digest)
                }
            };
            if same {
                Ok(())
            } else {
                Err(ExchangeError::Io {
                    path: path.display().to_string(),
                    message: "exists with other content than its name says; not replaced \
                              (remove it, or fetch into another --out directory)"
                        .into(),
                })
            }
        }
        Err(e) => Err(ExchangeError::io(path, &e)),
    }
}

/// How a stored file is named.
#[derive(Clone, Copy)]
pub(super) enum Naming {
    /// By the digest of its bytes.
    Bytes,
    /// By the digest of its canonical JSON (declarations, as in the register).
    Canonical(Digest),
}

pub(super) fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// A file name for a footprint id: the id itself when it is a UUID, else a digest of it.
pub(super) fn file_name(pf_id: &str) -> String {
    // Only the hyphenated form names a file by itself (`{...}` or `urn:uuid:` forms do not).
    match uuid::Uuid::try_parse(pf_id) {
        Ok(id) if pf_id.len() == 36 => id.hyphenated().to_string(),
        _ => format!("pf-{}", Digest::of(pf_id.as_bytes()).hex()),
    }
}
