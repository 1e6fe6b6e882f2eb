//! Silent faults, with a [`Relay`] between the client and a real memcached: a black hole (nothing passes, nothing
//! is reset), a stall, a lost reply and a repeated reply, none of which closes the socket. Each runs 64 tasks that
//! read (single gets and multi-gets) keys that all exist, checking every value: no wrong value and no miss may
//! ever come back, only typed errors. Once the fault ends the client must recover on its own; the time it took is
//! printed (recorded in BENCHMARKS.md), never asserted.
//!
//! No sleeps: phases end by operation counts or by a condition polled in a bounded loop.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use memcache_client::{Client, Config, Error, FailurePolicy, Protocol, ServerAddr, StoreOptions};
use memkit_testkit::{Fault, Relay};

use crate::support::Memcached;

const TIMEOUT: Duration = Duration::from_millis(200);
const TASKS: usize = 64;
/// Bounds every wait for recovery: each round ends within a request timeout or two.
const RECOVERY_ROUNDS: usize = 100;
/// Bounds the rounds read while a marked-down server waits out its retry interval: every round does real IO, so
/// this is seconds on any machine, and the interval in these tests is half a second.
const WAITING_ROUNDS: usize = 20_000;
/// Bounds every wait for a one-shot fault to act; each poll is a millisecond tick.
const ONE_SHOT_POLLS: usize = 20_000;

fn value_for(key: &str) -> String {
    format!("value-of-{key}")
}

fn config(protocol: Protocol) -> Config {
    let mut config = Config::default();
    config.request_timeout = TIMEOUT;
    config.protocol = protocol;
    config.failure_limit = 0;
    config.reconnect_backoff = Duration::from_millis(1);
    config.reconnect_backoff_max = Duration::from_millis(10);
    config
}

/// A server with `TASKS` keys stored, a relay in front of it and a client (of `config`) through the relay.
async fn setup(config: Config) -> (Memcached, Arc<Relay>, Client, Arc<Vec<String>>) {
    let server = Memcached::start();
    let relay = Arc::new(Relay::start(&server.addr()));
    let keys: Vec<String> = (0..TASKS).map(|i| format!("silent:{i}")).collect();
    let direct = crate::support::client(&server);
    for key in &keys {
        assert!(direct.set(key, value_for(key), StoreOptions::default()).await.unwrap().is_stored());
    }
    let client = Client::with_config(ServerAddr::parse_list(&relay.addr()).unwrap(), config).unwrap();
    (server, relay, client, Arc::new(keys))
}

/// What a round of reads saw.
#[derive(Debug, Default)]
struct Seen {
    /// Reads that returned another value, or a miss (every key exists): must stay empty.
    wrong: Vec<String>,
    errors: BTreeMap<&'static str, u64>,
    ok: u64,
}

impl Seen {
    fn add(&mut self, other: Seen) {
        self.wrong.extend(other.wrong);
        self.ok += other.ok;
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
    }

    fn check(&mut self, key: &str, read: Result<Option<Vec<u8>>, Error>) {
        match read {
            Ok(Some(value)) if value == value_for(key).as_bytes() => self.ok += 1,
            other @ Ok(_) => self.wrong.push(format!("{key}: {other:?}")),
            Err(error) => {
                assert!(
                    matches!(
                        error,
                        Error::Timeout { .. }
                            | Error::Io { .. }
                            | Error::Protocol { .. }
                            | Error::ConnectionReset { .. }
                            | Error::ServerDown { .. }
                    ),
                    "unexpected error under a silent fault: {error:?}"
                );
                *self.errors.entry(error.kind().as_str()).or_default() += 1;
            }
        }
    }

