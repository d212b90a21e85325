//! Every reader of a time: `pcf::time` (strict RFC 3339, UTC, dates, PACT forms, XML Schema
//! dateTime), the register's `Timestamp`, the PACT filters and event `time`. None panics on any
//! text; what one accepts, the stricter ones agree with; and an accepted instant prints as
//! text that parses back to the same instant.
#![no_main]

use pcf::time::{Instant, check_xsd_datetime};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let strict = Instant::parse(text);
    let utc = Instant::parse_utc(text);
    let date = Instant::parse_date(text);
    let date_or_time = Instant::parse_date_or_time(text);
    let end = Instant::end_of_date(text);
    let pact = Instant::parse_pact(text);
    let xsd = check_xsd_datetime(text);
    let register = text.parse::<pcf::register::Timestamp>();

    let accepted = [&strict, &utc, &date, &date_or_time, &end, &pact];
    if accepted.iter().any(|r| r.is_ok()) || xsd.is_ok() || register.is_ok() {
        assert!(text.is_ascii(), "non-ASCII {text:?} accepted");
    }
    for r in accepted {
        if let Err(e) = r {
            assert_eq!(e.value, text, "the error names another value");
        }
    }
    // Stricter readers imply looser ones, with the same instant.
    if let Ok(u) = utc {
        assert_eq!(strict, Ok(u));
        assert!(text.ends_with('Z'));
    }
    assert_eq!(register.is_ok(), utc.is_ok(), "register and parse_utc disagree on {text:?}");
    if let Ok(s) = strict {
        assert_eq!(pact, Ok(s), "parse_pact refuses or moves {text:?}");
        assert_eq!(date_or_time, Ok(s));
        // Printing and parsing back.
        let printed = s.to_string();
        assert_eq!(Instant::parse_utc(&printed), Ok(s), "{printed:?} from {text:?}");
        assert_eq!(Instant::parse_pact(&printed), Ok(s));
    }
    if xsd.is_ok() && text.ends_with('Z') {
        assert!(strict.is_ok(), "an xsd dateTime in UTC {text:?} is not RFC 3339");
    }
    if let Ok(d) = date {
        assert_eq!(d.date(), text);
        assert_eq!(date_or_time, Ok(d));
        assert_eq!(pact, Ok(d));
        match end {
            Ok(e) => assert_eq!(e.plus_days(-1), Some(d)),
            // Only the last date jiff holds has no next midnight.
            Err(_) => assert_eq!(d.plus_days(1), None, "{text:?} is a date without an end"),
        }
    } else {
        assert!(end.is_err());
    }
    if let Ok(p) = pact {
        assert_eq!(Instant::parse(&p.to_string()), Ok(p));
        let mut criteria = pcf::exchange::filters::Criteria::default();
        assert!(criteria.push_parameter("validOn", text).is_ok(), "{text:?}");
        assert_eq!(criteria.valid_on, Some(p));
    }
    // The same text as an event's time.
    let event = serde_json::json!({
        "type": pcf::exchange::events::PUBLISHED, "specversion": "1.0", "id": "e",
        "source": "//s", "time": text, "data": { "pfIds": ["a"] },
    });
    let bytes = serde_json::to_vec(&event).unwrap_or_default();
    assert_eq!(pcf::exchange::events::parse(&bytes).is_ok(), pact.is_ok(), "event time {text:?}");
});
