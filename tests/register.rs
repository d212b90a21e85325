//! Tests: the issuer's register. Round trips, status changes, every kind of tampering detected
//! at the first broken entry, refusals to rewrite history, racing appenders, excerpts, a
//! child process killed with SIGKILL while appending and checkpointing, certificate claims (serial
//! normalization, exact sums, refusal at issuance) and `pcf declare --supersedes` killed with
//! SIGKILL at random points.

// The helpers below panic on failure exactly like the tests that call them; clippy's
// `allow-unwrap-in-tests` covers only `#[test]` functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pcf::digest::Digest;
use pcf::register::{
    CertificateClaim, Entry, EntryKind, Head, Register, RegisterError, RegisterReport, Status,
    StatusChange, Violation, verify_excerpt,
};

// ---------------------------------------------------------------------------------------------
// Helpers

fn time(n: u32) -> pcf::register::Timestamp {
    format!("2026-03-01T12:{:02}:{:02}Z", n / 60, n % 60).parse().unwrap()
}

fn pf(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// Stores a small canonical declaration and returns its digest.
fn store(register: &Register, n: u64) -> Digest {
    register.store_declaration(format!(r#"{{"declaration":{n}}}"#).as_bytes()).unwrap()
}

fn declared(declaration: Digest, pf_id: String) -> EntryKind {
    EntryKind::Declared {
        declaration,
        pf_id,
        product_ids: vec!["urn:gtin:4012345000009".to_string()],
        supersedes: None,
        certificates: vec![],
    }
}

fn deprecated(declaration: Digest, pf_id: String) -> EntryKind {
    EntryKind::StatusChanged { declaration, pf_id, status: StatusChange::Deprecated }
}

/// A claim as registers before decimal strings wrote it: the quantity a JSON number. The
/// sample register below is such a register (it also has the separate deprecation entry that
/// older `pcf declare` wrote after a supersession), so the snapshots of its digests show that
/// older registers still read and verify unchanged.
fn claim(serial: &str, quantity_kwh: f64) -> CertificateClaim {
    serde_json::from_value(serde_json::json!({ "serial": serial, "quantityKwh": quantity_kwh }))
        .unwrap()
}

/// A claim as `pcf declare` writes it now: the quantity a decimal string.
fn decimal_claim(serial: &str, quantity_kwh: &str) -> CertificateClaim {
    CertificateClaim {
        serial: serial.parse().unwrap(),
        quantity_kwh: quantity_kwh.parse().unwrap(),
    }
}

/// The declarations of [`sample`].
struct Sample {
    register: Register,
    a: Digest,
    b: Digest,
    a2: Digest,
    c: Digest,
}

/// A register of five entries:
/// 0 declares A (pf 1, certificate S-1 100 kWh), 1 declares B (pf 2),
/// 2 declares A2 (pf 3) superseding A (certificate S-1 50 kWh), 3 deprecates A,
/// 4 declares C (pf 4, certificate S-2 10 kWh).
fn sample(dir: &Path) -> Sample {
    let register = Register::open(dir).unwrap();
    let (a, b, a2, c) =
        (store(&register, 1), store(&register, 2), store(&register, 3), store(&register, 4));
    let kinds = [
        EntryKind::Declared {
            declaration: a,
            pf_id: pf(1),
            product_ids: vec!["urn:gtin:4012345000009".to_string()],
            supersedes: None,
            certificates: vec![claim("S-1", 100.0)],
        },
        declared(b, pf(2)),
        EntryKind::Declared {
            declaration: a2,
            pf_id: pf(3),
            product_ids: vec!["urn:gtin:4012345000009".to_string()],
            supersedes: Some(a),
            certificates: vec![claim("S-1", 50.0)],
        },
        deprecated(a, pf(1)),
        EntryKind::Declared {
            declaration: c,
            pf_id: pf(4),
            product_ids: vec!["urn:gtin:4012345000016".to_string(), "urn:sku:c".to_string()],
            supersedes: None,
            certificates: vec![claim("S-2", 10.0)],
        },
    ];
    for (n, kind) in kinds.into_iter().enumerate() {
        register.append(kind, time(n as u32)).unwrap();
    }
    Sample { register, a, b, a2, c }
}

fn entry_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("entries/{seq:020}.json"))
}

fn broken_seq(err: &RegisterError) -> u64 {
    match err {
        RegisterError::BrokenChain { seq, .. } => *seq,
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

/// Rewrites an entry file through a JSON edit (as an attacker with a text editor would).
fn edit_entry(dir: &Path, seq: u64, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = entry_path(dir, seq);
    let mut value: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut value);
    fs::write(&path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Round trips

#[test]
fn append_list_verify_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let entries = s.register.entries().unwrap();
    assert_eq!(entries.len(), 5);
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry.seq, i as u64);
        let expected_prev = if i == 0 { None } else { Some(entries[i - 1].digest().unwrap()) };
        assert_eq!(entry.prev, expected_prev, "entry {i} links to the one before");
        assert_eq!(s.register.entry(i as u64).unwrap(), *entry);
    }
    let head = Head { seq: 4, digest: entries[4].digest().unwrap() };
    assert_eq!(s.register.head().unwrap(), Some(head));
    assert_eq!(
        s.register.verify().unwrap(),
        RegisterReport {
            entries: 5,
            head: Some(head),
            declarations: 4,
            deprecated: 1,
            stray_temp_files: 0
        }
    );
    assert_eq!(s.register.verify_anchor(&head).unwrap().entries, 5);

    // Reopening sees the same register and appends after it.
    let again = Register::open(dir.path()).unwrap();
    assert_eq!(again.entries().unwrap(), entries);
    let d = store(&again, 5);
    let entry = again.append(declared(d, pf(5)), time(10)).unwrap();
    assert_eq!((entry.seq, entry.prev), (5, Some(head.digest)));
    assert_eq!(again.verify().unwrap().entries, 6);

    assert!(matches!(s.register.entry(9), Err(RegisterError::NoSuchEntry { seq: 9, len: 6 })));
}

#[test]
fn entries_on_disk_are_pretty_camel_case_json() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path());
    let text = fs::read_to_string(entry_path(dir.path(), 2)).unwrap();
    insta::assert_snapshot!(text, @r#"
        {
          "seq": 2,
          "prev": "sha256:873669b405c243ef443282331a0ac48045f6a70108d68673520b8f71845ab851",
          "time": "2026-03-01T12:00:02Z",
          "kind": {
            "type": "declared",
            "declaration": "sha256:80ed6530a77285807a7d28b937037d49dc27eb566b90dc0b9df500bad70fef89",
            "pfId": "00000000-0000-4000-8000-000000000003",
            "productIds": [
              "urn:gtin:4012345000009"
            ],
            "supersedes": "sha256:00264af78149a573a38ebac92b500ddcc171fbf6309710aeed2c70db76db2564",
            "certificates": [
              {
                "serial": "S-1",
                "quantityKwh": 50.0
              }
            ]
          }
        }
        "#);
}

#[test]
fn digests_ignore_formatting() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let before = s.register.verify().unwrap();
    // Compact every entry file and reorder its keys: the digests are over canonical JSON.
    for seq in 0..5 {
        let path = entry_path(dir.path(), seq);
        let value: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        fs::write(&path, serde_json_canonicalizer::to_vec(&value).unwrap()).unwrap();
    }
    assert_eq!(s.register.verify().unwrap(), before);
}

