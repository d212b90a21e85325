//! Inventory files (TOML and JSON) never panic the loader or the engine.
#![no_main]

use std::path::Path;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let methodology = pcf::methodology::Methodology::shipped("pact-3.0").expect("shipped");
    for name in ["fuzz.toml", "fuzz.json"] {
        if let Ok(inv) = pcf::inventory::Inventory::from_str(Path::new(name), text) {
            let _ = pcf::engine::footprint(&inv, &methodology);
        }
    }
});
