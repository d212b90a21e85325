//! Methodologies: the pluggable rule files (`methodologies/*.toml`) that decide every choice
//! the engine makes — GWP characterization, system boundary, cut-off, allocation, electricity
//! accounting, biogenic carbon and reporting. A methodology is identified by id, version and
//! digest (SHA-256 over the RFC 8785 canonical JSON of the parsed file), so comments and
//! formatting do not change it and any rule does. Shipped files are compiled in; a file given
//! by path works the same way.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::inventory::{AllocationMethod, FactorKind, Gas, InstrumentKind, Stage};
use crate::shipped;
use pcf_base::digest::Digest;

mod cbam;
mod rules;
pub use cbam::{CbamCategory, CbamRules, IndirectRule, PrecursorDefaults, RouteRule, Unclassified};
pub use rules::{
    OtherGwpSet, Suppliers, TypedSupplierData, UnsignedSupplier, UptakeRule, WithoutSerial,
    WithoutShare, WithoutSplit, WrongSign,
};

/// The methodology files shipped with pcf, by file name.
const SHIPPED: &[(&str, &str)] = &[
    ("pact-3.0.toml", include_str!("../../../../methodologies/pact-3.0.toml")),
    ("iso-14067-2018.toml", include_str!("../../../../methodologies/iso-14067-2018.toml")),
    (
        "ghg-protocol-product-2011.toml",
        include_str!("../../../../methodologies/ghg-protocol-product-2011.toml"),
    ),
    ("eu-cbam-2026.toml", include_str!("../../../../methodologies/eu-cbam-2026.toml")),
    ("gb-t-24067-2024.toml", include_str!("../../../../methodologies/gb-t-24067-2024.toml")),
    (
        "ghg-protocol-scope2-hourly-draft.toml",
        include_str!("../../../../methodologies/ghg-protocol-scope2-hourly-draft.toml"),
    ),
];

/// `(file name, text)` of each archived file, compiled in.
macro_rules! archived {
    ($($name:literal),* $(,)?) => {
        &[$((
            concat!($name, ".toml"),
            include_str!(concat!("../../../../methodologies/archive/", $name, ".toml")),
        )),*]
    };
}

/// Released versions kept so that declarations pinning them keep verifying, by file name
/// `<id>@<version>.toml` (see `methodologies/archive/README.md`). To release a new version of a
/// shipped file, first copy the file as released, byte for byte, to
/// `methodologies/archive/<id>@<version>.toml` and add its name here (`"<id>@<version>",`)
/// then bump the version in the live file. An archived file is never edited.
const ARCHIVED: &[(&str, &str)] = archived![
    "eu-cbam-2026@1.0.0",
    "eu-cbam-2026@2.0.0",
    "pact-3.0@1.0.0",
    "gb-t-24067-2024@1.0.0",
    "iso-14067-2018@1.0.0",
    "eu-cbam-2026@2.1.0",
    "pact-3.0@1.1.0",
    "gb-t-24067-2024@1.1.0",
    "iso-14067-2018@1.1.0",
    "ghg-protocol-product-2011@1.0.0",
    "pact-3.0@1.2.0",
    "iso-14067-2018@1.2.0",
    "gb-t-24067-2024@1.2.0",
    "ghg-protocol-product-2011@1.1.0",
    "eu-cbam-2026@2.2.0",
    "eu-cbam-2026@2.3.0",
];

