//! EU CBAM specific embedded emissions (SEE) per tonne of good under eu-cbam-2026 2.4.0: the
//! two examples worked by hand (a steel bar from a purchased billet at actual and at default
//! values; aluminium profiles from two precursors, with electricity whose indirect emissions
//! are reported but not counted), one inventory computed under CBAM and PACT, the share based
//! on default values, and the rules that refuse what CBAM does not take.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use pcf::engine::{self, CbamGood, Footprints};
use pcf::methodology::Methodology;

use crate::util;

fn close(actual: f64, expected: f64, what: &str) {
    let rel = (actual - expected).abs() / expected.abs().max(1e-300);
    assert!(rel <= 1e-9, "{what}: expected {expected}, got {actual} (relative error {rel:e})");
}

fn methodology(id: &str) -> Methodology {
    Methodology::shipped(id).unwrap()
}

/// A copy of example `name` in a temporary directory, with `edit` applied to its inventory.
fn example(name: &str, edit: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    util::copy_dir(&util::root().join("examples").join(name), dir.path());
    let path = dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = edit(text.clone());
    std::fs::write(&path, edited).unwrap();
    (dir, path)
}

fn run(path: &Path, m: &Methodology) -> Result<Footprints, pcf::Error> {
    let (inv, _) = pcf::dataset::load_inventory(path)?;
    Ok(engine::footprint(&inv, m)?)
}

fn good(f: &Footprints, product: &str) -> CbamGood {
    let p = f.products.iter().find(|p| p.product == product).unwrap();
    p.totals.cbam.clone().unwrap_or_else(|| panic!("{product} has no CBAM figures"))
}

