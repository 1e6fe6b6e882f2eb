//! The end-to-end tests: the real binary with a real memcached, over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use memkit_testkit::Memcached;
use serde_json::{Value, json};

/// Bounds the polls for recovery after a restart: each is an HTTP request on a fresh connection.
const RECOVERY_POLLS: usize = 100_000;

/// The binary, killed on drop if a test fails before stopping it.
struct Hello {
    child: Child,
    addr: String,
}

impl Hello {
    fn start(memcached: &Memcached) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_example-hello"))
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("MEMCACHED_SERVERS", memcached.addr())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Ready once it prints its address (EOF instead if it died).
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening on http://").expect("address line").to_owned();
        Self { child, addr }
    }

    /// The raw response.
    fn http(&self, request: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    /// The status and JSON body of `GET path`.
    fn get(&self, path: &str) -> (u16, Value) {
        let response = self.http(&format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no header end: {response}"));
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{head}"));
        (status, serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")))
    }

    /// SIGTERM; whether it exited 0.
    fn terminate(mut self) -> bool {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        self.child.wait().unwrap().success()
    }
}

impl Drop for Hello {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_binary_serves_greetings_through_memcached() {
    let memcached = Memcached::start();
    let hello = Hello::start(&memcached);

    // No content-type: JSON anyway, as in the shop.
    let body = r#"{"text":"hello"}"#;
    let created = hello.http(&format!(
        "POST /greetings HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    let id = created.split("\"id\":\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
    let hits = memcached.stat("get_hits");
    assert_eq!(hello.get(&format!("/greetings/{id}")), (200, json!({"id": id, "text": "hello"})));
    assert_eq!(hello.get(&format!("/greetings/{id}")), (200, json!({"id": id, "text": "hello"})));
    assert!(memcached.stat("get_hits") > hits, "the second read came from memcached");

    let (status, body) = hello.get("/nope");
    assert_eq!((status, &body["error"]["code"]), (404, &json!("not_found")));
    assert!(hello.terminate(), "graceful shutdown exits 0");
}

#[test]
fn healthz_says_degraded_while_memcached_is_down() {
    let mut memcached = Memcached::start();
    let hello = Hello::start(&memcached);
    let ok = json!({"status": "ok", "checks": {"store": {"status": "ok"}, "cache": {"status": "ok"}}});
    assert_eq!(hello.get("/healthz"), (200, ok.clone()));

    memcached.kill();
    let (status, health) = hello.get("/healthz");
    assert_eq!(
        (status, &health["status"], &health["checks"]["store"]),
        (200, &json!("degraded"), &json!({"status": "ok"}))
    );
    let cache = &health["checks"]["cache"];
    assert_eq!(cache["status"], "down", "{health}");
    let reason = cache["reason"].as_str().unwrap_or_else(|| panic!("no reason: {health}"));
    assert!(reason.starts_with("cache unavailable: "), "{reason}");
    assert!(reason.contains(&memcached.addr()), "names the server: {reason}");

    // Back up: the client tries the server again after its retry interval (2 s). Poll the condition, no sleep:
    // every poll is a real HTTP round trip (a new connection), so the bound is tens of seconds on any machine.
    memcached.restart();
    let recovered = (0..RECOVERY_POLLS).any(|_| {
        std::thread::yield_now();
        hello.get("/healthz") == (200, ok.clone())
    });
    assert!(recovered, "still {:?}", hello.get("/healthz"));
    assert!(hello.terminate(), "graceful shutdown exits 0");
}
