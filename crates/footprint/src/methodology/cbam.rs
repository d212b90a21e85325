//! EU CBAM rules (`[cbam]`): categories of goods by CN code, which count only direct
//! emissions and which gases each may emit, how indirect emissions are attributed, whether a
//! good is declared only with its production route, and how precursors at default values count.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// EU CBAM rules per category of goods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CbamRules {
    /// Which indirect emissions count: `by-origin-good` (an electricity input's emissions count
    /// iff the good of the production process that consumed it is not `direct_only`; a
    /// supplier's declared indirect figure by the supplier's good).
    pub indirect_rule: IndirectRule,
    /// What an output that receives emissions but has no CN code in a category means.
    pub unclassified: Unclassified,
    /// Refuse factors and supplier footprints given only as CO2e (not by gas), so that every
    /// gas can be checked against its category; a supplier's CBAM split is accepted as given.
    pub gas_resolved_only: bool,
    /// Categories of goods by CN code; no code may fall in two.
    pub categories: Vec<CbamCategory>,
    /// Whether a CBAM good is declared only with the production route of the process that
    /// makes it (`route`): `required`; absent, a route is reported where given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteRule>,
    /// How a precursor at the Commission's default value counts (`precursor` inputs with
    /// `default_value`); absent, such precursors are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precursor_default_values: Option<PrecursorDefaults>,
    /// Clause.
    pub clause: String,
}

/// Whether a production route must be named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RouteRule {
    /// Declaring a CBAM good whose process names no `route` is refused.
    Required,
}

/// How a precursor's default value counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PrecursorDefaults {
    /// The direct and the indirect default value of the annex, without the mark-up (which the
    /// annex gives only for the total); the indirect part follows the precursor's good.
    WithoutMarkup,
}

/// How indirect emissions are attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IndirectRule {
    /// Classified by the good in whose production process the electricity was consumed.
    ByOriginGood,
}

/// What an unclassified output means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Unclassified {
    /// An error naming the output.
    Error,
}

/// A category of goods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CbamCategory {
    /// Name, e.g. `iron-and-steel`.
    pub name: String,
    /// CN codes or code prefixes (digits only) in the category.
    pub cn: Vec<String>,
    /// CN codes or prefixes (digits only) taken out of `cn`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
    /// Only direct emissions count for these goods (their indirect ones are reported as not
    /// counted).
    pub direct_only: bool,
    /// Gases these goods may emit (keys of `gwp.factors`).
    pub gases: Vec<String>,
    /// Clause.
    pub clause: String,
}

impl CbamCategory {
    /// Whether CN code `cn` (digits) belongs to this category.
    pub fn contains(&self, cn: &str) -> bool {
        self.cn.iter().any(|p| cn.starts_with(p.as_str()))
            && !self.except.iter().any(|p| cn.starts_with(p.as_str()))
    }
}

impl CbamRules {
    /// The category of CN code `cn` (digits), if any.
    pub fn category(&self, cn: &str) -> Option<&CbamCategory> {
        self.categories.iter().find(|c| c.contains(cn))
    }

    /// Checks codes, gases and overlaps; the error names the field.
    pub(super) fn validate(&self, gwp: &BTreeMap<String, f64>) -> Result<(), String> {
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 8 && s.bytes().all(|b| b.is_ascii_digit());
        for (i, c) in self.categories.iter().enumerate() {
            for (field, list) in [("cn", &c.cn), ("except", &c.except)] {
                for (k, code) in list.iter().enumerate() {
                    if !digits(code) {
                        return Err(format!(
                            "cbam.categories[{i}].{field}[{k}] ({}): {code:?} is not a CN code or prefix (1 to 8 digits)",
                            c.name
                        ));
                    }
                }
            }
            for (k, gas) in c.gases.iter().enumerate() {
                if !gwp.contains_key(gas) {
                    return Err(format!(
                        "cbam.categories[{i}].gases[{k}] ({}): {gas:?} has no GWP in gwp.factors",
                        c.name
                    ));
                }
            }
        }
        // Two categories overlap when a prefix of one extends (or equals) a prefix of the
        // other and no except-list prefix of either covers the longer one: codes under it are
        // then in both (an except list that covers only part of it leaves the rest in both).
        for (i, a) in self.categories.iter().enumerate() {
            for (j, b) in self.categories.iter().enumerate().skip(i + 1) {
                for pa in &a.cn {
                    for pb in &b.cn {
                        let (long, short) = if pa.len() >= pb.len() { (pa, pb) } else { (pb, pa) };
                        let covered = |c: &CbamCategory| {
                            c.except.iter().any(|e| long.starts_with(e.as_str()))
                        };
                        if !long.starts_with(short.as_str()) || covered(a) || covered(b) {
                            continue;
                        }
                        return Err(format!(
                            "cbam.categories[{i}] ({}) and cbam.categories[{j}] ({}) overlap: CN codes under {long} are in both",
                            a.name, b.name
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
