//! `pcf lci`: reads a pcfbench-csv v1 dataset (a whole process database: activities,
//! technosphere, biosphere, flows, one characterization method, demands), computes the
//! cradle-to-gate score of every product and of every demand with [`crate::solver`], and
//! writes `product_scores.csv` and `demand_scores.csv`.
//!
//! The calculation is Brightway's (see `shared/bench/README.md`):
//!
//! ```text
//! A[j, j] = production_amount[j],  A[supplier, consumer] -= amount   (technosphere.csv)
//! b = B^T c                        b[activity] += amount * factor[flow]  (biosphere.csv)
//! y = A^-T b                       per-unit score of every product
//! score(f) = f . y                 for every demand f (demands.csv)
//! ```
//!
//! The CSV files are read by a small byte parser: one header line, comma separated, double
//! quotes around fields that contain commas (only `name` columns do), `\n` or `\r\n` line ends,
//! blank lines skipped. Every number goes through Rust's correctly rounding `str::parse::<f64>`,
//! so the inputs are bit-identical to what numpy reads. Every error names the file and the line.
//!
//! Scores are written with Rust's shortest round-trip formatting of `f64` (`{:?}`: `0.1`,
//! `1e-5`, `12345.678`), which Python's `float()` and numpy parse back to the same double.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::solver::{Change, Factorization, Technosphere};
use pcf_base::atomic::{self, Mode};

/// The dataset format `run` reads.
pub const FORMAT_NAME: &str = "pcfbench-csv";
/// The version of [`FORMAT_NAME`] `run` reads.
pub const FORMAT_VERSION: u64 = 1;

/// What [`run`] did: sizes, timings per phase, accuracy and memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LciSummary {
    /// The dataset directory.
    pub dataset: String,
    /// Activities (= products).
    pub activities: usize,
    /// Rows of `technosphere.csv`.
    pub technosphere_exchanges: usize,
    /// Distinct inputs between different products (self-consumption excluded).
    pub technosphere_inputs: usize,
    /// Rows of `biosphere.csv`.
    pub biosphere_exchanges: usize,
    /// Elementary flows.
    pub flows: usize,
    /// The characterization method.
    pub method: String,
    /// Demands (functional units).
    pub demands: usize,
    /// Loops (strongly connected components with more than one product).
    pub loops: usize,
    /// Products in the largest loop.
    pub largest_loop: usize,
    /// Largest relative residual `|A^T y - b| / (|A^T| |y| + |b|)` of the product scores.
    pub residual: f64,
    /// Wall-clock seconds per phase.
    pub seconds: Timings,
    /// Peak resident memory of the process (`VmHWM`), in MiB, where the OS tells it.
    pub peak_memory_mib: Option<f64>,
}

/// Wall-clock seconds of each phase of [`run`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Timings {
    /// Reading and validating the CSV files.
    pub load: f64,
    /// Building the technosphere (CSR by consumer, duplicates summed).
    pub build: f64,
    /// Condensing loops, sparse LU of every loop, M-matrix checks.
    pub factorize: f64,
    /// Per-unit scores of all products (`y = A^-T B^T c`) and their residual.
    pub product_scores: f64,
    /// Scores of all demands (`f . y`).
    pub demand_scores: f64,
    /// Writing the two output files.
    pub write: f64,
    /// Everything above.
    pub total: f64,
}

