//! `pcf bench log` (hidden): the register as a transparency log at scale (issue 13). Appends
//! `--entries` declarations through [`Register::append`] (each with its declaration stored,
//! as `pcf declare` does), and reports, in one run:
//!
//! - the cost of an append at growing sizes, against what an append cost before the log kept
//!   its tree and index on disk (a walk of the whole chain, timed at the same size);
//! - disk per entry, by directory;
//! - inclusion and consistency proof generation at the final size, and a checkpoint.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use pcf::register::{EntryKind, Register, Timestamp};
use serde_json::json;

use crate::cli::Result;

/// The arguments of `pcf bench log`.
#[derive(clap::Args)]
pub struct LogArgs {
    /// Number of entries to append.
    #[arg(long, default_value_t = 10_000)]
    pub entries: u64,
    /// The register directory to create (must not exist); removed at the end unless --keep
    /// (`--dir` is an old spelling, still accepted).
    #[arg(long = "register", alias = "dir", value_name = "DIR")]
    pub dir: PathBuf,
    /// Keep the register afterwards.
    #[arg(long)]
    pub keep: bool,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Do not flush writes to disk (no fsync): measures the work of an append apart from the
    /// disk's flush latency. The output says so.
    #[arg(long)]
    pub no_flush: bool,
}

/// Appends timed at a milestone, and the walk an append used to do, timed at the same size.
struct Milestone {
    size: u64,
    append_us: f64,
    walk_ms: f64,
}

