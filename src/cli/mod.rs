//! The subcommands that have grown their own module; the rest live in `main.rs`.

pub mod certify;
pub mod exchange;
