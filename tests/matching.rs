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
