//! The inventory file as written: serde + schemars types that mirror TOML/JSON one to one.
//! `schemas/inventory.schema.json` is generated from these types; nothing here is validated
//! beyond its shape (that happens when the inventory is resolved).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::dataset::FactorKind;

/// An inventory: the products an exporter declares and the processes, purchases and energy
/// that make them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "pcf inventory")]
pub struct RawInventory {
    /// Optional link to this schema, for editors; ignored by pcf.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Who reports, for what period and where.
    #[serde(default)]
    pub inventory: RawMeta,
    /// The products whose footprints can be computed.
    pub products: Vec<RawProduct>,
    /// The reporting company's own processes (gate-to-gate) and what they consume.
    pub processes: Vec<RawProcess>,
    /// Emission factors used by purchased products, fuels, heat and grid electricity.
    #[serde(default)]
    pub factors: Vec<RawFactor>,
}

/// Reporting metadata.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    /// A title for the inventory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The reporting company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<RawCompany>,
    /// The reference period of the activity data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_period: Option<RawPeriod>,
    /// Where the products are made: ISO 3166-1 alpha-2 country or ISO 3166-2 subdivision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"))]
    pub geography: Option<String>,
    /// IANA time zone of the site (`Asia/Shanghai`): the local calendar of meter data without
    /// offsets, and of months and hours when electricity is matched in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Currency of economic values (ISO 4217), for economic allocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    pub currency: Option<String>,
}

/// A company.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCompany {
    /// Legal name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Identifiers as URNs (e.g. `urn:uscc:91320500...` for a unified social credit code).
    #[serde(default)]
    pub ids: Vec<Urn>,
}

/// A URN (`urn:<nid>:<nss>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Urn(
    /// The URN text.
    #[schemars(regex(pattern = r"^[uU][rR][nN]:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$"))]
    pub String,
);

/// A closed date interval, ISO 8601 dates (`2025-01-01`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPeriod {
    /// First day.
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub start: String,
    /// Last day (inclusive).
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub end: String,
}

/// The units PACT allows as a declared unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DeclaredUnit {
    /// Kilogram.
    #[serde(rename = "kilogram")]
    Kilogram,
    /// Litre.
    #[serde(rename = "liter")]
    Liter,
    /// Cubic metre.
    #[serde(rename = "cubic meter")]
    CubicMeter,
    /// Kilowatt hour.
    #[serde(rename = "kilowatt hour")]
    KilowattHour,
    /// Megajoule.
    #[serde(rename = "megajoule")]
    Megajoule,
    /// Tonne kilometre.
    #[serde(rename = "ton kilometer")]
    TonKilometer,
    /// Square metre.
    #[serde(rename = "square meter")]
    SquareMeter,
    /// One item.
    #[serde(rename = "piece")]
    Piece,
}

/// A product the exporter makes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProduct {
    /// Identifier used in this file.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"))]
    pub id: String,
    /// Name as the company uses it.
    #[schemars(length(min = 1))]
    pub name: String,
    /// A longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The declared unit (PACT `declaredUnitOfMeasurement`).
    pub declared_unit: DeclaredUnit,
    /// Mass in kilograms of one declared unit (PACT `productMassPerDeclaredUnit`).
    #[schemars(range(min = 0.0))]
    pub mass_per_declared_unit: f64,
    /// Product identifiers as URNs (PACT `productIds`).
    #[serde(default)]
    pub product_ids: Vec<Urn>,
    /// Customs or statistical classification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<RawClassification>,
    /// Fossil carbon contained in one declared unit, kg C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub fossil_carbon_content: Option<f64>,
    /// Biogenic carbon contained in one declared unit, kg C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub biogenic_carbon_content: Option<f64>,
    /// Whether the emissions of the product's packaging are in its footprint (PACT
    /// `packagingEmissionsIncluded`, required to declare). `false` when packaging inputs are
    /// excluded or not modelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packaging_emissions_included: Option<bool>,
}

