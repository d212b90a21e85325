//! Inventories: what an exporter describes (products, own processes, purchases, energy, direct
//! emissions, emission factors, suppliers' declarations), read from TOML or JSON, checked
//! against `schemas/inventory.schema.json`, then resolved once into validated domain types
//! (units converted, references turned into indices). Every error names the file and the
//! JSON pointer of the offending value.

pub mod communication;
mod convert;
mod load;
mod precursor;
mod profile;
pub mod raw;
pub(crate) mod resolve;
mod supplier;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::dataset::{DatasetRef, REFERENCE_PREFIX};
use crate::document::{DocumentError, Location};
use crate::units::{Ratio, Unit};
use pcf_base::digest::Digest;

pub use precursor::{Precursor, PrecursorBasis};
pub use raw::{
    AllocationMethod, ClassificationScheme, DeclaredUnit, FactorKind, InputKind, InstrumentKind,
    RawInventory, SourceType, Stage,
};
pub use supplier::SupplierDeclaration;

/// A validated inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The file it was read from.
    pub path: PathBuf,
    /// SHA-256 of the RFC 8785 canonical JSON of the file's content (formatting and comments
    /// do not change it).
    pub digest: Digest,
    /// The file's content as JSON, as written (what the digest covers; dataset references
    /// unexpanded).
    pub document: serde_json::Value,
    /// Reporting metadata.
    pub meta: Meta,
    /// Products, in file order.
    pub products: Vec<Product>,
    /// Processes, in file order.
    pub processes: Vec<Process>,
    /// Emission factors, in file order.
    pub factors: Vec<Factor>,
    /// Suppliers' declarations read for `supplier` inputs, one per distinct file.
    pub suppliers: Vec<SupplierDeclaration>,
    /// Shipped datasets whose factors the inventory references (`dataset:ID@FACTOR`), and the
    /// CBAM default values its precursors use.
    pub datasets: Vec<crate::dataset::DatasetRef>,
    /// EU CBAM precursors of `precursor` inputs, one per input.
    pub precursors: Vec<Precursor>,
    /// The slots of the reference period that interval data is laid on, when any input or
    /// instrument has a profile.
    pub grid: Option<crate::timeseries::Grid>,
}

/// Reporting metadata.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Title.
    pub name: Option<String>,
    /// Company name.
    pub company_name: Option<String>,
    /// Company identifiers (URNs).
    pub company_ids: Vec<String>,
    /// Reference period (start, end), ISO dates.
    pub reference_period: Option<(String, String)>,
    /// Geography of production.
    pub geography: Option<String>,
    /// Currency of economic values.
    pub currency: Option<String>,
}

/// A product id, as used in the inventory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProductId(pub String);

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A product made in the inventory.
#[derive(Debug, Clone)]
pub struct Product {
    /// Id.
    pub id: ProductId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// PACT declared unit.
    pub declared_unit: DeclaredUnit,
    /// The unit of measure of one declared unit.
    pub unit: Unit,
    /// kg per declared unit.
    pub mass_per_declared_unit: f64,
    /// Product ids (URNs).
    pub product_ids: Vec<String>,
    /// Classification (scheme, digits).
    pub classification: Option<(ClassificationScheme, String)>,
    /// Fossil carbon content, kg C per declared unit.
    pub fossil_carbon_content: Option<f64>,
    /// Biogenic carbon content, kg C per declared unit.
    pub biogenic_carbon_content: Option<f64>,
    /// Whether packaging emissions are in the footprint, where the inventory says.
    pub packaging_emissions_included: Option<bool>,
    /// The process that makes it and the index of the output there.
    pub made_by: (usize, usize),
}

/// Data quality of one datum.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    /// Source type.
    pub source: SourceType,
    /// Technological, temporal, geographical ratings (1 best to 5 worst), where given.
    pub technological: Option<u8>,
    /// Temporal rating.
    pub temporal: Option<u8>,
    /// Geographical rating.
    pub geographical: Option<u8>,
    /// Reference period of the datum.
    pub reference_period: Option<(String, String)>,
    /// Geography of the datum.
    pub geography: Option<String>,
    /// Primary data share a supplier's document states for a typed-in figure, percent.
    pub primary_data_share: Option<f64>,
}

