//! The PACT v3 host (`pcf serve`): HTTPS over rustls, OAuth2 client credentials, the
//! footprint list with filters and pagination, single footprints, the signed credential and
//! bundle behind each, and CloudEvents.
//!
//! Endpoints:
//!
//! | method | path | what |
//! | --- | --- | --- |
//! | GET | `/.well-known/openid-configuration` | names the token endpoint |
//! | POST | `/auth/token` | client credentials (HTTP Basic) -> bearer token |
//! | GET | `/3/footprints` | ListFootprints: criteria, `limit`, `offset`, `Link: rel="next"` |
//! | GET | `/3/footprints/{id}` | GetFootprint |
//! | GET | `/3/footprints/{id}/declaration` | the signed credential (VC 2.0) |
//! | GET | `/3/footprints/{id}/bundle` | the credential with what verifying it needs |
//! | POST | `/3/events` | CloudEvents: RequestCreated is answered asynchronously |
//!
//! Errors are `{"code": ..., "message": ...}` with PACT's codes and status codes (the token
//! endpoint answers in RFC 6749's form instead). Defences: a cap on connections in all and per
//! client address, TLS handshake
//! and header timeouts, a lifetime per connection, bounded request bodies and query strings, a
//! token bucket per client address, a timeout per request, a bound on concurrent secret checks
//! and on pending event answers. The register is only ever read.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use super::ExchangeError;
use super::auth::{AuthFailure, Clients, Tokens};
use super::catalogue::{CREDENTIAL_MEDIA_TYPE, Catalogue};
use super::events::{self, DeliveryConfig, Event};
use super::filters::{CRITERIA, Criteria};
use super::pagination::{Paging, next_link};

/// How the server talks to clients.
#[derive(Clone)]
pub enum Transport {
    /// HTTPS with this rustls configuration.
    Tls(Arc<rustls::ServerConfig>),
    /// Plain HTTP: secrets and tokens in clear text. For tests on loopback only.
    DangerPlainHttp,
}

/// Everything the server needs.
pub struct ServerConfig {
    /// The issuer's register directory (read only).
    pub register: PathBuf,
    /// Supplier declarations or bundles to include in served bundles.
    pub upstream: Vec<PathBuf>,
    /// Who may call.
    pub clients: Clients,
    /// HTTPS or (for tests) plain HTTP.
    pub transport: Transport,
    /// How long access tokens live.
    pub token_lifetime: Duration,
    /// Scheme and authority to put in links (`https://pcf.example.com`); by default the one
    /// the client used (its `Host` header).
    pub public_url: Option<String>,
    /// How often to look for new register entries; `None` serves the register as it was at
    /// start-up.
    pub reload_interval: Option<Duration>,
    /// Resource limits.
    pub limits: Limits,
    /// How answers to RequestCreated events are delivered.
    pub delivery: DeliveryConfig,
    /// Print one line per event handled and per answer delivered to stderr.
    pub log: bool,
}

/// Resource limits of the server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most connections open at once; further ones are closed at once.
    pub max_connections: usize,
    /// Most connections open at once from one client address (one IPv4 address, or one
    /// IPv6 /64, which a single host usually holds whole); further ones from there are closed
    /// at once while other addresses are still served.
    pub max_connections_per_address: usize,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Largest request head (request line, query string and headers).
    pub max_head_bytes: usize,
    /// Most query parameters in one request.
    pub max_query_parameters: usize,
    /// Sustained requests per second from one client address.
    pub requests_per_second: f64,
    /// Requests one client address may make in a burst.
    pub burst: f64,
    /// Largest page of footprints (also the page size when the client gives no `limit`).
    pub max_page_size: usize,
    /// Time allowed for the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time allowed to send a request head.
    pub header_timeout: Duration,
    /// Time allowed to answer one request.
    pub request_timeout: Duration,
    /// Longest a connection stays open.
    pub connection_lifetime: Duration,
    /// Most client secrets checked at once (each check costs an Argon2id hash).
    pub max_secret_checks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            max_connections_per_address: 32,
            max_body_bytes: 64 << 10,
            max_head_bytes: 16 << 10,
            max_query_parameters: 64,
            requests_per_second: 20.0,
            burst: 100.0,
            max_page_size: 100,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            connection_lifetime: Duration::from_secs(300),
            max_secret_checks: 4,
        }
    }
}

