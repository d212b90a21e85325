//! The buyer's side (`pcf fetch`): authenticate at a supplier's PACT endpoint, page through
//! its footprints, store them, and verify the signed declaration behind each footprint that
//! links one (reporting those that link none).
//!
//! What a supplier's server says is untrusted: responses are size-limited and parsed strictly,
//! pagination links must stay on the origin the user named (the access token is never sent
//! anywhere else), file names are derived from validated ids, and a footprint only counts as
//! verified when the credential's digest is the one announced, the served footprint is the
//! credential's subject (status aside) and the credential passes every check of
//! [`crate::declaration::verify`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::ExchangeError;
use super::catalogue::DeclarationLink;
use super::pagination::parse_next_link;
use crate::declaration::{Bundle, CheckStatus, Verdict, VerifyOptions};
use crate::digest::Digest;

/// What to fetch and how.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The supplier's base URL (scheme, host, optional port and subpath).
    pub url: String,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// Where to store what is fetched.
    pub out: PathBuf,
    /// DIDs of issuers the buyer trusts.
    pub trust: Vec<String>,
    /// Trust only the certificates in this PEM file (for a server with a self-signed one).
    pub ca_cert: Option<PathBuf>,
    /// Allow `http://` URLs (local tests only).
    pub danger_plain_http: bool,
    /// The `limit` to ask for per page.
    pub page_size: Option<usize>,
    /// Timeout of each HTTP request.
    pub timeout: Duration,
}

/// What a fetch found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchReport {
    /// The base URL fetched from.
    pub url: String,
    /// The token endpoint used.
    pub token_endpoint: String,
    /// Pages read.
    pub pages: usize,
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
    /// `status` as served.
    pub status: Option<String>,
    /// Where it was stored.
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
        /// Where it was stored.
        file: PathBuf,
        /// Whether it came with a bundle (upstream, superseded versions, register excerpt).
        bundled: bool,
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

    fn count(&self, f: impl Fn(&Signed) -> bool) -> usize {
        self.footprints.iter().filter(|x| f(&x.declaration)).count()
    }
}

/// Largest response read (a page of footprints or a bundle).
const MAX_RESPONSE: usize = 32 << 20;
/// Most pages followed.
const MAX_PAGES: usize = 100_000;

/// An HTTP client on pcf's TLS stack that follows no redirects; with `ca`, it trusts only
/// those certificates, else the platform's roots.
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