#[test]
fn status_changes_and_status_of() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let r = &s.register;
    assert_eq!(r.status_of(&s.a.to_string()).unwrap(), Some(Status::Deprecated));
    assert_eq!(r.status_of(&pf(1)).unwrap(), Some(Status::Deprecated));
    assert_eq!(r.status_of(&s.b.to_string()).unwrap(), Some(Status::Active));
    assert_eq!(r.status_of(&pf(3)).unwrap(), Some(Status::Active));
    assert_eq!(r.status_of(&s.a2.to_string()).unwrap(), Some(Status::Active));
    assert_eq!(r.status_of(&pf(99)).unwrap(), None);
    assert_eq!(r.status_of(&Digest::of(b"never declared").to_string()).unwrap(), None);

    // Deprecating B now makes it deprecated; deprecating it again is refused.
    let entry = r.append(deprecated(s.b, pf(2)), time(20)).unwrap();
    assert_eq!(entry.seq, 5);
    assert_eq!(r.status_of(&pf(2)).unwrap(), Some(Status::Deprecated));
    let err = r.append(deprecated(s.b, pf(2)), time(21)).unwrap_err();
    insta::assert_snapshot!(err, @"cannot append entry 6: declaration sha256:f0eea43faadf4f61e2c3909f0f2d1dc58450d3dc37a4c07f26d4a037776abae7 was already deprecated by entry 5; nothing was written");
    assert_eq!(r.verify().unwrap().deprecated, 2);
}

#[test]
fn certificate_claims_list_every_claim_by_serial() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let claims = s.register.certificate_claims().unwrap();
    let wh = |serial: &str| -> Vec<(u64, u64)> {
        claims[&serial.parse().unwrap()].iter().map(|(seq, q)| (*seq, q.wh())).collect()
    };
    assert_eq!(claims.len(), 2);
    assert_eq!(wh("S-1"), vec![(0, 100_000), (2, 50_000)]);
    assert_eq!(wh(" s-2\t"), vec![(4, 10_000)], "looked up by the normalized key");
}

#[test]
fn declarations_are_stored_content_addressed() {
    let dir = tempfile::tempdir().unwrap();
    let register = Register::open(dir.path()).unwrap();
    let bytes = br#"{"a":[1,2.5,"x"],"b":{"c":null}}"#;
    let digest = register.store_declaration(bytes).unwrap();
    assert_eq!(digest, Digest::of(bytes));
    assert_eq!(register.store_declaration(bytes).unwrap(), digest, "storing twice is a no-op");
    assert_eq!(register.declaration(&digest).unwrap(), bytes);
    assert!(dir.path().join(format!("declarations/{}.json", digest.hex())).is_file());

    let err = register.store_declaration(b"{\n  \"a\": 1\n}").unwrap_err();
    insta::assert_snapshot!(err, @"declaration bytes are not canonical JSON (RFC 8785): they differ from their canonical form at byte 1; canonicalize the declaration before storing it");
    let err = register.store_declaration(br#"{"a":1,"a":2}"#).unwrap_err();
    insta::assert_snapshot!(err, @r#"declaration bytes are not strict json: duplicate key "a" at line 1, column 8 (json pointer "/a")"#);
    let err = register.store_declaration(b"{\"a\":").unwrap_err();
    insta::assert_snapshot!(err, @"declaration bytes are not strict json: expected a json value, found end of input at line 1, column 6");
    let missing = Digest::of(b"missing");
    assert_eq!(
        register.declaration(&missing),
        Err(RegisterError::NoSuchDeclaration { declaration: missing })
    );
}

// ---------------------------------------------------------------------------------------------
// Appends the register refuses

#[test]
fn appends_inconsistent_with_the_register_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let r = &s.register;
    let d = store(r, 10);
    let unstored = Digest::of(b"{\"not\":\"stored\"}");
    let refusals = [
        declared(unstored, pf(10)),
        declared(s.b, pf(10)),
        declared(d, pf(2)),
        declared(d, "3F2504E0-4F89-41D3-9A0C-0305E82C3301".to_string()),
        deprecated(Digest::of(b"unknown"), pf(10)),
        deprecated(s.b, pf(3)),
        deprecated(s.a, pf(1)),
        EntryKind::Declared {
            declaration: d,
            pf_id: pf(10),
            product_ids: vec!["urn:gtin:4012345000009".to_string()],
            supersedes: Some(s.a),
            certificates: vec![],
        },
        EntryKind::Declared {
            declaration: d,
            pf_id: pf(10),
            product_ids: vec![],
            supersedes: None,
            certificates: vec![],
        },
        EntryKind::Declared {
            declaration: d,
            pf_id: pf(10),
            product_ids: vec!["urn:gtin:4012345000009".to_string()],
            supersedes: None,
            certificates: vec![decimal_claim("S-9", "0.000")],
        },
        EntryKind::Declared {
            declaration: d,
            pf_id: pf(10),
            product_ids: vec!["urn:gtin:4012345000009".to_string()],
            supersedes: None,
            certificates: vec![claim("S-9", 1.0), claim(" s-9\u{3000}", 2.0)],
        },
    ];
    let messages: Vec<String> = refusals
        .into_iter()
        .map(|kind| r.append(kind, time(30)).unwrap_err().to_string())
        .collect();
    insta::assert_snapshot!(messages.join("\n"), @r#"
        cannot append entry 5: declaration sha256:4aa2a06329c2f0dde9b1ae0ccd8ad009bf0320ed06f711be1de8f8c9938c0c78 is not stored in the register (declarations/4aa2a06329c2f0dde9b1ae0ccd8ad009bf0320ed06f711be1de8f8c9938c0c78.json is missing); nothing was written
        cannot append entry 5: declaration sha256:f0eea43faadf4f61e2c3909f0f2d1dc58450d3dc37a4c07f26d4a037776abae7 was already declared by entry 1; nothing was written
        cannot append entry 5: pf id "00000000-0000-4000-8000-000000000002" was already declared by entry 1; a new version needs a new pf id; nothing was written
        cannot append entry 5: pfId "3F2504E0-4F89-41D3-9A0C-0305E82C3301" is invalid: expected a lowercase UUID (8-4-4-4-12 hex digits); nothing was written
        cannot append entry 5: declaration sha256:b23a6a8439c0dde5515893e7c90c1e3233b8616e634470f20dc4928bcf3609bc is not declared by an earlier entry; nothing was written
        cannot append entry 5: pf id "00000000-0000-4000-8000-000000000003" does not match "00000000-0000-4000-8000-000000000002", the pf id declaration sha256:f0eea43faadf4f61e2c3909f0f2d1dc58450d3dc37a4c07f26d4a037776abae7 was declared with; nothing was written
        cannot append entry 5: declaration sha256:00264af78149a573a38ebac92b500ddcc171fbf6309710aeed2c70db76db2564 was already deprecated by entry 3; nothing was written
        cannot append entry 5: declaration sha256:00264af78149a573a38ebac92b500ddcc171fbf6309710aeed2c70db76db2564 was already superseded by sha256:80ed6530a77285807a7d28b937037d49dc27eb566b90dc0b9df500bad70fef89 in entry 2; nothing was written
        cannot append entry 5: productIds [] is invalid: expected at least one product id; nothing was written
        cannot append entry 5: quantityKwh 0.000 is invalid: expected kWh above 0; nothing was written
        cannot append entry 5: certificate serial " s-9\u{3000}" is invalid: expected each serial once per declaration, whatever its case or surrounding whitespace (sum the quantities); nothing was written
        "#);
    assert_eq!(r.verify().unwrap().entries, 5, "nothing was written");

    let err = "2026-03-01T12:00:00+01:00".parse::<pcf::register::Timestamp>().unwrap_err();
    insta::assert_snapshot!(err, @r#"invalid time "2026-03-01T12:00:00+01:00": expected RFC 3339 in UTC such as 2026-03-01T12:00:00Z (optionally with up to 9 fractional second digits)"#);
}

#[test]
fn history_is_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let r = &s.register;
    let entries = r.entries().unwrap();
    let head = r.head().unwrap().unwrap();

    // Rewriting entry 2 with other content: refused, the file is untouched.
    let before = fs::read(entry_path(dir.path(), 2)).unwrap();
    let mut rewrite = entries[2].clone();
    rewrite.time = time(59);
    let err = r.append_entry(&rewrite).unwrap_err();
    assert_eq!(err, RegisterError::EntryExists { seq: 2, next: 5 });
    insta::assert_snapshot!(err, @"entry 2 already exists: the register is append-only and never overwrites an entry (the next entry is 5)");
    assert_eq!(fs::read(entry_path(dir.path(), 2)).unwrap(), before);

    // Skipping ahead, or extending anything but the last entry: refused.
    let d = store(r, 10);
    let mut ahead =
        Entry { seq: 7, prev: Some(head.digest), time: time(40), kind: declared(d, pf(10)) };
    let err = r.append_entry(&ahead).unwrap_err();
    insta::assert_snapshot!(err, @"entry 7 with prev sha256:6d3e85028b3709372ae27f6b16f5a05532a80c43678919f5f66798bd1e066050 does not extend the register: the next entry must be 5 with prev sha256:6d3e85028b3709372ae27f6b16f5a05532a80c43678919f5f66798bd1e066050; re-read the register and append again");
    ahead.seq = 5;
    ahead.prev = Some(entries[3].digest().unwrap());
    let err = r.append_entry(&ahead).unwrap_err();
    assert!(matches!(err, RegisterError::NotTip { seq: 5, next: 5, .. }), "{err:?}");

    // The entry that does extend the last one is accepted.
    ahead.prev = Some(head.digest);
    let new_head = r.append_entry(&ahead).unwrap();
    assert_eq!(new_head, Head { seq: 5, digest: ahead.digest().unwrap() });

    // Underneath, entry files are written without ever replacing one.
    let err = pcf::atomic::write_new(&entry_path(dir.path(), 0), b"{}", pcf::atomic::Mode::Public)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(r.verify().unwrap().entries, 6);
}

#[test]
fn racing_appenders_never_fork() {
    let dir = tempfile::tempdir().unwrap();
    let (threads, each) = (4u64, 10u64);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let dir = dir.path();
            scope.spawn(move || {
                let register = Register::open(dir).unwrap();
                for i in 0..each {
                    let n = 100 * (t + 1) + i;
                    let d = store(&register, n);
                    register.append(declared(d, pf(n)), time(0)).unwrap();
                }
            });
        }
    });
    let register = Register::open(dir.path()).unwrap();
    let report = register.verify().unwrap();
    assert_eq!(report.entries, threads * each);
    assert_eq!(report.declarations, threads * each);
}

