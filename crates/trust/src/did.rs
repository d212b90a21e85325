//! `did:web` DID documents, read strictly: the document's `id`, its Multikey verification
//! methods (each key admitted with [`crate::keys::admit_public_key`]) and the ones its
//! `assertionMethod` references, which alone may sign declarations. A verifier is given the
//! documents (`pcf verify --did-document`, or fetched with `--fetch-did`) and resolves a
//! `did:web` proof's verification method in them ([`DidDocuments::resolve`]); where the
//! document lives is [`document_url`].
//!
//! ```
//! let key = pcf_trust::keys::generate().unwrap().verifying_key();
//! let doc = pcf_trust::keys::did_web_document("example.com", &key);
//! let parsed = pcf_trust::did::DidDocument::from_value(&doc, "did.json").unwrap();
//! assert_eq!(parsed.id, "did:web:example.com");
//! let method = format!("did:web:example.com#{}", pcf_trust::keys::multikey(&key));
//! assert_eq!(parsed.assertion_key(&method), Some(key));
//! assert_eq!(
//!     pcf_trust::did::document_url("did:web:example.com").unwrap(),
//!     "https://example.com/.well-known/did.json"
//! );
//! ```

use serde_json::Value;

use crate::keys::{VerifyingKey, parse_multikey};

/// The largest DID document read (a document with a few keys is about 1 kB).
pub const MAX_DID_DOCUMENT_BYTES: usize = 256 << 10;

/// A `did:web` DID document, as far as a verifier needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidDocument {
    /// The DID it describes (`did:web:…`).
    pub id: String,
    /// Its assertion methods: the verification methods that may sign credentials.
    pub assertion_methods: Vec<VerificationMethod>,
}

/// A Multikey verification method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationMethod {
    /// Its absolute id (`did:web:…#…`).
    pub id: String,
    /// Its Ed25519 key, admitted.
    pub key: VerifyingKey,
}

/// Why a DID document was refused or a DID has no document URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DidError {
    /// The file is not strict JSON.
    #[error("{file}: not a DID document: {reason}")]
    Json {
        /// Where the document came from.
        file: String,
        /// What the JSON parser said.
        reason: String,
    },
    /// A value of the document is wrong.
    #[error("{file}: at {pointer}: {problem}")]
    Invalid {
        /// Where the document came from.
        file: String,
        /// JSON pointer of the wrong value.
        pointer: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The DID is not a `did:web` identifier pcf can locate.
    #[error("{did:?} is not a did:web identifier pcf can resolve: {reason}")]
    NotDidWeb {
        /// The identifier.
        did: String,
        /// Why.
        reason: String,
    },
}

impl DidDocument {
    /// Parses a DID document from `bytes` (strict JSON), `source` naming it in errors.
    pub fn parse(bytes: &[u8], source: &str) -> Result<DidDocument, DidError> {
        if bytes.len() > MAX_DID_DOCUMENT_BYTES {
            return Err(DidError::Json {
                file: source.into(),
                reason: format!(
                    "{} bytes; a DID document may have at most {MAX_DID_DOCUMENT_BYTES}",
                    bytes.len()
                ),
            });
        }
        let value = pcf_base::canonical::parse_strict(bytes)
            .map_err(|e| DidError::Json { file: source.into(), reason: e.to_string() })?;
        Self::from_value(&value, source)
    }

