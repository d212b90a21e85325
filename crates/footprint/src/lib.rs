//! The footprint room: what an exporter describes and what it adds up to.
//!
//! The pipeline reads top to bottom:
//! [`inventory`] (what the exporter describes, in [`units`], with factors from [`dataset`]s and
//! green electricity [`certificate`]s) -> [`graph`] (the supply chain as a petgraph graph) ->
//! [`engine`] (the footprint, under the rules of a [`methodology`]) -> [`report`] (tables and
//! charts for people, drawn by [`chart`]). [`template`] holds the commented inventories
//! `pcf init` starts from. [`solver`] holds the linear algebra both the engine and [`lci`]
//! (database-scale life cycle inventories) use. [`timeseries`] holds interval energy data for
//! hourly matching of green electricity: the slots of a reference period in a time zone, meter
//! exports read from CSV and standard load shapes. With the `spreadsheet` feature, `spreadsheet`
//! reads and writes inventories as bill-of-materials workbooks, and `cbam_template` the EU CBAM
//! communication template for installations (the SEE an installation tells its customers).
//!
//! Nothing here signs, verifies or talks to a network: the trust room (`pcf-trust`) turns a
//! footprint into a signed declaration.
//!
//! ```
//! let methodology = pcf_footprint::methodology::Methodology::shipped("pact-3.0").unwrap();
//! assert!(methodology.digest().to_string().starts_with("sha256:"));
//! ```

#[cfg(feature = "spreadsheet")]
pub mod cbam_template;
pub mod certificate;
pub mod chart;
pub mod credential;
pub mod dataset;
pub mod document;
pub mod engine;
pub mod error;
pub mod graph;
pub mod inventory;
pub mod lci;
pub mod methodology;
pub mod report;
mod shipped;
pub mod solver;
#[cfg(feature = "spreadsheet")]
pub mod spreadsheet;
pub mod template;
pub mod text;
pub mod timeseries;
pub mod units;

pub use error::Error;
