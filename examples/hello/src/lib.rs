//! The smallest memkit service: greetings you can create and read, the read served through the cache.
//!
//! [`app`] is the whole service over any [`Effects`] bundle: `main.rs` passes the real world, the tests a
//! [`Sandbox`](effects::sandbox::Sandbox). (The shop example also moves the handlers into a crate without IO
//! dependencies, so the compiler keeps them honest; here they sit beside the routes to stay short.)

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use effects::{Cache, Effects, Record, Store, cacheable};
use serde::{Deserialize, Serialize};
use typed_ids::axum::IdPath;

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

/// `{"error":{"code","message"}}` with a status.
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = serde_json::json!({"error": {"code": code, "message": message.into()}});
    (status, Json(body)).into_response()
}

fn unavailable(e: &effects::StoreError) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", e.to_string())
}

/// The service's routes over `fx`.
pub fn app<E: Effects + 'static>(fx: Arc<E>) -> Router {
    Router::new().route("/greetings", post(create::<E>)).route("/greetings/{id}", get(read::<E>)).with_state(fx)
}

async fn create<E: Effects>(State(fx): State<Arc<E>>, body: Result<Json<NewGreeting>, JsonRejection>) -> Response {
    let Ok(Json(new)) = body else { return error(StatusCode::BAD_REQUEST, "invalid_body", "expected {\"text\":...}") };
    let greeting = Greeting { id: fx.new_id(), text: new.text };
    if let Err(e) = fx.store().upsert(&greeting.id.to_string(), &greeting).await {
        return unavailable(&e);
    }
    (StatusCode::CREATED, Json(greeting)).into_response()
}

/// The cached read: memcached (or the in-process cache) first, the store on a miss.
async fn read<E: Effects>(State(fx): State<Arc<E>>, IdPath(id): IdPath<GreetingId>) -> Response {
    let found = fx
        .cache()
        .get_or_compute(id.cache_key().as_str(), 300, || async {
            fx.store().get::<Greeting>(&id.to_string()).await?.ok_or(None)
        })
        .await;
    match found {
        Ok(greeting) => Json(greeting).into_response(),
        Err(None) => error(StatusCode::NOT_FOUND, "greeting_not_found", format!("no greeting {id}")),
        Err(Some(e)) => unavailable(&e),
    }
}
