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
//!   field (see [`compare_served`]) and [`pcf_trust::declaration::verify::verify`] gives the
//!   verdict [`Verdict::Valid`].
//! - *Verify, then write; never replace.* Everything is checked in memory first, then stored
//!   under content-addressed names, each written once, atomically (see [`super::store`]).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::ExchangeError;
use super::catalogue::DeclarationLink;
use super::pagination::parse_next_link;
use super::store::{Naming, file_name, pretty, store};
use pcf_base::digest::Digest;
use pcf_trust::declaration::{Bundle, CheckStatus, Verdict, VerifyOptions};

pub use super::fetched::{
    Caps, ClientSecret, FetchOptions, FetchReport, Fetched, Signed, compare_served,
};

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
        let page = pcf_base::canonical::parse_strict(&body).map_err(|e| {
            ExchangeError::Protocol { url: url.clone(), message: format!("not JSON: {e}") }
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

/// What checking a footprint produced, in memory, before anything is stored.
enum Checked {
    /// It links no signed declaration.
    Unsigned,
    /// It failed, for these reasons.
    Invalid(Vec<String>),
    /// It verified: the credential and the bundle to store.
    Valid { digest: Digest, issuer: Option<String>, credential: Vec<u8>, bundle: Option<Vec<u8>> },
}

impl Checked {
    fn invalid(reason: String) -> Checked {
        Checked::Invalid(vec![reason])
    }
}

impl Session<'_> {
    fn store(&self, path: &Path, bytes: &[u8], naming: Naming) -> Result<(), ExchangeError> {
        store(path, bytes, naming, &self.written, self.options.caps.max_disk_bytes)
    }

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
        let endpoint = pcf_base::canonical::parse_strict(&body)
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
        let json = pcf_base::canonical::parse_strict(&body).ok();
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
            Ok(None) => Checked::Unsigned,
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
        let (place, declaration) = match checked {
            Checked::Valid { digest, issuer, credential, bundle } => {
                let file = out.join("declarations").join(format!("{}.json", digest.hex()));
                self.store(&file, &credential, Naming::Canonical(digest))?;
                let bundle = match bundle {
                    Some(b) => {
                        let path =
                            out.join("bundles").join(format!("{}.json", Digest::of(&b).hex()));
                        self.store(&path, &b, Naming::Bytes)?;
                        Some(path)
                    }
                    None => None,
                };
                ("footprints", Signed::Valid { digest, issuer, file, bundle })
            }
            Checked::Unsigned => ("unverified", Signed::Unsigned),
            Checked::Invalid(reasons) => ("unverified", Signed::Invalid { reasons }),
        };
        let file = out.join(place).join(&name).join(format!("{}.json", content.hex()));
        self.store(&file, &bytes, Naming::Bytes)?;
        Ok(Fetched {
            pf_id,
            product: footprint["productNameCompany"].as_str().map(String::from),
            status: footprint["status"].as_str().map(String::from),
            file,
            declaration,
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
                match pcf_base::canonical::parse_strict(&bytes) {
                    Ok(d) => (d, bytes, None),
                    Err(e) => {
                        let url = &link.credential_url;
                        return Ok(Checked::invalid(format!("credential {url}: {e}")));
                    }
                }
            }
        };
        let digest = match pcf_base::canonical::digest(&document) {
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
            .and_then(|ex| pcf_trust::register::verify_excerpt(ex).ok())
            .and_then(|rep| rep.statuses.get(&digest).copied());
        let served = DeclarationLink::strip(footprint);
        let signed = crate::catalogue::pact_footprint(&document).unwrap_or(&Value::Null);
        let mut reasons = compare_served(&served, signed, register);
        let options =
            VerifyOptions { trust: self.options.trust.clone(), ..VerifyOptions::default() };
        let report = pcf_trust::declaration::verify::verify(
            &document,
            bundle.as_ref().map(|(b, _)| b),
            &options,
        );
        // Accepted: valid and current; genuine and shown replaced when the server serves it as
        // Deprecated (what it is); genuine with no register excerpt, where the served status
        // (compared with the signed one above) is the only status evidence. Anything else
        // (invalid, expired, not yet valid, or replaced but served as Active) fails with the
        // checks that say why.
        let served_status = served["status"].as_str();
        let accepted = match report.verdict {
            Verdict::Valid | Verdict::StatusUnknown => true,
            Verdict::NotCurrent => {
                served_status == Some("Deprecated")
                    && matches!(
                        report.status.standing,
                        pcf_trust::declaration::verify::Standing::Superseded
                            | pcf_trust::declaration::verify::Standing::Deprecated
                    )
            }
            Verdict::Invalid | Verdict::Unsigned => false,
        };
        if !accepted {
            if report.verdict == Verdict::NotCurrent {
                reasons.push(format!("not current: {}", report.status.reasons.join("; ")));
            }
            let failed: Vec<String> = report
                .checks
                .iter()
                .filter(|c| c.status == CheckStatus::Fail)
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect();
            if failed.is_empty() {
                reasons.push(format!(
                    "verification verdict {}",
                    pcf_footprint::report::serde_name(&report.verdict)
                ));
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
            return Ok(Checked::Invalid(reasons));
        }
        Ok(Checked::Valid {
            digest,
            issuer: report.issuer,
            credential: credential_bytes,
            bundle: bundle.map(|(_, bytes)| bytes),
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

fn parse_bundle(bytes: &[u8]) -> Result<Bundle, String> {
    let value = pcf_base::canonical::parse_strict(bytes).map_err(|e| e.to_string())?;
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
    let json = pcf_base::canonical::parse_strict(body).ok();
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
