//! A purchased product with a supplier's declaration: its declared figures per declared unit
//! scaled by the amount bought, under the methodology's rules for suppliers (GWP set, CBAM
//! split, primary data share) and for biogenic values of the wrong sign.

use crate::inventory::{Input, Inventory, SupplierDeclaration};
use crate::methodology::{Methodology, OtherGwpSet, WithoutShare, WithoutSplit};

use super::EngineError;
use super::biogenic::non_negative;
use super::items::{Cbam, Item};

/// The GWP sets a supplier declares other than the methodology's.
pub fn other_gwp_sets<'a>(d: &'a SupplierDeclaration, m: &Methodology) -> Vec<&'a str> {
    d.gwp_sets.iter().map(String::as_str).filter(|s| *s != m.rules.gwp.set).collect()
}

/// Fills supplier item `it` from declaration `s` for input `inp`.
pub(super) fn fill(
    it: &mut Item,
    inv: &Inventory,
    m: &Methodology,
    file: &str,
    inp: &Input,
    s: usize,
) -> Result<(), EngineError> {
    let d = &inv.suppliers[s];
    let a = inp.amount;
    let rule_error = |problem: String, help: &str| EngineError::Rule {
        file: file.into(),
        pointer: inp.pointer.clone(),
        problem,
        help: help.into(),
    };
    let counted = it.outside.is_none();
    if let Some(rules) = m.rules.suppliers.as_ref().filter(|_| counted) {
        let others = other_gwp_sets(d, m);
        if rules.other_gwp_set == OtherGwpSet::Error && !others.is_empty() {
            return Err(rule_error(
                format!(
                    "the declaration of {:?} ({}) was made with GWP set {}; methodology {} uses {} \
                     and refuses other sets (`suppliers.other_gwp_set = \"error\"`: {})",
                    d.product_name,
                    d.path.display(),
                    others.join(", "),
                    m.id(),
                    m.rules.gwp.set,
                    rules.clause
                ),
                "ask the supplier for a declaration made with the methodology's GWP set",
            ));
        }
        if rules.without_cbam_split == Some(WithoutSplit::Error) && d.cbam.is_none() {
            return Err(rule_error(
                format!(
                    "the declaration of {:?} ({}) has no direct/indirect split; methodology {} \
                     refuses to count a precursor's footprint as direct emissions in full \
                     (`suppliers.without_cbam_split = \"error\"`: {})",
                    d.product_name,
                    d.path.display(),
                    m.id(),
                    rules.clause
                ),
                "ask the supplier for its specific embedded emissions split into direct and \
                 indirect (the `urn:pcf:extension:cbam:1` extension: directEmbeddedEmissions, \
                 indirectEmbeddedEmissions)",
            ));
        }
    }
    it.supplier = Some(s);
    it.unspecified_co2e = a * d.fossil;
    it.unspecified_bio_non_co2 = a * d.biogenic_non_co2;
    let luc =
        non_negative(m, file, &inp.pointer, d.land_use_change, Some(d.land_use_change), || {
            format!(
                "the declaration of {:?} states landUseChangeGhgEmissions {} (below zero; PACT: \
             zero or above)",
                d.product_name, d.land_use_change
            )
        })?;
    it.luc = a * luc;
    // PACT declares uptake as zero or negative; the engine carries it as a positive removal.
    let uptake = non_negative(
        m,
        file,
        &inp.pointer,
        -d.biogenic_uptake_declared,
        Some(d.biogenic_uptake),
        || {
            format!(
                "the declaration of {:?} states biogenicCO2Uptake {} (above zero; PACT: zero or \
                 negative)",
                d.product_name, d.biogenic_uptake_declared
            )
        },
    )?;
    it.uptake = a * uptake;
    it.other = a * (d.excluding_uptake - d.fossil - d.biogenic_non_co2 - d.land_use_change);
    if it.other.abs() < 1e-12 * (a * d.excluding_uptake).abs().max(1.0) {
        it.other = 0.0;
    }
    if let Some((dir, ind)) = d.cbam {
        it.cbam = Cbam::Split { direct: a * dir, indirect: a * ind, indirect_counted: true };
        it.default_fraction = d.cbam_default_percent.map_or(0.0, |p| (p / 100.0).clamp(0.0, 1.0));
    }
    it.set_quality(super::quality::of_supplier(m, d), &inp.quality);
    if d.primary_data_share.is_none() {
        match m.rules.primary_data.supplier_without_share {
            None | Some(WithoutShare::Primary) | Some(WithoutShare::Secondary) => {}
            Some(WithoutShare::Error) if counted => {
                return Err(rule_error(
                    format!(
                        "the declaration of {:?} ({}) states no primaryDataShare; methodology {} \
                         requires it (`primary_data.supplier_without_share = \"error\"`: {})",
                        d.product_name,
                        d.path.display(),
                        m.id(),
                        m.rules.primary_data.clause
                    ),
                    "ask the supplier for a declaration with its primary data share",
                ));
            }
            Some(WithoutShare::Error) => {}
        }
    }
    if let Some(dqr) = d.dqr {
        it.dqr = Some(dqr);
    }
    Ok(())
}
