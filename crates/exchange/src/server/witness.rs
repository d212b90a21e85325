//! The witness over HTTP (`pcf witness serve`): C2SP `tlog-witness`'s `POST /add-checkpoint`
//! in front of [`pcf_trust::witness::Witness::add_checkpoint`], the code path `pcf witness
//! cosign` uses on files. The witness answers only for the logs it is configured with.
//!
//! | status | when |
//! | --- | --- |
//! | 200 | cosigned: the body is the witness's cosignature line |
//! | 400 | a malformed request or checkpoint, or an old size above the checkpoint's |
//! | 403 | the log's key did not sign the checkpoint |
//! | 404 | the checkpoint's origin is not a configured log |
//! | 409 | the old size is not the one last cosigned (body: that size, `text/x.tlog.size`), or another root at the size last cosigned (evidence kept) |
//! | 422 | the consistency proof does not verify (evidence kept) |
//!
//! Requests are handled one at a time (one lock around check and record), so two requests
//! cannot both pass the old-size check and then roll the state back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use pcf_trust::register::note::Verifier;
use pcf_trust::witness::{AddCheckpoint, Witness, WitnessError};
use tokio::sync::watch;

use super::connections::accept_loop;
use super::{Limits, Transport};
use crate::ExchangeError;

/// The `Content-Type` of a 409 answer carrying the witness's tree size.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Largest `add-checkpoint` body: a note of the largest size and 63 proof lines.
const MAX_BODY: usize = pcf_trust::register::note::MAX_NOTE_BYTES + 64 * 46;

/// Everything the witness server needs.
pub struct WitnessConfig {
    /// The witness: name, key and state directory.
    pub witness: Witness,
    /// The logs it witnesses (their verifier keys; a log's name is its origin).
    pub logs: Vec<Verifier>,
    /// HTTPS or (for tests) plain HTTP.
    pub transport: Transport,
    /// Connection limits (the request limits of the PACT server do not apply).
    pub limits: Limits,
    /// Print one line per request answered to stderr.
    pub log: bool,
}

/// A running witness server.
pub struct WitnessServer {
    addr: SocketAddr,
    scheme: &'static str,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

struct WitnessState {
    witness: Witness,
    logs: Vec<Verifier>,
    lock: Mutex<()>,
    log: bool,
}

impl WitnessServer {
    /// Starts serving on `listen` (port 0 picks a free port).
    pub async fn start(
        config: WitnessConfig,
        listen: SocketAddr,
    ) -> Result<WitnessServer, ExchangeError> {
        if config.logs.is_empty() {
            return Err(ExchangeError::Usage(
                "a witness needs at least one log to witness (--log)".into(),
            ));
        }
        let (listener, addr) = super::bind(listen).await?;
        let (scheme, tls) = match config.transport {
            Transport::Tls(c) => ("https", Some(tokio_rustls::TlsAcceptor::from(c))),
            Transport::DangerPlainHttp => ("http", None),
        };
        let state = Arc::new(WitnessState {
            witness: config.witness,
            logs: config.logs,
            lock: Mutex::new(()),
            log: config.log,
        });
        let router = Router::new()
            .route("/add-checkpoint", post(add_checkpoint))
            .fallback(|| async { (StatusCode::NOT_FOUND, "no such endpoint\n") })
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(state);
        let (shutdown, stop) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, router, tls, config.limits, stop));
        Ok(WitnessServer { addr, scheme, shutdown, task })
    }

    /// The address listened on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL (`https://127.0.0.1:7380`); `add-checkpoint` is under it.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Stops accepting, lets open requests finish (for a few seconds at most) and returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

async fn add_checkpoint(State(state): State<Arc<WitnessState>>, body: Bytes) -> Response {
    let text = match String::from_utf8(body.to_vec()) {
        Ok(t) => t,
        Err(_) => return plain(StatusCode::BAD_REQUEST, "the request body is not UTF-8"),
    };
    let request = match AddCheckpoint::parse(&text) {
        Ok(r) => r,
        Err(e) => return refusal(&state, &e),
    };
    let now = u64::try_from(pcf_base::time::Instant::now().unix_seconds()).unwrap_or(0);
    let worker = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        // A poisoned lock only means another request panicked; the state on disk is whole
        // (it is replaced atomically).
        let _one_at_a_time = worker.lock.lock().unwrap_or_else(|p| p.into_inner());
        worker.witness.add_checkpoint(&worker.logs, &request, now)
    })
    .await;
    match result {
        Ok(Ok(cosigned)) => {
            if state.log {
                eprintln!("pcf witness: cosigned a checkpoint (was {:?})", cosigned.previous_size);
            }
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                cosigned.signature.to_line(),
            )
                .into_response()
        }
        Ok(Err(e)) => refusal(&state, &e),
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the witness failed"),
    }
}

/// The answer to a refused request, as `tlog-witness` gives it.
fn refusal(state: &WitnessState, e: &WitnessError) -> Response {
    if state.log {
        eprintln!("pcf witness: refused: {e}");
    }
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match e {
        WitnessError::OldSize { witnessed, .. } => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, SIZE_CONTENT_TYPE)],
            format!("{witnessed}\n"),
        )
            .into_response(),
        // The state's paths are the operator's business, not the caller's.
        WitnessError::Io { .. } => plain(status, "the witness cannot keep its state"),
        _ => plain(status, &e.to_string()),
    }
}

fn plain(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{message}\n"))
        .into_response()
}
