//! One product's breakdowns: the forward route over that product's own supply chain only
//! (sparse, so its cost follows the chain's size), by gas, stage, process and item, the
//! contribution tree, the cut-off checks, and the cross-check against the adjoint totals.

use std::collections::{BTreeMap, HashMap};

use super::{
    Contribution, EngineError, ExclusionRecord, Footprint, GasLine, Hotspot, Line, Model,
    OutsideRecord, ch, stage_name,
};
use crate::methodology::CutoffReport;
use crate::solver::ChainScratch;

/// How many product nodes a contribution tree expands at most.
pub const TREE_NODES: usize = 2000;

/// How many levels of products a contribution tree expands at most (below that, products are
/// leaves with their totals): deep bills of materials would otherwise nest thousands of levels.
pub const TREE_DEPTH: usize = 16;

impl Model<'_> {
    /// The footprint of product `j` with every breakdown, computed over its own supply chain
    /// (`scratch` is reused between calls), cross-checked against the adjoint totals and
    /// checked against the methodology's cut-off rules.
    pub fn product_footprint(
        &self,
        j: usize,
        scratch: &mut ChainScratch,
    ) -> Result<Footprint, EngineError> {
        let inv = self.inventory;
        let chain = self.factorization.supply_chain(j, 1.0, scratch);

        // Forward route: every item scaled by how often the chain runs it.
        let mut forward = [0.0; ch::K];
        let mut by_gas: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        let mut by_stage: BTreeMap<String, f64> = BTreeMap::new();
        let mut by_process: BTreeMap<String, f64> = BTreeMap::new();
        let mut hotspots: HashMap<(usize, String), (f64, String)> = HashMap::new();
        let mut exclusions: Vec<ExclusionRecord> = Vec::new();
        let mut outside: Vec<OutsideRecord> = Vec::new();
        let mut supplier_gwp_sets: Vec<String> = Vec::new();
        for &(k, s) in &chain {
            for &(it, r) in &self.product_items[k] {
                let item = &self.items[it];
                let w = s * r;
                let chans = &self.item_channels[it];
                for c in 0..ch::K {
                    forward[c] += w * chans[c];
                }
                let counted = w * chans[ch::COUNTED];
                if let Some(reason) = &item.outside {
                    let reason = if item.uncharacterized.is_empty() {
                        reason.clone()
                    } else {
                        format!(
                            "{reason}; {} left out of this figure (no GWP in {})",
                            item.uncharacterized.join(", "),
                            self.methodology.id()
                        )
                    };
                    outside.push(OutsideRecord {
                        process: inv.processes[item.process].id.clone(),
                        item: item.label.clone(),
                        reason,
                        kg_co2e: w * item.co2e_all(self.methodology),
                    });
                    continue;
                }
                if item.excluded.is_some() {
                    exclusions.push(ExclusionRecord {
                        process: inv.processes[item.process].id.clone(),
                        item: item.label.clone(),
                        reason: item.excluded.clone().unwrap_or_default(),
                        kg_co2e: w * chans[ch::EXCLUDED],
                        percent: 0.0,
                        pointer: item.pointer.clone(),
                    });
                    continue;
                }
                if item.wholly_not_counted() {
                    // EU CBAM indirect emissions not counted: in their own total only.
                    continue;
                }
                for g in &item.gases {
                    let e = by_gas.entry(g.gas.clone()).or_insert((0.0, 0.0));
                    e.0 += w * g.kg;
                    e.1 += w * g.co2e;
                }
                let unspecified =
                    item.unspecified_co2e - item.indirect_not_counted(self.methodology);
                if unspecified != 0.0 {
                    let e = by_gas
                        .entry("CO2e not split by gas (declared or pre-characterized)".into())
                        .or_insert((0.0, 0.0));
                    e.1 += w * unspecified;
                }
                if let Some(d) = item.supplier.map(|s| &inv.suppliers[s]) {
                    for set in super::supplier::other_gwp_sets(d, self.methodology) {
                        if !supplier_gwp_sets.iter().any(|x| x == set) {
                            supplier_gwp_sets.push(set.to_string());
                        }
                    }
                }
                *by_stage.entry(stage_name(item.stage).to_string()).or_default() += counted;
                *by_process.entry(inv.processes[item.process].id.clone()).or_default() += counted;
                let h = hotspots
                    .entry((item.process, item.label.clone()))
                    .or_insert((0.0, item.kind.name().to_string()));
                h.0 += counted;
            }
        }

        // Cross-check the forward route against the adjoint solution.
        let adjoint = self.unit_value(j, ch::COUNTED);
        let scale = adjoint.abs().max(forward[ch::COUNTED].abs()).max(1e-300);
        if (adjoint - forward[ch::COUNTED]).abs() / scale > 1e-8 {
            return Err(EngineError::Inconsistent {
                file: inv.path.display().to_string(),
                detail: format!(
                    "product {}: the adjoint solve gives {adjoint} but the forward solve {} kg CO2e",
                    inv.products[j].id,
                    forward[ch::COUNTED]
                ),
            });
        }

        let (totals, quality) = self.totals_of(j)?;
        let (counted, whole) = (totals.excluding_uptake, totals.excluding_uptake + totals.exempted);
        for e in &mut exclusions {
            e.percent = if whole > 0.0 { 100.0 * e.kg_co2e / whole } else { 0.0 };
        }
        self.check_cutoff(j, &exclusions, totals.exempted_percent)?;
        let share = |x: f64| if counted != 0.0 { 100.0 * x / counted } else { 0.0 };
        let mut hot: Vec<Hotspot> = hotspots
            .into_iter()
            .map(|((p, label), (co2e, kind))| Hotspot {
                process: inv.processes[p].id.clone(),
                item: label,
                kind,
                kg_co2e: co2e,
                percent: share(co2e),
            })
            .collect();
        // Ties broken by item, then process: the order never depends on the hash map's.
        hot.sort_by(|a, b| {
            b.kg_co2e
                .abs()
                .total_cmp(&a.kg_co2e.abs())
                .then(a.item.cmp(&b.item))
                .then(a.process.cmp(&b.process))
        });
        let lines = |m: BTreeMap<String, f64>| -> Vec<Line> {
            let mut out: Vec<Line> = m
                .into_iter()
                .map(|(name, x)| Line { name, kg_co2e: x, percent: share(x) })
                .collect();
            out.sort_by(|a, b| b.kg_co2e.total_cmp(&a.kg_co2e).then(a.name.cmp(&b.name)));
            out
        };
        let by_stage = lines(by_stage);
        let by_process = lines(by_process);
        let mut gases: Vec<GasLine> = by_gas
            .into_iter()
            .map(|(gas, (kg, co2e))| GasLine { gas, kg, kg_co2e: co2e, percent: share(co2e) })
            .collect();
        gases.sort_by(|a, b| b.kg_co2e.total_cmp(&a.kg_co2e).then(a.gas.cmp(&b.gas)));

        let product = &inv.products[j];
        Ok(Footprint {
            product: product.id.0.clone(),
            name: product.name.clone(),
            declared_unit: product.unit.symbol().to_string(),
            totals,
            by_gas: gases,
            by_stage,
            by_process,
            quality,
            hotspots: hot,
            contributions: self.contribution_tree(j),
            allocations: self.allocations.clone(),
            electricity: self
                .electricity
                .iter()
                .zip(&self.electricity_process)
                .filter(|(_, pi)| {
                    // Only the electricity of processes this product's chain runs.
                    pi.is_some_and(|pi| {
                        inv.processes[pi]
                            .outputs
                            .iter()
                            .any(|o| chain.binary_search_by_key(&o.product, |&(k, _)| k).is_ok())
                    })
                })
                .map(|(e, _)| e.clone())
                .collect(),
            exclusions,
            outside_boundary: outside,
            forward_check: forward[ch::COUNTED],
            hourly: self.hourly_intensity(j)?,
            supplier_gwp_sets: {
                supplier_gwp_sets.sort();
                supplier_gwp_sets
            },
        })
    }

    pub(super) fn check_cutoff(
        &self,
        j: usize,
        exclusions: &[ExclusionRecord],
        exempted_percent: f64,
    ) -> Result<(), EngineError> {
        let rules = &self.methodology.rules.cutoff;
        let file = self.inventory.path.display().to_string();
        let product = &self.inventory.products[j].id;
        for e in exclusions {
            if rules.report == CutoffReport::NotAllowed {
                return Err(EngineError::Rule {
                    file,
                    pointer: e.pointer.clone(),
                    problem: format!(
                        "methodology {} allows no exclusions, but {:?} is excluded",
                        self.methodology.id(),
                        e.item
                    ),
                    help: "remove `excluded` and give the input's data".into(),
                });
            }
            if e.percent > rules.per_input_percent {
                return Err(EngineError::Rule {
                    file,
                    pointer: e.pointer.clone(),
                    problem: format!(
                        "excluded input {:?} is {:.3} % of the footprint of {product}, above the {} % per-input cut-off of {}",
                        e.item,
                        e.percent,
                        rules.per_input_percent,
                        self.methodology.id()
                    ),
                    help: "include the input (remove `excluded`)".into(),
                });
            }
        }
        if exempted_percent > rules.cumulative_percent {
            return Err(EngineError::Rule {
                file,
                pointer: "/processes".into(),
                problem: format!(
                    "excluded inputs are {exempted_percent:.3} % of the footprint of {product}, above the {} % cumulative cut-off of {}",
                    rules.cumulative_percent,
                    self.methodology.id()
                ),
                help: "include some of the excluded inputs (remove `excluded`)".into(),
            });
        }
        Ok(())
    }

    /// The contribution tree of product `j`: its own items and, for each input product, what
    /// the input contributes and (recursively) why; a loop is shown once. At most
    /// [`TREE_NODES`] nodes and [`TREE_DEPTH`] levels are expanded; the rest are shown as leaves
    /// with their totals.
    pub fn contribution_tree(&self, j: usize) -> Contribution {
        let mut path = Vec::new();
        let mut budget = TREE_NODES;
        self.tree(j, 1.0, &mut path, &mut budget)
    }

    fn tree(
        &self,
        k: usize,
        amount: f64,
        path: &mut Vec<usize>,
        budget: &mut usize,
    ) -> Contribution {
        let inv = self.inventory;
        let product = &inv.products[k];
        let mut node = Contribution {
            name: product.name.clone(),
            kind: "product".into(),
            process: Some(inv.processes[product.made_by.0].id.clone()),
            amount: Some(amount),
            unit: Some(product.unit.symbol().to_string()),
            kg_co2e: amount * self.unit_value(k, ch::COUNTED),
            children: Vec::new(),
        };
        if path.contains(&k) {
            node.name = format!("{} (loop: already expanded above)", product.name);
            node.kind = "loop".into();
            return node;
        }
        if *budget == 0 {
            node.name = format!("{} (not expanded: tree size limit)", product.name);
            return node;
        }
        if path.len() >= TREE_DEPTH {
            node.name = format!("{} (not expanded: tree depth limit)", product.name);
            return node;
        }
        *budget -= 1;
        path.push(k);
        // Own items, merged by label.
        let mut own: BTreeMap<(String, String), f64> = BTreeMap::new();
        for &(it, r) in &self.product_items[k] {
            let item = &self.items[it];
            if item.excluded.is_some() || item.outside.is_some() || item.wholly_not_counted() {
                continue;
            }
            *own.entry((item.label.clone(), item.kind.name().to_string())).or_default() +=
                amount * r * self.item_channels[it][ch::COUNTED];
        }
        for ((label, kind), v) in own {
            node.children.push(Contribution {
                name: label,
                kind,
                process: None,
                amount: None,
                unit: None,
                kg_co2e: v,
                children: Vec::new(),
            });
        }
        for (m, a, _) in &self.product_inputs[k] {
            node.children.push(self.tree(*m, amount * a, path, budget));
        }
        path.pop();
        node.children.sort_by(|a, b| b.kg_co2e.abs().total_cmp(&a.kg_co2e.abs()));
        node
    }
}
