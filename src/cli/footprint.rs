//! `pcf footprint`: computes the footprint of every product (or one) of an inventory and prints
//! it as a table, a contribution tree, JSON or SVG charts. Output follows use: up to
//! [`DETAILS_UP_TO`] products are each broken down in full; beyond that the default is one
//! summary row per product (every product's totals come from one solve and every product is
//! checked against the methodology), with full breakdowns for `--product` or `--details`,
//! written one product at a time.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use pcf::engine::{self, ChainScratch, Footprints, Model};
use pcf::methodology::Methodology;
use pcf::report;

use super::Result;
use super::input::unknown_product;

/// Inventories with at most this many products are broken down in full by default.
pub const DETAILS_UP_TO: usize = 20;

/// The arguments of `pcf footprint`.
#[derive(clap::Args)]
pub struct Args {
    /// Inventory file (TOML or JSON).
    pub inventory: PathBuf,
    /// Methodology: a shipped id (see `pcf methodology list`) or a file.
    #[arg(long, short, default_value = "pact-3.0")]
    pub methodology: String,
    /// Only this product (its full breakdown; costs what its supply chain costs).
    #[arg(long)]
    pub product: Option<String>,
    /// Also print the contribution tree.
    #[arg(long)]
    pub tree: bool,
    /// Print JSON (the full result, contribution tree included; for more than 20 products
    /// without --product or --details, each product's totals and quality figures only).
    #[arg(long)]
    pub json: bool,
    /// Break down every product in full, also in inventories of more than 20 products (whose
    /// default is a summary table); the output grows with the products times their chains
    /// (each contribution tree expands at most 2000 products and 16 levels).
    #[arg(long)]
    pub details: bool,
    /// Write an SVG contribution chart per product broken down into this directory, and for
    /// each electricity input matched in time (`electricity.matching`) a chart of consumption
    /// against matched green supply by month and over an average day
    /// (`PRODUCT.electricity-N.svg`).
    #[arg(long)]
    pub svg: Option<PathBuf>,
}

/// Computes and prints the footprints.
pub fn run(args: Args) -> Result<ExitCode> {
    let Args { inventory, methodology, product, tree, json, details, svg } = args;
    let inv = pcf::spreadsheet::load(&inventory)?;
    let m = Methodology::resolve(&methodology)?;
    if let Some(why) = &m.rules.draft {
        eprintln!("note: methodology {} {} is a DRAFT: {why}", m.id(), m.version());
    }
    let model = Model::build(&inv, &m)?;
    let n = inv.products.len();
    let mut scratch = ChainScratch::default();
    let selected: Vec<usize> = match &product {
        Some(id) => vec![inv.product_index(id).ok_or_else(|| unknown_product(&inv, id))?],
        None if details || n <= DETAILS_UP_TO => (0..n).collect(),
        None => Vec::new(),
    };
    // Every product is checked as strictly as when all are broken down, before any output.
    if selected.len() < n {
        model.check_all(&mut scratch)?;
    }
    let header = model.header();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if product.is_none() && selected.is_empty() {
        // The summary: one row per product.
        if json {
            stream_json(
                &mut out,
                &header,
                (0..n).map(|j| model.summary(j).map_err(pcf::Error::from)),
            )?;
        } else {
            let rows: Vec<engine::Summary> =
                (0..n).map(|j| model.summary(j)).collect::<std::result::Result<_, _>>()?;
            let _ = write!(out, "{}", report::footprints_header(&header));
            let _ = write!(out, "\n{}", report::summary(&rows));
            let _ = writeln!(
                out,
                "\n{n} products: totals per declared unit. Breakdowns: --product ID (one), --details (every product)."
            );
        }
        let _ = out.flush();
        return Ok(ExitCode::SUCCESS);
    }
    let mut trees = Vec::new();
    let footprints = selected.iter().map(|&j| -> Result<engine::Footprint> {
        let p = model.product_footprint(j, &mut scratch)?;
        if let Some(dir) = &svg {
            write_svg(dir, &p)?;
        }
        Ok(p)
    });
    if json {
        stream_json(&mut out, &header, footprints)?;
    } else {
        let _ = write!(out, "{}", report::footprints_header(&header));
        for p in footprints {
            let p = p?;
            let _ = write!(out, "\n{}", report::footprint(&p));
            if tree {
                trees.push((p.product, report::tree(&p.contributions)));
            }
        }
        for (id, text) in trees {
            let _ = write!(out, "\ncontribution tree of {id}:\n{text}");
        }
    }
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}

/// Writes the SVG contribution chart of one product into `dir`.
fn write_svg(dir: &std::path::Path, p: &engine::Footprint) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| pcf::Error::io(dir, &e))?;
    let path = dir.join(format!("{}.svg", p.product));
    pcf::atomic::write_replace(
        &path,
        pcf::chart::footprint(p).as_bytes(),
        pcf::atomic::Mode::Public,
    )
    .map_err(|e| pcf::Error::io(&path, &e))?;
    eprintln!("wrote {}", path.display());
    // One matching chart per electricity input matched in time.
    for (k, e) in p.electricity.iter().enumerate() {
        let Some(svg) = pcf::chart::matching(&p.name, e) else { continue };
        let path = dir.join(format!("{}.electricity-{}.svg", p.product, k + 1));
        pcf::atomic::write_replace(&path, svg.as_bytes(), pcf::atomic::Mode::Public)
            .map_err(|e| pcf::Error::io(&path, &e))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Writes `header` as pretty JSON with `products` streamed one at a time: the same bytes as
/// pretty-printing the whole result at once, without holding it. A failure mid-way leaves
/// the output cut short and returns the error (the checks run before any output make that a
/// bug, not an input problem).
fn stream_json<T: serde::Serialize>(
    out: &mut impl std::io::Write,
    header: &Footprints,
    products: impl Iterator<Item = Result<T>>,
) -> Result<()> {
    let text = to_pretty(header)?;
    let Some(head) = text.strip_suffix("[]\n}") else {
        return Err(pcf::Error::Io {
            path: "<stdout>".into(),
            message: "unexpected JSON layout of the result header".into(),
        });
    };
    let _ = out.write_all(head.as_bytes());
    let mut first = true;
    for p in products {
        let p = p?;
        let _ = out.write_all(if first { b"[\n" } else { b",\n" });
        first = false;
        for (i, line) in to_pretty(&p)?.lines().enumerate() {
            if i > 0 {
                let _ = out.write_all(b"\n");
            }
            let _ = out.write_all(b"    ");
            let _ = out.write_all(line.as_bytes());
        }
    }
    let _ = out.write_all(if first { b"[]\n}\n" } else { b"\n  ]\n}\n" });
    Ok(())
}

fn to_pretty<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value).map_err(|e| pcf::Error::Io {
        path: "<stdout>".into(),
        message: format!("cannot serialize output: {e}"),
    })
}
