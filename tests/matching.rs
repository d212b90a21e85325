#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Matching green electricity to consumption in time (`pcf_footprint::matching`): small
//! cases worked by hand, and properties over random profiles.

use pcf::matching::{Availability, Storage, allocate_by_shares, match_energy};
use proptest::prelude::*;

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

/// One day of 24 hours: a foundry's flat 10 kWh every hour (240 kWh, day and night), rooftop
/// solar of 30 kWh in each of the hours 08..16 (240 kWh), and a battery metered charging
/// 20 kWh in each of the hours 10..14 (80 kWh) and discharging 18 kWh in each of the hours
/// 19..23 (72 kWh: round-trip efficiency 0.9).
struct Day {
    load: Vec<f64>,
    solar: Vec<f64>,
    charge: Vec<f64>,
    discharge: Vec<f64>,
}

fn day() -> Day {
    let hours = |range: std::ops::Range<usize>, v: f64| {
        (0..24).map(|h| if range.contains(&h) { v } else { 0.0 }).collect::<Vec<f64>>()
    };
    Day {
        load: vec![10.0; 24],
        solar: hours(8..16, 30.0),
        charge: hours(10..14, 20.0),
        discharge: hours(19..23, 18.0),
    }
}

#[test]
fn a_day_with_solar_storage_and_a_night_load_matched_by_hand() {
    let d = day();
    let hourly: Vec<u32> = (0..24).collect();
    let ins = [
        Availability::Profile(&d.solar),
        Availability::Storage { charge: &d.charge, discharge: &d.discharge },
    ];
    // Hourly, storage shifting: in each solar hour the load takes 10 of the 30 kWh (8 x 10 =
    // 80 matched) and 20 are surplus; in the four charging hours the battery takes its 20 kWh
    // from that surplus (80 kWh stored, 72 kWh of green energy after losses of 10 %); in the
    // four evening hours it discharges 18 kWh of green energy, of which the load uses 10 (40
    // matched, 32 lost). The night hours 0..8, 16..19 and 23 have nothing: 240 - 80 - 40 = 120
    // kWh unmatched, a green share of 50 %.
    let h = match_energy(&d.load, &hourly, 24, &ins, Storage::Shift);
    close(h.consumption, 240.0);
    close(h.instruments[0].available, 240.0);
    close(h.instruments[0].matched, 80.0);
    close(h.instruments[0].stored, 80.0);
    close(h.instruments[1].available, 72.0);
    close(h.instruments[1].matched, 40.0);
    close(h.unmatched(), 120.0);
    for hour in 19..23 {
        close(h.instruments[1].by_bucket[hour], 10.0);
        close(h.unmatched_by_bucket[hour], 0.0);
    }
    for hour in (0..8).chain(16..19).chain(23..24) {
        close(h.unmatched_by_bucket[hour], 10.0);
    }

    // Hourly, storage not an instrument: only the solar hours, 80 kWh, a third.
    let ignore = match_energy(&d.load, &hourly, 24, &ins, Storage::Ignore);
    close(ignore.matched(), 80.0);
    close(ignore.instruments[1].matched, 0.0);
    close(ignore.instruments[0].stored, 0.0);

    // Over the day as one interval (annual matching, or monthly within one month): 240 kWh of
    // solar against 240 kWh of load, all matched; no surplus, so the battery holds no green
    // energy and counts nothing.
    let one = vec![0u32; 24];
    let a = match_energy(&d.load, &one, 1, &ins, Storage::Shift);
    close(a.instruments[0].matched, 240.0);
    close(a.instruments[1].matched, 0.0);
    close(a.unmatched(), 0.0);
}

#[test]
fn annual_monthly_and_hourly_on_the_same_data_by_hand() {
    // Two "months" of two hours each. Consumption 10, 10 | 10, 10 (40). A PPA delivers
    // 30, 0 | 5, 0 (35). Annual: min(40, 35) = 35. Monthly: min(20, 30) + min(20, 5) = 25.
    // Hourly: 10 + 0 + 5 + 0 = 15. A certificate of 8 produced in the second month adds up
    // to 8 where that month has room: annual 40 (capped by consumption), monthly 25 + 8 = 33,
    // hourly: its period spans two hours, so none (15).
    let load = [10.0, 10.0, 10.0, 10.0];
    let ppa = [30.0, 0.0, 5.0, 0.0];
    let run = |buckets: &[u32], n: usize, cert_bucket: Option<u32>| {
        let ins = [
            Availability::Profile(&ppa),
            Availability::Block { quantity: 8.0, bucket: cert_bucket },
        ];
        match_energy(&load, buckets, n, &ins, Storage::Ignore)
    };
    let annual = run(&[0, 0, 0, 0], 1, Some(0));
    let monthly = run(&[0, 0, 1, 1], 2, Some(1));
    let hourly = run(&[0, 1, 2, 3], 4, None);
    close(annual.matched(), 40.0);
    close(annual.instruments[0].matched, 35.0);
    close(annual.instruments[1].matched, 5.0);
    close(monthly.instruments[0].matched, 25.0);
    close(monthly.instruments[1].matched, 8.0);
    close(hourly.instruments[0].matched, 15.0);
    close(hourly.instruments[1].matched, 0.0);
    close(hourly.unmatched(), 25.0);
}