impl ServerConfig {
    /// A configuration with default limits, one-hour tokens and a register re-read every ten
    /// seconds.
    pub fn new(register: PathBuf, clients: Clients, transport: Transport) -> ServerConfig {
        ServerConfig {
            register,
            upstream: Vec::new(),
            clients,
            transport,
            token_lifetime: Duration::from_secs(3600),
            public_url: None,
            reload_interval: Some(Duration::from_secs(10)),
            limits: Limits::default(),
            delivery: DeliveryConfig::default(),
            log: false,
        }
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    scheme: &'static str,
    footprints: usize,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Loads the register and starts serving on `listen` (port 0 picks a free port).
    pub async fn start(config: ServerConfig, listen: SocketAddr) -> Result<Server, ExchangeError> {
        let register = config.register.clone();
        let upstream = config.upstream.clone();
        let catalogue = tokio::task::spawn_blocking(move || Catalogue::load(&register, &upstream))
            .await
            .map_err(|e| ExchangeError::Config(format!("loading the register: {e}")))??;
        let footprints = catalogue.footprints().len();
        if let Some(url) = &config.public_url {
            let ok = reqwest::Url::parse(url).is_ok_and(|u| {
                matches!(u.scheme(), "https" | "http") && u.host().is_some() && u.path() == "/"
            });
            if !ok {
                return Err(ExchangeError::Usage(format!(
                    "public url {url:?}: give scheme and host only, like https://pcf.example.com"
                )));
            }
        }
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| ExchangeError::Config(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ExchangeError::Config(format!("cannot listen on {listen}: {e}")))?;
        let scheme = match config.transport {
            Transport::Tls(_) => "https",
            Transport::DangerPlainHttp => "http",
        };
        let state = Arc::new(AppState {
            catalogue: RwLock::new(Arc::new(catalogue)),
            tokens: Tokens::new(config.token_lifetime)?,
            clients: config.clients,
            scheme,
            public_url: config.public_url.map(|u| u.trim_end_matches('/').to_string()),
            limiter: RateLimiter::new(config.limits.requests_per_second, config.limits.burst),
            secret_checks: Semaphore::new(config.limits.max_secret_checks.max(1)),
            delivery: events::Delivery::new(&config.delivery)?,
            limits: config.limits.clone(),
            log: config.log,
        });
        let (shutdown, watch_rx) = watch::channel(false);
        if let Some(every) = config.reload_interval {
            tokio::spawn(reload_loop(state.clone(), every, watch_rx.clone()));
        }
        let router = router(state.clone());
        let tls = match config.transport {
            Transport::Tls(c) => Some(tokio_rustls::TlsAcceptor::from(c)),
            Transport::DangerPlainHttp => None,
        };
        let task = tokio::spawn(accept_loop(listener, router, tls, config.limits, watch_rx));
        Ok(Server { addr, scheme, footprints, shutdown, task })
    }

    /// The address listened on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL (`https://127.0.0.1:8443`).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// How many footprints the register held at start-up.
    pub fn footprints(&self) -> usize {
        self.footprints
    }

    /// Stops accepting, lets open requests finish (for a few seconds at most) and returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

struct AppState {
    catalogue: RwLock<Arc<Catalogue>>,
    clients: Clients,
    tokens: Tokens,
    scheme: &'static str,
    public_url: Option<String>,
    limiter: RateLimiter,
    secret_checks: Semaphore,
    delivery: events::Delivery,
    limits: Limits,
    log: bool,
}

type Shared = Arc<AppState>;

impl AppState {
    fn snapshot(&self) -> Arc<Catalogue> {
        // A poisoned lock only means a reload panicked; the catalogue in it is still whole.
        match self.catalogue.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The scheme and authority for links: the public URL, else the request's `Host`.
    fn base(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        if let Some(url) = &self.public_url {
            return Ok(url.clone());
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.len() <= 255
                    && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .ok_or_else(|| {
                ApiError::new(ErrorCode::BadRequest, "missing or invalid Host header")
            })?;
        Ok(format!("{}://{host}", self.scheme))
    }

    /// The client a bearer token was issued to.
    fn authorize(&self, headers: &HeaderMap) -> Result<&super::auth::Client, ApiError> {
        let value = headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok());
        let token = value
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::BadRequest,
                    "no bearer token: authenticate at /auth/token and send Authorization: Bearer <token>",
                )
            })?;
        match self.tokens.check(token) {
            Ok(id) => self
                .clients
                .get(&id)
                .ok_or_else(|| ApiError::new(ErrorCode::BadRequest, "invalid access token")),
            Err(AuthFailure::Expired) => Err(ApiError::new(
                ErrorCode::TokenExpired,
                "the access token has expired; get a new one at /auth/token",
            )),
            Err(_) => Err(ApiError::new(ErrorCode::BadRequest, "invalid access token")),
        }
    }
}

