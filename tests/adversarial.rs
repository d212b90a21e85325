//! Verification as an attacker tries it: each way `pcf verify` (and every command that relies on
//! a declaration) could accept something false, with variations. Mutated documents are
//! re-signed with the issuer's own key where the point is to reach one check alone: the proof
//! passes, and only the check under test may fail.

// `allow-unwrap-in-tests` covers only `#[test]` functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};

use pcf::declaration::verify::{self, Standing};
use pcf::declaration::{Bundle, Report, Verdict, VerifyOptions};
use pcf::time::Instant;

use crate::util::{pcf, stderr, stdout};

/// A workspace with the bracket declared, bundled (with a register excerpt) and the issuer's key.
struct Fixture {
    dir: tempfile::TempDir,
    key: SigningKey,
    did: String,
    supplier_did: String,
    doc: Value,
    bundle: Bundle,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = crate::util::bracket_example();
        let supplier = dir.path().join("suppliers/hot-rolled-coil.json");
        ok(dir.path(), &["keygen", "--out", "issuer.key"]);
        let key = pcf::keys::read_private_key(&dir.path().join("issuer.key")).unwrap();
        let did = pcf::keys::did_key(&key.verifying_key());
        ok(
            dir.path(),
            &[
                "declare",
                "inventory.toml",
                "--product",
                "bracket",
                "--key",
                "issuer.key",
                "--out",
                "b.json",
            ],
        );
        ok(dir.path(), &["bundle", "b.json", "--inventory", "inventory.toml"]);
        let doc = read(&dir.path().join("b.json"));
        let bundle: Bundle =
            serde_json::from_value(read(&dir.path().join("b.bundle.json"))).unwrap();
        let supplier_doc = read(&supplier);
        let supplier_did = supplier_doc["issuer"]["id"].as_str().unwrap().to_string();
        Fixture { dir, key, did, supplier_did, doc, bundle }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn options(&self) -> VerifyOptions {
        VerifyOptions {
            trust: vec![self.did.clone(), self.supplier_did.clone()],
            ..Default::default()
        }
    }

    /// `doc` verified with the bundle's suppliers and methodology but no register excerpt.
    fn verify_without_excerpt(&self, doc: &Value) -> Report {
        let mut b = self.bundle.clone();
        b.declaration = doc.clone();
        b.register_excerpt = None;
        verify::verify(doc, Some(&b), &self.options())
    }

    fn write(&self, name: &str, v: &Value) {
        fs::write(self.path().join(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
    }

    fn verify_cli(&self, args: &[&str]) -> (i32, Report) {
        let mut all = vec!["verify"];
        all.extend(args);
        all.extend(["--trust", &self.did, "--trust", &self.supplier_did, "--json"]);
        let out = pcf(self.path(), &all);
        let report: Report = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not a report ({e}): {}{}", stdout(&out), stderr(&out)));
        (out.status.code().unwrap(), report)
    }
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = pcf(dir, args);
    assert!(out.status.success(), "pcf {args:?}: {}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

fn read(path: &Path) -> Value {
    pcf::canonical::parse_strict(&fs::read(path).unwrap()).unwrap()
}

/// `doc` without its proof, re-signed by `key` (the issuer named is left as it is).
fn resign(doc: &Value, key: &SigningKey) -> Value {
    resign_with(doc, key, None)
}

/// Like [`resign`], with a proof `expires` time.
fn resign_with(doc: &Value, key: &SigningKey, expires: Option<&str>) -> Value {
    let mut unsigned = doc.clone();
    let old = unsigned.as_object_mut().unwrap().shift_remove("proof").unwrap();
    let mut config = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": old["created"],
        "verificationMethod": pcf::keys::did_key_verification_method(&key.verifying_key()),
        "proofPurpose": "assertionMethod",
    });
    if let Some(e) = expires {
        config["expires"] = json!(e);
    }
    if let Some(c) = unsigned.get("@context") {
        config["@context"] = c.clone();
    }
    let hash = pcf::proof::HashData::new(&unsigned, &config).unwrap();
    let signature = key.sign(&hash.bytes());
    config["proofValue"] = json!(format!("z{}", pcf::keys::base58_encode(&signature.to_bytes())));
    unsigned["proof"] = config;
    unsigned
}

/// The names of the failed checks.
fn failed(r: &Report) -> Vec<String> {
    r.failures_except(&[]).iter().map(|c| c.name.clone()).collect()
}

fn check<'a>(r: &'a Report, name: &str) -> &'a pcf::declaration::Check {
    r.checks.iter().find(|c| c.name.starts_with(name)).unwrap_or_else(|| panic!("no {name}: {r}"))
}

