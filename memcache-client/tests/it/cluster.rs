//! Many servers, with real processes: placement against twemproxy, fan-out with per-key errors, runtime server
//! changes, and faults (kill -9, SIGSTOP, restart) under load.
//!
//! No test sleeps to wait for a condition: each polls in a bounded loop, and a generous outer timeout guards
//! against hangs. Nothing asserts wall-clock durations; "fails fast" is shown by the error variant.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use futures_util::future::join_all;
use memcache_client::{Client, Config, Error, FailurePolicy, Protocol, ServerAddr, StoreOptions};
use memkit_testkit::Nutcracker;

use crate::support::{Memcached, Rng};

/// The hang guard: far above any request timeout used here.
const GUARD: Duration = Duration::from_secs(60);

async fn guarded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(GUARD, f).await.expect("the test hung")
}

fn list(servers: &[Memcached]) -> String {
    servers.iter().map(Memcached::addr).collect::<Vec<_>>().join(",")
}

fn cluster_client(servers: &[Memcached], config: Config) -> Client {
    Client::with_config(ServerAddr::parse_list(&list(servers)).unwrap(), config).unwrap()
}

fn keys(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}:{i}")).collect()
}

/// Which of `servers` owns each key, by the client's ring.
fn owners(client: &Client, servers: &[Memcached], keys: &[String]) -> Vec<usize> {
    keys.iter()
        .map(|k| {
            let addr = client.server_for(k.as_bytes()).to_string();
            servers.iter().position(|s| s.addr() == addr).expect("owner is one of the servers")
        })
        .collect()
}

async fn set_all(client: &Client, keys: &[String]) {
    for key in keys {
        assert!(client.set(key, key, StoreOptions::default()).await.unwrap().is_stored(), "set {key}");
    }
}

/// The error variants a request to a dead server may end with; none of them is a timeout.
fn is_dead_server_error(error: &Error) -> bool {
    matches!(error, Error::Io { .. } | Error::ConnectionReset { .. } | Error::Connect { .. } | Error::ServerDown { .. })
}

