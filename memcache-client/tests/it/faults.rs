//! Network faults between client and server (a [`Relay`] in the middle): each fault gives its own typed error
//! within the request timeout, the same client recovers once the fault is cleared, and no reply is ever handed to
//! the wrong caller, even with many callers (single gets and multi-gets) sharing the connection while faults come
//! and go.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use memcache_client::{Client, Config, Error, Protocol, ServerAddr, StoreOptions};
use memkit_testkit::{Fault, Relay};

use crate::support::Memcached;

const TIMEOUT: Duration = Duration::from_millis(200);
/// Bounds every wait-for-recovery loop: each attempt ends within [`TIMEOUT`], so this is a few seconds at most.
const RECOVERY_ATTEMPTS: usize = 50;

/// A client through `relay` that never marks the server down, so every request reaches the relay.
fn client_via(relay: &Relay) -> Client {
    let mut config = Config::default();
    config.request_timeout = TIMEOUT;
    config.failure_limit = 0;
    config.reconnect_backoff = Duration::from_millis(1);
    config.reconnect_backoff_max = Duration::from_millis(10);
    Client::with_config(ServerAddr::parse_list(&relay.addr()).expect("relay address"), config).expect("client")
}

fn value_for(key: &str) -> String {
    format!("value-of-{key}")
}