/// A classification code.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawClassification {
    /// The scheme.
    pub scheme: ClassificationScheme,
    /// The code, digits only (spaces and dots are removed).
    #[schemars(regex(pattern = r"^[0-9][0-9 .]*$"))]
    pub code: String,
}

/// Classification schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ClassificationScheme {
    /// EU Combined Nomenclature (8 digits).
    #[serde(rename = "CN")]
    Cn,
    /// Harmonized System (6 digits).
    #[serde(rename = "HS")]
    Hs,
    /// UN Central Product Classification.
    #[serde(rename = "CPC")]
    Cpc,
}

/// Where a datum comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SourceType {
    /// Measured or metered at the reporting company's own sites.
    Primary,
    /// Provided by the supplier for the specific product.
    SupplierSpecific,
    /// A secondary database or literature value.
    Secondary,
}

/// Data quality of one datum (PACT DQRs, 1 best to 5 worst).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQuality {
    /// Source type; each kind of datum has a default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceType>,
    /// Technological representativeness, 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 5))]
    pub technological: Option<u8>,
    /// Temporal representativeness, 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 5))]
    pub temporal: Option<u8>,
    /// Geographical representativeness, 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 5))]
    pub geographical: Option<u8>,
    /// The period the datum represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_period: Option<RawPeriod>,
    /// The geography the datum represents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geography: Option<String>,
    /// Percent: the primary data share a supplier's document states for a figure typed in
    /// from it (a factor with `source = "supplier-specific"`); how it counts is the
    /// methodology's `primary_data.supplier_typed` rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub primary_data_share: Option<f64>,
}

/// Life-cycle stages of a cradle-to-gate footprint (ISO 14067 6.3.4 / GHG Protocol Product
/// Standard chapter 7).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Extraction and production of purchased materials and energy carriers.
    RawMaterialAcquisition,
    /// The reporting company's own processes.
    Production,
    /// Transport of inputs to the reporting company.
    UpstreamTransport,
    /// Transport of the product to the customer (outside cradle-to-gate).
    Distribution,
    /// Use of the product (outside cradle-to-gate).
    Use,
    /// End of life (outside cradle-to-gate).
    EndOfLife,
}

/// A process of the reporting company.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProcess {
    /// Identifier used in this file.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"))]
    pub id: String,
    /// Name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Life-cycle stage of the process's own emissions (default: production).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// Where the process runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geography: Option<String>,
    /// Allocation method for this process's co-products, if the methodology allows a choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation: Option<AllocationMethod>,
    /// Allocation method under a particular methodology, by methodology id (`{ "eu-cbam-2026"
    /// = "physical" }`): overrides `allocation` when that methodology computes, so one
    /// inventory serves a life-cycle and a CBAM figure of the same product.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allocation_for: BTreeMap<String, AllocationMethod>,
    /// EU CBAM production route of the goods this process makes, as the installation names it
    /// (`electric arc furnace`, `primary (electrolysis)`); reported with the specific embedded
    /// emissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub route: Option<String>,
    /// Quality of this process's activity data (inherited by its inputs and emissions).
    #[serde(default)]
    pub quality: RawQuality,
    /// What the process makes per reference period: the reference product first, then
    /// co-products.
    pub outputs: Vec<RawOutput>,
    /// What the process consumes.
    #[serde(default)]
    pub inputs: Vec<RawInput>,
    /// Direct emissions to air.
    #[serde(default)]
    pub emissions: Vec<RawEmission>,
    /// Biogenic CO2 taken up by biomass in this process, kg CO2 (reported separately).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biogenic_uptake: Option<RawAmount>,
    /// Direct land-use change emissions attributed to this process, in kg CO2e; below zero
    /// for a carbon stock gain, which the methodology's `biogenic.wrong_sign` counts or
    /// refuses (files without that rule refuse it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub land_use_change: Option<RawSignedAmount>,
}