/// `doc` with the value at `pointer` set (a missing last member is added).
fn set(doc: &Value, pointer: &str, value: Value) -> Value {
    let mut d = doc.clone();
    let (parent, field) = pointer.rsplit_once('/').unwrap();
    let target = d.pointer_mut(parent).unwrap_or_else(|| panic!("{pointer}"));
    match target {
        Value::Array(a) => a[field.parse::<usize>().unwrap()] = value,
        other => other[field] = value,
    }
    d
}

// ---------------------------------------------------------------------------------------------
// 1. The verdict says what a buyer needs to know

#[test]
fn a_superseded_declaration_is_not_current_whatever_the_bundle_carries() {
    let f = Fixture::new();
    ok(
        f.path(),
        &[
            "declare",
            "inventory.toml",
            "--product",
            "bracket",
            "--key",
            "issuer.key",
            "--out",
            "b2.json",
            "--supersedes",
            "b.json",
        ],
    );
    let v2 = read(&f.path().join("b2.json"));
    let v2_id = v2["credentialSubject"]["productFootprint"]["id"].as_str().unwrap().to_string();
    ok(
        f.path(),
        &["bundle", "b.json", "--inventory", "inventory.toml", "--out", "old.bundle.json"],
    );

    // The register excerpt shows the replacement: exit 3, with the id of the new one.
    let (code, r) = f.verify_cli(&["old.bundle.json"]);
    assert_eq!(
        (code, r.verdict, r.status.standing),
        (3, Verdict::NotCurrent, Standing::Superseded),
        "{r}"
    );
    assert_eq!(r.status.superseded_by.as_deref(), Some(v2_id.as_str()));
    let register = &check(&r, "register").detail;
    assert!(register.starts_with("registered at entry 0; superseded by"), "{register}");
    assert!(register.contains("(register entry 1, "), "{register}");

    // The excerpt removed: nothing shows it current, so the verdict is not VALID either.
    let mut b: Bundle = serde_json::from_value(read(&f.path().join("old.bundle.json"))).unwrap();
    b.register_excerpt = None;
    f.write("stripped.json", &serde_json::to_value(&b).unwrap());
    let (code, r) = f.verify_cli(&["stripped.json"]);
    assert_eq!(
        (code, r.verdict, r.status.standing),
        (3, Verdict::StatusUnknown, Standing::Unknown),
        "{r}"
    );
    assert!(r.status.reasons[0].contains("no register excerpt"), "{r}");

    // The excerpt keeps only the old entry but names the genuine head: refused, not "active".
    let mut b: Bundle = serde_json::from_value(read(&f.path().join("old.bundle.json"))).unwrap();
    let ex = b.register_excerpt.as_mut().unwrap();
    assert!(ex.entries.len() >= 2, "the excerpt runs to the head");
    ex.entries.truncate(1);
    f.write("hidden.json", &serde_json::to_value(&b).unwrap());
    let (code, r) = f.verify_cli(&["hidden.json"]);
    assert_eq!((code, r.verdict), (1, Verdict::Invalid), "{r}");
    assert!(check(&r, "register").detail.contains("entries between are missing"), "{r}");

    // ... or drops the superseding entry from the middle (a gap): refused too.
    let mut b: Bundle = serde_json::from_value(read(&f.path().join("old.bundle.json"))).unwrap();
    let ex = b.register_excerpt.as_mut().unwrap();
    let n = ex.entries.len();
    ex.entries.remove(n - 2);
    f.write("gap.json", &serde_json::to_value(&b).unwrap());
    let (code, r) = f.verify_cli(&["gap.json"]);
    assert_eq!((code, r.verdict), (1, Verdict::Invalid), "{r}");

    // A bundle that carries the newer declaration itself says so even without an excerpt.
    let mut b: Bundle = serde_json::from_value(read(&f.path().join("old.bundle.json"))).unwrap();
    b.register_excerpt = None;
    b.upstream.push(v2);
    let r = verify::verify(&b.declaration, Some(&b), &f.options());
    assert_eq!(r.status.standing, Standing::Superseded, "{r}");
    assert_eq!(r.status.superseded_by.as_deref(), Some(v2_id.as_str()));

    // The new one is valid and current.
    ok(f.path(), &["bundle", "b2.json", "--inventory", "inventory.toml"]);
    let (code, r) = f.verify_cli(&["b2.bundle.json"]);
    assert_eq!((code, r.verdict), (0, Verdict::Valid), "{r}");
}

