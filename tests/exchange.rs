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

const GTIN: &str = "urn:gtin:06901234567892";
const BRACKET_COMPANY: &str = "urn:uscc:91320594EXAMPLE0001";
const BRACKET_CLASS: &str = "urn:pact:productclassification:cn:73269098";
const COIL_ID: &str = "urn:pact:product:customcode:vendor-assigned:HRC-S355";
const COIL_COMPANY: &str = "urn:lei:5299000EXAMPLE00DE01";
const SECRET: &str = "s3cret-for-tests";

struct Fixture {
    dir: PathBuf,
    register: PathBuf,
    issuer: String,
    /// The DID of the supplier whose declaration the bracket consumed.
    supplier: String,
    /// pf ids: bracket v1 (deprecated), coil, bracket v2.
    bracket_v1: String,
    coil: String,
    bracket_v2: String,
    secret_hash: String,
}

fn fixture() -> &'static Fixture {
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
struct Running {
    server: Server,
    url: String,
    http: reqwest::Client,
    cert_file: PathBuf,
}

struct Options {
    token_lifetime: Duration,
    events_urls: Vec<String>,
    transport_plain: bool,
    unlimited_rate: bool,
    limits: Option<pcf::exchange::server::Limits>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            token_lifetime: Duration::from_secs(600),
            events_urls: Vec::new(),
            transport_plain: false,
            unlimited_rate: false,
            limits: None,
        }
    }
}

async fn start(options: Options) -> Running {
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
    config.delivery.attempts = 3;
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
    async fn token(&self) -> String {
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
    async fn get(&self, path: &str, token: &str) -> (u16, Option<String>, Value) {
        let url =
            if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.url) };
        let r = self.http.get(url).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        let link = r.headers().get("link").map(|v| v.to_str().unwrap().to_string());
        let body = r.bytes().await.unwrap();
        (status, link, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn ids(&self, query: &str, token: &str) -> Vec<String> {
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

    async fn post_event(&self, token: &str, event: &Value) -> (u16, Value) {
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

fn assert_error(body: &Value, code: &str) {
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
    let mut subject = credential["credentialSubject"].clone();
    subject["status"] = json!("Deprecated");
    assert_eq!(pcf::exchange::catalogue::DeclarationLink::strip(pf), subject);
    // The bundle carries the supplier's declaration and a register excerpt.
    let (status, _, bundle) = s.get(&format!("/3/footprints/{}/bundle", f.bracket_v2), &t).await;
    assert_eq!(status, 200);
    assert_eq!(bundle["upstream"].as_array().unwrap().len(), 1);
    assert_eq!(bundle["superseded"].as_array().unwrap().len(), 1);
    assert!(bundle["registerExcerpt"].is_object());
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
async fn listener() -> (String, mpsc::UnboundedReceiver<Value>) {
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

fn request_created(id: &str, source: &str, data: Value) -> Value {
    json!({
        "type": "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
        "specversion": "1.0",
        "id": id,
        "source": source,
        "time": "2026-03-05T17:31:00Z",
        "data": data,
    })
}

async fn next_event(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
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
        br#"{"type":"x","specversion":"1.0","id":"1","source":"s","data":{}}"#,
    )
    .unwrap_err();
    insta::assert_snapshot!(e, @r#"malformed event: type "x": not a PACT v3 event (expected one of org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3, org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3, org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3, org.wbcsd.pact.ProductFootprint.PublishedEvent.3)"#);
    let e = pcf::exchange::events::parse(
        br#"{"type":"org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3","specversion":"1.0","id":"1","source":"s","data":{"productIds":["x"]}}"#,
    )
    .unwrap_err();
    insta::assert_snapshot!(e, @r#"malformed event: data.productIds "[\"x\"]": not a criterion; use productId, companyId, geography, classification, validOn, validAfter, validBefore, status"#);
    let e = pcf::exchange::auth::Clients::parse("[[client]]\nid = \"a b\"\nsecret_hash = \"x\"\n")
        .unwrap_err();
    insta::assert_snapshot!(e, @r#"client 1: client id "a b": use 1 to 64 characters from A-Z a-z 0-9 . _ ~ -"#);
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
    // What was stored verifies offline with pcf verify as well.
    let declaration = out_dir.join("declarations").join(format!("{}.json", f.bracket_v2));
    let bundle = out_dir.join("declarations").join(format!("{}.bundle.json", f.bracket_v2));
    let out = pcf(
        &f.dir,
        &["verify", bundle.to_str().unwrap(), "--trust", &f.issuer, "--trust", &f.supplier],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(declaration.exists());
    assert!(out_dir.join("footprints").join(format!("{}.json", f.coil)).exists());

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
    let options = pcf::exchange::client::FetchOptions {
        url: server.url(),
        client_id: "demo".into(),
        client_secret: "demo-secret".into(),
        out: ca.path().join("fetched"),
        trust: vec![issuer, supplier],
        ca_cert: Some(cert_file),
        danger_plain_http: false,
        page_size: None,
        timeout: Duration::from_secs(30),
    };
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
    let unsigned = v2["credentialSubject"].clone();
    let mut lying = coil["credentialSubject"].clone();
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
