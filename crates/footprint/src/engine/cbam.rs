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

use crate::inventory::{ClassificationScheme, Inventory};
use crate::methodology::{CbamCategory, CbamRules, Methodology};

use super::EngineError;
use super::items::{Cbam, Item, ItemKind};

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
            (ItemKind::Supplier, Cbam::Split { direct, indirect, .. }) => {
                let own = it
                    .supplier
                    .and_then(|s| inv.suppliers[s].cn.as_deref())
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