// ---------------------------------------------------------------------------------------------
// Tampering, each found at the first broken entry

#[test]
fn edited_entry_is_detected_at_the_next_link() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let mut written = s.register.tree().unwrap();
    edit_entry(dir.path(), 1, |v| v["kind"]["productIds"][0] = "urn:gtin:0000000000000".into());
    let err = s.register.verify().unwrap_err();
    assert_eq!(broken_seq(&err), 2);
    insta::assert_snapshot!(err, @"register entry 2 (entries/00000000000000000002.json) is broken: prev is sha256:873669b405c243ef443282331a0ac48045f6a70108d68673520b8f71845ab851 but entry 1 hashes to sha256:e8f0f178add94bc4f0c115b5c006c392675a03664df2f7c4565a2af5e1734219 (entry 1 was altered, or this entry does not follow it); the register was altered or damaged after it was written: restore it from a backup (entries are never edited)");
    // Appending reads O(log n) files, so it does not re-walk the chain: it extends the log as
    // its tiles recorded it, and the edit stays where the walk finds it.
    // A checkpoint signs the entries as written, never the edit.
    let d = store(&s.register, 10);
    let entry = s.register.append(declared(d, pf(10)), time(40)).unwrap();
    assert_eq!(s.register.verify().unwrap_err(), err);
    written.push(&entry.canonical().unwrap());
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    assert_eq!(s.register.checkpoint(&key).unwrap().checkpoint.root, written.root());
}

#[test]
fn edited_last_entry_is_never_extended() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    edit_entry(dir.path(), 4, |v| v["time"] = "2026-01-01T00:00:00Z".into());
    let d = store(&s.register, 10);
    let err = s.register.append(declared(d, pf(10)), time(40)).unwrap_err();
    assert!(
        matches!(err, RegisterError::AnchorMismatch { head, actual: Some(_) } if head.seq == 4)
    );
    assert!(!entry_path(dir.path(), 5).exists());
}

#[test]
fn edited_last_entry_is_detected_against_a_kept_head() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let head = s.register.head().unwrap().unwrap();
    edit_entry(dir.path(), 4, |v| v["time"] = "2026-01-01T00:00:00Z".into());
    // Nothing follows entry 4, so only the head a buyer kept can tell.
    s.register.verify().unwrap();
    let err = s.register.verify_anchor(&head).unwrap_err();
    insta::assert_snapshot!(err, @"the register no longer contains head entry 4 sha256:6d3e85028b3709372ae27f6b16f5a05532a80c43678919f5f66798bd1e066050: that entry now hashes to sha256:55a6502a535d90f4e636d2604bd42242a5166e98fc73415c1d163547661eb058 (the register was rewritten); restore it from a backup");
}

#[test]
fn deleted_last_entry_is_detected_against_a_kept_head() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let head = s.register.head().unwrap().unwrap();
    fs::remove_file(entry_path(dir.path(), 4)).unwrap();
    assert_eq!(s.register.verify().unwrap().entries, 4, "a truncated chain is still a chain");
    let err = s.register.verify_anchor(&head).unwrap_err();
    assert_eq!(err, RegisterError::AnchorMismatch { head, actual: None });
    insta::assert_snapshot!(err, @"the register no longer contains head entry 4 sha256:6d3e85028b3709372ae27f6b16f5a05532a80c43678919f5f66798bd1e066050: the register ends before it (entries were deleted from the end); restore the register from a backup");
}

#[test]
fn deleted_middle_entry_is_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    fs::remove_file(entry_path(dir.path(), 2)).unwrap();
    let err = s.register.verify().unwrap_err();
    assert_eq!(
        err,
        RegisterError::BrokenChain {
            seq: 2,
            file: "entries/00000000000000000002.json".to_string(),
            violation: Violation::Missing { next: 3 }
        }
    );
    insta::assert_snapshot!(err, @"register entry 2 (entries/00000000000000000002.json) is broken: the file is missing although entry 3 exists (an entry file was deleted); the register was altered or damaged after it was written: restore it from a backup (entries are never edited)");
}

#[test]
fn truncated_entry_file_does_not_parse() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let path = entry_path(dir.path(), 3);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = s.register.verify().unwrap_err();
    assert_eq!(broken_seq(&err), 3);
    insta::assert_snapshot!(err, @"register entry 3 (entries/00000000000000000003.json) is broken: not strict json: expected a string key, found end of input at line 7, column 3; the register was altered or damaged after it was written: restore it from a backup (entries are never edited)");
}

#[test]
fn forked_entry_claiming_an_earlier_prev_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let entries = s.register.entries().unwrap();
    // A second entry 3 branching off entry 1 (the same prev as entry 2), put in place of the
    // real entry 3.
    let fork = Entry { seq: 3, prev: entries[2].prev, time: time(3), kind: deprecated(s.b, pf(2)) };
    fs::write(entry_path(dir.path(), 3), serde_json::to_vec_pretty(&fork).unwrap()).unwrap();
    let err = s.register.verify().unwrap_err();
    assert_eq!(broken_seq(&err), 3);
    insta::assert_snapshot!(err, @"register entry 3 (entries/00000000000000000003.json) is broken: prev is sha256:873669b405c243ef443282331a0ac48045f6a70108d68673520b8f71845ab851 but entry 2 hashes to sha256:69e6ca9a2a2b1faee1e799060a99f74743c18e5aca9af0b117380c323809ea2a (entry 2 was altered, or this entry does not follow it); the register was altered or damaged after it was written: restore it from a backup (entries are never edited)");
}

