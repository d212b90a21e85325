//! The PACT v3 ProductFootprint data model as pcf writes and reads it (field names and value
//! rules from the PACT Technical Specifications v3 definitions; written from those definitions,
//! not copied). Fractional figures are decimal strings; the JSON Schema of this model is
//! `schemas/declaration.schema.json`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The PACT specification version these declarations follow.
pub const SPEC_VERSION: &str = "3.0.0";

/// A decimal number written as a string (`"-12.5"`), as PACT v3 requires for fractions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Decimal(
    /// The decimal text.
    #[schemars(regex(pattern = r"^[+-]?\d+(\.\d+)?$"))]
    pub String,
);

impl Decimal {
    /// `x` rounded to `places` decimals, trailing zeros removed, never `-0`.
    pub fn new(x: f64, places: u32) -> Decimal {
        let p = places as usize;
        let mut s = format!("{x:.p$}");
        if s.contains('.') {
            s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        }
        if s == "-0" {
            s = "0".into();
        }
        Decimal(s)
    }

    /// The value, if the text is a decimal.
    pub fn value(&self) -> Option<f64> {
        let ok = {
            let t = self.0.strip_prefix(['+', '-']).unwrap_or(&self.0);
            let mut parts = t.splitn(2, '.');
            let int = parts.next().unwrap_or("");
            let frac = parts.next();
            !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        };
        if ok { self.0.parse().ok().filter(|x: &f64| x.is_finite()) } else { None }
    }

    /// The exact decimal sum `self + other`, or `None` if either is not a decimal or the sum
    /// does not fit in 38 digits. A total written as the sum of its parts this way re-adds
    /// exactly, which rounding the total and the parts separately does not guarantee.
    pub fn checked_add(&self, other: &Decimal) -> Option<Decimal> {
        self.combine(other, false)
    }

    /// The exact decimal difference `self - other`, like [`Decimal::checked_add`].
    pub fn checked_sub(&self, other: &Decimal) -> Option<Decimal> {
        self.combine(other, true)
    }

    fn combine(&self, other: &Decimal, subtract: bool) -> Option<Decimal> {
        let (a, pa) = self.scaled()?;
        let (b, pb) = other.scaled()?;
        let places = pa.max(pb);
        let a = a.checked_mul(10i128.checked_pow(places - pa)?)?;
        let b = b.checked_mul(10i128.checked_pow(places - pb)?)?;
        let sum = if subtract { a.checked_sub(b)? } else { a.checked_add(b)? };
        let digits = format!("{:0>width$}", sum.unsigned_abs(), width = places as usize + 1);
        let (int, frac) = digits.split_at(digits.len() - places as usize);
        let text = format!("{int}.{frac}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        Some(Decimal(if sum < 0 { format!("-{text}") } else { text.to_string() }))
    }

    /// The digits as one integer and the number of them after the point.
    fn scaled(&self) -> Option<(i128, u32)> {
        self.value()?;
        let (negative, t) = match self.0.as_bytes().first() {
            Some(b'-') => (true, &self.0[1..]),
            Some(b'+') => (false, &self.0[1..]),
            _ => (false, self.0.as_str()),
        };
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let n: i128 = format!("{int}{frac}").parse().ok()?;
        Some((if negative { -n } else { n }, u32::try_from(frac.len()).ok()?))
    }
}

/// A PACT v3 ProductFootprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductFootprint {
    /// UUID v4 of this footprint.
    #[schemars(regex(
        pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
    ))]
    pub id: String,
    /// PACT specification version.
    pub spec_version: String,
    /// Ids of the footprints this one replaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preceding_pf_ids: Vec<String>,
    /// Creation time (RFC 3339, UTC).
    pub created: String,
    /// `Active` or `Deprecated` (as issued: always `Active`; later status is in the register).
    pub status: String,
    /// Start of validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_period_start: Option<String>,
    /// End of validity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_period_end: Option<String>,
    /// Company name.
    #[schemars(length(min = 1))]
    pub company_name: String,
    /// Company ids (URNs).
    #[schemars(length(min = 1))]
    pub company_ids: Vec<String>,
    /// Product description.
    pub product_description: String,
    /// Product ids (URNs).
    #[schemars(length(min = 1))]
    pub product_ids: Vec<String>,
    /// Product classifications (URNs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_classifications: Vec<String>,
    /// Product name as the company uses it.
    #[schemars(length(min = 1))]
    pub product_name_company: String,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The carbon footprint.
    pub pcf: CarbonFootprint,
    /// Data model extensions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
}

