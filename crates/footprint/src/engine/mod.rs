//! The footprint engine: applies a methodology's rules to an inventory and computes, per declared
//! unit of every product, the totals PACT asks for, the breakdowns by gas, stage and process,
//! the contribution tree, primary data share and data-quality ratings. Every rule applied
//! (allocation shares, electricity instruments counted, exclusions, items outside the boundary)
//! is recorded in the result so the number can be explained.
//!
//! The calculation: each process's burdens (direct emissions, fuels, energy, purchases) become
//! *items*; allocation splits them among the process's outputs; the products then form a
//! linear system (one row per product, inputs per unit of output) that [`crate::solver`]
//! solves for all products at once (adjoint: per-unit footprints) and per product (forward:
//! how much of every product the supply chain runs, for the breakdowns). The two routes are
//! cross-checked on every run.

mod biogenic;
mod cbam;
mod electricity;
mod items;
mod result;
mod supplier;

use std::collections::{BTreeMap, HashMap};

use crate::inventory::{AllocationMethod, Inventory};
use crate::methodology::{CutoffReport, Methodology};
use crate::solver::{Factorization, SolveError, Technosphere};

pub use items::{Category, Item, ItemKind};
pub use result::{
    AllocationRecord, Contribution, ElectricityRecord, ExclusionRecord, Footprint, Footprints,
    GasLine, Hotspot, InstrumentUse, Line, OutsideRecord, Quality, Totals,
};

/// Why a footprint could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The inventory asks for something the methodology does not allow or define.
    #[error("{file}: at {pointer}: {problem}\n  help: {help}")]
    Rule {
        /// Inventory file.
        file: String,
        /// JSON pointer.
        pointer: String,
        /// What is wrong.
        problem: String,
        /// What to do.
        help: String,
    },
    /// The supply chain's linear system has no meaningful solution.
    #[error("{file}: {problem}\n  help: {help}")]
    Loop {
        /// Inventory file.
        file: String,
        /// The loop, by process and product.
        problem: String,
        /// What to do.
        help: String,
    },
    /// The two solution routes disagree (a bug; please report it with the inventory).
    #[error("{file}: internal cross-check failed: {detail}")]
    Inconsistent {
        /// Inventory file.
        file: String,
        /// The figures.
        detail: String,
    },
    /// The solver failed for another reason.
    #[error("{file}: {source}")]
    Solve {
        /// Inventory file.
        file: String,
        /// The solver's error.
        source: SolveError,
    },
}

/// Channels solved for every product, per declared unit.
pub(crate) mod ch {
    pub const COUNTED: usize = 0;
    pub const FOSSIL: usize = 1;
    pub const BIO_CO2: usize = 2;
    pub const BIO_NON_CO2: usize = 3;
    pub const LUC: usize = 4;
    pub const UPTAKE: usize = 5;
    pub const EXCLUDED: usize = 6;
    pub const PRIMARY: usize = 7;
    pub const DQR_T: usize = 8;
    pub const DQR_TE: usize = 9;
    pub const DQR_G: usize = 10;
    pub const DQR_W: usize = 11;
    pub const DIRECT: usize = 12;
    pub const INDIRECT: usize = 13;
    pub const OTHER: usize = 14;
    pub const INDIRECT_NOT_COUNTED: usize = 15;
    pub const K: usize = 16;
}

/// The product-level model: every product's items and inputs per declared unit.
pub struct Model<'a> {
    /// The inventory.
    pub inventory: &'a Inventory,
    /// The methodology.
    pub methodology: &'a Methodology,
    /// All items, per reference period of their process.
    pub items: Vec<Item>,
    /// For each product: (item index, multiplier per declared unit).
    pub product_items: Vec<Vec<(usize, f64)>>,
    /// For each product: (input product, amount per declared unit, input pointer).
    pub product_inputs: Vec<Vec<(usize, f64, String)>>,
    /// Allocation decisions.
    pub allocations: Vec<AllocationRecord>,
    /// Electricity decisions.
    pub electricity: Vec<ElectricityRecord>,
    /// The factorized system.
    pub factorization: Factorization,
    /// Per-unit channels, column-major (n x K).
    pub per_unit: Vec<f64>,
}

