//! Sandbox behaviour: the manual clock, the cache's memcached semantics, the store's transactions, scripted
//! outbound calls, captured events and every kind of injected fault. Sad paths assert specific variants.

use std::time::Duration;

use effects::memory::MemoryCacheConfig;
use effects::sandbox::{CacheFault, OutboundFault, Sandbox, Schedule, block_on};
use effects::{
    Cache, CacheError, CasToken, Clock, DecodePolicy, Effects, Event, Events, Level, Method, Outbound, OutboundError,
    Record, RejectReason, Request, Response, Store, StoreError, StoreOutcome, Transaction, cacheable,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Item {
    name: String,
    qty: u32,
}
cacheable!(Item, "test.Item", version = 2);
impl Record for Item {
    const COLLECTION: &'static str = "items";
}

fn item(name: &str, qty: u32) -> Item {
    Item { name: name.into(), qty }
}

mod clock {
    use super::*;

    #[test]
    fn sleep_completes_when_the_executor_advances_the_clock() {
        let fx = Sandbox::new(1);
        let start = fx.clock().now();
        fx.run(fx.clock().sleep(Duration::from_millis(1500)));
        assert_eq!(fx.clock().now().saturating_since(start), Duration::from_millis(1500));
    }

    #[test]
    fn concurrent_sleeps_finish_in_deadline_order() {
        let fx = Sandbox::new(1);
        let order = std::sync::Mutex::new(Vec::new());
        let nap = |ms: u64| {
            let (fx, order) = (&fx, &order);
            async move {
                fx.clock().sleep(Duration::from_millis(ms)).await;
                order.lock().unwrap().push(ms);
            }
        };
        fx.run(async { futures_join(nap(300), nap(100)).await });
        assert_eq!(*order.lock().unwrap(), vec![100, 300]);
        assert_eq!(fx.clock().now().unix_millis(), 1_700_000_000_300);
    }

    /// A minimal join, so the tests need no async runtime crate.
    async fn futures_join(a: impl std::future::Future<Output = ()>, b: impl std::future::Future<Output = ()>) {
        let (mut a, mut b) = (Box::pin(a), Box::pin(b));
        let (mut a_done, mut b_done) = (false, false);
        std::future::poll_fn(move |cx| {
            if !a_done {
                a_done = a.as_mut().poll(cx).is_ready();
            }
            if !b_done {
                b_done = b.as_mut().poll(cx).is_ready();
            }
            if a_done && b_done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
        })
        .await;
    }

    #[test]
    #[should_panic(expected = "sandbox deadlock")]
    fn a_second_transaction_while_the_first_is_open_is_a_reported_deadlock() {
        let fx = Sandbox::new(1);
        fx.run(async {
            let _first = fx.store().begin().await.unwrap();
            let _second = fx.store().begin().await;
        });
    }

    #[test]
    fn advance_on_sleep_needs_no_driver() {
        let fx = Sandbox::builder(1).advance_on_sleep(true).build();
        block_on(fx.clock().sleep(Duration::from_secs(5)));
        assert_eq!(fx.clock().now().unix_millis(), 1_700_000_005_000);
    }
}

mod cache {
    use super::*;

    #[test]
    fn ttl_expires_by_the_manual_clock() {
        let fx = Sandbox::new(1);
        fx.run(async {
            assert_eq!(fx.cache().set("k", &item("a", 1), 10).await, Ok(StoreOutcome::Stored));
            fx.clock().advance(Duration::from_millis(9_999));
            assert_eq!(fx.cache().get::<Item>("k").await, Ok(Some(item("a", 1))));
            fx.clock().advance(Duration::from_millis(1));
            assert_eq!(fx.cache().get::<Item>("k").await, Ok(None));
        });
    }

    #[test]
    fn ttl_over_thirty_days_is_an_absolute_unix_time() {
        let fx = Sandbox::new(1);
        let in_one_hour = u32::try_from(fx.clock().now().unix_secs() + 3600).unwrap();
        fx.run(async {
            let _ = fx.cache().set("abs", &item("a", 1), in_one_hour).await.unwrap();
            let _ = fx.cache().set("past", &item("a", 1), effects::MAX_RELATIVE_TTL + 1).await.unwrap();
            assert_eq!(fx.cache().get::<Item>("past").await, Ok(None));
            fx.clock().advance(Duration::from_secs(3599));
            assert!(fx.cache().get::<Item>("abs").await.unwrap().is_some());
            fx.clock().advance(Duration::from_secs(1));
            assert_eq!(fx.cache().get::<Item>("abs").await, Ok(None));
        });
    }

    #[test]
    fn touch_extends_and_zero_never_expires() {
        let fx = Sandbox::new(1);
        fx.run(async {
            let _ = fx.cache().set("k", &item("a", 1), 5).await.unwrap();
            assert_eq!(fx.cache().touch("k", 0).await, Ok(true));
            fx.clock().advance(Duration::from_secs(86_400 * 365));
            assert!(fx.cache().get::<Item>("k").await.unwrap().is_some());
            assert_eq!(fx.cache().touch("missing", 5).await, Ok(false));
        });
    }

    #[test]
    fn cas_add_and_replace_follow_memcached() {
        let fx = Sandbox::new(1);
        fx.run(async {
            let c = fx.cache();
            assert_eq!(c.replace("k", &item("a", 1), 0).await, Ok(StoreOutcome::NotStored));
            assert_eq!(c.add("k", &item("a", 1), 0).await, Ok(StoreOutcome::Stored));
            assert_eq!(c.add("k", &item("b", 1), 0).await, Ok(StoreOutcome::NotStored));
            let (_, token) = c.gets::<Item>("k").await.unwrap().unwrap();
            assert_eq!(c.replace("k", &item("c", 1), 0).await, Ok(StoreOutcome::Stored));
            assert_eq!(c.cas("k", &item("d", 1), token, 0).await, Ok(StoreOutcome::Exists));
            let (_, fresh) = c.gets::<Item>("k").await.unwrap().unwrap();
            assert_eq!(c.cas("k", &item("d", 1), fresh, 0).await, Ok(StoreOutcome::Stored));
            assert_eq!(c.delete("k").await, Ok(true));
            assert_eq!(c.cas("k", &item("e", 1), CasToken(fresh.0 + 1), 0).await, Ok(StoreOutcome::NotFound));
            assert_eq!(c.delete("k").await, Ok(false));
        });
    }

    #[test]
    fn item_size_limit_and_bad_keys_are_refused() {
        let fx = Sandbox::builder(1).cache_config(MemoryCacheConfig::default().max_value_size(100)).build();
        fx.run(async {
            let big = item(&"x".repeat(200), 1);
            assert!(matches!(
                fx.cache().set("big", &big, 0).await,
                Err(CacheError::ValueTooLarge { size, limit: 100, .. }) if size > 200
            ));
            assert!(matches!(
                fx.cache().set("has space", &item("a", 1), 0).await,
                Err(CacheError::InvalidKey { reason: "contains whitespace or control bytes", .. })
            ));
            assert!(matches!(
                fx.cache().get::<Item>(&"k".repeat(251)).await,
                Err(CacheError::InvalidKey { reason: "longer than 250 bytes", .. })
            ));
        });
    }

    #[test]
    fn another_version_is_a_miss_and_is_counted() {
        let fx = Sandbox::new(1);
        fx.cache().plant_other_version("k", 1, &item("old", 1), 0);
        assert_eq!(fx.run(fx.cache().get::<Item>("k")), Ok(None));
        assert_eq!(fx.events().counter_with("cache_typed_rejected_total", "reason", "unexpected_version"), 1);
    }

    #[test]
    fn strict_policy_returns_the_rejection() {
        let config = MemoryCacheConfig::default().policy(DecodePolicy::Strict);
        let fx = Sandbox::builder(1).cache_config(config).build();
        fx.cache().plant_other_version("v", 3, &item("new", 1), 0);
        fx.cache().plant_raw("raw", b"plain bytes", 0);
        assert!(matches!(
            fx.run(fx.cache().get::<Item>("v")),
            Err(CacheError::Rejected { reason: RejectReason::UnexpectedVersion, type_name: "test.Item", .. })
        ));
        assert!(matches!(
            fx.run(fx.cache().get::<Item>("raw")),
            Err(CacheError::Rejected { reason: RejectReason::NotEnveloped, .. })
        ));
    }

    #[test]
    fn another_type_under_the_key_is_rejected() {
        let fx = Sandbox::builder(1).cache_config(MemoryCacheConfig::default().policy(DecodePolicy::Strict)).build();
        fx.run(async {
            let _ = fx.cache().set("k", &"a string".to_owned(), 0).await.unwrap();
            assert!(matches!(
                fx.cache().get::<Item>("k").await,
                Err(CacheError::Rejected { reason: RejectReason::UnexpectedType, .. })
            ));
        });
    }

    #[test]
    fn delete_policy_removes_the_rejected_entry() {
        let config = MemoryCacheConfig::default().policy(DecodePolicy::TreatAsMiss { delete: true });
        let fx = Sandbox::builder(1).cache_config(config).build();
        fx.cache().plant_other_version("k", 1, &item("old", 1), 0);
        assert_eq!(fx.run(fx.cache().get::<Item>("k")), Ok(None));
        assert!(fx.cache().memory().is_empty());
    }

    #[test]
    fn get_or_compute_recomputes_a_wrong_version_and_caches_the_result() {
        let fx = Sandbox::new(1);
        fx.cache().plant_other_version("k", 1, &item("old", 1), 0);
        let calls = std::sync::atomic::AtomicU32::new(0);
        let compute = || async {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, StoreError>(item("new", 2))
        };
        assert_eq!(fx.run(fx.cache().get_or_compute("k", 60, compute)), Ok(item("new", 2)));
        assert_eq!(fx.run(fx.cache().get_or_compute("k", 60, compute)), Ok(item("new", 2)));
        assert_eq!(calls.into_inner(), 1);
    }

    #[test]
    fn get_or_compute_returns_the_compute_error_and_caches_nothing() {
        let fx = Sandbox::new(1);
        let failed = fx.run(fx.cache().get_or_compute("k", 60, || async {
            Err::<Item, _>(StoreError::Unavailable { message: "db down".into() })
        }));
        assert!(matches!(failed, Err(StoreError::Unavailable { .. })));
        assert_eq!(fx.run(fx.cache().get::<Item>("k")), Ok(None));
    }

    #[test]
    fn get_many_returns_hits_in_key_order() {
        let fx = Sandbox::new(1);
        fx.run(async {
            let _ = fx.cache().set("b", &item("b", 1), 0).await.unwrap();
            let _ = fx.cache().set("a", &item("a", 1), 0).await.unwrap();
            let hits = fx.cache().get_many::<Item>(&["b", "missing", "a"]).await.unwrap();
            assert_eq!(hits.keys().collect::<Vec<_>>(), ["a", "b"]);
        });
    }

    #[test]
    fn capacity_evicts_the_least_recently_used() {
        let config = MemoryCacheConfig::default().capacity(200); // three ~62-byte items fit, not four
        let fx = Sandbox::builder(1).cache_config(config).build();
        fx.run(async {
            for key in ["a", "b", "c"] {
                let _ = fx.cache().set(key, &item(key, 1), 0).await.unwrap();
                let _ = fx.cache().get::<Item>("a").await; // keep "a" hot
            }
            let _ = fx.cache().set("d", &item("d", 1), 0).await.unwrap();
            assert!(fx.cache().get::<Item>("a").await.unwrap().is_some());
            assert_eq!(fx.cache().get::<Item>("b").await, Ok(None));
        });
    }
}

mod faults {
    use super::*;

    #[test]
    fn cache_down_fails_reads_but_not_get_or_compute() {
        let fx = Sandbox::new(1);
        fx.faults().cache(CacheFault::Down, Schedule::Always);
        assert!(matches!(fx.run(fx.cache().get::<Item>("k")), Err(CacheError::Unavailable { .. })));
        let value = fx.run(fx.cache().get_or_compute("k", 60, || async { Ok::<_, StoreError>(item("x", 1)) }));
        assert_eq!(value, Ok(item("x", 1)));
        fx.faults().clear();
        assert_eq!(fx.run(fx.cache().get::<Item>("k")), Ok(None), "computed uncached while the cache was down");
    }

    #[test]
    fn cache_timeout_takes_its_time() {
        let fx = Sandbox::new(1);
        fx.faults().cache(CacheFault::Timeout(Duration::from_millis(250)), Schedule::After { skip: 1 });
        let before = fx.clock().now();
        assert_eq!(fx.run(fx.cache().get::<Item>("k")), Ok(None));
        let err = fx.run(fx.cache().set("k", &item("a", 1), 0)).unwrap_err();
        assert!(matches!(err, CacheError::Timeout { .. }) && err.is_unavailable());
        assert_eq!(fx.clock().now().saturating_since(before), Duration::from_millis(250));
        assert_eq!(fx.run(fx.cache().set("k", &item("a", 1), 0)), Ok(StoreOutcome::Stored));
    }

    #[test]
    fn store_failure_mid_transaction_leaves_nothing_behind() {
        let fx = Sandbox::new(1);
        // begin and the first insert succeed; the second insert fails.
        fx.faults().store(Schedule::After { skip: 2 });
        let result: Result<(), StoreError> = fx.run(async {
            let mut tx = fx.store().begin().await?;
            tx.insert("a", &item("a", 1)).await?;
            tx.insert("b", &item("b", 1)).await?;
            tx.commit().await
        });
        assert!(matches!(result, Err(StoreError::Unavailable { .. })));
        assert_eq!(fx.run(fx.store().get::<Item>("a")), Ok(None));
    }

    #[test]
    fn outbound_faults_and_unscripted_calls_are_errors() {
        let fx = Sandbox::new(1);
        fx.outbound().respond(Method::Get, "http://svc/x", Ok(Response::new(200, "x")));
        fx.faults().outbound(OutboundFault::Connect, Schedule::Next(1));
        assert!(matches!(fx.run(fx.outbound().send(Request::get("http://svc/x"))), Err(OutboundError::Connect { .. })));
        fx.faults().outbound(OutboundFault::Timeout(Duration::from_secs(2)), Schedule::Next(1));
        assert!(fx.run(fx.outbound().send(Request::get("http://svc/x"))).unwrap_err().is_timeout());
        assert_eq!(fx.run(fx.outbound().send(Request::get("http://svc/x"))).unwrap().status, 200);
        assert!(matches!(
            fx.run(fx.outbound().send(Request::get("http://svc/other"))),
            Err(OutboundError::NotScripted { method: Method::Get, .. })
        ));
        assert_eq!(fx.outbound().calls().len(), 4);
        assert_eq!(fx.clock().now().unix_millis(), 1_700_000_002_000);
    }
}

mod store {
    use super::*;

    #[test]
    fn insert_update_and_their_conflicts() {
        let fx = Sandbox::new(1);
        let result: Result<(), StoreError> = fx.run(async {
            let mut tx = fx.store().begin().await?;
            tx.insert("a", &item("a", 1)).await?;
            assert!(matches!(
                tx.insert("a", &item("a", 2)).await,
                Err(StoreError::AlreadyExists { collection: "items", .. })
            ));
            assert!(matches!(tx.update("b", &item("b", 1)).await, Err(StoreError::NotFound { .. })));
            tx.update("a", &item("a", 3)).await?;
            assert_eq!(tx.get::<Item>("a").await?, Some(item("a", 3)), "reads see the transaction's writes");
            tx.commit().await
        });
        result.unwrap();
        assert_eq!(fx.run(fx.store().get::<Item>("a")), Ok(Some(item("a", 3))));
    }

    #[test]
    fn scan_merges_uncommitted_writes_in_key_order() {
        let fx = Sandbox::new(1);
        fx.run(async {
            for key in ["o/2", "o/1", "p/1", "o/3"] {
                fx.store().upsert(key, &item(key, 1)).await.unwrap();
            }
            let mut tx = fx.store().begin().await.unwrap();
            tx.delete::<Item>("o/2").await.unwrap();
            tx.insert("o/0", &item("o/0", 1)).await.unwrap();
            let keys = |v: Vec<(String, Item)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
            assert_eq!(keys(tx.scan::<Item>("o/", None, 10).await.unwrap()), ["o/0", "o/1", "o/3"]);
            assert_eq!(keys(tx.scan::<Item>("o/", Some("o/0"), 1).await.unwrap()), ["o/1"]);
            tx.rollback().await.unwrap();
        });
    }
}

mod events {
    use super::*;

    #[test]
    fn logs_and_metrics_are_captured_in_order() {
        let fx = Sandbox::new(1);
        fx.events().info("hello", vec![("who", "world".into())]);
        fx.events().counter("hits", vec![("path", "/".into())], 2);
        fx.events().histogram("latency_seconds", vec![], 0.25);
        assert_eq!(fx.events().logs(), ["INFO hello who=world"]);
        assert_eq!(fx.events().messages_at(Level::Info), ["hello"]);
        assert_eq!(fx.events().counter_total("hits"), 2);
        assert!(matches!(fx.events().all()[2], Event::Histogram { name: "latency_seconds", .. }));
        assert!(fx.trace().contains("event counter hits{path=/} +2"), "{}", fx.trace());
    }
}