/// PACT error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400.
    BadRequest,
    /// 403.
    AccessDenied,
    /// 401.
    TokenExpired,
    /// 404.
    NotFound,
    /// 500.
    InternalError,
    /// 501.
    NotImplemented,
}

impl ErrorCode {
    /// The code as written in error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BadRequest",
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::TokenExpired => "TokenExpired",
            ErrorCode::NotFound => "NotFound",
            ErrorCode::InternalError => "InternalError",
            ErrorCode::NotImplemented => "NotImplemented",
        }
    }

    /// The HTTP status PACT gives the code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::AccessDenied => StatusCode::FORBIDDEN,
            ErrorCode::TokenExpired => StatusCode::UNAUTHORIZED,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        }
    }
}

/// An error answer: `{"code": ..., "message": ...}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { status: code.status(), code, message: message.into(), retry_after: None }
    }

    /// Too many requests: PACT has no code for it, so BadRequest with HTTP 429.
    fn too_many(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: ErrorCode::BadRequest,
            message: message.into(),
            retry_after: Some(1),
        }
    }

    fn body_rejected(rejection: &BytesRejection) -> ApiError {
        let mut e = ApiError::new(ErrorCode::BadRequest, format!("request body: {rejection}"));
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            e.status = StatusCode::PAYLOAD_TOO_LARGE;
        }
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.code.as_str(), "message": self.message });
        let mut response = (self.status, json_body(&body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

fn json_body(value: &Value) -> ([(header::HeaderName, HeaderValue); 1], Vec<u8>) {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

fn router(state: Shared) -> Router {
    let body_limit = state.limits.max_body_bytes;
    Router::new()
        .route("/.well-known/openid-configuration", get(openid_configuration))
        .route("/auth/token", post(token))
        .route("/3/footprints", get(list_footprints))
        .route("/3/footprints/{id}", get(get_footprint))
        .route("/3/footprints/{id}/declaration", get(get_credential))
        .route("/3/footprints/{id}/bundle", get(get_bundle))
        .route("/3/events", post(post_event))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// The client address, put on each request by the connection it came on.
#[derive(Debug, Clone, Copy)]
struct Peer(IpAddr);

/// Rate limit and request timeout, around every request.
async fn guard(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if let Some(Peer(ip)) = request.extensions().get::<Peer>().copied()
        && !state.limiter.allow(ip)
    {
        return ApiError::too_many(format!(
            "rate limit of {} requests per second exceeded; retry later",
            state.limits.requests_per_second
        ))
        .into_response();
    }
    match tokio::time::timeout(state.limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            ApiError::new(ErrorCode::InternalError, "the request took too long").into_response()
        }
    }
}

async fn not_found(request: Request) -> ApiError {
    let path: String = request.uri().path().chars().take(200).collect();
    ApiError::new(ErrorCode::NotFound, format!("no such endpoint: {path}"))
}

async fn method_not_allowed(request: Request) -> ApiError {
    let path: String = request.uri().path().chars().take(200).collect();
    ApiError::new(ErrorCode::BadRequest, format!("{} is not allowed on {path}", request.method()))
}

async fn openid_configuration(State(state): State<Shared>, headers: HeaderMap) -> Response {
    match state.base(&headers) {
        Ok(base) => json_body(&json!({
            "issuer": base,
            "token_endpoint": format!("{base}/auth/token"),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "response_types_supported": ["token"],
        }))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// An RFC 6749 error answer of the token endpoint.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response =
        (status, json_body(&json!({ "error": error, "error_description": description })))
            .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"pcf\""));
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e.body_text()),
    };
    let grant = super::auth::grant_type(&body);
    match grant.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only grant_type=client_credentials is supported",
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the form body must have grant_type=client_credentials",
            );
        }
    }
    let Some((id, secret)) = basic_credentials(&headers) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "send the client id and secret in an Authorization: Basic header",
        );
    };
    // Argon2id is slow by design: bound how many run at once, and run them off the reactor.
    let Ok(_permit) =
        tokio::time::timeout(Duration::from_secs(5), state.secret_checks.acquire()).await
    else {
        return ApiError::too_many("too many authentications at once; retry later").into_response();
    };
    let checker = state.clone();
    let checked = tokio::task::spawn_blocking(move || {
        checker.clients.authenticate(&id, &secret).map(|c| c.id.clone())
    })
    .await;
    match checked {
        Ok(Ok(client_id)) => match state.tokens.issue(&client_id) {
            Ok(token) => {
                let mut response = json_body(&json!({
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": state.tokens.lifetime().as_secs(),
                }))
                .into_response();
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Err(e) => {
                oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e.to_string())
            }
        },
        Ok(Err(_)) => {
            oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed")
        }
        Err(_) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error"),
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    super::auth::basic_credentials(headers.get(header::AUTHORIZATION)?.to_str().ok()?)
}

