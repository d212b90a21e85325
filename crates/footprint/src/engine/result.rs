//! What the engine returns: per product and declared unit, the totals, breakdowns, quality
//! figures, contribution tree and every rule decision, serializable as `--json`.

use serde::{Deserialize, Serialize};

/// Footprints of every product of an inventory under one methodology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Footprints {
    /// Inventory file.
    pub inventory: String,
    /// Digest of the inventory's canonical JSON.
    pub inventory_digest: String,
    /// Methodology id.
    pub methodology: String,
    /// Methodology version.
    pub methodology_version: String,
    /// Methodology digest.
    pub methodology_digest: String,
    /// GWP set.
    pub gwp: String,
    /// Products in supply loops, by loop.
    pub cyclic_components: Vec<Vec<String>>,
    /// Largest relative residual of the linear solve.
    pub residual: f64,
    /// Inputs whose amounts were converted across dimensions (a fuel metered in Nm3 for a
    /// factor per TJ), with the properties used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<crate::inventory::Conversion>,
    /// Defaults the methodology applied where the inventory was silent, and data not used or
    /// used at less than face value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<super::notices::Notice>,
    /// One footprint per product.
    pub products: Vec<Footprint>,
}

/// The footprint of one product, per declared unit. All figures kg CO2e unless named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Footprint {
    /// Product id.
    pub product: String,
    /// Product name.
    pub name: String,
    /// Declared unit symbol.
    pub declared_unit: String,
    /// Totals.
    pub totals: Totals,
    /// By gas.
    pub by_gas: Vec<GasLine>,
    /// By life-cycle stage.
    pub by_stage: Vec<Line>,
    /// By process of the reporting company.
    pub by_process: Vec<Line>,
    /// Primary data share and data-quality ratings.
    pub quality: Quality,
    /// Items that contribute most, largest first.
    pub hotspots: Vec<Hotspot>,
    /// The contribution tree.
    pub contributions: Contribution,
    /// Allocation decisions.
    pub allocations: Vec<AllocationRecord>,
    /// Electricity decisions.
    pub electricity: Vec<ElectricityRecord>,
    /// Inputs excluded under the cut-off rule.
    pub exclusions: Vec<ExclusionRecord>,
    /// Items outside the methodology's boundary.
    pub outside_boundary: Vec<OutsideRecord>,
    /// The total by the forward route (cross-check of `totals.excluding_uptake`).
    pub forward_check: f64,
    /// GWP sets other than the methodology's that the suppliers' declarations this product's
    /// chain counts were made with (their `ipccCharacterizationFactors`), sorted; empty when
    /// every counted declaration uses the methodology's set or states none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supplier_gwp_sets: Vec<String>,
    /// The hourly carbon intensity, for an energy product whose output has a delivery profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly: Option<crate::inventory::HourlyIntensity>,
}

/// Totals per declared unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    /// PCF excluding biogenic uptake.
    pub excluding_uptake: f64,
    /// PCF including biogenic uptake (excluding minus uptake, where counted).
    pub including_uptake: f64,
    /// Fossil GHG emissions.
    pub fossil: f64,
    /// Biogenic CO2 emissions (kg CO2).
    pub biogenic_co2_emissions: f64,
    /// Biogenic non-CO2 emissions.
    pub biogenic_non_co2: f64,
    /// Biogenic CO2 uptake (kg CO2, positive).
    pub biogenic_uptake: f64,
    /// Land-use change emissions.
    pub land_use_change: f64,
    /// Suppliers' declared figures not attributed to a pool.
    pub other: f64,
    /// Estimated emissions of excluded inputs.
    pub exempted: f64,
    /// Exempted share, percent.
    pub exempted_percent: f64,
    /// EU CBAM direct embedded emissions.
    pub direct: Option<f64>,
    /// EU CBAM indirect embedded emissions counted in the embedded emissions.
    pub indirect: Option<f64>,
    /// EU CBAM indirect emissions not counted: those of goods for which only direct emissions
    /// count (Regulation (EU) 2023/956 Art. 7(1), Annex II), reported beside the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indirect_not_counted: Option<f64>,
    /// Under a methodology with `[cbam]` rules, for a product that is a CBAM good: its
    /// specific embedded emissions per tonne (per MWh for electricity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cbam: Option<CbamGood>,
}

/// The specific embedded emissions (SEE) of a CBAM good: the per-declared-unit figures divided
/// by the tonnes (MWh for electricity) of good in a declared unit. t CO2e per t equals kg CO2e
/// per kg.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CbamGood {
    /// CN code, digits only.
    pub cn: String,
    /// The methodology's category of goods (`iron-and-steel`, `aluminium`...).
    pub category: String,
    /// Production route of the process that makes it, as the inventory names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// `t` (tonnes of good) or `MWh` (electricity).
    pub unit: String,
    /// Units of good (t or MWh) in one declared unit.
    pub per_declared_unit: f64,
    /// Specific direct embedded emissions, t CO2e per unit.
    pub direct: f64,
    /// Specific indirect embedded emissions counted, t CO2e per unit.
    pub indirect: f64,
    /// Specific indirect emissions reported but not counted (goods for which only direct
    /// emissions count), t CO2e per unit.
    pub indirect_not_counted: f64,
    /// Specific embedded emissions, direct plus counted indirect, t CO2e per unit.
    pub embedded: f64,
    /// Share of the embedded emissions based on default values (precursors at the
    /// Commission's default values), percent.
    pub default_value_percent: f64,
}

/// One line of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// What.
    pub name: String,
    /// kg CO2e.
    pub kg_co2e: f64,
    /// Share of the total, percent.
    pub percent: f64,
}

