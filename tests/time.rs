//! Tests: time (`pcf::time` and every reader of a time). A time that is not one — non-ASCII in
//! any position (`2026-01-01T00:00:0éZ`), truncated, a leap second, a field out of range — is
//! an error that names the value, never a panic: through the approval reader, the proof
//! checker, the register, the PACT filters, an inventory's reference period, and the
//! `pcf verify-approval`, `pcf verify --approval` and `pcf methodology approve` commands
//! (whose exit code is never 101).
// Helpers outside `#[test]` functions fail the test on a broken fixture, like the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;
use std::process::Output;

use ed25519_dalek::SigningKey;
use pcf::certification::approval::{self, ApprovalReport, ApprovalRequest, ApprovalStatus};
use pcf::declaration::{self, IssueOptions};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;
use pcf::proof::{self, ProofOptions};
use serde_json::Value;

use crate::util;

/// Times that are not times, each a different way of being wrong.
const BAD_TIMES: [&str; 8] = [
    "2026-01-01T00:00:0éZ",
    "é026-01-01T00:00:00Z",
    "2026-01-01T00:00:00é",
    "2026-01-01T00:00",
    "2026-01-01T0",
    "2026-12-31T23:59:60Z",
    "2026-02-30T00:00:00Z",
    "2026-01-01T00:00:00+24:00",
];

/// Every text made from a good time by replacing one character with a non-ASCII one, or
/// cutting it short there.
fn variations() -> Vec<String> {
    let good = "2026-06-01T00:00:00Z";
    let mut out = Vec::new();
    for i in 0..good.len() {
        for c in ['é', '०', '€', '😀'] {
            out.push(format!("{}{c}{}", &good[..i], &good[i + 1..]));
        }
        out.push(good[..i].to_string());
    }
    out
}

/// The steel bracket declared at a fixed time by `issuer`, in a temporary directory.
fn declaration(dir: &Path, issuer: &SigningKey) -> Value {
    let src = util::root().join("examples/steel-bracket");
    fs::copy(src.join("inventory.toml"), dir.join("inventory.toml")).unwrap();
    fs::create_dir_all(dir.join("suppliers")).unwrap();
    fs::copy(
        src.join("suppliers/hot-rolled-coil.json"),
        dir.join("suppliers/hot-rolled-coil.json"),
    )
    .unwrap();
    let inv = Inventory::load(&dir.join("inventory.toml")).unwrap();
    let m = Methodology::shipped("pact-3.0").unwrap();
    let options =
        IssueOptions { created: Some("2026-12-01T00:00:00Z".into()), ..IssueOptions::default() };
    declaration::issue(&inv, &m, "bracket", issuer, &options).unwrap().document
}

/// A valid approval of pact-3.0 by `body`, for 2026.
fn approval(body: &SigningKey) -> Value {
    let request = ApprovalRequest {
        body: "Example Certification Body".into(),
        scope: "steel".into(),
        valid_from: Some("2026-01-01T00:00:00Z".into()),
        valid_until: "2027-01-01T00:00:00Z".into(),
        created: Some("2026-01-01T00:00:00Z".into()),
    };
    approval::approve(&Methodology::shipped("pact-3.0").unwrap(), body, &request).unwrap()
}

/// `doc` with `field` set to `value` and signed again by `key`, so that only the time is wrong.
fn resigned(doc: &Value, field: &str, value: &str, key: &SigningKey) -> Value {
    let mut doc = doc.clone();
    let map = doc.as_object_mut().unwrap();
    map.remove("proof");
    map.insert(field.into(), value.into());
    let options = ProofOptions::did_key(&key.verifying_key(), "2026-01-01T00:00:00Z");
    proof::sign(&doc, key, options).unwrap()
}

fn did(key: &SigningKey) -> String {
    pcf::keys::did_key(&key.verifying_key())
}

