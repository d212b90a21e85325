//! Tests: declarations, end to end. The CLI round trip (keygen, declare, bundle, verify) with
//! every check; the PACT figures against `pcf footprint`; a tamper matrix over every value, key
//! and object of a signed declaration; strict parsing of what `pcf verify` reads; methodologies
//! pinned by digest; suppliers' declarations; supersession; keys; snapshots of the declaration
//! and of verify's report; and (ignored) the verification throughput benchmark.
//!
//! Lower layers (JCS, the proof itself, the register) have their own modules; here they are
//! exercised only through declarations.

// The helpers below panic on failure exactly like the tests that call them; clippy's
// `allow-unwrap-in-tests` covers only `#[test]` functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use pcf::declaration::{Bundle, Check, CheckStatus, Report, Verdict, VerifyOptions};
use pcf::methodology::Methodology;

use crate::util::{pcf, root, stderr, stdout};

// ---------------------------------------------------------------------------------------------
// Helpers

/// The example supplier's declaration, as shipped.
fn supplier_path() -> PathBuf {
    root().join("examples/steel-bracket/suppliers/hot-rolled-coil.json")
}

fn supplier_document() -> Value {
    pcf::canonical::parse_strict(&fs::read(supplier_path()).unwrap()).unwrap()
}

/// The DID of the throw-away key that signed the example supplier's declaration.
fn supplier_did() -> String {
    supplier_document()["issuer"]["id"].as_str().unwrap().to_string()
}

fn supplier_pf_id() -> String {
    supplier_document()["credentialSubject"]["productFootprint"]["id"].as_str().unwrap().to_string()
}

/// A temporary directory holding a copy of the steel-bracket example (inventory and supplier
/// declaration) and a fresh issuer key `issuer.key`. Commands run inside it, so every path in
/// their output is relative.
struct Workspace {
    dir: tempfile::TempDir,
    did: String,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = crate::util::bracket_example();
        let mut ws = Workspace { dir, did: String::new() };
        ws.ok(&["keygen", "--out", "issuer.key"]);
        ws.did = ws.ok(&["did", "issuer.key"]).trim().to_string();
        assert!(ws.did.starts_with("did:key:z6Mk"), "{}", ws.did);
        ws
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        pcf(self.path(), args)
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "pcf {} failed ({:?}):\n{}{}",
            args.join(" "),
            out.status.code(),
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    /// Declares the bracket into `out` with `extra` arguments; returns the signed document.
    fn declare(&self, out: &str, extra: &[&str]) -> Value {
        let mut args =
            vec!["declare", "inventory.toml", "--product", "bracket", "--key", "issuer.key"];
        args.extend(["--out", out]);
        args.extend(extra);
        self.ok(&args);
        self.read(out)
    }

    /// Declares the bracket into `name.json` and bundles it into `name.bundle.json`.
    fn declare_and_bundle(&self, name: &str) -> (Value, Bundle) {
        let doc = self.declare(&format!("{name}.json"), &[]);
        let said = self.ok(&["bundle", &format!("{name}.json"), "--inventory", "inventory.toml"]);
        assert!(said.contains("1 upstream"), "{said}");
        assert!(!said.contains("WARNING"), "{said}");
        (doc, self.bundle(&format!("{name}.bundle.json")))
    }

    /// Reads a JSON file strictly.
    fn read(&self, name: &str) -> Value {
        pcf::canonical::parse_strict(&fs::read(self.file(name)).unwrap()).unwrap()
    }

    fn bundle(&self, name: &str) -> Bundle {
        serde_json::from_value(self.read(name)).unwrap()
    }

    fn write(&self, name: &str, text: &str) {
        fs::write(self.file(name), text).unwrap();
    }

    fn write_json(&self, name: &str, value: &Value) {
        self.write(name, &(serde_json::to_string_pretty(value).unwrap() + "\n"));
    }

    /// `pcf verify ARGS --json`: the exit code and the report, read with `deny_unknown_fields`.
    fn verify(&self, args: &[&str]) -> (i32, Report) {
        let mut all = vec!["verify"];
        all.extend(args);
        all.push("--json");
        let out = self.run(&all);
        let report: Report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("verify --json is not a Report ({e}):\n{}{}", stdout(&out), stderr(&out))
        });
        (out.status.code().unwrap(), report)
    }

    /// The register's entries, read back through `pcf register list --json`.
    fn entries(&self) -> Vec<pcf::register::Entry> {
        if !self.file(".pcf-register").exists() {
            return Vec::new();
        }
        serde_json::from_str(&self.ok(&["register", "list", "--json"])).unwrap()
    }
}

/// The check called `name`, or for `upstream` the one upstream check.
fn check<'a>(report: &'a Report, name: &str) -> &'a Check {
    let found: Vec<&Check> = report
        .checks
        .iter()
        .filter(|c| c.name == name || c.name.starts_with(&format!("{name} ")))
        .collect();
    assert_eq!(found.len(), 1, "one {name} check expected in\n{report}");
    found[0]
}

fn statuses(report: &Report) -> Vec<(String, CheckStatus)> {
    report.checks.iter().map(|c| (c.name.clone(), c.status)).collect()
}

/// The checks of the bracket's declaration, all with `status` except `upstream`.
fn expected(upstream: CheckStatus) -> Vec<(String, CheckStatus)> {
    use CheckStatus::Pass;
    vec![
        ("schema".into(), Pass),
        ("proof".into(), Pass),
        ("issuer".into(), Pass),
        ("methodology".into(), Pass),
        ("datasets".into(), Pass),
        (format!("upstream {}", supplier_pf_id()), upstream),
        ("supersession".into(), Pass),
        ("numbers".into(), Pass),
        ("validity".into(), Pass),
        // The bundle carries the issuer's checkpoint and the excerpt's inclusion proofs.
        ("log".into(), Pass),
        ("register".into(), Pass),
    ]
}

fn trusting(dids: &[&str]) -> VerifyOptions {
    VerifyOptions { trust: dids.iter().map(|d| d.to_string()).collect(), ..Default::default() }
}

