//! DID and multikey parsing never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = pcf::keys::parse_did_key(text);
        let _ = pcf::keys::parse_multikey(text);
    }
});
