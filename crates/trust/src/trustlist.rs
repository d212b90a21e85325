//! A buyer's trust list: the issuers (by DID) and witnesses (by verifier key) the buyer relies
//! on, each with the name the buyer knows them by, kept as one JSON file
//! (`"format": "pcf-trust-list/1"`). Parsed strictly once ([`TrustList::parse`]): every DID is
//! a `did:key` whose key is admitted or a `did:web`, every witness key parses, no DID is listed
//! twice. [`TrustList::apply`] turns it into [`VerifyOptions`], and the verify report then
//! names a trusted issuer by the name given here.
//!
//! ```
//! use pcf_trust::trustlist::TrustList;
//! let key = pcf_trust::keys::generate().unwrap();
//! let did = pcf_trust::keys::did_key(&key.verifying_key());
//! let text = format!(
//!     r#"{{"format": "pcf-trust-list/1", "issuers": [{{"did": "{did}", "name": "Widget Co."}}]}}"#
//! );
//! let list = TrustList::parse(text.as_bytes(), "trust.json").unwrap();
//! assert_eq!(list.name_of(&did), Some("Widget Co."));
//! let mut options = pcf_trust::declaration::VerifyOptions::default();
//! list.apply(&mut options).unwrap();
//! assert_eq!(options.trust, [did]);
//! ```

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::declaration::VerifyOptions;
use crate::register::note::Verifier;

/// The value of a trust list's `format` field.
pub const FORMAT: &str = "pcf-trust-list/1";

/// The largest trust list [`TrustList::parse`] reads (a list of ten thousand suppliers is
/// about 1.5 MB).
pub const MAX_TRUST_LIST_BYTES: usize = 16 << 20;

/// The issuers and witnesses a buyer trusts, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawTrustList", into = "RawTrustList")]
pub struct TrustList {
    /// Trusted issuers, in the order listed.
    pub issuers: Vec<TrustedIssuer>,
    /// Trusted witnesses, in the order listed.
    pub witnesses: Vec<TrustedWitness>,
}

/// An issuer the buyer trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    /// Its DID: `did:key:z6Mk…` or `did:web:…`.
    pub did: String,
    /// The name the buyer knows it by.
    pub name: String,
}

/// A witness the buyer relies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedWitness {
    /// Its verifier key, as `pcf witness ... key` prints it.
    pub key: String,
    /// The name the buyer knows it by.
    pub name: String,
}

/// Why a trust list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustListError {
    /// The file is not strict JSON.
    #[error("{file}: not a trust list: {reason}")]
    Json {
        /// Where the list came from (a path).
        file: String,
        /// What the JSON parser said.
        reason: String,
    },
    /// A value of the list is wrong.
    #[error("{file}: at {pointer}: {problem}; {fix}")]
    Invalid {
        /// Where the list came from (a path).
        file: String,
        /// JSON pointer of the wrong value (`/issuers/2/did`).
        pointer: String,
        /// What is wrong with it.
        problem: String,
        /// What to do.
        fix: String,
    },
}

impl TrustList {
    /// Parses a trust list from `bytes` (strict JSON), `source` naming it in errors.
    pub fn parse(bytes: &[u8], source: &str) -> Result<TrustList, TrustListError> {
        if bytes.len() > MAX_TRUST_LIST_BYTES {
            return Err(TrustListError::Json {
                file: source.into(),
                reason: format!(
                    "{} bytes; a trust list may have at most {MAX_TRUST_LIST_BYTES}",
                    bytes.len()
                ),
            });
        }
        let value = pcf_base::canonical::parse_strict(bytes)
            .map_err(|e| TrustListError::Json { file: source.into(), reason: e.to_string() })?;
        Self::from_value(&value, source)
    }

