//! Delivering answers (`RequestFulfilled`, `RequestRejected`) to requesters' events
//! endpoints, as PACT v3 asks of the data owner:
//!
//! - authenticate first at the recipient's token endpoint (OAuth2 client credentials) with
//!   the credentials stored for that client ([`recipients`]), and send the access token;
//! - if the recipient cannot be reached, retry with exponential back-off, and give up after
//!   72 hours ([`DeliveryConfig::give_up_after`]);
//! - keep each accepted answer in a persisted outbox (the `outbox` module) until it is
//!   delivered, so a restart loses none.
//!
//! Nothing is ever sent to a URL that is not registered for the client (the caller checks
//! the `source`), and redirects are never followed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::ExchangeError;

pub(crate) mod outbox;
pub mod recipients;

use outbox::Pending;
use recipients::{Recipients, TokenCache};

/// How answers are delivered.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Wait before the second attempt; doubled for each further one.
    pub first_backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
    /// Give an answer up once it has been pending this long (PACT: 72 hours).
    pub give_up_after: Duration,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Most answers pending at once; further requests are refused until one is done.
    pub max_pending: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            first_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(72 * 3600),
            timeout: Duration::from_secs(15),
            max_pending: 64,
        }
    }
}

/// Why an answer was not taken for delivery.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EnqueueError {
    /// Too many answers are pending.
    #[error("too many requests being answered; retry later")]
    Full,
    /// The outbox could not be written.
    #[error("cannot keep the answer: {0}")]
    Outbox(ExchangeError),
}

/// The delivery service: the outbox and one task per pending answer.
pub struct Delivery {
    http: reqwest::Client,
    config: DeliveryConfig,
    outbox: Option<PathBuf>,
    recipients: Recipients,
    tokens: TokenCache,
    slots: Arc<Semaphore>,
    log: bool,
}

impl Delivery {
    /// A delivery service; with a state directory its outbox is kept on disk under it.
    pub fn new(
        config: &DeliveryConfig,
        recipients: Recipients,
        state: Option<&Path>,
        log: bool,
    ) -> Result<Arc<Delivery>, ExchangeError> {
        let http = crate::client::http_client(None, config.timeout)?;
        Ok(Arc::new(Delivery {
            http,
            config: config.clone(),
            outbox: state.map(outbox::dir),
            recipients,
            tokens: TokenCache::default(),
            slots: Arc::new(Semaphore::new(config.max_pending.max(1))),
            log,
        }))
    }

    /// Goes on delivering the answers a previous run left in the outbox; returns how many.
    pub fn resume(self: &Arc<Self>, stop: &watch::Receiver<bool>) -> Result<usize, ExchangeError> {
        let Some(dir) = &self.outbox else { return Ok(0) };
        let outbox::Loaded { pending, broken } = outbox::load(dir)?;
        for b in broken {
            eprintln!("pcf serve: outbox: skipped an unreadable answer: {b}");
        }
        let mut resumed = 0;
        for (path, p) in pending {
            let Ok(slot) = self.slots.clone().try_acquire_owned() else {
                eprintln!(
                    "pcf serve: outbox: more than {} answers pending; the rest wait for a restart",
                    self.config.max_pending
                );
                break;
            };
            tokio::spawn(self.clone().run(p, Some(path), slot, stop.clone()));
            resumed += 1;
        }
        Ok(resumed)
    }

    /// Takes `event` for delivery to `url` (an events URL registered for `client`): kept in
    /// the outbox before this returns, then sent until delivered or given up.
    pub fn enqueue(
        self: &Arc<Self>,
        client: &str,
        url: &str,
        event: Value,
        stop: &watch::Receiver<bool>,
    ) -> Result<(), EnqueueError> {
        let slot = self.slots.clone().try_acquire_owned().map_err(|_| EnqueueError::Full)?;
        let pending = Pending {
            client: client.to_string(),
            url: url.to_string(),
            event,
            created_ms: pcf_base::time::Instant::now().unix_millis(),
            attempts: 0,
            last_error: None,
        };
        let path = match &self.outbox {
            Some(dir) => {
                outbox::create(dir).map_err(EnqueueError::Outbox)?;
                let path = outbox::file(dir, &pending);
                outbox::save(&path, &pending).map_err(EnqueueError::Outbox)?;
                Some(path)
            }
            None => None,
        };
        tokio::spawn(self.clone().run(pending, path, slot, stop.clone()));
        Ok(())
    }

