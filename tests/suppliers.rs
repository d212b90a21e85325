#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Suppliers' declarations under the methodology's rules (issue 11, points 6 and 8): primary
//! data share (`primary_data.metered_energy_is_primary`, `supplier_without_share`), GWP sets
//! (`suppliers.other_gwp_set`) and the EU CBAM split (`suppliers.without_cbam_split`), each
//! against the archived version. Expected numbers are derived by hand.

use std::path::Path;

use pcf::engine::{self, EngineError, Footprint, Footprints};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::footprint::worked::{
    AR6, GALV_GEC_KWH, GEC_WIND, GEC_ZERO, STAMP_GEC_KWH, bracket_by_hand, close,
};
use crate::util;

fn run_with(path: &Path, m: &Methodology) -> Result<Footprints, EngineError> {
    let inv = Inventory::load(path).unwrap_or_else(|e| panic!("{e}"));
    engine::footprint(&inv, m)
}

fn run(path: &Path, m: &str) -> Result<Footprints, EngineError> {
    run_with(path, &Methodology::resolve(m).unwrap())
}

fn product<'a>(f: &'a Footprints, id: &str) -> &'a Footprint {
    f.products.iter().find(|p| p.product == id).unwrap()
}

/// A shipped methodology with `from` replaced by `to` in its text (a file a user could write).
fn variant(id: &str, from: &str, to: &str) -> Methodology {
    let m = Methodology::resolve(id).unwrap();
    assert!(m.text.contains(from), "{id} has no {from:?}");
    let text = m.text.replace(from, to);
    Methodology::from_text_at(Path::new("variant.toml"), &text, "test").unwrap()
}

// The bracket's burdens (examples/steel-bracket, pact-3.0, kg CO2e per 1 000 000 pieces before
// the blank's share 10/11 where they arise at stamping), as in tests/footprint/worked.rs.
const COIL: f64 = 935_000.0 * 2.052577;
const COIL_SHARE: f64 = 0.9245; // the supplier's primaryDataShare, 92.45 %
const STAMP_ELECTRICITY: f64 = 800_000.0 * 0.5366; // 1200 MWh less 400 MWh of GECs
const REFRIGERANT: f64 = 12.0 * (0.5 * 771.0 + 0.5 * 3740.0);
const GALV_GAS: f64 = 1.6 * (56_100.0 + 29.8 + 0.1 * 273.0);
const GALV_ELECTRICITY: f64 = 600_000.0 * 0.5366;
const BLANK_SHARE: f64 = 10.0 / 11.0;

/// The GECs' emissions per 10^6 pieces at `gec` kg CO2e/kWh (metered energy of the plant).
fn gec_emissions(gec: f64) -> f64 {
    (STAMP_GEC_KWH * BLANK_SHARE + GALV_GEC_KWH) * gec
}

#[test]
fn primary_data_share_of_the_bracket_by_hand() {
    // Primary: the coil at the supplier's share, the refrigerant (own emission), and with
    // `metered_energy_is_primary` the metered electricity and gas (with the GECs' emissions:
    // zero up to pact-3.0 1.1.0, the wind default since 1.2.0); freight and zinc are
    // secondary database factors.
    let shares = |gec: f64| {
        let total = bracket_by_hand(&AR6, true, gec).per_piece * 1.0e6;
        let metered =
            STAMP_ELECTRICITY * BLANK_SHARE + GALV_GAS + GALV_ELECTRICITY + gec_emissions(gec);
        let own = (COIL * COIL_SHARE + REFRIGERANT) * BLANK_SHARE;
        (100.0 * (own + metered) / total, 100.0 * own / total)
    };
    let (with_metered, without_metered) = shares(GEC_ZERO);
    assert_eq!(format!("{with_metered:.1} {without_metered:.1}"), "90.6 60.8");
    let (with_wind, _) = shares(GEC_WIND);
    assert_eq!(format!("{with_wind:.2}"), "90.71");
    let bracket = util::root().join("examples/steel-bracket/inventory.toml");
    for (m, expected) in [("pact-3.0@1.1.0", with_metered), ("pact-3.0", with_wind)] {
        let f = run(&bracket, m).unwrap();
        close(product(&f, "bracket").quality.primary_data_share.unwrap(), expected, m);
    }
    let m = variant(
        "pact-3.0",
        "metered_energy_is_primary = true",
        "metered_energy_is_primary = false",
    );
    let f = run_with(&bracket, &m).unwrap();
    let (_, without_wind) = shares(GEC_WIND);
    close(product(&f, "bracket").quality.primary_data_share.unwrap(), without_wind, "off");
}