    /// Reads a DID document from a parsed JSON value.
    pub fn from_value(value: &Value, source: &str) -> Result<DidDocument, DidError> {
        let bad = |pointer: String, problem: String| DidError::Invalid {
            file: source.into(),
            pointer,
            problem,
        };
        if !value.is_object() {
            return Err(bad(String::new(), "the document is not a JSON object".into()));
        }
        let id = match value.get("id") {
            Some(Value::String(id)) => id.clone(),
            Some(_) => return Err(bad("/id".into(), "id is not a string".into())),
            None => return Err(bad("/id".into(), "id is missing".into())),
        };
        document_url(&id).map_err(|e| bad("/id".into(), e.to_string()))?;
        let absolute =
            |r: &str| if r.starts_with('#') { format!("{id}{r}") } else { r.to_string() };
        let mut methods = Vec::new();
        let listed = match value.get("verificationMethod") {
            None => &[][..],
            Some(Value::Array(a)) => a.as_slice(),
            Some(_) => {
                return Err(bad(
                    "/verificationMethod".into(),
                    "verificationMethod is not an array".into(),
                ));
            }
        };
        for (i, m) in listed.iter().enumerate() {
            methods.push(method(m, &format!("/verificationMethod/{i}"), &id, &absolute, &bad)?);
        }
        let refs = match value.get("assertionMethod") {
            Some(Value::Array(a)) => a.as_slice(),
            Some(_) => {
                return Err(bad(
                    "/assertionMethod".into(),
                    "assertionMethod is not an array".into(),
                ));
            }
            None => {
                return Err(bad(
                    "/assertionMethod".into(),
                    "assertionMethod is missing: no key of this DID may sign credentials".into(),
                ));
            }
        };
        let mut assertion_methods: Vec<VerificationMethod> = Vec::new();
        for (i, r) in refs.iter().enumerate() {
            let at = format!("/assertionMethod/{i}");
            let m = match r {
                Value::String(s) => {
                    let target = absolute(s);
                    methods.iter().find(|m| m.id == target).cloned().ok_or_else(|| {
                        bad(at, format!("{s:?} names no verificationMethod of the document"))
                    })?
                }
                Value::Object(_) => method(r, &at, &id, &absolute, &bad)?,
                _ => return Err(bad(at, "not a reference or a verification method".into())),
            };
            if !assertion_methods.contains(&m) {
                assertion_methods.push(m);
            }
        }
        Ok(DidDocument { id, assertion_methods })
    }

    /// The key of assertion method `method` (an absolute id), if the document has it.
    pub fn assertion_key(&self, method: &str) -> Option<VerifyingKey> {
        self.assertion_methods.iter().find(|m| m.id == method).map(|m| m.key)
    }
}

/// The DID documents a verifier was given, by DID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DidDocuments(pub Vec<DidDocument>);

impl DidDocuments {
    /// The key of `method` (`did:web:…#…`) in the document of its DID, if given.
    pub fn resolve(&self, method: &str) -> Option<VerifyingKey> {
        let did = method.split('#').next()?;
        self.0.iter().find(|d| d.id == did)?.assertion_key(method)
    }

    /// The document of `did`, if given.
    pub fn get(&self, did: &str) -> Option<&DidDocument> {
        self.0.iter().find(|d| d.id == did)
    }

    /// The DIDs of the documents given.
    pub fn dids(&self) -> Vec<&str> {
        self.0.iter().map(|d| d.id.as_str()).collect()
    }
}

/// Where the DID document of `did` (`did:web:host[%3Aport][:path...]`) is published:
/// `https://host/.well-known/did.json`, or `https://host/path.../did.json`.
pub fn document_url(did: &str) -> Result<String, DidError> {
    let err = |reason: &str| DidError::NotDidWeb { did: did.into(), reason: reason.into() };
    let rest =
        did.strip_prefix("did:web:").ok_or_else(|| err("it does not start with did:web:"))?;
    if rest.contains(['#', '?', '/']) {
        return Err(err("it holds '#', '?' or '/'"));
    }
    let mut parts = rest.split(':');
    let host = parts.next().unwrap_or_default().replacen("%3A", ":", 1).replacen("%3a", ":", 1);
    let valid = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~:".contains(c))
    };
    if !valid(&host) || host.starts_with(['.', ':']) {
        return Err(err("its host is empty or not a host name"));
    }
    let path: Vec<&str> = parts.collect();
    if path.iter().any(|p| !valid(p) || p.contains(':') || *p == "." || *p == "..") {
        return Err(err("a path segment is empty or not plain"));
    }
    Ok(if path.is_empty() {
        format!("https://{host}/.well-known/did.json")
    } else {
        format!("https://{host}/{}/did.json", path.join("/"))
    })
}

