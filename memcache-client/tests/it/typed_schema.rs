//! The schema check fails closed, against a real memcached: types of every shape get their own fingerprint or a
//! typed error on first use, opt-outs never mix with checked types, corruption is `Corrupt`, and a foreign empty
//! value does not pass for `get_or_compute`'s placeholder.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use memcache_client::typed::{
    Bincode, ComputeOptions, DecodePolicy, ENVELOPE_FLAGS, Integrity, Schema, SchemaError, envelope, fingerprint,
};
use memcache_client::{Error, Rejection, StoreOptions, cacheable};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Memcached, client};

/// Accepts only `"acc_<digits>"`, as a prefixed ID or a date does: the tracer cannot invent one.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(try_from = "String", into = "String")]
struct AccountId(u64);

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        text.strip_prefix("acc_").and_then(|n| n.parse().ok()).map(AccountId).ok_or(format!("bad id {text:?}"))
    }
}

impl From<AccountId> for String {
    fn from(id: AccountId) -> String {
        format!("acc_{}", id.0)
    }
}

/// Declared without samples: untraceable, so never cached.
mod bare {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Account {
        pub(crate) id: AccountId,
        pub(crate) credits: u64,
    }
    cacheable!(Account, "test.Account", version = 1);
}

mod sampled {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Account {
        pub(crate) id: AccountId,
        pub(crate) credits: u64,
    }
    cacheable!(Account, "test.Account", version = 1, samples = [Account { id: AccountId(1), credits: 0 }]);
}

