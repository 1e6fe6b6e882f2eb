//! The handler test: the app over the deterministic sandbox, through `oneshot` (no TCP).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use effects::sandbox::Sandbox;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn send(fx: &Sandbox, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let app = example_hello::app(Arc::new(fx.clone()));
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    fx.run(async {
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    })
}

#[test]
fn a_greeting_is_created_then_read_from_the_cache() {
    let fx = Sandbox::new(1);
    let (status, created) = send(&fx, "POST", "/greetings", r#"{"text":"hello"}"#);
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/greetings/{}", created["id"].as_str().unwrap());
    assert_eq!(send(&fx, "GET", &path, ""), (StatusCode::OK, created.clone())); // miss: from the store
    assert_eq!(send(&fx, "GET", &path, ""), (StatusCode::OK, created)); // hit
    assert!(fx.trace().contains("get_or_compute") && fx.trace().contains("-> hit"), "{}", fx.trace());

    assert_eq!(send(&fx, "GET", "/greetings/cus_1", "").1["error"]["code"], "invalid_id");
    assert_eq!(
        send(&fx, "GET", "/greetings/grt_01h455vb4pex5vsknk084sn02q", "").1["error"]["code"],
        "greeting_not_found"
    );
    assert_eq!(send(&fx, "POST", "/greetings", "{").1["error"]["code"], "invalid_body");
}
