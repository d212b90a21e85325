//! Units of measure: which units `pcf` understands, their dimension, and exact conversions
//! within a dimension. Converting across dimensions (kilograms to kilowatt hours) is refused:
//! such a conversion needs a property of the material, which an inventory must state. Money
//! (for spend-based factors, kg CO2e per US dollar) is a dimension of its own: it converts to
//! nothing else, and currencies are not converted into each other (exchange rates and price
//! years are the user's to apply).

use std::fmt;
use std::str::FromStr;

/// A physical dimension; units convert only within one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dimension {
    /// Mass (base: kilogram).
    Mass,
    /// Energy (base: megajoule).
    Energy,
    /// Volume (base: cubic metre).
    Volume,
    /// Area (base: square metre).
    Area,
    /// Countable items (base: piece).
    Count,
    /// Freight transport work (base: tonne kilometre).
    TransportWork,
    /// Money (base: US dollar), the amount of a spend-based factor.
    Money,
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dimension::Mass => "mass",
            Dimension::Energy => "energy",
            Dimension::Volume => "volume",
            Dimension::Area => "area",
            Dimension::Count => "count",
            Dimension::TransportWork => "transport work",
            Dimension::Money => "money",
        })
    }
}

/// A unit of measure, written by its symbol in inventory files.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    symbol: &'static str,
    dimension: Dimension,
    /// How many base units of the dimension one of this unit is.
    in_base: f64,
}

/// Every unit `pcf` knows: symbol, dimension, size in the dimension's base unit.
const UNITS: &[(&str, Dimension, f64)] = &[
    ("g", Dimension::Mass, 1e-3),
    ("kg", Dimension::Mass, 1.0),
    ("t", Dimension::Mass, 1e3),
    ("kt", Dimension::Mass, 1e6),
    ("J", Dimension::Energy, 1e-6),
    ("kJ", Dimension::Energy, 1e-3),
    ("MJ", Dimension::Energy, 1.0),
    ("GJ", Dimension::Energy, 1e3),
    ("TJ", Dimension::Energy, 1e6),
    ("Wh", Dimension::Energy, 3.6e-3),
    ("kWh", Dimension::Energy, 3.6),
    ("MWh", Dimension::Energy, 3.6e3),
    ("GWh", Dimension::Energy, 3.6e6),
    ("ml", Dimension::Volume, 1e-6),
    ("l", Dimension::Volume, 1e-3),
    ("m3", Dimension::Volume, 1.0),
    ("m2", Dimension::Area, 1.0),
    ("piece", Dimension::Count, 1.0),
    ("kgkm", Dimension::TransportWork, 1e-3),
    ("tkm", Dimension::TransportWork, 1.0),
    ("USD", Dimension::Money, 1.0),
];

impl Unit {
    /// The kilogram.
    pub const KG: Unit = Unit { symbol: "kg", dimension: Dimension::Mass, in_base: 1.0 };
    /// The kilowatt hour.
    pub const KWH: Unit = Unit { symbol: "kWh", dimension: Dimension::Energy, in_base: 3.6 };

    /// The symbol, as written in files.
    pub fn symbol(&self) -> &'static str {
        self.symbol
    }

    /// The dimension.
    pub fn dimension(&self) -> Dimension {
        self.dimension
    }

    /// The factor that converts an amount in `self` to an amount in `to`, or an error when the
    /// dimensions differ.
    pub fn factor_to(&self, to: Unit) -> Result<f64, UnitError> {
        if self.dimension != to.dimension {
            return Err(UnitError::DimensionMismatch { from: *self, to });
        }
        Ok(self.in_base / to.in_base)
    }

    /// All known symbols, for error messages and the schema.
    pub fn symbols() -> impl Iterator<Item = &'static str> {
        UNITS.iter().map(|u| u.0)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol)
    }
}

impl FromStr for Unit {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let alias = match s {
            "kilogram" => "kg",
            "tonne" | "ton" => "t",
            "kilowatt hour" => "kWh",
            "megajoule" => "MJ",
            "liter" | "litre" | "L" => "l",
            "cubic meter" => "m3",
            "square meter" => "m2",
            "ton kilometer" => "tkm",
            "pcs" | "unit" => "piece",
            other => other,
        };
        UNITS
            .iter()
            .find(|u| u.0 == alias)
            .map(|&(symbol, dimension, in_base)| Unit { symbol, dimension, in_base })
            .ok_or_else(|| UnitError::Unknown { unit: s.to_string() })
    }
}

/// Why a unit was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UnitError {
    /// The symbol is not a unit `pcf` knows.
    #[error("unknown unit {unit:?} (known units: {})", Unit::symbols().collect::<Vec<_>>().join(", "))]
    Unknown {
        /// The symbol as written.
        unit: String,
    },
    /// The two units measure different things.
    #[error("cannot convert {from} ({}) to {to} ({})", from.dimension, to.dimension)]
    DimensionMismatch {
        /// The unit of the amount.
        from: Unit,
        /// The unit it was to be converted to.
        to: Unit,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Unit {
        s.parse().unwrap()
    }

    #[test]
    fn converts_within_a_dimension() {
        assert_eq!(u("t").factor_to(u("kg")).unwrap(), 1000.0);
        assert_eq!(u("MWh").factor_to(u("GJ")).unwrap(), 3.6);
        assert_eq!(u("TJ").factor_to(u("GJ")).unwrap(), 1000.0);
        assert!((u("kWh").factor_to(u("MJ")).unwrap() - 3.6).abs() < 1e-15);
        assert_eq!(u("l").factor_to(u("m3")).unwrap(), 1e-3);
        assert_eq!(u("kilogram"), Unit::KG);
    }

    #[test]
    fn refuses_across_dimensions_and_unknown_units() {
        assert_eq!(
            u("kg").factor_to(u("kWh")).unwrap_err().to_string(),
            "cannot convert kg (mass) to kWh (energy)"
        );
        assert!(matches!("furlong".parse::<Unit>(), Err(UnitError::Unknown { .. })));
    }

    #[test]
    fn money_converts_to_nothing_else() {
        assert_eq!(u("USD").factor_to(u("USD")).unwrap(), 1.0);
        assert_eq!(u("USD").dimension(), Dimension::Money);
        assert_eq!(
            u("USD").factor_to(u("kg")).unwrap_err(),
            UnitError::DimensionMismatch { from: u("USD"), to: u("kg") }
        );
        assert_eq!(
            u("t").factor_to(u("USD")).unwrap_err().to_string(),
            "cannot convert t (mass) to USD (money)"
        );
    }
}