fn rule_error(path: &Path, m: &Methodology) -> String {
    match run(path, m) {
        Ok(_) => panic!("{} computed under {}", path.display(), m.id()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_steel_bar_from_a_billet_at_the_steelworks_actual_values() {
    let (_dir, path) = example("cbam-steel-bar", |t| t);
    let f = run(&path, &methodology("eu-cbam-2026")).unwrap();
    let g = good(&f, "rebar");
    assert_eq!(
        (g.cn.as_str(), g.category.as_str(), g.unit.as_str()),
        ("72142000", "iron-and-steel", "t")
    );
    assert_eq!(
        g.route.as_deref(),
        Some("iron or steel products: hot rolling of purchased billets")
    );
    close(g.per_declared_unit, 0.001, "tonnes per declared kg");
    // 1,050 t billets x 1.90 + 1,200 GJ x 0.0561 t/GJ = 1,995 + 67.32 t for 1,000 t of bar.
    close(g.direct, 2.06232, "SEE direct");
    assert_eq!(g.indirect, 0.0, "iron and steel count direct emissions only");
    // 120 MWh x 0.5366 + 1,050 t x 0.10 = 64.392 + 105 t, reported, not counted.
    close(g.indirect_not_counted, 0.169392, "SEE indirect not counted");
    close(g.embedded, 2.06232, "SEE embedded");
    // The steelworks based 5 % of its figures on default values: 0.05 x 1,995 t of 2,062.32 t.
    close(g.default_value_percent, 100.0 * 99.75 / 2062.32, "default-value share");
    // Per declared unit (1 kg) the same figures in kg.
    let t = &f.products[0].totals;
    close(t.direct.unwrap(), 2.06232, "direct per kg");
    close(t.indirect_not_counted.unwrap(), 0.169392, "not counted per kg");
}

#[test]
fn the_same_bar_with_the_billet_at_the_eu_default_value_for_china_and_for_other_countries() {
    let (_dir, path) = example("cbam-steel-bar", |t| {
        t.replace(
            "communication = \"suppliers/billet-communication.json\"",
            "default_value = { country = \"CN\" }",
        )
    });
    let (inv, datasets) = pcf::dataset::load_inventory(&path).unwrap();
    assert!(
        datasets.iter().any(|d| d.id == "eu-cbam-default-values" && d.version == "2026.2"),
        "the default values' dataset is pinned: {datasets:?}"
    );
    let f = engine::footprint(&inv, &methodology("eu-cbam-2026")).unwrap();
    let g = good(&f, "rebar");
    // Annex I, China, 7207 11 14: direct 3.168785 (no indirect value for iron and steel).
    // 1,050 x 3.168785 = 3,327.22425 t + 67.32 t of natural gas.
    close(g.direct, 3.39454425, "SEE direct at the default value");
    close(g.indirect_not_counted, 0.064392, "only the mill's electricity is indirect");
    close(g.default_value_percent, 100.0 * 3327.22425 / 3394.54425, "default-value share");
    assert!(f.products[0].quality.data_sources.iter().any(|d| d.class.name() == "secondary"));

    // A country with no table takes "Other countries and territories": 3.995879.
    let (_dir, path) = example("cbam-steel-bar", |t| {
        t.replace(
            "communication = \"suppliers/billet-communication.json\"",
            "default_value = { country = \"AQ\" }",
        )
    });
    let g = good(&run(&path, &methodology("eu-cbam-2026")).unwrap(), "rebar");
    close(g.direct, (1050.0 * 3.995879 + 67.32) / 1000.0, "SEE direct, other countries");
    let (inv, _) = pcf::dataset::load_inventory(&path).unwrap();
    let basis = inv.precursors[0].basis.describe();
    assert!(basis.contains("table other") && basis.contains("AQ has no table"), "{basis}");
}

#[test]
fn typed_in_figures_give_what_the_communication_file_gives() {
    let base = run(&example("cbam-steel-bar", |t| t).1, &methodology("eu-cbam-2026")).unwrap();
    let (_dir, path) = example("cbam-steel-bar", |t| {
        t.replace(
            "communication = \"suppliers/billet-communication.json\"",
            "see = { direct = 1.9, indirect = 0.1, default_value_percent = 5, route = \"crude \
             steel: basic oxygen steelmaking\", source = \"Example Steelworks, communication \
             2026\" }",
        )
    });
    let typed = run(&path, &methodology("eu-cbam-2026")).unwrap();
    assert_eq!(good(&typed, "rebar"), good(&base, "rebar"));
    assert_eq!(typed.products[0].quality, base.products[0].quality);
}

#[test]
fn aluminium_profiles_count_direct_emissions_and_report_the_electricity_beside() {
    let (_dir, path) = example("cbam-aluminium-profile", |t| t);
    let f = run(&path, &methodology("eu-cbam-2026")).unwrap();
    let g = good(&f, "profile");
    assert_eq!((g.cn.as_str(), g.category.as_str()), ("76042100", "aluminium"));
    close(g.per_declared_unit, 0.0025, "tonnes per piece");
    // 7,350 x 1.65 + 3,150 x 3.0 (default, China, 7601) + 2,000 GJ x 0.0561 = 21,689.7 t,
    // all to the 10,000 t of profiles (the scrap is not a CBAM good).
    close(g.direct, 2.16897, "SEE direct");
    assert_eq!(g.indirect, 0.0);
    // 7,350 x 7.9 (the smelter's electricity) + 3,000 MWh x 0.5366 = 59,674.8 t.
    close(g.indirect_not_counted, 5.96748, "SEE indirect not counted");
    close(g.default_value_percent, 100.0 * 9450.0 / 21689.7, "default-value share");
    let p = &f.products.iter().find(|p| p.product == "profile").unwrap().totals;
    close(p.direct.unwrap(), 2.16897 * 2.5, "direct per piece of 2.5 kg");
    let scrap = f.products.iter().find(|p| p.product == "scrap").unwrap();
    assert!(scrap.totals.cbam.is_none(), "7602 is not a CBAM good");
    assert_eq!(scrap.totals.excluding_uptake, 0.0, "and receives nothing under CBAM");
}

#[test]
fn one_inventory_gives_the_cbam_and_the_life_cycle_figures_with_their_own_allocation() {
    let (_dir, path) = example("cbam-aluminium-profile", |t| t);
    let cbam = run(&path, &methodology("eu-cbam-2026")).unwrap();
    let pact = run(&path, &methodology("pact-3.0")).unwrap();
    let shares = |f: &Footprints| {
        let a = f.products[0].allocations.iter().find(|a| a.process == "extrusion").unwrap();
        (a.method.clone(), a.shares.iter().map(|s| s.1).collect::<Vec<_>>())
    };
    assert_eq!(shares(&cbam), ("physical".to_string(), vec![1.0, 0.0]));
    let (method, s) = shares(&pact);
    assert_eq!(method, "mass");
    close(s[1], 500.0 / 10500.0, "scrap's mass share");
    // PACT: 10,500 t x 18 + 112.2 + 1,609.8 = 190,722 t, 10,000/10,500 of it to 4,000,000
    // pieces: 45.41 kg a piece.
    let profile = pact.products.iter().find(|p| p.product == "profile").unwrap();
    close(profile.totals.excluding_uptake, 45.41, "PACT footprint per piece");
    assert!(profile.totals.cbam.is_none(), "no CBAM figures without [cbam] rules");
    assert_eq!(cbam.inventory_digest, pact.inventory_digest, "the same data");
}

#[test]
fn a_precursor_without_a_life_cycle_factor_is_refused_by_life_cycle_methodologies() {
    let (_dir, path) =
        example("cbam-steel-bar", |t| t.replace("factor = \"billet-cradle-to-gate\"\n", ""));
    assert!(run(&path, &methodology("eu-cbam-2026")).is_ok());
    let e = rule_error(&path, &methodology("pact-3.0"));
    assert!(
        e.contains("/processes/0/inputs/0") && e.contains("only CBAM specific embedded"),
        "{e}"
    );
    assert!(e.contains("`factor`"), "{e}");
}

#[test]
fn what_eu_cbam_2026_2_4_0_refuses() {
    let m = methodology("eu-cbam-2026");
    // A CBAM good is declared with its production route (it computes without).
    let (_dir, path) = example("cbam-steel-bar", |t| {
        t.replace("route = \"iron or steel products: hot rolling of purchased billets\"\n", "")
    });
    let (inv, _) = pcf::dataset::load_inventory(&path).unwrap();
    assert!(engine::footprint(&inv, &m).is_ok());
    let missing = pcf::declaration::ready::requirements(&inv, &m, 0, &Default::default());
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(
        (missing[0].field, missing[0].pointer.as_str()),
        ("productionRoute", "/processes/0")
    );
    let pact = methodology("pact-3.0");
    assert!(pcf::declaration::ready::requirements(&inv, &pact, 0, &Default::default()).is_empty());
    // A life-cycle grid factor is not a CO2 emission factor of the grid.
    let (_dir, path) = example("cbam-steel-bar", |t| {
        t.replace("dataset:cn-grid@2022", "dataset:cn-grid@2023-footprint")
    });
    let e = rule_error(&path, &m);
    assert!(e.contains("life-cycle") && e.contains("combustion-co2"), "{e}");
    // The archived 2.3.0 says nothing about precursors at default values: refused.
    let archived =
        Methodology::load(&util::root().join("methodologies/archive/eu-cbam-2026@2.3.0.toml"))
            .unwrap();
    let (_dir, path) = example("cbam-aluminium-profile", |t| t);
    let e = rule_error(&path, &archived);
    assert!(e.contains("precursor_default_values"), "{e}");
}

#[test]
fn a_precursor_input_is_checked_where_it_is_written() {
    let load = |edit: &dyn Fn(String) -> String| -> String {
        let (_dir, path) = example("cbam-steel-bar", edit);
        match pcf::dataset::load_inventory(&path) {
            Ok(_) => panic!("loaded"),
            Err(e) => e.to_string(),
        }
    };
    let both = load(&|t| {
        t.replace(
            "communication = \"suppliers/billet-communication.json\"",
            "communication = \"suppliers/billet-communication.json\"\ndefault_value = { country = \"CN\" }",
        )
    });
    assert!(both.contains("/processes/0/inputs/0") && both.contains("exactly one of"), "{both}");
    let other_good = load(&|t| t.replace("cn = \"7207 11 14\"", "cn = \"7208 38 00\""));
    assert!(
        other_good.contains("no good with CN code 72083800") && other_good.contains("72071114"),
        "{other_good}"
    );
    let missing = load(&|t| t.replace("billet-communication.json", "nothing.json"));
    assert!(
        missing.contains("/processes/0/inputs/0/communication")
            && missing.contains("pcf cbam import"),
        "{missing}"
    );
    let unknown = load(&|t| {
        t.replace(
            "communication = \"suppliers/billet-communication.json\"",
            "default_value = { country = \"CN\" }",
        )
        .replace("cn = \"7207 11 14\"", "cn = \"9999\"")
    });
    assert!(
        unknown.contains("/processes/0/inputs/0/default_value") && unknown.contains("9999"),
        "{unknown}"
    );
}

#[test]
fn a_cbam_declaration_carries_the_see_and_verify_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    util::copy_dir(&util::root().join("examples/cbam-aluminium-profile"), dir.path());
    let run = |args: &[&str]| {
        let out = util::pcf(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}{}", util::stdout(&out), util::stderr(&out));
        util::stdout(&out)
    };
    run(&["keygen", "--out", "issuer.key"]);
    let did = run(&["did", "issuer.key"]).trim().to_string();
    run(&[
        "declare",
        "inventory.toml",
        "-m",
        "eu-cbam-2026",
        "--product",
        "profile",
        "--key",
        "issuer.key",
        "--out",
        "profile.json",
        "--register",
        "reg",
    ]);
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("profile.json")).unwrap()).unwrap();
    let data = pcf::declaration::extension(&doc, pcf::declaration::CBAM_SCHEMA).unwrap().clone();
    assert_eq!(data["cnCode"], "76042100");
    assert_eq!(data["specificEmissionsUnit"], "tCO2e/t");
    assert_eq!(data["specificDirectEmbeddedEmissions"], "2.16897");
    assert_eq!(data["specificIndirectEmissionsNotCounted"], "5.96748");
    assert_eq!(data["defaultValueShare"], "43.57");
    assert_eq!(data["directEmbeddedEmissions"], "5.422425");
    run(&["bundle", "profile.json", "--inventory", "inventory.toml", "--register", "reg"]);
    let out = run(&["verify", "profile.bundle.json", "--trust", &did]);
    assert!(out.contains("VALID"), "{out}");
    let line = out.lines().find(|l| l.trim_start().starts_with("cbam")).unwrap();
    assert!(
        line.contains("CN 76042100 (aluminium)")
            && line.contains("route aluminium products: extrusion")
            && line.contains("SEE 2.16897 direct + 0 indirect tCO2e/t")
            && line.contains("5.96748 indirect not counted")
            && line.contains("43.57 % on default values"),
        "{line}"
    );
    // The figures must agree with each other: a specific figure that is not the per-unit one
    // divided by the mass is a problem of the numbers check.
    let mut bad = data.clone();
    bad["specificDirectEmbeddedEmissions"] = "2.2".into();
    let problems = pcf::declaration::cbam::problems(&bad, Some(5.422425), Some(2.5));
    assert!(problems.iter().any(|p| p.contains("specificDirectEmbeddedEmissions")), "{problems:?}");
    assert!(pcf::declaration::cbam::problems(&data, Some(5.422425), Some(2.5)).is_empty());
    let mut bad = data;
    bad["defaultValueShare"] = "143".into();
    assert!(!pcf::declaration::cbam::problems(&bad, Some(5.422425), Some(2.5)).is_empty());
}

