//! Time: the one timestamp type of pcf. Every date-time a document carries (`validFrom`,
//! `validUntil`, a proof's `created` and `expires`, PACT periods, register entries, approvals,
//! tokens) is parsed here into an [`Instant`] and compared as a point on the time line, never as
//! text. The calendar arithmetic is jiff's; this module only decides which texts are accepted.

use std::fmt;
use std::str::FromStr;

/// A point in time, to the nanosecond (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(jiff::Timestamp);

/// A text that is not a time pcf accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not {expected}")]
pub struct TimeError {
    /// The text.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

/// What [`Instant::parse`] accepts.
pub const RFC3339: &str = "an RFC 3339 date-time with a time zone (2026-03-01T12:00:00Z)";
/// What [`Instant::parse_date`] accepts.
pub const DATE: &str = "an ISO date (2026-03-01)";
/// What [`Instant::parse_pact`] accepts.
pub const PACT: &str =
    "an RFC 3339 date-time (2025-04-01T00:00:00Z), the same without seconds, or a date";
/// What [`check_xsd_datetime`] accepts.
pub const XSD_DATETIME: &str = "an XML Schema dateTime (2026-03-01T12:00:00Z)";

impl Instant {
    /// Parses an RFC 3339 date-time with seconds and an offset: `YYYY-MM-DDThh:mm:ss[.f{1,9}]`
    /// then `Z` or `±hh:mm`. Nothing else: no lower-case `t` or `z`, no space for `T`, no
    /// missing offset, no leap second, no non-ASCII byte.
    pub fn parse(text: &str) -> Result<Instant, TimeError> {
        let err = || TimeError { value: text.to_string(), expected: RFC3339 };
        if !is_rfc3339_shape(text.as_bytes()) {
            return Err(err());
        }
        jiff::Timestamp::from_str(text).map(Instant).map_err(|_| err())
    }

    /// Like [`Instant::parse`], and the offset must be `Z` (pcf writes UTC only).
    pub fn parse_utc(text: &str) -> Result<Instant, TimeError> {
        if text.ends_with('Z') {
            Instant::parse(text)
        } else {
            Err(TimeError { value: text.to_string(), expected: "an RFC 3339 UTC date-time (…Z)" })
        }
    }

    /// Midnight UTC at the start of an ISO date `YYYY-MM-DD`.
    pub fn parse_date(text: &str) -> Result<Instant, TimeError> {
        let err = || TimeError { value: text.to_string(), expected: DATE };
        let b = text.as_bytes();
        let shape = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape {
            return Err(err());
        }
        let date = jiff::civil::Date::from_str(text).map_err(|_| err())?;
        jiff::tz::Offset::UTC
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .map(Instant)
            .map_err(|_| err())
    }

    /// A date (`YYYY-MM-DD`, its midnight UTC) or an RFC 3339 date-time.
    pub fn parse_date_or_time(text: &str) -> Result<Instant, TimeError> {
        if text.len() == 10 {
            Instant::parse_date(text)
        } else {
            Instant::parse(text)
                .map_err(|e| TimeError { expected: "a date or an RFC 3339 date-time", ..e })
        }
    }

    /// A date-time as PACT data carries it (filter criteria, `validityPeriodStart`,
    /// `referencePeriodEnd`, an event's `time`): what [`Instant::parse`] accepts, or the same
    /// without seconds (`2025-04-01T00:00Z`, as PACT's own examples write it), or a date
    /// (`2025-04-01`, its midnight UTC). RFC 3339's lower-case `t` and `z` are read as `T` and
    /// `Z`. Still no leap second, no missing offset and no non-ASCII byte.
    pub fn parse_pact(text: &str) -> Result<Instant, TimeError> {
        let err = || TimeError { value: text.to_string(), expected: PACT };
        if !text.is_ascii() {
            return Err(err());
        }
        if text.len() == 10 {
            return Instant::parse_date(text).map_err(|_| err());
        }
        // ASCII, so every byte index is a character boundary.
        let mut full = text.to_string();
        if full.get(10..11) == Some("t") {
            full.replace_range(10..11, "T");
        }
        if full.ends_with('z') {
            full.replace_range(full.len() - 1.., "Z");
        }
        // `YYYY-MM-DDThh:mm` then the offset: insert the seconds.
        if matches!(full.as_bytes().get(16), Some(b'Z' | b'+' | b'-')) {
            full.insert_str(16, ":00");
        }
        Instant::parse(&full).map_err(|_| err())
    }

