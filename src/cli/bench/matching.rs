//! `pcf bench matching` (hidden): hourly matching at park scale (issue 18). A year of
//! 15-minute meter data (35,040 intervals, 2025 in Asia/Shanghai) for `--tenants` tenants and
//! `--instruments` green sources, generated in memory as meter exports (CSV text), then timed
//! in the steps a park runs on one core:
//!
//! 1. read every export (`Meter::read`: parse, step, gaps and duplicates checked);
//! 2. lay each on the hourly grid of the year (`Meter::on_grid`: four readings per hour);
//! 3. allocate every source to every tenant by contracted shares, hour by hour;
//! 4. match each tenant's consumption to its allocations, hour by hour, storage shifting.
//!
//! Memory is the process's peak resident set (`VmHWM`) beside the size of the data held.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use pcf::matching::{Availability, Storage, allocate_by_shares, match_energy};
use pcf::timeseries::{Granularity, Grid, Meter};
use serde_json::json;

use crate::cli::Result;

/// The arguments of `pcf bench matching`.
#[derive(clap::Args)]
pub struct MatchingArgs {
    /// Tenants (consumption meters).
    #[arg(long, default_value_t = 100)]
    pub tenants: usize,
    /// Green sources (generation meters), the last one a battery's discharge.
    #[arg(long, default_value_t = 10)]
    pub instruments: usize,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmark.
pub fn run(args: &MatchingArgs) -> Result<ExitCode> {
    let zone = "Asia/Shanghai";
    let usage = |e: pcf::timeseries::TimeSeriesError| pcf::Error::Usage(e.to_string());
    let first = jiff::civil::date(2025, 1, 1);
    let last = jiff::civil::date(2025, 12, 31);
    let grid = Grid::of_period(first, last, zone, 60).map_err(usage)?;
    let fine = Grid::of_period(first, last, zone, 15).map_err(usage)?;
    let n = fine.len();
    let tenants = args.tenants.max(1);
    let sources = args.instruments.max(1);
    // Exports: tenants with different shifts, sources with daylight and wind shapes.
    let export = |f: &dyn Fn(usize) -> f64| {
        let mut s = String::with_capacity(n * 34);
        s.push_str("timestamp,kwh\n");
        for i in 0..n {
            let t = fine.slot_start(i);
            let _ = writeln!(s, "{t},{:.3}", f(i));
        }
        s
    };
    let hour = |i: usize| (i / 4 + 8) % 24; // local hour in UTC+8
    let mut texts = Vec::with_capacity(tenants + sources);
    for t in 0..tenants {
        let start = 6 + t % 12;
        texts.push(export(&|i| {
            if (start..start + 10).contains(&hour(i)) { 250.0 } else { 40.0 + (t % 7) as f64 }
        }));
    }
    for s in 0..sources {
        texts.push(export(&|i| {
            let h = hour(i) as f64;
            if s % 2 == 0 {
                (800.0 * (std::f64::consts::PI * (h - 6.0) / 12.0).sin()).max(0.0)
            } else {
                300.0 + 100.0 * (h / 24.0 * std::f64::consts::TAU + s as f64).cos()
            }
        }));
    }
    let bytes: usize = texts.iter().map(String::len).sum();

    let t0 = Instant::now();
    let meters: Vec<Meter> = texts
        .iter()
        .enumerate()
        .map(|(k, text)| Meter::read(&format!("meter-{k}.csv"), text, zone))
        .collect::<std::result::Result<_, _>>()
        .map_err(usage)?;
    let read_s = t0.elapsed().as_secs_f64();
    drop(texts);

    let t1 = Instant::now();
    let series: Vec<Vec<f64>> = meters
        .iter()
        .map(|m| m.on_grid(&grid))
        .collect::<std::result::Result<_, _>>()
        .map_err(usage)?;
    let lay_s = t1.elapsed().as_secs_f64();
    let (loads, supply) = series.split_at(tenants);

    let t2 = Instant::now();
    let share = 1.0 / tenants as f64;
    let shares = vec![vec![share; sources]; tenants];
    let profiles: Vec<&[f64]> = supply.iter().map(Vec::as_slice).collect();
    let allocations = allocate_by_shares(&profiles, &shares);
    let allocate_s = t2.elapsed().as_secs_f64();

    let t3 = Instant::now();
    let (buckets, nb) = grid.buckets(Granularity::Hourly);
    let mut matched = 0.0;
    let mut consumed = 0.0;
    for (load, alloc) in loads.iter().zip(&allocations) {
        let mut ins: Vec<Availability<'_>> =
            alloc[..sources - 1].iter().map(|p| Availability::Profile(p)).collect();
        // The last source as a battery: charged from the surplus, discharging its profile.
        ins.push(Availability::Storage { charge: &alloc[0], discharge: &alloc[sources - 1] });
        let m = match_energy(load, &buckets, nb, &ins, Storage::Shift);
        matched += m.matched();
        consumed += m.consumption;
    }
    let match_s = t3.elapsed().as_secs_f64();
    let total_s = read_s + lay_s + allocate_s + match_s;
    let held = (series.len() + tenants * sources) * grid.len() * 8;
    let peak_kib = peak_rss_kib();
    let result = json!({
        "intervals_per_meter": n,
        "hours": grid.len(),
        "tenants": tenants,
        "instruments": sources,
        "csv_bytes": bytes,
        "read_s": read_s,
        "lay_on_grid_s": lay_s,
        "allocate_s": allocate_s,
        "match_s": match_s,
        "total_s": total_s,
        "held_series_bytes": held,
        "peak_rss_kib": peak_kib,
        "green_share_percent": if consumed > 0.0 { 100.0 * matched / consumed } else { 0.0 },
    });
    if args.json {
        super::super::output::print_json(&result);
    } else {
        outln!(
            "{tenants} tenants x {sources} instruments, {n} intervals of 15 minutes each ({} MB of CSV)",
            bytes / 1_000_000
        );
        outln!("  read meter exports    {:>8.3} s", read_s);
        outln!("  lay on hourly grid    {:>8.3} s", lay_s);
        outln!("  allocate by shares    {:>8.3} s", allocate_s);
        outln!("  match hour by hour    {:>8.3} s", match_s);
        outln!("  total                 {:>8.3} s", total_s);
        outln!(
            "  series held {} MB; peak resident set {} MB",
            held / 1_000_000,
            peak_kib.map_or("?".into(), |k| (k / 1024).to_string())
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The peak resident set size of this process, KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
