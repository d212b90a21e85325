//! The entries of the register and what they record: declarations, status changes, the
//! certificates a declaration claims, and the time an entry was recorded.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{CertificateSerial, ClaimedKwh, RegisterError, Violation};
use pcf_base::canonical;
use pcf_base::digest::Digest;

/// One record of the register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entry {
    /// Position in the chain: 0, 1, 2, ...
    pub seq: u64,
    /// Digest of the previous entry's canonical JSON; `None` only for entry 0.
    pub prev: Option<Digest>,
    /// When the issuer recorded the entry.
    pub time: Timestamp,
    /// What was recorded.
    pub kind: EntryKind,
}

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
#[non_exhaustive]
pub enum EntryKind {
    /// The issuer issued a declaration.
    Declared {
        /// Digest of the declaration file (stored under `declarations/`).
        declaration: Digest,
        /// The PACT ProductFootprint id of the declaration: a lowercase UUID.
        pf_id: String,
        /// The products the declaration covers (at least one).
        product_ids: Vec<String>,
        /// The earlier declaration this one replaces, if any. The entry itself deprecates it:
        /// the supersession is one append, so it either happened whole or not at all.
        supersedes: Option<Digest>,
        /// Green electricity certificates the declaration relies on.
        certificates: Vec<CertificateClaim>,
    },
    /// The status of an earlier declaration changed; declarations themselves are never edited.
    ///
    /// Registers written before a `Declared` entry's `supersedes` deprecated by itself follow
    /// each supersession with one of these for the superseded declaration; it is still read
    /// and accepted there (once), and changes nothing.
    StatusChanged {
        /// Digest of the declaration.
        declaration: Digest,
        /// Its PACT ProductFootprint id, as declared.
        pf_id: String,
        /// The new status.
        status: StatusChange,
    },
}

/// A green electricity certificate a declaration claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateClaim {
    /// The certificate's serial number (compared by its normalized key).
    pub serial: CertificateSerial,
    /// How much of it the declaration uses, in kWh (above 0): a decimal string, or a JSON
    /// number in registers and declarations written before decimal strings.
    pub quantity_kwh: ClaimedKwh,
}

/// The status an entry can give a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum StatusChange {
    /// The declaration no longer holds (typically because a newer one superseded it).
    Deprecated,
}

/// The current status of a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Status {
    /// Declared and never deprecated.
    Active,
    /// Deprecated by a later entry.
    Deprecated,
}

/// An instant in RFC 3339 form in UTC, such as `2026-03-01T12:00:00Z` or
/// `2026-03-01T12:00:00.25Z`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

/// Why a string is not a [`Timestamp`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid time {value:?}: expected RFC 3339 in UTC such as 2026-03-01T12:00:00Z \
     (optionally with up to 9 fractional second digits)"
)]
pub struct TimestampError {
    /// The rejected text.
    pub value: String,
}

impl Entry {
    /// SHA-256 of the entry's canonical JSON (RFC 8785): what the next entry's `prev` names.
    pub fn digest(&self) -> Result<Digest, RegisterError> {
        Ok(Digest::of(&self.canonical()?))
    }

    /// The entry's canonical JSON (RFC 8785): the bytes its digest is over, and its leaf in
    /// the register's Merkle tree.
    pub fn canonical(&self) -> Result<Vec<u8>, RegisterError> {
        let fail = |message: String| RegisterError::Canonical { seq: self.seq, message };
        let value = serde_json::to_value(self).map_err(|e| fail(e.to_string()))?;
        canonical::canonicalize(&value).map_err(|e| fail(e.to_string()))
    }
}

impl EntryKind {
    /// The declaration the entry is about.
    pub fn declaration(&self) -> &Digest {
        match self {
            EntryKind::Declared { declaration, .. }
            | EntryKind::StatusChanged { declaration, .. } => declaration,
        }
    }

    /// The pf id of the declaration the entry is about.
    pub fn pf_id(&self) -> &str {
        match self {
            EntryKind::Declared { pf_id, .. } | EntryKind::StatusChanged { pf_id, .. } => pf_id,
        }
    }

    /// The earlier declaration this entry deprecates: the one a `StatusChanged` entry names,
    /// or the one a `Declared` entry supersedes.
    pub fn deprecates(&self) -> Option<&Digest> {
        match self {
            EntryKind::Declared { supersedes, .. } => supersedes.as_ref(),
            EntryKind::StatusChanged { declaration, status: StatusChange::Deprecated, .. } => {
                Some(declaration)
            }
        }
    }