#[test]
fn swapped_entry_files_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let (one, two) = (entry_path(dir.path(), 1), entry_path(dir.path(), 2));
    let tmp = dir.path().join("swap");
    fs::rename(&one, &tmp).unwrap();
    fs::rename(&two, &one).unwrap();
    fs::rename(&tmp, &two).unwrap();
    let err = s.register.verify().unwrap_err();
    assert_eq!(broken_seq(&err), 1);
    insta::assert_snapshot!(err, @"register entry 1 (entries/00000000000000000001.json) is broken: the file holds entry 2 (entry files were renamed or swapped); the register was altered or damaged after it was written: restore it from a backup (entries are never edited)");
}

#[test]
fn changed_or_missing_declaration_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let path = dir.path().join(format!("declarations/{}.json", s.b.hex()));
    fs::write(&path, br#"{"declaration":22}"#).unwrap();
    // Listing does not re-hash declarations; verifying does.
    assert_eq!(s.register.entries().unwrap().len(), 5);
    let err = s.register.verify().unwrap_err();
    assert_eq!(broken_seq(&err), 1);
    insta::assert_snapshot!(err, @"register entry 1 (entries/00000000000000000001.json) is broken: declarations/f0eea43faadf4f61e2c3909f0f2d1dc58450d3dc37a4c07f26d4a037776abae7.json hashes to sha256:60b9d37dd8421dbaada2679b27457d4adfc8d2f10973cb1f709d6868638b8af1, not sha256:f0eea43faadf4f61e2c3909f0f2d1dc58450d3dc37a4c07f26d4a037776abae7 (the stored declaration was altered); the register was altered or damaged after it was written: restore it from a backup (entries are never edited)");
    assert!(matches!(s.register.declaration(&s.b), Err(RegisterError::DeclarationAltered { .. })));

    fs::remove_file(&path).unwrap();
    let err = s.register.verify().unwrap_err();
    assert_eq!(broken_seq(&err), 1);
    insta::assert_snapshot!(err, @"register entry 1 (entries/00000000000000000001.json) is broken: declaration sha256:f0eea43faadf4f61e2c3909f0f2d1dc58450d3dc37a4c07f26d4a037776abae7 is not stored in the register (declarations/f0eea43faadf4f61e2c3909f0f2d1dc58450d3dc37a4c07f26d4a037776abae7.json is missing); the register was altered or damaged after it was written: restore it from a backup (entries are never edited)");
}

#[test]
fn entry_out_of_normal_form_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    // `supersedes: null` left out: serde would read it as absent, but the digest covers the
    // file as written, so the file must say everything.
    edit_entry(dir.path(), 1, |v| {
        v["kind"].as_object_mut().unwrap().remove("supersedes");
    });
    let err = s.register.verify().unwrap_err();
    assert_eq!(broken_seq(&err), 1);
    insta::assert_snapshot!(err, @"register entry 1 (entries/00000000000000000001.json) is broken: the JSON differs from the entry's normal form (an optional field such as prev or supersedes is left out instead of being null, or a number is not exactly representable); the register was altered or damaged after it was written: restore it from a backup (entries are never edited)");
}

#[test]
fn unknown_fields_and_bad_values_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    edit_entry(dir.path(), 2, |v| v["note"] = "backdated".into());
    let err = s.register.verify().unwrap_err();
    assert_eq!(broken_seq(&err), 2);
    insta::assert_snapshot!(err, @"register entry 2 (entries/00000000000000000002.json) is broken: not a valid register entry: unknown field `note`, expected one of `seq`, `prev`, `time`, `kind` at line 20 column 8; the register was altered or damaged after it was written: restore it from a backup (entries are never edited)");

    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    edit_entry(dir.path(), 3, |v| v["kind"]["status"] = "active".into());
    let err = s.register.verify().unwrap_err();
    assert_eq!(broken_seq(&err), 3);
    insta::assert_snapshot!(err, @"register entry 3 (entries/00000000000000000003.json) is broken: not a valid register entry: unknown variant `active`, expected `deprecated` at line 11 column 1; the register was altered or damaged after it was written: restore it from a backup (entries are never edited)");
}

#[test]
fn duplicate_keys_in_an_entry_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    // serde_json alone would keep the last `time` and hash an entry that is not what a reader
    // of the file sees first.
    let path = entry_path(dir.path(), 2);
    let text = fs::read_to_string(&path).unwrap();
    let text =
        text.replacen("\"seq\": 2,", "\"seq\": 2,\n  \"time\": \"2020-01-01T00:00:00Z\",", 1);
    fs::write(&path, text).unwrap();
    let err = s.register.verify().unwrap_err();
    assert_eq!(broken_seq(&err), 2);
    insta::assert_snapshot!(err, @r#"register entry 2 (entries/00000000000000000002.json) is broken: not strict json: duplicate key "time" at line 5, column 3 (json pointer "/time"); the register was altered or damaged after it was written: restore it from a backup (entries are never edited)"#);
}

#[test]
fn stray_and_unexpected_files() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    // What an interrupted write leaves behind is harmless and counted.
    fs::write(dir.path().join("entries/.pcf-tmp-abc123"), b"{\"seq\":").unwrap();
    assert_eq!(s.register.verify().unwrap().stray_temp_files, 1);
    // Anything else in entries/ is not.
    fs::write(dir.path().join("entries/00000000000000000002.json.bak"), b"{}").unwrap();
    let err = s.register.verify().unwrap_err();
    insta::assert_snapshot!(err, @"unexpected file entries/00000000000000000002.json.bak in the register: only files named <20-digit seq>.json belong in entries/; move it out of the register");
}

// ---------------------------------------------------------------------------------------------
// Excerpts

#[test]
fn excerpt_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let excerpt = s.register.excerpt(&[s.a]).unwrap();
    let seqs: Vec<u64> = excerpt.entries.iter().map(|e| e.seq).collect();
    // Every entry from A's declaration to the head, so that no status change can be left out.
    assert_eq!(seqs, [0, 1, 2, 3, 4], "declared, ..., superseded by A2, deprecated, ... head");
    assert_eq!(Some(excerpt.head), s.register.head().unwrap());
    let report = verify_excerpt(&excerpt).unwrap();
    assert_eq!(report.head, excerpt.head);
    assert_eq!(report.statuses.into_iter().collect::<Vec<_>>(), [(s.a, Status::Deprecated)]);

    // It travels as JSON.
    let json = serde_json::to_string_pretty(&excerpt).unwrap();
    let back: pcf::register::RegisterExcerpt = serde_json::from_str(&json).unwrap();
    assert_eq!(back, excerpt);

    // The head entry itself is checked against the head digest when included.
    let excerpt = s.register.excerpt(&[s.c, s.b]).unwrap();
    assert_eq!(excerpt.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let report = verify_excerpt(&excerpt).unwrap();
    assert_eq!(report.statuses[&s.b], Status::Active);
    assert_eq!(report.statuses[&s.c], Status::Active);

    let err = s.register.excerpt(&[Digest::of(b"unknown")]).unwrap_err();
    insta::assert_snapshot!(err, @"declaration sha256:b23a6a8439c0dde5515893e7c90c1e3233b8616e634470f20dc4928bcf3609bc is not in this register");
}