async fn list_footprints(
    State(state): State<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    state.authorize(&headers)?;
    let base = state.base(&headers)?;
    let query = query.unwrap_or_default();
    let mut criteria = Criteria::default();
    let mut kept: Vec<(String, String)> = Vec::new();
    let (mut limit, mut offset) = (None, None);
    for (n, (name, value)) in form_urlencoded::parse(query.as_bytes()).enumerate() {
        if n >= state.limits.max_query_parameters {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("more than {} query parameters", state.limits.max_query_parameters),
            ));
        }
        let bad = |e: &dyn std::fmt::Display| ApiError::new(ErrorCode::BadRequest, e.to_string());
        if name == "limit" {
            limit = Some(value.into_owned());
        } else if name == "offset" {
            offset = Some(value.into_owned());
        } else if criteria.push_parameter(&name, &value).map_err(|e| bad(&e))? {
            kept.push((name.into_owned(), value.into_owned()));
        } else if name == "$filter" {
            return Err(ApiError::new(
                ErrorCode::NotImplemented,
                "$filter (OData) was deprecated by PACT v3; use the v3 criteria",
            ));
        } else if name.starts_with("x-") {
            return Err(ApiError::new(
                ErrorCode::NotImplemented,
                format!("filter {name:?} is not implemented by this host"),
            ));
        } else {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!(
                    "unknown query parameter {:?}; use limit, offset, {}",
                    name.chars().take(60).collect::<String>(),
                    CRITERIA.join(", ")
                ),
            ));
        }
    }
    let paging = Paging::parse(limit.as_deref(), offset.as_deref(), state.limits.max_page_size)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.to_string()))?;
    let catalogue = state.snapshot();
    let matching: Vec<_> = catalogue.footprints().iter().filter(|f| criteria.matches(f)).collect();
    let (window, next) = paging.window(matching.len());
    let data: Vec<Value> = matching[window].iter().map(|f| f.served(&base)).collect();
    let mut response = json_body(&json!({ "data": data })).into_response();
    if let Some(next) = next {
        let link = next_link(&base, &kept, paging.limit, next);
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(response)
}

async fn get_footprint(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.authorize(&headers)?;
    let base = state.base(&headers)?;
    let catalogue = state.snapshot();
    let footprint = catalogue.get(&id).ok_or_else(|| no_such_footprint(&id))?;
    Ok(json_body(&json!({ "data": footprint.served(&base) })).into_response())
}

async fn get_credential(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.authorize(&headers)?;
    let catalogue = state.snapshot();
    let footprint = catalogue.get(&id).ok_or_else(|| no_such_footprint(&id))?;
    let bytes = footprint.credential.as_ref().clone();
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(CREDENTIAL_MEDIA_TYPE))], bytes)
        .into_response())
}