    /// Reads a trust list from an already parsed JSON value, `source` naming it in errors.
    pub fn from_value(value: &Value, source: &str) -> Result<TrustList, TrustListError> {
        let bad = |pointer: &str, problem: String, fix: &str| TrustListError::Invalid {
            file: source.into(),
            pointer: pointer.into(),
            problem,
            fix: fix.into(),
        };
        let Some(top) = value.as_object() else {
            return Err(bad("", "the document is not a JSON object".into(), FIX_SHAPE));
        };
        for key in top.keys() {
            if !["format", "issuers", "witnesses"].contains(&key.as_str()) {
                return Err(bad(
                    &format!("/{}", escape(key)),
                    format!("unknown field {key:?}"),
                    "a trust list holds only format, issuers and witnesses",
                ));
            }
        }
        match top.get("format") {
            Some(Value::String(f)) if f == FORMAT => {}
            Some(other) => {
                return Err(bad(
                    "/format",
                    format!("format is {other}, not {FORMAT:?}"),
                    "this pcf reads trust lists of format pcf-trust-list/1",
                ));
            }
            None => {
                return Err(bad(
                    "/format",
                    "format is missing".into(),
                    "add \"format\": \"pcf-trust-list/1\"",
                ));
            }
        }
        let mut list = TrustList::default();
        for (i, entry) in entries(top.get("issuers"), "issuers", source)?.iter().enumerate() {
            let [did, name] = fields(entry, &format!("/issuers/{i}"), ["did", "name"], source)?;
            list.issuers.push(TrustedIssuer { did, name });
        }
        for (i, entry) in entries(top.get("witnesses"), "witnesses", source)?.iter().enumerate() {
            let [key, name] = fields(entry, &format!("/witnesses/{i}"), ["key", "name"], source)?;
            list.witnesses.push(TrustedWitness { key, name });
        }
        list.validate(source)?;
        Ok(list)
    }

    /// The list as JSON (what [`TrustList::parse`] reads back to the same list).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "format": FORMAT,
            "issuers": self.issuers.iter().map(|i| serde_json::json!({"did": i.did, "name": i.name})).collect::<Vec<_>>(),
            "witnesses": self.witnesses.iter().map(|w| serde_json::json!({"key": w.key, "name": w.name})).collect::<Vec<_>>(),
        })
    }

    /// Adds `other`'s entries that this list does not hold (an issuer by DID, a witness by
    /// key); where both list one, this list's name is kept.
    pub fn merge(&mut self, other: TrustList) {
        for i in other.issuers {
            if self.issuers.iter().all(|mine| mine.did != i.did) {
                self.issuers.push(i);
            }
        }
        for w in other.witnesses {
            if self.witnesses.iter().all(|mine| mine.key.trim() != w.key.trim()) {
                self.witnesses.push(w);
            }
        }
    }

    /// Trusts the list's issuers and witnesses in `options`: each DID joins `options.trust`
    /// (with its name in `options.issuer_names`), each witness key `options.witnesses`. The
    /// list is checked first (its fields are public, so it may not come from
    /// [`TrustList::parse`]); nothing is changed when it is refused.
    pub fn apply(&self, options: &mut VerifyOptions) -> Result<(), TrustListError> {
        let witnesses = self.validate("trust list")?;
        for i in &self.issuers {
            if !options.trust.contains(&i.did) {
                options.trust.push(i.did.clone());
            }
            options.issuer_names.entry(i.did.clone()).or_insert_with(|| i.name.clone());
        }
        for w in witnesses {
            if !options.witnesses.contains(&w) {
                options.witnesses.push(w);
            }
        }
        Ok(())
    }

    /// The name the list gives issuer `did`.
    pub fn name_of(&self, did: &str) -> Option<&str> {
        self.issuers.iter().find(|i| i.did == did).map(|i| i.name.as_str())
    }

    /// Checks every entry; the witnesses' verifier keys, parsed.
    fn validate(&self, source: &str) -> Result<Vec<Verifier>, TrustListError> {
        let bad = |pointer: String, problem: String, fix: &str| TrustListError::Invalid {
            file: source.into(),
            pointer,
            problem,
            fix: fix.into(),
        };
        let mut seen = BTreeSet::new();
        for (i, issuer) in self.issuers.iter().enumerate() {
            let at = format!("/issuers/{i}");
            check_did(&issuer.did)
                .map_err(|(problem, fix)| bad(format!("{at}/did"), problem, fix))?;
            check_name(&issuer.name).map_err(|p| bad(format!("{at}/name"), p, FIX_NAME))?;
            if !seen.insert(issuer.did.as_str()) {
                return Err(bad(
                    format!("{at}/did"),
                    format!("{} is listed twice", issuer.did),
                    "list each issuer once",
                ));
            }
        }
        let mut verifiers: Vec<Verifier> = Vec::new();
        for (i, witness) in self.witnesses.iter().enumerate() {
            let at = format!("/witnesses/{i}");
            let v = Verifier::parse_vkey(&witness.key).map_err(|e| {
                bad(
                    format!("{at}/key"),
                    e.to_string(),
                    "give the verifier key exactly as `pcf witness ... key` prints it",
                )
            })?;
            check_name(&witness.name).map_err(|p| bad(format!("{at}/name"), p, FIX_NAME))?;
            if verifiers.contains(&v) {
                return Err(bad(
                    format!("{at}/key"),
                    format!("witness {} is listed twice", v.name),
                    "list each witness once",
                ));
            }
            verifiers.push(v);
        }
        Ok(verifiers)
    }
}

