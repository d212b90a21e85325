//! Verifying an arbitrary document as a declaration never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = pcf::canonical::parse_strict(data) {
        let options = pcf::declaration::VerifyOptions::default();
        let _ = pcf::declaration::verify::verify(&doc, None, &options);
        let _ = pcf::proof::verify(&doc, &|_| None);
    }
});
