//! Tests: the PACT v3 exchange. A server on 127.0.0.1 (ephemeral port, HTTPS with a
//! self-signed certificate) over a register of three declarations (one superseded): client
//! credentials, expired tokens, pagination, every filter, 404s, RequestCreated answered to a
//! listener the test runs, rejected requests, plain HTTP refused, bad input survived, `pcf
//! fetch` round trips against it and against a deceitful server, and a bounded load test.

// The helpers below panic on failure exactly like the tests that call them; clippy's
// `allow-unwrap-in-tests` covers only `#[test]` functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use pcf::exchange::auth::{Clients, client_entry, hash_secret};
use pcf::exchange::server::{Server, ServerConfig, Transport};
use pcf::exchange::tls::Identity;

use crate::util::{pcf, stderr, stdout};

// ---------------------------------------------------------------------------------------------
// Fixture: one issuer's register with three declarations, made once per test run.

pub(crate) const GTIN: &str = "urn:gtin:06901234567892";
const BRACKET_COMPANY: &str = "urn:uscc:91320594EXAMPLE0001";
const BRACKET_CLASS: &str = "urn:pact:productclassification:cn:73269098";
const COIL_ID: &str = "urn:pact:product:customcode:vendor-assigned:HRC-S355";
const COIL_COMPANY: &str = "urn:lei:5299000EXAMPLE00DE01";
pub(crate) const SECRET: &str = "s3cret-for-tests";

pub(crate) struct Fixture {
    pub(crate) dir: PathBuf,
    pub(crate) register: PathBuf,
    pub(crate) issuer: String,
    /// The DID of the supplier whose declaration the bracket consumed.
    supplier: String,
    /// pf ids: bracket v1 (deprecated), coil, bracket v2.
    pub(crate) bracket_v1: String,
    pub(crate) coil: String,
    pub(crate) bracket_v2: String,
    pub(crate) secret_hash: String,
}

pub(crate) fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let examples = crate::util::root().join("examples");
        let out = pcf(&dir, &["keygen", "--out", "issuer.key"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let issuer = stdout(&out)
            .lines()
            .find_map(|l| l.strip_prefix("issuer DID: "))
            .unwrap()
            .trim()
            .to_string();
        // A second product from another company in another country: the supplier's inventory
        // moved to Bavaria.
        let coil = std::fs::read_to_string(examples.join("steel-bracket/supplier/inventory.toml"))
            .unwrap()
            .replace("\"CN-JS\"", "\"DE-BY\"")
            .replace("urn:uscc:91320000EXAMPLE0002", COIL_COMPANY);
        std::fs::write(dir.join("coil.toml"), coil).unwrap();
        let bracket = examples.join("steel-bracket/inventory.toml");
        let bracket = bracket.to_str().unwrap();
        let declare = |args: &[&str]| {
            let mut all = vec!["declare"];
            all.extend_from_slice(args);
            all.extend_from_slice(&["--key", "issuer.key", "--register", "register"]);
            let out = pcf(&dir, &all);
            assert!(out.status.success(), "{}", stderr(&out));
            stdout(&out)
                .lines()
                .find_map(|l| l.trim().strip_prefix("id").map(|s| s.trim().to_string()))
                .unwrap()
        };
        let bracket_v1 = declare(&[bracket, "--product", "bracket", "--out", "v1.json"]);
        let coil = declare(&["coil.toml", "--product", "coil", "--out", "coil.json"]);
        let bracket_v2 = declare(&[
            bracket,
            "--product",
            "bracket",
            "--out",
            "v2.json",
            "--supersedes",
            "v1.json",
            "--comment",
            "second version",
        ]);
        let supplier_doc: Value = serde_json::from_slice(
            &std::fs::read(examples.join("steel-bracket/suppliers/hot-rolled-coil.json")).unwrap(),
        )
        .unwrap();
        let supplier = supplier_doc["issuer"]["id"]
            .as_str()
            .or(supplier_doc["issuer"].as_str())
            .unwrap()
            .to_string();
        Fixture {
            register: dir.join("register"),
            dir,
            issuer,
            supplier,
            bracket_v1,
            coil,
            bracket_v2,
            secret_hash: hash_secret(SECRET).unwrap(),
        }
    })
}

/// A server over the fixture's register, with its own certificate.
pub(crate) struct Running {
    pub(crate) server: Server,
    pub(crate) url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) cert_file: PathBuf,
}

pub(crate) struct Options {
    pub(crate) token_lifetime: Duration,
    pub(crate) events_urls: Vec<String>,
    pub(crate) transport_plain: bool,
    pub(crate) unlimited_rate: bool,
    pub(crate) limits: Option<pcf::exchange::server::Limits>,
    /// Where the server keeps its outbox (in memory when `None`).
    pub(crate) state_dir: Option<PathBuf>,
    /// Credentials for the clients' token endpoints.
    pub(crate) recipients: pcf::exchange::delivery::recipients::Recipients,
    /// How answers are delivered (fast retries by default here).
    pub(crate) delivery: Option<pcf::exchange::delivery::DeliveryConfig>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            token_lifetime: Duration::from_secs(600),
            events_urls: Vec::new(),
            transport_plain: false,
            unlimited_rate: false,
            limits: None,
            state_dir: None,
            recipients: Default::default(),
            delivery: None,
        }
    }
}

pub(crate) async fn start(options: Options) -> Running {
    let f = fixture();
    let text = client_entry("buyer", &f.secret_hash, &options.events_urls).unwrap();
    let clients = Clients::parse(&text).unwrap();
    let identity = Identity::self_signed(&["127.0.0.1".to_string()]).unwrap();
    let certs = identity.chain.clone();
    let cert_file = f.dir.join(format!("cert-{}.pem", pcf::digest::Digest::of(&certs[0]).hex()));
    std::fs::write(&cert_file, &identity.certificate_pem).unwrap();
    let transport = if options.transport_plain {
        Transport::DangerPlainHttp
    } else {
        Transport::Tls(identity.server_config().unwrap())
    };
    let mut config = ServerConfig::new(f.register.clone(), clients, transport);
    config.token_lifetime = options.token_lifetime;
    config.upstream = vec![crate::util::root().join("examples/steel-bracket/suppliers")];
    config.reload_interval = None;
    config.delivery.first_backoff = Duration::from_millis(100);
    config.delivery.max_backoff = Duration::from_millis(400);
    if let Some(delivery) = options.delivery {
        config.delivery = delivery;
    }
    config.state_dir = options.state_dir;
    config.recipients = options.recipients;
    if let Some(limits) = options.limits {
        config.limits = limits;
    }
    if options.unlimited_rate {
        config.limits.requests_per_second = 1e9;
        config.limits.burst = 1e9;
    }
    let server = Server::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = server.url();
    let http = pcf::exchange::client::http_client(Some(&certs), Duration::from_secs(20)).unwrap();
    Running { server, url, http, cert_file }
}

impl Running {
    pub(crate) async fn token(&self) -> String {
        let r = self
            .http
            .post(format!("{}/auth/token", self.url))
            .basic_auth("buyer", Some(SECRET))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// GET with a token; returns status, Link header and JSON body.
    pub(crate) async fn get(&self, path: &str, token: &str) -> (u16, Option<String>, Value) {
        let url =
            if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.url) };
        let r = self.http.get(url).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        let link = r.headers().get("link").map(|v| v.to_str().unwrap().to_string());
        let body = r.bytes().await.unwrap();
        (status, link, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub(crate) async fn ids(&self, query: &str, token: &str) -> Vec<String> {
        let (status, _, body) = self.get(&format!("/3/footprints?{query}"), token).await;
        assert_eq!(status, 200, "{query}: {body}");
        let mut ids: Vec<String> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().into())
            .collect();
        ids.sort();
        ids
    }