/// One verification method object of the document `id`.
fn method(
    m: &Value,
    at: &str,
    id: &str,
    absolute: &dyn Fn(&str) -> String,
    bad: &dyn Fn(String, String) -> DidError,
) -> Result<VerificationMethod, DidError> {
    let field = |name: &str| match m.get(name) {
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(bad(format!("{at}/{name}"), format!("{name} is not a string"))),
        None => Err(bad(format!("{at}/{name}"), format!("{name} is missing"))),
    };
    let method_id = absolute(field("id")?);
    if !method_id.starts_with(&format!("{id}#")) {
        return Err(bad(
            format!("{at}/id"),
            format!("{method_id:?} is not a method of {id} (expected {id}#...)"),
        ));
    }
    let kind = field("type")?;
    if kind != "Multikey" {
        return Err(bad(
            format!("{at}/type"),
            format!("type {kind:?}: pcf reads Multikey verification methods"),
        ));
    }
    let controller = field("controller")?;
    if controller != id {
        return Err(bad(
            format!("{at}/controller"),
            format!("controller {controller:?} is not the document's id {id}"),
        ));
    }
    let key = parse_multikey(field("publicKeyMultibase")?)
        .map_err(|e| bad(format!("{at}/publicKeyMultibase"), e.to_string()))?;
    Ok(VerificationMethod { id: method_id, key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SigningKey, did_web_document, multikey};

    #[test]
    fn reads_what_pcf_publishes_and_refuses_the_rest() {
        let key = SigningKey::from_bytes(&[3; 32]).verifying_key();
        let doc = did_web_document("example.com:8443/shop", &key);
        let parsed = DidDocument::from_value(&doc, "d").unwrap();
        assert_eq!(parsed.id, "did:web:example.com%3A8443:shop");
        let m = format!("{}#{}", parsed.id, multikey(&key));
        let docs = DidDocuments(vec![parsed]);
        assert_eq!(docs.resolve(&m), Some(key));
        assert_eq!(docs.resolve("did:web:other.example#x"), None);
        assert_eq!(
            document_url("did:web:example.com%3A8443:shop").unwrap(),
            "https://example.com:8443/shop/did.json"
        );
        assert!(document_url("did:web:").is_err());
        assert!(document_url("did:web:a.example:..").is_err());
        assert!(document_url("did:key:z6Mk").is_err());

        let pointer = |v: Value| match DidDocument::from_value(&v, "d") {
            Err(DidError::Invalid { pointer, .. }) => pointer,
            other => panic!("{other:?}"),
        };
        let mut no_assert = doc.clone();
        no_assert.as_object_mut().unwrap().remove("assertionMethod");
        assert_eq!(pointer(no_assert), "/assertionMethod");
        let mut dangling = doc.clone();
        dangling["assertionMethod"] = serde_json::json!(["#nope"]);
        assert_eq!(pointer(dangling), "/assertionMethod/0");
        let mut jwk = doc.clone();
        jwk["verificationMethod"][0]["type"] = "JsonWebKey2020".into();
        assert_eq!(pointer(jwk), "/verificationMethod/0/type");
        let mut foreign = doc.clone();
        foreign["verificationMethod"][0]["controller"] = "did:web:evil.example".into();
        assert_eq!(pointer(foreign), "/verificationMethod/0/controller");
        let mut weak = doc.clone();
        weak["verificationMethod"][0]["publicKeyMultibase"] = "z6Mk".into();
        assert_eq!(pointer(weak), "/verificationMethod/0/publicKeyMultibase");
        let mut key_id = doc;
        key_id["id"] = "did:key:z6Mkx".into();
        assert_eq!(pointer(key_id), "/id");
    }
}