/// A methodology file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "pcf methodology")]
pub struct MethodologyFile {
    /// Short id, e.g. `pact-3.0`.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9.-]*$"))]
    pub id: String,
    /// Version of this rule file (semantic version); a changed rule needs a new version.
    pub version: String,
    /// Full title.
    pub title: String,
    /// The standard this file encodes.
    pub standard: StandardRef,
    /// Set when the file encodes a draft (a standard out for consultation, not published):
    /// why. Reports and declarations say so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
    /// One paragraph: what the methodology is for and the main choices made.
    pub summary: String,
    /// How the methodology is named in a PACT declaration.
    pub pact: PactNames,
    /// GWP characterization.
    pub gwp: Gwp,
    /// System boundary.
    pub boundary: Boundary,
    /// Cut-off rule.
    pub cutoff: Cutoff,
    /// Co-product allocation.
    pub allocation: Allocation,
    /// Electricity accounting.
    pub electricity: Electricity,
    /// Biogenic carbon.
    pub biogenic: Biogenic,
    /// Primary data share.
    pub primary_data: PrimaryData,
    /// Reporting.
    pub reporting: Reporting,
    /// EU CBAM scope per category of goods (Annex I and II of Regulation (EU) 2023/956): which
    /// goods count only direct emissions and which gases each may emit. Absent in files for
    /// other standards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cbam: Option<CbamRules>,
    /// Rules for suppliers' declared footprints (GWP set, CBAM split). Absent: every
    /// declaration is accepted whatever its GWP set, and one without a CBAM split counts as
    /// direct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppliers: Option<Suppliers>,
}

/// A citation of the standard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StandardRef {
    /// Name of the standard.
    pub name: String,
    /// Publisher.
    pub publisher: String,
    /// Edition or year.
    pub edition: String,
}

/// PACT naming of this methodology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PactNames {
    /// PACT `crossSectoralStandards` values.
    pub cross_sectoral_standards: Vec<String>,
    /// PACT `productOrSectorSpecificRules` names, if any.
    #[serde(default)]
    pub product_or_sector_specific_rules: Vec<String>,
}

/// GWP characterization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gwp {
    /// The IPCC assessment report (`AR4`, `AR5`, `AR6`), as PACT `ipccCharacterizationFactors`.
    pub set: String,
    /// Time horizon, years.
    pub horizon_years: u32,
    /// Where the values come from (report, table).
    pub source: String,
    /// How fossil and non-fossil methane are distinguished.
    pub methane: String,
    /// The clause of the standard that requires this.
    pub clause: String,
    /// kg CO2e per kg of gas.
    pub factors: BTreeMap<String, f64>,
}

/// What is inside the system boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Boundary {
    /// `cradle-to-gate` or `gate-to-gate`.
    pub kind: String,
    /// Life-cycle stages counted; inputs in other stages are reported as outside the boundary.
    pub stages: Vec<Stage>,
    /// Which purchased inputs count: `all`, or `precursors` (EU CBAM: only relevant
    /// precursors, fuels, heat and electricity).
    pub purchased_inputs: PurchasedInputs,
    /// Clause.
    pub clause: String,
}

/// Which purchased inputs count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PurchasedInputs {
    /// Every input.
    All,
    /// Only precursors (plus fuels, heat and electricity).
    Precursors,
}

/// The cut-off rule for inputs the exporter declares as excluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cutoff {
    /// Largest share of the footprint (percent) one excluded input may have.
    pub per_input_percent: f64,
    /// Largest share of the footprint (percent) all excluded inputs together may have.
    pub cumulative_percent: f64,
    /// How the excluded share is reported: `exempted-percent` (PACT
    /// `exemptedEmissionsPercent`, the excluded estimate as a share of the whole) or
    /// `not-allowed` (any exclusion is an error).
    pub report: CutoffReport,
    /// Clause.
    pub clause: String,
}

/// How exclusions are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CutoffReport {
    /// Excluded estimate reported as a percentage of the total.
    ExemptedPercent,
    /// No exclusion is allowed.
    NotAllowed,
}

/// Co-product allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// Method used when the inventory does not choose one.
    pub default: AllocationMethod,
    /// Methods an inventory may choose per process.
    pub allowed: Vec<AllocationMethod>,
    /// Name of the physical property for `physical` allocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_property: Option<String>,
    /// Clause and the hierarchy it sets.
    pub clause: String,
}

