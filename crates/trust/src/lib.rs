//! The trust room: a footprint becomes a claim anyone can check offline.
//!
//! [`keys`] (Ed25519, `did:key`, admission checks; [`did`] reads `did:web` documents) -> [`proof`] (W3C Data Integrity
//! `eddsa-jcs-2022`) -> [`declaration`] (PACT v3 inside a Verifiable Credential: issue, bundle,
//! and the one [`declaration::verify`] every command uses) -> [`register`] (the issuer's
//! append-only, hash-chained record, also an RFC 9162 Merkle tree with signed checkpoints;
//! [`issuance`] makes a declaration and its entry one step) -> [`witness`] (cosigns checkpoints
//! that extend the last one it saw) and [`seen`] (a buyer's record of the checkpoints seen);
//! [`trustlist`] is the buyer's file of the issuers and witnesses it trusts, by name.
//! [`passport`] issues the same footprint as a UNTP Digital Product Passport, a VC-JOSE token
//! ([`jose`]) linked to the declaration by digest.
//! [`certification`] is the certification bodies' side: approvals and revocations of
//! methodology versions (credentials too), audits that recompute, diffs and impact.
//!
//! It builds on the footprint room (`pcf-footprint`) and never on the network: it is the part
//! a browser verifier compiles to WebAssembly.

pub mod certification;
pub mod declaration;
pub mod did;
pub mod error;
pub mod issuance;
pub mod jose;
pub mod keys;
pub mod passport;
pub mod proof;
pub mod register;
pub mod seen;
pub mod trustlist;
pub mod witness;

pub use error::Error;
