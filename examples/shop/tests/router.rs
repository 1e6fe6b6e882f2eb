//! Router tests: the whole HTTP mapping, driven with `oneshot` (no TCP) over the deterministic sandbox.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request, StatusCode, header};
use effects::sandbox::{CacheFault, Sandbox, Schedule};
use effects::{Clock, Effects};
use futures_util::StreamExt;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    location: Option<String>,
    /// The `connection` header.
    connection: Option<String>,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The error code, checking the body has exactly the documented shape.
    fn code(&self) -> String {
        let body = self.json();
        let error = body["error"].as_object().unwrap_or_else(|| panic!("no error object: {}", self.text));
        assert!(error["message"].is_string(), "{}", self.text);
        error["code"].as_str().unwrap_or_else(|| panic!("no code: {}", self.text)).to_owned()
    }
}

struct Shop {
    fx: Sandbox,
    app: Router,
}

impl Shop {
    fn new() -> Self {
        let fx = Sandbox::new(11);
        let app = example_shop::app(Arc::new(fx.clone()));
        Self { fx, app }
    }

    fn send(&self, request: Request<Body>) -> Reply {
        self.fx.run(async {
            let response = self.app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let header_text = |name| response.headers().get(name).map(|v: &HeaderValue| v.to_str().unwrap().to_owned());
            let (location, connection) = (header_text(header::LOCATION), header_text(header::CONNECTION));
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            Reply { status, location, connection, text: String::from_utf8(bytes.to_vec()).unwrap() }
        })
    }

    fn call(&self, method: &str, uri: &str, body: &str) -> Reply {
        self.send(Request::builder().method(method).uri(uri).body(Body::from(body.to_owned())).unwrap())
    }

    fn get(&self, uri: &str) -> Reply {
        self.call("GET", uri, "")
    }

    fn post(&self, uri: &str, body: Value) -> Reply {
        self.call("POST", uri, &body.to_string())
    }
}

#[test]
fn customers_are_created_and_read() {
    let shop = Shop::new();
    let created = shop.post("/customers", json!({"name": "alice", "credits": 10}));
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json(), json!({"id": "cus_1", "name": "alice", "credits": 10}));
    assert_eq!(created.location.as_deref(), Some("/customers/cus_1"));
    let read = shop.get("/customers/cus_1");
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json(), created.json());
}

#[test]
fn products_are_created_and_read() {
    let shop = Shop::new();
    let created = shop.post("/products", json!({"name": "sword", "price": 3}));
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json(), json!({"id": "prd_1", "name": "sword", "price": 3}));
    let read = shop.get("/products/prd_1");
    assert_eq!((read.status, read.json()), (StatusCode::OK, created.json()));
    assert_eq!(shop.fx.events().counter_with("shop_cache_reads_total", "result", "hit"), 1);
}

#[test]
fn a_purchase_returns_a_receipt_and_lists_it() {
    let shop = Shop::new();
    shop.post("/customers", json!({"name": "alice", "credits": 10}));
    shop.post("/products", json!({"name": "sword", "price": 4}));
    let bought = shop.post("/customers/cus_1/purchases", json!({"product_id": "prd_1"}));
    assert_eq!(bought.status, StatusCode::CREATED, "{}", bought.text);
    let receipt = bought.json();
    assert_eq!(receipt["customer_id"], "cus_1");
    assert_eq!(receipt["product_id"], "prd_1");
    assert_eq!(receipt["balance_after"], 6);
    assert!(receipt["id"].as_str().unwrap().starts_with("pur_"));
    let list = shop.get("/customers/cus_1/purchases");
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json(), json!({"purchases": [receipt], "next_after": null}));
    let next = shop.get(&format!("/customers/cus_1/purchases?after={}", receipt["id"].as_str().unwrap()));
    assert_eq!(next.json(), json!({"purchases": [], "next_after": null}));
    assert_eq!(shop.get("/customers/cus_1").json()["credits"], 6);
}