fn write(path: &Path, doc: &Value) {
    fs::write(path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
}

/// `declaration` in a bundle with the supplier's declaration it consumed (from `dir`).
fn bundled(dir: &Path, declaration: &Value) -> Value {
    let mut b = declaration::Bundle::new(declaration.clone());
    let supplier = fs::read(dir.join("suppliers/hot-rolled-coil.json")).unwrap();
    b.add_upstream(pcf::canonical::parse_strict(&supplier).unwrap());
    serde_json::to_value(b).unwrap()
}

/// A run that ended with a message, not a panic.
fn assert_clean(out: &Output, what: &str) {
    let stderr = util::stderr(out);
    assert_ne!(out.status.code(), Some(101), "{what} panicked:\n{stderr}");
    assert!(out.status.code().is_some(), "{what} was killed:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{what} panicked:\n{stderr}");
}

#[test]
fn a_declaration_whose_valid_from_is_not_a_time_is_a_clean_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let issuer = SigningKey::from_bytes(&[1; 32]);
    let body = SigningKey::from_bytes(&[2; 32]);
    let good = declaration(dir, &issuer);
    write(&dir.join("approval.json"), &approval(&body));
    for bad in BAD_TIMES {
        write(
            &dir.join("bracket.json"),
            &bundled(dir, &resigned(&good, "validFrom", bad, &issuer)),
        );
        let trust = did(&body);
        for args in [
            vec!["verify-approval", "bracket.json", "--approval", "approval.json"],
            vec!["verify", "bracket.json", "--approval", "approval.json"],
        ] {
            let mut args = args;
            args.extend(["--trust-body", &trust]);
            let out = util::pcf(dir, &args);
            assert_clean(&out, &format!("pcf {args:?} with validFrom {bad:?}"));
            assert_eq!(out.status.code(), Some(1), "{args:?} {bad:?}: {}", util::stderr(&out));
            // Named in the report (the declaration does not verify) or in the error.
            let said = util::stdout(&out) + &util::stderr(&out);
            assert!(said.contains(&format!("validFrom {bad:?}")), "{args:?}: {said}");
        }
    }
}

#[test]
fn an_approval_or_revocation_whose_valid_from_is_not_a_time_is_rejected_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let issuer = SigningKey::from_bytes(&[3; 32]);
    let body = SigningKey::from_bytes(&[4; 32]);
    let decl = declaration(dir, &issuer);
    write(&dir.join("bracket.json"), &bundled(dir, &decl));
    let good = approval(&body);
    let revocation =
        approval::revoke(&good, &body, None, Some("2026-09-01T00:00:00Z".into())).unwrap();
    let trust = did(&body);
    for bad in BAD_TIMES {
        for (field, doc) in
            [("validFrom", &good), ("validUntil", &good), ("validFrom", &revocation)]
        {
            write(&dir.join("doc.json"), &resigned(doc, field, bad, &body));
            let out = util::pcf(
                dir,
                &[
                    "verify-approval",
                    "bracket.json",
                    "--approval",
                    "doc.json",
                    "--trust-body",
                    &trust,
                ],
            );
            assert_clean(&out, &format!("verify-approval with {field} {bad:?}"));
            assert_eq!(out.status.code(), Some(1));
            let out = util::pcf(
                dir,
                &[
                    "verify-approval",
                    "bracket.json",
                    "--approval",
                    "doc.json",
                    "--trust-body",
                    &trust,
                    "--json",
                ],
            );
            let report: ApprovalReport = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report.rejected.len(), 1, "{field} {bad:?}: {report:?}");
            assert_eq!(report.rejected[0].status, ApprovalStatus::Rejected);
            let named = format!("{field} {bad:?}");
            assert!(report.rejected[0].detail.contains(&named), "{}", report.rejected[0].detail);

            let out = util::pcf(
                dir,
                &["verify", "bracket.json", "--approval", "doc.json", "--trust-body", &trust],
            );
            assert_clean(&out, &format!("verify --approval with {field} {bad:?}"));
            assert_eq!(out.status.code(), Some(1));
        }
    }
}