/// Electricity accounting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Electricity {
    /// `location-based` or `market-based`.
    pub accounting: ElectricityAccounting,
    /// The kind of electricity factor the standard requires (`life-cycle`,
    /// `combustion-co2`, `residual-combustion-co2`). Checked against every dataset factor with
    /// a kind that an electricity input applies; factors without a kind (inline factors) are
    /// accepted and noted. Absent: no check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_factor_kind: Option<FactorKind>,
    /// What a factor of another kind does: `error` (the default when `grid_factor_kind` is
    /// set) or `warn` (computed, and the mismatch is noted in the electricity record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_factor_kind_mismatch: Option<KindMismatch>,
    /// Instruments that count under market-based accounting.
    pub accepted_instruments: Vec<InstrumentKind>,
    /// Whether an instrument needs a serial number to count.
    pub require_serial: bool,
    /// What an instrument without the serial `require_serial` asks for means: `not-counted`
    /// (the default) or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub without_serial: Option<WithoutSerial>,
    /// Factor for consumption not covered by instruments under market-based accounting.
    pub uncovered: Uncovered,
    /// Clause.
    pub clause: String,
    /// What a counted instrument (PPA, on-site supply, certificate) without an emission factor
    /// means: `zero` (zero-emission generation; the default), `error` (refused: the
    /// instrument must carry its factor) or `technology-default` (the factor
    /// `technology_defaults` gives for the instrument's `technology`; refused when it has none).
    #[serde(default, skip_serializing_if = "InstrumentWithoutFactor::is_zero")]
    pub instrument_without_factor: InstrumentWithoutFactor,
    /// Under `instrument_without_factor = "technology-default"`: the factor of each generation
    /// technology (`wind`, `solar`, ...), as a shipped dataset reference
    /// `dataset:ID@FACTOR`. The dataset version the inventory pins is used, else the shipped
    /// one. The factor passes the `grid_factor_kind` check like any other.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub technology_defaults: BTreeMap<String, String>,
    /// Under market-based accounting with `uncovered = "residual-mix-or-grid"`: what happens
    /// when instruments are counted and the uncovered rest takes the grid factor for want of a
    /// residual mix (the claimed attributes are then counted twice): `note` (computed, noted in
    /// the electricity record) or `error` (refused). Absent: computed without a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_claim_without_residual: Option<ClaimWithoutResidual>,
    /// Under market-based accounting: the interval over which instruments are matched to
    /// consumption in time (`annual`: the reference period, `monthly`: calendar months,
    /// `hourly`: clock hours, in the inventory's time zone). Absent: instruments count in the
    /// order listed up to the consumption, with no look at when either happened (as before
    /// matching rules existed). See `crate::matching`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<crate::timeseries::Granularity>,
    /// Under `matching`: whether storage shifts green surplus to later consumption (`shift`)
    /// or is not an instrument (`ignore`, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<crate::matching::Storage>,
    /// Under `matching`: whether an instrument counts only when it comes from the grid region
    /// of the consumption (the input's `region`, else the inventory's geography). An
    /// instrument that does not state its region is then not counted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub same_region: bool,
    /// Under `matching`: the clause the matching rules come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_clause: Option<String>,
}

impl Electricity {
    /// Checks that the technology defaults are stated where they are used and are dataset
    /// references; the error names the field.
    fn validate(&self) -> Result<(), String> {
        let uses = self.instrument_without_factor == InstrumentWithoutFactor::TechnologyDefault;
        if uses && self.technology_defaults.is_empty() {
            return Err("electricity.instrument_without_factor = \"technology-default\" needs \
                        an [electricity.technology_defaults] table (technology = \
                        \"dataset:ID@FACTOR\")"
                .into());
        }
        if !uses && !self.technology_defaults.is_empty() {
            return Err("electricity.technology_defaults is only read under \
                        instrument_without_factor = \"technology-default\""
                .into());
        }
        if self.matching.is_none()
            && (self.storage.is_some() || self.same_region || self.matching_clause.is_some())
        {
            return Err("electricity.storage, same_region and matching_clause are only read \
                        with electricity.matching (\"annual\", \"monthly\" or \"hourly\")"
                .into());
        }
        if self.accepted_instruments.contains(&InstrumentKind::Storage)
            && (self.matching.is_none() || self.storage != Some(crate::matching::Storage::Shift))
        {
            return Err("electricity.accepted_instruments lists \"storage\", which only \
                        counts as green up to the green surplus that charged it: it needs \
                        electricity.matching and storage = \"shift\""
                .into());
        }
        if self.matching.is_some() && self.accounting != ElectricityAccounting::MarketBased {
            return Err(
                "electricity.matching is only read under accounting = \"market-based\"".into()
            );
        }
        for (tech, r) in &self.technology_defaults {
            let ok = r
                .strip_prefix(crate::dataset::REFERENCE_PREFIX)
                .and_then(|rest| rest.split_once('@'))
                .is_some_and(|(d, f)| !d.is_empty() && !f.is_empty());
            if !ok {
                return Err(format!(
                    "electricity.technology_defaults.{tech}: {r:?} is not a dataset reference \
                     (dataset:ID@FACTOR, e.g. dataset:cn-grid@2024-footprint-wind)"
                ));
            }
        }
        Ok(())
    }
}