#[test]
fn sad_purchases_answer_with_their_codes() {
    let shop = Shop::new();
    shop.post("/customers", json!({"name": "alice", "credits": 1}));
    shop.post("/products", json!({"name": "sword", "price": 4}));
    let poor = shop.post("/customers/cus_1/purchases", json!({"product_id": "prd_1"}));
    assert_eq!((poor.status, poor.code()), (StatusCode::PAYMENT_REQUIRED, "insufficient_credits".into()));
    let nobody = shop.post("/customers/cus_9/purchases", json!({"product_id": "prd_1"}));
    assert_eq!((nobody.status, nobody.code()), (StatusCode::NOT_FOUND, "customer_not_found".into()));
    let nothing = shop.post("/customers/cus_1/purchases", json!({"product_id": "prd_9"}));
    assert_eq!((nothing.status, nothing.code()), (StatusCode::NOT_FOUND, "product_not_found".into()));
    let swapped = shop.post("/customers/cus_1/purchases", json!({"product_id": "cus_1"}));
    assert_eq!((swapped.status, swapped.code()), (StatusCode::BAD_REQUEST, "invalid_id".into()));
    let missing = shop.post("/customers/cus_1/purchases", json!({}));
    assert_eq!((missing.status, missing.code()), (StatusCode::BAD_REQUEST, "invalid_body".into()));
    assert_eq!(shop.get("/customers/cus_9/purchases").code(), "customer_not_found");
}

#[test]
fn unknown_resources_are_not_found_by_their_code() {
    let shop = Shop::new();
    assert_eq!(shop.get("/customers/cus_1").code(), "customer_not_found");
    let product = shop.get("/products/prd_1");
    assert_eq!((product.status, product.code()), (StatusCode::NOT_FOUND, "product_not_found".into()));
}

#[test]
fn malformed_and_wrong_type_ids_are_invalid_id() {
    let shop = Shop::new();
    for uri in [
        "/customers/prd_1",
        "/customers/cus_",
        "/customers/cus_x",
        "/customers/1",
        "/customers/cus_18446744073709551616",
        "/customers/%FF",
        "/customers/cus_-1",
        "/products/cus_1",
        "/customers/prd_1/purchases",
        "/customers/cus_1/purchases?after=prd_1",
        "/customers/cus_1/purchases?after=pur_",
    ] {
        let reply = shop.get(uri);
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_id".into()), "{uri}");
    }
    let reply = shop.post("/customers/prd_1/purchases", json!({"product_id": "prd_1"}));
    assert_eq!(reply.code(), "invalid_id");
}

