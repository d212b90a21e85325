//! Tests: PACT v3 events at `pcf serve`. Every event field the OpenAPI types is checked at the
//! root (a Published event naming URNs instead of UUIDs is refused, conformance case 40), a
//! bare origin as `source` names `<origin>/3/events`, answers are posted with a token from
//! the recipient's own `/auth/token` (a listener the test runs insists on it), kept in an
//! outbox that survives a restart, retried and given up; version negotiation never fails a
//! request; `pcf serve` finds its clients file and keeps its self-signed key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

use crate::exchange::{
    GTIN, Options, assert_error, fixture, listener, next_event, request_created, start,
};
use pcf::exchange::delivery::DeliveryConfig;
use pcf::exchange::delivery::recipients::{Recipients, with_entry};

const PUBLISHED: &str = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3";
const FULFILLED: &str = "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3";
const REJECTED: &str = "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3";

fn event(kind: &str, data: Value) -> Value {
    json!({
        "type": kind, "specversion": "1.0", "id": "e-1", "source": "http://localhost:8004",
        "time": "2026-03-05T17:31:00Z", "data": data,
    })
}

/// Conformance case 40 and its kin: every typed field of every kind of event is checked, at
/// the root, and a bad one is a 400 naming the field; good events are a 200 (case 15).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_typed_event_field_is_checked() {
    let s = start(Options::default()).await;
    let t = s.token().await;
    let uuid = "3a6c14a7-4deb-498a-b5ea-16ce2535b576";
    let good = event(PUBLISHED, json!({"pfIds": [uuid]}));
    assert_eq!(s.post_event(&t, &good).await.0, 200, "case 15");
    let (status, body) =
        s.post_event(&t, &event(PUBLISHED, json!({"pfIds": ["urn:gtin:4712345060507"]}))).await;
    assert_eq!(status, 400, "case 40: {body}");
    assert_error(&body, "BadRequest");
    assert!(body["message"].as_str().unwrap().contains("data.pfIds[0]"), "{body}");

    let footprint = json!({"id": uuid, "specVersion": "3.0.0", "created": "2026-01-01T00:00:00Z",
        "companyIds": ["urn:lei:1"], "productIds": [GTIN], "pcf": {}});
    let with = |name: &str, value: Value| {
        let mut e = good.clone();
        e[name] = value;
        e
    };
    let without = |name: &str| {
        let mut e = good.clone();
        e.as_object_mut().unwrap().remove(name);
        e
    };
    let cases: Vec<(Value, &str)> = vec![
        (without("time"), "time is missing"),
        (with("time", json!("yesterday")), "time"),
        (with("id", json!("")), "id"),
        (with("source", json!("not a uri")), "source"),
        (with("source", json!(7)), "source"),
        (with("data", json!([uuid])), "data"),
        (event(PUBLISHED, json!({"pfIds": []})), "data.pfIds"),
        (event(PUBLISHED, json!({"pfIds": [uuid, "079e425a464f"]})), "data.pfIds[1]"),
        (event(PUBLISHED, json!({})), "data.pfIds is missing"),
        (event(FULFILLED, json!({"requestEventId": "r", "pfs": []})), "data.pfs"),
        (
            event(FULFILLED, json!({"requestEventId": "r", "pfs": [with_id(&footprint, "x")]})),
            "data.pfs[0].id",
        ),
        (event(FULFILLED, json!({"pfs": [footprint.clone()]})), "data.requestEventId"),
        (
            event(
                REJECTED,
                json!({"requestEventId": "r", "error": {"code": "Nope", "message": "m"}}),
            ),
            "data.error.code",
        ),
        (
            event(REJECTED, json!({"requestEventId": "r", "error": {"code": "NotFound"}})),
            "data.error.message",
        ),
        (request_created("r", "http://localhost:8004", json!({"validOn": "soon"})), "data.validOn"),
        (request_created("r", "http://localhost:8004", json!({"status": ["Gone"]})), "data.status"),
    ];
    for (bad, field) in cases {
        let (status, body) = s.post_event(&t, &bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_error(&body, "BadRequest");
        assert!(body["message"].as_str().unwrap().contains(field), "{field}: {body}");
    }
    for ok in [
        event(FULFILLED, json!({"requestEventId": "r", "pfs": [footprint]})),
        event(
            REJECTED,
            json!({"requestEventId": "r", "error": {"code": "NotFound", "message": "m"}}),
        ),
    ] {
        assert_eq!(s.post_event(&t, &ok).await.0, 200, "{ok}");
    }
    // Case 16: an invalid token is refused before the event is looked at.
    let (status, body) = s.post_event("very-invalid-access-token", &good).await;
    assert!(matches!(status, 400 | 401), "{status}");
    assert_error(&body, "BadRequest");
    s.server.shutdown().await;
}

