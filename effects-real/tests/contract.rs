//! Contract suites: one cache suite run against the sandbox cache, the in-process cache and real memcached; one
//! store suite, and one of concurrent purchases (isolation), run against the in-memory store, SQLite and a real
//! PostgreSQL cluster. The sandbox cannot drift from the real thing without a suite going red here.

use std::time::Duration;

use effects::memory::MemoryCacheConfig;
use effects::sandbox::{MemoryStore, Sandbox};
use effects::{
    Cache, CacheError, CasToken, DecodePolicy, Effects, MAX_RELATIVE_TTL, Record, RejectReason, Store, StoreError,
    StoreOutcome, Transaction,
};
#[cfg(feature = "postgres")]
use effects_real::PostgresStore;
use effects_real::{MemcachedCache, SqliteStore, in_process_cache};
use memkit_testkit::Memcached;
#[cfg(feature = "postgres")]
use memkit_testkit::Postgres;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct ProductV1 {
    name: String,
    price: u64,
}
effects::cacheable!(ProductV1, "contract.Product", version = 1);

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct ProductV2 {
    name: String,
    price: u64,
    currency: String,
}
effects::cacheable!(ProductV2, "contract.Product", version = 2);

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Customer {
    name: String,
}
effects::cacheable!(Customer, "contract.Customer", version = 1);

fn lamp(price: u64) -> ProductV1 {
    ProductV1 { name: "lamp".into(), price }
}