async fn get_bundle(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.authorize(&headers)?;
    let catalogue = state.snapshot();
    if catalogue.get(&id).is_none() {
        return Err(no_such_footprint(&id));
    }
    let built = tokio::task::spawn_blocking(move || {
        let footprint = catalogue.get(&id).ok_or_else(|| "gone".to_string())?;
        catalogue.bundle(footprint)
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    match built {
        Ok(bytes) => Ok((
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            bytes.as_ref().clone(),
        )
            .into_response()),
        Err(e) => {
            Err(ApiError::new(ErrorCode::InternalError, format!("cannot build the bundle: {e}")))
        }
    }
}

fn no_such_footprint(id: &str) -> ApiError {
    let id: String = id.chars().take(100).collect();
    ApiError::new(ErrorCode::NotFound, format!("no footprint with id {id:?}"))
}

async fn post_event(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let client = state.authorize(&headers)?;
    let body = body.map_err(|e| ApiError::body_rejected(&e))?;
    let event = events::parse(&body).map_err(|e| match e {
        events::EventError::NotImplemented(m) => ApiError::new(ErrorCode::NotImplemented, m),
        other => ApiError::new(ErrorCode::BadRequest, other.to_string()),
    })?;
    match event {
        Event::RequestCreated { id, source, criteria } => {
            let Some(url) = client.events_url_for(&source).map(String::from) else {
                return Err(ApiError::new(
                    ErrorCode::AccessDenied,
                    format!(
                        "source {:?} is not an events endpoint registered for client {:?}; \
                         answers go only to registered endpoints",
                        source.chars().take(200).collect::<String>(),
                        client.id
                    ),
                ));
            };
            let slot = state.delivery.reserve().ok_or_else(|| {
                ApiError::too_many("too many requests being answered; retry later")
            })?;
            let base = state.base(&headers)?;
            let catalogue = state.snapshot();
            let answerer = state.clone();
            let client_id = client.id.clone();
            tokio::spawn(async move {
                let _slot = slot;
                let own_source = format!("{}/3/events", base.replacen("https:", "", 1));
                let pfs: Vec<Value> = catalogue
                    .footprints()
                    .iter()
                    .filter(|f| criteria.matches(f))
                    .take(answerer.limits.max_page_size.max(1) * 10)
                    .map(|f| f.served(&base))
                    .collect();
                let (kind, answer) = if pfs.is_empty() {
                    let message = "no footprint matches the request's criteria";
                    ("RequestRejected", events::rejected(&own_source, &id, "NotFound", message))
                } else {
                    ("RequestFulfilled", events::fulfilled(&own_source, &id, pfs))
                };
                let result = answerer.delivery.send(&url, &answer).await;
                if answerer.log {
                    match result {
                        Ok(()) => eprintln!(
                            "pcf serve: {kind} for {client_id} request {id:?} sent to {url}"
                        ),
                        Err(e) => eprintln!(
                            "pcf serve: {kind} for {client_id} request {id:?} not delivered: {e}"
                        ),
                    }
                }
            });
        }
        other => {
            if state.log {
                eprintln!("pcf serve: accepted from {}: {other:?}", client.id);
            }
        }
    }
    Ok((StatusCode::OK, Body::empty()).into_response())
}

/// A token bucket per client address.
struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, std::time::Instant)>>,
}

impl RateLimiter {
    const MAX_ADDRESSES: usize = 10_000;