/// Co-product allocation methods (ISO 14044 4.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AllocationMethod {
    /// In proportion to mass.
    Mass,
    /// In proportion to economic value.
    Economic,
    /// In proportion to a stated physical property (energy content, volume...).
    Physical,
    /// Co-products credited with the burden they displace (system expansion).
    SystemExpansion,
}

/// A product made by a process.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    /// The product (an id in `products`).
    pub product: String,
    /// Amount made in the reference period.
    #[schemars(range(min = 0.0))]
    pub amount: f64,
    /// Unit of the amount.
    pub unit: String,
    /// Economic value per unit of output, in the inventory currency (economic allocation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub price: Option<f64>,
    /// Value of the physical allocation property per unit of output (physical allocation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub physical: Option<f64>,
    /// The physical allocation property under a particular methodology, by methodology id
    /// (`{ "eu-cbam-2026" = 1.0 }`: the CBAM functional unit); overrides `physical` when that
    /// methodology computes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub physical_for: BTreeMap<String, f64>,
    /// For system expansion: the factor (an id in `factors`) of what this co-product displaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub displaces: Option<String>,
    /// For energy made (a park's electricity): when it was delivered, so that a declaration
    /// of the product carries its hourly carbon intensity (meter exports in kWh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<RawProfile>,
}

/// What an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// A product made by another process in this file.
    Product,
    /// A purchased product with the supplier's own declared footprint.
    Supplier,
    /// A purchased product with a database emission factor.
    Database,
    /// A fuel burnt on site (its combustion emissions are the process's direct emissions).
    Fuel,
    /// Grid or contracted electricity.
    Electricity,
    /// Purchased heat or steam.
    Heat,
    /// An EU CBAM precursor bought from another installation, with that installation's
    /// specific embedded emissions (from its communication, or typed in as `see`) or the
    /// Commission's default value (`default_value`).
    Precursor,
}

/// One input of a process.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawInput {
    /// What the input is.
    pub kind: InputKind,
    /// A short name (defaults to the product or factor name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// For `product`: the id of a product made in this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// For `supplier`: the supplier's declaration file, relative to this inventory. For
    /// `electricity`: the declaration of the supplier of the electricity instruments do not
    /// cover (a park's electricity), counted at its figures (under hourly matching, at its
    /// hourly intensity in the hours left uncovered) instead of the residual mix or grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<String>,
    /// For `database`, `fuel`, `heat` and `electricity`: the id of a factor in `factors`
    /// (for electricity, the location-based grid factor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
    /// For `electricity`: the residual-mix factor (an id in `factors`) for consumption not
    /// covered by instruments, where the methodology uses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_mix_factor: Option<String>,
    /// Amount consumed in the reference period.
    #[schemars(range(min = 0.0))]
    pub amount: f64,
    /// Unit of the amount, as on the bill or meter: `kWh`, `度`, `万kWh`, `t`, `吨`, `Nm3`,
    /// `tce`... (`pcf schema inventory --markdown` lists them).
    pub unit: String,
    /// Net calorific value of a fuel, when the amount's unit and the factor's differ in kind
    /// (a fuel metered in `Nm3` or `t`, a factor per `TJ`): energy per unit of volume or mass,
    /// as `"38.931 MJ/Nm3"` or `"48.0 TJ/Gg"`. Overrides the factor's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ncv: Option<String>,
    /// Density, to convert between volume and mass (`"0.7174 kg/Nm3"`, `"0.84 t/m3"`).
    /// Overrides the factor's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub density: Option<String>,
    /// Life-cycle stage (default: raw-material-acquisition for purchases, the process's
    /// stage for energy and fuels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// For `precursor`: the CN code of the precursor good (`7207 11 16`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9][0-9 ]*$"))]
    pub cn: Option<String>,
    /// For `precursor`: a CBAM communication file written by `pcf cbam import` from the
    /// supplier's filled communication template, relative to this inventory; the good with
    /// the input's CN code is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication: Option<String>,
    /// For `precursor`: the supplier installation's specific embedded emissions as its
    /// communication states them, typed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub see: Option<RawSee>,
    /// For `precursor`: the Commission's default value for the CN code and country of origin
    /// (dataset `eu-cbam-default-values`), where the supplier gives no actual values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<RawDefaultValue>,
    /// Whether this input is a precursor in the EU CBAM sense (only precursors count under
    /// CBAM; default: true for `product` and `supplier`, false otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precursor: Option<bool>,
    /// Data quality (defaults from the process and the input kind).
    #[serde(default)]
    pub quality: RawQuality,
    /// For `electricity`: contractual instruments (certificates, PPAs, on-site generation).
    #[serde(default)]
    pub instruments: Vec<RawInstrument>,
    /// For `electricity` and energy `product` inputs: when the energy was used (a meter
    /// export, or a standard load shape scaled to `amount`): electricity's instruments are
    /// matched to it in time, and the hourly intensity of what the process makes follows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<RawProfile>,
    /// For `electricity`: the grid region the site draws from (default: the inventory's
    /// `geography`), for a methodology that counts instruments of the same region only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Excluded under the methodology's cut-off rule; the value says why. The input's
    /// estimated contribution is reported as exempted, not counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
}

