//! Strict JSON parsing and canonicalization never panic, and canonical bytes are a fixed
//! point: whatever parses and canonicalizes gives bytes that parse strictly and canonicalize
//! to the very same bytes. (Not `Value` equality: `1E1` parses as the float 10.0, canonicalizes
//! to `10` and re-parses as the integer 10; the canonical bytes are the document's identity.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(value) = pcf::canonical::parse_strict(data) else { return };
    let Ok(bytes) = pcf::canonical::canonicalize(&value) else { return };
    let again = match pcf::canonical::parse_strict(&bytes) {
        Ok(v) => v,
        Err(e) => {
            panic!("canonical json {:?} does not parse: {e}", String::from_utf8_lossy(&bytes))
        }
    };
    let twice = match pcf::canonical::canonicalize(&again) {
        Ok(b) => b,
        Err(e) => panic!("canonical json does not canonicalize again: {e}"),
    };
    assert_eq!(twice, bytes, "canonical bytes are not a fixed point");
    assert_eq!(
        pcf::canonical::digest(&value).ok(),
        pcf::canonical::digest(&again).ok(),
        "the digest changed across a round trip"
    );
    // The canonical form is what serde_json itself reads as the same document, too.
    let lenient: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => panic!("canonical json is not json to serde_json: {e}"),
    };
    assert_eq!(pcf::canonical::canonicalize(&lenient).ok(), Some(bytes));
});
