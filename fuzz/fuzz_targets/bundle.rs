//! Bundles: reading any JSON as a bundle and verifying its declaration with it never panics,
//! as `pcf verify` does; a bundle that reads serializes to JSON that reads back to the same
//! bundle (same canonical bytes); looking up every document it carries by its digest finds one
//! with that digest.
#![no_main]

use pcf::declaration::{Bundle, VerifyOptions};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(doc) = pcf::canonical::parse_strict(data) else { return };
    let Ok(bundle) = serde_json::from_value::<Bundle>(doc) else { return };
    let options = VerifyOptions::default();
    let _ = pcf::declaration::verify::verify(&bundle.declaration, Some(&bundle), &options);

    let written = match serde_json::to_value(&bundle) {
        Ok(v) => v,
        Err(e) => panic!("a bundle does not serialize: {e}"),
    };
    let again: Bundle = match serde_json::from_value(written.clone()) {
        Ok(b) => b,
        Err(e) => panic!("a written bundle does not read back: {e}"),
    };
    let again_written = serde_json::to_value(&again).unwrap_or_default();
    assert_eq!(
        pcf::canonical::canonicalize(&written).ok(),
        pcf::canonical::canonicalize(&again_written).ok()
    );
    for doc in bundle.upstream.iter().chain(&bundle.superseded) {
        if let Ok(d) = pcf::canonical::digest(doc) {
            let found = bundle.find(&d).map(pcf::canonical::digest);
            assert_eq!(found, Some(Ok(d)));
        }
    }
    let mut copy = Bundle::new(bundle.declaration.clone());
    copy.add_upstream(serde_json::to_value(&bundle).unwrap_or_default());
});
