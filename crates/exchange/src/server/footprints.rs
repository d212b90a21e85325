//! The footprint endpoints: ListFootprints (criteria, paging, `Link: rel="next"`),
//! GetFootprint, and the signed credential and bundle behind each footprint.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::{ApiError, ErrorCode, json_body};
use super::state::Shared;
use crate::catalogue::CREDENTIAL_MEDIA_TYPE;
use crate::filters::{CRITERIA, Criteria};
use crate::pagination::{Paging, next_link};

pub(super) async fn list_footprints(
    State(state): State<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    state.authorize(&headers)?;
    let base = state.base(&headers)?;
    let query = query.unwrap_or_default();
    let mut criteria = Criteria::default();
    let mut kept: Vec<(String, String)> = Vec::new();
    let (mut limit, mut offset) = (None, None);
    for (n, (name, value)) in form_urlencoded::parse(query.as_bytes()).enumerate() {
        if n >= state.limits.max_query_parameters {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("more than {} query parameters", state.limits.max_query_parameters),
            ));
        }
        let bad = |e: &dyn std::fmt::Display| ApiError::new(ErrorCode::BadRequest, e.to_string());
        if name == "version" {
            // Proposed PACT version negotiation: this host speaks v3 whatever is asked, and
            // never fails because of it (the path says the version).
            continue;
        } else if name == "limit" {
            limit = Some(value.into_owned());
        } else if name == "offset" {
            offset = Some(value.into_owned());
        } else if criteria.push_parameter(&name, &value).map_err(|e| bad(&e))? {
            kept.push((name.into_owned(), value.into_owned()));
        } else if name == "$filter" {
            return Err(ApiError::new(
                ErrorCode::NotImplemented,
                "$filter (OData) was deprecated by PACT v3; use the v3 criteria",
            ));
        } else if name.starts_with("x-") {
            return Err(ApiError::new(
                ErrorCode::NotImplemented,
                format!("filter {name:?} is not implemented by this host"),
            ));
        } else {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!(
                    "unknown query parameter {:?}; use limit, offset, {}",
                    name.chars().take(60).collect::<String>(),
                    CRITERIA.join(", ")
                ),
            ));
        }
    }
    let paging = Paging::parse(limit.as_deref(), offset.as_deref(), state.limits.max_page_size)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.to_string()))?;
    let catalogue = state.snapshot();
    let matching: Vec<_> =
        catalogue.footprints().iter().filter(|f| criteria.matches(f.keys(), f.status)).collect();
    let (window, next) = paging.window(matching.len());
    let data: Vec<Value> = matching[window].iter().map(|f| f.served(&base)).collect();
    let mut response = json_body(&json!({ "data": data })).into_response();
    if let Some(next) = next {
        let link = next_link(&base, &kept, paging.limit, next);
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(response)
}

pub(super) async fn get_footprint(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.authorize(&headers)?;
    let base = state.base(&headers)?;
    let catalogue = state.snapshot();
    let footprint = catalogue.get(&id).ok_or_else(|| no_such_footprint(&id))?;
    Ok(json_body(&json!({ "data": footprint.served(&base) })).into_response())
}

pub(super) async fn get_credential(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.authorize(&headers)?;
    let catalogue = state.snapshot();
    let footprint = catalogue.get(&id).ok_or_else(|| no_such_footprint(&id))?;
    let bytes = footprint.credential.as_ref().clone();
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(CREDENTIAL_MEDIA_TYPE))], bytes)
        .into_response())
}

pub(super) async fn get_bundle(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state.authorize(&headers)?;
    let catalogue = state.snapshot();
    if catalogue.get(&id).is_none() {
        return Err(no_such_footprint(&id));
    }
    let built = tokio::task::spawn_blocking(move || {
        let footprint = catalogue.get(&id).ok_or_else(|| "gone".to_string())?;
        catalogue.bundle(footprint)
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    match built {
        Ok(bytes) => Ok((
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            bytes.as_ref().clone(),
        )
            .into_response()),
        Err(e) => {
            Err(ApiError::new(ErrorCode::InternalError, format!("cannot build the bundle: {e}")))
        }
    }
}

fn no_such_footprint(id: &str) -> ApiError {
    let id: String = id.chars().take(100).collect();
    ApiError::new(ErrorCode::NotFound, format!("no footprint with id {id:?}"))
}
