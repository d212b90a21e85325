//! Tests: no silent defaults, and data quality that cannot be overstated (issue 15 §4-§6).
//! Every default that moves a number is a notice with its rule and location, listed in
//! docs/defaults.md; allocation by the default when prices are given is a warning that says
//! what price allocation would give (checked against the engine allocating by price); an
//! instrument without a serial is an error under the current methodologies and a warning under
//! the archived ones; a supplier's figure typed in counts with the share its document states
//! (checked against a hand formula); a supplier's unsigned PACT footprint is declared,
//! bundled and verified as such (and a tampered copy fails); `pcf check --for` lists every
//! field `pcf declare` needs at once; one classification in the engine and the audit trace.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use serde_json::Value;

use pcf::engine::notices::Level;
use pcf::engine::{Model, quality};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::util::{bracket_example, pcf, root, stderr, stdout};

fn edit(dir: &Path, f: impl Fn(String) -> String) {
    let p = dir.join("inventory.toml");
    let text = fs::read_to_string(&p).unwrap();
    let new = f(text.clone());
    assert_ne!(new, text, "the edit changed nothing");
    fs::write(p, new).unwrap();
}

fn model_of<'a>(inv: &'a Inventory, m: &'a Methodology) -> Model<'a> {
    Model::build(inv, m).unwrap()
}

fn load(dir: &Path) -> Inventory {
    Inventory::load(&dir.join("inventory.toml")).unwrap()
}

#[test]
fn every_rule_a_notice_names_is_in_docs_defaults() {
    let src = fs::read_to_string(root().join("crates/footprint/src/engine/notices.rs")).unwrap();
    let docs = fs::read_to_string(root().join("docs/defaults.md")).unwrap();
    let mut rules = 0;
    for line in src.lines().filter(|l| l.trim_start().starts_with("rule: \"")) {
        let rule = line.split('"').nth(1).unwrap();
        for r in rule.split(", ") {
            rules += 1;
            assert!(docs.contains(&format!("`{r}`")), "docs/defaults.md does not list `{r}`");
        }
    }
    assert!(rules >= 7, "found only {rules} rules in notices.rs");
}

#[test]
fn allocation_by_default_with_prices_is_a_warning_that_predicts_the_price_shares() {
    let dir = bracket_example();
    let m = Methodology::resolve("pact-3.0").unwrap();
    let inv = load(dir.path());
    let model = model_of(&inv, &m);
    let n: Vec<_> = model.notices.iter().filter(|n| n.rule == "allocation.default").collect();
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].level, Level::Warning);
    assert_eq!(n[0].pointer, "/processes/0/allocation");
    // By hand: blank 850 t x 5.2, scrap 85 t x 2.4 -> 4420 / 4624 = 95.6 %, 4.4 %.
    assert!(
        n[0].message.contains("by price it would be blank 95.6 %, scrap 4.4 %"),
        "{}",
        n[0].message
    );

    // The engine allocating by price gives those shares.
    edit(dir.path(), |t| {
        t.replacen("id = \"stamping\"\n", "id = \"stamping\"\nallocation = \"economic\"\n", 1)
    });
    let inv = load(dir.path());
    let model = model_of(&inv, &m);
    let rec = model.allocations.iter().find(|a| a.process == "stamping").unwrap();
    assert_eq!(rec.method, "economic");
    assert!((rec.shares[0].1 - 4420.0 / 4624.0).abs() < 1e-12, "{:?}", rec.shares);
    assert!(model.notices.iter().all(|n| n.rule != "allocation.default"), "stated: no notice");
}

