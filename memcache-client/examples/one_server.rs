//! One server: store, read, count, delete.
//!
//! Start a memcached (`memcached -p 11211 &`), then:
//! `cargo run -p memcache-client --example one_server` (`MEMCACHED_SERVERS=host:port` for another server).

use memcache_client::{Client, Error, StoreOptions};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let servers = std::env::var("MEMCACHED_SERVERS").unwrap_or_else(|_| "127.0.0.1:11211".to_owned());
    run(&servers).await
}

/// The example itself; the integration tests run it against a memcached of their own.
pub(crate) async fn run(servers: &str) -> Result<(), Error> {
    let client = Client::new(servers)?;

    assert!(client.set("example:greeting", "hello", StoreOptions::default().ttl(60)).await?.is_stored());
    let item = client.get("example:greeting").await?.expect("just stored");
    println!("example:greeting = {:?}", String::from_utf8_lossy(&item.value));

    // A miss, NOT_STORED or an absent counter is a value, not an error.
    client.delete("example:visits").await?;
    assert_eq!(client.incr("example:visits", 1).await?, None);
    assert!(client.set("example:visits", "0", StoreOptions::default()).await?.is_stored());
    println!("example:visits = {:?}", client.incr("example:visits", 1).await?);
    let stored = client.add("example:visits", "100", StoreOptions::default()).await?;
    println!("add over an existing key: stored = {}", stored.is_stored());

    client.delete("example:greeting").await?;
    assert!(client.get("example:greeting").await?.is_none());
    println!("example:greeting deleted");
    Ok(())
}
