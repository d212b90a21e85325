//! Tests: methodologies (`pcf::methodology`). Every shipped file loads and says what it encodes;
//! the digest ignores comments, whitespace and key order but no change of rule; a file given by
//! path works like the shipped one; bad files fail with messages that name the problem; and the
//! GWP tables reproduce hand-computed worked cases for AR6, AR5 and AR4.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use pcf::inventory::Gas;
use pcf::methodology::{Methodology, MethodologyError, shipped_ids};
use sha2::{Digest as _, Sha256};
use tempfile::TempDir;

use crate::util;

/// IPCC AR6 GWP100 (WG1 ch. 7, Table 7.15 / 7.SM.7), as every AR6 file must carry it.
const AR6: &[(&str, f64)] = &[
    ("co2-fossil", 1.0),
    ("co2-biogenic", 1.0),
    ("ch4-fossil", 29.8),
    ("ch4-non-fossil", 27.0),
    ("n2o", 273.0),
    ("sf6", 25200.0),
    ("nf3", 17400.0),
    ("hfc-23", 14600.0),
    ("hfc-32", 771.0),
    ("hfc-125", 3740.0),
    ("hfc-134a", 1530.0),
    ("hfc-143a", 5810.0),
    ("hfc-152a", 164.0),
    ("hfc-227ea", 3600.0),
    ("hfc-245fa", 962.0),
    ("pfc-14", 7380.0),
    ("pfc-116", 12400.0),
    ("pfc-218", 9290.0),
    ("pfc-318", 10200.0),
];

/// IPCC AR5 GWP100 without climate-carbon feedback (WG1 ch. 8, Table 8.A.1).
const AR5: &[(&str, f64)] = &[
    ("co2-fossil", 1.0),
    ("co2-biogenic", 1.0),
    ("ch4-fossil", 30.0),
    ("ch4-non-fossil", 28.0),
    ("n2o", 265.0),
    ("sf6", 23500.0),
    ("nf3", 16100.0),
    ("hfc-23", 12400.0),
    ("hfc-32", 677.0),
    ("hfc-125", 3170.0),
    ("hfc-134a", 1300.0),
    ("hfc-143a", 4800.0),
    ("hfc-152a", 138.0),
    ("hfc-227ea", 3350.0),
    ("hfc-245fa", 858.0),
    ("pfc-14", 6630.0),
    ("pfc-116", 11100.0),
    ("pfc-218", 8900.0),
    ("pfc-318", 9540.0),
];

/// IPCC AR4 GWP100 (WG1 ch. 2, Table 2.14, with the errata); one methane value.
const AR4: &[(&str, f64)] = &[
    ("co2-fossil", 1.0),
    ("co2-biogenic", 1.0),
    ("ch4-fossil", 25.0),
    ("ch4-non-fossil", 25.0),
    ("n2o", 298.0),
    ("sf6", 22800.0),
    ("nf3", 17200.0),
    ("hfc-23", 14800.0),
    ("hfc-32", 675.0),
    ("hfc-125", 3500.0),
    ("hfc-134a", 1430.0),
    ("hfc-143a", 4470.0),
    ("hfc-152a", 124.0),
    ("hfc-227ea", 3220.0),
    ("hfc-245fa", 1030.0),
    ("pfc-14", 7390.0),
    ("pfc-116", 12200.0),
    ("pfc-218", 8830.0),
    ("pfc-318", 10300.0),
];

/// The worked case's emissions, kg of gas.
const WORKED_CASE: &[(&str, f64)] = &[
    ("co2-fossil", 1000.0),
    ("ch4-fossil", 10.0),
    ("ch4-non-fossil", 2.0),
    ("n2o", 1.0),
    ("sf6", 0.01),
    ("hfc-134a", 0.5),
    ("nf3", 0.001),
];

