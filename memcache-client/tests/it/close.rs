//! Dropping the client closes its sockets: the server's connection count returns to where it was.

use memcache_client::StoreOptions;

use crate::support::{Memcached, client, client_with};

/// Polls `curr_connections` until it equals `expected`, a bounded number of times; returns the last reading.
async fn wait_for_connections(server: &Memcached, expected: u64) -> u64 {
    let mut seen = server.stat("curr_connections");
    for _ in 0..10_000 {
        if seen == expected {
            break;
        }
        tokio::task::yield_now().await;
        seen = server.stat("curr_connections");
    }
    seen
}

#[tokio::test]
async fn dropping_the_client_closes_its_connections() {
    let server = Memcached::start();
    let before = server.stat("curr_connections");
    let mut config = memcache_client::Config::default();
    config.connections_per_server = 3;
    let client = client_with(&server, config);
    // Enough concurrent requests that every connection of the round robin opens.
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.set(&format!("k{i}"), "v", StoreOptions::default()).await.unwrap() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().is_stored());
    }
    assert_eq!(server.stat("curr_connections"), before + 3);
    drop(client);
    assert_eq!(wait_for_connections(&server, before).await, before);
}

#[tokio::test]
async fn many_clients_leave_nothing_open() {
    let server = Memcached::start();
    let before = server.stat("curr_connections");
    for i in 0..50 {
        let client = client(&server);
        assert!(client.set(&format!("k{i}"), "v", StoreOptions::default()).await.unwrap().is_stored());
    }
    assert_eq!(wait_for_connections(&server, before).await, before);
    assert!(server.stat("total_connections") >= 50);
}
