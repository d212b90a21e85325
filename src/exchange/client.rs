//! The buyer's side (`pcf fetch`): authenticate at a supplier's PACT endpoint, page through
//! its footprints, verify the signed declaration behind each footprint that links one
//! (reporting those that link none), and only then store what was fetched.
//!
//! What a supplier's server says is untrusted:
//!
//! - *Bounded.* Every response is size-limited while it is read; one fetch reads at most
//!   [`Caps::max_bytes`], writes at most [`Caps::max_disk_bytes`], follows at most
//!   [`Caps::max_pages`] pages and takes at most [`Caps::max_footprints`] footprints, and
//!   stops with [`ExchangeError::Cap`] (naming the flag that raises the cap) beyond that.
//! - *Secrets stay home.* The client secret goes only to a token endpoint on the origin
//!   (scheme, host, port) of the URL the user gave, the access token only to that origin,
//!   and no redirect is ever followed.
//! - *One verification.* A footprint counts as verified only when the credential's digest is
//!   the one announced, the served footprint agrees with the credential's subject field by
//!   field (see [`compare_served`]) and [`crate::declaration::verify::verify`] gives the
//!   verdict [`Verdict::Valid`].
//! - *Verify, then write; never replace.* Everything is checked in memory first. Files are
//!   content-addressed and written once, atomically:
//!
//! ```text
//! OUT/footprints/<id>/<sha256>.json    served footprints whose declaration verified
//! OUT/declarations/<sha256>.json       their signed credentials (named by the JCS digest)
//! OUT/bundles/<sha256>.json            the bundles they verified with
//! OUT/unverified/<id>/<sha256>.json    unsigned footprints and those that failed
//! ```
//!
//! `<id>` is the footprint id when it is a UUID, else `pf-` and a digest of it. Two different
//! documents served under one id get two names, so neither replaces the other, and nothing
//! unverified is ever written where verified footprints are kept.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::ExchangeError;
use super::catalogue::DeclarationLink;
use super::pagination::parse_next_link;
use crate::declaration::{Bundle, CheckStatus, Verdict, VerifyOptions};
use crate::digest::Digest;
use crate::register::Status;

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
/// [`ExchangeError::Cap`].
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
/// [`DeclarationLink::strip`]) with the `credentialSubject` of its signed declaration, field
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
        .filter(|n| n.as_str() != "status" && served_fields.get(*n) != signed_fields.get(*n))
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

/// Largest single response read (a page of footprints or a bundle).
const MAX_RESPONSE: u64 = 32 << 20;