    /// Midnight UTC after an ISO date: the exclusive end of "valid through DATE".
    pub fn end_of_date(text: &str) -> Result<Instant, TimeError> {
        Instant::parse_date(text)?
            .plus_days(1)
            .ok_or_else(|| TimeError { value: text.to_string(), expected: DATE })
    }

    /// The current time.
    pub fn now() -> Instant {
        Instant(jiff::Timestamp::now())
    }

    /// From seconds since the Unix epoch (`None` outside jiff's range, years -9999 to 9999).
    pub fn from_unix_seconds(seconds: i64) -> Option<Instant> {
        jiff::Timestamp::from_second(seconds).ok().map(Instant)
    }

    /// Seconds since the Unix epoch (negative before it).
    pub fn unix_seconds(&self) -> i64 {
        self.0.as_second()
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        self.0.as_millisecond()
    }

    /// `days` days of 24 hours later (`None` past the year 9999).
    pub fn plus_days(&self, days: i64) -> Option<Instant> {
        self.0
            .checked_add(jiff::SignedDuration::from_hours(days.checked_mul(24)?))
            .ok()
            .map(Instant)
    }

    /// The same wall-clock time (UTC) `years` calendar years later; 29 February becomes
    /// 28 February in a year that has none. Saturates at jiff's range.
    pub fn plus_years(&self, years: i64) -> Instant {
        let civil = jiff::tz::Offset::UTC.to_datetime(self.0);
        let span = i16::try_from(years).ok().and_then(|y| jiff::Span::new().try_years(y).ok());
        let later = span.and_then(|s| civil.checked_add(s).ok());
        match later.and_then(|c| jiff::tz::Offset::UTC.to_timestamp(c).ok()) {
            Some(t) => Instant(t),
            None if years < 0 => Instant(jiff::Timestamp::MIN),
            None => Instant(jiff::Timestamp::MAX),
        }
    }

    /// The ISO date (UTC) of this instant, `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        jiff::tz::Offset::UTC.to_datetime(self.0).date().to_string()
    }
}

impl fmt::Display for Instant {
    /// RFC 3339 in UTC, with a fraction only where there is one (`2026-03-01T12:00:00Z`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Instant {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Instant::parse(s)
    }
}

/// Checks an XML Schema 1.1 `dateTime`, the type of a Data Integrity proof's `created` and
/// `expires`: `YYYY-MM-DDThh:mm:ss[.f{1,9}]` then `Z`, `±hh:mm` (at most 14:00) or nothing (a
/// local time, which XML Schema allows). Years are the four-digit years 0000 to 9999 that
/// [`Instant`] holds (XML Schema also has longer and negative years; no proof needs them).
/// No leap second and no non-ASCII byte.
pub fn check_xsd_datetime(text: &str) -> Result<(), TimeError> {
    let err = || TimeError { value: text.to_string(), expected: XSD_DATETIME };
    let b = text.as_bytes();
    if !text.is_ascii() || b.len() < 19 {
        return Err(err());
    }
    let zone = &b[b.len().saturating_sub(6)..];
    if let [b'+' | b'-', h1, h2, b':', m1, m2] = zone {
        let two =
            |x: &u8, y: &u8| u32::from(x.wrapping_sub(b'0')) * 10 + u32::from(y.wrapping_sub(b'0'));
        let (hours, minutes) = (two(h1, h2), two(m1, m2));
        if !(hours < 14 && minutes < 60 || hours == 14 && minutes == 0) {
            return Err(err());
        }
        Instant::parse(text).map(|_| ()).map_err(|_| err())
    } else if text.ends_with('Z') {
        Instant::parse(text).map(|_| ()).map_err(|_| err())
    } else {
        // A local time is checked as if it were UTC: the calendar is the same.
        Instant::parse(&format!("{text}Z")).map(|_| ()).map_err(|_| err())
    }
}