/// Computes the footprint of every product in `inventory` under `methodology`.
pub fn footprint(
    inventory: &Inventory,
    methodology: &Methodology,
) -> Result<Footprints, EngineError> {
    let model = Model::build(inventory, methodology)?;
    let products = (0..inventory.products.len())
        .map(|j| model.product_footprint(j))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Footprints {
        inventory: inventory.path.display().to_string(),
        inventory_digest: inventory.digest.to_string(),
        methodology: methodology.id().to_string(),
        methodology_version: methodology.version().to_string(),
        methodology_digest: methodology.digest().to_string(),
        gwp: methodology.rules.gwp.set.clone(),
        cyclic_components: model
            .factorization
            .cyclic_components()
            .iter()
            .map(|c| c.iter().map(|&p| inventory.products[p].id.0.clone()).collect())
            .collect(),
        residual: model.factorization.residual_per_unit(
            &model.direct_matrix(),
            &model.per_unit,
            ch::K,
        ),
        products,
    })
}

impl<'a> Model<'a> {
    /// Applies the methodology to the inventory and solves the product system.
    pub fn build(
        inventory: &'a Inventory,
        methodology: &'a Methodology,
    ) -> Result<Self, EngineError> {
        let file = inventory.path.display().to_string();
        let rules = &methodology.rules;
        let mut electricity = Vec::new();
        let items = items::build(inventory, methodology, &mut electricity)?;

        // Items by process.
        let mut by_process: Vec<Vec<usize>> = vec![Vec::new(); inventory.processes.len()];
        for (i, it) in items.iter().enumerate() {
            by_process[it.process].push(i);
        }

        let n = inventory.products.len();
        let mut product_items = vec![Vec::new(); n];
        let mut product_inputs = vec![Vec::new(); n];
        let mut allocations = Vec::new();
        let mut process_shares = Vec::with_capacity(inventory.processes.len());
        for (pi, p) in inventory.processes.iter().enumerate() {
            let method = p.allocation.unwrap_or(rules.allocation.default);
            if p.outputs.len() > 1 && !rules.allocation.allowed.contains(&method) {
                return Err(EngineError::Rule {
                    file: file.clone(),
                    pointer: format!("{}/allocation", p.pointer),
                    problem: format!(
                        "methodology {} does not allow {} allocation",
                        methodology.id(),
                        method_name(method)
                    ),
                    help: format!(
                        "use one of: {}",
                        rules
                            .allocation
                            .allowed
                            .iter()
                            .map(|m| method_name(*m))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            let shares = allocation_shares(&file, p, method)?;
            if p.outputs.len() > 1 {
                allocations.push(AllocationRecord {
                    process: p.id.clone(),
                    method: method_name(method).to_string(),
                    shares: p
                        .outputs
                        .iter()
                        .zip(&shares)
                        .map(|(o, s)| (inventory.products[o.product].id.0.clone(), *s))
                        .collect(),
                });
            }
            for (oi, o) in p.outputs.iter().enumerate() {
                let r = shares[oi] / o.amount;
                if r == 0.0 {
                    continue;
                }
                for &it in &by_process[pi] {
                    let item = &items[it];
                    // System-expansion credits belong to the reference product only.
                    if item.kind == ItemKind::Credit && oi != 0 {
                        continue;
                    }
                    product_items[o.product].push((it, r));
                }
                for inp in &p.inputs {
                    if let crate::inventory::Source::Product(m) = inp.source
                        && inp.excluded.is_none()
                    {
                        product_inputs[o.product].push((m, r * inp.amount, inp.pointer.clone()));
                    }
                }
            }
            process_shares.push(shares);
        }
        // System expansion credits: one item per displacing co-product, on the reference product.
        let mut model_items = items;
        for (pi, p) in inventory.processes.iter().enumerate() {
            let method = p.allocation.unwrap_or(rules.allocation.default);
            if method != AllocationMethod::SystemExpansion {
                continue;
            }
            for o in p.outputs.iter().skip(1) {
                let Some(f) = o.displaces else {
                    return Err(EngineError::Rule {
                        file: file.clone(),
                        pointer: o.pointer.clone(),
                        problem: format!(
                            "system expansion needs what co-product {:?} displaces",
                            inventory.products[o.product].id.0
                        ),
                        help: "add `displaces = \"<factor id>\"` to the output".into(),
                    });
                };
                let credit = items::credit(inventory, methodology, pi, o, f)?;
                model_items.push(credit);
                let r = 1.0 / p.outputs[0].amount;
                product_items[p.outputs[0].product].push((model_items.len() - 1, r));
            }
        }

        if let Some(rules) = &rules.cbam {
            cbam::apply(inventory, methodology, rules, &process_shares, &mut model_items)?;
        }

        let mut inputs = Vec::new();
        for (j, list) in product_inputs.iter().enumerate() {
            for &(m, a, _) in list {
                inputs.push((j, m, a));
            }
        }
        let tech = Technosphere::new(vec![1.0; n], &inputs)
            .map_err(|source| EngineError::Solve { file: file.clone(), source })?;
        let factorization = tech.factorize().map_err(|e| match e {
            SolveError::Singular { component, .. } => {
                let names: Vec<String> = component
                    .iter()
                    .map(|&k| {
                        let prod = &inventory.products[k];
                        format!("{} (made by {})", prod.id, inventory.processes[prod.made_by.0].id)
                    })
                    .collect();
                EngineError::Loop {
                    file: file.clone(),
                    problem: format!(
                        "the loop {} consumes at least as much as it makes, so it has no finite footprint",
                        names.join(" -> ")
                    ),
                    help: "check the amounts on this loop: per unit made, the loop must consume less than one unit of itself".into(),
                }
            }
            other => EngineError::Solve { file: file.clone(), source: other },
        })?;
        let mut model = Model {
            inventory,
            methodology,
            items: model_items,
            product_items,
            product_inputs,
            allocations,
            electricity,
            factorization,
            per_unit: Vec::new(),
        };
        model.per_unit = model.factorization.per_unit(&model.direct_matrix(), ch::K);
        Ok(model)
    }

    /// Direct burdens per declared unit, column-major (n x K).
    pub fn direct_matrix(&self) -> Vec<f64> {
        let n = self.inventory.products.len();
        let mut b = vec![0.0; n * ch::K];
        for (k, list) in self.product_items.iter().enumerate() {
            for &(it, r) in list {
                let ch = self.items[it].channels(self.methodology);
                for (c, v) in ch.iter().enumerate() {
                    b[c * n + k] += r * v;
                }
            }
        }
        b
    }

    /// The per-unit value of channel `c` for product `k`.
    pub fn unit_value(&self, k: usize, c: usize) -> f64 {
        self.per_unit[c * self.inventory.products.len() + k]
    }

    fn product_footprint(&self, j: usize) -> Result<Footprint, EngineError> {
        let inv = self.inventory;
        let rules = &self.methodology.rules;
        let n = inv.products.len();
        let mut demand = vec![0.0; n];
        demand[j] = 1.0;
        let supply = self.factorization.supply(&demand);

        // Forward route: every item scaled by how often the chain runs it.
        let mut forward = [0.0; ch::K];
        let mut by_gas: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        let mut by_stage: BTreeMap<String, f64> = BTreeMap::new();
        let mut by_process: BTreeMap<String, f64> = BTreeMap::new();
        let mut hotspots: HashMap<(usize, String), (f64, String)> = HashMap::new();
        let mut exclusions: Vec<ExclusionRecord> = Vec::new();
        let mut outside: Vec<OutsideRecord> = Vec::new();
        let mut supplier_gwp_sets: Vec<String> = Vec::new();
        for (k, list) in self.product_items.iter().enumerate() {
            let s = supply[k];
            if s == 0.0 {
                continue;
            }
            for &(it, r) in list {
                let item = &self.items[it];
                let w = s * r;
                let chans = item.channels(self.methodology);
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
                    for set in supplier::other_gwp_sets(d, self.methodology) {
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

        let v = |c: usize| self.unit_value(j, c);
        let counted = v(ch::COUNTED);
        let excluded = v(ch::EXCLUDED);
        let whole = counted + excluded;
        let exempted_percent = if whole > 0.0 { 100.0 * excluded / whole } else { 0.0 };
        for e in &mut exclusions {
            e.percent = if whole > 0.0 { 100.0 * e.kg_co2e / whole } else { 0.0 };
        }
        self.check_cutoff(j, &exclusions, exempted_percent)?;
        let biogenic_uptake = biogenic::product_uptake(inv, self.methodology, j, v(ch::UPTAKE))?;
        let uptake = if rules.biogenic.count_uptake { biogenic_uptake } else { 0.0 };
        let totals = Totals {
            excluding_uptake: counted,
            including_uptake: counted - uptake,
            fossil: v(ch::FOSSIL),
            biogenic_co2_emissions: v(ch::BIO_CO2),
            biogenic_non_co2: v(ch::BIO_NON_CO2),
            biogenic_uptake,
            land_use_change: v(ch::LUC),
            other: v(ch::OTHER),
            exempted: excluded,
            exempted_percent,
            direct: rules.reporting.split_direct_indirect.then(|| v(ch::DIRECT)),
            indirect: rules.reporting.split_direct_indirect.then(|| v(ch::INDIRECT)),
            indirect_not_counted: rules.cbam.is_some().then(|| v(ch::INDIRECT_NOT_COUNTED)),
        };
        let w = v(ch::DQR_W);
        let quality = Quality {
            primary_data_share: if counted > 0.0 {
                Some(100.0 * v(ch::PRIMARY) / counted)
            } else {
                None
            },
            technological: (w > 0.0).then(|| v(ch::DQR_T) / w),
            temporal: (w > 0.0).then(|| v(ch::DQR_TE) / w),
            geographical: (w > 0.0).then(|| v(ch::DQR_G) / w),
            rated_share: if counted > 0.0 { Some(100.0 * w / counted) } else { None },
        };
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
        hot.sort_by(|a, b| b.kg_co2e.abs().total_cmp(&a.kg_co2e.abs()).then(a.item.cmp(&b.item)));
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
                .filter(|e| {
                    // Only the electricity of processes this product's chain runs.
                    inv.processes.iter().any(|p| {
                        p.id == e.process && p.outputs.iter().any(|o| supply[o.product] != 0.0)
                    })
                })
                .cloned()
                .collect(),
            exclusions,
            outside_boundary: outside,
            forward_check: forward[ch::COUNTED],
            supplier_gwp_sets: {
                supplier_gwp_sets.sort();
                supplier_gwp_sets
            },
        })
    }

    fn check_cutoff(
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
    /// [`TREE_NODES`] nodes are expanded; the rest are shown as leaves with their totals.
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
                amount * r * item.channels(self.methodology)[ch::COUNTED];
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

/// How many product nodes a contribution tree expands at most.
pub const TREE_NODES: usize = 2000;

/// Allocation shares of a process's outputs (summing to 1; system expansion gives the
/// reference product 1).
fn allocation_shares(
    file: &str,
    p: &crate::inventory::Process,
    method: AllocationMethod,
) -> Result<Vec<f64>, EngineError> {
    if p.outputs.len() == 1 {
        return Ok(vec![1.0]);
    }
    let basis: Vec<Option<f64>> = match method {
        AllocationMethod::Mass => p.outputs.iter().map(|o| Some(o.mass)).collect(),
        AllocationMethod::Economic => {
            p.outputs.iter().map(|o| o.price.map(|x| x * o.amount)).collect()
        }
        AllocationMethod::Physical => {
            p.outputs.iter().map(|o| o.physical.map(|x| x * o.amount)).collect()
        }
        AllocationMethod::SystemExpansion => {
            let mut v = vec![0.0; p.outputs.len()];
            v[0] = 1.0;
            return Ok(v);
        }
    };
    let field = match method {
        AllocationMethod::Economic => "price",
        AllocationMethod::Physical => "physical",
        _ => "mass",
    };
    let mut values = Vec::with_capacity(basis.len());
    for (o, b) in p.outputs.iter().zip(basis) {
        match b {
            Some(x) => values.push(x),
            None => {
                return Err(EngineError::Rule {
                    file: file.into(),
                    pointer: o.pointer.clone(),
                    problem: format!(
                        "{} allocation needs `{field}` on every output of process {:?}",
                        method_name(method),
                        p.id
                    ),
                    help: format!("add `{field}` (per unit of output) to this output"),
                });
            }
        }
    }
    let sum: f64 = values.iter().sum();
    if sum.is_nan() || sum <= 0.0 {
        return Err(EngineError::Rule {
            file: file.into(),
            pointer: format!("{}/outputs", p.pointer),
            problem: format!("the {} of the outputs of process {:?} sums to zero", field, p.id),
            help: "give each output a positive value, or choose another allocation method".into(),
        });
    }
    Ok(values.into_iter().map(|x| x / sum).collect())
}

/// The kebab-case name of an allocation method.
pub fn method_name(m: AllocationMethod) -> &'static str {
    match m {
        AllocationMethod::Mass => "mass",
        AllocationMethod::Economic => "economic",
        AllocationMethod::Physical => "physical",
        AllocationMethod::SystemExpansion => "system-expansion",
    }
}

/// The kebab-case name of a stage.
pub fn stage_name(s: crate::inventory::Stage) -> &'static str {
    use crate::inventory::Stage as S;
    match s {
        S::RawMaterialAcquisition => "raw-material-acquisition",
        S::Production => "production",
        S::UpstreamTransport => "upstream-transport",
        S::Distribution => "distribution",
        S::Use => "use",
        S::EndOfLife => "end-of-life",
    }
}
