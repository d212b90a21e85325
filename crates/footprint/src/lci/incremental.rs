//! Incremental recomputation, measured: what updating the scores after a change to one
//! activity costs against a full recomputation, and whether it gives the same bits.

use std::fmt;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::{Timings, load};
use crate::solver::{Change, Technosphere};

/// What recomputing the product scores after a change to one activity's emissions costs,
/// against a full recomputation (see [`incremental`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncrementalReport {
    /// The dataset directory.
    pub dataset: String,
    /// Activities (= products).
    pub activities: usize,
    /// Seconds of one full `per_unit` solve (the best of three).
    pub full_seconds: f64,
    /// Seconds to build the consumer index that updates need (once per factorization).
    pub index_seconds: f64,
    /// Seconds of a full recomputation after a technosphere change: build, factorize and
    /// solve (the best of two).
    pub full_technosphere_seconds: f64,
    /// One row per changed activity.
    pub samples: Vec<IncrementalSample>,
}

/// One change measured by [`incremental`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncrementalSample {
    /// The activity whose direct emissions changed.
    pub activity: usize,
    /// Products whose scores were recomputed.
    pub recomputed: usize,
    /// Loops solved again.
    pub loops_solved: usize,
    /// Seconds the update took.
    pub seconds: f64,
    /// Whether the updated scores equal a full recomputation bit for bit.
    pub exact: bool,
    /// The same activity's technosphere inputs all scaled by 0.9 instead (none if it has no
    /// inputs): update of the factorization plus the scores downstream.
    pub technosphere: Option<IncrementalStep>,
}

/// One technosphere change measured by [`incremental`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncrementalStep {
    /// Products whose scores were recomputed.
    pub recomputed: usize,
    /// Loops solved again.
    pub loops_solved: usize,
    /// Seconds the update took (technosphere update and scores).
    pub seconds: f64,
    /// Whether the updated scores equal a new factorization of the changed data bit for bit.
    pub exact: bool,
}