#[test]
fn tampered_excerpts_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let good = s.register.excerpt(&[s.a]).unwrap();

    let err = |e: &pcf::register::RegisterExcerpt| verify_excerpt(e).unwrap_err().to_string();

    // Entry 2 edited: entry 3, which follows it directly, no longer links to it.
    let mut excerpt = good.clone();
    excerpt.entries[2].time = time(59);
    let e = err(&excerpt);
    assert!(e.starts_with("register excerpt entry 3 is inconsistent: prev is sha256:"), "{e}");
    assert!(e.contains("but entry 2 hashes to"), "{e}");

    // The deprecation (entry 3) left out: a gap, refused; the excerpt cannot hide it.
    let mut excerpt = good.clone();
    excerpt.entries.remove(3);
    insta::assert_snapshot!(err(&excerpt), @"register excerpt entry 4 is inconsistent: it does not follow entry 2: an excerpt holds every entry from its first up to the head (ask the issuer for a new bundle)");

    // The entries after the declaration cut off while the head is kept: refused.
    let mut excerpt = good.clone();
    excerpt.entries.truncate(1);
    insta::assert_snapshot!(err(&excerpt), @"register excerpt entry 0 is inconsistent: the excerpt ends at entry 0 but names head 4: the entries between are missing (ask the issuer for a new bundle)");

    // The declaring entry left out.
    let mut excerpt = good.clone();
    excerpt.entries.remove(0);
    let e = err(&excerpt);
    assert!(e.contains("is not declared by an earlier entry"), "{e}");

    // Entries out of order, repeated, or past the head.
    let mut excerpt = good.clone();
    excerpt.entries.swap(1, 2);
    insta::assert_snapshot!(err(&excerpt), @"register excerpt entry 2 is inconsistent: it does not follow entry 0: an excerpt holds every entry from its first up to the head (ask the issuer for a new bundle)");
    let mut excerpt = good.clone();
    excerpt.entries.insert(1, s.register.entry(1).unwrap());
    insta::assert_snapshot!(err(&excerpt), @"register excerpt entry 1 is inconsistent: it follows entry 1: excerpt entries must be in increasing seq order");
    let mut excerpt = good.clone();
    excerpt.head.seq = 1;
    let e = err(&excerpt);
    assert!(e.starts_with("register excerpt entry 1 is inconsistent: it is the head but"), "{e}");

    // The head entry edited.
    let mut excerpt = s.register.excerpt(&[s.c]).unwrap();
    excerpt.entries[0].time = time(59);
    insta::assert_snapshot!(verify_excerpt(&excerpt).unwrap_err(), @"register excerpt entry 4 is inconsistent: it is the head but hashes to sha256:360d5a8d21336916d550ae2f569ddb22fa6577bef0d569831940fbc5a6c44b19, not the head digest sha256:6d3e85028b3709372ae27f6b16f5a05532a80c43678919f5f66798bd1e066050");
}

// ---------------------------------------------------------------------------------------------
// Crash safety: a child process killed with SIGKILL while appending

/// Names the register directory of [`kill_child`]; without it the child does nothing.
const KILL_DIR: &str = "PCF_REGISTER_KILL_CHILD_DIR";
/// Which round of [`kill_during_append`] the child belongs to (keeps pf ids unique).
const KILL_ROUND: &str = "PCF_REGISTER_KILL_CHILD_ROUND";

/// The child of [`kill_during_append`]: appends in a loop (bounded in count and time), signs
/// a checkpoint after each append, and prints `ack <seq>` after both return.
#[test]
#[ignore = "child process of kill_during_append; does nothing unless its env var is set"]
fn kill_child() {
    let Some(dir) = std::env::var_os(KILL_DIR) else {
        return;
    };
    let round: u64 = std::env::var(KILL_ROUND).unwrap().parse().unwrap();
    let register = Register::open(dir).unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let start = Instant::now();
    for i in 0..2_000u64 {
        if start.elapsed() > Duration::from_secs(30) {
            break;
        }
        let n = (round << 32) | i;
        let d = store(&register, n);
        let kind = EntryKind::Declared {
            declaration: d,
            pf_id: pf(n),
            product_ids: vec![format!("urn:sku:{n}")],
            supersedes: None,
            certificates: vec![claim(&format!("S-{i}"), 1.5)],
        };
        let entry = register.append(kind, time(0)).unwrap();
        let checkpoint = register.checkpoint(&key).unwrap();
        assert!(checkpoint.checkpoint.size > entry.seq);
        println!("ack {}", entry.seq);
    }
}

#[test]
fn kill_during_append() {
    let dir = tempfile::tempdir().unwrap();
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
            | 1;
    let mut rng = u64::from(seed);
    let mut acked = BTreeSet::new();
    // `register::kill_child` in the `main` test binary; just `kill_child` if this file is
    // compiled as a test target of its own.
    let child_test = match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::kill_child"),
        None => "kill_child".to_string(),
    };
    for round in 0..10u64 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let delay = Duration::from_micros(rng % 60_000);
        let stderr_path = dir.path().join(format!("child-{round}.stderr"));
        let register_dir = dir.path().join("register");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &child_test, "--ignored", "--nocapture"])
            .env(KILL_DIR, &register_dir)
            .env(KILL_ROUND, round.to_string())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                // libtest may print its own text on the same line before ours.
                if let Some(seq) = line.split("ack ").nth(1) {
                    tx.send(seq.trim().parse::<u64>().unwrap()).unwrap();
                }
            }
        });
        // Kill at a random moment once the child is appending.
        let first = rx.recv_timeout(Duration::from_secs(120)).unwrap_or_else(|e| {
            let _ = child.kill();
            panic!(
                "round {round}: the child acknowledged no append ({e}); its stderr:\n{}",
                fs::read_to_string(&stderr_path).unwrap_or_default()
            )
        });
        std::thread::sleep(delay);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        reader.join().unwrap();
        let this_round: Vec<u64> = std::iter::once(first).chain(rx.try_iter()).collect();
        acked.extend(this_round.iter().copied());

        let register = Register::open(&register_dir).unwrap();
        let report = register.verify().unwrap_or_else(|e| {
            panic!("round {round} (seed {seed}, killed after {delay:?}, {status}): {e}")
        });
        // Every checkpoint signed, and the tiles the next ones are signed from, hold the tree
        // of the entries (the index and tiles caught up with whatever the kill interrupted).
        let checkpoints = register.verify_checkpoints().unwrap_or_else(|e| {
            panic!("round {round} (seed {seed}, killed after {delay:?}, {status}): {e}")
        });
        assert!(checkpoints as u64 >= acked.len() as u64, "a checkpoint per acknowledged append");
        let entries = register.entries().unwrap();
        for &seq in &acked {
            assert!(
                seq < report.entries && entries[seq as usize].seq == seq,
                "round {round} (seed {seed}): acknowledged entry {seq} is missing; the register \
                 has {} entries",
                report.entries
            );
        }
        eprintln!(
            "round {round}: killed after {delay:?} with {} entries, {} acknowledged this round, \
             {} stray temporary files",
            report.entries,
            this_round.len(),
            report.stray_temp_files
        );
    }
    assert!(acked.len() >= 10, "every round acknowledged at least one append");
}

// ---------------------------------------------------------------------------------------------
// Certificate claims: one serial however it is written, exact sums, refused at issuance

use pcf::certification::certificates::{self, Finding, FindingKind, Quantities, Quantity};

/// The presses' certificate of the steel-bracket example: 400 MWh, of which the bracket claims
/// 850 / 935 (mass allocation), 363636.36... kWh, written rounded down as 363636.363.
const PRESSES: &str = "GEC-2025-JS-000481220-000481619";

