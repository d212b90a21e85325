//! Instants on the wire: the RFC 3339 date-times of PACT (`validOn`, `referencePeriodEnd`, ...)
//! parsed into a comparable [`Instant`], and the validity-period arithmetic PACT needs (a
//! footprint without a validity period is valid for three years from the end of its reference
//! period).

use std::fmt;

/// A point in time, UTC, to the nanosecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    /// Seconds since 1970-01-01T00:00:00Z (negative before).
    secs: i64,
    /// Nanoseconds within the second.
    nanos: u32,
}

impl Instant {
    /// Parses an RFC 3339 date-time (`2025-04-01T00:00:00Z`, `2025-04-01T02:00:00.5+02:00`),
    /// the same without seconds (`2025-04-01T00:00Z`, as PACT's own examples write it), or a
    /// plain date (`2025-04-01`, meaning its midnight UTC). `None` for anything else.
    pub fn parse(text: &str) -> Option<Instant> {
        let b = text.as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let days = days_from_civil(year, month, day);
        if b.len() == 10 {
            return Some(Instant { secs: days * 86_400, nanos: 0 });
        }
        if !matches!(b[10], b'T' | b't') || b.len() < 16 || b[13] != b':' {
            return None;
        }
        let hour = digits(&b[11..13])?;
        let minute = digits(&b[14..16])?;
        let mut rest = &b[16..];
        let mut second = 0;
        let mut nanos = 0u32;
        if let [b':', s1, s2, tail @ ..] = rest {
            second = digits(&[*s1, *s2])?;
            rest = tail;
            if let [b'.', tail @ ..] = rest {
                let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
                if n == 0 {
                    return None;
                }
                for (i, c) in tail[..n].iter().enumerate() {
                    if i < 9 {
                        nanos = nanos * 10 + u32::from(c - b'0');
                    }
                }
                for _ in n..9 {
                    nanos *= 10;
                }
                rest = &tail[n..];
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let offset = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let h = digits(&[*h1, *h2])?;
                let m = digits(&[*m1, *m2])?;
                if h > 23 || m > 59 {
                    return None;
                }
                let o = h * 3600 + m * 60;
                if *sign == b'-' { -o } else { o }
            }
            _ => return None,
        };
        // A leap second is read as the last second of its minute.
        let second = second.min(59);
        Some(Instant { secs: days * 86_400 + hour * 3600 + minute * 60 + second - offset, nanos })
    }

    /// The current time.
    pub fn now() -> Instant {
        let d =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Instant { secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX), nanos: d.subsec_nanos() }
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        self.secs.saturating_mul(1000).saturating_add(i64::from(self.nanos / 1_000_000))
    }

    /// The same wall-clock time `years` calendar years later (29 February becomes
    /// 28 February in a year that has none).
    pub fn plus_years(&self, years: i64) -> Instant {
        let days = self.secs.div_euclid(86_400);
        let in_day = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let y = y + years;
        let d = d.min(days_in_month(y, m));
        Instant { secs: days_from_civil(y, m, d) * 86_400 + in_day, nanos: self.nanos }
    }
}

impl fmt::Display for Instant {
    /// RFC 3339 in UTC with whole seconds (`2025-04-01T00:00:00Z`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let s = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, c| n * 10 + i64::from(c - b'0')))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_pact_uses() {
        let a = Instant::parse("2025-04-01T00:00:00Z").unwrap();
        assert_eq!(Instant::parse("2025-04-01").unwrap(), a);
        assert_eq!(Instant::parse("2025-04-01T00:00Z").unwrap(), a);
        assert_eq!(Instant::parse("2025-04-01T02:00:00+02:00").unwrap(), a);
        assert_eq!(a.to_string(), "2025-04-01T00:00:00Z");
        assert!(Instant::parse("2025-04-01T00:00:00.5Z").unwrap() > a);
        for bad in ["", "2025-13-01", "2025-02-30", "2025-04-01T24:00Z", "2025-04-01T00:00:00", "x"]
        {
            assert_eq!(Instant::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn adds_years() {
        let a = Instant::parse("2024-02-29T12:00:00Z").unwrap();
        assert_eq!(a.plus_years(3).to_string(), "2027-02-28T12:00:00Z");
        let b = Instant::parse("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(b.plus_years(3).to_string(), "2029-01-01T00:00:00Z");
        assert_eq!(Instant::parse("1970-01-01").unwrap().unix_seconds(), 0);
    }
}
