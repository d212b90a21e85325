//! EU CBAM default values (Implementing Regulation (EU) 2025/2621, Annex I): one table per
//! country of origin plus "Other countries and territories", each row a good (CN code) with its
//! direct, indirect and total default values and the values including the mark-up for 2026,
//! 2027 and 2028, every cell kept as the text the source holds ("" for a blank).
//!
//! [`CbamTable::lookup`] finds the value of a good from a country for a year and applies the
//! annex's rule: where the country has no table, or its table has no value for the good (the
//! good not listed, the total blank, or the year's value blank), the value of "Other countries
//! and territories" is used, and the [`Fallback`] says why. The published figure is returned as
//! it is; the mark-up is recomputed from the total only to check it ([`CbamLookup::agrees`]).
//!
//! An inventory refers to a default value as a factor `dataset:eu-cbam-default-values@ID` with
//! ID one of (see [`CbamTable::factor`]):
//!
//! - `GOOD-COUNTRY-YEAR`, e.g. `72071116-CN-2026`: the value including that year's mark-up, the
//!   figure a declarant applies (a year after 2028 takes the 2028 column);
//! - `GOOD-COUNTRY-direct` and `GOOD-COUNTRY-indirect`: the parts of the default value without
//!   mark-up, where the table gives them (iron, steel, aluminium and hydrogen have no indirect
//!   default value);
//!
//! where GOOD is the CN code as the annex lists it (`7208`, `72071116`; a longer code falls under
//! the heading listed, `72083800` under `7208`) or, for a CN code the annex lists twice, the code
//! and the colour (`25231000-white`, `25231000-grey`), and COUNTRY is the ISO 3166-1 alpha-2 code
//! of the country of origin, or `other` for the table "Other countries and territories".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The first year of the definitive period, and the last year with its own column.
const FIRST_YEAR: u32 = 2026;
const LAST_COLUMN: u32 = 2028;

/// The code of the table "Other countries and territories".
pub const OTHER: &str = "other";

/// EU CBAM default values with their mark-ups: the country tables (`tables`, `goods`), or the
/// first layout of version 2026.1 (`defaults`), kept so that archived file still parses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CbamTable {
    /// Mark-up by year (and sector, where it differs).
    #[serde(default)]
    pub markups: Vec<Markup>,
    /// Default values of the 2026.1 layout (a few rows, values rounded as printed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defaults: Vec<CbamDefault>,
    /// The file the tables were generated from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_file: Option<String>,
    /// Its SHA-256 (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_sha256: Option<String>,
    /// The SHA-256 of the file it was re-encoded from, where it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_sha256: Option<String>,
    /// The names of the row cells.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// Every good, once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goods: Vec<CbamGood>,
    /// One table per country, and "Other countries and territories" (country `other`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<CountryTable>,
}

/// A mark-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Markup {
    /// The sector it applies to, where it is not every sector's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// Year (applies to later years too when it is the last).
    pub year: u32,
    /// Percent added to the default value.
    pub percent: f64,
}

/// The default value of one CN code and country (layout of version 2026.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CbamDefault {
    /// CN code (digits).
    pub cn: String,
    /// Goods.
    pub description: String,
    /// Country of origin (ISO 3166-1 alpha-2).
    pub country: String,
    /// Direct embedded emissions before the mark-up, t CO2e per t.
    pub direct: f64,
    /// Indirect embedded emissions, where the definitive period has one.
    #[serde(default)]
    pub indirect: Option<f64>,
    /// The values with the mark-up as published, by year.
    pub published: BTreeMap<String, f64>,
}

/// A good of the annex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CbamGood {
    /// The key rows use: the CN code, or the code and the colour where the annex lists a code
    /// twice (`25231000-white`).
    pub key: String,
    /// CN code as listed (4, 6 or 8 digits).
    pub cn: String,
    /// Sector (`Iron and steel`, `Fertilisers`).
    pub sector: String,
    /// Description as the annex words it.
    pub description: String,
}

/// One country table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountryTable {
    /// ISO 3166-1 alpha-2 code, or `other`.
    pub country: String,
    /// The table's name in the source.
    pub name: String,
    /// `[good, direct, indirect, total, 2026, 2027, 2028, route]`, as published.
    pub rows: Vec<[String; 8]>,
}

