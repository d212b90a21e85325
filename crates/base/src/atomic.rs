//! Atomic file writes: a temporary file in the target's directory, flushed to disk, then renamed
//! into place, so a reader or a crash never sees a partial file. Precious files (keys, signed
//! declarations, register entries) are written with [`write_new`], which never replaces an
//! existing file.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether writes are flushed to disk (see [`flush_to_disk`]).
static FLUSH: AtomicBool = AtomicBool::new(true);

/// Turns flushing to disk (fsync of each file and of its directory) on or off for this process.
/// Off, a write is still atomic for readers and survives the process being killed, but not a
/// power loss. Only `pcf bench` turns it off, to measure the work of a write apart from the
/// disk's flush latency; it says so in its output.
pub fn flush_to_disk(on: bool) {
    FLUSH.store(on, Ordering::Relaxed);
}

/// Who may read a file written here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The owner only (0600): secrets such as private keys.
    Private,
    /// Readable by everyone (0644 before the umask).
    Public,
}

/// Writes `bytes` to `path` atomically; fails with `AlreadyExists` if `path` exists, in which
/// case the existing file is left untouched.
pub fn write_new(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    let tmp = staged(path, bytes, mode)?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    sync_parent(path)
}

/// Writes `bytes` to `path` atomically, replacing any existing file (for derived outputs such
/// as reports, never for keys, declarations or register entries).
pub fn write_replace(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    let tmp = staged(path, bytes, mode)?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_parent(path)
}

fn staged(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".pcf-tmp-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let bits = match mode {
            Mode::Private => 0o600,
            Mode::Public => 0o644,
        };
        builder.permissions(std::fs::Permissions::from_mode(bits));
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if FLUSH.load(Ordering::Relaxed) {
        tmp.as_file().sync_all()?;
    }
    Ok(tmp)
}

fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    if FLUSH.load(Ordering::Relaxed)
        && let Some(parent) = path.parent()
    {
        let dir = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn write_new_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.pem");
        write_new(&p, b"one", Mode::Private).unwrap();
        let err = write_new(&p, b"two", Mode::Private).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
