//! axum extractors that answer a bad ID with a JSON 400.
//!
//! [`IdPath`] and [`IdQuery`] work like axum's `Path` and `Query` (any `T: Deserialize`:
//! one ID, a tuple, a struct with ID fields) but reject with an [`IdRejection`]:
//!
//! ```json
//! {"error": {"code": "invalid_id",
//!            "message": "invalid CustomerId \"prd_7\": wrong prefix: expected `cus_`, found `prd`",
//!            "id_type": "CustomerId", "reason": "wrong_prefix", "param": "id"}}
//! ```
//!
//! `reason` is [`Error::reason`]; `param` is the path parameter's name when known. Other
//! extraction failures get the codes `invalid_path` or `invalid_query` (400), or
//! `internal_error` when the route and the extractor disagree (500).
//!
//! ```
//! use axum::{Router, routing::get};
//! use typed_ids::axum::IdPath;
//!
//! typed_ids::id!(pub CustomerId: u64, prefix = "cus");
//!
//! async fn show(IdPath(id): IdPath<CustomerId>) -> String {
//!     format!("customer {}", id.get())
//! }
//!
//! let app: Router = Router::new().route("/customers/{id}", get(show));
//! ```

use ::axum::Json;
use ::axum::extract::path::ErrorKind;
use ::axum::extract::rejection::PathRejection;
use ::axum::extract::{FromRequestParts, Path, Query};
use ::axum::http::StatusCode;
use ::axum::http::request::Parts;
use ::axum::response::{IntoResponse, Response};
use core::fmt;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// Path parameters holding IDs; a bad ID is a JSON 400 with code `invalid_id`.
///
/// `IdPath<CustomerId>` for a route with one parameter, `IdPath<(CustomerId, OrderId)>`
/// for two, or a struct whose fields are named like the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdPath<T>(pub T);

/// A query string holding IDs; a bad ID is a JSON 400 with code `invalid_id`.
///
/// `T` is usually a struct deriving `Deserialize`, e.g. `struct Filter { customer:
/// Option<CustomerId> }` for `?customer=cus_123`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for IdPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = IdRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        capture::clear();
        // axum's `Path` deserialises without suspending, so this runs on one thread
        // within one poll and the captured error belongs to this extraction.
        let result = Path::<T>::from_request_parts(parts, state).await;
        let captured = capture::take();
        match result {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(IdRejection::from_path(&rejection, captured)),
        }
    }
}

impl<T, S> FromRequestParts<S> for IdQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = IdRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        capture::clear();
        let result = Query::<T>::try_from_uri(&parts.uri);
        let captured = capture::take();
        match result {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => {
                Err(IdRejection::classify(rejection.status(), rejection.body_text(), captured, "invalid_query", None))
            }
        }
    }
}

/// Why [`IdPath`] or [`IdQuery`] (or a handler returning `Result<_, Error>`) refused a
/// request; responds with its status and a JSON error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRejection {
    status: StatusCode,
    code: &'static str,
    message: String,
    id_error: Option<Error>,
    param: Option<String>,
}

impl IdRejection {
    /// The HTTP status: 400, or 500 when the route does not match the extractor.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code: `invalid_id`, `invalid_path`, `invalid_query` or
    /// `internal_error`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable message.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The typed error, when the code is `invalid_id`.
    #[must_use]
    pub fn id_error(&self) -> Option<&Error> {
        self.id_error.as_ref()
    }

    /// The path parameter that held the bad value, when known.
    #[must_use]
    pub fn param(&self) -> Option<&str> {
        self.param.as_deref()
    }

    fn from_path(rejection: &PathRejection, captured: Option<Error>) -> Self {
        let param = match rejection {
            PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                ErrorKind::DeserializeError { key, .. }
                | ErrorKind::ParseErrorAtKey { key, .. }
                | ErrorKind::InvalidUtf8InPathParam { key } => Some(key.clone()),
                _ => None,
            },
            _ => None,
        };
        Self::classify(rejection.status(), rejection.body_text(), captured, "invalid_path", param)
    }

    fn classify(
        status: StatusCode,
        text: String,
        captured: Option<Error>,
        code: &'static str,
        param: Option<String>,
    ) -> Self {
        match captured {
            // The rejection is about an ID only if its text carries the ID error: an
            // ID that failed inside an untagged enum or an `Option` fallback, followed by
            // another failure, must not be blamed.
            Some(err) if status == StatusCode::BAD_REQUEST && text.contains(&err.to_string()) => {
                let mut rejection = Self::from(err);
                rejection.param = param;
                rejection
            }
            _ if status.is_client_error() => Self { status, code, message: text, id_error: None, param },
            _ => Self { status, code: "internal_error", message: text, id_error: None, param: None },
        }
    }
}

impl From<Error> for IdRejection {
    fn from(err: Error) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_id",
            message: err.to_string(),
            id_error: Some(err),
            param: None,
        }
    }
}

impl fmt::Display for IdRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for IdRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.id_error.as_ref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    param: Option<&'a str>,
}

impl IntoResponse for IdRejection {
    fn into_response(self) -> Response {
        let body = Body {
            error: Detail {
                code: self.code,
                message: &self.message,
                id_type: self.id_error.as_ref().map(Error::id_type),
                reason: self.id_error.as_ref().map(Error::reason),
                param: self.param.as_deref(),
            },
        };
        (self.status, Json(body)).into_response()
    }
}

/// A bad ID met in a handler (say, parsed from a header) answers like the extractors:
/// a JSON 400 with code `invalid_id`.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        IdRejection::from(self).into_response()
    }
}

/// Carries the typed [`Error`] past serde, which only keeps its message.
///
/// The ID `Deserialize` impls record their error here; the extractors clear it before
/// deserialising and take it after, on the same thread, with no await in between.
pub(crate) mod capture {
    use core::cell::Cell;

    use crate::error::Error;

    thread_local! {
        static LAST: Cell<Option<Error>> = const { Cell::new(None) };
    }

    pub(crate) fn record(err: &Error) {
        LAST.with(|last| last.set(Some(err.clone())));
    }

    pub(crate) fn clear() {
        LAST.with(Cell::take);
    }

    pub(crate) fn take() -> Option<Error> {
        LAST.with(Cell::take)
    }
}
