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
    // Under hourly matching, energy bought from a supplier that declares its hourly intensity
    // (a park's electricity) counts at that intensity weighted by when it was used: the
    // declared figures are scaled by the weighted over the annual intensity.
    let a = match hourly_weighted(inv, m, inp, d).map_err(|problem| EngineError::Rule {
        file: file.into(),
        pointer: inp.pointer.clone(),
        problem,
        help: "give the input a profile within the supplier's reference period, or ask the \
               supplier for a declaration whose hourly intensity covers it"
            .into(),
    })? {
        Some(w) if d.excluding_uptake > 0.0 => inp.amount * w / d.excluding_uptake,
        _ => inp.amount,
    };
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

/// The supplier's hourly intensity weighted by the input's profile, kg CO2e per declared unit,
/// when the methodology matches hourly and both are there; an error names the hour the
/// declaration does not cover.
pub(super) fn hourly_weighted(
    inv: &Inventory,
    m: &Methodology,
    inp: &Input,
    d: &SupplierDeclaration,
) -> Result<Option<f64>, String> {
    use crate::timeseries::Granularity;
    let (Some(h), Some(profile), Some(grid)) = (&d.hourly, &inp.profile, &inv.grid) else {
        return Ok(None);
    };
    if m.rules.electricity.matching != Some(Granularity::Hourly) {
        return Ok(None);
    }
    weighted(h, grid, &profile.values, d)
}

/// `h` weighted by energy per slot of `grid`; the error names a slot it does not cover.
pub(super) fn weighted(
    h: &crate::inventory::HourlyIntensity,
    grid: &crate::timeseries::Grid,
    values: &[f64],
    d: &SupplierDeclaration,
) -> Result<Option<f64>, String> {
    let start: jiff::Timestamp = h
        .start
        .parse()
        .map_err(|e| format!("the supplier's hourly intensity starts at {:?}: {e}", h.start))?;
    let step = i64::from(h.step_minutes.max(1)) * 60;
    let (mut kg, mut used) = (0.0, 0.0);
    for (i, v) in values.iter().enumerate() {
        if *v == 0.0 {
            continue;
        }
        let t = grid.slot_start(i);
        let offset = t.as_second() - start.as_second();
        let k = offset.div_euclid(step);
        let Some(intensity) = usize::try_from(k).ok().and_then(|k| h.kg_co2e_per_unit.get(k))
        else {
            return Err(format!(
                "the declaration of {:?} ({}) gives its hourly intensity from {} for {} \
                 intervals of {} minutes; this input uses energy at {t}, outside them",
                d.product_name,
                d.path.display(),
                h.start,
                h.kg_co2e_per_unit.len(),
                h.step_minutes
            ));
        };
        kg += v * intensity;
        used += v;
    }
    Ok((used > 0.0).then(|| kg / used))
}

/// The electricity an input's instruments leave uncovered, bought from supplier `s` (a park's
/// utility declaration): counted at the declaration's figures, scaled under hourly matching to
/// its hourly intensity weighted by the consumption left uncovered in each hour.
#[allow(clippy::too_many_arguments)]
pub(super) fn uncovered(
    it: &mut Item,
    inv: &Inventory,
    m: &Methodology,
    file: &str,
    inp: &Input,
    s: usize,
    grid_f: &crate::inventory::Factor,
    left: f64,
    unmatched: Option<Vec<f64>>,
    record: &mut super::result::ElectricityRecord,
) -> Result<(), EngineError> {
    use crate::timeseries::Granularity;
    let d = &inv.suppliers[s];
    let rule = |problem: String| EngineError::Rule {
        file: file.into(),
        pointer: inp.pointer.clone(),
        problem,
        help: "the supplier's declaration must be per unit of energy and cover the hours of \
               the consumption"
            .into(),
    };
    let to_decl = grid_f.per.factor_to(d.unit).map_err(|e| {
        rule(format!(
            "the electricity supplier's declaration {:?} is per {}, which does not convert \
             from the grid factor's {}: {e}",
            d.product_name, d.unit, grid_f.per
        ))
    })?;
    let amount = left * to_decl;
    let hourly = m.rules.electricity.matching == Some(Granularity::Hourly);
    let intensity = match (hourly, &d.hourly, &inv.grid, &unmatched) {
        (true, Some(h), Some(grid), Some(u)) if u.len() == grid.len() => {
            weighted(h, grid, u, d).map_err(rule)?
        }
        _ => None,
    };
    let scale = match intensity {
        Some(w) if d.excluding_uptake > 0.0 => w / d.excluding_uptake,
        _ => 1.0,
    };
    let a = amount * scale;
    it.supplier = Some(s);
    it.unspecified_co2e += a * d.fossil;
    it.unspecified_bio_non_co2 += a * d.biogenic_non_co2;
    it.luc += a * d.land_use_change;
    it.other += a * (d.excluding_uptake - d.fossil - d.biogenic_non_co2 - d.land_use_change);
    record.uncovered_factor = format!(
        "supplier declaration {:?} ({})",
        d.product_name,
        d.pf_id.as_deref().map_or_else(|| d.digest.to_string(), |id| format!("pf id {id}"))
    );
    record.uncovered_source = d.path.display().to_string();
    record.notes.push(match intensity {
        Some(w) => format!(
            "the {} {} not covered by instruments are bought from {:?} at its hourly intensity \
             weighted by the hours they were used in: {} kg CO2e/{} (its declared figure: {})",
            super::electricity::fmt_amount(left),
            record.unit,
            d.product_name,
            super::electricity::fmt_amount(w),
            d.unit.symbol(),
            super::electricity::fmt_amount(d.excluding_uptake)
        ),
        None => format!(
            "the {} {} not covered by instruments are bought from {:?} at its declared {} kg \
             CO2e/{}",
            super::electricity::fmt_amount(left),
            record.unit,
            d.product_name,
            super::electricity::fmt_amount(d.excluding_uptake),
            d.unit.symbol()
        ),
    });
    Ok(())
}
