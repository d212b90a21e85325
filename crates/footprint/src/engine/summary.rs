//! Totals of every product from the one adjoint solve, without any per-product breakdown:
//! the summary rows of a large inventory, the selection of products to break down, and the
//! checks that make a summary as strict as the full computation (the methodology's cut-off
//! rules for every product, screened by the adjoint totals and decided exactly where the
//! screen cannot, and a sampled forward-route cross-check).

use serde::{Deserialize, Serialize};

use super::{DataShare, EngineError, Footprints, Model, Quality, Totals, ch};
use crate::methodology::CutoffReport;
use crate::solver::ChainScratch;

/// Which products [`super::footprint_for`] breaks down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every product (what [`super::footprint`] computes).
    All,
    /// These products (indices into the inventory's products), in this order.
    Products(Vec<usize>),
}

/// One product's totals and quality figures, per declared unit, without breakdowns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Product id.
    pub product: String,
    /// Product name.
    pub name: String,
    /// Declared unit symbol.
    pub declared_unit: String,
    /// Totals.
    pub totals: Totals,
    /// Primary data share and data-quality ratings.
    pub quality: Quality,
}

/// How many products, spread over the inventory, a summary cross-checks by the forward route
/// (besides the products broken down, which are always cross-checked).
pub const SAMPLED_CROSS_CHECKS: usize = 8;

impl Model<'_> {
    /// The totals and quality figures of product `j`, from the adjoint solve alone (an error
    /// when the methodology's uptake rule needs a figure the product does not state).
    pub fn totals_of(&self, j: usize) -> Result<(Totals, Quality), EngineError> {
        let rules = &self.methodology.rules;
        let v = |c: usize| self.unit_value(j, c);
        let counted = v(ch::COUNTED);
        let excluded = v(ch::EXCLUDED);
        let whole = counted + excluded;
        let exempted_percent = if whole > 0.0 { 100.0 * excluded / whole } else { 0.0 };
        let biogenic_uptake =
            super::biogenic::product_uptake(self.inventory, self.methodology, j, v(ch::UPTAKE))?;
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
            cbam: rules.cbam.as_ref().and_then(|r| super::cbam::good(self.inventory, r, j, v)),
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
            data_sources: if counted > 0.0 {
                super::quality::CLASSES
                    .iter()
                    .map(|c| DataShare {
                        class: *c,
                        share: 100.0 * v(ch::DATA + c.index()) / counted,
                    })
                    .filter(|d| d.share != 0.0)
                    .collect()
            } else {
                Vec::new()
            },
        };
        Ok((totals, quality))
    }

    /// The summary row of product `j`.
    pub fn summary(&self, j: usize) -> Result<Summary, EngineError> {
        let product = &self.inventory.products[j];
        let (totals, quality) = self.totals_of(j)?;
        Ok(Summary {
            product: product.id.0.clone(),
            name: product.name.clone(),
            declared_unit: product.unit.symbol().to_string(),
            totals,
            quality,
        })
    }

    /// The result's header: what was computed under which rules, with no products yet.
    pub fn header(&self) -> Footprints {
        let inventory = self.inventory;
        let methodology = self.methodology;
        Footprints {
            inventory: inventory.path.display().to_string(),
            inventory_digest: inventory.digest.to_string(),
            methodology: methodology.id().to_string(),
            methodology_version: methodology.version().to_string(),
            methodology_digest: methodology.digest().to_string(),
            gwp: methodology.rules.gwp.set.clone(),
            cyclic_components: self
                .factorization
                .cyclic_components()
                .iter()
                .map(|c| c.iter().map(|&p| inventory.products[p].id.0.clone()).collect())
                .collect(),
            residual: self.factorization.residual_per_unit(
                &self.direct_matrix(),
                &self.per_unit,
                ch::K,
            ),
            conversions: inventory
                .processes
                .iter()
                .flat_map(|p| &p.inputs)
                .filter_map(|i| i.conversion.clone())
                .collect(),
            notices: self.notices.clone(),
            products: Vec::new(),
        }
    }

    /// Checks every product as [`Model::product_footprint`] would, without its breakdowns:
    /// the cut-off rules (the cumulative one from the adjoint totals; the per-input ones, and
    /// exclusions where none are allowed, decided by the product's forward route wherever its
    /// adjoint totals cannot rule a failure out, so the error is the one the full computation
    /// gives), and the forward route of [`SAMPLED_CROSS_CHECKS`] products spread over the
    /// inventory against the adjoint totals. Products are checked in order; the first
    /// failure is returned.
    pub fn check_all(&self, scratch: &mut ChainScratch) -> Result<(), EngineError> {
        let n = self.inventory.products.len();
        let cutoff = &self.methodology.rules.cutoff;
        // Products whose supply chain has an excluded item, and whether every excluded item
        // is non-negative (then no single exclusion exceeds all of them together).
        let mut tainted = vec![false; n];
        let mut all_non_negative = true;
        let mut stack = Vec::new();
        for (k, list) in self.product_items.iter().enumerate() {
            for &(it, r) in list {
                let item = &self.items[it];
                if item.outside.is_none() && item.excluded.is_some() {
                    all_non_negative &= r * self.item_channels[it][ch::EXCLUDED] >= 0.0 && r > 0.0;
                    if !tainted[k] {
                        tainted[k] = true;
                        stack.push(k);
                    }
                }
            }
        }
        if !stack.is_empty() {
            let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); n];
            for (j, list) in self.product_inputs.iter().enumerate() {
                for &(m, _, _) in list {
                    consumers[m].push(j);
                }
            }
            while let Some(k) = stack.pop() {
                for &j in &consumers[k] {
                    if !tainted[j] {
                        tainted[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        let sampled = |j: usize| {
            (0..SAMPLED_CROSS_CHECKS.min(n)).any(|i| i * n / SAMPLED_CROSS_CHECKS.min(n) == j)
                || j + 1 == n
        };
        for (j, &tainted) in tainted.iter().enumerate() {
            let (totals, _) = self.totals_of(j)?;
            // Screen: exact where it says "passes".
            let undecided = tainted
                && (cutoff.report == CutoffReport::NotAllowed
                    || !all_non_negative
                    || totals.exempted_percent > cutoff.per_input_percent * (1.0 - 1e-9));
            if undecided || sampled(j) {
                self.product_footprint(j, scratch)?;
            } else {
                self.check_cutoff(j, &[], totals.exempted_percent)?;
            }
        }
        Ok(())
    }
}
