//! The one integration-test binary: one module per area, helpers in `util`.

mod util;

mod adversarial;
mod architecture;
mod bom;
mod canonical;
mod cbam;
mod certification;
mod declaration;
mod exchange;
mod footprint;
mod lci;
mod methodology;
mod readme;
mod register;
mod signing;
mod solver;
mod time;
mod versions;
