//! Tests: certification (`pcf::certification`). A declaration audited against its own
//! inventory is identical; a changed factor is named; two methodology versions differ by
//! meaning, with each product's impact attributed; approvals from untrusted bodies, expired
//! before the declaration or revoked are refused; a certificate claimed twice is found; a
//! supplier's new declaration propagates through `pcf impact`.
// Helpers outside `#[test]` functions fail the test on a broken fixture, like the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use pcf::certification::approval::{self, ApprovalRequest, ApprovalStatus, ApprovalVerdict};
use pcf::certification::audit::{AuditReport, AuditVerdict, CheckResult, Trace};
use pcf::certification::certificates::{Finding, FindingKind};
use pcf::certification::diff;
use pcf::certification::impact::{Action, ImpactReport};
use pcf::declaration::{self, IssueOptions};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;
use serde_json::Value;
use tempfile::TempDir;

use crate::util;

/// The steel-bracket example copied into a temporary directory.
fn example() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = util::root().join("examples/steel-bracket");
    fs::copy(src.join("inventory.toml"), dir.path().join("inventory.toml")).unwrap();
    fs::create_dir(dir.path().join("suppliers")).unwrap();
    fs::copy(
        src.join("suppliers/hot-rolled-coil.json"),
        dir.path().join("suppliers/hot-rolled-coil.json"),
    )
    .unwrap();
    fs::copy(src.join("supplier/inventory.toml"), dir.path().join("supplier.toml")).unwrap();
    dir
}

fn run_ok(cwd: &Path, args: &[&str]) -> String {
    let out = util::pcf(cwd, args);
    assert!(
        out.status.success(),
        "pcf {args:?} failed:\n{}\n{}",
        util::stdout(&out),
        util::stderr(&out)
    );
    util::stdout(&out)
}

fn read(path: &Path) -> Value {
    pcf::canonical::parse_strict(&fs::read(path).unwrap()).unwrap()
}

/// Keys and a declaration of `product` from the example, recorded in `reg`.
fn declare(dir: &Path, product: &str, out: &str) {
    if !dir.join("issuer.key").exists() {
        run_ok(dir, &["keygen", "--out", "issuer.key"]);
    }
    run_ok(
        dir,
        &[
            "declare",
            "inventory.toml",
            "--product",
            product,
            "--key",
            "issuer.key",
            "--out",
            out,
            "--register",
            "reg",
        ],
    );
}

fn audit_json(dir: &Path, args: &[&str]) -> (bool, AuditReport) {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = util::pcf(dir, &all);
    let report: AuditReport = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", util::stdout(&out), util::stderr(&out)));
    (out.status.success(), report)
}

fn checks(r: &AuditReport) -> String {
    r.checks.iter().map(|c| format!("{}: {:?}", c.name, c.result)).collect::<Vec<_>>().join("\n")
}

