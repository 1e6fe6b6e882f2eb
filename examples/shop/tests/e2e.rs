//! End to end: the real binary, a real memcached (testkit) and SQLite in a file, driven over HTTP/1.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use memkit_testkit::Memcached;
use serde_json::{Value, json};

/// Bounds the polls for recovery after a restart: each is an HTTP request on a fresh connection.
const RECOVERY_POLLS: usize = 100_000;

/// The shop binary, killed on drop if a test fails before stopping it.
struct Shop {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Shop {
    fn start(memcached: &Memcached, dir: &Path) -> Self {
        Self::start_with(memcached, dir, &[])
    }

    fn start_with(memcached: &Memcached, dir: &Path, args: &[&str]) -> Self {
        let log = dir.join("shop.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_example-shop"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("MEMCACHED_SERVERS", memcached.addr())
            .env("DATABASE_URL", format!("sqlite://{}", dir.join("shop.db").display()))
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start example-shop");
        // The binary prints its bound address once it listens: reading that line is the readiness check (it
        // returns at EOF if the process dies instead).
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| {
            panic!("unexpected first line {line:?}; log: {}", std::fs::read_to_string(&log).unwrap_or_default())
        });
        Self { addr: addr.to_owned(), child, log }
    }

    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no header end: {response}"));
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{head}"));
        (status, body.to_owned())
    }

    /// A connection that fails a read after 60 s instead of hanging the test if the server never answers.
    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        stream
    }

    fn json(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let (status, text) = self.request(method, path, &body.to_string());
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
    }

    /// SIGTERM, then the exit status: graceful shutdown exits 0.
    fn terminate(mut self) -> (bool, String) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let exited = self.child.wait().unwrap().success();
        (exited, std::fs::read_to_string(&self.log).unwrap())
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `/healthz` with every dependency up.
const HEALTHY: &str = r#"{"status":"ok","checks":{"store":{"status":"ok"},"cache":{"status":"ok"}}}"#;

fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("example-shop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_binary_serves_the_shop_from_memcached_and_sqlite() {
    let memcached = Memcached::start();
    let dir = temp_dir("serve");
    let shop = Shop::start(&memcached, &dir);

    let (status, alice) = shop.json("POST", "/customers", json!({"name": "alice", "credits": 10}));
    assert_eq!((status, &alice["id"]), (201, &json!("cus_1")));
    let (status, gem) = shop.json("POST", "/products", json!({"name": "gem", "price": 1}));
    assert_eq!((status, &gem["id"]), (201, &json!("prd_1")));

    // Reads of the product come from memcached.
    let hits_before = memcached.stat("get_hits");
    for _ in 0..3 {
        assert_eq!(shop.json("GET", "/products/prd_1", Value::Null), (200, gem.clone()));
    }
    assert!(memcached.stat("get_hits") >= hits_before + 3, "product reads did not hit memcached");

    // A product ID where a customer ID belongs.
    let (status, body) = shop.json("GET", "/customers/prd_1", Value::Null);
    assert_eq!((status, &body["error"]["code"]), (400, &json!("invalid_id")));

    // 50 concurrent purchases of a price-1 product with 10 credits: exactly 10 succeed.
    let replies: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| s.spawn(|| shop.json("POST", "/customers/cus_1/purchases", json!({"product_id": "prd_1"}))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(replies.iter().filter(|(s, _)| *s == 201).count(), 10);
    let refused = replies.iter().filter(|(s, b)| *s == 402 && b["error"]["code"] == "insufficient_credits").count();
    assert_eq!(refused, 40, "{replies:?}");
    assert_eq!(shop.json("GET", "/customers/cus_1", Value::Null).1["credits"], 0);
    let (_, page) = shop.json("GET", "/customers/cus_1/purchases", Value::Null);
    assert_eq!(page["purchases"].as_array().unwrap().len(), 10);

    let (status, metrics) = shop.request("GET", "/metrics", "");
    assert_eq!(status, 200);
    assert!(metrics.contains(r#"shop_cache_reads_total{entity="product",result="hit"} 3"#), "{metrics}");
    let (status, doc) = shop.json("GET", "/openapi.json", Value::Null);
    assert_eq!((status, doc["paths"]["/products/{id}"]["get"].is_object()), (200, true));

    let (exited_cleanly, log) = shop.terminate();
    assert!(log.contains("cache: memcached at"), "{log}");
    assert!(log.contains("store: SQLite at sqlite://"), "{log}");
    assert!(log.contains("SIGTERM: shutting down"), "{log}");
    assert!(exited_cleanly, "{log}");

    // The data is in the SQLite file: a new process (with an empty cache) sees it.
    let mut memcached = memcached;
    memcached.restart();
    let shop = Shop::start(&memcached, &dir);
    assert_eq!(shop.json("GET", "/customers/cus_1", Value::Null).1["credits"], 0);
    assert!(shop.terminate().0, "graceful shutdown exits 0");
}

/// Everything the server sends until it closes the connection. Panics if it is still open after the read guard
/// (60 s): that is the bug these tests look for, not slowness.
fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    match stream.read_to_end(&mut bytes) {
        Ok(_) => String::from_utf8(bytes).unwrap(),
        Err(e) => panic!("the server did not close the connection ({e}); got {:?}", String::from_utf8_lossy(&bytes)),
    }
}

#[test]
fn slow_and_idle_clients_are_cut_off_by_the_read_timeouts() {
    let memcached = Memcached::start();
    let dir = temp_dir("slow");
    let shop =
        Shop::start_with(&memcached, &dir, &["--header-read-timeout-ms", "200", "--body-read-timeout-ms", "200"]);

    // Slowloris: headers that never end. Closed with no reply (hyper's header timeout).
    let mut slow = shop.connect();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: shop\r\nX-Slow: 1").unwrap();
    assert_eq!(read_until_closed(&mut slow), "");

    // A connection that never sends a byte.
    assert_eq!(read_until_closed(&mut shop.connect()), "");

    // A keep-alive connection left idle after its reply is closed too.
    let mut kept = shop.connect();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: shop\r\n\r\n").unwrap();
    let reply = read_until_closed(&mut kept);
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n") && reply.ends_with(HEALTHY), "{reply}");

    // A body that stalls halfway: 408 with the JSON error body, then the connection closes.
    let mut stalled = shop.connect();
    stalled
        .write_all(b"POST /customers HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"name\":")
        .unwrap();
    let reply = read_until_closed(&mut stalled);
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no reply head: {reply:?}"));
    assert!(head.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{head}");
    assert!(head.to_ascii_lowercase().contains("\r\nconnection: close"), "{head}");
    let body: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(body["error"]["code"], "request_timeout", "{body}");

    // None of it hurt the server, and the half body created nothing.
    assert_eq!(shop.request("GET", "/healthz", ""), (200, HEALTHY.to_owned()));
    let (status, body) = shop.json("GET", "/customers/cus_1", Value::Null);
    assert_eq!((status, &body["error"]["code"]), (404, &json!("customer_not_found")));
    assert!(shop.terminate().0, "graceful shutdown exits 0");
}

#[test]
fn healthz_says_degraded_while_memcached_is_down_and_ok_once_it_is_back() {
    let mut memcached = Memcached::start();
    let dir = temp_dir("health");
    let shop = Shop::start(&memcached, &dir);
    assert_eq!(shop.request("GET", "/healthz", ""), (200, HEALTHY.to_owned()));
    let (_, gem) = shop.json("POST", "/products", json!({"name": "gem", "price": 1}));

    memcached.kill();
    // Still 200: with the cache down every request is answered, from the store.
    let (status, health) = shop.json("GET", "/healthz", Value::Null);
    assert_eq!((status, &health["status"]), (200, &json!("degraded")), "{health}");
    assert_eq!(health["checks"]["store"], json!({"status": "ok"}), "{health}");
    assert_eq!(health["checks"]["cache"]["status"], "down", "{health}");
    let reason = health["checks"]["cache"]["reason"].as_str().unwrap_or_else(|| panic!("no reason: {health}"));
    assert!(reason.starts_with("cache unavailable: "), "{reason}");
    assert!(reason.contains(&memcached.addr()), "names the server: {reason}");
    assert_eq!(shop.json("GET", "/products/prd_1", Value::Null), (200, gem));

    // Back up: the client retries the server after its retry interval (2 s). Poll the condition, no sleep: every
    // poll is a real HTTP round trip (a new connection), so the bound is tens of seconds on any machine.
    memcached.restart();
    let recovered = (0..RECOVERY_POLLS).any(|_| {
        std::thread::yield_now();
        shop.request("GET", "/healthz", "") == (200, HEALTHY.to_owned())
    });
    assert!(recovered, "still {:?}", shop.request("GET", "/healthz", ""));

    let (exited_cleanly, log) = shop.terminate();
    assert!(exited_cleanly, "{log}");
    assert!(!log.contains('\u{1b}'), "a log written to a file carries no colour codes: {log}");
}

#[test]
fn healthz_is_503_while_the_store_is_down() {
    let memcached = Memcached::start();
    let dir = temp_dir("store-down");
    let shop = Shop::start(&memcached, &dir);
    assert_eq!(shop.request("GET", "/healthz", ""), (200, HEALTHY.to_owned()));

    // The database file is overwritten under the running server: every query now fails ("file is not a
    // database"), as with a disk gone bad.
    let db = dir.join("shop.db");
    let len = std::fs::metadata(&db).unwrap().len();
    std::fs::write(&db, vec![b'x'; usize::try_from(len).unwrap()]).unwrap();

    let (status, health) = shop.json("GET", "/healthz", Value::Null);
    assert_eq!((status, &health["status"]), (503, &json!("degraded")), "{health}");
    assert_eq!(health["checks"]["cache"], json!({"status": "ok"}), "{health}");
    assert_eq!(health["checks"]["store"]["status"], "down", "{health}");
    let reason = health["checks"]["store"]["reason"].as_str().unwrap_or_else(|| panic!("no reason: {health}"));
    assert!(reason.starts_with("store unavailable: ") && reason.contains("file is not a database"), "{reason}");
    let (status, body) = shop.json("POST", "/customers", json!({"name": "alice", "credits": 1}));
    assert_eq!((status, &body["error"]["code"]), (503, &json!("store_unavailable")), "{body}");
}
