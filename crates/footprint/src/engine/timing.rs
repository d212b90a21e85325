//! Electricity matched in time: the methodology's `electricity.matching` applied to one
//! electricity input. The input's consumption and its instruments' energy are laid on the
//! buckets of the granularity (the reference period, months or hours) and matched by
//! [`crate::matching`]; what each instrument counts, and the factor activity it carries
//! (storage's green discharge is counted at the factors of the instruments whose surplus
//! charged it), come back as a [`Plan`] for the electricity record.

use crate::inventory::{Input, Instrument, InstrumentTiming, Inventory, Source};
use crate::matching::{Availability, Matched, Storage, match_energy};
use crate::methodology::Methodology;
use crate::timeseries::{Granularity, Grid};

use super::EngineError;
use super::result::{MatchLine, MatchingRecord, Period};

/// What matching decided for each instrument of an input.
pub(super) struct Plan {
    /// Energy matched directly, per instrument (grid factor's unit).
    pub matched: Vec<f64>,
    /// Energy counted at the instrument's factor: its own match plus its share of storage's
    /// matched green discharge (zero for a store).
    pub activity: Vec<f64>,
    /// Why each counted as it did.
    pub reasons: Vec<String>,
    /// The record.
    pub record: MatchingRecord,
    /// Consumption not matched, per bucket (per slot of the grid under hourly matching).
    pub unmatched_by_bucket: Vec<f64>,
}

