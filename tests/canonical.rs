//! Tests: strict JSON parsing and RFC 8785 canonicalization (`pcf::canonical`), against the RFC
//! author's vectors and with every rejection's message snapshotted.

use std::fs;

use pcf::canonical::{JsonError, canonicalize, digest, parse_strict};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::util;

fn message(input: &[u8]) -> String {
    match parse_strict(input) {
        Ok(v) => panic!("accepted {:?} as {v}", String::from_utf8_lossy(input)),
        Err(e) => e.to_string(),
    }
}

#[test]
fn cyberphone_vectors_canonicalize_byte_for_byte() {
    let Some(dir) = util::test_vectors("signing/cyberphone-json-canonicalization/testdata") else {
        return;
    };
    let mut names: Vec<_> = fs::read_dir(dir.join("input"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["arrays", "french", "structures", "unicode", "values", "weird"]
            .map(|n| format!("{n}.json"))
    );
    for name in &names {
        let input = fs::read(dir.join("input").join(name)).unwrap();
        let expected = fs::read(dir.join("output").join(name)).unwrap();
        let hex =
            fs::read_to_string(dir.join("outhex").join(name.replace(".json", ".txt"))).unwrap();
        let hex: String = hex.split_whitespace().collect();
        assert_eq!(pcf::digest::hex(&expected), hex.to_lowercase(), "{name}: output vs outhex");

        let value = parse_strict(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(value, serde_json::from_slice::<Value>(&input).unwrap(), "{name}: parse");
        let canonical = canonicalize(&value).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&canonical),
            String::from_utf8_lossy(&expected),
            "{name}"
        );
        assert_eq!(canonical, expected, "{name}");
        // Canonical output is a fixed point.
        assert_eq!(canonicalize(&parse_strict(&canonical).unwrap()).unwrap(), expected, "{name}");
        assert_eq!(digest(&value).unwrap(), pcf::digest::Digest::of(&expected), "{name}");
    }
}

#[test]
fn missing_vectors_fail_when_required_and_warn_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("absent");

    // Not required (a local run): skipped, with the warning written where it escapes capture.
    let mut warn = Vec::new();
    assert_eq!(util::vectors_at(missing.clone(), false, &mut warn), None);
    let warn = String::from_utf8(warn).unwrap();
    assert!(warn.contains("WARNING: SKIPPED"), "{warn}");
    assert!(warn.contains(&missing.display().to_string()), "{warn}");

    // Required (CI): the test fails, naming the folder and the variable.
    let panic =
        std::panic::catch_unwind(|| util::vectors_at(missing.clone(), true, &mut std::io::sink()))
            .unwrap_err();
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains(&missing.display().to_string()), "{msg}");
    assert!(msg.contains(&format!("{} is set", util::REQUIRE_VECTORS)), "{msg}");

    // Present: returned as is and nothing written, required or not.
    for required in [false, true] {
        let mut warn = Vec::new();
        let got = util::vectors_at(tmp.path().to_path_buf(), required, &mut warn);
        assert_eq!(got.as_deref(), Some(tmp.path()));
        assert!(warn.is_empty());
    }
}

