//! Matching green electricity to consumption in time: how much of each supply instrument's
//! energy (on-site generation, a PPA's deliveries, certificates, storage discharge) counts
//! against the consumption of the same matching interval (the whole period, a month or an
//! hour, as the methodology's `electricity.matching` says).
//!
//! The algorithm sees slots (the intervals of the data, 15 minutes to an hour) and a bucket id
//! per slot (the matching interval the slot falls in, see `timeseries::Grid::buckets`). Slots
//! are summed per bucket, then buckets are matched in time order:
//!
//! 1. the consumption of the bucket is covered by the instruments in the order given (an
//!    instrument covers at most what it makes available in the bucket, the consumption at
//!    most once);
//! 2. where storage may shift energy in time (`electricity.storage = "shift"`), each storage
//!    charges from the instruments' surplus of the bucket (green energy that no consumption of
//!    the bucket used, taken in instrument order), up to what it was metered charging; the green
//!    energy it holds is that times its round-trip efficiency (metered discharge over charge,
//!    at most 1);
//! 3. each storage's metered discharge in the bucket is green up to the green energy it holds,
//!    and covers consumption still uncovered; green discharge that no consumption uses is lost
//!    (it is not carried to another bucket).
//!
//! So no instrument counts more than it made available in any bucket, storage counts no more
//! than the green energy that went in, and a coarser matching interval can only count more:
//! `tests/matching.rs` checks both as properties and works small cases by hand.

use serde::{Deserialize, Serialize};

/// When an instrument's energy is available.
#[derive(Debug, Clone, PartialEq)]
pub enum Availability<'a> {
    /// Energy per slot (a generation meter, a PPA's delivery schedule, hourly certificates).
    Profile(&'a [f64]),
    /// A quantity whose production period lies in one bucket (`Some(b)`), or spans more than
    /// one matching interval (`None`: not available at this granularity).
    Block {
        /// Energy.
        quantity: f64,
        /// The bucket its production period lies in.
        bucket: Option<u32>,
    },
    /// A store charged and discharged as metered, per slot.
    Storage {
        /// Energy into the store per slot.
        charge: &'a [f64],
        /// Energy out of the store per slot.
        discharge: &'a [f64],
    },
}

/// How storage is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Storage {
    /// Storage shifts green surplus to later consumption (steps 2 and 3 above).
    Shift,
    /// Storage is not an instrument: its discharge covers nothing.
    Ignore,
}

/// What one instrument counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstrumentMatch {
    /// Energy it made available over the period (a storage: its green discharge).
    pub available: f64,
    /// Energy matched to consumption.
    pub matched: f64,
    /// Energy of its surplus that charged storage (green energy shifted in time).
    pub stored: f64,
    /// Energy matched per bucket.
    #[serde(skip)]
    pub by_bucket: Vec<f64>,
}

/// The result of matching one consumption against instruments.
#[derive(Debug, Clone, PartialEq)]
pub struct Matched {
    /// Consumption over the period.
    pub consumption: f64,
    /// Per instrument, in the order given.
    pub instruments: Vec<InstrumentMatch>,
    /// Consumption per bucket.
    pub consumption_by_bucket: Vec<f64>,
    /// Consumption not covered, per bucket.
    pub unmatched_by_bucket: Vec<f64>,
}

impl Matched {
    /// Consumption not covered by any instrument.
    pub fn unmatched(&self) -> f64 {
        self.unmatched_by_bucket.iter().sum()
    }

    /// Consumption covered by instruments.
    pub fn matched(&self) -> f64 {
        self.instruments.iter().map(|i| i.matched).sum()
    }
}