/// An HTTP client on pcf's TLS stack that follows no redirects (so neither the client secret
/// nor a token is ever replayed to where a server points); with `ca`, it trusts only those
/// certificates, else the platform's roots.
pub fn http_client(
    ca: Option<&[rustls_pki_types::CertificateDer<'static>]>,
    timeout: Duration,
) -> Result<reqwest::Client, ExchangeError> {
    // reqwest is built without a crypto provider of its own; it uses the process default,
    // which this installs unless someone installed one first.
    let _ = super::tls::provider().install_default();
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("pcf/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = ca {
        let certs = ca
            .iter()
            .map(|c| reqwest::Certificate::from_der(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ExchangeError::Config(format!("TLS: bad certificate: {e}")))?;
        builder = builder.tls_certs_only(certs);
    }
    builder.build().map_err(|e| ExchangeError::Config(format!("HTTP client: {e}")))
}

/// Fetches every footprint from a PACT endpoint, verifies their signed declarations and
/// stores them under `options.out` (see the module documentation for the layout).
pub async fn fetch(options: &FetchOptions) -> Result<FetchReport, ExchangeError> {
    let base = reqwest::Url::parse(options.url.trim_end_matches('/'))
        .map_err(|e| ExchangeError::Usage(format!("{}: not a URL: {e}", options.url)))?;
    if !base.username().is_empty() || base.password().is_some() {
        return Err(ExchangeError::Usage(
            "the URL carries a user name or password; give the client id with --client-id and \
             the secret with --client-secret-file or PCF_CLIENT_SECRET instead"
                .into(),
        ));
    }
    check_scheme(&base, options.danger_plain_http)?;
    let base_str = base.as_str().trim_end_matches('/').to_string();
    let ca = match &options.ca_cert {
        Some(path) => Some(super::tls::read_certificates(path)?),
        None => None,
    };
    let http = http_client(ca.as_deref(), options.timeout)?;
    let session = Session {
        http,
        base: base.clone(),
        options,
        read: AtomicU64::new(0),
        written: AtomicU64::new(0),
    };

    let token_endpoint = session.discover_token_endpoint(&base_str).await?;
    let mut token = session.token(&token_endpoint).await?;

    let mut url = format!("{base_str}/3/footprints");
    if let Some(n) = options.page_size {
        url.push_str(&format!("?limit={n}"));
    }
    let mut visited = HashSet::new();
    let mut seen: HashMap<String, Digest> = HashMap::new();
    let mut report = FetchReport {
        url: base_str.clone(),
        token_endpoint: token_endpoint.clone(),
        trusted: options.trust.clone(),
        signatures_required: options.signatures_required(),
        pages: 0,
        bytes_read: 0,
        bytes_written: 0,
        footprints: Vec::new(),
    };
    loop {
        if report.pages >= options.caps.max_pages {
            return Err(cap(&url, "pages", options.caps.max_pages as u64, "--max-pages"));
        }
        if !visited.insert(url.clone()) {
            return Err(ExchangeError::Protocol {
                url,
                message: "pagination loops: the next link points to a page already read".into(),
            });
        }
        let mut response = session.get(&url, Some(&token)).await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            // The token expired while paging: get a new one, once.
            token = session.token(&token_endpoint).await?;
            response = session.get(&url, Some(&token)).await?;
        }
        let status = response.status();
        let next = response
            .headers()
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(parse_next_link);
        let body = session.read(response, &url).await?;
        if !status.is_success() {
            return Err(ExchangeError::Protocol { url, message: error_message(status, &body) });
        }
        let page = crate::canonical::parse_strict(&body).map_err(|e| ExchangeError::Protocol {
            url: url.clone(),
            message: format!("not JSON: {e}"),
        })?;
        let data = page["data"].as_array().ok_or_else(|| ExchangeError::Protocol {
            url: url.clone(),
            message: "the response has no data array".into(),
        })?;
        report.pages += 1;
        if report.footprints.len().saturating_add(data.len()) > options.caps.max_footprints {
            return Err(cap(
                &url,
                "footprints",
                options.caps.max_footprints as u64,
                "--max-footprints",
            ));
        }
        for footprint in data {
            report.footprints.push(session.take(footprint, &token, &mut seen).await?);
        }
        match next {
            None => break,
            Some(link) => {
                let next_url = base.join(&link).map_err(|e| ExchangeError::Protocol {
                    url: url.clone(),
                    message: format!("bad next link {link:?}: {e}"),
                })?;
                if !same_origin(&next_url, &base) {
                    return Err(ExchangeError::Protocol {
                        url,
                        message: format!(
                            "the next link {next_url} leaves {base_str}; not following it with \
                             the access token"
                        ),
                    });
                }
                url = next_url.to_string();
            }
        }
    }
    report.bytes_read = session.read.load(Ordering::Relaxed);
    report.bytes_written = session.written.load(Ordering::Relaxed);
    Ok(report)
}

struct Session<'a> {
    http: reqwest::Client,
    base: reqwest::Url,
    options: &'a FetchOptions,
    /// Bytes read from the network so far.
    read: AtomicU64,
    /// Bytes written to disk so far.
    written: AtomicU64,
}

/// What checking a footprint's declaration produced: the outcome, and on success the bytes
/// to store.
struct Checked {
    signed: Signed,
    credential: Option<(Digest, Vec<u8>)>,
    bundle: Option<Vec<u8>>,
}

impl Checked {
    fn invalid(reason: String) -> Checked {
        Checked {
            signed: Signed::Invalid { reasons: vec![reason] },
            credential: None,
            bundle: None,
        }
    }
}