/// Why the table "Other countries and territories" gave the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fallback {
    /// The country has no table.
    NoTable,
    /// The country's table does not list the good.
    NotListed,
    /// The country's row gives no total.
    NoValue,
    /// The country's row gives no value for the year.
    NoValueForYear,
}

impl Fallback {
    /// Words for a reader.
    pub fn describe(self, country: &str, table: Option<&str>) -> String {
        let name = table.map_or_else(|| country.to_string(), |t| format!("{t} ({country})"));
        match self {
            Fallback::NoTable => format!("{country} has no table in the annex"),
            Fallback::NotListed => format!("the table of {name} does not list this good"),
            Fallback::NoValue => format!("the table of {name} gives no value for this good"),
            Fallback::NoValueForYear => {
                format!("the table of {name} gives no value for this good and year")
            }
        }
    }
}

/// A default value found for a good, a country and a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CbamLookup {
    /// The code asked for (digits, or a good key).
    pub requested: String,
    /// The good's key.
    pub good: String,
    /// The good's CN code as the annex lists it.
    pub cn: String,
    /// Sector.
    pub sector: String,
    /// Description.
    pub description: String,
    /// Country of origin asked for.
    pub country: String,
    /// The table the value comes from (`CN`, or `other`).
    pub table: String,
    /// That table's name in the source.
    pub table_name: String,
    /// Why "Other countries and territories" gave the value, if it did.
    pub fallback: Option<Fallback>,
    /// Year asked for.
    pub year: u32,
    /// The column used (2028 for later years).
    pub column: u32,
    /// Direct default value, t CO2e/t, as published (none where blank).
    pub direct: Option<f64>,
    /// Indirect default value, likewise.
    pub indirect: Option<f64>,
    /// Total default value.
    pub total: f64,
    /// The value including the mark-up, as published: the value to use.
    pub published: f64,
    /// The published cell's text.
    pub published_text: String,
    /// The mark-up the schedule gives for the sector and year, percent.
    pub markup_percent: f64,
    /// The total with that mark-up, recomputed (for the check only).
    pub recomputed: f64,
    /// Whether the published figure equals the recomputed one within what the rounding of the
    /// published figure and of the total to six decimals allows.
    pub agrees: bool,
    /// Production route letter, as published (`(C)`), if any.
    pub route: Option<String>,
}

/// Why a default value could not be found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CbamError {
    /// The dataset has no country tables.
    #[error("this version has no country tables (layout of version 2026.1); use the live version")]
    NoTables,
    /// The code names no good.
    #[error("no good of the annex has CN code {code:?}{hint}")]
    UnknownGood {
        /// What was asked for.
        code: String,
        /// Goods under it, or the nearest.
        hint: String,
    },
    /// The CN code is listed twice.
    #[error("CN {code} is listed twice in the annex; name one: {keys}")]
    Ambiguous {
        /// The code.
        code: String,
        /// The goods' keys.
        keys: String,
    },
    /// No table has a value, not even "Other countries and territories".
    #[error(
        "CN {good} has no default value from {country}{part}, not even in the table Other countries and territories{hint}"
    )]
    NoValue {
        /// The good.
        good: String,
        /// Country.
        country: String,
        /// The part asked for (` for 2026`, ` for its indirect emissions`).
        part: String,
        /// The goods listed under it, if any.
        hint: String,
    },
    /// The table used gives no value for the part asked for.
    #[error(
        "CN {good} from {country}: the table {table:?} gives no {part} default value for this good"
    )]
    NoPart {
        /// The good.
        good: String,
        /// Country.
        country: String,
        /// The table's name.
        table: String,
        /// `direct` or `indirect`.
        part: String,
    },
    /// Not a country code.
    #[error("{0:?} is not a country: write an ISO 3166-1 alpha-2 code (CN, IN, TR) or `other`")]
    Country(String),
    /// A year before the definitive period.
    #[error("{0} is before the definitive period: CBAM default values apply from 2026")]
    Year(u32),
    /// A factor id not of the scheme.
    #[error(
        "{0:?} is not a CBAM default value: write GOOD-COUNTRY-YEAR (72071116-CN-2026), GOOD-COUNTRY-direct or GOOD-COUNTRY-indirect"
    )]
    FactorId(String),
    /// The file is inconsistent.
    #[error("{0}")]
    Invalid(String),
}

/// A part of a default value an inventory factor can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The value including the mark-up of a year.
    Year(u32),
    /// The direct default value, without mark-up.
    Direct,
    /// The indirect default value, without mark-up.
    Indirect,
}