impl Process {
    /// The allocation method requested under methodology `id`.
    pub fn allocation_under(&self, id: &str) -> Option<AllocationMethod> {
        self.allocation_for.get(id).copied().or(self.allocation)
    }
}

/// A process of the reporting company.
#[derive(Debug, Clone)]
pub struct Process {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Stage of its own emissions.
    pub stage: Stage,
    /// Geography.
    pub geography: Option<String>,
    /// Allocation method requested for its co-products.
    pub allocation: Option<AllocationMethod>,
    /// Allocation method by methodology id, overriding `allocation` under that methodology.
    pub allocation_for: BTreeMap<String, AllocationMethod>,
    /// EU CBAM production route of its goods.
    pub route: Option<String>,
    /// Outputs; the first is the reference product.
    pub outputs: Vec<Output>,
    /// Inputs.
    pub inputs: Vec<Input>,
    /// Direct emissions, blends already split into gases.
    pub emissions: Vec<Emission>,
    /// Biogenic CO2 uptake, kg CO2.
    pub biogenic_uptake: f64,
    /// Land-use change emissions, kg CO2e.
    pub land_use_change: f64,
    /// Quality of the process's activity data.
    pub quality: Quality,
    /// JSON pointer of the process in the file.
    pub pointer: String,
}

impl Output {
    /// The physical allocation property under methodology `id`.
    pub fn physical_under(&self, id: &str) -> Option<f64> {
        self.physical_for.get(id).copied().or(self.physical)
    }
}

/// An output of a process.
#[derive(Debug, Clone)]
pub struct Output {
    /// Index into [`Inventory::products`].
    pub product: usize,
    /// Amount, in declared units of the product.
    pub amount: f64,
    /// Mass, kg (amount times mass per declared unit).
    pub mass: f64,
    /// Economic value per declared unit.
    pub price: Option<f64>,
    /// Physical allocation property per declared unit.
    pub physical: Option<f64>,
    /// Physical allocation property per declared unit, by methodology id.
    pub physical_for: BTreeMap<String, f64>,
    /// Factor displaced by this co-product (system expansion).
    pub displaces: Option<usize>,
    /// When it was delivered (energy products), on the inventory's grid.
    pub profile: Option<Box<Profile>>,
    /// JSON pointer.
    pub pointer: String,
}

/// What an input is, resolved.
#[derive(Debug, Clone)]
pub enum Source {
    /// A product made in this file (index into products).
    Product(usize),
    /// A supplier's declared product (index into suppliers).
    Supplier(usize),
    /// A database factor (index into factors).
    Database(usize),
    /// A fuel burnt on site (index into factors: combustion factor).
    Fuel(usize),
    /// Purchased heat (index into factors).
    Heat(usize),
    /// An EU CBAM precursor (index into precursors).
    Precursor(usize),
    /// Electricity.
    Electricity {
        /// Location-based grid factor.
        grid: usize,
        /// Residual-mix factor.
        residual_mix: Option<usize>,
        /// The supplier of the electricity not covered by instruments (a park's utility
        /// declaration; index into suppliers), instead of the residual mix or grid factor.
        supplier: Option<usize>,
        /// Contractual instruments.
        instruments: Vec<Instrument>,
        /// The grid region the site draws from (`region`, else the inventory's geography).
        region: Option<String>,
    },
}