/// What a claim without a residual mix does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimWithoutResidual {
    /// Computed; the double count is noted in the electricity record.
    Note,
    /// Refused: the inventory must give a residual-mix factor.
    Error,
}

/// What a counted electricity instrument without an emission factor means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InstrumentWithoutFactor {
    /// Counted as zero-emission generation.
    #[default]
    Zero,
    /// Refused: the instrument must carry its emission factor.
    Error,
    /// The factor `technology_defaults` gives for the instrument's technology.
    TechnologyDefault,
}

impl InstrumentWithoutFactor {
    /// Whether this is the default, `zero` (left out when a file is written back; the digest
    /// is over the file as written, so files that do not state the field keep theirs).
    pub fn is_zero(&self) -> bool {
        *self == Self::Zero
    }
}

/// What a factor of the wrong kind does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KindMismatch {
    /// The footprint is refused.
    Error,
    /// The footprint is computed and the mismatch noted in the result.
    Warn,
}

/// Electricity accounting methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ElectricityAccounting {
    /// Grid average factor for all consumption; instruments do not count.
    LocationBased,
    /// Instruments cover what they cover; the rest at the uncovered factor.
    MarketBased,
}

/// Factor for uncovered consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Uncovered {
    /// The residual mix factor is required.
    ResidualMix,
    /// The residual mix where the inventory gives one, else the grid factor (noted).
    ResidualMixOrGrid,
    /// The grid factor.
    Grid,
}

/// Biogenic carbon treatment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Biogenic {
    /// Whether biogenic CO2 emissions count in the footprint excluding uptake.
    pub count_co2_emissions: bool,
    /// Whether biogenic CO2 uptake is subtracted in the footprint including uptake.
    pub count_uptake: bool,
    /// Whether land-use change emissions count.
    pub count_land_use_change: bool,
    /// How a product's uptake is obtained: `allocated` (from its chain, allocated; the
    /// default) or `carbon-content` (its biogenic carbon content x 44/12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptake: Option<UptakeRule>,
    /// What a value of the wrong sign means (negative land-use change, a supplier's positive
    /// `biogenicCO2Uptake`, uptake displaced by a credit): `count` or `error`. Absent: the
    /// behaviour of the first files (a supplier's uptake is taken as its absolute value, a
    /// credit's displaced uptake is left out, a negative land-use change is counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrong_sign: Option<WrongSign>,
    /// Clause.
    pub clause: String,
}

/// Primary data share rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrimaryData {
    /// Whether a supplier's declared primary data share carries over (else supplier-specific
    /// data counts as primary in full).
    pub use_supplier_share: bool,
    /// Whether emissions of fuels, electricity and heat metered at the company's own processes
    /// count as primary data even when their emission factor is secondary.
    #[serde(default)]
    pub metered_energy_is_primary: bool,
    /// What a supplier's footprint without a declared primary data share counts as:
    /// `primary` (the default), `secondary` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_without_share: Option<WithoutShare>,
    /// What a supplier's figure typed in from a document (a factor labelled
    /// `supplier-specific`) counts as: `primary` (the default) or `stated-share`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_typed: Option<TypedSupplierData>,
    /// What a supplier's PACT footprint without a proof is: `refuse` (the default),
    /// `declared-share` or `secondary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsigned_supplier: Option<UnsignedSupplier>,
    /// Clause.
    pub clause: String,
}

