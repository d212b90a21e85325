//! `POST /3/events`: CloudEvents from clients; a RequestCreated event is answered
//! asynchronously, and only to an events endpoint registered for the client.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::{ApiError, ErrorCode};
use super::state::Shared;
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
                    .filter(|f| criteria.matches(f.keys(), f.status))
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