#[test]
fn declare_then_audit_is_identical_and_files_a_trace() {
    let tmp = example();
    let dir = tmp.path();
    declare(dir, "bracket", "bracket.json");
    let (ok, report) = audit_json(
        dir,
        &["bracket.json", "--inventory", "inventory.toml", "--register", "reg", "--out", "audit"],
    );
    assert!(ok, "{report:#?}");
    assert_eq!(report.verdict, AuditVerdict::Identical);
    insta::assert_snapshot!(checks(&report), @r"
    declaration: Same
    methodology: Same
    inventory: Same
    product: Same
    figures: Same
    upstream: Same
    certificates: Same
    ");
    assert!(report.fields.iter().all(|f| f.same));
    assert!(report.fields.iter().any(|f| f.field == "pcf/pcfExcludingBiogenicUptake"));
    assert!(report.certificates.is_empty(), "{:#?}", report.certificates);

    // The trace names every factor with its source and licence, the certificates, the
    // exclusion and the primary data share.
    let trace: Trace = serde_json::from_value(read(&dir.join("audit/trace.json"))).unwrap();
    assert_eq!(trace.format, "pcf-trace/1");
    let grid = trace.factors.iter().find(|f| f.id == "dataset.cn-grid.2022").unwrap();
    assert!(grid.source.contains("MEE"), "{}", grid.source);
    assert!(!grid.licence.is_empty());
    assert_eq!(trace.certificates.len(), 2);
    assert!(trace.certificates.iter().all(|c| c.quantity_kwh.is_some()));
    assert_eq!(trace.footprint.exclusions.len(), 1);
    assert!(trace.footprint.quality.primary_data_share.is_some());
    assert_eq!(
        trace.recomputed_pcf["pcfExcludingBiogenicUptake"],
        read(&dir.join("bracket.json"))["credentialSubject"]["productFootprint"]["pcf"]["pcfExcludingBiogenicUptake"]
    );
    let md = fs::read_to_string(dir.join("audit/report.md")).unwrap();
    assert!(md.contains("**Verdict: IDENTICAL"));
    assert!(md.contains("![Contribution chart](contributions.svg)"));
    assert!(md.contains("| dataset.cn-grid.2022 |"), "{md}");
    let svg = fs::read_to_string(dir.join("audit/contributions.svg")).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    // The same chart as `pcf footprint --svg` draws: shares, the total, process colours.
    assert_eq!(svg, pcf::chart::footprint(&trace.footprint));
    let total = pcf::report::num(trace.footprint.totals.excluding_uptake);
    assert!(svg.contains(&format!("<title>total: {total} kg CO2e (100.0 %)</title>")), "{svg}");

    // Audit files are evidence: never overwritten.
    let again = util::pcf(
        dir,
        &["audit", "bracket.json", "--inventory", "inventory.toml", "--out", "audit"],
    );
    assert_eq!(again.status.code(), Some(2), "{}", util::stderr(&again));
    assert!(util::stderr(&again).contains("never overwritten"));
}

#[test]
fn audit_names_a_changed_factor() {
    let tmp = example();
    let dir = tmp.path();
    declare(dir, "bracket", "bracket.json");
    run_ok(dir, &["audit", "bracket.json", "--inventory", "inventory.toml", "--out", "filed"]);

    // The exporter "corrects" the zinc factor after declaring.
    let text = fs::read_to_string(dir.join("inventory.toml")).unwrap();
    fs::write(dir.join("inventory.toml"), text.replace("co2e = 3.6\n", "co2e = 3.7\n")).unwrap();

    let (ok, report) = audit_json(
        dir,
        &[
            "bracket.json",
            "--inventory",
            "inventory.toml",
            "--trace",
            "filed/trace.json",
            "--out",
            "again",
        ],
    );
    assert!(!ok);
    assert_eq!(report.verdict, AuditVerdict::Differs);
    let result = |name: &str| report.checks.iter().find(|c| c.name == name).unwrap().result;
    assert_eq!(result("inventory"), CheckResult::Differs);
    assert_eq!(result("figures"), CheckResult::Differs);
    assert_eq!(result("methodology"), CheckResult::Same);
    let changes: Vec<String> = report
        .changes
        .iter()
        .map(|c| format!("{} {} {}: {:?} -> {:?}", c.what, c.id, c.field, c.old, c.new))
        .collect();
    insta::assert_snapshot!(changes.join("\n"), @"factor zinc-shg co2e: Some(Number(3.6)) -> Some(Number(3.7))");
    let total = report.fields.iter().find(|f| f.field == "pcf/pcfExcludingBiogenicUptake").unwrap();
    assert!(!total.same);
    // 0.1 kg CO2e/kg more on 30 t of zinc for a million brackets: +0.003 kg per bracket.
    assert!((total.difference.unwrap() - 0.003).abs() < 1e-6, "{total:?}");
    let md = fs::read_to_string(dir.join("again/report.md")).unwrap();
    assert!(md.contains("| factor | zinc-shg | co2e | 3.6 | 3.7 |"), "{md}");
}

/// pact-3.0 as a version 9.0.0 that moves to location-based electricity and an AR5 N2O value.
fn pact_v120(dir: &Path) -> PathBuf {
    let text = Methodology::shipped("pact-3.0").unwrap().text;
    assert!(text.contains("version = \"1.3.0\""));
    let changed = text
        .replace("version = \"1.3.0\"", "version = \"9.0.0\"")
        .replace("accounting = \"market-based\"", "accounting = \"location-based\"")
        .replace("n2o = 273.0", "n2o = 265.0")
        .replace("# Version 1.1.0 lowers", "# reformatted comment: Version 1.1.0 lowers");
    assert_ne!(text, changed);
    let path = dir.join("pact-3.0-v9.0.0.toml");
    fs::write(&path, changed).unwrap();
    path
}

#[test]
fn methodology_diff_by_meaning_with_product_impact() {
    let tmp = example();
    let dir = tmp.path();
    let b_path = pact_v120(dir);
    let a = Methodology::shipped("pact-3.0").unwrap();
    let b = Methodology::load(&b_path).unwrap();
    let d = diff::diff(&a, &b);
    let lines: Vec<String> =
        d.changes.iter().map(|c| format!("{}: {:?} -> {:?}", c.path, c.old, c.new)).collect();
    insta::assert_snapshot!(lines.join("\n"), @r#"
/electricity/accounting: Some(String("market-based")) -> Some(String("location-based"))
/gwp/factors/n2o: Some(Number(273.0)) -> Some(Number(265.0))
/version: Some(String("1.3.0")) -> Some(String("9.0.0"))
"#);
    // Same rules, other formatting: no change.
    assert!(diff::diff(&a, &a).changes.is_empty());

    let inv = Inventory::load(&dir.join("inventory.toml")).unwrap();
    let imp = diff::impact(&a, &b, &inv, &d).unwrap();
    let bracket = imp.products.iter().find(|p| p.product == "bracket").unwrap();
    let (fa, fb) = (bracket.a.kg_co2e.unwrap(), bracket.b.kg_co2e.unwrap());
    assert!(fb > fa, "location-based drops the certificates: {fa} -> {fb}");
    let effect =
        |rule: &str| bracket.attribution.iter().find(|e| e.rule == rule).unwrap().delta.unwrap();
    let electricity = effect("/electricity");
    let n2o = effect("/gwp/factors/n2o");
    assert!(electricity > 0.0);
    assert!(n2o < 0.0);
    // The certificates covered 400 + 200 MWh; at 0.5366 kg/kWh per piece that is the whole
    // electricity effect (the N2O change is tiny and the two barely interact).
    assert!(electricity > 100.0 * n2o.abs());
    assert!(bracket.interaction.unwrap().abs() < 1e-9 * fb, "{bracket:?}");
    assert!((fb - fa - electricity - n2o).abs() < 1e-9 * fb);

    // The CLI prints the same, with the attribution method stated.
    let text = run_ok(
        dir,
        &[
            "methodology",
            "diff",
            "pact-3.0",
            b_path.to_str().unwrap(),
            "--inventory",
            "inventory.toml",
        ],
    );
    assert!(text.contains("3 rule(s) and factor(s) differ"), "{text}");
    assert!(text.contains("/electricity/accounting"));
    assert!(text.contains("one-at-a-time"));
    assert!(text.contains("(interaction)"));
}

/// A declaration of the bracket issued at a fixed time, and a body's key.
fn declaration_at(dir: &Path, created: &str) -> Value {
    let inv = Inventory::load(&dir.join("inventory.toml")).unwrap();
    let m = Methodology::shipped("pact-3.0").unwrap();
    let key = pcf::keys::generate().unwrap();
    let options = IssueOptions { created: Some(created.into()), ..IssueOptions::default() };
    declaration::issue(&inv, &m, "bracket", &key, &options).unwrap().document
}

fn approval_by(key: &ed25519_dalek::SigningKey, from: &str, until: &str) -> Value {
    let m = Methodology::shipped("pact-3.0").unwrap();
    let request = ApprovalRequest {
        body: "Example Certification Body".into(),
        scope: "steel products, cradle-to-gate".into(),
        valid_from: Some(from.into()),
        valid_until: until.into(),
        created: Some(from.into()),
    };
    approval::approve(&m, key, &request).unwrap()
}

fn did(key: &ed25519_dalek::SigningKey) -> String {
    pcf::keys::did_key(&key.verifying_key())
}

#[test]
fn approvals_from_untrusted_bodies_expired_or_revoked_are_refused() {
    let tmp = example();
    let decl = declaration_at(tmp.path(), "2026-12-01T00:00:00Z");
    // With the supplier's declaration it consumed: a declaration must verify to be approved.
    let mut bundled = pcf::declaration::Bundle::new(decl.clone());
    for s in &Inventory::load(&tmp.path().join("inventory.toml")).unwrap().suppliers {
        bundled.add_upstream(s.document.clone());
    }
    let body = pcf::keys::generate().unwrap();
    let other = pcf::keys::generate().unwrap();
    let valid = approval_by(&body, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    let docs = |v: &[&Value]| -> Vec<(String, Value)> {
        v.iter().enumerate().map(|(i, d)| (format!("doc{i}"), (*d).clone())).collect()
    };

    // Trusted and valid.
    let r = approval::check(
        &decl,
        Some(&bundled),
        &pcf::declaration::VerifyOptions::default(),
        &docs(&[&valid]),
        &[did(&body)],
    )
    .unwrap();
    assert_eq!(r.verdict, ApprovalVerdict::Approved, "{r}");

    // Untrusted body.
    let r = approval::check(
        &decl,
        Some(&bundled),
        &pcf::declaration::VerifyOptions::default(),
        &docs(&[&valid]),
        &[did(&other)],
    )
    .unwrap();
    assert_eq!(r.verdict, ApprovalVerdict::NotApproved);
    assert_eq!(r.approvals[0].status, ApprovalStatus::Untrusted);

    // Expired before the declaration.
    let old = approval_by(&body, "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
    let r = approval::check(
        &decl,
        Some(&bundled),
        &pcf::declaration::VerifyOptions::default(),
        &docs(&[&old]),
        &[did(&body)],
    )
    .unwrap();
    assert_eq!(r.verdict, ApprovalVerdict::NotApproved);
    assert_eq!(r.approvals[0].status, ApprovalStatus::Expired);
    insta::assert_snapshot!(r.approvals[0].detail, @"expired 2026-01-01T00:00:00Z, before the declaration was issued 2026-12-01T00:00:00Z");

    // Revoked before the declaration: refused. Revoked after: the declaration stands.
    let before = approval::revoke(
        &valid,
        &body,
        Some("scope withdrawn"),
        Some("2026-03-01T00:00:00Z".into()),
    )
    .unwrap();
    let r = approval::check(
        &decl,
        Some(&bundled),
        &pcf::declaration::VerifyOptions::default(),
        &docs(&[&valid, &before]),
        &[did(&body)],
    )
    .unwrap();
    assert_eq!(r.verdict, ApprovalVerdict::NotApproved);
    assert_eq!(r.approvals[0].status, ApprovalStatus::Revoked);
    assert!(r.approvals[0].detail.contains("scope withdrawn"));
    let after = approval::revoke(&valid, &body, None, Some("2026-12-15T00:00:00Z".into())).unwrap();
    let r = approval::check(
        &decl,
        Some(&bundled),
        &pcf::declaration::VerifyOptions::default(),
        &docs(&[&valid, &after]),
        &[did(&body)],
    )
    .unwrap();
    assert_eq!(r.verdict, ApprovalVerdict::Approved);
    assert_eq!(r.approvals[0].status, ApprovalStatus::RevokedLater);

    // Only the body can revoke its approval; a tampered approval is rejected.
    assert!(approval::revoke(&valid, &other, None, None).is_err());
    let mut tampered = valid.clone();
    tampered["validUntil"] = "2099-01-01T00:00:00Z".into();
    let r = approval::check(
        &decl,
        Some(&bundled),
        &pcf::declaration::VerifyOptions::default(),
        &docs(&[&tampered]),
        &[did(&body)],
    )
    .unwrap();
    assert_eq!(r.verdict, ApprovalVerdict::NotApproved);
    assert_eq!(r.rejected[0].status, ApprovalStatus::Rejected);

    // Another methodology version.
    let cbam = Methodology::shipped("eu-cbam-2026").unwrap();
    let request = ApprovalRequest {
        body: "Example Certification Body".into(),
        scope: "CBAM".into(),
        valid_from: Some("2026-01-01T00:00:00Z".into()),
        valid_until: "2027-01-01T00:00:00Z".into(),
        created: None,
    };
    let wrong = approval::approve(&cbam, &body, &request).unwrap();
    let r = approval::check(
        &decl,
        Some(&bundled),
        &pcf::declaration::VerifyOptions::default(),
        &docs(&[&wrong]),
        &[did(&body)],
    )
    .unwrap();
    assert_eq!(r.approvals[0].status, ApprovalStatus::OtherMethodology);
}

#[test]
fn approve_revoke_and_verify_approval_from_the_command_line() {
    let tmp = example();
    let dir = tmp.path();
    fs::write(
        dir.join("bracket.json"),
        serde_json::to_string_pretty(&declaration_at(dir, "2026-12-01T00:00:00Z")).unwrap(),
    )
    .unwrap();
    run_ok(dir, &["keygen", "--out", "cb.key"]);
    let body = run_ok(dir, &["did", "cb.key"]).trim().to_string();
    let out = run_ok(
        dir,
        &[
            "methodology",
            "approve",
            "pact-3.0",
            "--key",
            "cb.key",
            "--scope",
            "steel",
            "--valid-from",
            "2026-01-01",
            "--valid-until",
            "2026-12-31",
            "--body",
            "CB",
            "--out",
            "approval.json",
        ],
    );
    assert!(out.contains("until 2027-01-01T00:00:00Z"), "{out}");
    let a = read(&dir.join("approval.json"));
    assert_eq!(a["credentialSubject"]["methodologyId"], "pact-3.0");
    assert_eq!(a["proof"]["proofPurpose"], "assertionMethod");

    util::pcf(dir, &["bundle", "bracket.json", "--inventory", "inventory.toml"]);
    let ok = util::pcf(
        dir,
        &[
            "verify-approval",
            "bracket.bundle.json",
            "--approval",
            "approval.json",
            "--trust-body",
            &body,
        ],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", util::stdout(&ok));
    assert!(util::stdout(&ok).starts_with("APPROVED"));
    let untrusted =
        util::pcf(dir, &["verify-approval", "bracket.bundle.json", "--approval", "approval.json"]);
    assert_eq!(untrusted.status.code(), Some(1));

    run_ok(
        dir,
        &[
            "methodology",
            "revoke",
            "approval.json",
            "--key",
            "cb.key",
            "--effective",
            "2026-02-01",
            "--reason",
            "withdrawn",
            "--out",
            "revocation.json",
        ],
    );
    let revoked = util::pcf(
        dir,
        &[
            "verify-approval",
            "bracket.bundle.json",
            "--approval",
            "approval.json",
            "--approval",
            "revocation.json",
            "--trust-body",
            &body,
        ],
    );
    assert_eq!(revoked.status.code(), Some(1));
    assert!(util::stdout(&revoked).contains("[REVOKED]"), "{}", util::stdout(&revoked));

    // A date that is not one is a usage error.
    let bad = util::pcf(
        dir,
        &[
            "methodology",
            "approve",
            "pact-3.0",
            "--key",
            "cb.key",
            "--scope",
            "s",
            "--valid-until",
            "2026-13-01",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    insta::assert_snapshot!(util::stderr(&bad).trim(), @r#"error: --valid-until "2026-13-01": write a date (2026-12-31) or an RFC 3339 UTC time (2026-12-31T00:00:00Z)"#);
}

#[test]
fn a_certificate_claimed_twice_is_found() {
    let tmp = example();
    let dir = tmp.path();
    // The bracket and the blank it is stamped from both claim the stamping presses' certificate.
    let text = fs::read_to_string(dir.join("inventory.toml")).unwrap();
    let with_id = text.replace(
        "name = \"Stamped steel blank BR-40\"",
        "name = \"Stamped steel blank BR-40\"\nproduct_ids = [\"urn:gtin:06901234567908\"]",
    );
    assert_ne!(text, with_id);
    fs::write(dir.join("inventory.toml"), with_id).unwrap();
    declare(dir, "bracket", "bracket.json");
    // Mass allocation gives the blank 850 / 935 of the presses' 400 MWh certificate, and the
    // bracket (one blank each) claims the same: 363636.36... kWh, written rounded down to the
    // Wh as 363636.363. Both together exceed the certificate, so pcf refuses the blank at
    // issuance, naming the certificate, the quantities and the declaration that holds it.
    let bracket = read(&dir.join("bracket.json"));
    let bracket_id =
        bracket["credentialSubject"]["productFootprint"]["id"].as_str().unwrap().to_string();
    let bracket_digest = pcf::canonical::digest(&bracket).unwrap();
    let refused = util::pcf(
        dir,
        &[
            "declare",
            "inventory.toml",
            "--product",
            "blank",
            "--key",
            "issuer.key",
            "--out",
            "blank.json",
            "--register",
            "reg",
        ],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", util::stdout(&refused));
    let message = util::stderr(&refused);
    for part in [
        "certificate GEC-2025-JS-000481220-000481619 would be counted twice".to_string(),
        "it holds 400000.000 kWh".to_string(),
        format!(
            "already claim 363636.363 kWh (363636.363 kWh by pf id {bracket_id} ({bracket_digest}, entry 0))"
        ),
        "this declaration would add 363636.363 kWh, 327272.726 kWh more than it holds".to_string(),
        "nothing was signed, written or registered".to_string(),
    ] {
        assert!(message.contains(&part), "{part:?} not in {message}");
    }
    assert!(!dir.join("blank.json").exists());
    let register = pcf::register::Register::open(dir.join("reg")).unwrap();
    assert_eq!(register.verify().unwrap().entries, 1, "nothing registered");
    assert_eq!(fs::read_dir(dir.join("reg/declarations")).unwrap().count(), 1, "nothing stored");

    // A register written before that check (or by another tool) can still hold the double
    // claim, with the serial in lower case and padded, and the quantity a JSON number:
    // register-claims finds it all the same.
    let legacy = register.store_declaration(br#"{"legacy":"blank"}"#).unwrap();
    let claim: pcf::register::CertificateClaim = serde_json::from_value(serde_json::json!({
        "serial": "\u{a0}gec-2025-js-000481220-000481619\t",
        "quantityKwh": 363636.36363636365,
    }))
    .unwrap();
    register
        .append(
            pcf::register::EntryKind::Declared {
                declaration: legacy,
                pf_id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301".to_string(),
                product_ids: vec!["urn:gtin:06901234567908".to_string()],
                supersedes: None,
                certificates: vec![claim],
            },
            "2026-03-01T12:00:00Z".parse().unwrap(),
        )
        .unwrap();
    let out = util::pcf(
        dir,
        &["register-claims", "--register", "reg", "--record", "inventory.toml", "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", util::stderr(&out));
    let findings: Vec<Finding> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.kind, FindingKind::OverClaimed);
    assert_eq!(f.serial, "GEC-2025-JS-000481220-000481619");
    assert_eq!(f.quantity_kwh, Some(400_000.0));
    assert_eq!(f.claims.len(), 2);
    // 363636.363 (decimal) + 363636.363 (the float, rounded down to the Wh), exactly.
    assert_eq!(f.claimed_kwh, 727_272.726);

    // The register alone now finds it (the quantities are recorded), and so does an audit.
    let again = util::pcf(dir, &["register-claims", "--register", "reg"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(util::stdout(&again).starts_with("DOUBLE COUNTED: GEC-2025-JS-000481220-000481619"));
    let (ok, report) = audit_json(
        dir,
        &["bracket.json", "--inventory", "inventory.toml", "--register", "reg", "--out", "a"],
    );
    assert!(!ok);
    let c = report.checks.iter().find(|c| c.name == "certificates").unwrap();
    assert_eq!(c.result, CheckResult::Differs);

    // Recording the same serial with another quantity is a conflict.
    let text = fs::read_to_string(dir.join("inventory.toml")).unwrap();
    fs::write(
        dir.join("changed.toml"),
        text.replace("quantity = 400, unit = \"MWh\"", "quantity = 500, unit = \"MWh\""),
    )
    .unwrap();
    let conflict = util::pcf(
        dir,
        &["register-claims", "--register", "reg", "--record", "changed.toml", "--json"],
    );
    let findings: Vec<Finding> = serde_json::from_slice(&conflict.stdout).unwrap();
    assert!(findings.iter().any(|f| f.kind == FindingKind::QuantityConflict));
}

#[test]
fn a_supplier_change_propagates_through_impact() {
    let tmp = example();
    let dir = tmp.path();
    declare(dir, "bracket", "bracket.json");
    // The steelworks cuts its direct CO2 and issues a new declaration of the same coil.
    let text = fs::read_to_string(dir.join("supplier.toml")).unwrap();
    fs::write(
        dir.join("supplier.toml"),
        text.replace(
            "{ gas = \"co2-fossil\", amount = 1650000, unit = \"t\" }",
            "{ gas = \"co2-fossil\", amount = 1450000, unit = \"t\" }",
        ),
    )
    .unwrap();
    run_ok(dir, &["keygen", "--out", "steel.key"]);
    run_ok(
        dir,
        &[
            "declare",
            "supplier.toml",
            "--product",
            "coil",
            "--key",
            "steel.key",
            "--out",
            "coil-2.json",
            "--register",
            "steel-reg",
        ],
    );

    let out = util::pcf(
        dir,
        &[
            "impact",
            "--register",
            "reg",
            "--supplier",
            "coil-2.json",
            "--inventory",
            "inventory.toml",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", util::stderr(&out));
    let report: ImpactReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.active, 1);
    assert_eq!(report.affected.len(), 1);
    let a = &report.affected[0];
    assert_eq!(a.action, Action::Reissue);
    assert!(a.why.contains("urn:pact:product:customcode:vendor-assigned:HRC-S355"), "{}", a.why);
    // 0.2 kg CO2 less per kg of coil, 0.935 kg of coil per bracket (mass share 850/935):
    // 0.2 * 0.935 * 850 / 935 = 0.17 kg CO2e less per bracket.
    assert!((a.change.unwrap() + 0.17).abs() < 2e-6, "{a:?}");

    // With a generous threshold it is kept; without its inventory it is unknown.
    let keep: ImpactReport = serde_json::from_slice(
        &util::pcf(
            dir,
            &[
                "impact",
                "--register",
                "reg",
                "--supplier",
                "coil-2.json",
                "--inventory",
                "inventory.toml",
                "--threshold",
                "50",
                "--json",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(keep.affected[0].action, Action::Keep);
    let text = fs::read_to_string(dir.join("inventory.toml")).unwrap();
    fs::write(dir.join("edited.toml"), text.replace("amount = 168300", "amount = 170000")).unwrap();
    let unknown: ImpactReport = serde_json::from_slice(
        &util::pcf(
            dir,
            &[
                "impact",
                "--register",
                "reg",
                "--supplier",
                "coil-2.json",
                "--inventory",
                "edited.toml",
                "--json",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(unknown.affected[0].action, Action::Unknown);
    assert!(unknown.affected[0].detail.contains("was not given with --inventory"));
    // Without any inventory the old supplier declaration cannot be recognized: said so.
    let blind: ImpactReport = serde_json::from_slice(
        &util::pcf(dir, &["impact", "--register", "reg", "--supplier", "coil-2.json", "--json"])
            .stdout,
    )
    .unwrap();
    assert!(blind.affected.is_empty());
    assert_eq!(blind.unmatched.len(), 1, "{blind:?}");

    // A new methodology version affects it too.
    let b = pact_v120(dir);
    let m: ImpactReport = serde_json::from_slice(
        &util::pcf(
            dir,
            &[
                "impact",
                "--register",
                "reg",
                "--methodology",
                b.to_str().unwrap(),
                "--inventory",
                "inventory.toml",
                "--json",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(m.affected.len(), 1);
    assert_eq!(m.affected[0].action, Action::Reissue);
    assert!(m.affected[0].change.unwrap() > 0.0);
}

#[test]
fn cbam_default_value_with_its_2026_mark_up_matches_the_official_value() {
    use pcf::dataset::Dataset;
    // Implementing Regulation (EU) 2025/2621, country table for China, CN 7208 (hot-rolled flat
    // products): 3.19 t CO2e/t before the mark-up, 3.51 with the 10 % mark-up of 2026, as the
    // Official Journal prints them (two decimals). Since 2026.2 the dataset holds the workbook's
    // full precision (3.186893 and 3.505582); 7208 38 00 falls under the heading 7208 listed.
    const OFFICIAL_2026: f64 = 3.51;
    let d = Dataset::shipped("eu-cbam-default-values").unwrap();
    let v = d.cbam("7208 38 00", "CN", 2026).unwrap();
    assert_eq!((v.good.as_str(), v.total, v.published), ("7208", 3.186893, 3.505582));
    assert_eq!(v.markup_percent, 10.0);
    assert_eq!(format!("{:.2}", v.published).parse::<f64>().unwrap(), OFFICIAL_2026);
    assert!(v.agrees);
    // 2027 and 2028 take 20 % and 30 %, and later years keep the 2028 column.
    for (year, pct, published) in
        [(2027, 20.0, 3.824271), (2028, 30.0, 4.14296), (2031, 30.0, 4.14296)]
    {
        let v = d.cbam("72083800", "CN", year).unwrap();
        assert_eq!((v.markup_percent, v.published, v.agrees), (pct, published, true), "{year}");
    }
    // The version this test was first written against (2026.1, four rounded China values)
    // is archived and still gives 3.19 and 3.51.
    let old = Dataset::shipped_version("eu-cbam-default-values", "2026.1").unwrap();
    let row = old.file.cbam.unwrap().defaults.into_iter().find(|r| r.cn == "72083800").unwrap();
    assert_eq!((row.direct, row.published["2026"]), (3.19, OFFICIAL_2026));

    let out = run_ok(&util::root(), &["dataset", "cbam", "7208 38 00", "--year", "2026"]);
    insta::assert_snapshot!(out.lines().next().unwrap(), @r#"CN 7208 38 00 (listed as 7208) from CN, 2026: 3.505582 t CO2e/t including the 10 % mark-up"#);
}

#[test]
fn datasets_carry_source_licence_digest_and_are_referenced_from_inventories() {
    use pcf::dataset::{self, Dataset};
    let grid = Dataset::shipped("cn-grid").unwrap();
    let co2 = |id: &str| grid.factor(id).unwrap().gases["co2-fossil"];
    // MEE/NBS announcements (2021: April 2024; 2022: December 2024; 2023: January 2026).
    assert_eq!(co2("2021"), 0.5568);
    assert_eq!(co2("2021-excluding-market-non-fossil"), 0.5942);
    assert_eq!(co2("2022"), 0.5366);
    assert_eq!(co2("2022-excluding-market-non-fossil"), 0.5856);
    assert_eq!(co2("2023"), 0.5306);
    assert_eq!(co2("2023-excluding-market-non-fossil"), 0.6096);
    assert_eq!(grid.factor("2023-footprint").unwrap().co2e, Some(0.6205));
    assert!(grid.file.dataset.licence.contains("Copyright Law art. 5"));

    // The GWP datasets are the tables the methodologies carry.
    let g = Dataset::shipped("gwp-ar6").unwrap().file.gwp.unwrap();
    assert_eq!(g.factors, Methodology::shipped("pact-3.0").unwrap().rules.gwp.factors, "gwp-ar6");
    // eu-cbam-2026 2.0.0 carries only the CBAM gases (Annex I of Regulation (EU) 2023/956),
    // each at its AR5 value.
    let ar5 = Dataset::shipped("gwp-ar5").unwrap().file.gwp.unwrap();
    for (gas, v) in Methodology::shipped("eu-cbam-2026").unwrap().rules.gwp.factors {
        assert_eq!(ar5.factors.get(&gas), Some(&v), "gwp-ar5 {gas}");
    }
    let ar4 = Dataset::shipped("gwp-ar4").unwrap().file.gwp.unwrap();
    assert_eq!((ar4.factors["ch4-fossil"], ar4.factors["n2o"]), (25.0, 298.0));

    // The digest covers values, not comments or formatting.
    let text = fs::read_to_string(util::root().join("datasets/cn-grid.toml")).unwrap();
    let reformatted = format!("# another comment\n{}", text.replace(" = ", "="));
    let again = Dataset::from_text(Path::new("cn-grid.toml"), &reformatted, "test").unwrap();
    assert_eq!(again.digest(), grid.digest());
    let changed =
        Dataset::from_text(Path::new("cn-grid.toml"), &text.replace("0.5306", "0.5307"), "test")
            .unwrap();
    assert_ne!(changed.digest(), grid.digest());

    // An inventory refers to dataset factors; loading expands them with source and pin.
    let tmp = example();
    let dir = tmp.path();
    let inv_text = fs::read_to_string(dir.join("inventory.toml")).unwrap();
    fs::write(
        dir.join("ds.toml"),
        inv_text.replace("factor = \"dataset:cn-grid@2022\"", "factor = \"dataset:cn-grid@2023\""),
    )
    .unwrap();
    let (inv, used) = dataset::load_inventory(&dir.join("ds.toml")).unwrap();
    let combustion = Dataset::shipped("ipcc-2006-stationary-combustion").unwrap();
    assert_eq!(used, vec![grid.reference(), combustion.reference()]);
    let f = inv.factors.iter().find(|f| f.id == "dataset.cn-grid.2023").unwrap();
    assert!(f.source.contains("0.5306"));
    assert_eq!(f.dataset.as_deref(), Some(format!("cn-grid 2026.3 {}", grid.digest()).as_str()));
    let fp = pcf::engine::footprint(&inv, &Methodology::shipped("pact-3.0").unwrap()).unwrap();
    assert!(fp.products[0].totals.excluding_uptake > 0.0);
    let expanded = run_ok(dir, &["dataset", "expand", "ds.toml"]);
    assert!(expanded.contains("\"dataset.cn-grid.2023\""));
}

#[test]
fn audit_finds_an_unshipped_methodology_in_the_bundle_by_digest() {
    let tmp = example();
    let dir = tmp.path();
    let m = pact_v120(dir);
    let m = m.to_str().unwrap();
    run_ok(dir, &["keygen", "--out", "issuer.key"]);
    run_ok(
        dir,
        &[
            "declare",
            "inventory.toml",
            "--product",
            "bracket",
            "-m",
            m,
            "--key",
            "issuer.key",
            "--out",
            "b.json",
            "--register",
            "reg",
        ],
    );
    run_ok(
        dir,
        &["bundle", "b.json", "--methodology", m, "--register", "reg", "--out", "b.bundle.json"],
    );

    // Without the bundle the pinned methodology cannot be found: an input error, not a guess.
    let lost = util::pcf(dir, &["audit", "b.json", "--inventory", "inventory.toml", "--out", "x"]);
    assert_eq!(lost.status.code(), Some(1));
    assert!(
        util::stderr(&lost).contains("pins methodology pact-3.0 9.0.0"),
        "{}",
        util::stderr(&lost)
    );

    // From the bundle (given as the declaration or with --bundle) it is identical.
    let (ok, report) =
        audit_json(dir, &["b.bundle.json", "--inventory", "inventory.toml", "--out", "y"]);
    assert!(ok, "{report:#?}");
    let (ok, _) = audit_json(
        dir,
        &["b.json", "--bundle", "b.bundle.json", "--inventory", "inventory.toml", "--out", "z"],
    );
    assert!(ok);

    // Given the shipped pact-3.0 instead, the audit says the digests differ and what moves.
    let (ok, report) = audit_json(
        dir,
        &["b.json", "-m", "pact-3.0", "--inventory", "inventory.toml", "--out", "w"],
    );
    assert!(!ok);
    let c = report.checks.iter().find(|c| c.name == "methodology").unwrap();
    assert_eq!(c.result, CheckResult::Differs);
    assert!(report.fields.iter().any(|f| f.field == "pcf/pcfExcludingBiogenicUptake" && !f.same));
}

#[test]
fn methodology_diff_json_has_the_documented_shape() {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Output {
        diff: diff::MethodologyDiff,
        impact: Option<diff::Impact>,
    }
    let tmp = example();
    let out = run_ok(
        tmp.path(),
        &[
            "methodology",
            "diff",
            "iso-14067-2018",
            "gb-t-24067-2024",
            "--inventory",
            "inventory.toml",
            "--json",
        ],
    );
    let parsed: Output = serde_json::from_str(&out).unwrap();
    assert_eq!(parsed.diff.a.id, "iso-14067-2018");
    assert!(parsed.diff.changes.iter().all(|c| c.old != c.new));
    let impact = parsed.impact.unwrap();
    assert_eq!(impact.products.len(), 3);
    assert!(impact.method.starts_with("one-at-a-time"));
}