/// The cache contract. `advance` moves the implementation's clock when it can (the sandbox); real memcached's
/// clock cannot be moved, so expiry there is checked with an absolute time in the past, which expires at once.
async fn cache_contract<C: Cache>(c: &C, advance: Option<&dyn Fn(Duration)>) {
    // Misses, round trips, add/replace.
    assert_eq!(c.get::<ProductV1>("p:missing").await, Ok(None));
    assert_eq!(c.set("p:1", &lamp(10), 0).await, Ok(StoreOutcome::Stored));
    assert_eq!(c.get::<ProductV1>("p:1").await, Ok(Some(lamp(10))));
    assert_eq!(c.add("p:1", &lamp(11), 0).await, Ok(StoreOutcome::NotStored));
    assert_eq!(c.replace("p:none", &lamp(11), 0).await, Ok(StoreOutcome::NotStored));
    assert_eq!(c.add("p:2", &lamp(20), 0).await, Ok(StoreOutcome::Stored));
    assert_eq!(c.replace("p:2", &lamp(21), 0).await, Ok(StoreOutcome::Stored));
    assert_eq!(c.get::<ProductV1>("p:2").await, Ok(Some(lamp(21))));

    // CAS.
    let (_, stale) = c.gets::<ProductV1>("p:1").await.unwrap().unwrap();
    assert_eq!(c.set("p:1", &lamp(12), 0).await, Ok(StoreOutcome::Stored));
    assert_eq!(c.cas("p:1", &lamp(13), stale, 0).await, Ok(StoreOutcome::Exists));
    let (value, fresh) = c.gets::<ProductV1>("p:1").await.unwrap().unwrap();
    assert_eq!(value, lamp(12));
    assert_eq!(c.cas("p:1", &lamp(13), fresh, 0).await, Ok(StoreOutcome::Stored));
    assert_eq!(c.get::<ProductV1>("p:1").await, Ok(Some(lamp(13))));
    assert_eq!(c.cas("p:none", &lamp(1), CasToken(fresh.0), 0).await, Ok(StoreOutcome::NotFound));

    // Delete and touch.
    assert_eq!(c.delete("p:2").await, Ok(true));
    assert_eq!(c.delete("p:2").await, Ok(false));
    assert_eq!(c.get::<ProductV1>("p:2").await, Ok(None));
    assert_eq!(c.touch("p:1", 0).await, Ok(true));
    assert_eq!(c.touch("p:2", 0).await, Ok(false));

    // get_many: hits only, in key order.
    let _ = c.set("m:b", &lamp(2), 0).await.unwrap();
    let _ = c.set("m:a", &lamp(1), 0).await.unwrap();
    let hits = c.get_many::<ProductV1>(&["m:b", "m:none", "m:a"]).await.unwrap();
    assert_eq!(hits.into_iter().collect::<Vec<_>>(), [("m:a".to_owned(), lamp(1)), ("m:b".to_owned(), lamp(2))]);

    // Expiry: an absolute time in the past expires at once.
    assert_eq!(c.set("t:past", &lamp(1), MAX_RELATIVE_TTL + 1).await, Ok(StoreOutcome::Stored));
    assert_eq!(c.get::<ProductV1>("t:past").await, Ok(None));
    if let Some(advance) = advance {
        let _ = c.set("t:10s", &lamp(1), 10).await.unwrap();
        advance(Duration::from_secs(9));
        assert!(c.get::<ProductV1>("t:10s").await.unwrap().is_some());
        advance(Duration::from_secs(1));
        assert_eq!(c.get::<ProductV1>("t:10s").await, Ok(None));
    }

    // Versioned rejection: another version or another type under the key is a miss (default policy).
    let _ = c.set("v:1", &lamp(1), 0).await.unwrap();
    assert_eq!(c.get::<ProductV2>("v:1").await, Ok(None));
    assert_eq!(c.get::<Customer>("v:1").await, Ok(None));
    assert_eq!(c.get::<ProductV1>("v:1").await, Ok(Some(lamp(1))), "a rejection does not delete by default");

    // Refused before anything is stored.
    assert!(matches!(c.set("k y", &lamp(1), 0).await, Err(CacheError::InvalidKey { .. })));
    assert!(matches!(c.get::<ProductV1>(&"k".repeat(251)).await, Err(CacheError::InvalidKey { .. })));
    let huge = ProductV1 { name: "x".repeat(2 * 1024 * 1024), price: 0 };
    assert!(matches!(c.set("big", &huge, 0).await, Err(CacheError::ValueTooLarge { .. })));

    // get_or_compute: computes once, then hits; a wrong version is recomputed; a compute error caches nothing.
    let computed = c.get_or_compute("goc:1", 60, || async { Ok::<_, StoreError>(lamp(7)) }).await;
    assert_eq!(computed, Ok(lamp(7)));
    let hit = c.get_or_compute("goc:1", 60, || async { Ok::<_, StoreError>(lamp(8)) }).await;
    assert_eq!(hit, Ok(lamp(7)));
    let upgraded = ProductV2 { name: "lamp".into(), price: 7, currency: "EUR".into() };
    let recomputed = c.get_or_compute("goc:1", 60, || async { Ok::<_, StoreError>(upgraded.clone()) }).await;
    assert_eq!(recomputed, Ok(upgraded));
    let failed = c
        .get_or_compute("goc:2", 60, || async { Err::<ProductV1, _>(StoreError::Unavailable { message: "x".into() }) })
        .await;
    assert!(matches!(failed, Err(StoreError::Unavailable { .. })));
    assert_eq!(c.get::<ProductV1>("goc:2").await, Ok(None));
}

/// Under the strict policy a rejected value is an error naming the reason.
async fn strict_contract<C: Cache>(c: &C) {
    let _ = c.set("s:1", &lamp(1), 0).await.unwrap();
    assert!(matches!(
        c.get::<ProductV2>("s:1").await,
        Err(CacheError::Rejected { reason: RejectReason::UnexpectedVersion, type_name: "contract.Product", .. })
    ));
    assert!(matches!(
        c.get::<Customer>("s:1").await,
        Err(CacheError::Rejected { reason: RejectReason::UnexpectedType, .. })
    ));
}

mod cache {
    use super::*;