#[test]
fn every_variation_of_a_time_is_an_error_in_the_library_readers() {
    let tmp = tempfile::tempdir().unwrap();
    let issuer = SigningKey::from_bytes(&[5; 32]);
    let body = SigningKey::from_bytes(&[6; 32]);
    let decl = declaration(tmp.path(), &issuer);
    let good = approval(&body);
    let trusted = [did(&body)];
    let cases: Vec<String> =
        variations().into_iter().chain(BAD_TIMES.iter().map(|s| s.to_string())).collect();
    // The declaration verifies with the supplier's declaration it consumed.
    let mut bundle = declaration::Bundle::new(decl.clone());
    let supplier = fs::read(tmp.path().join("suppliers/hot-rolled-coil.json")).unwrap();
    bundle.add_upstream(pcf::canonical::parse_strict(&supplier).unwrap());
    let options = declaration::VerifyOptions::default();
    for bad in &cases {
        // The approval reader, directly and through the check.
        let doc = resigned(&good, "validFrom", bad, &body);
        let err = approval::parse_approval(&doc).unwrap_err();
        assert!(err.contains(&format!("{bad:?}")), "{err}");
        let r = approval::check(&decl, Some(&bundle), &options, &[("a".into(), doc)], &trusted)
            .unwrap();
        assert_eq!(r.rejected.len(), 1, "{bad:?}");
        // The declaration's issue time, re-signed by its issuer: the verification refuses it,
        // naming the value, and no approval applies.
        let d = resigned(&decl, "validFrom", bad, &issuer);
        let r =
            approval::check(&d, Some(&bundle), &options, &[("a".into(), good.clone())], &trusted)
                .unwrap();
        assert_eq!(r.verdict, approval::ApprovalVerdict::NotApproved, "{bad:?}");
        assert!(r.rejected[0].detail.contains(&format!("{bad:?}")), "{}", r.rejected[0].detail);
        // A proof's `created` and `expires` (XML Schema also has local times: a time cut
        // before its `Z` is one).
        let local = pcf::time::check_xsd_datetime(bad).is_ok();
        assert!(!local || bad.len() == 19, "{bad:?} is an xsd dateTime");
        for field in ["created", "expires"].into_iter().filter(|_| !local) {
            let mut signed = good.clone();
            signed["proof"][field] = bad.as_str().into();
            let err = proof::verify(&signed, &|_| None).unwrap_err();
            assert_eq!(
                err,
                proof::ProofError::InvalidDateTime { field, value: bad.clone() },
                "{field} {bad:?}"
            );
        }
        // The register's timestamps.
        let err = bad.parse::<pcf::register::Timestamp>().unwrap_err();
        assert_eq!(err.value, *bad);
        // The PACT filters (which take a date too).
        if bad.len() != 10 {
            let mut criteria = pcf::exchange::filters::Criteria::default();
            let err = criteria.push_parameter("validOn", bad).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
        // The one time type.
        for parsed in [
            pcf::time::Instant::parse(bad),
            pcf::time::Instant::parse_utc(bad),
            pcf::time::Instant::parse_pact(bad),
            pcf::time::Instant::parse_date_or_time(bad),
        ] {
            // A cut time can be a date, which the date-taking readers accept.
            if bad.len() != 10 {
                assert_eq!(parsed.unwrap_err().value, *bad);
            }
        }
    }
}

#[test]
fn approve_refuses_a_time_that_is_not_one_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    pcf::keys::write_private_key(&dir.join("cb.key"), &SigningKey::from_bytes(&[7; 32])).unwrap();
    for bad in BAD_TIMES {
        for option in ["--valid-from", "--valid-until"] {
            let other = if option == "--valid-from" { "--valid-until" } else { "--valid-from" };
            let out = util::pcf(
                dir,
                &[
                    "methodology",
                    "approve",
                    "pact-3.0",
                    "--key",
                    "cb.key",
                    "--scope",
                    "s",
                    option,
                    bad,
                    other,
                    "2026-06-01",
                ],
            );
            assert_clean(&out, &format!("approve {option} {bad:?}"));
            assert_eq!(out.status.code(), Some(2), "{option} {bad:?}");
            assert!(util::stderr(&out).contains(&format!("{option} {bad:?}")));
        }
    }
}

#[test]
fn an_inventory_reference_period_is_read_as_calendar_dates() {
    let path = util::root().join("examples/steel-bracket/inventory.toml");
    let text = fs::read_to_string(&path).unwrap();
    let period = r#"reference_period = { start = "2025-01-01", end = "2025-12-31" }"#;
    assert!(text.contains(period));
    for (start, end, bad) in [
        ("2025-02-30", "2025-12-31", "2025-02-30"),
        ("2025-01-01", "२०२५-12-31", "२०२५-12-31"),
        ("2025-01-01", "2025-13-01", "2025-13-01"),
    ] {
        let changed = text.replace(
            period,
            &format!(r#"reference_period = {{ start = "{start}", end = "{end}" }}"#),
        );
        let err = Inventory::from_str(&path, &changed).unwrap_err().to_string();
        assert!(err.contains(&format!("{bad:?}")), "{err}");
    }
    let swapped =
        text.replace(period, r#"reference_period = { start = "2025-12-31", end = "2025-01-01" }"#);
    let err = Inventory::from_str(&path, &swapped).unwrap_err().to_string();
    assert!(err.contains("after it ends"), "{err}");
    assert!(Inventory::from_str(&path, &text).is_ok());
}
