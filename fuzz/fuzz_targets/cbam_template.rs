//! The CBAM communication template reader (`pcf cbam import`) never panics on any bytes, and
//! what it accepts is a communication that `Communication::from_text` takes back.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(c) = pcf::cbam_template::read_bytes("fuzz.xlsx", data) {
        let text = serde_json::to_string(&c).unwrap_or_default();
        let path = std::path::Path::new("fuzz.json");
        let back = pcf::inventory::communication::Communication::from_text(path, &text);
        assert!(back.is_ok(), "{back:?}");
    }
});
