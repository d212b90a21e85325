//! Shared test helpers: paths into the repository and to the third-party vectors, temporary
//! directories and a builder for running the `pcf` binary.
#![allow(dead_code)] // each test module uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Third-party conformance vectors: `$PCF_TEST_VECTORS`, else `../shared/test-vectors`.
/// `None` (and a line on stderr saying why) when they are absent, so a test can skip.
pub fn test_vectors(sub: &str) -> Option<PathBuf> {
    let base = std::env::var_os("PCF_TEST_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/test-vectors"));
    let dir = base.join(sub);
    if dir.exists() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: third-party vectors not found at {} (set PCF_TEST_VECTORS to the \
             test-vectors folder; CI has them)",
            dir.display()
        );
        None
    }
}

/// Runs the `pcf` binary with `args` in `cwd`.
#[allow(clippy::expect_used)] // a test helper: failing to start the binary fails the test
pub fn pcf(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pcf")).current_dir(cwd).args(args).output().expect("run pcf")
}

/// stdout of a run as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr of a run as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