/// Why a dataset could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LciError {
    /// A file of the dataset does not exist.
    #[error(
        "{path}: no such file (a pcfbench-csv v1 dataset has meta.json, activities.csv, \
         technosphere.csv, biosphere.csv, flows.csv, characterization.csv and demands.csv)"
    )]
    Missing {
        /// The file.
        path: String,
    },
    /// A file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// What the operating system said.
        message: String,
    },
    /// `meta.json` does not describe a pcfbench-csv v1 dataset.
    #[error("{path}: not a pcfbench-csv v1 dataset ({found})")]
    Format {
        /// The file.
        path: String,
        /// What was found instead.
        found: String,
    },
    /// The header line is not the one the format prescribes.
    #[error("{path}:1: header is `{found}`, expected `{expected}`")]
    BadHeader {
        /// The file.
        path: String,
        /// The header the format prescribes.
        expected: String,
        /// The header found.
        found: String,
    },
    /// A line has the wrong number of fields or an unterminated quote.
    #[error("{path}:{line}: {problem}")]
    BadLine {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// A field that must be a number or an id is not one.
    #[error("{path}:{line}: {column} `{value}` is not {expected}")]
    Malformed {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The column.
        column: String,
        /// The text found.
        value: String,
        /// What it should be.
        expected: String,
    },
    /// A number is NaN or infinite.
    #[error("{path}:{line}: {column} {value} is not finite")]
    NonFinite {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The column.
        column: String,
        /// The value found.
        value: f64,
    },
    /// An amount that must be positive is zero or negative.
    #[error("{path}:{line}: {column} {value} is not positive")]
    NotPositive {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The column.
        column: String,
        /// The value found.
        value: f64,
    },
    /// An id refers to no activity or flow of the dataset.
    #[error("{path}:{line}: {column} {id} is not {known}")]
    UnknownId {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The column.
        column: String,
        /// The id found.
        id: u64,
        /// What the known ids are.
        known: String,
    },
    /// An id is defined twice, or activity ids are not 0, 1, 2, ... in order.
    #[error("{path}:{line}: {column} {id} {problem}")]
    BadId {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The column.
        column: String,
        /// The id found.
        id: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// `characterization.csv` holds more than one method.
    #[error("{path}:{line}: second method `{found}`, expected only `{first}`")]
    SeveralMethods {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The method of the first row.
        first: String,
        /// The other method found.
        found: String,
    },
}

/// The data files of a pcfbench-csv v1 dataset, besides `meta.json`.
pub const DATA_FILES: [&str; 6] = [
    "activities.csv",
    "technosphere.csv",
    "biosphere.csv",
    "flows.csv",
    "characterization.csv",
    "demands.csv",
];

/// Reads the dataset in `dataset_dir`, computes the score of every product and every demand,
/// and writes `product_scores.csv` (`activity,score`) and `demand_scores.csv`
/// (`demand_id,score`, demands sorted by id) into `out_dir` (created if missing), each
/// atomically.
pub fn run(dataset_dir: &Path, out_dir: &Path) -> Result<LciSummary, crate::Error> {
    let t_start = Instant::now();
    let mut seconds = Timings::default();
    let (data, fact, counts) = load(dataset_dir, &mut seconds, false)?;

    let t = Instant::now();
    let y = fact.per_unit(&data.direct, 1);
    let residual = fact.residual_per_unit(&data.direct, &y, 1);
    seconds.product_scores = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let demand_scores: Vec<(&str, f64)> = data
        .demands
        .iter()
        .map(|(id, items)| (id.as_str(), items.iter().map(|&(j, a)| a * y[j as usize]).sum()))
        .collect();
    seconds.demand_scores = t.elapsed().as_secs_f64();

    let t = Instant::now();
    fs::create_dir_all(out_dir).map_err(|e| crate::Error::io(out_dir, &e))?;
    let mut text = String::with_capacity(16 + 28 * y.len());
    text.push_str("activity,score\n");
    for (j, v) in y.iter().enumerate() {
        push_row(&mut text, &j.to_string(), *v);
    }
    let path = out_dir.join("product_scores.csv");
    atomic::write_replace(&path, text.as_bytes(), Mode::Public)
        .map_err(|e| crate::Error::io(&path, &e))?;
    text.clear();
    text.push_str("demand_id,score\n");
    for (id, v) in &demand_scores {
        push_row(&mut text, id, *v);
    }
    let path = out_dir.join("demand_scores.csv");
    atomic::write_replace(&path, text.as_bytes(), Mode::Public)
        .map_err(|e| crate::Error::io(&path, &e))?;
    seconds.write = t.elapsed().as_secs_f64();
    seconds.total = t_start.elapsed().as_secs_f64();

    Ok(LciSummary {
        dataset: dataset_dir.display().to_string(),
        activities: fact.len(),
        technosphere_exchanges: counts.0,
        technosphere_inputs: counts.1,
        biosphere_exchanges: data.biosphere_rows,
        flows: data.flows,
        method: data.method,
        demands: demand_scores.len(),
        loops: fact.cyclic_components().len(),
        largest_loop: fact.cyclic_components().iter().map(Vec::len).max().unwrap_or(0),
        residual,
        seconds,
        peak_memory_mib: peak_memory_mib(),
    })
}

/// Reads the dataset and factorizes its technosphere, timing the `load`, `build` and
/// `factorize` phases into `seconds`. Also returns the technosphere row and input counts.
fn load(
    dir: &Path,
    seconds: &mut Timings,
    keep_inputs: bool,
) -> Result<(Dataset, Factorization, (usize, usize)), crate::Error> {
    let t = Instant::now();
    let mut data = Dataset::read(dir)?;
    seconds.load = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let production =
        if keep_inputs { data.production.clone() } else { std::mem::take(&mut data.production) };
    let (consumer, supplier, amount) = (
        std::mem::take(&mut data.consumer),
        std::mem::take(&mut data.supplier),
        std::mem::take(&mut data.amount),
    );
    let tech = Technosphere::from_inputs(production, consumer.len(), || {
        consumer
            .iter()
            .zip(&supplier)
            .zip(&amount)
            .map(|((&c, &s), &a)| (c as usize, s as usize, a))
    })?;
    let counts = (consumer.len(), tech.inputs());
    if keep_inputs {
        (data.consumer, data.supplier, data.amount) = (consumer, supplier, amount);
    } else {
        drop((consumer, supplier, amount));
    }
    seconds.build = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let fact = tech.factorize()?;
    seconds.factorize = t.elapsed().as_secs_f64();
    Ok((data, fact, counts))
}

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

impl fmt::Display for LciSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "dataset      {}", self.dataset)?;
        writeln!(
            f,
            "activities   {}   technosphere exchanges {} ({} inputs)   biosphere exchanges {}",
            self.activities,
            self.technosphere_exchanges,
            self.technosphere_inputs,
            self.biosphere_exchanges
        )?;
        writeln!(
            f,
            "loops        {} (largest {} products)   demands {}   method {}",
            self.loops, self.largest_loop, self.demands, self.method
        )?;
        writeln!(f, "residual     {:.1e}", self.residual)?;
        match self.peak_memory_mib {
            Some(m) => writeln!(f, "peak memory  {m:.1} MiB")?,
            None => writeln!(f, "peak memory  unknown")?,
        }
        writeln!(f)?;
        writeln!(f, "{:<20} {:>10}", "phase", "seconds")?;
        let s = &self.seconds;
        let rows = [
            ("load", s.load),
            ("build", s.build),
            ("factorize", s.factorize),
            ("all-product scores", s.product_scores),
            ("demand scores", s.demand_scores),
            ("write", s.write),
            ("total", s.total),
        ];
        for (phase, secs) in rows {
            writeln!(f, "{phase:<20} {secs:>10.4}")?;
        }
        Ok(())
    }
}

