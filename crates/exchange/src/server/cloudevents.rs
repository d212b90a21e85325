//! `POST /3/events`: CloudEvents from clients, each checked against the PACT v3 OpenAPI
//! ([`events::parse`]); a RequestCreated event is answered asynchronously ([`crate::delivery`]),
//! and only to an events endpoint registered for the client.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::{ApiError, ErrorCode};
use super::state::Shared;
use crate::delivery::EnqueueError;
use crate::events::{self, Event};

pub(super) async fn post_event(
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
            // The answer is made now, from the register as it is, and kept in the outbox
            // before the request is acknowledged: an accepted request is always answered.
            let base = state.base(&headers)?;
            let own_source = format!("{}/3/events", base.replacen("https:", "", 1));
            let catalogue = state.snapshot();
            let pfs: Vec<Value> = catalogue
                .footprints()
                .iter()
                .filter(|f| criteria.matches(f.keys(), f.status))
                .take(state.limits.max_page_size.max(1) * 10)
                .map(|f| f.served(&base))
                .collect();
            let answer = if pfs.is_empty() {
                let message = "no footprint matches the request's criteria";
                events::rejected(&own_source, &id, "NotFound", message)
            } else {
                events::fulfilled(&own_source, &id, pfs)
            };
            state.delivery.enqueue(&client.id, &url, answer, &state.stop).map_err(|e| match e {
                EnqueueError::Full => ApiError::too_many(e.to_string()),
                other => ApiError::new(ErrorCode::InternalError, other.to_string()),
            })?;
            if state.log {
                eprintln!("pcf serve: {} request {id:?} accepted; answer goes to {url}", client.id);
            }
        }
        other => {
            if state.log {
                eprintln!("pcf serve: accepted from {}: {other:?}", client.id);
            }
        }
    }
    Ok((StatusCode::OK, Body::empty()).into_response())
}
