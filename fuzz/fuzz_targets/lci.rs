//! The `pcf lci` CSV reader never panics on any dataset, and a dataset it accepts gives
//! output files with one row per activity and one per demand id.
//!
//! The input is split at `\n====\n` into the six CSV files, in the order of
//! `pcf::lci::DATA_FILES` (missing ones are empty), and written with a valid `meta.json` into a
//! temporary directory, since the reader reads files. The directory is in `/dev/shm` where
//! there is one: `pcf lci` writes its output atomically, with fsyncs that a disk makes slow.
#![no_main]

use std::sync::OnceLock;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let made = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() };
        match made {
            Ok(d) => d,
            Err(e) => panic!("no temporary directory: {e}"),
        }
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let root = dir().path();
    let input = root.join("in");
    let out = root.join("out");
    let _ = std::fs::remove_dir_all(&out);
    if std::fs::create_dir_all(&input).is_err() {
        return;
    }
    let meta = br#"{"format": "pcfbench-csv", "format_version": 1}"#;
    if std::fs::write(input.join("meta.json"), meta).is_err() {
        return;
    }
    let mut parts = split(data, b"\n====\n");
    for name in pcf::lci::DATA_FILES {
        let part = parts.next().unwrap_or(&[]);
        if std::fs::write(input.join(name), part).is_err() {
            return;
        }
    }
    let Ok(summary) = pcf::lci::run(&input, &out) else { return };
    let lines = |name: &str| {
        std::fs::read_to_string(out.join(name)).map(|t| t.lines().count()).unwrap_or(usize::MAX)
    };
    assert_eq!(lines("product_scores.csv"), summary.activities + 1, "one row per activity");
    assert_eq!(lines("demand_scores.csv"), summary.demands + 1, "one row per demand id");
});

fn split<'a>(data: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(sep.len()).position(|w| w == sep) {
            Some(i) => {
                rest = Some(&r[i + sep.len()..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}