#[test]
fn bad_bodies_are_invalid_body_and_bad_amounts_invalid_amount() {
    let shop = Shop::new();
    for (uri, body, code) in [
        ("/customers", "", "invalid_body"),
        ("/customers", "{", "invalid_body"),
        ("/customers", "[]", "invalid_body"),
        ("/customers", r#"{"name":"a"}"#, "invalid_body"),
        ("/customers", r#"{"credits":1}"#, "invalid_body"),
        ("/customers", r#"{"name":"","credits":1}"#, "invalid_body"),
        ("/customers", r#"{"name":7,"credits":1}"#, "invalid_body"),
        ("/customers", r#"{"name":"a","credits":"1"}"#, "invalid_body"),
        ("/customers", r#"{"name":"a","credits":-1}"#, "invalid_amount"),
        ("/customers", r#"{"name":"a","credits":0.5}"#, "invalid_amount"),
        ("/customers", r#"{"name":"a","credits":18446744073709551616}"#, "invalid_amount"),
        ("/customers", r#"{"name":"a","credits":1e999}"#, "invalid_amount"),
        ("/products", r#"{"name":"a","price":-3}"#, "invalid_amount"),
        ("/products", r#"{"name":"a","price":9007199254740992}"#, "invalid_amount"),
        ("/products", "\u{0}\u{1}", "invalid_body"),
    ] {
        let reply = shop.call("POST", uri, body);
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, code.to_owned()), "{uri} {body}");
    }
    // Nothing above was stored.
    assert_eq!(shop.post("/customers", json!({"name": "a", "credits": 0})).json()["id"], "cus_1");
}

#[test]
fn body_errors_say_what_the_body_should_look_like() {
    let shop = Shop::new();
    let customer = "invalid body: expected a JSON object with fields name, credits";
    let purchase = "invalid body: expected a JSON object with the field product_id";
    for (uri, body, message) in [
        ("/customers", "", format!("{customer}: the body is empty")),
        ("/customers", " \n", format!("{customer}: the body is empty")),
        (
            "/customers",
            "{",
            format!("{customer}: the body is not valid JSON (EOF while parsing an object at line 1 column 1)"),
        ),
        ("/customers", "[]", format!("{customer}: found an array")),
        // serde would take the fields in order from an array; the API takes an object.
        ("/customers", r#"["a",1]"#, format!("{customer}: found an array")),
        ("/customers", r#""alice""#, format!("{customer}: found a string")),
        ("/customers", "true", format!("{customer}: found a boolean")),
        ("/customers", "null", format!("{customer}: found null")),
        ("/customers", "12", format!("{customer}: found a number")),
        (
            "/customers",
            "[",
            format!("{customer}: the body is not valid JSON (EOF while parsing a list at line 1 column 1)"),
        ),
        ("/customers", r#"{"name":"a"}"#, format!("{customer}: missing field `credits` at line 1 column 12")),
        (
            "/customers",
            r#"{"name":7,"credits":1}"#,
            format!("{customer}: invalid type: integer `7`, expected a string at line 1 column 9"),
        ),
        (
            "/customers",
            r#"{"name":"a","credits":"1"}"#,
            format!("{customer}: invalid type: string \"1\", expected a whole number of credits at line 1 column 25"),
        ),
        ("/customers/cus_1/purchases", "[]", format!("{purchase}: found an array")),
        ("/customers/cus_1/purchases", "{}", format!("{purchase}: missing field `product_id` at line 1 column 2")),
    ] {
        let reply = shop.call("POST", uri, body);
        assert_eq!(reply.code(), "invalid_body", "{uri} {body}");
        assert_eq!(reply.json()["error"]["message"], message, "{uri} {body}");
    }
}

#[test]
fn id_errors_say_what_the_id_should_look_like() {
    let shop = Shop::new();
    shop.post("/customers", json!({"name": "alice", "credits": 10}));
    let number = "a whole number from 0 to 18446744073709551615";
    let typeid = "26 base32 characters (0-9 and a-z except i, l, o, u; the first one 0-7)";
    for (uri, message) in [
        (
            "/customers/prd_1",
            format!("invalid CustomerId \"prd_1\": expected cus_ followed by {number}, found the prefix prd_"),
        ),
        ("/customers/1", format!("invalid CustomerId \"1\": expected cus_ followed by {number}, found no prefix")),
        (
            "/customers/cus_",
            format!("invalid CustomerId \"cus_\": expected cus_ followed by {number}, found nothing after the prefix"),
        ),
        (
            "/customers/cus_x1",
            format!(
                "invalid CustomerId \"cus_x1\": expected cus_ followed by {number}, found a character that is not a digit"
            ),
        ),
        (
            "/customers/cus_18446744073709551616",
            format!(
                "invalid CustomerId \"cus_18446744073709551616\": expected cus_ followed by {number}, found a number out of that range"
            ),
        ),
        (
            "/customers/cus_1/purchases?after=pur_x",
            format!("invalid PurchaseId \"pur_x\": expected pur_ followed by {typeid}"),
        ),
        (
            "/customers/cus_1/purchases?after=01h455vb4pex5vsknk084sn02q",
            format!(
                "invalid PurchaseId \"01h455vb4pex5vsknk084sn02q\": expected pur_ followed by {typeid}, found no prefix"
            ),
        ),
    ] {
        let reply = shop.get(uri);
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_id".into()), "{uri}");
        assert_eq!(reply.json()["error"]["message"], message, "{uri}");
    }
    // In a body too.
    let reply = shop.post("/customers/cus_1/purchases", json!({"product_id": "cus_1"}));
    assert_eq!(reply.code(), "invalid_id");
    assert_eq!(
        reply.json()["error"]["message"],
        format!("invalid ProductId \"cus_1\": expected prd_ followed by {number}, found the prefix cus_")
    );
}

#[test]
fn oversized_bodies_are_payload_too_large() {
    let shop = Shop::new();
    let name = "x".repeat(example_shop::BODY_LIMIT);
    let reply = shop.post("/customers", json!({"name": name, "credits": 1}));
    assert_eq!((reply.status, reply.code()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into()));
}

#[test]
fn a_declared_length_past_the_limit_is_refused_before_the_body_is_read() {
    // The client declares 10 GB and sends one byte: the answer comes at once (no clock advance), not after the
    // body read timeout, and the connection is to be closed rather than read on.
    let fx = Sandbox::new(12);
    let shop = Shop { app: example_shop::app(Arc::new(fx.clone())), fx };
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"{"))])
        .chain(futures_util::stream::pending());
    let request = Request::post("/customers")
        .header(header::CONTENT_LENGTH, "10000000000")
        .body(Body::from_stream(chunks))
        .unwrap();
    let started = shop.fx.clock().now();
    let reply = shop.send(request);
    assert_eq!((reply.status, reply.code()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into()));
    assert_eq!(reply.connection.as_deref(), Some("close"));
    let waited = shop.fx.clock().now().saturating_since(started);
    assert_eq!(waited, Duration::ZERO, "answered without waiting for the body");
}

#[test]
fn a_body_that_stalls_is_request_timeout_after_the_body_read_timeout() {
    // Half a JSON body, then nothing: the sandbox clock jumps to the deadline once everything waits, so this takes
    // no real time and cannot flake.
    let fx = Sandbox::new(11);
    let limits = example_shop::serve::Limits { body_read_timeout: Duration::from_secs(5), ..Default::default() };
    let shop = Shop { app: example_shop::app_with(Arc::new(fx.clone()), limits), fx };
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(br#"{"name":"#))])
        .chain(futures_util::stream::pending());
    let request = Request::post("/customers").body(Body::from_stream(chunks)).unwrap();
    let started = shop.fx.clock().now();
    let reply = shop.send(request);
    assert_eq!((reply.status, reply.code()), (StatusCode::REQUEST_TIMEOUT, "request_timeout".into()));
    assert_eq!(reply.connection.as_deref(), Some("close"), "a stalled body closes the connection");
    assert_eq!(shop.fx.clock().now().saturating_since(started), Duration::from_secs(5));
    // Nothing was created from the half body.
    assert_eq!(shop.get("/customers/cus_1").code(), "customer_not_found");
}

#[test]
fn unknown_routes_and_methods_answer_json() {
    let shop = Shop::new();
    let reply = shop.get("/nope");
    assert_eq!((reply.status, reply.code()), (StatusCode::NOT_FOUND, "not_found".into()));
    let reply = shop.call("DELETE", "/customers/cus_1", "");
    assert_eq!((reply.status, reply.code()), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed".into()));
    let reply = shop.call("PUT", "/products", "{}");
    assert_eq!(reply.code(), "method_not_allowed");
}

#[test]
fn a_cache_that_is_down_still_serves_from_the_store() {
    let shop = Shop::new();
    shop.post("/products", json!({"name": "sword", "price": 3}));
    shop.fx.faults().cache(CacheFault::Down, Schedule::Always);
    let reply = shop.get("/products/prd_1");
    assert_eq!((reply.status, reply.json()["name"].as_str()), (StatusCode::OK, Some("sword")));
}

#[test]
fn a_store_that_is_down_is_store_unavailable() {
    let shop = Shop::new();
    shop.fx.faults().store(Schedule::Always);
    let reply = shop.post("/customers", json!({"name": "a", "credits": 1}));
    assert_eq!((reply.status, reply.code()), (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable".into()));
}

#[test]
fn fifty_concurrent_purchases_give_exactly_ten_receipts() {
    let shop = Shop::new();
    shop.post("/customers", json!({"name": "alice", "credits": 10}));
    shop.post("/products", json!({"name": "gem", "price": 1}));
    let statuses = shop.fx.run(futures_util::future::join_all((0..50).map(|_| {
        let request =
            Request::post("/customers/cus_1/purchases").body(Body::from(r#"{"product_id":"prd_1"}"#)).unwrap();
        let app = shop.app.clone();
        async move { app.oneshot(request).await.unwrap().status() }
    })));
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 10);
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::PAYMENT_REQUIRED).count(), 40);
    assert_eq!(shop.get("/customers/cus_1").json()["credits"], 0);
    assert_eq!(shop.get("/customers/cus_1/purchases").json()["purchases"].as_array().unwrap().len(), 10);
}

#[test]
fn healthz_reports_each_dependency() {
    let shop = Shop::new();
    let ok = json!({"status": "ok", "checks": {"store": {"status": "ok"}, "cache": {"status": "ok"}}});
    let reply = shop.get("/healthz");
    assert_eq!((reply.status, reply.json()), (StatusCode::OK, ok.clone()));

    // The cache down: degraded, but every request is still answered (from the store), so 200.
    shop.fx.faults().cache(CacheFault::Down, Schedule::Always);
    let reply = shop.get("/healthz");
    let cache_down = json!({"status": "degraded", "checks": {"store": {"status": "ok"},
        "cache": {"status": "down", "reason": "cache unavailable: sandbox fault: cache down"}}});
    assert_eq!((reply.status, reply.json()), (StatusCode::OK, cache_down));

    // A cache that times out.
    shop.fx.faults().cache(CacheFault::Timeout(Duration::from_secs(1)), Schedule::Always);
    let reply = shop.get("/healthz");
    let reason = "cache timed out: sandbox fault: no reply in 1s";
    assert_eq!(reply.json()["checks"]["cache"], json!({"status": "down", "reason": reason}));

    // The store down: requests would fail, so 503.
    shop.fx.faults().clear();
    shop.fx.faults().store(Schedule::Always);
    let reply = shop.get("/healthz");
    let store_down = json!({"status": "degraded", "checks": {
        "store": {"status": "down", "reason": "store unavailable: sandbox fault: store unavailable"},
        "cache": {"status": "ok"}}});
    assert_eq!((reply.status, reply.json()), (StatusCode::SERVICE_UNAVAILABLE, store_down));

    shop.fx.faults().clear();
    assert_eq!(shop.get("/healthz").json(), ok);
}

#[test]
fn metrics_are_prometheus_text() {
    let shop = Shop::new();
    example_shop::install_prometheus().expect("no other recorder in this test binary");
    shop.get("/healthz");
    let reply = shop.get("/metrics");
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text.contains("# TYPE http_requests_total counter"), "{}", reply.text);
    assert!(
        reply.text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("http_request_duration_seconds_bucket"), "{}", reply.text);
}

#[test]
fn openapi_describes_every_endpoint_and_error_code() {
    let reply = Shop::new().get("/openapi.json");
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/customers", "post"),
        ("/customers/{id}", "get"),
        ("/products", "post"),
        ("/products/{id}", "get"),
        ("/customers/{id}/purchases", "post"),
        ("/customers/{id}/purchases", "get"),
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} missing");
    }
    assert_eq!(
        paths["/customers/{id}/purchases"]["post"]["responses"]["402"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    let codes = doc["components"]["schemas"]["ErrorCode"]["enum"].as_array().unwrap();
    for code in [
        "invalid_id",
        "invalid_body",
        "invalid_amount",
        "insufficient_credits",
        "customer_not_found",
        "product_not_found",
        "request_timeout",
        "payload_too_large",
    ] {
        assert!(codes.contains(&json!(code)), "{code} missing from ErrorCode");
    }
}