/// Matches `consumption` (energy per slot) against `instruments` over `buckets` (a bucket id
/// per slot, ids below `n_buckets`, in time order), as the module doc says. Profiles must have
/// one value per slot (the caller lays every series on one grid); a shorter profile counts
/// nothing in the slots it lacks.
pub fn match_energy(
    consumption: &[f64],
    buckets: &[u32],
    n_buckets: usize,
    instruments: &[Availability<'_>],
    storage: Storage,
) -> Matched {
    let load = per_bucket(consumption, buckets, n_buckets);
    let mut avail: Vec<Vec<f64>> = Vec::with_capacity(instruments.len());
    let mut charge: Vec<Vec<f64>> = Vec::with_capacity(instruments.len());
    let mut efficiency = vec![0.0; instruments.len()];
    for (i, ins) in instruments.iter().enumerate() {
        match ins {
            Availability::Profile(p) => {
                avail.push(per_bucket(p, buckets, n_buckets));
                charge.push(Vec::new());
            }
            Availability::Block { quantity, bucket } => {
                let mut v = vec![0.0; n_buckets];
                if let Some(b) = bucket.and_then(|b| v.get_mut(b as usize)) {
                    *b = quantity.max(0.0);
                }
                avail.push(v);
                charge.push(Vec::new());
            }
            Availability::Storage { charge: c, discharge: d } => {
                let (tc, td): (f64, f64) = (c.iter().sum(), d.iter().sum());
                efficiency[i] = if tc > 0.0 { (td / tc).min(1.0) } else { 0.0 };
                avail.push(per_bucket(d, buckets, n_buckets));
                charge.push(per_bucket(c, buckets, n_buckets));
            }
        }
    }
    let is_storage: Vec<bool> =
        instruments.iter().map(|i| matches!(i, Availability::Storage { .. })).collect();
    let mut out: Vec<InstrumentMatch> = instruments
        .iter()
        .map(|_| InstrumentMatch {
            available: 0.0,
            matched: 0.0,
            stored: 0.0,
            by_bucket: vec![0.0; n_buckets],
        })
        .collect();
    let mut unmatched = vec![0.0; n_buckets];
    let mut held = vec![0.0; instruments.len()];
    let mut surplus = vec![0.0; instruments.len()];
    for b in 0..n_buckets {
        let mut rem = load[b];
        for i in 0..instruments.len() {
            surplus[i] = 0.0;
            if is_storage[i] {
                continue;
            }
            let a = avail[i][b].max(0.0);
            let m = a.min(rem);
            rem -= m;
            out[i].available += a;
            out[i].matched += m;
            out[i].by_bucket[b] = m;
            surplus[i] = a - m;
        }
        for s in 0..instruments.len() {
            if !is_storage[s] || storage == Storage::Ignore {
                continue;
            }
            // Charge from the surplus, in instrument order.
            let mut want = charge[s][b].max(0.0);
            for i in 0..instruments.len() {
                if want <= 0.0 {
                    break;
                }
                let take = surplus[i].min(want);
                if take > 0.0 {
                    surplus[i] -= take;
                    out[i].stored += take;
                    want -= take;
                    held[s] += take * efficiency[s];
                }
            }
            let green = avail[s][b].max(0.0).min(held[s]);
            held[s] -= green;
            let m = green.min(rem);
            rem -= m;
            out[s].available += green;
            out[s].matched += m;
            out[s].by_bucket[b] = m;
        }
        unmatched[b] = rem.max(0.0);
    }
    Matched {
        consumption: load.iter().sum(),
        instruments: out,
        consumption_by_bucket: load,
        unmatched_by_bucket: unmatched,
    }
}

/// Splits each instrument's energy per slot among consumers by fixed shares (a park's
/// contracts: tenant `t` gets `shares[t][i]` of instrument `i` in every slot). Shares of one
/// instrument must add up to at most 1 (the caller checks); the result is, per consumer and
/// instrument, energy per slot, never more in any slot than the instrument made.
pub fn allocate_by_shares(profiles: &[&[f64]], shares: &[Vec<f64>]) -> Vec<Vec<Vec<f64>>> {
    shares
        .iter()
        .map(|row| {
            profiles
                .iter()
                .zip(row)
                .map(|(p, share)| p.iter().map(|e| e.max(0.0) * share.clamp(0.0, 1.0)).collect())
                .collect()
        })
        .collect()
}

/// Sums slot values per bucket.
fn per_bucket(values: &[f64], buckets: &[u32], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n];
    for (v, b) in values.iter().zip(buckets) {
        if let Some(slot) = out.get_mut(*b as usize) {
            *slot += v;
        }
    }
    out
}
