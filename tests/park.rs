#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The zero-carbon park (issue 18) end to end on `examples/zero-carbon-park`: the operator's
//! allocation ledger and utility declarations, the tenants' footprints matched in time
//! (recomputed here from the meter files by a second route), and the double-counting checks
//! across tenants' registers.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::util::{copy_dir, pcf, root, stderr, stdout};

const LEDGER: &str = "examples/zero-carbon-park/allocations/ledger.json";

/// A fresh copy of the example with the park's allocations and utility declarations made.
fn park() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let at = "examples/zero-carbon-park";
    copy_dir(&root().join(at), &dir.path().join(at));
    let ok = |args: &[&str]| {
        let out = pcf(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}{}", stdout(&out), stderr(&out));
        stdout(&out)
    };
    ok(&[
        "park",
        "allocate",
        &format!("{at}/park.toml"),
        "--out",
        &format!("{at}/allocations"),
        "--register",
        "park-register",
    ]);
    ok(&["keygen", "--out", "park.key"]);
    for product in ["power", "steam", "compressed-air"] {
        ok(&[
            "declare",
            &format!("{at}/park/inventory.toml"),
            "-m",
            "ghg-protocol-product-2011",
            "--product",
            product,
            "--key",
            "park.key",
            "--register",
            "park-register",
            "--out",
            &format!("{at}/park/{product}.json"),
        ]);
    }
    dir
}

/// kWh per line of a meter export.
fn meter(path: &Path) -> Vec<f64> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect()
}