#[test]
fn electricity_as_a_cbam_good_is_given_per_mwh() {
    // A gas-fired plant: 10,000 GJ x 56.1 kg CO2/GJ = 561 t CO2 for 1,500 MWh: 0.374 t/MWh.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plant.toml");
    std::fs::write(
        &path,
        r#"
[[products]]
id = "power"
name = "Electricity exported to the EU grid"
declared_unit = "kilowatt hour"
mass_per_declared_unit = 0.0
classification = { scheme = "CN", code = "2716 00 00" }

[[processes]]
id = "plant"
name = "Combined-cycle gas turbine"
route = "electricity: natural gas combined cycle"
outputs = [{ product = "power", amount = 1500, unit = "MWh" }]
inputs = [{ kind = "fuel", name = "Natural gas", factor = "gas", amount = 10000, unit = "GJ" }]

[[factors]]
id = "gas"
name = "Natural gas, CO2 only"
per = "TJ"
gases = { "co2-fossil" = 56100 }
source = "2006 IPCC Guidelines, Vol. 2, Table 1.4"
licence = "factual default value"
"#,
    )
    .unwrap();
    let g = good(&run(&path, &methodology("eu-cbam-2026")).unwrap(), "power");
    assert_eq!((g.unit.as_str(), g.category.as_str()), ("MWh", "electricity"));
    close(g.per_declared_unit, 0.001, "MWh per kWh");
    close(g.direct, 0.374, "SEE, t CO2 per MWh");
}