#[test]
fn an_instrument_without_serial_is_an_error_now_and_a_warning_under_archived_versions() {
    let dir = bracket_example();
    edit(dir.path(), |t| t.replacen("serial = \"GEC-2025-JS-000481220-000481619\", ", "", 1));
    let inv = load(dir.path());
    let now = Methodology::resolve("pact-3.0").unwrap();
    let err = Model::build(&inv, &now).err().expect("refused");
    let text = err.to_string();
    assert!(text.contains("/processes/0/inputs/2/instruments/0"), "{text}");
    assert!(text.contains("no serial number"), "{text}");
    assert!(text.contains("electricity.without_serial"), "{text}");

    let old = Methodology::resolve("pact-3.0@1.2.0").unwrap();
    let model = model_of(&inv, &old);
    let n = model
        .notices
        .iter()
        .find(|n| n.pointer == "/processes/0/inputs/2/instruments/0" && n.level == Level::Warning)
        .expect("a warning under 1.2.0");
    assert!(n.message.contains("not counted"), "{}", n.message);
}

/// The bracket with the zinc factor labelled as a supplier's figure typed in, with `share`.
fn typed_zinc(share: Option<f64>) -> tempfile::TempDir {
    let dir = bracket_example();
    let extra = share.map(|s| format!(", primary_data_share = {s}")).unwrap_or_default();
    edit(dir.path(), |t| {
        t.replacen(
            "quality = { source = \"secondary\", technological = 3, temporal = 3, geographical = 4 }",
            &format!("quality = {{ source = \"supplier-specific\", technological = 3, temporal = 3, geographical = 4{extra} }}"),
            1,
        )
    });
    dir
}

fn bracket_quality(
    dir: &Path,
    m: &str,
) -> (f64, Vec<(String, f64)>, Vec<pcf::engine::notices::Notice>) {
    let inv = load(dir);
    let m = Methodology::resolve(m).unwrap();
    let model = model_of(&inv, &m);
    let s = model.summary(0).unwrap();
    let sources =
        s.quality.data_sources.iter().map(|d| (d.class.name().to_string(), d.share)).collect();
    (s.quality.primary_data_share.unwrap(), sources, model.notices.clone())
}

#[test]
fn a_typed_in_supplier_figure_counts_with_the_share_its_document_states() {
    let base = bracket_example();
    let (pds, sources, _) = bracket_quality(base.path(), "pact-3.0");
    assert!(sources.iter().all(|(c, _)| c != "supplier-typed"));

    let none = typed_zinc(None);
    let (pds_none, sources_none, notices) = bracket_quality(none.path(), "pact-3.0");
    let typed = sources_none.iter().find(|(c, _)| c == "supplier-typed").expect("classed typed").1;
    assert!(typed > 1.0, "zinc is a visible share: {typed}");
    // No stated share: as a declaration without one (pact-3.0: secondary). Unchanged.
    assert!((pds_none - pds).abs() < 1e-9, "{pds_none} vs {pds}");
    assert!(notices.iter().any(|n| n.rule == "primary_data.supplier_typed"), "{notices:?}");

    // 40 % stated: by hand, the share rises by 40 % of zinc's part of the footprint.
    let forty = typed_zinc(Some(40.0));
    let (pds_40, _, notices) = bracket_quality(forty.path(), "pact-3.0");
    assert!((pds_40 - (pds + 0.4 * typed)).abs() < 1e-9, "{pds_40} vs {pds} + 0.4 x {typed}");
    assert!(notices.iter().all(|n| n.rule != "primary_data.supplier_typed"));

    // Up to 1.2.0 a typed-in figure counted in full: the overstatement the rule ends.
    let (pds_old, _, _) = bracket_quality(none.path(), "pact-3.0@1.2.0");
    let (pds_old_base, _, _) = bracket_quality(base.path(), "pact-3.0@1.2.0");
    assert!(
        (pds_old - (pds_old_base + typed)).abs() < 1e-9,
        "{pds_old} vs {pds_old_base} + {typed}"
    );
}

