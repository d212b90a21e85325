//! EU CBAM scope, from a methodology's `[cbam]` section: each production process is classified
//! by the CN codes of the goods it makes; the electricity of a process making goods that count
//! only direct emissions (Annex II of Regulation (EU) 2023/956) becomes "indirect not
//! counted", a supplier's declared indirect figure follows the supplier's good; gases outside a
//! good's category and, where the file says so, figures given only as CO2e are errors.
//!
//! Classifying each indirect emission once, at the process that consumed the electricity, is
//! the precursor rule of Implementing Regulation (EU) 2025/2547 Annex I point 3.1: the linear
//! solve then carries a non-Annex-II precursor's counted indirect emissions into an Annex II
//! good, and leaves an Annex II precursor's out of a non-Annex-II good.

use crate::inventory::PrecursorBasis;
use crate::inventory::{ClassificationScheme, Input, Inventory};
use crate::methodology::{CbamCategory, CbamRules, Methodology};

use super::items::{Cbam, Item, ItemKind};
use super::{CbamGood, EngineError, ch};
use crate::units::{Dimension, Unit};

/// Applies `rules` to `items`, given each process's allocation shares.
pub(super) fn apply(
    inv: &Inventory,
    m: &Methodology,
    rules: &CbamRules,
    shares: &[Vec<f64>],
    items: &mut [Item],
) -> Result<(), EngineError> {
    let file = inv.path.display().to_string();
    let classes = inv
        .processes
        .iter()
        .zip(shares)
        .map(|(p, shares)| {
            let mut cats: Vec<&CbamCategory> = Vec::new();
            for (o, share) in p.outputs.iter().zip(shares) {
                if *share == 0.0 {
                    continue;
                }
                let product = &inv.products[o.product];
                let cn = match &product.classification {
                    Some((ClassificationScheme::Cn, code)) => Some(code.as_str()),
                    _ => None,
                };
                let Some(cat) = cn.and_then(|c| rules.category(c)) else {
                    return Err(EngineError::Rule {
                        file: file.clone(),
                        pointer: o.pointer.clone(),
                        problem: format!(
                            "output {:?} of process {:?} receives emissions under {} but {}, so \
                             its CBAM category (Regulation (EU) 2023/956 Annex I) is unknown",
                            product.id.0,
                            p.id,
                            m.id(),
                            match cn {
                                Some(c) => format!("CN {c} is in no category of its [cbam] rules"),
                                None => "it has no CN classification".into(),
                            }
                        ),
                        help: "give the product `classification = { scheme = \"CN\", code = \
                               \"...\" }` of a CBAM good, or attribute nothing to it \
                               (`physical = 0`)"
                            .into(),
                    });
                };
                cats.push(cat);
            }
            if let Some(first) = cats.first()
                && let Some(other) = cats.iter().find(|c| c.direct_only != first.direct_only)
            {
                return Err(EngineError::Rule {
                    file: file.clone(),
                    pointer: format!("{}/outputs", p.pointer),
                    problem: format!(
                        "process {:?} makes goods of category {} (direct emissions only) and of \
                         category {} (direct and indirect), so its electricity cannot be \
                         attributed (Regulation (EU) 2023/956 Art. 7(1) and Annex II)",
                        p.id,
                        if first.direct_only { &first.name } else { &other.name },
                        if first.direct_only { &other.name } else { &first.name },
                    ),
                    help: "model one production process per category of goods".into(),
                });
            }
            Ok(cats)
        })
        .collect::<Result<Vec<_>, _>>()?;

    for it in items.iter_mut() {
        if it.outside.is_some() {
            continue;
        }
        if let Some(x) = it.precursor
            && matches!(inv.precursors[x].basis, PrecursorBasis::Default { .. })
            && rules.precursor_default_values.is_none()
        {
            return Err(EngineError::Rule {
                file: file.clone(),
                pointer: it.pointer.clone(),
                problem: format!(
                    "{:?} is a precursor at the Commission's default value, and methodology {} \
                     does not say how such precursors count (`[cbam] precursor_default_values`)",
                    it.label,
                    m.id()
                ),
                help: "compute with a version of the methodology that has the rule (`pcf \
                       methodology list`), or give the supplier's actual values"
                    .into(),
            });
        }
        let cats = &classes[it.process];
        let direct_only = cats.first().is_some_and(|c| c.direct_only);
        for g in &it.gases {
            if let Some(cat) = cats.iter().find(|c| !c.gases.contains(&g.gas)) {
                return Err(EngineError::Rule {
                    file: file.clone(),
                    pointer: it.pointer.clone(),
                    problem: format!(
                        "{:?} emits {:?}, which is not a greenhouse gas of {} goods: Regulation \
                         (EU) 2023/956 Annex I lists for them only {} ({})",
                        it.label,
                        g.gas,
                        cat.name,
                        cat.gases.join(", "),
                        cat.clause
                    ),
                    help: format!(
                        "give this input's factor with the CBAM gases only (for example a \
                         CO2-only combustion factor, as the EU ETS monitors); {} refuses other gases",
                        m.id()
                    ),
                });
            }
        }
        match (it.kind, it.cbam) {
            (ItemKind::Electricity, Cbam::Indirect { .. }) => {
                it.cbam = Cbam::Indirect { counted: !direct_only };
            }
            (ItemKind::Supplier | ItemKind::Precursor, Cbam::Split { direct, indirect, .. }) => {
                let own = it
                    .supplier
                    .and_then(|s| inv.suppliers[s].cn.as_deref())
                    .or_else(|| it.precursor.map(|x| inv.precursors[x].cn.as_str()))
                    .and_then(|c| rules.category(c));
                let direct_only = own.map_or(direct_only, |c| c.direct_only);
                it.cbam = Cbam::Split { direct, indirect, indirect_counted: !direct_only };
                continue;
            }
            _ => {}
        }
        let undifferentiated =
            it.unspecified_co2e != 0.0 || it.unspecified_bio_non_co2 != 0.0 || it.other != 0.0;
        if rules.gas_resolved_only && undifferentiated {
            let (what, help) = if it.kind == ItemKind::Supplier {
                (
                    "a supplier footprint without a CBAM split (direct and indirect embedded \
                     emissions)",
                    "use the supplier's CBAM communication: a declaration with the \
                     urn:pcf:extension:cbam:1 extension",
                )
            } else {
                (
                    "a factor given only as CO2e",
                    "give the factor by gas (`gases = { \"co2-fossil\" = ... }`)",
                )
            };
            return Err(EngineError::Rule {
                file: file.clone(),
                pointer: it.pointer.clone(),
                problem: format!(
                    "{:?} is {what}: {} counts only the gases Regulation (EU) 2023/956 Annex I \
                     lists per good (gas_resolved_only), which a CO2e figure does not show",
                    it.label,
                    m.id()
                ),
                help: help.into(),
            });
        }
    }
    Ok(())
}