pub fn run(args: &LogArgs) -> Result<ExitCode> {
    if args.dir.exists() {
        return Err(pcf::Error::Usage(format!(
            "{}: already exists; pcf bench log creates a new register there",
            args.dir.display()
        )));
    }
    if args.no_flush {
        pcf::atomic::flush_to_disk(false);
        eprintln!("writes are not flushed to disk (--no-flush): figures exclude fsync latency");
    }
    let register = Register::open(&args.dir)?;
    let time: Timestamp =
        "2026-12-01T00:00:00Z".parse().map_err(|e| pcf::Error::Usage(format!("{e}")))?;
    let n = args.entries.max(1);
    let window = (n / 10).clamp(1, 1_000);
    let mut milestones = Vec::new();
    let mut next_milestone = 1_000u64.min(n);
    let started = Instant::now();
    let mut window_time = Duration::ZERO;
    let mut last_progress = Instant::now();
    for i in 0..n {
        let declaration = register.store_declaration(
            pcf::canonical::canonicalize(&json!({"bench": i, "id": pf_id(i)}))?.as_slice(),
        )?;
        let kind = EntryKind::Declared {
            declaration,
            pf_id: pf_id(i),
            product_ids: vec![format!("urn:pcf:bench:{i}")],
            supersedes: None,
            certificates: vec![],
        };
        let t = Instant::now();
        register.append(kind, time.clone())?;
        let size = i + 1;
        if size + window > next_milestone {
            window_time += t.elapsed();
        }
        if size == next_milestone {
            let walk = Instant::now();
            let walked = register.entries()?.len() as u64;
            debug_assert_eq!(walked, size);
            milestones.push(Milestone {
                size,
                append_us: window_time.as_secs_f64() * 1e6 / window.min(size) as f64,
                walk_ms: walk.elapsed().as_secs_f64() * 1e3,
            });
            window_time = Duration::ZERO;
            next_milestone = (next_milestone * 10).min(n);
            if next_milestone == size {
                next_milestone = u64::MAX;
            }
        }
        if last_progress.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "appended {size} of {n} ({:.0} s, {:.0} µs per append so far)",
                started.elapsed().as_secs_f64(),
                started.elapsed().as_secs_f64() * 1e6 / size as f64
            );
            last_progress = Instant::now();
        }
    }
    let total = started.elapsed();

    // Proofs at the final size, for leaves and earlier sizes spread over the log.
    let picks: Vec<u64> = (0..200u64).map(|k| (k * 7_919 + 13) % n).collect();
    let t = Instant::now();
    let mut inclusion_hashes = 0;
    for &leaf in &picks {
        inclusion_hashes += register.inclusion_proof(leaf, n)?.len();
    }
    let inclusion_us = t.elapsed().as_secs_f64() * 1e6 / picks.len() as f64;
    let t = Instant::now();
    let mut consistency_hashes = 0;
    for &old in &picks {
        consistency_hashes += register.consistency_proof(old + 1, n)?.len();
    }
    let consistency_us = t.elapsed().as_secs_f64() * 1e6 / picks.len() as f64;
    let key = pcf::keys::generate()?;
    let t = Instant::now();
    let checkpoint = register.checkpoint(&key)?;
    let checkpoint_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let audit_root = register.tree()?.root();
    let audit_ms = t.elapsed().as_secs_f64() * 1e3;
    if audit_root != checkpoint.checkpoint.root {
        return Err(pcf::Error::Usage(
            "the checkpoint's root is not the root of the walked entries".to_string(),
        ));
    }

    let disk: Vec<(&str, u64)> = ["entries", "declarations", "index", "log", "checkpoints"]
        .into_iter()
        .map(|d| (d, disk_bytes(&args.dir.join(d))))
        .collect();
    let disk_total: u64 = disk.iter().map(|(_, b)| b).sum();

    if args.json {
        let out = json!({
            "entries": n,
            "flushedToDisk": !args.no_flush,
            "appendSeconds": total.as_secs_f64(),
            "milestones": milestones.iter().map(|m| json!({
                "size": m.size, "appendMicros": m.append_us, "walkMillis": m.walk_ms,
            })).collect::<Vec<_>>(),
            "diskBytesPerEntry": disk.iter().map(|(d, b)| (d.to_string(), json!(*b as f64 / n as f64))).collect::<serde_json::Map<_, _>>(),
            "inclusionProofMicros": inclusion_us,
            "consistencyProofMicros": consistency_us,
            "checkpointMillis": checkpoint_ms,
            "auditWalkMillis": audit_ms,
        });
        println!("{out:#}");
    } else {
        println!(
            "appended {n} entries in {:.1} s ({:.0} µs per append, declaration stored included; \
             {})",
            total.as_secs_f64(),
            total.as_secs_f64() * 1e6 / n as f64,
            if args.no_flush {
                "writes NOT flushed to disk"
            } else {
                "every write flushed (fsync)"
            }
        );
        println!();
        println!(
            "{:>10} {:>16} {:>24} {:>8}",
            "log size", "append (µs)", "walk before (ms)", "ratio"
        );
        for m in &milestones {
            println!(
                "{:>10} {:>16.0} {:>24.1} {:>8.0}",
                m.size,
                m.append_us,
                m.walk_ms,
                m.walk_ms * 1e3 / m.append_us
            );
        }
        println!(
            "(append: mean over the {window} appends before that size; walk: reading and checking the chain, which every append did before)"
        );
        println!();
        println!("disk per entry:");
        for (d, b) in &disk {
            println!("  {d:<14} {:>10.0} bytes", *b as f64 / n as f64);
        }
        println!("  {:<14} {:>10.0} bytes", "total", disk_total as f64 / n as f64);
        println!();
        println!(
            "at {n} entries: inclusion proof {inclusion_us:.0} µs ({:.1} hashes), consistency \
             proof {consistency_us:.0} µs ({:.1} hashes), checkpoint {checkpoint_ms:.1} ms; \
             the audit walk that rebuilds the tree {audit_ms:.0} ms",
            inclusion_hashes as f64 / picks.len() as f64,
            consistency_hashes as f64 / picks.len() as f64
        );
    }
    if !args.keep {
        std::fs::remove_dir_all(&args.dir).map_err(|e| pcf::Error::io(&args.dir, &e))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A lowercase UUID made from `i` (version 4 and variant bits set).
fn pf_id(i: u64) -> String {
    let hex = format!("{i:032x}");
    format!("{}-{}-4{}-8{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..])
}

/// The disk space a directory takes (allocated blocks, recursively).
fn disk_bytes(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
    let mut total = meta.blocks() * 512;
    if meta.is_dir()
        && let Ok(read) = std::fs::read_dir(path)
    {
        for entry in read.flatten() {
            total += disk_bytes(&entry.path());
        }
    }
    total
}
