//! Every command's happy path and sad paths, over both the meta and the text protocol.

use memcache_client::{BinaryKey, Cas, Client, Config, Error, InvalidKeyReason, Protocol, StoreOptions, StoreOutcome};

use crate::support::{Memcached, client_with};

fn client_for(server: &Memcached, protocol: Protocol) -> Client {
    let mut config = Config::default();
    config.protocol = protocol;
    client_with(server, config)
}

/// Runs each listed check against a fresh server once per protocol.
macro_rules! both_protocols {
    ($($name:ident),* $(,)?) => {
        mod meta {
            $(#[tokio::test]
            async fn $name() {
                let server = super::Memcached::start();
                super::$name(&super::client_for(&server, memcache_client::Protocol::Meta)).await;
            })*
        }
        mod text {
            $(#[tokio::test]
            async fn $name() {
                let server = super::Memcached::start();
                super::$name(&super::client_for(&server, memcache_client::Protocol::Text)).await;
            })*
        }
    };
}

both_protocols!(
    get_set,
    gets_and_cas,
    gat_and_gats,
    add_replace,
    append_prepend,
    delete,
    incr_decr,
    incr_non_numeric_is_client_error,
    touch,
    get_many,
    flush_all,
    version_stats_verbosity,
    flags_round_trip,
    value_too_large,
    invalid_keys,
    empty_value,
);