fn with_id(footprint: &Value, id: &str) -> Value {
    let mut f = footprint.clone();
    f["id"] = json!(id);
    f
}

/// Cases 12 to 14.B: the requester gives its bare base URL as `source` and listens at
/// `<base>/3/events`; that is where the answers go, when that URL is registered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_origin_names_its_events_endpoint() {
    let (events_url, mut rx) = listener().await;
    let origin = events_url.strip_suffix("/3/events").unwrap().to_string();
    let s = start(Options { events_urls: vec![events_url.clone()], ..Options::default() }).await;
    let t = s.token().await;
    let request = request_created("run-1/12", &origin, json!({"productId": [GTIN]}));
    assert_eq!(s.post_event(&t, &request).await.0, 200);
    let answer = next_event(&mut rx).await;
    assert_eq!(answer["type"], FULFILLED);
    assert_eq!(answer["data"]["requestEventId"], "run-1/12");
    let request = request_created(
        "run-1/14.A",
        &format!("{origin}/"),
        json!({"productId": ["urn:pact:null"]}),
    );
    assert_eq!(s.post_event(&t, &request).await.0, 200);
    let answer = next_event(&mut rx).await;
    assert_eq!(answer["type"], REJECTED);
    assert_eq!(answer["data"]["error"]["code"], "NotFound");
    // Other origins, and https for an http registration, are still refused.
    let port: u16 = origin.rsplit(':').next().unwrap().parse().unwrap();
    for other in [
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        origin.replace("http://", "https://"),
        origin.replace("http://", "//"),
        format!("{origin}/elsewhere"),
    ] {
        let (status, body) =
            s.post_event(&t, &request_created("x", &other, json!({"productId": [GTIN]}))).await;
        assert_eq!(status, 403, "{other}");
        assert_error(&body, "AccessDenied");
    }
    assert!(tokio::time::timeout(Duration::from_millis(300), rx.recv()).await.is_err());
    s.server.shutdown().await;
}

/// What the authenticated listener saw.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) tokens_issued: AtomicUsize,
    pub(crate) refused: AtomicUsize,
    /// (Authorization header, body) of each accepted event.
    pub(crate) events: Mutex<Vec<(String, Value)>>,
    /// Whether /3/events answers 503 (the recipient is down).
    pub(crate) down: AtomicBool,
}

const RECIPIENT_ID: &str = "supplier-at-buyer";
pub(crate) const RECIPIENT_SECRET: &str = "recipient-secret-9";

