//! Shared test helpers: paths into the repository and to the third-party vectors, temporary
//! directories and a builder for running the `pcf` binary.
#![allow(dead_code)] // each test module uses a different subset

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Environment variable that turns missing third-party vectors into a test failure (`.ci/run`
/// sets it to `1`; any value other than empty or `0` counts).
pub const REQUIRE_VECTORS: &str = "PCF_REQUIRE_TEST_VECTORS";

/// Third-party conformance vectors: `$PCF_TEST_VECTORS`, else `../shared/test-vectors`.
/// When they are absent: a failed test if `$PCF_REQUIRE_TEST_VECTORS` is set (CI), else `None`
/// and a warning written past the test harness's output capture, so a local run shows it.
pub fn test_vectors(sub: &str) -> Option<PathBuf> {
    let base = std::env::var_os("PCF_TEST_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/test-vectors"));
    let required = std::env::var(REQUIRE_VECTORS).is_ok_and(|v| !v.is_empty() && v.as_str() != "0");
    vectors_at(base.join(sub), required, &mut std::io::stderr().lock())
}

/// [`test_vectors`] with its inputs explicit: `dir` if it exists; else a panic when `required`,
/// or `None` after writing the warning to `warn`.
///
/// libtest captures only the `print!`/`eprint!` family; a write to the locked stderr handle
/// reaches the terminal (and CI log) even when the test passes.
pub fn vectors_at(dir: PathBuf, required: bool, warn: &mut dyn Write) -> Option<PathBuf> {
    if dir.exists() {
        return Some(dir);
    }
    assert!(
        !required,
        "third-party vectors not found at {} and {REQUIRE_VECTORS} is set: put the \
         test-vectors folder at ../shared/test-vectors or set PCF_TEST_VECTORS to it",
        dir.display()
    );
    // Best effort: a warning that cannot be written must not fail the test.
    let _ = writeln!(
        warn,
        "\n!!! WARNING: SKIPPED conformance test: third-party vectors not found at {}\n\
         !!! (set PCF_TEST_VECTORS to the test-vectors folder; CI sets {REQUIRE_VECTORS}=1 and \
         fails without them)\n",
        dir.display()
    );
    None
}

/// Environment variable that turns missing shared source data into a test failure (as
/// [`REQUIRE_VECTORS`] does for the conformance vectors).
pub const REQUIRE_SHARED_DATA: &str = "PCF_REQUIRE_SHARED_DATA";

/// The openly licensed source files the shipped factor libraries were derived from:
/// `$PCF_SHARED_DATA`, else `../shared/data` (see its PROVENANCE.md). When they are absent: a
/// failed test if `$PCF_REQUIRE_SHARED_DATA` is set, else `None` and a warning past the
/// harness's output capture, as [`test_vectors`].
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let base = std::env::var_os("PCF_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/data"));
    let dir = base.join(sub);
    if dir.exists() {
        return Some(dir);
    }
    let required =
        std::env::var(REQUIRE_SHARED_DATA).is_ok_and(|v| !v.is_empty() && v.as_str() != "0");
    assert!(
        !required,
        "shared source data not found at {} and {REQUIRE_SHARED_DATA} is set: put the data \
         folder at ../shared/data or set PCF_SHARED_DATA to it",
        dir.display()
    );
    // Best effort: a warning that cannot be written must not fail the test.
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n!!! WARNING: SKIPPED source-data comparison: {} not found (set PCF_SHARED_DATA)\n",
        dir.display()
    );
    None
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

/// A temporary directory holding the steel bracket's inventory and its supplier's declaration
/// (`inventory.toml`, `suppliers/hot-rolled-coil.json`), as an exporter would have them.
#[allow(clippy::unwrap_used)] // a test helper: a failed copy fails the test
pub fn bracket_example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let example = root().join("examples/steel-bracket");
    std::fs::copy(example.join("inventory.toml"), dir.path().join("inventory.toml")).unwrap();
    std::fs::create_dir(dir.path().join("suppliers")).unwrap();
    let supplier = "suppliers/hot-rolled-coil.json";
    std::fs::copy(example.join(supplier), dir.path().join(supplier)).unwrap();
    dir
}

/// [`bracket_example`] with the `pcf` of its supplier's declaration edited by `edit` (the
/// declaration no longer verifies; the engine reads its figures).
#[allow(clippy::unwrap_used)] // a test helper: a failed read or write fails the test
pub fn bracket_with_supplier(edit: impl Fn(&mut serde_json::Value)) -> tempfile::TempDir {
    let dir = bracket_example();
    let p = dir.path().join("suppliers/hot-rolled-coil.json");
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    edit(&mut doc["credentialSubject"]["productFootprint"]["pcf"]);
    std::fs::write(&p, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    dir
}

/// The steel bracket example with an issuer key (`issuer.key`) and a register (`reg/`) in a
/// temporary directory, for the log's command-line tests.
pub struct Issuer {
    /// The directory.
    pub dir: tempfile::TempDir,
    /// The issuer's did:key.
    pub did: String,
}

impl Issuer {
    /// A new issuer: the example, a fresh key and its did:key.
    pub fn new() -> Issuer {
        let dir = bracket_example();
        let mut issuer = Issuer { dir, did: String::new() };
        issuer.ok(&["keygen", "--out", "issuer.key"]);
        issuer.did = issuer.ok(&["did", "issuer.key"]).trim().to_string();
        issuer
    }

    /// Runs `pcf` in the issuer's directory.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        pcf(self.dir.path(), args)
    }

    /// Runs a command that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    }

    /// Bundles the declaration `declaration` with the inventory and register `reg` into `out`,
    /// with `extra` arguments.
    pub fn bundle(&self, declaration: &str, out: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "bundle",
            declaration,
            "--inventory",
            "inventory.toml",
            "--register",
            "reg",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// `pcf verify ARGS --json`: the exit code and the report.
    pub fn verify_json(&self, args: &[&str]) -> (Option<i32>, serde_json::Value) {
        let mut all = vec!["verify"];
        all.extend_from_slice(args);
        all.push("--json");
        let out = self.run(&all);
        let report = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{all:?}: no report: {}", stderr(&out)));
        (out.status.code(), report)
    }

    /// Declares the bracket into `out` (and the register), with `extra` arguments.
    pub fn declare(&self, out: &str, extra: &[&str]) -> String {
        self.ok(&declare_args(out, extra))
    }
}

/// The arguments that declare the bracket example with `issuer.key` into `out` and the
/// register `reg/`, followed by `extra`.
pub fn declare_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "issuer.key",
        "--out",
        out,
        "--register",
        "reg",
    ];
    args.extend_from_slice(extra);
    args
}

/// Copies the directory `from` (recursively) to `to`.
#[allow(clippy::unwrap_used)] // a test helper: a failed copy fails the test
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}
