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
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
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
}
