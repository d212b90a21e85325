//! Tests: `pcf::lci` on a checked-in 300-activity pcfbench-csv dataset against scipy's
//! reference scores, and on hand-made broken datasets against exact error messages.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use pcf::lci::{self, LciError};
use pcf::solver::SolveError;

use crate::util;

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"))
}

fn small() -> PathBuf {
    util::root().join("tests/data/lci-small")
}

/// `key -> value` of a two-column CSV with a header.
fn read_scores(path: &Path) -> BTreeMap<String, f64> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|l| {
            let (k, v) = l.split_once(',').unwrap_or_else(|| panic!("no comma in {l}"));
            (k.to_string(), v.parse::<f64>().unwrap_or_else(|e| panic!("{v}: {e}")))
        })
        .collect()
}

/// Equal within 1e-9 relative, with an absolute floor of 1e-12 times the largest reference
/// score (products without upstream emissions have round-off scores of ~1e-14).
fn assert_scores_match(got: &BTreeMap<String, f64>, want: &BTreeMap<String, f64>) {
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    let floor = 1e-12 * want.values().fold(0.0f64, |m, v| m.max(v.abs()));
    for (k, &w) in want {
        let g = got[k];
        assert!((g - w).abs() <= 1e-9 * g.abs().max(w.abs()) + floor, "{k}: got {g:?}, want {w:?}");
    }
}

#[test]
fn small_dataset_matches_scipy() {
    let out = tempfile::tempdir().unwrap();
    let summary = lci::run(&small(), out.path()).unwrap();
    assert_eq!(summary.activities, 300);
    assert_eq!(summary.technosphere_exchanges, 2399);
    assert_eq!(summary.technosphere_inputs, 2395);
    assert_eq!(summary.biosphere_exchanges, 327);
    assert_eq!(summary.flows, 7);
    assert_eq!(summary.demands, 100);
    assert_eq!(summary.loops, 2);
    assert_eq!(summary.largest_loop, 120);
    assert_eq!(summary.method, "IPCC AR6 GWP100 (synthetic subset)");
    assert!(summary.residual < 1e-14, "residual {}", summary.residual);

    let products = read_scores(&out.path().join("product_scores.csv"));
    let want = read_scores(&small().join("reference/product_scores.csv"));
    assert_eq!(products.len(), 300);
    assert_scores_match(&products, &want);
    let demands = read_scores(&out.path().join("demand_scores.csv"));
    let want = read_scores(&small().join("reference/demand_scores.csv"));
    assert_eq!(demands.len(), 100);
    assert_scores_match(&demands, &want);

    // Output files are exactly what the summary says, in order, and nothing else is left.
    let text = fs::read_to_string(out.path().join("demand_scores.csv")).unwrap();
    assert!(text.starts_with("demand_id,score\nd000,"));
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 2);
}

#[test]
fn summary_renders_as_table_and_json() {
    let out = tempfile::tempdir().unwrap();
    let summary = lci::run(&small(), &out.path().join("new/dir")).unwrap();
    let table = summary.to_string();
    for phase in ["load", "build", "factorize", "all-product scores", "demand scores", "total"] {
        assert!(table.lines().any(|l| l.starts_with(phase)), "no {phase} row in\n{table}");
    }
    assert!(table.contains("activities   300 "));
    let json = serde_json::to_value(&summary).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "dataset",
            "activities",
            "technosphere_exchanges",
            "technosphere_inputs",
            "biosphere_exchanges",
            "flows",
            "method",
            "demands",
            "loops",
            "largest_loop",
            "residual",
            "seconds",
            "peak_memory_mib"
        ]
    );
    assert!(json["seconds"]["total"].as_f64().unwrap() >= 0.0);
}