    /// Checks the fields on their own, without the rest of the register.
    pub(super) fn check_fields(&self) -> Result<(), Violation> {
        check_pf_id(self.pf_id())?;
        let EntryKind::Declared { declaration, product_ids, supersedes, certificates, .. } = self
        else {
            return Ok(());
        };
        if product_ids.is_empty() {
            return Err(field("productIds", "[]", "at least one product id"));
        }
        if let Some(id) = product_ids.iter().find(|id| id.trim().is_empty()) {
            return Err(field("productIds", &format!("{id:?}"), "non-empty product ids"));
        }
        if supersedes.as_ref() == Some(declaration) {
            return Err(field(
                "supersedes",
                &declaration.to_string(),
                "another declaration than the one declared",
            ));
        }
        // Serials are never blank (`CertificateSerial` refuses that when parsing) and compare
        // by their normalized key, so `"GEC-1"` and `"gec-1 "` are the same certificate.
        let mut serials = std::collections::BTreeSet::new();
        for claim in certificates {
            if !serials.insert(&claim.serial) {
                return Err(field(
                    "certificate serial",
                    &format!("{:?}", claim.serial.as_str()),
                    "each serial once per declaration, whatever its case or surrounding \
                     whitespace (sum the quantities)",
                ));
            }
            if claim.quantity_kwh.kwh() <= 0.0 {
                return Err(field("quantityKwh", &claim.quantity_kwh.to_string(), "kWh above 0"));
            }
        }
        Ok(())
    }
}

impl Timestamp {
    /// The time as written, e.g. `2026-03-01T12:00:00Z`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if pcf_base::time::Instant::parse_utc(s).is_ok() {
            Ok(Timestamp(s.to_string()))
        } else {
            Err(TimestampError { value: s.to_string() })
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses an entry file strictly and returns the entry with its digest. The file must be in
/// normal form: its canonical JSON must equal that of the parsed entry, so the digest covers
/// exactly what the file says.
pub(super) fn parse_entry(bytes: &[u8]) -> Result<(Entry, Digest), Violation> {
    let unreadable = |message: String| Violation::Unreadable { message };
    let raw = canonical::parse_strict(bytes).map_err(Violation::Json)?;
    let raw = canonical::canonicalize(&raw).map_err(Violation::Json)?;
    // Parsed again from the text (not from the value) so that errors carry line and column.
    let entry: Entry = serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
    let canonical = entry.canonical().map_err(|e| unreadable(e.to_string()))?;
    if raw != canonical {
        return Err(Violation::NotNormalForm);
    }
    Ok((entry, Digest::of(&canonical)))
}

/// Checks that a pf id is a lowercase UUID (8-4-4-4-12 hex digits).
fn check_pf_id(pf_id: &str) -> Result<(), Violation> {
    // The one form the uuid crate writes: hyphenated, lowercase (not braced, simple or URN).
    let ok = uuid::Uuid::try_parse(pf_id).is_ok_and(|id| id.hyphenated().to_string() == pf_id);
    if ok {
        Ok(())
    } else {
        Err(field("pfId", &format!("{pf_id:?}"), "a lowercase UUID (8-4-4-4-12 hex digits)"))
    }
}

fn field(field: &'static str, value: &str, expected: &'static str) -> Violation {
    Violation::Field { field, value: value.to_string(), expected }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        for ok in
            ["2026-03-01T12:00:00Z", "2024-02-29T23:59:59.123456789Z", "2026-12-31T00:00:00.5Z"]
        {
            assert!(ok.parse::<Timestamp>().is_ok(), "{ok}");
        }
        for bad in [
            "2026-03-01T12:00:00+00:00",
            "2026-03-01 12:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T12:00:00.Z",
            "2026-03-01T12:00:00.1234567890Z",
            "2026-03-01t12:00:00z",
            "2026-03-01T12:00:00Zé",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
    }

    #[test]
    fn pf_ids() {
        assert!(check_pf_id("3f2504e0-4f89-41d3-9a0c-0305e82c3301").is_ok());
        assert!(check_pf_id("3F2504E0-4F89-41D3-9A0C-0305E82C3301").is_err());
        assert!(check_pf_id("3f2504e04f8941d39a0c0305e82c3301").is_err());
        assert!(check_pf_id("{3f2504e0-4f89-41d3-9a0c-0305e82c3301}").is_err());
        assert!(check_pf_id("urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301").is_err());
        assert!(check_pf_id("3f2504e0-4f89-41d3-9a0c-0305e82c330g").is_err());
        assert!(check_pf_id("3f2504e04-f89-41d3-9a0c-0305e82c3301").is_err());
    }
}
