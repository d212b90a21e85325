//! The README's commands run as written: the exporter's footprint and declaration sections and
//! the buyer's verification sections, line by line in order, in a fresh directory holding the
//! examples, with `pcf` on the PATH.

// `allow-unwrap-in-tests` covers only `#[test]` functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::util::{copy_dir, root};

/// The command lines of the `sh` blocks in the README section headed `heading`.
fn commands(readme: &str, heading: &str) -> Vec<String> {
    let start = readme.find(heading).unwrap_or_else(|| panic!("README has no {heading:?}"));
    let rest = &readme[start + heading.len()..];
    let section = &rest[..rest.find("\n### ").unwrap_or(rest.len())];
    let mut out = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        match line.trim() {
            "```sh" => in_block = true,
            "```" => in_block = false,
            l if in_block && !l.is_empty() => out.push(l.to_string()),
            _ => {}
        }
    }
    assert!(!out.is_empty(), "no commands under {heading:?}");
    out
}

#[test]
fn footprint_declaration_verification_and_certification_sections_run_as_written() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for example in [
        "steel-bracket",
        "park-utilities",
        "soybean-crushing",
        "die-cast-housing",
        "cbam-steel-bar",
        "cbam-aluminium-profile",
        "zero-carbon-park",
    ] {
        let at = format!("examples/{example}");
        copy_dir(&root().join(&at), &dir.path().join(&at));
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_pcf")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    for heading in [
        "### Exporters: footprints",
        "### Exporters: declarations",
        "### Exporters: EU CBAM",
        "### Zero-carbon parks: the park operator",
        "### Zero-carbon parks: a tenant",
        "### Buyers: verification",
        "### Standard tools: W3C VC 2.0",
        "### Certification bodies: methodology versions, approvals, audits",
    ] {
        for line in commands(&readme, heading) {
            let out = Command::new("bash")
                .args(["-euo", "pipefail", "-c", &line])
                .current_dir(dir.path())
                .env("PATH", &path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "README command failed ({:?}): {line}\n{}{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