/// `credits` narrowed without a version bump.
mod sampled_changed {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Account {
        pub(crate) id: AccountId,
        pub(crate) credits: u32,
    }
    cacheable!(Account, "test.Account", version = 1, samples = [Account { id: AccountId(1), credits: 0 }]);
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Entry<T> {
    value: T,
    hits: u32,
}
cacheable!(Entry<u64>, "test.Entry", version = 1);
cacheable!(Entry<u32>, "test.Entry", version = 1);

mod one {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Item {
        pub(crate) x: u32,
    }
    cacheable!(Item, "test.Item", version = 1);
}

mod two {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Item {
        pub(crate) x: u64,
    }
    cacheable!(Item, "test.Item", version = 1);
}

/// Two different types serde names `Item` (and two instantiations of `Entry`) inside one cached type.
mod nested {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Order {
        pub(crate) a: one::Item,
        pub(crate) b: two::Item,
        pub(crate) c: Entry<u64>,
        pub(crate) d: Entry<String>,
    }
    cacheable!(Order, "test.Order", version = 1);
}

/// The same, with `Entry<String>` changed to `Entry<Vec<u8>>` and the version left alone.
mod nested_changed {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Order {
        pub(crate) a: one::Item,
        pub(crate) b: two::Item,
        pub(crate) c: Entry<u64>,
        pub(crate) d: Entry<Vec<u8>>,
    }
    cacheable!(Order, "test.Order", version = 1);
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
enum Loose {
    Number(u64),
    Text(String),
}
cacheable!(Loose, "test.Loose", version = 1);

mod legacy {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Blob {
        pub(crate) bytes: Vec<u8>,
    }
    cacheable!(Blob, "test.Blob", version = 1, unchecked = "opaque bytes; the version is bumped by hand");
}

mod checked {
    use super::*;
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    pub(crate) struct Blob {
        pub(crate) bytes: Vec<u8>,
    }
    cacheable!(Blob, "test.Blob", version = 1);
}

fn untraceable(result: Result<impl std::fmt::Debug, Error>, type_name: &str, says: &str) {
    match result {
        Err(Error::Untraceable(SchemaError::Untraceable { type_name: got, rust_type, reason })) => {
            assert_eq!(got, type_name);
            assert!(rust_type.ends_with(type_name.trim_start_matches("test.")), "{rust_type}");
            assert!(reason.contains(says), "{reason}");
        }
        other => panic!("expected Untraceable({type_name}), got {other:?}"),
    }
}

fn mismatch<T: std::fmt::Debug>(result: Result<T, Error>, type_name: &str) {
    match result {
        Err(Error::Rejected { reason: Rejection::SchemaMismatch { type_name: got, version: 1, .. }, .. }) => {
            assert_eq!(got, type_name)
        }
        other => panic!("expected SchemaMismatch({type_name}), got {other:?}"),
    }
}

#[tokio::test]
async fn an_untraceable_type_fails_every_call_and_caches_nothing() {
    let server = Memcached::start();
    let client = client(&server);
    let account = bare::Account { id: AccountId(7), credits: 1 };
    // Under the default policy too: a type without its check must not look like an empty cache.
    let accounts = client.typed::<bare::Account>();
    untraceable(accounts.set("a", &account, 0).await, "test.Account", "samples");
    untraceable(accounts.add("a", &account, 0).await, "test.Account", "bad id");
    untraceable(accounts.get("a").await, "test.Account", "samples");
    untraceable(accounts.get_many(["a"]).await.map(|_| ()), "test.Account", "samples");
    untraceable(accounts.delete("a").await, "test.Account", "samples");
    untraceable(accounts.schema().map(|_| ()), "test.Account", "samples");
    assert_eq!(client.get("a").await.unwrap(), None, "nothing was written");

    let runs = AtomicUsize::new(0);
    for _ in 0..2 {
        let got = accounts
            .get_or_compute("a", 60, || async {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok::<_, &str>(account.clone())
            })
            .await;
        assert_eq!(got, Ok(account.clone()));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2, "never served from the cache");
    assert_eq!(client.get("a").await.unwrap(), None, "never cached");

    untraceable(client.typed::<Loose>().get("l").await, "test.Loose", "deserialize_any");
}

#[tokio::test]
async fn a_sampled_type_is_checked_field_by_field() {
    let server = Memcached::start();
    let client = client(&server);
    let account = sampled::Account { id: AccountId(7), credits: 1 };
    let accounts = client.typed::<sampled::Account>();
    assert!(accounts.set("a", &account, 0).await.unwrap().is_stored());
    assert_eq!(accounts.get("a").await.unwrap(), Some(account));
    assert_ne!(
        fingerprint::shape_only::<sampled::Account>().unwrap(),
        fingerprint::shape_only::<sampled_changed::Account>().unwrap(),
        "the narrowed field is in the shape itself, not only in the Rust path"
    );
    let changed = client.typed::<sampled_changed::Account>();
    mismatch(changed.clone().with_policy(DecodePolicy::Strict).get("a").await, "test.Account");
    assert_eq!(changed.get("a").await.unwrap(), None, "a miss by default");
}

#[tokio::test]
async fn generic_instantiations_and_same_named_types_reject_each_other() {
    let server = Memcached::start();
    let client = client(&server);
    assert!(client.typed::<Entry<u64>>().set("e", &Entry { value: 1, hits: 2 }, 0).await.unwrap().is_stored());
    mismatch(client.typed::<Entry<u32>>().with_policy(DecodePolicy::Strict).get("e").await, "test.Entry");
    assert_eq!(client.typed::<Entry<u32>>().get("e").await.unwrap(), None);
    assert_eq!(client.typed::<Entry<u64>>().get("e").await.unwrap(), Some(Entry { value: 1, hits: 2 }));

    let order = nested::Order {
        a: one::Item { x: 1 },
        b: two::Item { x: 2 },
        c: Entry { value: 3, hits: 4 },
        d: Entry { value: "five".into(), hits: 6 },
    };
    assert!(client.typed::<nested::Order>().set("o", &order, 0).await.unwrap().is_stored());
    assert_eq!(client.typed::<nested::Order>().get("o").await.unwrap(), Some(order));
    assert_ne!(
        fingerprint::shape_only::<nested::Order>().unwrap(),
        fingerprint::shape_only::<nested_changed::Order>().unwrap(),
        "the changed instantiation is in the shape"
    );
    mismatch(client.typed::<nested_changed::Order>().with_policy(DecodePolicy::Strict).get("o").await, "test.Order");

    assert!(client.typed::<one::Item>().set("i", &one::Item { x: 1 }, 0).await.unwrap().is_stored());
    mismatch(client.typed::<two::Item>().with_policy(DecodePolicy::Strict).get("i").await, "test.Item");
    assert_eq!(client.typed::<two::Item>().get("i").await.unwrap(), None);
}

#[tokio::test]
async fn an_opt_out_never_mixes_with_a_checked_type() {
    let server = Memcached::start();
    let client = client(&server);
    assert_eq!(client.typed::<legacy::Blob>().schema().unwrap().fingerprint, fingerprint::UNCHECKED);
    let blob = legacy::Blob { bytes: vec![1, 2] };
    assert!(client.typed::<legacy::Blob>().set("b", &blob, 0).await.unwrap().is_stored());
    assert_eq!(client.typed::<legacy::Blob>().get("b").await.unwrap(), Some(blob));
    mismatch(client.typed::<checked::Blob>().with_policy(DecodePolicy::Strict).get("b").await, "test.Blob");

    assert!(client.typed::<checked::Blob>().set("c", &checked::Blob { bytes: vec![3] }, 0).await.unwrap().is_stored());
    mismatch(client.typed::<legacy::Blob>().with_policy(DecodePolicy::Strict).get("c").await, "test.Blob");
}

#[tokio::test]
async fn an_unchecked_fingerprint_in_an_old_envelope_is_not_a_wildcard() {
    let server = Memcached::start();
    let client = client(&server);
    // What a writer from before this check stored for a type it could not trace: fingerprint 0.
    let schema = Schema { fingerprint: fingerprint::UNCHECKED, ..Schema::of::<sampled::Account>().unwrap() };
    let account = sampled::Account { id: AccountId(7), credits: 1 };
    let bytes = envelope::encode::<_, Bincode>(&schema, b"old", &account).unwrap();
    assert!(client.set("old", bytes, StoreOptions::default().flags(ENVELOPE_FLAGS)).await.unwrap().is_stored());
    match client.typed::<sampled::Account>().with_policy(DecodePolicy::Strict).get("old").await {
        Err(Error::Rejected { reason: Rejection::SchemaMismatch { found: 0, .. }, .. }) => {}
        other => panic!("expected SchemaMismatch from fingerprint 0, got {other:?}"),
    }
}

#[tokio::test]
async fn every_flipped_bit_is_corrupt() {
    let server = Memcached::start();
    let client = client(&server);
    let items = client.typed::<one::Item>().with_policy(DecodePolicy::Strict);
    assert!(items.set("whole", &one::Item { x: 300 }, 0).await.unwrap().is_stored());
    let whole = client.get("whole").await.unwrap().unwrap().value;
    assert_eq!(whole[2], 2, "the typed client writes checksummed envelopes (format 2) by default");
    let flags = StoreOptions::default().flags(ENVELOPE_FLAGS);
    for bit in 0..whole.len() * 8 {
        let mut bytes = whole.to_vec();
        bytes[bit / 8] ^= 1 << (bit % 8);
        assert!(client.set("flipped", bytes, flags).await.unwrap().is_stored());
        match items.get("flipped").await {
            Err(Error::Rejected { reason: Rejection::Corrupt { .. }, .. }) => {}
            other => panic!("bit {bit}: expected Corrupt, got {other:?}"),
        }
    }
    // A payload flip specifically meets the checksum.
    let mut bytes = whole.to_vec();
    let last_payload = bytes.len() - 1;
    bytes[last_payload] ^= 0x01;
    assert!(client.set("flipped", bytes, flags).await.unwrap().is_stored());
    match items.get("flipped").await {
        Err(Error::Rejected { reason: Rejection::Corrupt { reason: "checksum mismatch" }, .. }) => {}
        other => panic!("expected Corrupt(checksum mismatch), got {other:?}"),
    }
    // Without integrity, format 1 as before: readable by readers of both formats.
    let plain = client.typed::<one::Item>().with_integrity(Integrity::None);
    assert!(plain.set("plain", &one::Item { x: 1 }, 0).await.unwrap().is_stored());
    assert_eq!(client.get("plain").await.unwrap().unwrap().value[2], 1);
    assert_eq!(items.get("plain").await.unwrap(), Some(one::Item { x: 1 }));
}

/// Stores `value` under `key` with client flags 0 over a raw socket, as any other memcached client would.
async fn plant_raw(server: &Memcached, key: &str, value: &[u8]) {
    let mut socket = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let mut request = format!("set {key} 0 0 {}\r\n", value.len()).into_bytes();
    request.extend_from_slice(value);
    request.extend_from_slice(b"\r\n");
    socket.write_all(&request).await.unwrap();
    let mut reply = [0u8; 8];
    socket.read_exact(&mut reply).await.unwrap();
    assert_eq!(&reply, b"STORED\r\n");
}

fn patient() -> ComputeOptions {
    // Generous: a caller that wrongly waits for a winner shows as a computation count, never as a timing.
    ComputeOptions::default().max_wait(Duration::from_secs(60))
}

#[tokio::test]
async fn a_foreign_empty_value_is_recomputed_once_and_replaced() {
    let server = Memcached::start();
    let client = client(&server);
    plant_raw(&server, "empty", b"").await;
    let items = client.typed::<one::Item>();
    let runs = AtomicUsize::new(0);
    let compute = || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, &str>(one::Item { x: 9 })
    };
    assert_eq!(items.get_or_compute_with("empty", 300, &patient(), compute).await, Ok(one::Item { x: 9 }));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let stored = client.get("empty").await.unwrap().unwrap();
    assert_eq!(stored.flags, ENVELOPE_FLAGS, "the foreign value was replaced");
    let again = items.get_or_compute_with("empty", 300, &patient(), || async { Err("must not compute") }).await;
    assert_eq!(again, Ok(one::Item { x: 9 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stampede_on_a_foreign_empty_value_computes_once() {
    let server = Memcached::start();
    let client = client(&server);
    plant_raw(&server, "empty", b"").await;
    let items = client.typed::<one::Item>();
    let runs = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Barrier::new(100));
    let callers: Vec<_> = (0..100)
        .map(|_| {
            let (items, runs, gate) = (items.clone(), runs.clone(), gate.clone());
            tokio::spawn(async move {
                gate.wait().await;
                let options = patient().serve_stale(false);
                items
                    .get_or_compute_with("empty", 300, &options, || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, &str>(one::Item { x: 9 })
                    })
                    .await
            })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap(), Ok(one::Item { x: 9 }));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "one caller replaces the foreign value, the others wait for it");
    assert_eq!(items.get("empty").await.unwrap(), Some(one::Item { x: 9 }));
}