/// The plan for `inp` under `m`'s matching rule, or `None` when the methodology has none.
/// `refused[i]` says why instrument `i` does not count whatever its timing (kind, serial), or
/// is `None`.
pub(super) fn plan(
    inv: &Inventory,
    m: &Methodology,
    file: &str,
    inp: &Input,
    instruments: &[Instrument],
    refused: &[Option<String>],
) -> Result<Option<Plan>, EngineError> {
    let e = &m.rules.electricity;
    let Some(granularity) = e.matching else { return Ok(None) };
    // Nothing to match: the consumption is all uncovered whenever it happened.
    if instruments.is_empty() {
        return Ok(None);
    }
    let storage = e.storage.unwrap_or(Storage::Ignore);
    let Source::Electricity { region, .. } = &inp.source else { return Ok(None) };
    let profile = &inp.profile;
    let clause = e.matching_clause.clone().unwrap_or_else(|| e.clause.clone());
    // The consumption laid on buckets.
    let (grid, consumption, buckets, n, source): (
        Option<&Grid>,
        Vec<f64>,
        Vec<u32>,
        usize,
        String,
    ) = match (profile, &inv.grid) {
        (Some(p), Some(grid)) => {
            let (b, n) = grid.buckets(granularity);
            (Some(grid), p.values.clone(), b, n, p.source.clone())
        }
        _ if granularity == Granularity::Annual => {
            let timed = instruments.iter().any(|i| i.timing != InstrumentTiming::None);
            match (&inv.grid, timed) {
                // Instruments with interval data: consumption spread evenly (annual
                // matching sums every slot, so the spread does not change the result).
                (Some(grid), true) => {
                    let (b, n) = grid.buckets(granularity);
                    let each = inp.amount / grid.len().max(1) as f64;
                    (
                        Some(grid),
                        vec![each; grid.len()],
                        b,
                        n,
                        "no interval data (annual matching needs none)".into(),
                    )
                }
                _ => (
                    None,
                    vec![inp.amount],
                    vec![0],
                    1,
                    "no interval data (annual matching needs none)".into(),
                ),
            }
        }
        _ => {
            return Err(EngineError::Rule {
                file: file.to_string(),
                pointer: inp.pointer.clone(),
                problem: format!(
                    "{} matches instruments to consumption {} (`electricity.matching = \
                         \"{}\"`), but this electricity input says nothing of when it was used \
                         ({clause})",
                    m.id(),
                    granularity.phrase(),
                    granularity.name()
                ),
                help: "add `profile = { meter = \"meters/site.csv\" }` (a meter export of \
                           timestamp,kwh) or, where no interval data exists, `profile = { shape \
                           = \"day-shift\" }` (a standard load shape scaled to the amount), and \
                           the inventory's `time_zone`"
                    .into(),
            });
        }
    };
    let mut reasons: Vec<String> = Vec::with_capacity(instruments.len());
    let mut avail: Vec<Availability<'_>> = Vec::with_capacity(instruments.len());
    let mut timing: Vec<String> = Vec::with_capacity(instruments.len());
    for (ins, refusal) in instruments.iter().zip(refused) {
        let period = ins.period.as_ref().map(|(a, b)| format!("produced {a} to {b}"));
        let (a, t, why): (Availability<'_>, String, Option<String>) = match (&ins.timing, grid) {
            (InstrumentTiming::Profile { values, source, .. }, Some(_)) => {
                (Availability::Profile(values), source.clone(), None)
            }
            (InstrumentTiming::Storage { charge, discharge, source }, Some(_)) => (
                Availability::Storage { charge, discharge },
                source.clone(),
                (storage == Storage::Ignore).then(|| {
                    format!(
                        "{} does not let storage shift green energy in time \
                         (`electricity.storage = \"ignore\"`): its discharge covers nothing",
                        m.id()
                    )
                }),
            ),
            _ => {
                let (bucket, why) = block_bucket(inv, grid, granularity, ins);
                (
                    Availability::Block { quantity: ins.quantity, bucket },
                    period.clone().unwrap_or_else(|| "no production period stated".into()),
                    why,
                )
            }
        };
        let region_refusal = match (e.same_region, region, &ins.region) {
            (false, ..) => None,
            (true, Some(site), Some(r)) if r == site => None,
            (true, Some(site), Some(r)) => Some(format!(
                "generated in {r}, not in the consumption's grid region {site} \
                 (`electricity.same_region`)"
            )),
            (true, _, None) => Some(
                "states no grid region, and the methodology counts instruments of the \
                 consumption's region only (`electricity.same_region`)"
                    .to_string(),
            ),
            (true, None, Some(_)) => Some(
                "the consumption's grid region is not known (give the input a `region` or the \
                 inventory a `geography`), and the methodology counts instruments of the same \
                 region only (`electricity.same_region`)"
                    .to_string(),
            ),
        };
        let why = refusal.clone().or(region_refusal).or(why);
        avail.push(if why.is_some() {
            Availability::Block { quantity: 0.0, bucket: None }
        } else {
            a
        });
        reasons.push(why.unwrap_or_default());
        timing.push(t);
    }
    let matched = match_energy(&consumption, &buckets, n, &avail, storage);
    let activity = activity(&matched, &avail);
    let total = matched.consumption;
    let mut lines = Vec::with_capacity(instruments.len());
    for (i, ins) in instruments.iter().enumerate() {
        let r = &matched.instruments[i];
        if reasons[i].is_empty() {
            reasons[i] = format!(
                "matched {} (`electricity.matching = \"{}\"`): {} of the {} it made available",
                granularity.phrase(),
                granularity.name(),
                super::electricity::fmt_amount(r.matched),
                super::electricity::fmt_amount(r.available)
            );
            if r.stored > 0.0 {
                reasons[i].push_str(&format!(
                    "; {} of its surplus charged storage",
                    super::electricity::fmt_amount(r.stored)
                ));
            }
        }
        lines.push(MatchLine {
            kind: super::electricity::instrument_name(ins.kind).to_string(),
            serial: ins.serial.as_ref().map(|s| s.as_str().to_string()),
            timing: timing[i].clone(),
            available: r.available,
            matched: r.matched,
            share_percent: if total > 0.0 { r.matched / total * 100.0 } else { 0.0 },
            stored: r.stored,
        });
    }
    let (months, average_day) = match grid {
        Some(g) if granularity != Granularity::Annual => {
            periods(g, granularity, &matched, &consumption, &avail)
        }
        _ => (Vec::new(), Vec::new()),
    };
    let record = MatchingRecord {
        granularity,
        storage,
        consumption_source: source,
        time_zone: grid.map(|g| g.zone_name().to_string()),
        instruments: lines,
        unmatched: matched.unmatched(),
        months,
        average_day,
        clause,
    };
    let direct = matched.instruments.iter().map(|r| r.matched).collect();
    let unmatched_by_bucket = matched.unmatched_by_bucket.clone();
    Ok(Some(Plan { matched: direct, activity, reasons, record, unmatched_by_bucket }))
}