/// A server, a relay in front of it, a client through the relay with `key` stored, one connection open.
async fn setup(key: &str) -> (Memcached, Relay, Client) {
    let server = Memcached::start();
    let relay = Relay::start(&server.addr());
    let client = client_via(&relay);
    assert!(client.set(key, value_for(key), StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(relay.accepted(), 1);
    (server, relay, client)
}

/// Polls `get(key)` until it succeeds (bounded), then checks that it and the next reads return `key`'s value.
async fn assert_recovers(client: &Client, key: &str) {
    let mut last = None;
    for _ in 0..RECOVERY_ATTEMPTS {
        match client.get(key).await {
            Ok(item) => {
                assert_eq!(item.expect("stored before the fault").value, value_for(key).as_bytes());
                for _ in 0..10 {
                    assert_eq!(client.get(key).await.unwrap().unwrap().value, value_for(key).as_bytes());
                }
                return;
            }
            Err(error) => last = Some(error),
        }
    }
    panic!("no recovery after {RECOVERY_ATTEMPTS} attempts; last error {last:?}");
}

#[tokio::test]
async fn delayed_replies_time_out_and_the_silent_connection_is_replaced() {
    let (_server, relay, client) = setup("delay").await;
    relay.set_fault(Fault::Delay(TIMEOUT * 2));
    match client.get("delay").await {
        Err(Error::Timeout { timeout, .. }) => assert_eq!(timeout, TIMEOUT),
        other => panic!("expected Timeout, got {other:?}"),
    }
    relay.set_fault(Fault::None);
    assert_recovers(&client, "delay").await;
    // Nothing at all was read for a whole request timeout: from the client's side that is a dead connection, so
    // it was closed (the late reply arrives on a closed socket and reaches nobody) and a new one opened.
    assert_eq!(relay.accepted(), 2);
}

#[tokio::test]
async fn swallowed_replies_time_out_then_the_client_reconnects() {
    let (_server, relay, client) = setup("drop").await;
    relay.set_fault(Fault::DropReplies);
    for _ in 0..3 {
        match client.get("drop").await {
            Err(Error::Timeout { timeout, .. }) => assert_eq!(timeout, TIMEOUT),
            other => panic!("expected Timeout, got {other:?}"),
        }
    }
    relay.set_fault(Fault::None);
    assert_recovers(&client, "drop").await;
    // Each connection that fell silent for a whole request timeout was given up by the client (the relay would
    // also reset a stream with a hole at its next reply).
    assert!(relay.accepted() > 1, "the silent connection was replaced");
}

#[tokio::test]
async fn a_truncated_reply_is_an_unexpected_eof() {
    let (_server, relay, client) = setup("truncate").await;
    relay.set_fault(Fault::TruncateReply);
    match client.get("truncate").await {
        Err(Error::Io { source, .. }) => assert_eq!(source.kind(), io::ErrorKind::UnexpectedEof),
        other => panic!("expected Io(UnexpectedEof), got {other:?}"),
    }
    relay.set_fault(Fault::None);
    assert_recovers(&client, "truncate").await;
    assert_eq!(relay.accepted(), 2);
}

#[tokio::test]
async fn a_reset_connection_is_an_io_connection_reset() {
    let (_server, relay, client) = setup("reset").await;
    relay.set_fault(Fault::Reset);
    match client.get("reset").await {
        Err(Error::Io { source, .. }) => assert_eq!(source.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("expected Io(ConnectionReset), got {other:?}"),
    }
    relay.set_fault(Fault::None);
    assert_recovers(&client, "reset").await;
    assert_eq!(relay.accepted(), 2);
}

#[tokio::test]
async fn garbage_is_a_protocol_error_and_the_connection_is_replaced() {
    let (_server, relay, client) = setup("garbage").await;
    relay.set_fault(Fault::Garbage);
    match client.get("garbage").await {
        Err(Error::Protocol { source, .. }) => assert_eq!(source.reason(), "unexpected reply line"),
        other => panic!("expected Protocol, got {other:?}"),
    }
    relay.set_fault(Fault::None);
    assert_recovers(&client, "garbage").await;
    assert_eq!(relay.accepted(), 2);
}

#[tokio::test]
async fn requests_pipelined_behind_a_garbled_reply_are_reset_not_misanswered() {
    let (_server, relay, client) = setup("pipelined").await;
    relay.set_fault(Fault::Garbage);
    // Many requests share the one connection; the first garbled chunk poisons the stream for all of them.
    let results = futures_util::future::join_all((0..16).map(|_| client.get("pipelined"))).await;
    let mut kinds = BTreeMap::<&str, usize>::new();
    for result in &results {
        match result {
            Err(e @ (Error::Protocol { .. } | Error::ConnectionReset { .. })) => {
                *kinds.entry(e.kind().as_str()).or_default() += 1
            }
            other => panic!("expected Protocol or ConnectionReset, got {other:?}"),
        }
    }
    assert!(kinds.get("protocol").copied().unwrap_or(0) >= 1, "{kinds:?}");
    relay.set_fault(Fault::None);
    assert_recovers(&client, "pipelined").await;
}

/// A well-formed miss and a well-formed hit with another value, neither answering anything the client sent.
const INJECTED_MISS: &[u8] = b"EN\r\n";
const INJECTED_HIT: &[u8] = b"VA 5 f0\r\nwrong\r\n";

#[tokio::test]
async fn an_injected_reply_is_a_protocol_error_not_a_shifted_answer() {
    for injected in [INJECTED_MISS, INJECTED_HIT] {
        let (_server, relay, client) = setup("injected").await;
        relay.set_fault(Fault::Inject(injected));
        // Trusting order alone, this get would take the injected reply (a miss, or "wrong") and the next caller
        // this get's own reply. The opaque token the get carries is missing from the injected reply.
        match client.get("injected").await {
            Err(Error::Protocol { source, .. }) => {
                assert_eq!(source.reason(), "reply answers another request (opaque token mismatch)");
            }
            other => panic!("expected Protocol for {:?}, got {other:?}", String::from_utf8_lossy(injected)),
        }
        relay.set_fault(Fault::None);
        assert_recovers(&client, "injected").await;
        assert_eq!(relay.accepted(), 2, "the shifted connection was replaced");
    }
}

#[tokio::test]
async fn a_text_get_is_fenced_so_an_injected_end_is_an_error_not_a_miss() {
    let server = Memcached::start();
    let relay = Relay::start(&server.addr());
    let mut config = client_via(&relay).config().clone();
    config.protocol = Protocol::Text;
    let client = Client::with_config(ServerAddr::parse_list(&relay.addr()).unwrap(), config).unwrap();
    assert!(client.set("text", value_for("text"), StoreOptions::default()).await.unwrap().is_stored());
    // A bare `END` ahead of the real reply reads as a miss; the `version` fence behind each text get is then
    // answered by the real `VALUE` line instead, which gives the shift away before the "miss" reaches anyone.
    relay.set_fault(Fault::Inject(b"END\r\n"));
    match client.get("text").await {
        Err(Error::Protocol { source, .. }) => assert_eq!(source.reason(), "unexpected reply line"),
        other => panic!("expected Protocol, got {other:?}"),
    }
    let result = client.get_many(["text"]).await.expect("valid keys");
    match result.error("text") {
        Some(Error::Protocol { source, .. }) => assert_eq!(source.reason(), "unexpected reply line"),
        other => panic!("expected Protocol, got {other:?} ({result:?})"),
    }
    relay.set_fault(Fault::None);
    assert_recovers(&client, "text").await;
}

/// A well-formed text reply to a `get` of a key nobody asked for.
const INJECTED_STRAY_VALUE: &[u8] = b"VALUE stray 0 5\r\nwrong\r\nEND\r\n";

#[tokio::test]
async fn a_multi_get_answered_for_other_keys_is_an_error_for_its_keys_not_a_hit() {
    let (_server, relay, client) = setup("many:a").await;
    assert!(client.set("many:b", value_for("many:b"), StoreOptions::default()).await.unwrap().is_stored());
    relay.set_fault(Fault::Inject(INJECTED_STRAY_VALUE));
    // A multi-get of plain keys is one classic `get` (no opaque token), so this is the key check's work: trusting
    // order alone, the batch would take the injected reply, "stray" as a hit and both asked keys as misses.
    let result = client.get_many(["many:a", "many:b"]).await.expect("valid keys");
    assert!(result.hits().is_empty(), "no hit from a reply to another request");
    for key in ["many:a", "many:b"] {
        match result.errors().get(key.as_bytes()) {
            Some(Error::Protocol { source, .. }) => {
                assert_eq!(source.reason(), "reply answers another request (a key not asked for)");
                assert!(source.excerpt().contains("stray"), "the value shown is the stray one: {source}");
            }
            other => panic!("expected Protocol for {key}, got {other:?}"),
        }
    }
    relay.set_fault(Fault::None);
    assert_recovers(&client, "many:a").await;
    assert_eq!(relay.accepted(), 2, "the shifted connection was replaced");
    let result = client.get_many(["many:a", "many:b"]).await.expect("valid keys");
    for key in ["many:a", "many:b"] {
        assert_eq!(result.get(key.as_bytes()).expect("stored").value, value_for(key).as_bytes());
    }
}

/// What one read of one key gave: its value (`None`: a miss) or the error.
type Read = Result<Option<Vec<u8>>, Error>;

/// The faults the concurrent test cycles through, each held for [`OPS_PER_FAULT`] operations.
const CYCLE: [Fault; 9] = [
    Fault::Delay(Duration::from_millis(300)),
    Fault::None,
    Fault::DropReplies,
    Fault::TruncateReply,
    Fault::None,
    Fault::Reset,
    Fault::Garbage,
    Fault::Inject(INJECTED_MISS),
    Fault::Inject(INJECTED_HIT),
];
const OPS_PER_FAULT: u64 = 48;
const TASKS: usize = 8;
const OPS_PER_TASK: u64 = 120;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_readers_never_get_another_keys_value_while_faults_toggle() {
    let server = Memcached::start();
    let relay = Arc::new(Relay::start(&server.addr()));
    let client = client_via(&relay);
    let keys: Vec<String> = (0..TASKS).map(|i| format!("reader:{i}")).collect();
    let direct = crate::support::client(&server);
    for key in &keys {
        assert!(direct.set(key, value_for(key), StoreOptions::default()).await.unwrap().is_stored());
    }

    // Faults switch by operation count, not by wall clock: every OPS_PER_FAULT completed reads, the next one.
    let ops = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let (client, relay, ops) = (client.clone(), relay.clone(), ops.clone());
            let (key, neighbour) = (keys[t].clone(), keys[(t + 1) % TASKS].clone());
            tokio::spawn(async move {
                let mut wrong = Vec::new();
                let mut errors = BTreeMap::<&'static str, u64>::new();
                for n in 0..OPS_PER_TASK {
                    // Every third read is a multi-get of this task's key and the next one's: one classic `get`,
                    // whose replies carry keys but no token.
                    let reads: Vec<(&str, Read)> = if n % 3 == 2 {
                        let result = client.get_many([key.as_str(), neighbour.as_str()]).await.expect("valid keys");
                        [key.as_str(), neighbour.as_str()]
                            .into_iter()
                            .map(|k| match result.errors().get(k.as_bytes()) {
                                Some(e) => (k, Err(e.clone())),
                                None => (k, Ok(result.get(k).map(|item| item.value.to_vec()))),
                            })
                            .collect()
                    } else {
                        vec![(key.as_str(), client.get(&key).await.map(|item| item.map(|i| i.value.to_vec())))]
                    };
                    for (k, read) in reads {
                        match read {
                            Ok(Some(value)) if value == value_for(k).as_bytes() => {}
                            // A miss is as wrong as another key's value: the key was stored and nothing deletes it.
                            other @ Ok(_) => wrong.push(format!("{k}: {other:?}")),
                            Err(e) => {
                                assert!(
                                    matches!(
                                        e,
                                        Error::Timeout { .. }
                                            | Error::Io { .. }
                                            | Error::Protocol { .. }
                                            | Error::ConnectionReset { .. }
                                            | Error::UnexpectedReply { .. }
                                    ),
                                    "unexpected error under faults: {e:?}"
                                );
                                *errors.entry(e.kind().as_str()).or_default() += 1;
                            }
                        }
                    }
                    let done = ops.fetch_add(1, Ordering::SeqCst) + 1;
                    if done.is_multiple_of(OPS_PER_FAULT) {
                        relay.set_fault(CYCLE[(done / OPS_PER_FAULT) as usize % CYCLE.len()]);
                    }
                }
                (wrong, errors)
            })
        })
        .collect();
    let mut wrong = Vec::new();
    let mut errors = BTreeMap::<&'static str, u64>::new();
    for task in tasks {
        let (w, e) = task.await.expect("reader task");
        wrong.extend(w);
        for (kind, n) in e {
            *errors.entry(kind).or_default() += n;
        }
    }
    assert_eq!(wrong, Vec::<String>::new(), "replies handed to the wrong caller; errors {errors:?}");
    // Every fault in the cycle was met, so each kind of failure showed up.
    for kind in ["timeout", "io", "protocol"] {
        assert!(errors.contains_key(kind), "no {kind} errors: {errors:?}");
    }

    relay.set_fault(Fault::None);
    for key in &keys {
        assert_recovers(&client, key).await;
    }
}