/// `^[+-]?\d+(\.\d+)?$`, the PACT decimal-string pattern.
fn is_decimal(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// A decimal string as an integer count of 10^-`places` (exact; `None` if it has more places).
fn units(s: &str, places: usize) -> Option<i128> {
    assert!(is_decimal(s), "{s:?} is not a decimal string");
    let (negative, t) = match s.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if frac.len() > places {
        return None;
    }
    let n: i128 = format!("{int}{frac:0<places$}").parse().unwrap();
    Some(if negative { -n } else { n })
}

/// Every JSON pointer in `v`, the root (`""`) included, parents before children.
fn pointers(v: &Value) -> Vec<String> {
    fn walk(v: &Value, here: String, out: &mut Vec<String>) {
        out.push(here.clone());
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    walk(child, format!("{here}/{}", k.replace('~', "~0").replace('/', "~1")), out);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    walk(child, format!("{here}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    out
}

/// `doc` with `change` applied at `pointer`.
fn changed(doc: &Value, pointer: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut d = doc.clone();
    change(d.pointer_mut(pointer).unwrap());
    d
}

/// The tamper matrix: every leaf changed (string: one more character; number: +1; bool:
/// flipped; null: 0), every member and element removed, and a member added to every object
/// and an element to every array.
fn mutations(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for p in pointers(doc) {
        let here = doc.pointer(&p).unwrap();
        match here {
            Value::String(s) => {
                let s = format!("{s}x");
                out.push((format!("{p}: append a character"), changed(doc, &p, |v| *v = json!(s))));
            }
            Value::Number(n) => {
                let plus = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                    (Some(i), _, _) => json!(i + 1),
                    (_, Some(u), _) => json!(u + 1),
                    (_, _, Some(f)) => json!(f + 1.0),
                    _ => unreachable!("a json number"),
                };
                out.push((format!("{p}: +1"), changed(doc, &p, |v| *v = plus)));
            }
            Value::Bool(b) => {
                let flipped = !b;
                out.push((format!("{p}: flip"), changed(doc, &p, |v| *v = json!(flipped))));
            }
            Value::Null => {
                out.push((format!("{p}: null to 0"), changed(doc, &p, |v| *v = json!(0))))
            }
            Value::Object(_) => out.push((
                format!("{p}: add a member"),
                changed(doc, &p, |v| {
                    v.as_object_mut().unwrap().insert("tampered".into(), json!(true));
                }),
            )),
            Value::Array(_) => out.push((
                format!("{p}: append an element"),
                changed(doc, &p, |v| v.as_array_mut().unwrap().push(json!("tampered"))),
            )),
        }
        if let Some((parent, last)) = p.rsplit_once('/') {
            let key = last.replace("~1", "/").replace("~0", "~");
            out.push((
                format!("{p}: remove"),
                changed(doc, parent, |v| match v {
                    Value::Object(m) => {
                        m.shift_remove(&key).unwrap();
                    }
                    Value::Array(a) => {
                        a.remove(key.parse::<usize>().unwrap());
                    }
                    _ => unreachable!("a parent is a container"),
                }),
            ));
        }
    }
    out
}

/// `v` with the members of every object in reverse order.
fn reordered(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().rev().map(|(k, v)| (k.clone(), reordered(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(reordered).collect()),
        other => other.clone(),
    }
}

/// `v` pretty-printed with `indent`.
fn indented(v: &Value, indent: &[u8]) -> String {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut buf,
        serde_json::ser::PrettyFormatter::with_indent(indent),
    );
    v.serialize(&mut ser).unwrap();
    String::from_utf8(buf).unwrap()
}

/// Replaces each needle with its label (for snapshots of text with random values in it).
fn scrub(text: &str, labels: &[(String, &str)]) -> String {
    let t = labels
        .iter()
        .fold(text.to_string(), |t, (needle, label)| t.replace(needle.as_str(), label));
    scrub_times(&t)
}

/// `text` with every RFC 3339 UTC time (`2026-12-02T13:44:10.52Z`) replaced by `[time]`.
fn scrub_times(text: &str) -> String {
    let b = text.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd";
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let is_time = b.len() - i >= shape.len()
            && shape
                .iter()
                .zip(&b[i..])
                .all(|(s, c)| if *s == b'd' { c.is_ascii_digit() } else { s == c });
        if is_time {
            let mut j = i + shape.len();
            if b.get(j) == Some(&b'.') {
                j += 1;
                while b.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
            }
            if b.get(j) == Some(&b'Z') {
                out.push_str("[time]");
                i = j + 1;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// `text` with `from`, which must occur exactly once, replaced by `to`.
fn edit_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    text.replacen(from, to, 1)
}

// ---------------------------------------------------------------------------------------------
// 1. The round trip through the CLI

#[test]
fn round_trip_keygen_declare_bundle_verify() {
    use CheckStatus::*;
    let ws = Workspace::new();
    let (doc, bundle) = ws.declare_and_bundle("bracket");
    assert_eq!(bundle.format, pcf::declaration::bundle::FORMAT);
    assert_eq!(bundle.declaration, doc);
    assert_eq!(bundle.upstream, vec![supplier_document()]);
    assert!(bundle.superseded.is_empty());
    assert_eq!(bundle.methodologies.len(), 1);
    assert_eq!(bundle.methodologies[0].id, "pact-3.0");
    assert!(bundle.register_excerpt.is_some());

    // Trusting the issuer only: valid, with the supplier's issuer flagged by name.
    let (code, report) = ws.verify(&["bracket.bundle.json", "--trust", &ws.did]);
    assert_eq!((code, report.verdict), (0, Verdict::Valid), "{report}");
    assert_eq!(statuses(&report), expected(Warn), "{report}");
    let upstream = check(&report, "upstream");
    assert!(upstream.detail.contains(&supplier_did()), "{}", upstream.detail);
    assert!(upstream.detail.contains("not trusted"), "{}", upstream.detail);
    assert_eq!(
        check(&report, "proof").detail,
        format!("eddsa-jcs-2022, Ed25519 verify_strict, key {}", ws.did)
    );
    assert_eq!(report.issuer.as_deref(), Some(ws.did.as_str()));
    // pact-3.0 1.2.0: the GECs at the wind default (tests/footprint/worked.rs).
    assert_eq!(report.pcf.as_deref(), Some("2.709701 kg CO2e per 1 piece"));
    let digest = pcf::canonical::digest(&doc).unwrap();
    assert_eq!(report.digest, Some(digest.to_string()));

    // Trusting both: every check passes.
    let supplier = supplier_did();
    let (code, report) =
        ws.verify(&["bracket.bundle.json", "--trust", &ws.did, "--trust", &supplier]);
    assert_eq!((code, report.verdict), (0, Verdict::Valid), "{report}");
    assert_eq!(statuses(&report), expected(Pass), "{report}");
    assert_eq!(
        check(&report, "upstream").detail,
        format!(
            "genuine, issued by trusted {supplier}, valid when consumed at {}",
            doc["validFrom"].as_str().unwrap()
        )
    );

    // The declaration with the bundle beside it says the same as the bundle alone.
    let (code, beside) = ws.verify(&[
        "bracket.json",
        "--bundle",
        "bracket.bundle.json",
        "--trust",
        &ws.did,
        "--trust",
        &supplier,
    ]);
    // (judged a moment apart)
    let same_instant = |r: &Report| Report {
        status: pcf::declaration::verify::Status { at: String::new(), ..r.status.clone() },
        ..r.clone()
    };
    assert_eq!((code, same_instant(&beside)), (0, same_instant(&report)));

    // Without --trust the issuer check fails and says how to trust.
    let (code, report) = ws.verify(&["bracket.bundle.json"]);
    assert_eq!((code, report.verdict), (1, Verdict::Invalid));
    let issuer = check(&report, "issuer");
    assert_eq!(issuer.status, Fail);
    assert!(issuer.detail.contains(&format!("--trust {}", ws.did)), "{}", issuer.detail);

    // The declaration alone: the upstream declaration is missing, and the report says so.
    let (code, report) = ws.verify(&["bracket.json", "--trust", &ws.did]);
    assert_eq!(code, 1);
    let upstream = check(&report, "upstream");
    assert_eq!(upstream.status, Fail);
    assert!(upstream.detail.contains("is not in the bundle"), "{}", upstream.detail);
    assert_eq!(check(&report, "register").status, Skip);

    // The human report.
    let out = ws.run(&["verify", "bracket.bundle.json", "--trust", &ws.did]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("VALID: Galvanised steel bracket BR-40\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn verify_json_is_the_library_report() {
    let ws = Workspace::new();
    let (doc, bundle) = ws.declare_and_bundle("bracket");
    let supplier = supplier_did();
    for trust in [vec![], vec![ws.did.as_str()], vec![ws.did.as_str(), supplier.as_str()]] {
        let mut args = vec!["bracket.bundle.json"];
        for t in &trust {
            args.extend(["--trust", t]);
        }
        // One instant for both, a day from now (the declaration was issued just now).
        let at = pcf::time::Instant::now().plus_days(1).unwrap();
        let at_text = at.to_string();
        args.extend(["--at", &at_text]);
        let (code, from_cli) = ws.verify(&args);
        let options = VerifyOptions { at: Some(at), ..trusting(&trust) };
        let from_library = pcf::declaration::verify::verify(&doc, Some(&bundle), &options);
        assert_eq!(from_cli, from_library);
        assert_eq!(code, i32::from(from_library.verdict.exit_code()));
        let expected = if trust.is_empty() { Verdict::Invalid } else { Verdict::Valid };
        assert_eq!(from_library.verdict, expected, "{from_library}");
    }
    // deny_unknown_fields holds: a report with an extra member is refused.
    let out = ws.run(&["verify", "bracket.bundle.json", "--json"]);
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["extra"] = json!(1);
    assert!(serde_json::from_value::<Report>(v).is_err());
}

/// The PACT ProductFootprint fields pcf's model requires (`crates/trust/src/declaration/pact.rs`, from the
/// PACT Technical Specifications v3 data model).
const MANDATORY_SUBJECT: &[&str] = &[
    "id",
    "specVersion",
    "created",
    "status",
    "companyName",
    "companyIds",
    "productDescription",
    "productIds",
    "productNameCompany",
    "pcf",
];
const MANDATORY_PCF: &[&str] = &[
    "declaredUnitOfMeasurement",
    "declaredUnitAmount",
    "productMassPerDeclaredUnit",
    "referencePeriodStart",
    "referencePeriodEnd",
    "pcfExcludingBiogenicUptake",
    "pcfIncludingBiogenicUptake",
    "fossilGhgEmissions",
    "fossilCarbonContent",
    "ipccCharacterizationFactors",
    "crossSectoralStandards",
    "exemptedEmissionsPercent",
];
/// The fractional figures of a CarbonFootprint (those present must be decimal strings).
const FIGURES: &[&str] = &[
    "declaredUnitAmount",
    "productMassPerDeclaredUnit",
    "pcfExcludingBiogenicUptake",
    "pcfIncludingBiogenicUptake",
    "fossilGhgEmissions",
    "fossilCarbonContent",
    "biogenicCarbonContent",
    "biogenicNonCO2Emissions",
    "biogenicCO2Uptake",
    "landUseChangeGhgEmissions",
    "exemptedEmissionsPercent",
    "primaryDataShare",
];

#[test]
fn pact_mandatory_fields_present_and_fractions_are_decimal_strings() {
    let ws = Workspace::new();
    let doc = ws.declare("bracket.json", &[]);
    let subject = &doc["credentialSubject"]["productFootprint"];
    for f in MANDATORY_SUBJECT {
        assert!(!subject[f].is_null(), "credentialSubject.{f} is missing");
    }
    let pcf_ = &subject["pcf"];
    for f in MANDATORY_PCF {
        assert!(!pcf_[f].is_null(), "credentialSubject.pcf.{f} is missing");
    }
    for f in ["companyIds", "productIds", "ipccCharacterizationFactors", "crossSectoralStandards"] {
        let a = subject[f].as_array().or_else(|| pcf_[f].as_array()).unwrap();
        assert!(!a.is_empty(), "{f} is empty");
    }
    assert_eq!(subject["specVersion"], "3.0.0");
    assert_eq!(subject["status"], "Active");
    assert_eq!(
        doc["credentialSubject"]["id"],
        format!("urn:uuid:{}", subject["id"].as_str().unwrap())
    );
    let mut seen = 0;
    for f in FIGURES {
        if let Some(v) = pcf_.get(*f) {
            let s = v.as_str().unwrap_or_else(|| panic!("pcf.{f} is {v}, not a string"));
            assert!(is_decimal(s), "pcf.{f} = {s:?} is not a decimal string");
            seen += 1;
        }
    }
    assert!(seen >= 10, "only {seen} figures");
    for (f, v) in pcf_["dqi"].as_object().unwrap() {
        assert!(v.as_str().is_some_and(is_decimal), "dqi.{f} = {v}");
    }
    // No JSON number anywhere in the PACT part: every fraction is a string. (The provenance
    // extension is pcf's own and records certificate quantities as numbers.)
    let mut pact_part = subject.clone();
    pact_part.as_object_mut().unwrap().shift_remove("extensions");
    for p in pointers(&pact_part) {
        assert!(!pact_part.pointer(&p).unwrap().is_number(), "credentialSubject{p} is a number");
    }
}

/// `pcf footprint --json` totals of `product`.
fn footprint_totals(ws: &Workspace, inventory: &str, product: &str, m: &str) -> Value {
    let out = ws.ok(&["footprint", inventory, "--product", product, "--json", "-m", m]);
    let v: Value = serde_json::from_str(&out).unwrap();
    v["products"][0]["totals"].clone()
}

/// Asserts each declared figure is the engine's figure rounded to `places`: at most `places`
/// decimals and within half a unit of the last place.
fn assert_rounded(declared: &Value, engine: f64, places: usize, what: &str) {
    let s = declared.as_str().unwrap_or_else(|| panic!("{what} is {declared}"));
    let n =
        units(s, places).unwrap_or_else(|| panic!("{what} = {s} has more than {places} places"));
    let scale = 10f64.powi(places as i32);
    let error = (n as f64 - engine * scale).abs();
    assert!(error <= 0.5 + 1e-6, "{what} = {s}, engine {engine}: off by {error} in the last place");
}

#[test]
fn figures_are_the_footprint_rounded_to_the_methodology_places() {
    let ws = Workspace::new();
    // The soybean example has biogenic uptake and land-use change; it lacks product ids.
    let soy = fs::read_to_string(root().join("examples/soybean-crushing/inventory.toml")).unwrap();
    let soy = soy.replace(
        "biogenic_carbon_content = 0.42\n",
        "biogenic_carbon_content = 0.42\nproduct_ids = [\"urn:gtin:06901234500001\"]\n",
    );
    ws.write("soy.toml", &soy);
    let places = Methodology::shipped("pact-3.0").unwrap().rules.reporting.decimal_places as usize;
    assert_eq!(places, 6);
    for (inventory, product) in [("inventory.toml", "bracket"), ("soy.toml", "meal")] {
        let out = format!("{product}.json");
        ws.ok(&["declare", inventory, "--product", product, "--key", "issuer.key", "--out", &out]);
        let pcf_ = ws.read(&out)["credentialSubject"]["productFootprint"]["pcf"].clone();
        let t = footprint_totals(&ws, inventory, product, "pact-3.0");
        let f = |k: &str| t[k].as_f64().unwrap();
        assert_rounded(&pcf_["pcfExcludingBiogenicUptake"], f("excluding_uptake"), places, "excl");
        assert_rounded(&pcf_["fossilGhgEmissions"], f("fossil"), places, "fossil");
        assert_rounded(&pcf_["biogenicNonCO2Emissions"], f("biogenic_non_co2"), places, "bio");
        assert_rounded(&pcf_["biogenicCO2Uptake"], -f("biogenic_uptake"), places, "uptake");
        assert_rounded(&pcf_["landUseChangeGhgEmissions"], f("land_use_change"), places, "luc");
        assert_rounded(&pcf_["exemptedEmissionsPercent"], f("exempted_percent"), 2, "exempted");
        // Including uptake is the sum of two rounded figures: within one unit of the last place.
        let incl = units(pcf_["pcfIncludingBiogenicUptake"].as_str().unwrap(), places).unwrap();
        assert!((incl as f64 - f("including_uptake") * 1e6).abs() <= 1.0 + 1e-6);
        if product == "meal" {
            assert!(f("biogenic_uptake") > 0.1 && f("land_use_change") > 0.1, "{t}");
        }
    }
}

/// pcfIncludingBiogenicUptake = pcfExcludingBiogenicUptake + biogenicCO2Uptake, exactly, as
/// decimals; and EU CBAM direct + indirect = pcfExcludingBiogenicUptake. The probes are
/// inventories whose figures sit at the rounding boundary of the sixth decimal, where
/// rounding the total and its parts separately disagrees in the last place.
#[test]
fn totals_are_the_exact_sums_of_their_parts() {
    let ws = Workspace::new();
    let probe = |name: &str, inputs: &str, factors: &str| {
        ws.write(
            name,
            &format!(
                r#"[inventory]
name = "rounding probe"
company = {{ name = "Probe Co.", ids = ["urn:uscc:PROBE"] }}
reference_period = {{ start = "2025-01-01", end = "2025-12-31" }}
geography = "CN"

[[products]]
id = "p"
name = "Probe"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0
product_ids = ["urn:gtin:00000000000017"]
fossil_carbon_content = 0
packaging_emissions_included = false
# Portland cement, not in Annex II of Regulation (EU) 2023/956: under eu-cbam-2026 its
# indirect emissions count, so the CBAM probe keeps both parts.
classification = {{ scheme = "CN", code = "2523 29 00" }}

[[processes]]
id = "make"
name = "Make"
route = "cement: grinding"
quality = {{ technological = 1, temporal = 1, geographical = 1 }}
outputs = [{{ product = "p", amount = 1, unit = "kg" }}]
inputs = [
{inputs}]
{factors}"#
            ),
        );
    };
    let factor = |id: &str, per: &str, gases: &str| {
        format!(
            "\n[[factors]]\nid = \"{id}\"\nname = \"{id}\"\nper = \"{per}\"\n{gases}\nsource = \"probe\"\n\
             licence = \"CC0-1.0\"\ndataset = \"probe\"\n\
             quality = {{ source = \"secondary\", technological = 3, temporal = 3, geographical = 3 }}\n"
        )
    };
    // 1.6e-6 emitted, 1.2e-6 taken up: rounded separately, 0.000002 - 0.000001 != 0.
    probe(
        "uptake.toml",
        "  { kind = \"database\", name = \"Wood\", factor = \"wood\", amount = 1, unit = \"kg\" },\n",
        &factor(
            "wood",
            "kg",
            "gases = { \"co2-fossil\" = 0.0000016 }\nbiogenic_uptake = 0.0000012",
        ),
    );
    // 1.4e-6 direct + 1.4e-6 indirect: rounded separately, 0.000001 + 0.000001 != 0.000003.
    probe(
        "cbam.toml",
        "  { kind = \"fuel\", name = \"Gas\", factor = \"gas\", amount = 1, unit = \"kg\" },\n  \
         { kind = \"electricity\", name = \"Power\", factor = \"grid\", amount = 1, unit = \"kWh\" },\n",
        &(factor("gas", "kg", "gases = { \"co2-fossil\" = 0.0000014 }")
            + &factor("grid", "kWh", "gases = { \"co2-fossil\" = 0.0000014 }")),
    );
    let soy = fs::read_to_string(root().join("examples/soybean-crushing/inventory.toml")).unwrap();
    let soy = soy.replace(
        "mass_per_declared_unit = 1.0\n",
        "mass_per_declared_unit = 1.0\nproduct_ids = [\"urn:gtin:06901234500001\"]\n",
    );
    ws.write("soy.toml", &soy);

    let cases = [
        ("inventory.toml", "bracket", "pact-3.0"),
        ("soy.toml", "meal", "pact-3.0"),
        ("soy.toml", "oil", "pact-3.0"),
        // The rounding of an allocated uptake: pact-3.0 1.2.0 takes a product's uptake from its
        // biogenic carbon content, iso-14067-2018 allocates the chain's.
        ("uptake.toml", "p", "iso-14067-2018"),
        ("cbam.toml", "p", "eu-cbam-2026"),
    ];
    for (i, (inventory, product, m)) in cases.into_iter().enumerate() {
        let out = format!("{i}.json");
        ws.ok(&[
            "declare",
            inventory,
            "--product",
            product,
            "-m",
            m,
            "--key",
            "issuer.key",
            "--out",
            &out,
        ]);
        let doc = ws.read(&out);
        let pcf_ = &doc["credentialSubject"]["productFootprint"]["pcf"];
        let u = |v: &Value| units(v.as_str().unwrap(), 6).unwrap();
        let (excl, incl) =
            (u(&pcf_["pcfExcludingBiogenicUptake"]), u(&pcf_["pcfIncludingBiogenicUptake"]));
        // A methodology that does not count uptake (eu-cbam-2026) leaves the figure out.
        let uptake = pcf_.get("biogenicCO2Uptake").map_or(0, u);
        assert_eq!(pcf_.get("biogenicCO2Uptake").is_none(), m == "eu-cbam-2026", "{pcf_}");
        assert_eq!(incl, excl + uptake, "{inventory} {product}: {pcf_}");
        if let Some(cbam) = pcf::declaration::extension(&doc, pcf::declaration::CBAM_SCHEMA) {
            let (d, i) =
                (u(&cbam["directEmbeddedEmissions"]), u(&cbam["indirectEmbeddedEmissions"]));
            assert_eq!(d + i, excl, "{inventory} {product}: {cbam}");
        } else {
            assert_ne!(m, "eu-cbam-2026", "a CBAM declaration carries the CBAM extension");
        }
        // The issuer's own numbers pass the verifier's numbers check.
        let report = pcf::declaration::verify::verify(&doc, None, &trusting(&[&ws.did]));
        assert_eq!(check(&report, "numbers").status, CheckStatus::Pass, "{inventory}: {report}");
    }
}

/// `n` × 10^-`places` written as a decimal string, trailing zeros kept.
fn decimal_text(n: i64, places: u32) -> String {
    let digits = format!("{:0>width$}", n.unsigned_abs(), width = places as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - places as usize);
    let sign = if n < 0 { "-" } else { "" };
    if places == 0 { format!("{sign}{int}") } else { format!("{sign}{int}.{frac}") }
}

proptest::proptest! {
    /// The sums the issuer writes (totals from their rounded parts) are exact decimal sums,
    /// written plainly: no exponent, no trailing zeros, never `-0`.
    #[test]
    fn decimal_sums_and_differences_are_exact(
        a in -10i64.pow(15)..10i64.pow(15),
        b in -10i64.pow(15)..10i64.pow(15),
        pa in 0u32..7,
        pb in 0u32..7,
    ) {
        use pcf::declaration::pact::Decimal;
        let (x, y) = (Decimal(decimal_text(a, pa)), Decimal(decimal_text(b, pb)));
        let scale = |n: i64, p: u32| i128::from(n) * 10i128.pow(6 - p);
        for (result, expected) in [
            (x.checked_add(&y).unwrap(), scale(a, pa) + scale(b, pb)),
            (x.checked_sub(&y).unwrap(), scale(a, pa) - scale(b, pb)),
        ] {
            proptest::prop_assert_eq!(units(&result.0, 6), Some(expected), "{:?} {:?}", x, y);
            proptest::prop_assert!(result.0 != "-0" && !result.0.contains('e'), "{:?}", result);
            if result.0.contains('.') {
                proptest::prop_assert!(!result.0.ends_with('0'), "{:?}", result);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Tampering and parsing

#[test]
fn tamper_matrix_every_value_key_and_object_breaks_the_proof() {
    let ws = Workspace::new();
    let (doc, bundle) = ws.declare_and_bundle("bracket");
    let supplier = supplier_did();
    let options = trusting(&[&ws.did, &supplier]);
    let clean = pcf::declaration::verify::verify(&doc, Some(&bundle), &options);
    assert_eq!(statuses(&clean), expected(CheckStatus::Pass), "{clean}");

    let all = mutations(&doc);
    // Every part of the document is covered, not just the top.
    for part in [
        "/credentialSubject/productFootprint/pcf/",
        "/credentialSubject/productFootprint/extensions/0/data/upstream/0/",
        "/relatedResource/1/",
        "/proof/",
        "/issuer/",
        "/@context/0",
    ] {
        assert!(all.iter().filter(|(what, _)| what.starts_with(part)).count() >= 2, "{part}");
    }
    assert!(all.len() > 150, "only {} mutations", all.len());
    let mut survived = Vec::new();
    let mut schema_failed = 0;
    for (what, tampered) in &all {
        assert_ne!(tampered, &doc, "{what} changed nothing");
        let report = pcf::declaration::verify::verify(tampered, Some(&bundle), &options);
        let proof = check(&report, "proof");
        if report.verdict != Verdict::Invalid || proof.status != CheckStatus::Fail {
            survived.push(format!(
                "{what}: {:?}, proof {:?} {}",
                report.verdict, proof.status, proof.detail
            ));
        }
        if check(&report, "schema").status == CheckStatus::Fail {
            schema_failed += 1;
        }
    }
    assert!(
        survived.is_empty(),
        "{} of {} tamperings verified:\n{}",
        survived.len(),
        all.len(),
        survived.join("\n")
    );
    // Shape-breaking changes are also reported as such.
    assert!(schema_failed > 20, "schema failed for only {schema_failed}");
}

/// Data Integrity lets a holder append `@context` entries after signing (the proof signs its
/// own `@context`, which need only be a prefix of the document's): `proof::verify` accepts
/// that, as the specification says. A declaration is signed whole, so `verify` refuses it
/// even without a bundle.
#[test]
fn an_appended_context_is_not_covered_by_the_proof_and_is_refused() {
    let ws = Workspace::new();
    let doc = ws.declare("bracket.json", &[]);
    let mut appended = doc.clone();
    appended["@context"].as_array_mut().unwrap().push(json!("https://example.org/redefine/v1"));
    assert!(pcf::proof::verify(&appended, &|_| None).is_ok(), "the specification's rule");
    assert_ne!(pcf::canonical::digest(&appended).unwrap(), pcf::canonical::digest(&doc).unwrap());
    ws.write_json("appended.json", &appended);
    let (code, report) = ws.verify(&["appended.json", "--trust", &ws.did]);
    assert_eq!((code, report.verdict), (1, Verdict::Invalid));
    let proof = check(&report, "proof");
    assert_eq!(proof.status, CheckStatus::Fail);
    assert_eq!(
        proof.detail,
        "@context [\"https://www.w3.org/ns/credentials/v2\",\"https://pcf-engine.github.io/pcf/contexts/v1.jsonld\",\
         \"https://example.org/redefine/v1\"] has entries the proof does not cover (it signed \
         [\"https://www.w3.org/ns/credentials/v2\",\"https://pcf-engine.github.io/pcf/contexts/v1.jsonld\"]); \
         a declaration is signed as a whole"
    );
}

#[test]
fn reordered_and_reindented_declarations_still_verify() {
    let ws = Workspace::new();
    let (doc, _) = ws.declare_and_bundle("bracket");
    let digest = pcf::canonical::digest(&doc).unwrap().to_string();
    let reversed = reordered(&doc);
    assert_ne!(serde_json::to_string(&reversed).unwrap(), serde_json::to_string(&doc).unwrap());
    let variants = [
        ("compact.json", serde_json::to_string(&reversed).unwrap()),
        ("four-spaces.json", indented(&reversed, b"    ")),
        ("tabs-crlf.json", indented(&doc, b"\t").replace('\n', "\r\n") + "\r\n"),
    ];
    let supplier = supplier_did();
    for (name, text) in variants {
        ws.write(name, &text);
        let (code, report) = ws.verify(&[
            name,
            "--bundle",
            "bracket.bundle.json",
            "--trust",
            &ws.did,
            "--trust",
            &supplier,
        ]);
        assert_eq!((code, report.verdict), (0, Verdict::Valid), "{name}: {report}");
        assert_eq!(statuses(&report), expected(CheckStatus::Pass), "{name}");
        assert_eq!(report.digest.as_deref(), Some(digest.as_str()), "{name}");
    }
}

#[test]
fn verify_rejects_duplicate_keys_unsafe_integers_nan_and_overflow_with_line_and_column() {
    let ws = Workspace::new();
    ws.declare("bracket.json", &[]);
    let text = fs::read_to_string(ws.file("bracket.json")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let line_of = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap();

    // A duplicate "status" in the subject, on the line after the first.
    let at = line_of("\"status\": \"Active\"");
    let mut dup: Vec<&str> = lines.clone();
    dup.insert(at + 1, lines[at]);
    let column = lines[at].find('"').unwrap() + 1;
    // (line, column) of a value replaced on the line of `field`.
    let replaced = |field: &str, value: &str| {
        let at = line_of(&format!("\"{field}\": "));
        let old = lines[at];
        let start = old.find(": ").unwrap() + 2;
        let end = old.rfind(',').filter(|&e| e > start).unwrap_or(old.len());
        let new = format!("{}{value}{}", &old[..start], &old[end..]);
        let mut all: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        all[at] = new;
        (all.join("\n"), at + 1, start + 1)
    };
    let (big, big_line, big_col) = replaced("declaredUnitAmount", "9007199254740993");
    let (nan, nan_line, nan_col) = replaced("productMassPerDeclaredUnit", "NaN");
    let (inf, inf_line, inf_col) = replaced("fossilCarbonContent", "1e400");
    let cases = [
        (
            "duplicate.json",
            dup.join("\n"),
            format!(
                "error: duplicate.json: rejected: duplicate key \"status\" at line {}, column {column} \
                 (json pointer \"/credentialSubject/productFootprint/status\")\n",
                at + 2
            ),
        ),
        (
            "big.json",
            big,
            format!(
                "error: big.json: rejected: integer 9007199254740993 at line {big_line}, column \
                 {big_col} (json pointer \"/credentialSubject/productFootprint/pcf/declaredUnitAmount\") is outside \
                 the i-json safe range of ±9007199254740991\n"
            ),
        ),
        (
            "nan.json",
            nan,
            format!(
                "error: nan.json: rejected: NaN at line {nan_line}, column {nan_col} is not a json \
                 value (json has no nan, infinity or undefined)\n"
            ),
        ),
        (
            "overflow.json",
            inf,
            format!(
                "error: overflow.json: rejected: number 1e400 at line {inf_line}, column {inf_col} \
                 (json pointer \"/credentialSubject/productFootprint/pcf/fossilCarbonContent\") overflows to infinity\n"
            ),
        ),
    ];
    for (name, text, message) in cases {
        ws.write(name, &text);
        for extra in [&[][..], &["--json"][..]] {
            let mut args = vec!["verify", name, "--trust", &ws.did];
            args.extend(extra);
            let out = ws.run(&args);
            assert_eq!(out.status.code(), Some(1), "{name}");
            assert_eq!(stderr(&out), message, "{name}");
            assert_eq!(stdout(&out), "", "{name}");
        }
        // The same file as a bundle is refused the same way.
        let out = ws.run(&["verify", "bracket.json", "--bundle", name]);
        assert_eq!(out.status.code(), Some(1), "{name} as bundle");
        assert!(stderr(&out).contains(&format!("{name}: rejected: ")), "{}", stderr(&out));
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Methodologies pinned by digest

#[test]
fn methodology_with_one_byte_changed_is_unknown_until_bundled_and_checked_by_digest() {
    use CheckStatus::*;
    let ws = Workspace::new();
    let shipped = fs::read_to_string(root().join("methodologies/pact-3.0.toml")).unwrap();
    // One byte of one rule: N2O's GWP100 273 -> 274; and a new id.
    let custom = edit_once(&shipped, "n2o = 273.0", "n2o = 274.0");
    let custom = edit_once(&custom, "id = \"pact-3.0\"", "id = \"pact-3.0-custom\"");
    ws.write("custom.toml", &custom);
    let loaded = Methodology::load(&ws.file("custom.toml")).unwrap();
    assert_ne!(loaded.digest(), Methodology::shipped("pact-3.0").unwrap().digest());

    let doc = ws.declare("custom.json", &["-m", "custom.toml"]);
    let prov = pcf::declaration::provenance(&doc).unwrap();
    assert_eq!(prov.methodology.id, "pact-3.0-custom");
    assert_eq!(prov.methodology.digest, loaded.digest());
    assert_eq!(doc["relatedResource"][1]["digestSRI"], pcf::declaration::sri(&loaded.digest()));
    let supplier = supplier_did();
    let verify = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--trust", ws.did.as_str(), "--trust", supplier.as_str()]);
        ws.verify(&all)
    };

    // Bundled without it: unknown.
    ws.ok(&["bundle", "custom.json", "--inventory", "inventory.toml", "--out", "without.json"]);
    assert!(ws.bundle("without.json").methodologies.is_empty());
    let (code, report) = verify(&["without.json"]);
    assert_eq!(code, 1);
    let m = check(&report, "methodology");
    assert_eq!(m.status, Fail, "{report}");
    assert!(m.detail.contains("unknown"), "{}", m.detail);
    assert!(m.detail.contains(&loaded.digest().to_string()), "{}", m.detail);
    // ... unless the buyer says so, by name.
    let (code, report) = verify(&["without.json", "--danger-accept-unknown-methodology"]);
    assert_eq!((code, check(&report, "methodology").status), (0, Warn), "{report}");

    // Bundled with it: the digest is recomputed from the text and matches.
    ws.ok(&[
        "bundle",
        "custom.json",
        "--inventory",
        "inventory.toml",
        "--methodology",
        "custom.toml",
        "--out",
        "with.json",
    ]);
    let (code, report) = verify(&["with.json"]);
    assert_eq!((code, report.verdict), (0, Verdict::Valid), "{report}");
    let m = check(&report, "methodology");
    assert_eq!(m.status, Pass);
    assert!(m.detail.ends_with("in the bundle, digest recomputed"), "{}", m.detail);

    // The bundled text with one byte of a rule changed (its claimed digest left alone): unknown.
    let mut b = ws.read("with.json");
    let text = b["bundle"]["methodologies"][0]["text"].as_str().unwrap().to_string();
    b["bundle"]["methodologies"][0]["text"] = json!(edit_once(&text, "n2o = 274.0", "n2o = 275.0"));
    ws.write_json("altered.json", &b);
    let (code, report) = verify(&["altered.json"]);
    assert_eq!(code, 1);
    let m = check(&report, "methodology");
    assert_eq!(m.status, Fail, "{report}");
    assert!(m.detail.contains("unknown"), "{}", m.detail);

    // The digest pins the rules, not the bytes: a changed comment still matches (the design of
    // methodology digests, tested in tests/methodology.rs; here through a bundle).
    b["bundle"]["methodologies"][0]["text"] =
        json!(edit_once(&text, "# PACT Methodology v3.0", "# PACT Methodology v3.0 (copy)"));
    ws.write_json("comment.json", &b);
    let (code, report) = verify(&["comment.json"]);
    assert_eq!((code, check(&report, "methodology").status), (0, Pass), "{report}");

    // A changed file that keeps the shipped id is not taken for the shipped methodology.
    let impostor = edit_once(&shipped, "n2o = 273.0", "n2o = 274.0");
    ws.write("impostor.toml", &impostor);
    // In a register of its own: beside the first declaration it would claim the bracket's
    // electricity certificates a second time, which pcf refuses.
    ws.declare("impostor.json", &["-m", "impostor.toml", "--register", "impostor-register"]);
    ws.ok(&[
        "bundle",
        "impostor.json",
        "--inventory",
        "inventory.toml",
        "--register",
        "impostor-register",
        "--out",
        "impostor.bundle.json",
    ]);
    let (code, report) = verify(&["impostor.bundle.json"]);
    assert_eq!(code, 1);
    let m = check(&report, "methodology");
    assert_eq!(m.status, Fail, "{report}");
    assert!(m.detail.starts_with("pact-3.0 1.3.0 ("), "{}", m.detail);
    assert!(m.detail.contains("unknown"), "{}", m.detail);
}

// ---------------------------------------------------------------------------------------------
// 4. Suppliers' declarations

#[test]
fn unsigned_supplier_declaration_is_refused_unless_danger_flag_then_reported() {
    let ws = Workspace::new();
    let mut unsigned = supplier_document();
    unsigned.as_object_mut().unwrap().shift_remove("proof").unwrap();
    ws.write_json("suppliers/hot-rolled-coil.json", &unsigned);

    let out = ws.run(&[
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "issuer.key",
        "--out",
        "b.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: supplier declaration suppliers/hot-rolled-coil.json: it carries no proof (unsigned)\n  \
         help: ask the supplier for a declaration signed with pcf (or any eddsa-jcs-2022 issuer), \
         or pass --danger-accept-unverified-upstream to issue anyway and record it as unverified\n"
    );
    assert!(!ws.file("b.json").exists());
    assert!(ws.entries().is_empty());

    let said = ws.ok(&[
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "issuer.key",
        "--out",
        "b.json",
        "--danger-accept-unverified-upstream",
    ]);
    let digest = pcf::canonical::digest(&unsigned).unwrap();
    assert!(
        said.contains(&format!(
            "WARNING   upstream {digest} recorded as unverified: it carries no proof (unsigned)"
        )),
        "{said}"
    );
    let prov = pcf::declaration::provenance(&ws.read("b.json")).unwrap();
    assert_eq!(prov.upstream.len(), 1);
    assert!(!prov.upstream[0].verified);
    assert_eq!(prov.upstream[0].issuer, None);

    ws.ok(&["bundle", "b.json", "--inventory", "inventory.toml"]);
    let (code, report) = ws.verify(&["b.bundle.json", "--trust", &ws.did]);
    assert_eq!((code, report.verdict), (1, Verdict::Invalid));
    let upstream = check(&report, "upstream");
    assert_eq!(upstream.status, CheckStatus::Fail);
    assert_eq!(
        upstream.detail,
        "recorded as unverified when issued: it carries no proof (unsigned)"
    );
    // Everything else about the declaration itself holds.
    let others: Vec<_> =
        report.checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| &c.name).collect();
    assert_eq!(others.len(), 1, "{report}");
}

#[test]
fn supplier_declaration_altered_after_signing_is_refused() {
    let ws = Workspace::new();
    let original = fs::read_to_string(supplier_path()).unwrap();
    let figure = supplier_document()["credentialSubject"]["productFootprint"]["pcf"]["pcfExcludingBiogenicUptake"]
        .as_str()
        .unwrap()
        .to_string();
    // The supplier's headline figure lowered by one in the first digit, bytes otherwise equal.
    let lowered = format!("{}{}", (figure.as_bytes()[0] - 1) as char, &figure[1..]);
    let altered = edit_once(
        &original,
        &format!("\"pcfExcludingBiogenicUptake\": \"{figure}\""),
        &format!("\"pcfExcludingBiogenicUptake\": \"{lowered}\""),
    );
    ws.write("suppliers/hot-rolled-coil.json", &altered);
    let did = supplier_did();
    let out = ws.run(&[
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "issuer.key",
        "--out",
        "b.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "error: supplier declaration suppliers/hot-rolled-coil.json: proof: signature does not \
             verify under verification method \"{did}#"
        )),
        "{err}"
    );
    assert!(err.contains("--danger-accept-unverified-upstream"), "{err}");
    assert!(!ws.file("b.json").exists());

    // Accepted with the danger flag, it is recorded with the supplier's claimed DID and why.
    ws.declare("b.json", &["--danger-accept-unverified-upstream"]);
    let prov = pcf::declaration::provenance(&ws.read("b.json")).unwrap();
    assert!(!prov.upstream[0].verified);
    assert_eq!(prov.upstream[0].issuer.as_deref(), Some(did.as_str()));
    assert!(
        prov.upstream[0]
            .unverified_reason
            .as_deref()
            .unwrap()
            .starts_with("proof: signature does not verify")
    );
}

#[test]
fn supplier_issuer_untrusted_is_a_warning_naming_its_did() {
    let ws = Workspace::new();
    let (doc, bundle) = ws.declare_and_bundle("bracket");
    let report = pcf::declaration::verify::verify(&doc, Some(&bundle), &trusting(&[&ws.did]));
    assert_eq!(report.verdict, Verdict::Valid);
    let upstream = check(&report, "upstream");
    assert_eq!(upstream.status, CheckStatus::Warn);
    assert_eq!(
        upstream.detail,
        format!("genuine, but its issuer {} is not trusted", supplier_did())
    );

    // Trusting only the supplier: the declaration's own issuer fails, the upstream passes.
    let report =
        pcf::declaration::verify::verify(&doc, Some(&bundle), &trusting(&[&supplier_did()]));
    assert_eq!(check(&report, "issuer").status, CheckStatus::Fail);
    assert_eq!(check(&report, "upstream").status, CheckStatus::Pass);

    // A bundle whose supplier declaration was swapped for a tampered copy: upstream
    // declarations are found by the digest the declaration pins, so the copy is not found.
    let mut swapped = bundle.clone();
    swapped.upstream[0]["credentialSubject"]["productFootprint"]["pcf"]["pcfExcludingBiogenicUptake"] =
        json!("0.1");
    let report = pcf::declaration::verify::verify(&doc, Some(&swapped), &trusting(&[&ws.did]));
    let upstream = check(&report, "upstream");
    assert_eq!(upstream.status, CheckStatus::Fail);
    assert!(upstream.detail.contains("is not in the bundle"), "{}", upstream.detail);
}

// ---------------------------------------------------------------------------------------------
// 5. Supersession and never overwriting

#[test]
fn supersession_records_deprecates_and_bundles_the_earlier_version() {
    use pcf::register::EntryKind;
    let ws = Workspace::new();
    let v1 = ws.declare("v1.json", &[]);
    let v2 = ws.declare("v2.json", &["--supersedes", "v1.json"]);
    let (d1, d2) = (pcf::canonical::digest(&v1).unwrap(), pcf::canonical::digest(&v2).unwrap());
    let id1 = v1["credentialSubject"]["productFootprint"]["id"].as_str().unwrap().to_string();
    assert_eq!(v2["credentialSubject"]["productFootprint"]["precedingPfIds"], json!([id1]));
    assert_eq!(pcf::declaration::provenance(&v2).unwrap().supersedes, Some(d1));

    let entries = ws.entries();
    let kinds: Vec<&EntryKind> = entries.iter().map(|e| &e.kind).collect();
    assert!(
        matches!(
            kinds[..],
            [
                EntryKind::Declared { declaration: a, supersedes: None, .. },
                EntryKind::Declared { declaration: b, supersedes: Some(s), .. },
            ] if *a == d1 && *b == d2 && *s == d1
        ),
        "one entry records the supersession and deprecates v1: {entries:#?}"
    );
    let register = pcf::register::Register::open(ws.file(pcf::register::DEFAULT_DIR)).unwrap();
    assert_eq!(
        register.status_of(&d1.to_string()).unwrap(),
        Some(pcf::register::Status::Deprecated)
    );
    assert_eq!(register.status_of(&id1).unwrap(), Some(pcf::register::Status::Deprecated));
    assert_eq!(register.verify().unwrap().deprecated, 1);
    let excerpt = register.excerpt(&[d1, d2]).unwrap();
    let in_excerpt = pcf::register::verify_excerpt(&excerpt).unwrap().statuses;
    assert_eq!(in_excerpt[&d1], pcf::register::Status::Deprecated);
    assert_eq!(in_excerpt[&d2], pcf::register::Status::Active);
    let listed = ws.ok(&["register", "list"]);
    let status_of_row = |digest: &pcf::digest::Digest| {
        let row = listed.lines().find(|l| l.contains(&digest.to_string())).unwrap();
        row.split_whitespace().last().unwrap().to_string()
    };
    assert_eq!(status_of_row(&d1), "deprecated", "{listed}");
    assert_eq!(status_of_row(&d2), "active", "{listed}");

    ws.ok(&["bundle", "v2.json", "--inventory", "inventory.toml"]);
    let b2 = ws.bundle("v2.bundle.json");
    // The register keeps declarations canonical (200000.0 comes back as 200000): compare digests.
    let superseded: Vec<_> =
        b2.superseded.iter().map(|d| pcf::canonical::digest(d).unwrap()).collect();
    assert_eq!(superseded, vec![d1]);
    let supplier = supplier_did();
    let (code, report) = ws.verify(&["v2.bundle.json", "--trust", &ws.did, "--trust", &supplier]);
    assert_eq!((code, report.verdict), (0, Verdict::Valid), "{report}");
    assert_eq!(statuses(&report), expected(CheckStatus::Pass));
    assert_eq!(check(&report, "supersession").detail, format!("supersedes {id1} ({d1})"));

    // v1's bundle made after v2: genuine, but not current: the register shows v2 replaced it.
    ws.ok(&["bundle", "v1.json", "--inventory", "inventory.toml"]);
    let (code, report) = ws.verify(&["v1.bundle.json", "--trust", &ws.did, "--trust", &supplier]);
    assert_eq!((code, report.verdict), (3, Verdict::NotCurrent), "{report}");
    assert_eq!(report.status.standing, pcf::declaration::verify::Standing::Superseded);
    let id2 = v2["credentialSubject"]["productFootprint"]["id"].as_str().unwrap();
    assert_eq!(report.status.superseded_by.as_deref(), Some(id2), "{report}");
    let register = check(&report, "register");
    assert_eq!(register.status, CheckStatus::Warn);
    assert!(register.detail.contains(&format!("superseded by {id2}")), "{}", register.detail);

    // v2 verified with a bundle lacking v1: a warning, not a pass.
    let mut without = b2.clone();
    without.superseded.clear();
    let report =
        pcf::declaration::verify::verify(&v2, Some(&without), &trusting(&[&ws.did, &supplier]));
    assert_eq!(check(&report, "supersession").status, CheckStatus::Warn, "{report}");
}

#[test]
fn superseding_needs_the_same_key_and_the_same_product() {
    let ws = Workspace::new();
    ws.declare("v1.json", &[]);
    let before = ws.entries();
    ws.ok(&["keygen", "--out", "other.key"]);
    let out = ws.run(&[
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "other.key",
        "--out",
        "v2.json",
        "--supersedes",
        "v1.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: cannot supersede: it was signed by another key; only its issuer can supersede it\n"
    );
    assert!(!ws.file("v2.json").exists());
    assert_eq!(ws.entries(), before);

    // Another product of the same issuer cannot supersede it either (verify would refuse the
    // pair, so declare refuses to issue it).
    ws.write(
        "other-product.toml",
        &fs::read_to_string(ws.file("inventory.toml")).unwrap().replace(
            "product_ids = [\"urn:gtin:06901234567892\"]",
            "product_ids = [\"urn:gtin:06901234567908\"]",
        ),
    );
    let out = ws.run(&[
        "declare",
        "other-product.toml",
        "--product",
        "bracket",
        "--key",
        "issuer.key",
        "--out",
        "v2.json",
        "--supersedes",
        "v1.json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        "error: cannot supersede: it declares product ids [\"urn:gtin:06901234567892\"], but \
         bracket has [\"urn:gtin:06901234567908\"]; a declaration supersedes only one of the \
         same product\n"
    );
    assert!(!ws.file("v2.json").exists());
    assert_eq!(ws.entries(), before);
}

#[test]
fn a_declaration_file_is_never_overwritten() {
    let ws = Workspace::new();
    ws.declare("b.json", &[]);
    let bytes = fs::read(ws.file("b.json")).unwrap();
    let before = ws.entries();
    assert_eq!(before.len(), 1);
    let out = ws.run(&[
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "issuer.key",
        "--out",
        "b.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: b.json: already exists; a declaration is never overwritten, choose another --out\n"
    );
    assert_eq!(stdout(&out), "");
    assert_eq!(fs::read(ws.file("b.json")).unwrap(), bytes);
    assert_eq!(ws.entries(), before);
}

// ---------------------------------------------------------------------------------------------
// 6. Keys

/// Standard base64 with padding (for looking for the secret in outputs).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                A[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn keygen_writes_owner_only_and_never_overwrites() {
    let ws = Workspace::new();
    let key = ws.file("issuer.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let bytes = fs::read(&key).unwrap();
    let out = ws.run(&["keygen", "--out", "issuer.key"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: issuer.key already exists: choose another path for the new key (an existing key \
         is never overwritten)\n"
    );
    assert_eq!(stdout(&out), "");
    assert_eq!(fs::read(&key).unwrap(), bytes);
    assert_eq!(ws.ok(&["did", "issuer.key"]).trim(), ws.did);
}

#[test]
fn the_private_key_never_appears_in_any_output() {
    let ws = Workspace::new();
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut run = |args: &[&str]| {
        let out = ws.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        outputs.push((format!("{args:?} stdout"), out.stdout));
        outputs.push((format!("{args:?} stderr"), out.stderr));
    };
    run(&["keygen", "--out", "k2.key", "--domain", "example.com"]);
    run(&["did", "k2.key", "--domain", "example.com"]);
    run(&["did", "issuer.key"]);
    run(&[
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "k2.key",
        "--out",
        "b.json",
    ]);
    run(&["bundle", "b.json", "--inventory", "inventory.toml"]);
    let did = ws.ok(&["did", "k2.key"]);
    run(&["verify", "b.bundle.json", "--json", "--trust", did.trim()]);
    // A failing declare prints its error too.
    let out = ws.run(&["declare", "inventory.toml", "--product", "nope", "--key", "k2.key"]);
    assert!(!out.status.success());
    outputs.push(("failed declare stderr".into(), out.stderr));
    for f in ["b.json", "b.bundle.json"] {
        outputs.push((f.into(), fs::read(ws.file(f)).unwrap()));
    }
    for entry in fs::read_dir(ws.file(".pcf-register/entries")).unwrap() {
        let p = entry.unwrap().path();
        outputs.push((p.display().to_string(), fs::read(&p).unwrap()));
    }

    for key in ["issuer.key", "k2.key"] {
        let pem = fs::read_to_string(ws.file(key)).unwrap();
        let secret = pcf::keys::read_private_key(&ws.file(key)).unwrap().to_bytes();
        let mut needles: Vec<String> = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .flat_map(|l| {
                l.as_bytes()
                    .chunks(16)
                    .map(|c| String::from_utf8(c.to_vec()).unwrap())
                    .collect::<Vec<_>>()
            })
            .filter(|chunk| chunk.len() >= 12)
            .collect();
        needles.push(pcf::digest::hex(&secret));
        needles.push(pcf::digest::hex(&secret).to_uppercase());
        needles.push(base64(&secret).trim_end_matches('=').to_string());
        needles.push(pcf::keys::base58_encode(&secret));
        for (what, bytes) in &outputs {
            let text = String::from_utf8_lossy(bytes);
            for needle in &needles {
                assert!(!text.contains(needle.as_str()), "{what} contains part of {key}: {needle}");
            }
            assert!(!text.contains("PRIVATE KEY"), "{what} mentions a PEM private key");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Snapshots

/// What the random and external values of a workspace's bracket declaration are called in
/// snapshots.
fn labels(ws: &Workspace, doc: &Value) -> Vec<(String, &'static str)> {
    let pf_id = doc["credentialSubject"]["productFootprint"]["id"].as_str().unwrap().to_string();
    vec![
        (pcf::canonical::digest(doc).unwrap().to_string(), "[declaration digest]"),
        (ws.did.clone(), "[issuer did:key]"),
        (supplier_did(), "[supplier did:key]"),
        (Methodology::shipped("pact-3.0").unwrap().digest().to_string(), "[pact-3.0 digest]"),
        (supplier_pf_id(), "[supplier pf id]"),
        (pf_id, "[pf id]"),
        // The key alone (a verification method's fragment), after the DIDs that contain it.
        (ws.did.strip_prefix("did:key:").unwrap().to_string(), "[issuer key]"),
        (supplier_did().strip_prefix("did:key:").unwrap().to_string(), "[supplier key]"),
    ]
}

#[test]
fn snapshot_of_the_bracket_declaration() {
    let ws = Workspace::new();
    let doc = ws.declare("bracket.json", &[]);
    let created = doc["validFrom"].as_str().unwrap().to_string();
    assert_eq!(doc["credentialSubject"]["productFootprint"]["created"], created.as_str());
    assert_eq!(doc["proof"]["created"], created.as_str());
    assert!(created.len() == 20 && created.ends_with('Z'), "{created}");
    let pf_id = doc["credentialSubject"]["productFootprint"]["id"].as_str().unwrap().to_string();
    let methodology = Methodology::shipped("pact-3.0").unwrap().digest();
    let inventory = pcf::inventory::Inventory::load(&ws.file("inventory.toml")).unwrap().digest;
    let supplier = pcf::canonical::digest(&supplier_document()).unwrap();
    let did = ws.did.clone();

    /// A redaction that first asserts the value is `expected`, then shows `label`.
    fn is(expected: String, label: &'static str) -> insta::internals::Redaction {
        insta::dynamic_redaction(move |value, path| {
            assert_eq!(value.as_str(), Some(expected.as_str()), "{path}");
            label
        })
    }
    let method = format!("{did}#{}", did.strip_prefix("did:key:").unwrap());
    let pf_id_for_id = pf_id.clone();
    insta::with_settings!({ description => "pcf declare examples/steel-bracket/inventory.toml --product bracket" }, {
        insta::assert_json_snapshot!("bracket_declaration", doc, {
            ".id" => insta::dynamic_redaction(move |value, _| {
                let v = value.as_str().unwrap();
                assert!(v.starts_with("urn:uuid:") && !v.ends_with(&pf_id_for_id), "{v}");
                "urn:uuid:[credential id]"
            }),
            ".issuer.id" => is(did.clone(), "[issuer did:key]"),
            ".validFrom" => is(created.clone(), "[created]"),
            ".credentialSubject.id" => is(format!("urn:uuid:{pf_id}"), "urn:uuid:[pf id]"),
            ".credentialSubject.productFootprint.id" => is(pf_id.clone(), "[pf id]"),
            ".credentialSubject.productFootprint.created" => is(created.clone(), "[created]"),
            ".credentialSubject.productFootprint.extensions[0].data.methodology.digest" =>
                is(methodology.to_string(), "[pact-3.0 digest]"),
            ".credentialSubject.productFootprint.extensions[0].data.inventoryDigest" =>
                is(inventory.to_string(), "[inventory digest]"),
            ".credentialSubject.productFootprint.extensions[0].data.upstream[0].digest" =>
                is(supplier.to_string(), "[supplier declaration digest]"),
            ".credentialSubject.productFootprint.extensions[0].data.upstream[0].pfId" =>
                is(supplier_pf_id(), "[supplier pf id]"),
            ".credentialSubject.productFootprint.extensions[0].data.upstream[0].issuer" =>
                is(supplier_did(), "[supplier did:key]"),
            ".relatedResource[1].digestSRI" =>
                is(pcf::declaration::sri(&methodology), "[sri of pact-3.0 digest]"),
            ".relatedResource[4].id" =>
                is(format!("urn:uuid:{}", supplier_pf_id()), "urn:uuid:[supplier pf id]"),
            ".relatedResource[4].digestSRI" =>
                is(pcf::declaration::sri(&supplier), "[sri of supplier declaration digest]"),
            ".proof.created" => is(created.clone(), "[created]"),
            ".proof.verificationMethod" => is(method.clone(), "[issuer did:key]#[key]"),
            ".proof.proofValue" => insta::dynamic_redaction(|value, _| {
                let v = value.as_str().unwrap();
                let raw = pcf::keys::base58_decode(v.strip_prefix('z').unwrap()).unwrap();
                assert_eq!(raw.len(), 64, "an Ed25519 signature");
                "[signature]"
            }),
        });
    });
}

#[test]
fn snapshots_of_the_verify_report_text_and_json() {
    let ws = Workspace::new();
    let (doc, _) = ws.declare_and_bundle("bracket");
    let labels = labels(&ws, &doc);

    let out = ws.run(&["verify", "bracket.bundle.json", "--trust", &ws.did]);
    assert_eq!(out.status.code(), Some(0));
    insta::with_settings!({ description => "pcf verify bracket.bundle.json --trust ISSUER" }, {
        insta::assert_snapshot!("verify_report_text", scrub(&stdout(&out), &labels));
    });

    let (code, report) = ws.verify(&["bracket.bundle.json", "--trust", &ws.did]);
    assert_eq!(code, 0);
    let digest = labels[0].0.clone();
    let did = ws.did.clone();
    let pf_id = labels[5].0.clone();
    let scrubbing = |labels: Vec<(String, &'static str)>| {
        insta::dynamic_redaction(move |value, _| scrub(value.as_str().unwrap(), &labels))
    };
    insta::with_settings!({ description => "pcf verify bracket.bundle.json --trust ISSUER --json" }, {
        insta::assert_json_snapshot!("verify_report_json", report, {
            ".digest" => insta::dynamic_redaction(move |v, _| {
                assert_eq!(v.as_str(), Some(digest.as_str()));
                "[declaration digest]"
            }),
            ".issuer" => insta::dynamic_redaction(move |v, _| {
                assert_eq!(v.as_str(), Some(did.as_str()));
                "[issuer did:key]"
            }),
            ".pf_id" => insta::dynamic_redaction(move |v, _| {
                assert_eq!(v.as_str(), Some(pf_id.as_str()));
                "[pf id]"
            }),
            ".status.at" => "[time]",
            ".checks[].name" => scrubbing(labels.clone()),
            ".checks[].detail" => scrubbing(labels),
        });
    });
}

#[test]
fn snapshot_of_the_report_on_a_tampered_declaration() {
    let ws = Workspace::new();
    let (doc, _) = ws.declare_and_bundle("bracket");
    let labels = labels(&ws, &doc);
    // The headline figure lowered, as a seller might wish: the proof fails, nothing else does.
    let mut tampered = doc.clone();
    tampered["credentialSubject"]["productFootprint"]["pcf"]["pcfExcludingBiogenicUptake"] =
        json!("1.691439");
    tampered["credentialSubject"]["productFootprint"]["pcf"]["pcfIncludingBiogenicUptake"] =
        json!("1.691439");
    tampered["credentialSubject"]["productFootprint"]["pcf"]["fossilGhgEmissions"] =
        json!("1.691439");
    ws.write_json("tampered.json", &tampered);
    let out =
        ws.run(&["verify", "tampered.json", "--bundle", "bracket.bundle.json", "--trust", &ws.did]);
    assert_eq!(out.status.code(), Some(1));
    let mut labels = labels;
    labels.insert(0, (pcf::canonical::digest(&tampered).unwrap().to_string(), "[tampered digest]"));
    insta::with_settings!({ description => "pcf verify tampered.json --bundle bracket.bundle.json --trust ISSUER, the figures lowered by 1" }, {
        insta::assert_snapshot!("verify_report_tampered_text", scrub(&stdout(&out), &labels));
    });
}

// ---------------------------------------------------------------------------------------------
// Benchmark (not a test): declarations verified per second per core

/// A bracket declaration issued in-process with a fixed key, its bundle (supplier declaration,
/// methodology, register excerpt), and the key.
fn bench_fixture(dir: &Path) -> (Value, Bundle, ed25519_dalek::SigningKey) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let inv =
        pcf::inventory::Inventory::load(&root().join("examples/steel-bracket/inventory.toml"))
            .unwrap();
    let m = Methodology::shipped("pact-3.0").unwrap();
    // After the supplier's declaration was issued (2026-11-29): it must be valid when consumed.
    let options = pcf::declaration::IssueOptions {
        created: Some("2026-12-01T00:00:00Z".into()),
        ..Default::default()
    };
    let d = pcf::declaration::issue(&inv, &m, "bracket", &key, &options).unwrap();
    let register = pcf::register::Register::open(dir.join("register")).unwrap();
    register.store_declaration(&pcf::canonical::canonicalize(&d.document).unwrap()).unwrap();
    register
        .append(
            pcf::register::EntryKind::Declared {
                declaration: d.digest,
                pf_id: d.pf_id.clone(),
                product_ids: d.product_ids.clone(),
                supersedes: None,
                certificates: d.certificates.clone(),
            },
            "2026-12-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
    let mut bundle = Bundle::new(d.document.clone());
    bundle.add_methodology(&m);
    for s in &inv.suppliers {
        bundle.add_upstream(s.document.clone());
    }
    let excerpt = register.excerpt(&[d.digest]).unwrap();
    register.checkpoint(&key).unwrap();
    bundle.log = register.log_proof(&excerpt).unwrap();
    bundle.register_excerpt = Some(excerpt);
    (d.document, bundle, key)
}

/// Calls per second of `f`, timed over at least `min` (after one warm-up call).
fn rate(min: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < min {
        for _ in 0..16 {
            f();
        }
        n += 16;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Run with `cargo test --release --test main bench_verify -- --ignored --nocapture`.
#[test]
#[ignore = "a benchmark: run it in a release build with --ignored --nocapture"]
fn bench_verify_throughput() {
    use ed25519_dalek::Signer;
    use std::hint::black_box;
    let dir = tempfile::tempdir().unwrap();
    let (doc, bundle, key) = bench_fixture(dir.path());
    let did = pcf::keys::did_key(&key.verifying_key());
    let options = trusting(&[&did, &supplier_did()]);
    let report = pcf::declaration::verify::verify(&doc, Some(&bundle), &options);
    assert_eq!(statuses(&report), expected(CheckStatus::Pass), "{report}");
    let supplier = supplier_document();
    let supplier_only = trusting(&[&supplier_did()]);
    let report = pcf::declaration::verify::verify(&supplier, None, &supplier_only);
    assert!(report.failures_except(&[]).is_empty(), "{report}");
    let t = Duration::from_secs(2);

    let message = [42u8; 64];
    let signature = key.sign(&message);
    let public = key.verifying_key();
    let raw = rate(t, || {
        black_box(public.verify_strict(black_box(&message), &signature)).unwrap();
    });
    let proof = rate(t, || {
        black_box(pcf::proof::verify(black_box(&doc), &|_| None)).unwrap();
    });
    let full = rate(t, || {
        black_box(pcf::declaration::verify::verify(black_box(&doc), Some(&bundle), &options));
    });
    let leaf = rate(t, || {
        black_box(pcf::declaration::verify::verify(black_box(&supplier), None, &supplier_only));
    });
    // Where the rest of the time goes: the parts of verify() that are public.
    let digest = rate(t, || {
        black_box(pcf::canonical::digest(black_box(&doc))).unwrap();
    });
    let shipped = rate(t, || {
        black_box(Methodology::shipped("pact-3.0")).unwrap();
    });
    let datasets = pcf::declaration::provenance(&doc).unwrap().datasets;
    let dataset = rate(t, || {
        for ds in &datasets {
            black_box(pcf::dataset::Dataset::shipped(black_box(&ds.id))).unwrap();
        }
    });
    let schema = pcf::declaration::verify::schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let validate = rate(t, || {
        black_box(validator.is_valid(black_box(&doc["credentialSubject"]["productFootprint"])));
    });
    let excerpt = bundle.register_excerpt.clone().unwrap();
    let register = rate(t, || {
        black_box(pcf::register::verify_excerpt(black_box(&excerpt))).unwrap();
    });
    let find = rate(t, || {
        black_box(bundle.find(black_box(&pcf::canonical::digest(&supplier).unwrap())));
    });
    let bytes = pcf::canonical::canonicalize(&doc).unwrap().len();
    // The same bundle without the issuer's signed checkpoint and the excerpt's inclusion proofs.
    let mut unlogged = bundle.clone();
    unlogged.log = None;
    let report = pcf::declaration::verify::verify(&doc, Some(&unlogged), &options);
    assert!(report.failures_except(&[]).is_empty(), "{report}");
    let without_log = rate(t, || {
        black_box(pcf::declaration::verify::verify(black_box(&doc), Some(&unlogged), &options));
    });

    let hostile = hostile_inputs(&doc, &bundle, &key, &options);

    println!("\ndeclaration verification, one thread, {bytes}-byte canonical declaration");
    println!("{:<58} {:>12} {:>10} {:>8}", "operation", "per second", "µs each", "x raw");
    for (what, per_second) in [
        ("ed25519 verify_strict, 64-byte message (raw)", raw),
        ("proof::verify of the bracket declaration", proof),
        ("verify(): declaration + upstream, all checks, bundle", full),
        ("verify(): the same bundle without checkpoint + log proofs", without_log),
        ("verify(): supplier declaration alone (1 signature)", leaf),
        ("  part: canonical::digest of the declaration", digest),
        ("  part: Methodology::shipped(\"pact-3.0\")", shipped),
        ("  part: Dataset::shipped, each dataset the declaration pins", dataset),
        ("  part: ProductFootprint JSON Schema validation", validate),
        ("  part: register::verify_excerpt", register),
        ("  part: Bundle::find of the supplier's declaration", find),
    ] {
        println!(
            "{what:<58} {per_second:>12.0} {:>10.1} {:>8.2}",
            1e6 / per_second,
            raw / per_second
        );
    }
    println!(
        "a bundle with log proofs verifies in {:.2}x the time of one without (issue 13: within 1.5x)",
        without_log / full
    );
    println!("\nhostile inputs, one thread (each must finish well under 1 s)");
    println!("{:<72} {:>10}", "input", "ms");
    for (what, ms) in hostile {
        println!("{what:<72} {ms:>10.1}");
    }
}

/// Verification times of hostile inputs up to the limits, in ms (one run each, after a warm-up).
fn hostile_inputs(
    doc: &Value,
    bundle: &Bundle,
    key: &ed25519_dalek::SigningKey,
    options: &VerifyOptions,
) -> Vec<(String, f64)> {
    use pcf::declaration::verify::{MAX_BUNDLE_BYTES, MAX_DOCUMENT_BYTES};
    let time = |f: &dyn Fn()| {
        f();
        let start = Instant::now();
        f();
        start.elapsed().as_secs_f64() * 1e3
    };
    let mut out = Vec::new();
    for len in [80_000, 300_000] {
        let mut d = doc.clone();
        d["proof"]["proofValue"] = json!(format!("z{}", "2".repeat(len)));
        let ms = time(&|| {
            pcf::declaration::verify::verify(&d, Some(bundle), options);
        });
        out.push((format!("proofValue of {len} characters"), ms));
    }
    // One declaration consuming the supplier's 4,000 and 10,000 times.
    let prov_at = |d: &mut Value| -> usize {
        d["credentialSubject"]["productFootprint"]["extensions"]
            .as_array()
            .unwrap()
            .iter()
            .position(|e| e["dataSchema"] == pcf::declaration::PROVENANCE_SCHEMA)
            .unwrap()
    };
    let resigned = |mut d: Value| -> Value {
        d.as_object_mut().unwrap().shift_remove("proof");
        let did = pcf::keys::did_key(&key.verifying_key());
        let opts = pcf::proof::ProofOptions::did_key(&key.verifying_key(), "2026-12-01T00:00:00Z");
        assert!(d["issuer"]["id"] == did.as_str());
        pcf::proof::sign(&d, key, opts).unwrap()
    };
    for n in [4_000, 10_000] {
        let mut d = doc.clone();
        let i = prov_at(&mut d);
        let one = d["credentialSubject"]["productFootprint"]["extensions"][i]["data"]["upstream"]
            [0]
        .clone();
        d["credentialSubject"]["productFootprint"]["extensions"][i]["data"]["upstream"] =
            json!(vec![one; n]);
        let d = resigned(d);
        let b = Bundle { declaration: d.clone(), register_excerpt: None, ..bundle.clone() };
        let bytes = serde_json::to_vec(&b).unwrap().len();
        let ms = time(&|| {
            // Refused: repeated references (or, at 10,000, the document is over the limit).
            let r = pcf::declaration::verify::verify(&d, Some(&b), options);
            assert_eq!(r.verdict, Verdict::Invalid);
        });
        out.push((
            format!("{n} upstream references to one supplier ({} kB bundle)", bytes / 1000),
            ms,
        ));
    }
    // A bundle near the size limit: as many distinct upstream declarations as fit, each
    // consumed once by the top declaration (every one verified).
    // Bytes per upstream declaration (its text and its reference in the top declaration).
    let per = serde_json::to_vec(&doc).unwrap().len() + 250;
    let n = (MAX_BUNDLE_BYTES as usize - 2 * serde_json::to_vec(bundle).unwrap().len()) / per;
    let mut ups = Vec::new();
    let mut refs = Vec::new();
    for k in 0..n {
        let mut s = doc.clone();
        s["credentialSubject"]["productFootprint"]["id"] =
            json!(format!("00000000-0000-4000-8000-{k:012}"));
        let i = prov_at(&mut s);
        s["credentialSubject"]["productFootprint"]["extensions"][i]["data"]["upstream"] = json!([]);
        let s = resigned(s);
        refs.push(json!({
            "digest": pcf::canonical::digest(&s).unwrap().to_string(),
            "pfId": s["credentialSubject"]["productFootprint"]["id"],
            "issuer": s["issuer"]["id"],
            "verified": true,
        }));
        ups.push(s);
    }
    let mut d = doc.clone();
    let i = prov_at(&mut d);
    d["credentialSubject"]["productFootprint"]["extensions"][i]["data"]["upstream"] = json!(refs);
    let d = resigned(d);
    let canonical = pcf::canonical::canonicalize(&d).unwrap().len();
    let b =
        Bundle { declaration: d.clone(), upstream: ups, register_excerpt: None, ..bundle.clone() };
    let text = serde_json::to_vec(&b).unwrap();
    assert!(text.len() as u64 <= MAX_BUNDLE_BYTES, "{} bytes", text.len());
    let ms = time(&|| {
        let parsed = pcf::canonical::parse_strict(&text).unwrap();
        let b: Bundle = serde_json::from_value(parsed).unwrap();
        let r = pcf::declaration::verify::verify(&b.declaration, Some(&b), options);
        assert!(
            r.failures_except(&[]).is_empty() || canonical > MAX_DOCUMENT_BYTES,
            "{}",
            r.failure_summary(&[])
        );
    });
    out.push((
        format!(
            "bundle of {} kB (limit {} kB): {n} distinct upstream declarations, parse + verify",
            text.len() / 1000,
            MAX_BUNDLE_BYTES / 1000
        ),
        ms,
    ));
    out
}