#[test]
fn duplicate_keys_are_rejected_with_key_and_pointer() {
    insta::assert_snapshot!(message(br#"{"a": 1, "a": 2}"#),
        @r#"duplicate key "a" at line 1, column 10 (json pointer "/a")"#);
    insta::assert_snapshot!(
        message(b"{\n  \"items\": [\n    {\"id\": 1},\n    {\"id\": 2, \"x/y~\": 0, \"x/y~\": 1}\n  ]\n}"),
        @r#"duplicate key "x/y~" at line 4, column 26 (json pointer "/items/1/x~1y~0")"#);
    // Keys are compared after unescaping.
    insta::assert_snapshot!(message(br#"{"\u0061": true, "a": false}"#),
        @r#"duplicate key "a" at line 1, column 18 (json pointer "/a")"#);
    assert_eq!(
        parse_strict(br#"{"a": 1, "a": 2}"#),
        Err(JsonError::DuplicateKey { key: "a".into(), pointer: "/a".into(), line: 1, column: 10 })
    );
}

#[test]
fn unsafe_integers_are_rejected() {
    insta::assert_snapshot!(message(br#"{"n": 9007199254740993}"#),
        @r#"integer 9007199254740993 at line 1, column 7 (json pointer "/n") is outside the i-json safe range of ±9007199254740991"#);
    insta::assert_snapshot!(message(b"[-9007199254740992]"),
        @r#"integer -9007199254740992 at line 1, column 2 (json pointer "/0") is outside the i-json safe range of ±9007199254740991"#);
    insta::assert_snapshot!(message(b"[1, 100000000000000000000000]"),
        @r#"integer 100000000000000000000000 at line 1, column 5 (json pointer "/1") is outside the i-json safe range of ±9007199254740991"#);
    // The edges of the safe range are accepted; a float of the same size is a float.
    assert_eq!(parse_strict(b"9007199254740991").unwrap(), json!(9007199254740991u64));
    assert_eq!(parse_strict(b"-9007199254740991").unwrap(), json!(-9007199254740991i64));
    assert_eq!(parse_strict(b"1E30").unwrap(), json!(1e30));
}

#[test]
fn canonicalize_rejects_unsafe_integers_built_in_memory() {
    let value = json!({"a": [1, 9007199254740993u64], "b/c": {"d": -9007199254740993i64}});
    insta::assert_snapshot!(canonicalize(&value).unwrap_err().to_string(),
        @r#"number 9007199254740993 at json pointer "/a/1" is an integer outside the i-json safe range of ±9007199254740991 and cannot be canonicalized"#);
    // JCS would write 1e20 as 100000000000000000000, which strict parsing refuses; 1e21 and
    // up are written with an exponent and are fine.
    let value = parse_strict(br#"{"big": [1e20, 1e21, 9007199254740991.0]}"#).unwrap();
    insta::assert_snapshot!(canonicalize(&value).unwrap_err().to_string(),
        @r#"number 1e+20 at json pointer "/big/0" is an integer outside the i-json safe range of ±9007199254740991 and cannot be canonicalized"#);
    let value = parse_strict(br#"{"big": [1e21, 9007199254740991.0, -0.0, 0.5]}"#).unwrap();
    assert_eq!(canonicalize(&value).unwrap(), br#"{"big":[1e+21,9007199254740991,0,0.5]}"#);
    let value = json!({"b/c": {"d": -9007199254740993i64}});
    assert_eq!(
        digest(&value),
        Err(JsonError::UnsafeIntegerValue {
            value: "-9007199254740993".into(),
            pointer: "/b~1c/d".into()
        })
    );
}

#[test]
fn overflowing_numbers_are_rejected() {
    insta::assert_snapshot!(message(br#"{"x": [1e400]}"#),
        @r#"number 1e400 at line 1, column 8 (json pointer "/x/0") overflows to infinity"#);
    insta::assert_snapshot!(message(b"-1.5E+309"),
        @r#"number -1.5E+309 at line 1, column 1 (json pointer "") overflows to infinity"#);
    // Underflow is not an error: the value rounds to zero, as in every JSON parser.
    assert_eq!(parse_strict(b"1e-400").unwrap(), json!(0.0));
}

#[test]
fn nan_and_infinity_are_not_json() {
    insta::assert_snapshot!(message(br#"{"x": NaN}"#),
        @"NaN at line 1, column 7 is not a json value (json has no nan, infinity or undefined)");
    insta::assert_snapshot!(message(b"[Infinity]"),
        @"Infinity at line 1, column 2 is not a json value (json has no nan, infinity or undefined)");
    insta::assert_snapshot!(message(b"[-Infinity]"),
        @"-Infinity at line 1, column 2 is not a json value (json has no nan, infinity or undefined)");
    insta::assert_snapshot!(message(b"[undefined]"),
        @"undefined at line 1, column 2 is not a json value (json has no nan, infinity or undefined)");
    insta::assert_snapshot!(message(b"[nan]"),
        @"nan at line 1, column 2 is not a json value (json has no nan, infinity or undefined)");
    insta::assert_snapshot!(message(b"[+1]"),
        @"+1 at line 1, column 2 is not a json value (json has no nan, infinity or undefined)");
}

#[test]
fn other_malformed_input_is_rejected_with_a_position() {
    insta::assert_snapshot!(message(b"{\"a\": 1} x"), @"trailing data after the json value at line 1, column 10");
    insta::assert_snapshot!(message(b"{} {}"), @"trailing data after the json value at line 1, column 4");
    insta::assert_snapshot!(message(b"{\"a\": \"\xff\"}"),
        @"invalid utf-8 at line 1, column 8: json text must be utf-8");
    insta::assert_snapshot!(message("{\"é\":\n \"\u{e9}\x01\"}".as_bytes()),
        @"control character U+0001 must be escaped in a string at line 2, column 4");
    insta::assert_snapshot!(message(br#"["\ud83d"]"#), @r"lone surrogate \ud83d in a string at line 1, column 3");
    insta::assert_snapshot!(message(br#"["\ude02x"]"#), @r"lone surrogate \ude02 in a string at line 1, column 3");
    insta::assert_snapshot!(message(br#"["\q"]"#), @r"invalid escape \'q' in a string at line 1, column 3");
    insta::assert_snapshot!(message(b"[01]"), @"number with a leading zero at line 1, column 2");
    insta::assert_snapshot!(message(b"[1.]"), @"expected a digit after the decimal point, found ']' at line 1, column 4");
    insta::assert_snapshot!(message(b"[1,]"), @"expected a json value, found ']' at line 1, column 4");
    insta::assert_snapshot!(message(b"{\"a\" 1}"), @"expected ':' after an object key, found '1' at line 1, column 6");
    insta::assert_snapshot!(message(b"{'a': 1}"), @r#"expected a string key, found '\'' at line 1, column 2"#);
    insta::assert_snapshot!(message(b"[1 2]"), @"expected ',' or ']' after an array element, found '2' at line 1, column 4");
    insta::assert_snapshot!(message(b"[\"abc"), @"unterminated string at line 1, column 6");
    insta::assert_snapshot!(message(b""), @"expected a json value, found end of input at line 1, column 1");
    insta::assert_snapshot!(message("\u{feff}{}".as_bytes()), @r"expected a json value, found '\u{feff}' at line 1, column 1");
    insta::assert_snapshot!(message(b"[truex]"), @"truex at line 1, column 2 is not a json value (json has no nan, infinity or undefined)");
    let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
    assert_eq!(
        message(deep.as_bytes()),
        format!(
            "nesting deeper than 128 levels at line 1, column 129 (json pointer {:?})",
            "/0".repeat(128)
        )
    );
    let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
    assert!(parse_strict(ok.as_bytes()).is_ok());
}

#[test]
fn whitespace_and_key_order_do_not_change_the_digest() {
    let compact = br#"{"b":{"y":[1,2.5,"s"],"x":null},"a":true}"#;
    let spaced = b"\r\n{ \"a\" :\ttrue ,\n  \"b\": { \"x\": null, \"y\": [ 1 , 2.50, \"s\" ] } }\n";
    let a = parse_strict(compact).unwrap();
    let b = parse_strict(spaced).unwrap();
    assert_eq!(canonicalize(&a).unwrap(), br#"{"a":true,"b":{"x":null,"y":[1,2.5,"s"]}}"#);
    assert_eq!(digest(&a).unwrap(), digest(&b).unwrap());
    insta::assert_snapshot!(digest(&a).unwrap(),
        @"sha256:555430d7fffcdfac79c3bf689be9fa23ee58aa80ad839726e71fe87ebcf15987");
    // Changing any value does change it.
    let c = parse_strict(br#"{"b":{"y":[1,2.5,"s"],"x":null},"a":false}"#).unwrap();
    assert_ne!(digest(&a).unwrap(), digest(&c).unwrap());
}

#[test]
fn strings_decode_like_serde_json() {
    let input =
        r#"["\"\\\/\b\f\n\r\t", "\u00e9\u20AC\ud83d\ude02", "plain é €", "\u0000"]"#.as_bytes();
    assert_eq!(parse_strict(input).unwrap(), serde_json::from_slice::<Value>(input).unwrap());
}

#[test]
fn members_sort_by_utf16_code_units() {
    // U+10000 is D800 DC00 in UTF-16 and sorts before U+FFFF, unlike in UTF-8 or by scalar.
    let value = json!({"\u{ffff}": 1, "\u{10000}": 2, "é": 3, "z": 4, "": 5, "a\u{0}": 6, "a": 7});
    let canonical = String::from_utf8(canonicalize(&value).unwrap()).unwrap();
    assert_eq!(
        canonical,
        "{\"\":5,\"a\":7,\"a\\u0000\":6,\"z\":4,\"é\":3,\"\u{10000}\":2,\"\u{ffff}\":1}"
    );
    assert_eq!(canonical.as_bytes(), serde_json_canonicalizer::to_vec(&value).unwrap());
}

/// Any JSON value whose numbers are I-JSON safe.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-(1i64 << 53) + 1..(1i64 << 53)).prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
        "(?s).{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("(?s).{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn parse_strict_agrees_with_serde_json(value in arb_json()) {
        for text in [serde_json::to_string(&value).unwrap(), serde_json::to_string_pretty(&value).unwrap()] {
            let strict = parse_strict(text.as_bytes()).unwrap();
            prop_assert_eq!(&strict, &serde_json::from_str::<Value>(&text).unwrap());
            prop_assert_eq!(&strict, &value);
        }
        // Whatever canonicalizes re-parses strictly to the same value and canonical bytes,
        // and matches serde_json_canonicalizer byte for byte.
        if let Ok(canonical) = canonicalize(&value) {
            prop_assert_eq!(&canonical, &serde_json_canonicalizer::to_vec(&value).unwrap());
            let reparsed = parse_strict(&canonical).unwrap();
            prop_assert_eq!(canonicalize(&reparsed).unwrap(), canonical);
        }
    }

    #[test]
    fn floats_parse_bit_for_bit(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        prop_assume!(f.is_finite());
        for text in [serde_json::to_string(&f).unwrap(), format!("{f:e}"), format!("{f:?}")] {
            let strict = parse_strict(text.as_bytes()).unwrap();
            let Value::Number(n) = &strict else { panic!("{text} parsed as {strict}") };
            let got = n.as_f64().unwrap();
            prop_assert!(got == f, "{} -> {}", text, got);
            prop_assert_eq!(&strict, &serde_json::from_str::<Value>(&text).unwrap());
        }
    }
}