async fn get_set(client: &Client) {
    assert_eq!(client.get("missing").await.unwrap(), None);
    assert_eq!(client.set("k", "v1", StoreOptions::default()).await.unwrap(), StoreOutcome::Stored);
    let item = client.get("k").await.unwrap().unwrap();
    assert_eq!(item.value, "v1");
    assert_eq!(item.cas, None, "plain get does not ask for the CAS token");
    assert!(client.set("k", b"v2".to_vec(), StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(client.get("k").await.unwrap().unwrap().value, "v2");
}

async fn gets_and_cas(client: &Client) {
    assert_eq!(client.gets("k").await.unwrap(), None);
    assert_eq!(client.cas("k", "x", Cas(1), StoreOptions::default()).await.unwrap(), StoreOutcome::NotFound);
    assert!(client.set("k", "v1", StoreOptions::default()).await.unwrap().is_stored());
    let token = client.gets("k").await.unwrap().unwrap().cas.expect("gets returns a CAS token");
    assert_eq!(client.cas("k", "v2", token, StoreOptions::default()).await.unwrap(), StoreOutcome::Stored);
    // The token is now stale: the item changed since it was read.
    assert_eq!(client.cas("k", "v3", token, StoreOptions::default()).await.unwrap(), StoreOutcome::Exists);
    assert_eq!(client.get("k").await.unwrap().unwrap().value, "v2");
}

async fn gat_and_gats(client: &Client) {
    assert_eq!(client.gat("k", 100).await.unwrap(), None);
    assert!(client.set("k", "v", StoreOptions::default()).await.unwrap().is_stored());
    let item = client.gat("k", 100).await.unwrap().unwrap();
    assert_eq!((item.value.as_ref(), item.cas), (&b"v"[..], None));
    let item = client.gats("k", 200).await.unwrap().unwrap();
    assert_eq!(item.value, "v");
    assert!(item.cas.is_some(), "gats returns a CAS token");
    assert_eq!(client.gats("missing", 200).await.unwrap(), None);
}

async fn add_replace(client: &Client) {
    let opts = StoreOptions::default();
    assert_eq!(client.replace("k", "r", opts).await.unwrap(), StoreOutcome::NotStored);
    assert_eq!(client.get("k").await.unwrap(), None);
    assert_eq!(client.add("k", "a", opts).await.unwrap(), StoreOutcome::Stored);
    assert_eq!(client.add("k", "a2", opts).await.unwrap(), StoreOutcome::NotStored);
    assert_eq!(client.get("k").await.unwrap().unwrap().value, "a");
    assert_eq!(client.replace("k", "r", opts).await.unwrap(), StoreOutcome::Stored);
    assert_eq!(client.get("k").await.unwrap().unwrap().value, "r");
}

async fn append_prepend(client: &Client) {
    assert_eq!(client.append("k", "x").await.unwrap(), StoreOutcome::NotStored);
    assert_eq!(client.prepend("k", "x").await.unwrap(), StoreOutcome::NotStored);
    assert!(client.set("k", "mid", StoreOptions::default().flags(7)).await.unwrap().is_stored());
    assert_eq!(client.append("k", ">").await.unwrap(), StoreOutcome::Stored);
    assert_eq!(client.prepend("k", "<").await.unwrap(), StoreOutcome::Stored);
    let item = client.get("k").await.unwrap().unwrap();
    assert_eq!((item.value.as_ref(), item.flags), (&b"<mid>"[..], 7), "append/prepend keep the flags");
}

async fn delete(client: &Client) {
    assert!(!client.delete("k").await.unwrap(), "deleting a missing key reports false");
    assert!(client.set("k", "v", StoreOptions::default()).await.unwrap().is_stored());
    assert!(client.delete("k").await.unwrap());
    assert_eq!(client.get("k").await.unwrap(), None);
}

async fn incr_decr(client: &Client) {
    assert_eq!(client.incr("n", 1).await.unwrap(), None);
    assert_eq!(client.decr("n", 1).await.unwrap(), None);
    assert!(client.set("n", "10", StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(client.incr("n", 5).await.unwrap(), Some(15));
    assert_eq!(client.decr("n", 100).await.unwrap(), Some(0), "decr floors at zero");
    assert!(client.set("n", "100", StoreOptions::default()).await.unwrap().is_stored());
    // memcached pads the shrunken number with spaces in place; the reply is still the plain number.
    assert_eq!(client.decr("n", 95).await.unwrap(), Some(5));
    assert_eq!(client.incr("n", u64::MAX).await.unwrap(), Some(4), "incr wraps at 2^64");
}

async fn incr_non_numeric_is_client_error(client: &Client) {
    assert!(client.set("n", "abc", StoreOptions::default()).await.unwrap().is_stored());
    match client.incr("n", 1).await {
        Err(Error::ClientError { message, .. }) => {
            assert_eq!(message, "cannot increment or decrement non-numeric value")
        }
        other => panic!("expected ClientError, got {other:?}"),
    }
    // CLIENT_ERROR for a well-formed request leaves the connection aligned: the next request is answered rightly.
    assert_eq!(client.get("n").await.unwrap().unwrap().value, "abc");
}

async fn touch(client: &Client) {
    assert!(!client.touch("k", 100).await.unwrap());
    assert!(client.set("k", "v", StoreOptions::default()).await.unwrap().is_stored());
    assert!(client.touch("k", 100).await.unwrap());
    assert_eq!(client.get("k").await.unwrap().unwrap().value, "v");
}

async fn get_many(client: &Client) {
    for i in 0..50 {
        let key = format!("key{i}");
        assert!(client.set(&key, format!("value{i}"), StoreOptions::default()).await.unwrap().is_stored());
    }
    let keys: Vec<String> = (0..60).map(|i| format!("key{i}")).collect();
    let hits = client.get_many(&keys).await.unwrap().into_complete().unwrap();
    assert_eq!(hits.len(), 50, "misses are absent");
    for i in 0..50 {
        assert_eq!(hits[format!("key{i}").as_bytes()].value, format!("value{i}"));
    }
    assert!(client.get_many(Vec::<&str>::new()).await.unwrap().into_complete().unwrap().is_empty());
    match client.get_many(["fine", "not fine"]).await {
        Err(Error::InvalidKey { key, reason: InvalidKeyReason::ForbiddenByte { byte: b' ', position: 3 } }) => {
            assert_eq!(key, "not fine")
        }
        other => panic!("expected InvalidKey, got {other:?}"),
    }
}

async fn flush_all(client: &Client) {
    assert!(client.set("k", "v", StoreOptions::default()).await.unwrap().is_stored());
    client.flush_all(None).await.unwrap();
    assert_eq!(client.get("k").await.unwrap(), None);
    assert!(client.set("k", "v", StoreOptions::default()).await.unwrap().is_stored());
    client.flush_all(Some(1000)).await.unwrap();
    assert_eq!(client.get("k").await.unwrap().unwrap().value, "v", "a delayed flush has not happened yet");
}

async fn version_stats_verbosity(client: &Client) {
    let versions = client.version().await.unwrap();
    assert_eq!(versions.len(), 1);
    assert!(versions[0].1.starts_with("1."), "version {:?}", versions[0].1);
    let stats = client.stats(None).await.unwrap();
    assert!(stats[0].1.contains_key("curr_connections"));
    let settings = client.stats(Some("settings")).await.unwrap();
    assert_eq!(settings[0].1["maxbytes"], "67108864");
    client.verbosity(1).await.unwrap();
    assert!(matches!(client.stats(Some("bad arg")).await, Err(Error::InvalidArgument(_))));
    // memcached answers an unknown stats group with ERROR.
    assert!(matches!(client.stats(Some("nonsense")).await, Err(Error::UnknownCommand { .. })));
    assert_eq!(client.get("still-works").await.unwrap(), None);
}

async fn flags_round_trip(client: &Client) {
    for flags in [0, 1, 0xffff, 0x1_0000, u32::MAX] {
        assert!(client.set("k", "v", StoreOptions::default().flags(flags)).await.unwrap().is_stored());
        assert_eq!(client.get("k").await.unwrap().unwrap().flags, flags);
    }
}

async fn value_too_large(client: &Client) {
    let limit = client.config().max_value_size;
    let big = vec![b'x'; limit + 1];
    match client.set("big", &big, StoreOptions::default()).await {
        Err(Error::ValueTooLarge { key, size, limit: l }) => {
            assert_eq!((key.as_ref(), size, l), (&b"big"[..], limit + 1, limit))
        }
        other => panic!("expected ValueTooLarge, got {other:?}"),
    }
    let largest = vec![b'y'; limit];
    let long_key = "k".repeat(250);
    assert_eq!(client.set(&long_key, &largest, StoreOptions::default()).await.unwrap(), StoreOutcome::Stored);
    assert_eq!(client.get(&long_key).await.unwrap().unwrap().value.len(), limit);
}

async fn invalid_keys(client: &Client) {
    let reason = |result: Result<Option<memcache_client::Item>, Error>| match result {
        Err(Error::InvalidKey { reason, .. }) => reason,
        other => panic!("expected InvalidKey, got {other:?}"),
    };
    assert_eq!(reason(client.get("").await), InvalidKeyReason::Empty);
    assert_eq!(reason(client.get(&"k".repeat(251)).await), InvalidKeyReason::TooLong { len: 251 });
    assert_eq!(reason(client.get("a\r\nb").await), InvalidKeyReason::ForbiddenByte { byte: b'\r', position: 1 });
    assert_eq!(reason(client.get("a\tb").await), InvalidKeyReason::ForbiddenByte { byte: b'\t', position: 1 });
    assert_eq!(reason(client.get(&b"nul\0"[..]).await), InvalidKeyReason::ForbiddenByte { byte: 0, position: 3 });
    assert_eq!(reason(client.get("del\x7f").await), InvalidKeyReason::ForbiddenByte { byte: 0x7f, position: 3 });
    // Non-ASCII UTF-8 is fine: memcached only splits on spaces and control bytes.
    assert!(client.set("ключ", "v", StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(client.get("ключ").await.unwrap().unwrap().value, "v");
}

async fn empty_value(client: &Client) {
    assert!(client.set("k", "", StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(client.get("k").await.unwrap().unwrap().value, "");
}

#[tokio::test]
async fn binary_keys_travel_base64_over_meta() {
    let server = Memcached::start();
    let client = crate::support::client(&server);
    let key = BinaryKey(&b"\x00 bin\r\nary\xff"[..]);
    assert!(client.set(&key, "bin", StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(client.get(&key).await.unwrap().unwrap().value, "bin");
    let hits = client.get_many([key, BinaryKey(&b"other"[..])]).await.unwrap().into_complete().unwrap();
    assert_eq!(hits[&b"\x00 bin\r\nary\xff"[..]].value, "bin");
    assert_eq!(hits.len(), 1);
    assert!(client.delete(&key).await.unwrap());
    // 186 bytes encode to 248 base64 characters; 187 would need 252, over memcached's limit.
    let longest = BinaryKey(vec![0u8; 186]);
    assert!(client.set(&longest, "v", StoreOptions::default()).await.unwrap().is_stored());
    match client.get(&BinaryKey(vec![0u8; 187])).await {
        Err(Error::InvalidKey { reason: InvalidKeyReason::TooLong { len: 252 }, .. }) => {}
        other => panic!("expected TooLong, got {other:?}"),
    }
}

#[tokio::test]
async fn binary_keys_are_refused_over_text() {
    let server = Memcached::start();
    let client = client_for(&server, Protocol::Text);
    match client.get(&BinaryKey("k")).await {
        Err(Error::InvalidKey { reason: InvalidKeyReason::BinaryNeedsMeta, .. }) => {}
        other => panic!("expected BinaryNeedsMeta, got {other:?}"),
    }
}

#[tokio::test]
async fn unix_socket() {
    let server = Memcached::start_unix();
    let client = crate::support::client(&server);
    assert!(client.set("k", "over a unix socket", StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(client.get("k").await.unwrap().unwrap().value, "over a unix socket");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::new(&format!("127.0.0.1:{port}")).unwrap();
    match client.get("k").await {
        Err(Error::Connect { server, source }) => {
            assert_eq!(server, format!("127.0.0.1:{port}"));
            assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
        }
        other => panic!("expected Connect, got {other:?}"),
    }
    // Once a server listens there, the same client connects on the next request.
}