    #[test]
    fn sandbox_cache() {
        let fx = Sandbox::new(1);
        let clock = fx.clock().clone();
        fx.run(cache_contract(fx.cache(), Some(&|d| clock.advance(d))));
        let strict =
            Sandbox::builder(1).cache_config(MemoryCacheConfig::default().policy(DecodePolicy::Strict)).build();
        strict.run(strict_contract(strict.cache()));
    }

    #[tokio::test]
    async fn in_process_cache_on_the_system_clock() {
        cache_contract(&in_process_cache(MemoryCacheConfig::default()), None).await;
        strict_contract(&in_process_cache(MemoryCacheConfig::default().policy(DecodePolicy::Strict))).await;
    }

    #[tokio::test]
    async fn real_memcached() {
        let server = Memcached::start();
        let client = memcache_client::Client::new(&server.addr()).unwrap();
        cache_contract(&MemcachedCache::new(client.clone()), None).await;
        strict_contract(&MemcachedCache::new(client).with_policy(DecodePolicy::Strict)).await;
    }

    #[tokio::test]
    async fn memcached_down_is_unavailable_and_get_or_compute_still_answers() {
        let server = Memcached::start();
        let addr = server.addr();
        drop(server);
        let cache = MemcachedCache::new(memcache_client::Client::new(&addr).unwrap());
        assert!(cache.get::<ProductV1>("k").await.unwrap_err().is_unavailable());
        assert_eq!(cache.get_or_compute("k", 60, || async { Ok::<_, StoreError>(lamp(3)) }).await, Ok(lamp(3)));
    }

