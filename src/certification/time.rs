//! Instants for validity checks: RFC 3339 times in UTC (`2026-03-01T12:00:00Z`, with up to nine
//! fractional digits) and ISO dates, compared as numbers, never as strings (a fraction sorts
//! wrongly as text).

use std::cmp::Ordering;
use std::fmt;

/// An instant in UTC: seconds since 1970-01-01 and nanoseconds, with the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instant {
    seconds: i64,
    nanos: u32,
    text: String,
}

impl Instant {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fffffffff]Z`.
    pub fn parse(text: &str) -> Option<Instant> {
        let b = text.as_bytes();
        if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let days = days_of(&text[..10])?;
        let hour: i64 = digits(&text[11..13])?;
        let minute: i64 = digits(&text[14..16])?;
        let second: i64 = digits(&text[17..19])?;
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let rest = &text[19..];
        let nanos = match rest {
            "Z" => 0,
            _ => {
                let frac = rest.strip_prefix('.')?.strip_suffix('Z')?;
                if frac.is_empty() || frac.len() > 9 {
                    return None;
                }
                let n: u32 = digits(frac)?;
                n * 10u32.pow(9 - frac.len() as u32)
            }
        };
        Some(Instant {
            seconds: days * 86_400 + hour * 3600 + minute * 60 + second,
            nanos,
            text: text.to_string(),
        })
    }

    /// Midnight UTC at the start of an ISO date `YYYY-MM-DD`.
    pub fn start_of(date: &str) -> Option<Instant> {
        Instant::parse(&format!("{date}T00:00:00Z"))
    }

    /// Midnight UTC after an ISO date: the exclusive end of "valid through DATE".
    pub fn end_of(date: &str) -> Option<Instant> {
        Instant::start_of(&crate::declaration::next_day(date)?)
    }

    /// A date (`YYYY-MM-DD`, start of day) or an RFC 3339 UTC time.
    pub fn parse_date_or_time(text: &str) -> Option<Instant> {
        if text.len() == 10 { Instant::start_of(text) } else { Instant::parse(text) }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Ord for Instant {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.seconds, self.nanos).cmp(&(other.seconds, other.nanos))
    }
}

impl PartialOrd for Instant {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The ISO date before `date` (`YYYY-MM-DD`), or `None` if it is not a valid date.
pub fn previous_day(date: &str) -> Option<String> {
    let days = days_of(date)? - 1;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.bytes().all(|b| b.is_ascii_digit()) { s.parse().ok() } else { None }
}

/// Days since 1970-01-01 of a valid ISO date.
fn days_of(date: &str) -> Option<i64> {
    crate::declaration::next_day(date)?; // validates the calendar date
    let y: i64 = digits(&date[0..4])?;
    let m: i64 = digits(&date[5..7])?;
    let d: i64 = digits(&date[8..10])?;
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_compare_as_numbers() {
        let a = Instant::parse("2026-01-01T00:00:00Z").unwrap();
        let b = Instant::parse("2026-01-01T00:00:00.5Z").unwrap();
        assert!(a < b);
        assert_eq!(Instant::parse("1970-01-01T00:00:00Z").unwrap().seconds, 0);
        assert_eq!(Instant::parse("2000-03-01T00:00:00Z").unwrap().seconds, 951_868_800);
        assert!(
            Instant::end_of("2026-12-31").unwrap()
                > Instant::parse("2026-12-31T23:59:59Z").unwrap()
        );
        assert!(Instant::parse("2026-02-30T00:00:00Z").is_none());
        assert_eq!(previous_day("2026-01-01").as_deref(), Some("2025-12-31"));
        assert_eq!(previous_day("2024-03-01").as_deref(), Some("2024-02-29"));
        assert!(Instant::parse("2026-01-01T00:00:00+01:00").is_none());
    }
}
