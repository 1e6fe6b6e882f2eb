//! HTTP extraction: a bad ID is a JSON 400 with code `invalid_id`, tested through
//! `Router::oneshot` without a socket.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use serde_json::Value;
use tower::ServiceExt as _;
use typed_ids::axum::{IdPath, IdQuery};

use crate::ids::*;

#[derive(serde::Deserialize)]
struct Filter {
    customer: Option<CustomerId>,
    order: Option<OrderId>,
    limit: Option<u32>,
}

#[derive(serde::Deserialize)]
struct Required {
    customer: CustomerId,
}

fn app() -> Router {
    Router::new()
        .route("/customers/{id}", get(|IdPath(id): IdPath<CustomerId>| async move { format!("customer {}", id.get()) }))
        .route(
            "/customers/{customer}/orders/{order}",
            get(|IdPath((c, o)): IdPath<(CustomerId, OrderId)>| async move { format!("{c} {o}") }),
        )
        .route(
            "/seats/{seat}/{name}",
            get(|IdPath((seat, name)): IdPath<(SeatId, String)>| async move { format!("{seat} {name}") }),
        )
        .route(
            "/search",
            get(|IdQuery(f): IdQuery<Filter>| async move {
                format!("{:?} {:?} {:?}", f.customer.map(|c| c.get()), f.order.is_some(), f.limit)
            }),
        )
        .route("/required", get(|IdQuery(r): IdQuery<Required>| async move { r.customer.to_string() }))
        .route(
            // A route whose parameters don't fit the extractor: a bug, not a bad request.
            "/mismatch/{a}/{b}",
            get(|IdPath(id): IdPath<CustomerId>| async move { id.to_string() }),
        )
        .route(
            "/header",
            get(|headers: axum::http::HeaderMap| async move {
                let raw = headers.get("x-customer").and_then(|v| v.to_str().ok()).unwrap_or("");
                raw.parse::<CustomerId>().map(|id| id.to_string())
            }),
        )
}

async fn call(uri: &str) -> (StatusCode, String) {
    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let response = app().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Calls `uri`, expects a JSON error with `status`, returns the `error` object.
async fn error_body(uri: &str, status: StatusCode) -> Value {
    let (got, body) = call(uri).await;
    assert_eq!(got, status, "{uri}: {body}");
    let json: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{uri}: {e}: {body}"));
    json["error"].clone()
}

#[tokio::test]
async fn good_ids_reach_the_handler() {
    assert_eq!(call("/customers/cus_42").await, (StatusCode::OK, "customer 42".to_owned()));
    let order = OrderId::new(SPEC_UUID);
    assert_eq!(call(&format!("/customers/cus_1/orders/{order}")).await, (StatusCode::OK, format!("cus_1 {order}")));
    assert_eq!(call("/seats/12/aisle").await, (StatusCode::OK, "12 aisle".to_owned()));
    assert_eq!(
        call(&format!("/search?customer=cus_7&order={order}&limit=3")).await,
        (StatusCode::OK, "Some(7) true Some(3)".to_owned())
    );
    assert_eq!(call("/search").await, (StatusCode::OK, "None false None".to_owned()));
}

#[tokio::test]
async fn a_product_id_in_a_customer_url_is_invalid_id() {
    let error = error_body("/customers/prd_42", StatusCode::BAD_REQUEST).await;
    assert_eq!(error["code"], "invalid_id");
    assert_eq!(error["reason"], "wrong_prefix");
    assert_eq!(error["id_type"], "CustomerId");
    assert_eq!(error["param"], "id");
    assert_eq!(
        error["message"],
        "invalid CustomerId \"prd_42\": expected cus_ followed by a whole number from 0 to 18446744073709551615, \
         found the prefix prd_"
    );
}

#[tokio::test]
async fn each_reason_is_named() {
    let cases = [
        ("/customers/cus_18446744073709551616", "overflow"),
        ("/customers/cus_12abc", "invalid_digit"),
        ("/customers/cus_", "empty"),
        ("/customers/42", "wrong_prefix"),
        ("/customers/%F0%9F%92%A5", "wrong_prefix"),
        ("/customers/cus_1/orders/ord_notauuid", "invalid_uuid"),
        ("/customers/cus_1/orders/cus_01h455vb4pex5vsknk084sn02q", "wrong_prefix"),
        ("/seats/4294967296/aisle", "overflow"),
        ("/seats/-1/aisle", "invalid_digit"),
    ];
    for (uri, reason) in cases {
        let error = error_body(uri, StatusCode::BAD_REQUEST).await;
        assert_eq!(error["code"], "invalid_id", "{uri}");
        assert_eq!(error["reason"], reason, "{uri}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(error["id_type"].as_str().unwrap()), "{uri}: {message}");
    }
}

#[tokio::test]
async fn the_second_param_is_blamed() {
    let error = error_body("/customers/cus_1/orders/ord_x", StatusCode::BAD_REQUEST).await;
    assert_eq!(error["id_type"], "OrderId");
    assert_eq!(error["param"], "order");
}

#[tokio::test]
async fn bad_ids_in_the_query_are_invalid_id() {
    let error = error_body("/search?customer=prd_7", StatusCode::BAD_REQUEST).await;
    assert_eq!(error["code"], "invalid_id");
    assert_eq!(error["reason"], "wrong_prefix");
    assert_eq!(error["id_type"], "CustomerId");

    let error = error_body("/search?customer=cus_99999999999999999999", StatusCode::BAD_REQUEST).await;
    assert_eq!(error["reason"], "overflow");

    let error = error_body("/search?order=ord_", StatusCode::BAD_REQUEST).await;
    assert_eq!(error["reason"], "empty");
    assert_eq!(error["id_type"], "OrderId");

    let error = error_body("/search?order=ord_0000", StatusCode::BAD_REQUEST).await;
    assert_eq!(error["reason"], "invalid_uuid");
}

#[tokio::test]
async fn other_query_failures_are_invalid_query() {
    let error = error_body("/search?limit=many", StatusCode::BAD_REQUEST).await;
    assert_eq!(error["code"], "invalid_query");
    assert!(error.get("reason").is_none());

    let error = error_body("/required", StatusCode::BAD_REQUEST).await;
    assert_eq!(error["code"], "invalid_query");
}

#[tokio::test]
async fn a_route_that_does_not_fit_is_internal_error() {
    let error = error_body("/mismatch/cus_1/cus_2", StatusCode::INTERNAL_SERVER_ERROR).await;
    assert_eq!(error["code"], "internal_error");
}

#[tokio::test]
async fn handlers_can_return_the_error_itself() {
    let request = Request::builder().uri("/header").header("x-customer", "prd_1").body(Body::empty()).unwrap();
    let response = app().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    let json: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["error"]["code"], "invalid_id");
    assert_eq!(json["error"]["reason"], "wrong_prefix");
}