    /// One declaration serves both crates: a value written through the capability is read by the client's own
    /// typed layer, and the other way round, each under the schema the other wrote.
    #[tokio::test]
    async fn values_cross_between_the_capability_and_the_client() {
        #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
        struct Shared {
            id: u64,
            tags: Vec<String>,
        }
        effects::cacheable!(Shared, "contract.Shared", version = 4);
        let server = Memcached::start();
        let client = memcache_client::Client::new(&server.addr()).unwrap();
        let cache = MemcachedCache::new(client.clone()).with_policy(DecodePolicy::Strict);
        let typed = client.typed::<Shared>().with_policy(memcache_client::DecodePolicy::Strict);

        let written = Shared { id: 9, tags: vec!["a".into()] };
        assert_eq!(cache.set("shared:1", &written, 0).await, Ok(StoreOutcome::Stored));
        assert_eq!(typed.get("shared:1").await.unwrap(), Some(written.clone()));

        // `effects::StoreOutcome` and `memcache_client::StoreOutcome` are one type.
        let back = Shared { id: 10, tags: vec![] };
        assert_eq!(typed.set("shared:2", &back, 0).await.unwrap(), StoreOutcome::Stored);
        assert_eq!(cache.get::<Shared>("shared:2").await, Ok(Some(back)));

        // The client still checks what it reads: another type's value under the key is refused.
        assert_eq!(cache.set("shared:3", &lamp(1), 0).await, Ok(StoreOutcome::Stored));
        assert!(matches!(
            typed.get("shared:3").await,
            Err(memcache_client::Error::Rejected {
                reason: memcache_client::Rejection::UnexpectedType { expected: "contract.Shared", .. },
                ..
            })
        ));
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Order {
    total: u64,
}
impl Record for Order {
    const COLLECTION: &'static str = "orders";
}

/// Another record type over the same collection, with an incompatible shape.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct OrderWithNote {
    total: u64,
    note: String,
}
impl Record for OrderWithNote {
    const COLLECTION: &'static str = "orders";
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Note(String);
impl Record for Note {
    const COLLECTION: &'static str = "notes";
}

/// The store contract (sequential: one transaction at a time).
async fn store_contract<S: Store>(s: &S) {
    let o = |total| Order { total };
    // Commit makes writes visible; reads see the transaction's own writes.
    let mut tx = s.begin().await.unwrap();
    tx.insert("o1", &o(1)).await.unwrap();
    assert_eq!(tx.get::<Order>("o1").await, Ok(Some(o(1))));
    tx.commit().await.unwrap();
    assert_eq!(s.get::<Order>("o1").await, Ok(Some(o(1))));

    // Conflicts are specific errors and do not spoil the transaction.
    let mut tx = s.begin().await.unwrap();
    assert!(matches!(tx.insert("o1", &o(9)).await, Err(StoreError::AlreadyExists { collection: "orders", .. })));
    assert!(matches!(tx.update("o9", &o(9)).await, Err(StoreError::NotFound { collection: "orders", .. })));
    tx.update("o1", &o(2)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.get::<Order>("o1").await, Ok(Some(o(2))));

    // Dropping or rolling back discards everything.
    let mut tx = s.begin().await.unwrap();
    tx.upsert("o2", &o(3)).await.unwrap();
    assert_eq!(tx.delete::<Order>("o1").await, Ok(true));
    drop(tx);
    let mut tx = s.begin().await.unwrap();
    tx.upsert("o3", &o(3)).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(s.get::<Order>("o1").await, Ok(Some(o(2))));
    assert_eq!(s.get::<Order>("o2").await, Ok(None));
    assert_eq!(s.get::<Order>("o3").await, Ok(None));

    // Collections are separate; keys order byte-wise; scan pages by prefix and `after`.
    let mut tx = s.begin().await.unwrap();
    for key in ["n/b", "n/B", "n/é", "n/a", "n/a/1", "m/z"] {
        tx.upsert(key, &Note(key.into())).await.unwrap();
    }
    tx.upsert("n/zz", &o(5)).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    let keys = |v: Vec<(String, Note)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(keys(tx.scan::<Note>("n/", None, 100).await.unwrap()), ["n/B", "n/a", "n/a/1", "n/b", "n/é"]);
    assert_eq!(keys(tx.scan::<Note>("n/", Some("n/a"), 2).await.unwrap()), ["n/a/1", "n/b"]);
    assert_eq!(keys(tx.scan::<Note>("n/a", None, 100).await.unwrap()), ["n/a", "n/a/1"]);
    assert_eq!(tx.scan::<Note>("x/", None, 100).await.unwrap().len(), 0);
    assert_eq!(tx.get::<Note>("o1").await, Ok(None), "another collection's key");

    // Stored bytes that do not fit the reader's type are a serialisation error naming the key.
    assert!(matches!(
        tx.get::<OrderWithNote>("o1").await,
        Err(StoreError::Serialization { collection: "orders", ref key, .. }) if key == "o1"
    ));
    assert_eq!(tx.delete::<Order>("o404").await, Ok(false));
    tx.commit().await.unwrap();
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Account {
    credits: u64,
}
impl Record for Account {
    const COLLECTION: &'static str = "accounts";
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Receipt {
    buyer: usize,
    balance_after: u64,
}
impl Record for Receipt {
    const COLLECTION: &'static str = "receipts";
}

/// One purchase as the shop makes it: read the balance, debit 1, write a receipt, commit. `Ok(false)` when the
/// balance is spent (the transaction is dropped: a rollback).
async fn buy<S: Store>(store: &S, buyer: usize) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    let mut account = tx.get::<Account>("alice").await?.expect("seeded");
    if account.credits == 0 {
        return Ok(false);
    }
    // Let the other buyers run between the read and the write: without isolation they would read the same balance.
    tokio::task::yield_now().await;
    account.credits -= 1;
    tx.update("alice", &account).await?;
    tx.insert(&format!("alice/{buyer:03}"), &Receipt { buyer, balance_after: account.credits }).await?;
    tx.commit().await?;
    Ok(true)
}

/// Isolation: 50 concurrent purchases against a balance of 10, spread over `stores` (handles on one database, as
/// several processes would hold), give exactly 10 receipts, each with a distinct balance after it, and leave 0.
async fn concurrent_purchases<S: Store + Clone + 'static>(stores: &[S]) {
    stores[0].upsert("alice", &Account { credits: 10 }).await.unwrap();
    let buyers: Vec<_> = (0..50)
        .map(|buyer| {
            let store = stores[buyer % stores.len()].clone();
            tokio::spawn(async move { buy(&store, buyer).await })
        })
        .collect();
    let mut bought = 0;
    for buyer in buyers {
        if buyer.await.unwrap().unwrap() {
            bought += 1;
        }
    }
    assert_eq!(bought, 10, "exactly as many purchases as credits");
    assert_eq!(stores[1 % stores.len()].get::<Account>("alice").await, Ok(Some(Account { credits: 0 })));
    let mut tx = stores[0].begin().await.unwrap();
    let receipts = tx.scan::<Receipt>("alice/", None, 100).await.unwrap();
    tx.commit().await.unwrap();
    let mut balances: Vec<u64> = receipts.iter().map(|(_, r)| r.balance_after).collect();
    balances.sort_unstable();
    assert_eq!(balances, (0..10).collect::<Vec<_>>(), "each purchase saw the balance the one before it left");
}

mod store {
    use super::*;