/// Fills the item of precursor input `inp` (precursor `x`): under `[cbam]` rules its
/// specific direct and indirect embedded emissions times the tonnes consumed (Implementing
/// Regulation (EU) 2025/2547 Annex III: a precursor's SEE weighted by the mass consumed per
/// tonne of good); under other rules its life-cycle `factor`, which it must have, since a CBAM
/// figure is not a life-cycle footprint.
pub(super) fn precursor(
    it: &mut Item,
    inv: &Inventory,
    m: &Methodology,
    file: &str,
    inp: &Input,
    x: usize,
) -> Result<(), EngineError> {
    let pre = &inv.precursors[x];
    it.precursor = Some(x);
    if m.rules.cbam.is_some() {
        let a = inp.amount;
        it.unspecified_co2e = a * (pre.direct + pre.indirect);
        it.cbam = Cbam::Split {
            direct: a * pre.direct,
            indirect: a * pre.indirect,
            indirect_counted: true,
        };
        it.default_fraction = pre.basis.default_fraction();
        it.set_quality(super::quality::of_precursor(pre), &inp.quality);
        return Ok(());
    }
    let Some(f) = pre.factor else {
        return Err(EngineError::Rule {
            file: file.into(),
            pointer: inp.pointer.clone(),
            problem: format!(
                "precursor {:?} (CN {}) has only CBAM specific embedded emissions ({}), which \
                 cover the CBAM system boundary, not a life cycle; methodology {} has no \
                 [cbam] rules and needs a life-cycle figure",
                it.label,
                pre.cn,
                pre.basis.describe(),
                m.id()
            ),
            help: "give the input a `factor` (an id in `factors`) for life-cycle methodologies; \
                   the CBAM figures stay in use under eu-cbam-2026"
                .into(),
        });
    };
    let factor = &inv.factors[f];
    let k = crate::units::Unit::KG.factor_to(factor.per).map_err(|e| EngineError::Rule {
        file: file.into(),
        pointer: format!("{}/factor", inp.pointer),
        problem: format!("{e}: factor {:?} cannot value a precursor measured by mass", factor.id),
        help: "give the precursor's life-cycle factor per unit of mass (kg or t)".into(),
    })?;
    it.add_factor(m, file, factor, inp.amount * k)
}

/// The specific embedded emissions of product `j` if it is a CBAM good under `rules`, from its
/// per-declared-unit channel values `v`: divided by the tonnes of good in a declared unit (MWh
/// for a good declared per unit of energy, electricity).
pub(super) fn good(
    inv: &Inventory,
    rules: &CbamRules,
    j: usize,
    v: impl Fn(usize) -> f64,
) -> Option<CbamGood> {
    let product = &inv.products[j];
    let cn = match &product.classification {
        Some((ClassificationScheme::Cn, code)) => code,
        _ => return None,
    };
    let category = rules.category(cn)?;
    let (unit, per) = if product.unit.dimension() == Dimension::Energy {
        ("MWh", product.unit.factor_to(Unit::KWH).ok()? / 1000.0)
    } else {
        ("t", product.mass_per_declared_unit / 1000.0)
    };
    if per <= 0.0 {
        return None;
    }
    // kg CO2e per declared unit -> t CO2e per unit of good.
    let see = |c: usize| v(c) / 1000.0 / per;
    let (direct, indirect) = (see(ch::DIRECT), see(ch::INDIRECT));
    let counted = v(ch::COUNTED);
    Some(CbamGood {
        cn: cn.clone(),
        category: category.name.clone(),
        route: inv.processes[product.made_by.0].route.clone(),
        unit: unit.into(),
        per_declared_unit: per,
        direct,
        indirect,
        indirect_not_counted: see(ch::INDIRECT_NOT_COUNTED),
        embedded: direct + indirect,
        default_value_percent: if counted > 0.0 {
            100.0 * v(ch::CBAM_DEFAULT) / counted
        } else {
            0.0
        },
    })
}