#[test]
fn a_signed_cbam_declaration_carries_its_default_share_to_the_next_tier() {
    // The rolling mill declares its bar; a fabricator buys 1,000 t of it for 950 t of
    // structures (7308): 2,062.32 t of embedded emissions and the mill's default-value share,
    // whatever the next tier's tonnage.
    let dir = tempfile::tempdir().unwrap();
    util::copy_dir(&util::root().join("examples/cbam-steel-bar"), dir.path());
    let run_ok = |args: &[&str]| {
        let out = util::pcf(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", util::stderr(&out));
    };
    run_ok(&["keygen", "--out", "mill.key"]);
    run_ok(&[
        "declare",
        "inventory.toml",
        "-m",
        "eu-cbam-2026",
        "--product",
        "rebar",
        "--key",
        "mill.key",
        "--out",
        "rebar.json",
        "--register",
        "reg",
    ]);
    let input = r#"inputs = [{ kind = "supplier", name = "Rebar", declaration = "rebar.json", amount = 1000, unit = "t" }]"#;
    std::fs::write(dir.path().join("fabricator.toml"), fabricator(input)).unwrap();
    // The mill's declaration pins the steelworks' communication by digest.
    let rebar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("rebar.json")).unwrap()).unwrap();
    let provenance =
        pcf::declaration::extension(&rebar, pcf::declaration::PROVENANCE_SCHEMA).unwrap();
    let text =
        std::fs::read_to_string(dir.path().join("suppliers/billet-communication.json")).unwrap();
    let digest = pcf::canonical::digest(&pcf::canonical::parse_strict(text.as_bytes()).unwrap())
        .unwrap()
        .to_string();
    assert_eq!(
        provenance["communications"],
        serde_json::json!([{
            "file": "suppliers/billet-communication.json",
            "digest": digest,
            "installation": "Example Steelworks, Tangshan",
        }])
    );
    let f = run(&dir.path().join("fabricator.toml"), &methodology("eu-cbam-2026")).unwrap();
    let g = good(&f, "frame");
    close(g.direct, 2062.32 / 950.0, "SEE direct of the cage");
    // As declared: a percentage with two places, like PACT's primaryDataShare (4.8367 %).
    close(g.default_value_percent, 4.84, "the mill's default-value share");
}