/// The row of the good `key` in `t`.
fn find<'a>(t: &'a CountryTable, key: &str) -> Option<&'a [String; 8]> {
    t.rows.iter().find(|r| r[0] == key)
}

/// Half a unit of the last decimal the tables carry (six).
const HALF_UNIT: f64 = 0.5e-6;
const MAX_DECIMALS: usize = 6;

const NUMBER_COLUMNS: [&str; 6] = ["direct", "indirect", "total", "2026", "2027", "2028"];

fn cell(text: &str) -> Option<f64> {
    if text.is_empty() { None } else { text.parse().ok() }
}

impl CbamTable {
    /// Checks what a lookup relies on: every row names a known good, no good twice in a table,
    /// every number cell is a non-negative number, one table per country and one `other`.
    pub fn validate(&self) -> Result<(), CbamError> {
        if self.tables.is_empty() {
            return Ok(());
        }
        let bad = |m: String| Err(CbamError::Invalid(m));
        let goods: BTreeMap<&str, &CbamGood> =
            self.goods.iter().map(|g| (g.key.as_str(), g)).collect();
        if goods.len() != self.goods.len() {
            return bad("a good key is listed twice".into());
        }
        let mut countries = std::collections::BTreeSet::new();
        for t in &self.tables {
            if !countries.insert(t.country.as_str()) {
                return bad(format!("two tables for country {:?}", t.country));
            }
            let mut seen = std::collections::BTreeSet::new();
            for r in &t.rows {
                if !goods.contains_key(r[0].as_str()) || !seen.insert(r[0].as_str()) {
                    return bad(format!("table {}: good {:?} unknown or twice", t.name, r[0]));
                }
                for (c, name) in r[1..7].iter().zip(NUMBER_COLUMNS) {
                    let decimals = c.split_once('.').map_or(0, |(_, d)| d.len());
                    if !c.is_empty()
                        && (!cell(c).is_some_and(|v| v.is_finite() && v >= 0.0)
                            || decimals > MAX_DECIMALS)
                    {
                        return bad(format!(
                            "table {}, {}: {name} {c:?} is not a number",
                            t.name, r[0]
                        ));
                    }
                }
            }
        }
        if !countries.contains(OTHER) {
            return bad("no table \"other\" (Other countries and territories)".into());
        }
        Ok(())
    }

    /// The number of default values (rows of every table, or entries of the 2026.1 layout).
    pub fn len(&self) -> usize {
        self.defaults.len() + self.tables.iter().map(|t| t.rows.len()).sum::<usize>()
    }

    /// Whether it holds no default value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The good `code` names: a good key, a CN code listed, or a longer CN code under a heading
    /// listed (the longest).
    pub fn good(&self, code: &str) -> Result<&CbamGood, CbamError> {
        let wanted = code.trim().to_ascii_lowercase();
        if let Some(g) = self.goods.iter().find(|g| g.key == wanted) {
            return Ok(g);
        }
        let digits: String = wanted.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() || digits.len() != wanted.chars().filter(|c| *c != ' ').count() {
            return Err(CbamError::UnknownGood {
                code: code.trim().into(),
                hint: crate::text::nearest(&wanted, self.goods.iter().map(|g| g.key.as_str()))
                    .map(|n| format!("; did you mean {n:?}?"))
                    .unwrap_or_default(),
            });
        }
        let exact: Vec<&CbamGood> = self.goods.iter().filter(|g| g.cn == digits).collect();
        match exact.as_slice() {
            [one] => return Ok(one),
            [] => {}
            many => {
                let keys: Vec<&str> = many.iter().map(|g| g.key.as_str()).collect();
                return Err(CbamError::Ambiguous { code: digits, keys: keys.join(", ") });
            }
        }
        let heading =
            self.goods.iter().filter(|g| digits.starts_with(&g.cn)).max_by_key(|g| g.cn.len());
        heading.ok_or_else(|| CbamError::UnknownGood {
            code: digits.clone(),
            hint: self.under(&digits),
        })
    }

    /// `; the annex lists under it: ...` for the goods whose code starts with `digits`.
    fn under(&self, digits: &str) -> String {
        let keys: Vec<&str> = self
            .goods
            .iter()
            .filter(|g| g.cn.starts_with(digits) && g.cn != digits)
            .map(|g| g.key.as_str())
            .collect();
        match keys.len() {
            0 => String::new(),
            n if n > 12 => {
                format!("; the annex lists {n} goods under it, e.g. {}", keys[..6].join(", "))
            }
            _ => format!("; the annex lists under it: {}", keys.join(", ")),
        }
    }