/// One gas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasLine {
    /// Gas.
    pub gas: String,
    /// kg of gas.
    pub kg: f64,
    /// kg CO2e.
    pub kg_co2e: f64,
    /// Share, percent.
    pub percent: f64,
}

/// Primary data share and DQRs, weighted by contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quality {
    /// Primary data share, percent.
    pub primary_data_share: Option<f64>,
    /// Technological DQR.
    pub technological: Option<f64>,
    /// Temporal DQR.
    pub temporal: Option<f64>,
    /// Geographical DQR.
    pub geographical: Option<f64>,
    /// Share of the footprint that has ratings, percent.
    pub rated_share: Option<f64>,
    /// Share of the footprint resting on each class of data, percent (classes with none left
    /// out), in the order of [`super::quality::CLASSES`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_sources: Vec<DataShare>,
}

/// The share of a footprint that rests on one class of data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataShare {
    /// The class.
    pub class: super::quality::DataClass,
    /// Percent of the footprint (excluding biogenic uptake).
    pub share: f64,
}

/// A hotspot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hotspot {
    /// Process.
    pub process: String,
    /// Item.
    pub item: String,
    /// Kind of item.
    pub kind: String,
    /// kg CO2e.
    pub kg_co2e: f64,
    /// Share, percent.
    pub percent: f64,
}

/// A node of the contribution tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contribution {
    /// Name.
    pub name: String,
    /// Kind (`product`, `loop`, or an item kind).
    pub kind: String,
    /// The process making it (products).
    pub process: Option<String>,
    /// Amount per declared unit of the root.
    pub amount: Option<f64>,
    /// Unit of the amount.
    pub unit: Option<String>,
    /// kg CO2e contributed to the root.
    pub kg_co2e: f64,
    /// What it is made of.
    pub children: Vec<Contribution>,
}

/// An allocation decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationRecord {
    /// Process.
    pub process: String,
    /// Method.
    pub method: String,
    /// (product, share) pairs summing to 1.
    pub shares: Vec<(String, f64)>,
}

/// An electricity decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectricityRecord {
    /// Process.
    pub process: String,
    /// Input name.
    pub input: String,
    /// Accounting method.
    pub accounting: String,
    /// Consumed, in `unit`, per reference period.
    pub consumed: f64,
    /// Unit.
    pub unit: String,
    /// Covered by counted instruments.
    pub covered: f64,
    /// Factor applied to the uncovered rest.
    pub uncovered_factor: String,
    /// Its source.
    pub uncovered_source: String,
    /// Instruments.
    pub instruments: Vec<InstrumentUse>,
    /// JSON pointer.
    pub pointer: String,
    /// Notes on the factors applied: a factor whose kind the methodology does not require
    /// (when it warns), or a factor that does not say its kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// How instruments were matched to consumption in time, under a methodology with
    /// `electricity.matching`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<MatchingRecord>,
}

/// Instruments matched to consumption in time (see `crate::matching`). Energies in the
/// record's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingRecord {
    /// `annual`, `monthly` or `hourly`.
    pub granularity: crate::timeseries::Granularity,
    /// `shift` or `ignore`.
    pub storage: crate::matching::Storage,
    /// Where the consumption's timing came from (a meter with its digest, or a load shape
    /// scaled to the metered total), or that it had none (annual matching only).
    pub consumption_source: String,
    /// The time zone months and hours are taken in, when interval data was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Per instrument, in the order of the inventory.
    pub instruments: Vec<MatchLine>,
    /// Consumption matched by no instrument.
    pub unmatched: f64,
    /// Consumption and matched energy per month (from interval data).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub months: Vec<Period>,
    /// Consumption, green energy available and matched per local hour of the day, averaged
    /// over the days of the period (hourly matching).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub average_day: Vec<Period>,
    /// The clause of the methodology's matching rules.
    pub clause: String,
}

/// One instrument under matching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchLine {
    /// Kind.
    pub kind: String,
    /// Serial or contract reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Where its timing came from (a meter and its digest), or its production period.
    pub timing: String,
    /// Energy it made available to this consumption (storage: its green discharge).
    pub available: f64,
    /// Energy matched to consumption.
    pub matched: f64,
    /// Its share of the consumption, percent.
    pub share_percent: f64,
    /// Surplus that charged storage.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stored: f64,
}

/// Energies of one period (a month, or an hour of the average day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// `2025-03`, or the hour `13`.
    pub label: String,
    /// Consumption.
    pub consumption: f64,
    /// Green energy the instruments made available (storage: discharge).
    pub available: f64,
    /// Matched.
    pub matched: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// How one instrument was used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentUse {
    /// Kind.
    pub kind: String,
    /// Serial.
    pub serial: Option<crate::certificate::CertificateSerial>,
    /// Quantity held.
    pub quantity: f64,
    /// Quantity used.
    pub used: f64,
    /// Whether it counted.
    pub counted: bool,
    /// Why (not).
    pub reason: String,
    /// The methodology's technology default applied to an instrument without a factor
    /// (`dataset:ID@FACTOR (ID VERSION)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_factor: Option<String>,
    /// The dataset that default was read from, which a declaration pins with the inventory's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_dataset: Option<crate::dataset::DatasetRef>,
}

/// An input excluded under the cut-off rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionRecord {
    /// Process.
    pub process: String,
    /// Item.
    pub item: String,
    /// Reason given.
    pub reason: String,
    /// Estimated kg CO2e per declared unit.
    pub kg_co2e: f64,
    /// Share of the whole (counted plus excluded), percent.
    pub percent: f64,
    /// JSON pointer.
    pub pointer: String,
}

/// An item outside the boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutsideRecord {
    /// Process.
    pub process: String,
    /// Item.
    pub item: String,
    /// Why.
    pub reason: String,
    /// kg CO2e per declared unit not counted.
    pub kg_co2e: f64,
}
