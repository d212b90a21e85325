//! Footprints at bill-of-materials scale (issue 12): the generated inventories of the hidden
//! `pcf bench bom` load and compute. (Timings are measured by `scripts/bench-bom`, never
//! asserted.)

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use pcf::engine;
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
