//! Notices: every default the engine applied that moves the number, and every datum it left
//! out or took at less than its face value, named with where it is and the methodology rule
//! that decided. `pcf footprint` prints them before the figures, `pcf check --methodology`
//! with its verdict, and the JSON result carries them (`notices`). `docs/defaults.md` lists
//! them all.

use serde::{Deserialize, Serialize};

use crate::inventory::{AllocationMethod, Inventory, PrecursorBasis, Source, SourceType};
use crate::methodology::{
    ElectricityAccounting, Methodology, TypedSupplierData, UnsignedSupplier, WithoutShare,
};

use super::method_name;
use super::result::ElectricityRecord;

/// How much a notice matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Data given were not used, or were used at less than face value: look at it.
    Warning,
    /// A default the methodology states was applied where the inventory was silent.
    Default,
}

/// One notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// Warning or default.
    pub level: Level,
    /// JSON pointer in the inventory.
    pub pointer: String,
    /// What was done.
    pub message: String,
    /// The methodology rule that decided (`section.key`).
    pub rule: String,
    /// What to do to change it.
    pub help: String,
}

/// The notices of `inv` under `m`, given the electricity decisions already made.
pub(super) fn collect(
    inv: &Inventory,
    m: &Methodology,
    electricity: &[ElectricityRecord],
) -> Vec<Notice> {
    let mut out = Vec::new();
    allocation(inv, m, &mut out);
    hourly_suppliers(inv, m, &mut out);
    // Whether each electricity input (by pointer) gives a residual-mix factor: one pass.
    let residual: std::collections::HashMap<&str, bool> = inv
        .processes
        .iter()
        .flat_map(|p| &p.inputs)
        .filter_map(|i| match &i.source {
            // A supplier of the uncovered electricity (a park) stands in for a residual mix.
            Source::Electricity { residual_mix, supplier, .. } => {
                Some((i.pointer.as_str(), residual_mix.is_some() || supplier.is_some()))
            }
            _ => None,
        })
        .collect();
    for e in electricity {
        electricity_notices(m, e, residual.get(e.pointer.as_str()).copied(), &mut out);
    }
    data(inv, m, &mut out);
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|n| seen.insert((n.pointer.clone(), n.message.clone())));
    out.sort_by_key(|n| n.level);
    out
}

