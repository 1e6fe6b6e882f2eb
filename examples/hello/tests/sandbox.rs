//! The handler test: the app over the deterministic sandbox, through `oneshot` (no TCP).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use effects::sandbox::{CacheFault, Sandbox, Schedule};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Sends a request with optional `content-type`; the reply's status and JSON body.
fn send_as(fx: &Sandbox, method: &str, uri: &str, content_type: Option<&str>, body: &str) -> (StatusCode, Value) {
    let app = example_hello::app(Arc::new(fx.clone()));
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let request = request.body(Body::from(body.to_owned())).unwrap();
    fx.run(async {
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        (status, serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
    })
}

fn send(fx: &Sandbox, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    send_as(fx, method, uri, Some("application/json"), body)
}

/// The status and `{"error":{"code","message"}}` of an error reply, checking that is all the error holds.
fn error(reply: (StatusCode, Value)) -> (StatusCode, String, String) {
    let (status, body) = reply;
    let error = body["error"].as_object().unwrap_or_else(|| panic!("no error object: {body}"));
    assert_eq!((body.as_object().map(|b| b.len()), error.len()), (Some(1), 2), "exactly the documented shape: {body}");
    let text = |field: &str| error[field].as_str().unwrap_or_else(|| panic!("no {field}: {body}")).to_owned();
    (status, text("code"), text("message"))
}

fn expect(status: StatusCode, code: &str, message: &str) -> (StatusCode, String, String) {
    (status, code.to_owned(), message.to_owned())
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
}

#[test]
fn a_json_body_is_read_whatever_its_content_type() {
    // As in the shop: the body is JSON by contract, so a missing or other content-type is not an error.
    let fx = Sandbox::new(2);
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded")] {
        let (status, created) = send_as(&fx, "POST", "/greetings", content_type, r#"{"text":"hi"}"#);
        assert_eq!((status, &created["text"]), (StatusCode::CREATED, &json!("hi")), "{content_type:?}");
    }
}

#[test]
fn bad_bodies_are_invalid_body_saying_what_was_expected() {
    let fx = Sandbox::new(3);
    let expected = "invalid body: expected a JSON object with the field text";
    for (body, problem) in [
        ("", "the body is empty".to_owned()),
        ("{", "the body is not valid JSON (EOF while parsing an object at line 1 column 1)".to_owned()),
        ("[]", "found an array".to_owned()),
        (r#""hello""#, "found a string".to_owned()),
        ("7", "found a number".to_owned()),
        ("null", "found null".to_owned()),
        (r#"{"txt":"hello"}"#, "missing field `text`".to_owned()),
        (r#"{"text":5}"#, "invalid type: integer `5`, expected a string".to_owned()),
    ] {
        let reply = error(send_as(&fx, "POST", "/greetings", None, body));
        assert_eq!(reply, expect(StatusCode::BAD_REQUEST, "invalid_body", &format!("{expected}: {problem}")), "{body}");
    }
    let big = format!(r#"{{"text":"{}"}}"#, "x".repeat(example_hello::BODY_LIMIT));
    assert_eq!(
        error(send(&fx, "POST", "/greetings", &big)),
        expect(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the body is larger than 65536 bytes")
    );
    assert!(!fx.trace().contains("upsert"), "nothing was stored: {}", fx.trace());
}

#[test]
fn bad_ids_unknown_routes_and_methods_answer_json_errors() {
    let fx = Sandbox::new(4);
    let typeid = "26 base32 characters (0-9 and a-z except i, l, o, u; the first one 0-7)";
    assert_eq!(
        error(send(&fx, "GET", "/greetings/cus_1", "")),
        expect(
            StatusCode::BAD_REQUEST,
            "invalid_id",
            &format!("invalid GreetingId \"cus_1\": expected grt_ followed by {typeid}, found the prefix cus_")
        )
    );
    assert_eq!(
        error(send(&fx, "GET", "/greetings/grt_nope", "")),
        expect(
            StatusCode::BAD_REQUEST,
            "invalid_id",
            &format!("invalid GreetingId \"grt_nope\": expected grt_ followed by {typeid}")
        )
    );
    assert_eq!(
        error(send(&fx, "GET", "/greetings/01h455vb4pex5vsknk084sn02q", "")),
        expect(
            StatusCode::BAD_REQUEST,
            "invalid_id",
            &format!(
                "invalid GreetingId \"01h455vb4pex5vsknk084sn02q\": expected grt_ followed by {typeid}, found no prefix"
            )
        )
    );
    assert_eq!(
        error(send(&fx, "GET", "/greetings/grt_01h455vb4pex5vsknk084sn02q", "")),
        expect(StatusCode::NOT_FOUND, "greeting_not_found", "no greeting grt_01h455vb4pex5vsknk084sn02q")
    );
    assert_eq!(error(send(&fx, "GET", "/nope", "")), expect(StatusCode::NOT_FOUND, "not_found", "no such route"));
    assert_eq!(
        error(send(&fx, "DELETE", "/greetings", "")),
        expect(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
    );
    assert_eq!(
        error(send(&fx, "POST", "/greetings/grt_01h455vb4pex5vsknk084sn02q", "{}")),
        expect(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
    );
}

#[test]
fn a_store_that_is_down_is_store_unavailable() {
    let fx = Sandbox::new(5);
    fx.faults().store(Schedule::Always);
    assert_eq!(
        error(send(&fx, "POST", "/greetings", r#"{"text":"hello"}"#)),
        expect(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "the store is unavailable; retry later")
    );
}

#[test]
fn healthz_reports_each_dependency() {
    let fx = Sandbox::new(6);
    let ok = json!({"status": "ok", "checks": {"store": {"status": "ok"}, "cache": {"status": "ok"}}});
    assert_eq!(send(&fx, "GET", "/healthz", ""), (StatusCode::OK, ok.clone()));

    // The cache down: degraded, but requests are still served (from the store), so 200.
    fx.faults().cache(CacheFault::Down, Schedule::Always);
    let cache_down = json!({"status": "degraded", "checks": {"store": {"status": "ok"},
        "cache": {"status": "down", "reason": "cache unavailable: sandbox fault: cache down"}}});
    assert_eq!(send(&fx, "GET", "/healthz", ""), (StatusCode::OK, cache_down));

    // A cache that times out.
    fx.faults().cache(CacheFault::Timeout(std::time::Duration::from_secs(1)), Schedule::Always);
    let cache_silent = json!({"status": "degraded", "checks": {"store": {"status": "ok"},
        "cache": {"status": "down", "reason": "cache timed out: sandbox fault: no reply in 1s"}}});
    assert_eq!(send(&fx, "GET", "/healthz", ""), (StatusCode::OK, cache_silent));

    // The store down: nothing can be served, so 503.
    fx.faults().clear();
    fx.faults().store(Schedule::Always);
    let store_down = json!({"status": "degraded", "checks": {
        "store": {"status": "down", "reason": "store unavailable: sandbox fault: store unavailable"},
        "cache": {"status": "ok"}}});
    assert_eq!(send(&fx, "GET", "/healthz", ""), (StatusCode::SERVICE_UNAVAILABLE, store_down));

    fx.faults().clear();
    assert_eq!(send(&fx, "GET", "/healthz", ""), (StatusCode::OK, ok));
}