#[test]
fn supplier_without_share_counts_as_the_file_says() {
    let dir = util::bracket_with_supplier(|pcf| {
        pcf.as_object_mut().unwrap().remove("primaryDataShare");
    });
    let path = dir.path().join("inventory.toml");
    let total = |gec: f64| bracket_by_hand(&AR6, true, gec).per_piece * 1.0e6;
    let rest = |gec: f64| {
        REFRIGERANT * BLANK_SHARE
            + STAMP_ELECTRICITY * BLANK_SHARE
            + GALV_GAS
            + GALV_ELECTRICITY
            + gec_emissions(gec)
    };
    // Archived: the coil counts as primary in full (and the GECs as zero).
    let old = run(&path, "pact-3.0@1.1.0").unwrap();
    let expected = 100.0 * (COIL * BLANK_SHARE + rest(GEC_ZERO)) / total(GEC_ZERO);
    close(product(&old, "bracket").quality.primary_data_share.unwrap(), expected, "archived");
    // The supplier rule alone (GECs at zero): 826 671.36 of 2 691 439 kg.
    assert_eq!(format!("{:.2}", 100.0 * rest(GEC_ZERO) / total(GEC_ZERO)), "30.71");
    // pact-3.0 1.2.0 (`secondary`): the coil counts for nothing; the GECs at the wind default
    // (844 933.18 of 2 709 700.82 kg).
    let new = run(&path, "pact-3.0").unwrap();
    let expected = 100.0 * rest(GEC_WIND) / total(GEC_WIND);
    close(product(&new, "bracket").quality.primary_data_share.unwrap(), expected, "1.2.0");
    assert_eq!(format!("{expected:.2}"), "31.18");
    // `error`.
    let m = variant(
        "pact-3.0",
        "supplier_without_share = \"secondary\"",
        "supplier_without_share = \"error\"",
    );
    let err = run_with(&path, &m).unwrap_err().to_string();
    assert!(err.contains("primaryDataShare") && err.contains("Hot-rolled coil S355"), "{err}");
}

#[test]
fn supplier_gwp_set_is_listed_or_refused() {
    let dir = util::bracket_with_supplier(|pcf| {
        pcf["ipccCharacterizationFactors"] = serde_json::json!(["AR5"]);
    });
    let path = dir.path().join("inventory.toml");
    // Accepted and listed (pact-3.0 1.2.0, `accept`); the figures are the declared ones.
    let f = run(&path, "pact-3.0").unwrap();
    let b = product(&f, "bracket");
    assert_eq!(b.supplier_gwp_sets, vec!["AR5".to_string()]);
    close(b.totals.excluding_uptake, bracket_by_hand(&AR6, true, GEC_WIND).per_piece, "accepted");
    // The shipped declaration uses AR6, pact-3.0's own set: nothing to list.
    let shipped = run(&util::root().join("examples/steel-bracket/inventory.toml"), "pact-3.0");
    assert!(product(&shipped.unwrap(), "bracket").supplier_gwp_sets.is_empty());
    // `error`.
    let m = variant("pact-3.0", "other_gwp_set = \"accept\"", "other_gwp_set = \"error\"");
    let err = run_with(&path, &m).unwrap_err().to_string();
    assert!(err.contains("GWP set AR5") && err.contains("uses AR6"), "{err}");
}

#[test]
fn declaration_lists_every_gwp_set_used() {
    // The edit voids the supplier's proof, so it is issued as unverified upstream.
    let dir = util::bracket_with_supplier(|pcf| {
        pcf["ipccCharacterizationFactors"] = serde_json::json!(["AR5"]);
    });
    let ok = |args: &[&str]| {
        let out = util::pcf(dir.path(), args);
        assert!(out.status.success(), "{}", util::stderr(&out));
    };
    ok(&["keygen", "--out", "issuer.key"]);
    ok(&[
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "-m",
        "pact-3.0",
        "--key",
        "issuer.key",
        "--out",
        "d.json",
        "--danger-accept-unverified-upstream",
    ]);
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("d.json")).unwrap()).unwrap();
    assert_eq!(
        doc["credentialSubject"]["productFootprint"]["pcf"]["ipccCharacterizationFactors"],
        serde_json::json!(["AR6", "AR5"])
    );
}

#[test]
fn cbam_supplier_without_split_is_refused_not_counted_as_direct() {
    let dir = tempfile::tempdir().unwrap();
    let example = util::root().join("examples/steel-bracket-cbam");
    std::fs::copy(example.join("inventory.toml"), dir.path().join("inventory.toml")).unwrap();
    std::fs::create_dir(dir.path().join("suppliers")).unwrap();
    let supplier = "suppliers/hot-rolled-coil-cbam.json";
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(example.join(supplier)).unwrap()).unwrap();
    let path = dir.path().join("inventory.toml");
    let write = |doc: &serde_json::Value| {
        std::fs::write(dir.path().join(supplier), serde_json::to_vec(doc).unwrap()).unwrap();
    };
    write(&doc);
    let with_split = run(&path, "eu-cbam-2026@1.0.0").unwrap();
    doc.as_object_mut().unwrap().remove("extensions");
    write(&doc);
    // eu-cbam-2026 1.0.0 counted the whole footprint, 2000 kg per t, as direct: 935 t of coil
    // over 850 t of blanks moves 150 kg/t from indirect to direct, 0.165 kg per kg of blank.
    let without = run(&path, "eu-cbam-2026@1.0.0").unwrap();
    let (a, b) = (&product(&with_split, "blank").totals, &product(&without, "blank").totals);
    let moved = 935.0 * 0.150 / 850.0;
    close(b.direct.unwrap() - a.direct.unwrap(), moved, "direct");
    close(a.indirect.unwrap() - b.indirect.unwrap(), moved, "indirect");
    close(b.excluding_uptake, a.excluding_uptake, "total");
    // eu-cbam-2026 2.2.0 refuses it by its [suppliers] rule.
    let err = run(&path, "eu-cbam-2026").unwrap_err().to_string();
    assert!(err.contains("without_cbam_split") && err.contains("directEmbeddedEmissions"), "{err}");
}