fn allocation(inv: &Inventory, m: &Methodology, out: &mut Vec<Notice>) {
    let default = m.rules.allocation.default;
    for p in
        inv.processes.iter().filter(|p| p.outputs.len() > 1 && p.allocation_under(m.id()).is_none())
    {
        let name = method_name(default);
        let priced = p.outputs.iter().all(|o| o.price.is_some());
        if default != AllocationMethod::Economic && priced {
            let shares = |basis: &dyn Fn(&crate::inventory::Output) -> f64| -> String {
                let sum: f64 = p.outputs.iter().map(basis).sum();
                p.outputs
                    .iter()
                    .map(|o| {
                        format!("{} {:.1} %", inv.products[o.product].id.0, 100.0 * basis(o) / sum)
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let by_price = shares(&|o| o.price.unwrap_or(0.0) * o.amount);
            let allowed = m.rules.allocation.allowed.contains(&AllocationMethod::Economic);
            out.push(Notice {
                level: Level::Warning,
                pointer: format!("{}/allocation", p.pointer),
                message: format!(
                    "process {:?} is allocated by {name}, the default of {} \
                     (`allocation.default`); the prices on its outputs are not used (by price it \
                     would be {by_price})",
                    p.id,
                    m.id()
                ),
                rule: "allocation.default".into(),
                help: if allowed {
                    format!(
                        "state the choice on the process: `allocation = \"{name}\"` keeps this, \
                         `allocation = \"economic\"` allocates by price ({} allows it)",
                        m.id()
                    )
                } else {
                    format!(
                        "state `allocation = \"{name}\"` on the process to confirm it; {} does \
                         not allow economic allocation",
                        m.id()
                    )
                },
            });
        } else {
            out.push(Notice {
                level: Level::Default,
                pointer: format!("{}/allocation", p.pointer),
                message: format!(
                    "process {:?} is allocated by {name}, the default of {} (`allocation.default`)",
                    p.id,
                    m.id()
                ),
                rule: "allocation.default".into(),
                help: format!(
                    "state `allocation = \"{name}\"` (or another allowed method) on the process"
                ),
            });
        }
    }
}

fn electricity_notices(
    m: &Methodology,
    e: &ElectricityRecord,
    residual: Option<bool>,
    out: &mut Vec<Notice>,
) {
    for (ni, ins) in e.instruments.iter().enumerate() {
        let pointer = format!("{}/instruments/{ni}", e.pointer);
        if !ins.counted && m.rules.electricity.accounting == ElectricityAccounting::MarketBased {
            out.push(Notice {
                level: Level::Warning,
                pointer: pointer.clone(),
                message: format!(
                    "{} instrument{} of {} not counted: {}",
                    ins.kind,
                    ins.serial.as_ref().map(|s| format!(" {s}")).unwrap_or_default(),
                    e.input,
                    ins.reason
                ),
                rule: "electricity.accepted_instruments, electricity.require_serial".into(),
                help:
                    "give the instrument's serial and a kind the methodology accepts, or remove it"
                        .into(),
            });
        }
        if let Some(f) = &ins.default_factor {
            out.push(Notice {
                level: Level::Default,
                pointer,
                message: format!("{} instrument of {} has no emission factor: counted at {f}", ins.kind, e.input),
                rule: "electricity.instrument_without_factor".into(),
                help: "give the instrument the emission factor of its generator (`factor = ...`) where it is known".into(),
            });
        }
    }
    if m.rules.electricity.accounting == ElectricityAccounting::MarketBased
        && residual == Some(false)
        && e.covered < e.consumed
    {
        out.push(Notice {
            level: Level::Default,
            pointer: e.pointer.clone(),
            message: format!(
                "{}: the {} {} not covered by instruments take the grid average {} for want of a \
                 residual-mix factor (market-based accounting, `electricity.uncovered`)",
                e.input,
                e.consumed - e.covered,
                e.unit,
                e.uncovered_factor
            ),
            rule: "electricity.uncovered".into(),
            help: "give `residual_mix = \"...\"` on the input where the grid's residual mix is \
                   published (China publishes none; the grid average is then the rule)"
                .into(),
        });
    }
}

fn data(inv: &Inventory, m: &Methodology, out: &mut Vec<Notice>) {
    let rules = &m.rules.primary_data;
    for p in &inv.processes {
        for i in &p.inputs {
            match &i.source {
                Source::Supplier(s) => {
                    let d = &inv.suppliers[*s];
                    if !d.signed {
                        let counted = match rules.unsigned_supplier {
                            None | Some(UnsignedSupplier::Refuse) => {
                                "`pcf declare` refuses it unless told to record it as unverified"
                            }
                            Some(UnsignedSupplier::DeclaredShare) => {
                                "its declared primary data share counts; it is declared as unsigned"
                            }
                            Some(UnsignedSupplier::Secondary) => {
                                "it counts as secondary data; it is declared as unsigned"
                            }
                        };
                        out.push(Notice {
                            level: Level::Warning,
                            pointer: format!("{}/declaration", i.pointer),
                            message: format!(
                                "{} ({}) is an unsigned PACT footprint: {counted}",
                                d.product_name,
                                d.path.display()
                            ),
                            rule: "primary_data.unsigned_supplier".into(),
                            help: "ask the supplier for a signed declaration (pcf declare, or any eddsa-jcs-2022 issuer)".into(),
                        });
                    }
                    if d.primary_data_share.is_none()
                        && rules.supplier_without_share == Some(WithoutShare::Secondary)
                    {
                        out.push(Notice {
                            level: Level::Default,
                            pointer: format!("{}/declaration", i.pointer),
                            message: format!(
                                "{} states no primaryDataShare: counted as secondary data",
                                d.product_name
                            ),
                            rule: "primary_data.supplier_without_share".into(),
                            help: "ask the supplier for its primary data share".into(),
                        });
                    }
                }
                Source::Database(f) => {
                    let q = &inv.factors[*f].quality;
                    if q.source == SourceType::SupplierSpecific
                        && q.primary_data_share.is_none()
                        && rules.supplier_typed == Some(TypedSupplierData::StatedShare)
                    {
                        let counted = match rules.supplier_without_share {
                            None | Some(WithoutShare::Primary) => "primary data in full",
                            _ => "secondary data",
                        };
                        out.push(Notice {
                            level: Level::Default,
                            pointer: inv.factors[*f].pointer.clone(),
                            message: format!(
                                "factor {:?} is a supplier's figure typed in, with no primary data \
                                 share stated: {} counts it as {counted}",
                                inv.factors[*f].id,
                                m.id()
                            ),
                            rule: "primary_data.supplier_typed".into(),
                            help: "add `primary_data_share` (percent, as the supplier's document \
                                   states it) to the factor's quality, or use the supplier's \
                                   declaration file as a `supplier` input"
                                .into(),
                        });
                    }
                }
                Source::Precursor(x) if m.rules.cbam.is_some() => {
                    precursor_notice(inv, m, *x, &i.pointer, out);
                }
                _ => {}
            }
        }
    }
}

/// A precursor at the EU default value: the values it took (direct and indirect, without the
/// mark-up), and the table of "Other countries and territories" where its country had none.
fn precursor_notice(
    inv: &Inventory,
    m: &Methodology,
    x: usize,
    pointer: &str,
    out: &mut Vec<Notice>,
) {
    let pre = &inv.precursors[x];
    if let PrecursorBasis::Default { fallback, .. } = &pre.basis {
        out.push(Notice {
            level: Level::Default,
            pointer: format!("{pointer}/default_value"),
            message: format!(
                "precursor CN {} counted at the EU default value: direct {} and indirect {} t \
                 CO2e per t, without the mark-up ({}){}",
                pre.cn,
                pre.direct,
                pre.indirect,
                pre.basis.describe(),
                if fallback.is_some() { "; the country has no value of its own" } else { "" }
            ),
            rule: "cbam.precursor_default_values".into(),
            help: format!(
                "ask the producer for its communication of actual values (`pcf cbam import`); \
                 {} reports the share based on default values",
                m.id()
            ),
        });
    }
}

/// Energy bought from a supplier with an hourly intensity, counted at that intensity weighted
/// by when it was used (hourly matching).
fn hourly_suppliers(inv: &Inventory, m: &Methodology, out: &mut Vec<Notice>) {
    for inp in inv.processes.iter().flat_map(|p| &p.inputs) {
        let Source::Supplier(s) = inp.source else { continue };
        let d = &inv.suppliers[s];
        let Ok(Some(w)) = super::supplier::hourly_weighted(inv, m, inp, d) else { continue };
        out.push(Notice {
            level: Level::Default,
            pointer: inp.pointer.clone(),
            message: format!(
                "{:?} counted at the supplier's hourly intensity weighted by this input's \
                 profile: {} kg CO2e/{} (its declared annual figure: {}); {}",
                d.product_name,
                super::electricity::fmt_amount(w),
                d.unit.symbol(),
                super::electricity::fmt_amount(d.excluding_uptake),
                inp.profile.as_ref().map_or(String::new(), |p| p.source.clone())
            ),
            rule: "electricity.matching".into(),
            help: "a methodology without hourly matching counts the declared annual figure".into(),
        });
    }
}
