//! The smallest memkit service: greetings you can create and read, the read served through the cache.
//!
//! [`app`] is the whole service over any [`Effects`] bundle: `main.rs` passes the real world, the tests a
//! [`Sandbox`](effects::sandbox::Sandbox). (The shop example also moves the handlers into a crate without IO
//! dependencies, so the compiler keeps them honest; here they sit beside the routes to stay short.)
//!
//! It keeps the shop's HTTP conventions, in miniature: every error is `{"error":{"code":"...","message":"..."}}`
//! with a stable code (unknown routes and methods included); a body is JSON whatever its `Content-Type`, and one
//! that does not decode says what was expected; `GET /healthz` reports the store and the cache.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use effects::{Cache, Effects, Record, Store, StoreError, cacheable, health};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use typed_ids::axum::{IdPath, IdRejection};

typed_ids::id! {
    /// A greeting: `grt_` and a time-ordered UUID.
    pub GreetingId: typed_ids::uuid::Uuid, prefix = "grt", serde = prefixed;
}

/// A greeting, as stored, cached and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Greeting {
    /// Its ID.
    pub id: GreetingId,
    /// What it says.
    pub text: String,
}
// `GreetingId`'s Deserialize parses prefixed text, which the schema tracer cannot invent: the sample lets it
// check every field (without one, every cache call on `Greeting` fails with `CacheError::Untraceable`).
cacheable!(
    Greeting,
    "hello.Greeting",
    version = 1,
    samples = [Greeting { id: GreetingId::new(typed_ids::uuid::Uuid::from_u128(1)), text: String::new() }]
);
impl Record for Greeting {
    const COLLECTION: &'static str = "greetings";
}

/// `POST /greetings` body.
#[derive(Debug, Deserialize)]
struct NewGreeting {
    text: String,
}

/// The largest request body accepted (64 KiB); larger ones get 413 `payload_too_large`.
pub const BODY_LIMIT: usize = 64 * 1024;

/// An error reply: a status and `{"error":{"code":"...","message":"..."}}`. Clients act on the code.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

/// 503 `store_unavailable` when the store is down; anything else is a bug (500), never the request's fault.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            Self::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "the store is unavailable; retry later")
        } else {
            Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "internal error")
        }
    }
}

/// 400 `invalid_id` for a malformed ID or another type's (`/greetings/cus_1`).
impl From<IdRejection> for ApiError {
    fn from(rejection: IdRejection) -> Self {
        Self::new(rejection.status(), rejection.code(), rejection.message())
    }
}

/// The service's routes over `fx`.
pub fn app<E: Effects + 'static>(fx: Arc<E>) -> Router {
    Router::new()
        .route("/greetings", post(create::<E>))
        .route("/greetings/{id}", get(read::<E>))
        .route("/healthz", get(healthz::<E>))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(fx)
}

/// A JSON body, whatever the `Content-Type` says; `expected` tells the client what to send instead.
fn json_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>, expected: &str) -> Result<T, ApiError> {
    let bytes = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {BODY_LIMIT} bytes"),
        ),
        _ => ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", rejection.body_text()),
    })?;
    let problem = match serde_json::from_slice::<Value>(&bytes) {
        Ok(value @ Value::Object(_)) => match serde_json::from_value(value) {
            Ok(body) => return Ok(body),
            Err(e) => e.to_string(),
        },
        Ok(other) => format!("found {}", json_kind(&other)),
        Err(_) if bytes.trim_ascii().is_empty() => "the body is empty".to_owned(),
        Err(e) => format!("the body is not valid JSON ({e})"),
    };
    Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", format!("invalid body: expected {expected}: {problem}")))
}

/// What a JSON value is, in JSON's words.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Number(_) => "a number",
        Value::Object(_) => "an object",
    }
}

async fn create<E: Effects>(
    State(fx): State<Arc<E>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Greeting>), ApiError> {
    let new: NewGreeting = json_body(body, "a JSON object with the field text")?;
    let greeting = Greeting { id: fx.new_id(), text: new.text };
    fx.store().upsert(&greeting.id.to_string(), &greeting).await?;
    Ok((StatusCode::CREATED, Json(greeting)))
}

/// The cached read: memcached (or the in-process cache) first, the store on a miss.
async fn read<E: Effects>(
    State(fx): State<Arc<E>>,
    id: Result<IdPath<GreetingId>, IdRejection>,
) -> Result<Json<Greeting>, ApiError> {
    let IdPath(id) = id?;
    let found = fx
        .cache()
        .get_or_compute(id.cache_key().as_str(), 300, || async {
            fx.store().get::<Greeting>(&id.to_string()).await?.ok_or(None)
        })
        .await;
    match found {
        Ok(greeting) => Ok(Json(greeting)),
        Err(None) => Err(ApiError::new(StatusCode::NOT_FOUND, "greeting_not_found", format!("no greeting {id}"))),
        Err(Some(e)) => Err(e.into()),
    }
}

/// Each dependency's health (see [`effects::health`]): 200 while the store answers (`"degraded"` when the cache
/// does not: reads still work, uncached), 503 when it does not.
async fn healthz<E: Effects>(State(fx): State<Arc<E>>) -> (StatusCode, Json<health::Health>) {
    let health = health::check(&*fx, health::DEFAULT_TIMEOUT).await;
    let status = if health.serving() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(health))
}
