//! Green electricity certificates as the register and declarations name them: the serial
//! number ([`CertificateSerial`], compared by a normalized key) and the quantity a declaration
//! claims ([`ClaimedKwh`], an exact decimal string with at most [`KWH_PLACES`] places).
//!
//! Every place that compares serials or keys something by one (the register's claims, the
//! double-counting check, the certificate ledger's file names) goes through
//! [`CertificateSerial::key`], so `"GEC-1"`, `"gec-1 "` and `"\tGEC-1\u{a0}"` are one
//! certificate. The serial is written as the inventory gave it, trimmed; entries and
//! declarations written before normalization keep their text verbatim (it is hashed and
//! signed) and are compared by key like the rest.
//!
//! ```
//! use pcf_footprint::certificate::{CertificateSerial, ClaimedKwh};
//!
//! let a: CertificateSerial = "GEC-2025-000481".parse().unwrap();
//! let b: CertificateSerial = " gec-2025-000481\t".parse().unwrap();
//! assert_eq!(a, b);
//! assert_eq!(b.as_str(), "gec-2025-000481");
//! assert_eq!(ClaimedKwh::floor(363636.36363636365).unwrap().to_string(), "363636.363");
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Decimal places of a claimed quantity in kWh: whole watt-hours.
pub const KWH_PLACES: u32 = 3;
/// Units of the last place per kWh (`10^KWH_PLACES`).
const PER_KWH: u64 = 1_000;

/// A certificate's serial number or contract reference.
///
/// Two serials are equal when their keys are: leading and trailing whitespace (Unicode
/// `White_Space`, plus zero-width spaces and the byte-order mark) removed, inner runs of
/// whitespace made one space, and letters upper-cased. Registries (EECS GOs, I-REC, REC
/// trackers) issue serials in one case and without spaces, so case and spacing never tell two
/// certificates apart; a registry that did distinguish them would need its own key here.
#[derive(Clone)]
pub struct CertificateSerial {
    /// As written (on the wire: verbatim, since entries and declarations are hashed).
    text: String,
    /// The comparison key.
    key: String,
}

/// A quantity of electricity a declaration claims from a certificate, in kWh: a decimal
/// string such as `"363636.363"`, exact to the watt-hour, so that sums of claims are exact.
///
/// Written by pcf with exactly [`KWH_PLACES`] decimal places, rounded down ([`ClaimedKwh::floor`])
/// so that claims which split a certificate exactly never add up to more than it holds.
/// Registers and declarations written before quantities were decimal strings hold JSON numbers;
/// those are still read (and written back unchanged), and count as their value rounded down to
/// the watt-hour.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedKwh {
    /// Watt-hours (units of the last place).
    wh: u64,
    /// How it is written.
    form: Form,
}

/// Why a serial or quantity was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// A serial that is empty once whitespace is removed, or holds control characters.
    #[error(
        "certificate serial {value:?} is invalid: expected the registry's serial number \
         (not blank, no control characters)"
    )]
    Serial {
        /// The rejected text.
        value: String,
    },
    /// A quantity that is not a decimal string of kWh.
    #[error(
        "certificate quantity {value:?} is invalid: expected kWh as a decimal string with at \
         most {KWH_PLACES} decimal places, such as \"1250.5\""
    )]
    Quantity {
        /// The rejected text.
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Form {
    Decimal(String),
    /// A JSON number, as registers and declarations before decimal strings wrote it.
    Legacy(f64),
}

impl CertificateSerial {
    /// The serial as written (trimmed when pcf wrote it).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The normalized key two serials are compared by.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A serial as read from a file that is hashed or signed: the text is kept verbatim, only
    /// the key is normalized.
    fn verbatim(text: String) -> Result<CertificateSerial, CertificateError> {
        let key =
            normalize(&text).ok_or_else(|| CertificateError::Serial { value: text.clone() })?;
        Ok(CertificateSerial { text, key })
    }
}

impl FromStr for CertificateSerial {
    type Err = CertificateError;

    /// Parses a serial from an inventory or the command line, trimming it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut serial = CertificateSerial::verbatim(s.to_string())?;
        serial.text = s.trim_matches(is_blank).to_string();
        Ok(serial)
    }
}

impl PartialEq for CertificateSerial {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for CertificateSerial {}

/// A serial equals text whose key is its key (`serial == " gec-1"` for serial `GEC-1`).
impl PartialEq<str> for CertificateSerial {
    fn eq(&self, other: &str) -> bool {
        normalize(other).is_some_and(|key| key == self.key)
    }
}

impl PartialEq<&str> for CertificateSerial {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl PartialOrd for CertificateSerial {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CertificateSerial {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl Hash for CertificateSerial {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Debug for CertificateSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl fmt::Display for CertificateSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for CertificateSerial {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for CertificateSerial {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        CertificateSerial::verbatim(String::deserialize(deserializer)?)
            .map_err(serde::de::Error::custom)
    }
}

impl ClaimedKwh {
    /// `kwh` rounded down to the watt-hour; `None` unless it is finite, at least 0 and below
    /// 2^53 Wh. A value within a few units of float error of a whole watt-hour counts as that
    /// watt-hour (`4.35` is `4349.999999999999` Wh in binary, and is 4.350 kWh).
    pub fn floor(kwh: f64) -> Option<ClaimedKwh> {
        let scaled = kwh * PER_KWH as f64;
        let nearest = scaled.round();
        let noise = scaled.abs() * 4.0 * f64::EPSILON;
        let wh = if (scaled - nearest).abs() <= noise { nearest } else { scaled.floor() };
        if !(wh.is_finite() && wh >= 0.0 && wh < MAX_WH as f64) {
            return None;
        }
        // In range and integral: the conversion is exact.
        let wh = wh as u64;
        Some(ClaimedKwh::from_wh(wh))
    }

