//! PACT v3 events: CloudEvents 1.0 in structured JSON mode, read from `POST /3/events` and
//! written back to a requester's events endpoint.
//!
//! A `RequestCreated` event carries filter criteria; the server accepts it at once and answers
//! later with a `RequestFulfilled` event (the matching footprints) or a `RequestRejected`
//! event (with an error). `Published`, `RequestFulfilled` and `RequestRejected` events from
//! others are checked and acknowledged.

use serde_json::{Value, json};

use super::filters::Criteria;

pub(crate) mod schema;

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

/// Reads an event body (strict JSON) and checks it against the PACT v3 OpenAPI: the
/// CloudEvents envelope first, then the `data` of its kind (the `schema` module), the same
/// way for every kind.
pub fn parse(body: &[u8]) -> Result<Event, EventError> {
    let bad = |m: String| EventError::Malformed(m);
    let value =
        pcf_base::canonical::parse_strict(body).map_err(|e| bad(format!("not JSON: {e}")))?;
    let event = value.as_object().ok_or_else(|| bad("not a JSON object".into()))?;
    if let Some(v2) = event.get("type").and_then(Value::as_str)
        && v2.starts_with("org.wbcsd.pathfinder.")
    {
        return Err(EventError::NotImplemented(format!(
            "event type {:?} is PACT v2; this host implements the v3 events",
            v2.chars().take(100).collect::<String>()
        )));
    }
    schema::check(event, schema::ENVELOPE, "").map_err(bad)?;
    let string = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or_default();
    let specversion = string("specversion");
    if specversion != "1.0" {
        return Err(bad(format!("specversion {specversion:?}: only CloudEvents 1.0 is accepted")));
    }
    let kind = string("type");
    let id = string("id").to_string();
    let source = string("source").to_string();
    let Some(Value::Object(data)) = event.get("data") else {
        return Err(bad("data must be an object".into()));
    };
    let fields = match kind {
        REQUEST_CREATED => schema::REQUEST_CREATED,
        REQUEST_FULFILLED => schema::REQUEST_FULFILLED,
        REQUEST_REJECTED => schema::REQUEST_REJECTED,
        PUBLISHED => schema::PUBLISHED,
        other => {
            return Err(bad(format!(
                "type {:?}: not a PACT v3 event (expected one of {REQUEST_CREATED}, \
                 {REQUEST_FULFILLED}, {REQUEST_REJECTED}, {PUBLISHED})",
                other.chars().take(100).collect::<String>()
            )));
        }
    };
    schema::check(data, fields, "data").map_err(bad)?;
    let data_string =
        |name: &str| data.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    match kind {
        REQUEST_CREATED => {
            let criteria = Criteria::from_event_data(data).map_err(|e| bad(format!("data.{e}")))?;
            if criteria.is_empty() {
                return Err(bad(
                    "data names no criteria (give productId, companyId, geography, ...)".into(),
                ));
            }
            Ok(Event::RequestCreated { id, source, criteria })
        }
        REQUEST_FULFILLED => {
            let footprints = data.get("pfs").and_then(Value::as_array).map_or(0, Vec::len);
            Ok(Event::RequestFulfilled {
                id,
                request_event_id: data_string("requestEventId"),
                footprints,
            })
        }
        REQUEST_REJECTED => {
            let code = data
                .get("error")
                .and_then(|e| e.get("code"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            Ok(Event::RequestRejected { id, request_event_id: data_string("requestEventId"), code })
        }
        _ => {
            let pf_ids = data
                .get("pfIds")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                .unwrap_or_default();
            Ok(Event::Published { id, pf_ids })
        }
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
        let pf = "079e425a-464f-528d-341d-4a944a1dfd70";
        let e = parse(&event(PUBLISHED, json!({"pfIds": [pf]}))).unwrap();
        assert_eq!(e, Event::Published { id: "e1".into(), pf_ids: vec![pf.into()] });
        let e = parse(&event(
            REQUEST_REJECTED,
            json!({"requestEventId": "r",
            "error": {"code": "NotFound", "message": "m"}}),
        ))
        .unwrap();
        assert!(matches!(e, Event::RequestRejected { .. }));
        let footprint = json!({"id": pf, "specVersion": "3.0.0", "created": "2025-01-01T00:00:00Z",
            "companyIds": ["urn:lei:1"], "productIds": ["urn:gtin:1"], "pcf": {}});
        let e =
            parse(&event(REQUEST_FULFILLED, json!({"requestEventId": "r", "pfs": [footprint]})));
        assert!(matches!(e, Ok(Event::RequestFulfilled { footprints: 1, .. })), "{e:?}");
        let e = parse(&event(REQUEST_FULFILLED, json!({"requestEventId": "r", "pfs": [{}]})));
        assert!(matches!(e, Err(EventError::Malformed(m)) if m == "data.pfs[0].id is missing"));
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
            event(PUBLISHED, json!({"pfIds": ["urn:gtin:4712345060507"]})),
            event(PUBLISHED, json!({})),
            event(REQUEST_REJECTED, json!({"requestEventId": "r", "error": {"code": "NotFound"}})),
            event(REQUEST_CREATED, json!({"status": ["Gone"]})),
            event("com.example.Other", json!({})),
        ] {
            assert!(matches!(parse(&body), Err(EventError::Malformed(_))), "{body:?}");
        }
        let v2 = event("org.wbcsd.pathfinder.ProductFootprint.Published.v1", json!({}));
        assert!(matches!(parse(&v2), Err(EventError::NotImplemented(_))));
    }
}
