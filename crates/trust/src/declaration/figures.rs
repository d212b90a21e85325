//! What a declaration says about its data beyond the totals: which secondary emission-factor
//! sources the product's supply chain used (PACT `secondaryEmissionFactorSources`, present if
//! and only if secondary data was used).

use std::collections::BTreeSet;

use pcf_footprint::engine;
use pcf_footprint::inventory::{Factor, Inventory, PrecursorBasis, Source, SourceType};

use super::pact::EmissionFactorSource;

/// The version written when the inventory names a source without a version.
pub const VERSION_NOT_STATED: &str = "not stated";

/// The secondary emission-factor sources used by the processes that run for one unit of the
/// product (`supply`: each product's amount in its supply chain), sorted and without
/// repeats; `None` when the chain used no secondary factor.
///
/// A factor counts when it was applied: the factor of a purchased input, fuel or heat that is
/// not excluded; for electricity, the factor applied to the consumption instruments did not
/// cover (as the engine's electricity record names it) and the factors of the instruments
/// counted.
pub(super) fn secondary_sources(
    inv: &Inventory,
    fp: &engine::Footprint,
    supply: &[f64],
) -> Option<Vec<EmissionFactorSource>> {
    let mut used: BTreeSet<usize> = BTreeSet::new();
    let mut defaults: BTreeSet<EmissionFactorSource> = BTreeSet::new();
    // Under CBAM rules a precursor counts with its specific embedded emissions (secondary at
    // the Commission's default values), under others with its life-cycle factor.
    let cbam = fp.totals.indirect_not_counted.is_some();
    for proc_ in &inv.processes {
        if !proc_.outputs.iter().any(|o| supply[o.product] != 0.0) {
            continue;
        }
        for input in proc_.inputs.iter().filter(|i| i.excluded.is_none()) {
            match &input.source {
                Source::Database(f) | Source::Fuel(f) | Source::Heat(f) => {
                    used.insert(*f);
                }
                Source::Electricity { instruments, .. } => {
                    let Some(record) = fp
                        .electricity
                        .iter()
                        .find(|e| e.process == proc_.id && e.input == input.name)
                    else {
                        continue;
                    };
                    if record.consumed > record.covered
                        && let Some(f) =
                            inv.factors.iter().position(|f| f.id == record.uncovered_factor)
                    {
                        used.insert(f);
                    }
                    for (ins, use_) in instruments.iter().zip(&record.instruments) {
                        if let (Some(f), true) = (ins.factor, use_.counted && use_.used > 0.0) {
                            used.insert(f);
                        }
                    }
                }
                Source::Precursor(x) => {
                    let pre = &inv.precursors[*x];
                    match (&pre.basis, pre.factor) {
                        (PrecursorBasis::Default { dataset, .. }, _) if cbam => {
                            defaults.insert(EmissionFactorSource {
                                name: dataset.id.clone(),
                                version: dataset.version.clone(),
                            });
                        }
                        (_, Some(f)) if !cbam => {
                            used.insert(f);
                        }
                        _ => {}
                    }
                }
                Source::Product(_) | Source::Supplier(_) => {}
            }
        }
    }
    let mut sources: BTreeSet<EmissionFactorSource> = used
        .into_iter()
        .map(|f| &inv.factors[f])
        .filter(|f| f.quality.source == SourceType::Secondary)
        .map(source_of)
        .collect();
    sources.extend(defaults);
    (!sources.is_empty()).then(|| sources.into_iter().collect())
}

/// The source of one factor: a shipped dataset by id and version; a database the inventory
/// names (`dataset = "ecoinvent 3.9.1"`: the last word with a digit is the version); else the
/// factor's cited source, its version not stated.
fn source_of(f: &Factor) -> EmissionFactorSource {
    let Some(dataset) = f.dataset.as_deref().map(str::trim).filter(|d| !d.is_empty()) else {
        return EmissionFactorSource {
            name: f.source.trim().to_string(),
            version: VERSION_NOT_STATED.into(),
        };
    };
    // Shipped datasets are written "ID VERSION DIGEST".
    let words: Vec<&str> = dataset.split_whitespace().collect();
    if let [id, version, digest] = words.as_slice()
        && digest.starts_with("sha256:")
    {
        return EmissionFactorSource { name: id.to_string(), version: version.to_string() };
    }
    match dataset.rsplit_once(char::is_whitespace) {
        Some((name, version)) if version.chars().any(|c| c.is_ascii_digit()) => {
            EmissionFactorSource { name: name.trim().to_string(), version: version.to_string() }
        }
        _ => EmissionFactorSource { name: dataset.to_string(), version: VERSION_NOT_STATED.into() },
    }
}
