//! Optional rules added to the methodology schema after the first released files: biogenic
//! uptake by carbon content and values of the wrong sign, suppliers' declarations without a
//! primary data share, suppliers' GWP sets and CBAM split, what counts as primary data when a
//! supplier's figure is typed in or unsigned, and instruments without a serial. Every field is optional and
//! its absence means exactly the behaviour of the files released before it, so archived
//! files keep their digests and their figures.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a product's biogenic CO2 uptake is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UptakeRule {
    /// The uptake of the processes and factors in the product's chain, allocated like any
    /// other burden (the behaviour when the rule is absent).
    Allocated,
    /// The CO2 equivalent of the biogenic carbon in the product at the gate:
    /// `biogenic_carbon_content` x 44/12. A product whose chain takes up biogenic CO2 and
    /// that does not state its biogenic carbon content is an error.
    CarbonContent,
}

/// What a biogenic or land-use value of the wrong sign means: a negative land-use change
/// (carbon stock gain), a supplier's `biogenicCO2Uptake` above zero, or the uptake of a factor
/// that a system-expansion credit displaces (a negative uptake).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WrongSign {
    /// Counted with its sign.
    Count,
    /// Refused with an error naming the value.
    Error,
}

/// What a supplier's footprint without a declared primary data share counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WithoutShare {
    /// Primary data in full (the behaviour when the rule is absent).
    Primary,
    /// Secondary data: nothing of it counts in the primary data share.
    Secondary,
    /// Refused: the supplier must declare `primaryDataShare`.
    Error,
}

/// Rules for suppliers' declared footprints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suppliers {
    /// What a supplier's declaration made with another GWP set
    /// (`ipccCharacterizationFactors`) than `gwp.set` means: `accept` (used as declared, and
    /// its set listed beside ours in the result and the declaration) or `error`.
    pub other_gwp_set: OtherGwpSet,
    /// EU CBAM: what a supplier's footprint without a direct/indirect split
    /// (`directEmbeddedEmissions`, `indirectEmbeddedEmissions`) means: `direct` (all of it
    /// counts as direct embedded emissions; the behaviour when absent) or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub without_cbam_split: Option<WithoutSplit>,
    /// Clause.
    pub clause: String,
}

/// What a supplier declaration made with another GWP set means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OtherGwpSet {
    /// Used as declared; the set is listed among the sets used.
    Accept,
    /// Refused with an error naming the supplier and the sets.
    Error,
}

/// What a supplier footprint without a CBAM direct/indirect split means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WithoutSplit {
    /// All of it counts as direct embedded emissions.
    Direct,
    /// Refused: the supplier must declare its direct and indirect embedded emissions.
    Error,
}

/// What a supplier's figure typed in from a document (a factor whose quality `source` is
/// `supplier-specific`) counts as in the primary data share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TypedSupplierData {
    /// Primary data in full (the behaviour when the rule is absent).
    Primary,
    /// The share the factor states as `quality.primary_data_share` (what the supplier's
    /// document declares); without one, as a supplier's declaration without a share
    /// (`supplier_without_share`).
    StatedShare,
}

/// What a supplier's PACT footprint that carries no proof (unsigned) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UnsignedSupplier {
    /// `pcf declare` refuses it unless told to record it as unverified (the behaviour when
    /// the rule is absent).
    Refuse,
    /// Accepted and recorded as unsigned with its digest; its declared primary data share
    /// counts like a signed declaration's.
    DeclaredShare,
    /// Accepted and recorded as unsigned with its digest; none of it counts as primary data.
    Secondary,
}

/// What a contractual instrument without the serial number the methodology requires means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WithoutSerial {
    /// Not counted, with the reason in the electricity record (the behaviour when absent).
    NotCounted,
    /// Refused with an error naming the instrument.
    Error,
}