    #[tokio::test]
    async fn memory_store() {
        store_contract(&MemoryStore::new()).await;
    }

    #[tokio::test]
    async fn sandbox_store() {
        let fx = Sandbox::new(1);
        store_contract(fx.store()).await;
    }

    #[tokio::test]
    async fn sqlite_store() {
        store_contract(&SqliteStore::in_memory().await.unwrap()).await;
    }

    #[tokio::test]
    async fn sqlite_file_store_keeps_data_across_connections() {
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-store.sqlite");
        let _ = std::fs::remove_file(&path);
        let url = format!("sqlite://{}", path.display());
        SqliteStore::connect(&url).await.unwrap().upsert("k", &Note("kept".into())).await.unwrap();
        let reopened = SqliteStore::connect(&url).await.unwrap();
        assert_eq!(reopened.get::<Note>("k").await, Ok(Some(Note("kept".into()))));
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn postgres_store() {
        let pg = Postgres::start();
        store_contract(&PostgresStore::connect(&pg.url()).await.unwrap()).await;
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn postgres_migrations_run_once_for_instances_starting_together() {
        let pg = Postgres::start();
        let url = pg.url();
        let (a, b) = tokio::join!(PostgresStore::connect(&url), PostgresStore::connect(&url));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.schema_version().await, Ok(1));
        a.upsert("k", &Note("written by a".into())).await.unwrap();
        assert_eq!(b.get::<Note>("k").await, Ok(Some(Note("written by a".into()))));
        // A restart finds the schema in place and the data kept.
        let again = PostgresStore::connect(&url).await.unwrap();
        assert_eq!(again.schema_version().await, Ok(1));
        assert_eq!(again.get::<Note>("k").await, Ok(Some(Note("written by a".into()))));
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn postgres_unreachable_is_unavailable() {
        // A socket directory with no server in it: refused at once, and no port another test could be using.
        let url = format!("postgres://postgres@localhost/postgres?host={}", env!("CARGO_TARGET_TMPDIR"));
        assert!(matches!(PostgresStore::connect(&url).await, Err(StoreError::Unavailable { .. })));
    }
}

/// Isolation under concurrent purchases, on a multi-threaded runtime so that the buyers really run at once.
mod isolation {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory_store() {
        concurrent_purchases(&[MemoryStore::new()]).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite_store() {
        concurrent_purchases(&[SqliteStore::in_memory().await.unwrap()]).await;
    }

    #[cfg(feature = "postgres")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres_two_instances_on_one_database() {
        let pg = Postgres::start();
        let a = PostgresStore::connect(&pg.url()).await.unwrap();
        let b = PostgresStore::connect(&pg.url()).await.unwrap();
        concurrent_purchases(&[a, b]).await;
    }
}