#[test]
fn a_communication_template_exported_and_imported_feeds_the_next_installation_unchanged() {
    // The rolling mill exports its communication template; the fabricator imports it and uses
    // it as a precursor: the bar's SEE reach the cage as the mill computed them, the indirect
    // part reported (the template carries every good's indirect emissions, whether its own
    // category counts them or not), and the default-value share as a percentage.
    let dir = tempfile::tempdir().unwrap();
    util::copy_dir(&util::root().join("examples/cbam-steel-bar"), dir.path());
    let run_ok = |args: &[&str]| {
        let out = util::pcf(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", util::stderr(&out));
    };
    run_ok(&["cbam", "export", "inventory.toml", "-m", "eu-cbam-2026", "-o", "rebar.xlsx"]);
    run_ok(&["cbam", "import", "rebar.xlsx", "-o", "rebar-communication.json"]);
    // Nothing to communicate without CBAM rules: refused, nothing written.
    let out = util::pcf(
        dir.path(),
        &["cbam", "export", "inventory.toml", "-m", "pact-3.0", "-o", "lca.xlsx"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", util::stderr(&out));
    assert!(util::stderr(&out).contains("no product has CBAM figures"));
    assert!(!dir.path().join("lca.xlsx").exists());
    let mill = run(&dir.path().join("inventory.toml"), &methodology("eu-cbam-2026")).unwrap();
    let bar = good(&mill, "rebar");
    let text = std::fs::read_to_string(dir.path().join("rebar-communication.json")).unwrap();
    let c = pcf::inventory::communication::Communication::from_text(Path::new("c.json"), &text)
        .unwrap();
    let g = c.good("72142000").unwrap();
    close(g.direct, bar.direct, "communicated direct SEE");
    close(g.indirect, bar.indirect + bar.indirect_not_counted, "communicated indirect SEE");
    assert_eq!(g.route, bar.route);
    close(g.default_share.unwrap() * 100.0, bar.default_value_percent, "default share");

    let input = r#"inputs = [{ kind = "precursor", name = "Rebar", cn = "7214 20 00", communication = "rebar-communication.json", amount = 1000, unit = "t" }]"#;
    std::fs::write(dir.path().join("fabricator.toml"), fabricator(input)).unwrap();
    let f = run(&dir.path().join("fabricator.toml"), &methodology("eu-cbam-2026")).unwrap();
    let cage = good(&f, "frame");
    close(cage.direct, 1000.0 * bar.direct / 950.0, "the cage's direct SEE");
    close(cage.indirect_not_counted, 1000.0 * bar.indirect_not_counted / 950.0, "not counted");
    close(cage.default_value_percent, bar.default_value_percent, "default-value share");
}

/// A fabricator's inventory: 950 t of rebar cages (CN 7308) from the input line `inputs`.
fn fabricator(inputs: &str) -> String {
    format!(
        r#"
[[products]]
id = "frame"
name = "Welded rebar cage"
declared_unit = "kilogram"
mass_per_declared_unit = 1.0
classification = {{ scheme = "CN", code = "7308 90 59" }}

[[processes]]
id = "welding"
name = "Cutting, bending and welding"
route = "iron or steel products: fabrication"
outputs = [{{ product = "frame", amount = 950, unit = "t" }}]
{inputs}
"#
    )
}
