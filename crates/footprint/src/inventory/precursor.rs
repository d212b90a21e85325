//! EU CBAM precursors bought from other installations (`kind = "precursor"` inputs): the
//! producer's specific embedded emissions (SEE), direct and indirect per tonne, from its
//! communication file, typed in from its communication, or the Commission's default value for
//! the CN code and country of origin. Which of the three is recorded ([`PrecursorBasis`]), so
//! the share of a good's embedded emissions based on default values can be reported.

use pcf_base::digest::Digest;

use super::InventoryError;
use super::communication::Communication;
use super::raw::RawInput;
use super::resolve::Resolver;
use crate::dataset::{Dataset, DatasetRef};

/// The dataset of CBAM default values.
pub const DEFAULT_VALUES: &str = "eu-cbam-default-values";

/// A precursor with its specific embedded emissions.
#[derive(Debug, Clone)]
pub struct Precursor {
    /// CN code, digits only.
    pub cn: String,
    /// Specific direct embedded emissions, t CO2e per t (kg per kg).
    pub direct: f64,
    /// Specific indirect embedded emissions, t CO2e per t.
    pub indirect: f64,
    /// The producer's production route, where known.
    pub route: Option<String>,
    /// Where the figures come from.
    pub basis: PrecursorBasis,
    /// A life-cycle factor (index into factors) for methodologies without CBAM rules.
    pub factor: Option<usize>,
}

/// Where a precursor's figures come from.
#[derive(Debug, Clone, PartialEq)]
pub enum PrecursorBasis {
    /// A communication file written by `pcf cbam import`.
    Communication {
        /// Path as written in the inventory.
        file: String,
        /// Digest of the file's canonical JSON.
        digest: Digest,
        /// The installation that communicated it.
        installation: String,
        /// Share of the figures the installation based on default values, percent.
        default_value_percent: Option<f64>,
    },
    /// Typed in from the producer's communication.
    Typed {
        /// The document named.
        source: String,
        /// Share based on default values, percent, as stated.
        default_value_percent: Option<f64>,
    },
    /// The Commission's default value.
    Default {
        /// The dataset version used.
        dataset: DatasetRef,
        /// The good's key in the annex.
        good: String,
        /// The country asked for.
        country: String,
        /// The table used (the country, or `other`), and why it fell back, where it did.
        table: String,
        /// Why the country's own table was not used, in words.
        fallback: Option<String>,
    },
}

impl PrecursorBasis {
    /// Share of the precursor's figures based on default values, 0 to 1 (0 where the
    /// producer's communication does not say).
    pub fn default_fraction(&self) -> f64 {
        match self {
            PrecursorBasis::Default { .. } => 1.0,
            PrecursorBasis::Communication { default_value_percent: p, .. }
            | PrecursorBasis::Typed { default_value_percent: p, .. } => {
                p.map_or(0.0, |p| p / 100.0)
            }
        }
    }

    /// Words for a reader.
    pub fn describe(&self) -> String {
        match self {
            PrecursorBasis::Communication { file, installation, .. } => {
                format!("actual values communicated by {installation} ({file})")
            }
            PrecursorBasis::Typed { source, .. } => format!("actual values typed in from {source}"),
            PrecursorBasis::Default { dataset, good, table, fallback, .. } => format!(
                "default value of {} {}, good {good}, table {table}{}",
                dataset.id,
                dataset.version,
                fallback.as_ref().map(|f| format!(" ({f})")).unwrap_or_default()
            ),
        }
    }
}