impl Session<'_> {
    /// The token endpoint named by the OpenID configuration, else `<base>/auth/token`.
    async fn discover_token_endpoint(&self, base: &str) -> Result<String, ExchangeError> {
        let fallback = format!("{base}/auth/token");
        let url = format!("{base}/.well-known/openid-configuration");
        let Ok(response) = self.get(&url, None).await else { return Ok(fallback) };
        if !response.status().is_success() {
            return Ok(fallback);
        }
        let body = match self.read(response, &url).await {
            Ok(b) => b,
            Err(e @ ExchangeError::Cap { .. }) => return Err(e),
            Err(_) => return Ok(fallback),
        };
        let endpoint = crate::canonical::parse_strict(&body)
            .ok()
            .and_then(|v| v["token_endpoint"].as_str().map(String::from));
        match endpoint {
            Some(e) => {
                let parsed = reqwest::Url::parse(&e).map_err(|err| ExchangeError::Protocol {
                    url: url.clone(),
                    message: format!("token_endpoint {e:?}: {err}"),
                })?;
                check_scheme(&parsed, self.options.danger_plain_http)?;
                self.check_token_origin(&parsed)?;
                Ok(e)
            }
            None => Ok(fallback),
        }
    }

    /// The client secret goes only to the origin of the URL the user gave.
    fn check_token_origin(&self, endpoint: &reqwest::Url) -> Result<(), ExchangeError> {
        if same_origin(endpoint, &self.base) {
            return Ok(());
        }
        Err(ExchangeError::Auth {
            url: endpoint.to_string(),
            message: format!(
                "the token endpoint is not on {}, the origin given; pcf sends the client \
                 secret only there (give the URL of the server that issues tokens if it hosts \
                 the footprints too)",
                self.base.origin().ascii_serialization()
            ),
        })
    }

    async fn token(&self, endpoint: &str) -> Result<String, ExchangeError> {
        let parsed = reqwest::Url::parse(endpoint).map_err(|e| ExchangeError::Protocol {
            url: endpoint.into(),
            message: format!("not a URL: {e}"),
        })?;
        self.check_token_origin(&parsed)?;
        let response = self
            .http
            .post(parsed)
            .basic_auth(&self.options.client_id, Some(self.options.client_secret.expose()))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| http_error(endpoint, &e))?;
        let status = response.status();
        let body = self.read(response, endpoint).await?;
        let json = crate::canonical::parse_strict(&body).ok();
        if !status.is_success() {
            let why = json
                .as_ref()
                .and_then(|j| j["error_description"].as_str().or(j["error"].as_str()))
                .map_or_else(|| status.to_string(), |m| format!("{status}: {m}"));
            return Err(ExchangeError::Auth { url: endpoint.into(), message: why });
        }
        json.and_then(|j| j["access_token"].as_str().map(String::from)).ok_or_else(|| {
            ExchangeError::Protocol {
                url: endpoint.into(),
                message: "the token response has no access_token".into(),
            }
        })
    }

    async fn get(
        &self,
        url: &str,
        token: Option<&str>,
    ) -> Result<reqwest::Response, ExchangeError> {
        let mut request = self.http.get(url).header(reqwest::header::ACCEPT, "application/json");
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send().await.map_err(|e| http_error(url, &e))
    }

    /// Reads a response body chunk by chunk, stopping as soon as it passes the per-response
    /// limit or the fetch's remaining byte budget.
    async fn read(
        &self,
        mut response: reqwest::Response,
        url: &str,
    ) -> Result<Vec<u8>, ExchangeError> {
        let max_bytes = self.options.caps.max_bytes;
        let over_budget = || cap(url, "bytes read", max_bytes, "--max-bytes");
        let too_large = || ExchangeError::Protocol {
            url: url.into(),
            message: format!("the response is larger than {MAX_RESPONSE} bytes"),
        };
        if let Some(announced) = response.content_length() {
            if self.read.load(Ordering::Relaxed).saturating_add(announced) > max_bytes {
                return Err(over_budget());
            }
            if announced > MAX_RESPONSE {
                return Err(too_large());
            }
        }
        let mut out = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| http_error(url, &e))? {
            let n = chunk.len() as u64;
            let total = self.read.fetch_add(n, Ordering::Relaxed).saturating_add(n);
            if total > max_bytes {
                return Err(over_budget());
            }
            if out.len() as u64 + n > MAX_RESPONSE {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Checks one served footprint, then stores it (see the module documentation).
    async fn take(
        &self,
        footprint: &Value,
        token: &str,
        seen: &mut HashMap<String, Digest>,
    ) -> Result<Fetched, ExchangeError> {
        let pf_id = footprint["id"].as_str().unwrap_or("").to_string();
        let name = file_name(&pf_id);
        let bytes = pretty(footprint);
        let content = Digest::of(&bytes);
        let mut checked = match DeclarationLink::of(footprint) {
            _ if pf_id.is_empty() => Checked::invalid("the footprint has no id".into()),
            Ok(None) => Checked { signed: Signed::Unsigned, credential: None, bundle: None },
            Err(e) => Checked::invalid(e),
            Ok(Some(link)) => self.check(footprint, &link, token).await?,
        };
        // One id, one document per fetch: a second, different footprint under an id already
        // served fails, whatever it carries.
        match seen.get(&pf_id.to_ascii_lowercase()) {
            Some(first) if *first != content => {
                checked = Checked::invalid(format!(
                    "another footprint was served under id {pf_id:?} earlier in this fetch; \
                     the two disagree"
                ));
            }
            Some(_) => {}
            None => {
                seen.insert(pf_id.to_ascii_lowercase(), content);
            }
        }
        let out = &self.options.out;
        let file = match &mut checked.signed {
            Signed::Valid { file, bundle, .. } => {
                if let Some((digest, credential)) = &checked.credential {
                    *file = out.join("declarations").join(format!("{}.json", digest.hex()));
                    self.store(file, credential, Naming::Canonical(*digest))?;
                }
                if let Some(b) = &checked.bundle {
                    let path = out.join("bundles").join(format!("{}.json", Digest::of(b).hex()));
                    self.store(&path, b, Naming::Bytes)?;
                    *bundle = Some(path);
                }
                out.join("footprints").join(&name).join(format!("{}.json", content.hex()))
            }
            _ => out.join("unverified").join(&name).join(format!("{}.json", content.hex())),
        };
        self.store(&file, &bytes, Naming::Bytes)?;
        Ok(Fetched {
            pf_id,
            product: footprint["productNameCompany"].as_str().map(String::from),
            status: footprint["status"].as_str().map(String::from),
            file,
            declaration: checked.signed,
        })
    }

    /// Fetches and verifies the declaration a footprint links, in memory. Only a cap stops
    /// the fetch; every other problem fails this footprint.
    async fn check(
        &self,
        footprint: &Value,
        link: &DeclarationLink,
        token: &str,
    ) -> Result<Checked, ExchangeError> {
        // The bundle carries what verification needs beyond the credential; fall back to the
        // credential alone.
        let (document, credential_bytes, bundle) = match &link.bundle_url {
            Some(url) => {
                let bytes = match self.download(url, token).await {
                    Ok(b) => b,
                    Err(e) => return fail(e),
                };
                match parse_bundle(&bytes) {
                    Ok(b) => (b.declaration.clone(), pretty(&b.declaration), Some((b, bytes))),
                    Err(e) => return Ok(Checked::invalid(format!("bundle {url}: {e}"))),
                }
            }
            None => {
                let bytes = match self.download(&link.credential_url, token).await {
                    Ok(b) => b,
                    Err(e) => return fail(e),
                };
                match crate::canonical::parse_strict(&bytes) {
                    Ok(d) => (d, bytes, None),
                    Err(e) => {
                        let url = &link.credential_url;
                        return Ok(Checked::invalid(format!("credential {url}: {e}")));
                    }
                }
            }
        };
        let digest = match crate::canonical::digest(&document) {
            Ok(d) => d,
            Err(e) => {
                return Ok(Checked::invalid(format!("credential cannot be canonicalized: {e}")));
            }
        };
        if digest != link.digest {
            return Ok(Checked::invalid(format!(
                "the credential served has digest {digest}, but the footprint announces {}",
                link.digest
            )));
        }
        // The register's word on the declaration's status, when the bundle carries an excerpt
        // (verify checks the excerpt itself; here only the status is read).
        let register = bundle
            .as_ref()
            .and_then(|(b, _)| b.register_excerpt.as_ref())
            .and_then(|ex| crate::register::verify_excerpt(ex).ok())
            .and_then(|rep| rep.statuses.get(&digest).copied());
        let served = DeclarationLink::strip(footprint);
        let mut reasons = compare_served(&served, &document["credentialSubject"], register);
        let options =
            VerifyOptions { trust: self.options.trust.clone(), ..VerifyOptions::default() };
        let report = crate::declaration::verify::verify(
            &document,
            bundle.as_ref().map(|(b, _)| b),
            &options,
        );
        // Only `Valid` is accepted; any other verdict (invalid, or genuine but not current)
        // fails with the checks that say why.
        if report.verdict != Verdict::Valid {
            let failed: Vec<String> = report
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Fail)
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect();
            if failed.is_empty() {
                reasons.push(format!("verification verdict {:?}", report.verdict));
                reasons.extend(
                    report
                        .checks
                        .iter()
                        .filter(|c| c.status == CheckStatus::Warn)
                        .map(|c| format!("{}: {}", c.name, c.detail)),
                );
            } else {
                reasons.extend(failed);
            }
        }
        if !reasons.is_empty() {
            return Ok(Checked {
                signed: Signed::Invalid { reasons },
                credential: None,
                bundle: None,
            });
        }
        let bundle_bytes = bundle.map(|(_, bytes)| bytes);
        Ok(Checked {
            signed: Signed::Valid {
                digest,
                issuer: report.issuer,
                // Set when stored.
                file: PathBuf::new(),
                bundle: None,
            },
            credential: Some((digest, credential_bytes)),
            bundle: bundle_bytes,
        })
    }

    /// Downloads a credential or bundle; the token goes only to the origin the user named.
    async fn download(&self, url: &str, token: &str) -> Result<Vec<u8>, ExchangeError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| ExchangeError::Protocol {
            url: url.into(),
            message: format!("not a URL: {e}"),
        })?;
        check_scheme(&parsed, self.options.danger_plain_http)?;
        let token = same_origin(&parsed, &self.base).then_some(token);
        let response = self.get(url, token).await?;
        let status = response.status();
        let body = self.read(response, url).await?;
        if !status.is_success() {
            return Err(ExchangeError::Protocol {
                url: url.into(),
                message: error_message(status, &body),
            });
        }
        Ok(body)
    }

    /// Writes `bytes` to `path` atomically, once: an existing file is never replaced. As names
    /// are content addresses, an existing file must hold the same content (else something
    /// else wrote it, and the fetch stops rather than guess).
    fn store(&self, path: &Path, bytes: &[u8], naming: Naming) -> Result<(), ExchangeError> {
        let n = bytes.len() as u64;
        let max = self.options.caps.max_disk_bytes;
        if self.written.load(Ordering::Relaxed).saturating_add(n) > max {
            return Err(cap(&path.display().to_string(), "bytes written", max, "--max-disk-bytes"));
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ExchangeError::io(dir, &e))?;
        }
        match crate::atomic::write_new(path, bytes, crate::atomic::Mode::Public) {
            Ok(()) => {
                self.written.fetch_add(n, Ordering::Relaxed);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let existing = std::fs::read(path).map_err(|e| ExchangeError::io(path, &e))?;
                let same = match naming {
                    Naming::Bytes => existing == bytes,
                    Naming::Canonical(digest) => {
                        crate::canonical::parse_strict(&existing)
                            .ok()
                            .and_then(|v| crate::canonical::digest(&v).ok())
                            == Some(digest)
                    }
                };
                if same {
                    Ok(())
                } else {
                    Err(ExchangeError::Io {
                        path: path.display().to_string(),
                        message: "exists with other content than its name says; not replaced \
                                  (remove it, or fetch into another --out directory)"
                            .into(),
                    })
                }
            }
            Err(e) => Err(ExchangeError::io(path, &e)),
        }
    }
}