/// Reporting rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reporting {
    /// Decimal places of kg CO2e figures in declarations.
    pub decimal_places: u32,
    /// Figures that must be present (names of result fields).
    pub mandatory: Vec<String>,
    /// Report direct and indirect (electricity) embedded emissions separately (EU CBAM).
    #[serde(default)]
    pub split_direct_indirect: bool,
    /// Clause.
    pub clause: String,
}

/// A loaded methodology.
#[derive(Debug, Clone, PartialEq)]
pub struct Methodology {
    /// The parsed rules.
    pub rules: MethodologyFile,
    /// The parsed file as JSON (what the digest covers).
    pub document: serde_json::Value,
    /// The file's text, as shipped or read.
    pub text: String,
    /// Where it came from: `shipped`, `archived` (an older version shipped with pcf) or a path.
    pub origin: String,
    digest: Digest,
}

/// Why a methodology could not be loaded or applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MethodologyError {
    /// No shipped methodology has that id and no such file exists.
    #[error("unknown methodology {id:?}: pcf ships {}; or give the path of a methodology file", shipped_ids().join(", "))]
    Unknown {
        /// The id asked for.
        id: String,
    },
    /// The file could not be read or parsed.
    #[error("{0}")]
    Parse(String),
    /// The file does not match the methodology schema.
    #[error("{file}: does not match the methodology schema:{}\nrun `pcf schema methodology` to see the schema",
        .problems.iter().map(|p| format!("\n  at {p}")).collect::<String>())]
    Schema {
        /// The file.
        file: String,
        /// Each violation.
        problems: Vec<String>,
    },
    /// A rule is inconsistent.
    #[error("{file}: {problem}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong.
        problem: String,
    },
}

impl Methodology {
    /// A shipped methodology by id.
    pub fn shipped(id: &str) -> Result<Methodology, MethodologyError> {
        for (name, text) in SHIPPED {
            if name.trim_end_matches(".toml") == id {
                return Self::from_text_at(Path::new(name), text, shipped::LIVE_ORIGIN);
            }
        }
        Err(MethodologyError::Unknown { id: id.to_string() })
    }

    /// All shipped methodologies.
    pub fn all_shipped() -> Result<Vec<Methodology>, MethodologyError> {
        SHIPPED
            .iter()
            .map(|(name, text)| Self::from_text_at(Path::new(name), text, shipped::LIVE_ORIGIN))
            .collect()
    }

    /// The shipped methodology `id` (live or archived) whose digest is `digest`: the file a
    /// declaration pinning that digest was made with. Only files whose parsed id is `id` match.
    pub fn shipped_with_digest(id: &str, digest: &Digest) -> Option<Methodology> {
        shipped_files(id).find(|m| m.id() == id && m.digest() == *digest)
    }

    /// The shipped methodology `id` at `version`, live or archived.
    pub fn shipped_version(id: &str, version: &str) -> Option<Methodology> {
        shipped_files(id).find(|m| m.id() == id && m.version() == version)
    }

    /// Every archived methodology, with its file name `<id>@<version>.toml`.
    pub fn all_archived() -> Result<Vec<(&'static str, Methodology)>, MethodologyError> {
        ARCHIVED
            .iter()
            .map(|(name, text)| {
                Ok((*name, Self::from_text_at(Path::new(name), text, shipped::ARCHIVED_ORIGIN)?))
            })
            .collect()
    }

    /// Whether this is an archived version shipped with pcf (not the live one).
    pub fn is_archived(&self) -> bool {
        self.origin == shipped::ARCHIVED_ORIGIN
    }

    /// A shipped id, or a shipped `id@version` (live or archived), or else a path to a
    /// methodology file.
    pub fn resolve(id_or_path: &str) -> Result<Methodology, MethodologyError> {
        match Self::shipped(id_or_path) {
            Ok(m) => Ok(m),
            Err(unknown) => {
                if let Some(m) = id_or_path
                    .split_once('@')
                    .and_then(|(id, version)| Self::shipped_version(id, version))
                {
                    return Ok(m);
                }
                let path = Path::new(id_or_path);
                if path.exists() { Self::load(path) } else { Err(unknown) }
            }
        }
    }