    /// A quantity of `wh` watt-hours, written as a decimal string of kWh.
    pub fn from_wh(wh: u64) -> ClaimedKwh {
        let text = format!("{}.{:03}", wh / PER_KWH, wh % PER_KWH);
        ClaimedKwh { wh, form: Form::Decimal(text) }
    }

    /// Watt-hours: the exact value (rounded down, for a legacy JSON number).
    pub fn wh(&self) -> u64 {
        self.wh
    }

    /// kWh as a float, for display and reports.
    pub fn kwh(&self) -> f64 {
        match self.form {
            Form::Legacy(x) => x,
            Form::Decimal(_) => self.wh as f64 / PER_KWH as f64,
        }
    }

    /// Whether it was read from a JSON number (a register or declaration from before decimal
    /// strings).
    pub fn is_legacy(&self) -> bool {
        matches!(self.form, Form::Legacy(_))
    }
}

/// Watt-hours written as a decimal string of kWh (`1234567` -> `"1234.567"`).
pub fn wh_to_string(wh: u64) -> String {
    ClaimedKwh::from_wh(wh).to_string()
}

impl FromStr for ClaimedKwh {
    type Err = CertificateError;

    /// Parses digits with an optional fraction of 1 to [`KWH_PLACES`] digits; the text is kept
    /// as written.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CertificateError::Quantity { value: s.to_string() };
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits(int)
            || !digits(frac)
            || frac.len() > KWH_PLACES as usize
            || (s.contains('.') && frac.is_empty())
            || (int.len() > 1 && int.starts_with('0'))
        {
            return Err(bad());
        }
        let mut wh: u64 = 0;
        for b in int.bytes().chain(frac.bytes()).chain(std::iter::repeat_n(b'0', 3 - frac.len())) {
            wh = wh
                .checked_mul(10)
                .and_then(|w| w.checked_add(u64::from(b - b'0')))
                .ok_or_else(bad)?;
        }
        if wh >= MAX_WH {
            return Err(bad());
        }
        Ok(ClaimedKwh { wh, form: Form::Decimal(s.to_string()) })
    }
}

impl fmt::Display for ClaimedKwh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.form {
            Form::Decimal(text) => f.write_str(text),
            Form::Legacy(x) => write!(f, "{x}"),
        }
    }
}

impl Serialize for ClaimedKwh {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.form {
            Form::Decimal(text) => serializer.serialize_str(text),
            Form::Legacy(x) => serializer.serialize_f64(*x),
        }
    }
}

impl<'de> Deserialize<'de> for ClaimedKwh {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
            Raw::Number(x) => {
                let floor = ClaimedKwh::floor(x).ok_or_else(|| {
                    serde::de::Error::custom(CertificateError::Quantity { value: x.to_string() })
                })?;
                Ok(ClaimedKwh { wh: floor.wh, form: Form::Legacy(x) })
            }
        }
    }
}

/// Above this many Wh a sum of claims could lose exactness in reports (2^53).
const MAX_WH: u64 = 1 << 53;

/// Characters trimmed from a serial's ends: Unicode whitespace and invisible spaces that
/// `char::is_whitespace` does not cover (zero-width space, word joiner, byte-order mark).
fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}')
}

/// The key of a serial, or `None` if it is blank or holds control characters.
fn normalize(text: &str) -> Option<String> {
    let trimmed = text.trim_matches(is_blank);
    if trimmed.is_empty() || trimmed.chars().any(|c| c.is_control()) {
        return None;
    }
    let mut key = String::with_capacity(trimmed.len());
    let mut in_blank = false;
    for c in trimmed.chars() {
        if is_blank(c) {
            in_blank = true;
            continue;
        }
        if in_blank {
            key.push(' ');
            in_blank = false;
        }
        key.extend(c.to_uppercase());
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_keys() {
        let key = |s: &str| normalize(s);
        assert_eq!(key("GEC-1").as_deref(), Some("GEC-1"));
        assert_eq!(key(" gec-1 ").as_deref(), Some("GEC-1"));
        assert_eq!(key("\u{feff}Gec-1\u{a0}\u{200b}").as_deref(), Some("GEC-1"));
        assert_eq!(key("GEC  \u{3000}1").as_deref(), Some("GEC 1"));
        assert_eq!(key(" \t\u{2003}"), None);
        assert_eq!(key("GEC\u{0}1"), None);
    }

    #[test]
    fn quantities_parse_exactly() {
        let wh = |s: &str| s.parse::<ClaimedKwh>().map(|q| q.wh());
        assert_eq!(wh("0"), Ok(0));
        assert_eq!(wh("12.5"), Ok(12_500));
        assert_eq!(wh("363636.363"), Ok(363_636_363));
        for bad in ["", ".5", "5.", "-1", "1e3", "1.2345", "01", " 1", "+1", "1.2.3"] {
            assert!(bad.parse::<ClaimedKwh>().is_err(), "{bad:?}");
        }
        assert_eq!(ClaimedKwh::floor(0.0009).map(|q| q.wh()), Some(0));
        assert_eq!(ClaimedKwh::floor(4.35).map(|q| q.wh()), Some(4_350));
        assert_eq!(ClaimedKwh::floor(4.3499).map(|q| q.wh()), Some(4_349));
        assert_eq!(ClaimedKwh::floor(-0.5), None);
        assert_eq!(ClaimedKwh::floor(f64::NAN), None);
        assert_eq!(ClaimedKwh::from_wh(7).to_string(), "0.007");
    }
}
