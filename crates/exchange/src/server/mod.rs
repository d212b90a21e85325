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
//! | GET | `/log/checkpoint`, `/log/tile/...` | with `publish_log`: the register's log (`log`) |
//! | GET | `/status-list` | with `status_list`: the issuer's Bitstring Status List credential |
//!
//! Errors are `{"code": ..., "message": ...}` with PACT's codes and status codes (the token
//! endpoint answers in RFC 6749's form instead). Defences: a cap on connections in all and per
//! client address, TLS handshake
//! and header timeouts, a lifetime per connection, bounded request bodies and query strings, a
//! token bucket per client address, a timeout per request, a bound on concurrent secret checks
//! and on pending event answers. The register is only ever read.
//!
//! This module starts the server (configuration, limits, start-up and shutdown); its parts are
//! the shared state (`state`), the router and its guard (`routes`), the endpoints (`token`,
//! `footprints`, `cloudevents`), the API errors (`error`), the rate limiter (`rate`) and the
//! accept loop with its connection caps (`connections`). [`witness`] is another server on the
//! same connection handling: a log witness (C2SP `tlog-witness`, `pcf witness serve`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::ExchangeError;
use crate::auth::{Clients, Tokens};
use crate::catalogue::Catalogue;
use crate::delivery::recipients::Recipients;
use crate::delivery::{Delivery, DeliveryConfig};

mod cloudevents;
mod connections;
mod error;
mod footprints;
mod log;
mod rate;
mod routes;
mod state;
mod token;
pub mod witness;

pub use error::ErrorCode;
pub use log::tile_bytes;

use connections::accept_loop;
use rate::RateLimiter;
use routes::router;
use state::{AppState, reload_loop};

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
    /// Credentials for the clients' own token endpoints, used before posting answers to them.
    pub recipients: Recipients,
    /// Where the server keeps its own state (the outbox of answers not yet delivered), so a
    /// restart loses none; `None` keeps it in memory only.
    pub state_dir: Option<PathBuf>,
    /// Print one line per event handled and per answer delivered to stderr.
    pub log: bool,
    /// Publish the register's transparency log, public and cacheable, under `/log/` (C2SP
    /// `tlog-tiles`: checkpoint, hash tiles, entry bundles). Off by default: the entries name
    /// the issuer's declarations and products.
    pub publish_log: bool,
    /// A status list credential file (`pcf register status-list --out`) to serve at
    /// `/status-list`, re-read at each request so a new one is served once written.
    pub status_list: Option<PathBuf>,
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
            recipients: Recipients::default(),
            state_dir: None,
            log: false,
            publish_log: false,
            status_list: None,
        }
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    scheme: &'static str,
    footprints: usize,
    resumed: usize,
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
        let (listener, addr) = bind(listen).await?;
        let scheme = match config.transport {
            Transport::Tls(_) => "https",
            Transport::DangerPlainHttp => "http",
        };
        let (shutdown, watch_rx) = watch::channel(false);
        let delivery = Delivery::new(
            &config.delivery,
            config.recipients,
            config.state_dir.as_deref(),
            config.log,
        )?;
        let resumed = delivery.resume(&watch_rx)?;
        let state = Arc::new(AppState {
            catalogue: RwLock::new(Arc::new(catalogue)),
            tokens: Tokens::new(config.token_lifetime)?,
            clients: config.clients,
            scheme,
            public_url: config.public_url.map(|u| u.trim_end_matches('/').to_string()),
            limiter: RateLimiter::new(config.limits.requests_per_second, config.limits.burst),
            secret_checks: Semaphore::new(config.limits.max_secret_checks.max(1)),
            delivery,
            stop: watch_rx.clone(),
            limits: config.limits.clone(),
            log: config.log,
            publish_log: config.publish_log,
            status_list: config.status_list.clone(),
        });
        if let Some(every) = config.reload_interval {
            tokio::spawn(reload_loop(state.clone(), every, watch_rx.clone()));
        }
        let router = router(state.clone());
        let tls = match config.transport {
            Transport::Tls(c) => Some(tokio_rustls::TlsAcceptor::from(c)),
            Transport::DangerPlainHttp => None,
        };
        let task = tokio::spawn(accept_loop(listener, router, tls, config.limits, watch_rx));
        Ok(Server { addr, scheme, footprints, resumed, shutdown, task })
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

    /// How many answers a previous run left undelivered and this one took up again.
    pub fn resumed_answers(&self) -> usize {
        self.resumed
    }

    /// Stops accepting, lets open requests finish (for a few seconds at most) and returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// A listener on `listen`, and the address it got (the port, when `listen` asks for any).
pub(crate) async fn bind(listen: SocketAddr) -> Result<(TcpListener, SocketAddr), ExchangeError> {
    let failed =
        |e: std::io::Error| ExchangeError::Config(format!("cannot listen on {listen}: {e}"));
    let listener = TcpListener::bind(listen).await.map_err(failed)?;
    let addr = listener.local_addr().map_err(failed)?;
    Ok((listener, addr))
}