/// Specific embedded emissions of a precursor, as its producer communicates them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSee {
    /// Specific direct embedded emissions, t CO2e per t of precursor.
    #[schemars(range(min = 0.0))]
    pub direct: f64,
    /// Specific indirect embedded emissions, t CO2e per t of precursor.
    #[schemars(range(min = 0.0))]
    pub indirect: f64,
    /// The producer's production route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Share of these figures based on default values, percent, as the communication states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub default_value_percent: Option<f64>,
    /// The document the figures come from (installation, date, reference).
    #[schemars(length(min = 1))]
    pub source: String,
}

/// A precursor at the Commission's default value.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDefaultValue {
    /// Country of origin, ISO 3166-1 alpha-2 (`CN`); a country without a value takes "Other
    /// countries and territories", as the annex says.
    #[schemars(regex(pattern = r"^([A-Z]{2}|other)$"))]
    pub country: String,
    /// Version of the `eu-cbam-default-values` dataset (default: the current one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A contractual instrument for electricity.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawInstrument {
    /// Kind of instrument.
    #[serde(rename = "type")]
    pub kind: InstrumentKind,
    /// Certificate serial number or contract reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Energy covered.
    #[schemars(range(min = 0.0))]
    pub quantity: f64,
    /// Unit of the quantity (an energy unit).
    pub unit: String,
    /// The instrument's emission factor (an id in `factors`); when absent, the methodology's
    /// `electricity.instrument_without_factor` decides (counted as zero, refused, or the
    /// default of its `technology`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
    /// Generation technology of the electricity covered (`wind`, `solar`, `hydro`, `nuclear`,
    /// `biomass`, ...), lower case: picks the methodology's default factor for an instrument
    /// without a factor (`electricity.instrument_without_factor = "technology-default"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub technology: Option<String>,
    /// Generation period covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<RawPeriod>,
    /// When the energy was generated or delivered: a meter export (CSV of `timestamp,kwh`,
    /// relative to the inventory) of on-site generation, a PPA's deliveries or hourly
    /// certificates. Its total must be the `quantity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// For `storage`: the meter export of energy into the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<String>,
    /// For `storage`: the meter export of energy out of the store (its total is the
    /// `quantity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discharge: Option<String>,
    /// The grid region the generation is in (`CN-SD`), for a methodology that counts
    /// instruments of the same region only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// When an electricity input's energy was used: exactly one of `meter` and `shape`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    /// A meter export: CSV of `timestamp,kwh` (interval starts, 15 to 60 minutes), relative
    /// to the inventory; its total must be the input's amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meter: Option<String>,
    /// A standard load shape (`continuous`, `day-shift`, `two-shift`, `weekdays`) scaled to
    /// the input's amount, where no interval data exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
}