#[test]
fn every_shipped_file_loads_under_its_file_name() {
    let ids = shipped_ids();
    assert_eq!(
        ids,
        [
            "pact-3.0",
            "iso-14067-2018",
            "ghg-protocol-product-2011",
            "eu-cbam-2026",
            "gb-t-24067-2024",
            "ghg-protocol-scope2-hourly-draft"
        ]
    );
    assert_eq!(Methodology::all_shipped().unwrap().len(), ids.len());
    for id in ids {
        let m = Methodology::shipped(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(m.id(), id);
        assert_eq!(m.origin, "shipped");
        let on_disk = fs::read_to_string(methodology_path(id)).unwrap();
        assert_eq!(m.text, on_disk, "{id}: the compiled-in text is not the file in methodologies/");
        let parts: Vec<&str> = m.version().split('.').collect();
        assert!(
            parts.len() == 3
                && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
            "{id}: version {:?} is not MAJOR.MINOR.PATCH",
            m.version()
        );
        let r = &m.rules;
        for (field, text) in [
            ("title", &r.title),
            ("summary", &r.summary),
            ("standard.name", &r.standard.name),
            ("standard.publisher", &r.standard.publisher),
            ("standard.edition", &r.standard.edition),
            ("gwp.source", &r.gwp.source),
            ("gwp.methane", &r.gwp.methane),
            ("gwp.clause", &r.gwp.clause),
            ("boundary.clause", &r.boundary.clause),
            ("cutoff.clause", &r.cutoff.clause),
            ("allocation.clause", &r.allocation.clause),
            ("electricity.clause", &r.electricity.clause),
            ("biogenic.clause", &r.biogenic.clause),
            ("primary_data.clause", &r.primary_data.clause),
            ("reporting.clause", &r.reporting.clause),
        ] {
            assert!(!text.trim().is_empty(), "{id}: {field} is empty");
        }
        assert!(
            !r.pact.cross_sectoral_standards.is_empty(),
            "{id}: no PACT cross-sectoral standard"
        );
        assert!(r.allocation.allowed.contains(&r.allocation.default), "{id}");
        assert!(!r.boundary.stages.is_empty(), "{id}: empty boundary");
        assert!(!r.reporting.mandatory.is_empty(), "{id}: no mandatory figures");
    }
}

#[test]
fn every_shipped_file_characterizes_the_same_gases() {
    let reference: BTreeSet<String> =
        Methodology::shipped("pact-3.0").unwrap().rules.gwp.factors.into_keys().collect();
    let expected: BTreeSet<String> = AR6.iter().map(|(g, _)| (*g).to_string()).collect();
    assert_eq!(reference, expected);
    for m in Methodology::all_shipped().unwrap() {
        let keys: BTreeSet<String> = m.rules.gwp.factors.keys().cloned().collect();
        if m.id() == "eu-cbam-2026" {
            // EU CBAM characterizes only the gases Regulation (EU) 2023/956 Annex I names
            // (eu-cbam-2026 2.0.0): any other gas is an error, not a number.
            let cbam: BTreeSet<String> =
                ["co2-fossil", "co2-biogenic", "n2o", "pfc-14", "pfc-116"].map(String::from).into();
            assert_eq!(keys, cbam, "{}", m.id());
            assert!(keys.is_subset(&reference), "{}", m.id());
            assert_eq!(m.rules.gwp.horizon_years, 100, "{}", m.id());
            continue;
        }
        assert_eq!(keys, reference, "{}: gas keys differ from pact-3.0", m.id());
        assert_eq!(m.rules.gwp.horizon_years, 100, "{}", m.id());
    }
}

#[test]
fn gwp_tables_are_the_ipcc_values_of_the_report_they_name() {
    for m in Methodology::all_shipped().unwrap() {
        let table = match m.rules.gwp.set.as_str() {
            "AR6" => AR6,
            "AR5" => AR5,
            "AR4" => AR4,
            other => panic!("{}: unknown GWP set {other:?}", m.id()),
        };
        for (gas, value) in table {
            if m.rules.cbam.is_some() && m.gwp(&Gas((*gas).into())).is_none() {
                // EU CBAM: only the Annex I gases (checked in
                // every_shipped_file_characterizes_the_same_gases).
                continue;
            }
            assert_eq!(m.gwp(&Gas((*gas).into())), Some(*value), "{}: {gas}", m.id());
        }
    }
    // The sets each file uses: EU CBAM follows the EU ETS monitoring rules (AR5); the others
    // use the most recent report.
    let sets: Vec<String> = Methodology::all_shipped()
        .unwrap()
        .iter()
        .map(|m| format!("{} {}", m.id(), m.rules.gwp.set))
        .collect();
    insta::assert_snapshot!(sets.join("\n"), @r"
    pact-3.0 AR6
    iso-14067-2018 AR6
    ghg-protocol-product-2011 AR6
    eu-cbam-2026 AR5
    gb-t-24067-2024 AR6
    ghg-protocol-scope2-hourly-draft AR6
    ");
}

#[test]
fn gwp_worked_cases_for_ar6_ar5_and_ar4() {
    // 1000 kg CO2, 10 kg fossil CH4, 2 kg non-fossil CH4, 1 kg N2O, 0.01 kg SF6, 0.5 kg
    // HFC-134a, 0.001 kg NF3.
    let ar6 = Methodology::shipped("pact-3.0").unwrap();
    assert_eq!(ar6.rules.gwp.set, "AR6");
    assert_close(characterize(&ar6), 2659.4);
    for id in ["iso-14067-2018", "ghg-protocol-product-2011", "gb-t-24067-2024"] {
        assert_close(characterize(&Methodology::shipped(id).unwrap()), 2659.4);
    }

    // eu-cbam-2026 (2.0.0) keeps only the CBAM gases of AR5, so the full AR5 case runs on a
    // copy of the ISO 14067 file edited to AR5 (as for AR4 below).
    let dir = TempDir::new().unwrap();
    let cbam = Methodology::shipped("eu-cbam-2026").unwrap();
    assert_eq!(cbam.rules.gwp.set, "AR5");
    let text = with_gwp_table(&Methodology::shipped("iso-14067-2018").unwrap().text, "AR5", AR5);
    let ar5 = Methodology::load(&write(&dir, "iso-14067-2018-ar5.toml", &text)).unwrap();
    assert_close(characterize(&ar5), 2522.1);

    // No shipped file uses AR4: edit a copy of the ISO 14067 file to AR4.
    let text = with_gwp_table(&Methodology::shipped("iso-14067-2018").unwrap().text, "AR4", AR4);
    let ar4 = Methodology::load(&write(&dir, "iso-14067-2018-ar4.toml", &text)).unwrap();
    assert_eq!(ar4.rules.gwp.set, "AR4");
    assert_close(characterize(&ar4), 2558.2);

    // The brief's call shape.
    assert_eq!(ar5.gwp(&Gas("n2o".into())), Some(265.0));
    assert_eq!(ar6.gwp(&Gas("no-such-gas".into())), None);
}

#[test]
fn digest_ignores_comments_whitespace_and_key_order() {
    let dir = TempDir::new().unwrap();
    for m in Methodology::all_shipped().unwrap() {
        let id = m.id();
        let table: toml::Table = m.text.parse().unwrap();
        let reordered = toml::to_string(&reversed(&toml::Value::Table(table))).unwrap();
        let text = format!(
            "# {id}, re-serialized with every table's keys reversed\n\n{reordered}\n# end\n"
        );
        assert_ne!(text, m.text);
        assert!(
            text.find("summary =").unwrap() < text.find("title =").unwrap(),
            "{id}: key order unchanged, the test proves nothing"
        );
        let copy = Methodology::load(&write(&dir, &format!("{id}.toml"), &text)).unwrap();
        assert_eq!(copy.digest(), m.digest(), "{id}");
        assert_eq!(copy.rules, m.rules, "{id}");

        // The same document written as JSON is the same methodology.
        let json = serde_json::to_string_pretty(&m.document).unwrap();
        let copy = Methodology::load(&write(&dir, &format!("{id}.json"), &json)).unwrap();
        assert_eq!(copy.digest(), m.digest(), "{id} as JSON");
    }
}

#[test]
fn digest_changes_with_any_rule() {
    let dir = TempDir::new().unwrap();
    let edits: &[(&str, &str, &str)] = &[
        ("iso-14067-2018", "ch4-fossil = 29.8", "ch4-fossil = 29.9"),
        ("iso-14067-2018", "per_input_percent = 1.0", "per_input_percent = 2.0"),
        ("eu-cbam-2026", "split_direct_indirect = true", "split_direct_indirect = false"),
        ("eu-cbam-2026", "uncovered = \"grid\"", "uncovered = \"residual-mix\""),
        ("ghg-protocol-product-2011", "version = \"1.2.0\"", "version = \"1.2.1\""),
        ("gb-t-24067-2024", "require_serial = true", "require_serial = false"),
        (
            "gb-t-24067-2024",
            "on_factor_kind_mismatch = \"error\"",
            "on_factor_kind_mismatch = \"warn\"",
        ),
    ];
    for (id, from, to) in edits {
        let m = Methodology::shipped(id).unwrap();
        assert_eq!(
            m.text.matches(from).count(),
            1,
            "{id}: {from:?} is not in the file exactly once"
        );
        let text = m.text.replacen(from, to, 1);
        let edited = Methodology::load(&write(&dir, &format!("{id}.toml"), &text)).unwrap();
        assert_ne!(edited.digest(), m.digest(), "{id}: {from} -> {to}");
    }
    // One byte of one rule.
    let m = Methodology::shipped("iso-14067-2018").unwrap();
    let text = m.text.replacen("ch4-fossil = 29.8", "ch4-fossil = 29.9", 1);
    let differing = m.text.bytes().zip(text.bytes()).filter(|(a, b)| a != b).count();
    assert_eq!((text.len(), differing), (m.text.len(), 1));
    let edited = Methodology::load(&write(&dir, "one-byte.toml", &text)).unwrap();
    assert_ne!(edited.digest(), m.digest());
    assert_eq!(edited.gwp(&Gas("ch4-fossil".into())), Some(29.9));
}

#[test]
fn a_file_given_by_path_works_like_the_shipped_one() {
    let dir = TempDir::new().unwrap();
    for id in shipped_ids() {
        let shipped = Methodology::shipped(id).unwrap();
        let path = write(&dir, &format!("{id}.toml"), &shipped.text);
        let by_path = Methodology::load(&path).unwrap();
        assert_eq!(by_path.digest(), shipped.digest(), "{id}");
        assert_eq!(by_path.rules, shipped.rules, "{id}");
        assert_eq!(by_path.document, shipped.document, "{id}");
        assert_eq!(by_path.origin, path.display().to_string());
        let resolved = Methodology::resolve(path.to_str().unwrap()).unwrap();
        assert_eq!(resolved.digest(), shipped.digest(), "{id}");
        assert_eq!(Methodology::resolve(id).unwrap().origin, "shipped");
        // The repository copy, by path, too.
        assert_eq!(Methodology::load(&methodology_path(id)).unwrap().digest(), shipped.digest());
    }
}

/// What `pcf methodology hash FILE` prints, computed from the library alone: SHA-256 of the
/// RFC 8785 canonical JSON of the parsed file.
#[test]
fn methodology_hash_is_sha256_of_the_canonical_json() {
    for id in shipped_ids() {
        let m = Methodology::load(&methodology_path(id)).unwrap();
        let canonical = pcf::canonical::canonicalize(&m.document).unwrap();
        let expected = format!("sha256:{}", pcf::digest::hex(&Sha256::digest(&canonical)));
        assert_eq!(m.digest().to_string(), expected, "{id}");
        assert_eq!(Methodology::shipped(id).unwrap().digest().to_string(), expected, "{id}");
    }
    // The digests of the files written for this module. A change of rule must come with a new
    // version; update these lines only together with the version.
    let pinned: Vec<String> =
        ["iso-14067-2018", "ghg-protocol-product-2011", "eu-cbam-2026", "gb-t-24067-2024"]
            .into_iter()
            .map(|id| {
                let m = Methodology::shipped(id).unwrap();
                format!("{} {} {}", m.id(), m.version(), m.digest())
            })
            .collect();
    insta::assert_snapshot!(pinned.join("\n"), @r#"
iso-14067-2018 1.3.0 sha256:ded531e57d3ee2d86435b7cb20886ae34417c7f963fbef6857887dccc0fa0c09
ghg-protocol-product-2011 1.2.0 sha256:3504f9c1192c24890f9f29b3663d924a5b2c8702521a055fdefd14c72bc13a9d
eu-cbam-2026 2.4.0 sha256:489e03e29daef7f748eb3da954492da81180f97e7edec07c77a6fd54f64d3045
gb-t-24067-2024 1.3.0 sha256:d5f9170f5ef547e7686e477d68d30151a737dfb76f1609267bb74b6f0f60e565
"#);
    // The released 1.0.0 of eu-cbam-2026, archived byte for byte, keeps its digest (the
    // optional [cbam] section of 2.0.0 does not change how older files parse).
    let archived =
        Methodology::load(&util::root().join("methodologies/archive/eu-cbam-2026@1.0.0.toml"))
            .unwrap();
    assert_eq!(
        format!("{} {} {}", archived.id(), archived.version(), archived.digest()),
        "eu-cbam-2026 1.0.0 sha256:f27248b95ec51650bf34b1378d1f6067b602c21a88bd6e1de893372b9035d132"
    );
    // So do the released 1.0.0 of iso-14067-2018 and gb-t-24067-2024 (the optional
    // electricity.grid_factor_kind of 1.1.0 does not change how they parse): the digests
    // pinned above before the 1.1.0 bump.
    // Likewise every version archived since, with the digest pinned here while it was live.
    for (id, version, digest) in [
        (
            "iso-14067-2018",
            "1.0.0",
            "sha256:d59ddfeef0279bd1554020d39db58b8f82004d34228af4860e9458b75fa2ab2b",
        ),
        (
            "gb-t-24067-2024",
            "1.0.0",
            "sha256:ebee83f812382b64e2227875ebaf5c55c7aa8700ed9240b2969a1baef00a67f7",
        ),
        (
            "iso-14067-2018",
            "1.1.0",
            "sha256:a9cc5d0d28d8f2daf7f028ef9ba4f4fd8a4bb7c741120def8a1225f294642127",
        ),
        (
            "ghg-protocol-product-2011",
            "1.0.0",
            "sha256:6c09e8a008e383721dbc8dfa273f37f84a5cc18a28e3f3bc57558fc6869e1530",
        ),
        (
            "eu-cbam-2026",
            "2.1.0",
            "sha256:94893fed49a615bbc795ddfcfef627b881096e07dacfe8409de164c4a82ebf1e",
        ),
        (
            "gb-t-24067-2024",
            "1.1.0",
            "sha256:cc6574c244291c77b5fa2bc1f01d346febd1f140124bb9f1d60427bfe7a0c03d",
        ),
        (
            "pact-3.0",
            "1.1.0",
            "sha256:a374b0bc33f621f599e83b181bf27da3836b416b25605f28f82799d7ebfcfb6f",
        ),
    ] {
        let path = util::root().join(format!("methodologies/archive/{id}@{version}.toml"));
        let archived = Methodology::load(&path).unwrap();
        assert_eq!((archived.version(), archived.digest().to_string().as_str()), (version, digest));
    }
}

#[test]
fn eu_cbam_rules_count_fuel_as_direct_and_electricity_as_indirect() {
    // The rules the rolling-mill worked case depends on (2.06232 direct; 0.169392 indirect,
    // not counted for a chapter 72 good since 2.0.0: Regulation (EU) 2023/956 Art. 7(1)).
    let r = Methodology::shipped("eu-cbam-2026").unwrap().rules;
    assert!(r.reporting.split_direct_indirect);
    assert_eq!(r.boundary.purchased_inputs, pcf::methodology::PurchasedInputs::Precursors);
    assert!(r.boundary.stages.contains(&pcf::inventory::Stage::Production));
    assert!(r.boundary.stages.contains(&pcf::inventory::Stage::RawMaterialAcquisition));
    assert!(!r.boundary.stages.contains(&pcf::inventory::Stage::UpstreamTransport));
    assert_eq!(r.electricity.uncovered, pcf::methodology::Uncovered::Grid);
    use pcf::inventory::InstrumentKind as I;
    assert_eq!(r.electricity.accepted_instruments, [I::Ppa, I::Onsite]);
    assert!(!r.biogenic.count_co2_emissions && !r.biogenic.count_uptake);
    assert_eq!(r.cutoff.report, pcf::methodology::CutoffReport::NotAllowed);
    // The arithmetic of the worked case, t CO2e per t of product.
    let direct = (1050.0 * 1.90 + 1.2 * 56.1) / 1000.0;
    let indirect = (1050.0 * 0.10 + 120.0 * 0.5366) / 1000.0;
    assert_close(direct, 2.06232);
    assert_close(indirect, 0.169392);
    assert_close(direct + indirect, 2.231712);
    let cbam = r.cbam.as_ref().unwrap();
    assert!(cbam.category("72163310").unwrap().direct_only);
    assert!(cbam.gas_resolved_only);
}

#[test]
fn gb_t_24067_counts_only_serialized_green_electricity_certificates() {
    use pcf::inventory::InstrumentKind as I;
    let r = Methodology::shipped("gb-t-24067-2024").unwrap().rules;
    assert_eq!(r.electricity.accounting, pcf::methodology::ElectricityAccounting::MarketBased);
    assert_eq!(r.electricity.accepted_instruments, [I::Gec, I::Onsite]);
    assert!(r.electricity.require_serial);
    // Since 1.2.0 the residual mix where the inventory gives one (1.1.0: always the grid).
    assert_eq!(r.electricity.uncovered, pcf::methodology::Uncovered::ResidualMixOrGrid);
}

#[test]
fn unknown_field_is_rejected_with_its_location() {
    let msg = bad("iso-14067-2018", "[cutoff]\n", "[cutoff]\ncolour = \"green\"\n");
    insta::assert_snapshot!(msg, @r"
    [TMP]/iso-14067-2018.toml: does not match the methodology schema:
      at /cutoff: Additional properties are not allowed ('colour' was unexpected)
    run `pcf schema methodology` to see the schema
    ");
    let msg = bad(
        "iso-14067-2018",
        "id = \"iso-14067-2018\"\n",
        "id = \"iso-14067-2018\"\nauthor = \"me\"\n",
    );
    insta::assert_snapshot!(msg, @r"
    [TMP]/iso-14067-2018.toml: does not match the methodology schema:
      at /: Additional properties are not allowed ('author' was unexpected)
    run `pcf schema methodology` to see the schema
    ");
}

#[test]
fn default_allocation_outside_allowed_is_rejected() {
    let msg = bad(
        "iso-14067-2018",
        "default = \"mass\"\nallowed = [\"system-expansion\", \"mass\", \"physical\", \"economic\"]",
        "default = \"economic\"\nallowed = [\"mass\", \"physical\"]",
    );
    insta::assert_snapshot!(msg, @r#"
[TMP]/iso-14067-2018.toml: allocation.default "economic" is not among allocation.allowed (mass, physical)
"#);
}

#[test]
fn bad_gwp_values_are_rejected() {
    let msg = bad("iso-14067-2018", "n2o = 273.0", "n2o = -273.0");
    insta::assert_snapshot!(msg, @"[TMP]/iso-14067-2018.toml: gwp.factors.n2o is -273, not a non-negative number");
    let msg = bad("iso-14067-2018", "n2o = 273.0", "n2o = \"273\"");
    insta::assert_snapshot!(msg, @r#"
    [TMP]/iso-14067-2018.toml: does not match the methodology schema:
      at /gwp/factors/n2o: "273" is not of type "number"
    run `pcf schema methodology` to see the schema
    "#);
    let msg = bad("iso-14067-2018", "n2o = 273.0", "n2o = nan");
    insta::assert_snapshot!(msg, @r"
    [TMP]/iso-14067-2018.toml: at /gwp/factors/n2o: NaN is not a finite number
      help: give a finite amount
    ");
}

#[test]
fn other_bad_files_are_rejected_clearly() {
    let msg = bad(
        "gb-t-24067-2024",
        "accepted_instruments = [\"gec\", \"onsite\"]",
        "accepted_instruments = [\"gec\", \"rec\"]",
    );
    insta::assert_snapshot!(msg, @r#"
    [TMP]/gb-t-24067-2024.toml: does not match the methodology schema:
      at /electricity/accepted_instruments/1: "rec" is not valid under any of the schemas listed in the 'oneOf' keyword
    run `pcf schema methodology` to see the schema
    "#);
    let msg = bad("iso-14067-2018", "per_input_percent = 1.0", "per_input_percent = 10.0");
    insta::assert_snapshot!(msg, @"[TMP]/iso-14067-2018.toml: cutoff thresholds must be percentages with per_input_percent <= cumulative_percent");
    let msg = bad("iso-14067-2018", "version = \"1.3.0\"", "version = 1.3.0");
    insta::assert_snapshot!(msg, @"[TMP]/iso-14067-2018.toml:13:14: invalid float, expected nothing");
    let err = Methodology::resolve("iso-14067").unwrap_err();
    assert_eq!(err, MethodologyError::Unknown { id: "iso-14067".into() });
    insta::assert_snapshot!(err.to_string(), @r#"unknown methodology "iso-14067": pcf ships pact-3.0, iso-14067-2018, ghg-protocol-product-2011, eu-cbam-2026, gb-t-24067-2024, ghg-protocol-scope2-hourly-draft; or give the path of a methodology file"#);
}

// ---------------------------------------------------------------------------------------------

fn methodology_path(id: &str) -> PathBuf {
    util::root().join("methodologies").join(format!("{id}.toml"))
}

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    if let Err(e) = fs::write(&path, text) {
        panic!("cannot write {}: {e}", path.display());
    }
    path
}

/// The error message of loading shipped file `id` with `from` replaced by `to`, the temporary
/// directory written as `[TMP]`.
fn bad(id: &str, from: &str, to: &str) -> String {
    let dir = TempDir::new().unwrap_or_else(|e| panic!("cannot make a temporary directory: {e}"));
    let text = Methodology::shipped(id).unwrap_or_else(|e| panic!("{id}: {e}")).text;
    assert_eq!(text.matches(from).count(), 1, "{id}: {from:?} is not in the file exactly once");
    let path = write(&dir, &format!("{id}.toml"), &text.replacen(from, to, 1));
    match Methodology::load(&path) {
        Ok(_) => panic!("{id}: {from:?} -> {to:?} was accepted"),
        Err(e) => redact(&e.to_string(), dir.path()),
    }
}

fn redact(msg: &str, dir: &Path) -> String {
    msg.replace(&dir.display().to_string(), "[TMP]")
}

/// `text` with its `[gwp]` set and `[gwp.factors]` table replaced by `table`.
fn with_gwp_table(text: &str, set: &str, table: &[(&str, f64)]) -> String {
    let mut doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("not TOML: {e}"));
    let Some(gwp) = doc.get_mut("gwp").and_then(toml::Value::as_table_mut) else {
        panic!("no [gwp] table");
    };
    gwp.insert("set".into(), toml::Value::String(set.into()));
    let mut factors = toml::Table::new();
    for (gas, value) in table {
        factors.insert((*gas).into(), toml::Value::Float(*value));
    }
    gwp.insert("factors".into(), toml::Value::Table(factors));
    toml::to_string(&doc).unwrap_or_else(|e| panic!("cannot write TOML: {e}"))
}

/// A TOML value with the keys of every table in reverse order.
fn reversed(value: &toml::Value) -> toml::Value {
    match value {
        toml::Value::Table(t) => {
            let mut out = toml::Table::new();
            for (k, v) in t.iter().rev() {
                out.insert(k.clone(), reversed(v));
            }
            toml::Value::Table(out)
        }
        other => other.clone(),
    }
}

/// kg CO2e of the worked case under `m`.
fn characterize(m: &Methodology) -> f64 {
    WORKED_CASE
        .iter()
        .map(|(gas, kg)| {
            kg * m
                .gwp(&Gas((*gas).into()))
                .unwrap_or_else(|| panic!("{}: no GWP for {gas}", m.id()))
        })
        .sum()
}

fn assert_close(actual: f64, expected: f64) {
    let rel = ((actual - expected) / expected).abs();
    assert!(rel <= 1e-9, "{actual} vs {expected} (relative error {rel:e})");
}

#[test]
fn methodology_diff_of_a_real_pair_with_effects_derived_by_hand() {
    use pcf::certification::diff;
    use pcf::inventory::Inventory;
    use serde_json::json;

    use crate::footprint::worked::{self, Gwp, bracket_by_hand};

    let dir = TempDir::new().unwrap();
    let a = Methodology::shipped("pact-3.0").unwrap();
    // B: pact-3.0 with N2O at 265 (its AR5 value) instead of 273, location-based electricity
    // (so the GECs no longer count), and a new version number.
    let mut text = a.text.clone();
    for (from, to) in [
        ("version = \"1.3.0\"", "version = \"9.0.0\""),
        ("n2o = 273.0", "n2o = 265.0"),
        ("accounting = \"market-based\"", "accounting = \"location-based\""),
    ] {
        assert_eq!(text.matches(from).count(), 1, "{from}");
        text = text.replace(from, to);
    }
    let b = Methodology::load(&write(&dir, "pact-3.0-b.toml", &text)).unwrap();

    let d = diff::diff(&a, &b);
    let changes: Vec<_> =
        d.changes.iter().map(|c| (c.path.as_str(), c.section.as_str(), &c.old, &c.new)).collect();
    let (market, location) = (Some(json!("market-based")), Some(json!("location-based")));
    let (n2o_a, n2o_b) = (Some(json!(273.0)), Some(json!(265.0)));
    let (v_a, v_b) = (Some(json!("1.3.0")), Some(json!("9.0.0")));
    assert_eq!(
        changes,
        [
            ("/electricity/accounting", "electricity", &market, &location),
            ("/gwp/factors/n2o", "gwp", &n2o_a, &n2o_b),
            ("/version", "version", &v_a, &v_b),
        ]
    );
    assert_eq!(diff::units(&d), ["/electricity", "/gwp/factors/n2o"]);

    // A written differently (keys reversed, comments dropped, `1.0` as `1`) is the same
    // methodology: no change against A, and exactly the changes above against B.
    let table: toml::Table = a.text.parse().unwrap();
    let reordered = toml::to_string(&reversed(&toml::Value::Table(table))).unwrap().replacen(
        "co2-fossil = 1.0",
        "co2-fossil = 1",
        1,
    );
    assert!(reordered.contains("co2-fossil = 1\n"));
    let a2 = Methodology::load(&write(&dir, "pact-3.0-reordered.toml", &reordered)).unwrap();
    assert_ne!(a2.text, a.text);
    assert_eq!(diff::diff(&a, &a2).changes, []);
    assert_eq!(diff::diff(&a2, &b).changes, d.changes);

    // The impact on the steel bracket, derived by hand (tests/footprint/worked.rs).
    let inv = Inventory::load(&util::root().join("examples/steel-bracket/inventory.toml")).unwrap();
    let imp = diff::impact(&a, &b, &inv, &d).unwrap();
    let bracket = imp.products.iter().find(|p| p.product == "bracket").unwrap();
    let n2o_265 = Gwp { n2o: 265.0, ..worked::AR6 };
    let wind = worked::GEC_WIND;
    let fa = bracket_by_hand(&worked::AR6, true, wind).per_piece;
    let fb = bracket_by_hand(&n2o_265, false, wind).per_piece;
    // One at a time from A: location-based alone puts the 400 MWh (stamping, 10/11 to the
    // blank) and 200 MWh of GECs from the wind default 0.0324 (pact-3.0 1.2.0) back at the
    // grid's 0.5366 kg/kWh; N2O alone changes the truck freight's
    // 0.000003 kg/tkm over 168 300 tkm (10/11) and the natural gas's 0.1 kg/TJ over 1.6 TJ by
    // 265 - 273. The supplier's declared figure does not move. Per piece (1 000 000).
    let electricity = (400_000.0 * 10.0 / 11.0 + 200_000.0) * (0.5366 - 0.0324) / 1e6;
    let n2o = (168_300.0 * 0.000003 * 10.0 / 11.0 + 1.6 * 0.1) * (265.0 - 273.0) / 1e6;
    // The same effects as differences of the full derivation.
    worked::close(bracket_by_hand(&worked::AR6, false, wind).per_piece - fa, electricity, "elec");
    worked::close(bracket_by_hand(&n2o_265, true, wind).per_piece - fa, n2o, "n2o");
    // Electricity carries no N2O here, so the two do not interact: B - A is their sum.
    worked::close(fb - fa, electricity + n2o, "change");

    worked::close(bracket.a.kg_co2e.unwrap(), fa, "A");
    worked::close(bracket.b.kg_co2e.unwrap(), fb, "B");
    worked::close(bracket.change.unwrap(), electricity + n2o, "change");
    worked::close(bracket.percent.unwrap(), 100.0 * (electricity + n2o) / fa, "percent");
    let effects: Vec<(&str, f64)> =
        bracket.attribution.iter().map(|e| (e.rule.as_str(), e.delta.unwrap())).collect();
    assert_eq!(effects.len(), 2, "{effects:?}");
    assert_eq!(effects[0].0, "/electricity", "largest effect first");
    worked::close(effects[0].1, electricity, "electricity effect");
    assert_eq!(effects[1].0, "/gwp/factors/n2o");
    worked::close(effects[1].1, n2o, "n2o effect");
    assert!(bracket.interaction.unwrap().abs() <= 1e-12, "{:?}", bracket.interaction);
}