fn footprint(dir: &Path, tenant: &str, methodology: &str) -> Value {
    let out = pcf(
        dir,
        &[
            "footprint",
            &format!("examples/zero-carbon-park/{tenant}/inventory.toml"),
            "-m",
            methodology,
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn pcf_of(decl: &Value) -> f64 {
    decl["credentialSubject"]["productFootprint"]["pcf"]["pcfExcludingBiogenicUptake"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn allocations_never_exceed_a_source_in_any_hour_and_the_ledger_is_written_once() {
    let dir = park();
    let ex = dir.path().join("examples/zero-carbon-park");
    let ledger: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join(LEDGER)).unwrap()).unwrap();
    let solar = meter(&ex.join("meters/solar.csv"));
    let charge = meter(&ex.join("meters/battery-charge.csv"));
    let discharge = meter(&ex.join("meters/battery-discharge.csv"));
    let wind = meter(&ex.join("meters/ppa-wind.csv"));
    for (source, made) in [
        ("solar", solar.iter().zip(&charge).map(|(s, c)| s - c).collect::<Vec<f64>>()),
        ("battery", discharge),
        ("ppa", wind),
    ] {
        let mut sum = vec![0.0; made.len()];
        for tenant in ["assembler", "foundry"] {
            let a = meter(&ex.join(format!("allocations/{tenant}/{source}.csv")));
            assert_eq!(a.len(), 720);
            let stated = ledger["allocations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["source"] == source && x["tenant"] == tenant)
                .unwrap()["kwh"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap();
            assert!((a.iter().sum::<f64>() - stated).abs() < 1e-6, "{source} {tenant}");
            for (s, v) in sum.iter_mut().zip(&a) {
                *s += v;
            }
        }
        for (h, (s, m)) in sum.iter().zip(&made).enumerate() {
            assert!(*s <= m + 1e-9, "{source} hour {h}: {s} allocated of {m}");
        }
    }
    // The park's register records what each allocation holds.
    let recorded = fs::read_dir(dir.path().join("park-register/certificates")).unwrap().count();
    assert_eq!(recorded, 6);
    let again = pcf(
        dir.path(),
        &[
            "park",
            "allocate",
            "examples/zero-carbon-park/park.toml",
            "--out",
            "examples/zero-carbon-park/allocations",
        ],
    );
    assert!(!again.status.success());
    assert!(stderr(&again).contains("written once, never replaced"), "{}", stderr(&again));
}

#[test]
fn the_park_power_declaration_carries_an_hourly_intensity_that_averages_to_its_footprint() {
    let dir = park();
    let decl: Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("examples/zero-carbon-park/park/power.json")).unwrap(),
    )
    .unwrap();
    let ext = decl["credentialSubject"]["productFootprint"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dataSchema"] == "urn:pcf:extension:hourly-intensity:1")
        .unwrap();
    let d: Vec<f64> =
        ext["data"]["delivered"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    let i: Vec<f64> = ext["data"]["kgCo2ePerUnit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!((d.len(), i.len()), (720, 720));
    assert_eq!(ext["data"]["timeZone"], "Asia/Shanghai");
    assert_eq!(ext["data"]["start"], "2025-05-31T16:00:00Z");
    let mean = d.iter().zip(&i).map(|(a, b)| a * b).sum::<f64>() / d.iter().sum::<f64>();
    assert!((mean - pcf_of(&decl)).abs() < 1e-4, "{mean} vs {}", pcf_of(&decl));
    // By hand from the meters: CHP power at the CHP's footprint per kWh, imports at the grid
    // factor, over what was delivered in the hour.
    let ex = dir.path().join("examples/zero-carbon-park/meters");
    let chp = meter(&ex.join("chp-power.csv"));
    let grid = meter(&ex.join("grid-import.csv"));
    let fp = footprint(dir.path(), "park", "ghg-protocol-product-2011");
    let chp_kg = fp["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["product"] == "chp-power")
        .unwrap()["totals"]["excluding_uptake"]
        .as_f64()
        .unwrap();
    for h in [0, 12, 200, 719] {
        let by_hand = (chp[h] * chp_kg + grid[h] * 0.5777) / d[h];
        assert!((by_hand - i[h]).abs() < 2e-6, "hour {h}: {by_hand} vs {}", i[h]);
    }
    // Verifiable offline like any declaration.
    let out = pcf(dir.path(), &["verify", "examples/zero-carbon-park/park/power.json"]);
    assert!(stdout(&out).contains("[pass] proof"), "{}", stdout(&out));
}

/// The foundry's electricity, matched hour by hour in this test from the meter files: its
/// allocations in the inventory's order, solar and battery at the solar default, the PPA at
/// the wind default, the rest at the park's hourly intensity.
#[test]
fn a_tenants_hourly_matched_footprint_is_recomputed_from_the_meters() {
    let dir = park();
    let ex = dir.path().join("examples/zero-carbon-park");
    let load = meter(&ex.join("meters/foundry.csv"));
    let alloc: Vec<Vec<f64>> = ["solar", "battery", "ppa"]
        .iter()
        .map(|s| meter(&ex.join(format!("allocations/foundry/{s}.csv"))))
        .collect();
    let decl: Value =
        serde_json::from_str(&fs::read_to_string(ex.join("park/power.json")).unwrap()).unwrap();
    let intensity: Vec<f64> = decl["credentialSubject"]["productFootprint"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dataSchema"] == "urn:pcf:extension:hourly-intensity:1")
        .unwrap()["data"]["kgCo2ePerUnit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let air: Value =
        serde_json::from_str(&fs::read_to_string(ex.join("park/compressed-air.json")).unwrap())
            .unwrap();
    let ef = [0.052, 0.052, 0.0324];
    let (mut kg, mut matched) = (0.0, 0.0);
    for h in 0..load.len() {
        let mut rem = load[h];
        for (a, f) in alloc.iter().zip(ef) {
            let m = a[h].min(rem);
            rem -= m;
            matched += m;
            kg += m * f;
        }
        kg += rem * intensity[h];
    }
    let by_hand = (6_300_000.0 * 0.9 + 600_000.0 * pcf_of(&air) + kg) / 6_000_000.0;
    let fp = footprint(dir.path(), "foundry", "ghg-protocol-scope2-hourly-draft");
    let p = &fp["products"][0];
    let engine = p["totals"]["excluding_uptake"].as_f64().unwrap();
    assert!((engine - by_hand).abs() < 1e-6 * by_hand, "engine {engine} vs by hand {by_hand}");
    let e = &p["electricity"][0];
    assert!((e["covered"].as_f64().unwrap() - matched).abs() < 1e-6);
    assert_eq!(e["matching"]["granularity"], "hourly");
    // Annual matching counts every allocation in full: an upper bound.
    let annual = footprint(dir.path(), "foundry", "ghg-protocol-product-2011");
    let covered = annual["products"][0]["electricity"][0]["covered"].as_f64().unwrap();
    let allocated: f64 = alloc.iter().map(|a| a.iter().sum::<f64>()).sum();
    assert!((covered - allocated).abs() < 1e-6);
    assert!(matched < covered);
    // Same allocations, different hours: the day-shift assembler matches more than the foundry.
    let assembler = footprint(dir.path(), "assembler", "ghg-protocol-scope2-hourly-draft");
    let a_covered = assembler["products"][0]["electricity"][0]["covered"].as_f64().unwrap();
    assert!(a_covered > matched + 100_000.0, "assembler {a_covered}, foundry {matched}");
}

/// Declarations are never written over: each gets a new name.
static OUT: AtomicUsize = AtomicUsize::new(0);

fn declare(dir: &Path, tenant: &str, inventory: &str, product: &str) -> std::process::Output {
    let key = format!("{tenant}.key");
    if !dir.join(&key).exists() {
        assert!(pcf(dir, &["keygen", "--out", &key]).status.success());
    }
    pcf(
        dir,
        &[
            "declare",
            inventory,
            "-m",
            "ghg-protocol-scope2-hourly-draft",
            "--product",
            product,
            "--key",
            &key,
            "--register",
            &format!("{tenant}-register"),
            "--park-ledger",
            LEDGER,
            "--out",
            &format!("{tenant}-{}.json", OUT.fetch_add(1, Ordering::Relaxed)),
        ],
    )
}

/// The command failed and its error says `says`.
fn refused(out: &std::process::Output, says: &str) {
    assert!(!out.status.success());
    assert!(stderr(out).contains(says), "{}", stderr(out));
}

/// A copy of a tenant's inventory with `edit` applied to its text, beside the original.
fn edited(dir: &Path, tenant: &str, edit: impl Fn(&str) -> String) -> String {
    let from = dir.join(format!("examples/zero-carbon-park/{tenant}/inventory.toml"));
    let to: PathBuf = from.with_file_name("edited.toml");
    fs::write(&to, edit(&fs::read_to_string(&from).unwrap())).unwrap();
    format!("examples/zero-carbon-park/{tenant}/edited.toml")
}

#[test]
fn claims_beyond_the_ledger_are_refused_and_double_counting_across_registers_is_found() {
    let dir = park();
    let d = dir.path();
    let foundry =
        declare(d, "foundry", "examples/zero-carbon-park/foundry/inventory.toml", "casting");
    assert!(foundry.status.success(), "{}", stderr(&foundry));
    assert!(
        stdout(&foundry).contains("park allocation ZCP-2025-06-PV/foundry"),
        "{}",
        stdout(&foundry)
    );

    // One kWh more than allocated (within the meter tolerance, so the inventory loads).
    let more =
        edited(d, "foundry", |t| t.replace("quantity = 1963311.448", "quantity = 1963312.448"));
    let out = declare(d, "foundry", &more, "casting");
    refused(
        &out,
        "claims 1963312.448 kWh of the park allocation ZCP-2025-06-PV/foundry, but the park's ledger allocates 1963311.448 kWh",
    );
    // The park's source itself.
    let source =
        edited(d, "foundry", |t| t.replace("\"ZCP-2025-06-PV/foundry\"", "\"ZCP-2025-06-PV\""));
    let out = declare(d, "foundry", &source, "casting");
    refused(&out, "claims the park source ZCP-2025-06-PV (solar) itself");
    // Another profile than the park's allocation file.
    let tampered = d.join("examples/zero-carbon-park/allocations/foundry/solar-copy.csv");
    let text =
        fs::read_to_string(d.join("examples/zero-carbon-park/allocations/foundry/solar.csv"))
            .unwrap();
    fs::write(&tampered, text.replacen(",0.000\n", ",0.0\n", 1)).unwrap();
    let other = edited(d, "foundry", |t| {
        t.replace("allocations/foundry/solar.csv", "allocations/foundry/solar-copy.csv")
    });
    let out = declare(d, "foundry", &other, "casting");
    refused(&out, "with another profile than the park's allocation file foundry/solar.csv");

    // The assembler claims the foundry's allocations: each register alone is consistent, the
    // park's check across both finds every one claimed twice.
    let stolen = edited(d, "assembler", |t| {
        t.replace("/assembler\"", "/foundry\"")
            .replace("allocations/assembler/", "allocations/foundry/")
    });
    let out = declare(d, "assembler", &stolen, "motor");
    assert!(out.status.success(), "{}", stderr(&out));
    let check = pcf(
        d,
        &[
            "park",
            "check",
            LEDGER,
            "--register",
            "foundry-register",
            "--register",
            "assembler-register",
        ],
    );
    assert_eq!(check.status.code(), Some(1), "{}", stdout(&check));
    let report = stdout(&check);
    for serial in ["ZCP-2025-06-PV/foundry", "ZCP-2025-06-BESS/foundry", "ZCP-PPA-2025-01/foundry"]
    {
        assert!(report.contains(&format!("DOUBLE COUNTED {serial}")), "{report}");
    }
    let json = pcf(
        d,
        &[
            "park",
            "check",
            LEDGER,
            "--register",
            "foundry-register",
            "--register",
            "assembler-register",
            "--json",
        ],
    );
    let v: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 3);
    assert_eq!(v["findings"][0]["allocatedKwh"], "1963311.448");

    // Each its own: no finding.
    let fresh = park();
    let f = fresh.path();
    assert!(
        declare(f, "foundry", "examples/zero-carbon-park/foundry/inventory.toml", "casting")
            .status
            .success()
    );
    assert!(
        declare(f, "assembler", "examples/zero-carbon-park/assembler/inventory.toml", "motor")
            .status
            .success()
    );
    let check = pcf(
        f,
        &[
            "park",
            "check",
            LEDGER,
            "--register",
            "foundry-register",
            "--register",
            "assembler-register",
        ],
    );
    assert!(check.status.success(), "{}", stdout(&check));
    assert!(
        stdout(&check).starts_with("OK: 6 active claims on the park's allocations in 2 registers"),
        "{}",
        stdout(&check)
    );
}
