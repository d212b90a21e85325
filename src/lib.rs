//! `pcf` computes product carbon footprints from supply-chain inventories and issues them as
//! signed, hash-chained declarations that anyone can verify offline.
//!
//! The pipeline reads top to bottom:
//! [`inventory`] (what the exporter describes) -> [`graph`] (the supply chain as a petgraph
//! graph) -> [`engine`] (the footprint, under the rules of a [`methodology`]) ->
//! [`declaration`] (the signed claim) -> [`register`] (the issuer's append-only record).
//! [`solver`] holds the linear algebra both the engine and `pcf lci` use.
//!
//! ```
//! let methodology = pcf::methodology::Methodology::shipped("pact-3.0").unwrap();
//! assert!(methodology.digest().to_string().starts_with("sha256:"));
//! ```

pub mod atomic;
pub mod canonical;
pub mod certificate;
pub mod certification;
pub mod dataset;
pub mod declaration;
pub mod digest;
pub mod engine;
pub mod error;
pub mod exchange;
pub mod graph;
pub mod inventory;
pub mod issuance;
pub mod keys;
pub mod lci;
pub mod methodology;
pub mod proof;
pub mod register;
pub mod report;
pub mod solver;
pub mod time;
pub mod units;

pub use error::Error;