#[test]
fn engine_and_audit_trace_classify_every_input_alike() {
    for share in [None, Some(25.0)] {
        let dir = typed_zinc(share);
        let inv = load(dir.path());
        for m in ["pact-3.0", "pact-3.0@1.2.0", "iso-14067-2018", "eu-cbam-2026"] {
            let m = Methodology::resolve(m).unwrap();
            let Ok(model) = Model::build(&inv, &m) else { continue };
            for (pi, p) in inv.processes.iter().enumerate() {
                for i in &p.inputs {
                    let Some(c) = quality::of_input(&inv, &m, pi, i) else { continue };
                    let item = model.items.iter().find(|it| it.pointer == i.pointer).unwrap();
                    assert_eq!(item.data, c.class, "{} under {}", i.pointer, m.id());
                    assert_eq!(item.primary_fraction, c.primary, "{} under {}", i.pointer, m.id());
                }
            }
        }
    }
}

/// The bracket example whose supplier sends a plain PACT footprint (the signed one's
/// ProductFootprint, without the credential and proof), with an issuer key.
fn unsigned_supplier() -> tempfile::TempDir {
    let dir = bracket_example();
    let signed: Value = serde_json::from_slice(
        &fs::read(dir.path().join("suppliers/hot-rolled-coil.json")).unwrap(),
    )
    .unwrap();
    let pf = &signed["credentialSubject"]["productFootprint"];
    fs::write(dir.path().join("suppliers/coil.pact.json"), serde_json::to_vec_pretty(pf).unwrap())
        .unwrap();
    edit(dir.path(), |t| t.replace("suppliers/hot-rolled-coil.json", "suppliers/coil.pact.json"));
    let out = pcf(dir.path(), &["keygen", "--out", "issuer.key"]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

#[test]
fn an_unsigned_pact_footprint_is_declared_bundled_and_verified_as_unsigned() {
    let dir = unsigned_supplier();
    let d = dir.path();
    let args = [
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "issuer.key",
        "--out",
        "b.json",
        "--register",
        "reg",
    ];
    let out = pcf(d, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("is an unsigned PACT footprint"), "{}", stdout(&out));

    let decl: Value = serde_json::from_slice(&fs::read(d.join("b.json")).unwrap()).unwrap();
    let prov = pcf::declaration::provenance(&decl).unwrap();
    assert_eq!(prov.upstream.len(), 1);
    assert!(
        prov.upstream[0].unsigned
            && !prov.upstream[0].verified
            && prov.upstream[0].issuer.is_none()
    );
    // The data-quality extension: the rated share and the unsigned supplier's part.
    let q =
        pcf::declaration::extension(&decl, pcf::declaration::quality::DATA_QUALITY_SCHEMA).unwrap();
    assert_eq!(q["ratedSharePercent"], "100");
    let classes: Vec<&str> =
        q["dataSources"].as_array().unwrap().iter().map(|s| s["class"].as_str().unwrap()).collect();
    assert_eq!(classes, ["own-measurement", "supplier-unsigned", "secondary"]);

    let out = pcf(d, &["bundle", "b.json", "--inventory", "inventory.toml", "--register", "reg"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let did = stdout(&pcf(d, &["did", "issuer.key"])).trim().to_string();
    let verify = |file: &str| {
        let out = pcf(d, &["verify", file, "--trust", &did, "--json"]);
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)))
    };
    let report = verify("b.bundle.json");
    assert_eq!(report["verdict"], "valid", "{report:#}");
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("upstream"))
        .unwrap();
    assert_eq!(check["status"], "warn");
    assert!(
        check["detail"].as_str().unwrap().contains("unsigned PACT footprint of Hot-rolled coil"),
        "{check}"
    );
    assert!(report["data_quality"].as_str().unwrap().contains("supplier-unsigned"), "{report:#}");

    // The supplier's figures changed in the bundle: its digest no longer matches.
    let text = fs::read_to_string(d.join("b.bundle.json")).unwrap();
    // 2.052577 kg is the coil's total, fossil and including-uptake figure: only the supplier's
    // document in the bundle holds it.
    let supplier_pcf = text.matches("\"2.052577\"").count();
    assert_eq!(supplier_pcf, 3, "the supplier's three figures");
    fs::write(d.join("t.bundle.json"), text.replace("\"2.052577\"", "\"1.052577\"")).unwrap();
    let out = pcf(d, &["verify", "t.bundle.json", "--trust", &did]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("which it does not carry"), "{}", stderr(&out));

    // Under pact-3.0 1.2.0 the unsigned footprint is refused, as it was.
    let mut old = args.to_vec();
    old[7] = "old.json";
    old[9] = "reg-old";
    old.extend(["-m", "pact-3.0@1.2.0"]);
    let out = pcf(d, &old);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("carries no proof"), "{}", stderr(&out));
}