/// A data recipient as PACT describes it: `/auth/token` (client credentials, HTTP Basic)
/// issues a bearer token, and `/3/events` takes events only with that token.
pub(crate) async fn authenticated_listener() -> (String, Arc<Seen>) {
    async fn token(
        State(seen): State<Arc<Seen>>,
        headers: HeaderMap,
        body: String,
    ) -> (StatusCode, String) {
        let basic = headers.get("authorization").and_then(|h| h.to_str().ok()).unwrap_or("");
        let ok = pcf::exchange::auth::basic_credentials(basic)
            .is_some_and(|(id, secret)| id == RECIPIENT_ID && secret == RECIPIENT_SECRET);
        if !ok || body != "grant_type=client_credentials" {
            return (StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}).to_string());
        }
        let n = seen.tokens_issued.fetch_add(1, Ordering::SeqCst);
        (
            StatusCode::OK,
            json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 3600})
                .to_string(),
        )
    }
    async fn events(
        State(seen): State<Arc<Seen>>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> StatusCode {
        if seen.down.load(Ordering::SeqCst) {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        let auth =
            headers.get("authorization").and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
        let issued = seen.tokens_issued.load(Ordering::SeqCst);
        let valid = (0..issued).any(|n| auth == format!("Bearer tok-{n}"));
        if !valid {
            seen.refused.fetch_add(1, Ordering::SeqCst);
            return StatusCode::UNAUTHORIZED;
        }
        seen.events
            .lock()
            .unwrap()
            .push((auth, serde_json::from_slice(&body).unwrap_or(Value::Null)));
        StatusCode::OK
    }
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .route("/auth/token", post(token))
        .route("/3/events", post(events))
        .with_state(seen.clone());
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(socket, app).await });
    (format!("http://{addr}"), seen)
}

pub(crate) fn recipients(secret: &str) -> Recipients {
    Recipients::parse(&with_entry("", "buyer", RECIPIENT_ID, secret, None).unwrap()).unwrap()
}

pub(crate) async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The answer is posted with a token obtained from the recipient's own token endpoint; the
/// token is cached for the next answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_posted_with_the_recipients_token() {
    let (base, seen) = authenticated_listener().await;
    let s = start(Options {
        events_urls: vec![format!("{base}/3/events")],
        recipients: recipients(RECIPIENT_SECRET),
        ..Options::default()
    })
    .await;
    let t = s.token().await;
    for (id, product) in [("run/12", GTIN), ("run/14.A", "urn:pact:null")] {
        let request = request_created(id, &base, json!({"productId": [product]}));
        assert_eq!(s.post_event(&t, &request).await.0, 200);
    }
    wait_for("two answers", || seen.events.lock().unwrap().len() == 2).await;
    let events = seen.events.lock().unwrap().clone();
    let mut kinds: Vec<&str> = events.iter().map(|(_, e)| e["type"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, [FULFILLED, REJECTED]);
    assert!(events.iter().all(|(auth, _)| auth == "Bearer tok-0"), "{events:?}");
    assert_eq!(seen.tokens_issued.load(Ordering::SeqCst), 1, "the token is cached");
    assert_eq!(seen.refused.load(Ordering::SeqCst), 0);
    s.server.shutdown().await;
}