    fn errors(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// One task's read number `n`: a single get of its key, or (every other time) a multi-get of its key and the next
/// task's, each key checked.
async fn read(client: &Client, keys: &[String], task: usize, n: usize, seen: &mut Seen) {
    let key = &keys[task];
    if n.is_multiple_of(2) {
        seen.check(key, client.get(key).await.map(|item| item.map(|i| i.value.to_vec())));
        return;
    }
    let pair = [key.as_str(), keys[(task + 1) % keys.len()].as_str()];
    let result = client.get_many(pair).await.expect("valid keys");
    for k in pair {
        match result.error(k) {
            Some(error) => seen.check(k, Err(error.clone())),
            None => seen.check(k, Ok(result.get(k).map(|item| item.value.to_vec()))),
        }
    }
}

/// Every task reads `reads` times, concurrently.
async fn round(client: &Client, keys: &Arc<Vec<String>>, reads: usize) -> Seen {
    let tasks = (0..TASKS).map(|task| {
        let (client, keys) = (client.clone(), keys.clone());
        tokio::spawn(async move {
            let mut seen = Seen::default();
            for n in 0..reads {
                read(&client, &keys, task, n + task, &mut seen).await;
            }
            seen
        })
    });
    let mut seen = Seen::default();
    for result in join_all(tasks).await {
        seen.add(result.expect("reader task"));
    }
    seen
}

/// Every task reads until `done`, concurrently, counting correct reads in `ok` as they happen.
async fn until(client: &Client, keys: &Arc<Vec<String>>, done: &Arc<AtomicBool>, ok: &Arc<AtomicU64>) -> Seen {
    let tasks = (0..TASKS).map(|task| {
        let (client, keys, done, ok) = (client.clone(), keys.clone(), done.clone(), ok.clone());
        tokio::spawn(async move {
            let mut seen = Seen::default();
            let mut n = task;
            while !done.load(Ordering::SeqCst) {
                let before = seen.ok;
                read(&client, &keys, task, n, &mut seen).await;
                ok.fetch_add(seen.ok - before, Ordering::SeqCst);
                n += 1;
            }
            seen
        })
    });
    let mut seen = Seen::default();
    for result in join_all(tasks).await {
        seen.add(result.expect("reader task"));
    }
    seen
}

/// Runs rounds until one has no error at all (bounded), checking every value on the way; returns how long that
/// took. Then one more round, which must be clean too.
async fn recovers(client: &Client, keys: &Arc<Vec<String>>, what: &str) -> Duration {
    let started = Instant::now();
    let mut last = None;
    for _ in 0..RECOVERY_ROUNDS {
        let seen = round(client, keys, 2).await;
        assert_eq!(seen.wrong, Vec::<String>::new(), "{what}: wrong values while recovering");
        if seen.errors() == 0 {
            let took = started.elapsed();
            eprintln!("{what}: recovered {took:?} after the fault ended");
            let seen = round(client, keys, 4).await;
            assert_eq!((seen.wrong.len(), seen.errors()), (0, 0), "{what}: after recovery {seen:?}");
            return took;
        }
        last = Some(seen.errors);
    }
    panic!("{what}: no clean round after {RECOVERY_ROUNDS} rounds; last errors {last:?}");
}

/// Polls until `server` has at most `connections` open (bounded): every socket the client (and the relay on its
/// behalf) opened is closed, black-holed ones included.
async fn no_connection_left(server: &Memcached, connections: u64) {
    let mut ticks = tokio::time::interval(Duration::from_millis(1));
    for _ in 0..ONE_SHOT_POLLS {
        if server.stat("curr_connections") <= connections {
            return;
        }
        ticks.tick().await;
    }
    panic!("{} connections left open, {connections} before the client", server.stat("curr_connections"));
}

async fn black_hole(protocol: Protocol) {
    let (server, relay, client, keys) = setup(config(protocol)).await;
    let before = server.stat("curr_connections");
    assert_eq!(round(&client, &keys, 2).await.errors(), 0);
    relay.set_fault(Fault::BlackHole);
    // The connection in use falls silent, and so does each one opened while the fault lasts.
    let seen = round(&client, &keys, 3).await;
    assert_eq!(seen.wrong, Vec::<String>::new(), "wrong values in a black hole");
    assert_eq!(seen.ok, 0, "nothing passes a black hole");
    assert!(seen.errors.contains_key("timeout"), "{seen:?}");
    let accepted = relay.accepted();
    relay.set_fault(Fault::None);
    // The black-holed connections never answer again: recovery means the client gave them up on its own.
    recovers(&client, &keys, &format!("black hole ({protocol:?})")).await;
    assert!(relay.accepted() > accepted, "a new connection replaced the silent one");
    drop(client);
    no_connection_left(&server, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_connection_is_replaced_meta() {
    black_hole(Protocol::Meta).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_connection_is_replaced_text() {
    black_hole(Protocol::Text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_server_times_out_and_its_late_replies_reach_nobody() {
    let (_server, relay, client, keys) = setup(config(Protocol::Meta)).await;
    relay.set_fault(Fault::Stall);
    let seen = round(&client, &keys, 3).await;
    assert_eq!(seen.wrong, Vec::<String>::new());
    assert_eq!(seen.ok, 0, "nothing is answered during a stall");
    assert!(seen.errors.contains_key("timeout"), "{seen:?}");
    // The held replies are released now, late; the connections they belong to were closed when they fell silent.
    relay.set_fault(Fault::None);
    recovers(&client, &keys, "stall").await;
}

/// Sets `fault` (a one-shot) `times` times while 64 tasks read, each time waiting until it has acted and the
/// client has read correct values again since, so the faults land in the middle of a working stream.
async fn one_shots(protocol: Protocol, fault: Fault, times: usize) {
    let (_server, relay, client, keys) = setup(config(protocol)).await;
    let done = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let load = tokio::spawn({
        let (client, keys, done, ok) = (client.clone(), keys.clone(), done.clone(), ok.clone());
        async move { until(&client, &keys, &done, &ok).await }
    });
    let mut ticks = tokio::time::interval(Duration::from_millis(1));
    let mut polls = 0;
    for shot in 0..times {
        let ok_before = ok.load(Ordering::SeqCst);
        while ok.load(Ordering::SeqCst) < ok_before + TASKS as u64 {
            polls += 1;
            assert!(polls < ONE_SHOT_POLLS, "no progress before {fault:?} number {shot}");
            ticks.tick().await;
        }
        relay.set_fault(fault);
        while relay.one_shots() <= shot {
            polls += 1;
            assert!(polls < ONE_SHOT_POLLS, "{fault:?} number {shot} never acted");
            ticks.tick().await;
        }
    }
    done.store(true, Ordering::SeqCst);
    let seen = load.await.expect("load");
    eprintln!("{fault:?} x{times} ({protocol:?}): {seen:?}", seen = (&seen.errors, seen.ok));
    assert_eq!(seen.wrong, Vec::<String>::new(), "wrong values or false misses after {fault:?}");
    assert!(seen.errors() > 0, "the faults were noticed: {seen:?}");
    assert!(seen.ok > 0, "reads succeeded between the faults: {seen:?}");
    recovers(&client, &keys, &format!("{fault:?} ({protocol:?})")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_replies_are_errors_never_misses_or_other_keys_values() {
    one_shots(Protocol::Meta, Fault::DropOneReply, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_replies_are_errors_never_misses_or_other_keys_values() {
    one_shots(Protocol::Meta, Fault::DuplicateOneReply, 20).await;
}

/// Under both failure policies: a black hole on one of two servers marks it down (its connections are dropped),
/// and once it answers again its keys read through it again, about one retry interval later at most. Every key is
/// stored on both servers, so a key that `Eject` re-routes meanwhile still reads its own value: a miss or another
/// value is still wrong.
async fn black_hole_with_policy(policy: FailurePolicy) {
    let retry = Duration::from_millis(500);
    let mut config = config(Protocol::Meta);
    config.failure_policy = policy;
    config.failure_limit = 3;
    config.retry_interval = retry;
    let (_server, relay, _, keys) = setup(config.clone()).await;
    let other = Memcached::start();
    let direct = crate::support::client(&other);
    for key in keys.iter() {
        assert!(direct.set(key, value_for(key), StoreOptions::default()).await.unwrap().is_stored());
    }
    let list = format!("{},{}", relay.addr(), other.addr());
    let client = Client::with_config(ServerAddr::parse_list(&list).unwrap(), config).unwrap();
    let behind_relay: Vec<&String> =
        keys.iter().filter(|k| client.server_for(k.as_bytes()).to_string() == relay.addr()).collect();
    assert!(!behind_relay.is_empty() && behind_relay.len() < keys.len(), "both servers own keys");

    relay.set_fault(Fault::BlackHole);
    let seen = round(&client, &keys, 3).await;
    assert_eq!(seen.wrong, Vec::<String>::new());
    assert!(seen.errors.contains_key("timeout"), "{seen:?}");
    relay.set_fault(Fault::None);
    let started = Instant::now();
    let accepted = relay.accepted();
    let what = format!("black hole on one of two servers, {policy:?}, retry interval {retry:?}");
    // The server is due back only when its retry interval has passed, a span of time, not of rounds: a fast
    // client reads many rounds meanwhile (its keys on the other server under `Eject`, `ServerDown` under
    // `FailFast`). Those rounds are checked but do not count towards the bound on recovery; they are bounded apart.
    let mut due_rounds = 0;
    for _ in 0..WAITING_ROUNDS {
        let seen = round(&client, &keys, 2).await;
        assert_eq!(seen.wrong, Vec::<String>::new(), "{what}: wrong values while recovering");
        let home = behind_relay.iter().all(|k| client.server_for(k.as_bytes()).to_string() == relay.addr());
        if !home || seen.errors.contains_key("server_down") {
            continue;
        }
        due_rounds += 1;
        if due_rounds > RECOVERY_ROUNDS {
            break;
        }
        if seen.errors() == 0 && relay.accepted() > accepted {
            let took = started.elapsed();
            eprintln!("{what}: recovered {took:?} ({:.2} retry intervals)", took.as_secs_f64() / retry.as_secs_f64());
            let seen = round(&client, &keys, 4).await;
            assert_eq!((seen.wrong.len(), seen.errors()), (0, 0), "{what}: after recovery {seen:?}");
            return;
        }
    }
    panic!("{what}: the server behind the relay never came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_recovers_from_a_black_hole() {
    black_hole_with_policy(FailurePolicy::FailFast).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eject_recovers_from_a_black_hole() {
    black_hole_with_policy(FailurePolicy::Eject).await;
}
