//! The shop service's HTTP side: [`app`] builds the axum [`Router`] over any [`Effects`] bundle, so tests drive
//! it with `tower::ServiceExt::oneshot` on an [`effects::sandbox::Sandbox`] and production serves it on
//! `effects_real::World` (see `main.rs`).
//!
//! The business logic lives in `example_shop_handlers`, a crate with no IO dependency; this crate maps it onto
//! HTTP:
//!
//! | route | handler | success |
//! |---|---|---|
//! | `POST /customers` | `create_customer` | 201 [`Customer`](example_shop_handlers::Customer) |
//! | `GET /customers/{id}` | `get_customer` | 200 `Customer` |
//! | `POST /products` | `create_product` | 201 [`Product`](example_shop_handlers::Product) |
//! | `GET /products/{id}` | `get_product` | 200 `Product` |
//! | `POST /customers/{id}/purchases` | `purchase` | 201 [`Receipt`](example_shop_handlers::Receipt) |
//! | `GET /customers/{id}/purchases` | `list_purchases` | 200 [`PurchasePage`](example_shop_handlers::PurchasePage) |
//! | `GET /healthz` | `healthz` | 200 [`Health`](effects::health::Health) (503 when the store is down) |
//! | `GET /metrics`, `GET /openapi.json` | | 200 |
//!
//! Every error is `{"error":{"code":"...","message":"..."}}` with a code from
//! [`ErrorCode`](example_shop_handlers::ErrorCode); input from outside never produces a 500.
//!
//! ```
//! use std::sync::Arc;
//! use effects::sandbox::Sandbox;
//!
//! let router = example_shop::app(Arc::new(Sandbox::new(1)));
//! # drop(router);
//! ```

mod api;
pub mod config;
mod error;
mod metrics;
mod openapi;
pub mod serve;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Extension, Router};
use effects::Effects;

pub use error::ApiError;
pub use metrics::install_prometheus;
pub use openapi::openapi;

/// The largest request body accepted (64 KiB); larger bodies get 413 `payload_too_large`.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How long the JSON extractor waits for a body, carried to it as a request extension.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyReadTimeout(pub(crate) Duration);

/// The shop's routes over the effects bundle `fx`, with the default [`Limits`](serve::Limits).
pub fn app<E: Effects + 'static>(fx: Arc<E>) -> Router {
    app_with(fx, serve::Limits::default())
}

/// The shop's routes over `fx`, reading bodies for at most `limits.body_read_timeout` (measured on `fx`'s clock,
/// so a sandbox test of a stalled body takes no real time): past it the answer is 408 `request_timeout`.
pub fn app_with<E: Effects + 'static>(fx: Arc<E>, limits: serve::Limits) -> Router {
    Router::new()
        .route("/customers", axum::routing::post(api::create_customer::<E>))
        .route("/customers/{id}", get(api::get_customer::<E>))
        .route("/customers/{id}/purchases", get(api::list_purchases::<E>).post(api::purchase::<E>))
        .route("/products", axum::routing::post(api::create_product::<E>))
        .route("/products/{id}", get(api::get_product::<E>))
        .route("/healthz", get(api::healthz::<E>))
        .route("/metrics", get(metrics::render))
        .route("/openapi.json", get(openapi::serve))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(fx)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(Extension(BodyReadTimeout(limits.body_read_timeout)))
        .layer(axum::middleware::from_fn(metrics::track))
}
