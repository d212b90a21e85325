//! What `pcf fetch` is given ([`FetchOptions`], [`Caps`], [`ClientSecret`]) and what it
//! reports ([`FetchReport`]), and the rule by which a served footprint must agree with its
//! signed declaration ([`compare_served`]). The fetching itself is in [`super::client`].

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use pcf_base::digest::Digest;
use pcf_trust::register::Status;

/// What to fetch and how.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The supplier's base URL (scheme, host, optional port and subpath).
    pub url: String,
    /// Client id.
    pub client_id: String,
    /// Client secret (never printed: its `Debug` is redacted).
    pub client_secret: ClientSecret,
    /// Where to store what is fetched.
    pub out: PathBuf,
    /// DIDs of issuers the buyer trusts. When any is given, an unsigned footprint fails: it
    /// cannot come from a trusted issuer.
    pub trust: Vec<String>,
    /// Fail unsigned footprints even when `trust` is empty.
    pub require_signed: bool,
    /// Trust only the certificates in this PEM file (for a server with a self-signed one).
    pub ca_cert: Option<PathBuf>,
    /// Allow `http://` URLs (local tests only).
    pub danger_plain_http: bool,
    /// The `limit` to ask for per page.
    pub page_size: Option<usize>,
    /// Timeout of each HTTP request.
    pub timeout: Duration,
    /// What one fetch may read and write at most.
    pub caps: Caps,
}

impl FetchOptions {
    /// Options with default caps, a 30-second timeout, no trusted issuer and HTTPS only.
    pub fn new(
        url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: ClientSecret,
        out: impl Into<PathBuf>,
    ) -> FetchOptions {
        FetchOptions {
            url: url.into(),
            client_id: client_id.into(),
            client_secret,
            out: out.into(),
            trust: Vec::new(),
            require_signed: false,
            ca_cert: None,
            danger_plain_http: false,
            page_size: None,
            timeout: Duration::from_secs(30),
            caps: Caps::default(),
        }
    }

    /// Whether a footprint without a signed declaration fails: with `require_signed`, and
    /// whenever a trusted issuer is named.
    pub fn signatures_required(&self) -> bool {
        self.require_signed || !self.trust.is_empty()
    }
}

/// A client secret. Its `Debug` prints `ClientSecret(<redacted>)`, so it cannot leak through
/// a debug print of [`FetchOptions`].
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> ClientSecret {
        ClientSecret(secret.into())
    }

    /// The secret itself, for the token request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

impl From<&str> for ClientSecret {
    fn from(s: &str) -> ClientSecret {
        ClientSecret(s.to_string())
    }
}

impl From<String> for ClientSecret {
    fn from(s: String) -> ClientSecret {
        ClientSecret(s)
    }
}

/// Caps on what one fetch reads and writes; a server that wants more is stopped with
/// [`super::ExchangeError::Cap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Bytes read from the network in all (pages, credentials, bundles, tokens).
    pub max_bytes: u64,
    /// Bytes written under the output directory.
    pub max_disk_bytes: u64,
    /// Pages of footprints followed.
    pub max_pages: usize,
    /// Footprints taken.
    pub max_footprints: usize,
}

impl Default for Caps {
    /// 1 GiB read, 1 GiB written, 10 000 pages, 100 000 footprints.
    fn default() -> Caps {
        Caps {
            max_bytes: 1 << 30,
            max_disk_bytes: 1 << 30,
            max_pages: 10_000,
            max_footprints: 100_000,
        }
    }
}

/// What a fetch found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchReport {
    /// The base URL fetched from.
    pub url: String,
    /// The token endpoint used.
    pub token_endpoint: String,
    /// The issuers trusted (`--trust`); empty means no declaration was checked against an
    /// issuer, so none can be valid.
    pub trusted: Vec<String>,
    /// Whether unsigned footprints count as failures.
    pub signatures_required: bool,
    /// Pages read.
    pub pages: usize,
    /// Bytes read from the network.
    pub bytes_read: u64,
    /// Bytes written under the output directory.
    pub bytes_written: u64,
    /// The footprints, in the order served.
    pub footprints: Vec<Fetched>,
}

/// One footprint fetched.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fetched {
    /// Its id.
    pub pf_id: String,
    /// `productNameCompany`.
    pub product: Option<String>,
    /// `status` as served. A valid footprint served as `Active` is active by every account
    /// (signed subject and register excerpt); one that any of them calls `Deprecated` fails.
    pub status: Option<String>,
    /// Where the served footprint was stored: under `footprints/` when its declaration
    /// verified, else under `unverified/`.
    pub file: PathBuf,
    /// What became of its signed declaration.
    pub declaration: Signed,
}