/// An electricity instrument, quantity in the unit of the grid factor.
#[derive(Debug, Clone)]
pub struct Instrument {
    /// Kind.
    pub kind: InstrumentKind,
    /// Serial number or contract reference (trimmed; compared by its normalized key).
    pub serial: Option<crate::certificate::CertificateSerial>,
    /// Quantity, in the grid factor's unit.
    pub quantity: f64,
    /// Quantity in kWh (for registers and double-counting checks).
    pub quantity_kwh: f64,
    /// Emission factor of the instrument (None: as the methodology's
    /// `electricity.instrument_without_factor` says).
    pub factor: Option<usize>,
    /// Generation technology, where the inventory says.
    pub technology: Option<String>,
    /// Generation period (first and last day, ISO dates), where the inventory says.
    pub period: Option<(String, String)>,
    /// The grid region of the generation, where the inventory says.
    pub region: Option<String>,
    /// When the energy was generated, delivered or stored.
    pub timing: InstrumentTiming,
}

pub use profile::{HOURLY_INTENSITY_SCHEMA, HourlyIntensity, InstrumentTiming, Profile};

/// An input of a process.
#[derive(Debug, Clone)]
pub struct Input {
    /// Display name.
    pub name: String,
    /// What it is.
    pub source: Source,
    /// Amount per reference period, in the unit of what it refers to (the product's declared
    /// unit, the supplier's declared unit, or the factor's `per` unit).
    pub amount: f64,
    /// That unit.
    pub unit: Unit,
    /// Stage.
    pub stage: Stage,
    /// EU CBAM precursor.
    pub precursor: bool,
    /// Quality.
    pub quality: Quality,
    /// Reason for exclusion under the cut-off rule.
    pub excluded: Option<String>,
    /// How the amount as written was converted into [`Input::unit`] across dimensions (a fuel
    /// metered in Nm3 for a factor per TJ), if it was.
    pub conversion: Option<Conversion>,
    /// When the energy was used (electricity and energy products), on the inventory's grid.
    pub profile: Option<Box<Profile>>,
    /// JSON pointer.
    pub pointer: String,
}

/// A conversion of an input's amount across dimensions, through net calorific values and
/// densities, as recorded in the result and the audit trace.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversion {
    /// The input's JSON pointer.
    pub pointer: String,
    /// The input's name.
    pub input: String,
    /// The amount as written, with its unit (`120000 Nm3`).
    pub from: String,
    /// The amount converted, with the factor's unit (`4.67172 TJ`).
    pub to: String,
    /// Each property used, in order, and where it came from (`ncv 38.931 MJ/Nm3 (the
    /// input)`, `ncv 48 TJ/Gg (factor dataset.ipcc...)`).
    pub via: Vec<String>,
}

/// A greenhouse gas, by its lower-case name (`co2-fossil`, `ch4-non-fossil`, `hfc-134a`...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gas(pub String);

impl Gas {
    /// Which carbon pool the gas belongs to.
    pub fn origin(&self) -> GasOrigin {
        match self.0.as_str() {
            "co2-biogenic" => GasOrigin::BiogenicCo2,
            "ch4-non-fossil" | "ch4-biogenic" => GasOrigin::BiogenicNonCo2,
            _ => GasOrigin::Fossil,
        }
    }
}

impl fmt::Display for Gas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The origin of a gas, which decides where it is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GasOrigin {
    /// Fossil (and all non-carbon gases).
    Fossil,
    /// Biogenic CO2.
    BiogenicCo2,
    /// Biogenic methane.
    BiogenicNonCo2,
}

/// A direct emission of one gas.
#[derive(Debug, Clone)]
pub struct Emission {
    /// The gas.
    pub gas: Gas,
    /// kg emitted per reference period.
    pub kg: f64,
    /// The blend it came from, if any.
    pub blend: Option<String>,
    /// Quality.
    pub quality: Quality,
    /// JSON pointer.
    pub pointer: String,
}

/// An emission factor.
#[derive(Debug, Clone)]
pub struct Factor {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Unit of activity.
    pub per: Unit,
    /// kg of each gas per unit.
    pub gases: BTreeMap<Gas, f64>,
    /// Pre-characterized kg CO2e per unit (fossil).
    pub co2e: f64,
    /// Land-use change, kg CO2e per unit.
    pub land_use_change: f64,
    /// Biogenic uptake, kg CO2 per unit.
    pub biogenic_uptake: f64,
    /// Source.
    pub source: String,
    /// Licence.
    pub licence: String,
    /// Dataset.
    pub dataset: Option<String>,
    /// What an electricity factor covers, where the factor says.
    pub kind: Option<FactorKind>,
    /// Net calorific value of the fuel, where the factor states one.
    pub ncv: Option<Ratio>,
    /// Density of the material, where the factor states one.
    pub density: Option<Ratio>,
    /// Quality.
    pub quality: Quality,
    /// JSON pointer.
    pub pointer: String,
}

