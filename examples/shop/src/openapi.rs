//! The OpenAPI 3 document, generated from the handlers' annotations and the types' schemas.

use axum::Json;
use example_shop_handlers::{
    Customer, CustomerId, ErrorBody, ErrorCode, ErrorDetail, NewCustomer, NewProduct, NewPurchase, Product, ProductId,
    PurchaseId, PurchasePage, Receipt,
};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "memkit example shop",
        description = "A virtual-goods shop: customers with credits, products, purchases. \
        Every error is `{\"error\":{\"code\":\"...\",\"message\":\"...\"}}`; act on `code`. Unknown routes answer 404 \
        `not_found`, other methods 405 `method_not_allowed`. A body that does not arrive within the server's body \
        read timeout (30 s by default) answers 408 `request_timeout`; headers that do not arrive within the header \
        read timeout (10 s) close the connection."
    ),
    paths(
        crate::api::create_customer,
        crate::api::get_customer,
        crate::api::create_product,
        crate::api::get_product,
        crate::api::purchase,
        crate::api::list_purchases,
        crate::api::healthz,
        crate::metrics::render,
        serve,
    ),
    components(schemas(
        Customer,
        Product,
        Receipt,
        PurchasePage,
        NewCustomer,
        NewProduct,
        NewPurchase,
        ErrorBody,
        ErrorDetail,
        ErrorCode,
        CustomerId,
        ProductId,
        PurchaseId
    ))
)]
struct Doc;

/// The OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json", body = Object)))]
pub(crate) async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