/// Kinds of electricity instrument.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum InstrumentKind {
    /// China Green Electricity Certificate (绿证, GEC).
    Gec,
    /// International REC Standard certificate.
    IRec,
    /// Power purchase agreement.
    Ppa,
    /// Generation on site, consumed on site.
    Onsite,
    /// A store (battery) charged and discharged on site: under a methodology that lets
    /// storage shift energy, its discharge is green up to the green surplus it was charged
    /// with.
    Storage,
}

impl InstrumentKind {
    /// The name as written in inventories (`gec`, `i-rec`, `ppa`, `onsite`, `storage`).
    pub fn name(self) -> &'static str {
        match self {
            InstrumentKind::Gec => "gec",
            InstrumentKind::IRec => "i-rec",
            InstrumentKind::Ppa => "ppa",
            InstrumentKind::Onsite => "onsite",
            InstrumentKind::Storage => "storage",
        }
    }
}

/// A direct emission.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEmission {
    /// The gas (`co2-fossil`, `co2-biogenic`, `ch4-fossil`, `ch4-non-fossil`, `n2o`, `sf6`,
    /// `nf3`, an HFC or PFC such as `hfc-134a`), or a blend's name with `composition`.
    pub gas: String,
    /// Mass fractions of a refrigerant blend (`{ "hfc-32" = 0.5, "hfc-125" = 0.5 }`), summing
    /// to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composition: Option<BTreeMap<String, f64>>,
    /// Mass emitted in the reference period.
    #[schemars(range(min = 0.0))]
    pub amount: f64,
    /// Unit (a mass unit).
    pub unit: String,
    /// Data quality.
    #[serde(default)]
    pub quality: RawQuality,
}

/// An amount with a unit.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAmount {
    /// The amount.
    #[schemars(range(min = 0.0))]
    pub amount: f64,
    /// Its unit (a mass unit: of CO2, or of CO2e for land-use change).
    pub unit: String,
}

/// An amount with a unit that may be below zero.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSignedAmount {
    /// The amount.
    pub amount: f64,
    /// Its unit (a mass unit of CO2e).
    pub unit: String,
}

/// An emission factor, with its source and licence.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFactor {
    /// Identifier used in this file.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"))]
    pub id: String,
    /// What the factor describes.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The unit of activity the factor applies to (`kg`, `kWh`, `TJ`, `tkm`...).
    pub per: String,
    /// Emissions per unit of activity, by gas, in kg of gas (characterized by the
    /// methodology's GWP table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gases: Option<BTreeMap<String, f64>>,
    /// Or: already characterized, kg CO2e per unit of activity (counted as fossil).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co2e: Option<f64>,
    /// Land-use change emissions included in the factor, kg CO2e per unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub land_use_change: Option<f64>,
    /// Biogenic CO2 uptake embodied in the factor, kg CO2 per unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub biogenic_uptake: Option<f64>,
    /// The dataset or publication the factor comes from, with table or clause.
    #[schemars(length(min = 1))]
    pub source: String,
    /// The licence under which the factor may be used and redistributed.
    #[schemars(length(min = 1))]
    pub licence: String,
    /// Dataset name and version, if it comes from a database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// What an electricity factor covers (combustion CO2, residual, life cycle), where known;
    /// a methodology may require one kind for electricity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FactorKind>,
    /// Net calorific value of the fuel the factor is for (`"48.0 TJ/Gg"`): converts an input
    /// metered by mass or volume into the factor's energy unit, unless the input gives its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ncv: Option<String>,
    /// Density of the material the factor is for (`"0.7174 kg/Nm3"`), likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub density: Option<String>,
    /// Data quality of the factor.
    #[serde(default)]
    pub quality: RawQuality,
}