/// Wrong credentials get no token: nothing is posted without one, and the answer is retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_nothing_is_delivered_and_the_answer_is_retried() {
    let (base, seen) = authenticated_listener().await;
    let state = tempfile::tempdir().unwrap();
    let s = start(Options {
        events_urls: vec![format!("{base}/3/events")],
        recipients: recipients("wrong-secret"),
        state_dir: Some(state.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    let t = s.token().await;
    let request = request_created("run/12", &base, json!({"productId": [GTIN]}));
    assert_eq!(s.post_event(&t, &request).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(seen.events.lock().unwrap().is_empty());
    assert_eq!(seen.refused.load(Ordering::SeqCst), 0, "never posted without a token");
    let pending = outbox(state.path());
    assert_eq!(pending.len(), 1);
    let record: Value = serde_json::from_slice(&std::fs::read(&pending[0]).unwrap()).unwrap();
    assert!(record["attempts"].as_u64().unwrap() >= 2, "{record}");
    assert!(
        record["last_error"].as_str().unwrap().contains("/auth/token answered 401"),
        "{record}"
    );
    assert!(
        !String::from_utf8_lossy(&std::fs::read(&pending[0]).unwrap()).contains("wrong-secret")
    );
    s.server.shutdown().await;
}

fn outbox(state: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(state.join("outbox")) {
        // Answers only: an atomic write shows a staged temporary file for a moment.
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// An accepted request whose recipient is down stays in the outbox (owner-only files) across
/// a restart; the next run delivers it, authenticated, and empties the outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_answer_survives_a_restart() {
    let (base, seen) = authenticated_listener().await;
    seen.down.store(true, Ordering::SeqCst);
    let state = tempfile::tempdir().unwrap();
    let options = || Options {
        events_urls: vec![format!("{base}/3/events")],
        recipients: recipients(RECIPIENT_SECRET),
        state_dir: Some(state.path().to_path_buf()),
        ..Options::default()
    };
    let s = start(options()).await;
    let t = s.token().await;
    let request = request_created("run/12", &base, json!({"productId": [GTIN]}));
    assert_eq!(s.post_event(&t, &request).await.0, 200);
    // Kept before the request was acknowledged.
    assert_eq!(outbox(state.path()).len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&outbox(state.path())[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    wait_for("a failed attempt", || seen.tokens_issued.load(Ordering::SeqCst) >= 1).await;
    s.server.shutdown().await;
    assert_eq!(outbox(state.path()).len(), 1, "still pending after the shutdown");
    assert!(seen.events.lock().unwrap().is_empty());

    seen.down.store(false, Ordering::SeqCst);
    let s = start(options()).await;
    assert_eq!(s.server.resumed_answers(), 1);
    wait_for("the answer", || seen.events.lock().unwrap().len() == 1).await;
    let (auth, answer) = seen.events.lock().unwrap()[0].clone();
    assert!(auth.starts_with("Bearer tok-"), "{auth}");
    assert_eq!(answer["type"], FULFILLED);
    assert_eq!(answer["data"]["requestEventId"], "run/12");
    wait_for("an empty outbox", || outbox(state.path()).is_empty()).await;
    s.server.shutdown().await;
}

/// An answer that cannot be delivered is given up after `give_up_after` (PACT: 72 hours).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeliverable_answer_is_given_up_in_time() {
    let (base, seen) = authenticated_listener().await;
    seen.down.store(true, Ordering::SeqCst);
    let state = tempfile::tempdir().unwrap();
    let delivery = DeliveryConfig {
        first_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(100),
        give_up_after: Duration::from_millis(700),
        ..DeliveryConfig::default()
    };
    let s = start(Options {
        events_urls: vec![format!("{base}/3/events")],
        recipients: recipients(RECIPIENT_SECRET),
        state_dir: Some(state.path().to_path_buf()),
        delivery: Some(delivery),
        ..Options::default()
    })
    .await;
    let t = s.token().await;
    let request = request_created("run/12", &base, json!({"productId": [GTIN]}));
    assert_eq!(s.post_event(&t, &request).await.0, 200);
    assert_eq!(outbox(state.path()).len(), 1);
    wait_for("the answer given up", || outbox(state.path()).is_empty()).await;
    assert!(seen.events.lock().unwrap().is_empty());
    assert_eq!(DeliveryConfig::default().give_up_after, Duration::from_secs(72 * 3600));
    s.server.shutdown().await;
}

/// Proposed version negotiation (a `version` query parameter, an `Accept` header naming a
/// version) never makes a request fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_negotiation_never_fails_a_request() {
    let f = fixture();
    let s = start(Options::default()).await;
    let t = s.token().await;
    let ids = s.ids("version=3.0", &t).await;
    assert_eq!(ids.len(), 3);
    assert_eq!(s.ids("status=Active&version=3.1", &t).await.len(), 2);
    for accept in ["application/json; version=3.0", "application/vnd.pact+json;version=3", "*/*"] {
        for path in [
            "/3/footprints?version=3.0".to_string(),
            format!("/3/footprints/{}?version=3.0", f.coil),
        ] {
            let r = s
                .http
                .get(format!("{}{path}", s.url))
                .bearer_auth(&t)
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path} {accept}");
        }
    }
    let r = s
        .http
        .post(format!("{}/3/events?version=3.0", s.url))
        .bearer_auth(&t)
        .header("accept", "application/json; version=3.0")
        .header("content-type", "application/cloudevents+json; charset=UTF-8")
        .body(
            event(PUBLISHED, json!({"pfIds": ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]}))
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.server.shutdown().await;
}

/// `pcf clients credentials` keeps the secret in an owner-only file and never prints it; a
/// credentials file others can read is refused.
#[test]
fn recipient_credentials_are_kept_private() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, format!("{RECIPIENT_SECRET}\n")).unwrap();
    let out = crate::util::pcf(
        dir.path(),
        &[
            "clients",
            "credentials",
            "--file",
            "recipients.toml",
            "--client",
            "demo",
            "--client-id",
            RECIPIENT_ID,
            "--client-secret-file",
            "secret",
        ],
    );
    assert!(out.status.success(), "{}", crate::util::stderr(&out));
    let printed = format!("{}{}", crate::util::stdout(&out), crate::util::stderr(&out));
    assert!(!printed.contains(RECIPIENT_SECRET), "{printed}");
    let path = dir.path().join("recipients.toml");
    let loaded = Recipients::load(&path).unwrap();
    assert_eq!(loaded.get("demo").unwrap().client_id, RECIPIENT_ID);
    assert!(!format!("{loaded:?}").contains(RECIPIENT_SECRET));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Recipients::load(&path).unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
    }
}