/// A 3-activity dataset: 0 -> 1 -> 2 and 2 consumes some of 1's product; files may be
/// replaced by `overrides`.
fn tiny(overrides: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = temp_dir();
    let mut files: BTreeMap<&str, &str> = BTreeMap::from([
        ("meta.json", r#"{"format": "pcfbench-csv", "format_version": 1}"#),
        (
            "activities.csv",
            "id,name,unit,production_amount,segment\n\
             0,\"steel, hot rolled\",kg,1.0,background\n\
             1,\"grid, \"\"low\"\" voltage\",kWh,2.0,background\n\
             2,bolt,unit,1.0,foreground\n",
        ),
        ("technosphere.csv", "consumer,supplier,amount\n1,0,0.5\n1,1,0.4\n2,1,4.0\n"),
        ("biosphere.csv", "activity,flow,amount\n0,0,2.0\n1,1,0.01\n2,0,1.0\n"),
        (
            "flows.csv",
            "id,name,compartment,unit\n0,\"Carbon dioxide, fossil\",air,kg\n1,Methane,air,kg\n",
        ),
        ("characterization.csv", "method,flow,factor\nGWP100,0,1.0\nGWP100,1,30.0\n"),
        ("demands.csv", "demand_id,activity,amount\nd1,2,1.0\nd0,0,1.0\nd0,2,2.0\n"),
    ]);
    for &(name, text) in overrides {
        files.insert(name, text);
    }
    for (name, text) in files {
        if !text.is_empty() || name == "meta.json" {
            let path = dir.path().join(name);
            fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    dir
}

#[test]
fn tiny_dataset_by_hand() {
    let dir = tiny(&[]);
    let out = tempfile::tempdir().unwrap();
    lci::run(dir.path(), out.path()).unwrap();
    // y0 = 2; net output of 1 is 2 - 0.4 = 1.6: y1 = (0.3 + 0.5 * 2) / 1.6 = 0.8125;
    // y2 = 1 + 4 * 0.8125 = 4.25. d0 = y0 + 2 y2 = 10.5, d1 = y2.
    let products = read_scores(&out.path().join("product_scores.csv"));
    assert_eq!(products.values().copied().collect::<Vec<_>>(), [2.0, 0.8125, 4.25]);
    assert_eq!(
        fs::read_to_string(out.path().join("demand_scores.csv")).unwrap(),
        "demand_id,score\nd0,10.5\nd1,4.25\n"
    );
}

#[test]
fn tiny_numbers_are_written_so_python_parses_them() {
    let dir = tiny(&[(
        "biosphere.csv",
        "activity,flow,amount\n0,0,1e-300\n2,0,12345678901234567890.0\n",
    )]);
    let out = tempfile::tempdir().unwrap();
    lci::run(dir.path(), out.path()).unwrap();
    let text = fs::read_to_string(out.path().join("product_scores.csv")).unwrap();
    assert_eq!(text, "activity,score\n0,1e-300\n1,3.125e-301\n2,1.2345678901234567e19\n");
}

/// The error of running on `tiny(overrides)`, and the dataset path prefix for messages.
fn error_of(overrides: &[(&str, &str)]) -> (pcf::Error, String) {
    let dir = tiny(overrides);
    let out = temp_dir();
    let Err(err) = lci::run(dir.path(), out.path()) else { panic!("no error for {overrides:?}") };
    let left = fs::read_dir(out.path()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "no output on error");
    (pcf::Error::from(err), dir.path().display().to_string())
}

#[test]
fn missing_file_is_named() {
    let (err, d) = error_of(&[("biosphere.csv", "")]);
    assert_eq!(err, pcf::Error::Lci(LciError::Missing { path: format!("{d}/biosphere.csv") }));
    assert_eq!(
        err.to_string(),
        format!(
            "{d}/biosphere.csv: no such file (a pcfbench-csv v1 dataset has meta.json, \
             activities.csv, technosphere.csv, biosphere.csv, flows.csv, characterization.csv \
             and demands.csv)"
        )
    );
}

#[test]
fn wrong_format_is_named() {
    let (err, d) = error_of(&[("meta.json", r#"{"format": "csv", "format_version": 2}"#)]);
    assert_eq!(
        err.to_string(),
        format!("{d}/meta.json: not a pcfbench-csv v1 dataset (format \"csv\", version 2)")
    );
}

#[test]
fn bad_header_is_named() {
    let (err, d) = error_of(&[("technosphere.csv", "consumer;supplier;amount\n1,0,0.5\n")]);
    assert_eq!(
        err.to_string(),
        format!(
            "{d}/technosphere.csv:1: header is `consumer;supplier;amount`, expected \
             `consumer,supplier,amount`"
        )
    );
    let (err, d) = error_of(&[("demands.csv", "\n")]);
    assert_eq!(
        err.to_string(),
        format!("{d}/demands.csv:1: header is ``, expected `demand_id,activity,amount`")
    );
}

#[test]
fn unknown_ids_are_named() {
    let (err, d) =
        error_of(&[("technosphere.csv", "consumer,supplier,amount\n1,0,0.5\n\n2,3,1.0\n")]);
    assert_eq!(
        err,
        pcf::Error::Lci(LciError::UnknownId {
            path: format!("{d}/technosphere.csv"),
            line: 4,
            column: "supplier".into(),
            id: 3,
            known: "an activity id (there are 3, 0..2)".into(),
        })
    );
    assert_eq!(
        err.to_string(),
        format!("{d}/technosphere.csv:4: supplier 3 is not an activity id (there are 3, 0..2)")
    );
    let (err, d) =
        error_of(&[("biosphere.csv", "activity,flow,amount\r\n0,0,2.0\r\n1,7,0.01\r\n")]);
    assert_eq!(err.to_string(), format!("{d}/biosphere.csv:3: flow 7 is not a flow of flows.csv"));
}

#[test]
fn non_finite_and_malformed_numbers_are_named() {
    let (err, d) = error_of(&[("technosphere.csv", "consumer,supplier,amount\n1,0,inf\n")]);
    assert_eq!(
        err,
        pcf::Error::Lci(LciError::NonFinite {
            path: format!("{d}/technosphere.csv"),
            line: 2,
            column: "amount".into(),
            value: f64::INFINITY,
        })
    );
    assert_eq!(err.to_string(), format!("{d}/technosphere.csv:2: amount inf is not finite"));
    let (err, d) = error_of(&[("biosphere.csv", "activity,flow,amount\n0,0,NaN")]);
    assert_eq!(err.to_string(), format!("{d}/biosphere.csv:2: amount NaN is not finite"));
    let (err, d) = error_of(&[("demands.csv", "demand_id,activity,amount\nd0,1,1.2.3\n")]);
    assert_eq!(err.to_string(), format!("{d}/demands.csv:2: amount `1.2.3` is not a number"));
    let (err, d) = error_of(&[("technosphere.csv", "consumer,supplier,amount\n-1,0,0.5\n")]);
    assert_eq!(
        err.to_string(),
        format!("{d}/technosphere.csv:2: consumer `-1` is not an id (a non-negative integer)")
    );
    let (err, d) = error_of(&[("technosphere.csv", "consumer,supplier,amount\n1,0,0\n")]);
    assert_eq!(err.to_string(), format!("{d}/technosphere.csv:2: amount 0 is not positive"));
    let (err, d) = error_of(&[(
        "activities.csv",
        "id,name,unit,production_amount,segment\n0,a,kg,1,x\n1,b,kg,-2,x\n2,c,kg,1,x\n",
    )]);
    assert_eq!(
        err.to_string(),
        format!("{d}/activities.csv:3: production_amount -2 is not positive")
    );
}

#[test]
fn bad_lines_and_ids_are_named() {
    let (err, d) = error_of(&[("technosphere.csv", "consumer,supplier,amount\n1,0\n")]);
    assert_eq!(err.to_string(), format!("{d}/technosphere.csv:2: 2 fields, expected 3"));
    let (err, d) = error_of(&[(
        "activities.csv",
        "id,name,unit,production_amount,segment\n0,\"a, b,kg,1,x\n",
    )]);
    assert_eq!(err.to_string(), format!("{d}/activities.csv:2: unterminated quote"));
    let (err, d) = error_of(&[(
        "activities.csv",
        "id,name,unit,production_amount,segment\n0,a,kg,1,x\n2,b,kg,1,x\n",
    )]);
    assert_eq!(err.to_string(), format!("{d}/activities.csv:3: id 2 is out of order, expected 1"));
    let (err, d) = error_of(&[("flows.csv", "id,name,compartment,unit\n0,a,air,kg\n0,b,air,kg\n")]);
    assert_eq!(err.to_string(), format!("{d}/flows.csv:3: id 0 is defined twice"));
    let (err, d) =
        error_of(&[("characterization.csv", "method,flow,factor\nGWP100,0,1.0\nGWP20,1,80.0\n")]);
    assert_eq!(
        err.to_string(),
        format!("{d}/characterization.csv:3: second method `GWP20`, expected only `GWP100`")
    );
}

#[test]
fn over_consuming_loop_is_named() {
    // 0 and 1 each need 3 units of the other per unit made.
    let (err, _) =
        error_of(&[("technosphere.csv", "consumer,supplier,amount\n0,1,3.0\n1,0,6.0\n")]);
    assert_eq!(err, pcf::Error::Solve(SolveError::Singular { component: vec![0, 1] }));
    assert_eq!(
        err.to_string(),
        "the loop of 2 products [0, 1] consumes at least as much as it makes, so it has no \
         physical solution"
    );
}

#[test]
fn incremental_updates_equal_full_recomputation() {
    let report = lci::incremental(&small(), 30).unwrap();
    assert_eq!(report.activities, 300);
    assert_eq!(report.samples.len(), 30);
    assert!(report.samples.iter().all(|s| s.exact), "{report}");
    let steps: Vec<_> = report.samples.iter().filter_map(|s| s.technosphere.as_ref()).collect();
    assert!(steps.len() > 20, "{report}");
    assert!(steps.iter().all(|t| t.exact), "{report}");
    assert!(steps.iter().any(|t| t.loops_solved > 0), "{report}");
    assert!(report.samples.iter().all(|s| s.recomputed <= 300));
    // Some change touches only a few products (foreground), some a whole loop.
    assert!(report.samples.iter().any(|s| s.recomputed < 10), "{report}");
    assert!(report.samples.iter().any(|s| s.loops_solved > 0), "{report}");
}

/// Measurement, not a check: `PCF_LCI_DATASET=DIR cargo test --release --test main
/// lci::measure_incremental -- --ignored --nocapture` (used by scripts/bench-vs-brightway).
#[test]
#[ignore = "benchmark; needs PCF_LCI_DATASET"]
fn measure_incremental() {
    let dir = std::env::var_os("PCF_LCI_DATASET").expect("PCF_LCI_DATASET");
    let samples = std::env::var("PCF_LCI_SAMPLES").map_or(20, |s| s.parse().unwrap());
    let report = lci::incremental(Path::new(&dir), samples).unwrap();
    println!("{report}");
    println!("JSON {}", serde_json::to_string(&report).unwrap());
    assert!(report.samples.iter().all(|s| s.exact));
    assert!(report.samples.iter().filter_map(|s| s.technosphere.as_ref()).all(|t| t.exact));
}
