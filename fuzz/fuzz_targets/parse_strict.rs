//! Strict JSON parsing and canonicalization never panic, and whatever parses canonicalizes to
//! bytes that parse back to the same value.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(value) = pcf::canonical::parse_strict(data) {
        if let Ok(bytes) = pcf::canonical::canonicalize(&value) {
            let again = pcf::canonical::parse_strict(&bytes).expect("canonical JSON parses");
            assert_eq!(again, value);
        }
    }
});