/// Runs `pcf serve` until it has printed its banner, then stops it; returns the banner.
fn serve_banner(cwd: &Path, args: &[&str]) -> String {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pcf"))
        .current_dir(cwd)
        .arg("serve")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ended = loop {
        match lines.next() {
            Some(Ok(line)) => {
                banner.push_str(&line);
                banner.push('\n');
                if line.starts_with("press Ctrl-C") {
                    break false;
                }
            }
            _ => break true,
        }
    };
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(!ended, "pcf serve stopped: {banner}{}", String::from_utf8_lossy(&out.stderr));
    banner
}

/// `pcf serve --self-signed` over a register finds `clients.toml` in it without `--clients`,
/// keeps its key (0600) and certificate beside the register, and reuses them at the next
/// start, so a client trusts the certificate once.
#[test]
fn serve_finds_its_clients_and_keeps_its_self_signed_key() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        let out = std::process::Command::new("cp").arg("-r").arg(from).arg(to).output().unwrap();
        assert!(out.status.success());
    };
    copy(&crate::util::root().join("examples/register"), &dir.path().join("register"));
    let args = [
        "--register",
        "register",
        "--self-signed",
        "--listen",
        "127.0.0.1:0",
        "--reload-every",
        "0",
    ];
    let first = serve_banner(dir.path(), &args);
    assert!(first.contains("clients from register/clients.toml"), "{first}");
    assert!(first.contains("(new;"), "{first}");
    let fingerprint = |banner: &str| {
        banner
            .lines()
            .find_map(|l| l.trim().strip_prefix("self-signed certificate "))
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_string()
    };
    let state = dir.path().join("register.serve");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            std::fs::metadata(state.join("self-signed-key.pem")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let second = serve_banner(dir.path(), &args);
    assert!(second.contains("(kept from the last start;"), "{second}");
    assert_eq!(fingerprint(&first), fingerprint(&second));
    // Other names: a new certificate, with the same key.
    let key = std::fs::read(state.join("self-signed-key.pem")).unwrap();
    let third = serve_banner(dir.path(), &[&args[..], &["--name", "pcf.test"]].concat());
    assert!(third.contains("(new;"), "{third}");
    assert_ne!(fingerprint(&first), fingerprint(&third));
    assert_eq!(std::fs::read(state.join("self-signed-key.pem")).unwrap(), key);
    // Nothing was written into the register.
    assert!(!dir.path().join("register/serve").exists());
}