/// How a stored file is named.
#[derive(Clone, Copy)]
enum Naming {
    /// By the digest of its bytes.
    Bytes,
    /// By the digest of its canonical JSON (declarations, as in the register).
    Canonical(Digest),
}

/// A footprint fails with `e`, unless `e` is a cap, which stops the whole fetch.
fn fail(e: ExchangeError) -> Result<Checked, ExchangeError> {
    match e {
        ExchangeError::Cap { .. } => Err(e),
        other => Ok(Checked::invalid(other.to_string())),
    }
}

fn cap(url: &str, what: &'static str, limit: u64, flag: &'static str) -> ExchangeError {
    ExchangeError::Cap { url: url.into(), what, limit, flag }
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn parse_bundle(bytes: &[u8]) -> Result<Bundle, String> {
    let value = crate::canonical::parse_strict(bytes).map_err(|e| e.to_string())?;
    serde_json::from_value(value).map_err(|e| format!("not a pcf bundle: {e}"))
}

fn check_scheme(url: &reqwest::Url, danger_plain_http: bool) -> Result<(), ExchangeError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if danger_plain_http => Ok(()),
        "http" => Err(ExchangeError::Usage(format!(
            "{url}: plain HTTP would expose the client secret and the data; use https \
             (--danger-plain-http allows it for local tests)"
        ))),
        other => Err(ExchangeError::Usage(format!("{url}: unsupported scheme {other:?}"))),
    }
}

fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn error_message(status: reqwest::StatusCode, body: &[u8]) -> String {
    let json = crate::canonical::parse_strict(body).ok();
    match json.as_ref().and_then(|j| Some((j["code"].as_str()?, j["message"].as_str()?))) {
        Some((code, message)) => format!("{status}: {code}: {message}"),
        None => status.to_string(),
    }
}

fn http_error(url: &str, e: &reqwest::Error) -> ExchangeError {
    // reqwest's Display stops at the outermost error; the cause says why (refused, TLS, ...).
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    ExchangeError::Http { url: url.into(), message }
}

/// A file name for a footprint id: the id itself when it is a UUID, else a digest of it.
fn file_name(pf_id: &str) -> String {
    let uuid = pf_id.len() == 36 && pf_id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    if uuid {
        pf_id.to_ascii_lowercase()
    } else {
        format!("pf-{}", Digest::of(pf_id.as_bytes()).hex())
    }
}
