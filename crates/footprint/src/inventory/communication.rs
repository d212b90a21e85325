//! A CBAM communication: what an installation tells its customers about the goods it sold
//! them, the specific embedded emissions (SEE) per good, direct and indirect, in t CO2e per
//! tonne (per MWh for electricity), with the production route and the share based on default
//! values. `pcf cbam import` writes one from an operator's filled communication template
//! (format `pcf-cbam-communication/1`, JSON), and a `precursor` input reads it
//! (`communication = "suppliers/pig-iron.json"`); `pcf cbam export` writes the template from
//! the same figures.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The format tag of a communication file.
pub const FORMAT: &str = "pcf-cbam-communication/1";

/// The specific embedded emissions an installation communicates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Communication {
    /// Always [`FORMAT`].
    pub format: String,
    /// The installation that made the goods.
    pub installation: Installation,
    /// The reporting period the figures cover (ISO dates, inclusive).
    pub period: Period,
    /// One entry per good (CN code and production route).
    pub goods: Vec<CommunicatedGood>,
    /// The document the figures were read from, where they were read from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceDocument>,
}

/// An installation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Installation {
    /// Name of the installation.
    pub name: String,
    /// Operator (company) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Country of the installation, ISO 3166-1 alpha-2 (the country of origin of its goods).
    pub country: String,
    /// Street address, city, post code, as one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// UN/LOCODE of the installation's location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlocode: Option<String>,
}

/// A reporting period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day (ISO date).
    pub start: String,
    /// Last day (ISO date).
    pub end: String,
}

/// The specific embedded emissions of one good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CommunicatedGood {
    /// CN code, digits only (4 to 8).
    pub cn: String,
    /// The good's name.
    pub name: String,
    /// Production route, as the installation names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// `t` (tonnes of good) or `MWh` (electricity).
    pub unit: String,
    /// Specific direct embedded emissions, t CO2e per unit.
    pub direct: f64,
    /// Specific indirect embedded emissions, t CO2e per unit.
    pub indirect: f64,
    /// Share of the embedded emissions based on default values, 0 to 1, where stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_share: Option<f64>,
    /// The electricity emission factor used for the indirect emissions, t CO2 per MWh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electricity_factor: Option<f64>,
    /// Where that factor comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electricity_factor_source: Option<String>,
}

/// The document a communication was read from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDocument {
    /// File name as given.
    pub file: String,
    /// SHA-256 of its bytes, `sha256:<hex>`.
    pub sha256: String,
}

impl Communication {
    /// Parses a communication file's text strictly.
    pub fn from_text(path: &Path, text: &str) -> Result<Communication, String> {
        let value = pcf_base::canonical::parse_strict(text.as_bytes())
            .map_err(|e| format!("{}: not strict JSON: {e}", path.display()))?;
        let c: Communication = serde_json::from_value(value)
            .map_err(|e| format!("{}: not a CBAM communication: {e}", path.display()))?;
        if c.format != FORMAT {
            return Err(format!(
                "{}: format {:?}, expected {FORMAT:?} (write it with `pcf cbam import`)",
                path.display(),
                c.format
            ));
        }
        Ok(c)
    }

    /// The good with CN code `cn` (digits; a longer code matches a shorter listed one).
    pub fn good(&self, cn: &str) -> Option<&CommunicatedGood> {
        self.goods
            .iter()
            .filter(|g| cn.starts_with(&g.cn) || g.cn.starts_with(cn))
            .max_by_key(|g| g.cn.len())
    }
}