/// Polls `attempt` every `every` until it returns true, at most `max` times.
async fn poll_until<F, Fut>(max: usize, every: Duration, mut attempt: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let mut ticks = tokio::time::interval(every);
    for _ in 0..max {
        ticks.tick().await;
        if attempt().await {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn ring_matches_twemproxy() {
    let backends = [Memcached::start(), Memcached::start(), Memcached::start()];
    let mut rng = Rng::seeded(0x7477_656d);
    for weights in [[1, 1, 1], [3, 1, 2]] {
        let entries: Vec<String> =
            backends.iter().zip(weights).map(|(b, w)| format!("127.0.0.1:{}:{w}", b.port)).collect();
        let proxy = Nutcracker::start(&entries);
        // twemproxy speaks the classic text protocol only.
        let mut text = Config::default();
        text.protocol = Protocol::Text;
        let via_proxy = Client::with_config(ServerAddr::parse_list(&proxy.addr()).unwrap(), text.clone()).unwrap();
        let salt = rng.next_u64();
        let keys = keys(1000, &format!("twem{salt:x}"));
        guarded(set_all(&via_proxy, &keys)).await;

        let ours = Client::with_config(ServerAddr::parse_list(&entries.join(",")).unwrap(), Config::default()).unwrap();
        let mut holder: HashMap<&str, usize> = HashMap::new();
        for (i, backend) in backends.iter().enumerate() {
            let direct = Client::with_config(ServerAddr::parse_list(&backend.addr()).unwrap(), text.clone()).unwrap();
            for chunk in keys.chunks(100) {
                let held = guarded(direct.get_many(chunk)).await.unwrap().into_complete().unwrap();
                for key in chunk {
                    if held.contains_key(key.as_bytes()) {
                        assert!(holder.insert(key, i).is_none(), "{key} is on two backends");
                    }
                }
            }
        }
        assert_eq!(holder.len(), keys.len(), "every key written through twemproxy is on one backend");
        let mut per_backend = [0usize; 3];
        for key in &keys {
            let ours = ours.server_for(key.as_bytes()).to_string();
            let theirs = backends[holder[key.as_str()]].addr();
            assert_eq!(ours, theirs, "key {key} with weights {weights:?}");
            per_backend[holder[key.as_str()]] += 1;
        }
        assert!(per_backend.iter().all(|&n| n > 100), "each backend holds a share: {per_backend:?}");
    }
}

#[tokio::test]
async fn through_twemproxy_the_text_fence_survives_a_dead_backend() {
    let mut backends = [Memcached::start(), Memcached::start()];
    let entries: Vec<String> = backends.iter().map(|b| format!("127.0.0.1:{}:1", b.port)).collect();
    let proxy = Nutcracker::start(&entries);
    let mut text = Config::default();
    text.protocol = Protocol::Text;
    let via_proxy = Client::with_config(ServerAddr::parse_list(&proxy.addr()).unwrap(), text).unwrap();
    let keys = keys(100, "twemdead");
    guarded(set_all(&via_proxy, &keys)).await;
    // Our ring places keys exactly as twemproxy does (see `ring_matches_twemproxy`).
    let ours = Client::with_config(ServerAddr::parse_list(&entries.join(",")).unwrap(), Config::default()).unwrap();
    let live: Vec<&str> = keys
        .iter()
        .filter(|k| ours.server_for(k.as_bytes()).to_string() == backends[1].addr())
        .map(String::as_str)
        .collect();
    assert!(!live.is_empty() && live.len() < keys.len(), "both backends hold keys");
    // twemproxy sends `version`, the fence behind every text get, to its first backend, and answers
    // `SERVER_ERROR` for it while that one is dead: the keys of the live backend must still read.
    backends[0].kill();
    for key in &live {
        let item = guarded(via_proxy.get(key)).await.unwrap_or_else(|e| panic!("{key}: {e:?}"));
        assert_eq!(item.map(|i| i.value), Some(key.as_bytes().to_vec().into()), "{key}");
    }
    let result = guarded(via_proxy.get_many(live.iter().copied())).await.expect("valid keys");
    assert!(result.is_complete(), "{:?}", result.errors());
    for key in &live {
        assert_eq!(result.get(key).map(|i| &i.value[..]), Some(key.as_bytes()), "{key}");
    }
}

#[tokio::test]
async fn get_many_with_a_dead_server_gives_per_key_errors() {
    let mut servers = [Memcached::start(), Memcached::start(), Memcached::start()];
    let client = cluster_client(&servers, Config::default());
    let keys = keys(200, "many");
    guarded(set_all(&client, &keys)).await;
    let owner = owners(&client, &servers, &keys);
    servers[1].kill();

    let result = guarded(client.get_many(&keys)).await.expect("only invalid input fails the whole call");
    assert!(!result.is_complete());
    for (key, &o) in keys.iter().zip(&owner) {
        if o == 1 {
            let error = result.error(key).unwrap_or_else(|| panic!("{key} on the dead server has an error"));
            assert!(is_dead_server_error(error), "{key}: {error:?}");
            assert!(result.get(key).is_none());
        } else {
            assert_eq!(result.get(key).map(|i| &i.value[..]), Some(key.as_bytes()), "{key} on a live server");
            assert!(result.error(key).is_none());
        }
    }
    match result.into_complete() {
        Err(error) => assert!(is_dead_server_error(&error), "{error:?}"),
        Ok(_) => panic!("into_complete must fail when a server failed"),
    }
}

fn fail_fast_config(failure_limit: u32, retry_interval: Duration) -> Config {
    let mut config = Config::default();
    config.request_timeout = Duration::from_secs(2);
    config.failure_limit = failure_limit;
    config.retry_interval = retry_interval;
    config.reconnect_backoff = Duration::from_millis(5);
    config.reconnect_backoff_max = Duration::from_millis(20);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_server_fails_fast_and_the_other_keys_are_unaffected() {
    let mut servers = [Memcached::start(), Memcached::start(), Memcached::start()];
    let client = cluster_client(&servers, fail_fast_config(3, Duration::from_secs(600)));
    let keys = keys(300, "kill");
    guarded(set_all(&client, &keys)).await;
    let owner = owners(&client, &servers, &keys);
    servers[1].kill();

    // Load: 16 tasks read every key 4 times over while the server is gone.
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let (client, keys, owner) = (client.clone(), keys.clone(), owner.clone());
            tokio::spawn(async move {
                let mut server_down = 0;
                for round in 0..4 {
                    for (i, key) in keys.iter().enumerate().skip((t * 7 + round) % 5) {
                        match (owner[i], client.get(key).await) {
                            (1, Err(error)) => {
                                assert!(is_dead_server_error(&error), "{key}: {error:?}");
                                server_down += usize::from(matches!(error, Error::ServerDown { .. }));
                            }
                            (1, Ok(reply)) => panic!("{key} on the killed server answered {reply:?}"),
                            (_, Ok(Some(item))) => assert_eq!(item.value, key.as_bytes()),
                            (_, other) => panic!("{key} on a live server: {other:?}"),
                        }
                    }
                }
                server_down
            })
        })
        .collect();
    let server_down: usize = guarded(join_all(tasks)).await.into_iter().map(|r| r.unwrap()).sum();
    assert!(server_down > 0, "after 3 failures the server is marked down");

    // Marked down now, for the whole (long) retry interval: every one of its keys fails at once, typed.
    for (key, _) in keys.iter().zip(&owner).filter(|(_, o)| **o == 1) {
        match client.get(key).await {
            Err(Error::ServerDown { server, retry_in }) => {
                assert_eq!(server, servers[1].addr());
                assert!(retry_in <= Duration::from_secs(600));
            }
            other => panic!("{key}: expected ServerDown, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn restarted_server_gets_traffic_after_the_retry_interval() {
    let mut servers = [Memcached::start(), Memcached::start(), Memcached::start()];
    let client = cluster_client(&servers, fail_fast_config(2, Duration::from_millis(100)));
    let keys = keys(60, "back");
    guarded(set_all(&client, &keys)).await;
    let owner = owners(&client, &servers, &keys);
    let victim = keys[owner.iter().position(|&o| o == 2).expect("a key on server 2")].clone();

    servers[2].kill();
    let marked_down = guarded(poll_until(1000, Duration::from_millis(1), || async {
        match client.get(&victim).await {
            Err(Error::ServerDown { .. }) => true,
            Err(error) => {
                assert!(is_dead_server_error(&error), "{error:?}");
                false
            }
            Ok(reply) => panic!("a killed server answered {reply:?}"),
        }
    }))
    .await;
    assert!(marked_down, "two failures mark the server down");

    servers[2].restart();
    let back = guarded(poll_until(2000, Duration::from_millis(5), || async {
        match client.get(&victim).await {
            Ok(item) => {
                assert_eq!(item, None, "a restarted memcached is empty");
                true
            }
            Err(error) => {
                assert!(is_dead_server_error(&error), "{error:?}");
                false
            }
        }
    }))
    .await;
    assert!(back, "traffic returns once the retry interval has passed");
    assert!(client.set(&victim, "again", StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(client.get(&victim).await.unwrap().unwrap().value, "again");
}

fn eject_config(retry_interval: Duration) -> Config {
    let mut config = fail_fast_config(2, retry_interval);
    config.failure_policy = FailurePolicy::Eject;
    config
}

#[tokio::test]
async fn eject_policy_moves_a_dead_servers_keys_and_only_those() {
    let mut servers = [Memcached::start(), Memcached::start(), Memcached::start()];
    let client = cluster_client(&servers, eject_config(Duration::from_secs(600)));
    let keys = keys(300, "eject");
    guarded(set_all(&client, &keys)).await;
    let before = owners(&client, &servers, &keys);
    let victim = keys[before.iter().position(|&o| o == 0).expect("a key on server 0")].clone();

    servers[0].kill();
    let ejected = guarded(poll_until(1000, Duration::from_millis(1), || async {
        match client.get(&victim).await {
            Ok(_) => true, // served by its interim owner: a miss there
            Err(error) => {
                assert!(is_dead_server_error(&error), "{error:?}");
                false
            }
        }
    }))
    .await;
    assert!(ejected, "after two failures the server leaves the ring");

    let after: Vec<usize> = keys
        .iter()
        .map(|k| {
            let addr = client.server_for(k.as_bytes()).to_string();
            servers.iter().position(|s| s.addr() == addr).unwrap()
        })
        .collect();
    let mut moved = 0;
    for ((key, &b), &a) in keys.iter().zip(&before).zip(&after) {
        if b == 0 {
            assert_ne!(a, 0, "{key} left the ejected server");
            moved += 1;
        } else {
            assert_eq!(a, b, "{key} was not on the ejected server and stays");
            assert_eq!(client.get(key).await.unwrap().unwrap().value, key.as_bytes());
        }
    }
    assert!(moved > 0);
    // The moved keys are served by their new owners: misses until written again, then hits.
    for (key, _) in keys.iter().zip(&before).filter(|(_, b)| **b == 0) {
        assert_eq!(client.get(key).await.unwrap(), None, "{key} is not on its interim owner yet");
        assert!(client.set(key, "moved", StoreOptions::default()).await.unwrap().is_stored());
        assert_eq!(client.get(key).await.unwrap().unwrap().value, "moved");
    }
}

#[tokio::test]
async fn ejected_server_rejoins_the_ring_after_the_retry_interval() {
    let mut servers = [Memcached::start(), Memcached::start(), Memcached::start()];
    let client = cluster_client(&servers, eject_config(Duration::from_millis(100)));
    let keys = keys(60, "rejoin");
    let owner = owners(&client, &servers, &keys);
    let victim = keys[owner.iter().position(|&o| o == 1).expect("a key on server 1")].clone();
    let home = servers[1].addr();

    servers[1].kill();
    let ejected = guarded(poll_until(1000, Duration::from_millis(1), || async {
        let _ = client.get(&victim).await;
        client.server_for(victim.as_bytes()).to_string() != home
    }))
    .await;
    assert!(ejected, "the dead server is ejected");

    servers[1].restart();
    let back = guarded(poll_until(2000, Duration::from_millis(5), || async {
        client.server_for(victim.as_bytes()).to_string() == home && client.get(&victim).await.is_ok()
    }))
    .await;
    assert!(back, "the server is back in the ring and answers");
    assert!(client.set(&victim, "home", StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(servers[1].stat("curr_items"), 1, "the key went to its own server again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_server_times_out_and_the_rest_keep_working() {
    let servers = [Memcached::start(), Memcached::start(), Memcached::start()];
    let mut config = fail_fast_config(3, Duration::from_secs(600));
    config.request_timeout = Duration::from_millis(200);
    let client = cluster_client(&servers, config);
    let keys = keys(150, "pause");
    guarded(set_all(&client, &keys)).await;
    let owner = owners(&client, &servers, &keys);

    servers[2].pause();
    let reads = keys.iter().zip(&owner).map(|(key, &o)| {
        let client = client.clone();
        async move { (key, o, client.get(key).await) }
    });
    let mut timeouts = 0;
    for (key, o, result) in guarded(join_all(reads)).await {
        match (o, result) {
            (2, Err(Error::Timeout { timeout, .. })) => {
                assert_eq!(timeout, Duration::from_millis(200));
                timeouts += 1;
            }
            (2, Err(Error::ServerDown { .. })) => {}
            (2, other) => panic!("{key} on the paused server: expected Timeout or ServerDown, got {other:?}"),
            (_, Ok(Some(item))) => assert_eq!(item.value, key.as_bytes()),
            (_, other) => panic!("{key} on a live server: {other:?}"),
        }
    }
    assert!(timeouts > 0, "the paused server's keys time out");
    // Still paused: the other servers keep answering.
    for (key, _) in keys.iter().zip(&owner).filter(|(_, o)| **o != 2) {
        assert_eq!(client.get(key).await.unwrap().unwrap().value, key.as_bytes());
    }
    servers[2].resume();
}

#[tokio::test]
async fn adding_a_server_at_run_time_moves_only_its_share() {
    let servers = [Memcached::start(), Memcached::start(), Memcached::start(), Memcached::start()];
    let client = cluster_client(&servers[..3], Config::default());
    let keys = keys(1000, "grow");
    guarded(set_all(&client, &keys)).await;
    let before = owners(&client, &servers, &keys);
    let connections_before = servers[0].stat("total_connections");

    client.set_servers(ServerAddr::parse_list(&list(&servers)).unwrap()).unwrap();
    assert_eq!(client.servers().len(), 4);
    let after = owners(&client, &servers, &keys);
    let mut moved = 0;
    for ((key, &b), &a) in keys.iter().zip(&before).zip(&after) {
        if a == b {
            assert_eq!(client.get(key).await.unwrap().unwrap().value, key.as_bytes(), "{key} stayed");
        } else {
            assert_eq!(a, 3, "{key} moved, and only to the new server");
            assert_eq!(client.get(key).await.unwrap(), None, "{key} is not on the new server yet");
            moved += 1;
        }
    }
    // About a quarter; ketama's 160 points per server keep it well inside these bounds.
    assert!((150..=350).contains(&moved), "moved {moved} of 1000");
    // The servers that stayed kept their connection: the only new one is the stats probe's own.
    assert_eq!(servers[0].stat("total_connections"), connections_before + 1);

    assert!(matches!(client.set_servers(Vec::new()), Err(Error::InvalidAddress { .. })));
    assert_eq!(client.servers().len(), 4, "a refused list leaves the old one in use");
}

#[tokio::test]
async fn distribution_choice_changes_placement_not_behaviour() {
    let servers = [Memcached::start(), Memcached::start(), Memcached::start()];
    for distribution in [memcache_client::Distribution::Rendezvous, memcache_client::Distribution::Modula] {
        let mut config = Config::default();
        config.distribution = distribution;
        let client = cluster_client(&servers, config);
        let keys = keys(100, &format!("{distribution:?}"));
        guarded(set_all(&client, &keys)).await;
        let owner = owners(&client, &servers, &keys);
        assert!((0..3).all(|s| owner.contains(&s)), "{distribution:?} uses every server");
        let hits = guarded(client.get_many(&keys)).await.unwrap().into_complete().unwrap();
        assert_eq!(hits.len(), keys.len());
        assert!(hits.iter().all(|(k, item)| item.value == *k));
    }
}

/// Descriptors open in this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd").count()
}

/// 100 kill/restart cycles of one server leave the process with no more descriptors than before.
///
/// Other tests open and close descriptors in parallel in this binary, so the cycles run in a child process of
/// their own (this test binary, filtered to this test), where the count is exact.
#[test]
fn kill_restart_cycles_do_not_leak_fds() {
    if std::env::var_os("MEMKIT_FD_CHILD").is_some() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        return runtime.block_on(kill_restart_cycles());
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", "cluster::kill_restart_cycles_do_not_leak_fds", "--test-threads=1", "--nocapture"])
        .env("MEMKIT_FD_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 passed"), "the child ran the cycles:\n{stdout}");
}

async fn kill_restart_cycles() {
    let mut servers = [Memcached::start(), Memcached::start()];
    // Never marked down, short backoff: each cycle is as fast as the restart.
    let client = cluster_client(&servers, fail_fast_config(0, Duration::from_secs(1)));
    let keys = keys(40, "fd");
    let owner = owners(&client, &servers, &keys);
    let victim = keys[owner.iter().position(|&o| o == 1).unwrap()].clone();
    let steady = keys[owner.iter().position(|&o| o == 0).unwrap()].clone();
    assert!(client.set(&steady, "steady", StoreOptions::default()).await.unwrap().is_stored());

    let cycle = async |servers: &mut [Memcached; 2]| {
        servers[1].kill();
        match client.get(&victim).await {
            Err(error) => assert!(is_dead_server_error(&error), "{error:?}"),
            Ok(reply) => panic!("a killed server answered {reply:?}"),
        }
        servers[1].restart();
        let back = poll_until(2000, Duration::from_millis(1), || async { client.get(&victim).await.is_ok() }).await;
        assert!(back, "the restarted server answers again");
        assert_eq!(client.get(&steady).await.unwrap().unwrap().value, "steady");
    };
    // Warm up: the runtime, the connections and the allocator settle before counting.
    for _ in 0..5 {
        guarded(cycle(&mut servers)).await;
    }
    let before = open_fds();
    for _ in 0..100 {
        guarded(cycle(&mut servers)).await;
    }
    let after = open_fds();
    println!("open descriptors: {before} before 100 kill/restart cycles, {after} after");
    assert!(after <= before, "descriptors grew from {before} to {after}");
}