/// Measures incremental recomputation on a dataset: for `samples` activities spread over the
/// ids, doubles the activity's characterized direct emissions (plus 1 kg), updates the scores
/// of everything downstream with [`Factorization::update_per_unit`], times it, and checks the
/// result against a full recomputation; then does the same for a change of all the
/// activity's technosphere inputs ([`Factorization::update_technosphere`]), checked against
/// a new factorization of the changed data.
///
/// [`Factorization::update_per_unit`]: crate::solver::Factorization::update_per_unit
/// [`Factorization::update_technosphere`]: crate::solver::Factorization::update_technosphere
pub fn incremental(dataset_dir: &Path, samples: usize) -> Result<IncrementalReport, crate::Error> {
    let mut seconds = Timings::default();
    let (data, mut fact, _) = load(dataset_dir, &mut seconds, true)?;
    let n = fact.len();
    let mut full_seconds = f64::INFINITY;
    let mut y = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        y = fact.per_unit(&data.direct, 1);
        full_seconds = full_seconds.min(t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    fact.update_per_unit(&data.direct, &mut y, &[]);
    let index_seconds = t.elapsed().as_secs_f64();
    // Full recomputation after a technosphere change: build, factorize, solve.
    let rebuild = |amount: &[f64]| -> Result<Vec<f64>, crate::Error> {
        let tech = Technosphere::from_inputs(data.production.clone(), amount.len(), || {
            data.consumer
                .iter()
                .zip(&data.supplier)
                .zip(amount)
                .map(|((&c, &s), &a)| (c as usize, s as usize, a))
        })?;
        Ok(tech.factorize()?.per_unit(&data.direct, 1))
    };
    let mut full_technosphere_seconds = f64::INFINITY;
    for _ in 0..2 {
        let t = Instant::now();
        rebuild(&data.amount)?;
        full_technosphere_seconds = full_technosphere_seconds.min(t.elapsed().as_secs_f64());
    }
    let mut rows = Vec::with_capacity(samples);
    let mut direct = data.direct.clone();
    let mut amount = data.amount.clone();
    for i in 0..samples.min(n) {
        let j = i * n / samples.min(n);
        direct[j] = 2.0 * direct[j] + 1.0;
        let mut updated = y.clone();
        let t = Instant::now();
        let stats = fact.update_per_unit(&direct, &mut updated, &[j]);
        let secs = t.elapsed().as_secs_f64();
        let full = fact.per_unit(&direct, 1);
        let exact = same_bits(&full, &updated);
        direct[j] = data.direct[j];

        // All inputs of j scaled by 0.9 (rows of j, summed per supplier).
        let rows_of_j: Vec<usize> =
            (0..data.consumer.len()).filter(|&e| data.consumer[e] as usize == j).collect();
        let mut changes: Vec<Change> = Vec::new();
        for &e in &rows_of_j {
            amount[e] = 0.9 * data.amount[e];
            let supplier = data.supplier[e] as usize;
            let total: f64 = rows_of_j
                .iter()
                .filter(|&&k| data.supplier[k] as usize == supplier)
                .map(|&k| amount[k])
                .sum();
            changes.push(Change::Input { consumer: j, supplier, amount: total });
        }
        let technosphere = if changes.is_empty() {
            None
        } else {
            let mut updated = y.clone();
            let t = Instant::now();
            let touched = fact.update_technosphere(&changes)?;
            let stats = fact.update_per_unit(&data.direct, &mut updated, &touched);
            let secs = t.elapsed().as_secs_f64();
            let exact = same_bits(&rebuild(&amount)?, &updated);
            // Back to the original data.
            let undo: Vec<Change> = rows_of_j
                .iter()
                .map(|&e| {
                    let supplier = data.supplier[e] as usize;
                    let total: f64 = rows_of_j
                        .iter()
                        .filter(|&&k| data.supplier[k] as usize == supplier)
                        .map(|&k| data.amount[k])
                        .sum();
                    Change::Input { consumer: j, supplier, amount: total }
                })
                .collect();
            fact.update_technosphere(&undo)?;
            for &e in &rows_of_j {
                amount[e] = data.amount[e];
            }
            Some(IncrementalStep {
                recomputed: stats.recomputed,
                loops_solved: stats.loops_solved,
                seconds: secs,
                exact,
            })
        };
        rows.push(IncrementalSample {
            activity: j,
            recomputed: stats.recomputed,
            loops_solved: stats.loops_solved,
            seconds: secs,
            exact,
            technosphere,
        });
    }
    Ok(IncrementalReport {
        dataset: dataset_dir.display().to_string(),
        activities: n,
        full_seconds,
        index_seconds,
        full_technosphere_seconds,
        samples: rows,
    })
}

impl fmt::Display for IncrementalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "dataset {} ({} activities)", self.dataset, self.activities)?;
        writeln!(f, "full recomputation, emissions changed      {:.6} s", self.full_seconds)?;
        writeln!(
            f,
            "full recomputation, technosphere changed   {:.6} s (build, factorize, solve)",
            self.full_technosphere_seconds
        )?;
        writeln!(
            f,
            "consumer index                             {:.6} s (once)",
            self.index_seconds
        )?;
        writeln!(
            f,
            "{:>9} | {:>10} {:>5} {:>10} {:>8} {:>5} | {:>10} {:>5} {:>10} {:>8} {:>5}",
            "activity",
            "emissions:",
            "loops",
            "seconds",
            "speedup",
            "exact",
            "inputs:",
            "loops",
            "seconds",
            "speedup",
            "exact"
        )?;
        for s in &self.samples {
            write!(
                f,
                "{:>9} | {:>10} {:>5} {:>10.6} {:>7.0}x {:>5} |",
                s.activity,
                s.recomputed,
                s.loops_solved,
                s.seconds,
                self.full_seconds / s.seconds.max(1e-9),
                s.exact
            )?;
            match &s.technosphere {
                Some(t) => writeln!(
                    f,
                    " {:>10} {:>5} {:>10.6} {:>7.0}x {:>5}",
                    t.recomputed,
                    t.loops_solved,
                    t.seconds,
                    self.full_technosphere_seconds / t.seconds.max(1e-9),
                    t.exact
                )?,
                None => writeln!(f, " (no inputs)")?,
            }
        }
        Ok(())
    }
}

/// Whether two vectors are equal bit for bit.
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}
