//! PACT v3 events: CloudEvents 1.0 in structured JSON mode, read from `POST /3/events` and
//! written back to a requester's events endpoint.
//!
//! A `RequestCreated` event carries filter criteria; the server accepts it at once and answers
//! later with a `RequestFulfilled` event (the matching footprints) or a `RequestRejected`
//! event (with an error). `Published`, `RequestFulfilled` and `RequestRejected` events from
//! others are checked and acknowledged.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;

use super::filters::Criteria;

/// A buyer asks for footprints.
pub const REQUEST_CREATED: &str = "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3";
/// The answer with footprints.
pub const REQUEST_FULFILLED: &str = "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3";
/// The answer without.
pub const REQUEST_REJECTED: &str = "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3";
/// A supplier announces new or updated footprints.
pub const PUBLISHED: &str = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3";
/// Media type of a structured-mode CloudEvent.
pub const CLOUDEVENTS_JSON: &str = "application/cloudevents+json";

/// An event received.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A request for footprints.
    RequestCreated {
        /// The event id (echoed as `requestEventId` in the answer).
        id: String,
        /// Its `source`: the requester's events endpoint.
        source: String,
        /// What is asked for.
        criteria: Criteria,
    },
    /// An answer to a request this host made.
    RequestFulfilled {
        /// The event id.
        id: String,
        /// The request answered.
        request_event_id: String,
        /// How many footprints it carries.
        footprints: usize,
    },
    /// A refusal of a request this host made.
    RequestRejected {
        /// The event id.
        id: String,
        /// The request refused.
        request_event_id: String,
        /// The error code given.
        code: String,
    },
    /// Footprints were published or updated.
    Published {
        /// The event id.
        id: String,
        /// The footprints concerned.
        pf_ids: Vec<String>,
    },
}

/// Why an event was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// Not a well-formed PACT v3 CloudEvent.
    #[error("malformed event: {0}")]
    Malformed(String),
    /// A kind of event this host does not handle (PACT v2 events).
    #[error("{0}")]
    NotImplemented(String),
}

/// Largest accepted `id`, `source` or `requestEventId`.
const MAX_ID: usize = 512;

/// Reads an event body (strict JSON).
pub fn parse(body: &[u8]) -> Result<Event, EventError> {
    let bad = |m: String| EventError::Malformed(m);
    let value =
        pcf_base::canonical::parse_strict(body).map_err(|e| bad(format!("not JSON: {e}")))?;
    let event = value.as_object().ok_or_else(|| bad("not a JSON object".into()))?;
    let string = |name: &str| -> Result<String, EventError> {
        match event.get(name) {
            Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID => Ok(s.clone()),
            Some(Value::String(_)) => Err(bad(format!("{name} must be 1 to {MAX_ID} characters"))),
            Some(_) => Err(bad(format!("{name} must be a string"))),
            None => Err(bad(format!("{name} is missing"))),
        }
    };
    let specversion = string("specversion")?;
    if specversion != "1.0" {
        return Err(bad(format!("specversion {specversion:?}: only CloudEvents 1.0 is accepted")));
    }
    let kind = string("type")?;
    let id = string("id")?;
    let source = string("source")?;
    if let Some(time) = event.get("time") {
        let ok = time.as_str().is_some_and(|t| pcf_base::time::Instant::parse_pact(t).is_ok());
        if !ok {
            return Err(bad(format!("time {time}: not an RFC 3339 date-time")));
        }
    }
    let data = match event.get("data") {
        Some(Value::Object(d)) => d,
        Some(_) => return Err(bad("data must be an object".into())),
        None => return Err(bad("data is missing".into())),
    };
    match kind.as_str() {
        REQUEST_CREATED => {
            let criteria = Criteria::from_event_data(data).map_err(|e| bad(format!("data.{e}")))?;
            if criteria.is_empty() {
                return Err(bad(
                    "data names no criteria (give productId, companyId, geography, ...)".into(),
                ));
            }
            if let Some(c) = data.get("comment")
                && !c.is_string()
            {
                return Err(bad("data.comment must be a string".into()));
            }
            Ok(Event::RequestCreated { id, source, criteria })
        }
        REQUEST_FULFILLED => {
            let request_event_id = data_string(data, "requestEventId")?;
            let pfs = match data.get("pfs") {
                Some(Value::Array(a)) if !a.is_empty() && a.iter().all(Value::is_object) => a,
                _ => return Err(bad("data.pfs must be a non-empty array of footprints".into())),
            };
            Ok(Event::RequestFulfilled { id, request_event_id, footprints: pfs.len() })
        }
        REQUEST_REJECTED => {
            let request_event_id = data_string(data, "requestEventId")?;
            let error = data.get("error").and_then(Value::as_object);
            let code = error.and_then(|e| e.get("code")).and_then(Value::as_str);
            let message = error.and_then(|e| e.get("message")).and_then(Value::as_str);
            let (Some(code), Some(_)) = (code, message) else {
                return Err(bad("data.error must be an object with code and message".into()));
            };
            Ok(Event::RequestRejected { id, request_event_id, code: code.into() })
        }
        PUBLISHED => {
            let pf_ids = match data.get("pfIds") {
                Some(Value::Array(a)) if !a.is_empty() => a
                    .iter()
                    .map(|v| v.as_str().map(String::from))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad("data.pfIds must hold strings".into()))?,
                _ => return Err(bad("data.pfIds must be a non-empty array".into())),
            };
            Ok(Event::Published { id, pf_ids })
        }
        other if other.starts_with("org.wbcsd.pathfinder.") => Err(EventError::NotImplemented(
            format!("event type {other:?} is PACT v2; this host implements the v3 events"),
        )),
        other => Err(bad(format!(
            "type {:?}: not a PACT v3 event (expected one of {REQUEST_CREATED}, \
             {REQUEST_FULFILLED}, {REQUEST_REJECTED}, {PUBLISHED})",
            other.chars().take(100).collect::<String>()
        ))),
    }
}

