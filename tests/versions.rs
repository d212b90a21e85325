//! Tests: released versions of methodologies and datasets. The archive (`methodologies/archive/`,
//! `datasets/archive/`) holds each under its `<id>@<version>.toml` name, never twice and always
//! older than the live file; the digest lookups find live and archived files only under their
//! own id; a declaration issued under a released version keeps verifying after the live file
//! moves on; and `pcf methodology list` / `show ID@VERSION` show the archived versions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde_json::Value;

use pcf::dataset::Dataset;
use pcf::declaration::{CheckStatus, Verdict, VerifyOptions};
use pcf::digest::Digest;
use pcf::methodology::Methodology;

use crate::util::{pcf, root, stderr, stdout};

/// Compares two versions by their dot-separated parts, numerically (`1.10` > `1.9`; a missing
/// part counts as 0). Every shipped version is such a number; anything else fails the test.
fn version_cmp(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<u64> {
        v.split('.')
            .map(|p| p.parse().unwrap_or_else(|_| panic!("version {v:?} is not dotted numbers")))
            .collect()
    };
    let (a, b) = (parts(a), parts(b));
    (0..a.len().max(b.len()))
        .map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

#[test]
fn versions_compare_numerically_by_part() {
    assert_eq!(version_cmp("1.10.0", "1.9.9"), Ordering::Greater);
    assert_eq!(version_cmp("2026.1", "2026.1.0"), Ordering::Equal);
    assert_eq!(version_cmp("1.0.0", "2.0.0"), Ordering::Less);
}

/// (id, version) of every live and archived file, checked: none twice, every archived id still
/// shipped live, and its live version newer than each archived one.
fn check_versions(kind: &str, live: &[(String, String)], archived: &[(String, String)]) {
    let mut seen = BTreeSet::new();
    for (id, version) in live.iter().chain(archived) {
        version_cmp(version, version);
        assert!(seen.insert((id, version)), "{kind} {id} {version} is shipped twice");
    }
    for (id, version) in archived {
        let (_, live_version) = live
            .iter()
            .find(|(l, _)| l == id)
            .unwrap_or_else(|| panic!("archived {kind} {id} {version} has no live version"));
        assert_eq!(
            version_cmp(live_version, version),
            Ordering::Greater,
            "the live {kind} {id} is {live_version}, not newer than archived {version}"
        );
    }
}

#[test]
fn every_archived_methodology_is_the_version_its_file_name_says() {
    for (name, m) in Methodology::all_archived().unwrap() {
        assert_eq!(name, format!("{}@{}.toml", m.id(), m.version()), "parsed id and version");
        assert!(m.is_archived() && m.origin == "archived", "{name}: {}", m.origin);
        let found = Methodology::shipped_with_digest(m.id(), &m.digest()).unwrap();
        assert!(found.is_archived() && found.version() == m.version(), "{name}");
        let found = Methodology::shipped_version(m.id(), m.version()).unwrap();
        assert_eq!(found.digest(), m.digest(), "{name}");
        let resolved = Methodology::resolve(&format!("{}@{}", m.id(), m.version())).unwrap();
        assert_eq!(resolved.digest(), m.digest(), "{name}");
        let live = Methodology::shipped(m.id()).unwrap();
        assert_ne!(live.digest(), m.digest(), "{name} is the live file unchanged");
    }
    let live: Vec<_> = Methodology::all_shipped()
        .unwrap()
        .iter()
        .map(|m| (m.id().to_string(), m.version().to_string()))
        .collect();
    let archived: Vec<_> = Methodology::all_archived()
        .unwrap()
        .iter()
        .map(|(_, m)| (m.id().to_string(), m.version().to_string()))
        .collect();
    check_versions("methodology", &live, &archived);
}

#[test]
fn every_archived_dataset_is_the_version_its_file_name_says() {
    for (name, d) in Dataset::all_archived().unwrap() {
        assert_eq!(name, format!("{}@{}.toml", d.id(), d.version()), "parsed id and version");
        assert!(d.is_archived() && d.origin == "archived", "{name}: {}", d.origin);
        let found = Dataset::shipped_with_digest(d.id(), &d.digest()).unwrap();
        assert!(found.is_archived() && found.version() == d.version(), "{name}");
        let found = Dataset::shipped_version(d.id(), d.version()).unwrap();
        assert_eq!(found.digest(), d.digest(), "{name}");
        let live = Dataset::shipped(d.id()).unwrap();
        assert_ne!(live.digest(), d.digest(), "{name} is the live file unchanged");
    }
    let live: Vec<_> = Dataset::all_shipped()
        .unwrap()
        .iter()
        .map(|d| (d.id().to_string(), d.version().to_string()))
        .collect();
    let archived: Vec<_> = Dataset::all_archived()
        .unwrap()
        .iter()
        .map(|(_, d)| (d.id().to_string(), d.version().to_string()))
        .collect();
    check_versions("dataset", &live, &archived);
}

#[test]
fn digest_lookups_find_a_live_methodology_only_under_its_own_id_and_digest() {
    let all = Methodology::all_shipped().unwrap();
    let wrong = Digest::of(b"not a methodology");
    for m in &all {
        let found = Methodology::shipped_with_digest(m.id(), &m.digest()).unwrap();
        assert_eq!((found.version(), found.origin.as_str()), (m.version(), "shipped"));
        assert!(!found.is_archived());
        assert_eq!(Methodology::shipped_version(m.id(), m.version()).unwrap().digest(), m.digest());
        assert!(Methodology::shipped_with_digest(m.id(), &wrong).is_none());
        assert!(Methodology::shipped_version(m.id(), "0.0.0-never").is_none());
        for other in all.iter().filter(|o| o.id() != m.id()) {
            assert!(Methodology::shipped_with_digest(other.id(), &m.digest()).is_none());
        }
        assert!(Methodology::shipped_with_digest("no-such-rules", &m.digest()).is_none());
        let at = format!("{}@{}", m.id(), m.version());
        assert_eq!(Methodology::resolve(&at).unwrap().digest(), m.digest(), "{at}");
    }
}

#[test]
fn digest_lookups_find_a_live_dataset_only_under_its_own_id_and_digest() {
    let all = Dataset::all_shipped().unwrap();
    let wrong = Digest::of(b"not a dataset");
    for d in &all {
        let found = Dataset::shipped_with_digest(d.id(), &d.digest()).unwrap();
        assert_eq!((found.version(), found.origin.as_str()), (d.version(), "shipped"));
        assert!(!found.is_archived());
        assert_eq!(Dataset::shipped_version(d.id(), d.version()).unwrap().digest(), d.digest());
        assert!(Dataset::shipped_with_digest(d.id(), &wrong).is_none());
        for other in all.iter().filter(|o| o.id() != d.id()) {
            assert!(Dataset::shipped_with_digest(other.id(), &d.digest()).is_none());
        }
    }
}

/// The fixture declaration issued under eu-cbam-2026 1.0.0 (see `tests/data/versions/`).
fn old_cbam_declaration() -> Value {
    let path = root().join("tests/data/versions/coil-eu-cbam-2026@1.0.0.json");
    pcf::canonical::parse_strict(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_declaration_issued_under_a_released_version_keeps_verifying() {
    let doc = old_cbam_declaration();
    let prov = pcf::declaration::provenance(&doc).unwrap();
    assert_eq!(
        (prov.methodology.id.as_str(), prov.methodology.version.as_str()),
        ("eu-cbam-2026", "1.0.0")
    );
    let issuer = doc["issuer"]["id"].as_str().unwrap().to_string();
    let options = VerifyOptions { trust: vec![issuer], ..Default::default() };
    let report = pcf::declaration::verify::verify(&doc, None, &options);
    // Genuine; alone (no register excerpt) its status cannot be shown current.
    assert!(report.failures_except(&[]).is_empty(), "{report}");
    assert_eq!(report.verdict, Verdict::StatusUnknown, "{report}");
    let check = |name: &str| report.checks.iter().find(|c| c.name == name).unwrap();
    let methodology = check("methodology");
    assert_eq!(methodology.status, CheckStatus::Pass, "{report}");
    // Live or archived, it was found among the files shipped with pcf, not in a bundle.
    let live = Methodology::shipped("eu-cbam-2026").unwrap();
    if live.version() == "1.0.0" {
        assert!(methodology.detail.ends_with(": shipped with pcf"), "{}", methodology.detail);
    } else {
        let archived =
            format!(": shipped with pcf, archived version 1.0.0 (live: {})", live.version());
        assert!(methodology.detail.ends_with(&archived), "{}", methodology.detail);
    }
    let datasets = check("datasets");
    assert_eq!(datasets.status, CheckStatus::Pass, "{report}");
    assert!(datasets.detail.starts_with("shipped: cn-grid 2026.1 "), "{}", datasets.detail);
    // The certification side finds the same file.
    let m = pcf::certification::pinned_methodology(&doc, None, None).unwrap();
    assert_eq!((m.version(), m.digest()), ("1.0.0", prov.methodology.digest));
}

#[test]
fn a_pinned_version_that_is_not_the_shipped_files_own_fails() {
    // A declaration whose relatedResource and provenance both name version 9.9.9 for the digest
    // of a shipped 1.0.0 file is mislabelled; the proof fails too, but the check says why.
    let text = serde_json::to_string(&old_cbam_declaration()).unwrap();
    let text = text.replace(
        "urn:pcf:methodology:eu-cbam-2026:1.0.0",
        "urn:pcf:methodology:eu-cbam-2026:9.9.9",
    );
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let ext = doc["credentialSubject"]["extensions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["dataSchema"] == "urn:pcf:extension:provenance:1")
        .unwrap();
    ext["data"]["methodology"]["version"] = "9.9.9".into();
    let report = pcf::declaration::verify::verify(&doc, None, &VerifyOptions::default());
    let check = report.checks.iter().find(|c| c.name == "methodology").unwrap();
    assert_eq!(check.status, CheckStatus::Fail, "{report}");
    assert!(
        check.detail.ends_with("with this digest is version 1.0.0, not 9.9.9"),
        "{}",
        check.detail
    );
}

#[test]
fn methodology_list_and_show_name_archived_versions() {
    let archived = Methodology::all_archived().unwrap();
    let out = pcf(&root(), &["methodology", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let (live_part, archived_part) = match text.split_once("\narchived versions") {
        Some((l, a)) => (l.to_string(), a.to_string()),
        None => (text.clone(), String::new()),
    };
    assert_eq!(archived.is_empty(), archived_part.is_empty(), "{text}");
    for m in Methodology::all_shipped().unwrap() {
        assert!(live_part.contains(&m.digest().to_string()), "{text}");
    }
    for (_, m) in &archived {
        let line = archived_part
            .lines()
            .find(|l| l.contains(&m.digest().to_string()))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(line.starts_with(m.id()) && line.contains(m.version()), "{line}");
        let at = format!("{}@{}", m.id(), m.version());
        let out = pcf(&root(), &["methodology", "show", &at]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("# from: archived"), "{}", stdout(&out));
    }
    let out = pcf(&root(), &["methodology", "list", "--json"]);
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    for (_, m) in &archived {
        let entry = list.iter().find(|e| e["id"] == m.id()).unwrap();
        let versions = entry["archived"].as_array().unwrap();
        assert!(versions.iter().any(|v| v["digest"] == m.digest().to_string().as_str()));
    }
    if archived.is_empty() {
        assert!(list.iter().all(|e| e.get("archived").is_none()));
    }
    // A live version can be named by its version too.
    let live = Methodology::shipped("pact-3.0").unwrap();
    let out = pcf(&root(), &["methodology", "show", &format!("pact-3.0@{}", live.version())]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&live.digest().to_string()), "{}", stdout(&out));
}