const FIX_SHAPE: &str = "a trust list is {\"format\": \"pcf-trust-list/1\", \"issuers\": [{\"did\": ..., \"name\": ...}], \"witnesses\": [{\"key\": ..., \"name\": ...}]}";
const FIX_NAME: &str = "give the name you know it by";

/// The longest name an entry may have, in characters.
const MAX_NAME_CHARS: usize = 200;

/// Whether `did` is a DID a trust list may hold: a `did:key` whose key is admitted, or a
/// `did:web` naming a host; else what is wrong and what to do.
fn check_did(did: &str) -> Result<(), (String, &'static str)> {
    if did.contains('#') {
        return Err((
            format!("{did:?} is a verification method, not a DID"),
            "give the issuer's DID without the #fragment",
        ));
    }
    if did.starts_with("did:key:") {
        return crate::keys::parse_did_key(did)
            .map(|_| ())
            .map_err(|e| (e.to_string(), "copy the DID exactly as the issuer publishes it"));
    }
    if let Some(rest) = did.strip_prefix("did:web:") {
        let host = rest.split(':').next().unwrap_or_default();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "-._~%".contains(c);
        if host.is_empty() || !rest.chars().all(|c| ok_char(c) || c == ':') {
            return Err((
                format!("{did:?} is not a did:web identifier"),
                "write did:web:<host>[:<path>...], as `pcf keys show --domain` prints it",
            ));
        }
        return Ok(());
    }
    Err((
        format!("{did:?} is neither a did:key nor a did:web"),
        "pcf verifies issuers identified by did:key:z6Mk... or did:web:...",
    ))
}

fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("the name is empty".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("the name has more than {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("the name {name:?} holds control characters"));
    }
    Ok(())
}

/// The array at `key` of the top level (absent is empty).
fn entries<'a>(
    value: Option<&'a Value>,
    key: &str,
    source: &str,
) -> Result<&'a [Value], TrustListError> {
    match value {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(TrustListError::Invalid {
            file: source.into(),
            pointer: format!("/{key}"),
            problem: format!("{key} is not an array"),
            fix: FIX_SHAPE.into(),
        }),
    }
}

/// The two string fields of an entry, which holds nothing else.
fn fields(
    entry: &Value,
    at: &str,
    names: [&str; 2],
    source: &str,
) -> Result<[String; 2], TrustListError> {
    let bad = |pointer: String, problem: String| TrustListError::Invalid {
        file: source.into(),
        pointer,
        problem,
        fix: format!("each entry is {{\"{}\": ..., \"{}\": ...}}", names[0], names[1]),
    };
    let Some(object) = entry.as_object() else {
        return Err(bad(at.into(), "the entry is not an object".into()));
    };
    if let Some(k) = object.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(bad(format!("{at}/{}", escape(k)), format!("unknown field {k:?}")));
    }
    let mut out = [String::new(), String::new()];
    for (slot, name) in out.iter_mut().zip(names) {
        match object.get(name) {
            Some(Value::String(s)) => *slot = s.clone(),
            Some(_) => return Err(bad(format!("{at}/{name}"), format!("{name} is not a string"))),
            None => return Err(bad(format!("{at}/{name}"), format!("{name} is missing"))),
        }
    }
    Ok(out)
}

/// A JSON pointer reference token (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The serialized form: `format` and both arrays.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrustList {
    format: String,
    #[serde(default)]
    issuers: Vec<TrustedIssuer>,
    #[serde(default)]
    witnesses: Vec<TrustedWitness>,
}

impl TryFrom<RawTrustList> for TrustList {
    type Error = TrustListError;

    fn try_from(raw: RawTrustList) -> Result<TrustList, TrustListError> {
        if raw.format != FORMAT {
            return Err(TrustListError::Invalid {
                file: "trust list".into(),
                pointer: "/format".into(),
                problem: format!("format is {:?}, not {FORMAT:?}", raw.format),
                fix: "this pcf reads trust lists of format pcf-trust-list/1".into(),
            });
        }
        let list = TrustList { issuers: raw.issuers, witnesses: raw.witnesses };
        list.validate("trust list")?;
        Ok(list)
    }
}