fn data_string(data: &Map<String, Value>, name: &str) -> Result<String, EventError> {
    match data.get(name) {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID => Ok(s.clone()),
        _ => Err(EventError::Malformed(format!("data.{name} must be a non-empty string"))),
    }
}

/// A `RequestFulfilled` event answering `request_event_id` with `pfs`, from `source`.
pub fn fulfilled(source: &str, request_event_id: &str, pfs: Vec<Value>) -> Value {
    envelope(REQUEST_FULFILLED, source, json!({ "requestEventId": request_event_id, "pfs": pfs }))
}

/// A `RequestRejected` event answering `request_event_id` with an error.
pub fn rejected(source: &str, request_event_id: &str, code: &str, message: &str) -> Value {
    envelope(
        REQUEST_REJECTED,
        source,
        json!({ "requestEventId": request_event_id, "error": { "code": code, "message": message } }),
    )
}

fn envelope(kind: &str, source: &str, data: Value) -> Value {
    let id = pcf_trust::declaration::uuid_v4()
        .unwrap_or_else(|_| format!("{}-{}", pcf_trust::proof::utc_now(), std::process::id()));
    json!({
        "type": kind,
        "specversion": "1.0",
        "id": id,
        "source": source,
        "time": pcf_trust::proof::utc_now(),
        "data": data,
    })
}

/// Sends events to requesters' events endpoints: a bounded number at a time, each retried with
/// exponential back-off a bounded number of times, never following redirects.
#[derive(Debug, Clone)]
pub struct Delivery {
    client: reqwest::Client,
    attempts: u32,
    first_backoff: Duration,
    slots: Arc<Semaphore>,
}

/// How answers are delivered.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Attempts per event (at least 1).
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub first_backoff: Duration,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Most answers pending at once; further requests are refused until one is done.
    pub max_pending: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            attempts: 6,
            first_backoff: Duration::from_secs(2),
            timeout: Duration::from_secs(15),
            max_pending: 64,
        }
    }
}

impl Delivery {
    /// A delivery service.
    pub fn new(config: &DeliveryConfig) -> Result<Delivery, super::ExchangeError> {
        let client = super::client::http_client(None, config.timeout)?;
        Ok(Delivery {
            client,
            attempts: config.attempts.max(1),
            first_backoff: config.first_backoff,
            slots: Arc::new(Semaphore::new(config.max_pending.max(1))),
        })
    }

    /// Reserves a slot for one more answer, or `None` when too many are pending.
    pub fn reserve(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Posts `event` to `url` until it is accepted (a 2xx status) or the attempts run out.
    pub async fn send(&self, url: &str, event: &Value) -> Result<(), String> {
        let body = serde_json::to_vec(event).map_err(|e| e.to_string())?;
        let mut wait = self.first_backoff;
        let mut last = String::new();
        for attempt in 1..=self.attempts {
            let result = self
                .client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, CLOUDEVENTS_JSON)
                .body(body.clone())
                .send()
                .await;
            match result {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => last = format!("{url} answered {}", r.status()),
                Err(e) => last = format!("{url}: {e}"),
            }
            if attempt < self.attempts {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
            }
        }
        Err(format!("gave up after {} attempt(s): {last}", self.attempts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, data: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "type": kind, "specversion": "1.0", "id": "e1", "source": "//b.example/3/events",
            "time": "2025-03-05T17:31:00Z", "data": data,
        }))
        .unwrap()
    }

    #[test]
    fn reads_the_four_kinds() {
        let e = parse(&event(REQUEST_CREATED, json!({"productId": ["urn:x"]}))).unwrap();
        assert!(matches!(e, Event::RequestCreated { .. }));
        let e = parse(&event(PUBLISHED, json!({"pfIds": ["a"]}))).unwrap();
        assert_eq!(e, Event::Published { id: "e1".into(), pf_ids: vec!["a".into()] });
        let e = parse(&event(
            REQUEST_REJECTED,
            json!({"requestEventId": "r",
            "error": {"code": "NotFound", "message": "m"}}),
        ))
        .unwrap();
        assert!(matches!(e, Event::RequestRejected { .. }));
        let e = parse(&event(REQUEST_FULFILLED, json!({"requestEventId": "r", "pfs": [{}]})));
        assert!(e.is_ok());
    }

    #[test]
    fn rejects_malformed() {
        for body in [
            b"{".to_vec(),
            b"[]".to_vec(),
            event(REQUEST_CREATED, json!({})),
            event(REQUEST_CREATED, json!({"productId": "urn:x", "colour": ["red"]})),
            event(REQUEST_CREATED, json!({"productId": [1]})),
            event(REQUEST_CREATED, json!({"validOn": "yesterday"})),
            event(PUBLISHED, json!({"pfIds": []})),
            event("com.example.Other", json!({})),
        ] {
            assert!(matches!(parse(&body), Err(EventError::Malformed(_))), "{body:?}");
        }
        let v2 = event("org.wbcsd.pathfinder.ProductFootprint.Published.v1", json!({}));
        assert!(matches!(parse(&v2), Err(EventError::NotImplemented(_))));
    }
}