#[test]
fn a_status_the_issuer_signed_is_read() {
    let f = Fixture::new();
    let deprecated = resign(
        &set(&f.doc, "/credentialSubject/productFootprint/status", json!("Deprecated")),
        &f.key,
    );
    let r = f.verify_without_excerpt(&deprecated);
    assert!(failed(&r).is_empty(), "{r}");
    assert_eq!((r.verdict, r.status.standing), (Verdict::NotCurrent, Standing::Deprecated), "{r}");
    assert!(r.status.reasons.iter().any(|w| w.contains("signed it with status Deprecated")));
    // A status PACT does not know is not a status.
    let odd = resign(
        &set(&f.doc, "/credentialSubject/productFootprint/status", json!("Withdrawn")),
        &f.key,
    );
    assert_eq!(f.verify_without_excerpt(&odd).verdict, Verdict::Invalid);
}

#[test]
fn validity_windows_are_checked_at_the_instant_judged() {
    let f = Fixture::new();
    let now = Instant::now();
    let future = now.plus_days(30).unwrap().to_string();
    let past = now.plus_days(-30).unwrap().to_string();
    let cases = [
        ("/validFrom", json!(future), Standing::NotYetValid),
        ("/credentialSubject/productFootprint/created", json!(future), Standing::NotYetValid),
        (
            "/credentialSubject/productFootprint/validityPeriodStart",
            json!(future),
            Standing::NotYetValid,
        ),
        ("/credentialSubject/productFootprint/validityPeriodEnd", json!(past), Standing::Expired),
    ];
    for (pointer, value, expected) in cases {
        let mut d = f.doc.clone();
        let parent = &pointer[..pointer.rfind('/').unwrap()];
        let field = &pointer[pointer.rfind('/').unwrap() + 1..];
        let target = if parent.is_empty() { &mut d } else { d.pointer_mut(parent).unwrap() };
        target[field] = value;
        let r = f.verify_without_excerpt(&resign(&d, &f.key));
        assert!(failed(&r).is_empty(), "{pointer}: {r}");
        assert_eq!(
            (r.verdict, r.status.standing),
            (Verdict::NotCurrent, expected),
            "{pointer}: {r}"
        );
    }
    // validUntil (VC) in the past, and the proof's own expiry.
    let mut d = f.doc.clone();
    d["validUntil"] = json!(now.plus_days(-1).unwrap().to_string());
    d["validFrom"] = json!(now.plus_days(-2).unwrap().to_string());
    let r = f.verify_without_excerpt(&resign(&d, &f.key));
    assert_eq!((r.verdict, r.status.standing), (Verdict::NotCurrent, Standing::Expired), "{r}");
    let expired_proof = resign_with(&f.doc, &f.key, Some(&past));
    let r = f.verify_without_excerpt(&expired_proof);
    assert_eq!((r.verdict, r.status.standing), (Verdict::NotCurrent, Standing::Expired), "{r}");
    let live_proof = resign_with(&f.doc, &f.key, Some(&future));
    assert_eq!(f.verify_without_excerpt(&live_proof).status.standing, Standing::Unknown);

    // --at: before it was issued, and past the PACT default validity (reference end + 3 years).
    let (code, r) = f.verify_cli(&["b.bundle.json", "--at", "2026-01-01"]);
    assert_eq!((code, r.status.standing), (3, Standing::NotYetValid), "{r}");
    let (code, r) = f.verify_cli(&["b.bundle.json", "--at", "2030-06-01T00:00:00Z"]);
    assert_eq!((code, r.status.standing), (3, Standing::Expired), "{r}");
    assert!(r.status.reasons.iter().any(|w| w.contains("+ 3 years")), "{r}");
    let (code, r) = f.verify_cli(&["b.bundle.json", "--at", &future]);
    assert_eq!((code, r.verdict), (0, Verdict::Valid), "{r}");
    // A time that is not one is a usage error.
    let out = pcf(f.path(), &["verify", "b.bundle.json", "--at", "2026-13-01"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // A malformed time is a failure, never a panic.
    for bad in ["2026-01-01T00:00:0éZ", "2026-01-01", "tomorrow", ""] {
        let r = f.verify_without_excerpt(&resign(&set(&f.doc, "/validFrom", json!(bad)), &f.key));
        assert_eq!(r.verdict, Verdict::Invalid, "{bad}: {r}");
        assert!(failed(&r).contains(&"validity".to_string()), "{bad}: {r}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. One verification, everywhere

#[test]
fn approvals_never_apply_to_a_declaration_that_does_not_verify() {
    let f = Fixture::new();
    ok(f.path(), &["keygen", "--out", "cb.key"]);
    let body = pcf::keys::did_key(
        &pcf::keys::read_private_key(&f.path().join("cb.key")).unwrap().verifying_key(),
    );
    ok(
        f.path(),
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
            "2027-12-31",
            "--out",
            "approval.json",
        ],
    );
    let approve = |file: &str| {
        let a = pcf(
            f.path(),
            &["verify-approval", file, "--approval", "approval.json", "--trust-body", &body],
        );
        (a.status.code(), stdout(&a))
    };
    let (code, text) = approve("b.bundle.json");
    assert_eq!(code, Some(0), "{text}");

    // An edited copy (validFrom moved, not re-signed), alone or inside the bundle.
    f.write("moved.json", &set(&f.doc, "/validFrom", json!("2026-02-01T00:00:00Z")));
    let (code, text) = approve("moved.json");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("does not verify"), "{text}");
    let mut b = f.bundle.clone();
    b.declaration = set(&f.doc, "/validFrom", json!("2026-02-01T00:00:00Z"));
    f.write("moved.bundle.json", &serde_json::to_value(&b).unwrap());
    assert_eq!(approve("moved.bundle.json").0, Some(1));

    // A bare object holding only the provenance extension.
    let bare = json!({ "credentialSubject": { "extensions": f.doc["credentialSubject"]["productFootprint"]["extensions"] }, "validFrom": f.doc["validFrom"] });
    f.write("bare.json", &bare);
    let (code, text) = approve("bare.json");
    assert_eq!(code, Some(1), "{text}");

    // The same through pcf verify --approval: INVALID, not approved.
    let out = pcf(
        f.path(),
        &[
            "verify",
            "moved.json",
            "--bundle",
            "b.bundle.json",
            "--trust",
            &f.did,
            "--approval",
            "approval.json",
            "--trust-body",
            &body,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

#[test]
fn audit_and_declare_refuse_what_verify_refuses() {
    let f = Fixture::new();
    // Names issuer A (the fixture's), signed by key B.
    let other = pcf::keys::generate().unwrap();
    f.write("forged.json", &resign(&f.doc, &other));
    let out =
        pcf(f.path(), &["audit", "forged.json", "--inventory", "inventory.toml", "--out", "audit"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("signed by did:key:"), "{}", stdout(&out));

    // Suppliers' declarations: issuer named is not the signer; an unsigned @context appended.
    let supplier_path = f.path().join("suppliers/hot-rolled-coil.json");
    let supplier = read(&supplier_path);
    let signer = pcf::keys::generate().unwrap();
    let variants = [
        ("issuer is not signer", resign(&supplier, &signer)),
        ("appended @context", {
            let mut s = supplier.clone();
            s["@context"].as_array_mut().unwrap().push(json!("https://example.com/extra"));
            s
        }),
    ];
    for (what, doc) in variants {
        fs::write(&supplier_path, serde_json::to_vec(&doc).unwrap()).unwrap();
        // A register of its own: the fixture's already holds the bracket's certificate claims.
        let out = pcf(
            f.path(),
            &[
                "declare",
                "inventory.toml",
                "--product",
                "bracket",
                "--key",
                "issuer.key",
                "--out",
                "x.json",
                "--register",
                "other-register",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stdout(&out));
        assert!(stderr(&out).contains("supplier declaration"), "{what}: {}", stderr(&out));
        assert!(!f.path().join("x.json").exists(), "{what}");
    }
}

#[test]
fn impact_says_when_a_replacement_comes_from_another_issuer() {
    let f = Fixture::new();
    let supplier = read(&f.path().join("suppliers/hot-rolled-coil.json"));
    let mut replacement = supplier.clone();
    replacement["credentialSubject"]["productFootprint"]["precedingPfIds"] =
        json!([supplier["credentialSubject"]["productFootprint"]["id"]]);
    replacement["credentialSubject"]["productFootprint"]["id"] =
        json!("6d1f4cde-0000-4000-8000-000000000001");
    replacement["credentialSubject"]["id"] = json!("urn:uuid:6d1f4cde-0000-4000-8000-000000000001");
    let stranger = pcf::keys::generate().unwrap();
    let stranger_did = pcf::keys::did_key(&stranger.verifying_key());
    replacement["issuer"]["id"] = json!(stranger_did);
    f.write("new-coil.json", &resign(&replacement, &stranger));
    let out = pcf(
        f.path(),
        &[
            "impact",
            "--register",
            ".pcf-register",
            "--supplier",
            "new-coil.json",
            "--inventory",
            "inventory.toml",
        ],
    );
    let text = stdout(&out);
    assert!(
        text.contains(&format!("issued by {stranger_did}, not by {}", f.supplier_did)),
        "{text}{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Supply chains are DAGs

/// A copy of `base` consuming `upstream` (each verified), with a fresh id, signed by `key`.
fn consuming(base: &Value, upstream: &[&Value], key: &SigningKey, n: usize) -> Value {
    let mut d = base.clone();
    d["credentialSubject"]["productFootprint"]["id"] =
        json!(format!("00000000-0000-4000-8000-{n:012}"));
    d["credentialSubject"]["id"] = json!(format!("urn:uuid:00000000-0000-4000-8000-{n:012}"));
    let refs: Vec<Value> = upstream
        .iter()
        .map(|u| {
            json!({
                "digest": pcf::canonical::digest(u).unwrap().to_string(),
                "pfId": u["credentialSubject"]["productFootprint"]["id"],
                "issuer": u["issuer"]["id"],
                "verified": true,
            })
        })
        .collect();
    let ext = d["credentialSubject"]["productFootprint"]["extensions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["dataSchema"] == pcf::declaration::PROVENANCE_SCHEMA)
        .unwrap();
    ext["data"]["upstream"] = json!(refs);
    resign(&d, key)
}

#[test]
fn a_supplier_reached_by_two_paths_verifies_and_depth_is_bounded() {
    let f = Fixture::new();
    let coil = read(&f.path().join("suppliers/hot-rolled-coil.json"));
    // A widget uses the coil directly and through a sheet supplier that also uses it.
    let sheet = consuming(&f.doc, &[&coil], &f.key, 1);
    let widget = consuming(&f.doc, &[&coil, &sheet], &f.key, 2);
    let mut b = Bundle::new(widget.clone());
    b.upstream = vec![coil.clone(), sheet];
    b.methodologies = f.bundle.methodologies.clone();
    let r = verify::verify(&widget, Some(&b), &f.options());
    assert!(failed(&r).is_empty(), "{r}");
    assert_eq!(r.checks.iter().filter(|c| c.name.starts_with("upstream")).count(), 2);

    // A chain exactly MAX_DEPTH deep verifies; one deeper is refused with a clear message.
    let mut chain = vec![coil];
    for n in 0..=verify::MAX_DEPTH {
        let next = consuming(&f.doc, &[chain.last().unwrap()], &f.key, 10 + n);
        chain.push(next);
    }
    let mut b = Bundle::new(Value::Null);
    b.upstream = chain.clone();
    let at_limit = &chain[verify::MAX_DEPTH];
    let r = verify::verify(at_limit, Some(&b), &f.options());
    assert!(failed(&r).is_empty(), "{r}");
    let too_deep = chain.last().unwrap();
    let r = verify::verify(too_deep, Some(&b), &f.options());
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(r.failure_summary(&[]).contains("deeper than 16"), "{r}");
}

// ---------------------------------------------------------------------------------------------
// 4. Bounded work on hostile input

#[test]
fn hostile_sizes_are_refused_before_the_work() {
    let f = Fixture::new();
    // A proofValue of 80 kB and of 300 kB.
    for len in [80_000, 300_000] {
        let d = set(&f.doc, "/proof/proofValue", json!(format!("z{}", "2".repeat(len))));
        let r = f.verify_without_excerpt(&d);
        assert!(check(&r, "proof").detail.contains("characters"), "{}", check(&r, "proof").detail);
    }
    // A key of 300 kB in the verification method.
    let d = set(
        &f.doc,
        "/proof/verificationMethod",
        json!(format!("did:key:z{}", "2".repeat(300_000))),
    );
    assert_eq!(f.verify_without_excerpt(&d).verdict, Verdict::Invalid);

    // A bundle file above the limit: a clear error, nothing parsed.
    let big = vec![b' '; verify::MAX_BUNDLE_BYTES as usize + 1];
    fs::write(f.path().join("big.json"), big).unwrap();
    let out = pcf(f.path(), &["verify", "big.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("larger than"), "{}", stderr(&out));

    // A declaration above the document limit.
    let mut d = f.doc.clone();
    d["credentialSubject"]["productFootprint"]["comment"] =
        json!("x".repeat(verify::MAX_DOCUMENT_BYTES));
    let r = f.verify_without_excerpt(&d);
    assert_eq!(failed(&r), ["size"], "{r}");

    // 4,000 upstream references to one supplier: refused as repeated, each checked once (the
    // time is measured in the benchmark).
    let coil = read(&f.path().join("suppliers/hot-rolled-coil.json"));
    let refs: Vec<&Value> = std::iter::repeat_n(&coil, 4000).collect();
    let many = consuming(&f.doc, &refs, &f.key, 99);
    let mut b = Bundle::new(many.clone());
    b.upstream = vec![coil.clone()];
    let r = verify::verify(&many, Some(&b), &f.options());
    assert_eq!(failed(&r), ["upstream"], "{}", r.failure_summary(&[]));
    assert!(r.failure_summary(&[]).contains("4000 times"), "{}", r.failure_summary(&[]));
    assert_eq!(r.checks.iter().filter(|c| c.name.starts_with("upstream")).count(), 2);
}

// ---------------------------------------------------------------------------------------------
// 8 and 10. Each check reached alone, with the document re-signed by its issuer

#[test]
fn each_check_fails_alone_on_a_resigned_document() {
    let f = Fixture::new();
    let clean = f.verify_without_excerpt(&f.doc);
    assert!(failed(&clean).is_empty(), "{clean}");
    assert_eq!(clean.verdict, Verdict::StatusUnknown);

    let pcf_ = "/credentialSubject/productFootprint/pcf";
    let prov = f.doc["credentialSubject"]["productFootprint"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["dataSchema"] == pcf::declaration::PROVENANCE_SCHEMA)
        .unwrap();
    let prov = format!("/credentialSubject/productFootprint/extensions/{prov}/data");
    let related = |d: &Value, prefix: &str| {
        d["relatedResource"]
            .as_array()
            .unwrap()
            .iter()
            .position(|x| x["id"].as_str().unwrap().starts_with(prefix))
            .unwrap()
    };
    let m = related(&f.doc, "urn:pcf:methodology:");
    let ds = related(&f.doc, "urn:pcf:dataset:");
    let huge = format!("1{}", "0".repeat(400));
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "numbers",
            set(&f.doc, &format!("{pcf_}/pcfExcludingBiogenicUptake"), json!("2.5")),
            "including uptake",
        ),
        (
            "numbers",
            set(
                &set(&f.doc, &format!("{pcf_}/pcfExcludingBiogenicUptake"), json!("-1")),
                &format!("{pcf_}/pcfIncludingBiogenicUptake"),
                json!("-1"),
            ),
            "negative",
        ),
        (
            "numbers",
            set(
                &set(&f.doc, &format!("{pcf_}/pcfExcludingBiogenicUptake"), json!(huge)),
                &format!("{pcf_}/pcfIncludingBiogenicUptake"),
                json!(huge),
            ),
            "not a finite decimal",
        ),
        (
            "numbers",
            set(&f.doc, &format!("{pcf_}/landUseChangeGhgEmissions"), json!("-0.5")),
            "negative",
        ),
        (
            "numbers",
            set(&f.doc, &format!("{pcf_}/exemptedEmissionsPercent"), json!("101")),
            "not a percentage",
        ),
        (
            "numbers",
            set(&f.doc, &format!("{pcf_}/packagingGhgEmissions"), json!("0.1")),
            "packagingEmissionsIncluded is false",
        ),
        (
            "numbers",
            set(&f.doc, &format!("{pcf_}/aircraftGhgEmissions"), json!("-0.1")),
            "aircraftGhgEmissions -0.1 is negative",
        ),
        (
            "numbers",
            set(&f.doc, &format!("{pcf_}/dqi/temporalDQR"), json!("0.5")),
            "outside 1 to 5",
        ),
        (
            "methodology",
            set(&f.doc, &format!("/relatedResource/{m}/digestSRI"), json!("sha256-AAAA")),
            "does not pin",
        ),
        (
            "methodology",
            set(
                &f.doc,
                &format!("{prov}/methodology/digest"),
                json!(format!("sha256:{}", "0".repeat(64))),
            ),
            "does not pin",
        ),
        (
            "datasets",
            set(&f.doc, &format!("/relatedResource/{ds}/digestSRI"), json!("sha256-AAAA")),
            "not pinned",
        ),
        (
            "upstream",
            set(
                &f.doc,
                &format!("{prov}/upstream/0/issuer"),
                json!("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
            ),
            "recorded as issued by",
        ),
        (
            "upstream",
            set(
                &f.doc,
                &format!("{prov}/upstream/0/digest"),
                json!(format!("sha256:{}", "1".repeat(64))),
            ),
            "not in the bundle",
        ),
        (
            "upstream",
            set(&f.doc, &format!("{prov}/upstream/0/verified"), json!(false)),
            "recorded as unverified",
        ),
        (
            "supersession",
            set(
                &f.doc,
                "/credentialSubject/productFootprint/precedingPfIds",
                json!(["9b9f4a4e-0000-4000-8000-000000000000"]),
            ),
            "no superseded declaration",
        ),
    ];
    for (name, mutated, says) in cases {
        let r = f.verify_without_excerpt(&resign(&mutated, &f.key));
        let names = failed(&r);
        assert!(
            !names.is_empty() && names.iter().all(|n| n.starts_with(name)),
            "{name}: {names:?}\n{r}"
        );
        assert!(r.failure_summary(&[]).contains(says), "{name}: {}", r.failure_summary(&[]));
    }

    // The issuer named is not the key that signed: the proof check says so (key swap).
    let other = pcf::keys::generate().unwrap();
    let r = f.verify_without_excerpt(&resign(&f.doc, &other));
    assert_eq!(failed(&r), ["proof"], "{r}");
    assert!(check(&r, "proof").detail.contains("but the credential names issuer"), "{r}");

    // The register excerpt of another declaration.
    let mut b = f.bundle.clone();
    let other_doc = resign(
        &set(&f.doc, "/credentialSubject/productFootprint/comment", json!("another")),
        &f.key,
    );
    b.declaration = other_doc.clone();
    let r = verify::verify(&other_doc, Some(&b), &f.options());
    assert_eq!(failed(&r), ["register"], "{r}");
}