/// A register whose entries claim `claims` (serial, kWh as a decimal string), one declaration
/// each, with the certificate `GEC-1` holding 1000 kWh; returns the double-counting findings.
fn findings_of(claims: &[(&str, &str)]) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    let register = Register::open(dir.path()).unwrap();
    for (n, (serial, kwh)) in claims.iter().enumerate() {
        let n = n as u64 + 100;
        let kind = EntryKind::Declared {
            declaration: store(&register, n),
            pf_id: pf(n),
            product_ids: vec![format!("urn:sku:{n}")],
            supersedes: None,
            certificates: vec![decimal_claim(serial, kwh)],
        };
        register.append(kind, time(n as u32)).unwrap();
    }
    let mut quantities = Quantities::default();
    let serial: pcf::certificate::CertificateSerial = "GEC-1".parse().unwrap();
    quantities.0.insert(
        serial.clone(),
        Quantity {
            serial,
            kind: "gec".to_string(),
            quantity_kwh: 1000.0,
            inventory_digest: Digest::of(b"inventory"),
        },
    );
    certificates::double_counting_with(Some(&register), &quantities, &[]).unwrap()
}

#[test]
fn serials_that_differ_in_case_or_whitespace_are_one_certificate() {
    for variant in [
        "GEC-1 ",
        " GEC-1",
        "gec-1",
        "\tGec-1\t",
        "GEC-1\n",
        "\u{a0}GEC-1\u{2003}",
        "\u{3000}gec-1\u{202f}",
        "\u{feff}GEC-1\u{200b}",
    ] {
        // 600 + 600 of a 1000 kWh certificate, the second claim naming it differently.
        let findings = findings_of(&[("GEC-1", "600"), (variant, "600.000")]);
        assert_eq!(findings.len(), 1, "{variant:?}: {findings:#?}");
        let f = &findings[0];
        assert_eq!((f.kind, f.claims.len()), (FindingKind::OverClaimed, 2), "{variant:?}");
        assert_eq!(f.claimed_kwh, 1200.0, "{variant:?}");
        assert!(f.detail.ends_with("200.000 kWh counted twice"), "{variant:?}: {}", f.detail);
    }
    // A different serial is another certificate (and its quantity is unknown here).
    let findings = findings_of(&[("GEC-1", "600"), ("GEC-11", "600")]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].kind, FindingKind::UnknownQuantity);
    // Blank serials never get that far.
    for blank in ["", "  ", "\t\u{a0}\u{200b}"] {
        assert!(blank.parse::<pcf::certificate::CertificateSerial>().is_err(), "{blank:?}");
    }
}

#[test]
fn claims_add_up_exactly_with_no_tolerance() {
    // Each fits, together they exceed.
    let f = findings_of(&[("GEC-1", "600"), ("GEC-1", "500")]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].claimed_kwh, 1100.0);
    // Exactly the quantity: not an over-claim; one watt-hour more: an over-claim.
    assert_eq!(findings_of(&[("GEC-1", "600"), ("GEC-1", "400")]), vec![]);
    assert_eq!(findings_of(&[("GEC-1", "0.1"), ("GEC-1", "0.2"), ("GEC-1", "999.7")]), vec![]);
    let hair = findings_of(&[("GEC-1", "600"), ("GEC-1", "400.001")]);
    assert_eq!(hair.len(), 1, "{hair:#?}");
    assert!(hair[0].detail.ends_with("0.001 kWh counted twice"), "{}", hair[0].detail);
    // Claims are rounded down when issued, so thirds of a certificate never exceed it.
    let third = pcf::certificate::ClaimedKwh::floor(1000.0 / 3.0).unwrap().to_string();
    assert_eq!(third, "333.333");
    assert_eq!(findings_of(&[("GEC-1", &third), ("GEC-1", &third), ("GEC-1", &third)]), vec![]);
}

/// A copy of the steel-bracket example (inventory, supplier declaration) and an issuer key.
fn bracket_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let example = crate::util::root().join("examples/steel-bracket");
    fs::copy(example.join("inventory.toml"), dir.path().join("inventory.toml")).unwrap();
    fs::create_dir(dir.path().join("suppliers")).unwrap();
    fs::copy(
        example.join("suppliers/hot-rolled-coil.json"),
        dir.path().join("suppliers/hot-rolled-coil.json"),
    )
    .unwrap();
    let keygen = crate::util::pcf(dir.path(), &["keygen", "--out", "issuer.key"]);
    assert!(keygen.status.success(), "{}", crate::util::stderr(&keygen));
    dir
}

/// `pcf declare` of the bracket into `reg`, with `extra` arguments.
fn declare_bracket(dir: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "issuer.key",
        "--register",
        "reg",
        "--out",
        out,
    ];
    args.extend(extra);
    crate::util::pcf(dir, &args)
}