    fn new(rate: f64, burst: f64) -> RateLimiter {
        RateLimiter {
            rate: rate.max(0.0),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn allow(&self, ip: IpAddr) -> bool {
        let now = std::time::Instant::now();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= Self::MAX_ADDRESSES && !buckets.contains_key(&ip) {
            // Forget addresses whose buckets are full again: they are indistinguishable from new.
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + rate * now.duration_since(*at).as_secs_f64() < burst
            });
            if buckets.len() >= Self::MAX_ADDRESSES {
                return false;
            }
        }
        let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
        *tokens = (*tokens + self.rate * now.duration_since(*at).as_secs_f64()).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Connections open per client address.
struct PerAddress {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection of an address; dropping it frees the place.
struct AddressSlot {
    table: Arc<PerAddress>,
    key: IpAddr,
}

impl PerAddress {
    fn new(max: usize) -> PerAddress {
        PerAddress { max: max.max(1), open: Mutex::new(HashMap::new()) }
    }

    /// A place for one more connection from `ip`, unless it has `max` open already.
    fn acquire(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let key = address_key(ip);
        let mut open = match self.open.lock() {
            Ok(o) => o,
            Err(poisoned) => poisoned.into_inner(),
        };
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressSlot { table: self.clone(), key })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = match self.table.open.lock() {
            Ok(o) => o,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// What counts as one client address: an IPv4 address (also when mapped into IPv6), or the
/// /64 prefix of an IPv6 address.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(std::net::Ipv6Addr::from(segments))
            }
        },
    }
}

async fn reload_loop(state: Shared, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let current = state.snapshot();
        let check = current.clone();
        let changed = tokio::task::spawn_blocking(move || {
            // Register::open would create a missing register: never do that from here.
            if !check.dir().join("entries").is_dir() {
                return None;
            }
            let register = pcf_trust::register::Register::open(check.dir()).ok()?;
            let head = register.head().ok()?;
            if head == check.head() { None } else { Some(check.reload()) }
        })
        .await;
        match changed {
            Ok(Some(Ok(fresh))) => {
                let fresh = Arc::new(fresh);
                if state.log {
                    eprintln!(
                        "pcf serve: register changed; serving {} footprints",
                        fresh.footprints().len()
                    );
                }
                match state.catalogue.write() {
                    Ok(mut c) => *c = fresh,
                    Err(poisoned) => *poisoned.into_inner() = fresh,
                }
            }
            Ok(Some(Err(e))) if state.log => {
                eprintln!(
                    "pcf serve: the register changed but cannot be read ({e}); still serving the last good one"
                );
            }
            _ => {}
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = Arc::new(PerAddress::new(limits.max_connections_per_address));
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => break,
        };
        let Ok((stream, peer)) = accepted else {
            // Out of file descriptors or similar: pause instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // One address may not take every connection: refuse its excess before it counts
        // against the global cap.
        let Some(slot) = per_address.acquire(peer.ip()) else {
            drop(stream);
            continue;
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let limits = limits.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _slot = slot;
            match tls {
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream))
                            .await;
                    if let Ok(Ok(stream)) = handshake {
                        serve_connection(stream, peer, router, &limits, stop).await;
                    }
                }
                None => serve_connection(stream, peer, router, &limits, stop).await,
            }
        });
    }
    // Let open connections finish what they are doing, for a few seconds at most.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(5), connections.acquire_many(all)).await;
}

async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    router: Router,
    limits: &Limits,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(Peer(peer.ip()));
            let mut router = router.clone();
            async move {
                let response: Result<Response, Infallible> =
                    tower_service::Service::call(&mut router, request).await;
                response
            }
        });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_head_bytes.max(8192))
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = tokio::time::sleep(limits.connection_lifetime) => {}
        _ = stop.changed() => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(5), connection).await;
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn addresses_are_counted_per_ipv4_address_and_per_ipv6_64() {
        let v4 = IpAddr::from(Ipv4Addr::new(192, 0, 2, 7));
        assert_eq!(address_key(v4), v4);
        let mapped = IpAddr::from(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(address_key(mapped), v4);
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse::<Ipv6Addr>().unwrap().into();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse::<Ipv6Addr>().unwrap().into();
        let c: IpAddr = "2001:db8:1:3::1".parse::<Ipv6Addr>().unwrap().into();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
    }

    #[test]
    fn a_slot_is_freed_when_its_connection_ends() {
        let table = Arc::new(PerAddress::new(2));
        let ip = IpAddr::from(Ipv4Addr::LOCALHOST);
        let other = IpAddr::from(Ipv4Addr::new(127, 0, 0, 2));
        let first = table.acquire(ip).unwrap();
        let _second = table.acquire(ip).unwrap();
        assert!(table.acquire(ip).is_none(), "a third from one address");
        assert!(table.acquire(other).is_some(), "another address is not affected");
        drop(first);
        assert!(table.acquire(ip).is_some(), "the place is free again");
        assert!(table.open.lock().unwrap().get(&other).is_none(), "no entry is left behind");
    }
}
