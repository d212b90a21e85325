//! Units of measure: which units `pcf` understands, their dimension, and exact conversions
//! within a dimension. Converting across dimensions (kilograms to kilowatt hours) is refused:
//! such a conversion needs a property of the material (a net calorific value, a density), a
//! [`Ratio`] the inventory or the factor's dataset states. Money (for spend-based factors, kg
//! CO2e per US dollar) is a dimension of its own: it converts to nothing else, and currencies
//! are not converted into each other (exchange rates and price years are the user's to apply).
//!
//! Units are written as on bills and meter readings, in English or Chinese: `kWh` in any letter
//! case, `度` (kWh), `万kWh` (10 000 kWh), `吨` (t), `tce` (tonne of coal equivalent, 29.3076 GJ
//! by GB/T 2589-2020), `Nm3` (a cubic metre of gas at 0 °C and 101.325 kPa, a dimension of its
//! own: it is not a cubic metre at metering conditions). An unknown unit names the nearest
//! known one.

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
    /// Gas volume at normal conditions, 0 °C and 101.325 kPa (base: normal cubic metre);
    /// converting it to a volume at metering conditions needs their temperature and pressure.
    NormalVolume,
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
            Dimension::NormalVolume => "normal volume",
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
    ("万kWh", Dimension::Energy, 3.6e4),
    // GB/T 2589-2020 (General principles for calculation of the comprehensive energy
    // consumption): 1 kgce = 29 307.6 kJ.
    ("kgce", Dimension::Energy, 29.3076),
    ("tce", Dimension::Energy, 29_307.6),
    ("万tce", Dimension::Energy, 2.930_76e8),
    ("Gg", Dimension::Mass, 1e6),
    ("ml", Dimension::Volume, 1e-6),
    ("l", Dimension::Volume, 1e-3),
    ("m3", Dimension::Volume, 1.0),
    ("万m3", Dimension::Volume, 1e4),
    ("Nm3", Dimension::NormalVolume, 1.0),
    ("万Nm3", Dimension::NormalVolume, 1e4),
    ("m2", Dimension::Area, 1.0),
    ("piece", Dimension::Count, 1.0),
    ("kgkm", Dimension::TransportWork, 1e-3),
    ("tkm", Dimension::TransportWork, 1.0),
    ("USD", Dimension::Money, 1.0),
];

/// Other names of units, as written on bills and in Chinese: alias, symbol.
const ALIASES: &[(&str, &str)] = &[
    ("kilogram", "kg"),
    ("kilograms", "kg"),
    ("tonne", "t"),
    ("tonnes", "t"),
    ("ton", "t"),
    ("kilowatt hour", "kWh"),
    ("kilowatt hours", "kWh"),
    ("megajoule", "MJ"),
    ("liter", "l"),
    ("litre", "l"),
    ("liters", "l"),
    ("litres", "l"),
    ("L", "l"),
    ("mL", "ml"),
    ("cubic meter", "m3"),
    ("cubic metre", "m3"),
    ("m³", "m3"),
    ("Nm³", "Nm3"),
    ("square meter", "m2"),
    ("square metre", "m2"),
    ("m²", "m2"),
    ("ton kilometer", "tkm"),
    ("t.km", "tkm"),
    ("t*km", "tkm"),
    ("pcs", "piece"),
    ("pc", "piece"),
    ("unit", "piece"),
    ("units", "piece"),
    ("pieces", "piece"),
    ("克", "g"),
    ("千克", "kg"),
    ("公斤", "kg"),
    ("吨", "t"),
    ("千吨", "kt"),
    ("度", "kWh"),
    ("千瓦时", "kWh"),
    ("万度", "万kWh"),
    ("万千瓦时", "万kWh"),
    ("兆瓦时", "MWh"),
    ("兆焦", "MJ"),
    ("吉焦", "GJ"),
    ("太焦", "TJ"),
    ("升", "l"),
    ("毫升", "ml"),
    ("立方米", "m3"),
    ("方", "m3"),
    ("万立方米", "万m3"),
    ("万方", "万m3"),
    ("标准立方米", "Nm3"),
    ("万标准立方米", "万Nm3"),
    ("千克标准煤", "kgce"),
    ("吨标准煤", "tce"),
    ("吨标煤", "tce"),
    ("万吨标准煤", "万tce"),
    ("平方米", "m2"),
    ("件", "piece"),
    ("个", "piece"),
    ("吨公里", "tkm"),
];