    /// Whether credentials are stored for `client`.
    pub fn authenticates(&self, client: &str) -> bool {
        self.recipients.get(client).is_some()
    }

    async fn run(
        self: Arc<Self>,
        mut pending: Pending,
        path: Option<PathBuf>,
        _slot: OwnedSemaphorePermit,
        mut stop: watch::Receiver<bool>,
    ) {
        let give_up = i64::try_from(self.config.give_up_after.as_millis()).unwrap_or(i64::MAX);
        let what = describe(&pending);
        loop {
            let age =
                pcf_base::time::Instant::now().unix_millis().saturating_sub(pending.created_ms);
            if age > give_up {
                eprintln!(
                    "pcf serve: gave up {what} after {} attempt(s) over {} h: {}",
                    pending.attempts,
                    self.config.give_up_after.as_secs() / 3600,
                    pending.last_error.as_deref().unwrap_or("?")
                );
                self.forget(path.as_deref());
                return;
            }
            let attempt = tokio::select! {
                r = self.attempt(&pending) => r,
                _ = stop.changed() => return,
            };
            match attempt {
                Ok(()) => {
                    if self.log {
                        eprintln!("pcf serve: {what} delivered to {}", pending.url);
                    }
                    self.forget(path.as_deref());
                    return;
                }
                Err(e) => {
                    pending.attempts = pending.attempts.saturating_add(1);
                    if self.log {
                        eprintln!("pcf serve: {what}: attempt {} failed: {e}", pending.attempts);
                    }
                    pending.last_error = Some(e);
                    if let Some(path) = &path
                        && let Err(e) = outbox::save(path, &pending)
                    {
                        eprintln!("pcf serve: outbox: {e}");
                    }
                }
            }
            let wait = self.backoff(pending.attempts);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// One attempt: a token from the recipient's token endpoint if credentials are stored
    /// for the client, then the POST.
    async fn attempt(&self, pending: &Pending) -> Result<(), String> {
        let body = serde_json::to_vec(&pending.event).map_err(|e| e.to_string())?;
        let credentials = self.recipients.get(&pending.client);
        let mut request = self
            .http
            .post(&pending.url)
            .header(reqwest::header::CONTENT_TYPE, "application/cloudevents+json; charset=UTF-8")
            .body(body);
        let mut token_url = None;
        if let Some(c) = credentials {
            let url = c.token_url(&pending.url);
            let token = self.tokens.token(&self.http, &url, c).await?;
            request = request.bearer_auth(token);
            token_url = Some(url);
        }
        let response = request.send().await.map_err(|e| format!("{}: {e}", pending.url))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if matches!(status.as_u16(), 401 | 403)
            && let (Some(c), Some(url)) = (credentials, &token_url)
        {
            // The token may have been revoked or expired early: get a new one next time.
            self.tokens.forget(url, c);
        }
        let unauthenticated = if credentials.is_none() && status.as_u16() == 401 {
            " (no credentials are stored for this client: pcf clients credentials)"
        } else {
            ""
        };
        Err(format!("{} answered {status}{unauthenticated}", pending.url))
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        self.config.first_backoff.saturating_mul(1 << doublings).min(self.config.max_backoff)
    }

    fn forget(&self, path: Option<&Path>) {
        if let Some(path) = path
            && let Err(e) = outbox::remove(path)
        {
            eprintln!("pcf serve: outbox: {e}");
        }
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("config", &self.config)
            .field("outbox", &self.outbox)
            .field("recipients", &self.recipients)
            .finish_non_exhaustive()
    }
}

fn describe(pending: &Pending) -> String {
    let kind = pending.event.get("type").and_then(Value::as_str).unwrap_or("?");
    let kind = kind.rsplit('.').nth(1).unwrap_or(kind);
    let request =
        pending.event.pointer("/data/requestEventId").and_then(Value::as_str).unwrap_or("?");
    format!("{kind} for {} request {request:?}", pending.client)
}
