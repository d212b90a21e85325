//! The state every request shares: the catalogue snapshot (re-read when the register's head
//! moves), clients, tokens and limits; the `Host`-derived base URL and bearer-token check.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::{HeaderMap, header};
use tokio::sync::{Semaphore, watch};

use super::Limits;
use super::error::{ApiError, ErrorCode};
use super::rate::RateLimiter;
use crate::auth::{AuthFailure, Clients, Tokens};
use crate::catalogue::Catalogue;
use crate::delivery::Delivery;

pub(super) struct AppState {
    pub(super) catalogue: RwLock<Arc<Catalogue>>,
    pub(super) clients: Clients,
    pub(super) tokens: Tokens,
    pub(super) scheme: &'static str,
    pub(super) public_url: Option<String>,
    pub(super) limiter: RateLimiter,
    pub(super) secret_checks: Semaphore,
    pub(super) delivery: Arc<Delivery>,
    /// Fires when the server shuts down (ends the delivery tasks).
    pub(super) stop: watch::Receiver<bool>,
    pub(super) limits: Limits,
    pub(super) log: bool,
    pub(super) publish_log: bool,
    pub(super) status_list: Option<std::path::PathBuf>,
}

pub(super) type Shared = Arc<AppState>;

impl AppState {
    pub(super) fn snapshot(&self) -> Arc<Catalogue> {
        // A poisoned lock only means a reload panicked; the catalogue in it is still whole.
        match self.catalogue.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The scheme and authority for links: the public URL, else the request's `Host`.
    pub(super) fn base(&self, headers: &HeaderMap) -> Result<String, ApiError> {
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
    pub(super) fn authorize(&self, headers: &HeaderMap) -> Result<&crate::auth::Client, ApiError> {
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

pub(super) async fn reload_loop(state: Shared, every: Duration, mut stop: watch::Receiver<bool>) {
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