/// The outcome for a footprint's signed declaration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Signed {
    /// The footprint links no signed declaration.
    Unsigned,
    /// The declaration verified and matches the footprint.
    Valid {
        /// Its digest.
        digest: Digest,
        /// Its issuer.
        issuer: Option<String>,
        /// Where the credential was stored.
        file: PathBuf,
        /// Where the bundle it verified with (upstream, superseded versions, register
        /// excerpt) was stored, if it came with one.
        bundle: Option<PathBuf>,
    },
    /// The declaration could not be fetched, does not match, or failed a check.
    Invalid {
        /// Why.
        reasons: Vec<String>,
    },
}

impl FetchReport {
    /// How many footprints had a valid, matching signed declaration.
    pub fn valid(&self) -> usize {
        self.count(|s| matches!(s, Signed::Valid { .. }))
    }

    /// How many had one that failed.
    pub fn invalid(&self) -> usize {
        self.count(|s| matches!(s, Signed::Invalid { .. }))
    }

    /// How many had none.
    pub fn unsigned(&self) -> usize {
        self.count(|s| matches!(s, Signed::Unsigned))
    }

    /// How many failed: the invalid ones, and the unsigned ones when signatures are required.
    pub fn failed(&self) -> usize {
        self.invalid() + if self.signatures_required { self.unsigned() } else { 0 }
    }

    fn count(&self, f: impl Fn(&Signed) -> bool) -> usize {
        self.footprints.iter().filter(|x| f(&x.declaration)).count()
    }
}

/// Compares a served footprint (with the declaration link already stripped, see
/// [`super::catalogue::DeclarationLink::strip`]) with the `credentialSubject` of its signed declaration, field
/// by field, and returns every disagreement (none: they agree).
///
/// A server may differ from the signed subject in two ways only: it adds the link extension
/// (stripped before this), and it may serve `status` as `Deprecated` where the subject says
/// `Active`, because an issuer deprecates a declaration by a later register entry and never
/// edits it. Every other field, `updated` and `statusComment` included, must be equal: the
/// buyer would read any of them as the issuer's word. `register` is the declaration's status
/// in the issuer's register excerpt, when a bundle carried one; a served `Active` must agree
/// with it too.
pub fn compare_served(served: &Value, subject: &Value, register: Option<Status>) -> Vec<String> {
    let mut reasons = Vec::new();
    let (Some(served_fields), Some(signed_fields)) = (served.as_object(), subject.as_object())
    else {
        return vec!["the served footprint or the signed subject is not a JSON object".into()];
    };
    let names: BTreeSet<&String> = served_fields.keys().chain(signed_fields.keys()).collect();
    let differing: Vec<&str> = names
        .into_iter()
        .filter(|n| {
            n.as_str() != "status" && !same_json(served_fields.get(*n), signed_fields.get(*n))
        })
        .map(String::as_str)
        .collect();
    if !differing.is_empty() {
        reasons.push(format!(
            "the served footprint differs from its signed declaration in {}; a server may \
             change only status (Active to Deprecated)",
            differing.join(", ")
        ));
    }
    let status = |v: &Value| match v.get("status").and_then(Value::as_str) {
        Some("Active") => Ok(Status::Active),
        Some("Deprecated") => Ok(Status::Deprecated),
        Some(other) => Err(format!("{other:?} (expected Active or Deprecated)")),
        None => Err("missing".to_string()),
    };
    match (status(served), status(subject)) {
        (Err(e), _) => reasons.push(format!("served status {e}")),
        (_, Err(e)) => reasons.push(format!("signed status {e}")),
        (Ok(Status::Active), Ok(Status::Deprecated)) => reasons.push(
            "served as Active, but its signed declaration says Deprecated; a server cannot \
             revive a deprecated declaration"
                .into(),
        ),
        (Ok(Status::Active), Ok(_)) if register == Some(Status::Deprecated) => reasons.push(
            "served as Active, but the issuer's register excerpt records it as deprecated".into(),
        ),
        _ => {}
    }
    reasons
}

/// Whether two fields are one JSON value: compared by canonical bytes, so `10` and `10.0` (one
/// number to a signature) agree.
fn same_json(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            matches!((pcf_base::canonical::canonicalize(x), pcf_base::canonical::canonicalize(y)), (Ok(p), Ok(q)) if p == q)
        }
        _ => false,
    }
}