/// Whether two vectors are equal bit for bit.
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Peak resident memory of this process in MiB (`VmHWM` in `/proc/self/status`).
pub fn peak_memory_mib() -> Option<f64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 =
        line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

/// The dataset as the calculation needs it.
struct Dataset {
    production: Vec<f64>,
    consumer: Vec<u32>,
    supplier: Vec<u32>,
    amount: Vec<f64>,
    /// `B^T c`: characterized direct emissions per run of every activity.
    direct: Vec<f64>,
    biosphere_rows: usize,
    flows: usize,
    method: String,
    /// Demand id -> (activity, amount), sorted by id.
    demands: BTreeMap<String, Vec<(u32, f64)>>,
}

impl Dataset {
    fn read(dir: &Path) -> Result<Self, LciError> {
        check_meta(&dir.join("meta.json"))?;

        let mut production = Vec::new();
        let file = CsvFile::new(dir, "activities.csv", "id,name,unit,production_amount,segment");
        file.for_each_row::<5>(|line, f| {
            let id = file.id(line, "id", f[0])?;
            if id != production.len() as u64 {
                let problem = format!("is out of order, expected {}", production.len());
                return Err(file.bad_id(line, "id", id, problem));
            }
            production.push(file.positive(line, "production_amount", f[3])?);
            Ok(())
        })?;
        let n = production.len();
        if n >= u32::MAX as usize {
            return Err(file.bad_id(n + 1, "id", n as u64, "is too large".into()));
        }
        let activities = format!("an activity id (there are {n}, 0..{})", n.saturating_sub(1));
        let activity = |file: &CsvFile, line, column: &str, text: &[u8]| -> Result<u32, LciError> {
            let id = file.id(line, column, text)?;
            if id >= n as u64 {
                return Err(file.unknown(line, column, id, &activities));
            }
            // id < n < u32::MAX (checked above).
            Ok(id as u32)
        };

        let (mut consumer, mut supplier, mut amount) = (Vec::new(), Vec::new(), Vec::new());
        let file = CsvFile::new(dir, "technosphere.csv", "consumer,supplier,amount");
        file.for_each_row::<3>(|line, f| {
            consumer.push(activity(&file, line, "consumer", f[0])?);
            supplier.push(activity(&file, line, "supplier", f[1])?);
            amount.push(file.positive(line, "amount", f[2])?);
            Ok(())
        })?;

        // Flow ids -> dense index.
        let mut flow_index: BTreeMap<u64, usize> = BTreeMap::new();
        let file = CsvFile::new(dir, "flows.csv", "id,name,compartment,unit");
        file.for_each_row::<4>(|line, f| {
            let id = file.id(line, "id", f[0])?;
            let next = flow_index.len();
            if flow_index.insert(id, next).is_some() {
                return Err(file.bad_id(line, "id", id, "is defined twice".into()));
            }
            Ok(())
        })?;
        let flows = flow_index.len();
        let flow = |file: &CsvFile, line, column: &str, text: &[u8]| -> Result<usize, LciError> {
            let id = file.id(line, column, text)?;
            flow_index
                .get(&id)
                .copied()
                .ok_or_else(|| file.unknown(line, column, id, "a flow of flows.csv"))
        };

        let mut factor = vec![0.0; flows];
        let mut method: Option<String> = None;
        let file = CsvFile::new(dir, "characterization.csv", "method,flow,factor");
        file.for_each_row::<3>(|line, f| {
            let name = unquote(f[0]);
            match &method {
                None => method = Some(name),
                Some(first) if *first == name => {}
                Some(first) => {
                    return Err(LciError::SeveralMethods {
                        path: file.path(),
                        line,
                        first: first.clone(),
                        found: name,
                    });
                }
            }
            let k = flow(&file, line, "flow", f[1])?;
            factor[k] += file.finite(line, "factor", f[2])?;
            Ok(())
        })?;

        let mut direct = vec![0.0; n];
        let mut biosphere_rows = 0;
        let file = CsvFile::new(dir, "biosphere.csv", "activity,flow,amount");
        file.for_each_row::<3>(|line, f| {
            let j = activity(&file, line, "activity", f[0])?;
            let k = flow(&file, line, "flow", f[1])?;
            direct[j as usize] += file.finite(line, "amount", f[2])? * factor[k];
            biosphere_rows += 1;
            Ok(())
        })?;

        let mut demands: BTreeMap<String, Vec<(u32, f64)>> = BTreeMap::new();
        let file = CsvFile::new(dir, "demands.csv", "demand_id,activity,amount");
        file.for_each_row::<3>(|line, f| {
            let j = activity(&file, line, "activity", f[1])?;
            let a = file.finite(line, "amount", f[2])?;
            demands.entry(unquote(f[0])).or_default().push((j, a));
            Ok(())
        })?;

        Ok(Dataset {
            production,
            consumer,
            supplier,
            amount,
            direct,
            biosphere_rows,
            flows,
            method: method.unwrap_or_default(),
            demands,
        })
    }
}