/// Fetches every footprint from a PACT endpoint, stores them under `options.out` and verifies
/// their signed declarations.
pub async fn fetch(options: &FetchOptions) -> Result<FetchReport, ExchangeError> {
    let base = reqwest::Url::parse(options.url.trim_end_matches('/'))
        .map_err(|e| ExchangeError::Usage(format!("{}: not a URL: {e}", options.url)))?;
    check_scheme(&base, options.danger_plain_http)?;
    let base_str = base.as_str().trim_end_matches('/').to_string();
    let ca = match &options.ca_cert {
        Some(path) => Some(super::tls::read_certificates(path)?),
        None => None,
    };
    let http = http_client(ca.as_deref(), options.timeout)?;
    let session = Session { http, base: base.clone(), options };

    let token_endpoint = session.discover_token_endpoint(&base_str).await?;
    let mut token = session.token(&token_endpoint).await?;

    for sub in ["footprints", "declarations"] {
        let dir = options.out.join(sub);
        std::fs::create_dir_all(&dir).map_err(|e| ExchangeError::io(&dir, &e))?;
    }
    let mut url = format!("{base_str}/3/footprints");
    if let Some(n) = options.page_size {
        url.push_str(&format!("?limit={n}"));
    }
    let mut visited = HashSet::new();
    let mut report = FetchReport {
        url: base_str.clone(),
        token_endpoint: token_endpoint.clone(),
        pages: 0,
        footprints: Vec::new(),
    };
    loop {
        if !visited.insert(url.clone()) || report.pages >= MAX_PAGES {
            return Err(ExchangeError::Protocol {
                url,
                message: "pagination loops or never ends".into(),
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
        let body = read_limited(response, &url).await?;
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
        for footprint in data {
            report.footprints.push(session.take(footprint, &token).await?);
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
    Ok(report)
}

struct Session<'a> {
    http: reqwest::Client,
    base: reqwest::Url,
    options: &'a FetchOptions,
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
        let Ok(body) = read_limited(response, &url).await else { return Ok(fallback) };
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
                Ok(e)
            }
            None => Ok(fallback),
        }
    }

    async fn token(&self, endpoint: &str) -> Result<String, ExchangeError> {
        let response = self
            .http
            .post(endpoint)
            .basic_auth(&self.options.client_id, Some(&self.options.client_secret))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| http_error(endpoint, &e))?;
        let status = response.status();
        let body = read_limited(response, endpoint).await?;
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

    /// Stores one served footprint and checks its declaration.
    async fn take(&self, footprint: &Value, token: &str) -> Result<Fetched, ExchangeError> {
        let pf_id = footprint["id"].as_str().unwrap_or("").to_string();
        let name = file_name(&pf_id);
        let file = self.options.out.join("footprints").join(format!("{name}.json"));
        write_json(&file, footprint)?;
        let declaration = match DeclarationLink::of(footprint) {
            Ok(None) => Signed::Unsigned,
            Err(e) => Signed::Invalid { reasons: vec![e] },
            Ok(Some(link)) => self.check(footprint, &link, &name, token).await,
        };
        Ok(Fetched {
            pf_id,
            product: footprint["productNameCompany"].as_str().map(String::from),
            status: footprint["status"].as_str().map(String::from),
            file,
            declaration,
        })
    }

    async fn check(
        &self,
        footprint: &Value,
        link: &DeclarationLink,
        name: &str,
        token: &str,
    ) -> Signed {
        let invalid = |reason: String| Signed::Invalid { reasons: vec![reason] };
        // The bundle carries what verification needs beyond the credential; fall back to the
        // credential alone.
        let (document, bundle) = match &link.bundle_url {
            Some(url) => match self.download(url, token).await {
                Ok(bytes) => match parse_bundle(&bytes) {
                    Ok(b) => (b.declaration.clone(), Some(b)),
                    Err(e) => return invalid(format!("bundle {url}: {e}")),
                },
                Err(e) => return invalid(e),
            },
            None => match self.download(&link.credential_url, token).await {
                Ok(bytes) => match crate::canonical::parse_strict(&bytes) {
                    Ok(d) => (d, None),
                    Err(e) => return invalid(format!("credential {}: {e}", link.credential_url)),
                },
                Err(e) => return invalid(e),
            },
        };
        let digest = match crate::canonical::digest(&document) {
            Ok(d) => d,
            Err(e) => return invalid(format!("credential cannot be canonicalized: {e}")),
        };
        if digest != link.digest {
            return invalid(format!(
                "the credential served has digest {digest}, but the footprint announces {}",
                link.digest
            ));
        }
        let file = self.options.out.join("declarations").join(format!("{name}.json"));
        if let Err(e) = write_json(&file, &document) {
            return invalid(e.to_string());
        }
        if let Some(b) = &bundle {
            let bundle_file =
                self.options.out.join("declarations").join(format!("{name}.bundle.json"));
            if let Err(e) = write_json(&bundle_file, &serde_json::to_value(b).unwrap_or_default()) {
                return invalid(e.to_string());
            }
        }
        let mut reasons = Vec::new();
        let mut served = DeclarationLink::strip(footprint);
        let mut subject = document["credentialSubject"].clone();
        for v in [&mut served, &mut subject] {
            if let Some(o) = v.as_object_mut() {
                o.remove("status");
            }
        }
        if served != subject {
            reasons.push(
                "the footprint served differs from the subject of its signed declaration".into(),
            );
        }
        let options = VerifyOptions {
            trust: self.options.trust.clone(),
            danger_accept_unknown_methodology: false,
            at: None,
        };
        let report = crate::declaration::verify::verify(&document, bundle.as_ref(), &options);
        if report.verdict == Verdict::Invalid {
            reasons.extend(
                report
                    .checks
                    .iter()
                    .filter(|c| c.status == CheckStatus::Fail)
                    .map(|c| format!("{}: {}", c.name, c.detail)),
            );
            if reasons.is_empty() {
                reasons.push("verification failed".into());
            }
        }
        if reasons.is_empty() {
            Signed::Valid { digest, issuer: report.issuer, file, bundled: bundle.is_some() }
        } else {
            Signed::Invalid { reasons }
        }
    }

    /// Downloads a credential or bundle; the token goes only to the origin the user named.
    async fn download(&self, url: &str, token: &str) -> Result<Vec<u8>, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: not a URL: {e}"))?;
        check_scheme(&parsed, self.options.danger_plain_http).map_err(|e| e.to_string())?;
        let token = same_origin(&parsed, &self.base).then_some(token);
        let response = self.get(url, token).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = read_limited(response, url).await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{url}: {}", error_message(status, &body)));
        }
        Ok(body)
    }
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

async fn read_limited(
    mut response: reqwest::Response,
    url: &str,
) -> Result<Vec<u8>, ExchangeError> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| http_error(url, &e))? {
        if out.len() + chunk.len() > MAX_RESPONSE {
            return Err(ExchangeError::Protocol {
                url: url.into(),
                message: format!("the response is larger than {MAX_RESPONSE} bytes"),
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
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

fn write_json(path: &Path, value: &Value) -> Result<(), ExchangeError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
    crate::atomic::write_replace(path, text.as_bytes(), crate::atomic::Mode::Public)
        .map_err(|e| ExchangeError::io(path, &e))
}