    fn table(&self, country: &str) -> Option<&CountryTable> {
        self.tables.iter().find(|t| t.country == country)
    }

    /// The country code as tables hold it (`CN`, `other`), from a code or a table name.
    fn country_code(&self, country: &str) -> Result<String, CbamError> {
        let c = country.trim();
        if c.eq_ignore_ascii_case(OTHER) {
            return Ok(OTHER.into());
        }
        if c.len() == 2 && c.chars().all(|x| x.is_ascii_alphabetic()) {
            return Ok(c.to_ascii_uppercase());
        }
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(c))
            .map(|t| t.country.clone())
            .ok_or_else(|| CbamError::Country(c.into()))
    }

    /// The row of `good` in the table of `country` that has a value for `column` (any column
    /// with a total when `column` is `None`), else the row of "Other countries and territories"
    /// and why it was taken.
    fn row(
        &self,
        good: &CbamGood,
        country: &str,
        column: Option<u32>,
    ) -> Result<(&CountryTable, &[String; 8], Option<Fallback>), CbamError> {
        let has = |r: &[String; 8]| {
            !r[3].is_empty() && column.is_none_or(|y| !r[(4 + y - FIRST_YEAR) as usize].is_empty())
        };
        let why = match self.table(country) {
            None => Fallback::NoTable,
            Some(t) => match find(t, &good.key) {
                None => Fallback::NotListed,
                Some(r) if has(r) => return Ok((t, r, None)),
                Some(r) if r[3].is_empty() => Fallback::NoValue,
                Some(_) => Fallback::NoValueForYear,
            },
        };
        let other = self.table(OTHER).ok_or(CbamError::NoTables)?;
        match find(other, &good.key) {
            Some(r) if has(r) => Ok((other, r, (country != OTHER).then_some(why))),
            _ => Err(CbamError::NoValue {
                good: good.key.clone(),
                country: country.into(),
                part: column.map(|y| format!(" for {y}")).unwrap_or_default(),
                hint: self.under(&good.cn),
            }),
        }
    }

    /// The mark-up the schedule gives for `sector` in `year`, percent.
    pub fn markup(&self, sector: &str, year: u32) -> f64 {
        let sectoral = self.markups.iter().any(|m| m.sector.as_deref() == Some(sector));
        self.markups
            .iter()
            .filter(|m| m.year <= year)
            .filter(
                |m| if sectoral { m.sector.as_deref() == Some(sector) } else { m.sector.is_none() },
            )
            .max_by_key(|m| m.year)
            .map_or(0.0, |m| m.percent)
    }

    /// The default value of `code` (see [`CbamTable::good`]) from `country` (ISO alpha-2, a
    /// table's name, or `other`) for `year`, with the fallback applied.
    pub fn lookup(&self, code: &str, country: &str, year: u32) -> Result<CbamLookup, CbamError> {
        if self.tables.is_empty() {
            return Err(CbamError::NoTables);
        }
        if year < FIRST_YEAR {
            return Err(CbamError::Year(year));
        }
        let good = self.good(code)?;
        let country = self.country_code(country)?;
        let column = year.min(LAST_COLUMN);
        let (table, row, fallback) = self.row(good, &country, Some(column))?;
        let published_text = row[(4 + column - FIRST_YEAR) as usize].clone();
        let (total, published) =
            (cell(&row[3]).unwrap_or(0.0), cell(&published_text).unwrap_or(0.0));
        let markup_percent = self.markup(&good.sector, column);
        let recomputed = total * (1.0 + markup_percent / 100.0);
        // The workbook rounds every value to six decimals at most (checked on load), and marks
        // up the unrounded total (Other countries, 7207 11 16: 3.995879 x 1.3 = 5.1946427,
        // published 5.194642): half a unit of the sixth decimal on the published figure, and
        // on the total carried through the mark-up.
        let factor = 1.0 + markup_percent / 100.0;
        let tolerance = HALF_UNIT * (1.0 + factor) + 1e-12;
        Ok(CbamLookup {
            requested: code.trim().into(),
            good: good.key.clone(),
            cn: good.cn.clone(),
            sector: good.sector.clone(),
            description: good.description.clone(),
            country,
            table: table.country.clone(),
            table_name: table.name.clone(),
            fallback,
            year,
            column,
            direct: cell(&row[1]),
            indirect: cell(&row[2]),
            total,
            published,
            published_text,
            markup_percent,
            recomputed,
            agrees: (recomputed - published).abs() <= tolerance,
            route: Some(row[7].clone()).filter(|r| !r.is_empty()),
        })
    }

    /// Parses a factor id `GOOD-COUNTRY-YEAR`, `GOOD-COUNTRY-direct` or `GOOD-COUNTRY-indirect`.
    pub fn parse_factor_id(id: &str) -> Result<(String, String, Part), CbamError> {
        let bad = || CbamError::FactorId(id.into());
        let (rest, last) = id.rsplit_once('-').ok_or_else(bad)?;
        let (good, country) = rest.rsplit_once('-').ok_or_else(bad)?;
        let part = match last.to_ascii_lowercase().as_str() {
            "direct" => Part::Direct,
            "indirect" => Part::Indirect,
            y => Part::Year(y.parse().map_err(|_| bad())?),
        };
        if good.is_empty() || country.is_empty() {
            return Err(bad());
        }
        Ok((good.into(), country.into(), part))
    }

    /// The inventory factor of a factor id (see the module documentation): kg CO2e per t, its
    /// name saying which table gave the value and, where the fallback was applied, why.
    pub fn factor(&self, id: &str) -> Result<super::DatasetFactor, CbamError> {
        let (code, country, part) = Self::parse_factor_id(id)?;
        let short = |d: &str| -> String {
            let mut s: String = d.chars().take(70).collect();
            if s.len() < d.len() {
                s.push('…');
            }
            s
        };
        let fell_back = |f: Option<Fallback>, country: &str, name: &str| match f {
            Some(f) => format!(
                "; value of the table Other countries and territories: {}",
                f.describe(country, (f != Fallback::NoTable).then_some(name))
            ),
            None => String::new(),
        };
        let (name, value, source) = match part {
            Part::Year(year) => {
                let v = self.lookup(&code, &country, year)?;
                let own = self.table(&v.country).map_or("", |t| t.name.as_str());
                let name = format!(
                    "EU CBAM default value {} including the {} % mark-up, CN {} ({}) from {}{}",
                    v.year,
                    v.markup_percent,
                    v.good,
                    short(&v.description),
                    v.country,
                    fell_back(v.fallback, &v.country, own)
                );
                let source = format!(
                    "table {:?}, CN {}, column \"{} Default Value (Including mark-up)\" = {} t CO2e/t{}",
                    v.table_name,
                    v.good,
                    v.column,
                    v.published_text,
                    v.route.as_deref().map(|r| format!(", route {r}")).unwrap_or_default()
                );
                (name, v.published, source)
            }
            Part::Direct | Part::Indirect => {
                if self.tables.is_empty() {
                    return Err(CbamError::NoTables);
                }
                let good = self.good(&code)?;
                let country = self.country_code(&country)?;
                let (table, row, fallback) = self.row(good, &country, None)?;
                let (word, index, column) = if part == Part::Direct {
                    ("direct", 1, "Default Value (direct emissions)")
                } else {
                    ("indirect", 2, "Default Value (Indirect emissions)")
                };
                let value = cell(&row[index]).ok_or_else(|| CbamError::NoPart {
                    good: good.key.clone(),
                    country: country.clone(),
                    table: table.name.clone(),
                    part: word.into(),
                })?;
                let own = self.table(&country).map_or("", |t| t.name.as_str());
                let name = format!(
                    "EU CBAM default value, {word} emissions, without mark-up, CN {} ({}) from {}{}",
                    good.key,
                    short(&good.description),
                    country,
                    fell_back(fallback, &country, own)
                );
                let source = format!(
                    "table {:?}, CN {}, column \"{column}\" = {} t CO2e/t",
                    table.name, good.key, row[index]
                );
                (name, value, source)
            }
        };
        Ok(super::DatasetFactor {
            id: id.into(),
            name,
            // t CO2e per t is kg CO2e per kg: the published figure, not multiplied.
            per: "kg".into(),
            gases: BTreeMap::new(),
            co2e: Some(value),
            source: Some(source),
            category: Some("EU CBAM default value".into()),
            kind: None,
            ncv: None,
            density: None,
        })
    }
}
