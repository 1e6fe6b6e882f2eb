//! Memory: bytes and allocations per get (counted by dhat's allocator), and the resident memory of one client
//! with 10,000 requests in flight (the server paused so none completes).
//!
//! Run: `cargo bench -p memkit-bench --bench memory`

use std::time::Duration;

use memcache_client::{Client, Config, Error, ServerAddr, StoreOptions};
use memkit_testkit::Memcached;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const GETS: u64 = 20_000;
const IN_FLIGHT: usize = 10_000;

fn main() {
    let server = Memcached::start_with(&["-m", "256"]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = Client::new(&server.addr()).expect("client");
    rt.block_on(async {
        for size in [100usize, 10 * 1024] {
            let key = format!("memory:{size}");
            let value = vec![b'v'; size];
            let stored = client.set(&key, &value, StoreOptions::default()).await.expect("set");
            assert!(stored.is_stored());
            // Warm up: connection open, buffers grown.
            for _ in 0..1000 {
                client.get(&key).await.expect("get").expect("hit");
            }
            let _profiler = dhat::Profiler::builder().testing().build();
            let before = dhat::HeapStats::get();
            for _ in 0..GETS {
                let item = client.get(&key).await.expect("get").expect("hit");
                assert_eq!(item.value.len(), size);
            }
            let after = dhat::HeapStats::get();
            println!(
                "get of a {size}-byte value: {:.1} allocations and {:.0} bytes allocated per get",
                (after.total_blocks - before.total_blocks) as f64 / GETS as f64,
                (after.total_bytes - before.total_bytes) as f64 / GETS as f64,
            );
        }
    });

    // Resident memory with 10,000 requests outstanding against a paused server.
    let mut config = Config::default();
    config.request_timeout = Duration::from_secs(30);
    let addrs = ServerAddr::parse_list(&server.addr()).expect("address");
    let client = Client::with_config(addrs, config).expect("client");
    rt.block_on(async {
        client.get("warm").await.expect("connect");
        let rss_before = rss_kib();
        server.pause();
        let tasks: Vec<_> = (0..IN_FLIGHT)
            .map(|i| {
                let client = client.clone();
                tokio::spawn(async move { client.get(&format!("inflight:{i}")).await })
            })
            .collect();
        // Let every task run up to its await point (queued or written, waiting for a reply).
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let rss_during = rss_kib();
        server.resume();
        let mut ok = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(None) => ok += 1,
                Ok(Some(_)) => panic!("nothing was stored under inflight keys"),
                Err(e @ Error::Timeout { .. }) => panic!("{e}"),
                Err(e) => panic!("{e}"),
            }
        }
        println!(
            "{IN_FLIGHT} requests in flight: resident memory {rss_before} KiB before, {rss_during} KiB with them \
             outstanding ({:+} KiB, {:.0} bytes per request); all {ok} answered after the server resumed",
            rss_during as i64 - rss_before as i64,
            (rss_during.saturating_sub(rss_before) * 1024) as f64 / IN_FLIGHT as f64
        );
    });
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
