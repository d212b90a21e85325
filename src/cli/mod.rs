//! The subcommands, one module each (`keys` holds `keygen` and `did`); `main.rs` parses the
//! command line and dispatches here. What several subcommands share: [`output`] (the
//! `out!`/`outln!` macros and [`output::print_json`]) and [`input`].

// First, so that the modules after it can use its macros.
#[macro_use]
pub mod output;

pub mod bench;
pub mod bundle;
pub mod cbam;
pub mod certify;
pub mod check;
pub mod communication;
pub mod dataset;
pub mod declare;
pub mod exchange;
pub mod footprint;
pub mod graph;
pub mod input;
pub mod keys;
pub mod lci;
pub mod methodology;
pub mod park;
pub mod register;
pub mod schema;
pub mod spreadsheet;
pub mod trust;
pub mod untp;
pub mod verify;
pub mod verify_many;
pub mod witness;

/// What every subcommand returns.
pub type Result<T> = std::result::Result<T, pcf::Error>;