/// Why an inventory could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// The file could not be read.
    #[error("{file}: cannot read: {message}")]
    Read {
        /// The file.
        file: String,
        /// What the OS said.
        message: String,
    },
    /// The file is not valid TOML or JSON.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file is not strict JSON (the message gives line and column).
    #[error("{file}: {message}")]
    Json {
        /// The file.
        file: String,
        /// What the strict parser said.
        message: String,
    },
    /// The file does not match the inventory schema.
    #[error("{file}: does not match the inventory schema ({} problem{}):{}\nrun `pcf schema inventory` to see the schema",
        .problems.len(), if .problems.len() == 1 { "" } else { "s" },
        .problems.iter().map(|p| format!("\n  at {p}")).collect::<String>())]
    Schema {
        /// The file.
        file: String,
        /// Each violation, as "pointer: message".
        problems: Vec<String>,
    },
    /// A value is well-formed but wrong (an unknown reference, a unit mismatch...).
    #[error("{file}{}: at {pointer}: {problem}\n  help: {help}",
        .at.map(|l| l.to_string()).unwrap_or_default())]
    Invalid {
        /// The file.
        file: String,
        /// Where the value is written (TOML files).
        at: Option<Location>,
        /// JSON pointer to the value.
        pointer: String,
        /// What is wrong.
        problem: String,
        /// What to do.
        help: String,
    },
}

impl Inventory {
    /// Reads, validates and resolves an inventory file (`.toml` or `.json`; a workbook is read
    /// by `crate::spreadsheet::load`).
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|e| InventoryError::Read {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_str(path, &text)
    }

    /// Validates and resolves inventory text; `path` names the file in errors, picks the
    /// format by extension and anchors relative paths of suppliers' declarations.
    pub fn from_str(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
        load::load(path, text)
    }

    /// The index of a product by id.
    pub fn product_index(&self, id: &str) -> Option<usize> {
        self.products.iter().position(|p| p.id.0 == id)
    }
}

impl From<DocumentError> for InventoryError {
    /// A document's parse error, as the inventory error of the same name and message.
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::Syntax { file, line, column, message } => {
                InventoryError::Syntax { file, line, column, message }
            }
            DocumentError::Json { file, message } => InventoryError::Json { file, message },
            DocumentError::Invalid { file, pointer, problem, help } => {
                InventoryError::Invalid { file, at: None, pointer, problem, help }
            }
        }
    }
}

/// Loads an inventory whose factors may refer to shipped datasets: without references it is
/// exactly [`Inventory::load`]; with them, the expanded document is resolved (its digest
/// covers the dataset values it took in) and the datasets used are returned.
pub fn load_inventory(path: &Path) -> Result<(Inventory, Vec<DatasetRef>), crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, &e))?;
    if !text.contains(REFERENCE_PREFIX) {
        let inv = Inventory::from_str(path, &text)?;
        let used = inv.datasets.clone();
        return Ok((inv, used));
    }
    let (document, mut used) = crate::dataset::expanded_document(path, &text)?;
    let json_text = serde_json::to_string(&document).map_err(|e| crate::Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let inv = Inventory::from_str(&crate::dataset::expanded_path(path), &json_text)?;
    // The CBAM default values precursors took.
    for d in &inv.datasets {
        if !used.contains(d) {
            used.push(d.clone());
        }
    }
    Ok((inv, used))
}

/// The JSON Schema of inventory files.
pub fn schema() -> serde_json::Value {
    let schema = schemars::schema_for!(RawInventory);
    serde_json::to_value(&schema).unwrap_or_default()
}