#[test]
fn shares_allocate_no_more_than_was_made() {
    let solar = [0.0, 40.0, 100.0];
    let ppa = [10.0, 10.0, 10.0];
    let a = allocate_by_shares(&[&solar, &ppa], &[vec![0.25, 0.5], vec![0.75, 0.5]]);
    assert_eq!(a[0][0], vec![0.0, 10.0, 25.0]);
    assert_eq!(a[1][0], vec![0.0, 30.0, 75.0]);
    assert_eq!(a[0][1], vec![5.0, 5.0, 5.0]);
}

fn profile(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![Just(0.0), 0.0..50.0f64], n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Hourly matching never credits an instrument more than it made available in any hour,
    /// never more than the hour's consumption in total, and storage never more than the green
    /// surplus that charged it; annual (and monthly) matching's green share is an upper bound
    /// of hourly matching's.
    #[test]
    fn hourly_matching_is_bounded_by_each_hour_and_by_annual(
        load in profile(48),
        a in profile(48),
        b in profile(48),
        charge in profile(48),
        discharge in profile(48),
        shift in any::<bool>(),
    ) {
        let storage = if shift { Storage::Shift } else { Storage::Ignore };
        let ins = [
            Availability::Profile(&a),
            Availability::Profile(&b),
            Availability::Storage { charge: &charge, discharge: &discharge },
        ];
        let hours: Vec<u32> = (0..48).collect();
        let h = match_energy(&load, &hours, 48, &ins, storage);
        for hour in 0..48 {
            prop_assert!(h.instruments[0].by_bucket[hour] <= a[hour] + 1e-9);
            prop_assert!(h.instruments[1].by_bucket[hour] <= b[hour] + 1e-9);
            prop_assert!(h.instruments[2].by_bucket[hour] <= discharge[hour] + 1e-9);
            let total: f64 = h.instruments.iter().map(|i| i.by_bucket[hour]).sum();
            prop_assert!(total <= load[hour] + 1e-9);
            prop_assert!((total + h.unmatched_by_bucket[hour] - load[hour]).abs() < 1e-9);
        }
        let stored: f64 = h.instruments.iter().map(|i| i.stored).sum();
        prop_assert!(h.instruments[2].matched <= stored + 1e-9);
        let made: f64 = a.iter().chain(&b).sum();
        prop_assert!(h.matched() <= made + 1e-9);

        let months: Vec<u32> = (0..48).map(|i| (i / 24) as u32).collect();
        let m = match_energy(&load, &months, 2, &ins, storage);
        let y = match_energy(&load, &[0; 48], 1, &ins, storage);
        prop_assert!(y.matched() + 1e-9 >= h.matched(), "annual {} < hourly {}", y.matched(), h.matched());
        prop_assert!(y.matched() + 1e-9 >= m.matched());
        if !shift {
            prop_assert!(m.matched() + 1e-9 >= h.matched(), "monthly {} < hourly {}", m.matched(), h.matched());
        }
    }
}

