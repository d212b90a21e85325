//! The layout's columns for EU CBAM: a process's allocation under eu-cbam-2026 and its
//! production route, an output's physical property under eu-cbam-2026, and a precursor's CN
//! code with its producer's figures or the default value (used by [`super::sheets`]).

use super::layout::{Column, Kind, col};

/// Processes: the allocation under eu-cbam-2026, and the production route.
pub(super) const PROCESS_CBAM: [Column; 2] = [
    col(
        "allocation under eu-cbam-2026",
        "allocation_for/eu-cbam-2026",
        Kind::Choice(&["mass", "economic", "physical", "system-expansion"]),
        false,
        "the allocation under the EU CBAM methodology, where it differs (blank: `allocation`)",
        "physical",
    ),
    col(
        "cbam route",
        "route",
        Kind::Text,
        false,
        "EU CBAM production route of the goods it makes (needed to declare a CBAM good)",
        "crude steel: electric arc furnace",
    ),
];

/// Outputs: the physical property under eu-cbam-2026.
pub(super) const OUTPUT_CBAM: Column = col(
    "physical under eu-cbam-2026",
    "physical_for/eu-cbam-2026",
    Kind::Number,
    false,
    "the physical property under the EU CBAM methodology (the functional unit: 1 for a CBAM good of the process, 0 otherwise; blank: `physical`)",
    "",
);

/// Inputs: a precursor's CN code and figures.
pub(super) const PRECURSOR: [Column; 9] = [
    col(
        "cbam precursor cn",
        "cn",
        Kind::Text,
        false,
        "for an EU CBAM precursor bought with its producer's figures or at the default value: its CN code (then fill one of communication, see direct/indirect/source, default value country)",
        "",
    ),
    col(
        "communication",
        "communication",
        Kind::Text,
        false,
        "precursor: the producer's CBAM communication file (`pcf cbam import`), relative to the inventory",
        "",
    ),
    col(
        "see direct",
        "see/direct",
        Kind::Number,
        false,
        "precursor: the producer's specific direct embedded emissions, t CO2e per t",
        "",
    ),
    col(
        "see indirect",
        "see/indirect",
        Kind::Number,
        false,
        "precursor: the producer's specific indirect embedded emissions, t CO2e per t",
        "",
    ),
    col(
        "see route",
        "see/route",
        Kind::Text,
        false,
        "precursor: the producer's production route",
        "",
    ),
    col(
        "see default value %",
        "see/default_value_percent",
        Kind::Number,
        false,
        "precursor: the share of the producer's figures based on default values, percent",
        "",
    ),
    col(
        "see source",
        "see/source",
        Kind::Text,
        false,
        "precursor: the document the figures come from",
        "",
    ),
    col(
        "default value country",
        "default_value/country",
        Kind::Text,
        false,
        "precursor at the EU default value: the country of origin (ISO 3166 alpha-2)",
        "",
    ),
    col(
        "default value version",
        "default_value/version",
        Kind::Text,
        false,
        "the version of dataset eu-cbam-default-values (blank: the current one)",
        "",
    ),
];
