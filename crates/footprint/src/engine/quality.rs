//! Data quality: the one classification of every datum the footprint rests on (an own
//! measurement, a supplier's signed or unsigned declaration, a supplier's figure typed in from
//! a document, a database value) and the fraction of it that counts as primary data under the
//! methodology's `[primary_data]` rules. The footprint, the declaration and the audit trace all
//! take the class from here, so one input cannot be primary in one and secondary in another.

use serde::{Deserialize, Serialize};

use crate::inventory::{
    Input, Inventory, Precursor, PrecursorBasis, Quality, Source, SourceType, SupplierDeclaration,
};
use crate::methodology::{Methodology, TypedSupplierData, UnsignedSupplier, WithoutShare};

/// Where a datum comes from, as the primary data share counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataClass {
    /// Measured or metered at the reporting company's own sites (with any emission factor,
    /// where the methodology counts metered energy as primary).
    OwnMeasurement,
    /// A supplier's declaration that carries a proof (checked by `pcf declare` and `pcf
    /// verify`).
    SupplierSigned,
    /// A supplier's PACT footprint without a proof.
    SupplierUnsigned,
    /// A supplier's figure typed in from a document: a factor labelled `supplier-specific`.
    SupplierTyped,
    /// A database or literature value.
    Secondary,
}

/// Every class, in the order of [`DataClass::index`].
pub const CLASSES: [DataClass; 5] = [
    DataClass::OwnMeasurement,
    DataClass::SupplierSigned,
    DataClass::SupplierUnsigned,
    DataClass::SupplierTyped,
    DataClass::Secondary,
];

impl DataClass {
    /// The kebab-case name people and JSON see.
    pub fn name(self) -> &'static str {
        match self {
            DataClass::OwnMeasurement => "own-measurement",
            DataClass::SupplierSigned => "supplier-signed",
            DataClass::SupplierUnsigned => "supplier-unsigned",
            DataClass::SupplierTyped => "supplier-typed",
            DataClass::Secondary => "secondary",
        }
    }

    /// Its position in [`CLASSES`] (and among the engine's data channels).
    pub fn index(self) -> usize {
        match self {
            DataClass::OwnMeasurement => 0,
            DataClass::SupplierSigned => 1,
            DataClass::SupplierUnsigned => 2,
            DataClass::SupplierTyped => 3,
            DataClass::Secondary => 4,
        }
    }
}

/// A datum's class and the fraction of it (0 to 1) that counts as primary data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Classified {
    /// The class.
    pub class: DataClass,
    /// Fraction counted as primary data.
    pub primary: f64,
}

/// A datum described by its quality (`source`): an emission, a process's own figure, a factor.
/// A `supplier-specific` datum that is not a supplier's declaration is a figure typed in.
pub fn of_quality(m: &Methodology, q: &Quality) -> Classified {
    match q.source {
        SourceType::Primary => Classified { class: DataClass::OwnMeasurement, primary: 1.0 },
        SourceType::Secondary => Classified { class: DataClass::Secondary, primary: 0.0 },
        SourceType::SupplierSpecific => {
            let rules = &m.rules.primary_data;
            let primary = match rules.supplier_typed {
                None | Some(TypedSupplierData::Primary) => 1.0,
                Some(TypedSupplierData::StatedShare) => match q.primary_data_share {
                    Some(s) => (s / 100.0).clamp(0.0, 1.0),
                    None => without_share(m),
                },
            };
            Classified { class: DataClass::SupplierTyped, primary }
        }
    }
}

/// A supplier's declared footprint.
pub fn of_supplier(m: &Methodology, d: &SupplierDeclaration) -> Classified {
    let rules = &m.rules.primary_data;
    let class = if d.signed { DataClass::SupplierSigned } else { DataClass::SupplierUnsigned };
    let declared = match d.primary_data_share {
        Some(s) if rules.use_supplier_share => (s / 100.0).clamp(0.0, 1.0),
        Some(_) => 1.0,
        None => without_share(m),
    };
    let primary = match (class, rules.unsigned_supplier) {
        (DataClass::SupplierUnsigned, Some(UnsignedSupplier::Secondary)) => 0.0,
        _ => declared,
    };
    Classified { class, primary }
}

/// A CBAM precursor's specific embedded emissions: the producer's actual values, typed in or
/// read from its communication, are primary data but for the share it based on default values;
/// the Commission's default values are secondary.
pub fn of_precursor(pre: &Precursor) -> Classified {
    match pre.basis {
        PrecursorBasis::Default { .. } => Classified { class: DataClass::Secondary, primary: 0.0 },
        _ => Classified {
            class: DataClass::SupplierTyped,
            primary: (1.0 - pre.basis.default_fraction()).clamp(0.0, 1.0),
        },
    }
}

/// What a supplier's figure without a stated share counts as (`supplier_without_share`; an
/// `error` is raised where the declaration is read, so here it counts as nothing).
fn without_share(m: &Methodology) -> f64 {
    match m.rules.primary_data.supplier_without_share {
        None | Some(WithoutShare::Primary) => 1.0,
        Some(WithoutShare::Secondary) | Some(WithoutShare::Error) => 0.0,
    }
}

/// Input `inp` of process `pi`: a supplier's declaration, or a factor-based input whose
/// factor's quality decides, except that fuel, electricity and heat metered at a process whose
/// own data are primary count as an own measurement where the methodology says so. `None` for
/// a product made in the inventory (its own data are classified where they arise).
pub fn of_input(inv: &Inventory, m: &Methodology, pi: usize, inp: &Input) -> Option<Classified> {
    let factor = match &inp.source {
        Source::Product(_) => return None,
        Source::Supplier(s) => return Some(of_supplier(m, &inv.suppliers[*s])),
        Source::Precursor(x) => {
            let pre = &inv.precursors[*x];
            match (&m.rules.cbam, pre.factor) {
                (None, Some(f)) => f,
                _ => return Some(of_precursor(pre)),
            }
        }
        Source::Database(f) => *f,
        Source::Fuel(f) | Source::Heat(f) | Source::Electricity { grid: f, .. } => {
            if m.rules.primary_data.metered_energy_is_primary
                && inv.processes[pi].quality.source == SourceType::Primary
            {
                return Some(Classified { class: DataClass::OwnMeasurement, primary: 1.0 });
            }
            *f
        }
    };
    Some(of_quality(m, &inv.factors[factor].quality))
}