/// An inventory of one product made with metered electricity, in a fresh directory, with the
/// meter exports `meters` (name, kWh per hour from `start`) beside it.
fn site(start: &str, inventory: &str, meters: &[(&str, Vec<f64>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let t0: jiff::Timestamp = start.parse().unwrap();
    for (name, values) in meters {
        let mut csv = String::from("timestamp,kwh\n");
        for (h, v) in values.iter().enumerate() {
            let t = t0 + jiff::SignedDuration::from_hours(h as i64);
            csv.push_str(&format!("{t},{v}\n"));
        }
        std::fs::write(dir.path().join(name), csv).unwrap();
    }
    std::fs::write(dir.path().join("inventory.toml"), inventory).unwrap();
    dir
}

/// One piece made by one process (the inventories below add its inputs).
const PART: &str = r#"
[[products]]
id = "part"
name = "Part"
declared_unit = "piece"
mass_per_declared_unit = 1.0
fossil_carbon_content = 0.0
packaging_emissions_included = false

[[processes]]
id = "work"
name = "Work"
outputs = [{ product = "part", amount = 1, unit = "piece" }]
"#;

const FACTORS: &str = r#"
[[factors]]
id = "grid"
name = "Grid average"
per = "kWh"
co2e = 0.6
source = "test"
licence = "CC0-1.0"
quality = { source = "secondary", technological = 1, temporal = 1, geographical = 1 }

[[factors]]
id = "residual"
name = "Residual mix"
per = "kWh"
co2e = 0.9
source = "test"
licence = "CC0-1.0"
quality = { source = "secondary", technological = 1, temporal = 1, geographical = 1 }

[[factors]]
id = "pv"
name = "Rooftop PV"
per = "kWh"
co2e = 0.05
source = "test"
licence = "CC0-1.0"
quality = { source = "secondary", technological = 1, temporal = 1, geographical = 1 }
"#;

/// The draft hourly methodology with another matching interval, as a file in `dir`.
fn with_matching(dir: &std::path::Path, granularity: &str) -> String {
    let text = std::fs::read_to_string(
        crate::util::root().join("methodologies/ghg-protocol-scope2-hourly-draft.toml"),
    )
    .unwrap();
    let text =
        text.replace("matching = \"hourly\"", &format!("matching = \"{granularity}\"")).replace(
            "id = \"ghg-protocol-scope2-hourly-draft\"",
            &format!("id = \"test-{granularity}\""),
        );
    let path = dir.join(format!("{granularity}.toml"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn total(dir: &std::path::Path, methodology: &str) -> (f64, serde_json::Value) {
    let out = crate::util::pcf(dir, &["footprint", "inventory.toml", "-m", methodology, "--json"]);
    assert!(out.status.success(), "{}", crate::util::stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&crate::util::stdout(&out)).unwrap();
    let p = v["products"][0].clone();
    (p["totals"]["excluding_uptake"].as_f64().unwrap(), p["electricity"][0].clone())
}

/// Two days across a month boundary (30 June and 1 July 2025, UTC): a flat 10 kWh every hour;
/// on 30 June rooftop PV makes 60 kWh in each of the hours 08..16 (480 kWh) and a battery
/// charges 20 kWh in each of the hours 10..14 and discharges 18 in each of 19..23; 1 July is
/// dark. PV at 0.05 kg CO2e/kWh, the rest at the residual mix 0.9 (the draft methodology
/// wants one). By hand:
/// - annual: 480 of PV against 480 of use, all matched: 480 x 0.05 = 24 kg;
/// - monthly: June min(240, 480) = 240, July 0: 240 x 0.05 + 240 x 0.9 = 228 kg;
/// - hourly: June's eight PV hours 80, the battery's evening 40 (charged from the surplus,
///   counted at the PV's factor), July 0: 120 x 0.05 + 360 x 0.9 = 330 kg.
#[test]
fn annual_monthly_and_hourly_footprints_of_one_inventory_by_hand() {
    let hours = |day: usize, range: std::ops::Range<usize>, v: f64| {
        (0..48)
            .map(|h| if h / 24 == day && range.contains(&(h % 24)) { v } else { 0.0 })
            .collect::<Vec<f64>>()
    };
    let inventory = format!(
        r#"
[inventory]
name = "Two days"
reference_period = {{ start = "2025-06-30", end = "2025-07-01" }}
geography = "CN-SD"
time_zone = "UTC"

{PART}
[[processes.inputs]]
kind = "electricity"
factor = "grid"
residual_mix_factor = "residual"
amount = 480
unit = "kWh"
profile = {{ meter = "load.csv" }}

[[processes.inputs.instruments]]
type = "onsite"
serial = "PV-1"
quantity = 480
unit = "kWh"
factor = "pv"
region = "CN-SD"
profile = "pv.csv"

[[processes.inputs.instruments]]
type = "storage"
serial = "BESS-1"
quantity = 72
unit = "kWh"
region = "CN-SD"
charge = "charge.csv"
discharge = "discharge.csv"
{FACTORS}"#
    );
    let dir = site(
        "2025-06-30T00:00:00Z",
        &inventory,
        &[
            ("load.csv", vec![10.0; 48]),
            ("pv.csv", hours(0, 8..16, 60.0)),
            ("charge.csv", hours(0, 10..14, 20.0)),
            ("discharge.csv", hours(0, 19..23, 18.0)),
        ],
    );
    let d = dir.path();
    let (annual, _) = total(d, &with_matching(d, "annual"));
    let (monthly, m) = total(d, &with_matching(d, "monthly"));
    let (hourly, e) = total(d, "ghg-protocol-scope2-hourly-draft");
    close(annual, 24.0);
    close(monthly, 228.0);
    close(hourly, 330.0);
    close(m["covered"].as_f64().unwrap(), 240.0);
    assert_eq!(m["matching"]["months"].as_array().unwrap().len(), 2);
    close(e["covered"].as_f64().unwrap(), 120.0);
    close(e["instruments"][0]["used"].as_f64().unwrap(), 80.0);
    close(e["instruments"][1]["used"].as_f64().unwrap(), 40.0);
    close(e["matching"]["instruments"][0]["stored"].as_f64().unwrap(), 80.0);
    close(e["matching"]["unmatched"].as_f64().unwrap(), 360.0);
    // The average day: hour 12 has 10 kWh of use (both days average 10), 30 of PV available
    // (60 on one of two days), 5 matched (10 on one day).
    let noon = &e["matching"]["average_day"][12];
    close(noon["consumption"].as_f64().unwrap(), 10.0);
    close(noon["available"].as_f64().unwrap(), 30.0);
    close(noon["matched"].as_f64().unwrap(), 5.0);
}

/// A week (Monday 6 to Sunday 12 January 2025, UTC) of 1000 kWh with no interval data, laid on
/// the `day-shift` load shape: 50 working hours (Mon-Fri 08:00-18:00) of weight 1 and 118 of
/// 0.1, so 1000 / 61.8 = 16.181... kWh in a working hour and 1.618... otherwise. A PPA
/// delivering 5 kWh every hour, matched hour by hour, covers 5 in each working hour and the
/// whole 1.618... otherwise: 50 x 5 + 118 x 1000 / 618 kWh.
#[test]
fn a_standard_load_shape_scaled_to_the_metered_total_is_matched_by_hand() {
    let inventory = format!(
        r#"
[inventory]
name = "A week without interval data"
reference_period = {{ start = "2025-01-06", end = "2025-01-12" }}
geography = "CN-SD"
time_zone = "UTC"

{PART}
[[processes.inputs]]
kind = "electricity"
factor = "grid"
residual_mix_factor = "residual"
amount = 1000
unit = "kWh"
profile = {{ shape = "day-shift" }}

[[processes.inputs.instruments]]
type = "ppa"
serial = "PPA-1"
quantity = 840
unit = "kWh"
factor = "pv"
region = "CN-SD"
profile = "ppa.csv"
{FACTORS}"#
    );
    let dir = site("2025-01-06T00:00:00Z", &inventory, &[("ppa.csv", vec![5.0; 168])]);
    let (kg, e) = total(dir.path(), "ghg-protocol-scope2-hourly-draft");
    let covered = 50.0 * 5.0 + 118.0 * 1000.0 / 618.0;
    close(e["covered"].as_f64().unwrap(), covered);
    close(kg, covered * 0.05 + (1000.0 - covered) * 0.9);
    let source = e["matching"]["consumption_source"].as_str().unwrap();
    assert!(
        source.starts_with("load shape day-shift scaled to the metered total 1000 kWh"),
        "{source}"
    );
}

#[test]
fn monthly_or_hourly_matching_without_interval_data_is_refused_with_the_fix() {
    let inventory = format!(
        r#"
[inventory]
name = "No profile"
reference_period = {{ start = "2025-01-06", end = "2025-01-12" }}
geography = "CN-SD"

{PART}inputs = [{{ kind = "electricity", factor = "grid", residual_mix_factor = "residual", amount = 1000, unit = "kWh", instruments = [{{ type = "gec", serial = "GEC-1", quantity = 100, unit = "kWh", factor = "pv", region = "CN-SD" }}] }}]
{FACTORS}"#
    );
    let dir = site("2025-01-06T00:00:00Z", &inventory, &[]);
    let out = crate::util::pcf(
        dir.path(),
        &["footprint", "inventory.toml", "-m", "ghg-protocol-scope2-hourly-draft"],
    );
    assert!(!out.status.success());
    let err = crate::util::stderr(&out);
    assert!(err.contains("matches instruments to consumption hour by hour"), "{err}");
    assert!(err.contains("profile = { meter"), "{err}");
}

#[test]
fn a_methodology_that_accepts_storage_must_let_it_shift_only_green_surplus() {
    let text = std::fs::read_to_string(
        crate::util::root().join("methodologies/ghg-protocol-scope2-hourly-draft.toml"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loose.toml");
    std::fs::write(&path, text.replace("storage = \"shift\"", "storage = \"ignore\"")).unwrap();
    let err = pcf::methodology::Methodology::load(&path).unwrap_err().to_string();
    assert!(err.contains("lists \"storage\""), "{err}");
    assert!(err.contains("storage = \"shift\""), "{err}");
}
