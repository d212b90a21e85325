//! The `pcf` command line (placeholder: being written).

fn main() {}
