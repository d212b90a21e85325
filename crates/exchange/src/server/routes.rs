//! The router: which handler answers which path, the fallbacks for unknown paths and
//! methods, and the guard (rate limit, request timeout) around every request.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::cloudevents::post_event;
use super::connections::Peer;
use super::error::{ApiError, ErrorCode};
use super::footprints::{get_bundle, get_credential, get_footprint, list_footprints};
use super::state::Shared;
use super::token::{openid_configuration, token};

pub(super) fn router(state: Shared) -> Router {
    let body_limit = state.limits.max_body_bytes;
    let mut router = Router::new();
    if state.publish_log {
        router = router
            .route("/log/checkpoint", get(super::log::checkpoint))
            .route("/log/tile/{*path}", get(super::log::tile));
    }
    if state.status_list.is_some() {
        router = router.route("/status-list", get(super::log::status_list));
    }
    router
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