impl From<TrustList> for RawTrustList {
    fn from(list: TrustList) -> RawTrustList {
        RawTrustList { format: FORMAT.into(), issuers: list.issuers, witnesses: list.witnesses }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn did() -> String {
        crate::keys::did_key(&crate::keys::SigningKey::from_bytes(&[7; 32]).verifying_key())
    }

    fn vkey() -> String {
        let key = crate::keys::SigningKey::from_bytes(&[9; 32]).verifying_key();
        Verifier::new("witness.example", crate::register::note::COSIGNATURE, key)
            .map(|v| v.vkey())
            .unwrap_or_default()
    }

    fn parse(v: Value) -> Result<TrustList, TrustListError> {
        TrustList::parse(v.to_string().as_bytes(), "t.json")
    }

    #[test]
    fn round_trips_and_applies() {
        let v = serde_json::json!({
            "format": FORMAT,
            "issuers": [{"did": did(), "name": "Widget Co."}, {"did": "did:web:example.com", "name": "Web Co."}],
            "witnesses": [{"key": vkey(), "name": "Witness A"}],
        });
        let list = parse(v).unwrap();
        assert_eq!(parse(list.to_json()).unwrap(), list);
        let via_serde: TrustList = serde_json::from_value(list.to_json()).unwrap();
        assert_eq!(via_serde, list);
        let mut o = VerifyOptions::default();
        list.apply(&mut o).unwrap();
        list.apply(&mut o).unwrap();
        assert_eq!(o.trust, [did(), "did:web:example.com".to_string()]);
        assert_eq!(o.witnesses.len(), 1);
        assert_eq!(o.issuer_names.get(&did()).map(String::as_str), Some("Widget Co."));
        assert_eq!(list.name_of("did:web:example.com"), Some("Web Co."));
        assert_eq!(list.name_of("did:web:other.example"), None);
    }

    #[test]
    fn absent_arrays_are_empty() {
        assert_eq!(parse(serde_json::json!({"format": FORMAT})).unwrap(), TrustList::default());
    }

    #[test]
    fn refusals_name_the_place() {
        let pointer = |v: Value| match parse(v) {
            Err(TrustListError::Invalid { pointer, .. }) => pointer,
            other => panic!("{other:?}"),
        };
        assert_eq!(pointer(serde_json::json!({"format": "pcf-trust-list/2"})), "/format");
        assert_eq!(pointer(serde_json::json!({"issuers": []})), "/format");
        assert_eq!(pointer(serde_json::json!({"format": FORMAT, "extra": 1})), "/extra");
        let bad_did = serde_json::json!({"format": FORMAT, "issuers": [{"did": "did:key:z6MkNOPE", "name": "x"}]});
        assert_eq!(pointer(bad_did), "/issuers/0/did");
        let other =
            serde_json::json!({"format": FORMAT, "issuers": [{"did": "did:ion:abc", "name": "x"}]});
        assert_eq!(pointer(other), "/issuers/0/did");
        let twice = serde_json::json!({"format": FORMAT, "issuers": [{"did": did(), "name": "a"}, {"did": did(), "name": "b"}]});
        assert_eq!(pointer(twice), "/issuers/1/did");
        let witness =
            serde_json::json!({"format": FORMAT, "witnesses": [{"key": "nope", "name": "a"}]});
        assert_eq!(pointer(witness), "/witnesses/0/key");
        let unknown =
            serde_json::json!({"format": FORMAT, "issuers": [{"did": did(), "name": "a", "x": 1}]});
        assert_eq!(pointer(unknown), "/issuers/0/x");
        let e = parse(
            serde_json::json!({"format": FORMAT, "issuers": [{"did": "did:ion:abc", "name": "x"}]}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("t.json: at /issuers/0/did: \"did:ion:abc\" is neither"), "{e}");
        assert!(matches!(
            TrustList::parse(b"{\"format\": 1,}", "t.json"),
            Err(TrustListError::Json { .. })
        ));
    }

    #[test]
    fn merge_keeps_existing_names() {
        let mut a = TrustList {
            issuers: vec![TrustedIssuer { did: did(), name: "A".into() }],
            witnesses: vec![],
        };
        let b = TrustList {
            issuers: vec![
                TrustedIssuer { did: did(), name: "B".into() },
                TrustedIssuer { did: "did:web:b.example".into(), name: "B".into() },
            ],
            witnesses: vec![TrustedWitness { key: vkey(), name: "W".into() }],
        };
        a.merge(b);
        assert_eq!(a.issuers.len(), 2);
        assert_eq!(a.name_of(&did()), Some("A"));
        assert_eq!(a.witnesses.len(), 1);
    }
}
