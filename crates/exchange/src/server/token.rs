//! The authentication endpoints: the OpenID configuration naming the token endpoint, and
//! `POST /auth/token` (client credentials over HTTP Basic, answered in RFC 6749's form).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::{ApiError, json_body};
use super::state::Shared;

pub(super) async fn openid_configuration(
    State(state): State<Shared>,
    headers: HeaderMap,
) -> Response {
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

pub(super) async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e.body_text()),
    };
    let grant = crate::auth::grant_type(&body);
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
    crate::auth::basic_credentials(headers.get(header::AUTHORIZATION)?.to_str().ok()?)
}