fn read_json(path: &Path) -> serde_json::Value {
    pcf::canonical::parse_strict(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn over_claims_are_refused_at_issuance_to_the_watt_hour() {
    let ws = bracket_workspace();
    let dir = ws.path();
    let register = Register::open(dir.join("reg")).unwrap();
    // Another declaration (say from another site's inventory) already holds part of the
    // presses' certificate, naming it in lower case with a trailing tab. With the bracket's
    // 363636.363 kWh, 36363.638 kWh is one watt-hour too many.
    let other = store(&register, 1);
    let kind = |declaration, n: u64, kwh: &str| EntryKind::Declared {
        declaration,
        pf_id: pf(n),
        product_ids: vec![format!("urn:sku:other-{n}")],
        supersedes: None,
        certificates: vec![decimal_claim(&format!("{}\t", PRESSES.to_lowercase()), kwh)],
    };
    register.append(kind(other, 1, "36363.638"), time(0)).unwrap();
    let refused = declare_bracket(dir, "bracket.json", &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", crate::util::stdout(&refused));
    let other_digest = other.to_string();
    let expected = format!(
        "error: certificate {PRESSES} would be counted twice: it holds 400000.000 kWh, the \
         register's active declarations already claim 36363.638 kWh (36363.638 kWh by pf id \
         {} ({other_digest}, entry 0)), and this declaration would add 363636.363 kWh, 0.001 \
         kWh more than it holds; nothing was signed, written or registered",
        pf(1)
    );
    let message = crate::util::stderr(&refused);
    assert!(message.starts_with(&expected), "{message}");
    assert!(!dir.join("bracket.json").exists());
    assert_eq!(register.verify().unwrap().entries, 1);
    assert_eq!(fs::read_dir(dir.join("reg/declarations")).unwrap().count(), 1, "nothing stored");

    // Deprecate it and claim exactly what is left: the bracket fits to the watt-hour.
    register.append(deprecated(other, pf(1)), time(1)).unwrap();
    let exact = store(&register, 2);
    register.append(kind(exact, 2, "36363.637"), time(2)).unwrap();
    let ok = declare_bracket(dir, "bracket.json", &[]);
    assert!(ok.status.success(), "{}", crate::util::stderr(&ok));
    let doc = read_json(&dir.join("bracket.json"));
    let provenance = pcf::declaration::provenance(&doc).unwrap();
    let claimed: Vec<(String, String)> = provenance
        .certificates
        .iter()
        .map(|c| (c.serial.to_string(), c.quantity_kwh.to_string()))
        .collect();
    assert_eq!(
        claimed,
        vec![
            (PRESSES.to_string(), "363636.363".to_string()),
            ("GEC-2025-JS-000481620-000481819".to_string(), "200000.000".to_string()),
        ]
    );
    // The signed provenance holds decimal strings, not floats.
    let raw = &doc["credentialSubject"]["productFootprint"]["extensions"];
    assert!(raw.to_string().contains(r#""quantityKwh":"363636.363""#), "{raw}");
    let findings = certificates::double_counting(&register).unwrap();
    assert!(findings.iter().all(|f| !f.is_error()), "{findings:#?}");
}

#[test]
fn an_inventory_naming_a_held_certificate_differently_is_refused() {
    let ws = bracket_workspace();
    let dir = ws.path();
    let ok = declare_bracket(dir, "bracket.json", &[]);
    assert!(ok.status.success(), "{}", crate::util::stderr(&ok));
    // The same certificate written in lower case and padded in a second inventory of the
    // bracket (new product ids, so it is not a new version of the same product).
    let text = fs::read_to_string(dir.join("inventory.toml")).unwrap();
    let renamed = text
        .replace(
            &format!("serial = \"{PRESSES}\""),
            &format!("serial = \" {}\\t\"", PRESSES.to_lowercase()),
        )
        .replace("urn:gtin:06901234567892", "urn:gtin:06901234567893");
    assert_ne!(renamed, text);
    fs::write(dir.join("inventory.toml"), renamed).unwrap();
    let refused = declare_bracket(dir, "again.json", &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", crate::util::stdout(&refused));
    let message = crate::util::stderr(&refused);
    assert!(
        message.contains(&format!("certificate {} would be counted twice", PRESSES.to_lowercase())),
        "{message}"
    );
    assert!(message.contains("this declaration would add 363636.363 kWh"), "{message}");
    assert!(!dir.join("again.json").exists());
}

#[test]
fn superseding_releases_the_old_declarations_claims() {
    let ws = bracket_workspace();
    let dir = ws.path();
    assert!(declare_bracket(dir, "v1.json", &[]).status.success());
    // Without --supersedes the same claims again are refused; superseding v1 is not.
    let twice = declare_bracket(dir, "twice.json", &[]);
    assert_eq!(twice.status.code(), Some(1));
    assert!(crate::util::stderr(&twice).contains("would be counted twice"));
    let v2 = declare_bracket(dir, "v2.json", &["--supersedes", "v1.json"]);
    assert!(v2.status.success(), "{}", crate::util::stderr(&v2));
    let register = Register::open(dir.join("reg")).unwrap();
    let d1 = pcf::canonical::digest(&read_json(&dir.join("v1.json"))).unwrap();
    let d2 = pcf::canonical::digest(&read_json(&dir.join("v2.json"))).unwrap();
    let statuses = register.statuses().unwrap();
    assert_eq!((statuses[&d1], statuses[&d2]), (Status::Deprecated, Status::Active));
    let report = register.verify().unwrap();
    assert_eq!((report.entries, report.declarations, report.deprecated), (2, 2, 1));
    assert_eq!(certificates::double_counting(&register).unwrap(), vec![]);
}

// ---------------------------------------------------------------------------------------------
// Supersession in one entry: legacy registers, second supersessions, interrupted runs

#[test]
fn a_supersession_is_one_entry_and_a_second_one_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let register = Register::open(dir.path()).unwrap();
    let (a, b, c) = (store(&register, 1), store(&register, 2), store(&register, 3));
    let supersede = |declaration, n, old| EntryKind::Declared {
        declaration,
        pf_id: pf(n),
        product_ids: vec!["urn:gtin:4012345000009".to_string()],
        supersedes: Some(old),
        certificates: vec![],
    };
    register.append(declared(a, pf(1)), time(0)).unwrap();
    register.append(supersede(b, 2, a), time(1)).unwrap();
    assert_eq!(register.status_of(&a.to_string()).unwrap(), Some(Status::Deprecated));
    assert_eq!(register.status_of(&pf(2)).unwrap(), Some(Status::Active));
    let excerpt = register.excerpt(&[a]).unwrap();
    assert_eq!(verify_excerpt(&excerpt).unwrap().statuses[&a], Status::Deprecated);
    assert_eq!(register.verify().unwrap().deprecated, 1);

    // A second supersession of the deprecated declaration is refused on append...
    let err = register.append(supersede(c, 3, a), time(2)).unwrap_err();
    assert!(
        matches!(
            &err,
            RegisterError::Refused {
                seq: 2,
                violation: Violation::AlreadySuperseded { declaration, by, seq: 1 }
            } if *declaration == a && *by == b
        ),
        "{err:?}"
    );
    // ...and flagged by verify when written behind the register's back.
    let entry = Entry {
        seq: 2,
        prev: Some(register.head().unwrap().unwrap().digest),
        time: time(2),
        kind: supersede(c, 3, a),
    };
    fs::write(entry_path(dir.path(), 2), serde_json::to_vec_pretty(&entry).unwrap()).unwrap();
    let err = register.verify().unwrap_err();
    assert!(
        matches!(
            &err,
            RegisterError::BrokenChain {
                seq: 2,
                violation: Violation::AlreadySuperseded { declaration, seq: 1, .. },
                ..
            } if *declaration == a
        ),
        "{err:?}"
    );
    // An excerpt with both supersessions is inconsistent too.
    let mut excerpt = excerpt;
    excerpt.entries.push(entry.clone());
    excerpt.head = Head { seq: 2, digest: entry.digest().unwrap() };
    let err = verify_excerpt(&excerpt).unwrap_err();
    assert!(
        matches!(
            err,
            RegisterError::BrokenExcerpt { seq: 2, violation: Violation::AlreadySuperseded { .. } }
        ),
        "{err:?}"
    );
}

#[test]
fn registers_with_a_deprecation_after_each_supersession_still_read() {
    // The sample register is laid out as pcf wrote registers before: entry 2 supersedes A and
    // entry 3 deprecates it. That deprecation is accepted once; a second one is refused.
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let report = s.register.verify().unwrap();
    assert_eq!((report.entries, report.declarations, report.deprecated), (5, 4, 1));
    let statuses = s.register.statuses().unwrap();
    assert_eq!(statuses[&s.a], Status::Deprecated);
    assert_eq!(statuses[&s.a2], Status::Active);
    let err = s.register.append(deprecated(s.a, pf(1)), time(9)).unwrap_err();
    assert!(
        matches!(
            err,
            RegisterError::Refused { violation: Violation::AlreadyDeprecated { seq: 3, .. }, .. }
        ),
        "{err:?}"
    );
    // The superseded declaration's claim on S-1 no longer counts.
    let claims = certificates::claims(&s.register).unwrap();
    let active: Vec<(u64, bool)> = claims[&"S-1".parse().unwrap()]
        .iter()
        .map(|(c, active)| (c.seq.unwrap(), *active))
        .collect();
    assert_eq!(active, vec![(0, false), (2, true)]);
}

#[test]
fn an_interrupted_supersession_is_finished_by_a_retry() {
    let ws = bracket_workspace();
    let dir = ws.path();
    assert!(declare_bracket(dir, "v1.json", &[]).status.success());
    let v2 = declare_bracket(dir, "v2.json", &["--supersedes", "v1.json"]);
    assert!(v2.status.success(), "{}", crate::util::stderr(&v2));
    let register = Register::open(dir.join("reg")).unwrap();
    let entries = register.entries().unwrap();
    let EntryKind::Declared { declaration: d2, .. } = entries[1].kind else { panic!() };

    // A kill between the commit point (the entry) and writing --out leaves no file: the same
    // command again writes the registered declaration, appending nothing.
    fs::remove_file(dir.join("v2.json")).unwrap();
    let retry = declare_bracket(dir, "v2.json", &["--supersedes", "v1.json"]);
    assert!(retry.status.success(), "{}", crate::util::stderr(&retry));
    let said = crate::util::stdout(&retry);
    assert!(said.starts_with("already declared bracket: an earlier run registered"), "{said}");
    assert!(said.contains("v2.json (wrote the registered declaration)"), "{said}");
    assert_eq!(pcf::canonical::digest(&read_json(&dir.join("v2.json"))).unwrap(), d2);
    assert_eq!(register.entries().unwrap(), entries);

    // Once more: the file is there and is that declaration.
    let again = declare_bracket(dir, "v2.json", &["--supersedes", "v1.json"]);
    assert!(again.status.success(), "{}", crate::util::stderr(&again));
    assert!(crate::util::stdout(&again).contains("(kept the registered declaration)"));

    // Another request superseding v1 (another comment) is refused before anything is signed.
    let other = declare_bracket(dir, "v3.json", &["--supersedes", "v1.json", "--comment", "x"]);
    assert_eq!(other.status.code(), Some(1));
    let message = crate::util::stderr(&other);
    assert!(message.contains(&format!("was already superseded by {d2} in entry 1")), "{message}");
    assert!(!dir.join("v3.json").exists());
    assert_eq!(register.entries().unwrap(), entries);
    assert_eq!(fs::read_dir(dir.join("reg/declarations")).unwrap().count(), 2);
}

/// Kills `pcf declare --supersedes` with SIGKILL at random moments, 32 rounds, each followed
/// by the same command run to the end. After each kill the register verifies and either
/// nothing happened (the old declaration is active, no entry was added, no output file) or
/// the whole supersession did (one entry that declares the new one and deprecates the old; an
/// output file, if there is one, holds exactly that declaration). The retry then finishes:
/// afterwards the supersession always holds. Certificates are never counted twice.
#[test]
fn kill_during_supersession() {
    let ws = bracket_workspace();
    let dir = ws.path();
    let started = Instant::now();
    let first = declare_bracket(dir, "v0.json", &[]);
    assert!(first.status.success(), "{}", crate::util::stderr(&first));
    // Kill points spread over about one whole run (some rounds finish before the kill).
    let span = started.elapsed().as_micros().max(1_000) as u64;
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
            | 1;
    let mut rng = u64::from(seed);
    let register = Register::open(dir.join("reg")).unwrap();
    let (mut untouched, mut committed_without_file, mut whole) = (0, 0, 0);
    const ROUNDS: u64 = 32;
    for round in 0..ROUNDS {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let delay = Duration::from_micros(rng % span);
        let (old, new) = (format!("v{round}.json"), format!("v{}.json", round + 1));
        let old_digest = pcf::canonical::digest(&read_json(&dir.join(&old))).unwrap();
        let before = register.entries().unwrap();
        let args = [
            "declare",
            "inventory.toml",
            "--product",
            "bracket",
            "--key",
            "issuer.key",
            "--register",
            "reg",
            "--out",
            &new,
            "--supersedes",
            &old,
        ];
        let mut child = Command::new(env!("CARGO_BIN_EXE_pcf"))
            .current_dir(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // fails only if it already finished and was reaped
        let status = child.wait().unwrap();
        let context = format!("round {round} (seed {seed}, killed after {delay:?}, {status})");

        let report = register.verify().unwrap_or_else(|e| panic!("{context}: {e}"));
        let after = register.entries().unwrap();
        let out = dir.join(&new);
        match register.status_of(&old_digest.to_string()).unwrap() {
            Some(Status::Active) => {
                assert_eq!(after, before, "{context}: an entry without the supersession");
                assert!(!out.exists(), "{context}: {new} written but not registered");
                untouched += 1;
            }
            Some(Status::Deprecated) => {
                assert_eq!(after.len(), before.len() + 1, "{context}");
                assert_eq!(after[..before.len()], before[..], "{context}");
                let EntryKind::Declared { declaration, supersedes, .. } = &after[before.len()].kind
                else {
                    panic!("{context}: {:?}", after[before.len()]);
                };
                assert_eq!(*supersedes, Some(old_digest), "{context}");
                if out.exists() {
                    let written = pcf::canonical::digest(&read_json(&out)).unwrap();
                    assert_eq!(written, *declaration, "{context}: {new} is another declaration");
                    whole += 1;
                } else {
                    committed_without_file += 1;
                }
            }
            other => panic!("{context}: status of the old declaration {other:?}"),
        }
        let findings = certificates::double_counting(&register).unwrap();
        assert!(findings.iter().all(|f| !f.is_error()), "{context}: {findings:#?}");

        // The same command again finishes whatever the kill interrupted.
        let retry = crate::util::pcf(dir, &args);
        assert!(retry.status.success(), "{context}: retry: {}", crate::util::stderr(&retry));
        let done = register.entries().unwrap();
        assert_eq!(done.len(), before.len() + 1, "{context}: after the retry");
        let EntryKind::Declared { declaration, supersedes, .. } = &done[before.len()].kind else {
            panic!("{context}: {:?}", done[before.len()]);
        };
        assert_eq!(*supersedes, Some(old_digest), "{context}");
        assert_eq!(pcf::canonical::digest(&read_json(&out)).unwrap(), *declaration, "{context}");
        assert_eq!(
            register.status_of(&old_digest.to_string()).unwrap(),
            Some(Status::Deprecated),
            "{context}"
        );
        eprintln!(
            "{context}: {} entries, {} stray temporary files",
            report.entries, report.stray_temp_files
        );
    }
    eprintln!(
        "kill_during_supersession: {ROUNDS} rounds (seed {seed}): {untouched} killed before the \
         commit point, {committed_without_file} after it but before the file, {whole} whole"
    );
    assert_eq!(untouched + committed_without_file + whole, ROUNDS);
    let report = register.verify().unwrap();
    assert_eq!((report.entries, report.deprecated), (ROUNDS + 1, ROUNDS));
}

// ---------------------------------------------------------------------------------------------
// The index and tiles: derived from the entries, rebuilt from them

#[test]
fn a_register_without_its_index_is_migrated_on_the_next_command() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let before = s.register.checkpoint(&key).unwrap();
    let proof = s.register.inclusion_proof(1, 5).unwrap();
    // As a register written before the index existed.
    fs::remove_dir_all(dir.path().join("index")).unwrap();
    fs::remove_dir_all(dir.path().join("log")).unwrap();
    assert_eq!(s.register.size().unwrap(), 5);
    assert_eq!(s.register.inclusion_proof(1, 5).unwrap(), proof);
    // The same tree: the checkpoint of size 5 is the one stored (a different root is a fork).
    assert_eq!(s.register.checkpoint(&key).unwrap(), before);
    assert_eq!(s.register.verify_checkpoints().unwrap(), 1);
    // Certificate claims through the index are those the walk finds.
    let walked = certificates::claims(&s.register).unwrap();
    assert!(!walked.is_empty());
    for (serial, list) in &walked {
        let indexed: Vec<(u64, Digest, bool)> = s
            .register
            .claims_on(serial)
            .unwrap()
            .into_iter()
            .map(|c| (c.seq, c.declaration, c.active))
            .collect();
        let expected: Vec<(u64, Digest, bool)> =
            list.iter().map(|(c, active)| (c.seq.unwrap(), c.declaration, *active)).collect();
        assert_eq!(indexed, expected, "{serial}");
    }
    // And the register goes on.
    let d = store(&s.register, 10);
    assert_eq!(s.register.append(declared(d, pf(10)), time(40)).unwrap().seq, 5);
    assert_eq!(s.register.verify().unwrap().entries, 6);
}

#[test]
fn an_index_that_contradicts_the_entries_is_reported_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample(dir.path());
    // The state forgets the last entry: catching up finds the index already records it at
    // that sequence number (a crash after indexing), which is fine.
    let state = dir.path().join("index/state.json");
    let text = fs::read_to_string(&state).unwrap();
    let head4 = s.register.entries().unwrap()[3].digest().unwrap();
    fs::write(&state, format!(r#"{{"format":1,"size":4,"head":"{head4}"}}"#)).unwrap();
    assert_eq!(s.register.size().unwrap(), 5);
    assert_eq!(fs::read_to_string(&state).unwrap(), text);
    // A record that says otherwise than the entries is not silently used.
    let record = fs::read_dir(dir.path().join("index/declared")).unwrap().next().unwrap().unwrap();
    fs::write(record.path(), r#"{"seq":3,"pfId":"x"}"#).unwrap();
    fs::write(&state, r#"{"format":1,"size":0,"head":null}"#).unwrap();
    let err = s.register.size().unwrap_err().to_string();
    assert!(err.contains("remove the register's index"), "{err}");
}
