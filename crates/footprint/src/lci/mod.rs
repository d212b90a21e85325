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

mod incremental;
mod read;

use std::fmt;
use std::fs;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::solver::{Factorization, Technosphere};
use pcf_base::atomic::{self, Mode};
use read::Dataset;

pub use incremental::{IncrementalReport, IncrementalSample, IncrementalStep, incremental};
pub use read::LciError;

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
        let mut t = crate::report::Table::new(&["phase", "seconds"]);
        for (phase, secs) in rows {
            t.row([phase.into(), crate::report::Cell::Figure(crate::report::fixed(secs, 4))]);
        }
        write!(f, "{}", t.render(0))
    }
}

/// Peak resident memory of this process in MiB (`VmHWM` in `/proc/self/status`).
pub fn peak_memory_mib() -> Option<f64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 =
        line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

/// Appends `key,value\n` with the shortest decimal that round-trips to `value`.
fn push_row(out: &mut String, key: &str, value: f64) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{key},{value:?}");
}
