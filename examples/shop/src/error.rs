//! Errors as HTTP responses, and the extractors that turn every bad input into one.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use effects::{Clock, Effects};
use example_shop_handlers::{ErrorBody, ErrorCode, ShopError, decode_body};
use serde::de::DeserializeOwned;
use typed_ids::axum::{IdPath, IdQuery, IdRejection};

use crate::BodyReadTimeout;
use crate::serve::Limits;

/// An error response: a status and `{"error":{"code","message"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status, body: ErrorBody::new(code, message) }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl From<ShopError> for ApiError {
    fn from(err: ShopError) -> Self {
        let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self { status, body: err.body() }
    }
}

impl From<IdRejection> for ApiError {
    /// Any refused ID (bad prefix, bad number, even bytes that are not UTF-8) is `invalid_id`; only a route
    /// that disagrees with its extractor, a bug, is a 500.
    fn from(rejection: IdRejection) -> Self {
        if rejection.status().is_client_error() {
            Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidId, rejection.message())
        } else {
            tracing::error!(%rejection, "route and extractor disagree");
            Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::InternalError, "internal error")
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if matches!(self.status, StatusCode::REQUEST_TIMEOUT | StatusCode::PAYLOAD_TOO_LARGE) {
            // The rest of a stalled or refused body may still come; close rather than parse it as the next
            // request.
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// Path parameters holding typed IDs; anything else answers 400 `invalid_id`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PathIds<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathIds<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let IdPath(value) = IdPath::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// A query string holding typed IDs; anything else answers 400 `invalid_id`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueryIds<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for QueryIds<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let IdQuery(value) = IdQuery::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// A JSON body, whatever the `Content-Type`: 413 `payload_too_large` past the limit (at once when `Content-Length`
/// declares more), 408 `request_timeout` when it does not arrive within the body read timeout
/// ([`BodyReadTimeout`], on the effects clock), 400 `invalid_body` or `invalid_amount` when it does not decode.
#[derive(Debug, Clone)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned, E: Effects> FromRequest<Arc<E>> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, fx: &Arc<E>) -> Result<Self, ApiError> {
        // A declared length past the limit is refused before a byte of the body is read: the client need not
        // upload it, and nothing waits out the body timeout for bytes that would be refused anyway.
        let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|len| len > crate::BODY_LIMIT as u64) {
            return Err(payload_too_large());
        }
        let limit = req.extensions().get::<BodyReadTimeout>().map_or(Limits::default().body_read_timeout, |t| t.0);
        // `select!` only polls (no runtime needed), so the sandbox's manual clock drives the deadline in tests.
        let read = tokio::select! {
            biased;
            read = Bytes::from_request(req, fx) => Some(read),
            () = fx.clock().sleep(limit) => None,
        };
        let Some(read) = read else {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::RequestTimeout,
                format!("the body did not arrive within {} ms", limit.as_millis()),
            ));
        };
        let bytes = read.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                payload_too_large()
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidBody, rejection.body_text())
            }
        })?;
        Ok(Self(decode_body(&bytes)?))
    }
}

/// 413 `payload_too_large`.
fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!("the body is larger than {} bytes", crate::BODY_LIMIT),
    )
}

/// Unknown routes: 404 `not_found`.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route; see GET /openapi.json")
}

/// Known routes with another method: 405 `method_not_allowed`.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed, "this route does not take that method")
}
