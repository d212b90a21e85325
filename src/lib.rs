//! `pcf` computes product carbon footprints from supply-chain inventories and issues them as
//! signed, hash-chained declarations that anyone can verify offline.
//!
//! This crate is the command line and a facade over the rooms of the workspace, whose
//! dependencies point one way (see ARCHITECTURE.md):
//!
//! - `pcf-base`: strict canonical JSON, digests, atomic files, instants ([`canonical`],
//!   [`digest`], [`atomic`], [`time`]);
//! - `pcf-footprint`: [`inventory`] (what the exporter describes) -> [`graph`] (the supply
//!   chain as a petgraph graph) -> [`engine`] (the footprint, under the rules of a
//!   [`methodology`]) -> [`report`]; [`solver`] holds the linear algebra both the engine and
//!   [`lci`] use; [`units`], [`dataset`], [`certificate`]; [`template`] (what `pcf init`
//!   writes) and [`spreadsheet`] (bills of materials in and out of workbooks); [`cbam_template`]
//!   (the EU CBAM communication template in and out);
//! - `pcf-trust`: [`keys`] -> [`proof`] -> [`declaration`] (the signed claim, and its one
//!   verification) -> [`register`] (the issuer's append-only record), [`issuance`],
//!   [`certification`];
//! - `pcf-exchange`: [`exchange`], the PACT v3 HTTP API (the only room with an HTTP stack).
//!
//! A library user who only computes footprints depends on `pcf-footprint`; a verifier on
//! `pcf-trust`. Every path here is the room's own module, re-exported.
//!
//! ```
//! let methodology = pcf::methodology::Methodology::shipped("pact-3.0").unwrap();
//! assert!(methodology.digest().to_string().starts_with("sha256:"));
//! ```

pub mod error;

pub use pcf_base::{atomic, canonical, digest, time};
pub use pcf_exchange as exchange;
pub use pcf_footprint::{
    cbam_template, certificate, chart, credential, document, engine, graph, inventory, lci,
    matching, methodology, report, solver, spreadsheet, template, timeseries, units,
};

pub use pcf_trust::{
    certification, declaration, did, issuance, jose, keys, passport, proof, register, seen,
    trustlist, witness,
};

pub use error::Error;

pub mod dataset {
    //! Emission-factor datasets ([`pcf_footprint::dataset`]), and [`load_inventory`], which
    //! lives with the inventory (an inventory names datasets, not the other way round) and is
    //! re-exported here where it always was.

    pub use pcf_footprint::dataset::*;
    pub use pcf_footprint::inventory::load_inventory;
}