/// PACT CarbonFootprint: the figures, per `declaredUnitAmount` of `declaredUnitOfMeasurement`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CarbonFootprint {
    /// Declared unit.
    pub declared_unit_of_measurement: pcf_footprint::inventory::DeclaredUnit,
    /// Amount of declared units the figures are for.
    pub declared_unit_amount: Decimal,
    /// kg of product per declared unit.
    pub product_mass_per_declared_unit: Decimal,
    /// Start of the reference period (inclusive).
    pub reference_period_start: String,
    /// End of the reference period (exclusive).
    pub reference_period_end: String,
    /// ISO 3166-1 country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geography_country: Option<String>,
    /// ISO 3166-2 subdivision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geography_country_subdivision: Option<String>,
    /// Which processes the boundary includes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary_processes_description: Option<String>,
    /// kg CO2e excluding biogenic uptake.
    pub pcf_excluding_biogenic_uptake: Decimal,
    /// kg CO2e including biogenic uptake (= excluding + biogenicCO2Uptake).
    pub pcf_including_biogenic_uptake: Decimal,
    /// kg CO2e of fossil GHG.
    pub fossil_ghg_emissions: Decimal,
    /// kg C of fossil carbon in the product.
    pub fossil_carbon_content: Decimal,
    /// kg C of biogenic carbon in the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biogenic_carbon_content: Option<Decimal>,
    /// kg CO2e of biogenic non-CO2 emissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "biogenicNonCO2Emissions")]
    pub biogenic_non_co2_emissions: Option<Decimal>,
    /// kg CO2 taken up by biomass, as a non-positive number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "biogenicCO2Uptake")]
    pub biogenic_co2_uptake: Option<Decimal>,
    /// kg CO2e of land-use change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub land_use_change_ghg_emissions: Option<Decimal>,
    /// IPCC reports of the GWPs (`AR6`).
    #[schemars(length(min = 1))]
    pub ipcc_characterization_factors: Vec<String>,
    /// Cross-sectoral standards.
    #[schemars(length(min = 1))]
    pub cross_sectoral_standards: Vec<String>,
    /// Product- or sector-specific rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_or_sector_specific_rules: Vec<SectorRules>,
    /// Percent of emissions exempted under the cut-off rule.
    pub exempted_emissions_percent: Decimal,
    /// Primary data share, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_data_share: Option<Decimal>,
    /// Data-quality ratings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dqi: Option<Dqi>,
    /// How co-products were allocated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_rules_description: Option<String>,
    /// Whether packaging emissions are in the footprint (PACT v3: SHALL; pcf writes it on every
    /// declaration since it became known, from the product's `packaging_emissions_included`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packaging_emissions_included: Option<bool>,
    /// Whether carbon capture and storage takes place within the footprint's boundary (PACT
    /// v3: SHALL). pcf's inventory has no capture: a footprint it computes includes none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "ccsTechnologicalCO2CaptureIncluded")]
    pub ccs_technological_co2_capture_included: Option<bool>,
    /// The secondary emission-factor sources used (PACT v3: present if and only if secondary
    /// data was used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub secondary_emission_factor_sources: Option<Vec<EmissionFactorSource>>,
}

/// A secondary emission-factor source (a database or publication) and its version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmissionFactorSource {
    /// Name of the database or publication.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Its version (`not stated` when the inventory does not give one).
    #[schemars(length(min = 1))]
    pub version: String,
}

/// Product- or sector-specific rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SectorRules {
    /// `PEF`, `EPD International` or `Other`.
    pub operator: String,
    /// Rule names.
    pub rule_names: Vec<String>,
    /// Operator name when `Other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_operator_name: Option<String>,
}

/// Data-quality ratings, 1 (best) to 5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dqi {
    /// Technological representativeness.
    #[serde(rename = "technologicalDQR")]
    pub technological_dqr: Decimal,
    /// Temporal representativeness.
    #[serde(rename = "temporalDQR")]
    pub temporal_dqr: Decimal,
    /// Geographical representativeness.
    #[serde(rename = "geographicalDQR")]
    pub geographical_dqr: Decimal,
}

/// A PACT data model extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    /// Version of the extension.
    pub spec_version: String,
    /// What the data follows (a URN of pcf's extensions).
    pub data_schema: String,
    /// The data.
    pub data: serde_json::Value,
}