    pub(crate) async fn post_event(&self, token: &str, event: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/3/events", self.url))
            .bearer_auth(token)
            .header("content-type", "application/cloudevents+json; charset=UTF-8")
            .body(serde_json::to_vec(event).unwrap())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.bytes().await.unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

pub(crate) fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

// ---------------------------------------------------------------------------------------------
// Authentication

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_good_and_bad() {
    let s = start(Options::default()).await;
    // Discovery names the token endpoint.
    let r = s.http.get(format!("{}/.well-known/openid-configuration", s.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let config: Value = r.json().await.unwrap();
    assert_eq!(config["token_endpoint"], format!("{}/auth/token", s.url));

    // Good credentials.
    let r = s
        .http
        .post(format!("{}/auth/token", s.url))
        .basic_auth("buyer", Some(SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    let token = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(s.get("/3/footprints", &token).await.0, 200);

    // Bad ones: wrong secret, unknown client, no credentials, wrong grant, no grant.
    for (user, secret, form, status, error) in [
        (Some("buyer"), "wrong", "grant_type=client_credentials", 401, "invalid_client"),
        (Some("nobody"), SECRET, "grant_type=client_credentials", 401, "invalid_client"),
        (None, "", "grant_type=client_credentials", 401, "invalid_client"),
        (Some("buyer"), SECRET, "grant_type=password", 400, "unsupported_grant_type"),
        (Some("buyer"), SECRET, "", 400, "invalid_request"),
    ] {
        let mut request = s
            .http
            .post(format!("{}/auth/token", s.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form);
        if let Some(user) = user {
            request = request.basic_auth(user, Some(secret));
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{user:?} {form}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], error, "{body}");
        assert!(body.get("access_token").is_none());
    }

    // Calls without a token or with a forged one are refused with a JSON error.
    let (status, _, body) = s.get("/3/footprints", "not-a-token").await;
    assert_eq!(status, 400);
    assert_error(&body, "BadRequest");
    let forged = format!("{}x", &token[..token.len() - 1]);
    let (status, _, body) = s.get("/3/footprints", &forged).await;
    assert_eq!(status, 400);
    assert_error(&body, "BadRequest");
    let r = s.http.get(format!("{}/3/footprints", s.url)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // A token from another server (another key) is not accepted either.
    let other = start(Options::default()).await;
    let foreign = other.token().await;
    assert_eq!(s.get("/3/footprints", &foreign).await.0, 400);
    other.server.shutdown().await;
    s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_refused_with_token_expired() {
    let s = start(Options { token_lifetime: Duration::from_secs(2), ..Options::default() }).await;
    let token = s.token().await;
    assert_eq!(s.get("/3/footprints", &token).await.0, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for path in ["/3/footprints", "/3/footprints/00000000-0000-4000-8000-000000000000"] {
        let (status, _, body) = s.get(path, &token).await;
        assert_eq!(status, 401, "{path}");
        assert_error(&body, "TokenExpired");
    }
    // A fresh token works again.
    let token = s.token().await;
    assert_eq!(s.get("/3/footprints", &token).await.0, 200);
    s.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Listing, pagination, filters, single footprints

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_with_limit_1_walks_every_footprint() {
    let f = fixture();
    let s = start(Options::default()).await;
    let token = s.token().await;
    let mut seen = Vec::new();
    let mut url = format!("{}/3/footprints?limit=1", s.url);
    let mut pages = 0;
    loop {
        let (status, link, body) = s.get(&url, &token).await;
        assert_eq!(status, 200);
        let data = body["data"].as_array().unwrap();
        assert!(data.len() <= 1, "more than limit: {}", data.len());
        seen.extend(data.iter().map(|f| f["id"].as_str().unwrap().to_string()));
        pages += 1;
        assert!(pages <= 10, "pagination does not end");
        match link {
            None => break,
            Some(link) => {
                let target = pcf::exchange::pagination::parse_next_link(&link).unwrap();
                assert!(
                    target.starts_with(&format!("{}/3/footprints?", s.url)),
                    "not absolute: {link}"
                );
                assert!(link.ends_with("rel=\"next\""), "{link}");
                url = target;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        sorted(&seen.iter().map(String::as_str).collect::<Vec<_>>()),
        sorted(&[&f.bracket_v1, &f.coil, &f.bracket_v2])
    );
    // A pagination link can be called again and gives the same page; criteria are kept.
    let (_, link, first) = s.get(&format!("/3/footprints?limit=1&productId={GTIN}"), &token).await;
    let next = pcf::exchange::pagination::parse_next_link(&link.unwrap()).unwrap();
    assert!(next.contains("productId=urn%3Agtin%3A06901234567892"), "{next}");
    let (_, none, again1) = s.get(&next, &token).await;
    let (_, _, again2) = s.get(&next, &token).await;
    assert_eq!(again1, again2);
    assert_ne!(first["data"][0]["id"], again1["data"][0]["id"]);
    assert!(none.is_none(), "only two footprints have the GTIN");
    // limit must be a positive integer.
    for bad in ["limit=0", "limit=-1", "limit=x", "offset=x"] {
        let (status, _, body) = s.get(&format!("/3/footprints?{bad}"), &token).await;
        assert_eq!(status, 400, "{bad}");
        assert_error(&body, "BadRequest");
    }
    s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_matches_misses_and_combines() {
    let f = fixture();
    let s = start(Options::default()).await;
    let t = s.token().await;
    let (v1, coil, v2) = (f.bracket_v1.as_str(), f.coil.as_str(), f.bracket_v2.as_str());
    let all = sorted(&[v1, coil, v2]);
    let brackets = sorted(&[v1, v2]);
    let none: Vec<String> = Vec::new();
    let cases: Vec<(String, Vec<String>)> = vec![
        (String::new(), all.clone()),
        // productId: exact, case-insensitive, no match, OR within the criterion.
        (format!("productId={GTIN}"), brackets.clone()),
        (format!("productId={}", GTIN.to_uppercase()), brackets.clone()),
        ("productId=urn:gtin:0000".into(), none.clone()),
        (format!("productId={GTIN}&productId={COIL_ID}"), all.clone()),
        // companyId.
        (format!("companyId={BRACKET_COMPANY}"), brackets.clone()),
        (format!("companyId={COIL_COMPANY}"), sorted(&[coil])),
        ("companyId=urn:lei:nobody".into(), none.clone()),
        // geography: subdivision, its country, another country, nowhere; OR.
        ("geography=CN-JS".into(), brackets.clone()),
        ("geography=cn".into(), brackets.clone()),
        ("geography=DE-BY".into(), sorted(&[coil])),
        ("geography=FR".into(), none.clone()),
        ("geography=CN&geography=DE".into(), all.clone()),
        // classification.
        (format!("classification={BRACKET_CLASS}"), brackets.clone()),
        ("classification=urn:pact:productclassification:cn:72083800".into(), sorted(&[coil])),
        ("classification=urn:pact:productclassification:cn:00000000".into(), none.clone()),
        // Validity: three years from the end of the reference period, 2026-01-01..2029-01-01.
        ("validOn=2026-06-01T00:00:00Z".into(), all.clone()),
        ("validOn=2025-06-01T00:00:00Z".into(), none.clone()),
        ("validAfter=2025-12-31T00:00:00Z".into(), all.clone()),
        ("validAfter=2026-01-01T00:00:00Z".into(), none.clone()),
        ("validBefore=2029-01-02T00:00:00Z".into(), all.clone()),
        ("validBefore=2029-01-01T00:00:00Z".into(), none.clone()),
        // status, from the register: v1 was superseded and deprecated.
        ("status=Active".into(), sorted(&[coil, v2])),
        ("status=deprecated".into(), sorted(&[v1])),
        ("status=Archived".into(), none.clone()),
        // Combined: AND across criteria.
        (format!("productId={GTIN}&status=Active"), sorted(&[v2])),
        (format!("productId={GTIN}&geography=DE"), none.clone()),
        (
            "geography=CN&geography=DE&status=Active&validOn=2027-01-01".to_string(),
            sorted(&[coil, v2]),
        ),
        // Parameter names are matched case-insensitively.
        (format!("productid={GTIN}&STATUS=Deprecated"), sorted(&[v1])),
    ];
    for (query, expected) in cases {
        assert_eq!(s.ids(&query, &t).await, expected, "{query}");
    }
    // Values that cannot be read, unknown parameters, and OData.
    for (query, status, code) in [
        ("validOn=yesterday", 400, "BadRequest"),
        ("validBefore=2025-02-30", 400, "BadRequest"),
        ("colour=red", 400, "BadRequest"),
        ("$filter=productIds/any(p:p eq 'x')", 501, "NotImplemented"),
        ("x-acme-invoice=1", 501, "NotImplemented"),
    ] {
        let (got, _, body) = s.get(&format!("/3/footprints?{query}"), &t).await;
        assert_eq!(got, status, "{query}");
        assert_error(&body, code);
    }
    s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_footprints_their_credentials_and_404() {
    let f = fixture();
    let s = start(Options::default()).await;
    let t = s.token().await;
    let (status, _, body) = s.get(&format!("/3/footprints/{}", f.bracket_v1), &t).await;
    assert_eq!(status, 200);
    let pf = &body["data"];
    assert_eq!(pf["id"], f.bracket_v1.as_str());
    assert_eq!(pf["status"], "Deprecated");
    let link = pcf::exchange::catalogue::DeclarationLink::of(pf).unwrap().unwrap();
    assert_eq!(link.credential_url, format!("{}/3/footprints/{}/declaration", s.url, f.bracket_v1));
    // The credential is served byte for byte as the register stores it.
    let r = s.http.get(&link.credential_url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    assert_eq!(pcf::digest::Digest::of(&bytes), link.digest);
    let stored =
        std::fs::read(f.register.join("declarations").join(format!("{}.json", link.digest.hex())))
            .unwrap();
    assert_eq!(bytes.as_ref(), stored.as_slice());
    // The served footprint is the signed subject plus the link, status from the register.
    let credential: Value = serde_json::from_slice(&bytes).unwrap();
    let mut subject = credential["credentialSubject"]["productFootprint"].clone();
    subject["status"] = json!("Deprecated");
    assert_eq!(pcf::exchange::catalogue::DeclarationLink::strip(pf), subject);
    // The bundle carries the supplier's declaration and a register excerpt.
    let (status, _, bundle) = s.get(&format!("/3/footprints/{}/bundle", f.bracket_v2), &t).await;
    assert_eq!(status, 200);
    assert_eq!(bundle["bundle"]["upstream"].as_array().unwrap().len(), 1);
    assert_eq!(bundle["bundle"]["superseded"].as_array().unwrap().len(), 1);
    assert!(bundle["bundle"]["registerExcerpt"].is_object());
    // Unknown ids and paths: 404 with a JSON error.
    for path in [
        "/3/footprints/00000000-0000-4000-8000-000000000000",
        "/3/footprints/not-an-id",
        "/3/footprints/00000000-0000-4000-8000-000000000000/declaration",
        "/3/nothing",
    ] {
        let (status, _, body) = s.get(path, &t).await;
        assert_eq!(status, 404, "{path}");
        assert_error(&body, "NotFound");
    }
    s.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Events

/// A requester's events endpoint: collects what it is sent.
pub(crate) async fn listener() -> (String, mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = mpsc::unbounded_channel::<Value>();
    let app = Router::new()
        .route(
            "/3/events",
            post(|State(tx): State<mpsc::UnboundedSender<Value>>, body: axum::body::Bytes| async move {
                let _ = tx.send(serde_json::from_slice(&body).unwrap_or(Value::Null));
                axum::http::StatusCode::OK
            }),
        )
        .with_state(tx);
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(socket, app).await });
    (format!("http://{addr}/3/events"), rx)
}

pub(crate) fn request_created(id: &str, source: &str, data: Value) -> Value {
    json!({
        "type": "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
        "specversion": "1.0",
        "id": id,
        "source": source,
        "time": "2026-03-05T17:31:00Z",
        "data": data,
    })
}

pub(crate) async fn next_event(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no answer within 10 s")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_created_is_fulfilled_or_rejected_at_the_requesters_endpoint() {
    let f = fixture();
    let (events_url, mut rx) = listener().await;
    let s = start(Options { events_urls: vec![events_url.clone()], ..Options::default() }).await;
    let t = s.token().await;

    // Fulfilled: accepted at once with an empty body, answered later with the footprints.
    let request =
        request_created("req-1", &events_url, json!({"productId": [GTIN], "status": "Active"}));
    let r = s
        .http
        .post(format!("{}/3/events", s.url))
        .bearer_auth(&t)
        .header("content-type", "application/cloudevents+json; charset=UTF-8")
        .body(serde_json::to_vec(&request).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().is_empty());
    let answer = next_event(&mut rx).await;
    assert_eq!(answer["type"], "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3");
    assert_eq!(answer["specversion"], "1.0");
    assert!(answer["id"].as_str().is_some_and(|i| !i.is_empty()));
    assert!(answer["source"].as_str().is_some_and(|s| s.ends_with("/3/events")));
    assert_eq!(answer["data"]["requestEventId"], "req-1");
    let pfs = answer["data"]["pfs"].as_array().unwrap();
    assert_eq!(pfs.len(), 1);
    assert_eq!(pfs[0]["id"], f.bracket_v2.as_str());

    // Rejected: nothing matches.
    let request = request_created("req-2", &events_url, json!({"productId": ["urn:gtin:0000"]}));
    assert_eq!(s.post_event(&t, &request).await.0, 200);
    let answer = next_event(&mut rx).await;
    assert_eq!(answer["type"], "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3");
    assert_eq!(answer["data"]["requestEventId"], "req-2");
    assert_eq!(answer["data"]["error"]["code"], "NotFound");

    // A source that is not the client's registered endpoint is refused at once: the server
    // sends nothing anywhere else.
    let request = request_created(
        "req-3",
        "https://elsewhere.example/3/events",
        json!({"productId": [GTIN]}),
    );
    let (status, body) = s.post_event(&t, &request).await;
    assert_eq!(status, 403);
    assert_error(&body, "AccessDenied");

    // Events from others are accepted.
    let published = json!({
        "type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3", "specversion": "1.0",
        "id": "pub-1", "source": "//supplier.example/3/events", "time": "2026-03-05T17:31:00Z",
        "data": {"pfIds": ["079e425a-464f-528d-341d-4a944a1dfd70"]}
    });
    assert_eq!(s.post_event(&t, &published).await.0, 200);
    let rejected = json!({
        "type": "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3", "specversion": "1.0",
        "id": "rej-1", "source": "//supplier.example/3/events", "time": "2026-03-05T17:31:00Z",
        "data": {"requestEventId": "x", "error": {"code": "NotFound", "message": "none"}}
    });
    assert_eq!(s.post_event(&t, &rejected).await.0, 200);

    // Malformed events: 400 with a JSON error; PACT v2 events: 501.
    for bad in [
        json!("not an object"),
        json!({"type": "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3", "specversion": "1.0", "id": "x", "source": events_url}),
        request_created("req-4", &events_url, json!({})),
        request_created("req-5", &events_url, json!({"productId": "x", "colour": ["red"]})),
        request_created("req-6", &events_url, json!({"validOn": "soon"})),
        json!({"type": "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3", "specversion": "0.3", "id": "x", "source": events_url, "data": {"productId": [GTIN]}}),
        json!({"type": "com.example.Unknown", "specversion": "1.0", "id": "x", "source": "y", "data": {}}),
    ] {
        let (status, body) = s.post_event(&t, &bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_error(&body, "BadRequest");
    }
    let v2 = json!({"type": "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1", "specversion": "1.0",
        "id": "x", "source": events_url, "data": {"pf": {"productIds": [GTIN]}}});
    let (status, body) = s.post_event(&t, &v2).await;
    assert_eq!(status, 501);
    assert_error(&body, "NotImplemented");
    let r = s
        .http
        .post(format!("{}/3/events", s.url))
        .bearer_auth(&t)
        .body("{\"a\":1,\"a\":2}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // No answer was sent for any refused event.
    assert!(tokio::time::timeout(Duration::from_millis(300), rx.recv()).await.is_err());
    s.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Transport and robustness

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_refused() {
    let f = fixture();
    let s = start(Options::default()).await;
    let addr: SocketAddr = s.server.local_addr();
    // A plain HTTP request to the HTTPS port gets no HTTP answer, let alone data.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /3/footprints HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(!text.contains("HTTP/1.1 200") && !text.contains("\"data\""), "{text}");
    let plain = reqwest::Client::new();
    assert!(plain.get(format!("http://{addr}/3/footprints")).send().await.is_err());
    // The server still serves HTTPS afterwards.
    let t = s.token().await;
    assert_eq!(s.get("/3/footprints", &t).await.0, 200);

    // The CLI refuses to serve without TLS unless told the danger, and to fetch over http.
    let clients = f.dir.join("clients-plain.toml");
    std::fs::write(&clients, client_entry("buyer", &f.secret_hash, &[]).unwrap()).unwrap();
    let out =
        pcf(&f.dir, &["serve", "--register", "register", "--clients", clients.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--danger-plain-http"), "{}", stderr(&out));
    let out = pcf(
        &f.dir,
        &["fetch", &format!("http://{addr}"), "--client-id", "buyer", "--client-secret", SECRET],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("plain HTTP"), "{}", stderr(&out));
    s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_never_takes_the_server_down() {
    let s = start(Options::default()).await;
    let addr = s.server.local_addr();
    let t = s.token().await;
    // Garbage instead of a TLS handshake, and a connection that says nothing.
    let mut junk = tokio::net::TcpStream::connect(addr).await.unwrap();
    junk.write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 1, 2, 3]).await.unwrap();
    let _silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    // A body over the limit, a huge query, a bad method, a bad Host header.
    let big = vec![b'x'; 200 << 10];
    // The server answers 413 without reading the rest; the client may see that answer or,
    // if it is still writing when the connection closes, a reset. Either way it is refused.
    let r = s.http.post(format!("{}/3/events", s.url)).bearer_auth(&t).body(big).send().await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
        assert_error(&r.json::<Value>().await.unwrap(), "BadRequest");
    }
    let many: Vec<String> = (0..200).map(|i| format!("productId=urn:x:{i}")).collect();
    let (status, _, body) = s.get(&format!("/3/footprints?{}", many.join("&")), &t).await;
    assert_eq!(status, 400);
    assert_error(&body, "BadRequest");
    let r = s.http.delete(format!("{}/3/footprints", s.url)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // Still up.
    assert_eq!(s.get("/3/footprints", &t).await.0, 200);
    s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rates_and_connections_are_bounded() {
    let limits = pcf::exchange::server::Limits {
        requests_per_second: 0.01,
        burst: 3.0,
        max_connections: 2,
        ..Default::default()
    };
    let s = start(Options { limits: Some(limits), ..Options::default() }).await;
    let t = s.token().await; // 1 of the burst
    assert_eq!(s.get("/3/footprints", &t).await.0, 200); // 2
    assert_eq!(s.get("/3/footprints", &t).await.0, 200); // 3
    let r = s.http.get(format!("{}/3/footprints", s.url)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_error(&r.json::<Value>().await.unwrap(), "BadRequest");

    // Two idle connections fill the server; a third is closed without an answer.
    let addr = s.server.local_addr();
    let _a = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _b = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf)).await;
    assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "the third connection stayed open: {n:?}");
    s.server.shutdown().await;
}

#[test]
fn parsers_of_untrusted_input_never_panic() {
    use proptest::prelude::*;
    let tokens = pcf::exchange::auth::Tokens::new(Duration::from_secs(60)).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 2000,
        ..Default::default()
    });
    runner
        .run(&(any::<Vec<u8>>(), ".{0,80}"), |(bytes, text)| {
            let _ = pcf::exchange::events::parse(&bytes);
            let _ = pcf::exchange::events::parse(text.as_bytes());
            let _ = pcf::time::Instant::parse_pact(&text);
            let _ = pcf::exchange::pagination::parse_next_link(&text);
            let _ = tokens.check(&text);
            let _ = pcf::exchange::auth::Clients::parse(&text);
            let mut criteria = pcf::exchange::filters::Criteria::default();
            for name in pcf::exchange::filters::CRITERIA {
                let _ = criteria.push_parameter(name, &text);
            }
            Ok(())
        })
        .unwrap();
    // Near misses of the formats, which random text rarely reaches.
    for t in [
        "2025-02-29",
        "2024-02-29T24:00:00Z",
        "2025-01-01T00:00:00.Z",
        "9999-12-31T23:59:60+23:59",
        "0000-01-01",
        "2025-01-01T00:00:00+24:00",
        "<a>; rel=",
        "<a",
        ">; rel=\"next\"",
        "a.b",
        ".",
        "x.y.z",
    ] {
        let _ = pcf::time::Instant::parse_pact(t);
        let _ = pcf::exchange::pagination::parse_next_link(t);
        let _ = tokens.check(t);
    }
}

#[test]
fn error_messages_name_the_bad_value() {
    let mut c = pcf::exchange::filters::Criteria::default();
    insta::assert_snapshot!(
        c.push_parameter("validOn", "yesterday").unwrap_err(),
        @r#"validOn "yesterday": not an RFC 3339 date-time (write 2025-04-01T00:00:00Z)"#
    );
    let p = pcf::exchange::pagination::Paging::parse(Some("0"), None, 100).unwrap_err();
    insta::assert_snapshot!(p, @r#"limit "0": must be a positive integer"#);
    let e = pcf::exchange::events::parse(
        br#"{"type":"x","specversion":"1.0","id":"1","source":"s","time":"2025-03-05T17:31:00Z","data":{}}"#,
    )
    .unwrap_err();
    insta::assert_snapshot!(e, @r#"malformed event: type "x": not a PACT v3 event (expected one of org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3, org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3, org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3, org.wbcsd.pact.ProductFootprint.PublishedEvent.3)"#);
    let e = pcf::exchange::events::parse(
        br#"{"type":"org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3","specversion":"1.0","id":"1","source":"s","time":"2025-03-05T17:31:00Z","data":{"productIds":["x"]}}"#,
    )
    .unwrap_err();
    insta::assert_snapshot!(e, @r#"malformed event: data.productIds "[\"x\"]": not a criterion; use productId, companyId, geography, classification, validOn, validAfter, validBefore, status"#);
    let e = pcf::exchange::auth::Clients::parse("[[client]]\nid = \"a b\"\nsecret_hash = \"x\"\n")
        .unwrap_err();
    insta::assert_snapshot!(e, @r#"client 1: client id "a b": use 1 to 64 characters from A-Z a-z 0-9 . _ ~ -"#);
    let e = pcf::exchange::events::parse(
        br#"{"type":"org.wbcsd.pact.ProductFootprint.PublishedEvent.3","specversion":"1.0","id":"1","source":"s","time":"2025-03-05T17:31:00Z","data":{"pfIds":["urn:gtin:4712345060507"]}}"#,
    )
    .unwrap_err();
    insta::assert_snapshot!(e, @r#"malformed event: data.pfIds[0] "urn:gtin:4712345060507": not a UUID (like 079e425a-464f-528d-341d-4a944a1dfd70)"#);
}

// ---------------------------------------------------------------------------------------------
// pcf fetch

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_round_trips_and_verifies_declarations() {
    let f = fixture();
    let before = snapshot(&f.register);
    let s = start(Options::default()).await;
    let out_dir = f.dir.join("fetched");
    let args: Vec<String> = vec![
        "fetch".into(),
        s.url.clone(),
        "--client-id".into(),
        "buyer".into(),
        "--client-secret".into(),
        SECRET.into(),
        "--ca-cert".into(),
        s.cert_file.display().to_string(),
        "--out".into(),
        out_dir.display().to_string(),
        "--limit".into(),
        "1".into(),
        "--trust".into(),
        f.issuer.clone(),
        "--trust".into(),
        f.supplier.clone(),
        "--require-signed".into(),
    ];
    let dir = f.dir.clone();
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        pcf(&dir, &args)
    })
    .await
    .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(text.contains("fetched 3 footprint(s) in 3 page(s)"), "{text}");
    assert!(text.contains("3 valid, 0 invalid, 0 without a signed declaration"), "{text}");
    assert!(!text.contains("WARNING"), "{text}");
    // What was stored verifies offline with pcf verify as well: the credential under its
    // digest, the bundle under its own, the footprint under its id and content digest.
    let v2_digest = declaration_digest("v2.json");
    let declaration = out_dir.join("declarations").join(format!("{}.json", v2_digest.hex()));
    assert!(declaration.exists());
    let bundles = files_under(&out_dir.join("bundles"));
    assert_eq!(bundles.len(), 3, "{bundles:?}");
    let bundle = bundles
        .iter()
        .find(|b| {
            let v: Value = serde_json::from_slice(&std::fs::read(b).unwrap()).unwrap();
            v["verifiableCredential"][0]["credentialSubject"]["productFootprint"]["id"]
                == f.bracket_v2.as_str()
        })
        .unwrap();
    let out = pcf(
        &f.dir,
        &["verify", bundle.to_str().unwrap(), "--trust", &f.issuer, "--trust", &f.supplier],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(files_under(&out_dir.join("footprints").join(&f.coil)).len(), 1);
    assert!(!out_dir.join("unverified").exists(), "nothing failed, so nothing is unverified");

    // Without trusting the issuer the declarations do not count as valid.
    let out_dir2 = f.dir.join("fetched-untrusted");
    let (url, cert) = (s.url.clone(), s.cert_file.display().to_string());
    let dir = f.dir.clone();
    let out = tokio::task::spawn_blocking(move || {
        pcf(
            &dir,
            &[
                "fetch",
                &url,
                "--client-id",
                "buyer",
                "--client-secret",
                SECRET,
                "--ca-cert",
                &cert,
                "--out",
                out_dir2.to_str().unwrap(),
            ],
        )
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("is not trusted"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("WARNING no --trust given: nothing was checked against an issuer"),
        "{}",
        stdout(&out)
    );
    // Verified in memory first: what failed was written only under unverified/.
    let out_dir2 = f.dir.join("fetched-untrusted");
    assert!(!out_dir2.join("declarations").exists() && !out_dir2.join("footprints").exists());
    assert_eq!(files_under(&out_dir2.join("unverified")).len(), 3);

    // Wrong secret: a clear error.
    let (url, cert) = (s.url.clone(), s.cert_file.display().to_string());
    let dir = f.dir.clone();
    let out = tokio::task::spawn_blocking(move || {
        pcf(
            &dir,
            &["fetch", &url, "--client-id", "buyer", "--client-secret", "nope", "--ca-cert", &cert],
        )
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("authentication failed"), "{}", stderr(&out));
    s.server.shutdown().await;
    // Nothing in the register changed.
    assert_eq!(snapshot(&f.register), before);
}

/// Every file under `dir` (none when it does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    if !dir.exists() {
        return Vec::new();
    }
    snapshot(dir).into_keys().collect()
}

/// The digest of one of the fixture's signed declarations (`v1.json`, `v2.json`, `coil.json`).
fn declaration_digest(name: &str) -> pcf::digest::Digest {
    let bytes = std::fs::read(fixture().dir.join(name)).unwrap();
    pcf::canonical::digest(&pcf::canonical::parse_strict(&bytes).unwrap()).unwrap()
}

/// The README's example: the bundled register served with the demo client verifies end to end
/// (it fails when the example inventory or supplier declaration changed without
/// `examples/register/regenerate.sh` being run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundled_example_register_serves_and_verifies() {
    let root = crate::util::root();
    let register = root.join("examples/register");
    let before = snapshot(&register);
    let clients = Clients::load(&register.join("clients.toml")).unwrap();
    let identity = Identity::self_signed(&["127.0.0.1".to_string()]).unwrap();
    let ca = tempfile::tempdir().unwrap();
    let cert_file = ca.path().join("cert.pem");
    std::fs::write(&cert_file, &identity.certificate_pem).unwrap();
    let mut config = ServerConfig::new(
        register.clone(),
        clients,
        Transport::Tls(identity.server_config().unwrap()),
    );
    config.upstream = vec![root.join("examples/steel-bracket/suppliers")];
    let server = Server::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert!(server.footprints() >= 2);
    let did = |path: &Path| -> String {
        let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        v["issuer"]["id"].as_str().or(v["issuer"].as_str()).unwrap().to_string()
    };
    let issuer = did(&register.join("issued/bracket-v2.json"));
    let supplier = did(&root.join("examples/steel-bracket/suppliers/hot-rolled-coil.json"));
    let readme = std::fs::read_to_string(register.join("README.md")).unwrap();
    assert!(readme.contains(&issuer) && readme.contains(&supplier), "README names stale DIDs");
    let mut options = pcf::exchange::client::FetchOptions::new(
        server.url(),
        "demo",
        "demo-secret".into(),
        ca.path().join("fetched"),
    );
    options.trust = vec![issuer, supplier];
    options.ca_cert = Some(cert_file);
    let report = pcf::exchange::client::fetch(&options).await.unwrap();
    for f in &report.footprints {
        assert!(
            matches!(f.declaration, pcf::exchange::client::Signed::Valid { .. }),
            "{} {:?}: run examples/register/regenerate.sh",
            f.pf_id,
            f.declaration
        );
    }
    assert_eq!(report.valid(), report.footprints.len());
    assert!(report.footprints.iter().any(|f| f.status.as_deref() == Some("Deprecated")));
    // The README's command, the secret from the environment.
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("PCF_CLIENT_SECRET=demo-secret target/release/pcf fetch"));
    let out = pcf_with_env(
        strings(&[
            "fetch",
            &server.url(),
            "--client-id",
            "demo",
            "--ca-cert",
            options.ca_cert.as_ref().unwrap().to_str().unwrap(),
            "--out",
            ca.path().join("fetched-cli").to_str().unwrap(),
            "--trust",
            &options.trust[0],
            "--trust",
            &options.trust[1],
        ]),
        Some("demo-secret"),
    )
    .await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains(" valid, 0 invalid"), "{}", stdout(&out));
    server.shutdown().await;
    assert_eq!(snapshot(&register), before, "serving changed the example register");
}

/// A deceitful PACT endpoint: one footprint without a declaration, one whose announced digest
/// is not the credential's.
async fn deceitful_server() -> String {
    let f = fixture();
    let v2: Value = serde_json::from_slice(&std::fs::read(f.dir.join("v2.json")).unwrap()).unwrap();
    let coil: Value =
        serde_json::from_slice(&std::fs::read(f.dir.join("coil.json")).unwrap()).unwrap();
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", socket.local_addr().unwrap());
    let unsigned = v2["credentialSubject"]["productFootprint"].clone();
    let mut lying = coil["credentialSubject"]["productFootprint"].clone();
    lying["extensions"].as_array_mut().unwrap().push(json!({
        "specVersion": "1.0.0", "dataSchema": "urn:pcf:extension:declaration:1",
        "data": {"credentialUrl": format!("{base}/cred"), "digest": format!("sha256:{}", "0".repeat(64))}
    }));
    let page = Arc::new(json!({ "data": [unsigned, lying] }));
    let credential = Arc::new(coil);
    let app = Router::new()
        .route(
            "/auth/token",
            post(|| async { axum::Json(json!({"access_token": "t", "token_type": "Bearer"})) }),
        )
        .route(
            "/3/footprints",
            get(move || {
                let p = page.clone();
                async move { axum::Json((*p).clone()) }
            }),
        )
        .route(
            "/cred",
            get(move || {
                let c = credential.clone();
                async move { axum::Json((*c).clone()) }
            }),
        );
    tokio::spawn(async move { axum::serve(socket, app).await });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_reports_unsigned_footprints_and_digest_mismatches() {
    let f = fixture();
    let base = deceitful_server().await;
    let out_dir = f.dir.join("fetched-deceit");
    let dir = f.dir.clone();
    let out = tokio::task::spawn_blocking(move || {
        pcf(
            &dir,
            &[
                "fetch",
                &base,
                "--client-id",
                "x",
                "--client-secret",
                "y",
                "--danger-plain-http",
                "--out",
                out_dir.to_str().unwrap(),
                "--json",
            ],
        )
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let fps = report["footprints"].as_array().unwrap();
    assert_eq!(fps[0]["declaration"]["result"], "unsigned");
    assert_eq!(fps[1]["declaration"]["result"], "invalid");
    let reasons = fps[1]["declaration"]["reasons"].to_string();
    assert!(reasons.contains("announces"), "{reasons}");
}

// ---------------------------------------------------------------------------------------------
// Load

/// A fixed number of clients for a fixed time on loopback, over HTTPS with keep-alive: zero
/// errors allowed; prints latency percentiles and throughput.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_test_bounded_loopback() {
    const CLIENTS: usize = 16;
    const DURATION: Duration = Duration::from_secs(3);
    let f = fixture();
    let s = start(Options { unlimited_rate: true, ..Options::default() }).await;
    let token = s.token().await;
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let http = s.http.clone();
        let url = s.url.clone();
        let token = token.clone();
        let latencies = latencies.clone();
        let errors = errors.clone();
        let id = f.bracket_v2.clone();
        tasks.push(tokio::spawn(async move {
            let paths = [
                "/3/footprints?limit=2".to_string(),
                format!("/3/footprints/{id}"),
                format!("/3/footprints?productId={GTIN}&status=Active"),
            ];
            let mut n = c;
            let mut mine = Vec::new();
            while started.elapsed() < DURATION {
                let path = &paths[n % paths.len()];
                n += 1;
                let t0 = Instant::now();
                let result = http.get(format!("{url}{path}")).bearer_auth(&token).send().await;
                match result {
                    Ok(r) if r.status() == 200 => match r.bytes().await {
                        Ok(_) => mine.push(t0.elapsed()),
                        Err(e) => errors.lock().unwrap().push(e.to_string()),
                    },
                    Ok(r) => errors.lock().unwrap().push(r.status().to_string()),
                    Err(e) => errors.lock().unwrap().push(e.to_string()),
                }
            }
            latencies.lock().unwrap().extend(mine);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();
    let errors = errors.lock().unwrap().clone();
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
    eprintln!(
        "load: {CLIENTS} clients x {:.1} s over HTTPS: {} requests, {} errors, {:.0} req/s; \
         latency p50 {:?} p90 {:?} p99 {:?} max {:?}",
        elapsed.as_secs_f64(),
        lat.len(),
        errors.len(),
        lat.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        lat[lat.len() - 1],
    );
    assert!(errors.is_empty(), "{} errors, first: {:?}", errors.len(), errors.first());
    assert!(lat.len() > CLIENTS, "too few requests completed");
    s.server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// pcf fetch against fake servers: status and fields, storage, trust, caps, the secret

/// A request a fake server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query.
    target: String,
    authorization: Option<String>,
}

/// What a fake server answers.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(value: &Value) -> Answer {
        Answer {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: serde_json::to_vec(value).unwrap(),
        }
    }

    fn status(status: u16) -> Answer {
        Answer { status, headers: Vec::new(), body: Vec::new() }
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;
/// What a fake discovery endpoint answers, given the server's base URL.
type Discovery = Box<dyn Fn(&str) -> Answer + Send + Sync>;

/// A plain-HTTP server on 127.0.0.1 answering every request with `make(base)`'s handler and
/// recording what it saw.
async fn fake_server(make: impl FnOnce(&str) -> Handler) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", socket.local_addr().unwrap());
    let handler = make(&base);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = Router::new().fallback(move |request: axum::extract::Request| {
        let handler = handler.clone();
        let log = log.clone();
        async move {
            let request = Seen {
                method: request.method().to_string(),
                target: request.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default(),
                authorization: request
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string()),
            };
            log.lock().unwrap().push(request.clone());
            let answer = handler(&request);
            let mut response = axum::http::Response::builder().status(answer.status);
            for (name, value) in answer.headers {
                response = response.header(name, value);
            }
            response.body(axum::body::Body::from(answer.body)).unwrap()
        }
    });
    tokio::spawn(async move { axum::serve(socket, app).await });
    (base, seen)
}

/// The fixture's footprints as `pcf serve` would serve them from `base` (v1 deprecated, coil,
/// v2), with their credentials and bundles by path.
fn served_catalogue(base: &str) -> (Vec<Value>, BTreeMap<String, Vec<u8>>) {
    let f = fixture();
    let upstream = vec![crate::util::root().join("examples/steel-bracket/suppliers")];
    let catalogue = pcf::exchange::catalogue::Catalogue::load(&f.register, &upstream).unwrap();
    let mut files = BTreeMap::new();
    let mut served = Vec::new();
    for fp in catalogue.footprints() {
        served.push(fp.served(base));
        files.insert(format!("/3/footprints/{}/declaration", fp.pf_id), (*fp.credential).clone());
        files.insert(
            format!("/3/footprints/{}/bundle", fp.pf_id),
            (*catalogue.bundle(fp).unwrap()).clone(),
        );
    }
    (served, files)
}

/// A fake PACT host serving the fixture's footprints after `edit` changed the list; the
/// token endpoint accepts `buyer` / [`SECRET`] only.
async fn pact_fake(
    edit: impl FnOnce(&mut Vec<Value>) + Send + 'static,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    fake_server(move |base| {
        let (mut served, files) = served_catalogue(base);
        edit(&mut served);
        let page = json!({ "data": served });
        let expected = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("buyer:{SECRET}")
            )
        );
        Arc::new(move |r: &Seen| match (r.method.as_str(), r.target.as_str()) {
            ("POST", "/auth/token") if r.authorization.as_deref() == Some(expected.as_str()) => {
                Answer::json(&json!({"access_token": "t", "token_type": "Bearer"}))
            }
            ("POST", "/auth/token") => Answer {
                status: 401,
                headers: vec![("content-type", "application/json".into())],
                body: br#"{"error":"invalid_client"}"#.to_vec(),
            },
            ("GET", "/3/footprints") => Answer::json(&page),
            ("GET", path) => match files.get(path) {
                Some(bytes) => Answer {
                    status: 200,
                    headers: vec![("content-type", "application/json".into())],
                    body: bytes.clone(),
                },
                None => Answer::status(404),
            },
            _ => Answer::status(404),
        })
    })
    .await
}

fn fetch_options(base: &str, out: &Path) -> pcf::exchange::client::FetchOptions {
    let f = fixture();
    let mut o =
        pcf::exchange::client::FetchOptions::new(base, "buyer", SECRET.into(), out.to_path_buf());
    o.trust = vec![f.issuer.clone(), f.supplier.clone()];
    o.danger_plain_http = true;
    o.timeout = Duration::from_secs(20);
    o
}

fn reasons_of(f: &pcf::exchange::client::Fetched) -> String {
    match &f.declaration {
        pcf::exchange::client::Signed::Invalid { reasons } => reasons.join("; "),
        other => panic!("{} is not invalid: {other:?}", f.pf_id),
    }
}

fn is_valid(f: &pcf::exchange::client::Fetched) -> bool {
    matches!(f.declaration, pcf::exchange::client::Signed::Valid { .. })
}

/// Runs `pcf` with the client secret variable set to `secret`, or removed.
async fn pcf_with_env(args: Vec<String>, secret: Option<&str>) -> std::process::Output {
    let dir = fixture().dir.clone();
    let secret = secret.map(String::from);
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pcf"));
        command.current_dir(&dir).args(&args);
        match secret {
            Some(s) => command.env("PCF_CLIENT_SECRET", s),
            None => command.env_remove("PCF_CLIENT_SECRET"),
        };
        command.output().unwrap()
    })
    .await
    .unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn served_fields_are_compared_with_the_signed_subject_one_by_one() {
    use pcf::exchange::client::compare_served;
    use pcf::register::Status;
    let subject = json!({"id": "a", "status": "Active", "pcf": {"x": "1"}, "comment": "c"});
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = subject.clone();
        edit(&mut v);
        v
    };
    // Agreement; and the one change a server may make: Active to Deprecated.
    assert!(compare_served(&subject, &subject, None).is_empty());
    assert!(compare_served(&subject, &subject, Some(Status::Active)).is_empty());
    let deprecated = with(&|v| v["status"] = json!("Deprecated"));
    assert!(compare_served(&deprecated, &subject, None).is_empty());
    assert!(compare_served(&deprecated, &subject, Some(Status::Deprecated)).is_empty());
    assert!(compare_served(&deprecated, &deprecated, None).is_empty());
    // Never back: the signed subject or the register says Deprecated, the server Active.
    let r = compare_served(&subject, &deprecated, None).join("; ");
    assert!(r.contains("signed declaration says Deprecated"), "{r}");
    let r = compare_served(&subject, &subject, Some(Status::Deprecated)).join("; ");
    assert!(r.contains("register excerpt records it as deprecated"), "{r}");
    // Any other field, changed, added or missing, is named.
    for (served, field) in [
        (with(&|v| v["pcf"]["x"] = json!("2")), "pcf"),
        (with(&|v| v["statusComment"] = json!("fine")), "statusComment"),
        (with(&|v| v["updated"] = json!("2026-01-01T00:00:00Z")), "updated"),
        (with(&|v| drop(v.as_object_mut().unwrap().remove("comment"))), "comment"),
        (with(&|v| v["id"] = json!("b")), "id"),
    ] {
        let r = compare_served(&served, &subject, None);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].contains(&format!("in {field};")), "{field}: {r:?}");
    }
    // A status that is neither Active nor Deprecated, or none.
    for status in [json!("Archived"), json!(null), json!(1)] {
        let served = with(&|v| v["status"] = status.clone());
        let r = compare_served(&served, &subject, None).join("; ");
        assert!(r.contains("served status"), "{status}: {r}");
    }
    assert!(!compare_served(&json!([]), &subject, None).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_fails_footprints_whose_served_status_or_fields_disagree() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    // The honest copy verifies, the deprecated v1 as Deprecated.
    let (base, _) = pact_fake(|_| {}).await;
    let report = pcf::exchange::client::fetch(&fetch_options(&base, &tmp.path().join("honest")))
        .await
        .unwrap();
    assert_eq!(report.valid(), 3, "{report:?}");
    let v1 = report.footprints.iter().find(|x| x.pf_id == f.bracket_v1).unwrap();
    assert_eq!(v1.status.as_deref(), Some("Deprecated"));

    // A deprecated declaration served as Active: its bundle's register excerpt says otherwise.
    // Another footprint renamed, a third with an unsigned statusComment.
    let (ids, v2, coil) = (f.bracket_v1.clone(), f.bracket_v2.clone(), f.coil.clone());
    let (base, _) = pact_fake(move |served| {
        for fp in served.iter_mut() {
            if fp["id"] == ids.as_str() {
                fp["status"] = json!("Active");
            } else if fp["id"] == v2.as_str() {
                fp["productNameCompany"] = json!("Gold bracket");
            } else if fp["id"] == coil.as_str() {
                fp["statusComment"] = json!("audited");
            }
        }
    })
    .await;
    let report = pcf::exchange::client::fetch(&fetch_options(&base, &tmp.path().join("lies")))
        .await
        .unwrap();
    assert_eq!((report.valid(), report.invalid()), (0, 3), "{report:?}");
    let reason = |id: &str| reasons_of(report.footprints.iter().find(|x| x.pf_id == id).unwrap());
    assert!(reason(&f.bracket_v1).contains("served as Active"), "{}", reason(&f.bracket_v1));
    assert!(reason(&f.bracket_v2).contains("in productNameCompany;"), "{}", reason(&f.bracket_v2));
    assert!(reason(&f.coil).contains("in statusComment;"), "{}", reason(&f.coil));

    // A status that is not PACT's.
    let coil = f.coil.clone();
    let (base, _) = pact_fake(move |served| {
        served.retain(|fp| fp["id"] == coil.as_str());
        served[0]["status"] = json!("Archived");
    })
    .await;
    let report = pcf::exchange::client::fetch(&fetch_options(&base, &tmp.path().join("status")))
        .await
        .unwrap();
    assert!(reasons_of(&report.footprints[0]).contains("served status \"Archived\""));
    // Nothing that failed was stored with the verified footprints.
    for dir in ["lies", "status"] {
        assert!(!tmp.path().join(dir).join("footprints").exists(), "{dir}");
        assert!(!tmp.path().join(dir).join("declarations").exists(), "{dir}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_never_replaces_a_verified_file_and_keeps_each_document_once() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (base, _) = pact_fake(|_| {}).await;
    let report = pcf::exchange::client::fetch(&fetch_options(&base, &out)).await.unwrap();
    assert_eq!(report.valid(), 3);
    let verified = snapshot(&out);
    assert_eq!(files_under(&out.join("footprints")).len(), 3);
    assert_eq!(files_under(&out.join("declarations")).len(), 3);

    // Same ids again: v2 unsigned, the coil with a digest that is not its credential's, v1
    // twice (first as verified before, then a different document under the same id).
    let (v1, v2, coil) = (f.bracket_v1.clone(), f.bracket_v2.clone(), f.coil.clone());
    let (base, _) = pact_fake(move |served| {
        let first_v1 = served.iter().find(|fp| fp["id"] == v1.as_str()).unwrap().clone();
        for fp in served.iter_mut() {
            if fp["id"] == v2.as_str() {
                *fp = pcf::exchange::catalogue::DeclarationLink::strip(fp);
            } else if fp["id"] == coil.as_str() {
                let ext = fp["extensions"].as_array_mut().unwrap().last_mut().unwrap();
                ext["data"]["digest"] = json!(format!("sha256:{}", "0".repeat(64)));
            }
        }
        let mut other = pcf::exchange::catalogue::DeclarationLink::strip(&first_v1);
        other["comment"] = json!("not what was signed");
        served.push(other);
    })
    .await;
    let report = pcf::exchange::client::fetch(&fetch_options(&base, &out)).await.unwrap();
    assert_eq!((report.valid(), report.invalid(), report.unsigned()), (1, 2, 1), "{report:?}");
    let last = report.footprints.last().unwrap();
    assert!(reasons_of(last).contains("earlier in this fetch"), "{}", reasons_of(last));
    // Every verified file is still there, byte for byte; the new ones are all unverified,
    // each under its own content address.
    let after = snapshot(&out);
    for (path, bytes) in &verified {
        assert_eq!(after.get(path), Some(bytes), "{} changed", path.display());
    }
    // (v1 verified again, served from another address: its links differ, so it is another
    // document, stored beside the first.)
    let new: Vec<_> = after.keys().filter(|p| !verified.contains_key(*p)).collect();
    let (unverified, other): (Vec<&PathBuf>, Vec<&PathBuf>) =
        new.iter().copied().partition(|p| p.starts_with(out.join("unverified")));
    assert_eq!(unverified.len(), 3, "{new:?}");
    assert_eq!(other, [&report.footprints[0].file]);
    assert!(report.footprints[0].file.starts_with(out.join("footprints").join(&f.bracket_v1)));
    assert_eq!(files_under(&out.join("footprints").join(&f.bracket_v1)).len(), 2);
    for x in report.footprints.iter().filter(|x| !is_valid(x)) {
        assert!(x.file.starts_with(out.join("unverified")), "{}", x.file.display());
    }

    // A stored file whose content is not what its name says is not replaced: the fetch stops.
    let (base, _) = pact_fake(|_| {}).await;
    let out2 = tmp.path().join("out2");
    let report = pcf::exchange::client::fetch(&fetch_options(&base, &out2)).await.unwrap();
    let victim = report.footprints[0].file.clone();
    std::fs::write(&victim, b"{}").unwrap();
    let err = pcf::exchange::client::fetch(&fetch_options(&base, &out2)).await.unwrap_err();
    assert!(err.to_string().contains("not replaced"), "{err}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"{}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_means_every_footprint_must_be_signed() {
    let f = fixture();
    // Only unsigned footprints.
    let (base, _) = pact_fake(|served| {
        for fp in served.iter_mut() {
            *fp = pcf::exchange::catalogue::DeclarationLink::strip(fp);
        }
    })
    .await;
    let out = f.dir.join("fetched-trust");
    let run = |extra: &[&str], name: &str| {
        let mut args = strings(&[
            "fetch",
            &base,
            "--client-id",
            "buyer",
            "--client-secret",
            SECRET,
            "--danger-plain-http",
            "--out",
        ]);
        args.push(out.join(name).display().to_string());
        args.extend(strings(extra));
        pcf_with_env(args, None)
    };
    // With --trust: exit 1, each footprint says it cannot be from a trusted issuer.
    let o = run(&["--trust", &f.issuer], "a").await;
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(stdout(&o).matches("[UNSIGNED]").count(), 3, "{}", stdout(&o));
    assert!(stdout(&o).contains("(failed: signatures are required)"), "{}", stdout(&o));
    // --require-signed alone also fails them.
    let o = run(&["--require-signed"], "b").await;
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    // Neither: passes, and says plainly that nothing was checked against an issuer.
    let o = run(&[], "c").await;
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("WARNING no --trust given"), "{}", stdout(&o));
    let o = run(&["--json"], "d").await;
    assert_eq!(o.status.code(), Some(0));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["trusted"], json!([]));
    assert_eq!(report["signaturesRequired"], false);
    assert!(stderr(&o).contains("no --trust given"), "{}", stderr(&o));
    let o = run(&["--json", "--trust", &f.issuer], "e").await;
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["signaturesRequired"], true);
    let help = stdout(&pcf(&f.dir, &["fetch", "--help"]));
    assert!(help.contains("an unsigned one fails"), "{help}");
}

/// A raw HTTP server: answers the token request, then streams an endless page of footprints
/// (stopping by itself after `limit` bytes); returns its base URL and how many body bytes it
/// managed to send.
async fn streaming_server(limit: usize) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", socket.local_addr().unwrap());
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        for _ in 0..8 {
            let Ok((mut stream, _)) = socket.accept().await else { return };
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                if head.starts_with("POST /auth/token") {
                    let body = br#"{"access_token":"t","token_type":"Bearer"}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: \
                         {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.write_all(body).await;
                    return;
                }
                if !head.starts_with("GET /3/footprints") {
                    let _ = stream
                        .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    return;
                }
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"data\":[")
                    .await;
                let chunk = "{\"id\":\"x\"},".repeat(6000);
                while counter.load(std::sync::atomic::Ordering::Relaxed) < limit {
                    if stream.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                    counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    (base, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_stops_at_its_caps_with_the_flag_to_raise_them() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let no_trust = |base: &str, dir: &str| {
        let mut o = fetch_options(base, &tmp.path().join(dir));
        o.trust.clear();
        o
    };
    // A body that never ends: stopped while reading, long before the server is done.
    for (max_bytes, flag) in [(1_000_000, "--max-bytes"), (u64::MAX, "larger than 33554432")] {
        let (base, sent) = streaming_server(512 << 20).await;
        let mut o = no_trust(&base, "stream");
        o.caps.max_bytes = max_bytes;
        let err = pcf::exchange::client::fetch(&o).await.unwrap_err();
        assert!(err.to_string().contains(flag), "{err}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let sent = sent.load(std::sync::atomic::Ordering::Relaxed);
        eprintln!("caps: with {flag} the endless body stopped after the server sent {sent} bytes");
        assert!(sent < 128 << 20, "the server sent {sent} bytes before the client stopped");
    }

    // Next links without end, and a page with more footprints than allowed.
    let (base, seen) = fake_server(|base| {
        let base = base.to_string();
        Arc::new(move |r: &Seen| {
            if r.method == "POST" {
                return Answer::json(&json!({"access_token": "t"}));
            }
            let n: usize = r.target.rsplit_once("offset=").map_or(0, |(_, n)| n.parse().unwrap());
            let data: Vec<Value> = (0..10).map(|i| json!({"id": format!("pf-{n}-{i}")})).collect();
            let mut a = Answer::json(&json!({ "data": data }));
            if n < 20 {
                a.headers.push((
                    "link",
                    format!("<{base}/3/footprints?offset={}>; rel=\"next\"", n + 1),
                ));
            }
            a
        })
    })
    .await;
    let mut o = no_trust(&base, "pages");
    o.caps.max_pages = 5;
    let err = pcf::exchange::client::fetch(&o).await.unwrap_err();
    assert!(
        err.to_string().contains("more than 5 pages") && err.to_string().contains("--max-pages")
    );
    let pages = seen.lock().unwrap().iter().filter(|r| r.target.starts_with("/3/")).count();
    assert_eq!(pages, 5, "the sixth page is never asked for");
    let mut o = no_trust(&base, "footprints");
    o.caps.max_footprints = 25;
    let err = pcf::exchange::client::fetch(&o).await.unwrap_err();
    assert!(err.to_string().contains("more than 25 footprints"), "{err}");
    assert!(err.to_string().contains("--max-footprints"), "{err}");
    // Under the caps, the same server is fetched to its end.
    let mut o = no_trust(&base, "all");
    o.caps.max_pages = 21;
    let report = pcf::exchange::client::fetch(&o).await.unwrap();
    assert_eq!((report.pages, report.footprints.len()), (21, 210));

    // Bytes written: the cap stops the fetch before the file that would cross it.
    let (base, _) = pact_fake(|_| {}).await;
    let mut o = fetch_options(&base, &tmp.path().join("disk"));
    o.caps.max_disk_bytes = 20_000;
    let err = pcf::exchange::client::fetch(&o).await.unwrap_err();
    assert!(err.to_string().contains("--max-disk-bytes"), "{err}");
    let written: usize = snapshot(&tmp.path().join("disk")).values().map(Vec::len).sum();
    assert!(written <= 20_000, "{written} bytes written");

    // The CLI names the flag too, with the defaults in --help.
    let (base, _) = streaming_server(512 << 20).await;
    let o = pcf_with_env(
        strings(&[
            "fetch",
            &base,
            "--client-id",
            "buyer",
            "--danger-plain-http",
            "--max-bytes",
            "100000",
            "--out",
            tmp.path().join("cli").to_str().unwrap(),
        ]),
        Some("x"),
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("more than 100000 bytes read"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--max-bytes"), "{}", stderr(&o));
    let help = stdout(&pcf(&f.dir, &["fetch", "--help"]));
    for flag in ["--max-bytes", "--max-disk-bytes", "--max-pages", "--max-footprints"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
    assert!(help.contains("[default: 1073741824]") && help.contains("[default: 10000]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_secret_goes_only_to_the_origin_given() {
    let tmp = tempfile::tempdir().unwrap();
    // Where a hostile server would like the secret to go.
    let (evil, evil_seen) =
        fake_server(|_| Arc::new(|_: &Seen| Answer::json(&json!({"access_token": "stolen"}))))
            .await;
    let evil_port = evil.rsplit(':').next().unwrap().to_string();
    // Discovery naming another port, another host, another scheme; a token endpoint that
    // redirects to another origin.
    let cases: Vec<Discovery> = vec![
        Box::new({
            let evil = evil.clone();
            move |_| Answer::json(&json!({"token_endpoint": format!("{evil}/auth/token")}))
        }),
        Box::new({
            let port = evil_port.clone();
            move |_| {
                Answer::json(
                    &json!({"token_endpoint": format!("http://localhost:{port}/auth/token")}),
                )
            }
        }),
        Box::new(|base: &str| {
            let https = base.replacen("http:", "https:", 1);
            Answer::json(&json!({"token_endpoint": format!("{https}/auth/token")}))
        }),
    ];
    for (n, discovery) in cases.into_iter().enumerate() {
        let discovery = Arc::new(discovery);
        let (base, seen) = fake_server(move |base| {
            let base = base.to_string();
            Arc::new(move |r: &Seen| match r.target.as_str() {
                "/.well-known/openid-configuration" => discovery(&base),
                _ => Answer::status(404),
            })
        })
        .await;
        let o = fetch_options(&base, &tmp.path().join(format!("o{n}")));
        let err = pcf::exchange::client::fetch(&o).await.unwrap_err();
        assert!(err.to_string().contains("pcf sends the client secret only there"), "{n}: {err}");
        assert!(seen.lock().unwrap().iter().all(|r| r.authorization.is_none()), "{n}");
    }
    let (base, seen) = fake_server({
        let evil = evil.clone();
        move |_| {
            Arc::new(move |r: &Seen| match r.target.as_str() {
                "/auth/token" => Answer {
                    status: 307,
                    headers: vec![("location", format!("{evil}/auth/token"))],
                    body: Vec::new(),
                },
                _ => Answer::status(404),
            })
        }
    })
    .await;
    let err = pcf::exchange::client::fetch(&fetch_options(&base, &tmp.path().join("r")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("authentication at"), "{err}");
    assert_eq!(seen.lock().unwrap().iter().filter(|r| r.target == "/auth/token").count(), 1);
    assert!(evil_seen.lock().unwrap().is_empty(), "{:?}", evil_seen.lock().unwrap());
    // Nor does a debug print show it.
    let o = fetch_options(&base, tmp.path());
    assert!(!format!("{o:?}").contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_secret_comes_from_a_file_or_the_environment() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    // The coil only (active and current).
    let (base, _) = pact_fake(|served| {
        served.remove(0);
        served.truncate(1);
    })
    .await;
    let secret_file = tmp.path().join("secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let two_lines = tmp.path().join("two");
    std::fs::write(&two_lines, format!("{SECRET}\nmore\n")).unwrap();
    let args = |extra: &[&str], n: usize| {
        let mut a = strings(&["fetch", &base, "--client-id", "buyer", "--danger-plain-http"]);
        a.extend(strings(&["--trust", &f.issuer, "--trust", &f.supplier, "--out"]));
        a.push(tmp.path().join(format!("out{n}")).display().to_string());
        a.extend(strings(extra));
        a
    };
    let file = secret_file.to_str().unwrap();
    for (n, (extra, env, code, expect)) in [
        (vec!["--client-secret-file", file], None, 0, "1 valid"),
        (vec![], Some(SECRET), 0, "1 valid"),
        (vec!["--client-secret", SECRET], Some("wrong"), 0, "1 valid"),
        (vec!["--client-secret-file", file], Some("wrong"), 0, "1 valid"),
        (vec![], Some("wrong"), 1, "authentication failed"),
        (vec![], None, 2, "--client-secret-file PATH or set PCF_CLIENT_SECRET"),
        (vec!["--client-secret-file", two_lines.to_str().unwrap()], None, 2, "more than one line"),
        (vec!["--client-secret-file", "/nonexistent/secret"], None, 1, "/nonexistent/secret"),
    ]
    .into_iter()
    .enumerate()
    {
        let o = pcf_with_env(args(&extra, n), env).await;
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(code), "{n}: {all}");
        assert!(all.contains(expect), "{n}: {all}");
        assert!(!all.contains(SECRET), "{n}: the secret was printed: {all}");
    }
    let help = stdout(&pcf(&f.dir, &["fetch", "--help"]));
    assert!(help.contains("--client-secret-file") && help.contains("PCF_CLIENT_SECRET"));
    assert!(help.contains("Visible to other users of the machine (ps"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection() {
    // Eight idle connections from 127.0.0.1 would fill the server; four are its share.
    let limits = pcf::exchange::server::Limits {
        max_connections: 8,
        max_connections_per_address: 4,
        handshake_timeout: Duration::from_secs(30),
        ..Default::default()
    };
    let s =
        start(Options { limits: Some(limits), unlimited_rate: true, ..Options::default() }).await;
    let addr = s.server.local_addr();
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Those beyond the share were closed at once, the first four are held.
    let mut closed = 0;
    for c in idle.iter_mut() {
        let mut buf = [0u8; 16];
        let r = tokio::time::timeout(Duration::from_millis(300), c.read(&mut buf)).await;
        if matches!(r, Ok(Ok(0)) | Ok(Err(_))) {
            closed += 1;
        }
    }
    assert_eq!(closed, 4, "connections beyond the per-address limit are refused at once");
    // Another loopback address is served meanwhile, over HTTPS, several times.
    let certs = pcf::exchange::tls::read_certificates(&s.cert_file).unwrap();
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .tls_certs_only(certs.iter().map(|c| reqwest::Certificate::from_der(c).unwrap()))
        .build()
        .unwrap();
    for _ in 0..3 {
        let r = other.get(format!("{}/.well-known/openid-configuration", s.url)).send().await;
        assert_eq!(r.unwrap().status(), 200, "127.0.0.2 was not served");
    }
    // And 127.0.0.1 itself once its idle connections are gone.
    drop(idle);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = s.token().await;
    assert_eq!(s.get("/3/footprints", &t).await.0, 200);
    s.server.shutdown().await;
}