    /// Reads a methodology file.
    pub fn load(path: &Path) -> Result<Methodology, MethodologyError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            MethodologyError::Parse(format!("{}: cannot read: {e}", path.display()))
        })?;
        Self::from_text_at(path, &text, &path.display().to_string())
    }

    /// Parses methodology `text`; `path` names it in errors, `origin` says where it came from.
    pub fn from_text_at(
        path: &Path,
        text: &str,
        origin: &str,
    ) -> Result<Methodology, MethodologyError> {
        let file = path.display().to_string();
        let document = crate::document::parse_document(&file, path, text)
            .map_err(|e| MethodologyError::Parse(e.to_string()))?;
        let validator = jsonschema::validator_for(&schema())
            .map_err(|e| MethodologyError::Parse(format!("methodology schema: {e}")))?;
        let problems: Vec<String> = validator
            .iter_errors(&document)
            .take(20)
            .map(|e| {
                let p = e.instance_path().as_str().to_string();
                format!("{}: {e}", if p.is_empty() { "/".into() } else { p })
            })
            .collect();
        if !problems.is_empty() {
            return Err(MethodologyError::Schema { file, problems });
        }
        let rules: MethodologyFile = serde_json::from_value(document.clone()).map_err(|e| {
            MethodologyError::Schema { file: file.clone(), problems: vec![format!("/: {e}")] }
        })?;
        let digest = pcf_base::canonical::digest(&document).map_err(|e| {
            MethodologyError::Invalid { file: file.clone(), problem: e.to_string() }
        })?;
        let invalid = |problem: String| MethodologyError::Invalid { file: file.clone(), problem };
        for (gas, gwp) in &rules.gwp.factors {
            if !(gwp.is_finite() && *gwp >= 0.0) {
                return Err(invalid(format!(
                    "gwp.factors.{gas} is {gwp}, not a non-negative number"
                )));
            }
        }
        // An enum by the name files use (`economic`), not its Rust name.
        let kebab = |v: &crate::inventory::AllocationMethod| {
            serde_json::to_value(v)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        };
        if !rules.allocation.allowed.contains(&rules.allocation.default) {
            return Err(invalid(format!(
                "allocation.default \"{}\" is not among allocation.allowed ({})",
                kebab(&rules.allocation.default),
                rules.allocation.allowed.iter().map(kebab).collect::<Vec<_>>().join(", ")
            )));
        }
        let c = &rules.cutoff;
        if !(0.0..=100.0).contains(&c.per_input_percent)
            || !(0.0..=100.0).contains(&c.cumulative_percent)
            || c.per_input_percent > c.cumulative_percent
        {
            return Err(invalid(
                "cutoff thresholds must be percentages with per_input_percent <= cumulative_percent".into(),
            ));
        }
        rules.electricity.validate().map_err(invalid)?;
        if let Some(cbam) = &rules.cbam {
            cbam.validate(&rules.gwp.factors).map_err(invalid)?;
        }
        Ok(Methodology {
            rules,
            document,
            text: text.to_string(),
            origin: origin.to_string(),
            digest,
        })
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.rules.id
    }

    /// The version.
    pub fn version(&self) -> &str {
        &self.rules.version
    }

    /// The digest: SHA-256 of the canonical JSON of the parsed file.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// kg CO2e per kg of `gas`, if the methodology characterizes it.
    pub fn gwp(&self, gas: &Gas) -> Option<f64> {
        self.rules.gwp.factors.get(&gas.0).copied()
    }
}

/// Ids of the shipped methodologies.
pub fn shipped_ids() -> Vec<&'static str> {
    SHIPPED.iter().map(|(n, _)| n.trim_end_matches(".toml")).collect()
}

/// The shipped files (live first, then archived) whose file name says `id`, parsed; a file
/// that does not parse is skipped here (the tests load every one).
fn shipped_files(id: &str) -> impl Iterator<Item = Methodology> + '_ {
    shipped::files_of(id, SHIPPED, ARCHIVED).filter_map(|(name, text, origin)| {
        Methodology::from_text_at(Path::new(name), text, origin).ok()
    })
}

/// The JSON Schema of methodology files.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(MethodologyFile)).unwrap_or_default()
}
