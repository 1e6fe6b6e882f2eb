//! Typed values against a real memcached: wrong-type, wrong-version and foreign data is rejected, never decoded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use memcache_client::typed::{ComputeOptions, DecodePolicy, ENVELOPE_FLAGS, envelope};
use memcache_client::{Error, Rejection, StoreOptions, cacheable};
use serde::{Deserialize, Serialize};

use crate::support::{Memcached, client};

mod v1 {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Product {
        pub(crate) name: String,
        pub(crate) price: u64,
    }
    cacheable!(Product, "shop.Product", version = 1);
}

mod v2 {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Product {
        pub(crate) name: String,
        pub(crate) price: u64,
        pub(crate) stock: u32,
    }
    cacheable!(Product, "shop.Product", version = 2);
}

/// The v2 shape, but someone forgot to bump the version.
mod v1_changed {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Product {
        pub(crate) name: String,
        pub(crate) price: u64,
        pub(crate) stock: u32,
    }
    cacheable!(Product, "shop.Product", version = 1);
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Customer {
    name: String,
    credits: u64,
}
cacheable!(Customer, "shop.Customer", version = 1);

fn lamp() -> v1::Product {
    v1::Product { name: "Lamp".into(), price: 1999 }
}

#[tokio::test]
async fn round_trip_and_every_typed_command() {
    let server = Memcached::start();
    let products = client(&server).typed::<v1::Product>();
    assert_eq!(products.get("p").await.unwrap(), None);
    assert!(products.set("p", &lamp(), 0).await.unwrap().is_stored());
    assert_eq!(products.get("p").await.unwrap(), Some(lamp()));
    assert!(!products.add("p", &lamp(), 0).await.unwrap().is_stored());
    assert!(!products.replace("q", &lamp(), 0).await.unwrap().is_stored());
    let (value, cas) = products.gets("p").await.unwrap().unwrap();
    let dearer = v1::Product { price: value.price + 1, ..value };
    assert!(products.cas("p", &dearer, cas, 0).await.unwrap().is_stored());
    assert!(!products.cas("p", &lamp(), cas, 0).await.unwrap().is_stored(), "the token is stale now");
    assert!(products.touch("p", 100).await.unwrap());
    let many = products.get_many(["p", "absent"]).await.unwrap().into_complete().unwrap();
    assert_eq!(many.len(), 1);
    assert_eq!(many[&b"p"[..]], dearer);
    assert!(products.delete("p").await.unwrap());
    assert_eq!(products.get("p").await.unwrap(), None);
}

#[tokio::test]
async fn v1_written_v2_read_under_each_policy() {
    let server = Memcached::start();
    let client = client(&server);
    assert!(client.typed::<v1::Product>().set("p", &lamp(), 0).await.unwrap().is_stored());

    let strict = client.typed::<v2::Product>().with_policy(DecodePolicy::Strict);
    match strict.get("p").await {
        Err(Error::Rejected {
            key,
            reason: Rejection::UnexpectedVersion { type_name: "shop.Product", expected: 2, found: 1 },
        }) => {
            assert_eq!(key, "p")
        }
        other => panic!("expected UnexpectedVersion, got {other:?}"),
    }
    // Under Strict a rejection is the key's own error; the call as a whole succeeds.
    let many = strict.get_many(["p"]).await.unwrap();
    assert!(many.hits().is_empty());
    match many.error("p") {
        Some(Error::Rejected { reason: Rejection::UnexpectedVersion { expected: 2, found: 1, .. }, .. }) => {}
        other => panic!("expected UnexpectedVersion, got {other:?}"),
    }

    let lenient = client.typed::<v2::Product>();
    assert_eq!(lenient.get("p").await.unwrap(), None, "TreatAsMiss is the default");
    let many = lenient.get_many(["p"]).await.unwrap();
    assert!(many.hits().is_empty() && many.is_complete(), "TreatAsMiss turns the rejection into a miss");
    assert!(client.get("p").await.unwrap().is_some(), "without delete the v1 entry stays for v1 readers");

    let cleaning = client.typed::<v2::Product>().with_policy(DecodePolicy::TreatAsMiss { delete: true });
    assert_eq!(cleaning.get("p").await.unwrap(), None);
    assert_eq!(client.get("p").await.unwrap(), None, "the rejected entry was deleted");

    // And the other way round: an old reader meets a new value.
    assert!(
        client
            .typed::<v2::Product>()
            .set("p", &v2::Product { name: "Lamp".into(), price: 1, stock: 3 }, 0)
            .await
            .unwrap()
            .is_stored()
    );
    match client.typed::<v1::Product>().with_policy(DecodePolicy::Strict).get("p").await {
        Err(Error::Rejected { reason: Rejection::UnexpectedVersion { expected: 1, found: 2, .. }, .. }) => {}
        other => panic!("expected UnexpectedVersion, got {other:?}"),
    }
}

#[tokio::test]
async fn two_types_under_one_key() {
    let server = Memcached::start();
    let client = client(&server);
    let ada = Customer { name: "Ada".into(), credits: 10 };
    assert!(client.typed::<Customer>().set("shared", &ada, 0).await.unwrap().is_stored());
    match client.typed::<v1::Product>().with_policy(DecodePolicy::Strict).get("shared").await {
        Err(Error::Rejected { reason: Rejection::UnexpectedType { expected: "shop.Product", found }, .. }) => {
            assert_eq!(found, "shop.Customer")
        }
        other => panic!("expected UnexpectedType, got {other:?}"),
    }
    assert_eq!(client.typed::<v1::Product>().get("shared").await.unwrap(), None);
    assert_eq!(client.typed::<Customer>().get("shared").await.unwrap(), Some(ada));
}

#[tokio::test]
async fn field_added_without_a_version_bump_is_caught_by_the_fingerprint() {
    let server = Memcached::start();
    let client = client(&server);
    let old = client.typed::<v1::Product>();
    let changed = client.typed::<v1_changed::Product>().with_policy(DecodePolicy::Strict);
    assert_ne!(old.schema().unwrap().fingerprint, changed.schema().unwrap().fingerprint);
    assert!(old.set("p", &lamp(), 0).await.unwrap().is_stored());
    match changed.get("p").await {
        Err(Error::Rejected {
            reason: Rejection::SchemaMismatch { type_name: "shop.Product", version: 1, expected, found },
            ..
        }) => {
            assert_eq!((expected, found), (changed.schema().unwrap().fingerprint, old.schema().unwrap().fingerprint));
        }
        other => panic!("expected SchemaMismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn raw_values_are_not_enveloped() {
    let server = Memcached::start();
    let client = client(&server);
    // What `memc set` or any other client writes: plain bytes, flags 0 (or whatever that client uses).
    assert!(client.set("raw", "just text", StoreOptions::default()).await.unwrap().is_stored());
    assert!(client.set("raw-flags", "x", StoreOptions::default().flags(42)).await.unwrap().is_stored());
    let strict = client.typed::<v1::Product>().with_policy(DecodePolicy::Strict);
    match strict.get("raw").await {
        Err(Error::Rejected { key, reason: Rejection::NotEnveloped { flags: 0 } }) => assert_eq!(key, "raw"),
        other => panic!("expected NotEnveloped, got {other:?}"),
    }
    match strict.get("raw-flags").await {
        Err(Error::Rejected { reason: Rejection::NotEnveloped { flags: 42 }, .. }) => {}
        other => panic!("expected NotEnveloped, got {other:?}"),
    }
}

#[tokio::test]
async fn truncated_and_garbled_envelopes_are_corrupt() {
    let server = Memcached::start();
    let client = client(&server);
    let products = client.typed::<v1::Product>().with_policy(DecodePolicy::Strict);
    // Format 1 (no checksum), so each damage meets the check it is aimed at; format 2 is in typed_schema.rs.
    let mut whole =
        envelope::encode::<_, memcache_client::typed::Bincode>(products.schema().unwrap(), b"p", &lamp()).unwrap();
    let flags = StoreOptions::default().flags(ENVELOPE_FLAGS);
    let cases: [(&[u8], &str); 4] = [
        (&whole[..whole.len() - 1], "truncated payload"),
        (&whole[..10], "shorter than an envelope header"),
        (&whole[..23], "truncated in the type name"),
        (b"XX\x01\x01 garbage garbage garbage", "bad magic bytes"),
    ];
    for (i, (bytes, reason)) in cases.into_iter().enumerate() {
        let key = format!("bad{i}");
        assert!(client.set(&key, bytes, flags).await.unwrap().is_stored());
        match products.get(&key).await {
            Err(Error::Rejected { reason: Rejection::Corrupt { reason: got }, .. }) => assert_eq!(got, reason),
            other => panic!("{key}: expected Corrupt({reason}), got {other:?}"),
        }
    }
    // A payload that passes every header check but is not a Product.
    let len = whole.len();
    whole[len - 1] = 0xff;
    let n = whole.len();
    whole.truncate(n - 3);
    whole[16..20].copy_from_slice(&((n - 3 - 21 - "shop.Product".len()) as u32).to_le_bytes());
    assert!(client.set("garbled", &whole, flags).await.unwrap().is_stored());
    match products.get("garbled").await {
        Err(Error::Rejected { reason: Rejection::Decode { type_name: "shop.Product", .. }, .. }) => {}
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[cfg(feature = "postcard")]
#[tokio::test]
async fn bincode_data_read_by_a_postcard_reader() {
    use memcache_client::typed::Postcard;
    let server = Memcached::start();
    let client = client(&server);
    assert!(client.typed::<v1::Product>().set("p", &lamp(), 0).await.unwrap().is_stored());
    let postcard = client.typed_with::<v1::Product, Postcard>().with_policy(DecodePolicy::Strict);
    match postcard.get("p").await {
        Err(Error::Rejected { reason: Rejection::UnexpectedCodec { expected: "postcard", found: 1 }, .. }) => {}
        other => panic!("expected UnexpectedCodec, got {other:?}"),
    }
    assert!(postcard.set("q", &lamp(), 0).await.unwrap().is_stored());
    assert_eq!(postcard.get("q").await.unwrap(), Some(lamp()));
    match client.typed::<v1::Product>().with_policy(DecodePolicy::Strict).get("q").await {
        Err(Error::Rejected { reason: Rejection::UnexpectedCodec { expected: "bincode2", found: 2 }, .. }) => {}
        other => panic!("expected UnexpectedCodec, got {other:?}"),
    }
}

fn patient() -> ComputeOptions {
    // Generous: on a loaded machine a waiter must not give up and compute on its own.
    ComputeOptions::default().max_wait(Duration::from_secs(60))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_key_stampede_computes_once() {
    let server = Memcached::start();
    let products = client(&server).typed::<v1::Product>();
    let runs = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Barrier::new(100));
    let callers: Vec<_> = (0..100)
        .map(|_| {
            let (products, runs, gate) = (products.clone(), runs.clone(), gate.clone());
            tokio::spawn(async move {
                gate.wait().await;
                products
                    .get_or_compute_with("cold", 300, &patient(), || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, std::convert::Infallible>(lamp())
                    })
                    .await
            })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap(), lamp());
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "one caller computes, the other 99 wait for its value");
    assert_eq!(products.get("cold").await.unwrap(), Some(lamp()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_version_in_cache_is_recomputed_once() {
    let server = Memcached::start();
    let client = client(&server);
    assert!(client.typed::<v1::Product>().set("p", &lamp(), 300).await.unwrap().is_stored());
    let new = client.typed::<v2::Product>();
    let runs = Arc::new(AtomicUsize::new(0));
    let fresh = v2::Product { name: "Lamp".into(), price: 1999, stock: 7 };
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let (new, runs, fresh) = (new.clone(), runs.clone(), fresh.clone());
            let options = patient().serve_stale(false);
            tokio::spawn(async move {
                new.get_or_compute_with("p", 300, &options, || async {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, std::convert::Infallible>(fresh)
                })
                .await
            })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap(), fresh);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(new.get("p").await.unwrap(), Some(fresh));
}

#[tokio::test]
async fn compute_error_is_returned_and_frees_the_key() {
    let server = Memcached::start();
    let products = client(&server).typed::<v1::Product>();
    let failed: Result<v1::Product, &str> = products.get_or_compute("k", 300, || async { Err("db down") }).await;
    assert_eq!(failed, Err("db down"));
    // The placeholder was removed, so the next caller wins at once instead of waiting for lock_ttl.
    let value = products.get_or_compute("k", 300, || async { Ok::<_, &str>(lamp()) }).await;
    assert_eq!(value, Ok(lamp()));
}

#[tokio::test]
async fn cache_down_still_computes() {
    let server = Memcached::start();
    let products = client(&server).typed::<v1::Product>();
    drop(server);
    let value = products.get_or_compute("k", 300, || async { Ok::<_, &str>(lamp()) }).await;
    assert_eq!(value, Ok(lamp()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidated_value_is_served_stale_while_one_caller_recomputes() {
    let server = Memcached::start();
    let products = client(&server).typed::<v1::Product>();
    assert!(products.set("p", &lamp(), 300).await.unwrap().is_stored());
    assert!(products.invalidate("p").await.unwrap(), "md I marks the item stale");
    let dearer = v1::Product { price: 2500, ..lamp() };

    // The first caller wins the recompute; its computation is held open until we let it finish.
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let winner = {
        let (products, dearer) = (products.clone(), dearer.clone());
        tokio::spawn(async move {
            products
                .get_or_compute_with("p", 300, &patient(), || async move {
                    started_tx.send(()).unwrap();
                    release_rx.await.unwrap();
                    Ok::<_, &str>(dearer)
                })
                .await
        })
    };
    started_rx.await.unwrap();
    // Meanwhile everyone else gets the stale value at once, and computes nothing.
    for _ in 0..10 {
        let value = products.get_or_compute_with("p", 300, &patient(), || async { Err("must not compute") }).await;
        assert_eq!(value, Ok(lamp()));
    }
    release_tx.send(()).unwrap();
    assert_eq!(winner.await.unwrap(), Ok(dearer.clone()));
    assert_eq!(products.get("p").await.unwrap(), Some(dearer));
}

#[tokio::test]
async fn recache_window_recomputes_before_expiry() {
    let server = Memcached::start();
    let products = client(&server).typed::<v1::Product>();
    assert!(products.set("p", &lamp(), 100).await.unwrap().is_stored());
    let dearer = v1::Product { price: 2500, ..lamp() };
    let fresh = products.get_or_compute_with("p", 3600, &patient(), || async { Err("not in the window") }).await;
    assert_eq!(fresh, Ok(lamp()), "100 s left and no recache window: served as is");
    let options = patient().recache_within(200);
    let value = products.get_or_compute_with("p", 3600, &options, || async { Ok::<_, &str>(dearer.clone()) }).await;
    assert_eq!(value, Ok(dearer.clone()), "100 s left is inside the 200 s window: this caller recomputed");
    assert_eq!(products.get("p").await.unwrap(), Some(dearer));
}

#[test]
fn versioned_keys() {
    assert_eq!(memcache_client::typed::versioned_key::<v2::Product>("42"), "shop.Product:v2:42");
}
