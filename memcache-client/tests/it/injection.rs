//! Hostile keys never reach the server as commands; values carrying protocol bytes round-trip exactly.

use memcache_client::{Client, Config, Error, InvalidKeyReason, Protocol, StoreOptions};

use crate::support::{Memcached, client_with};

const HOSTILE: &[&[u8]] =
    &[b"a\r\nflush_all", b"a\r\nflush_all\r\n", b"a flush_all", b"a\nflush_all", b"nul\0byte", b"tab\there", b""];

async fn hostile_keys_are_refused(client: &Client) {
    assert!(client.set("sentinel", "still here", StoreOptions::default()).await.unwrap().is_stored());
    let too_long = vec![b'k'; 251];
    for key in HOSTILE.iter().copied().chain([&too_long[..]]) {
        let expected_reason = |reason: &InvalidKeyReason| match key {
            [] => *reason == InvalidKeyReason::Empty,
            k if k.len() > 250 => *reason == InvalidKeyReason::TooLong { len: k.len() },
            _ => matches!(reason, InvalidKeyReason::ForbiddenByte { .. }),
        };
        for result in [
            client.set(key, "evil", StoreOptions::default()).await.map(|_| ()),
            client.get(key).await.map(|_| ()),
            client.delete(key).await.map(|_| ()),
            client.incr(key, 1).await.map(|_| ()),
            client.touch(key, 1).await.map(|_| ()),
            client.get_many([key, b"sentinel"]).await.map(|_| ()),
        ] {
            match result {
                Err(Error::InvalidKey { key: got, reason }) => {
                    assert_eq!(&got[..], key);
                    assert!(expected_reason(&reason), "key {key:?}: wrong reason {reason:?}");
                }
                other => panic!("key {key:?}: expected InvalidKey, got {other:?}"),
            }
        }
    }
    assert_eq!(client.get("sentinel").await.unwrap().unwrap().value, "still here");
}

async fn protocol_bytes_in_values_round_trip(client: &Client) {
    let values: [&[u8]; 5] =
        [b"\r\nEND\r\n", b"VALUE k 0 1\r\nx\r\nEND\r\n", b"\r\n", b"HD\r\nEN\r\nMN\r\n", &[0, 255, 13, 10, 0]];
    for (i, value) in values.iter().enumerate() {
        let key = format!("v{i}");
        assert!(client.set(&key, value, StoreOptions::default()).await.unwrap().is_stored());
        assert_eq!(client.get(&key).await.unwrap().unwrap().value, value);
    }
    let keys: Vec<String> = (0..values.len()).map(|i| format!("v{i}")).collect();
    let hits = client.get_many(&keys).await.unwrap().into_complete().unwrap();
    for (i, value) in values.iter().enumerate() {
        assert_eq!(hits[keys[i].as_bytes()].value, value);
    }
    assert_eq!(client.get("sentinel-after").await.unwrap(), None, "the stream is still aligned");
}

fn with_protocol(server: &Memcached, protocol: Protocol) -> Client {
    let mut config = Config::default();
    config.protocol = protocol;
    client_with(server, config)
}

#[tokio::test]
async fn hostile_keys_meta() {
    let server = Memcached::start();
    hostile_keys_are_refused(&with_protocol(&server, Protocol::Meta)).await;
}

#[tokio::test]
async fn hostile_keys_text() {
    let server = Memcached::start();
    hostile_keys_are_refused(&with_protocol(&server, Protocol::Text)).await;
}

#[tokio::test]
async fn protocol_bytes_meta() {
    let server = Memcached::start();
    protocol_bytes_in_values_round_trip(&with_protocol(&server, Protocol::Meta)).await;
}

#[tokio::test]
async fn protocol_bytes_text() {
    let server = Memcached::start();
    protocol_bytes_in_values_round_trip(&with_protocol(&server, Protocol::Text)).await;
}