/// `YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|±hh:mm)`, ASCII only; ranges are jiff's to check.
fn is_rfc3339_shape(b: &[u8]) -> bool {
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && at(10, b'T')
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19))
    {
        return false;
    }
    // jiff accepts a leap second (:60) by clamping it; a signed document should not carry one.
    if b[17] == b'6' {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&n) {
            return false;
        }
        i += 1 + n;
    }
    match &b[i..] {
        [b'Z'] => true,
        // RFC 3339's offset is hh:mm with hh to 23 and mm to 59; jiff alone takes up to 25 hours.
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
                && (*h1, *h2) <= (b'2', b'3')
                && *m1 <= b'5'
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_strictly() {
        let a = Instant::parse("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(a.unix_seconds(), 1_767_225_600);
        assert_eq!(Instant::parse("2000-03-01T00:00:00Z").unwrap().unix_seconds(), 951_868_800);
        assert!(a < Instant::parse("2026-01-01T00:00:00.5Z").unwrap());
        assert_eq!(Instant::parse("2026-01-01T02:00:00+02:00").unwrap(), a);
        for bad in [
            "2026-01-01T00:00:0éZ",
            "2026-01-01t00:00:00Z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-12-31T23:59:60Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00.1234567890Z",
            "2026-01-01T00:00:00+2:00",
            "+2026-01-01T00:00:00Z",
            "",
            "é",
        ] {
            assert!(Instant::parse(bad).is_err(), "{bad}");
        }
        assert!(Instant::parse_utc("2026-01-01T02:00:00+02:00").is_err());
    }

    #[test]
    fn dates_and_years() {
        let d = Instant::parse_date("2024-02-29").unwrap();
        assert_eq!(d.to_string(), "2024-02-29T00:00:00Z");
        assert_eq!(d.plus_years(1).to_string(), "2025-02-28T00:00:00Z");
        assert_eq!(Instant::end_of_date("2026-12-31").unwrap().to_string(), "2027-01-01T00:00:00Z");
        assert!(Instant::parse_date("2026-13-01").is_err());
        assert!(Instant::parse_date("2026-1-01").is_err());
        assert!(Instant::parse_date("२०२६-01-01").is_err());
        assert_eq!(
            Instant::parse_date_or_time("2026-03-01").unwrap(),
            Instant::parse("2026-03-01T00:00:00Z").unwrap()
        );
        assert_eq!(
            Instant::parse("2026-03-01T12:00:00.250Z").unwrap().to_string(),
            "2026-03-01T12:00:00.25Z"
        );
        assert_eq!(Instant::parse("2026-03-01T12:00:00Z").unwrap().date(), "2026-03-01");
    }

    /// Whether a parser accepts a text.
    type Accepts = fn(&str) -> bool;

    /// Every public parser of this module, as one function each.
    fn parsers() -> Vec<(&'static str, Accepts)> {
        vec![
            ("parse", |t| Instant::parse(t).is_ok()),
            ("parse_utc", |t| Instant::parse_utc(t).is_ok()),
            ("parse_date", |t| Instant::parse_date(t).is_ok()),
            ("parse_date_or_time", |t| Instant::parse_date_or_time(t).is_ok()),
            ("end_of_date", |t| Instant::end_of_date(t).is_ok()),
            ("parse_pact", |t| Instant::parse_pact(t).is_ok()),
            ("from_str", |t| t.parse::<Instant>().is_ok()),
            ("check_xsd_datetime", |t| check_xsd_datetime(t).is_ok()),
        ]
    }

    #[test]
    fn non_ascii_anywhere_truncation_and_leap_seconds_are_errors_not_panics() {
        let good = ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123+02:00", "2026-01-01"];
        for (name, accepts) in parsers() {
            for text in good {
                for (i, _) in text.char_indices() {
                    // Replace the character at i, insert before it, and cut the text there.
                    for c in ['é', '०', '\u{0}', '٣', '\u{10ffff}'] {
                        let replaced = format!("{}{c}{}", &text[..i], &text[i + 1..]);
                        let inserted = format!("{}{c}{}", &text[..i], &text[i..]);
                        assert!(!accepts(&replaced), "{name} accepted {replaced:?}");
                        assert!(!accepts(&inserted), "{name} accepted {inserted:?}");
                    }
                    let cut = &text[..i];
                    // A cut date-time can still be a date, or (to XML Schema) a local time.
                    let local = name == "check_xsd_datetime"
                        && cut.len() >= 19
                        && !cut.ends_with('.')
                        && cut[19..].trim_start_matches('.').bytes().all(|b| b.is_ascii_digit());
                    if cut.len() != 10 && !local {
                        assert!(!accepts(cut), "{name} accepted {cut:?}");
                    }
                }
            }
            for bad in [
                "2026-01-01T00:00:0éZ",
                "2026-12-31T23:59:60Z",
                "2016-12-31T23:59:60Z",
                "2026-12-31T23:59:60.5Z",
                "2026-12-31T23:60Z",
                "2026-00-01T00:00:00Z",
                "2026-01-00T00:00:00Z",
                "2026-01-32T00:00:00Z",
                "2025-02-29T00:00:00Z",
                "2026-01-01T25:00:00Z",
                "2026-01-01T00:61:00Z",
                "2026-01-01T00:00:00+99:00",
                "2026-01-01T00:00:00+24:00",
                "2026-01-01T00:00:00-25:59",
                "2026-01-01T00:00:00-00:60",
                "99999-01-01T00:00:00Z",
                "-2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00ZZ",
                "2026-01-01T00:00:00Z ",
                " 2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00\u{0}",
                "2026-01-01\u{0}",
                "2026-1-1",
                "2026-01-0é",
                "T",
                "Z",
            ] {
                assert!(!accepts(bad), "{name} accepted {bad:?}");
            }
        }
    }

    #[test]
    fn pact_forms() {
        let a = Instant::parse("2025-04-01T00:00:00Z").unwrap();
        for same in [
            "2025-04-01",
            "2025-04-01T00:00Z",
            "2025-04-01T02:00+02:00",
            "2025-04-01t00:00:00z",
            "2025-04-01T02:00:00+02:00",
        ] {
            assert_eq!(Instant::parse_pact(same), Ok(a), "{same}");
        }
        assert!(Instant::parse_pact("2025-04-01T00:00:00.5Z").unwrap() > a);
        let err = Instant::parse_pact("2025-04-01T00:0é").unwrap_err();
        assert_eq!(err.value, "2025-04-01T00:0é");
        assert_eq!(
            err.to_string(),
            "\"2025-04-01T00:0é\" is not an RFC 3339 date-time (2025-04-01T00:00:00Z), the same \
             without seconds, or a date"
        );
        for bad in ["2025-04-01T00:00", "2025-04-01T24:00Z", "2025-04-01T00:00:00", "2025-04-01T"] {
            assert!(Instant::parse_pact(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn xsd_datetimes() {
        for ok in ["2023-02-24T23:36:38Z", "2026-01-31T12:00:00", "2026-01-31T12:00:00-14:00"] {
            assert_eq!(check_xsd_datetime(ok), Ok(()), "{ok}");
        }
        let err = check_xsd_datetime("2026-01-31T12:00:00+14:30").unwrap_err();
        assert_eq!(err.value, "2026-01-31T12:00:00+14:30");
    }

    #[test]
    fn days_before_and_after() {
        let d = Instant::parse_date("2024-03-01").unwrap();
        assert_eq!(d.plus_days(-1).unwrap().date(), "2024-02-29");
        assert_eq!(Instant::end_of_date("2025-12-31").unwrap().date(), "2026-01-01");
        assert_eq!(Instant::end_of_date("2023-02-28").unwrap().date(), "2023-03-01");
        assert!(Instant::end_of_date("2025-02-30").is_err());
    }
}
