//! API errors: PACT's error codes, the `{"code": ..., "message": ...}` answer and its
//! HTTP status.

use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// PACT error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400.
    BadRequest,
    /// 403.
    AccessDenied,
    /// 401.
    TokenExpired,
    /// 404.
    NotFound,
    /// 500.
    InternalError,
    /// 501.
    NotImplemented,
}

impl ErrorCode {
    /// The code as written in error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BadRequest",
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::TokenExpired => "TokenExpired",
            ErrorCode::NotFound => "NotFound",
            ErrorCode::InternalError => "InternalError",
            ErrorCode::NotImplemented => "NotImplemented",
        }
    }

    /// The HTTP status PACT gives the code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::AccessDenied => StatusCode::FORBIDDEN,
            ErrorCode::TokenExpired => StatusCode::UNAUTHORIZED,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        }
    }
}

/// An error answer: `{"code": ..., "message": ...}`.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(super) fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { status: code.status(), code, message: message.into(), retry_after: None }
    }

    /// Too many requests: PACT has no code for it, so BadRequest with HTTP 429.
    pub(super) fn too_many(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: ErrorCode::BadRequest,
            message: message.into(),
            retry_after: Some(1),
        }
    }

    pub(super) fn body_rejected(rejection: &BytesRejection) -> ApiError {
        let mut e = ApiError::new(ErrorCode::BadRequest, format!("request body: {rejection}"));
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            e.status = StatusCode::PAYLOAD_TOO_LARGE;
        }
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.code.as_str(), "message": self.message });
        let mut response = (self.status, json_body(&body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

pub(super) fn json_body(value: &Value) -> ([(header::HeaderName, HeaderValue); 1], Vec<u8>) {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        serde_json::to_vec(value).unwrap_or_default(),
    )
}
