//! Inventory files (TOML and JSON) never panic the loader or the engine. The methodology is
//! parsed once per process, not per input: parsing it each time made this target crawl.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

fn methodology() -> &'static pcf::methodology::Methodology {
    static M: OnceLock<pcf::methodology::Methodology> = OnceLock::new();
    M.get_or_init(|| match pcf::methodology::Methodology::shipped("pact-3.0") {
        Ok(m) => m,
        Err(e) => panic!("the shipped methodology does not load: {e}"),
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for name in ["fuzz.toml", "fuzz.json"] {
        if let Ok(inv) = pcf::inventory::Inventory::from_str(Path::new(name), text) {
            let _ = pcf::engine::footprint(&inv, methodology());
        }
    }
});