impl Unit {
    /// The kilogram.
    pub const KG: Unit = Unit { symbol: "kg", dimension: Dimension::Mass, in_base: 1.0 };
    /// The megajoule.
    pub const MJ: Unit = Unit { symbol: "MJ", dimension: Dimension::Energy, in_base: 1.0 };
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

    /// A symbol or an alias, exactly; else, ignoring letter case, the one unit it can mean
    /// (`KWH`, `mwh`); else an error naming the nearest known unit.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let exact = |name: &str| -> Option<&'static str> {
            UNITS
                .iter()
                .map(|u| u.0)
                .find(|&u| u == name)
                .or_else(|| ALIASES.iter().find(|a| a.0 == name).map(|a| a.1))
        };
        let symbol = exact(s).or_else(|| {
            let lower = s.to_lowercase();
            let mut hits: Vec<&'static str> = UNITS
                .iter()
                .map(|u| (u.0, u.0))
                .chain(ALIASES.iter().copied())
                .filter(|(name, symbol)| case_free(name, symbol))
                .filter(|(name, _)| name.to_lowercase() == lower)
                .map(|(_, symbol)| symbol)
                .collect();
            hits.dedup();
            (hits.len() == 1).then(|| hits[0])
        });
        match symbol {
            Some(symbol) => Ok(Unit::of(symbol)),
            None => Err(UnitError::Unknown { unit: s.to_string(), nearest: nearest(s) }),
        }
    }
}

impl Unit {
    /// The unit of a symbol of [`UNITS`].
    fn of(symbol: &str) -> Unit {
        let (symbol, dimension, in_base) =
            UNITS.iter().copied().find(|u| u.0 == symbol).unwrap_or(("kg", Dimension::Mass, 1.0));
        Unit { symbol, dimension, in_base }
    }
}

/// Whether a unit may be written in any letter case: the watt-hour family (`KWH` can mean
/// nothing but kWh), units whose letters carry no SI prefix, and words. Not `ml`/`ML` (milli
/// and mega), `g`/`Gg` or `MJ`/`mJ`, where case tells two sizes apart.
fn case_free(name: &str, symbol: &str) -> bool {
    symbol.ends_with("Wh")
        || ["Nm3", "万Nm3", "tce", "kgce", "万tce", "tkm", "kgkm", "piece"].contains(&symbol)
        || (name.chars().count() > 3 && name.chars().all(|c| c.is_alphabetic() || c == ' '))
}

/// The known symbol nearest to `s`, when it is near enough to be a likely typo.
fn nearest(s: &str) -> Option<&'static str> {
    let names = UNITS.iter().map(|u| u.0).chain(ALIASES.iter().map(|a| a.0));
    let name = crate::text::nearest(s, names)?;
    UNITS
        .iter()
        .map(|u| u.0)
        .find(|&u| u == name)
        .or_else(|| ALIASES.iter().find(|a| a.0 == name).map(|a| a.1))
}

/// A property that converts between dimensions: `value` of `numerator` per one `denominator`,
/// written `"38.931 MJ/Nm3"` (a net calorific value) or `"0.7174 kg/Nm3"` (a density).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio {
    /// How many numerator units one denominator unit holds.
    pub value: f64,
    /// The unit of the value (MJ in MJ/Nm3).
    pub numerator: Unit,
    /// The unit it is per (Nm3 in MJ/Nm3).
    pub denominator: Unit,
}

impl Ratio {
    /// Follows the ratio from `from` (a unit of its numerator's or denominator's dimension):
    /// the unit reached and the factor from an amount in `from` to an amount in it.
    pub fn step(&self, from: Unit) -> Option<(Unit, f64)> {
        if from.dimension == self.denominator.dimension {
            Some((self.numerator, from.in_base / self.denominator.in_base * self.value))
        } else if from.dimension == self.numerator.dimension {
            Some((self.denominator, from.in_base / self.numerator.in_base / self.value))
        } else {
            None
        }
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.value, self.numerator, self.denominator)
    }
}

impl FromStr for Ratio {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| UnitError::Ratio { text: s.to_string(), problem: why.to_string() };
        let t = s.trim();
        let split = t.find(|c: char| c.is_whitespace()).ok_or_else(|| bad("no unit"))?;
        let (number, units) = t.split_at(split);
        let value: f64 = number.parse().map_err(|_| bad("it does not start with a number"))?;
        if !value.is_finite() || value <= 0.0 {
            return Err(bad("the value must be a positive number"));
        }
        let (num, den) = units.trim().split_once('/').ok_or_else(|| bad("no `/` between units"))?;
        let numerator: Unit = num.trim().parse()?;
        let denominator: Unit = den.trim().parse()?;
        if numerator.dimension == denominator.dimension {
            return Err(bad("both units measure the same thing"));
        }
        Ok(Ratio { value, numerator, denominator })
    }
}