/// Checks that `meta.json` names the format and version this module reads.
fn check_meta(path: &Path) -> Result<(), LciError> {
    let text = fs::read(path).map_err(|e| read_error(path, &e))?;
    let format = |found: String| LciError::Format { path: path.display().to_string(), found };
    let meta: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format(format!("invalid json: {e}")))?;
    let name = meta.get("format").and_then(|v| v.as_str());
    let version = meta.get("format_version").and_then(|v| v.as_u64());
    if name != Some(FORMAT_NAME) || version != Some(FORMAT_VERSION) {
        return Err(format(format!(
            "format {}, version {}",
            meta.get("format").map_or("missing".into(), |v| v.to_string()),
            meta.get("format_version").map_or("missing".into(), |v| v.to_string())
        )));
    }
    Ok(())
}

fn read_error(path: &Path, e: &io::Error) -> LciError {
    let path = path.display().to_string();
    if e.kind() == io::ErrorKind::NotFound {
        LciError::Missing { path }
    } else {
        LciError::Read { path, message: e.to_string() }
    }
}

/// One CSV file of the dataset: its path and the header it must have.
struct CsvFile {
    path: PathBuf,
    header: &'static str,
}

impl CsvFile {
    fn new(dir: &Path, name: &str, header: &'static str) -> Self {
        CsvFile { path: dir.join(name), header }
    }

    fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// Checks the header, then calls `row(line number, fields)` for every non-blank line.
    /// The file is read in chunks, so memory stays small whatever its size.
    fn for_each_row<const N: usize>(
        &self,
        mut row: impl FnMut(usize, [&[u8]; N]) -> Result<(), LciError>,
    ) -> Result<(), LciError> {
        let mut file = fs::File::open(&self.path).map_err(|e| read_error(&self.path, &e))?;
        let mut buf: Vec<u8> = vec![0; CHUNK];
        let mut filled = 0;
        let mut line = 0usize;
        let mut eof = false;
        while !eof {
            if filled == buf.len() {
                // A line longer than the buffer: grow it.
                buf.resize(buf.len() * 2, 0);
            }
            let got = file.read(&mut buf[filled..]).map_err(|e| read_error(&self.path, &e))?;
            eof = got == 0;
            filled += got;
            // Whole lines only, but the last line of the file needs no '\n'.
            let end = if eof {
                filled
            } else {
                match buf[..filled].iter().rposition(|&b| b == b'\n') {
                    Some(i) => i + 1,
                    None => continue,
                }
            };
            if end > 0 {
                let chunk = &buf[..end];
                for text in chunk.strip_suffix(b"\n").unwrap_or(chunk).split(|&b| b == b'\n') {
                    line += 1;
                    self.line(line, text, &mut row)?;
                }
            }
            buf.copy_within(end..filled, 0);
            filled -= end;
        }
        if line == 0 {
            return Err(self.bad_header(b""));
        }
        Ok(())
    }

    fn line<const N: usize>(
        &self,
        line: usize,
        text: &[u8],
        row: &mut impl FnMut(usize, [&[u8]; N]) -> Result<(), LciError>,
    ) -> Result<(), LciError> {
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if line == 1 {
            return if text == self.header.as_bytes() {
                Ok(())
            } else {
                Err(self.bad_header(text))
            };
        }
        if text.is_empty() {
            return Ok(());
        }
        let fields = split_fields::<N>(text).map_err(|problem| LciError::BadLine {
            path: self.path(),
            line,
            problem,
        })?;
        row(line, fields)
    }

