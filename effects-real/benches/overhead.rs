//! Static-dispatch overhead: one handler body, called once generic over `Effects` and once written against the
//! concrete implementations. In-memory implementations keep IO noise out, so any difference is dispatch cost.
//!
//! Run: `cargo bench -p effects-real --bench overhead` (prints divan's table, then an interleaved ratio).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use effects::memory::MemoryCache;
use effects::sandbox::{ManualClock, MemoryStore, SeededRandom, block_on};
use effects::{
    Cache, Clock, Effects, Event, Events, Outbound, OutboundError, Random, Record, Request, Response, Store, Timestamp,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Product {
    sku: String,
    price: u64,
}
effects::cacheable!(Product, "bench.Product", version = 1);
impl Record for Product {
    const COLLECTION: &'static str = "products";
}

/// Answers every request with its own body.
struct Echo;
impl Outbound for Echo {
    async fn send(&self, request: Request) -> Result<Response, OutboundError> {
        Ok(Response { status: 200, headers: Vec::new(), body: request.body })
    }
}

/// Counts counter increments.
#[derive(Default)]
struct Counting(AtomicU64);
impl Events for Counting {
    fn emit(&self, event: Event) {
        if let Event::Counter { value, .. } = event {
            self.0.fetch_add(value, Ordering::Relaxed);
        }
    }
}

struct Bench {
    clock: ManualClock,
    random: SeededRandom,
    cache: MemoryCache<ManualClock>,
    store: MemoryStore,
    outbound: Echo,
    events: Counting,
}

impl Effects for Bench {
    type Clock = ManualClock;
    type Random = SeededRandom;
    type Cache = MemoryCache<ManualClock>;
    type Store = MemoryStore;
    type Outbound = Echo;
    type Events = Counting;
    fn clock(&self) -> &ManualClock {
        &self.clock
    }
    fn random(&self) -> &SeededRandom {
        &self.random
    }
    fn cache(&self) -> &MemoryCache<ManualClock> {
        &self.cache
    }
    fn store(&self) -> &MemoryStore {
        &self.store
    }
    fn outbound(&self) -> &Echo {
        &self.outbound
    }
    fn events(&self) -> &Counting {
        &self.events
    }
}

fn world() -> Bench {
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_700_000_000_000));
    let bench = Bench {
        cache: MemoryCache::new(clock.clone()),
        clock,
        random: SeededRandom::new(1),
        store: MemoryStore::new(),
        outbound: Echo,
        events: Counting::default(),
    };
    block_on(bench.store.upsert("lamp", &Product { sku: "lamp".into(), price: 1999 })).unwrap();
    bench
}

/// The handler, generic over the capabilities.
async fn handler<E: Effects>(fx: &E) -> u64 {
    let product = fx
        .cache()
        .get_or_compute("product:lamp", 60, || async { fx.store().get::<Product>("lamp").await.map(Option::unwrap) })
        .await
        .unwrap();
    let nonce = fx.random().next_u64();
    let at = fx.clock().now().unix_millis();
    let reply = fx.outbound().send(Request::new(effects::Method::Post, "http://x/").timeout(Duration::ZERO)).await;
    fx.events().counter("calls", Vec::new(), 1);
    product.price ^ nonce ^ at ^ reply.map_or(0, |r| u64::from(r.status))
}

/// The same body against the concrete implementations.
async fn handler_direct(
    clock: &ManualClock,
    random: &SeededRandom,
    cache: &MemoryCache<ManualClock>,
    store: &MemoryStore,
    outbound: &Echo,
    events: &Counting,
) -> u64 {
    let product = cache
        .get_or_compute("product:lamp", 60, || async { store.get::<Product>("lamp").await.map(Option::unwrap) })
        .await
        .unwrap();
    let nonce = random.next_u64();
    let at = clock.now().unix_millis();
    let reply = outbound.send(Request::new(effects::Method::Post, "http://x/").timeout(Duration::ZERO)).await;
    events.counter("calls", Vec::new(), 1);
    product.price ^ nonce ^ at ^ reply.map_or(0, |r| u64::from(r.status))
}

fn direct(b: &Bench) -> u64 {
    block_on(handler_direct(&b.clock, &b.random, &b.cache, &b.store, &b.outbound, &b.events))
}

#[divan::bench]
fn through_traits(bencher: divan::Bencher<'_, '_>) {
    let fx = world();
    bencher.bench_local(|| block_on(handler(black_box(&fx))));
}

#[divan::bench]
fn direct_calls(bencher: divan::Bencher<'_, '_>) {
    let fx = world();
    bencher.bench_local(|| direct(black_box(&fx)));
}

/// Interleaved rounds, best of each, so drift on a shared machine hits both sides alike.
fn ratio() {
    const ROUNDS: usize = 15;
    const CALLS: usize = 50_000;
    let fx = world();
    let (mut generic, mut concrete) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..CALLS {
            black_box(block_on(handler(black_box(&fx))));
        }
        generic = generic.min(start.elapsed());
        let start = Instant::now();
        for _ in 0..CALLS {
            black_box(direct(black_box(&fx)));
        }
        concrete = concrete.min(start.elapsed());
    }
    let per = |d: Duration| d.as_nanos() as f64 / CALLS as f64;
    println!(
        "overhead: through traits {:.1} ns/call, direct {:.1} ns/call, ratio {:.4} (best of {ROUNDS} x {CALLS})",
        per(generic),
        per(concrete),
        per(generic) / per(concrete)
    );
}

fn main() {
    divan::main();
    ratio();
}
