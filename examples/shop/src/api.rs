//! The HTTP handlers: extract, call the effects-generic handler, map the result. Each is documented for OpenAPI.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use effects::{Effects, health};
use example_shop_handlers::{
    Customer, CustomerId, ErrorBody, NewCustomer, NewProduct, NewPurchase, Product, ProductId, PurchaseId,
    PurchasePage, Receipt, handlers,
};
use serde::Deserialize;

use crate::error::{ApiError, JsonBody, PathIds, QueryIds};

fn created<T: serde::Serialize>(location: String, value: T) -> Response {
    let mut response = (StatusCode::CREATED, Json(value)).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Creates a customer with a starting balance.
#[utoipa::path(post, path = "/customers", tag = "customers", request_body = NewCustomer,
    responses(
        (status = 201, description = "The new customer", body = Customer),
        (status = 400, description = "`invalid_body` (bad JSON, missing field, bad name) or `invalid_amount`", body = ErrorBody),
        (status = 408, description = "`request_timeout`: the body came too slowly", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`, or `store_busy` (concurrent writes kept the store busy through every retry)", body = ErrorBody),
    ))]
pub(crate) async fn create_customer<E: Effects>(
    State(fx): State<Arc<E>>,
    JsonBody(req): JsonBody<NewCustomer>,
) -> Result<Response, ApiError> {
    let customer = handlers::create_customer(&*fx, req).await?;
    Ok(created(format!("/customers/{}", customer.id), customer))
}

/// A customer and their balance.
#[utoipa::path(get, path = "/customers/{id}", tag = "customers",
    params(("id" = CustomerId, Path, description = "The customer, `cus_...`")),
    responses(
        (status = 200, description = "The customer", body = Customer),
        (status = 400, description = "`invalid_id`", body = ErrorBody),
        (status = 404, description = "`customer_not_found`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
    ))]
pub(crate) async fn get_customer<E: Effects>(
    State(fx): State<Arc<E>>,
    PathIds(id): PathIds<CustomerId>,
) -> Result<Json<Customer>, ApiError> {
    Ok(Json(handlers::get_customer(&*fx, id).await?))
}

/// Creates a product.
#[utoipa::path(post, path = "/products", tag = "products", request_body = NewProduct,
    responses(
        (status = 201, description = "The new product", body = Product),
        (status = 400, description = "`invalid_body` (bad JSON, missing field, bad name) or `invalid_amount`", body = ErrorBody),
        (status = 408, description = "`request_timeout`: the body came too slowly", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`, or `store_busy` (concurrent writes kept the store busy through every retry)", body = ErrorBody),
    ))]
pub(crate) async fn create_product<E: Effects>(
    State(fx): State<Arc<E>>,
    JsonBody(req): JsonBody<NewProduct>,
) -> Result<Response, ApiError> {
    let product = handlers::create_product(&*fx, req).await?;
    Ok(created(format!("/products/{}", product.id), product))
}

/// A product; served from the cache.
#[utoipa::path(get, path = "/products/{id}", tag = "products",
    params(("id" = ProductId, Path, description = "The product, `prd_...`")),
    responses(
        (status = 200, description = "The product", body = Product),
        (status = 400, description = "`invalid_id`", body = ErrorBody),
        (status = 404, description = "`product_not_found`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
    ))]
pub(crate) async fn get_product<E: Effects>(
    State(fx): State<Arc<E>>,
    PathIds(id): PathIds<ProductId>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(handlers::get_product(&*fx, id).await?))
}

/// Buys a product: debits its price and writes a receipt, atomically.
#[utoipa::path(post, path = "/customers/{id}/purchases", tag = "purchases", request_body = NewPurchase,
    params(("id" = CustomerId, Path, description = "The buyer, `cus_...`")),
    responses(
        (status = 201, description = "The receipt", body = Receipt),
        (status = 400, description = "`invalid_id` (path or `product_id`) or `invalid_body`", body = ErrorBody),
        (status = 402, description = "`insufficient_credits`", body = ErrorBody),
        (status = 404, description = "`customer_not_found` or `product_not_found`", body = ErrorBody),
        (status = 408, description = "`request_timeout`: the body came too slowly", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`, or `store_busy` (concurrent writes kept the store busy through every retry)", body = ErrorBody),
    ))]
pub(crate) async fn purchase<E: Effects>(
    State(fx): State<Arc<E>>,
    PathIds(id): PathIds<CustomerId>,
    JsonBody(req): JsonBody<NewPurchase>,
) -> Result<Response, ApiError> {
    let receipt = handlers::purchase(&*fx, id, req).await?;
    Ok(created(format!("/customers/{id}/purchases"), receipt))
}

/// `?after=` for [`list_purchases`].
#[derive(Debug, Deserialize)]
pub(crate) struct Page {
    after: Option<PurchaseId>,
}

/// A customer's receipts, oldest first, 100 a page.
#[utoipa::path(get, path = "/customers/{id}/purchases", tag = "purchases",
    params(
        ("id" = CustomerId, Path, description = "The customer, `cus_...`"),
        ("after" = Option<PurchaseId>, Query, description = "`next_after` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page of receipts", body = PurchasePage),
        (status = 400, description = "`invalid_id` (path or `after`)", body = ErrorBody),
        (status = 404, description = "`customer_not_found`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
    ))]
pub(crate) async fn list_purchases<E: Effects>(
    State(fx): State<Arc<E>>,
    PathIds(id): PathIds<CustomerId>,
    QueryIds(page): QueryIds<Page>,
) -> Result<Json<PurchasePage>, ApiError> {
    Ok(Json(handlers::list_purchases(&*fx, id, page.after).await?))
}

/// The health of each dependency: the store reads a record, the cache (memcached, when configured) gets a key,
/// each within [`health::DEFAULT_TIMEOUT`]. `status` is `ok` when both answer and `degraded` when either does not;
/// a check that is `down` gives its `reason`. 200 while requests can be served (the store answers: a cache that is
/// down only costs store reads), 503 when the store is down, so a load balancer stops sending requests only when
/// they would fail.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses(
        (status = 200, description = "The store answers; `degraded` if the cache does not", body = Object,
            example = json!({"status": "degraded", "checks": {"store": {"status": "ok"},
                "cache": {"status": "down", "reason":
                "cache unavailable: cannot connect to 127.0.0.1:11211: Connection refused (os error 111)"}}})),
        (status = 503, description = "The store does not answer", body = Object,
            example = json!({"status": "degraded", "checks": {"store": {"status": "down",
                "reason": "store unavailable: error returned from database: (code: 26) file is not a database"},
                "cache": {"status": "ok"}}})),
    ))]
pub(crate) async fn healthz<E: Effects>(State(fx): State<Arc<E>>) -> Response {
    let health = health::check(&*fx, health::DEFAULT_TIMEOUT).await;
    let status = if health.serving() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(health)).into_response()
}