    fn bad_header(&self, found: &[u8]) -> LciError {
        LciError::BadHeader {
            path: self.path(),
            expected: self.header.to_string(),
            found: String::from_utf8_lossy(found).into_owned(),
        }
    }

    fn malformed(&self, line: usize, column: &str, text: &[u8], expected: &str) -> LciError {
        LciError::Malformed {
            path: self.path(),
            line,
            column: column.to_string(),
            value: String::from_utf8_lossy(text).into_owned(),
            expected: expected.to_string(),
        }
    }

    fn unknown(&self, line: usize, column: &str, id: u64, known: &str) -> LciError {
        LciError::UnknownId {
            path: self.path(),
            line,
            column: column.to_string(),
            id,
            known: known.to_string(),
        }
    }

    fn bad_id(&self, line: usize, column: &str, id: u64, problem: String) -> LciError {
        LciError::BadId { path: self.path(), line, column: column.to_string(), id, problem }
    }

    /// A non-negative decimal integer.
    fn id(&self, line: usize, column: &str, text: &[u8]) -> Result<u64, LciError> {
        let bad = || self.malformed(line, column, text, "an id (a non-negative integer)");
        if text.is_empty() || text.len() > 19 {
            return Err(bad());
        }
        let mut v = 0u64;
        for &b in text {
            if !b.is_ascii_digit() {
                return Err(bad());
            }
            // At most 19 digits: fits in u64.
            v = v * 10 + u64::from(b - b'0');
        }
        Ok(v)
    }

    /// A finite number.
    fn finite(&self, line: usize, column: &str, text: &[u8]) -> Result<f64, LciError> {
        let v: f64 = std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.malformed(line, column, text, "a number"))?;
        if !v.is_finite() {
            return Err(LciError::NonFinite {
                path: self.path(),
                line,
                column: column.to_string(),
                value: v,
            });
        }
        Ok(v)
    }

    /// A finite number above zero.
    fn positive(&self, line: usize, column: &str, text: &[u8]) -> Result<f64, LciError> {
        let v = self.finite(line, column, text)?;
        if v <= 0.0 {
            return Err(LciError::NotPositive {
                path: self.path(),
                line,
                column: column.to_string(),
                value: v,
            });
        }
        Ok(v)
    }
}

/// Bytes read from a file at a time.
const CHUNK: usize = 1 << 22;

/// Splits a line into exactly `N` comma-separated fields; a field may be double-quoted (with
/// `""` for a quote inside), in which case it is returned with its quotes.
fn split_fields<const N: usize>(text: &[u8]) -> Result<[&[u8]; N], String> {
    let mut out: [&[u8]; N] = [&[]; N];
    let mut count = 0;
    let mut start = 0;
    let mut i = 0;
    let mut quoted = false;
    while i <= text.len() {
        let b = text.get(i).copied();
        if quoted {
            match b {
                Some(b'"') if text.get(i + 1) == Some(&b'"') => i += 1,
                Some(b'"') => quoted = false,
                None => return Err("unterminated quote".to_string()),
                _ => {}
            }
        } else {
            match b {
                Some(b'"') if i == start => quoted = true,
                Some(b',') | None => {
                    if count < N {
                        out[count] = &text[start..i];
                    }
                    count += 1;
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if count != N {
        return Err(format!("{count} fields, expected {N}"));
    }
    Ok(out)
}

/// The text of a field, without its quotes if it has them.
fn unquote(field: &[u8]) -> String {
    let text = String::from_utf8_lossy(field);
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => text.into_owned(),
    }
}

/// Appends `key,value\n` with the shortest decimal that round-trips to `value`.
fn push_row(out: &mut String, key: &str, value: f64) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{key},{value:?}");
}
