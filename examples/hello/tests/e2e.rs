//! The end-to-end test: the real binary with a real memcached, over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use memkit_testkit::Memcached;

fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn the_binary_serves_greetings_through_memcached() {
    let memcached = Memcached::start();
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

    let body = r#"{"text":"hello"}"#;
    let created = http(
        &addr,
        &format!(
            "POST /greetings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    let id = created.split("\"id\":\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
    let get = format!("GET /greetings/{id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let hits = memcached.stat("get_hits");
    assert!(http(&addr, &get).ends_with(r#""text":"hello"}"#));
    assert!(http(&addr, &get).ends_with(r#""text":"hello"}"#));
    assert!(memcached.stat("get_hits") > hits, "the second read came from memcached");

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success(), "graceful shutdown exits 0");
}