#[test]
fn check_for_lists_every_field_declare_needs_at_once() {
    let dir = bracket_example();
    let d = dir.path();
    edit(d, |t| {
        t.lines()
            .filter(|l| !l.starts_with("company = ") && !l.starts_with("reference_period = "))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .replacen("product_ids = [\"urn:gtin:06901234567892\"]\n", "", 1)
            .replacen("fossil_carbon_content = 0.0018\n", "", 1)
            .replacen("packaging_emissions_included = false\n", "", 1)
    });
    let out = pcf(d, &["check", "inventory.toml", "--for", "pact-3.0", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let declare = v["declare"].as_array().unwrap();
    assert_eq!(declare.len(), 1, "the bracket only (blank is consumed, scrap a co-product)");
    let fields: Vec<&str> = declare[0]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "companyName",
            "companyIds",
            "productIds",
            "referencePeriodStart/End",
            "fossilCarbonContent",
            "packagingEmissionsIncluded"
        ]
    );

    let out = pcf(d, &["check", "inventory.toml", "--for", "pact-3.0"]);
    let text = stdout(&out);
    let from = text.find("bracket: cannot").unwrap();
    insta::assert_snapshot!(&text[from..], @r#"
bracket: cannot be declared yet, 6 field(s) missing or wrong:
  - the company name is not known (companyName, at inventory.toml:6:1 /inventory/company/name)
    help: add `name` under [inventory.company], or pass --company
  - PACT requires at least one company id (URN) (companyIds, at inventory.toml:6:1 /inventory/company/ids)
    help: add `ids = ["urn:..."]` under [inventory.company] (e.g. urn:uscc: and the 18 characters of the unified social credit code; docs/inventory.md lists the forms), or pass --company-id
  - PACT requires at least one product id (URN) for "bracket" (productIds, at inventory.toml:11:1 /products/0/product_ids)
    help: add `product_ids = ["urn:..."]` to the product (e.g. urn:gtin: and its GTIN; docs/inventory.md lists the forms)
  - the reference period is not known (referencePeriodStart/End, at inventory.toml:6:1 /inventory/reference_period)
    help: add `reference_period = { start = "2025-01-01", end = "2025-12-31" }` under [inventory], or pass --reference-period START..END
  - PACT requires the fossil carbon content of "bracket" (fossilCarbonContent, at inventory.toml:11:1 /products/0/fossil_carbon_content)
    help: add `fossil_carbon_content` (kg C per declared unit; 0 when the product contains no fossil carbon) to the product
  - PACT requires saying whether packaging emissions of "bracket" are included (packagingEmissionsIncluded, at inventory.toml:11:1 /products/0/packaging_emissions_included)
    help: add `packaging_emissions_included = true` or `false` to the product
"#);

    // `pcf declare` refuses with the same list.
    let out = pcf(d, &["keygen", "--out", "k.key"]);
    assert!(out.status.success());
    let out = pcf(
        d,
        &[
            "declare",
            "inventory.toml",
            "--product",
            "bracket",
            "--key",
            "k.key",
            "--register",
            "reg",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("6 field(s) missing or wrong"), "{}", stderr(&out));
}
