//! Footprints at bill-of-materials scale (issue 12): the generated inventories of the hidden
//! `pcf bench bom` load and compute; one product's breakdown over its own supply chain is the
//! one the whole computation gives, bit for bit; the summary of many products and the streamed
//! JSON agree with the engine. (Timings are measured by `scripts/bench-bom`, never asserted.)

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use pcf::engine::{self, ChainScratch, Model, Selection};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::util;

/// Generates a `parts`-part inventory of `shape` into `dir` with the binary.
fn generate(dir: &Path, parts: usize, shape: &str) -> String {
    let name = format!("bom-{shape}-{parts}.json");
    let out = util::pcf(
        dir,
        &["bench", "bom", "--parts", &parts.to_string(), "--shape", shape, "--out", &name],
    );
    assert!(out.status.success(), "{}", util::stderr(&out));
    name
}

#[test]
fn generated_inventories_have_loops_coproducts_suppliers_and_exclusions() {
    let dir = tempfile::tempdir().unwrap();
    for shape in ["shared", "tree"] {
        let name = generate(dir.path(), 120, shape);
        let inv = Inventory::load(&dir.path().join(&name)).unwrap();
        // 120 parts and 12 scrap co-products.
        assert_eq!(inv.products.len(), 132, "{shape}");
        assert!(!inv.suppliers.is_empty(), "{shape}");
        let m = Methodology::shipped("pact-3.0").unwrap();
        let f = engine::footprint(&inv, &m).unwrap();
        assert!(!f.cyclic_components.is_empty(), "{shape}: no loop");
        let top = f.products.iter().find(|p| p.product == "p119").unwrap();
        assert!(top.totals.excluding_uptake > 0.0);
        assert!(!top.allocations.is_empty() && !top.exclusions.is_empty(), "{shape}");
    }
}

#[test]
fn one_product_costs_its_chain_and_matches_the_whole_computation() {
    let dir = tempfile::tempdir().unwrap();
    let m = Methodology::shipped("pact-3.0").unwrap();
    for shape in ["shared", "tree"] {
        let name = generate(dir.path(), 150, shape);
        let inv = Inventory::load(&dir.path().join(&name)).unwrap();
        let all = engine::footprint(&inv, &m).unwrap();
        let model = Model::build(&inv, &m).unwrap();
        let mut scratch = ChainScratch::default();
        let n = inv.products.len();
        for j in 0..n {
            // The sparse supply is the dense one without its zeros, bit for bit.
            let mut demand = vec![0.0; n];
            demand[j] = 1.0;
            let dense: Vec<(usize, f64)> = model
                .factorization
                .supply(&demand)
                .into_iter()
                .enumerate()
                .filter(|&(_, s)| s != 0.0)
                .collect();
            let chain = model.factorization.supply_chain(j, 1.0, &mut scratch);
            assert_eq!(chain.len(), dense.len(), "{shape} product {j}");
            for (a, b) in chain.iter().zip(&dense) {
                assert_eq!(a.0, b.0);
                assert_eq!(a.1.to_bits(), b.1.to_bits(), "{shape} product {j} supply of {}", a.0);
            }
            let summary = model.summary(j).unwrap();
            assert_eq!(summary.totals, all.products[j].totals);
            assert_eq!(summary.quality, all.products[j].quality);
        }
        for j in [0, n / 2, n - 1] {
            let one = engine::footprint_for(&inv, &m, &Selection::Products(vec![j])).unwrap();
            let a = serde_json::to_string_pretty(&one.products[0]).unwrap();
            let b = serde_json::to_string_pretty(&all.products[j]).unwrap();
            for (x, y) in a.lines().zip(b.lines()) {
                assert_eq!(x, y, "{shape} product {j}");
            }
            assert_eq!(one.products, vec![all.products[j].clone()], "{shape} product {j}");
            assert_eq!(Model::build(&inv, &m).unwrap().header().residual, all.residual);
        }
        model.check_all(&mut scratch).unwrap();
    }
}

#[test]
fn many_products_give_a_summary_and_details_stream_the_same_json() {
    let dir = tempfile::tempdir().unwrap();
    let name = generate(dir.path(), 60, "shared");
    let inv = Inventory::load(&dir.path().join(&name)).unwrap();
    let m = Methodology::shipped("pact-3.0").unwrap();
    let all = engine::footprint(&inv, &m).unwrap();

    // The default report of many products: one row per product.
    let out = util::pcf(dir.path(), &["footprint", &name]);
    assert!(out.status.success(), "{}", util::stderr(&out));
    let text = util::stdout(&out);
    assert!(text.contains("66 products: totals per declared unit"), "{text}");
    assert!(!text.contains("by gas"), "no breakdowns in the summary");

    // Its JSON: the same header, each product's totals and quality.
    let out = util::pcf(dir.path(), &["footprint", &name, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let products = v["products"].as_array().unwrap();
    assert_eq!(products.len(), all.products.len());
    for (p, f) in products.iter().zip(&all.products) {
        assert_eq!(p["product"], f.product.as_str());
        let totals: engine::Totals = serde_json::from_value(p["totals"].clone()).unwrap();
        assert_eq!(totals, f.totals);
    }

    // --details --json: byte for byte the pretty JSON of the whole result, streamed.
    let out = util::pcf(dir.path(), &["footprint", &name, "--details", "--json"]);
    assert!(out.status.success(), "{}", util::stderr(&out));
    let mut all = all;
    all.inventory.clone_from(&name); // the binary ran in the directory
    let expected = serde_json::to_string_pretty(&all).unwrap() + "\n";
    let got = util::stdout(&out);
    for (i, (x, y)) in got.lines().zip(expected.lines()).enumerate() {
        assert_eq!(x, y, "line {i}");
    }
    assert!(got == expected, "streamed JSON differs from the whole result");

    // One product: its full breakdown.
    let out = util::pcf(dir.path(), &["footprint", &name, "--product", "p59", "--json"]);
    let one: engine::Footprints = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        one.products,
        vec![all.products.iter().find(|p| p.product == "p59").unwrap().clone()]
    );
}

/// Not a test: how many times per second the steel-bracket example (which references shipped
/// datasets) loads and computes, as the inventory fuzz target does per input. Run with
/// `cargo test --release --test main bom::loads_per_second -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run on demand"]
fn loads_per_second() {
    let path = util::root().join("examples/steel-bracket/inventory.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let m = Methodology::shipped("pact-3.0").unwrap();
    let start = std::time::Instant::now();
    let runs = 200;
    for _ in 0..runs {
        let inv = Inventory::from_str(&path, &text).unwrap();
        engine::footprint(&inv, &m).unwrap();
    }
    let per_second = f64::from(runs) / start.elapsed().as_secs_f64();
    println!("steel-bracket: {per_second:.0} loads and footprints per second");
}
