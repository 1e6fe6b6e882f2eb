//! A paused server gives the timeout variant; once resumed, the same client works again.

use std::time::Duration;

use memcache_client::{Config, Error, StoreOptions};

use crate::support::{Memcached, client_with};

#[tokio::test]
async fn paused_server_times_out_then_recovers() {
    let server = Memcached::start();
    let mut config = Config::default();
    config.request_timeout = Duration::from_millis(200);
    let client = client_with(&server, config);
    assert!(client.set("k", "before", StoreOptions::default()).await.unwrap().is_stored());

    server.pause();
    for _ in 0..3 {
        match client.get("k").await {
            Err(Error::Timeout { timeout, .. }) => assert_eq!(timeout, Duration::from_millis(200)),
            other => panic!("expected Timeout, got {other:?}"),
        }
    }
    match client.set("k", "during", StoreOptions::default()).await {
        Err(error @ Error::Timeout { .. }) => assert!(error.is_timeout() && error.is_retryable()),
        other => panic!("expected Timeout, got {other:?}"),
    }
    server.resume();

    // The connection that fell silent was closed, so the late replies reach nobody; each new request gets its own
    // reply on a new connection.
    // The set above may or may not have been applied (it timed out, it was not cancelled on the server).
    let value = client.get("k").await.unwrap().unwrap().value;
    assert!(value == "before" || value == "during", "got {value:?}");
    assert!(client.set("k", "after", StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(client.get("k").await.unwrap().unwrap().value, "after");
}

#[tokio::test]
async fn connect_timeout_has_its_own_variant() {
    // A listener whose accept backlog is full never completes the handshake: connect hangs until the timeout.
    // Filling the backlog of a socket nobody accepts on makes that deterministic on loopback.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut hold = Vec::new();
    let mut config = Config::default();
    config.connect_timeout = Duration::from_millis(100);
    config.request_timeout = Duration::from_secs(5);
    let client = memcache_client::Client::with_config(vec![addr.to_string().parse().unwrap()], config).unwrap();
    // Fill the backlog with non-blocking connects until one no longer completes at once.
    for _ in 0..4096 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(20)) {
            Ok(stream) => hold.push(stream),
            Err(_) => break,
        }
    }
    match client.get("k").await {
        Err(Error::ConnectTimeout { timeout, .. }) => assert_eq!(timeout, Duration::from_millis(100)),
        other => panic!("expected ConnectTimeout, got {other:?}"),
    }
    drop(listener);
}

/// Many requests behind a full queue on a paused server: every one of them is answered with `Timeout`, those the
/// connection had taken (its one timer answers them at their deadline), those still queued when it gave up, and
/// those whose callers found the queue full (the only ones that arm a timer of their own). None waits forever, and
/// the connection works again once the server is back.
async fn a_full_queue_on_a_paused_server_times_out_every_request() {
    let server = Memcached::start();
    let mut config = Config::default();
    config.request_timeout = Duration::from_millis(200);
    config.max_in_flight = 4;
    config.queue_depth = 2;
    // Never marked down: a mark-down would reset the connection, and the requests on it would get
    // `ConnectionReset` instead (tested in silent.rs); this test is about the timeout alone.
    config.failure_limit = 0;
    let client = client_with(&server, config);
    assert!(client.set("k", "v", StoreOptions::default()).await.unwrap().is_stored());

    server.pause();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get("k").await })
        })
        .collect();
    for task in tasks {
        match task.await.unwrap() {
            Err(Error::Timeout { timeout, .. }) => assert_eq!(timeout, Duration::from_millis(200)),
            other => panic!("expected Timeout, got {other:?}"),
        }
    }
    server.resume();
    assert_eq!(client.get("k").await.unwrap().unwrap().value, "v");
}

#[tokio::test]
async fn a_full_queue_times_out_every_request_current_thread() {
    a_full_queue_on_a_paused_server_times_out_every_request().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_times_out_every_request_multi_thread() {
    a_full_queue_on_a_paused_server_times_out_every_request().await;
}