/// Why a unit was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UnitError {
    /// The symbol is not a unit `pcf` knows.
    #[error("unknown unit {unit:?}{} (known units: {})",
        .nearest.map(|n| format!("; did you mean {n:?}?")).unwrap_or_default(),
        Unit::symbols().collect::<Vec<_>>().join(", "))]
    Unknown {
        /// The symbol as written.
        unit: String,
        /// The nearest known symbol, when one is close.
        nearest: Option<&'static str>,
    },
    /// A ratio (`"38.931 MJ/Nm3"`) is malformed.
    #[error("{text:?} is not a ratio such as \"38.931 MJ/Nm3\" or \"0.7174 kg/Nm3\": {problem}")]
    Ratio {
        /// The text as written.
        text: String,
        /// What is wrong.
        problem: String,
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
        assert_eq!(
            u("Nm3").factor_to(u("m3")).unwrap_err().to_string(),
            "cannot convert Nm3 (normal volume) to m3 (volume)"
        );
    }

    #[test]
    fn reads_units_as_written_on_bills() {
        for (written, symbol) in [
            ("KWH", "kWh"),
            ("kwh", "kWh"),
            ("Kwh", "kWh"),
            ("mwh", "MWh"),
            ("MWH", "MWh"),
            ("度", "kWh"),
            ("万度", "万kWh"),
            ("万kwh", "万kWh"),
            ("吨", "t"),
            ("公斤", "kg"),
            ("tce", "tce"),
            ("吨标准煤", "tce"),
            ("NM3", "Nm3"),
            ("万Nm3", "万Nm3"),
            ("L", "l"),
            (" m³ ", "m3"),
            ("Pcs", "piece"),
        ] {
            assert_eq!(u(written).symbol(), symbol, "{written}");
        }
        assert_eq!(u("万kWh").factor_to(u("kWh")).unwrap(), 10_000.0);
        assert_eq!(u("万kWh").factor_to(u("MWh")).unwrap(), 10.0);
        assert!((u("tce").factor_to(u("GJ")).unwrap() - 29.3076).abs() < 1e-12);
        assert_eq!(u("万Nm3").factor_to(u("Nm3")).unwrap(), 10_000.0);
        // Where letter case tells two sizes apart, a wrong case is not guessed.
        for ambiguous in ["ML", "mj", "GG", "Kg"] {
            assert!(ambiguous.parse::<Unit>().is_err(), "{ambiguous}");
        }
        assert_eq!(u("Tonnes"), u("t"));
    }

    #[test]
    fn an_unknown_unit_names_the_nearest() {
        let err = |s: &str| s.parse::<Unit>().unwrap_err().to_string();
        assert!(
            err("kwhr")
                .starts_with(r#"unknown unit "kwhr"; did you mean "kWh"? (known units: g, kg"#),
            "{}",
            err("kwhr")
        );
        assert!(err("tonnne").contains(r#"did you mean "t"?"#), "{}", err("tonnne"));
        assert!(err("Nm^3").contains(r#"did you mean "Nm3"?"#), "{}", err("Nm^3"));
        assert!(!err("furlong").contains("did you mean"), "{}", err("furlong"));
    }

    #[test]
    fn ratios_convert_between_dimensions_both_ways() {
        let ncv: Ratio = "389.31 GJ/万Nm3".parse().unwrap();
        let (to, k) = ncv.step(u("Nm3")).unwrap();
        assert_eq!(to, u("GJ"));
        assert!((k - 0.038931).abs() < 1e-15, "{k}");
        let (to, k) = ncv.step(u("TJ")).unwrap();
        assert_eq!(to, u("万Nm3"));
        assert!((k - 1000.0 / 389.31).abs() < 1e-12, "{k}");
        assert!(ncv.step(u("kg")).is_none());
        let density: Ratio = "0.7174 kg/Nm3".parse().unwrap();
        assert_eq!(density.step(u("t")).unwrap().0, u("Nm3"));
        for bad in ["38.9", "MJ/Nm3", "-1 MJ/kg", "1 MJ per kg", "2 kg/t", "1 MJ/furlong"] {
            assert!(bad.parse::<Ratio>().is_err(), "{bad}");
        }
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