/// The bucket an instrument without interval data falls in: the one matching interval its
/// production period lies in, or none (with the reason).
fn block_bucket(
    inv: &Inventory,
    grid: Option<&Grid>,
    granularity: Granularity,
    ins: &Instrument,
) -> (Option<u32>, Option<String>) {
    let reference = inv.meta.reference_period.as_ref();
    let Some((start, end)) = &ins.period else {
        return match granularity {
            Granularity::Annual => (Some(0), None),
            _ => (
                None,
                Some(format!(
                    "states no production period, so it cannot be matched {}",
                    if granularity == Granularity::Monthly { "to a month" } else { "to an hour" }
                )),
            ),
        };
    };
    if let Some((rs, re)) = reference {
        // ISO dates compare as text.
        if start < rs || end > re {
            return (
                None,
                Some(format!(
                    "produced {start} to {end}, outside the reference period {rs} to {re}"
                )),
            );
        }
    }
    let Some(grid) = grid else {
        return (Some(0), None);
    };
    let slot = |d: &str, next: bool| -> Option<usize> {
        let date: jiff::civil::Date = d.parse().ok()?;
        let date = if next { date.tomorrow().ok()? } else { date };
        let t = date.to_zoned_datetime(grid.zone().clone()).ok()?.timestamp();
        if next {
            // The last slot before the next day's midnight.
            let end = t.checked_sub(jiff::SignedDuration::from_secs(1)).ok()?;
            grid.slot_of(end)
        } else {
            grid.slot_of(t)
        }
    };
    let (buckets, _) = grid.buckets(granularity);
    match (slot(start, false), slot(end, true)) {
        (Some(a), Some(b)) if buckets[a] == buckets[b] => (Some(buckets[a]), None),
        _ => (
            None,
            Some(format!(
                "produced {start} to {end}, a period longer than one matching interval (`electricity.matching = \"{}\"`): its energy cannot be placed in one",
                granularity.name()
            )),
        ),
    }
}

/// Factor activity per instrument: its own match, plus storage's matched green discharge
/// shared among the instruments whose surplus charged it, by what each put in.
fn activity(matched: &Matched, avail: &[Availability<'_>]) -> Vec<f64> {
    let mut out: Vec<f64> = matched
        .instruments
        .iter()
        .zip(avail)
        .map(|(r, a)| if matches!(a, Availability::Storage { .. }) { 0.0 } else { r.matched })
        .collect();
    let stored: f64 = matched.instruments.iter().map(|r| r.stored).sum();
    if stored > 0.0 {
        let shifted: f64 = matched
            .instruments
            .iter()
            .zip(avail)
            .filter(|(_, a)| matches!(a, Availability::Storage { .. }))
            .map(|(r, _)| r.matched)
            .sum();
        for (o, r) in out.iter_mut().zip(&matched.instruments) {
            *o += shifted * r.stored / stored;
        }
    }
    out
}

/// Months, and the average day of hourly matching.
fn periods(
    grid: &Grid,
    granularity: Granularity,
    matched: &Matched,
    consumption: &[f64],
    avail: &[Availability<'_>],
) -> (Vec<Period>, Vec<Period>) {
    let (month_of, n_months) = grid.buckets(Granularity::Monthly);
    let (bucket_of, _) = grid.buckets(granularity);
    let hours = grid.local_hours();
    // Green energy available per slot.
    let mut available = vec![0.0; grid.len()];
    for a in avail {
        let series: &[f64] = match a {
            Availability::Profile(p) => p,
            Availability::Storage { discharge, .. } => discharge,
            Availability::Block { .. } => continue,
        };
        for (x, v) in available.iter_mut().zip(series) {
            *x += v;
        }
    }
    // Matched per bucket, spread over its slots by consumption.
    let matched_by_bucket: Vec<f64> = (0..matched.consumption_by_bucket.len())
        .map(|b| matched.consumption_by_bucket[b] - matched.unmatched_by_bucket[b])
        .collect();
    let mut months: Vec<Period> = (0..n_months)
        .map(|b| Period {
            label: grid.bucket_label(Granularity::Monthly, b as u32),
            consumption: 0.0,
            available: 0.0,
            matched: 0.0,
        })
        .collect();
    let mut day: Vec<Period> = (0..24)
        .map(|h| Period {
            label: format!("{h:02}"),
            consumption: 0.0,
            available: 0.0,
            matched: 0.0,
        })
        .collect();
    let mut days_per_hour = [0usize; 24];
    for s in 0..grid.len() {
        let b = bucket_of[s] as usize;
        let c = consumption.get(s).copied().unwrap_or(0.0);
        let load = matched.consumption_by_bucket[b];
        let share = if load > 0.0 { c / load } else { 0.0 };
        let m = matched_by_bucket[b] * share;
        let mo = &mut months[month_of[s] as usize];
        mo.consumption += c;
        mo.available += available[s];
        mo.matched += m;
        let h = hours[s] as usize % 24;
        day[h].consumption += c;
        day[h].available += available[s];
        day[h].matched += m;
        days_per_hour[h] += 1;
    }
    if granularity != Granularity::Hourly {
        return (months, Vec::new());
    }
    for (p, n) in day.iter_mut().zip(days_per_hour) {
        let n = n.max(1) as f64;
        p.consumption /= n;
        p.available /= n;
        p.matched /= n;
    }
    (months, day)
}
