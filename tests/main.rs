//! The one integration-test binary: one module per area, helpers in `util`.

mod util;

mod adversarial;
mod architecture;
mod biogenic;
mod bom;
mod canonical;
mod cbam;
mod certification;
mod declaration;
mod electricity;
mod exchange;
mod exchange_conformance;
mod exchange_events;
mod factor_libraries;
mod footprint;
mod formats;
mod import;
mod inventory_errors;
mod lci;
mod log_http;
mod methodology;
mod output;
mod pact_fields;
mod readme;
mod register;
mod signing;
mod solver;
mod status_list;
mod suppliers;
mod time;
mod transparency;
mod transparency_buyer;
mod units;
mod untp;
mod versions;
