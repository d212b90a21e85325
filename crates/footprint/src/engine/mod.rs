//! The footprint engine: applies a methodology's rules to an inventory and computes, per declared
//! unit of every product, the totals PACT asks for, the breakdowns by gas, stage and process,
//! the contribution tree, primary data share and data-quality ratings. Every rule applied
//! (allocation shares, electricity instruments counted, exclusions, items outside the boundary)
//! is recorded in the result so the number can be explained.
//!
//! The calculation: each process's burdens (direct emissions, fuels, energy, purchases) become
//! *items*; allocation splits them among the process's outputs; the products then form a
//! linear system (one row per product, inputs per unit of output) that [`crate::solver`]
//! solves for all products at once (adjoint: per-unit footprints, the totals of every product
//! in `summary`) and per reported product over its own supply chain only (forward: how much of
//! every product that chain runs, for the breakdowns in `breakdown`). The two routes are
//! cross-checked for every product reported and a sample of the others ([`Model::check_all`]).

mod biogenic;
mod breakdown;
mod cbam;
mod electricity;
mod hourly;
mod items;
pub mod notices;
pub mod quality;
mod result;
mod summary;
mod supplier;
mod timing;
pub use crate::inventory::HourlyIntensity;

use std::collections::HashMap;

use crate::inventory::{AllocationMethod, Inventory};
use crate::methodology::Methodology;
use crate::solver::{Factorization, SolveError, Technosphere};

pub use crate::solver::ChainScratch;

pub use breakdown::{TREE_DEPTH, TREE_NODES};

pub use items::{Category, Item, ItemKind};
pub use result::{
    AllocationRecord, CbamGood, Contribution, DataShare, ElectricityRecord, ExclusionRecord,
    Footprint, Footprints, GasLine, Hotspot, InstrumentUse, Line, MatchLine, MatchingRecord,
    OutsideRecord, Period, Quality, Totals,
};
pub use summary::{SAMPLED_CROSS_CHECKS, Selection, Summary};

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
    /// The counted CO2e by data class: channel `DATA + DataClass::index()`.
    pub const DATA: usize = 16;
    /// Counted CO2e based on EU CBAM default values (precursors at default values).
    pub const CBAM_DEFAULT: usize = 21;
    pub const K: usize = 22;
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
    /// Defaults applied and data not used ([`notices`]).
    pub notices: Vec<notices::Notice>,
    /// The process (index) of each electricity decision.
    pub electricity_process: Vec<Option<usize>>,
    /// Each item's channels under the methodology ([`Item::channels`]), per reference period.
    pub item_channels: Vec<[f64; ch::K]>,
    /// The factorized system.
    pub factorization: Factorization,
    /// Per-unit channels, column-major (n x K).
    pub per_unit: Vec<f64>,
}

/// Computes the footprint of every product in `inventory` under `methodology`:
/// [`footprint_for`] with [`Selection::All`].
pub fn footprint(
    inventory: &Inventory,
    methodology: &Methodology,
) -> Result<Footprints, EngineError> {
    footprint_for(inventory, methodology, &Selection::All)
}

/// Computes the footprints of the `selection` of products of `inventory`: the totals of every
/// product come from one solve, the breakdowns of each selected product from its own supply
/// chain, so one product costs what its supply chain costs. Every product is checked as
/// strictly as by [`footprint`] ([`Model::check_all`]), so a selection fails where the whole
/// inventory does.
pub fn footprint_for(
    inventory: &Inventory,
    methodology: &Methodology,
    selection: &Selection,
) -> Result<Footprints, EngineError> {
    let model = Model::build(inventory, methodology)?;
    let mut scratch = ChainScratch::default();
    let products = match selection {
        Selection::All => (0..inventory.products.len())
            .map(|j| model.product_footprint(j, &mut scratch))
            .collect::<Result<Vec<_>, _>>()?,
        Selection::Products(list) => {
            model.check_all(&mut scratch)?;
            list.iter()
                .map(|&j| model.product_footprint(j, &mut scratch))
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    Ok(Footprints { products, ..model.header() })
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
            let method = p.allocation_under(methodology.id()).unwrap_or(rules.allocation.default);
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
            let shares = allocation_shares(&file, p, method, methodology.id())?;
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
            let method = p.allocation_under(methodology.id()).unwrap_or(rules.allocation.default);
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
        let item_channels = model_items.iter().map(|it| it.channels(methodology)).collect();
        let process_index: HashMap<&str, usize> =
            inventory.processes.iter().enumerate().map(|(i, p)| (p.id.as_str(), i)).collect();
        let electricity_process =
            electricity.iter().map(|e| process_index.get(e.process.as_str()).copied()).collect();
        let notices = notices::collect(inventory, methodology, &electricity);
        let mut model = Model {
            inventory,
            methodology,
            notices,
            item_channels,
            electricity_process,
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
                let ch = &self.item_channels[it];
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
}

/// Allocation shares of a process's outputs (summing to 1; system expansion gives the
/// reference product 1).
fn allocation_shares(
    file: &str,
    p: &crate::inventory::Process,
    method: AllocationMethod,
    methodology: &str,
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
            p.outputs.iter().map(|o| o.physical_under(methodology).map(|x| x * o.amount)).collect()
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