impl Resolver<'_> {
    /// Resolves the precursor of input `inp` at `at`; `year` is the reference period's last
    /// year, `factor` its life-cycle factor if given.
    pub(super) fn precursor(
        &self,
        at: &str,
        inp: &RawInput,
        year: u32,
        factor: Option<usize>,
        datasets: &mut Vec<DatasetRef>,
    ) -> Result<Precursor, InventoryError> {
        let cn: String = match &inp.cn {
            Some(c) => c.chars().filter(char::is_ascii_digit).collect(),
            None => {
                return Err(self.invalid(
                    at.into(),
                    "a precursor input needs `cn`, the CN code of the precursor good".into(),
                    "add `cn = \"7207 11 16\"` (the code on the supplier's invoice)",
                ));
            }
        };
        let given = [inp.communication.is_some(), inp.see.is_some(), inp.default_value.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(self.invalid(
                at.into(),
                "a precursor input needs exactly one of `communication`, `see` and \
                 `default_value`"
                    .into(),
                "give the supplier's communication file (`pcf cbam import`), its figures as \
                 `see = { direct, indirect, source }`, or `default_value = { country }`",
            ));
        }
        if let Some(rel) = &inp.communication {
            let pointer = format!("{at}/communication");
            let full = self.base.join(rel);
            let text = std::fs::read_to_string(&full).map_err(|e| {
                self.invalid(
                    pointer.clone(),
                    format!("cannot read CBAM communication {rel:?}: {e}"),
                    "check the path (relative to the inventory); write the file with \
                     `pcf cbam import TEMPLATE.xlsx -o FILE`",
                )
            })?;
            let c = Communication::from_text(&full, &text).map_err(|problem| {
                self.invalid(pointer.clone(), problem, "write the file with `pcf cbam import`")
            })?;
            let value = pcf_base::canonical::parse_strict(text.as_bytes()).map_err(|e| {
                self.invalid(pointer.clone(), e.to_string(), "write it with `pcf cbam import`")
            })?;
            let digest = pcf_base::canonical::digest(&value).map_err(|e| {
                self.invalid(pointer.clone(), e.to_string(), "write it with `pcf cbam import`")
            })?;
            let Some(g) = c.good(&cn) else {
                return Err(self.invalid(
                    pointer,
                    format!(
                        "CBAM communication {rel:?} of {} has no good with CN code {cn} (it has: \
                         {})",
                        c.installation.name,
                        c.goods.iter().map(|g| g.cn.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    "check the input's `cn` against the goods the supplier communicated",
                ));
            };
            if g.unit != "t" {
                return Err(self.invalid(
                    pointer,
                    format!("good {} of {rel:?} is given per {}, not per tonne", g.cn, g.unit),
                    "a precursor is a material good, communicated per tonne",
                ));
            }
            return Ok(Precursor {
                cn,
                direct: g.direct,
                indirect: g.indirect,
                route: g.route.clone(),
                basis: PrecursorBasis::Communication {
                    file: rel.clone(),
                    digest,
                    installation: c.installation.name.clone(),
                    default_value_percent: g.default_share.map(|s| 100.0 * s),
                },
                factor,
            });
        }
        if let Some(see) = &inp.see {
            return Ok(Precursor {
                cn,
                direct: see.direct,
                indirect: see.indirect,
                route: see.route.clone(),
                basis: PrecursorBasis::Typed {
                    source: see.source.clone(),
                    default_value_percent: see.default_value_percent,
                },
                factor,
            });
        }
        let Some(dv) = &inp.default_value else {
            return Err(self.invalid(at.into(), "no precursor figures".into(), "see above"));
        };
        let pointer = format!("{at}/default_value");
        let dataset = match &dv.version {
            None => Dataset::shipped(DEFAULT_VALUES).ok(),
            Some(v) => Dataset::shipped_version(DEFAULT_VALUES, v),
        }
        .ok_or_else(|| {
            self.invalid(
                format!("{pointer}/version"),
                format!(
                    "no version {:?} of dataset {DEFAULT_VALUES} is shipped",
                    dv.version.as_deref().unwrap_or("current")
                ),
                "see `pcf dataset list`, or leave `version` out for the current one",
            )
        })?;
        let found = dataset.cbam(&cn, &dv.country, year.max(2026)).map_err(|e| {
            self.invalid(
                pointer.clone(),
                format!("no CBAM default value for CN {cn} from {}: {e}", dv.country),
                "check the CN code and the country (see `pcf dataset cbam CODE --country CC`)",
            )
        })?;
        let reference = dataset.reference();
        if !datasets.contains(&reference) {
            datasets.push(reference.clone());
        }
        Ok(Precursor {
            cn,
            direct: found.direct.unwrap_or(found.total),
            indirect: found.indirect.unwrap_or(0.0),
            route: found.route.clone(),
            basis: PrecursorBasis::Default {
                dataset: reference,
                good: found.good.clone(),
                country: found.country.clone(),
                table: found.table.clone(),
                fallback: found.fallback.map(|f| f.describe(&found.country, None)),
            },
            factor,
        })
    }
}
